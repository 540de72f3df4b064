//! The audit log page (`/audit`) and its export: Chinese action names, actors by name, objects
//! in words, changes field by field (no codes or JSON outside the operators' raw-record
//! toggle); filters by Beijing dates, actor, action and object type; numbered pages; totals;
//! an XLSX whose numbers are numbers and whose times are dates.

use std::sync::LazyLock;

use calamine::{Data, Reader};
use domain::orgs::OrgKind;
use regex::Regex;
use reqwest::Client;
use store::{Actor, audit};

use crate::helpers::{PASSWORD, TestApp, backends, credit, hidden};

static OPS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?s)<details class="ops">.*?</details>"#).unwrap());
static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)<[^>]*>").unwrap());
static TOTAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"共 (\d+) 条，第 (\d+) / (\d+) 页").unwrap());
static ROW: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<tr><td>(\d+)</td>").unwrap());

/// What the page shows a reader: tags and the raw-record toggles removed, spaces collapsed.
fn shown(html: &str) -> String {
    let html = OPS.replace_all(html, " ");
    let text = TAG
        .replace_all(&html, " ")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

struct World {
    app: TestApp,
    op: Client,
    /// The user the operator created and disabled.
    victim: i64,
    /// The organisation registered by the platform.
    org: String,
}

/// An operator 陈静 (op1) who signs in, creates 刘洋 through the page and disables him; an
/// enterprise registered by the platform itself.
async fn world(b: store::Backend) -> World {
    let app = TestApp::spawn(b).await;
    web::features::admin::add_user(
        &app.db,
        &Actor::system("test"),
        &web::features::admin::UserInput {
            username: "op1",
            display_name: "陈静",
            role: "operator",
            org_code: "operator",
            password: Some(PASSWORD),
        },
    )
    .await
    .unwrap();
    let org = credit("91500103MA5U70001");
    app.org(OrgKind::Enterprise, &org, "渝中示例智造有限公司", "500103")
        .await;
    let op = app.login("op1").await;
    let html = op
        .get(app.url("/admin/users"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&html, "csrf").unwrap();
    let r = op
        .post(app.url("/admin/users"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "liuyang"),
            ("display_name", "刘洋"),
            ("role", "district"),
            ("org", "500103"),
            ("password", "Kq7#rV2m-Lw9xTz"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let victim = store::accounts::user_id_by_username(&app.db, "liuyang")
        .await
        .unwrap()
        .unwrap();
    let r = op
        .post(app.url(&format!("/admin/users/{victim}/disable")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    World {
        app,
        op,
        victim,
        org,
    }
}

impl World {
    async fn get(&self, query: &str) -> (u16, String) {
        let r = self
            .op
            .get(self.app.url(&format!("/audit?{query}")))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    async fn page(&self, query: &str) -> String {
        let (s, html) = self.get(query).await;
        assert_eq!(s, 200, "{query}: {html}");
        html
    }

    /// The total the page states and the sequence numbers of its rows.
    async fn seqs(&self, query: &str) -> (i64, Vec<i64>) {
        let html = self.page(query).await;
        (total(&html), seqs(&html))
    }

    async fn export(&self, query: &str) -> Vec<Vec<Data>> {
        let r = self
            .op
            .get(self.app.url(&format!("/audit/export.xlsx?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{query}");
        let bytes = r.bytes().await.unwrap();
        let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let range = wb.worksheet_range_at(0).unwrap().unwrap();
        range.rows().map(|r| r.to_vec()).collect()
    }

    async fn count(&self, where_: &str) -> i64 {
        self.app
            .count(&format!("SELECT COUNT(*) FROM audit_log WHERE {where_}"))
            .await
    }

    /// Sequence numbers of the entries matching `where_`, newest first.
    async fn db_seqs(&self, where_: &str) -> Vec<i64> {
        sqlx::query_scalar::<_, i64>(&format!(
            "SELECT seq FROM audit_log WHERE {where_} ORDER BY seq DESC"
        ))
        .fetch_all(self.app.db.pool())
        .await
        .unwrap()
    }
}

fn total(html: &str) -> i64 {
    TOTAL.captures(html).expect("a total")[1].parse().unwrap()
}

fn seqs(html: &str) -> Vec<i64> {
    let body = &html[html.find("<tbody>").unwrap()..html.find("</tbody>").unwrap()];
    ROW.captures_iter(body)
        .map(|c| c[1].parse().unwrap())
        .collect()
}

#[tokio::test]
async fn the_log_reads_in_chinese_with_names_and_changes() {
    for b in backends() {
        let w = world(b).await;
        let html = w.page("").await;
        let text = shown(&html);
        // Actions by their Chinese names; no action code or JSON outside the raw toggle.
        for label in ["新增用户", "停用用户", "登录", "新增机构"] {
            assert!(text.contains(label), "{label} in {text}");
        }
        for (code, _) in web::features::audit::ACTIONS {
            assert!(!text.contains(code), "code {code} shown: {text}");
        }
        for raw in ["{\"", "\":", "user.create", "entity", "null"] {
            assert!(!text.contains(raw), "{raw} shown: {text}");
        }
        // The raw record stays for operators, in its toggle.
        assert!(html.contains("<details class=\"ops\"><summary>原始记录</summary>"));
        // The actor by name and organisation; the object in words.
        assert!(text.contains("陈静（op1）"), "{text}");
        assert!(text.contains(store::orgs::OPERATOR_NAME), "{text}");
        assert!(text.contains("用户 刘洋（liuyang）"), "{text}");
        assert!(text.contains("机构 渝中示例智造有限公司"), "{text}");
        // Changes field by field, values in words.
        let disabled = w.page("action=user.disable").await;
        let t = shown(&disabled);
        assert!(t.contains("账户状态 ： 启用 → 停用"), "{t}");
        let created = shown(&w.page("action=user.create").await);
        for part in [
            "用户名 ：",
            "liuyang",
            "姓名 ：",
            "刘洋",
            "所属机构 ：",
            "渝中区",
            "角色 ：",
            "区县用户",
        ] {
            assert!(created.contains(part), "{part} in {created}");
        }
        assert!(!created.contains("district"), "{created}");
    }
}

#[tokio::test]
async fn the_log_is_filtered_paged_and_counted() {
    for b in backends() {
        let w = world(b).await;
        let all = w.count("1 = 1").await;
        let (t, rows) = w.seqs("").await;
        assert_eq!(t, all);
        assert_eq!(rows, w.db_seqs("1 = 1").await);
        // Action, object type, object.
        assert_eq!(
            w.seqs("action=user.disable").await,
            (1, w.db_seqs("action = 'user.disable'").await)
        );
        assert_eq!(
            w.seqs("entity_type=org").await.1,
            w.db_seqs("entity_type = 'org'").await
        );
        assert_eq!(
            w.seqs(&format!("entity_type=user&entity_id={}", w.victim))
                .await
                .1,
            w.db_seqs(&format!(
                "entity_type = 'user' AND entity_id = '{}'",
                w.victim
            ))
            .await
        );
        // The actor, by part of the display name or the username.
        let op_entries = w
            .db_seqs("actor_user_id = (SELECT id FROM users WHERE username = 'op1')")
            .await;
        assert!(op_entries.len() >= 3, "{op_entries:?}");
        assert_eq!(
            w.seqs("actor=陈").await,
            (op_entries.len() as i64, op_entries.clone())
        );
        assert_eq!(w.seqs("actor=OP1").await.1, op_entries);
        assert_eq!(
            w.seqs("actor=test").await.1,
            w.db_seqs("actor = 'test'").await
        );
        assert_eq!(w.seqs("actor=陈&action=user.create").await.0, 1);
        // Unknown filters select nothing.
        assert_eq!(w.seqs("action=no.such").await, (0, vec![]));

        // Beijing days: 2024-03-01 23:30 and 2024-03-02 00:10 in Beijing are both 1 March in UTC.
        let (late, early) = (op_entries[0], op_entries[1]);
        let set_at = |seq: i64, at: i64| {
            let db = w.app.db.clone();
            async move {
                sqlx::query("UPDATE audit_log SET at = $1 WHERE seq = $2")
                    .bind(at)
                    .bind(seq)
                    .execute(db.pool())
                    .await
                    .unwrap();
            }
        };
        set_at(early, 1_709_307_000).await; // 2024-03-01 15:30 UTC = 23:30 Beijing
        set_at(late, 1_709_309_400).await; // 2024-03-01 16:10 UTC = 00:10 on the 2nd in Beijing
        assert_eq!(
            w.seqs("from=2024-03-01&to=2024-03-01").await,
            (1, vec![early])
        );
        assert_eq!(
            w.seqs("from=2024-03-02&to=2024-03-02").await,
            (1, vec![late])
        );
        assert_eq!(
            w.seqs("from=2024-03-01&to=2024-03-02").await,
            (2, vec![late, early])
        );
        assert_eq!(w.seqs("to=2024-03-01").await, (1, vec![early]));
        assert_eq!(w.seqs("from=2024-03-03").await.0, all - 2);
        // Dates that are no dates, or a range backwards, are refused in words.
        let (s, html) = w.get("from=2024-13-01").await;
        assert_eq!(s, 422);
        assert!(html.contains("起始日期“2024-13-01”不是有效日期"), "{html}");
        let (s, html) = w.get("from=2024-03-02&to=2024-03-01").await;
        assert_eq!(s, 422);
        assert!(
            html.contains("截止日期 2024-03-01 早于起始日期 2024-03-02"),
            "{html}"
        );

        // Numbered pages, filters kept.
        let mut tx = w.app.db.begin().await.unwrap();
        for i in 0..60 {
            audit::record(
                &mut tx,
                &Actor::system("demo"),
                "demo.generate",
                "org",
                "bulk",
                None,
                Some(&serde_json::json!({"added": i})),
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let html = w.page("action=demo.generate").await;
        assert!(html.contains("共 60 条，第 1 / 2 页"), "{html}");
        assert_eq!(seqs(&html).len(), 50);
        assert!(
            unescape(&html).contains(r#"<a href="/audit?action=demo.generate&page=2">2</a>"#),
            "{html}"
        );
        assert!(shown(&html).contains("批量生成的机构"));
        assert!(shown(&html).contains("演示数据生成"));
        let second = w.seqs("action=demo.generate&page=2").await.1;
        assert_eq!(second.len(), 10);
        let mut both = seqs(&html);
        both.extend(&second);
        assert_eq!(both, w.db_seqs("action = 'demo.generate'").await);
    }
}

#[tokio::test]
async fn the_export_has_the_filtered_log_with_typed_cells() {
    for b in backends() {
        let w = world(b).await;
        let rows = w.export("action=user.disable").await;
        assert_eq!(rows.len(), 2, "a header and one entry: {rows:?}");
        assert_eq!(rows[0][0], Data::String("序号".into()));
        assert_eq!(rows[0][1], Data::String("时间".into()));
        let r = &rows[1];
        let seq = w.db_seqs("action = 'user.disable'").await[0];
        assert_eq!(r[0], Data::Float(seq as f64), "the number is a number");
        let Data::DateTime(at) = &r[1] else {
            panic!("the time is a date: {:?}", r[1])
        };
        let stored: i64 = w
            .app
            .count(&format!("SELECT at FROM audit_log WHERE seq = {seq}"))
            .await;
        let (y, mo, d, h, mi, _, _) = at.to_ymd_hms_milli();
        let beijing = chrono::DateTime::from_timestamp(stored + 8 * 3600, 0).unwrap();
        assert_eq!(
            format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}"),
            beijing.format("%Y-%m-%d %H:%M").to_string()
        );
        assert_eq!(r[2], Data::String("陈静（op1）".into()));
        assert_eq!(r[4], Data::String("停用用户".into()));
        assert_eq!(r[5], Data::String("用户".into()));
        assert_eq!(r[6], Data::String("刘洋（liuyang）".into()));
        let Data::String(changes) = &r[7] else {
            panic!("{:?}", r[7])
        };
        assert!(changes.starts_with("账户状态：启用 → 停用"), "{changes}");
        // Everything, newest first, as the page counts it.
        let all = w.export("").await;
        assert_eq!(all.len() as i64 - 1, w.count("1 = 1").await);
        let numbers: Vec<i64> = all[1..]
            .iter()
            .map(|r| match r[0] {
                Data::Float(f) => f as i64,
                ref other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(numbers, w.db_seqs("1 = 1").await);
        // An organisation registered by the platform, in words.
        let orgs = w.export("entity_type=org&action=org.create").await;
        assert!(
            orgs[1..]
                .iter()
                .any(|r| r[6] == Data::String("渝中示例智造有限公司".into()))
        );
        assert!(
            orgs[1..]
                .iter()
                .any(|r| matches!(&r[7], Data::String(c) if c.contains(&w.org))),
            "{orgs:?}"
        );
        // Bad dates are refused here too.
        let r =
            w.op.get(w.app.url("/audit/export.xlsx?to=yesterday"))
                .send()
                .await
                .unwrap();
        assert_eq!(r.status(), 422);
    }
}

/// An attribute's text as the browser reads it (`&` escaped either way).
fn unescape(html: &str) -> String {
    html.replace("&#38;", "&").replace("&amp;", "&")
}
