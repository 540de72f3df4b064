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
