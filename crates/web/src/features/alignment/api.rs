//! `GET /api/v1/alignment/majors`: every major offered in a year, city-wide, with its supply,
//! demand, rates and class (measure 5) — the same figures as the 专业与需求 page.

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use analytics::majors::Class;

use crate::AppState;
use crate::auth::ApiCaller;
use crate::error::{AppError, AppResult, ErrorBody};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlignmentParams {
    /// Year (default: the latest with data)
    #[param(schema_with = crate::api::vocab::year)]
    pub year: Option<String>,
    /// The major's class
    #[param(schema_with = crate::api::vocab::major_class)]
    pub class: Option<String>,
    /// Education level
    #[param(schema_with = crate::api::vocab::major_level)]
    pub level: Option<String>,
    /// Page number, from 1.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub page: Option<String>,
    /// Items per page (at most 200; more is read as 200).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub per_page: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MajorAlignment {
    pub code: String,
    pub name: String,
    pub level: String,
    pub category_code: String,
    pub year: i32,
    pub offerings: i64,
    pub graduates: i64,
    pub employed: i64,
    pub employed_matching: i64,
    /// Demand in posts, exact decimal to 4 places (postings shared equally among the majors
    /// their occupation maps to).
    pub demand: String,
    /// demand / graduates to 4 places; null without graduates.
    pub ratio: Option<String>,
    pub employment_rate: Option<String>,
    pub matching_rate: Option<String>,
    /// develop, accelerate, merge_eliminate, upgrade or keep
    pub class: String,
    pub class_label: String,
    pub reasons: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AlignmentPage {
    /// When these figures were computed (Unix seconds): after an import they are recomputed in
    /// the background, and until then the previous ones are served.
    pub computed_at: i64,
    /// Whether newer data are being computed now (these figures are the previous ones).
    pub recomputing: bool,
    pub year: Option<i32>,
    pub items: Vec<MajorAlignment>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Majors offered in a year with their measures and class, in code order, paged.
#[utoipa::path(get, path = "/alignment/majors", tag = "majors", params(AlignmentParams),
    security(("bearer" = [])),
    responses((status = 200, body = AlignmentPage), (status = 422, body = ErrorBody)))]
pub async fn majors(
    State(state): State<AppState>,
    ApiCaller(_c): ApiCaller,
    Query(p): Query<AlignmentParams>,
) -> AppResult<Json<AlignmentPage>> {
    let class = match p.class.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(Class::parse(s).ok_or_else(|| {
            AppError::invalid(
                "class",
                format!("class 应为 {} 之一", Class::ALL.map(|c| c.key()).join("、")),
            )
        })?),
    };
    let paging = crate::api::query_paging(&p.page, &p.per_page)?;
    let c = state.alignment.get(&state).await?;
    let year = c.year_or_latest(crate::api::query_year(&p.year)?.map(|y| y as i32));
    let level = p.level.as_deref().map(str::trim).unwrap_or("");
    if !level.is_empty()
        && !crate::features::majors::LEVELS
            .iter()
            .any(|(l, _)| *l == level)
    {
        return Err(AppError::invalid(
            "level",
            format!(
                "level 应为 {} 之一",
                crate::features::majors::LEVELS.map(|(l, _)| l).join("、")
            ),
        ));
    }
    let ms = &c.measures;
    let mut items: Vec<MajorAlignment> = match year {
        None => Vec::new(),
        Some(year) => ms
            .city_rows()
            .filter(|(_, y, cell)| *y == year && cell.supply.offerings > 0)
            .filter_map(|(m, y, cell)| {
                let info = &c.ds.majors[m as usize];
                if !level.is_empty() && info.level != level {
                    return None;
                }
                let v = c.classification.major(m, y)?;
                if class.is_some_and(|k| k != v.class) {
                    return None;
                }
                Some(MajorAlignment {
                    code: info.code.clone(),
                    name: info.name.clone(),
                    level: info.level.clone(),
                    category_code: info.category_code.clone(),
                    year: y,
                    offerings: cell.supply.offerings,
                    graduates: cell.supply.graduates,
                    employed: cell.supply.employed,
                    employed_matching: cell.supply.employed_matching,
                    demand: ms.posts(cell.demand.units).fixed(4),
                    ratio: ms
                        .ratio(cell.demand.units, cell.supply.graduates)
                        .map(|r| r.fixed(4)),
                    employment_rate: cell.supply.employment_rate().map(|r| r.fixed(4)),
                    matching_rate: cell.supply.matching_rate().map(|r| r.fixed(4)),
                    class: v.class.key().into(),
                    class_label: v.class.label().into(),
                    reasons: v.reasons().into_iter().map(str::to_string).collect(),
                })
            })
            .collect(),
    };
    items.sort_by(|a, b| a.code.cmp(&b.code));
    let total = items.len() as i64;
    let items = items
        .into_iter()
        .skip(paging.offset() as usize)
        .take(paging.per_page as usize)
        .collect();
    Ok(Json(AlignmentPage {
        computed_at: c.computed_at,
        recomputing: state.alignment.recomputing(),
        year,
        items,
        total,
        page: paging.page,
        per_page: paging.per_page,
    }))
}
