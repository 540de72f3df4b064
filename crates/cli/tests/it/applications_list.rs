//! The list of applications (issue 13 §2): the operator sees every submitted application, a
//! department those of the kinds its unit reviews, a district those of its district it
//! reviews, applicants their own — in the page, its XLSX export and the API alike, with the
//! filters (kind, stage, status, district, year, overdue, text), paging and the counts by
//! status; on SQLite and PostgreSQL.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::Datelike;
use domain::orgs::OrgKind;
use reqwest::Client;
use serde_json::{Value, json};
use store::applications::NewApplication;

use crate::helpers::{TestApp, backends, client, credit};

const A: &str = "500112";
const B: &str = "500103";

struct World {
    app: TestApp,
    tokens: HashMap<&'static str, String>,
    pages: HashMap<&'static str, Client>,
    /// The applications by name (see [`World::new`]).
    ids: HashMap<&'static str, i64>,
}

/// An application written straight to the store in a given state (the list reads only its
/// columns), with the enterprise's district.
struct Row {
    name: &'static str,
    kind: &'static str,
    org: &'static str,
    district: &'static str,
    title: &'static str,
    year: Option<i64>,
    status: &'static str,
    stage: Option<&'static str>,
    due: Option<&'static str>,
    /// Unix seconds of its creation, when not now.
    created_at: Option<i64>,
}

/// 2023-06-01 12:00 in Beijing.
const JUNE_2023: i64 = 1_685_592_000;

fn this_year() -> i64 {
    chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp() + 8 * 3600, 0)
        .unwrap()
        .year()
        .into()
}

