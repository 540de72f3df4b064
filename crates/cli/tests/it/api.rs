//! The JSON API contract.

use domain::orgs::OrgKind;
use serde_json::{Value, json};

use crate::helpers::{TestApp, backends, client, credit};

#[tokio::test]
async fn measures_are_public_with_units_as_the_seed_names_them() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        let r = client()
            .get(app.url("/api/v1/measures"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        let items = v["items"].as_array().unwrap();
        assert_eq!(items.len(), 13);
        assert_eq!(v["total"], 13);
        assert_eq!(v["page"], 1);
        for (i, m) in items.iter().enumerate() {
            assert_eq!(m["number"], i as u64 + 1);
            assert!(!m["title"].as_str().unwrap().is_empty());
            assert!(!m["summary"].as_str().unwrap().is_empty());
            assert_eq!(m["responsible_units"][0]["lead"], true, "lead unit first");
        }
        let names = |n: usize| -> Vec<String> {
            items[n]["responsible_units"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            names(2),
            [
                "市发展改革委",
                "市教委",
                "市经济信息委",
                "市财政局",
                "市人力社保局",
                "市国资委",
                "重庆市税务局"
            ]
        );
        assert_eq!(names(11), ["重庆市税务局"]);
        assert_eq!(names(12), ["市规划自然资源局"]);
        assert_eq!(items[0]["responsible_units"][0]["name"], "市发展改革委");
    }
}

#[tokio::test]
async fn org_list_requires_login_or_token() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        let r = client().get(app.url("/api/v1/orgs")).send().await.unwrap();
        assert_eq!(r.status(), 401);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["code"], "unauthorized");
        assert!(v["message"].as_str().unwrap().contains("登录"));
        let r = client()
            .get(app.url("/api/v1/orgs"))
            .bearer_auth("cjt_not-a-real-token")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
}

