//! The server-rendered pages.

use domain::orgs::OrgKind;

use crate::helpers::{TestApp, backends, client, credit, hidden, xlsx_rows};

#[tokio::test]
async fn pages_render_in_chinese_and_redirect_when_logged_out() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        app.user("op1", "operator", "operator").await;
        app.org(
            OrgKind::Enterprise,
            &credit("91500103MA5U70001"),
            "渝中甲企业",
            "500103",
        )
        .await;
        let r = client().get(app.url("/orgs")).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let public = client().get(app.url("/measures")).send().await.unwrap();
        assert_eq!(public.status(), 200);
        let html = public.text().await.unwrap();
        assert!(html.contains("lang=\"zh-CN\""));
        assert!(html.contains("重庆市税务局"));
        let html = client()
            .get(app.url("/measures/12"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("税收抵免"));
        assert_eq!(
            client()
                .get(app.url("/measures/14"))
                .send()
                .await
                .unwrap()
                .status(),
            404
        );

        let c = app.login("op1").await;
        let home = c
            .get(app.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(home.contains("<h1>全市申报办理</h1>"));
        assert!(
            home.contains("<svg"),
            "dashboard has a server-rendered chart"
        );
        for path in [
            "/orgs",
            "/orgs?kind=district&district=500103",
            "/orgs/new",
            "/admin/users",
            "/audit",
            "/measures",
        ] {
            let r = c.get(app.url(path)).send().await.unwrap();
            assert_eq!(r.status(), 200, "{path}");
            let h = r.text().await.unwrap();
            assert!(
                !h.contains("http://") || h.contains("http://www.w3.org/2000/svg"),
                "{path}: no external assets"
            );
        }
        // Pages link the stylesheet by its content's version: a changed stylesheet has a new
        // address, and that address serves it.
        let home = crate::helpers::text(&c, &app.url("/")).await;
        let link = format!("/static/app.css?v={}", web::pages::CSS_VERSION);
        assert!(home.contains(&format!("href=\"{link}\"")), "{home}");
        let css = c.get(app.url(&link)).send().await.unwrap();
        assert_eq!(css.status(), 200);
        assert!(css.text().await.unwrap().contains(".form label.check"));
    }
}

