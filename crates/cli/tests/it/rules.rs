//! Rules as code through the API, the pages and the command line.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::helpers::{TestApp, client};

const CONTRACT_TAX: &str =
    r#"{"years": [{"year": 2024, "certified": true, "investment_fen": 0, "tax_base_fen": 0}]}"#;

async fn token_app() -> (TestApp, String) {
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    let uid = app.user("ent1", "department", "sw").await;
    let t = app.token(uid).await;
    (app, t)
}

#[tokio::test]
async fn evaluate_over_the_api_with_explanations_and_clear_errors() {
    let (app, t) = token_app().await;
    let c = client();
    let url = app.url("/api/v1/rules/tax_credit/evaluate");
    let r = c.post(&url).body(CONTRACT_TAX).send().await.unwrap();
    assert_eq!(r.status(), 401);

    let r = c
        .post(&url)
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .body(CONTRACT_TAX)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let y = &v["outcome"]["years"][0];
    for k in [
        "edu_due_fen",
        "local_due_fen",
        "carry_in_fen",
        "new_credit_fen",
        "used_edu_fen",
        "used_local_fen",
        "carry_out_fen",
    ] {
        assert_eq!(y[k], 0, "{k}");
    }
    assert_eq!(y["year"], 2024);
    assert!(
        !v["trace"].as_array().unwrap().is_empty(),
        "every decision carries its trace"
    );

    // 1,000,000.00 yuan of tax base, 100,000.00 yuan invested while certified:
    // due 30,000.00 + 20,000.00; credit 30,000.00, split 18,000.00 / 12,000.00.
    let body = json!({"years": [{"year": 2024, "certified": true, "investment_fen": 10_000_000, "tax_base_fen": 100_000_000}]});
    let v: Value = c
        .post(&url)
        .bearer_auth(&t)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let y = &v["outcome"]["years"][0];
    assert_eq!(y["edu_due_fen"], 3_000_000);
    assert_eq!(y["local_due_fen"], 2_000_000);
    assert_eq!(y["new_credit_fen"], 3_000_000);
    assert_eq!(y["used_edu_fen"], 1_800_000);
    assert_eq!(y["used_local_fen"], 1_200_000);
    assert_eq!(y["carry_out_fen"], 0);
    let cites: Vec<String> = v["trace"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["params"].as_array().cloned().unwrap_or_default())
        .map(|p| p["source"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        cites.iter().any(|s| s.contains("财税〔2019〕46号")),
        "{cites:?}"
    );

    for (rule, body, field) in [
        ("tax_credit", json!({"years": [{"year": 2024, "certified": true, "investment_fen": -1, "tax_base_fen": 0}]}).to_string(), "investment_fen"),
        ("tax_credit", json!({"years": [{"year": 2024, "certified": true, "investment_fen": 0, "tax_base_fen": 0, "bogus": 1}]}).to_string(), "bogus"),
        ("tax_credit", json!({"years": [{"year": 2025, "certified": true, "investment_fen": 0, "tax_base_fen": 0}, {"year": 2024, "certified": true, "investment_fen": 0, "tax_base_fen": 0}]}).to_string(), "year"),
        ("tax_credit", "{not json".to_string(), "body"),
    ] {
        let r = c.post(app.url(&format!("/api/v1/rules/{rule}/evaluate"))).bearer_auth(&t).body(body.clone()).send().await.unwrap();
        assert_eq!(r.status(), 422, "{rule} {body}");
        let e: Value = r.json().await.unwrap();
        assert!(e["code"].as_str().unwrap().starts_with("invalid."), "{e}");
        assert!(e["message"].as_str().unwrap().contains(field) || e["code"].as_str().unwrap().contains(field), "{field}: {e}");
    }
    // A rule the platform does not have is an object that does not exist.
    let r = c
        .post(app.url("/api/v1/rules/no_such_rule/evaluate"))
        .bearer_auth(&t)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["code"], "not_found", "{e}");
}

