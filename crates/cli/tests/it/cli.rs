//! The `chanjiao` command line, run as a real process.

use std::process::{Command, Output};

use store::Backend;

use crate::helpers::{backends, client, fresh_database};

fn chanjiao(url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    crate::helpers::chanjiao_in(None, url, args, stdin)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

#[tokio::test]
async fn user_token_audit_and_backup_commands() {
    for b in backends() {
        let url = fresh_database(b).await;
        let o = chanjiao(&url, &["migrate"], None);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let o = chanjiao(
            &url,
            &[
                "user",
                "add",
                "--username",
                "ops",
                "--role",
                "operator",
                "--org",
                "operator",
                "--password-stdin",
            ],
            Some("Cli-Passw0rd!\n"),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let o = chanjiao(
            &url,
            &[
                "user",
                "add",
                "--username",
                "ops",
                "--role",
                "operator",
                "--org",
                "operator",
                "--password-stdin",
            ],
            Some("Cli-Passw0rd!\n"),
        );
        assert_eq!(o.status.code(), Some(2), "duplicate user");
        assert!(String::from_utf8_lossy(&o.stderr).contains("已存在"));
        let o = chanjiao(
            &url,
            &[
                "user",
                "add",
                "--username",
                "x9z",
                "--role",
                "district",
                "--org",
                "999999",
            ],
            None,
        );
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains("找不到"));
        // District user by division code, with a generated password.
        let o = chanjiao(
            &url,
            &[
                "user",
                "add",
                "--username",
                "yuzhong1",
                "--role",
                "district",
                "--org",
                "500103",
            ],
            None,
        );
        assert!(o.status.success());
        assert!(stdout(&o).contains("初始密码"));

        let o = chanjiao(&url, &["token", "create", "--username", "ops"], None);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let out = stdout(&o);
        let token = out.trim_end().lines().last().unwrap().to_string();
        assert!(token.starts_with("cjt_"), "{out}");

        // The token works against a server on the same database.
        let db = store::Db::connect(&url).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = web::AppState::new(db.clone());
        tokio::spawn(async move { axum::serve(listener, web::app(state)).await.unwrap() });
        let r = client()
            .get(format!("http://{addr}/api/v1/orgs?kind=district"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);

        let o = chanjiao(&url, &["audit", "verify"], None);
        assert!(o.status.success());
        assert!(stdout(&o).contains("校验通过"));
        sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
            .execute(db.pool())
            .await
            .unwrap();
        let o = chanjiao(&url, &["audit", "verify"], None);
        assert_eq!(o.status.code(), Some(1));
        assert!(stdout(&o).contains("第2条"), "{}", stdout(&o));

        if b == Backend::Sqlite {
            let dest =
                std::env::temp_dir().join(format!("chanjiao-backup-{}.db", std::process::id()));
            let _ = std::fs::remove_file(&dest);
            let o = chanjiao(&url, &["backup", dest.to_str().unwrap()], None);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let copy = store::Db::connect(&format!("sqlite://{}", dest.display()))
                .await
                .unwrap();
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
                .fetch_one(copy.pool())
                .await
                .unwrap();
            assert_eq!(n, 2);
            let o = chanjiao(&url, &["backup", dest.to_str().unwrap()], None);
            assert_eq!(o.status.code(), Some(2), "refuses to overwrite");
            let _ = std::fs::remove_file(&dest);
        } else {
            // PostgreSQL has no file backup: refused before anything is written.
            let dest = std::env::temp_dir().join(format!("cj-never-{}.db", std::process::id()));
            let o = chanjiao(&url, &["backup", dest.to_str().unwrap()], None);
            assert!(!dest.exists(), "nothing written");
            assert_eq!(o.status.code(), Some(2));
            assert!(String::from_utf8_lossy(&o.stderr).contains("pg_dump"));
        }
    }
}

#[tokio::test]
async fn demo_loads_a_chongqing_shaped_dataset_once() {
    for b in backends() {
        let url = fresh_database(b).await;
        let o = Command::new(env!("CARGO_BIN_EXE_chanjiao"))
            .args(["demo", "--postings", "20000"])
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
        let out = stdout(&o);
        assert!(out.contains("企业 5000 家"), "{out}");
        assert!(
            out.contains("专业目录 1349 个专业") && out.contains("岗位需求 200"),
            "{out}"
        );
        for user in ["admin", "fgw", "yuzhong", "school", "enterprise", "bank"] {
            assert!(out.contains(user), "{user} in {out}");
        }
        let db = store::Db::connect(&url).await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orgs WHERE kind = 'school'")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(n, 120);
        let districts: i64 = sqlx::query_scalar(
            "SELECT COUNT(DISTINCT district) FROM orgs WHERE kind = 'enterprise'",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert!(
            districts >= 35,
            "enterprises spread over the districts: {districts}"
        );
        // Measure 5: every class appears in the latest year, each offering explained.
        let state = web::AppState::new(db.clone());
        let c = state.alignment.get(&state).await.unwrap();
        let year = c.latest_year().unwrap();
        assert_eq!(year, 2025);
        let mut seen = std::collections::BTreeSet::new();
        for (o, v) in c.ds.offerings.iter().zip(&c.classification.offerings) {
            if o.year == year {
                seen.insert(v.class.key());
            }
        }
        assert_eq!(seen.len(), 5, "classes in the demo: {seen:?}");
        // Histories are dated by their case, not the day the demo ran: every publicity names
        // an end after the line that opened it, and its conclusion comes after that end.
        let lines: Vec<(i64, i64, String, String)> = sqlx::query_as(
            "SELECT application_id, at, action, summary FROM application_events \
             ORDER BY application_id, id",
        )
        .fetch_all(db.pool())
        .await
        .unwrap();
        let day = |t: i64| {
            domain::calendar::shanghai_date(chrono::DateTime::from_timestamp(t, 0).unwrap())
        };
        let mut publicities = 0;
        for (i, (app, at, _, summary)) in lines.iter().enumerate() {
            let Some((_, rest)) = summary.split_once("公示期至") else {
                continue;
            };
            publicities += 1;
            let end_text = &rest[..rest.find('日').unwrap() + '日'.len_utf8()];
            let end = chrono::NaiveDate::parse_from_str(end_text, "%Y年%m月%d日").unwrap();
            assert!(day(*at) < end, "{app}: {summary}");
            let conclusion = lines[i + 1..]
                .iter()
                .take_while(|l| l.0 == *app)
                .find(|l| l.2 == "conclude_publicity");
            if let Some((_, c_at, _, c)) = conclusion {
                assert!(day(*c_at) > end, "{app}: {summary} / {c}");
            }
        }
        assert!(publicities >= 10, "{publicities}");
        let o = chanjiao(&url, &["demo"], None);
        assert!(stdout(&o).contains("跳过"));
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orgs WHERE kind = 'enterprise'")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(n, 5000);
        let v = store::audit::verify(&db).await.unwrap();
        assert!(v.problem.is_none());

        // The search index agrees with a plain scan on the bulk-loaded data, for two-character
        // (index-counted), longer, stop-bigram and one-character searches, with and without a
        // district.
        for (q, district) in [
            ("汽车", Some("500112")),
            ("汽车", None),
            ("智能装备", Some("500105")),
            ("有限", Some("500103")),
            ("软", None),
            ("云帆", None),
        ] {
            let filter = store::orgs::Filter {
                kind: None,
                district: district.map(str::to_string),
                q: Some(q.to_string()),
                programme: None,
            };
            let page = store::orgs::list(
                &db,
                &store::orgs::Scope::All,
                &filter,
                store::Paging::new(Some(1), Some(20)),
            )
            .await
            .unwrap();
            let mut sql = format!("SELECT COUNT(*) FROM orgs WHERE name LIKE '%{q}%'");
            if let Some(d) = district {
                sql.push_str(&format!(" AND district = '{d}'"));
            }
            let truth: i64 = sqlx::query_scalar(&sql).fetch_one(db.pool()).await.unwrap();
            assert!(truth > 0, "{q}");
            assert_eq!(page.total, truth, "{q} {district:?}");
            assert_eq!(page.items.len() as i64, truth.min(20));
            assert!(page.items.iter().all(|o| o.name.contains(q)));
            assert!(
                page.items.windows(2).all(|w| w[0].id < w[1].id),
                "ordered by id"
            );
        }
    }
}

/// Every command and subcommand, found by walking the "Commands:" lists of the help itself
/// (so a new one is covered without editing this test), has help naming the global options.
#[test]
fn every_command_has_help() {
    let mut todo: Vec<Vec<String>> = vec![Vec::new()];
    let mut seen = 0;
    while let Some(path) = todo.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let o = chanjiao("sqlite://unused.db", &args, None);
        assert!(o.status.success(), "{args:?}");
        let text = stdout(&o);
        assert!(text.contains("--database-url"), "{args:?}");
        seen += 1;
        let commands = text
            .lines()
            .skip_while(|l| l.trim() != "Commands:")
            .skip(1)
            .take_while(|l| !l.trim().is_empty());
        for line in commands {
            let name = line.split_whitespace().next().unwrap_or_default();
            if !name.is_empty() && name != "help" {
                let mut sub = path.clone();
                sub.push(name.to_string());
                todo.push(sub);
            }
        }
    }
    assert!(seen >= 20, "only {seen} commands found");
}
