//! Application kinds from an operator's directory (`--kinds-dir`): a new kind — its own
//! fields, reviewers and a parameter deadline — runs on the real server with no Rust code;
//! an invalid file stops the command, naming the file and the key.

use serde_json::{Value, json};

use crate::helpers::{chanjiao_in, client, fresh_database, get_json, hidden};

/// A district applies, 市发展改革委 reviews; the form has a required budget, a scope chosen
/// from options, a start date and an optional core zone.
const PILOT: &str = r#"
code = "pilot_test"
title = "试点城市培育申报（测试）"
measure = 1
applicant = "district"

[[fields]]
name = "budget_fen"
label = "建设资金（元）"
type = "money"
required = true

[[fields]]
name = "scope"
label = "申报层级"
type = "enum"
options = [["municipal", "市级培育"], ["national", "推荐国家第二批"]]
required = true

[[fields]]
name = "start_date"
label = "建设起始日期"
type = "date"

[[fields]]
name = "core_zone"
label = "试点核心区"
type = "district"
help = "可不填"

[[fields]]
name = "bank"
label = "合作银行"
type = "org"
org_kind = "bank"
required = true

[[stages]]
code = "fgw_review"
name = "市发展改革委审核"
step = "review"
reviewers = ["fgw"]
mode = "any"
deadline = "param:workflow.cultivation_district_review_days"

# A branch: 市教委 reviews only budgets above the operator's parameter.
[[stages]]
code = "jw_review"
name = "市教委复核（大额）"
step = "review"
reviewers = ["jw"]
mode = "any"
deadline = "param:workflow.cultivation_district_review_days"
when = { field = "budget_fen", above = "param:pilot_test.big_budget_yuan" }

# The bank the district chose confirms its financing.
[[stages]]
code = "bank_review"
name = "合作银行确认"
step = "review"
reviewers = "field:bank"
deadline = "param:workflow.cultivation_district_review_days"
"#;

/// A district files a cooperation project: a project number of a set pattern, the occupation
/// it trains for, the partner school's credit code, the project company's shareholders (rows
/// whose shares add up to 100%) and two attachment slots, the licence required (PDF only).
const EQUITY: &str = r#"
code = "equity_test"
title = "校企合作项目公司备案（测试）"
measure = 1
applicant = "district"

[[fields]]
name = "project_no"
label = "项目编号"
type = "text"
max_length = 20
required = true
pattern = "CQ-[0-9]{4}"
pattern_message = "应为 CQ- 加4位数字，如 CQ-0421"

[[fields]]
name = "occupation"
label = "面向职业"
type = "occupation"
required = true

[[fields]]
name = "partner_code"
label = "合作院校统一社会信用代码"
type = "credit_code"

[[fields]]
name = "shareholders"
label = "股东信息"
type = "group"
min_rows = 1
max_rows = 5
sum = { field = "share", equals = 100 }

[[fields.fields]]
name = "name"
label = "名称"
type = "text"
max_length = 60
required = true

[[fields.fields]]
name = "code"
label = "统一社会信用代码"
type = "credit_code"

[[fields.fields]]
name = "way"
label = "出资方式"
type = "enum"
options = [["cash", "货币"], ["in_kind", "实物"]]
required = true

[[fields.fields]]
name = "share"
label = "持股比例"
type = "percent"
required = true

[[fields]]
name = "licence"
label = "营业执照"
type = "attachment"
required = true
content_types = ["application/pdf"]

[[fields]]
name = "photos"
label = "现场照片"
type = "attachment"
content_types = ["image/png", "image/jpeg"]

[[stages]]
code = "fgw_review"
name = "市发展改革委审核"
step = "review"
reviewers = ["fgw"]
mode = "any"
deadline = "param:workflow.cultivation_district_review_days"
"#;

/// The operator's parameter the branch names: above 1,000,000 元.
const PARAMS: &str = r#"
[big_budget_yuan]
description = "试点申报大额复核线（测试）"
type = "integer"
unit = "元"
measure = 1
[[big_budget_yuan.values]]
from = "2019-01-01"
value = 1000000
source = "测试文件 第一条"
verified = false
"#;

pub(crate) fn kinds_dir(files: &[(&str, &str)]) -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "chanjiao-kinds-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    dir
}

