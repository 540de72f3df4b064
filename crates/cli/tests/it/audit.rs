//! The hash-chained audit log.

use domain::orgs::OrgKind;
use store::audit;

use crate::helpers::{TestApp, backends, credit};

#[tokio::test]
async fn changes_are_chained_and_tampering_is_found() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        app.user("op1", "operator", "operator").await;
        for i in 0..5 {
            app.org(
                OrgKind::Enterprise,
                &credit(&format!("91500103MA5U7000{i}")),
                &format!("企业{i}"),
                "500103",
            )
            .await;
        }
        let v = audit::verify(&app.db).await.unwrap();
        assert!(v.problem.is_none(), "{:?}", v.problem);
        let total = app.audit_count().await;
        assert_eq!(v.entries, total);
        let e: audit::Entry = sqlx::query_as(
            "SELECT * FROM audit_log WHERE action = 'org.create' ORDER BY seq LIMIT 1",
        )
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        assert!(e.after_json.as_deref().unwrap().contains("企业0"));
        assert_eq!(e.actor, "test");

        // Alter one entry's content.
        sqlx::query("UPDATE audit_log SET after_json = '{}' WHERE seq = $1")
            .bind(e.seq)
            .execute(app.db.pool())
            .await
            .unwrap();
        let v = audit::verify(&app.db).await.unwrap();
        let p = v.problem.expect("tampering detected");
        assert_eq!(p.seq, e.seq);
        assert!(p.message.contains("篡改"));
    }
}

#[tokio::test]
async fn a_missing_entry_is_reported() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        for i in 0..4 {
            app.org(
                OrgKind::Enterprise,
                &credit(&format!("91500103MA5U7000{i}")),
                &format!("企业{i}"),
                "500103",
            )
            .await;
        }
        let total = app.audit_count().await;
        let victim = total - 1;
        sqlx::query("DELETE FROM audit_log WHERE seq = $1")
            .bind(victim)
            .execute(app.db.pool())
            .await
            .unwrap();
        let v = audit::verify(&app.db).await.unwrap();
        let p = v.problem.expect("gap detected");
        assert_eq!(p.seq, victim);
        assert!(p.message.contains("缺失"));
    }
}

