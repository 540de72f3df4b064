//! Plain Chinese everywhere a user looks (issue 13 §4): no parameter keys, raw fractions,
//! algorithm names, MIME types, hashes or API calls on the pages each role opens; a Chinese 404
//! page in the site's layout; spreadsheets whose numbers are numbers and dates dates.
//!
//! The pages are the real ones: `chanjiao demo` fills a database, each demo account (and an
//! anonymous visitor) opens every GET page of `web::pages::route_table()` without path
//! parameters, then follows the links those pages show (two of each shape, three levels deep).

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::LazyLock;

use calamine::{Data, Reader};
use regex::Regex;
use reqwest::Client;

use crate::helpers::{TestApp, backends, client, demo_world, hidden};

/// Operators' details (`<details class="ops">`), tags, same-site links, school links.
static OPS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?s)<details class="ops">.*?</details>"#).unwrap());
static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)<[^>]*>").unwrap());
static HREF: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"href="(/[^"]*)""#).unwrap());
static SCHOOL_LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"/alignment/schools/(\d+)").unwrap());
/// Numeric table cells, chart texts, and numbers before a unit of counting.
static NUM_CELL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"<td class="num">([^<]*)</td>"#).unwrap());
static SVG_TEXT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"<text [^>]*>([^<]*)</text>"#).unwrap());
static COUNTED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d{4,}(?:\.\d+)? ?(?:人|个|条|行|所|元|家|件)").unwrap());
static UNGROUPED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d{4,}").unwrap());
static YEAR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(?:19|20)\d\d$").unwrap());

/// The pages of figures (measure 5 and the parameters): every number of four or more digits in
/// a numeric cell, a chart, or before a unit of counting has its digits grouped by thousands.
const FIGURE_PAGES: [&str; 6] = [
    "/alignment",
    "/majors",
    "/demand",
    "/supply",
    "/occupations",
    "/policy/parameters",
];

/// The numbers of a figure page shown without thousands separators (`html` the page, `text`
/// what it shows).
fn ungrouped(html: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for c in NUM_CELL.captures_iter(html) {
        if UNGROUPED.is_match(&c[1]) {
            out.push(format!("ungrouped number in a table cell “{}”", &c[1]));
        }
    }
    for c in SVG_TEXT.captures_iter(html) {
        let t = c[1].trim();
        // Years label the axes of line charts.
        if !YEAR.is_match(t) && UNGROUPED.is_match(t) {
            out.push(format!("ungrouped number in a chart “{t}”"));
        }
    }
    out.extend(
        COUNTED
            .find_iter(text)
            .map(|m| format!("ungrouped count “{}”", m.as_str())),
    );
    out
}

/// The forbidden patterns, each with what it stands for.
struct Forbidden {
    key: Regex,
    keys: HashSet<String>,
    stems: HashSet<String>,
    others: Vec<(&'static str, Regex)>,
}

impl Forbidden {
    fn new() -> Forbidden {
        let params = policy::ParamSet::embedded().unwrap();
        let keys: HashSet<String> = params.iter().map(|p| p.key.clone()).collect();
        let stems = policy::params::EMBEDDED
            .iter()
            .map(|(stem, _)| stem.to_string())
            .collect();
        Forbidden {
            key: Regex::new(r"\b[a-z_]+\.[a-z_]+\b").unwrap(),
            keys,
            stems,
            others: vec![
                ("raw fraction", Regex::new(r"\d{6,}\s*/\s*\d{6,}").unwrap()),
                ("algorithm name", Regex::new(r"(?i)\bBM25\b").unwrap()),
                (
                    "MIME type",
                    Regex::new(r"\b(?:application|image|text|audio|video)/[a-z0-9.+-]+").unwrap(),
                ),
                (
                    "API call",
                    Regex::new(r"\b(?:GET|POST|PUT|PATCH|DELETE)\s+/api|/api/v\d").unwrap(),
                ),
                ("hash", Regex::new(r"(?i)\b[0-9a-f]{64}\b").unwrap()),
            ],
        }
    }

