//! Measure 5 pages: majors aligned to labour demand — the city, districts, schools, industry
//! clusters and each major; every class with its explanation; a printable school report; XLSX
//! exports; and the scenario mode (change thresholds, see what changes, nothing saved).
//!
//! Who sees what (`web::features::alignment::{district_in_scope, Computed::school_in_scope}`,
//! by the caller's scope from `web::auth::access`): city-wide aggregates (city, cluster, major)
//! every signed-in user; a district's figures operators, departments, the district itself and
//! the organisations registered in it; a school's figures (offerings, report, export, its
//! lines in a major's or a scenario's lists) operators, departments, its district and the
//! school itself. Out of scope is 404.

use std::sync::Arc;

use analytics::majors::{
    Class, Measures, Ratio, Verdict, explain_major, summarize_major, summarize_offering,
};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use serde::Deserialize;
use serde_json::Value;

use super::{Computed, district_in_scope};
use crate::AppState;
use crate::auth::access::sees_district;
use crate::auth::{Caller, PageCaller};
use crate::charts::{Group, grouped_bars, line_chart};
use crate::error::{AppError, PageResult};
use crate::numbers::{self, filters};
use crate::pages::trace::{StepView, trace_view};
use crate::pages::{Layout, Pager, Routes, SelectOption, render};
use crate::xlsx::{self, Cell};

mod scenario;

pub fn router() -> Routes {
    Routes::new()
        .route("/alignment", get(city))
        .route("/alignment/export.xlsx", get(export))
        .route("/alignment/majors/{code}", get(major))
        .route("/alignment/districts", get(districts))
        .route("/alignment/districts/{code}", get(district))
        .route("/alignment/clusters", get(clusters))
        .route("/alignment/clusters/{code}", get(cluster))
        .route("/alignment/schools/{id}", get(school))
        .route("/alignment/schools/{id}/report", get(school_report))
        .route("/alignment/schools/{id}/{code}/{year}", get(offering))
        .route("/alignment/scenario", get(scenario::scenario))
        .route("/alignment/scenario/export.xlsx", get(scenario::export))
        .route("/alignment/recompute", axum::routing::post(recompute))
}

const PER_PAGE: usize = 50;

fn level_label(level: &str) -> &'static str {
    crate::features::majors::level_label(level)
}

fn class_tag(v: Option<Verdict>) -> (String, String) {
    match v {
        Some(v) => (v.class.label().to_string(), v.class.key().to_string()),
        None => ("—".into(), "none".into()),
    }
}

fn opt(r: Option<Ratio>, f: impl Fn(Ratio) -> String) -> String {
    r.map(f).unwrap_or_else(|| "—".into())
}

fn as_f64(r: Ratio) -> f64 {
    r.num as f64 / r.den as f64
}

/// One line of a majors table.
pub struct MajorRow {
    pub code: String,
    pub name: String,
    pub level: String,
    pub category: String,
    pub offerings: i64,
    pub graduates: i64,
    pub employment: String,
    pub matching: String,
    pub demand: String,
    pub ratio: String,
    pub share: String,
    pub change: String,
    pub class_label: String,
    pub class_key: String,
    pub href: String,
    /// Sort keys: ratio, demand (in units), graduates.
    ratio_key: f64,
    demand_key: i128,
    /// The figures as exact values, for exports.
    figures: MajorFigures,
}

/// A major's figures (rates and shares as fractions of 1, demand in posts).
struct MajorFigures {
    employment: Option<Ratio>,
    matching: Option<Ratio>,
    demand: Ratio,
    ratio: Option<Ratio>,
    share: Option<Ratio>,
    change: Option<Ratio>,
}

fn major_row(
    c: &Computed,
    m: u32,
    year: i32,
    cell: &analytics::majors::Cell,
    verdict: Option<Verdict>,
) -> MajorRow {
    let info = &c.ds.majors[m as usize];
    let ms = &c.measures;
    let window = c.thresholds.get(year).map_or(3, |t| t.values.window_years);
    let base = ms.city(m, analytics::majors::base_year(year, window));
    let change = base.and_then(|b| {
        analytics::majors::demand_change(
            ms.city(m, year).map_or(0, |x| x.demand.units),
            b.demand.units,
        )
    });
    let ratio = ms.ratio(cell.demand.units, cell.supply.graduates);
    let (class_label, class_key) = class_tag(verdict);
    let figures = MajorFigures {
        employment: cell.supply.employment_rate(),
        matching: cell.supply.matching_rate(),
        demand: ms.posts(cell.demand.units),
        ratio,
        share: cell.demand.priority_share(),
        change,
    };
    MajorRow {
        code: info.code.clone(),
        name: info.name.clone(),
        level: level_label(&info.level).to_string(),
        category: info.category_name.clone(),
        offerings: cell.supply.offerings,
        graduates: cell.supply.graduates,
        employment: opt(cell.supply.employment_rate(), |r| r.percent_text(1)),
        matching: opt(cell.supply.matching_rate(), |r| r.percent_text(1)),
        demand: ms.posts(cell.demand.units).people(),
        ratio: opt(ratio, |r| r.decimal(2)),
        share: opt(cell.demand.priority_share(), |r| r.percent_text(0)),
        change: opt(change, |r| r.percent_text(0)),
        class_label,
        class_key,
        href: format!("/alignment/majors/{}?year={year}", info.code),
        ratio_key: ratio.map_or(f64::NAN, as_f64),
        demand_key: cell.demand.units,
        figures,
    }
}