#[tokio::test]
async fn operator_creates_orgs_and_bad_input_changes_nothing() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        let op = app.user("op1", "operator", "operator").await;
        let token = app.token(op).await;
        let c = client();
        let code = credit("91500103MA5U7XXX1");
        let body = json!({"kind": "enterprise", "name": "重庆测试智造有限公司", "code": code,
            "district": "500103", "industry": "C3612", "size": "small", "ownership": "private"});
        let r = c
            .post(app.url("/api/v1/orgs"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let created: Value = r.json().await.unwrap();
        assert_eq!(created["code"], code.as_str());
        let id = created["id"].as_i64().unwrap();

        let audit_before = app.audit_count().await;
        let orgs_before = app.count("SELECT COUNT(*) FROM orgs").await;

        // Duplicate credit code → 409, nothing written.
        let r = c
            .post(app.url("/api/v1/orgs"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 409);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["code"], "conflict");
        assert!(v["message"].as_str().unwrap().contains("已存在"));

        // Invalid credit code (wrong check character) → 422 naming the field.
        let mut bad = body.clone();
        let mut wrong = code.clone();
        let last = wrong.pop().unwrap();
        wrong.push(if last == '0' { '1' } else { '0' });
        bad["code"] = json!(wrong);
        let r = c
            .post(app.url("/api/v1/orgs"))
            .bearer_auth(&token)
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["code"], "invalid.code");
        assert!(v["message"].as_str().unwrap().contains("校验位"), "{v}");

        // Missing name, overlong name, unknown field, wrong kind.
        for (patch, field) in [
            (json!({"name": ""}), "invalid.name"),
            (json!({"name": "长".repeat(101)}), "invalid.name"),
            (json!({"kind": "department"}), "invalid.kind"),
            (json!({"district": "110101"}), "invalid.district"),
            (json!({"industry": "Z99"}), "invalid.industry"),
        ] {
            let mut bad = body.clone();
            for (k, v) in patch.as_object().unwrap() {
                bad[k] = v.clone();
            }
            bad["code"] = json!(credit("91500103MA5U7YYY2"));
            let r = c
                .post(app.url("/api/v1/orgs"))
                .bearer_auth(&token)
                .json(&bad)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 422, "{patch}");
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["code"], field, "{patch}");
        }
        let mut extra = body.clone();
        extra["code"] = json!(credit("91500103MA5U7WWW3"));
        extra["hack"] = json!(1);
        let r = c
            .post(app.url("/api/v1/orgs"))
            .bearer_auth(&token)
            .json(&extra)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let r = c
            .post(app.url("/api/v1/orgs"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);

        assert_eq!(
            app.audit_count().await,
            audit_before,
            "failed requests write no audit entries"
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM orgs").await, orgs_before);

        // Read back, and find it by name fragment and by credit code.
        let v: Value = c
            .get(app.url(&format!("/api/v1/orgs/{id}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["name"], "重庆测试智造有限公司");
        for q in ["智造", "测试智造有限", code.as_str(), &code.to_lowercase()] {
            let v: Value = c
                .get(app.url("/api/v1/orgs"))
                .query(&[("q", q), ("kind", "enterprise")])
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(v["total"], 1, "search {q}");
            assert_eq!(v["items"][0]["id"], id);
        }
        let v: Value = c
            .get(app.url("/api/v1/orgs?q=造智"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["total"], 0, "bigrams must also match in order");
    }
}

#[tokio::test]
async fn non_operators_cannot_create_and_see_only_their_scope() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        let e1 = app
            .org(
                OrgKind::Enterprise,
                &credit("91500103MA5U70001"),
                "渝中甲企业",
                "500103",
            )
            .await;
        let e2 = app
            .org(
                OrgKind::Enterprise,
                &credit("91500106MA5U70002"),
                "沙坪坝乙企业",
                "500106",
            )
            .await;
        let ent = app
            .user("ent1", "enterprise", &credit("91500103MA5U70001"))
            .await;
        let dis = app.user("dis1", "district", "500103").await;
        let dep = app.user("dep1", "department", "jw").await;
        let c = client();

        let t = app.token(ent).await;
        let v: Value = c
            .get(app.url("/api/v1/orgs"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["total"], 1);
        assert_eq!(v["items"][0]["id"], e1);
        let r = c
            .get(app.url(&format!("/api/v1/orgs/{e2}")))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            404,
            "another organisation's id is a 404, not a leak"
        );
        let r = c
            .post(app.url("/api/v1/orgs"))
            .bearer_auth(&t)
            .json(&json!({"kind": "bank", "name": "某银行", "code": credit("91500103MA5U70003"), "district": "500103"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);

        let t = app.token(dis).await;
        let v: Value = c
            .get(app.url("/api/v1/orgs?kind=enterprise"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["total"], 1);
        assert_eq!(v["items"][0]["id"], e1);
        let r = c
            .get(app.url(&format!("/api/v1/orgs/{e2}")))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);

        let t = app.token(dep).await;
        let v: Value = c
            .get(app.url("/api/v1/orgs?kind=enterprise"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["total"], 2);
        let v: Value = c
            .get(app.url("/api/v1/orgs?district=500106&kind=enterprise"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["total"], 1);
        assert_eq!(v["items"][0]["id"], e2);
        let r = c
            .get(app.url("/api/v1/orgs?kind=alien"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let r = c
            .get(app.url("/api/v1/orgs?page=abc"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
    }
}

#[tokio::test]
async fn lists_page_with_the_common_shape() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        let op = app.user("op1", "operator", "operator").await;
        let t = app.token(op).await;
        let v: Value = client()
            .get(app.url("/api/v1/orgs?kind=district&per_page=10&page=2"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["total"], 41, "38 districts and counties plus 3 zones");
        assert_eq!(v["page"], 2);
        assert_eq!(v["per_page"], 10);
        assert_eq!(v["items"].as_array().unwrap().len(), 10);
        let v: Value = client()
            .get(app.url("/api/v1/orgs?kind=district&per_page=10&page=5"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["items"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn openapi_document_is_generated_from_the_handlers() {
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    let v: Value = client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(v["openapi"].as_str().unwrap().starts_with("3."));
    let paths = v["paths"].as_object().unwrap();
    for p in ["/api/v1/measures", "/api/v1/orgs", "/api/v1/orgs/{id}"] {
        assert!(
            paths.contains_key(p),
            "missing {p} in {:?}",
            paths.keys().collect::<Vec<_>>()
        );
    }
    assert!(
        paths["/api/v1/orgs"]["post"]["responses"]
            .get("409")
            .is_some()
    );
    let r = client()
        .get(app.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], "not_found");
}

/// The framework's own rejections answer `{code, message}` JSON in Chinese like every other
/// API error, and change nothing.
#[tokio::test]
async fn every_api_error_is_json_including_the_frameworks_rejections() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        let op = app.user("op_json", "operator", "operator").await;
        let token = app.token(op).await;
        let c = client();
        let orgs_before = app.count("SELECT COUNT(*) FROM orgs").await;
        let url = app.url("/api/v1/orgs");
        let big = format!("{{\"name\": \"{}\"}}", "x".repeat(web::MAX_BODY));
        let cases: Vec<(reqwest::RequestBuilder, u16, &str, &str)> = vec![
            (
                c.post(&url).bearer_auth(&token).body("{}"),
                415,
                "unsupported_media_type",
                "请求内容须为 JSON",
            ),
            (
                c.post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body("{not json"),
                400,
                "bad_request",
                "请求格式错误",
            ),
            (
                c.post(&url).bearer_auth(&token).json(&json!({"kind": 7})),
                422,
                "invalid.body",
                "请求体不是有效的机构 JSON",
            ),
            (
                c.post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(big),
                413,
                "payload_too_large",
                "请求内容超过上限",
            ),
            (
                c.get(app.url("/api/v1/no-such-thing")).bearer_auth(&token),
                404,
                "not_found",
                "接口不存在",
            ),
            (
                c.get(app.url("/api/v1/orgs?per_page=0"))
                    .bearer_auth(&token),
                422,
                "invalid.per_page",
                "per_page 应为 1 至 1000000 的整数",
            ),
            (
                c.get(app.url("/api/v1/queue?page=1000001"))
                    .bearer_auth(&token),
                422,
                "invalid.page",
                "page 应为 1 至 1000000 的整数",
            ),
            (
                c.get(app.url("/api/v1/orgs?q=%E6%B8%9D%00")).bearer_auth(&token),
                422,
                "invalid.query",
                "查询参数不能含有 NUL 字符",
            ),
            (
                c.post(&url)
                    .bearer_auth(&token)
                    .json(&json!({"kind": "bank", "name": "银行\u{0}", "code": "x", "district": "500103"})),
                422,
                "invalid.body",
                "文字中不能含有 NUL 字符",
            ),
            (
                c.post(app.url("/api/v1/applications/1/actions"))
                    .bearer_auth(&token)
                    .json(&json!({"action": "submit", "version": 9007199254740992_i64})),
                422,
                "invalid.body",
                "整数 9007199254740992 超出范围",
            ),
            (
                c.get(app.url("/api/v1/orgs?kind=&page=1"))
                    .bearer_auth(&token),
                422,
                "invalid.kind",
                "参数 kind 不能为空",
            ),
            (
                c.post(app.url("/api/v1/demand/confirm"))
                    .bearer_auth(&token)
                    .json(&json!({"title": "门店储备干部", "occupation_code": "8-99-99-99"})),
                404,
                "not_found",
                "职业",
            ),
            (
                c.post(app.url("/api/v1/demand/confirm"))
                    .bearer_auth(&token)
                    .json(&json!({"title": "岗".repeat(101)})),
                422,
                "invalid.title",
                "岗位名称不能超过100个字",
            ),
            (
                c.delete(app.url("/api/v1/measures")).bearer_auth(&token),
                405,
                "method_not_allowed",
                "接口不支持此请求方法",
            ),
        ];
        for (req, status, code, message) in cases {
            let r = req.send().await.unwrap();
            assert_eq!(r.status().as_u16(), status, "{code}");
            assert_eq!(
                r.headers()["content-type"].to_str().unwrap(),
                "application/json",
                "{code}"
            );
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["code"], code, "{v}");
            assert!(v["message"].as_str().unwrap().starts_with(message), "{v}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM orgs").await, orgs_before);
    }
}

/// The whole OpenAPI document, as served, against its reviewed snapshot: any change to what the
/// API says it does shows in review. `CHANJIAO_UPDATE_SNAPSHOT=1` rewrites the snapshot.
#[tokio::test]
async fn the_openapi_document_matches_its_snapshot() {
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    let v: Value = client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // A detail's decision is null until the kind's rule has run, and says so.
    let detail = &v["components"]["schemas"]["Detail"]["properties"]["decision"];
    assert!(
        detail.to_string().contains("null"),
        "decision must be nullable: {detail}"
    );
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/openapi.snapshot.json"
    );
    let served = serde_json::to_string_pretty(&v).unwrap() + "\n";
    if std::env::var("CHANJIAO_UPDATE_SNAPSHOT").is_ok_and(|s| s == "1") {
        std::fs::write(path, &served).unwrap();
    }
    let kept = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(
        kept == served,
        "the OpenAPI document changed; review it and rerun with CHANJIAO_UPDATE_SNAPSHOT=1 \
         (diff {path} against the served document)"
    );
}