#[tokio::test]
async fn concurrent_writers_keep_one_chain() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        let mut tasks = Vec::new();
        for i in 0..16 {
            let db = app.db.clone();
            tasks.push(tokio::spawn(async move {
                let mut tx = db.begin().await.unwrap();
                store::orgs::insert(
                    &mut tx,
                    &store::Actor::system("t"),
                    &store::orgs::NewOrg {
                        kind: OrgKind::Bank,
                        code: credit(&format!("91500103MA5U71{i:03}")),
                        name: format!("银行{i}"),
                        district: Some("500103".into()),
                        school_level: None,
                        industry: None,
                        size: None,
                        ownership: None,
                        unit_code: None,
                    },
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let v = audit::verify(&app.db).await.unwrap();
        assert!(v.problem.is_none(), "{:?}", v.problem);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'org.create'")
                .await,
            16
        );
    }
}

/// Two handles on one database (two processes, say a server and an import command) append in
/// turn, and a transaction rolls back after appending: the chain stays whole and in order.
#[tokio::test]
async fn writers_with_stale_heads_keep_one_chain() {
    for b in backends() {
        let url = crate::helpers::fresh_database(b).await;
        let one = store::Db::connect(&url).await.unwrap();
        one.migrate().await.unwrap();
        let two = store::Db::connect(&url).await.unwrap();
        let append = |db: store::Db, n: i64| async move {
            let mut tx = db.begin().await.unwrap();
            audit::record(
                &mut tx,
                &store::Actor::system("t"),
                "test.append",
                "test",
                &n.to_string(),
                None,
                None,
            )
            .await
            .unwrap();
            tx
        };
        for n in 0..6 {
            let db = if n % 2 == 0 { one.clone() } else { two.clone() };
            append(db, n).await.commit().await.unwrap();
        }
        // Appended, then rolled back: nothing of it may be remembered.
        drop(append(one.clone(), 100).await);
        append(one.clone(), 6).await.commit().await.unwrap();
        append(two.clone(), 7).await.commit().await.unwrap();
        let v = audit::verify(&one).await.unwrap();
        assert!(v.problem.is_none(), "{:?}", v.problem);
        let ids: Vec<(String,)> = sqlx::query_as(
            "SELECT entity_id FROM audit_log WHERE action = 'test.append' ORDER BY seq",
        )
        .fetch_all(one.pool())
        .await
        .unwrap();
        let ids: Vec<String> = ids.into_iter().map(|(s,)| s).collect();
        assert_eq!(ids, ["0", "1", "2", "3", "4", "5", "6", "7"]);
    }
}

// --- The keyed chain and anchors ------------------------------------------------------------

/// A key file in the temporary directory with `keys` (id, the byte its secret repeats) and
/// `current`; returns its ring.
fn key_ring(keys: &[(&str, u8)], current: &str) -> audit::KeyRing {
    let dir = std::env::temp_dir().join("chanjiao-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!(
        "keys-{}-{}.toml",
        std::process::id(),
        KEY_FILES.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let mut text = format!("current = \"{current}\"\n[keys]\n");
    for (id, byte) in keys {
        text.push_str(&format!(
            "{id} = \"{}\"\n",
            format!("{byte:02x}").repeat(32)
        ));
    }
    std::fs::write(&path, text).unwrap();
    audit::KeyRing::load(&path).unwrap()
}

static KEY_FILES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Adds `n` organisations (one audit entry each), numbered from `from`.
async fn add_orgs(app: &TestApp, from: usize, n: usize) {
    for i in from..from + n {
        app.org(
            OrgKind::Enterprise,
            &credit(&format!("91500103MA5U7{i:04}")),
            &format!("企业{i}"),
            "500103",
        )
        .await;
    }
}

/// What an attacker with write access to the database (and no key) does: changes entry `seq`'s
/// content and recomputes the unkeyed chain from it to the head.
async fn rewrite_with_chain(db: &store::Db, seq: i64) {
    let entries: Vec<audit::Entry> =
        sqlx::query_as("SELECT * FROM audit_log WHERE seq >= $1 ORDER BY seq")
            .bind(seq - 1)
            .fetch_all(db.pool())
            .await
            .unwrap();
    let mut prev = match entries.first() {
        Some(e) if e.seq == seq - 1 => e.hash.clone(),
        _ => audit::GENESIS_HASH.to_string(),
    };
    for mut e in entries.into_iter().filter(|e| e.seq >= seq) {
        if e.seq == seq {
            e.after_json = Some(r#"{"name":"改写"}"#.to_string());
        }
        e.prev_hash = prev;
        e.hash = e.compute_hash();
        sqlx::query(
            "UPDATE audit_log SET after_json = $1, prev_hash = $2, hash = $3 WHERE seq = $4",
        )
        .bind(&e.after_json)
        .bind(&e.prev_hash)
        .bind(&e.hash)
        .bind(e.seq)
        .execute(db.pool())
        .await
        .unwrap();
        prev = e.hash;
    }
}

async fn exec(db: &store::Db, sql: &str, seq: i64) {
    sqlx::query(sql).bind(seq).execute(db.pool()).await.unwrap();
}

#[tokio::test]
async fn rewriting_an_entry_with_its_chain_is_found_by_the_mac() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        add_orgs(&app, 0, 6).await;
        let ring = key_ring(&[("k1", 0x11)], "k1");
        let mut sealer = audit::Sealer::new(ring.clone());
        let sealed = sealer.seal(&app.db).await.unwrap();
        let total = app.audit_count().await;
        assert_eq!((sealed.keyed, sealed.head), (total, total));
        let v = audit::verify_with(&app.db, Some(&ring), &[]).await.unwrap();
        assert!(v.problem.is_none(), "{:?}", v.problem);
        assert_eq!((v.entries, v.keyed, v.unkeyed), (total, total, 0));
        assert!(v.macs_checked);

        let victim = total - 3;
        rewrite_with_chain(&app.db, victim).await;
        // The unkeyed chain alone no longer sees it …
        let v = audit::verify(&app.db).await.unwrap();
        assert!(
            v.problem.is_none(),
            "the chain was recomputed: {:?}",
            v.problem
        );
        // … the MACs do, at the rewritten entry.
        let v = audit::verify_with(&app.db, Some(&ring), &[]).await.unwrap();
        let p = v.problem.expect("rewriting detected by the MAC");
        assert_eq!(p.seq, victim);
        assert!(p.message.contains("MAC不符"), "{}", p.message);
        // Without the key the MACs are not checked (and say so).
        let v = audit::verify_with(&app.db, None, &[]).await.unwrap();
        assert!(!v.macs_checked);
        assert!(v.problem.is_none());
    }
}

#[tokio::test]
async fn deleting_the_newest_entries_is_found_with_an_anchor() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        add_orgs(&app, 0, 5).await;
        let ring = key_ring(&[("k1", 0x21)], "k1");
        let mut sealer = audit::Sealer::new(ring.clone());
        let anchor = audit::anchor(&app.db, &mut sealer).await.unwrap();
        let total = app.audit_count().await;
        assert_eq!(anchor.seq, total);
        assert_eq!(anchor.key_id, "k1");
        // The anchor survives being written out and read back.
        let read = audit::Anchor::parse_lines(&format!("{}\n\n", anchor.to_line())).unwrap();
        assert_eq!(read, std::slice::from_ref(&anchor), "read back");

        // Delete the newest three entries: their MACs give it away …
        exec(&app.db, "DELETE FROM audit_log WHERE seq > $1", total - 3).await;
        let v = audit::verify_with(&app.db, None, &[]).await.unwrap();
        let p = v.problem.expect("MACs above the last entry reported");
        assert_eq!(p.seq, total - 2);
        assert!(p.message.contains("MAC还在"), "{}", p.message);
        // … so delete those too.
        exec(&app.db, "DELETE FROM audit_macs WHERE seq > $1", total - 3).await;
        let v = audit::verify_with(&app.db, Some(&ring), &[]).await.unwrap();
        assert!(
            v.problem.is_none(),
            "a truncated log is whole without an anchor: {:?}",
            v.problem
        );
        for r in [Some(&ring), None] {
            let v = audit::verify_with(&app.db, r, std::slice::from_ref(&anchor))
                .await
                .unwrap();
            let p = v.problem.expect("truncation detected by the anchor");
            assert_eq!(p.seq, total - 2);
            assert!(p.message.contains("截断"), "{}", p.message);
            assert!(p.message.contains("最新的3条"), "{}", p.message);
        }
    }
}