fn sort_rows(rows: &mut [MajorRow], sort: &str) {
    match sort {
        "ratio" => rows.sort_by(|a, b| {
            b.ratio_key
                .partial_cmp(&a.ratio_key)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| a.code.cmp(&b.code))
        }),
        "ratio_asc" => rows.sort_by(|a, b| {
            a.ratio_key
                .partial_cmp(&b.ratio_key)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| a.code.cmp(&b.code))
        }),
        "demand" => rows.sort_by(|a, b| b.demand_key.cmp(&a.demand_key).then(a.code.cmp(&b.code))),
        "graduates" => rows.sort_by(|a, b| b.graduates.cmp(&a.graduates).then(a.code.cmp(&b.code))),
        _ => rows.sort_by(|a, b| a.code.cmp(&b.code)),
    }
}

const SORTS: [(&str, &str); 5] = [
    ("code", "专业代码"),
    ("ratio", "供需比（高→低）"),
    ("ratio_asc", "供需比（低→高）"),
    ("demand", "需求"),
    ("graduates", "毕业生"),
];

#[derive(Deserialize, Default, Clone)]
pub struct Filters {
    year: Option<String>,
    level: Option<String>,
    category: Option<String>,
    class: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    page: Option<String>,
    /// Export only: a district's majors, or a school's offerings.
    district: Option<String>,
    school: Option<String>,
    cluster: Option<String>,
}

impl Filters {
    fn year(&self) -> Option<i32> {
        self.year.as_deref().and_then(|s| s.trim().parse().ok())
    }
    fn get(v: &Option<String>) -> &str {
        v.as_deref().map(str::trim).unwrap_or("")
    }
}

async fn computed(state: &AppState) -> Result<Arc<Computed>, AppError> {
    state.alignment.get(state).await
}

/// The measures and the year asked for if it has data, else the latest (404 without data).
async fn computed_year(
    state: &AppState,
    asked: Option<i32>,
) -> Result<(Arc<Computed>, i32), AppError> {
    let c = computed(state).await?;
    let year = c
        .year_or_latest(asked)
        .ok_or(AppError::NotFound("分析数据"))?;
    Ok((c, year))
}

fn year_options(c: &Computed, year: i32) -> Vec<SelectOption> {
    c.years()
        .iter()
        .rev()
        .map(|y| SelectOption {
            value: y.to_string(),
            label: format!("{y} 年"),
            selected: *y == year,
        })
        .collect()
}

fn with_all(mut v: Vec<SelectOption>, any_selected: bool) -> Vec<SelectOption> {
    v.insert(
        0,
        SelectOption {
            value: String::new(),
            label: "全部".into(),
            selected: !any_selected,
        },
    );
    v
}

/// The city's majors in `year` after the filters, sorted.
fn city_rows(c: &Computed, year: i32, f: &Filters) -> Vec<MajorRow> {
    let level = Filters::get(&f.level);
    let category = Filters::get(&f.category);
    let class = Class::parse(Filters::get(&f.class));
    let q = Filters::get(&f.q);
    let mut rows: Vec<MajorRow> = c
        .measures
        .city_rows()
        .filter(|(_, y, cell)| *y == year && cell.supply.offerings > 0)
        .filter(|(m, _, _)| {
            let info = &c.ds.majors[*m as usize];
            (level.is_empty() || info.level == level)
                && (category.is_empty() || info.category_code == category)
                && (q.is_empty() || info.code.starts_with(q) || info.name.contains(q))
        })
        .filter_map(|(m, y, cell)| {
            let v = c.classification.major(m, y);
            if class.is_some() && v.map(|v| v.class) != class {
                return None;
            }
            Some(major_row(c, m, y, cell, v))
        })
        .collect();
    sort_rows(&mut rows, Filters::get(&f.sort));
    rows
}

struct ClassCount {
    label: &'static str,
    key: &'static str,
    offerings: usize,
    majors: usize,
}

fn class_counts(c: &Computed, year: i32) -> Vec<ClassCount> {
    let mut off = [0usize; 5];
    for (o, v) in c.ds.offerings.iter().zip(&c.classification.offerings) {
        if o.year == year {
            off[v.class as usize] += 1;
        }
    }
    let mut maj = [0usize; 5];
    for (m, y, v) in c.classification.major_rows() {
        if y == year
            && c.measures
                .city(m, y)
                .is_some_and(|x| x.supply.offerings > 0)
        {
            maj[v.class as usize] += 1;
        }
    }
    Class::ALL
        .iter()
        .map(|k| ClassCount {
            label: k.label(),
            key: k.key(),
            offerings: off[*k as usize],
            majors: maj[*k as usize],
        })
        .collect()
}

#[derive(Template)]
#[template(path = "alignment/city.html")]
struct CityPage {
    layout: Layout,
    empty: bool,
    year: i32,
    /// Schools with data in the year shown, and the most in any year.
    coverage: (usize, usize),
    /// The year shown by default (the latest with enough schools' data).
    default_year: i32,
    /// `majors.default_year_coverage` as a percentage.
    coverage_rule: String,
    year_options: Vec<SelectOption>,
    level_options: Vec<SelectOption>,
    category_options: Vec<SelectOption>,
    class_options: Vec<SelectOption>,
    sort_options: Vec<SelectOption>,
    q: String,
    query: String,
    counts: Vec<ClassCount>,
    supply_demand_chart: String,
    trend_chart: String,
    rows: Vec<MajorRow>,
    total: usize,
    page: usize,
    pager: Pager,
    unmapped: String,
    skipped_supply: usize,
    computed: String,
    thresholds: Vec<(String, String, String)>,
}

fn query_of(f: &Filters, year: i32) -> Vec<(&'static str, String)> {
    vec![
        ("year", year.to_string()),
        ("level", Filters::get(&f.level).to_string()),
        ("category", Filters::get(&f.category).to_string()),
        ("class", Filters::get(&f.class).to_string()),
        ("q", Filters::get(&f.q).to_string()),
        ("sort", Filters::get(&f.sort).to_string()),
    ]
}

