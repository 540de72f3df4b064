//! Applications and reviews: certification (measure 3) and tax-credit claims (measure 12)
//! across roles, over the API and the pages, on SQLite and PostgreSQL.

use std::collections::HashMap;

use domain::orgs::OrgKind;
use reqwest::Client;
use serde_json::{Value, json};

use crate::helpers::{TestApp, backends, client, credit, hidden, xlsx_rows};

struct World {
    app: TestApp,
    tokens: HashMap<&'static str, String>,
    c: Client,
}

impl World {
    async fn new(b: store::Backend) -> World {
        World::on(TestApp::spawn(b).await).await
    }

    async fn on(app: TestApp) -> World {
        app.org(
            OrgKind::Enterprise,
            &credit("91500103MA5U70001"),
            "渝中示例智造有限公司",
            "500103",
        )
        .await;
        app.org(
            OrgKind::Enterprise,
            &credit("91500103MA5U70002"),
            "渝中示例软件有限公司",
            "500103",
        )
        .await;
        let mut tokens = HashMap::new();
        let users: [(&'static str, &str, String); 13] = [
            ("ent", "enterprise", credit("91500103MA5U70001")),
            ("ent2", "enterprise", credit("91500103MA5U70002")),
            ("dis", "district", "500103".into()),
            ("dis2", "district", "500106".into()),
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
        World {
            app,
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

    async fn version(&self, who: &str, id: i64) -> i64 {
        let (s, v) = self
            .call(who, "GET", &format!("/applications/{id}"), None)
            .await;
        assert_eq!(s, 200, "{who} reads {id}: {v}");
        v["application"]["version"].as_i64().unwrap()
    }

    async fn act(&self, who: &str, id: i64, action: &str, text: Option<&str>) -> (u16, Value) {
        let version = self.version(who, id).await;
        self.act_at(who, id, version, action, text).await
    }

    async fn act_at(
        &self,
        who: &str,
        id: i64,
        version: i64,
        action: &str,
        text: Option<&str>,
    ) -> (u16, Value) {
        self.call(
            who,
            "POST",
            &format!("/applications/{id}/actions"),
            Some(json!({"action": action, "version": version, "text": text})),
        )
        .await
    }

    async fn ok(&self, who: &str, id: i64, action: &str) -> Value {
        let (s, v) = self.act(who, id, action, Some("同意")).await;
        assert_eq!(s, 200, "{who} {action} on {id}: {v}");
        v
    }

    /// The kept queue counts equal the awaited rows, reviewer by reviewer.
    async fn assert_queue_counts_hold(&self) {
        let kept: Vec<(String, i64)> = sqlx::query_as(
            "SELECT reviewer, CAST(n AS BIGINT) FROM queue_counts WHERE n <> 0 ORDER BY reviewer",
        )
        .fetch_all(self.app.db.pool())
        .await
        .unwrap();
        let counted: Vec<(String, i64)> = sqlx::query_as(
            "SELECT reviewer, CAST(COUNT(*) AS BIGINT) FROM application_pending \
             GROUP BY reviewer ORDER BY reviewer",
        )
        .fetch_all(self.app.db.pool())
        .await
        .unwrap();
        assert_eq!(kept, counted);
        // The queue's total comes with its page's rows, and apart when the page is past the end.
        for (reviewer, n) in &counted {
            for page in [1, 1_000] {
                let q = store::applications::queue(
                    &self.app.db,
                    std::slice::from_ref(reviewer),
                    store::Paging { page, per_page: 2 },
                )
                .await
                .unwrap();
                assert_eq!(
                    (q.total, q.items.is_empty()),
                    (*n, page > 1),
                    "{reviewer} page {page}"
                );
            }
        }
    }

    /// Moves the current stage's end date into the past (publicity lasts working days).
    async fn end_publicity(&self, id: i64) {
        let app = store::applications::get(&self.app.db, id)
            .await
            .unwrap()
            .unwrap();
        let mut st: Value = serde_json::from_str(&app.state_json).unwrap();
        st["due"] = json!("2020-01-01");
        sqlx::query("UPDATE applications SET state_json = $1 WHERE id = $2")
            .bind(st.to_string())
            .bind(id)
            .execute(self.app.db.pool())
            .await
            .unwrap();
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

async fn cultivate(w: &World, who: &'static str) {
    let id = w
        .create(
            who,
            "enterprise_cultivation",
            json!({"cooperation_summary": "与渝中区职教中心合作", "partner_schools": 2}),
        )
        .await;
    w.ok(who, id, "submit").await;
    w.ok("dis", id, "approve").await;
    let v = w.ok("fgw", id, "approve").await;
    assert_eq!(v["status"], "approved");
}

/// The day `n` days before today (Shanghai), at 10:00 there, as a stored timestamp.
fn days_ago(n: i64) -> (chrono::NaiveDate, i64) {
    let d = domain::calendar::today_shanghai() - chrono::Duration::days(n);
    let ts = d.and_hms_opt(2, 0, 0).unwrap().and_utc().timestamp();
    (d, ts)
}

/// Stage deadlines are dated policy parameters an operator can change without a build: a
/// case keeps the values in force on the day it was filed, a case filed after the change
/// gets the new ones, and the application page shows each limit with its source.
#[tokio::test]
async fn stage_deadlines_are_parameters_dated_by_the_case() {
    let today = domain::calendar::today_shanghai();
    let (last_week, last_week_ts) = days_ago(7);
    let dir = std::env::temp_dir().join(format!(
        "chanjiao-workflow-params-{}-{}",
        std::process::id(),
        today
    ));
    std::fs::create_dir_all(&dir).unwrap();
    // From today the district review takes 3 working days and the 市发展改革委 review 2;
    // until yesterday they took 8 and 12.
    let period = |key: &str, before: i64, after: i64| {
        format!(
            "[{key}]\ndescription = \"测试：{key}（工作日）\"\ntype = \"integer\"\nunit = \"工作日\"\nmeasure = 3\n\
             [[{key}.values]]\nfrom = \"2019-01-01\"\nto = \"{}\"\nvalue = {before}\nsource = \"测试旧文件 第一条\"\nverified = true\n\
             [[{key}.values]]\nfrom = \"{today}\"\nvalue = {after}\nsource = \"测试新文件 第二条\"\nverified = false\n",
            today.pred_opt().unwrap()
        )
    };
    std::fs::write(
        dir.join("workflow.toml"),
        period("cultivation_district_review_days", 8, 3)
            + &period("cultivation_fgw_review_days", 12, 2),
    )
    .unwrap();
    let params = policy::ParamSet::with_overrides(&dir).unwrap();
    let cal = domain::calendar::Calendar::shipped();
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    for b in backends() {
        let params = std::sync::Arc::new(params.clone());
        let w = World::on(TestApp::spawn_configured(b, |s| s.params = params).await).await;
        let data = json!({"cooperation_summary": "与渝中区职教中心合作", "partner_schools": 2});
        // Filed today: the new district-review limit.
        let new = w
            .create("ent", "enterprise_cultivation", data.clone())
            .await;
        w.ok("ent", new, "submit").await;
        let (_, d) = w
            .call("dis", "GET", &format!("/applications/{new}"), None)
            .await;
        assert_eq!(
            d["application"]["due_date"],
            day(cal.add_working_days(today, 3))
        );
        // Filed a week ago (as if): the 市发展改革委 review it enters today has the old limit.
        let old = w.create("ent2", "enterprise_cultivation", data).await;
        w.ok("ent2", old, "submit").await;
        sqlx::query("UPDATE applications SET submitted_at = $1 WHERE id = $2")
            .bind(last_week_ts)
            .bind(old)
            .execute(w.app.db.pool())
            .await
            .unwrap();
        w.ok("dis", old, "approve").await;
        w.ok("dis", new, "approve").await;
        let due = |id: i64| {
            let w = &w;
            async move {
                let (_, d) = w
                    .call("fgw", "GET", &format!("/applications/{id}"), None)
                    .await;
                d["application"]["due_date"].clone()
            }
        };
        assert_eq!(due(old).await, day(cal.add_working_days(today, 12)));
        assert_eq!(due(new).await, day(cal.add_working_days(today, 2)));

        // The page explains each limit: the value, the parameter and its source, as of the
        // case's filing date.
        let page = |id: i64| {
            let w = &w;
            async move {
                let c = w.app.login("u_fgw").await;
                c.get(w.app.url(&format!("/applications/{id}")))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap()
            }
        };
        let html = page(old).await;
        assert!(
            html.contains(&format!(
                "按{}适用的政策参数",
                domain::workflow::zh_date(last_week)
            )),
            "{html}"
        );
        assert!(
            html.contains(
                "<td>市发展改革委审核</td><td>办理时限</td><td class=\"num\">12工作日</td>"
            ),
            "{html}"
        );
        assert!(html.contains("测试旧文件 第一条"));
        assert!(!html.contains("测试新文件"));
        let html = page(new).await;
        assert!(
            html.contains("<td>区县初审</td><td>办理时限</td><td class=\"num\">3工作日</td>"),
            "{html}"
        );
        assert!(html.contains("测试新文件 第二条 <span class=\"tag\">默认值，待确认</span>"));
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn certification_runs_through_every_stage_and_reaches_the_public_list() {
    for b in backends() {
        let w = World::new(b).await;
        // Certification requires being in the cultivation database first: checked when the
        // application is created.
        let (s, v) = w
            .call(
                "ent",
                "POST",
                "/applications",
                Some(json!({"kind": "enterprise_certification", "data": cert_data()})),
            )
            .await;
        assert_eq!(s, 409, "{v}");
        assert!(v["message"].as_str().unwrap().contains("须先取得"));
        cultivate(&w, "ent").await;
        // In the database now: a second cultivation application is refused.
        let (s, v) = w
            .call(
                "ent",
                "POST",
                "/applications",
                Some(json!({"kind": "enterprise_cultivation", "data": {}})),
            )
            .await;
        assert_eq!(s, 409, "{v}");
        assert!(
            v["message"].as_str().unwrap().contains("无需重复申报"),
            "{v}"
        );
        let id = w
            .create("ent", "enterprise_certification", cert_data())
            .await;
        let (s, _) = w
            .call("fgw", "GET", &format!("/applications/{id}"), None)
            .await;
        assert_eq!(s, 404, "reviewers do not see drafts");

        // Double submit: the second, with the same version, answers with what the first did.
        let v0 = w.version("ent", id).await;
        let (s1, a1) = w.act_at("ent", id, v0, "submit", None).await;
        let (s2, a2) = w.act_at("ent", id, v0, "submit", None).await;
        assert_eq!((s1, s2), (200, 200), "{a1} {a2}");
        assert_eq!(a1["version"], a2["version"]);
        let (_, d) = w
            .call("ent", "GET", &format!("/applications/{id}"), None)
            .await;
        assert_eq!(d["application"]["status"], "in_review");
        assert_eq!(
            d["decision"]["outcome"]["eligible"], true,
            "the certification rule ran at submit"
        );
        assert_eq!(d["pending"], json!(["district:500103"]));
        assert_eq!(
            d["events"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["action"] == "submit")
                .count(),
            1
        );

        // Outsiders see nothing; the wrong stage cannot act; the queue holds it.
        for who in ["ent2", "dis2", "mzj"] {
            let (s, _) = w
                .call(who, "GET", &format!("/applications/{id}"), None)
                .await;
            assert_eq!(s, 404, "{who}");
            let (s, _) = w.act_at(who, id, v0 + 1, "approve", None).await;
            assert_eq!(s, 404, "{who}");
        }
        let (s, v) = w.act("jw", id, "approve", None).await;
        assert_eq!(s, 409, "a later stage cannot act first: {v}");
        let (_, q) = w.call("dis", "GET", "/queue", None).await;
        assert_eq!(q["items"][0]["id"], id);
        assert_eq!(q["total"], 1);
        // Reviews judge the application as of the day it was submitted, under the standard in
        // force then, whatever day they fall on: as if it had been submitted on 2025-12-20
        // (渝发改社〔2019〕1781号 applied until 2025-12-25).
        let submitted = chrono::NaiveDate::from_ymd_opt(2025, 12, 20)
            .unwrap()
            .and_hms_opt(2, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp();
        sqlx::query("UPDATE applications SET submitted_at = $1 WHERE id = $2")
            .bind(submitted)
            .bind(id)
            .execute(w.app.db.pool())
            .await
            .unwrap();
        w.ok("dis", id, "approve").await;
        let (_, d) = w
            .call("dis", "GET", &format!("/applications/{id}"), None)
            .await;
        assert_eq!(
            d["decision"]["trace"][0]["inputs"]["application_date"], "2025-12-20",
            "{}",
            d["decision"]["trace"][0]
        );
        let (_, q) = w.call("dis", "GET", "/queue", None).await;
        assert_eq!(q["total"], 0);
        w.assert_queue_counts_hold().await;

        // Two lead units at once on the same version: one wins, the other is told, nothing lost.
        let v1 = w.version("fgw", id).await;
        let ((s_f, _), (s_j, e_j)) = tokio::join!(
            w.act_at("fgw", id, v1, "approve", None),
            w.act_at("jw", id, v1, "approve", None)
        );
        let mut statuses = [s_f, s_j];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{e_j}");
        let loser = if s_f == 409 { "fgw" } else { "jw" };
        let (_, q) = w.call(loser, "GET", "/queue", None).await;
        assert_eq!(q["total"], 1, "the loser still awaits it");
        w.assert_queue_counts_hold().await;
        w.ok(loser, id, "approve").await;
        let (_, d) = w
            .call("ent", "GET", &format!("/applications/{id}"), None)
            .await;
        assert_eq!(d["application"]["stage_code"], "joint_review");
        // The same unit cannot approve twice.
        for unit in ["jxw", "czj", "rsj", "gzw"] {
            w.ok(unit, id, "approve").await;
        }
        let (s, _) = w.act("jxw", id, "approve", None).await;
        assert_eq!(s, 409);
        w.ok("sw", id, "approve").await;

        // Publicity: objections, and no early end.
        let (_, d) = w
            .call("ent", "GET", &format!("/applications/{id}"), None)
            .await;
        assert_eq!(d["application"]["status"], "publicity");
        // Publicity lasts certification.publicity_working_days (5) working days, holidays excluded.
        let today = domain::calendar::today_shanghai();
        let end = domain::calendar::Calendar::shipped().add_working_days(today, 5);
        assert_eq!(
            d["application"]["due_date"],
            end.format("%Y-%m-%d").to_string()
        );
        let (s, v) = w.act("fgw", id, "conclude_publicity", None).await;
        assert_eq!(s, 409);
        assert!(v["message"].as_str().unwrap().contains("尚未结束"), "{v}");
        let (s, _) = w.act("ent", id, "object", Some("自己反对自己")).await;
        assert_eq!(s, 409, "the applicant cannot object");
        let (s, v) = w
            .act_at("ent2", id, 0, "object", Some("合作年限不实"))
            .await;
        assert_eq!(
            s, 404,
            "an enterprise outside the review cannot see it: {v}"
        );
        let (s, v) = w.act_at("mzj", id, 0, "object", Some("x")).await;
        assert_eq!(s, 404, "{v}");
        let (s, v) = w.act("jxw", id, "object", Some("订单班人数需核实")).await;
        assert_eq!(s, 200, "{v}");
        w.end_publicity(id).await;
        let (s, v) = w.act("fgw", id, "conclude_publicity", None).await;
        assert_eq!(s, 409, "an open objection blocks: {v}");
        let version = w.version("fgw", id).await;
        let (s, v) = w.call("fgw", "POST", &format!("/applications/{id}/actions"), Some(json!({"action": "resolve_objection", "version": version, "objection": 1, "upheld": false, "text": "经核实，人数属实"}))).await;
        assert_eq!(s, 200, "{v}");
        w.ok("fgw", id, "conclude_publicity").await;
        let v = w.ok("fgw", id, "approve").await;
        assert_eq!(v["status"], "approved");

        let r: Value = client()
            .get(w.app.url("/api/v1/certified?q=智造"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["total"], 1);
        assert_eq!(r["items"][0]["owner_name"], "渝中示例智造有限公司");
        assert_eq!(r["items"][0]["in_force"], true);
        let html = client()
            .get(w.app.url("/certified"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("渝中示例智造有限公司"));
        // Valid for the parameter's number of years (3 by default) from the day it was granted.
        let until_day = domain::calendar::today_shanghai()
            .checked_add_months(chrono::Months::new(36))
            .and_then(|d| d.pred_opt())
            .unwrap();
        let until = until_day.format("%Y-%m-%d").to_string();
        assert!(
            html.contains(&domain::workflow::zh_date(until_day)),
            "validity end {until} shown"
        );
        assert_eq!(r["items"][0]["valid_until"], until.as_str());
        // A certified enterprise reports yearly; the lead units review it.
        let report = w
            .create(
                "ent",
                "annual_report",
                json!({"year": 2025, "summary": "全年接收实习学生120人", "students_hosted": 120}),
            )
            .await;
        w.ok("ent", report, "submit").await;
        let v = w.ok("jw", report, "approve").await;
        assert_eq!(v["status"], "approved");
        let (_, d) = w
            .call("ent", "GET", &format!("/applications/{id}"), None)
            .await;
        assert!(
            d["events"].as_array().unwrap().len() >= 14,
            "full history kept"
        );
        // While the certification is in force a second one is refused, naming its end; once
        // it has lapsed (granted, as if, four years ago) the enterprise applies anew.
        let (s, v) = w
            .call(
                "ent",
                "POST",
                "/applications",
                Some(json!({"kind": "enterprise_certification", "data": cert_data()})),
            )
            .await;
        assert_eq!(s, 409, "{v}");
        assert!(
            v["message"].as_str().unwrap().contains(&format!(
                "有效期至{}",
                domain::workflow::zh_date(
                    chrono::NaiveDate::parse_from_str(&until, "%Y-%m-%d").unwrap()
                )
            )),
            "{v}"
        );
        let (long_ago, _) = days_ago(4 * 366);
        w.app.regrant(id, long_ago).await;
        w.create("ent", "enterprise_certification", cert_data())
            .await;
        let v = store::audit::verify(&w.app.db).await.unwrap();
        assert!(v.problem.is_none());
        w.assert_queue_counts_hold().await;
    }
}

#[tokio::test]
async fn returned_applications_resume_where_they_were_returned() {
    for b in backends() {
        let w = World::new(b).await;
        cultivate(&w, "ent2").await;
        let id = w
            .create("ent2", "enterprise_certification", cert_data())
            .await;
        w.ok("ent2", id, "submit").await;
        let (s, v) = w.act("dis", id, "return", None).await;
        assert_eq!(s, 422, "a return needs a comment: {v}");
        let (s, v) = w.act("dis", id, "return", Some("请补充合作协议")).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["status"], "returned");
        let (_, inbox) = (
            0,
            w.app
                .count("SELECT COUNT(*) FROM inbox WHERE text LIKE '%退回%'")
                .await,
        );
        assert!(inbox >= 1, "the applicant is told");
        // Resubmit with corrected data.
        let version = w.version("ent2", id).await;
        let mut data = cert_data();
        data["cooperation_years"] = json!(6);
        let (s, v) = w
            .call(
                "ent2",
                "POST",
                &format!("/applications/{id}/actions"),
                Some(json!({"action": "resubmit", "version": version, "data": data})),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["status"], "in_review");
        assert_eq!(v["stage_code"], "district_review");
        let (_, d) = w
            .call("ent2", "GET", &format!("/applications/{id}"), None)
            .await;
        assert_eq!(
            d["application"]["data_json"]
                .as_str()
                .map(|s| s.contains("\"cooperation_years\":6")),
            Some(true)
        );
        // Withdraw, then nothing more.
        w.ok("ent2", id, "withdraw").await;
        let (s, _) = w.act("dis", id, "approve", None).await;
        assert_eq!(s, 409);
    }
}

/// Certifies `who` through every stage (its cultivation first).
async fn certify(w: &World, who: &'static str) -> i64 {
    cultivate(w, who).await;
    let id = w.create(who, "enterprise_certification", cert_data()).await;
    w.ok(who, id, "submit").await;
    for unit in ["dis", "fgw", "jw", "jxw", "czj", "rsj", "gzw", "sw"] {
        w.ok(unit, id, "approve").await;
    }
    w.end_publicity(id).await;
    w.ok("fgw", id, "conclude_publicity").await;
    w.ok("fgw", id, "approve").await;
    id
}

/// The names of the organisations a list call answers.
fn names(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The organisations list filters by standing in the programme (in the cultivation database,
/// certified and in force), in the API and the page; an organisation's page shows its standing
/// and its applications to those who may see them, and nothing of them to others.
#[tokio::test]
async fn organisations_show_and_filter_by_programme_standing() {
    for b in backends() {
        let w = World::new(b).await;
        cultivate(&w, "ent2").await;
        let cert = certify(&w, "ent").await;
        let list = |programme: &'static str| {
            let w = &w;
            async move {
                let (s, v) = w
                    .call("op", "GET", &format!("/orgs?programme={programme}"), None)
                    .await;
                assert_eq!(s, 200, "{v}");
                names(&v)
            }
        };
        assert_eq!(list("certified").await, ["渝中示例智造有限公司"]);
        assert_eq!(list("cultivated").await, ["渝中示例软件有限公司"]);
        let (s, v) = w.call("op", "GET", "/orgs?programme=famous", None).await;
        assert_eq!(s, 422, "{v}");
        // A district sees the filter within its area only.
        let (_, v) = w
            .call("dis2", "GET", "/orgs?programme=certified", None)
            .await;
        assert_eq!(names(&v), Vec::<String>::new());
        // Once the certification has lapsed (granted, as if, four years ago) it is not listed.
        let (long_ago, _) = days_ago(4 * 366);
        w.app.regrant(cert, long_ago).await;
        assert_eq!(list("certified").await, Vec::<String>::new());
        // Kinds that need the certification in force refuse a lapsed one, saying since when.
        for kind in ["reevaluation", "national_recommendation"] {
            let (s, v) = w
                .call(
                    "ent",
                    "POST",
                    "/applications",
                    Some(json!({"kind": kind, "data": {}})),
                )
                .await;
            assert_eq!(s, 409, "{kind}: {v}");
            assert!(
                v["message"]
                    .as_str()
                    .unwrap()
                    .contains("不在有效期内（已于"),
                "{kind}: {v}"
            );
        }
        // The page: its standing and applications for a reviewer of them.
        let org_id: i64 = w
            .app
            .count("SELECT id FROM orgs WHERE name = '渝中示例智造有限公司'")
            .await;
        let page = |user: &'static str| {
            let w = &w;
            async move {
                let c = w.app.login(user).await;
                let r = c
                    .get(w.app.url(&format!("/orgs/{org_id}")))
                    .send()
                    .await
                    .unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            }
        };
        let (s, html) = page("u_fgw").await;
        assert_eq!(s, 200);
        assert!(html.contains("产教融合办理情况"), "{html}");
        assert!(html.contains("产教融合型企业培育库入库申请"), "{html}");
        assert!(html.contains("认定已于"), "lapsed: {html}");
        assert!(html.contains("申报记录（共 2 件）"), "{html}");
        // 市民政局 reviews none of these kinds: it sees the organisation, not its applications.
        let (s, html) = page("u_mzj").await;
        assert_eq!(s, 200);
        assert!(!html.contains("产教融合办理情况"), "{html}");
        assert!(!html.contains("申报记录"), "{html}");
        // The enterprise itself sees what it has to do: apply anew.
        let (_, html) = page("u_ent").await;
        assert!(html.contains("可重新申报产教融合型企业认定"), "{html}");
    }
}

#[tokio::test]
async fn tax_claim_is_verified_and_the_ledger_follows() {
    for b in backends() {
        let w = World::new(b).await;
        cultivate(&w, "ent").await;
        // Certify quickly through every stage.
        let id = w
            .create("ent", "enterprise_certification", cert_data())
            .await;
        w.ok("ent", id, "submit").await;
        for who in ["dis", "fgw", "jw", "jxw", "czj", "rsj", "gzw", "sw"] {
            w.ok(who, id, "approve").await;
        }
        w.end_publicity(id).await;
        w.ok("fgw", id, "conclude_publicity").await;
        w.ok("fgw", id, "approve").await;

        // A claim before certification is refused; after it, the ledger computes the year.
        let (s, v) = w.call("ent2", "POST", "/applications", Some(json!({"kind": "tax_credit_claim", "data": {"year": 2026, "investment_fen": 1}}))).await;
        assert_eq!(s, 409, "{v}");
        assert!(v["message"].as_str().unwrap().contains("须先取得"), "{v}");
        // A certified enterprise is past the cultivation database.
        let (s, v) = w
            .call(
                "ent",
                "POST",
                "/applications",
                Some(json!({"kind": "enterprise_cultivation", "data": {}})),
            )
            .await;
        assert_eq!(s, 409, "{v}");
        assert!(v["message"].as_str().unwrap().contains("已取得"), "{v}");
        let year = domain::calendar::today_shanghai()
            .format("%Y")
            .to_string()
            .parse::<i64>()
            .unwrap();
        let claim = w
            .create("ent", "tax_credit_claim", json!({"year": year, "investment_fen": 10_000_000, "tax_base_fen": 100_000_000, "evidence": "投资协议及付款凭证"}))
            .await;
        w.ok("ent", claim, "submit").await;
        // One claim per enterprise and year: a second one is refused while the first is open.
        let (s, v) = w
            .call(
                "ent",
                "POST",
                "/applications",
                Some(json!({"kind": "tax_credit_claim", "data": {"year": year, "investment_fen": 1}})),
            )
            .await;
        assert_eq!(s, 409, "{v}");
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .contains(&format!("编号 {claim}")),
            "{v}"
        );
        let (s, _) = w.act_at("fgw", claim, 2, "approve", None).await;
        assert_eq!(s, 404, "only the tax bureau verifies claims");
        let v = w.ok("sw", claim, "approve").await;
        assert_eq!(v["status"], "approved");
        let (_, d) = w
            .call("ent", "GET", &format!("/applications/{claim}"), None)
            .await;
        let y = &d["decision"]["outcome"]["years"][0];
        assert_eq!(y["eligible"], true);
        assert_eq!(y["new_credit_fen"], 3_000_000);
        assert_eq!(y["used_edu_fen"], 1_800_000);
        assert_eq!(y["used_local_fen"], 1_200_000);
        assert_eq!(y["carry_out_fen"], 0);
        let (_, d) = w
            .call("ent2", "GET", &format!("/applications/{claim}"), None)
            .await;
        assert_eq!(
            d["code"], "not_found",
            "another enterprise never sees a claim"
        );

        // The enterprise's ledger across years, with rows 5, 6 and 7, on the page and in XLSX.
        let ent = w.app.login("u_ent").await;
        let html = ent
            .get(w.app.url("/tax/ledger"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("第7行") && html.contains("30,000.00"),
            "{html}"
        );
        let bytes = ent
            .get(w.app.url("/tax/ledger.xlsx"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let rows = xlsx_rows(&bytes, Some("抵免台账"));
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1][0], year.to_string());
        assert_eq!(rows[1][4], "30000", "yuan in a number cell");
        assert_eq!(
            ent.get(w.app.url("/tax/claims"))
                .send()
                .await
                .unwrap()
                .status(),
            403
        );
        // The tax bureau sees every claim with totals by district and year.
        let sw = w.app.login("u_sw").await;
        let html = sw
            .get(w.app.url(&format!("/tax/claims?year={year}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("渝中区") && html.contains("30,000.00元"),
            "{html}"
        );
        assert_eq!(
            w.app
                .login("u_jw")
                .await
                .get(w.app.url("/tax/claims"))
                .send()
                .await
                .unwrap()
                .status(),
            403
        );

        // A year before the credit's parameters begin is refused at submission, saying why.
        let early = w
            .create(
                "ent",
                "tax_credit_claim",
                json!({"year": 1994, "investment_fen": 1_000}),
            )
            .await;
        let (s, v) = w.act("ent", early, "submit", None).await;
        assert_eq!(s, 409, "{v}");
        assert!(
            v["message"].as_str().unwrap().contains("不在政策施行期内"),
            "{v}"
        );
        // A correction reopens the approved claim — the same application, with its history.
        // While it is being corrected the year counts nowhere (claims and ledger agree); once
        // resubmitted with the new figure and verified again, both count the new amount.
        let (s, v) = w.act("sw", claim, "correct", Some("核定有误")).await;
        assert_eq!(s, 409, "only the applicant corrects: {v}");
        let (s, v) = w.act("ent", claim, "correct", None).await;
        assert_eq!(s, 422, "a correction says why: {v}");
        let (s, v) = w
            .act("ent", claim, "correct", Some("漏报一笔实训设备投资"))
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["status"], "returned");
        let claims_page = |who: &'static str| {
            let w = &w;
            async move {
                w.app
                    .login(who)
                    .await
                    .get(w.app.url(&format!("/tax/claims?year={year}")))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap()
            }
        };
        let ledger_page = || {
            let w = &w;
            async move {
                w.app
                    .login("u_ent")
                    .await
                    .get(w.app.url("/tax/ledger"))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap()
            }
        };
        assert!(!claims_page("u_sw").await.contains("30,000.00元"));
        assert!(!ledger_page().await.contains("30,000.00"));
        let version = w.version("ent", claim).await;
        let (s, v) = w
            .call(
                "ent",
                "POST",
                &format!("/applications/{claim}/actions"),
                Some(json!({"action": "resubmit", "version": version, "data": {
                    "year": year, "investment_fen": 12_000_000, "tax_base_fen": 100_000_000,
                    "evidence": "投资协议、付款凭证及补充的设备发票"}})),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["status"], "in_review");
        w.ok("sw", claim, "approve").await;
        let (_, d) = w
            .call("ent", "GET", &format!("/applications/{claim}"), None)
            .await;
        let history: Vec<&str> = d["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["summary"].as_str().unwrap())
            .collect();
        assert!(
            history
                .iter()
                .any(|h| h.contains("申请更正") && h.contains("漏报一笔实训设备投资")),
            "{history:?}"
        );
        assert!(
            history
                .iter()
                .any(|h| h.contains("当年兴办职业教育投资额（元）：100,000.00元 → 120,000.00元")),
            "{history:?}"
        );
        assert!(claims_page("u_sw").await.contains("36,000.00元"));
        assert!(ledger_page().await.contains("36,000.00"));

        // Validity bounds credit: the certification granted today holds for
        // `certification.validity_years` (3); a claim for the year it lapses earns nothing.
        let lapsed = year + 3;
        let late = w
            .create("ent", "tax_credit_claim", json!({"year": lapsed, "investment_fen": 10_000_000, "tax_base_fen": 100_000_000, "evidence": "投资协议"}))
            .await;
        w.ok("ent", late, "submit").await;
        w.ok("sw", late, "approve").await;
        let (_, d) = w
            .call("ent", "GET", &format!("/applications/{late}"), None)
            .await;
        let years = d["decision"]["outcome"]["years"].as_array().unwrap();
        let row = years.iter().find(|y| y["year"] == lapsed).unwrap();
        assert_eq!(row["eligible"], false, "{row}");
        assert_eq!(row["new_credit_fen"], 0, "{row}");
        let before = years.iter().find(|y| y["year"] == year).unwrap();
        assert_eq!(before["eligible"], true, "{before}");

        // Revocation takes the enterprise off the public list.
        let (s, v) = w.act("fgw", id, "revoke", Some("年度报告未按期提交")).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["status"], "revoked");
        let r: Value = client()
            .get(w.app.url("/api/v1/certified"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["total"], 0);
    }
}

#[tokio::test]
async fn attachments_are_checked_by_content_and_size() {
    let w = World::new(store::Backend::Sqlite).await;
    let id = w
        .create(
            "ent",
            "enterprise_cultivation",
            json!({"partner_schools": 1}),
        )
        .await;
    let c = w.app.login("u_ent").await;
    let html = c
        .get(w.app.url(&format!("/applications/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&html, "csrf").unwrap();
    let upload = |name: &'static str, bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name),
            );
        c.post(w.app.url(&format!("/applications/{id}/attachments")))
            .multipart(form)
            .send()
    };
    let r = upload("协议.pdf", b"%PDF-1.7\n%test\n".to_vec())
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = upload("伪装.pdf", b"MZ\x90\x00 not a pdf".to_vec())
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("附件类型不支持"));
    // One byte over the limit is refused; exactly at it is stored.
    let max = web::features::applications::MAX_ATTACHMENT;
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(max + 1, b'0');
    let r = upload("大文件.pdf", big).await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("附件超过10MB上限"));
    let n = w.app.count("SELECT COUNT(*) FROM attachments").await;
    assert_eq!(n, 1, "only the valid file was stored");
    let mut at_limit = b"%PDF-1.7\n".to_vec();
    at_limit.resize(max, b'0');
    let r = upload("恰好上限.pdf", at_limit).await.unwrap();
    assert_eq!(r.status(), 303);
    let n = w.app.count("SELECT COUNT(*) FROM attachments").await;
    assert_eq!(n, 2, "a file of exactly the limit is stored");
    let html = c
        .get(w.app.url(&format!("/applications/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("协议.pdf"));
    // Another enterprise cannot fetch it.
    let c2 = w.app.login("u_ent2").await;
    let r = c2
        .get(w.app.url(&format!("/applications/{id}/attachments/1")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = c
        .get(w.app.url(&format!("/applications/{id}/attachments/1")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"%PDF-1.7\n%test\n");
}

#[tokio::test]
async fn review_pages_work_without_javascript() {
    let w = World::new(store::Backend::Sqlite).await;
    let ent = w.app.login("u_ent").await;
    let html = ent
        .get(w.app.url("/applications/new?kind=enterprise_cultivation"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&html, "csrf").unwrap();
    let r = ent
        .post(w.app.url("/applications/new"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("kind", "enterprise_cultivation"),
            ("partner_schools", "-3"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("应为非负整数"));
    let r = ent
        .post(w.app.url("/applications/new"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("kind", "enterprise_cultivation"),
            ("partner_schools", "2"),
            ("cooperation_summary", "合作办学"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let html = ent
        .get(w.app.url(&loc))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let version = hidden(&html, "version").unwrap();
    let r = ent
        .post(w.app.url(&format!("{loc}/act")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("version", version.as_str()),
            ("action", "submit"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let dis = w.app.login("u_dis").await;
    let q = dis
        .get(w.app.url("/queue"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(q.contains("渝中示例智造有限公司"), "{q}");
    let html = dis
        .get(w.app.url(&loc))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("审核通过"));
    let dcsrf = hidden(&html, "csrf").unwrap();
    let version = hidden(&html, "version").unwrap();
    // A stale version gets a clear conflict message, and nothing changes.
    let stale = (version.parse::<i64>().unwrap() - 1).to_string();
    let r = dis
        .post(w.app.url(&format!("{loc}/act")))
        .form(&[
            ("csrf", dcsrf.as_str()),
            ("version", stale.as_str()),
            ("action", "approve"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("请刷新"));
    let r = dis
        .post(w.app.url(&format!("{loc}/act")))
        .form(&[
            ("csrf", dcsrf.as_str()),
            ("version", version.as_str()),
            ("action", "approve"),
            ("text", "材料齐全"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let inbox = ent
        .get(w.app.url("/inbox"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        inbox.contains("入库培育") || inbox.contains("培育库"),
        "{inbox}"
    );
}

#[tokio::test]
async fn every_application_route_is_404_for_the_wrong_organisation() {
    let w = World::new(store::Backend::Sqlite).await;
    let id = w
        .create(
            "ent",
            "enterprise_cultivation",
            json!({"partner_schools": 1}),
        )
        .await;
    let c = w.app.login("u_ent").await;
    let html = c
        .get(w.app.url(&format!("/applications/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&html, "csrf").unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"%PDF-1.4 x".to_vec()).file_name("a.pdf"),
        );
    c.post(w.app.url(&format!("/applications/{id}/attachments")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let other = w.app.login("u_ent2").await;
    let html = other
        .get(w.app.url("/applications"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let ocsrf = hidden(&html, "csrf").unwrap();
    assert!(
        !html.contains(&format!("/applications/{id}\"")),
        "not listed for another enterprise"
    );
    for path in [
        format!("/applications/{id}"),
        format!("/applications/{id}/edit"),
        format!("/applications/{id}/attachments/1"),
    ] {
        assert_eq!(
            other.get(w.app.url(&path)).send().await.unwrap().status(),
            404,
            "{path}"
        );
    }
    for path in [
        format!("/applications/{id}/act"),
        format!("/applications/{id}/edit"),
    ] {
        let r = other
            .post(w.app.url(&path))
            .form(&[
                ("csrf", ocsrf.as_str()),
                ("version", "1"),
                ("action", "withdraw"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    let form = reqwest::multipart::Form::new()
        .text("csrf", ocsrf.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"%PDF-1.4 y".to_vec()).file_name("b.pdf"),
        );
    let r = other
        .post(w.app.url(&format!("/applications/{id}/attachments")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    for (method, path) in [
        ("GET", format!("/applications/{id}")),
        ("POST", format!("/applications/{id}/actions")),
    ] {
        let (s, _) = w
            .call(
                "ent2",
                method,
                &path,
                Some(json!({"action": "withdraw", "version": 1})),
            )
            .await;
        assert_eq!(s, 404, "{method} {path}");
    }
    assert_eq!(w.app.count("SELECT COUNT(*) FROM attachments").await, 1);
    assert_eq!(
        w.app.count("SELECT COUNT(*) FROM application_events").await,
        1,
        "nothing happened"
    );
}

/// An action takes the fields its variant in the API document names, and nothing else: data
/// only with a submission (a reviewer cannot rewrite an application), data of the
/// application's own kind (another kind's is a conflict with it), a score only when scoring;
/// `1.0` is the integer 1, as JSON Schema reads it.
#[tokio::test]
async fn actions_take_exactly_their_fields() {
    for b in backends() {
        let w = World::new(b).await;
        let id = w
            .create(
                "ent",
                "enterprise_cultivation",
                json!({"cooperation_summary": "校企合作", "partner_schools": 1}),
            )
            .await;
        let post = |who: &'static str, body: Value| {
            let w = &w;
            async move {
                w.call(
                    who,
                    "POST",
                    &format!("/applications/{id}/actions"),
                    Some(body),
                )
                .await
            }
        };
        let (s, v) = post(
            "ent",
            json!({"action": "submit", "version": 1, "score": 80}),
        )
        .await;
        assert_eq!((s, v["code"].as_str()), (422, Some("invalid.score")), "{v}");
        let (s, v) = post(
            "ent",
            json!({"action": "submit", "version": 1, "data": {"year": 2024, "summary": "年报"}}),
        )
        .await;
        assert_eq!(s, 409, "another kind's data: {v}");
        assert!(v["message"].as_str().unwrap().contains("不符"), "{v}");
        let (s, v) = post(
            "ent",
            json!({"action": "submit", "version": 1.0, "data": {"cooperation_summary": "改后的简述", "partner_schools": 3.0}}),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["status"], "in_review");
        let version = w.version("dis", id).await;
        let (s, v) = post(
            "dis",
            json!({"action": "approve", "version": version, "data": {"partner_schools": 99}}),
        )
        .await;
        assert_eq!((s, v["code"].as_str()), (422, Some("invalid.data")), "{v}");
        let (s, v) = w
            .call("ent", "GET", &format!("/applications/{id}"), None)
            .await;
        assert_eq!(s, 200);
        assert_eq!(v["application"]["version"].as_i64(), Some(version));
        let data: Value =
            serde_json::from_str(v["application"]["data_json"].as_str().unwrap()).unwrap();
        assert_eq!(
            data["partner_schools"], 3,
            "the submission's data, not the reviewer's"
        );
        assert_eq!(data["cooperation_summary"], "改后的简述");
        let long = "意".repeat(web::features::applications::TEXT_MAX + 1);
        let (s, v) = post(
            "dis",
            json!({"action": "return", "version": version, "text": long}),
        )
        .await;
        assert_eq!((s, v["code"].as_str()), (422, Some("invalid.text")), "{v}");
    }
}

/// A decided application offers only what its state allows: after approval a reviewer sees no
/// 审核通过 / 退回修改 / 不予通过, in the API's `allowed_actions` and on the page alike.
#[tokio::test]
async fn decided_applications_offer_only_allowed_actions() {
    for b in backends() {
        let w = World::new(b).await;
        let id = w
            .create(
                "ent",
                "enterprise_cultivation",
                json!({"cooperation_summary": "校企合作", "partner_schools": 1}),
            )
            .await;
        let allowed = |v: &Value| -> Vec<String> {
            v["allowed_actions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
                .collect()
        };
        let (_, v) = w
            .call("ent", "GET", &format!("/applications/{id}"), None)
            .await;
        assert_eq!(allowed(&v), ["submit"]);
        w.ok("ent", id, "submit").await;
        let (_, v) = w
            .call("dis", "GET", &format!("/applications/{id}"), None)
            .await;
        assert_eq!(allowed(&v), ["approve", "reject", "return"]);
        w.ok("dis", id, "approve").await;
        w.ok("fgw", id, "approve").await;
        let (_, v) = w
            .call("fgw", "GET", &format!("/applications/{id}"), None)
            .await;
        assert_eq!(v["application"]["status"], "approved");
        let after = allowed(&v);
        for gone in ["approve", "reject", "return", "score"] {
            assert!(!after.contains(&gone.to_string()), "{after:?}");
        }
        let page = w
            .app
            .login("u_fgw")
            .await
            .get(w.app.url(&format!("/applications/{id}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for gone in ["value=\"approve\"", "value=\"return\"", "value=\"reject\""] {
            assert!(!page.contains(gone), "{gone} offered after approval");
        }
        for a in &after {
            assert!(
                page.contains(&format!("value=\"{a}\"")),
                "{a} allowed but not offered"
            );
        }
    }
}

/// A reviewer's message names the applicant and the kind, the navigation counts unread
/// messages until the inbox is opened, and a returned application says why at its top.
#[tokio::test]
async fn inbox_names_applicants_counts_unread_and_returns_say_why() {
    for b in backends() {
        let w = World::new(b).await;
        let id = w
            .create(
                "ent",
                "enterprise_cultivation",
                json!({"cooperation_summary": "校企合作", "partner_schools": 1}),
            )
            .await;
        w.ok("ent", id, "submit").await;
        let dis = w.app.login("u_dis").await;
        let get = |c: &Client, path: &str| {
            let url = w.app.url(path);
            let c = c.clone();
            async move { c.get(url).send().await.unwrap().text().await.unwrap() }
        };
        let home = get(&dis, "/").await;
        assert!(home.contains("title=\"未读消息\">1</span>"), "unread badge");
        let inbox = get(&dis, "/inbox").await;
        assert!(
            inbox.contains(&format!(
                "渝中示例智造有限公司的“产教融合型企业培育库入库申请”待您处理（区县初审，编号 {id}）"
            )),
            "{inbox}"
        );
        assert!(
            !inbox.contains("未读消息"),
            "the inbox itself shows none unread"
        );
        assert!(
            !get(&dis, "/").await.contains("未读消息"),
            "seen after opening"
        );

        let (s, v) = w
            .act("dis", id, "return", Some("请补充与合作院校签订的协议"))
            .await;
        assert_eq!(s, 200, "{v}");
        let ent = w.app.login("u_ent").await;
        let page = get(&ent, &format!("/applications/{id}")).await;
        let why = page.find("已退回修改").expect("the return is stated");
        assert!(page[why..].contains("请补充与合作院校签订的协议"));
        assert!(why < page.find("申报单位").unwrap(), "at the top");
        assert!(
            get(&ent, "/").await.contains("title=\"未读消息\""),
            "the applicant is told"
        );
    }
}

/// The certification rule's `registered_in_chongqing` is read from the applicant's credit
/// code (its registration authority's division code), not assumed: an enterprise registered
/// in Beijing that operates in 渝中区 does not meet it.
#[tokio::test]
async fn registered_in_chongqing_is_read_from_the_credit_code() {
    let app = crate::helpers::TestApp::spawn(store::Backend::Sqlite).await;
    let state = web::AppState::new(app.db.clone());
    let kind = web::features::applications::kind_of("enterprise_certification").unwrap();
    for (code, expected) in [
        (crate::helpers::credit("91500103MA5U7R001"), true),
        (crate::helpers::credit("91110108MA5U7R002"), false),
    ] {
        let org = app
            .org(
                domain::orgs::OrgKind::Enterprise,
                &code,
                &format!("登记地测试企业{}", &code[2..8]),
                "500103",
            )
            .await;
        let a = store::applications::Application {
            id: 0,
            kind: kind.code.clone(),
            applicant_org_id: org,
            district: Some("500103".into()),
            title: kind.title.clone(),
            year: None,
            status: "draft".into(),
            stage: 0,
            stage_code: None,
            due_date: None,
            state_json: "{}".into(),
            data_json: cert_data().to_string(),
            decision_json: None,
            version: 1,
            submitted_at: None,
            decided_at: None,
            created_at: 0,
            updated_at: 0,
            kind_version: 1,
        };
        let today = domain::calendar::today_shanghai();
        let d = web::features::applications::evaluate_rule(&state, kind, &a, &cert_data(), today)
            .await
            .unwrap()
            .unwrap();
        let step = d["trace"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s.to_string().contains("registered_in_chongqing"))
            .unwrap_or_else(|| panic!("no step on registration: {d}"));
        assert_eq!(
            step["inputs"]["registered_in_chongqing"], expected,
            "{code}: {step}"
        );
        assert_eq!(step["result"], expected, "{code}: {step}");
    }
}

/// The list of certified enterprises follows the decisions: a certification holds through its
/// last day and not the day after (the prerequisite of a re-evaluation, across the boundary
/// day); a passed re-evaluation extends the entry from its decision day, keeping its first
/// day; revoking it ends the entry the day before.
#[tokio::test]
async fn reevaluation_extends_and_revocation_ends_the_certified_entry() {
    for b in backends() {
        let w = World::new(b).await;
        let cert = certify(&w, "ent").await;
        let today = domain::calendar::today_shanghai();
        let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
        let entry = || async {
            let (s, v) = w
                .call(
                    "op",
                    "GET",
                    "/registers/certified_enterprises?q=渝中示例智造",
                    None,
                )
                .await;
            assert_eq!(s, 200, "{v}");
            assert_eq!(v["total"], 1, "{v}");
            v["items"][0].clone()
        };
        // Granted so that its last day is today: a re-evaluation may be filed; a day earlier,
        // and the certification has lapsed yesterday: refused, saying since when.
        let granted = today.succ_opt().unwrap() - chrono::Months::new(36);
        w.app.regrant(cert, granted).await;
        assert_eq!(entry().await["valid_until"], day(today));
        let lapsed = granted.pred_opt().unwrap();
        w.app.regrant(cert, lapsed).await;
        let (s, v) = w
            .call(
                "ent",
                "POST",
                "/applications",
                Some(json!({"kind": "reevaluation", "data": cert_data()})),
            )
            .await;
        assert_eq!(s, 409, "{v}");
        let yesterday = today.pred_opt().unwrap();
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .contains(&format!("已于{}失效", domain::workflow::zh_date(yesterday))),
            "{v}"
        );
        w.app.regrant(cert, granted).await;
        let re = w.create("ent", "reevaluation", cert_data()).await;
        w.ok("ent", re, "submit").await;
        w.ok("fgw", re, "approve").await;
        w.ok("jw", re, "approve").await;
        w.end_publicity(re).await;
        w.ok("fgw", re, "conclude_publicity").await;
        let v = w.ok("fgw", re, "approve").await;
        assert_eq!(v["status"], "approved");
        // Extended: three years from today, the first day kept.
        let e = entry().await;
        let until = today
            .checked_add_months(chrono::Months::new(36))
            .unwrap()
            .pred_opt()
            .unwrap();
        assert_eq!(e["valid_until"], day(until), "{e}");
        assert_eq!(e["valid_from"], day(granted), "{e}");
        assert_eq!(e["in_force"], true, "{e}");
        let (_, d) = w
            .call(
                "op",
                "GET",
                &format!("/registers/certified_enterprises/{}", e["id"]),
                None,
            )
            .await;
        let actions: Vec<&str> = d["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["add", "extend"], "{d}");
        // Revoked: ended the day before, off the public list and the organisations filter.
        let (s, v) = w.act("fgw", re, "revoke", Some("复核材料不实")).await;
        assert_eq!(s, 200, "{v}");
        let e = entry().await;
        assert_eq!(e["status"], "ended", "{e}");
        assert_eq!(e["valid_until"], day(yesterday), "{e}");
        assert_eq!(e["in_force"], false, "{e}");
        let (_, v) = w.call("op", "GET", "/certified", None).await;
        assert_eq!(v["total"], 0, "{v}");
        let (_, v) = w.call("op", "GET", "/orgs?programme=certified", None).await;
        assert_eq!(names(&v), Vec::<String>::new());
    }
}
