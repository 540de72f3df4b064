//! Measure 5 pages: supply (专业供给) — a school's rows and upload form, every school's rows for
//! 市教委 and operators, the template, the export and the import result.

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::routing::{get, post};
use serde::Deserialize;
use store::Paging;
use store::supply::{self, Filter};

use super::{MAX_YEAR, MIN_YEAR, SUPPLY_SCHEMA, export_row, scope, yuan};
use crate::AppState;
use crate::auth::{Caller, PageCaller};
use crate::error::{AppError, PageResult};
use crate::numbers::filters;
use crate::pages::{Layout, Pager, Routes, SelectOption, fmt_time, parse_page, render};
use crate::xlsx;

/// At most this many rows in one export.
const EXPORT_CAP: i64 = 100_000;

pub fn router() -> Routes {
    Routes::new()
        .route("/supply", get(list))
        .route("/supply/template.xlsx", get(template))
        .route("/supply/export.xlsx", get(export))
        .route(
            "/supply/import",
            post(import).layer(axum::extract::DefaultBodyLimit::max(
                crate::import::SUPPLY.max_body(),
            )),
        )
}

#[derive(Deserialize, Default)]
struct ListQuery {
    school: Option<String>,
    year: Option<String>,
    page: Option<String>,
}

/// The caller's filter: a school sees only its own rows whatever the query says.
fn filter(c: &Caller, q: &ListQuery) -> Result<(Filter, Option<i64>), AppError> {
    let own = scope(&c.principal).ok_or(AppError::Forbidden)?;
    let school = match own {
        Some(id) => Some(id),
        None => q.school.as_deref().and_then(|s| s.trim().parse().ok()),
    };
    let year = q
        .year
        .as_deref()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .filter(|y| (MIN_YEAR..=MAX_YEAR).contains(y));
    Ok((
        Filter {
            school_org_id: school,
            year,
        },
        own,
    ))
}

#[derive(Template)]
#[template(path = "supply/list.html")]
struct ListPage {
    layout: Layout,
    /// Whether the caller sees every school (and may report for any).
    all_schools: bool,
    /// A school's own analysis report (measure 5), for a school's account.
    report: Option<String>,
    school_options: Vec<SelectOption>,
    year: String,
    query: String,
    total: i64,
    /// school, major code, major name, year, planned, actual, graduates, employed, matching,
    /// salary, updated
    rows: Vec<[String; 11]>,
    pager: Pager,
}

async fn list(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    Query(lq): Query<ListQuery>,
) -> PageResult {
    let (f, own) = filter(&c, &lq)?;
    let page = supply::list(
        &state.db,
        &crate::auth::access::org_scope(&c.principal),
        &f,
        Paging::new(parse_page(&lq.page), Some(50)),
    )
    .await?;
    let mut school_options: Vec<SelectOption> = if own.is_none() {
        supply::schools(&state.db)
            .await?
            .into_iter()
            .map(|(code, (id, name))| SelectOption {
                selected: f.school_org_id == Some(id),
                value: id.to_string(),
                label: format!("{name}（{code}）"),
            })
            .collect()
    } else {
        Vec::new()
    };
    school_options.sort_by(|a, b| a.label.cmp(&b.label));
    let base = [
        (
            "school",
            if own.is_none() {
                f.school_org_id.map(|i| i.to_string()).unwrap_or_default()
            } else {
                String::new()
            },
        ),
        ("year", f.year.map(|y| y.to_string()).unwrap_or_default()),
    ];
    let pager = Pager::new("/supply", &base, page.page, page.pages());
    let query = serde_urlencoded::to_string(
        base.iter()
            .filter(|(_, v)| !v.is_empty())
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default();
    render(&ListPage {
        layout: Layout::new("专业供给", "supply", Some(&c)),
        all_schools: own.is_none(),
        report: own.map(|id| format!("/alignment/schools/{id}/report")),
        school_options,
        year: f.year.map(|y| y.to_string()).unwrap_or_default(),
        query,
        total: page.total,
        rows: page
            .items
            .into_iter()
            .map(|s| {
                [
                    s.school_name,
                    s.major_code,
                    s.major_name.unwrap_or_else(|| "（不在当前目录）".into()),
                    s.year.to_string(),
                    s.planned_enrolment.to_string(),
                    s.actual_enrolment.to_string(),
                    s.graduates.to_string(),
                    s.employed.to_string(),
                    s.employed_matching.to_string(),
                    s.avg_salary_fen.map(yuan).unwrap_or_default(),
                    format!("{} {}", fmt_time(s.updated_at), s.updated_by),
                ]
            })
            .collect(),
        pager,
    })
}

async fn template() -> PageResult {
    let bytes = tabular::template(&SUPPLY_SCHEMA).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(xlsx::download("专业供给导入模板.xlsx", bytes))
}

async fn export(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    Query(lq): Query<ListQuery>,
) -> PageResult {
    let (f, _) = filter(&c, &lq)?;
    let rows: Vec<Vec<xlsx::Cell>> = supply::export(
        &state.db,
        &crate::auth::access::org_scope(&c.principal),
        &f,
        EXPORT_CAP,
    )
    .await?
    .iter()
    .map(export_row)
    .collect();
    let bytes = xlsx::export(&SUPPLY_SCHEMA, &rows)?;
    Ok(xlsx::download("专业供给.xlsx", bytes))
}

/// Reads an upload's `file` and `only_valid` fields.
async fn upload(mp: &mut Multipart) -> Result<(Vec<u8>, bool), AppError> {
    let up = crate::pages::imports::read_upload(mp, crate::import::SUPPLY).await?;
    let only_valid = up.flag("only_valid");
    Ok((up.bytes, only_valid))
}

async fn import(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    mut mp: Multipart,
) -> PageResult {
    let own = scope(&c.principal).ok_or(AppError::Forbidden)?;
    crate::auth::check_multipart_csrf(&c, &mut mp).await?;
    let (bytes, only_valid) = upload(&mut mp).await?;
    let out = super::import(&state.db, &c.actor(), bytes, own, only_valid).await?;
    let success = format!(
        "已导入 {} 行（年份：{}；涉及 {} 所学校）。",
        out.imported,
        out.years
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join("、"),
        out.schools.len()
    );
    crate::pages::imports::result_page(
        &c,
        &crate::pages::imports::ResultPlace {
            nav: "supply",
            href: "/supply",
            section: "专业供给",
            links: &[],
        },
        "专业供给导入结果".into(),
        out.imported,
        success,
        &out.report,
    )
}