fn encode(pairs: &[(&str, String)]) -> String {
    serde_urlencoded::to_string(
        pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default()
}

/// One page of a table kept in memory, with links that keep the filters (`base`).
struct Paged<T> {
    rows: Vec<T>,
    total: usize,
    page: usize,
    pager: Pager,
}

fn paginate<T>(
    rows: Vec<T>,
    page: &Option<String>,
    path: &str,
    base: &[(&'static str, String)],
) -> Paged<T> {
    let total = rows.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page = page
        .as_deref()
        .and_then(|p| p.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    Paged {
        rows: rows
            .into_iter()
            .skip((page - 1) * PER_PAGE)
            .take(PER_PAGE)
            .collect(),
        total,
        page,
        pager: Pager::new(path, base, page as i64, pages as i64),
    }
}

fn sort_options(selected: &str) -> Vec<SelectOption> {
    SORTS
        .iter()
        .map(|(v, l)| SelectOption {
            value: v.to_string(),
            label: l.to_string(),
            selected: *v == selected,
        })
        .collect()
}

fn class_options(selected: &str) -> Vec<SelectOption> {
    with_all(
        Class::ALL
            .iter()
            .map(|k| SelectOption {
                value: k.key().into(),
                label: k.label().into(),
                selected: k.key() == selected,
            })
            .collect(),
        !selected.is_empty(),
    )
}

/// The thresholds in force in `year`: (label, value, source).
fn threshold_rows(c: &Computed, year: i32) -> Vec<(String, String, String)> {
    let Some(t) = c.thresholds.get(year) else {
        return Vec::new();
    };
    t.all_used()
        .into_iter()
        .map(|u| {
            let (value, unit) = crate::pages::trace::plain_value(&value_text(&u.value), &u.unit);
            (
                u.description.clone(),
                format!("{value} {unit}").trim_end().to_string(),
                format!(
                    "{}{}",
                    u.source,
                    if u.verified {
                        ""
                    } else {
                        "（默认值，待确认）"
                    }
                ),
            )
        })
        .collect()
}

/// An operator's request to compute the figures again in full (after a repair of the data
/// outside the platform, say): recorded and audited; the servers recompute within moments.
async fn recompute(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    axum::Form(f): axum::Form<crate::pages::CsrfForm>,
) -> PageResult {
    if caller.principal.role != domain::orgs::Role::Operator.as_str() {
        return Err(AppError::Forbidden.into());
    }
    caller.check_csrf(&f.csrf)?;
    let mut tx = state.db.begin().await?;
    store::versions::request_full(&mut tx, &caller.actor(), store::versions::ALIGNMENT).await?;
    tx.commit().await?;
    Ok(axum::response::IntoResponse::into_response(
        axum::response::Redirect::to("/alignment"),
    ))
}

async fn city(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(f): Query<Filters>,
) -> PageResult {
    let c = computed(&state).await?;
    let layout = Layout::new("专业与需求", "alignment", Some(&caller));
    let Some(year) = c.year_or_latest(f.year()) else {
        return render(&CityPage {
            layout,
            empty: true,
            year: 0,
            coverage: (0, 0),
            default_year: 0,
            coverage_rule: String::new(),
            year_options: Vec::new(),
            level_options: Vec::new(),
            category_options: Vec::new(),
            class_options: Vec::new(),
            sort_options: Vec::new(),
            q: String::new(),
            query: String::new(),
            counts: Vec::new(),
            supply_demand_chart: String::new(),
            trend_chart: String::new(),
            rows: Vec::new(),
            total: 0,
            page: 1,
            pager: Pager::new("/alignment", &[], 1, 1),
            unmapped: String::new(),
            skipped_supply: c.skipped_supply(),
            computed: String::new(),
            thresholds: Vec::new(),
        });
    };
    let base = query_of(&f, year);
    let paged = paginate(city_rows(&c, year, &f), &f.page, "/alignment", &base);
    let level = Filters::get(&f.level);
    let category = Filters::get(&f.category);
    let class = Filters::get(&f.class);
    let levels = category_levels(&c);
    let mut cats: Vec<(String, String)> = c
        .measures
        .categories()
        .iter()
        .map(|k| (k.code.clone(), category_label(&levels, &k.code, &k.name)))
        .collect();
    cats.sort();
    cats.dedup();
    render(&CityPage {
        layout,
        empty: false,
        year,
        coverage: c.coverage_of(year),
        default_year: c.default_year.unwrap_or(year),
        coverage_rule: state
            .params
            .rate(
                "majors.default_year_coverage",
                domain::calendar::today_shanghai(),
            )
            .map(|(r, _)| r.percent())
            .unwrap_or_default(),
        year_options: year_options(&c, year),
        level_options: with_all(
            crate::features::majors::LEVELS
                .iter()
                .map(|(v, l)| SelectOption {
                    value: v.to_string(),
                    label: l.to_string(),
                    selected: *v == level,
                })
                .collect(),
            !level.is_empty(),
        ),
        category_options: with_all(
            cats.iter()
                .map(|(code, name)| SelectOption {
                    value: code.clone(),
                    label: format!("{code} {name}"),
                    selected: code == category,
                })
                .collect(),
            !category.is_empty(),
        ),
        class_options: class_options(class),
        sort_options: sort_options(Filters::get(&f.sort)),
        q: Filters::get(&f.q).to_string(),
        query: encode(&base),
        counts: class_counts(&c, year),
        supply_demand_chart: category_chart(&c, year),
        trend_chart: trend_chart(&c),
        rows: paged.rows,
        total: paged.total,
        page: paged.page,
        pager: paged.pager,
        unmapped: numbers::count(c.measures.unmapped(year).map_or(0, |u| u.postings)),
        skipped_supply: c.skipped_supply(),
        computed: format!(
            "{} 计算，用时 {} 毫秒{}",
            crate::pages::fmt_time(c.computed_at),
            c.took_ms,
            if state.alignment.recomputing() {
                "；数据已更新，正在重新计算，完成后刷新即可看到"
            } else {
                ""
            }
        ),
        thresholds: threshold_rows(&c, year),
    })
}

/// The level (中职, 高职专科, 职业本科) of each category (专业大类) code: the same 大类 names
/// recur at every level, under different codes.
fn category_levels(c: &Computed) -> std::collections::HashMap<&str, &'static str> {
    c.ds.majors
        .iter()
        .map(|m| (m.category_code.as_str(), level_label(&m.level)))
        .collect()
}

/// A category's name with its level, `装备制造大类（高职专科）`.
fn category_label(
    levels: &std::collections::HashMap<&str, &'static str>,
    code: &str,
    name: &str,
) -> String {
    match levels.get(code) {
        Some(level) => format!("{name}（{level}）"),
        None => name.to_string(),
    }
}

/// Graduates against demand by category (专业大类, named with its level), the 15 largest by
/// demand.
fn category_chart(c: &Computed, year: i32) -> String {
    let ms = &c.measures;
    let levels = category_levels(c);
    let mut groups: Vec<(i128, Group)> = ms
        .category_rows()
        .filter(|(_, y, cell)| *y == year && (cell.supply.graduates > 0 || cell.demand.units > 0))
        .map(|(k, _, cell)| {
            let cat = &ms.categories()[k];
            (
                cell.demand.units,
                Group {
                    label: category_label(&levels, &cat.code, &cat.name),
                    values: vec![
                        cell.supply.graduates as f64,
                        as_f64(ms.posts(cell.demand.units)),
                    ],
                },
            )
        })
        .collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g.0));
    let groups: Vec<Group> = groups.into_iter().take(15).map(|(_, g)| g).collect();
    grouped_bars(
        &format!("{year} 年各专业大类毕业生与岗位需求"),
        &[("毕业生（人）", "#1f5fa8"), ("岗位需求（人）", "#e08a1e")],
        &groups,
    )
}

/// City-wide employment and matching rates over the years.
fn trend_chart(c: &Computed) -> String {
    let years = c.years().to_vec();
    let mut emp = Vec::new();
    let mut mat = Vec::new();
    for &y in &years {
        let mut s = analytics::majors::Supply::default();
        for (_, yy, cell) in c.measures.category_rows() {
            if yy == y {
                s.add(&cell.supply);
            }
        }
        emp.push(s.employment_rate().map(as_f64));
        mat.push(s.matching_rate().map(as_f64));
    }
    line_chart(
        "全市就业率与专业对口率",
        &years,
        &[
            ("就业率", "#1f5fa8", emp),
            ("对口率（占就业）", "#2e8b57", mat),
        ],
        Some(1.0),
        |v| format!("{:.1}%", v * 100.0),
    )
}

/// The district's majors in `year`, sorted.
fn district_rows(c: &Computed, code: &str, year: i32, sort: &str) -> Vec<MajorRow> {
    let ms = &c.measures;
    let mut rows: Vec<MajorRow> = match ms.district_index(code) {
        None => Vec::new(),
        Some(d) => ms
            .district_rows()
            .filter(|(dd, _, y, cell)| *dd == d && *y == year && cell.is_present())
            .map(|(_, m, y, cell)| major_row(c, m, y, cell, c.classification.major(m, y)))
            .collect(),
    };
    sort_rows(&mut rows, sort);
    rows
}

/// The table of a page as XLSX: the city's majors (with the page's filters), a district's
/// majors (`district=`), or a school's offerings (`school=`, for those who may see it).
async fn export(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(f): Query<Filters>,
) -> PageResult {
    let (c, year) = computed_year(&state, f.year()).await?;
    if let Some(id) = f
        .school
        .as_deref()
        .and_then(|s| s.trim().parse::<i64>().ok())
    {
        let s = school_of(&c, &caller, id)?;
        let header = [
            "专业代码",
            "专业名称",
            "层次",
            "计划招生",
            "实际招生",
            "毕业生",
            "就业率",
            "对口率",
            "平均起薪（元/月）",
            "全市需求供给比",
            "分类",
            "理由",
        ];
        let data: Vec<Vec<Cell>> = school_rows(&c, s, year, false)
            .into_iter()
            .map(|r| {
                vec![
                    r.code.into(),
                    r.name.into(),
                    r.level.into(),
                    Cell::Count(r.planned),
                    Cell::Count(r.actual),
                    Cell::Count(r.graduates),
                    Cell::percent(xlsx::ratio_value(r.employment_rate), 1),
                    Cell::percent(xlsx::ratio_value(r.matching_rate), 1),
                    Cell::fen(r.salary_fen),
                    Cell::decimal(xlsx::ratio_value(r.city_ratio_value), 2),
                    r.class_label.into(),
                    r.reasons.into(),
                ]
            })
            .collect();
        let name = &c.ds.schools[s as usize].name;
        let bytes = xlsx::table(&format!("{year}年开设专业"), &header, &data)?;
        return Ok(xlsx::download(
            &format!("{name}专业供需分析{year}.xlsx"),
            bytes,
        ));
    }
    let cluster = Filters::get(&f.cluster);
    if !cluster.is_empty() {
        let k = cluster_index(&c, cluster)?;
        let header = [
            "专业代码",
            "专业名称",
            "层次",
            "来自本集群的需求",
            "全市毕业生",
            "全市岗位需求",
            "需求供给比",
            "就业率",
            "分类",
        ];
        let data: Vec<Vec<Cell>> = cluster_rows(&c, k, year)
            .into_iter()
            .map(|l| {
                let f = &l.row.figures;
                vec![
                    l.row.code.clone().into(),
                    l.row.name.clone().into(),
                    l.row.level.clone().into(),
                    Cell::decimal(xlsx::ratio_value(Some(l.from_cluster_posts)), 1),
                    Cell::Count(l.row.graduates),
                    Cell::decimal(xlsx::ratio_value(Some(f.demand)), 1),
                    Cell::decimal(xlsx::ratio_value(f.ratio), 2),
                    Cell::percent(xlsx::ratio_value(f.employment), 1),
                    l.row.class_label.clone().into(),
                ]
            })
            .collect();
        let name = c.measures.clusters()[k].name;
        let bytes = xlsx::table(&format!("{year}年集群专业"), &header, &data)?;
        return Ok(xlsx::download(&format!("{name}专业需求{year}.xlsx"), bytes));
    }
    let district = Filters::get(&f.district);
    let rows = if district.is_empty() {
        city_rows(&c, year, &f)
    } else {
        district_in_scope(&caller.principal, district)?;
        district_rows(&c, district, year, Filters::get(&f.sort))
    };
    let header = [
        "专业代码",
        "专业名称",
        "层次",
        "专业大类",
        "开设点",
        "毕业生",
        "就业率",
        "对口率",
        "岗位需求",
        "需求供给比",
        "重点产业需求占比",
        "需求变化（窗口期）",
        "分类",
    ];
    let data: Vec<Vec<Cell>> = rows
        .into_iter()
        .map(|r| {
            let f = &r.figures;
            vec![
                r.code.clone().into(),
                r.name.clone().into(),
                r.level.clone().into(),
                r.category.clone().into(),
                Cell::Count(r.offerings),
                Cell::Count(r.graduates),
                Cell::percent(xlsx::ratio_value(f.employment), 1),
                Cell::percent(xlsx::ratio_value(f.matching), 1),
                Cell::decimal(xlsx::ratio_value(Some(f.demand)), 1),
                Cell::decimal(xlsx::ratio_value(f.ratio), 2),
                Cell::percent(xlsx::ratio_value(f.share), 0),
                Cell::percent(xlsx::ratio_value(f.change), 0),
                r.class_label.clone().into(),
            ]
        })
        .collect();
    let bytes = xlsx::table(&format!("{year}年专业供需"), &header, &data)?;
    Ok(xlsx::download(&format!("专业供需分析{year}.xlsx"), bytes))
}

struct YearLine {
    year: i32,
    graduates: i64,
    employment: String,
    matching: String,
    demand: String,
    ratio: String,
    emerging_share: String,
    cluster_share: String,
    class_label: String,
    class_key: String,
}

struct OfferingLine {
    school: String,
    district: String,
    graduates: i64,
    employment: String,
    matching: String,
    class_label: String,
    class_key: String,
    href: Option<String>,
}

#[derive(Template)]
#[template(path = "alignment/major.html")]
struct MajorPage {
    layout: Layout,
    code: String,
    name: String,
    level: String,
    category: String,
    year: i32,
    year_options: Vec<SelectOption>,
    class_label: String,
    class_key: String,
    /// Why the class, in plain words.
    summary: String,
    trace: Vec<StepView>,
    years: Vec<YearLine>,
    chart: String,
    offerings: Vec<OfferingLine>,
}

fn area_name(code: &str) -> String {
    domain::reference::area(code)
        .map(|a| a.name.to_string())
        .unwrap_or_else(|| code.to_string())
}

async fn major(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(code): Path<String>,
    Query(f): Query<Filters>,
) -> PageResult {
    let c = computed(&state).await?;
    let m = c.major_id(&code).ok_or(AppError::NotFound("专业"))?;
    let year = c
        .year_or_latest(f.year())
        .ok_or(AppError::NotFound("专业"))?;
    let info = &c.ds.majors[m as usize];
    let ms: &Measures = &c.measures;
    let verdict = c.classification.major(m, year);
    let trace = match explain_major(&c.ds, ms, &c.thresholds, m, year) {
        Ok(d) => trace_view(&serde_json::to_value(&d.trace).unwrap_or_default()),
        Err(_) => Vec::new(),
    };
    let years: Vec<YearLine> = c
        .years()
        .iter()
        .filter_map(|&y| {
            let cell = ms.city(m, y)?;
            let (class_label, class_key) = class_tag(c.classification.major(m, y));
            Some(YearLine {
                year: y,
                graduates: cell.supply.graduates,
                employment: opt(cell.supply.employment_rate(), |r| r.percent_text(1)),
                matching: opt(cell.supply.matching_rate(), |r| r.percent_text(1)),
                demand: ms.posts(cell.demand.units).people(),
                ratio: opt(ms.ratio(cell.demand.units, cell.supply.graduates), |r| {
                    r.decimal(2)
                }),
                emerging_share: opt(cell.demand.emerging_share(), |r| r.percent_text(0)),
                cluster_share: opt(cell.demand.cluster_share(), |r| r.percent_text(0)),
                class_label,
                class_key,
            })
        })
        .collect();
    let chart_years: Vec<i32> = c.years().to_vec();
    let grads: Vec<Option<f64>> = chart_years
        .iter()
        .map(|&y| ms.city(m, y).map(|x| x.supply.graduates as f64))
        .collect();
    let dem: Vec<Option<f64>> = chart_years
        .iter()
        .map(|&y| ms.city(m, y).map(|x| as_f64(ms.posts(x.demand.units))))
        .collect();
    let chart = line_chart(
        &format!("{} 毕业生与岗位需求", info.name),
        &chart_years,
        &[
            ("毕业生（人）", "#1f5fa8", grads),
            ("岗位需求（人）", "#e08a1e", dem),
        ],
        None,
        |v| numbers::float(v, 0),
    );
    let mut offerings: Vec<OfferingLine> =
        c.ds.offerings
            .iter()
            .zip(&c.classification.offerings)
            .filter(|(o, _)| {
                o.major == m && o.year == year && c.school_visible(&caller.principal, o.school)
            })
            .map(|(o, v)| {
                let s = &c.ds.schools[o.school as usize];
                let sup = analytics::majors::Supply::of(o);
                let (class_label, class_key) = class_tag(Some(*v));
                OfferingLine {
                    school: s.name.clone(),
                    district: area_name(&s.district),
                    graduates: o.graduates,
                    employment: opt(sup.employment_rate(), |r| r.percent_text(1)),
                    matching: opt(sup.matching_rate(), |r| r.percent_text(1)),
                    class_label,
                    class_key,
                    href: Some(format!(
                        "/alignment/schools/{}/{}/{}",
                        s.id, info.code, year
                    )),
                }
            })
            .collect();
    offerings.sort_by(|a, b| a.school.cmp(&b.school));
    let (class_label, class_key) = class_tag(verdict);
    let summary = summarize_major(ms, &c.thresholds, m, year).unwrap_or_default();
    render(&MajorPage {
        layout: Layout::new(&info.name, "alignment", Some(&caller)),
        code: info.code.clone(),
        name: info.name.clone(),
        level: level_label(&info.level).to_string(),
        category: info.category_name.clone(),
        year,
        year_options: year_options(&c, year),
        class_label,
        class_key,
        summary,
        trace,
        years,
        chart,
        offerings,
    })
}

struct AreaLine {
    code: String,
    name: String,
    offerings: i64,
    graduates: i64,
    employment: String,
    demand: String,
    ratio: String,
}

#[derive(Template)]
#[template(path = "alignment/districts.html")]
struct DistrictsPage {
    layout: Layout,
    year: i32,
    year_options: Vec<SelectOption>,
    chart: String,
    rows: Vec<AreaLine>,
}

/// Supply and demand per district in `year` (all majors).
fn district_totals(c: &Computed, year: i32) -> Vec<(usize, analytics::majors::Cell)> {
    let mut totals: Vec<analytics::majors::Cell> =
        vec![Default::default(); c.measures.districts().len()];
    for (d, _, y, cell) in c.measures.district_rows() {
        if y == year {
            totals[d].add(cell);
        }
    }
    totals.into_iter().enumerate().collect()
}

async fn districts(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(f): Query<Filters>,
) -> PageResult {
    let (c, year) = computed_year(&state, f.year()).await?;
    let ms = &c.measures;
    let mut rows: Vec<(analytics::majors::Cell, AreaLine)> = district_totals(&c, year)
        .into_iter()
        .filter(|(d, cell)| {
            cell.is_present() && sees_district(&caller.principal, &ms.districts()[*d])
        })
        .map(|(d, cell)| {
            let code = ms.districts()[d].clone();
            let line = AreaLine {
                name: area_name(&code),
                code,
                offerings: cell.supply.offerings,
                graduates: cell.supply.graduates,
                employment: opt(cell.supply.employment_rate(), |r| r.percent_text(1)),
                demand: ms.posts(cell.demand.units).people(),
                ratio: opt(ms.ratio(cell.demand.units, cell.supply.graduates), |r| {
                    r.decimal(2)
                }),
            };
            (cell, line)
        })
        .collect();
    rows.sort_by(|a, b| a.1.code.cmp(&b.1.code));
    let groups: Vec<Group> = rows
        .iter()
        .map(|(cell, l)| Group {
            label: l.name.clone(),
            values: vec![
                cell.supply.graduates as f64,
                as_f64(ms.posts(cell.demand.units)),
            ],
        })
        .collect();
    render(&DistrictsPage {
        layout: Layout::new("区县专业供需", "alignment", Some(&caller)),
        year,
        year_options: year_options(&c, year),
        chart: grouped_bars(
            &format!("{year} 年各区县毕业生与岗位需求"),
            &[("毕业生（人）", "#1f5fa8"), ("岗位需求（人）", "#e08a1e")],
            &groups,
        ),
        rows: rows.into_iter().map(|(_, l)| l).collect(),
    })
}

#[derive(Template)]
#[template(path = "alignment/district.html")]
struct DistrictPage {
    layout: Layout,
    code: String,
    name: String,
    year: i32,
    year_options: Vec<SelectOption>,
    class_options: Vec<SelectOption>,
    sort_options: Vec<SelectOption>,
    query: String,
    rows: Vec<MajorRow>,
    total: usize,
    page: usize,
    pager: Pager,
    schools: Vec<(String, String)>,
}

async fn district(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(code): Path<String>,
    Query(f): Query<Filters>,
) -> PageResult {
    let area = district_in_scope(&caller.principal, &code)?;
    let (c, year) = computed_year(&state, f.year()).await?;
    let class = Filters::get(&f.class);
    let wanted = Class::parse(class);
    let rows: Vec<MajorRow> = district_rows(&c, &code, year, Filters::get(&f.sort))
        .into_iter()
        .filter(|r| wanted.is_none_or(|k| r.class_key == k.key()))
        .collect();
    let base = vec![
        ("year", year.to_string()),
        ("class", class.to_string()),
        ("sort", Filters::get(&f.sort).to_string()),
    ];
    let paged = paginate(
        rows,
        &f.page,
        &format!("/alignment/districts/{code}"),
        &base,
    );
    let mut schools: Vec<(String, String)> =
        c.ds.schools
            .iter()
            .enumerate()
            .filter(|(i, s)| s.district == code && c.school_visible(&caller.principal, *i as u32))
            .map(|(_, s)| {
                (
                    s.name.clone(),
                    format!("/alignment/schools/{}?year={year}", s.id),
                )
            })
            .collect();
    schools.sort();
    render(&DistrictPage {
        layout: Layout::new(area.name, "alignment", Some(&caller)),
        code,
        name: area.name.to_string(),
        year,
        year_options: year_options(&c, year),
        class_options: class_options(class),
        sort_options: sort_options(Filters::get(&f.sort)),
        query: encode(&base),
        rows: paged.rows,
        total: paged.total,
        page: paged.page,
        pager: paged.pager,
        schools,
    })
}

struct ClusterLine {
    code: String,
    name: String,
    tier: String,
    postings: i64,
    emerging: i64,
    unmapped: i64,
    majors: u32,
}

#[derive(Template)]
#[template(path = "alignment/clusters.html")]
struct ClustersPage {
    layout: Layout,
    year: i32,
    year_options: Vec<SelectOption>,
    rows: Vec<ClusterLine>,
    chart: String,
}

async fn clusters(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(f): Query<Filters>,
) -> PageResult {
    let (c, year) = computed_year(&state, f.year()).await?;
    let ms = &c.measures;
    let rows: Vec<ClusterLine> = ms
        .cluster_rows()
        .filter(|(_, y, _)| *y == year)
        .map(|(k, _, t)| {
            let cl = &ms.clusters()[k];
            ClusterLine {
                code: cl.code.to_string(),
                name: cl.name.to_string(),
                tier: cl.tier.to_string(),
                postings: t.postings,
                emerging: t.emerging_postings,
                unmapped: t.unmapped_postings,
                majors: t.majors,
            }
        })
        .collect();
    let groups: Vec<Group> = rows
        .iter()
        .filter(|r| r.postings > 0)
        .map(|r| Group {
            label: r.name.clone(),
            values: vec![r.postings as f64],
        })
        .collect();
    render(&ClustersPage {
        layout: Layout::new("产业集群岗位需求", "alignment", Some(&caller)),
        year,
        year_options: year_options(&c, year),
        chart: grouped_bars(
            &format!("{year} 年“33618”产业集群岗位需求"),
            &[("岗位需求（人）", "#e08a1e")],
            &groups,
        ),
        rows,
    })
}

struct ClusterMajorLine {
    row: MajorRow,
    from_cluster: String,
    /// The same in posts, for exports.
    from_cluster_posts: Ratio,
}

#[derive(Template)]
#[template(path = "alignment/cluster.html")]
struct ClusterPage {
    layout: Layout,
    code: String,
    name: String,
    tier: String,
    year: i32,
    year_options: Vec<SelectOption>,
    postings: i64,
    rows: Vec<ClusterMajorLine>,
    total: usize,
    page: usize,
    pager: Pager,
}

async fn cluster(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(code): Path<String>,
    Query(f): Query<Filters>,
) -> PageResult {
    let (c, year) = computed_year(&state, f.year()).await?;
    let ms = &c.measures;
    let k = cluster_index(&c, &code)?;
    let cl = &ms.clusters()[k];
    let base = vec![("year", year.to_string())];
    let paged = paginate(
        cluster_rows(&c, k, year),
        &f.page,
        &format!("/alignment/clusters/{}", cl.code),
        &base,
    );
    render(&ClusterPage {
        layout: Layout::new(cl.name, "alignment", Some(&caller)),
        code: cl.code.to_string(),
        name: cl.name.to_string(),
        tier: cl.tier.to_string(),
        year,
        year_options: year_options(&c, year),
        postings: ms.cluster(k, year).map_or(0, |t| t.postings),
        rows: paged.rows,
        total: paged.total,
        page: paged.page,
        pager: paged.pager,
    })
}

fn cluster_index(c: &Computed, code: &str) -> Result<usize, AppError> {
    c.measures
        .clusters()
        .iter()
        .position(|cl| cl.code == code)
        .ok_or(AppError::NotFound("产业集群"))
}

/// The majors serving cluster `k` in `year`, the most demanded from the cluster first.
fn cluster_rows(c: &Computed, k: usize, year: i32) -> Vec<ClusterMajorLine> {
    let ms = &c.measures;
    let mut rows: Vec<(i128, ClusterMajorLine)> = ms
        .cluster_major_rows()
        .filter(|(kk, _, y, d)| *kk == k && *y == year && d.units > 0)
        .filter_map(|(_, m, y, d)| {
            let cell = ms.city(m, y)?;
            Some((
                d.units,
                ClusterMajorLine {
                    row: major_row(c, m, y, cell, c.classification.major(m, y)),
                    from_cluster: ms.posts(d.units).people(),
                    from_cluster_posts: ms.posts(d.units),
                },
            ))
        })
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.row.code.cmp(&b.1.row.code)));
    rows.into_iter().map(|(_, r)| r).collect()
}