/// Runs the command with kind files from `dir` and the test's parameters from their own
/// directory.
fn run(url: &str, dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let pdir = kinds_dir(&[("pilot_test.toml", PARAMS)]);
    let mut all = vec![
        "--kinds-dir",
        dir.to_str().unwrap(),
        "--policy-dir",
        pdir.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let o = chanjiao_in(None, url, &all, None);
    std::fs::remove_dir_all(pdir).ok();
    o
}

/// `chanjiao serve` on `url` with the kinds of `dir` and the parameters of `pdir`; stopped
/// when the value is dropped. Returns it and the address it listens on.
pub(crate) fn serve(url: &str, dir: &std::path::Path, pdir: &std::path::Path) -> (Server, String) {
    use std::io::BufRead;
    // Run in the kind directory: a PostgreSQL server's audit key (`./chanjiao-postgres.audit-key`)
    // is made there, not in the crate's directory, where other tests expect none.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chanjiao"))
        .args([
            "--kinds-dir",
            dir.to_str().unwrap(),
            "--policy-dir",
            pdir.to_str().unwrap(),
            "serve",
            "--bind",
            "127.0.0.1:0",
        ])
        .current_dir(dir)
        .env("CHANJIAO_DATABASE_URL", url)
        .env("CHANJIAO_LOG", "error")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let _ = tx.send(line.unwrap());
        }
    });
    let addr = loop {
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("serve prints its address");
        if let Some(a) = line
            .strip_prefix("平台已启动：http://")
            .and_then(|r| r.split('/').next())
        {
            break a.to_string();
        }
    };
    (server, addr)
}

