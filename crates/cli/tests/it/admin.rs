//! The users page (`/admin/users`): search, filters, totals and numbered pages; a new user's
//! organisation chosen from a list and their role chosen, never preset, and refused when it
//! does not fit the organisation's kind.

use std::sync::LazyLock;

use domain::orgs::OrgKind;
use regex::Regex;
use reqwest::Client;
use store::Actor;

use crate::helpers::{TestApp, backends, credit, hidden};

static ROW_USERNAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<tr><td>([A-Za-z0-9_.\-]+)</td>").unwrap());
static TOTALS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?s)<p class="sub" id="user-totals">(.*?)</p>"#).unwrap());

/// A user with a display name of its own (no password unless `password`).
async fn user(app: &TestApp, username: &str, display: &str, role: &str, org: &str) -> i64 {
    web::features::admin::add_user(
        &app.db,
        &Actor::system("test"),
        &web::features::admin::UserInput {
            username,
            display_name: display,
            role,
            org_code: org,
            password: None,
        },
    )
    .await
    .unwrap_or_else(|e| panic!("creating {username}: {e}"))
}

struct World {
    app: TestApp,
    op: Client,
    school: String,
    ent: String,
}

/// An operator, a school in 渝北, two enterprises in 渝中, and users of each kind; 李娜 is
/// disabled.
async fn world(b: store::Backend) -> World {
    let app = TestApp::spawn(b).await;
    app.user("op1", "operator", "operator").await;
    let school = credit("52500112MJ0000001");
    let ent = credit("91500103MA5U70001");
    let ent2 = credit("91500103MA5U70002");
    app.org(OrgKind::School, &school, "渝北示例职业学院", "500112")
        .await;
    app.org(OrgKind::Enterprise, &ent, "渝中示例智造有限公司", "500103")
        .await;
    app.org(OrgKind::Enterprise, &ent2, "渝中示例物流有限公司", "500103")
        .await;
    user(&app, "zhangwei", "张伟", "school", &school).await;
    user(&app, "zhangmin", "张敏", "enterprise", &ent).await;
    let lina = user(&app, "lina", "李娜", "enterprise", &ent).await;
    user(&app, "wangfang", "王芳", "district", "500103").await;
    user(&app, "ZhaoLei", "赵磊", "enterprise", &ent2).await;
    let mut tx = app.db.begin().await.unwrap();
    store::accounts::set_active(&mut tx, &Actor::system("test"), lina, false)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let op = app.login("op1").await;
    World {
        app,
        op,
        school,
        ent,
    }
}