#[tokio::test]
async fn org_form_keeps_input_on_error_and_needs_csrf() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        app.user("op1", "operator", "operator").await;
        let c = app.login("op1").await;
        let html = c
            .get(app.url("/orgs/new"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden(&html, "csrf").unwrap();
        let orgs = app.count("SELECT COUNT(*) FROM orgs").await;
        let audit = app.audit_count().await;
        let good = credit("52500103MJ0000001");
        // Missing CSRF → 403, nothing written.
        let r = c
            .post(app.url("/orgs/new"))
            .form(&[
                ("kind", "school"),
                ("name", "渝中示例职业学校"),
                ("code", &good),
                ("district", "500103"),
                ("school_level", "secondary"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        // Invalid code: 422, the form comes back with what was typed and the reason.
        let r = c
            .post(app.url("/orgs/new"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("kind", "school"),
                ("name", "渝中示例职业学校"),
                ("code", "12345"),
                ("district", "500103"),
                ("school_level", "secondary"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let h = r.text().await.unwrap();
        assert!(h.contains("统一社会信用代码应为18位"), "{h}");
        assert!(h.contains("value=\"渝中示例职业学校\""));
        assert_eq!(app.count("SELECT COUNT(*) FROM orgs").await, orgs);
        assert_eq!(app.audit_count().await, audit);
        // Valid: redirected to the new organisation's page.
        let r = c
            .post(app.url("/orgs/new"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("kind", "school"),
                ("name", "渝中示例职业学校"),
                ("code", &good),
                ("district", "500103"),
                ("school_level", "secondary"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let loc = r.headers()["location"].to_str().unwrap().to_string();
        let h = c
            .get(app.url(&loc))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(h.contains("中职"));
        assert_eq!(app.audit_count().await, audit + 1);
        let (actor, org, rid): (String, Option<i64>, Option<String>) = sqlx::query_as(
            "SELECT actor, actor_org_id, request_id FROM audit_log ORDER BY seq DESC LIMIT 1",
        )
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        assert_eq!(actor, "op1");
        assert!(org.is_some(), "the actor's organisation is recorded");
        assert_eq!(rid.map(|r| r.len()), Some(36), "the request id is recorded");
        // The same code again: 409 with a clear message.
        let r = c
            .post(app.url("/orgs/new"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("kind", "school"),
                ("name", "另一所学校"),
                ("code", &good),
                ("district", "500103"),
                ("school_level", "secondary"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 409);
        assert!(r.text().await.unwrap().contains("已存在"));
    }
}

#[tokio::test]
async fn other_orgs_pages_are_404_and_admin_pages_403() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        app.org(
            OrgKind::Enterprise,
            &credit("91500103MA5U70001"),
            "渝中甲企业",
            "500103",
        )
        .await;
        let other = app
            .org(
                OrgKind::Enterprise,
                &credit("91500106MA5U70002"),
                "沙坪坝乙企业",
                "500106",
            )
            .await;
        app.user("ent1", "enterprise", &credit("91500103MA5U70001"))
            .await;
        let c = app.login("ent1").await;
        assert_eq!(
            c.get(app.url(&format!("/orgs/{other}")))
                .send()
                .await
                .unwrap()
                .status(),
            404
        );
        assert_eq!(
            c.get(app.url("/orgs/not-a-number"))
                .send()
                .await
                .unwrap()
                .status(),
            404
        );
        for p in ["/admin/users", "/audit", "/orgs/new"] {
            assert_eq!(c.get(app.url(p)).send().await.unwrap().status(), 403, "{p}");
        }
        let html = c
            .get(app.url("/orgs"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("渝中甲企业"));
        assert!(!html.contains("沙坪坝乙企业"));
    }
}

#[tokio::test]
async fn xlsx_export_holds_the_filtered_list() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        app.org(
            OrgKind::Enterprise,
            &credit("91500103MA5U70001"),
            "渝中甲企业",
            "500103",
        )
        .await;
        app.org(
            OrgKind::Enterprise,
            &credit("91500106MA5U70002"),
            "沙坪坝乙企业",
            "500106",
        )
        .await;
        app.user("op1", "operator", "operator").await;
        let c = app.login("op1").await;
        let r = c
            .get(app.url("/orgs/export.xlsx?kind=enterprise&district=500106"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .contains("spreadsheetml")
        );
        let rows = xlsx_rows(&r.bytes().await.unwrap(), Some("机构名录"));
        assert_eq!(rows.len(), 2, "header and one row");
        assert_eq!(rows[0][0], "名称");
        assert_eq!(rows[1][0], "沙坪坝乙企业");
        assert_eq!(rows[1][4], "沙坪坝区");
    }
}

#[tokio::test]
async fn operator_manages_users_and_tokens_in_the_browserless_flow() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        app.user("op1", "operator", "operator").await;
        let c = app.login("op1").await;
        let html = c
            .get(app.url("/admin/users"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden(&html, "csrf").unwrap();
        let r = c
            .post(app.url("/admin/users"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", "sw1"),
                ("display_name", "税务专员"),
                ("role", "department"),
                ("org", "sw"),
                ("password", "Another-Passw0rd"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let r = c
            .post(app.url("/admin/users"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", "bad name"),
                ("display_name", "x"),
                ("role", "department"),
                ("org", "sw"),
                ("password", "Another-Passw0rd"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("用户名须为"));
        let r = c
            .post(app.url("/admin/tokens"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", "sw1"),
                ("name", "税务系统对接"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let h = r.text().await.unwrap();
        let start = h.find("cjt_").expect("token shown once");
        let token: String = h[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let r = client()
            .get(app.url("/api/v1/orgs"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        // Listing again never shows the secret.
        let h = c
            .get(app.url("/admin/users"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!h.contains(&token));
    }
}

/// Each measure's page leads to the pages where its work is done (3, 5 and 12 today), every
/// link is a page route (links cannot rot), and a measure without pages says so.
#[tokio::test]
async fn measure_pages_lead_to_where_the_work_is_done() {
    let routes = web::pages::route_table();
    for w in web::features::measures::WORK {
        assert!(
            routes.iter().any(|(m, p)| m == "GET" && p == w.href),
            "{} is not a page",
            w.href
        );
    }
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    let c = client();
    for n in [3u8, 5, 12] {
        let html = c
            .get(app.url(&format!("/measures/{n}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let links: Vec<_> = web::features::measures::WORK
            .iter()
            .filter(|w| w.measure == n)
            .collect();
        assert!(links.len() >= 3, "measure {n}");
        for w in links {
            assert!(
                html.contains(&format!("<a href=\"{}\">{}</a>", w.href, w.label)),
                "measure {n} lacks {}",
                w.href
            );
        }
        assert!(
            html.contains("须先<a href=\"/login\">登录</a>"),
            "anonymous: {n}"
        );
    }
    let html = c
        .get(app.url("/measures/1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("尚在建设中"));
}

/// The organisations list pages with numbers (the first, the last and the neighbourhood of the
/// page shown), keeping the filters, not only 上一页 / 下一页.
#[tokio::test]
async fn the_organisations_list_pages_with_numbers() {
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    app.user("op_pages", "operator", "operator").await;
    let c = app.login("op_pages").await;
    let html = c
        .get(app.url("/orgs?kind=district&page=2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<strong aria-current=\"page\">2</strong>"),
        "{html}"
    );
    assert!(
        html.contains("<a href=\"/orgs?kind=district&#38;page=1\">1</a>"),
        "{html}"
    );
    assert!(
        html.contains("<a href=\"/orgs?kind=district&#38;page=3\">3</a>"),
        "{html}"
    );
}