/// The server keys whatever is not keyed: an attacker who rewrites entries, recomputes the chain
/// and deletes their MACs gets them keyed anew by a fresh sealer (a restarted server). The
/// MACs then verify, and the anchor taken before still finds the rewrite.
#[tokio::test]
async fn rewriting_before_an_anchor_is_found_even_when_keyed_anew() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        add_orgs(&app, 0, 4).await;
        let ring = key_ring(&[("k1", 0x31)], "k1");
        let anchor = audit::anchor(&app.db, &mut audit::Sealer::new(ring.clone()))
            .await
            .unwrap();
        add_orgs(&app, 4, 2).await;
        let victim = anchor.seq - 1;
        rewrite_with_chain(&app.db, victim).await;
        exec(&app.db, "DELETE FROM audit_macs WHERE seq >= $1", victim).await;
        audit::Sealer::new(ring.clone())
            .seal(&app.db)
            .await
            .unwrap();
        let v = audit::verify_with(&app.db, Some(&ring), &[]).await.unwrap();
        assert!(v.problem.is_none(), "keyed anew: {:?}", v.problem);
        for r in [Some(&ring), None] {
            let v = audit::verify_with(&app.db, r, std::slice::from_ref(&anchor))
                .await
                .unwrap();
            let p = v.problem.expect("rewriting before the anchor detected");
            assert_eq!(p.seq, anchor.seq);
            assert!(p.message.contains("与锚点不符"), "{}", p.message);
            assert!(p.message.contains("哈希链被重算"), "{}", p.message);
        }
        // An anchor changed by hand (here: moved back over the rewrite) fails its signature.
        let mut forged = anchor.clone();
        forged.seq = victim - 1;
        let v = audit::verify_with(&app.db, Some(&ring), &[forged])
            .await
            .unwrap();
        let p = v.problem.expect("forged anchor detected");
        assert!(p.message.contains("签名不符"), "{}", p.message);
    }
}

