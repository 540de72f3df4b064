//! Supply rows over the API (`GET /supply`): a school its own, measure 5's lead every
//! school's.

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use store::Page;
use store::supply::{self, Supply};
use utoipa::IntoParams;

use crate::AppState;
use crate::auth::ApiCaller;
use crate::error::{AppError, AppResult, ErrorBody};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SupplyParams {
    /// A school's org id (ignored for a school's own account)
    #[param(value_type = Option<i64>)]
    pub school: Option<String>,
    #[param(schema_with = crate::api::vocab::year)]
    pub year: Option<String>,
    /// Page number, from 1.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub page: Option<String>,
    /// Items per page (at most 200; more is read as 200).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub per_page: Option<String>,
}

/// Supply rows (per school, major and year): a school sees its own, measure 5's lead all.
#[utoipa::path(get, path = "/supply", tag = "majors", params(SupplyParams),
    security(("bearer" = [])),
    responses((status = 200, body = Page<Supply>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn supply_list(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(p): Query<SupplyParams>,
) -> AppResult<Json<Page<Supply>>> {
    let own = super::scope(&c.principal).ok_or(AppError::Forbidden)?;
    let requested = crate::api::query_int(&p.school, "school")?;
    let f = supply::Filter {
        school_org_id: own.or(requested),
        year: crate::api::query_year(&p.year)?,
    };
    let page = supply::list(
        &state.db,
        &crate::auth::access::org_scope(&c.principal),
        &f,
        crate::api::query_paging(&p.page, &p.per_page)?,
    )
    .await?;
    Ok(Json(page))
}