pub(crate) struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn invalid_kind_files_stop_the_command_naming_file_and_key() {
    let url = fresh_database(store::Backend::Sqlite).await;
    let cases = [
        (
            PILOT.replace("measure = 1", "measure = 1\nrule = \"nope\""),
            "未知的规则“nope”",
        ),
        (
            PILOT.replacen(
                "workflow.cultivation_district_review_days",
                "workflow.nope",
                1,
            ),
            "政策参数“workflow.nope”不存在",
        ),
        // The rule's inputs: each named one is the rule's, from a source there is; each one
        // the rule requires has a source.
        (
            PILOT.replace(
                "applicant = \"district\"",
                "applicant = \"district\"\nrule = \"tax_credit\"\n[rule_inputs]\nyears = \"platform:tax_ledger_years\"\nnope = \"field:budget_fen\"",
            ),
            "规则“tax_credit”没有输入“nope”（rule_inputs.nope）",
        ),
        (
            PILOT.replace(
                "applicant = \"district\"",
                "applicant = \"district\"\nrule = \"tax_credit\"\n[rule_inputs]\nyears = \"platform:weather\"",
            ),
            "未知的平台数据“weather”（rule_inputs.years）",
        ),
        (
            PILOT.replace(
                "applicant = \"district\"",
                "applicant = \"district\"\nrule = \"tax_credit\"",
            ),
            "规则“tax_credit”的输入“years”没有来源",
        ),
        (
            PILOT.replace(
                "applicant = \"district\"",
                "applicant = \"district\"\nrule = \"tax_credit\"\n[rule_inputs]\nyears = \"field:gone\"",
            ),
            "rule_inputs.years：字段“gone”不是本事项的字段",
        ),
        (
            PILOT.replace("\"param:workflow.cultivation_district_review_days\"", "10"),
            "办理时限（“deadline”）不能直接写数字",
        ),
        (
            PILOT.replace("type = \"date\"", "type = \"when\""),
            "未知的字段类型“when”",
        ),
        (PILOT.replace("[[stages]]", "[[stages]"), "第"),
        (
            PILOT.replace("reviewers = [\"fgw\"]", "reviewers = [\"sw\"]"),
            "不是措施1",
        ),
        (
            EQUITY.replace("\"CQ-[0-9]{4}\"", "\"CQ-[0-9\""),
            "字段“project_no”：“pattern”不是有效的正则表达式（unclosed character class）",
        ),
        (
            EQUITY.replace(
                "type = \"credit_code\"\n\n[[fields.fields]]",
                "type = \"attachment\"\n\n[[fields.fields]]",
            ),
            "字段“shareholders.code”：表格内的字段不能是 attachment 类型",
        ),
        (
            EQUITY.replace(
                "content_types = [\"application/pdf\"]",
                "content_types = [\"application/msword\"]",
            ),
            "字段“licence”：不支持的文件类型“application/msword”",
        ),
    ];
    for (text, expected) in cases {
        let file = if text.contains("equity_test") {
            "equity_test.toml"
        } else {
            "pilot_test.toml"
        };
        let dir = kinds_dir(&[(file, &text)]);
        let o = run(&url, &dir, &["kinds"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{expected}: {err}");
        // The file (for a file's own faults) or the kind's code (for what the policy lacks).
        assert!(
            err.contains(&file[..file.len() - 5]),
            "the file or kind is named: {err}"
        );
        assert!(err.contains(expected), "{expected}: {err}");
        std::fs::remove_dir_all(dir).ok();
    }
}

#[tokio::test]
async fn a_kind_from_the_directory_runs_on_the_server() {
    let url = fresh_database(store::Backend::Sqlite).await;
    // Kind files and parameter files are read from their own directories.
    let dir = kinds_dir(&[("pilot_test.toml", PILOT)]);
    let pdir = kinds_dir(&[("pilot_test.toml", PARAMS)]);
    let o = chanjiao_in(
        None,
        &url,
        &[
            "--kinds-dir",
            dir.to_str().unwrap(),
            "--policy-dir",
            pdir.to_str().unwrap(),
            "kinds",
        ],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let listed: Value = serde_json::from_slice(&o.stdout).unwrap();
    let codes: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"pilot_test") && codes.contains(&"tax_credit_claim"),
        "{codes:?}"
    );
    // Without the directory the kind does not exist.
    let o = chanjiao_in(None, &url, &["kinds"], None);
    assert!(!String::from_utf8_lossy(&o.stdout).contains("pilot_test"));

    // Accounts: a district (the applicant), 市发展改革委 (the reviewer), a bank (chosen by the
    // applicant in the form) and an operator (registers the bank).
    let bank_code = crate::helpers::credit("91500103MA5U7B001");
    {
        let db = store::Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        let mut tx = db.begin().await.unwrap();
        store::orgs::insert(
            &mut tx,
            &store::Actor::system("测试夹具"),
            &store::orgs::NewOrg {
                kind: domain::orgs::OrgKind::Bank,
                code: bank_code.clone(),
                name: "渝中示例银行（测试）".into(),
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
    }
    let mut tokens = Vec::new();
    for (user, role, org) in [
        ("dis", "district", "500103"),
        ("fgw1", "department", "fgw"),
        ("bank1", "bank", bank_code.as_str()),
    ] {
        let o = chanjiao_in(
            None,
            &url,
            &[
                "user",
                "add",
                "--username",
                user,
                "--role",
                role,
                "--org",
                org,
            ],
            None,
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let o = chanjiao_in(None, &url, &["token", "create", "--username", user], None);
        let out = String::from_utf8_lossy(&o.stdout).to_string();
        tokens.push(out.trim_end().lines().last().unwrap().to_string());
    }

    let (_server, addr) = serve(&url, &dir, &pdir);
    let c = client();
    // A POST to the API: its status and JSON answer.
    let call = |token: &str, path: &str, body: Value| {
        let req = c
            .post(format!("http://{addr}/api/v1{path}"))
            .bearer_auth(token)
            .json(&body);
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    // The form's rules come from the file: a required field, an option that is not one.
    let (s, v) = call(
        &tokens[0],
        "/applications",
        json!({"kind": "pilot_test", "data": {"budget_fen": 100, "scope": "global", "bank": 1}}),
    )
    .await;
    assert_eq!(s, 422);
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("申报层级应为以下之一：市级培育、推荐国家第二批"),
        "{v}"
    );
    let bank_id: i64 = {
        let db = store::Db::connect(&url).await.unwrap();
        store::orgs::get_by_code(&db, &bank_code)
            .await
            .unwrap()
            .unwrap()
            .id
    };
    // The bank field takes a bank: a district is not one.
    let (s, v) = call(
        &tokens[0],
        "/applications",
        json!({"kind": "pilot_test", "data": {"budget_fen": 100, "scope": "national", "bank": 1}}),
    )
    .await;
    assert_eq!(s, 422);
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("合作银行：所选机构不存在或不是金融机构"),
        "{v}"
    );
    let (s, app) = call(
        &tokens[0],
        "/applications",
        json!({"kind": "pilot_test", "data": {"budget_fen": 50_000_000, "scope": "national",
               "start_date": "2027-01-04", "core_zone": "500103", "bank": bank_id}}),
    )
    .await;
    assert_eq!(s, 201);
    let id = app["id"].as_i64().unwrap();
    let (s, v) = call(
        &tokens[0],
        &format!("/applications/{id}/actions"),
        json!({"action": "submit", "version": app["version"]}),
    )
    .await;
    assert_eq!(s, 200);
    // The deadline is the parameter's 10 working days from today.
    let due = domain::calendar::Calendar::shipped()
        .add_working_days(domain::calendar::today_shanghai(), 10)
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(v["due_date"], due, "{v}");
    let (s, v) = call(
        &tokens[1],
        &format!("/applications/{id}/actions"),
        json!({"action": "approve", "version": v["version"]}),
    )
    .await;
    assert_eq!(s, 200);
    // 500,000 元 is not above the line: the 市教委 stage is passed by, and the bank the
    // district chose is awaited — in its queue — and approves.
    assert_eq!(v["stage_code"], "bank_review", "{v}");
    let q: Value = c
        .get(format!("http://{addr}/api/v1/queue"))
        .bearer_auth(&tokens[2])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(q["total"], 1, "{q}");
    assert_eq!(q["items"][0]["id"], id);
    // 市发展改革委 cannot act for the bank.
    let (s, _) = call(
        &tokens[1],
        &format!("/applications/{id}/actions"),
        json!({"action": "approve", "version": v["version"]}),
    )
    .await;
    assert_eq!(s, 409);
    let (s, v) = call(
        &tokens[2],
        &format!("/applications/{id}/actions"),
        json!({"action": "approve", "version": v["version"]}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["status"], "approved", "{v}");
    // Decided, it stays in the bank's list (the bank is named in it), and the bank's list
    // holds nothing else of the district's.
    let list: Value = c
        .get(format!("http://{addr}/api/v1/applications"))
        .bearer_auth(&tokens[2])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["id"], id, "{list}");
    // Above the line the branch is taken: after 市发展改革委, 市教委 reviews.
    let (_, big) = call(
        &tokens[0],
        "/applications",
        json!({"kind": "pilot_test", "data": {"budget_fen": 300_000_000, "scope": "municipal", "bank": bank_id}}),
    ).await;
    let big_id = big["id"].as_i64().unwrap();
    let (_, v) = call(
        &tokens[0],
        &format!("/applications/{big_id}/actions"),
        json!({"action": "submit", "version": big["version"]}),
    )
    .await;
    let (_, v) = call(
        &tokens[1],
        &format!("/applications/{big_id}/actions"),
        json!({"action": "approve", "version": v["version"]}),
    )
    .await;
    assert_eq!(
        (v["status"].as_str(), v["stage_code"].as_str()),
        (Some("in_review"), Some("jw_review")),
        "{v}"
    );
    // The API documents the kind's data from its file.
    let doc: Value = c
        .get(format!("http://{addr}/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        doc.to_string().contains("建设资金（元）"),
        "the kind's form is documented"
    );
    std::fs::remove_dir_all(dir).ok();
    std::fs::remove_dir_all(pdir).ok();
}

/// Creates a user of `role` in `org` with the tests' password; returns an API token of it.
pub(crate) fn user_with_token(url: &str, user: &str, role: &str, org: &str) -> String {
    let o = chanjiao_in(
        None,
        url,
        &[
            "user",
            "add",
            "--username",
            user,
            "--role",
            role,
            "--org",
            org,
            "--password-stdin",
        ],
        Some(crate::helpers::PASSWORD),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = chanjiao_in(None, url, &["token", "create", "--username", user], None);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    out.trim_end().lines().last().unwrap().to_string()
}

/// A browser-like client signed in to the server at `addr`.
async fn login(addr: &str, user: &str) -> reqwest::Client {
    let c = client();
    let html = c
        .get(format!("http://{addr}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&html, "csrf").unwrap();
    let r = c
        .post(format!("http://{addr}/login"))
        .form(&[
            ("username", user),
            ("password", crate::helpers::PASSWORD),
            ("csrf", &csrf),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "login of {user}");
    c
}

/// The new field types of a kind file on the real server, on both backends: a text pattern,
/// an occupation, credit codes, a group of rows whose shares add up (through the API and the
/// form), and attachment slots (typed uploads, a required one before submission).
#[tokio::test]
async fn typed_rows_patterns_and_attachment_slots_run_on_the_server() {
    for backend in crate::helpers::backends() {
        typed_fields_on(backend).await;
    }
}

async fn typed_fields_on(backend: store::Backend) {
    let url = fresh_database(backend).await;
    let dir = kinds_dir(&[("equity_test.toml", EQUITY)]);
    let pdir = kinds_dir(&[("pilot_test.toml", PARAMS)]);
    {
        let db = store::Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
    }
    let district = user_with_token(&url, "dis", "district", "500103");
    let fgw = user_with_token(&url, "fgw1", "department", "fgw");
    let (_server, addr) = serve(&url, &dir, &pdir);
    let c = client();
    let call = |token: &str, path: &str, body: Value| {
        let req = c
            .post(format!("http://{addr}/api/v1{path}"))
            .bearer_auth(token)
            .json(&body);
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let partner = crate::helpers::credit("91500103MA5U7B001");
    let good = json!({
        "project_no": "CQ-0421",
        "occupation": "6－20－01－01",
        "partner_code": partner.to_lowercase(),
        "shareholders": [
            {"name": "重庆示例职业学院", "code": partner, "way": "cash", "share": 6000},
            {"name": "重庆示例制造有限公司", "way": "in_kind", "share": 4000}
        ]
    });
    // Each refusal of the API names the field (and the row) in the kind's words.
    let refused = [
        (
            "project_no",
            json!("CQ-42"),
            "项目编号：应为 CQ- 加4位数字，如 CQ-0421",
        ),
        (
            "occupation",
            json!("6-20-01"),
            "面向职业：“6-20-01”是职业分类的上级类别，应填到具体职业（4段代码，如 4-04-05-01）",
        ),
        (
            "partner_code",
            json!(format!("{}X", &partner[..17])),
            "合作院校统一社会信用代码：统一社会信用代码校验位错误",
        ),
        (
            "shareholders",
            json!([{"name": "甲", "way": "cash", "share": 6000},
                   {"name": "乙", "way": "cash", "share": 3000}]),
            "股东信息：各行持股比例合计应为100.00%，现为90.00%",
        ),
        (
            "shareholders",
            json!([{"name": "甲", "way": "cash", "share": 6000},
                   {"name": "乙", "way": "stock", "share": 4000}]),
            "股东信息第2行：出资方式应为以下之一：货币、实物",
        ),
        ("shareholders", json!([]), "股东信息至少填写1行"),
        (
            "licence",
            json!(1),
            "营业执照是附件，请在申报页面上传文件，不在申报内容中填写",
        ),
    ];
    for (field, value, expected) in refused {
        let mut data = good.clone();
        data[field] = value;
        let (s, v) = call(
            &district,
            "/applications",
            json!({"kind": "equity_test", "data": data}),
        )
        .await;
        assert_eq!(s, 422, "{field}: {v}");
        let message = v["message"].as_str().unwrap();
        assert!(message.contains(expected), "{field}: {message}");
    }
    let (s, app) = call(
        &district,
        "/applications",
        json!({"kind": "equity_test", "data": good}),
    )
    .await;
    assert_eq!(s, 201, "{app}");
    let id = app["id"].as_i64().unwrap();
    let stored: Value = serde_json::from_str(app["data_json"].as_str().unwrap()).unwrap();
    assert_eq!(stored["occupation"], "6-20-01-01");
    assert_eq!(stored["partner_code"], partner.as_str());
    assert_eq!(
        stored["shareholders"],
        json!([
            {"name": "重庆示例职业学院", "code": partner, "way": "cash", "share": 6000},
            {"name": "重庆示例制造有限公司", "code": "", "way": "in_kind", "share": 4000}
        ])
    );
    // The required licence is not there yet: no submission.
    let (s, v) = call(
        &district,
        &format!("/applications/{id}/actions"),
        json!({"action": "submit", "version": app["version"]}),
    )
    .await;
    assert_eq!(
        (s, v["message"].as_str()),
        (422, Some("请先上传营业执照再提交")),
        "{v}"
    );
    // Through the API, files come as base64 JSON; a slot takes only its types, an unknown
    // slot and a bad encoding are refused, naming the field.
    let b64 = |b: &[u8]| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(b)
    };
    for (body, field, message) in [
        (
            json!({"slot": "licence", "filename": "执照.png", "content_base64": b64(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")}),
            "licence",
            "营业执照只接受PDF 文档，所传文件是PNG 图片",
        ),
        (
            json!({"slot": "nonesuch", "filename": "a.pdf", "content_base64": b64(b"%PDF-1.7\n")}),
            "slot",
            "本申报没有申报材料“nonesuch”",
        ),
        (
            json!({"slot": "licence", "filename": "a.pdf", "content_base64": "%%%"}),
            "content_base64",
            "文件内容不是有效的 base64 编码",
        ),
    ] {
        let (s, v) = call(&district, &format!("/applications/{id}/attachments"), body).await;
        assert_eq!(s, 422, "{v}");
        assert_eq!(v["message"], message, "{v}");
        assert_eq!(v["code"], format!("invalid.{field}"), "{v}");
    }

    // The page shows the rows as a table and the slots with what they take.
    let page = login(&addr, "dis").await;
    let get = |path: String| {
        let req = page.get(format!("http://{addr}{path}"));
        async move { req.send().await.unwrap().text().await.unwrap() }
    };
    let html = get(format!("/applications/{id}")).await;
    for expected in [
        "<th>持股比例</th>",
        "<td>60.00%</td>",
        "<td>实物</td>",
        "申报材料",
        "营业执照",
        "必传，接受PDF 文档",
        "选传，接受PNG 图片、JPEG 图片",
        "未上传",
    ] {
        assert!(html.contains(expected), "{expected}");
    }
    let csrf = hidden(&html, "csrf").unwrap();
    let upload = |slot: &'static str, name: &'static str, bytes: &'static [u8]| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name),
            )
            // The slot may come after the file.
            .text("slot", slot);
        page.post(format!("http://{addr}/applications/{id}/attachments"))
            .multipart(form)
            .send()
    };
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    const PDF: &[u8] = b"%PDF-1.7\n%test licence\n";
    let r = upload("licence", "执照.png", PNG).await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("营业执照只接受PDF 文档，所传文件是PNG 图片")
    );
    let r = upload("nonesuch", "执照.pdf", PDF).await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("未知的申报材料"));
    let db = store::Db::connect(&url).await.unwrap();
    let files = store::applications::attachments(&db, id).await.unwrap();
    assert!(files.is_empty(), "refused files are not stored: {files:?}");
    let r = upload("licence", "营业执照.pdf", PDF).await.unwrap();
    assert_eq!(r.status(), 303);
    let r = upload("photos", "现场.png", PNG).await.unwrap();
    assert_eq!(r.status(), 303);
    let files = store::applications::attachments(&db, id).await.unwrap();
    let slots: Vec<(Option<&str>, &str)> = files
        .iter()
        .map(|a| (a.slot.as_deref(), a.content_type.as_str()))
        .collect();
    assert_eq!(
        slots,
        vec![
            (Some("licence"), "application/pdf"),
            (Some("photos"), "image/png")
        ]
    );
    // A second photo through the API: stored in its slot, listed with the application.
    let (s, a) = call(
        &district,
        &format!("/applications/{id}/attachments"),
        json!({"slot": "photos", "filename": "现场2.png", "content_base64": b64(PNG)}),
    )
    .await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(
        (a["slot"].as_str(), a["content_type"].as_str()),
        (Some("photos"), Some("image/png"))
    );
    // A name of control characters only is kept as a plain name, in no slot.
    let (s, a) = call(
        &district,
        &format!("/applications/{id}/attachments"),
        json!({"filename": "\u{8}/", "content_base64": b64(b"%PDF-1.7\n")}),
    )
    .await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(
        (a["filename"].as_str(), a["slot"].as_str()),
        (Some("未命名附件"), None)
    );
    let detail = get_json(
        &format!("http://{addr}/api/v1/applications/{id}"),
        &district,
    )
    .await;
    let names: Vec<&str> = detail["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["filename"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["营业执照.pdf", "现场.png", "现场2.png", "未命名附件"],
        "{detail}"
    );
    let html = get(format!("/applications/{id}")).await;
    assert!(
        html.contains("营业执照.pdf</a>（"),
        "the slot shows its file"
    );
    assert!(!html.contains("未上传"), "both slots are filled");

    // The form: the rows entered and two blank ones, inputs named by row and column.
    let html = get(format!("/applications/{id}/edit")).await;
    assert!(html.contains("name=\"shareholders[1].name\" value=\"重庆示例制造有限公司\""));
    assert!(html.contains("name=\"shareholders[3].share\" value=\"\""));
    assert!(!html.contains("shareholders[4]"));
    assert!(html.contains("营业执照（必传）：已上传"));
    let version = hidden(&html, "version").unwrap();
    let mut form: Vec<(String, String)> = vec![
        ("csrf".into(), hidden(&html, "csrf").unwrap()),
        ("kind".into(), "equity_test".into()),
        ("version".into(), version.clone()),
        ("project_no".into(), "CQ-0421".into()),
        ("occupation".into(), "6-20-01-01".into()),
        ("partner_code".into(), String::new()),
    ];
    let rows = [
        ("重庆示例职业学院", "cash", "50"),
        ("", "", ""),
        ("重庆示例制造有限公司", "in_kind", "150"),
        ("重庆示例投资有限公司", "cash", "10"),
    ];
    for (i, (name, way, share)) in rows.iter().enumerate() {
        form.push((format!("shareholders[{i}].name"), (*name).into()));
        form.push((format!("shareholders[{i}].code"), String::new()));
        form.push((format!("shareholders[{i}].way"), (*way).into()));
        form.push((format!("shareholders[{i}].share"), (*share).into()));
    }
    let post = |form: Vec<(String, String)>| {
        page.post(format!("http://{addr}/applications/{id}/edit"))
            .form(&form)
            .send()
    };
    // A bad cell is named by its row in the form; the form comes back as typed.
    let r = post(form.clone()).await.unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("股东信息第3行：持股比例须为0至100之间的数"),
        "{html}"
    );
    assert!(html.contains("name=\"shareholders[3].name\" value=\"重庆示例投资有限公司\""));
    let at = form
        .iter()
        .position(|(k, _)| k == "shareholders[2].share")
        .unwrap();
    form[at].1 = "40".into();
    let r = post(form).await.unwrap();
    assert_eq!(r.status(), 303);
    let saved = store::applications::get(&db, id).await.unwrap().unwrap();
    let data: Value = serde_json::from_str(&saved.data_json).unwrap();
    // The blank row is not kept; the rows close up.
    assert_eq!(
        data["shareholders"],
        json!([
            {"name": "重庆示例职业学院", "code": "", "way": "cash", "share": 5000},
            {"name": "重庆示例制造有限公司", "code": "", "way": "in_kind", "share": 4000},
            {"name": "重庆示例投资有限公司", "code": "", "way": "cash", "share": 1000}
        ])
    );
    assert_eq!(data["partner_code"], "");
    assert!(data.get("licence").is_none(), "slots are not data: {data}");

    // With the licence uploaded the submission goes through, and a return and resubmission
    // says what changed, row by row.
    let (s, v) = call(
        &district,
        &format!("/applications/{id}/actions"),
        json!({"action": "submit", "version": saved.version}),
    )
    .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("in_review")), "{v}");
    let (s, v) = call(
        &fgw,
        &format!("/applications/{id}/actions"),
        json!({"action": "return", "version": v["version"], "text": "请核对出资比例"}),
    )
    .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("returned")), "{v}");
    let mut changed = data.clone();
    changed["shareholders"][0]["share"] = json!(4000);
    changed["shareholders"][1]["share"] = json!(5000);
    let (s, v) = call(
        &district,
        &format!("/applications/{id}/actions"),
        json!({"action": "resubmit", "version": v["version"], "data": changed}),
    )
    .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("in_review")), "{v}");
    let events = store::applications::events(&db, id).await.unwrap();
    let last = &events.last().unwrap().summary;
    assert!(
        last.contains(
            "股东信息第1行持股比例：50.00% → 40.00%；股东信息第2行持股比例：40.00% → 50.00%"
        ),
        "{last}"
    );

    // The API documents the rows as an array of objects and leaves the slots out.
    let doc: Value = c
        .get(format!("http://{addr}/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kinds = doc.pointer("/components/schemas/NewApplicationInput/oneOf");
    let equity = kinds
        .and_then(Value::as_array)
        .and_then(|ks| {
            ks.iter()
                .find(|k| k["properties"]["kind"]["enum"][0] == "equity_test")
        })
        .unwrap_or_else(|| panic!("the kind's variant: {kinds:?}"));
    let data = &equity["properties"]["data"];
    let rows = &data["properties"]["shareholders"];
    assert_eq!(rows["type"], "array", "{rows}");
    assert_eq!(
        (rows["minItems"].as_i64(), rows["maxItems"].as_i64()),
        (Some(1), Some(5))
    );
    assert_eq!(rows["items"]["properties"]["share"]["maximum"], 10_000);
    assert_eq!(rows["items"]["required"], json!(["name", "way", "share"]));
    assert!(
        data["properties"]["project_no"]["pattern"]
            .as_str()
            .unwrap()
            .contains("(?:CQ-[0-9]{4})")
    );
    assert!(data["properties"].get("licence").is_none(), "{data}");
    std::fs::remove_dir_all(dir).ok();
    std::fs::remove_dir_all(pdir).ok();
}

/// Starts `chanjiao serve` expecting it to refuse: its exit code and what it said (killed and
/// failed after 30 s if it serves instead).
fn serve_refused(url: &str, dir: &std::path::Path, pdir: &std::path::Path) -> (i32, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chanjiao"))
        .args([
            "--kinds-dir",
            dir.to_str().unwrap(),
            "--policy-dir",
            pdir.to_str().unwrap(),
            "serve",
            "--bind",
            "127.0.0.1:0",
        ])
        .env("CHANJIAO_DATABASE_URL", url)
        .env("CHANJIAO_LOG", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..300 {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            return (status.code().unwrap_or(-1), err);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("serve started although it should have refused");
}

/// An application keeps the version of its kind it was filed under: after the operator adds
/// a stage (and raises `version`), the case filed before goes on under the old stages and a
/// new case takes the new ones; a file changed without a new version stops the server.
#[tokio::test]
async fn an_application_keeps_the_kind_version_it_was_filed_under() {
    let url = fresh_database(store::Backend::Sqlite).await;
    let dir = kinds_dir(&[("pilot_test.toml", PILOT)]);
    let pdir = kinds_dir(&[("pilot_test.toml", PARAMS)]);
    let db = store::Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let bank_code = crate::helpers::credit("91500103MA5U7B003");
    let bank = {
        let mut tx = db.begin().await.unwrap();
        let o = store::orgs::insert(
            &mut tx,
            &store::Actor::system("测试夹具"),
            &store::orgs::NewOrg {
                kind: domain::orgs::OrgKind::Bank,
                code: bank_code.clone(),
                name: "渝中示例银行（版本测试）".into(),
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
        o.id
    };
    let dis = user_with_token(&url, "v_dis", "district", "500103");
    let dis2 = user_with_token(&url, "v_dis2", "district", "500112");
    let fgw = user_with_token(&url, "v_fgw", "department", "fgw");
    let c = client();
    let post = |addr: &str, token: &str, path: &str, body: Value| {
        let req = c
            .post(format!("http://{addr}/api/v1{path}"))
            .bearer_auth(token)
            .json(&body);
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let form = json!({"kind": "pilot_test", "data": {"budget_fen": 10_000_000, "scope": "municipal", "bank": bank}});
    // Filed and submitted under version 1.
    let old = {
        let (_server, addr) = serve(&url, &dir, &pdir);
        let (s, a) = post(&addr, &dis, "/applications", form.clone()).await;
        assert_eq!(s, 201, "{a}");
        assert_eq!(a["kind_version"], 1, "{a}");
        let id = a["id"].as_i64().unwrap();
        let (s, a) = post(
            &addr,
            &dis,
            &format!("/applications/{id}/actions"),
            json!({"action": "submit", "version": a["version"]}),
        )
        .await;
        assert_eq!(s, 200, "{a}");
        a
    };
    // The operator adds a stage: 市教委 checks every case after 市发展改革委.
    let extra = "[[stages]]\ncode = \"jw_check\"\nname = \"市教委核对\"\nstep = \"review\"\n\
                 reviewers = [\"jw\"]\nmode = \"any\"\n\
                 deadline = \"param:workflow.cultivation_district_review_days\"\n\n\
                 # A branch: 市教委 reviews";
    let v2 = PILOT.replacen("# A branch: 市教委 reviews", extra, 1);
    // Without a new version the server refuses to start, naming the kind.
    std::fs::write(dir.join("pilot_test.toml"), &v2).unwrap();
    let (code, err) = serve_refused(&url, &dir, &pdir);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("申报事项“pilot_test”的文件已修改，但版本号仍为1"),
        "{err}"
    );
    std::fs::write(
        dir.join("pilot_test.toml"),
        v2.replacen("measure = 1", "measure = 1\nversion = 2", 1),
    )
    .unwrap();
    let (_server, addr) = serve(&url, &dir, &pdir);
    // The old case: after 市发展改革委, its version's next stage (the bank), not the new one.
    let id = old["id"].as_i64().unwrap();
    let (s, a) = post(
        &addr,
        &fgw,
        &format!("/applications/{id}/actions"),
        json!({"action": "approve", "version": old["version"]}),
    )
    .await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["stage_code"], "bank_review", "{a}");
    assert_eq!(a["kind_version"], 1, "{a}");
    // A new case (another district's) takes version 2 and its new stage.
    let (_, n) = post(&addr, &dis2, "/applications", form).await;
    assert_eq!(n["kind_version"], 2, "{n}");
    let nid = n["id"].as_i64().unwrap();
    let (_, n) = post(
        &addr,
        &dis2,
        &format!("/applications/{nid}/actions"),
        json!({"action": "submit", "version": n["version"]}),
    )
    .await;
    let (s, n) = post(
        &addr,
        &fgw,
        &format!("/applications/{nid}/actions"),
        json!({"action": "approve", "version": n["version"]}),
    )
    .await;
    assert_eq!(s, 200, "{n}");
    assert_eq!(n["stage_code"], "jw_check", "{n}");
    std::fs::remove_dir_all(dir).ok();
    std::fs::remove_dir_all(pdir).ok();
}