impl World {
    async fn page(&self, query: &str) -> String {
        let r = self
            .op
            .get(self.app.url(&format!("/admin/users?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{query}");
        r.text().await.unwrap()
    }

    /// The usernames the list shows.
    async fn listed(&self, query: &str) -> Vec<String> {
        let html = self.page(query).await;
        listed(&html)
    }

    async fn csrf(&self) -> String {
        hidden(&self.page("").await, "csrf").unwrap()
    }

    async fn post(&self, fields: &[(&str, &str)]) -> (u16, String) {
        let csrf = self.csrf().await;
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        let r = self
            .op
            .post(self.app.url("/admin/users"))
            .form(&form)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
}

fn listed(html: &str) -> Vec<String> {
    let table = &html[html.find("<tbody>").unwrap()..html.find("</tbody>").unwrap()];
    ROW_USERNAME
        .captures_iter(table)
        .map(|c| c[1].to_string())
        .collect()
}

fn totals(html: &str) -> String {
    TOTALS.captures(html).expect("the totals line")[1].to_string()
}

fn names(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

/// The `<select name="…">` of a page, up to its end.
fn select<'a>(html: &'a str, name: &str) -> &'a str {
    let start = html
        .find(&format!("<select name=\"{name}\" required>"))
        .unwrap_or_else(|| panic!("no select {name}"));
    let end = html[start..].find("</select>").unwrap() + start;
    &html[start..end]
}

#[tokio::test]
async fn users_are_searched_filtered_and_counted() {
    for b in backends() {
        let w = world(b).await;
        // Part of a display name, part of a username (any case).
        assert_eq!(w.listed("q=张").await, names(&["zhangwei", "zhangmin"]));
        assert_eq!(w.listed("q=ZHANG").await, names(&["zhangwei", "zhangmin"]));
        assert_eq!(w.listed("q=zhao").await, names(&["ZhaoLei"]));
        assert_eq!(w.listed("q=无此人").await, Vec::<String>::new());
        // Role, status, organisation (part of its name, or its code).
        assert_eq!(
            w.listed("role=enterprise").await,
            names(&["zhangmin", "lina", "ZhaoLei"])
        );
        assert_eq!(
            w.listed("role=enterprise&status=active").await,
            names(&["zhangmin", "ZhaoLei"])
        );
        assert_eq!(
            w.listed("role=enterprise&status=disabled").await,
            names(&["lina"])
        );
        assert_eq!(w.listed("org=智造").await, names(&["zhangmin", "lina"]));
        assert_eq!(
            w.listed(&format!("org={}", w.school)).await,
            names(&["zhangwei"])
        );
        assert_eq!(w.listed("org=渝中区").await, names(&["wangfang"]));
        // Filters combine.
        assert_eq!(w.listed("q=张&role=enterprise").await, names(&["zhangmin"]));
        // Totals: everyone matching, and how many are active and disabled.
        let html = w.page("role=enterprise").await;
        assert_eq!(
            totals(&html),
            "共 3 人（符合条件的启用 2 人，停用 1 人），第 1 / 1 页"
        );
        let html = w.page("role=enterprise&status=disabled").await;
        assert_eq!(
            totals(&html),
            "共 1 人（符合条件的启用 2 人，停用 1 人），第 1 / 1 页"
        );
        let html = w.page("").await;
        assert!(totals(&html).starts_with("共 6 人（"), "{}", totals(&html));
        // The filters are shown again.
        let html = w.page("q=张&role=enterprise&status=disabled").await;
        assert!(html.contains(r#"name="q" value="张""#));
        assert!(html.contains(r#"<option value="enterprise" selected>企业用户</option>"#));
        assert!(html.contains(r#"<option value="disabled" selected>停用</option>"#));
        // A user's organisation links to its users.
        let html = w.page("q=zhangmin").await;
        assert!(html.contains(&format!("href=\"/admin/users?org={}\"", w.ent)));
    }
}

#[tokio::test]
async fn the_user_list_pages_with_numbers_and_keeps_filters() {
    for b in backends() {
        let w = world(b).await;
        for i in 0..55 {
            user(
                &w.app,
                &format!("bulk{i:02}"),
                &format!("批量{i}"),
                "district",
                "500112",
            )
            .await;
        }
        let html = w.page("q=bulk").await;
        assert_eq!(
            totals(&html),
            "共 55 人（符合条件的启用 55 人，停用 0 人），第 1 / 2 页"
        );
        assert_eq!(listed(&html).len(), 50);
        assert!(html.contains(r#"<strong aria-current="page">1</strong>"#));
        assert!(
            unescape(&html).contains(r#"<a href="/admin/users?q=bulk&page=2">2</a>"#),
            "{html}"
        );
        let second = w.listed("q=bulk&page=2").await;
        assert_eq!(
            second,
            (50..55).map(|i| format!("bulk{i:02}")).collect::<Vec<_>>()
        );
        // Every user once over the pages.
        let html = w.page("").await;
        assert!(totals(&html).starts_with("共 61 人"), "{}", totals(&html));
        let mut all = listed(&html);
        all.extend(w.listed("page=2").await);
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 61);
    }
}

#[tokio::test]
async fn a_new_user_picks_an_organisation_and_a_role_that_fits_it() {
    for b in backends() {
        let w = world(b).await;
        let html = w.page("").await;
        // No role is preset: the empty choice is the selected one.
        let roles = select(&html, "role");
        assert_eq!(roles.matches("selected").count(), 1, "{roles}");
        assert!(roles.contains(r#"<option value="" selected>请选择角色</option>"#));
        assert!(roles.contains(r#"<option value="operator">运营管理员</option>"#));
        // Organisations come from a list grouped by kind (their codes are the values).
        let orgs = select(&html, "org");
        assert_eq!(orgs.matches("selected").count(), 1, "{orgs}");
        assert!(orgs.contains(r#"<option value="" selected>请选择机构</option>"#));
        for group in ["运营机构", "市级部门", "区县", "院校", "企业"] {
            assert!(
                orgs.contains(&format!("<optgroup label=\"{group}\">")),
                "{group}"
            );
        }
        assert!(orgs.contains(r#"<option value="500103">渝中区</option>"#));
        assert!(orgs.contains(&format!(
            "<option value=\"{}\">渝中示例智造有限公司（{}）</option>",
            w.ent, w.ent
        )));
        assert!(
            !orgs.contains("<optgroup label=\"金融机构\">"),
            "no banks yet"
        );

        let count = || w.app.count("SELECT COUNT(*) FROM users");
        let before = count().await;
        // No role chosen: refused, and said so.
        let (s, html) = w
            .post(&[
                ("username", "liuyang"),
                ("display_name", "刘洋"),
                ("role", ""),
                ("org", "500103"),
                ("password", "Kq7#rV2m-Lw9xTz"),
            ])
            .await;
        assert_eq!(s, 422);
        assert!(html.contains("请选择角色"), "{html}");
        // A role that does not fit the organisation: refused in Chinese, nothing typed lost.
        let (s, html) = w
            .post(&[
                ("username", "liuyang"),
                ("display_name", "刘洋"),
                ("role", "enterprise"),
                ("org", "500103"),
                ("password", "Kq7#rV2m-Lw9xTz"),
            ])
            .await;
        assert_eq!(s, 422);
        assert!(
            html.contains(
                "角色与所属机构不符：企业用户不能属于区县“渝中区”，区县的用户应选择角色“区县用户”"
            ),
            "{html}"
        );
        assert!(html.contains(r#"name="username" value="liuyang""#));
        assert!(html.contains(r#"name="display_name" value="刘洋""#));
        assert!(
            select(&html, "role")
                .contains(r#"<option value="enterprise" selected>企业用户</option>"#)
        );
        assert!(
            select(&html, "org").contains(r#"<option value="500103" selected>渝中区</option>"#)
        );
        assert_eq!(count().await, before, "nothing created");
        // The fitting role: created, in that organisation.
        let (s, _) = w
            .post(&[
                ("username", "liuyang"),
                ("display_name", "刘洋"),
                ("role", "district"),
                ("org", "500103"),
                ("password", "Kq7#rV2m-Lw9xTz"),
            ])
            .await;
        assert_eq!(s, 303);
        assert_eq!(count().await, before + 1);
        assert_eq!(
            w.app
                .count(
                    "SELECT COUNT(*) FROM users u JOIN orgs o ON o.id = u.org_id \
                     WHERE u.username = 'liuyang' AND u.role = 'district' AND o.code = '500103'"
                )
                .await,
            1
        );
        assert_eq!(w.listed("q=刘洋").await, names(&["liuyang"]));
    }
}

#[tokio::test]
async fn organisations_are_found_by_name_without_losing_the_form() {
    for b in backends() {
        let w = world(b).await;
        let (s, html) = w
            .post(&[
                ("op", "find"),
                ("org_q", "智造"),
                ("username", "zhouqi"),
                ("display_name", "周琪"),
                ("role", "enterprise"),
                ("org", ""),
                ("password", ""),
            ])
            .await;
        assert_eq!(s, 200);
        let orgs = select(&html, "org");
        assert!(orgs.contains("渝中示例智造有限公司"), "{orgs}");
        assert!(!orgs.contains("渝中示例物流有限公司"), "{orgs}");
        assert!(!orgs.contains("渝北示例职业学院"), "{orgs}");
        // Departments and districts stay listed.
        assert!(orgs.contains(r#"<option value="500103">渝中区</option>"#));
        assert!(html.contains(r#"name="org_q" value="智造""#));
        assert!(html.contains(r#"name="username" value="zhouqi""#));
        assert!(html.contains(r#"name="display_name" value="周琪""#));
        assert!(
            select(&html, "role")
                .contains(r#"<option value="enterprise" selected>企业用户</option>"#)
        );
        assert!(html.contains("没有名称含“智造”的院校"), "{html}");
        // The one organisation found is the one chosen.
        assert!(
            orgs.contains(&format!("<option value=\"{}\" selected>", w.ent)),
            "{orgs}"
        );
        // Nothing was created by looking.
        assert_eq!(w.listed("q=zhouqi").await, Vec::<String>::new());
        // Then the organisation found is chosen and the user created.
        let (s, _) = w
            .post(&[
                ("username", "zhouqi"),
                ("display_name", "周琪"),
                ("role", "enterprise"),
                ("org", w.ent.as_str()),
                ("password", "Kq7#rV2m-Lw9xTz"),
            ])
            .await;
        assert_eq!(s, 303);
        assert_eq!(w.listed("org=智造&q=周").await, names(&["zhouqi"]));
    }
}

/// An attribute's text as the browser reads it (`&` escaped either way).
fn unescape(html: &str) -> String {
    html.replace("&#38;", "&").replace("&amp;", "&")
}

#[tokio::test]
async fn many_organisations_of_a_kind_are_found_by_name_not_listed() {
    for b in backends() {
        let w = world(b).await;
        let banks: Vec<store::orgs::NewOrg> = (0..101)
            .map(|i| store::orgs::NewOrg {
                kind: OrgKind::Bank,
                code: credit(&format!("91500103MA5U8{i:04}")),
                name: format!("渝中示例银行{i}号支行"),
                district: Some("500103".into()),
                school_level: None,
                industry: None,
                size: None,
                ownership: None,
                unit_code: None,
            })
            .collect();
        let mut tx = w.app.db.begin().await.unwrap();
        store::demo::insert_orgs(&mut tx, &banks).await.unwrap();
        tx.commit().await.unwrap();
        let html = w.page("").await;
        assert!(!select(&html, "org").contains("<optgroup label=\"金融机构\">"));
        assert!(html.contains("共 101 个金融机构，请输入名称查找"), "{html}");
        let (s, html) = w
            .post(&[("op", "find"), ("org_q", "银行100号"), ("role", "bank")])
            .await;
        assert_eq!(s, 200);
        let orgs = select(&html, "org");
        assert_eq!(orgs.matches("渝中示例银行").count(), 1, "{orgs}");
        assert!(
            orgs.contains(&format!(
                "<option value=\"{0}\" selected>渝中示例银行100号支行（{0}）</option>",
                banks[100].code
            )),
            "{orgs}"
        );
        let (s, html) = w.post(&[("op", "find"), ("org_q", "银行")]).await;
        assert_eq!(s, 200);
        assert!(
            html.contains("名称含“银行”的金融机构共 101 个，只列出前 50 个，请输入更完整的名称"),
            "{html}"
        );
        assert_eq!(select(&html, "org").matches("渝中示例银行").count(), 50);
    }
}
