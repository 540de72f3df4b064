//! `GET /api/v1/majors` — the major catalog (public).

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use store::Page;
use store::majors::{self, Major};
use utoipa::IntoParams;

use super::{MajorQuery, filter, pick_catalog};
use crate::AppState;
use crate::error::{AppError, AppResult, ErrorBody};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MajorParams {
    /// Education level
    #[param(schema_with = crate::api::vocab::major_level)]
    pub level: Option<String>,
    /// 专业大类代码, e.g. 61
    pub category: Option<String>,
    /// Part of the name, or the start of the code
    pub q: Option<String>,
    /// Catalog code; the current catalog when absent
    pub catalog: Option<String>,
    /// Page number, from 1.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub page: Option<String>,
    /// Items per page (at most 200; more is read as 200).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub per_page: Option<String>,
}

/// Majors of the catalog, filtered and paged.
#[utoipa::path(get, path = "/majors", tag = "majors", params(MajorParams),
    responses((status = 200, body = Page<Major>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Query(p): Query<MajorParams>,
) -> AppResult<Json<Page<Major>>> {
    let q = MajorQuery {
        catalog: p.catalog,
        level: p.level,
        category: p.category,
        q: p.q,
        page: p.page.clone(),
        per_page: p.per_page.clone(),
    };
    let cat = pick_catalog(&state, &q.catalog)
        .await?
        .ok_or(AppError::NotFound("专业目录"))?;
    let f = filter(&cat, &q)?;
    let paging = crate::api::query_paging(&p.page, &p.per_page)?;
    let page = majors::list(&state.db, &f, paging).await?;
    Ok(Json(page))
}