#[tokio::test]
async fn land_route_contract() {
    let (app, t) = token_app().await;
    let url = app.url("/api/v1/rules/land_supply/evaluate");
    let body = json!({"investor": "enterprise", "school_type": "higher_vocational", "non_profit": true, "land_use": "education", "in_allocation_catalog": true});
    let v: Value = client()
        .post(&url)
        .bearer_auth(&t)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let allowed: Vec<&str> = v["outcome"]["allowed_methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    for m in ["allocation", "transfer", "lease"] {
        assert!(allowed.contains(&m), "{m} in {allowed:?}");
    }
    let mut for_profit = body.clone();
    for_profit["non_profit"] = json!(false);
    let v: Value = client()
        .post(&url)
        .bearer_auth(&t)
        .json(&for_profit)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let allowed: Vec<&str> = v["outcome"]["allowed_methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(!allowed.contains(&"allocation"));
    assert!(
        allowed.contains(&"transfer"),
        "paid routes stay open to enterprises"
    );
}

#[tokio::test]
async fn parameters_are_published_with_history() {
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    let v: Value = client()
        .get(app.url("/api/v1/policy/parameters"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = v["items"].as_array().unwrap();
    let rate = items
        .iter()
        .find(|p| p["key"] == "tax_credit.credit_rate")
        .expect("credit rate listed");
    assert!(
        rate["values"][0]["source"]
            .as_str()
            .unwrap()
            .contains("财税〔2019〕46号")
    );
    assert_eq!(rate["measure"], 12);
    assert!(
        items
            .iter()
            .any(|p| p["key"].as_str().unwrap().starts_with("certification."))
    );
    assert!(
        items
            .iter()
            .flat_map(|p| p["values"].as_array().unwrap().iter())
            .any(|v| v["verified"] == false),
        "defaults awaiting confirmation are flagged"
    );
    let html = client()
        .get(app.url("/policy/parameters"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("财税〔2019〕46号"));
    assert!(html.contains("待确认"));
}

#[tokio::test]
async fn calculator_pages_show_ledger_and_explanation() {
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    app.user("ent1", "department", "sw").await;
    let c = app.login("ent1").await;
    let r = c.get(app.url("/rules/tax_credit")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .get(app.url("/rules/tax_credit?go=1&year_0=2024&certified_0=1&investment_0=100000&tax_base_0=1000000"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = r.text().await.unwrap();
    assert!(h.contains("第7行"));
    assert!(h.contains("30,000.00"), "credit of 30% on 100,000.00 yuan");
    assert!(h.contains("计算过程与依据"));
    let r = c
        .get(app.url("/rules/tax_credit?go=1&year_0=2024&certified_0=1&investment_0=12.345"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("最多两位小数"));
    let r = c
        .get(app.url("/rules/land_supply?go=1&investor=enterprise&school_type=higher_vocational&non_profit=1&land_use=education&in_allocation_catalog=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = r.text().await.unwrap();
    assert!(h.contains("划拨"));
    assert!(h.contains("可以"));
}

fn chanjiao(args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chanjiao"))
        .args(args)
        .env("CHANJIAO_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn rules_eval_on_the_command_line() {
    let o = chanjiao(&["rules", "eval", "tax_credit", "-"], CONTRACT_TAX);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["outcome"]["years"][0]["carry_out_fen"], 0);
    assert!(v["trace"].is_array());

    let o = chanjiao(&["rules", "eval", "tax_credit", "--explain"], CONTRACT_TAX);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("依据："), "{text}");
    assert!(text.contains("财税〔2019〕46号"));

    let o = chanjiao(
        &["rules", "eval", "tax_credit"],
        r#"{"years": [{"year": 2024, "certified": true, "investment_fen": -5, "tax_base_fen": 0}]}"#,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("investment_fen"));
    let o = chanjiao(&["rules", "eval", "bogus"], "{}");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("未知的规则"));
    let o = chanjiao(&["rules", "eval", "tax_credit"], "[1,");
    assert_eq!(o.status.code(), Some(2));

    // An operator's override directory changes the rate from its date; a broken file is
    // refused, naming the file and the key.
    let dir = std::env::temp_dir().join(format!("chanjiao-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let over = r#"
[credit_rate]
description = "投资额抵免比例（测试覆盖）"
type = "rate"
unit = "比例"
measure = 12
[[credit_rate.values]]
from = "2019-01-01"
to = "2023-12-31"
value = "0.30"
source = "财税〔2019〕46号 第三条"
verified = true
[[credit_rate.values]]
from = "2024-01-01"
value = "0.50"
source = "测试文件 第一条"
verified = false
"#;
    std::fs::write(dir.join("tax_credit.toml"), over).unwrap();
    let input = r#"{"years": [{"year": 2024, "certified": true, "investment_fen": 1000, "tax_base_fen": 0}]}"#;
    let o = chanjiao(
        &[
            "--policy-dir",
            dir.to_str().unwrap(),
            "rules",
            "eval",
            "tax_credit",
        ],
        input,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["outcome"]["years"][0]["new_credit_fen"], 500);
    std::fs::write(
        dir.join("tax_credit.toml"),
        over.replace("from = \"2024-01-01\"", "from = \"2023-06-01\""),
    )
    .unwrap();
    let o = chanjiao(
        &[
            "--policy-dir",
            dir.to_str().unwrap(),
            "rules",
            "eval",
            "tax_credit",
        ],
        input,
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("tax_credit.toml")
            && err.contains("tax_credit.credit_rate")
            && err.contains("重叠"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