struct OfferingRow {
    code: String,
    name: String,
    level: String,
    planned: i64,
    actual: i64,
    graduates: i64,
    employment: String,
    matching: String,
    salary: String,
    city_ratio: String,
    class_label: String,
    class_key: String,
    reasons: String,
    href: String,
    trace: Vec<StepView>,
    /// The figures as exact values, for exports.
    employment_rate: Option<Ratio>,
    matching_rate: Option<Ratio>,
    salary_fen: Option<i64>,
    city_ratio_value: Option<Ratio>,
}

/// The school's offerings in `year`, with explanations when `explain`.
fn school_rows(c: &Computed, school: u32, year: i32, explain: bool) -> Vec<OfferingRow> {
    let ms = &c.measures;
    let mut rows: Vec<OfferingRow> =
        c.ds.offerings
            .iter()
            .enumerate()
            .filter(|(_, o)| o.school == school && o.year == year)
            .map(|(i, o)| {
                let info = &c.ds.majors[o.major as usize];
                let v = c.classification.offerings[i];
                let sup = analytics::majors::Supply::of(o);
                let (class_label, class_key) = class_tag(Some(v));
                let city_ratio = ms
                    .city(o.major, year)
                    .and_then(|x| ms.ratio(x.demand.units, x.supply.graduates));
                let trace = if explain {
                    analytics::majors::explain_offering(&c.ds, ms, &c.thresholds, i)
                        .map(|d| trace_view(&serde_json::to_value(&d.trace).unwrap_or_default()))
                        .unwrap_or_default()
                } else {
                    Vec::new()
                };
                OfferingRow {
                    code: info.code.clone(),
                    name: info.name.clone(),
                    level: level_label(&info.level).to_string(),
                    planned: o.planned,
                    actual: o.actual,
                    graduates: o.graduates,
                    employment: opt(sup.employment_rate(), |r| r.percent_text(1)),
                    matching: opt(sup.matching_rate(), |r| r.percent_text(1)),
                    salary: o
                        .salary_fen
                        .map(|f| numbers::count(f / 100))
                        .unwrap_or_else(|| "—".into()),
                    city_ratio: opt(city_ratio, |r| r.decimal(2)),
                    class_label,
                    class_key,
                    reasons: summarize_offering(&c.ds, ms, &c.thresholds, i)
                        .unwrap_or_else(|_| v.reasons().join("；")),
                    href: format!(
                        "/alignment/schools/{}/{}/{year}",
                        c.ds.schools[school as usize].id, info.code
                    ),
                    trace,
                    employment_rate: sup.employment_rate(),
                    matching_rate: sup.matching_rate(),
                    salary_fen: o.salary_fen,
                    city_ratio_value: city_ratio,
                }
            })
            .collect();
    rows.sort_by(|a, b| a.code.cmp(&b.code));
    rows
}

