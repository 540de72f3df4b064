//! Registers entered by their editors: 市发展改革委 imports the enterprises certified before the
//! platform into the list of certified enterprises (the shared import, its row report, all or
//! nothing); an imported certification counts like a decided one (the tax-credit
//! prerequisite, the ledger's certified years). On SQLite and PostgreSQL.

use domain::orgs::OrgKind;
use serde_json::{Value, json};

use crate::helpers::{TestApp, backends, credit, hidden, text};

const ENT: &str = "91500103MA5U7M001";

/// Uploads `csv` to the import of the certified list as the page client `c`; the status and
/// the page.
async fn upload(app: &TestApp, c: &reqwest::Client, csv: &str) -> (u16, String) {
    let page = text(c, &app.url("/registers/certified_enterprises")).await;
    let csrf = hidden(&page, "csrf").unwrap();
    let form = reqwest::multipart::Form::new().text("csrf", csrf).part(
        "file",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("certified.csv"),
    );
    let r = c
        .post(app.url("/registers/certified_enterprises/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn editors_import_the_certified_list_and_it_counts() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        app.org(
            OrgKind::Enterprise,
            &credit(ENT),
            "渝中示例导入有限公司",
            "500103",
        )
        .await;
        app.user("fgw1", "department", "fgw").await;
        app.user("jw1", "department", "jw").await;
        let ent_user = app.user("ent1", "enterprise", &credit(ENT)).await;
        let header = "所属机构统一社会信用代码,生效日期,有效期至\n";
        // Not an editor of the list: refused, and no import form on the page.
        let jw = app.login("jw1").await;
        let (s, _) = upload(&app, &jw, header).await;
        assert_eq!(s, 403);
        let fgw = app.login("fgw1").await;
        // A file with problems writes nothing and names the cells.
        let bad = format!(
            "{header}{},2024-03-01,2027-02-28\n{},2024-03-01,2027-02-28\n{},2024-13-01,\n",
            credit(ENT),
            credit("91500103MA5U7M009"),
            credit(ENT),
        );
        let (s, html) = upload(&app, &fgw, &bad).await;
        assert_eq!(s, 422, "{html}");
        assert!(html.contains("未在平台登记"), "{html}");
        assert!(html.contains("A3"), "the unknown owner's cell: {html}");
        assert!(html.contains("与第2行重复"), "{html}");
        assert!(html.contains("不是有效日期"), "{html}");
        assert_eq!(app.count("SELECT COUNT(*) FROM register_entries").await, 0);
        // A clean file: listed, in force, with its history line.
        let good = format!("{header}{},2024-03-01,2027-02-28\n", credit(ENT));
        let (s, html) = upload(&app, &fgw, &good).await;
        assert_eq!(s, 200, "{html}");
        assert!(html.contains("已导入 1 条"), "{html}");
        let r: Value = crate::helpers::client()
            .get(app.url("/api/v1/certified"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["total"], 1, "{r}");
        let e = &r["items"][0];
        assert_eq!(e["owner_name"], "渝中示例导入有限公司");
        assert_eq!(
            (e["valid_from"].as_str(), e["valid_until"].as_str()),
            (Some("2024-03-01"), Some("2027-02-28"))
        );
        let d: Value = crate::helpers::client()
            .get(app.url(&format!(
                "/api/v1/registers/certified_enterprises/{}",
                e["id"]
            )))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            d["events"][0]["summary"], "导入：列入，2024年3月1日起，有效期至2027年2月28日",
            "{d}"
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'register.import'")
                .await,
            1
        );
        // The imported certification counts: the enterprise claims the credit, and 2025 is a
        // certified year in its ledger.
        let token = app.token(ent_user).await;
        let c = crate::helpers::client();
        let r = c
            .post(app.url("/api/v1/applications"))
            .bearer_auth(&token)
            .json(&json!({"kind": "tax_credit_claim", "data": {"year": 2025, "investment_fen": 10_000_000, "tax_base_fen": 100_000_000, "evidence": "投资协议"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let a: Value = r.json().await.unwrap();
        let r = c
            .post(app.url(&format!("/api/v1/applications/{}/actions", a["id"])))
            .bearer_auth(&token)
            .json(&json!({"action": "submit", "version": a["version"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        let d: Value = c
            .get(app.url(&format!("/api/v1/applications/{}", v["id"])))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let years = d["decision"]["outcome"]["years"].as_array().unwrap();
        let y = years.iter().find(|y| y["year"] == 2025).unwrap();
        assert_eq!(y["eligible"], true, "{y}");

        // 市发展改革委 ends the imported entry (revoked outside the platform), with a reason;
        // 市教委 may not. Ended, it is off the public list.
        let entry_page = format!("/registers/certified_enterprises/{}", e["id"]);
        let end = |c: &reqwest::Client, reason: &'static str| {
            let (c, app, entry_page) = (c.clone(), &app, entry_page.clone());
            async move {
                let html = text(&c, &app.url(&entry_page)).await;
                let csrf = hidden(&html, "csrf").unwrap();
                let r = c
                    .post(app.url(&format!("{entry_page}/end")))
                    .form(&[("csrf", csrf.as_str()), ("reason", reason)])
                    .send()
                    .await
                    .unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            }
        };
        assert_eq!(end(&jw, "无权终止").await.0, 403);
        let (s, _) = end(&fgw, "").await;
        assert_eq!(s, 422);
        let (s, _) = end(&fgw, "该企业认定已于2026年11月被撤销").await;
        assert_eq!(s, 303);
        let html = text(&fgw, &app.url(&format!("{entry_page}?notice=ended"))).await;
        assert!(html.contains("已终止该条目"), "{html}");
        assert!(
            html.contains("终止：该企业认定已于2026年11月被撤销"),
            "{html}"
        );
        assert!(html.contains("已终止"), "{html}");
        let r: Value = crate::helpers::client()
            .get(app.url("/api/v1/certified"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["total"], 0, "{r}");
        // Ended once: a second end is refused.
        let (s, _) = end(&fgw, "重复").await;
        assert_eq!(s, 409);
    }
}

/// 市发展改革委 enters one certified enterprise through the API: every refusal names its field
/// and writes nothing; the entry is listed with its history line and audit entry.
#[tokio::test]
async fn an_editor_enters_an_entry_through_the_api() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        app.org(
            OrgKind::Enterprise,
            &credit(ENT),
            "渝中示例录入有限公司",
            "500103",
        )
        .await;
        let fgw = app.token(app.user("fgw1", "department", "fgw").await).await;
        let jw = app.token(app.user("jw1", "department", "jw").await).await;
        let post = |token: Option<&str>, body: Value| {
            let app = &app;
            let token = token.map(str::to_owned);
            async move {
                let mut r = crate::helpers::client()
                    .post(app.url("/api/v1/registers/certified_enterprises"))
                    .json(&body);
                if let Some(t) = token {
                    r = r.bearer_auth(t);
                }
                let r = r.send().await.unwrap();
                (r.status().as_u16(), r.json::<Value>().await.unwrap())
            }
        };
        let entry = json!({"owner_code": credit(ENT), "valid_from": "2024-03-01", "valid_until": "2027-02-28"});
        assert_eq!(post(None, entry.clone()).await.0, 401);
        assert_eq!(post(Some(&jw), entry.clone()).await.0, 403);
        for (body, field, words) in [
            (
                json!({"owner_code": credit("91500103MA5U7M009"), "valid_from": "2024-03-01"}),
                "owner_code",
                "未在平台登记",
            ),
            (
                json!({"owner_code": credit(ENT), "valid_from": "2024-03-01", "valid_until": "2024-02-28"}),
                "valid_until",
                "不能早于生效日期",
            ),
            (
                json!({"owner_code": credit(ENT), "valid_from": "2024-03-01", "data": {"grade": "A"}}),
                "data",
                "没有字段“grade”",
            ),
            (
                json!({"owner_code": credit(ENT), "valid_from": "2024-03-01", "reference": "X-1"}),
                "reference",
                "不填编号",
            ),
        ] {
            let (s, e) = post(Some(&fgw), body).await;
            assert_eq!(s, 422, "{e}");
            assert_eq!(e["code"], format!("invalid.{field}"), "{e}");
            assert!(e["message"].as_str().unwrap().contains(words), "{e}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM register_entries").await, 0);
        let (s, d) = post(Some(&fgw), entry).await;
        assert_eq!(s, 201, "{d}");
        assert_eq!(d["entry"]["owner_name"], "渝中示例录入有限公司");
        assert_eq!(d["entry"]["in_force"], true, "{d}");
        assert_eq!(
            d["events"][0]["summary"],
            "录入：列入，2024年3月1日起，有效期至2027年2月28日"
        );
        let r = crate::helpers::get_json(&app.url("/api/v1/certified"), &jw).await;
        assert_eq!(r["total"], 1, "{r}");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'register.enter'")
                .await,
            1
        );
    }
}

/// 市发展改革委 enters one certified enterprise on the register's page: a refused form comes
/// back with what was typed and each problem named; a clean one lists it and says so.
#[tokio::test]
async fn an_editor_enters_an_entry_on_the_page() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        app.org(
            OrgKind::Enterprise,
            &credit(ENT),
            "渝中示例表单有限公司",
            "500103",
        )
        .await;
        app.user("fgw1", "department", "fgw").await;
        app.user("jw1", "department", "jw").await;
        let path = "/registers/certified_enterprises/new";
        let jw = app.login("jw1").await;
        assert_eq!(jw.get(app.url(path)).send().await.unwrap().status(), 403);
        let fgw = app.login("fgw1").await;
        let list = text(&fgw, &app.url("/registers/certified_enterprises")).await;
        assert!(list.contains(&format!("href=\"{path}\"")), "{list}");
        let form = text(&fgw, &app.url(path)).await;
        assert!(form.contains("name=\"owner_code\""), "{form}");
        assert!(form.contains("type=\"date\" name=\"valid_from\""), "{form}");
        let csrf = hidden(&form, "csrf").unwrap();
        let code = credit(ENT);
        let post = |fields: Vec<(&'static str, String)>| {
            let fgw = fgw.clone();
            let url = app.url(path);
            async move {
                let r = fgw.post(url).form(&fields).send().await.unwrap();
                let status = r.status().as_u16();
                let location = r
                    .headers()
                    .get("location")
                    .map(|l| l.to_str().unwrap().to_owned());
                (status, location, r.text().await.unwrap())
            }
        };
        let (s, _, html) = post(vec![
            ("csrf", csrf.clone()),
            ("owner_code", code.clone()),
            ("valid_from", "2024-03-01".into()),
            ("valid_until", "2024-02-01".into()),
        ])
        .await;
        assert_eq!(s, 422, "{html}");
        assert!(html.contains("有效期至不能早于生效日期"), "{html}");
        assert!(
            html.contains(&format!("value=\"{code}\"")),
            "typed values are kept: {html}"
        );
        let (s, _, html) = post(vec![
            ("csrf", csrf.clone()),
            ("owner_code", credit("91500103MA5U7M009")),
            ("valid_from", "2024-03-01".into()),
        ])
        .await;
        assert_eq!(s, 422, "{html}");
        assert!(html.contains("所属机构：统一社会信用代码“"), "{html}");
        assert!(html.contains("的机构未在平台登记"), "{html}");
        assert_eq!(app.count("SELECT COUNT(*) FROM register_entries").await, 0);
        let (s, location, html) = post(vec![
            ("csrf", csrf),
            ("owner_code", code),
            ("valid_from", "2024-03-01".into()),
            ("valid_until", "".into()),
        ])
        .await;
        assert_eq!(s, 303, "{html}");
        let location = location.unwrap();
        assert!(location.ends_with("?notice=entered"), "{location}");
        let page = text(&fgw, &app.url(&location)).await;
        assert!(page.contains("已录入该条目"), "{page}");
        assert!(page.contains("录入：列入，2024年3月1日起"), "{page}");
        assert!(page.contains("渝中示例表单有限公司"), "{page}");
    }
}
