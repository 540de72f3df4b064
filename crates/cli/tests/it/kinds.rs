//! Application kinds from an operator's directory (`--kinds-dir`): a new kind — its own
//! fields, reviewers and a parameter deadline — runs on the real server with no Rust code;
//! an invalid file stops the command, naming the file and the key.

use serde_json::{Value, json};

use crate::helpers::{chanjiao_in, client, fresh_database};

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

fn kinds_dir(files: &[(&str, &str)]) -> std::path::PathBuf {
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
    ];
    for (text, expected) in cases {
        let dir = kinds_dir(&[("pilot_test.toml", &text)]);
        let o = run(&url, &dir, &["kinds"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{expected}: {err}");
        // The file (for a file's own faults) or the kind's code (for what the policy lacks).
        assert!(
            err.contains("pilot_test"),
            "the file or kind is named: {err}"
        );
        assert!(err.contains(expected), "{expected}: {err}");
        std::fs::remove_dir_all(dir).ok();
    }
}

#[tokio::test]
async fn a_kind_from_the_directory_runs_on_the_server() {
    use std::io::BufRead;
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

    struct Server(std::process::Child);
    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
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
        .env("CHANJIAO_DATABASE_URL", &url)
        .env("CHANJIAO_LOG", "error")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _server = Server(child);
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