#[derive(Template)]
#[template(path = "alignment/school.html")]
struct SchoolPage {
    layout: Layout,
    id: i64,
    name: String,
    district: String,
    year: i32,
    year_options: Vec<SelectOption>,
    counts: Vec<(&'static str, &'static str, usize)>,
    rows: Vec<OfferingRow>,
}

#[derive(Template)]
#[template(path = "alignment/report.html")]
struct ReportPage {
    name: String,
    district: String,
    year: i32,
    generated: String,
    counts: Vec<(&'static str, &'static str, usize)>,
    rows: Vec<OfferingRow>,
    thresholds: Vec<(String, String, String)>,
}

fn school_of(c: &Computed, caller: &Caller, id: i64) -> Result<u32, AppError> {
    c.school_in_scope(&caller.principal, id)
}

fn counts_of(rows: &[OfferingRow]) -> Vec<(&'static str, &'static str, usize)> {
    Class::ALL
        .iter()
        .map(|k| {
            (
                k.label(),
                k.key(),
                rows.iter().filter(|r| r.class_key == k.key()).count(),
            )
        })
        .collect()
}

/// The measures, the school's index (if the caller may see it) and the year asked for.
async fn school_context(
    state: &AppState,
    caller: &Caller,
    id: i64,
    f: &Filters,
) -> Result<(Arc<Computed>, u32, i32), AppError> {
    let (c, year) = computed_year(state, f.year()).await?;
    let s = school_of(&c, caller, id)?;
    Ok((c, s, year))
}