#[tokio::test]
async fn a_sealer_does_not_key_again_what_lost_its_macs() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        add_orgs(&app, 0, 5).await;
        let ring = key_ring(&[("k1", 0x41)], "k1");
        let mut sealer = audit::Sealer::new(ring.clone());
        let head = sealer.seal(&app.db).await.unwrap().head;
        exec(&app.db, "DELETE FROM audit_macs WHERE seq >= $1", head - 1).await;
        let sealed = sealer.seal(&app.db).await.unwrap();
        assert_eq!(sealed.rewound_from, Some(head));
        assert_eq!(sealed.keyed, 0);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_macs").await,
            head - 2,
            "nothing keyed anew"
        );
        // A MAC deleted below a keyed entry is a problem of its own.
        exec(&app.db, "DELETE FROM audit_macs WHERE seq = $1", 1).await;
        let v = audit::verify_with(&app.db, Some(&ring), &[]).await.unwrap();
        let p = v.problem.expect("a hole in the MACs is reported");
        assert_eq!(p.seq, 1);
        assert!(p.message.contains("MAC被删除"), "{}", p.message);
    }
}

#[tokio::test]
async fn rotated_keys_verify_and_a_missing_key_is_reported() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        add_orgs(&app, 0, 3).await;
        let first = key_ring(&[("k1", 0x51)], "k1");
        audit::Sealer::new(first.clone())
            .seal(&app.db)
            .await
            .unwrap();
        let under_k1 = app.audit_count().await;
        add_orgs(&app, 3, 3).await;
        let rotated = key_ring(&[("k1", 0x51), ("k2", 0x52)], "k2");
        audit::Sealer::new(rotated.clone())
            .seal(&app.db)
            .await
            .unwrap();
        let total = app.audit_count().await;
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_macs WHERE key_id = 'k2'")
                .await,
            total - under_k1
        );
        let v = audit::verify_with(&app.db, Some(&rotated), &[])
            .await
            .unwrap();
        assert!(v.problem.is_none(), "{:?}", v.problem);
        assert_eq!(v.key_ids, ["k1", "k2"]);
        assert_eq!(v.keyed, total);

        // The old key dropped from the file: its entries cannot be checked.
        let only_k2 = key_ring(&[("k2", 0x52)], "k2");
        let v = audit::verify_with(&app.db, Some(&only_k2), &[])
            .await
            .unwrap();
        let p = v.problem.expect("missing key id reported");
        assert_eq!(p.seq, 1);
        assert!(p.message.contains("“k1”不在密钥文件"), "{}", p.message);
        // The new key missing: the first entry it keyed is named.
        let v = audit::verify_with(&app.db, Some(&first), &[])
            .await
            .unwrap();
        let p = v.problem.expect("missing key id reported");
        assert_eq!(p.seq, under_k1 + 1);
        assert!(p.message.contains("“k2”"), "{}", p.message);
        // A different secret under the same id is a MAC that does not match.
        let wrong = key_ring(&[("k1", 0x51), ("k2", 0x53)], "k2");
        let v = audit::verify_with(&app.db, Some(&wrong), &[])
            .await
            .unwrap();
        assert_eq!(v.problem.expect("wrong secret").seq, under_k1 + 1);
    }
}

