//! Background jobs (`web::features::jobs`): deadline reminders, certification expiry and publicity ended,
//! each notice sent once, on the server's real state, on SQLite and PostgreSQL; one pass at a
//! time on PostgreSQL; `chanjiao jobs run-once` and `serve --jobs-interval`.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use domain::orgs::OrgKind;
use reqwest::Client;
use serde_json::{Value, json};
use store::{Actor, Backend};

use crate::helpers::{TestApp, backends, chanjiao_in, client, credit};

const SMART: &str = "渝中示例智造有限公司";
const SOFT: &str = "渝中示例软件有限公司";
const TRADE: &str = "渝中示例商贸有限公司";

struct World {
    app: TestApp,
    /// The state a pass runs on: the server's database, the shipped parameters and calendar.
    state: web::AppState,
    tokens: HashMap<&'static str, String>,
    c: Client,
}

impl World {
    async fn new(b: Backend) -> World {
        let app = TestApp::spawn(b).await;
        for (body, name) in [
            ("91500103MA5U70001", SMART),
            ("91500103MA5U70002", SOFT),
            ("91500103MA5U70003", TRADE),
        ] {
            app.org(OrgKind::Enterprise, &credit(body), name, "500103")
                .await;
        }
        let mut tokens = HashMap::new();
        let users: [(&'static str, &str, String); 12] = [
            ("ent", "enterprise", credit("91500103MA5U70001")),
            ("ent2", "enterprise", credit("91500103MA5U70002")),
            ("dis", "district", "500103".into()),
            ("fgw", "department", "fgw".into()),
            ("jw", "department", "jw".into()),
            ("jxw", "department", "jxw".into()),
            ("czj", "department", "czj".into()),
            ("rsj", "department", "rsj".into()),
            ("gzw", "department", "gzw".into()),
            ("sw", "department", "sw".into()),
            ("mzj", "department", "mzj".into()),
            ("op", "operator", "operator".into()),
        ];
        for (name, role, org) in users {
            let id = app.user(&format!("u_{name}"), role, &org).await;
            tokens.insert(name, app.token(id).await);
        }
        let state = web::AppState::new(app.db.clone());
        World {
            app,
            state,
            tokens,
            c: client(),
        }
    }

    async fn call(&self, who: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = self.app.url(&format!("/api/v1{path}"));
        let mut req = match method {
            "GET" => self.c.get(url),
            _ => self.c.post(url),
        };
        req = req.bearer_auth(&self.tokens[who]);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn create(&self, who: &str, kind: &str, data: Value) -> i64 {
        let (s, v) = self
            .call(
                who,
                "POST",
                "/applications",
                Some(json!({"kind": kind, "data": data})),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        v["id"].as_i64().unwrap()
    }

    async fn ok(&self, who: &str, id: i64, action: &str) -> Value {
        let (s, v) = self
            .call(who, "GET", &format!("/applications/{id}"), None)
            .await;
        assert_eq!(s, 200, "{who} reads {id}: {v}");
        let version = v["application"]["version"].as_i64().unwrap();
        let (s, v) = self
            .call(
                who,
                "POST",
                &format!("/applications/{id}/actions"),
                Some(json!({"action": action, "version": version, "text": "同意"})),
            )
            .await;
        assert_eq!(s, 200, "{who} {action} on {id}: {v}");
        v
    }

    /// A cultivation application of `who`, submitted: awaiting the district (区县初审).
    async fn cultivation_in_review(&self, who: &'static str) -> i64 {
        let id = self
            .create(
                who,
                "enterprise_cultivation",
                json!({"cooperation_summary": "与渝中区职教中心合作", "partner_schools": 2}),
            )
            .await;
        self.ok(who, id, "submit").await;
        id
    }

    /// `who` in the cultivation database (its cultivation approved).
    async fn cultivate(&self, who: &'static str) {
        let id = self.cultivation_in_review(who).await;
        self.ok("dis", id, "approve").await;
        let v = self.ok("fgw", id, "approve").await;
        assert_eq!(v["status"], "approved");
    }

    /// A certification of `who` (cultivated first), submitted.
    async fn certification_submitted(&self, who: &'static str) -> i64 {
        self.cultivate(who).await;
        let id = self
            .create(who, "enterprise_certification", cert_data())
            .await;
        self.ok(who, id, "submit").await;
        id
    }

    /// Sets application `id`'s current due date (the row, the awaited reviewers and the
    /// workflow state), as if its stage had begun earlier.
    async fn set_due(&self, id: i64, due: NaiveDate) {
        let due = iso(due);
        let app = store::applications::get(&self.app.db, id)
            .await
            .unwrap()
            .unwrap();
        let mut st: Value = serde_json::from_str(&app.state_json).unwrap();
        st["due"] = json!(due);
        for sql in [
            "UPDATE applications SET due_date = $1 WHERE id = $2",
            "UPDATE application_pending SET due_date = $1 WHERE application_id = $2",
        ] {
            sqlx::query(sql)
                .bind(&due)
                .bind(id)
                .execute(self.app.db.pool())
                .await
                .unwrap();
        }
        sqlx::query("UPDATE applications SET state_json = $1 WHERE id = $2")
            .bind(st.to_string())
            .bind(id)
            .execute(self.app.db.pool())
            .await
            .unwrap();
    }

    /// Moves application `id`'s grant (its history and decision time) to `day`, 10:00 Beijing.
    async fn granted_on(&self, id: i64, day: NaiveDate) {
        self.app.regrant(id, day).await;
    }

    /// An approved application of `kind` for the enterprise `name`, written through the store
    /// (a fixture: the history of an older grant), granted on `day`.
    async fn granted_fixture(&self, name: &str, kind: &str, day: NaiveDate) -> i64 {
        let org = self.org_id(name).await;
        let mut tx = self.app.db.begin().await.unwrap();
        let a = store::applications::create(
            &mut tx,
            &Actor::system("测试夹具"),
            &store::applications::NewApplication {
                kind: kind.into(),
                applicant_org_id: org,
                district: Some("500103".into()),
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
        self.granted_on(a.id, day).await;
        a.id
    }

    async fn org_id(&self, name: &str) -> i64 {
        sqlx::query_scalar::<_, i64>("SELECT id FROM orgs WHERE name = $1")
            .bind(name)
            .fetch_one(self.app.db.pool())
            .await
            .unwrap()
    }

    async fn title(&self, id: i64) -> String {
        sqlx::query_scalar::<_, String>("SELECT title FROM applications WHERE id = $1")
            .bind(id)
            .fetch_one(self.app.db.pool())
            .await
            .unwrap()
    }

    /// One pass as the server runs it.
    async fn pass(&self) -> web::features::jobs::Pass {
        let p = web::features::jobs::run_once(&self.state, &Actor::system("system"))
            .await
            .unwrap();
        assert!(!p.skipped, "nobody else runs a pass: {p:?}");
        p
    }

    /// How many inbox items say exactly `text`, and to whom: reviewer keys and organisation
    /// ids, sorted.
    async fn told(&self, text: &str) -> (Vec<String>, Vec<i64>) {
        let rows: Vec<(Option<String>, Option<i64>)> =
            sqlx::query_as("SELECT reviewer, org_id FROM inbox WHERE text = $1")
                .bind(text)
                .fetch_all(self.app.db.pool())
                .await
                .unwrap();
        let mut reviewers: Vec<String> = rows.iter().filter_map(|r| r.0.clone()).collect();
        let mut orgs: Vec<i64> = rows.iter().filter_map(|r| r.1).collect();
        reviewers.sort();
        orgs.sort();
        (reviewers, orgs)
    }
}

fn cert_data() -> Value {
    json!({
        "years_in_operation": 8, "credit_record_clean": true, "payroll_fen": 1_000_000_000i64,
        "staff_training_funds_fen": 20_000_000, "has_cooperation_unit": true, "co_built_majors": 3,
        "training_base": true, "apprenticeship_pilot": true, "order_class_students": 80, "cooperation_years": 5,
        "investment_fen": 300_000_000, "students_hosted": 120, "apprentices": 40, "teachers_trained": 30
    })
}

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn today() -> NaiveDate {
    domain::calendar::today_shanghai()
}

/// A due date as a reminder writes it: `3月5日`, with the year when it is not this year's.
fn short(d: NaiveDate) -> String {
    if d.year() == today().year() {
        format!("{}月{}日", d.month(), d.day())
    } else {
        domain::workflow::zh_date(d)
    }
}

fn param(key: &str) -> i64 {
    policy::ParamSet::embedded()
        .unwrap()
        .integer(key, today())
        .unwrap()
        .0
}

/// The counts of a pass: (due soon, overdue, expiring, expired, publicity ended, inbox items).
fn counts(p: &web::features::jobs::Pass) -> [i64; 6] {
    [
        p.deadline_soon,
        p.overdue,
        p.expiring,
        p.expired,
        p.publicity_ended,
        p.inbox_items,
    ]
}

fn reviewers(keys: &[&str]) -> (Vec<String>, Vec<i64>) {
    (keys.iter().map(|k| k.to_string()).collect(), Vec::new())
}

#[tokio::test]
async fn deadline_reminders_reach_each_awaited_reviewer_once() {
    let cal = domain::calendar::Calendar::shipped();
    let n = u32::try_from(param(web::features::jobs::REMINDER_WORKING_DAYS)).unwrap();
    for b in backends() {
        let w = World::new(b).await;
        // A certification at 牵头部门审核 awaits 市发展改革委 and 市教委; a cultivation
        // application at 区县初审 awaits the district.
        let cert = w.certification_submitted("ent").await;
        w.ok("dis", cert, "approve").await;
        let cult = w.cultivation_in_review("ent2").await;
        // Both are due weeks from now: nothing to say.
        assert_eq!(counts(&w.pass().await), [0; 6]);
        // One working day beyond the window: still nothing.
        w.set_due(cert, cal.add_working_days(today(), n + 1)).await;
        assert_eq!(counts(&w.pass().await), [0; 6]);

        // The window's last day, and three days overdue.
        let soon = cal.add_working_days(today(), n);
        let late = today() - chrono::Days::new(3);
        w.set_due(cert, soon).await;
        w.set_due(cult, late).await;
        let p = w.pass().await;
        assert_eq!(counts(&p), [1, 1, 0, 0, 0, 3], "{p:?}");
        assert_eq!(
            counts(&w.pass().await),
            [0; 6],
            "a second pass sends nothing"
        );
        let soon_text = format!(
            "《{}》（{SMART}）将于{}到期，请及时办理",
            w.title(cert).await,
            short(soon)
        );
        let late_text = format!(
            "《{}》（{SOFT}）已逾期（期限{}）",
            w.title(cult).await,
            short(late)
        );
        assert_eq!(
            w.told(&soon_text).await,
            reviewers(&["unit:fgw", "unit:jw"])
        );
        assert_eq!(w.told(&late_text).await, reviewers(&["district:500103"]));

        // One lead unit approves; the other is late now: told once more, and only it.
        w.ok("fgw", cert, "approve").await;
        let p = w.pass().await;
        assert_eq!(
            counts(&p),
            [0; 6],
            "the stage's due date did not change: {p:?}"
        );
        let yesterday = today() - chrono::Days::new(1);
        w.set_due(cert, yesterday).await;
        let p = w.pass().await;
        assert_eq!(counts(&p), [0, 1, 0, 0, 0, 1], "{p:?}");
        assert_eq!(counts(&w.pass().await), [0; 6]);
        let overdue_text = format!(
            "《{}》（{SMART}）已逾期（期限{}）",
            w.title(cert).await,
            short(yesterday)
        );
        assert_eq!(w.told(&overdue_text).await, reviewers(&["unit:jw"]));
        assert_eq!(w.told(&soon_text).await.0.len(), 2, "not repeated");

        // The reviewer reads it in the inbox.
        let jw = w.app.login("u_jw").await;
        let html = jw
            .get(w.app.url("/inbox"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains(&overdue_text), "{html}");
        assert!(html.contains(&soon_text), "{html}");
        // Each pass that sent something is in the audit log, with its counts; the chain holds.
        let runs: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT actor, entity_id, after_json FROM audit_log WHERE action = 'jobs.run' ORDER BY seq",
        )
        .fetch_all(w.app.db.pool())
        .await
        .unwrap();
        assert_eq!(runs.len(), 2, "{runs:?}");
        assert_eq!(runs[0].0, "system");
        assert_eq!(runs[0].1, iso(today()));
        let first: Value = serde_json::from_str(runs[0].2.as_deref().unwrap()).unwrap();
        assert_eq!(
            first,
            json!({"deadline_soon": 1, "overdue": 1, "inbox_items": 3})
        );
        let v = store::audit::verify(&w.app.db).await.unwrap();
        assert!(v.problem.is_none(), "{:?}", v.problem);
    }
}

#[tokio::test]
async fn publicity_end_and_certification_expiry_are_told_once() {
    let m = param(web::features::jobs::EXPIRY_REMINDER_DAYS);
    let days = |k: i64| {
        if k >= 0 {
            today() + chrono::Days::new(k as u64)
        } else {
            today() - chrono::Days::new(k.unsigned_abs())
        }
    };
    for b in backends() {
        let w = World::new(b).await;
        let smart = w.org_id(SMART).await;
        let cert = w.certification_submitted("ent").await;
        for unit in ["dis", "fgw", "jw", "jxw", "czj", "rsj", "gzw", "sw"] {
            w.ok(unit, cert, "approve").await;
        }
        // In publicity: nothing until its period is over, then its handler is told once.
        assert_eq!(counts(&w.pass().await), [0; 6]);
        w.set_due(cert, today() - chrono::Days::new(1)).await;
        let p = w.pass().await;
        assert_eq!(counts(&p), [0, 0, 0, 0, 1, 1], "{p:?}");
        assert_eq!(counts(&w.pass().await), [0; 6]);
        let ended = format!(
            "《{}》（{SMART}）公示期已满，可结束公示",
            w.title(cert).await
        );
        assert_eq!(w.told(&ended).await, reviewers(&["unit:fgw"]));
        w.ok("fgw", cert, "conclude_publicity").await;
        let v = w.ok("fgw", cert, "approve").await;
        assert_eq!(v["status"], "approved");
        // Certified today: valid for years, nothing to say.
        assert_eq!(counts(&w.pass().await), [0; 6]);

        // 软件: certified long ago, renewed by a re-evaluation whose period ends a little after
        // the reminder window: nothing to say either.
        // The grant whose period ends on `until` (a day off where month arithmetic must clamp,
        // e.g. 29 February), and the end it gives.
        let granted_for = |until: NaiveDate| {
            let g = until.succ_opt().unwrap() - chrono::Months::new(36);
            let end = web::features::applications::certification_valid_until(&w.state, g).unwrap();
            assert!((end - until).num_days().abs() <= 1, "{end} {until}");
            (g, end)
        };
        w.granted_fixture(SOFT, "enterprise_certification", days(-5 * 365))
            .await;
        let (renewed, _) = granted_for(days(m + 5));
        w.granted_fixture(SOFT, "reevaluation", renewed).await;
        assert_eq!(counts(&w.pass().await), [0; 6]);

        // 智造's certification now ends inside the window: told to apply for re-evaluation, once.
        let (granted, until) = granted_for(days(m - 5));
        w.granted_on(cert, granted).await;
        let p = w.pass().await;
        assert_eq!(counts(&p), [0, 0, 1, 0, 0, 1], "{p:?}");
        assert_eq!(counts(&w.pass().await), [0; 6]);
        let expiring = format!(
            "“产教融合型企业名单”登记有效期至{}，请在届满前申请复核评价",
            domain::workflow::zh_date(until)
        );
        assert_eq!(w.told(&expiring).await, (vec![], vec![smart]));

        // It ended three days ago without renewal: told so, once.
        let (granted, ended_on) = granted_for(days(-3));
        w.granted_on(cert, granted).await;
        let p = w.pass().await;
        assert_eq!(counts(&p), [0, 0, 0, 1, 0, 1], "{p:?}");
        assert_eq!(counts(&w.pass().await), [0; 6]);
        let expired = format!(
            "“产教融合型企业名单”登记已于{}到期，可重新申报认定",
            domain::workflow::zh_date(ended_on)
        );
        assert_eq!(w.told(&expired).await, (vec![], vec![smart]));
        assert_eq!(w.told(&expiring).await.1, vec![smart], "not repeated");

        // 商贸's certification was revoked: no expiry to announce.
        let trade = w
            .granted_fixture(TRADE, "enterprise_certification", granted_for(days(10)).0)
            .await;
        sqlx::query("UPDATE applications SET status = 'revoked' WHERE id = $1")
            .bind(trade)
            .execute(w.app.db.pool())
            .await
            .unwrap();
        assert_eq!(counts(&w.pass().await), [0; 6]);
        // Nobody but the enterprises concerned heard of certification periods.
        for like in ["%请在届满前申请复核评价", "%到期，可重新申报认定"] {
            let told: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbox WHERE text LIKE $1")
                .bind(like)
                .fetch_one(w.app.db.pool())
                .await
                .unwrap();
            assert_eq!(told, 1, "{like}");
        }
        // The enterprise reads it in its inbox.
        let ent = w.app.login("u_ent").await;
        let html = ent
            .get(w.app.url("/inbox"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains(&expired), "{html}");
        assert!(html.contains(&expiring), "{html}");
    }
}

#[tokio::test]
async fn one_pass_at_a_time_and_each_notice_once_across_nodes() {
    for b in backends() {
        let w = World::new(b).await;
        let cult = w.cultivation_in_review("ent2").await;
        let late = today() - chrono::Days::new(2);
        w.set_due(cult, late).await;
        let text = format!(
            "《{}》（{SOFT}）已逾期（期限{}）",
            w.title(cult).await,
            short(late)
        );
        if b == Backend::Postgres {
            // While another node runs a pass (holds the lock), this one skips its own.
            let held = store::jobs::PassLock::try_take(&w.app.db)
                .await
                .unwrap()
                .expect("the lock is free");
            let p = web::features::jobs::run_once(&w.state, &Actor::system("system"))
                .await
                .unwrap();
            assert!(p.skipped, "{p:?}");
            assert_eq!(counts(&p), [0; 6]);
            assert_eq!(w.told(&text).await, reviewers(&[]));
            held.release().await.unwrap();
        }
        // Four nodes (each its own connection pool) run a pass at once: the notice goes out once.
        let mut nodes = Vec::new();
        for _ in 0..4 {
            let db = store::Db::connect(&w.app.db_url).await.unwrap();
            nodes.push(web::AppState::new(db));
        }
        let actor = Actor::system("system");
        let passes = futures_join_all(&nodes, &actor).await;
        let sent: i64 = passes.iter().map(|p| p.overdue).sum();
        assert_eq!(sent, 1, "{passes:?}");
        assert_eq!(passes.iter().map(|p| p.inbox_items).sum::<i64>(), 1);
        assert_eq!(w.told(&text).await, reviewers(&["district:500103"]));
        assert_eq!(
            w.app
                .count("SELECT COUNT(*) FROM audit_log WHERE action = 'jobs.run'")
                .await,
            1
        );
        let v = store::audit::verify(&w.app.db).await.unwrap();
        assert!(v.problem.is_none(), "{:?}", v.problem);
        for n in &nodes {
            n.db.close().await;
        }
    }
}

/// Runs a pass on every node at once.
async fn futures_join_all(
    nodes: &[web::AppState],
    actor: &Actor,
) -> Vec<web::features::jobs::Pass> {
    let handles: Vec<_> = nodes
        .iter()
        .map(|s| {
            let (s, a) = (s.clone(), actor.clone());
            tokio::spawn(async move { web::features::jobs::run_once(&s, &a).await.unwrap() })
        })
        .collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn run_once_on_the_command_line_and_the_servers_schedule() {
    for b in backends() {
        let w = World::new(b).await;
        let cult = w.cultivation_in_review("ent2").await;
        let late = today() - chrono::Days::new(4);
        w.set_due(cult, late).await;
        let text = format!(
            "《{}》（{SOFT}）已逾期（期限{}）",
            w.title(cult).await,
            short(late)
        );
        let out = chanjiao_in(None, &w.app.db_url, &["jobs", "run-once"], None);
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("审核逾期提醒 1 件"), "{stdout}");
        assert!(stdout.contains("共发出消息 1 条"), "{stdout}");
        let out = chanjiao_in(None, &w.app.db_url, &["jobs", "run-once"], None);
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(out.status.success());
        assert!(stdout.contains("没有需要发送的提醒"), "{stdout}");
        assert_eq!(w.told(&text).await, reviewers(&["district:500103"]));
        let actor: String =
            sqlx::query_scalar("SELECT actor FROM audit_log WHERE action = 'jobs.run'")
                .fetch_one(w.app.db.pool())
                .await
                .unwrap();
        assert_eq!(actor, "cli");

        // The server runs passes on its own: another application falls due, and `serve` with a
        // one-second interval tells its reviewer.
        let cult2 = w.cultivation_in_review("ent").await;
        w.set_due(cult2, late).await;
        let text2 = format!(
            "《{}》（{SMART}）已逾期（期限{}）",
            w.title(cult2).await,
            short(late)
        );
        let dir = std::env::temp_dir().join(format!(
            "cj-jobs-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_chanjiao"))
            .args([
                "serve",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--jobs-interval",
                "1",
            ])
            .current_dir(&dir)
            .env("CHANJIAO_DATABASE_URL", &w.app.db_url)
            .env("CHANJIAO_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let mut got = (Vec::new(), Vec::new());
        while std::time::Instant::now() < deadline {
            got = w.told(&text2).await;
            if !got.0.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        // A few more passes come and go without repeating it.
        tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
        let _ = server.kill();
        let _ = server.wait();
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(got, reviewers(&["district:500103"]));
        assert_eq!(w.told(&text2).await, reviewers(&["district:500103"]));
        assert_eq!(w.told(&text).await, reviewers(&["district:500103"]));
        let system_runs = w
            .app
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'jobs.run' AND actor = 'system'")
            .await;
        assert_eq!(system_runs, 1);
    }
}