impl World {
    /// Enterprises a1, a2 in district A and b in B. Through the API: a1's and b's cultivation
    /// applications submitted (`r1`, `r2`: in review at the district stage), a2's a draft
    /// (`r3`). Straight to the store: a1's tax claim for 2024 past its deadline (`s1`), b's
    /// approved claim for 2025 (`s2`), a2's annual report created in 2023, in review before its
    /// deadline (`s3`), b's certification in publicity whose period has ended (`s4`: publicity
    /// is never overdue), a1's certification draft (`s5`).
    async fn new(backend: store::Backend) -> World {
        let app = TestApp::spawn(backend).await;
        let mut orgs = HashMap::new();
        for (who, body, name, district) in [
            ("a1", "91500112MA5U90001", "渝北甲智造有限公司", A),
            ("a2", "91500112MA5U90002", "渝北乙软件有限公司", A),
            ("b", "91500103MA5U90003", "渝中丙科技有限公司", B),
        ] {
            let id = app
                .org(OrgKind::Enterprise, &credit(body), name, district)
                .await;
            orgs.insert(who, (id, credit(body)));
        }
        let users: [(&'static str, &str, String); 11] = [
            ("op", "operator", "operator".into()),
            ("fgw", "department", "fgw".into()),
            ("jw", "department", "jw".into()),
            ("sw", "department", "sw".into()),
            ("mzj", "department", "mzj".into()),
            ("dis_a", "district", A.into()),
            ("dis_b", "district", B.into()),
            ("a1", "enterprise", orgs["a1"].1.clone()),
            ("a2", "enterprise", orgs["a2"].1.clone()),
            ("b", "enterprise", orgs["b"].1.clone()),
            ("bank", "bank", credit("91500112MA5U90004")),
        ];
        app.org(
            OrgKind::Bank,
            &credit("91500112MA5U90004"),
            "重庆列表银行渝北支行",
            A,
        )
        .await;
        let mut tokens = HashMap::new();
        let mut pages = HashMap::new();
        for (who, role, org) in users {
            let uid = app.user(&format!("l_{who}"), role, &org).await;
            tokens.insert(who, app.token(uid).await);
            pages.insert(who, app.login(&format!("l_{who}")).await);
        }
        let mut w = World {
            app,
            tokens,
            pages,
            ids: HashMap::new(),
        };
        for (name, who, submit) in [("r1", "a1", true), ("r2", "b", true), ("r3", "a2", false)] {
            let (s, v) = w
                .api(
                    who,
                    "POST",
                    "/applications",
                    Some(json!({"kind": "enterprise_cultivation",
                        "data": {"cooperation_summary": "与区职教中心合作", "partner_schools": 2}})),
                )
                .await;
            assert_eq!(s, 201, "{v}");
            let id = v["id"].as_i64().unwrap();
            if submit {
                let (s, v) = w
                    .api(
                        who,
                        "POST",
                        &format!("/applications/{id}/actions"),
                        Some(json!({"action": "submit", "version": v["version"]})),
                    )
                    .await;
                assert_eq!(s, 200, "{v}");
                assert_eq!(v["stage_code"], "district_review");
            }
            w.ids.insert(name, id);
        }
        let rows = [
            Row {
                name: "s1",
                kind: "tax_credit_claim",
                org: "a1",
                district: A,
                title: "投资抵免年度申报（2024年度）",
                year: Some(2024),
                status: "in_review",
                stage: Some("tax_verification"),
                due: Some("2020-01-02"),
                created_at: None,
            },
            Row {
                name: "s2",
                kind: "tax_credit_claim",
                org: "b",
                district: B,
                title: "投资抵免年度申报（2025年度）",
                year: Some(2025),
                status: "approved",
                stage: None,
                due: None,
                created_at: None,
            },
            Row {
                name: "s3",
                kind: "annual_report",
                org: "a2",
                district: A,
                title: "产教融合型企业年度报告",
                year: None,
                status: "in_review",
                stage: Some("lead_review"),
                due: Some("2999-12-31"),
                created_at: Some(JUNE_2023),
            },
            Row {
                name: "s4",
                kind: "enterprise_certification",
                org: "b",
                district: B,
                title: "产教融合型企业认定申报",
                year: None,
                status: "publicity",
                stage: Some("publicity"),
                due: Some("2020-01-01"),
                created_at: None,
            },
            Row {
                name: "s5",
                kind: "enterprise_certification",
                org: "a1",
                district: A,
                title: "产教融合型企业认定申报",
                year: None,
                status: "draft",
                stage: None,
                due: None,
                created_at: None,
            },
        ];
        for r in rows {
            let mut tx = w.app.db.begin().await.unwrap();
            let a = store::applications::create(
                &mut tx,
                &store::Actor::system("test"),
                &NewApplication {
                    kind: r.kind.into(),
                    applicant_org_id: orgs[r.org].0,
                    district: Some(r.district.into()),
                    title: r.title.into(),
                    year: r.year,
                    status: r.status.into(),
                    state_json: serde_json::to_string(&domain::workflow::new_draft()).unwrap(),
                    // A claim carries its year and investment (the export's columns).
                    data_json: if r.kind == "tax_credit_claim" {
                        json!({"year": r.year, "investment_fen": 123_456_789}).to_string()
                    } else {
                        "{}".into()
                    },
                },
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            sqlx::query(
                "UPDATE applications SET stage_code = $1, due_date = $2, \
                 created_at = COALESCE($3, created_at) WHERE id = $4",
            )
            .bind(r.stage.map(str::to_string))
            .bind(r.due.map(str::to_string))
            .bind(r.created_at)
            .bind(a.id)
            .execute(w.app.db.pool())
            .await
            .unwrap();
            w.ids.insert(r.name, a.id);
        }
        w
    }

    async fn api(&self, who: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = self.app.url(&format!("/api/v1{path}"));
        let mut req = match method {
            "GET" => client().get(url),
            _ => client().post(url),
        };
        req = req.bearer_auth(&self.tokens[who]);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// The names of the applications with these ids.
    fn names(&self, ids: impl IntoIterator<Item = i64>) -> BTreeSet<&'static str> {
        ids.into_iter()
            .map(|id| {
                *self
                    .ids
                    .iter()
                    .find(|(_, v)| **v == id)
                    .unwrap_or_else(|| panic!("no application {id}"))
                    .0
            })
            .collect()
    }

    /// The API list for `who` with `query`: its names, total and counts by status.
    async fn list(&self, who: &str, query: &str) -> (BTreeSet<&'static str>, i64, Value) {
        let (s, v) = self
            .api(who, "GET", &format!("/applications?{query}"), None)
            .await;
        assert_eq!(s, 200, "{who} {query}: {v}");
        let ids = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_i64().unwrap());
        (self.names(ids), v["total"].as_i64().unwrap(), v)
    }

    async fn page(&self, who: &str, path: &str) -> (u16, String) {
        let r = self.pages[who]
            .get(self.app.url(path))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// The applications a page links to.
    fn linked(&self, html: &str) -> BTreeSet<&'static str> {
        self.ids
            .iter()
            .filter(|(_, id)| html.contains(&format!("href=\"/applications/{id}\"")))
            .map(|(n, _)| *n)
            .collect()
    }

    async fn export(&self, who: &str, query: &str) -> Vec<Vec<calamine::Data>> {
        use calamine::Reader;
        let r = self.pages[who]
            .get(self.app.url(&format!("/applications/export.xlsx?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{who} {query}");
        let bytes = r.bytes().await.unwrap();
        let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let range = wb.worksheet_range_at(0).unwrap().unwrap();
        range.rows().map(|r| r.to_vec()).collect()
    }
}

/// The spreadsheet serial number of a date (days since 1899-12-30).
fn serial(date: &str) -> f64 {
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    (d - chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days() as f64
}

fn set(names: &[&'static str]) -> BTreeSet<&'static str> {
    names.iter().copied().collect()
}

/// Who sees what: the operator every submitted application, a department the kinds its unit
/// reviews, a district its own district's of the kinds with a district stage, applicants
/// their own (drafts included), a bank nothing; drafts are their applicant's alone. The same
/// in the API, the page and the export; and whatever a reviewer's list shows it can open.
#[tokio::test]
async fn each_role_lists_what_it_may_see() {
    for backend in backends() {
        let w = World::new(backend).await;
        let expected: [(&str, &[&'static str]); 11] = [
            ("op", &["r1", "r2", "s1", "s2", "s3", "s4"]),
            ("fgw", &["r1", "r2", "s3", "s4"]),
            ("jw", &["s3", "s4"]),
            ("sw", &["s1", "s2", "s4"]),
            ("mzj", &[]),
            ("dis_a", &["r1"]),
            ("dis_b", &["r2", "s4"]),
            ("a1", &["r1", "s1", "s5"]),
            ("a2", &["r3", "s3"]),
            ("b", &["r2", "s2", "s4"]),
            ("bank", &[]),
        ];
        for (who, names) in expected {
            let want = set(names);
            let (got, total, _) = w.list(who, "per_page=50").await;
            assert_eq!(got, want, "{backend:?} API {who}");
            assert_eq!(total, want.len() as i64, "{who}");
            let (s, html) = w.page(who, "/applications?per_page=50").await;
            assert_eq!(s, 200, "{who}");
            assert_eq!(w.linked(&html), want, "{backend:?} page {who}");
            let rows = w.export(who, "").await;
            assert_eq!(rows.len(), want.len() + 1, "{who}: header and rows");
            for id in w
                .ids
                .iter()
                .filter(|(n, _)| want.contains(*n))
                .map(|x| *x.1)
            {
                let (s, _) = w
                    .api(who, "GET", &format!("/applications/{id}"), None)
                    .await;
                assert_eq!(s, 200, "{who} opens {id} it lists");
            }
            for (n, id) in w.ids.iter().filter(|(n, _)| !want.contains(*n)) {
                let (s, _) = w
                    .api(who, "GET", &format!("/applications/{id}"), None)
                    .await;
                assert_eq!(s, 404, "{who} cannot open {n}, which it does not list");
            }
        }
        // Reviewers get the filtered list; applicants and banks their own list as before.
        for who in ["op", "fgw", "dis_a"] {
            let (_, html) = w.page(who, "/applications").await;
            assert!(
                html.contains("申报一览") && html.contains("导出 Excel"),
                "{who}"
            );
        }
        for who in ["a1", "bank"] {
            let (_, html) = w.page(who, "/applications").await;
            assert!(
                html.contains("我的申报") && !html.contains("导出 Excel"),
                "{who}"
            );
        }
        // A district naming another district's applications gets none of them.
        let (got, total, _) = w.list("dis_a", &format!("district={B}")).await;
        assert!(got.is_empty() && total == 0, "{got:?}");
        let (_, html) = w
            .page("dis_a", &format!("/applications?district={B}"))
            .await;
        assert!(w.linked(&html).is_empty(), "{html}");
        assert_eq!(w.export("dis_a", &format!("district={B}")).await.len(), 1);
    }
}

/// Each filter, alone and together, with the counts by status of every filter but the
/// status, and paging, in the API and the page.
#[tokio::test]
async fn filters_totals_and_paging() {
    for backend in backends() {
        let w = World::new(backend).await;
        let now = this_year();
        let cases: Vec<(String, &[&'static str])> = vec![
            ("kind=tax_credit_claim".into(), &["s1", "s2"]),
            ("stage=district_review".into(), &["r1", "r2"]),
            ("stage=lead_review".into(), &["s3"]),
            ("status=in_review".into(), &["r1", "r2", "s1", "s3"]),
            ("status=draft".into(), &[]),
            (format!("district={A}"), &["r1", "s1", "s3"]),
            ("year=2024".into(), &["s1"]),
            ("year=2025".into(), &["s2"]),
            ("year=2023".into(), &["s3"]),
            (format!("year={now}"), &["r1", "r2", "s4"]),
            ("overdue=true".into(), &["s1"]),
            ("overdue=false".into(), &["r1", "r2", "s2", "s3", "s4"]),
            ("q=渝中".into(), &["r2", "s2", "s4"]),
            ("q=年度报告".into(), &["s3"]),
            ("q=%25".into(), &[]),
            ("q=%20%E6%B8%9D%E5%8C%97%E7%94%B2%20".into(), &["r1", "s1"]),
            (format!("kind=enterprise_cultivation&district={B}"), &["r2"]),
            (
                format!("status=in_review&district={A}&overdue=false"),
                &["r1", "s3"],
            ),
        ];
        for (query, names) in &cases {
            let want = set(names);
            let (got, total, v) = w.list("op", query).await;
            assert_eq!(got, want, "{backend:?} {query}: {v}");
            assert_eq!(total, want.len() as i64, "{query}");
            let (_, html) = w.page("op", &format!("/applications?{query}")).await;
            assert_eq!(w.linked(&html), want, "page {query}");
            assert!(html.contains(&format!("共 {} 件", want.len())), "{query}");
            let rows = w.export("op", query).await;
            assert_eq!(rows.len() as i64, total + 1, "export {query}");
        }
        // Counts by status: every status, over every filter but the status.
        let (_, _, v) = w.list("op", "").await;
        let by: BTreeMap<String, i64> = serde_json::from_value(v["by_status"].clone()).unwrap();
        assert_eq!(by.len(), domain::workflow::Status::ALL.len(), "{v}");
        assert_eq!(
            (
                by["in_review"],
                by["approved"],
                by["publicity"],
                by["draft"]
            ),
            (4, 1, 1, 0),
            "drafts are their applicants' alone: {v}"
        );
        let (_, total, v) = w.list("op", &format!("status=approved&district={A}")).await;
        assert_eq!(total, 0);
        assert_eq!(v["by_status"]["in_review"], 3, "{v}");
        assert_eq!(v["by_status"]["approved"], 0, "{v}");
        let (_, _, v) = w.list("a1", "").await;
        assert_eq!(
            (
                v["by_status"]["draft"].as_i64(),
                v["by_status"]["in_review"].as_i64()
            ),
            (Some(1), Some(2)),
            "{v}"
        );
        // The page shows the same counts, each linking to its status with the other filters.
        let (_, html) = w
            .page("op", &format!("/applications?district={A}&status=approved"))
            .await;
        assert!(
            html.contains(&format!(
                "href=\"/applications?status=in_review&#38;district={A}\" data-status-count=\"3\""
            )),
            "{html}"
        );

        // Paging: newest first, the total on every page, page numbers keeping the filters.
        let mut seen = Vec::new();
        for page in 1..=4 {
            let (s, v) = w
                .api(
                    "op",
                    "GET",
                    &format!("/applications?per_page=2&page={page}"),
                    None,
                )
                .await;
            assert_eq!(s, 200);
            assert_eq!(v["total"], 6);
            let ids: Vec<i64> = v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_i64().unwrap())
                .collect();
            assert_eq!(ids.len(), if page <= 3 { 2 } else { 0 }, "page {page}");
            seen.extend(ids);
        }
        let mut sorted = seen.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(seen, sorted, "newest first");
        assert_eq!(w.names(seen.clone()).len(), 6);
        let (_, html) = w
            .page("op", "/applications?status=in_review&per_page=1&page=2")
            .await;
        assert!(html.contains("共 4 件，第 2 / 4 页"), "{html}");
        for p in [1, 3, 4] {
            assert!(
                html.contains(&format!(
                    "href=\"/applications?status=in_review&#38;per_page=1&#38;page={p}\""
                )),
                "page {p}: {html}"
            );
        }
        // In review, newest first: s3, s1, r2, r1.
        assert_eq!(w.linked(&html), set(&["s1"]), "{html}");
    }
}

/// Unknown filter values are refused with 422 and a Chinese message naming the parameter, in
/// the API and the page.
#[tokio::test]
async fn unknown_filter_values_are_refused() {
    let w = World::new(store::Backend::Sqlite).await;
    for (query, field) in [
        ("kind=bogus", "kind"),
        ("stage=bogus", "stage"),
        ("status=pending", "status"),
        ("district=500000", "district"),
        ("district=abc", "district"),
        ("year=abc", "year"),
        ("year=1800", "year"),
        ("overdue=maybe", "overdue"),
        ("page=0", "page"),
        ("per_page=x", "per_page"),
    ] {
        let (s, v) = w
            .api("op", "GET", &format!("/applications?{query}"), None)
            .await;
        assert_eq!(s, 422, "{query}: {v}");
        assert_eq!(v["code"], format!("invalid.{field}"), "{query}: {v}");
        assert!(
            v["message"].as_str().unwrap().contains(field),
            "{query}: {v}"
        );
        let (s, html) = w.page("op", &format!("/applications?{query}")).await;
        assert_eq!(s, 422, "page {query}");
        assert!(html.contains(field), "page {query}: {html}");
        if field.contains("page") {
            continue; // The export has no pages.
        }
        let r = w.pages["op"]
            .get(w.app.url(&format!("/applications/export.xlsx?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "export {query}");
    }
    // On the page a blank value is no filter (the form sends every field).
    let (s, html) = w
        .page(
            "op",
            "/applications?kind=&stage=&status=&district=&year=&overdue=&q=",
        )
        .await;
    assert_eq!(s, 200);
    assert!(html.contains("共 6 件"), "{html}");
}

/// The export holds the list's rows with the list's filters: ids and years as numbers,
/// deadlines as dates, times as date-times.
#[tokio::test]
async fn the_export_has_typed_cells_and_the_lists_rows() {
    use calamine::Data;
    for backend in backends() {
        let w = World::new(backend).await;
        let rows = w.export("op", "").await;
        let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
        assert_eq!(
            header,
            [
                "编号",
                "申报事项",
                "申报名称",
                "申报单位",
                "区划代码",
                "区县",
                "年度",
                "状态",
                "当前阶段",
                "办理期限",
                "是否逾期",
                "创建时间",
                "提交时间",
                "办结时间",
                "更新时间"
            ]
        );
        let (_, total, _) = w.list("op", "").await;
        assert_eq!(rows.len() as i64 - 1, total);
        let by_id: HashMap<i64, &Vec<Data>> = rows[1..]
            .iter()
            .map(|r| match &r[0] {
                Data::Float(f) => (*f as i64, r),
                Data::Int(i) => (*i, r),
                other => panic!("id as a number, not {other:?}"),
            })
            .collect();
        assert_eq!(
            w.names(by_id.keys().copied()),
            set(&["r1", "r2", "s1", "s2", "s3", "s4"])
        );
        let s1 = by_id[&w.ids["s1"]];
        assert!(
            matches!(s1[6], Data::Float(y) if y == 2024.0),
            "{:?}",
            s1[6]
        );
        assert_eq!(s1[4].to_string(), A, "division code as text");
        assert_eq!(s1[5].to_string(), "渝北区");
        assert_eq!(s1[7].to_string(), "审核中");
        assert_eq!(s1[8].to_string(), "税务核实");
        assert_eq!(s1[10].to_string(), "是");
        match &s1[9] {
            Data::DateTime(d) => {
                assert!(d.is_datetime());
                assert_eq!(d.as_f64(), serial("2020-01-02"));
            }
            other => panic!("deadline as a date, not {other:?}"),
        }
        assert!(matches!(s1[11], Data::DateTime(_)), "{:?}", s1[11]);
        assert!(matches!(s1[12], Data::Empty), "not submitted: {:?}", s1[12]);
        let s3 = by_id[&w.ids["s3"]];
        assert!(
            matches!(s3[6], Data::Float(y) if y == 2023.0),
            "the creation year: {:?}",
            s3[6]
        );
        match &s3[11] {
            Data::DateTime(d) => {
                assert_eq!(d.as_f64(), serial("2023-06-01") + 0.5, "noon, Beijing time");
            }
            other => panic!("{other:?}"),
        }
        let s4 = by_id[&w.ids["s4"]];
        assert_eq!(s4[10].to_string(), "否", "publicity is never overdue");
        let r1 = by_id[&w.ids["r1"]];
        assert!(
            matches!(r1[12], Data::DateTime(_)),
            "submitted: {:?}",
            r1[12]
        );
        // The filters apply: a district's in-review applications.
        let rows = w
            .export("op", &format!("district={A}&status=in_review"))
            .await;
        let (_, total, _) = w
            .list("op", &format!("district={A}&status=in_review"))
            .await;
        assert_eq!((rows.len() as i64 - 1, total), (3, 3));
        // One kind chosen: its form's fields follow as columns, money as yuan numbers.
        let rows = w.export("op", "kind=tax_credit_claim").await;
        let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
        assert_eq!(
            header[15..19],
            [
                "申报年度",
                "当年兴办职业教育投资额（元）",
                "当年实际缴纳增值税和消费税（元）",
                "教育费附加其他减免（元）"
            ],
            "{header:?}"
        );
        let s1 = rows
            .iter()
            .find(|r| r[0] == Data::Float(w.ids["s1"] as f64) || r[0] == Data::Int(w.ids["s1"]))
            .expect("s1 in the export");
        assert!(
            matches!(s1[15], Data::Float(y) if y == 2024.0),
            "{:?}",
            s1[15]
        );
        assert!(
            matches!(s1[16], Data::Float(y) if (y - 1_234_567.89).abs() < 1e-6),
            "{:?}",
            s1[16]
        );
        assert!(matches!(s1[17], Data::Empty), "not given: {:?}", s1[17]);
    }
}
