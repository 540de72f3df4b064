//! `GET /api/v1/measures` — the 13 measures and their responsible units (public).

use axum::Json;
use domain::reference::{MEASURES, unit};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ResponsibleUnit {
    /// The unit's name as the policy document writes it, e.g. 市发展改革委.
    pub name: &'static str,
    pub full_name: &'static str,
    pub code: &'static str,
    /// Whether the unit leads the measure.
    pub lead: bool,
}

#[derive(Serialize, ToSchema)]
pub struct MeasureItem {
    pub number: u8,
    pub slug: &'static str,
    pub title: &'static str,
    pub summary: &'static str,
    /// Lead units first, in the policy document's order.
    pub responsible_units: Vec<ResponsibleUnit>,
}

#[derive(Serialize, ToSchema)]
pub struct MeasureList {
    pub items: Vec<MeasureItem>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// The 13 measures of 渝发改社会〔2023〕1271号.
#[utoipa::path(get, path = "/measures", tag = "measures",
    responses((status = 200, description = "十三项措施", body = MeasureList)))]
pub async fn list() -> Json<MeasureList> {
    let items: Vec<MeasureItem> = MEASURES
        .iter()
        .map(|m| MeasureItem {
            number: m.number,
            slug: m.slug,
            title: m.title,
            summary: m.summary,
            responsible_units: m
                .units
                .iter()
                .filter_map(|(code, lead)| {
                    unit(code).map(|u| ResponsibleUnit {
                        name: u.name,
                        full_name: u.full_name,
                        code: u.code,
                        lead: *lead,
                    })
                })
                .collect(),
        })
        .collect();
    let n = items.len() as i64;
    Json(MeasureList {
        items,
        total: n,
        page: 1,
        per_page: n,
    })
}
