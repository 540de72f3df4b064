//! The list of applications (`/applications`) and its XLSX export. The operator, departments
//! and districts see every application they may see (`access::viewer`), filtered by kind,
//! stage, status, district, year and deadline, searched, paged, with the counts by status;
//! schools, enterprises and banks keep their own organisation's list.

use askama::Template;
use axum::extract::{Query, State};
use axum::routing::get;
use chrono::{Datelike, NaiveDate};
use domain::orgs::Role;
use domain::workflow::{self, Status};
use store::applications::{self as apps, Summary};

use super::{PageQuery, own_list};
use crate::AppState;
use crate::auth::access::{role, viewer};
use crate::auth::{Caller, PageCaller};
use crate::error::PageResult;
use crate::features::applications::{ApplicationQuery, stages, status_totals};
use crate::pages::{
    Layout, Pager, Routes, SelectOption, district_options, fmt_time, options, render,
};
use crate::xlsx::{self, Cell};

pub fn router() -> Routes {
    Routes::new()
        .route("/applications", get(list))
        .route("/applications/export.xlsx", get(export))
}

/// Whether the caller reviews applications (and so lists every one it may see), rather than
/// applying for its own.
fn reviews(c: &Caller) -> bool {
    matches!(
        role(&c.principal),
        Some(Role::Operator | Role::Department | Role::District)
    )
}

fn kind_title(code: &str) -> String {
    workflow::kind(code)
        .map(|k| k.title.clone())
        .unwrap_or_else(|| code.to_string())
}

fn status_label(s: &str) -> &'static str {
    Status::ALL
        .into_iter()
        .find(|x| x.as_str() == s)
        .map_or("未知", Status::label)
}

fn stage_name(kind: &str, code: &Option<String>) -> String {
    match (workflow::kind(kind), code) {
        (Some(k), Some(c)) => k
            .stage_index(c)
            .and_then(|i| k.stage(i))
            .map(|s| s.name.clone())
            .unwrap_or_else(|| c.clone()),
        _ => "—".into(),
    }
}

fn district_name(d: &Option<String>) -> String {
    d.as_deref()
        .and_then(domain::reference::area)
        .map_or_else(|| "—".into(), |a| a.name.to_string())
}

/// The application's year: the year it is for where it has one, else the year it was created
/// (Beijing time) — as the store's `year` filter reads it.
fn year_of(s: &Summary) -> Option<i64> {
    s.year.or_else(|| {
        chrono::DateTime::from_timestamp(s.created_at + 8 * 3600, 0).map(|t| t.year().into())
    })
}

/// Past its stage's deadline and still in review, on `today` (`workflow::is_overdue`).
fn overdue(s: &Summary, today: NaiveDate) -> bool {
    s.status == Status::InReview.as_str()
        && s.due_date
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .is_some_and(|due| today > due)
}

struct Row {
    id: i64,
    kind: String,
    title: String,
    applicant: String,
    district: String,
    year: String,
    status: &'static str,
    stage: String,
    due: String,
    overdue: bool,
    updated: String,
}

fn row(s: &Summary, today: NaiveDate) -> Row {
    Row {
        id: s.id,
        kind: kind_title(&s.kind),
        title: s.title.clone(),
        applicant: s.applicant_name.clone(),
        district: district_name(&s.district),
        year: year_of(s).map_or_else(|| "—".into(), |y| y.to_string()),
        status: status_label(&s.status),
        stage: stage_name(&s.kind, &s.stage_code),
        due: s.due_date.clone().unwrap_or_else(|| "—".into()),
        overdue: overdue(s, today),
        updated: fmt_time(s.updated_at),
    }
}

/// A count of the status line: its label, its number, the list with that status, and whether
/// it is the one shown.
struct Total {
    label: &'static str,
    count: i64,
    href: String,
    on: bool,
}