#[tokio::test]
async fn a_clean_log_verifies_with_and_without_an_anchor() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        add_orgs(&app, 0, 3).await;
        let ring = key_ring(&[("k1", 0x61)], "k1");
        let mut sealer = audit::Sealer::new(ring.clone());
        let anchor = audit::anchor(&app.db, &mut sealer).await.unwrap();
        add_orgs(&app, 3, 2).await;
        let total = app.audit_count().await;
        for r in [Some(&ring), None] {
            for anchors in [vec![], vec![anchor.clone()]] {
                let v = audit::verify_with(&app.db, r, &anchors).await.unwrap();
                assert!(v.problem.is_none(), "{:?}", v.problem);
                assert_eq!(v.entries, total);
                assert_eq!((v.keyed, v.unkeyed), (anchor.seq, total - anchor.seq));
                assert_eq!(v.anchors, anchors.len());
            }
        }
        // The anchored entry's MAC changed, then deleted: the anchor finds both, even without
        // the key.
        sqlx::query("UPDATE audit_macs SET mac = $1 WHERE seq = $2")
            .bind(audit::GENESIS_HASH)
            .bind(anchor.seq)
            .execute(app.db.pool())
            .await
            .unwrap();
        let v = audit::verify_with(&app.db, None, std::slice::from_ref(&anchor))
            .await
            .unwrap();
        let p = v.problem.expect("changed MAC at the anchor");
        assert_eq!(p.seq, anchor.seq);
        assert!(p.message.contains("MAC与锚点不符"), "{}", p.message);
        exec(&app.db, "DELETE FROM audit_macs WHERE seq = $1", anchor.seq).await;
        let v = audit::verify_with(&app.db, None, std::slice::from_ref(&anchor))
            .await
            .unwrap();
        let p = v.problem.expect("deleted MAC at the anchor");
        assert_eq!(p.seq, anchor.seq);
        assert!(p.message.contains("MAC已被删除"), "{}", p.message);
    }
}