    /// What a text shows that it must not.
    fn find(&self, text: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .key
            .find_iter(text)
            .map(|m| m.as_str())
            .filter(|k| {
                self.keys.contains(*k)
                    || k.split_once('.')
                        .is_some_and(|(stem, _)| self.stems.contains(stem))
            })
            .map(|k| format!("parameter key “{k}”"))
            .collect();
        for (what, re) in &self.others {
            out.extend(
                re.find_iter(text)
                    .map(|m| format!("{what} “{}”", m.as_str())),
            );
        }
        out
    }
}

/// The text a page shows: tags removed, entities decoded. Operators' `<details class="ops">`
/// (keys and interfaces for the people who run the platform) is left out for operators and
/// must not appear for anyone else.
fn shown_text(html: &str, operator: bool, problems: &mut Vec<String>) -> String {
    if !operator && OPS.is_match(html) {
        problems.push("operator details shown to a non-operator".into());
    }
    let html = OPS.replace_all(html, " ");
    TAG.replace_all(&html, " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

/// A page's same-site links (no downloads, no static files, no API).
fn links(html: &str) -> Vec<String> {
    HREF.captures_iter(html)
        .map(|c| c[1].replace("&amp;", "&"))
        .filter(|h| {
            !h.starts_with("//")
                && !h.starts_with("/static/")
                && !h.starts_with("/api/")
                && !h.split('?').next().unwrap_or("").ends_with(".xlsx")
        })
        .collect()
}

/// A link's shape: the path with every segment holding a digit replaced (`/orgs/#`).
fn shape(link: &str) -> String {
    link.split('?')
        .next()
        .unwrap_or("")
        .split('/')
        .map(|s| {
            if s.chars().any(|c| c.is_ascii_digit()) {
                "#"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The GET page routes without path parameters.
fn start_pages() -> Vec<String> {
    web::pages::route_table()
        .into_iter()
        .filter(|(m, p)| m == "GET" && !p.contains('{') && !p.starts_with("/static/"))
        .map(|(_, p)| p)
        .collect()
}

/// Opens the start pages and the links they show as `who`; returns the problems found and
/// how many pages were read.
async fn walk(
    app: &TestApp,
    c: &Client,
    who: &str,
    operator: bool,
    forbidden: &Forbidden,
) -> (Vec<String>, usize) {
    let mut problems = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut shapes: HashMap<String, usize> = HashMap::new();
    let mut todo: VecDeque<(String, u8)> = start_pages().into_iter().map(|p| (p, 0)).collect();
    let mut read = 0;
    while let Some((path, depth)) = todo.pop_front() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let r = c.get(app.url(&path)).send().await.unwrap();
        let status = r.status().as_u16();
        // A page must not link to one that needs a login without saying so: following a link
        // never lands on the login page unasked.
        let to_login = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.starts_with("/login"));
        if depth > 0 && to_login {
            problems.push(format!(
                "{who} GET {path}: a link to a page that needs a login, not saying so"
            ));
        }
        let html_page = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        if !html_page {
            continue;
        }
        let html = r.text().await.unwrap();
        read += 1;
        let mut found = Vec::new();
        let text = shown_text(&html, operator, &mut found);
        found.extend(forbidden.find(&text));
        if FIGURE_PAGES.iter().any(|p| path.starts_with(p)) {
            found.extend(ungrouped(&html, &text));
        }
        problems.extend(
            found
                .into_iter()
                .map(|f| format!("{who} GET {path} ({status}): {f}")),
        );
        if depth >= 3 {
            continue;
        }
        for l in links(&html) {
            if seen.contains(&l) {
                continue;
            }
            let n = shapes.entry(shape(&l)).or_default();
            if *n < 2 {
                *n += 1;
                todo.push_back((l, depth + 1));
            }
        }
    }
    (problems, read)
}

#[tokio::test]
async fn no_role_sees_keys_fractions_algorithms_mime_types_hashes_or_api_calls() {
    let forbidden = Forbidden::new();
    // The patterns catch what they are meant to.
    for bad in [
        "阈值 majors.min_graduates",
        "certification.min_score",
        "精确值为 2278624411116900/4038324166800",
        "结巴分词 + BM25",
        "类型 application/pdf",
        "POST /api/v1/rules/tax_credit/evaluate",
        "SHA-256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ] {
        assert!(!forbidden.find(bad).is_empty(), "{bad}");
    }
    assert!(forbidden.find("56.4%，0.50 倍，org.create").is_empty());
    // Numbers are grouped by thousands on the figure pages.
    assert_eq!(
        ungrouped(
            r#"<td class="num">12345</td><td class="num">12,345</td><text x="1">2025</text><text x="1">14549</text>"#,
            "共 1349 个专业，需求 1,234 人，2025 年"
        ),
        vec![
            "ungrouped number in a table cell “12345”",
            "ungrouped number in a chart “14549”",
            "ungrouped count “1349 个”"
        ]
    );

    for b in backends() {
        let (app, accounts) = demo_world(b).await;
        // An attachment on one of the enterprise's drafts, so its list is on a page.
        let (ent_user, ent_pw) = accounts.iter().find(|(u, _)| u == "enterprise").unwrap();
        let ent = app.login_with(ent_user, ent_pw).await;
        attach_to_a_draft(&app, &ent).await;

        let mut problems = Vec::new();
        let mut pages = 0;
        let (p, n) = walk(&app, &client(), "anonymous", false, &forbidden).await;
        problems.extend(p);
        pages += n;
        for (user, pw) in &accounts {
            let c = app.login_with(user, pw).await;
            let (p, n) = walk(&app, &c, user, user == "admin", &forbidden).await;
            problems.extend(p);
            pages += n;
        }
        eprintln!("{b:?}: {pages} pages read");
        assert!(pages > 200, "pages read: {pages}");
        // Operators find the keys in their details; nobody else gets them.
        let (_, admin_pw) = accounts.iter().find(|(u, _)| u == "admin").unwrap();
        let op = app.login_with("admin", admin_pw).await;
        let (_, jw_pw) = accounts.iter().find(|(u, _)| u == "jw").unwrap();
        let jw = app.login_with("jw", jw_pw).await;
        for path in ["/policy/parameters", "/rules/tax_credit"] {
            let html = op
                .get(app.url(path))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(
                html.contains("<details class=\"ops\">") && html.contains("tax_credit.credit_rate"),
                "{path}"
            );
            let html = jw
                .get(app.url(path))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(!html.contains("tax_credit.credit_rate"), "{path}");
        }
        // The public list of rules says which calculators need a login.
        let html = client()
            .get(app.url("/rules"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("href=\"/login?next=/rules/tax_credit\"") && html.contains("登录后"),
            "{html}"
        );
        let problems: BTreeSet<String> = problems.into_iter().collect();
        assert!(
            problems.is_empty(),
            "{b:?}: {} problems:\n{}",
            problems.len(),
            problems.into_iter().collect::<Vec<_>>().join("\n")
        );
    }
}

/// Creates a draft as the demo enterprise (through the API; the demo enterprise is certified,
/// so an annual report for a year it has not reported) and uploads a PDF to it.
async fn attach_to_a_draft(app: &TestApp, c: &Client) {
    let uid = app
        .count("SELECT id FROM users WHERE username = 'enterprise'")
        .await;
    let token = app.token(uid).await;
    let r = client()
        .post(app.url("/api/v1/applications"))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "kind": "annual_report",
            "data": {"year": 2099, "summary": "年度产教融合工作情况"}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let html = c
        .get(app.url(&format!("/applications/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&html, "csrf").unwrap();
    let form = reqwest::multipart::Form::new().text("csrf", csrf).part(
        "file",
        reqwest::multipart::Part::bytes(b"%PDF-1.7\n%test\n".to_vec()).file_name("合作协议.pdf"),
    );
    let r = c
        .post(app.url(&format!("/applications/{id}/attachments")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "upload");
}

#[tokio::test]
async fn an_unknown_url_is_a_chinese_404_page_in_the_layout() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        app.user("p404", "operator", "operator").await;
        let signed_in = app.login("p404").await;
        for (who, c) in [("anonymous", client()), ("signed in", signed_in)] {
            let mut paths = vec!["/no/such/page", "/orgs/1/nothing", "/measures.php?x=1"];
            // Not found by a page itself, not by the router.
            paths.push("/measures/14");
            if who == "signed in" {
                paths.push("/orgs/99999999");
            }
            for path in paths {
                let r = c.get(app.url(path)).send().await.unwrap();
                assert_eq!(r.status(), 404, "{who} {path}");
                assert!(
                    r.headers()["content-type"]
                        .to_str()
                        .unwrap()
                        .starts_with("text/html"),
                    "{who} {path}"
                );
                let html = r.text().await.unwrap();
                assert!(
                    html.contains("<nav class=\"main\" aria-label=\"主导航\">"),
                    "{who} {path}: {html}"
                );
                assert!(html.contains("页面不存在"), "{who} {path}: {html}");
                assert!(html.contains("/static/app.css"));
                if who == "signed in" {
                    assert!(html.contains("退出") && html.contains("申报"), "{html}");
                } else {
                    assert!(html.contains("href=\"/login\""), "{html}");
                }
            }
        }
        // A page asked the wrong way answers in the layout too.
        let r = client().post(app.url("/measures")).send().await.unwrap();
        assert_eq!(r.status(), 405);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("<nav class=\"main\" aria-label=\"主导航\">") && html.contains("不支持"),
            "{html}"
        );
        // The API keeps answering JSON.
        let r = client()
            .get(app.url("/api/v1/no/such/thing"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["code"], "not_found");
    }
}

/// Every cell of an XLSX's first sheet.
fn cells(bytes: &[u8]) -> Vec<Vec<Data>> {
    let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = wb.worksheet_range_at(0).unwrap().unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

fn is_number(d: &Data) -> bool {
    matches!(d, Data::Float(_) | Data::Int(_))
}

fn is_date(d: &Data) -> bool {
    matches!(d, Data::DateTime(dt) if !dt.is_duration())
}

/// The columns of an export by header, checked on every data row: `numbers` are numeric cells
/// (or empty, where a value is undefined), `dates` date cells, `texts` text (or empty).
fn check_columns(
    what: &str,
    bytes: &[u8],
    numbers: &[&str],
    dates: &[&str],
    texts: &[&str],
) -> usize {
    let rows = cells(bytes);
    assert!(rows.len() > 1, "{what}: no data rows");
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    let col = |h: &str| {
        header
            .iter()
            .position(|x| x == h)
            .unwrap_or_else(|| panic!("{what}: no column {h} in {header:?}"))
    };
    for row in &rows[1..] {
        for h in numbers {
            let d = &row[col(h)];
            assert!(
                is_number(d) || matches!(d, Data::Empty),
                "{what}: {h} is {d:?}"
            );
        }
        for h in dates {
            let d = &row[col(h)];
            assert!(is_date(d), "{what}: {h} is {d:?}");
        }
        for h in texts {
            let d = &row[col(h)];
            assert!(
                matches!(d, Data::String(_) | Data::Empty),
                "{what}: {h} is {d:?}"
            );
        }
    }
    // Every column has values somewhere (not only empty cells).
    for h in numbers {
        assert!(
            rows[1..].iter().any(|r| is_number(&r[col(h)])),
            "{what}: {h} has no numbers"
        );
    }
    for h in texts {
        assert!(
            rows[1..]
                .iter()
                .any(|r| matches!(&r[col(h)], Data::String(_))),
            "{what}: {h} has no text"
        );
    }
    rows.len() - 1
}

async fn download(app: &TestApp, c: &Client, path: &str) -> Vec<u8> {
    let r = c.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn exports_write_numbers_as_numbers_and_dates_as_dates() {
    for b in backends() {
        let (app, accounts) = demo_world(b).await;
        let pw = |u: &str| accounts.iter().find(|(x, _)| x == u).unwrap().1.clone();
        let admin = app.login_with("admin", &pw("admin")).await;
        let ent = app.login_with("enterprise", &pw("enterprise")).await;

        let orgs = download(&app, &admin, "/orgs/export.xlsx?kind=enterprise").await;
        check_columns(
            "orgs",
            &orgs,
            &[],
            &["登记时间"],
            &["名称", "代码", "区划代码"],
        );

        let supply = download(&app, &admin, "/supply/export.xlsx").await;
        check_columns(
            "supply",
            &supply,
            &[
                "年份",
                "计划招生数",
                "实际招生数",
                "毕业生数",
                "就业人数",
                "对口就业人数",
                "平均起薪（元/月）",
            ],
            &[],
            &["学校统一社会信用代码", "专业代码"],
        );

        let demand = download(&app, &admin, "/demand/export.xlsx").await;
        check_columns(
            "demand",
            &demand,
            &["需求人数", "最低月薪（元）", "最高月薪（元）"],
            &["发布日期"],
            &["区县", "行业代码", "岗位名称"],
        );

        let numbers = [
            "开设点",
            "毕业生",
            "就业率",
            "对口率",
            "岗位需求",
            "需求供给比",
            "重点产业需求占比",
            "需求变化（窗口期）",
        ];
        let city = download(&app, &admin, "/alignment/export.xlsx").await;
        check_columns("alignment", &city, &numbers, &[], &["专业代码", "专业名称"]);
        let district = download(&app, &admin, "/alignment/export.xlsx?district=500103").await;
        check_columns(
            "alignment district",
            &district,
            &numbers,
            &[],
            &["专业代码"],
        );
        let cluster = download(&app, &admin, "/alignment/export.xlsx?cluster=t4-02").await;
        check_columns(
            "alignment cluster",
            &cluster,
            &[
                "来自本集群的需求",
                "全市毕业生",
                "全市岗位需求",
                "需求供给比",
                "就业率",
            ],
            &[],
            &["专业代码"],
        );
        // A school with offerings: the first school link on the city's district page.
        let html = admin
            .get(app.url("/alignment/districts/500103"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let school = SCHOOL_LINK
            .captures(&html)
            .map(|c| c[1].to_string())
            .expect("a school in 渝中区");
        let offerings = download(
            &app,
            &admin,
            &format!("/alignment/export.xlsx?school={school}"),
        )
        .await;
        check_columns(
            "alignment school",
            &offerings,
            &[
                "计划招生",
                "实际招生",
                "毕业生",
                "就业率",
                "对口率",
                "平均起薪（元/月）",
                "全市需求供给比",
            ],
            &[],
            &["专业代码"],
        );

        // Rates are fractions shown as percentages; money is yuan with two decimals.
        let rows = cells(&offerings);
        let h: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
        let emp = h.iter().position(|x| x == "就业率").unwrap();
        assert!(
            rows[1..]
                .iter()
                .filter_map(|r| calamine::DataType::as_f64(&r[emp]))
                .all(|v| (0.0..=1.0).contains(&v)),
            "rates are fractions of 1"
        );

        // The demo enterprise's ledger (it has verified claims).
        let ledger = download(&app, &ent, "/tax/ledger.xlsx").await;
        check_columns(
            "ledger",
            &ledger,
            &[
                "年度",
                "第5行 本期新增投资额",
                "第6行 上期留抵可抵免金额",
                "本年新增抵免",
                "抵减教育费附加",
                "抵减地方教育附加",
                "第7行 结转下期可抵免金额",
            ],
            &[],
            &["当年认证"],
        );

        // Codes stay text with their leading zeros.
        for (path, code) in [
            ("/majors/export.xlsx", "代码"),
            ("/occupations/export.xlsx", "职业代码"),
            ("/occupations/crosswalk.xlsx", "专业代码"),
        ] {
            let bytes = download(&app, &admin, path).await;
            check_columns(path, &bytes, &[], &[], &[code]);
        }
    }
}
