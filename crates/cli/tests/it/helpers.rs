//! Spawning the app against a fresh database, and talking to it like a user would.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::Client;
use store::{Actor, Backend, Db};

static COUNTER: AtomicU64 = AtomicU64::new(0);

pub const PASSWORD: &str = "Test-Passw0rd!";

/// The backends every conformance test runs on: SQLite always, PostgreSQL when configured.
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        v.push(Backend::Postgres);
    }
    v
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
            % 1_000_000
    )
}

/// A fresh, empty database of the given backend; returns its URL.
pub async fn fresh_database(backend: Backend) -> String {
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join("chanjiao-tests");
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(format!("{}.db", unique("t")));
            format!("sqlite://{}?mode=rwc", path.display())
        }
        Backend::Postgres => {
            let base = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
            let name = unique("cj_test");
            sqlx::any::install_default_drivers();
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&base)
                .await
                .unwrap();
            sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
                .await
                .unwrap();
            let cut = base.rfind('/').expect("database URL has a path");
            format!("{}/{}", &base[..cut], name)
        }
    }
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub db: Db,
    /// The database's URL (for running `chanjiao` against it).
    pub db_url: String,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, web::Security::default()).await
    }

    /// An app with its own security settings (e.g. timeouts in seconds).
    pub async fn spawn_with(backend: Backend, security: web::Security) -> TestApp {
        let url = fresh_database(backend).await;
        TestApp::attach(url, security).await
    }

    /// An app on an existing database (e.g. one `chanjiao demo` filled).
    pub async fn attach(url: String, security: web::Security) -> TestApp {
        TestApp::attach_with(url, |state| state.security = security).await
    }

    /// An app on a fresh database whose state `configure` adjusts before it serves (e.g. an
    /// operator's policy parameters).
    pub async fn spawn_configured(
        backend: Backend,
        configure: impl FnOnce(&mut web::AppState),
    ) -> TestApp {
        let url = fresh_database(backend).await;
        TestApp::attach_with(url, configure).await
    }

    async fn attach_with(url: String, configure: impl FnOnce(&mut web::AppState)) -> TestApp {
        let db = Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut state = web::AppState::new(db.clone());
        configure(&mut state);
        tokio::spawn(async move {
            axum_serve(state, listener).await;
        });
        TestApp {
            addr,
            db,
            db_url: url,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Creates a user with [`PASSWORD`].
    pub async fn user(&self, username: &str, role: &str, org_code: &str) -> i64 {
        web::features::admin::add_user(
            &self.db,
            &Actor::system("test"),
            &web::features::admin::UserInput {
                username,
                display_name: username,
                role,
                org_code,
                password: Some(PASSWORD),
            },
        )
        .await
        .unwrap_or_else(|e| panic!("creating {username}: {e}"))
    }

    pub async fn token(&self, user_id: i64) -> String {
        web::auth::issue_token(&self.db, &Actor::system("test"), user_id, "测试")
            .await
            .unwrap()
    }

    /// Registers an organisation directly through the store, returning its id.
    pub async fn org(
        &self,
        kind: domain::orgs::OrgKind,
        code: &str,
        name: &str,
        district: &str,
    ) -> i64 {
        let mut tx = self.db.begin().await.unwrap();
        let o = store::orgs::insert(
            &mut tx,
            &Actor::system("test"),
            &store::orgs::NewOrg {
                kind,
                code: code.into(),
                name: name.into(),
                district: Some(district.into()),
                school_level: (kind == domain::orgs::OrgKind::School).then(|| "secondary".into()),
                industry: (kind == domain::orgs::OrgKind::Enterprise).then(|| "C3612".into()),
                size: (kind == domain::orgs::OrgKind::Enterprise).then(|| "small".into()),
                ownership: (kind == domain::orgs::OrgKind::Enterprise).then(|| "private".into()),
                unit_code: None,
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        o.id
    }

    /// A browser-like client with cookies, logged in as `username`.
    pub async fn login(&self, username: &str) -> Client {
        self.login_with(username, PASSWORD).await
    }

    /// A browser-like client logged in as `username` with `password`.
    pub async fn login_with(&self, username: &str, password: &str) -> Client {
        let c = client();
        let resp = self.try_login(&c, username, password).await;
        assert_eq!(resp.status(), 303, "login of {username} should redirect");
        c
    }

    pub async fn try_login(&self, c: &Client, username: &str, password: &str) -> reqwest::Response {
        let html = c
            .get(self.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden(&html, "csrf").expect("login form has a csrf field");
        c.post(self.url("/login"))
            .form(&[
                ("username", username),
                ("password", password),
                ("csrf", &csrf),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap()
    }

    pub async fn audit_count(&self) -> i64 {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_log")
            .fetch_one(self.db.pool())
            .await
            .unwrap()
    }

    /// Records `org_code` as a certified enterprise (an approved certification, written through
    /// the store as a fixture), so that kinds requiring certification may be opened.
    pub async fn certified(&self, org_code: &str) {
        let org = store::orgs::get_by_code(&self.db, org_code)
            .await
            .unwrap()
            .unwrap();
        let mut tx = self.db.begin().await.unwrap();
        store::applications::create(
            &mut tx,
            &store::Actor::system("测试夹具"),
            &store::applications::NewApplication {
                kind: "enterprise_certification".into(),
                applicant_org_id: org.id,
                district: org.district.clone(),
                title: "产教融合型企业认定申报".into(),
                year: None,
                status: "approved".into(),
                state_json: "{}".into(),
                data_json: "{}".into(),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        // Granted now: in force for its validity.
        sqlx::query(
            "UPDATE applications SET decided_at = created_at \
             WHERE applicant_org_id = $1 AND kind = 'enterprise_certification'",
        )
        .bind(org.id)
        .execute(self.db.pool())
        .await
        .unwrap();
        // The list of certified enterprises, as the server's backfill writes it.
        let state = web::AppState::new(self.db.clone());
        web::features::registers::backfill(&state).await.unwrap();
    }

    /// Moves application `id`'s decision to `day` (a fixture: an older grant), with what it
    /// wrote to registers: the validity then counts from `day`
    /// (`certification.validity_years`, shipped value).
    pub async fn regrant(&self, id: i64, day: chrono::NaiveDate) {
        let at = day.and_hms_opt(2, 0, 0).unwrap().and_utc().timestamp();
        for sql in [
            "UPDATE application_events SET at = $1 WHERE application_id = $2",
            "UPDATE applications SET decided_at = $1 WHERE id = $2",
        ] {
            sqlx::query(sql)
                .bind(at)
                .bind(id)
                .execute(self.db.pool())
                .await
                .unwrap();
        }
        let state = web::AppState::new(self.db.clone());
        let until = web::features::applications::certification_valid_until(&state, day).unwrap();
        let iso = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
        for sql in [
            "UPDATE register_events SET valid_from = $1, valid_until = $2 \
             WHERE application_id = $3 AND action IN ('add', 'extend')",
            "UPDATE register_entries SET valid_from = $1, valid_until = $2, status = 'active' \
             WHERE application_id = $3",
        ] {
            sqlx::query(sql)
                .bind(iso(day))
                .bind(iso(until))
                .bind(id)
                .execute(self.db.pool())
                .await
                .unwrap();
        }
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(self.db.pool())
            .await
            .unwrap()
    }
}

async fn axum_serve(state: web::AppState, listener: tokio::net::TcpListener) {
    // As `chanjiao serve` does: handlers see the peer address (login throttling).
    axum::serve(
        listener,
        web::app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
    .unwrap();
}

pub fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// `GET url` as the page client `c`: the body as text, whatever the status.
pub async fn text(c: &Client, url: &str) -> String {
    c.get(url).send().await.unwrap().text().await.unwrap()
}

/// `GET url` with a bearer token, answered 200, its JSON body.
pub async fn get_json(url: &str, token: &str) -> serde_json::Value {
    let r = client().get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 200, "GET {url}");
    r.json().await.unwrap()
}

/// The value of a hidden input in a page.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html.find(&needle)? + needle.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// A valid credit code from a 17-character body.
pub fn credit(body: &str) -> String {
    domain::CreditCode::from_body(body)
        .unwrap()
        .as_str()
        .to_string()
}

/// The rows of an XLSX workbook's sheet `sheet` (the first when `None`), each cell as text as
/// an import reads it: numbers without a needless `.0`, dates as `YYYY-MM-DD` (with ` HH:MM`
/// when they have a time).
pub fn xlsx_rows(bytes: &[u8], sheet: Option<&str>) -> Vec<Vec<String>> {
    use calamine::{Data, Reader};
    let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = match sheet {
        Some(name) => wb.worksheet_range(name).unwrap(),
        None => wb.worksheet_range_at(0).unwrap().unwrap(),
    };
    let text = |c: &Data| match c {
        Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        Data::DateTime(d) if !d.is_duration() => {
            let (y, mo, day, h, mi, _, _) = d.to_ymd_hms_milli();
            if d.as_f64().fract() == 0.0 {
                format!("{y:04}-{mo:02}-{day:02}")
            } else {
                format!("{y:04}-{mo:02}-{day:02} {h:02}:{mi:02}")
            }
        }
        other => other.to_string(),
    };
    range.rows().map(|r| r.iter().map(text).collect()).collect()
}

/// Runs the `chanjiao` binary on the database at `url` (in `dir` when given), with `stdin`.
pub fn chanjiao_in(
    dir: Option<&std::path::Path>,
    url: &str,
    args: &[&str],
    stdin: Option<&str>,
) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chanjiao"));
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    let mut child = cmd
        .args(args)
        .env("CHANJIAO_DATABASE_URL", url)
        .env("CHANJIAO_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

/// A database filled by `chanjiao demo`, the app on it, and the demo accounts (username,
/// password).
pub async fn demo_world(backend: store::Backend) -> (TestApp, Vec<(String, String)>) {
    let url = fresh_database(backend).await;
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_chanjiao"))
        .args(["demo", "--postings", "4000"])
        .env("CHANJIAO_DATABASE_URL", &url)
        .env("CHANJIAO_LOG", "error")
        .env(
            "CHANJIAO_DEMO_CATALOG",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/data/major-catalog-2021.csv"
            ),
        )
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    // Lines such as "  运营管理员   admin   密码 Cj…#7 重庆市…".
    let accounts: Vec<(String, String)> = out
        .lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let i = w.iter().position(|x| *x == "密码")?;
            Some((
                w.get(i.checked_sub(1)?)?.to_string(),
                w.get(i + 1)?.to_string(),
            ))
        })
        .collect();
    assert_eq!(accounts.len(), 7, "one account per role: {out}");
    let app = TestApp::attach(url, web::Security::default()).await;
    (app, accounts)
}
