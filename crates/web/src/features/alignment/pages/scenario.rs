//! The scenario mode: thresholds changed for one request, and the majors and offerings whose
//! class would change (nothing saved). The result is summarised first — how many offerings
//! change from which class to which, by district and by category — then the changed majors, and
//! the changed offerings paged and exportable. Offerings are counted and listed only for schools
//! the caller sees.

use analytics::majors::{ThresholdKey, Verdict};
use askama::Template;
use axum::extract::{Query, State};

use super::{
    Paged, category_label, category_levels, computed_year, paginate, value_text, year_options,
};
use crate::AppState;
use crate::auth::PageCaller;
use crate::error::{AppError, PageResult};
use crate::numbers::filters;
use crate::pages::{Layout, Pager, SelectOption, render};
use crate::xlsx::{self, Cell};

struct ThresholdField {
    key: &'static str,
    label: &'static str,
    base: String,
    value: String,
    changed: bool,
}

struct ChangeLine {
    subject: String,
    href: Option<String>,
    from: String,
    from_key: String,
    to: String,
    to_key: String,
    /// For an offering: its school's district and its major's category (for the summaries
    /// and the export).
    district: String,
    category: String,
}

impl ChangeLine {
    fn new(subject: String, href: String, from: Verdict, to: Verdict) -> ChangeLine {
        ChangeLine {
            subject,
            href: Some(href),
            from: from.class.label().into(),
            from_key: from.class.key().into(),
            to: to.class.label().into(),
            to_key: to.class.key().into(),
            district: String::new(),
            category: String::new(),
        }
    }
}

/// A line of a summary: what (a change of class, a district, a category) and how many.
struct CountLine {
    /// The district, the category, or the class changed from.
    label: String,
    /// For a change of class: the class changed to, and the classes' keys (for their colour).
    to_label: String,
    from_key: String,
    to_key: String,
    count: usize,
}