/// Two servers on one database key at once: each entry is keyed once, in one chain.
#[tokio::test]
async fn two_sealers_key_each_entry_once() {
    for b in backends() {
        let url = crate::helpers::fresh_database(b).await;
        let one = store::Db::connect(&url).await.unwrap();
        one.migrate().await.unwrap();
        let two = store::Db::connect(&url).await.unwrap();
        let ring = key_ring(&[("k1", 0x71)], "k1");
        for round in 0..3 {
            for n in 0..40 {
                let mut tx = one.begin().await.unwrap();
                audit::record(
                    &mut tx,
                    &store::Actor::system("t"),
                    "test.append",
                    "test",
                    &format!("{round}-{n}"),
                    None,
                    None,
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
            }
            let before = audit::verify(&one).await.unwrap();
            let (mut s1, mut s2) = (
                audit::Sealer::new(ring.clone()),
                audit::Sealer::new(ring.clone()),
            );
            let (x, y) = tokio::join!(s1.seal(&one), s2.seal(&two));
            let (x, y) = (x.unwrap(), y.unwrap());
            assert_eq!(x.keyed + y.keyed, before.unkeyed, "round {round}");
            assert_eq!(x.head, y.head);
            let v = audit::verify_with(&one, Some(&ring), &[]).await.unwrap();
            assert!(v.problem.is_none(), "{:?}", v.problem);
            assert_eq!(v.unkeyed, 0);
        }
    }
}

/// A fresh database and its URL, for the command line (no server).
async fn on_fresh_database(b: store::Backend) -> (String, TestApp) {
    let url = crate::helpers::fresh_database(b).await;
    let db = store::Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let addr = "127.0.0.1:0".parse().unwrap();
    let app = TestApp {
        addr,
        db,
        db_url: url.clone(),
    };
    (url, app)
}

fn chanjiao(url: &str, key_file: Option<&std::path::Path>, args: &[&str]) -> std::process::Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_chanjiao"));
    c.args(args)
        .env("CHANJIAO_DATABASE_URL", url)
        .env("CHANJIAO_LOG", "error")
        .env_remove("CHANJIAO_AUDIT_KEY_FILE");
    if let Some(k) = key_file {
        c.env("CHANJIAO_AUDIT_KEY_FILE", k);
    }
    c.output().unwrap()
}

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `audit anchor --out FILE` and `audit verify --anchor FILE`, as an operator runs them.
#[tokio::test]
async fn anchor_and_verify_commands() {
    for b in backends() {
        let (url, app) = on_fresh_database(b).await;
        add_orgs(&app, 0, 4).await;
        let ring = key_ring(&[("k1", 0x81)], "k1");
        let dir = std::env::temp_dir().join("chanjiao-tests");
        let anchors = dir.join(format!("anchors-{}-{}.jsonl", std::process::id(), b as u8));
        let _ = std::fs::remove_file(&anchors);

        // Without a key (none configured, none beside the database): MACs not checked.
        let o = chanjiao(&url, None, &["audit", "verify"]);
        assert!(o.status.success(), "{}", text(&o));
        assert!(text(&o).contains("MAC 未校验"), "{}", text(&o));

        let o = chanjiao(
            &url,
            Some(ring.path()),
            &["audit", "anchor", "--out", anchors.to_str().unwrap()],
        );
        assert!(o.status.success(), "{}", text(&o));
        let line = String::from_utf8_lossy(&o.stdout).trim().to_string();
        let anchor = audit::Anchor::parse_lines(&line).unwrap().remove(0);
        let total = app.audit_count().await;
        assert_eq!(anchor.seq, total);
        assert_eq!(
            audit::Anchor::parse_lines(&std::fs::read_to_string(&anchors).unwrap()).unwrap(),
            vec![anchor.clone()],
            "appended to the file"
        );
        add_orgs(&app, 4, 2).await;
        let o = chanjiao(
            &url,
            Some(ring.path()),
            &["audit", "verify", "--anchor", anchors.to_str().unwrap()],
        );
        assert!(o.status.success(), "{}", text(&o));
        let out = text(&o);
        assert!(out.contains("校验通过"), "{out}");
        assert!(out.contains(&format!("MAC 校验通过：{total} 条")), "{out}");
        assert!(out.contains("最新 2 条尚未加签"), "{out}");
        assert!(out.contains(&format!("最新锚点：第{total}条")), "{out}");

        exec(&app.db, "DELETE FROM audit_log WHERE seq > $1", total - 2).await;
        exec(&app.db, "DELETE FROM audit_macs WHERE seq > $1", total - 2).await;
        let o = chanjiao(&url, Some(ring.path()), &["audit", "verify"]);
        assert!(o.status.success(), "without the anchor: {}", text(&o));
        let o = chanjiao(
            &url,
            Some(ring.path()),
            &["audit", "verify", "--anchor", anchors.to_str().unwrap()],
        );
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(text(&o).contains("截断"), "{}", text(&o));
        let _ = std::fs::remove_file(&anchors);
    }
}

/// With no key configured, `audit anchor` on SQLite creates one beside the database, readable
/// by its owner only, and `audit verify` finds it there.
#[tokio::test]
async fn a_key_is_created_beside_a_sqlite_database() {
    let (url, app) = on_fresh_database(store::Backend::Sqlite).await;
    add_orgs(&app, 0, 1).await;
    let path = audit::default_key_path(&url);
    assert!(
        path.to_string_lossy().ends_with(".db.audit-key"),
        "{}",
        path.display()
    );
    assert!(!path.exists());
    let o = chanjiao(&url, None, &["audit", "anchor"]);
    assert!(o.status.success(), "{}", text(&o));
    let ring = audit::KeyRing::load(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let o = chanjiao(&url, None, &["audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("MAC 校验通过"), "{}", text(&o));
    assert!(text(&o).contains(ring.current_id()), "{}", text(&o));
    let _ = std::fs::remove_file(&path);
}
