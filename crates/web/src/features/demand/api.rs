//! Measure 5 demand over the API: postings (`GET /demand`) and the confirmation queue
//! (`GET /demand/pending`, `POST /demand/confirm`) — measure 5's units.

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use store::Page;
use store::demand::{self, PendingTitle, Posting, status};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::ApiCaller;
use crate::auth::access::Permission;
use crate::error::{AppError, AppResult, ErrorBody};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DemandParams {
    #[param(schema_with = crate::api::vocab::year)]
    pub year: Option<String>,
    /// District code, e.g. 500112
    pub district: Option<String>,
    /// How the posting's occupation was found
    #[param(schema_with = crate::api::vocab::demand_status)]
    pub status: Option<String>,
    /// Occupation code, e.g. 6-22-01-01
    pub occupation: Option<String>,
    /// Page number, from 1.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub page: Option<String>,
    /// Items per page (at most 200; more is read as 200).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub per_page: Option<String>,
}

/// Job postings and enterprise demand records, newest first, filtered and paged.
#[utoipa::path(get, path = "/demand", tag = "majors", params(DemandParams),
    security(("bearer" = [])),
    responses((status = 200, body = Page<Posting>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(p): Query<DemandParams>,
) -> AppResult<Json<Page<Posting>>> {
    c.require(Permission::ManageDemand)?;
    let clean = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let st = clean(&p.status);
    if let Some(s) = &st
        && !status::ALL.contains(&s.as_str())
    {
        return Err(AppError::invalid(
            "status",
            format!("status 应为 {} 之一", status::ALL.join("、")),
        ));
    }
    let f = demand::Filter {
        year: crate::api::query_year(&p.year)?,
        district: clean(&p.district),
        status: st,
        occupation_code: clean(&p.occupation),
    };
    let page = demand::list(
        &state.db,
        &crate::auth::access::org_scope(&c.principal),
        &f,
        crate::api::query_paging(&p.page, &p.per_page)?,
    )
    .await?;
    Ok(Json(page))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page number, from 1.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub page: Option<String>,
    /// Items per page (at most 200; more is read as 200).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub per_page: Option<String>,
}

/// Titles waiting for a person to confirm their occupation, the most demanded first.
#[utoipa::path(get, path = "/demand/pending", tag = "majors", params(PageParams),
    security(("bearer" = [])),
    responses((status = 200, body = Page<PendingTitle>), (status = 403, body = ErrorBody)))]
pub async fn pending(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(p): Query<PageParams>,
) -> AppResult<Json<Page<PendingTitle>>> {
    c.require(Permission::ManageDemand)?;
    let page = demand::pending(&state.db, crate::api::query_paging(&p.page, &p.per_page)?).await?;
    Ok(Json(page))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmBody {
    /// The posting title as the files wrote it.
    #[schema(schema_with = crate::api::vocab::posting_title)]
    pub title: String,
    /// The occupation the title stands for (404 when the platform does not have it); null
    /// or blank when no occupation fits.
    #[schema(schema_with = crate::api::vocab::occupation_code)]
    pub occupation_code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ConfirmResult {
    /// Waiting rows now counted under the answer.
    pub rows: u64,
}

/// Confirms a waiting title's occupation (or that none fits); later files with the same title
/// take the same answer.
#[utoipa::path(post, path = "/demand/confirm", tag = "majors", request_body = ConfirmBody,
    security(("bearer" = [])),
    responses((status = 200, body = ConfirmResult), (status = 403, body = ErrorBody), (status = 404, description = "没有这个职业", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn confirm(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    Json(b): Json<ConfirmBody>,
) -> AppResult<Json<ConfirmResult>> {
    c.require(Permission::ManageDemand)?;
    // The API names the occupation as an object: one the platform does not have is 404 (the
    // page re-shows its form with the message instead).
    if let Some(code) = b
        .occupation_code
        .as_deref()
        .map(domain::text::trim)
        .filter(|s| !s.is_empty())
        .and_then(|s| crate::features::occupations::OccupationCode::parse(s).ok())
        && store::occupations::get(&state.db, code.as_str())
            .await?
            .is_none()
    {
        return Err(AppError::NotFound("职业"));
    }
    let rows = super::confirm(
        &state.db,
        &c.actor(),
        &b.title,
        b.occupation_code.as_deref(),
    )
    .await?;
    Ok(Json(ConfirmResult { rows }))
}