/// The query string of the filters in `base` (blank ones left out), with a page number.
fn query_string(base: &[(&str, String)], page: Option<i64>) -> String {
    let mut pairs: Vec<(&str, String)> = base
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .cloned()
        .collect();
    if let Some(p) = page {
        pairs.push(("page", p.to_string()));
    }
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

#[derive(Template)]
#[template(path = "applications/list.html")]
struct ListPage {
    layout: Layout,
    scope_note: String,
    kind_options: Vec<SelectOption>,
    stage_options: Vec<SelectOption>,
    status_options: Vec<SelectOption>,
    district_options: Vec<SelectOption>,
    /// District users see their own district only: no district to choose.
    show_district: bool,
    overdue_options: Vec<SelectOption>,
    year: String,
    q: String,
    /// The filters as a query string (for the export link).
    query: String,
    total: i64,
    all_count: i64,
    all_href: String,
    all_on: bool,
    totals: Vec<Total>,
    rows: Vec<Row>,
    page: i64,
    pages: i64,
    pager: Pager,
}

/// Who sees what, in words, for the page's heading.
fn scope_note(c: &Caller) -> String {
    let p = &c.principal;
    match role(p) {
        Some(Role::Operator) => "全市全部申报".into(),
        Some(Role::Department) => {
            let kinds = viewer(p).kinds.unwrap_or_default();
            if kinds.is_empty() {
                "本单位不负责审核任何申报事项".into()
            } else {
                let titles: Vec<String> = kinds.iter().map(|k| kind_title(k)).collect();
                format!("本单位参与审核的申报事项：{}", titles.join("、"))
            }
        }
        Some(Role::District) => format!("{}需区县初审的申报", district_name(&p.district)),
        _ => String::new(),
    }
}

#[derive(serde::Deserialize, Default)]
struct Notice {
    notice: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<ApplicationQuery>,
    Query(n): Query<Notice>,
) -> PageResult {
    if !reviews(&c) {
        // Applicants and banks: their own organisation's list, as before.
        let own = PageQuery {
            page: q.page.clone(),
            notice: n.notice,
        };
        return own_list(State(state), PageCaller(c), Query(own)).await;
    }
    let today = domain::calendar::today_shanghai();
    let f = q.filter(today)?;
    let v = viewer(&c.principal);
    let (page, totals) = apps::list_with_totals(&state.db, &v, &f, q.paging()?).await?;
    let kind = f.kind.clone().unwrap_or_default();
    let stage = f.stage.clone().unwrap_or_default();
    let status = f.status.clone().unwrap_or_default();
    let district = f.district.clone().unwrap_or_default();
    let year = f.year.map(|y| y.to_string()).unwrap_or_default();
    let overdue = f.overdue.map(|o| o.to_string()).unwrap_or_default();
    let text = f.q.clone().unwrap_or_default();
    let per_page = q
        .per_page
        .as_ref()
        .map(|_| page.per_page.to_string())
        .unwrap_or_default();
    let base = |status: &str| {
        vec![
            ("kind", kind.clone()),
            ("stage", stage.clone()),
            ("status", status.to_string()),
            ("district", district.clone()),
            ("year", year.clone()),
            ("overdue", overdue.clone()),
            ("q", text.clone()),
            ("per_page", per_page.clone()),
        ]
    };
    let here = base(&status);
    let by_status = status_totals(&totals);
    let all_count: i64 = by_status.values().sum();
    let pages = page.pages();

    let today_rows = page.items.iter().map(|s| row(s, today)).collect();
    render(&ListPage {
        layout: Layout::new("申报一览", "applications", Some(&c)),
        scope_note: scope_note(&c),
        kind_options: options(
            workflow::kinds()
                .iter()
                .map(|k| (k.code.as_str(), k.title.as_str())),
            &kind,
        ),
        stage_options: {
            let st = stages();
            st.iter()
                .map(|(code, name)| SelectOption {
                    value: code.to_string(),
                    label: name.clone(),
                    selected: *code == stage,
                })
                .collect()
        },
        status_options: options(Status::ALL.map(|s| (s.as_str(), s.label())), &status),
        district_options: district_options(&district),
        show_district: v.scope.district().is_none(),
        overdue_options: options([("true", "已逾期"), ("false", "未逾期")], &overdue),
        year: year.clone(),
        q: text.clone(),
        query: query_string(&here, None),
        total: page.total,
        all_count,
        all_href: format!("/applications?{}", query_string(&base(""), None)),
        all_on: status.is_empty(),
        totals: Status::ALL
            .iter()
            .map(|s| Total {
                label: s.label(),
                count: by_status.get(s.as_str()).copied().unwrap_or(0),
                href: format!("/applications?{}", query_string(&base(s.as_str()), None)),
                on: status == s.as_str(),
            })
            .collect(),
        rows: today_rows,
        page: page.page,
        pages,
        pager: Pager::new("/applications", &here, page.page, pages),
    })
}

/// The filtered list as XLSX (at most this many rows).
const EXPORT_CAP: i64 = 100_000;

const HEADERS: [&str; 15] = [
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
    "更新时间",
];

/// The list with the same filters as XLSX: ids and years as numbers, deadlines as dates,
/// times as date-times (Beijing time). Everyone signed in may export what they may list.
async fn export(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<ApplicationQuery>,
) -> PageResult {
    let today = domain::calendar::today_shanghai();
    let f = q.filter(today)?;
    let list = apps::export(&state.db, &viewer(&c.principal), &f, EXPORT_CAP).await?;
    let time = |t: Option<i64>| t.map_or(Cell::Empty, xlsx::time_cell);
    let rows: Vec<Vec<Cell>> = list
        .iter()
        .map(|s| {
            vec![
                Cell::Year(s.id),
                Cell::Text(kind_title(&s.kind)),
                Cell::Text(s.title.clone()),
                Cell::Text(s.applicant_name.clone()),
                Cell::Text(s.district.clone().unwrap_or_default()),
                Cell::Text(district_name(&s.district)),
                year_of(s).map_or(Cell::Empty, Cell::Year),
                Cell::Text(status_label(&s.status).to_string()),
                Cell::Text(stage_name(&s.kind, &s.stage_code)),
                s.due_date
                    .as_deref()
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                    .map_or(Cell::Empty, xlsx::date_cell),
                Cell::Text(if overdue(s, today) { "是" } else { "否" }.into()),
                xlsx::time_cell(s.created_at),
                time(s.submitted_at),
                time(s.decided_at),
                xlsx::time_cell(s.updated_at),
            ]
        })
        .collect();
    // One kind chosen: its form's fields follow, a column each (numbers as numbers).
    let (headers, rows) = match f.kind.as_deref().and_then(domain::workflow::kind) {
        None => (HEADERS.to_vec(), rows),
        Some(kind) => {
            let data = apps::export_data(&state.db, &viewer(&c.principal), &f, EXPORT_CAP).await?;
            let fields: Vec<&domain::form::FieldDef> =
                kind.fields.iter().filter(|d| d.holds_data()).collect();
            let mut headers = HEADERS.to_vec();
            headers.extend(fields.iter().map(|d| d.label.as_str()));
            let rows = list
                .iter()
                .zip(rows)
                .map(|(s, mut row)| {
                    let values: serde_json::Value = data
                        .get(&s.id)
                        .and_then(|d| serde_json::from_str(d).ok())
                        .unwrap_or_default();
                    row.extend(fields.iter().map(|d| field_cell(d, &values[&d.name])));
                    row
                })
                .collect();
            (headers, rows)
        }
    };
    let bytes = xlsx::table("申报一览", &headers, &rows)?;
    Ok(xlsx::download("申报一览.xlsx", bytes))
}

/// A form field's stored value as a cell: money as yuan, counts and years as numbers, a
/// percentage as a percentage, anything else as the pages show it.
fn field_cell(d: &domain::form::FieldDef, v: &serde_json::Value) -> Cell {
    use domain::form::FieldType;
    if v.is_null() {
        return Cell::Empty;
    }
    match (&d.ty, v.as_i64()) {
        (FieldType::Money, Some(fen)) => Cell::Fen(fen),
        (FieldType::Integer { .. }, Some(n)) => Cell::Count(n),
        (FieldType::Year, Some(n)) => Cell::Year(n),
        (FieldType::Percent, Some(h)) => Cell::Percent {
            value: h as f64 / 10_000.0,
            places: 2,
        },
        _ => Cell::Text(d.display(v)),
    }
}