async fn school(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<i64>,
    Query(f): Query<Filters>,
) -> PageResult {
    let (c, s, year) = school_context(&state, &caller, id, &f).await?;
    let info = &c.ds.schools[s as usize];
    let rows = school_rows(&c, s, year, false);
    render(&SchoolPage {
        layout: Layout::new(&info.name, "alignment", Some(&caller)),
        id,
        name: info.name.clone(),
        district: area_name(&info.district),
        year,
        year_options: year_options(&c, year),
        counts: counts_of(&rows),
        rows,
    })
}

async fn school_report(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<i64>,
    Query(f): Query<Filters>,
) -> PageResult {
    let (c, s, year) = school_context(&state, &caller, id, &f).await?;
    let info = &c.ds.schools[s as usize];
    let rows = school_rows(&c, s, year, true);
    render(&ReportPage {
        name: info.name.clone(),
        district: area_name(&info.district),
        year,
        generated: crate::pages::fmt_time(store::now()),
        counts: counts_of(&rows),
        rows,
        thresholds: threshold_rows(&c, year),
    })
}

#[derive(Template)]
#[template(path = "alignment/offering.html")]
struct OfferingPage {
    layout: Layout,
    school_id: i64,
    school: String,
    row: OfferingRow,
    trace: Vec<StepView>,
    year: i32,
}

async fn offering(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path((id, code, year)): Path<(i64, String, i32)>,
) -> PageResult {
    let c = computed(&state).await?;
    let s = school_of(&c, &caller, id)?;
    let m = c.major_id(&code).ok_or(AppError::NotFound("开设专业"))?;
    c.offering(s, m, year)
        .ok_or(AppError::NotFound("开设专业"))?;
    let mut row = school_rows(&c, s, year, true)
        .into_iter()
        .find(|r| r.code == code)
        .ok_or(AppError::NotFound("开设专业"))?;
    let trace = std::mem::take(&mut row.trace);
    let school = c.ds.schools[s as usize].name.clone();
    render(&OfferingPage {
        layout: Layout::new(&row.name, "alignment", Some(&caller)),
        school_id: id,
        school,
        row,
        trace,
        year,
    })
}

/// A parameter's value as text (a string as it is, anything else as JSON).
fn value_text(v: &policy::params::Value) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}
