//! Measure 5 pages: demand (岗位需求) — postings and enterprise demand records with filters, the
//! template, import and export, and the queue of titles waiting for a person to confirm their
//! occupation.

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use serde::Deserialize;
use store::Paging;
use store::demand::{self, Filter, status};

use super::{DEMAND_SCHEMA, export_row, ppm, threshold};
use crate::AppState;
use crate::auth::access::{Permission, allows};
use crate::auth::{Caller, PageCaller};
use crate::error::{AppError, PageResult};
use crate::numbers::filters;
use crate::pages::{
    Layout, Pager, Routes, SelectOption, district_options, options, parse_page, render,
};
use crate::xlsx;

const EXPORT_CAP: i64 = 200_000;

pub fn router() -> Routes {
    Routes::new()
        .route("/demand", get(list))
        .route("/demand/template.xlsx", get(template))
        .route("/demand/export.xlsx", get(export))
        .route(
            "/demand/import",
            post(import).layer(axum::extract::DefaultBodyLimit::max(
                crate::import::DEMAND.max_body(),
            )),
        )
        .route("/demand/queue", get(queue))
        .route("/demand/confirm", post(confirm))
}

fn guard(c: &Caller) -> Result<(), AppError> {
    if allows(&c.principal, Permission::ManageDemand) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

const STATUSES: [&str; 5] = [
    status::GIVEN,
    status::AUTO,
    status::PENDING,
    status::CONFIRMED,
    status::UNMATCHED,
];

#[derive(Deserialize, Default)]
struct ListQuery {
    year: Option<String>,
    district: Option<String>,
    status: Option<String>,
    occupation: Option<String>,
    page: Option<String>,
}

fn filter(q: &ListQuery) -> Filter {
    let clean = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    Filter {
        year: q.year.as_deref().and_then(|s| s.trim().parse::<i64>().ok()),
        district: clean(&q.district).filter(|d| domain::reference::area(d).is_some()),
        status: clean(&q.status).filter(|s| STATUSES.contains(&s.as_str())),
        occupation_code: clean(&q.occupation),
    }
}

#[derive(Template)]
#[template(path = "demand/list.html")]
struct ListPage {
    layout: Layout,
    district_options: Vec<SelectOption>,
    status_options: Vec<SelectOption>,
    year: String,
    occupation: String,
    query: String,
    total: i64,
    /// status label, rows, people
    counts: Vec<(String, i64, i64)>,
    pending_titles: i64,
    /// id, district, industry, title, occupation code, occupation name, status, confidence,
    /// count, date, salary
    rows: Vec<[String; 11]>,
    pager: Pager,
}

fn area_name(code: &str) -> String {
    domain::reference::area(code)
        .map(|a| a.name.to_string())
        .unwrap_or_else(|| code.to_string())
}

fn percent_ppm(p: Option<i64>) -> String {
    p.map(|p| format!("{:.0}%", p as f64 / 10_000.0))
        .unwrap_or_default()
}

fn salary_range(min: Option<i64>, max: Option<i64>) -> String {
    let y = |f: i64| crate::numbers::count(f / 100);
    match (min, max) {
        (Some(a), Some(b)) => format!("{}–{}", y(a), y(b)),
        (Some(a), None) => format!("{} 起", y(a)),
        (None, Some(b)) => format!("至 {}", y(b)),
        (None, None) => String::new(),
    }
}

async fn list(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    Query(lq): Query<ListQuery>,
) -> PageResult {
    guard(&c)?;
    let f = filter(&lq);
    let page = demand::list(
        &state.db,
        &crate::auth::access::org_scope(&c.principal),
        &f,
        Paging::new(parse_page(&lq.page), Some(50)),
    )
    .await?;
    let counts = demand::status_counts(&state.db).await?;
    let pending_titles = demand::pending(&state.db, Paging::new(Some(1), Some(1)))
        .await?
        .total;
    let base = [
        ("year", f.year.map(|y| y.to_string()).unwrap_or_default()),
        ("district", f.district.clone().unwrap_or_default()),
        ("status", f.status.clone().unwrap_or_default()),
        ("occupation", f.occupation_code.clone().unwrap_or_default()),
    ];
    let pager = Pager::new("/demand", &base, page.page, page.pages());
    let query = serde_urlencoded::to_string(
        base.iter()
            .filter(|(_, v)| !v.is_empty())
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default();
    let mut district_opts = district_options(f.district.as_deref().unwrap_or(""));
    district_opts.insert(
        0,
        SelectOption {
            value: String::new(),
            label: "全部".into(),
            selected: f.district.is_none(),
        },
    );
    let mut status_opts = options(
        STATUSES.iter().map(|s| (*s, status::label(s))),
        f.status.as_deref().unwrap_or(""),
    );
    status_opts.insert(
        0,
        SelectOption {
            value: String::new(),
            label: "全部".into(),
            selected: f.status.is_none(),
        },
    );
    render(&ListPage {
        layout: Layout::new("岗位需求", "demand", Some(&c)),
        district_options: district_opts,
        status_options: status_opts,
        year: f.year.map(|y| y.to_string()).unwrap_or_default(),
        occupation: f.occupation_code.clone().unwrap_or_default(),
        query,
        total: page.total,
        counts: counts
            .into_iter()
            .map(|(s, n, p)| (status::label(&s).to_string(), n, p))
            .collect(),
        pending_titles,
        rows: page
            .items
            .into_iter()
            .map(|p| {
                [
                    p.id.to_string(),
                    area_name(&p.district),
                    p.industry_code,
                    p.title,
                    p.occupation_code.unwrap_or_default(),
                    p.occupation_name.unwrap_or_default(),
                    status::label(&p.match_status).to_string(),
                    percent_ppm(p.match_confidence),
                    crate::numbers::count(p.count),
                    p.posted_on,
                    salary_range(p.salary_min_fen, p.salary_max_fen),
                ]
            })
            .collect(),
        pager,
    })
}

async fn template(PageCaller(c): PageCaller) -> PageResult {
    guard(&c)?;
    let bytes = tabular::template(&DEMAND_SCHEMA).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(xlsx::download("岗位需求导入模板.xlsx", bytes))
}

async fn export(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    Query(lq): Query<ListQuery>,
) -> PageResult {
    guard(&c)?;
    let rows: Vec<Vec<xlsx::Cell>> = demand::export(
        &state.db,
        &crate::auth::access::org_scope(&c.principal),
        &filter(&lq),
        EXPORT_CAP,
    )
    .await?
    .iter()
    .map(export_row)
    .collect();
    let bytes = xlsx::export(&DEMAND_SCHEMA, &rows)?;
    Ok(xlsx::download("岗位需求.xlsx", bytes))
}

async fn import(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    mut mp: Multipart,
) -> PageResult {
    guard(&c)?;
    crate::auth::check_multipart_csrf(&c, &mut mp).await?;
    let up = crate::pages::imports::read_upload(&mut mp, crate::import::DEMAND).await?;
    let only_valid = up.flag("only_valid");
    let name = up.file_name.clone().unwrap_or_default();
    let out = super::import(&state, &c.actor(), &name, up.bytes, only_valid).await?;
    let success = format!(
        "已导入 {} 行：{}。",
        out.imported,
        out.by_status
            .iter()
            .map(|(s, n)| format!("{}{n}行", status::label(s)))
            .collect::<Vec<_>>()
            .join("，")
    );
    crate::pages::imports::result_page(
        &c,
        &crate::pages::imports::ResultPlace {
            nav: "demand",
            href: "/demand",
            section: "岗位需求",
            links: &[("/demand/queue", "待确认岗位名称")],
        },
        "岗位需求导入结果".into(),
        out.imported,
        success,
        &out.report,
    )
}

struct QueueItem {
    title: String,
    rows: i64,
    demand: i64,
    /// code, name, confidence %, matched terms
    candidates: Vec<(String, String, String, String)>,
}

#[derive(Template)]
#[template(path = "demand/queue.html")]
struct QueuePage {
    layout: Layout,
    notice: Option<String>,
    threshold: String,
    threshold_source: String,
    total: i64,
    items: Vec<QueueItem>,
    pager: Pager,
}

#[derive(Deserialize, Default)]
struct QueueQuery {
    page: Option<String>,
    done: Option<String>,
}

async fn queue(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<QueueQuery>,
) -> PageResult {
    guard(&c)?;
    let page = demand::pending(&state.db, Paging::new(parse_page(&q.page), Some(20))).await?;
    let matcher = state.matcher.get(&state.db).await?;
    let (min, used) = threshold(&state)?;
    let titles: Vec<String> = page.items.iter().map(|p| p.title.clone()).collect();
    let candidates = tokio::task::spawn_blocking(move || {
        titles
            .iter()
            .map(|t| matcher.best(t, 3))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let mut items = Vec::with_capacity(page.items.len());
    for (p, cands) in page.items.iter().zip(candidates) {
        let mut candidates: Vec<(String, String, String, String)> = cands
            .into_iter()
            .map(|c| {
                let pct = percent_ppm(Some(ppm(&c)));
                let terms = if c.matched_terms.is_empty() {
                    String::new()
                } else {
                    format!("匹配词：{}", c.matched_terms.join("、"))
                };
                (c.code, c.name, pct, terms)
            })
            .collect();
        // The proposal stored at import, when today's occupations give none.
        if candidates.is_empty()
            && let Some(code) = &p.suggested_code
            && let Some(o) = store::occupations::get(&state.db, code).await?
        {
            candidates.push((
                o.code,
                o.name,
                percent_ppm(p.match_confidence),
                "导入时的建议".into(),
            ));
        }
        items.push(QueueItem {
            title: p.title.clone(),
            rows: p.row_count,
            demand: p.demand,
            candidates,
        });
    }
    let pager = Pager::new("/demand/queue", &[], page.page, page.pages());
    render(&QueuePage {
        layout: Layout::new("待确认岗位名称", "demand", Some(&c)),
        notice: q.done.filter(|s| !s.is_empty()),
        threshold: percent_ppm(Some(min)),
        threshold_source: format!(
            "政策参数“{}”，{}{}",
            used.description,
            used.source,
            if used.verified {
                ""
            } else {
                "；默认值，待运营方确认"
            }
        ),
        total: page.total,
        items,
        pager,
    })
}

#[derive(Deserialize)]
struct ConfirmForm {
    csrf: String,
    title: String,
    /// An occupation code, or empty with `none=1` for “no occupation fits”.
    occupation: Option<String>,
    /// A code typed in instead of a proposed one; wins when given.
    occupation_other: Option<String>,
    none: Option<String>,
}

async fn confirm(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    Form(f): Form<ConfirmForm>,
) -> PageResult {
    guard(&c)?;
    c.check_csrf(&f.csrf)?;
    let code = if f.none.as_deref() == Some("1") {
        None
    } else {
        let typed = f
            .occupation_other
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        match typed.or(f.occupation.as_deref().map(str::trim)) {
            Some(s) if !s.is_empty() => Some(s),
            _ => {
                return Err(AppError::invalid(
                    "occupation",
                    "请选择或填写职业代码，或选择“无对应职业”",
                )
                .into());
            }
        }
    };
    let n = super::confirm(&state.db, &c.actor(), &f.title, code).await?;
    let msg = match code {
        Some(code) => format!("“{}”已确认为职业 {code}，{n} 行已计入需求", f.title),
        None => format!("“{}”已标记为无对应职业，{n} 行计为未对应需求", f.title),
    };
    let q = serde_urlencoded::to_string([("done", msg)]).unwrap_or_default();
    Ok(Redirect::to(&format!("/demand/queue?{q}")).into_response())
}