/// Counts of `lines` by `key` (label, to label, from key, to key), the largest first.
fn count_by(lines: &[ChangeLine], key: impl Fn(&ChangeLine) -> [String; 4]) -> Vec<CountLine> {
    let mut counts: std::collections::BTreeMap<[String; 4], usize> = Default::default();
    for l in lines {
        *counts.entry(key(l)).or_default() += 1;
    }
    let mut out: Vec<CountLine> = counts
        .into_iter()
        .map(|([label, to_label, from_key, to_key], count)| CountLine {
            label,
            to_label,
            from_key,
            to_key,
            count,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
    out
}

#[derive(Template)]
#[template(path = "alignment/scenario.html")]
struct ScenarioPage {
    layout: Layout,
    year: i32,
    year_options: Vec<SelectOption>,
    fields: Vec<ThresholdField>,
    error: Option<String>,
    ran: bool,
    majors: Vec<ChangeLine>,
    /// Offerings: changes of class, by district, by category; then one page of the list.
    transitions: Vec<CountLine>,
    by_district: Vec<CountLine>,
    by_category: Vec<CountLine>,
    offerings: Vec<ChangeLine>,
    offerings_total: usize,
    page: usize,
    pager: Pager,
    /// The scenario's query (year and the thresholds changed), for the export link.
    query: String,
}

/// The scenario asked for: its year, the thresholds shown, and the result when some changed.
struct Scenario {
    year: i32,
    year_options: Vec<SelectOption>,
    fields: Vec<ThresholdField>,
    /// `(threshold, value)` changed, as typed.
    overrides: Vec<(&'static str, String)>,
    outcome: Result<Option<Outcome>, String>,
}

/// What a scenario changes in its year: majors city-wide, and the offerings of the schools the
/// caller sees.
struct Outcome {
    majors: Vec<ChangeLine>,
    offerings: Vec<ChangeLine>,
}

/// The thresholds a scenario may change: those of the classification (the title matcher's
/// confidence threshold classifies nothing).
fn scenario_keys() -> impl Iterator<Item = ThresholdKey> {
    ThresholdKey::ALL
        .into_iter()
        .filter(|k| *k != ThresholdKey::MatchConfidenceMin)
}

/// Reads the scenario of the query `q` and computes what it changes.
async fn run(
    state: &AppState,
    caller: &crate::auth::Caller,
    q: &std::collections::HashMap<String, String>,
) -> Result<Scenario, AppError> {
    let (c, year) = computed_year(state, q.get("year").and_then(|y| y.trim().parse().ok())).await?;
    let base = c
        .thresholds
        .get(year)
        .ok_or(AppError::NotFound("分析数据"))?;
    // Thresholds as people write them: proportions as percentages (`85%`), which the
    // scenario reads back as well as decimals.
    let shown = |k: ThresholdKey| {
        let v = value_text(&base.values.value(k));
        match base.used(k).unit.as_str() {
            "比例" => crate::pages::trace::plain_value(&v, "比例").0,
            _ => v,
        }
    };
    let overrides: Vec<(&'static str, String)> = scenario_keys()
        .filter_map(|k| {
            let v = q.get(k.name())?.trim();
            (!v.is_empty() && v != shown(k)).then(|| (k.name(), v.to_string()))
        })
        .collect();
    let fields: Vec<ThresholdField> = scenario_keys()
        .map(|k| {
            let b = shown(k);
            let v = q
                .get(k.name())
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| b.clone());
            ThresholdField {
                key: k.name(),
                label: k.label(),
                changed: v != b,
                base: b,
                value: v,
            }
        })
        .collect();
    let outcome = if overrides.is_empty() {
        Ok(None)
    } else {
        match c
            .thresholds
            .with_overrides(overrides.iter().map(|(k, v)| (*k, v.as_str())))
        {
            Err(e) => Err(e.to_string()),
            Ok(alt) => {
                // Reclassifying every major and offering is heavy: off the async workers.
                let shared = c.clone();
                let diff = crate::heavy::run(move || {
                    analytics::majors::compare(
                        &shared.ds,
                        &shared.measures,
                        &shared.thresholds,
                        &alt,
                    )
                })
                .await?
                .map_err(|e| AppError::Internal(e.to_string()))?;
                let majors = diff
                    .majors
                    .iter()
                    .filter(|d| d.year == year)
                    .map(|d| {
                        let info = &c.ds.majors[d.major as usize];
                        ChangeLine::new(
                            format!("{}（{}）", info.name, info.code),
                            format!("/alignment/majors/{}?year={year}", info.code),
                            d.from,
                            d.to,
                        )
                    })
                    .collect();
                let levels = category_levels(&c);
                let offerings = diff
                    .offerings
                    .iter()
                    .filter(|d| c.ds.offerings[d.offering].year == year)
                    .filter(|d| {
                        let o = &c.ds.offerings[d.offering];
                        c.school_visible(&caller.principal, o.school)
                    })
                    .map(|d| {
                        let o = &c.ds.offerings[d.offering];
                        let s = &c.ds.schools[o.school as usize];
                        let info = &c.ds.majors[o.major as usize];
                        let mut line = ChangeLine::new(
                            format!("{} · {}（{}）", s.name, info.name, info.code),
                            format!("/alignment/schools/{}/{}/{year}", s.id, info.code),
                            d.from,
                            d.to,
                        );
                        line.district = domain::reference::area(&s.district)
                            .map_or_else(|| "（未填区县）".to_string(), |a| a.name.to_string());
                        line.category =
                            category_label(&levels, &info.category_code, &info.category_name);
                        line
                    })
                    .collect();
                Ok(Some(Outcome { majors, offerings }))
            }
        }
    };
    Ok(Scenario {
        year,
        year_options: year_options(&c, year),
        fields,
        overrides,
        outcome,
    })
}

/// The year and the thresholds changed, as query pairs (paging and the export keep them).
fn base_query(s: &Scenario) -> Vec<(&'static str, String)> {
    std::iter::once(("year", s.year.to_string()))
        .chain(s.overrides.iter().cloned())
        .collect()
}

pub(super) async fn scenario(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> PageResult {
    let s = run(&state, &caller, &q).await?;
    let base = base_query(&s);
    let query = serde_urlencoded::to_string(&base).unwrap_or_default();
    let mut page = ScenarioPage {
        layout: Layout::new("情景分析", "alignment", Some(&caller)),
        year: s.year,
        year_options: s.year_options,
        fields: s.fields,
        error: None,
        ran: false,
        majors: Vec::new(),
        transitions: Vec::new(),
        by_district: Vec::new(),
        by_category: Vec::new(),
        offerings: Vec::new(),
        offerings_total: 0,
        page: 1,
        pager: Pager::new("/alignment/scenario", &base, 1, 1),
        query,
    };
    match s.outcome {
        Err(e) => page.error = Some(e),
        Ok(None) => {}
        Ok(Some(o)) => {
            page.ran = true;
            page.majors = o.majors;
            page.transitions = count_by(&o.offerings, |l| {
                [
                    l.from.clone(),
                    l.to.clone(),
                    l.from_key.clone(),
                    l.to_key.clone(),
                ]
            });
            let by = |f: fn(&ChangeLine) -> &String| {
                count_by(&o.offerings, move |l| {
                    [f(l).clone(), String::new(), String::new(), String::new()]
                })
            };
            page.by_district = by(|l| &l.district);
            page.by_category = by(|l| &l.category);
            let Paged {
                rows,
                total,
                page: n,
                pager,
            } = paginate(
                o.offerings,
                &q.get("page").cloned(),
                "/alignment/scenario",
                &base,
            );
            page.offerings = rows;
            page.offerings_total = total;
            page.page = n;
            page.pager = pager;
        }
    }
    let mut resp = render(&page)?;
    if page.error.is_some() {
        *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

/// Every changed offering of the scenario (of the schools the caller sees) as a spreadsheet.
pub(super) async fn export(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> PageResult {
    let s = run(&state, &caller, &q).await?;
    let o = match s.outcome {
        Err(e) => return Err(AppError::invalid("threshold", e).into()),
        Ok(o) => o,
    };
    let header = ["学校 · 专业", "区县", "专业大类", "现行分类", "情景分类"];
    let rows: Vec<Vec<Cell>> = o
        .map(|o| o.offerings)
        .unwrap_or_default()
        .into_iter()
        .map(|l| {
            vec![
                l.subject.into(),
                l.district.into(),
                l.category.into(),
                l.from.into(),
                l.to.into(),
            ]
        })
        .collect();
    let year = s.year;
    let bytes = xlsx::table(&format!("{year}年情景分析"), &header, &rows)?;
    Ok(xlsx::download(&format!("情景分析{year}.xlsx"), bytes))
}
