//! The scenario mode: thresholds changed for one request, and the majors and offerings whose
//! class would change (nothing saved). Offerings are listed only for schools the caller sees.

use analytics::majors::{ThresholdKey, Verdict};
use askama::Template;
use axum::extract::{Query, State};

use super::{computed_year, value_text, year_options};
use crate::AppState;
use crate::auth::PageCaller;
use crate::error::{AppError, PageResult};
use crate::numbers::filters;
use crate::pages::{Layout, SelectOption, render};

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
        }
    }
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
    offerings: Vec<ChangeLine>,
    offerings_total: usize,
}

const SHOWN_CHANGES: usize = 200;

/// The thresholds a scenario may change: those of the classification (the title matcher's
/// confidence threshold classifies nothing).
fn scenario_keys() -> impl Iterator<Item = ThresholdKey> {
    ThresholdKey::ALL
        .into_iter()
        .filter(|k| *k != ThresholdKey::MatchConfidenceMin)
}

pub(super) async fn scenario(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> PageResult {
    let (c, year) =
        computed_year(&state, q.get("year").and_then(|y| y.trim().parse().ok())).await?;
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
    let overrides: Vec<(&str, &str)> = scenario_keys()
        .filter_map(|k| {
            let v = q.get(k.name())?.trim();
            (!v.is_empty() && v != shown(k)).then_some((k.name(), v))
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
    let mut page = ScenarioPage {
        layout: Layout::new("情景分析", "alignment", Some(&caller)),
        year,
        year_options: year_options(&c, year),
        fields,
        error: None,
        ran: false,
        majors: Vec::new(),
        offerings: Vec::new(),
        offerings_total: 0,
    };
    if !overrides.is_empty() {
        match c.thresholds.with_overrides(overrides.iter().copied()) {
            Err(e) => page.error = Some(e.to_string()),
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
                page.ran = true;
                page.majors = diff
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
                let changes: Vec<_> = diff
                    .offerings
                    .iter()
                    .filter(|d| c.ds.offerings[d.offering].year == year)
                    .filter(|d| {
                        let o = &c.ds.offerings[d.offering];
                        c.school_visible(&caller.principal, o.school)
                    })
                    .collect();
                page.offerings_total = changes.len();
                page.offerings = changes
                    .into_iter()
                    .take(SHOWN_CHANGES)
                    .map(|d| {
                        let o = &c.ds.offerings[d.offering];
                        let s = &c.ds.schools[o.school as usize];
                        let info = &c.ds.majors[o.major as usize];
                        ChangeLine::new(
                            format!("{} · {}（{}）", s.name, info.name, info.code),
                            format!("/alignment/schools/{}/{}/{year}", s.id, info.code),
                            d.from,
                            d.to,
                        )
                    })
                    .collect();
            }
        }
    }
    let mut resp = render(&page)?;
    if page.error.is_some() {
        *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}
