//! `GET /api/v1/occupations` (public) and a major's occupations (职业面向): read publicly,
//! replaced by measure 5's lead unit.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use store::Page;
use store::occupations::{self as occ, MajorOccupation, Occupation};
use utoipa::{IntoParams, ToSchema};

use super::{find_major, set_major_occupations};
use crate::AppState;
use crate::auth::ApiCaller;
use crate::auth::access::Permission;
use crate::error::{AppResult, ErrorBody, json_body};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OccupationParams {
    /// Part of the name, or the start of the code (e.g. `4-04`)
    pub q: Option<String>,
    /// Page number, from 1.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub page: Option<String>,
    /// Items per page (at most 200; more is read as 200).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub per_page: Option<String>,
}

/// Occupations and their groups, in code order, filtered and paged.
#[utoipa::path(get, path = "/occupations", tag = "occupations", params(OccupationParams),
    responses((status = 200, body = Page<Occupation>), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Query(p): Query<OccupationParams>,
) -> AppResult<Json<Page<Occupation>>> {
    let paging = crate::api::query_paging(&p.page, &p.per_page)?;
    let q: Option<String> = p.q.map(|s| s.trim().chars().take(30).collect());
    let page = occ::list(&state.db, q.as_deref(), paging).await?;
    Ok(Json(page))
}

/// A major of the current catalog with its occupations.
#[derive(Serialize, ToSchema)]
pub struct MajorOccupations {
    /// VOCATIONAL_SECONDARY, VOCATIONAL_ASSOCIATE or VOCATIONAL_BACHELOR
    pub level: String,
    pub code: String,
    pub name: String,
    pub occupations: Vec<MajorOccupation>,
}

/// The occupations (职业面向) of a major of the current catalog.
#[utoipa::path(get, path = "/majors/{level}/{code}/occupations", tag = "occupations",
    params(("level" = String, Path, description = "VOCATIONAL_SECONDARY, VOCATIONAL_ASSOCIATE or VOCATIONAL_BACHELOR"),
           ("code" = String, Path, description = "专业代码, e.g. 510201")),
    responses((status = 200, body = MajorOccupations), (status = 404, body = ErrorBody)))]
pub async fn for_major(
    State(state): State<AppState>,
    Path((level, code)): Path<(String, String)>,
) -> AppResult<Json<MajorOccupations>> {
    let major = find_major(&state.db, &level, &code).await?;
    let occupations = occ::for_major(&state.db, &major.level, &major.code).await?;
    Ok(Json(MajorOccupations {
        level: major.level,
        code: major.code,
        name: major.name,
        occupations,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OccupationsInput {
    /// The major's complete list of occupation codes, e.g. `["4-04-05-01"]`; replaces the old
    /// list (notes of codes kept are kept).
    pub occupations: Vec<String>,
}

/// Replaces a major's occupations (measure 5's lead unit or operators).
#[utoipa::path(put, path = "/majors/{level}/{code}/occupations", tag = "occupations",
    request_body = OccupationsInput, security(("bearer" = [])),
    params(("level" = String, Path, description = "VOCATIONAL_SECONDARY, VOCATIONAL_ASSOCIATE or VOCATIONAL_BACHELOR"),
           ("code" = String, Path, description = "专业代码")),
    responses(
        (status = 200, body = MajorOccupations),
        (status = 401, description = "未登录", body = ErrorBody),
        (status = 403, description = "无权操作", body = ErrorBody),
        (status = 404, description = "专业不在当前目录中", body = ErrorBody),
        (status = 422, description = "职业代码无效或不存在", body = ErrorBody)))]
pub async fn replace(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((level, code)): Path<(String, String)>,
    body: Result<Json<OccupationsInput>, axum::extract::rejection::JsonRejection>,
) -> AppResult<Json<MajorOccupations>> {
    caller.require(Permission::ManageMajors)?;
    let major = find_major(&state.db, &level, &code).await?;
    let input = json_body(body, "请求体应为 {\"occupations\": [\"4-04-05-01\", …]}")?;
    let occupations =
        set_major_occupations(&state.db, &caller.actor(), &major, &input.occupations).await?;
    Ok(Json(MajorOccupations {
        level: major.level,
        code: major.code,
        name: major.name,
        occupations,
    }))
}
