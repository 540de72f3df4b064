//! Two server processes (`chanjiao serve`, the real binary) on one PostgreSQL database, as the
//! README says nodes may run: a session made on one works on the other; the background work
//! (keying the audit log) runs on exactly one, and passes to the other when it dies; killing a
//! node under write load loses no write it acknowledged; the audit chain then verifies.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, chanjiao_in, client, credit, fresh_database, hidden};

/// Runs `chanjiao` in `dir`, which must succeed.
fn chanjiao(dir: &Path, url: &str, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let out = chanjiao_in(Some(dir), url, args, stdin);
    assert!(
        out.status.success(),
        "chanjiao {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

struct Node {
    child: Child,
    base: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `chanjiao serve` in `dir` (both nodes share the key file created there).
async fn start(dir: &Path, url: &str) -> Node {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_chanjiao"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .current_dir(dir)
        .env("CHANJIAO_DATABASE_URL", url)
        .env("CHANJIAO_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let node = Node {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let c = client();
    let deadline = Instant::now() + Duration::from_secs(30);
    while c.get(format!("{}/readyz", node.base)).send().await.is_err() {
        assert!(Instant::now() < deadline, "node on {port} did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    node
}

/// Whether the node says it runs the background work.
async fn background(node: &Node) -> Option<bool> {
    let v: Value = client()
        .get(format!("{}/readyz", node.base))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    v["background"].as_bool()
}

/// Waits until exactly one of `nodes` runs the background work; returns which.
async fn leader(nodes: &[&Node]) -> usize {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut flags = Vec::new();
        for n in nodes {
            flags.push(background(n).await.unwrap_or(false));
        }
        if flags.iter().filter(|f| **f).count() == 1 {
            return flags.iter().position(|f| *f).unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "exactly one node should run the background work: {flags:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn two_nodes_share_sessions_and_one_runs_the_background_work() {
    // Nodes share a PostgreSQL database; SQLite is served by one process.
    let base = std::env::var("TEST_DATABASE_URL")
        .expect("TEST_DATABASE_URL: two nodes need a PostgreSQL database (scripts/test sets it)");
    assert!(!base.is_empty());
    let url = fresh_database(store::Backend::Postgres).await;
    let dir = std::env::temp_dir().join(format!(
        "cj-nodes-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    chanjiao(&dir, &url, &["migrate"], None);
    chanjiao(
        &dir,
        &url,
        &[
            "user",
            "add",
            "--username",
            "node_op",
            "--role",
            "operator",
            "--org",
            "operator",
            "--password-stdin",
        ],
        Some(PASSWORD),
    );
    let out = chanjiao(
        &dir,
        &url,
        &["token", "create", "--username", "node_op"],
        None,
    );
    let token = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string();
    assert!(token.starts_with("cjt_"), "{token}");

    let a = start(&dir, &url).await;
    let b = start(&dir, &url).await;
    let first = leader(&[&a, &b]).await;

    // A session made on A works on B (cookies are per host, not per port).
    let c = client();
    let html = c
        .get(format!("{}/login", a.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&html, "csrf").unwrap();
    let r = c
        .post(format!("{}/login", a.base))
        .form(&[
            ("username", "node_op"),
            ("password", PASSWORD),
            ("csrf", &csrf),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = c
        .get(format!("{}/admin/users", b.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the session from A signs in on B");
    assert!(r.text().await.unwrap().contains("node_op"));

    // Write load on both nodes; the background node is killed in the middle.
    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();
    let bases = [a.base.clone(), b.base.clone()];
    let stop_at = Instant::now() + Duration::from_millis(2500);
    let mut writers = Vec::new();
    for w in 0..6u32 {
        let (bases, token, acknowledged) = (bases.clone(), token.clone(), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            let c = client();
            let mut n = 0u32;
            while Instant::now() < stop_at {
                n += 1;
                let code = credit(&format!("91500103MA{:02}{:05}", w, n));
                let body = json!({"kind": "enterprise", "name": format!("重庆节点测试{w}号{n}有限公司"),
                    "code": code, "district": "500103", "industry": "C3612", "size": "small",
                    "ownership": "private"});
                let base = &bases[(n as usize + w as usize) % 2];
                let sent = c
                    .post(format!("{base}/api/v1/orgs"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await;
                if let Ok(r) = sent
                    && r.status() == 201
                {
                    acknowledged.lock().unwrap().push(code);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let (mut dead, survivor) = if first == 0 { (a, b) } else { (b, a) };
    dead.child.kill().unwrap(); // SIGKILL: no graceful shutdown
    dead.child.wait().unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 20,
        "the load wrote: {}",
        acknowledged.len()
    );

    // The survivor takes the background work over.
    assert_eq!(leader(&[&survivor]).await, 0);

    // Every acknowledged write is there.
    let db = store::Db::connect(&url).await.unwrap();
    for code in &acknowledged {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orgs WHERE code = $1")
            .bind(code)
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(n, 1, "acknowledged {code} was lost");
    }
    db.close().await;

    // And the audit chain, keyed by whichever node ran the work, verifies.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let out = chanjiao(&dir, &url, &["audit", "verify"], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("审计日志完整"), "{text}");
    assert!(
        text.contains("；最新 0 条尚未加签"),
        "every entry keyed: {text}"
    );
    drop(survivor);
    let _ = std::fs::remove_dir_all(&dir);
}
