//! Applications over the API: the same service and access rules as the pages.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use store::applications::{self as apps, Application, Event, Summary};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::applications as svc;
use crate::auth::ApiCaller;
use crate::error::{AppError, AppResult, ErrorBody, json_body};

#[derive(Serialize, ToSchema)]
pub struct SummaryPage {
    pub items: Vec<Summary>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl From<store::Page<Summary>> for SummaryPage {
    fn from(p: store::Page<Summary>) -> Self {
        SummaryPage {
            items: p.items,
            total: p.total,
            page: p.page,
            per_page: p.per_page,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub kind: Option<String>,
    pub status: Option<String>,
    /// Page number, from 1.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    /// Items per page (at most 200; more is read as 200).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub per_page: Option<i64>,
}

/// The caller's organisation's applications, newest first.
#[utoipa::path(get, path = "/applications", tag = "applications", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = SummaryPage), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<SummaryPage>> {
    let f = apps::Filter {
        applicant_org_id: Some(c.principal.org_id),
        kind: q.kind,
        status: q.status,
        ..Default::default()
    };
    Ok(Json(
        apps::list(
            &state.db,
            &crate::auth::access::viewer(&c.principal),
            &f,
            super::paging(q.page, q.per_page)?,
        )
        .await?
        .into(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApplicationInput {
    /// enterprise_cultivation, enterprise_certification, national_recommendation, tax_credit_claim
    pub kind: String,
    /// The form's fields; money in fen.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub data: Map<String, Value>,
}

/// Creates a draft for the caller's organisation.
#[utoipa::path(post, path = "/applications", tag = "applications", request_body = NewApplicationInput, security(("bearer" = [])),
    responses((status = 201, body = Application), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    body: Result<Json<NewApplicationInput>, axum::extract::rejection::JsonRejection>,
) -> AppResult<(StatusCode, Json<Application>)> {
    let input = json_body(body, "请求体无效")?;
    let kind = svc::kind_of(&input.kind)
        .map_err(|_| AppError::invalid("kind", format!("未知的申报类型“{}”", input.kind)))?;
    let data = svc::parse_json_data(&kind.code, &input.data)?;
    Ok((
        StatusCode::CREATED,
        Json(svc::create_draft(&state, &c, &kind.code, data).await?),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct Detail {
    pub application: Application,
    pub events: Vec<Event>,
    /// The latest rule decision with its trace; null before the kind's rule has run.
    #[schema(value_type = Option<Object>, nullable = true)]
    pub decision: Option<Value>,
    /// Reviewer keys awaited now.
    pub pending: Vec<String>,
}

fn parse_id(id: &str) -> AppResult<i64> {
    id.parse().map_err(|_| AppError::NotFound("申报"))
}

/// One application with its history; 404 when the caller may not see it.
#[utoipa::path(get, path = "/applications/{id}", tag = "applications", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = Detail), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<Detail>> {
    let (app, kind) = svc::load(&state, &c, parse_id(&id)?).await?;
    let events = apps::events(&state.db, app.id).await?;
    let wf: domain::workflow::State =
        serde_json::from_str(&app.state_json).map_err(|e| AppError::Internal(e.to_string()))?;
    let pending = svc::pending_keys(kind, &wf, app.district.as_deref());
    let decision = app
        .decision_json
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok());
    Ok(Json(Detail {
        application: app,
        events,
        decision,
        pending,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    /// submit, withdraw, resubmit, approve, reject, return, score, object, resolve_objection,
    /// conclude_publicity, revoke
    pub action: String,
    /// The version the caller read; a stale version gets 409.
    pub version: i64,
    /// Comment, reason or objection text (required for reject, return, revoke, object,
    /// resolve_objection).
    pub text: Option<String>,
    pub score: Option<u32>,
    pub objection: Option<u32>,
    pub upheld: Option<bool>,
    /// New data with a resubmission (money in fen).
    #[schema(value_type = Object)]
    pub data: Option<Map<String, Value>>,
}

/// Acts on an application. 409 when the version is stale or the workflow refuses.
#[utoipa::path(post, path = "/applications/{id}/actions", tag = "applications", params(("id" = i64, Path)), request_body = ActionInput,
    security(("bearer" = [])),
    responses((status = 200, body = Application), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn act(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    body: Result<Json<ActionInput>, axum::extract::rejection::JsonRejection>,
) -> AppResult<Json<Application>> {
    let a = json_body(body, "请求体无效")?;
    let id = parse_id(&id)?;
    // The application is loaded (and its visibility checked) once, in `act`; new data needs
    // its kind first.
    let data = match &a.data {
        Some(d) => {
            let (_, kind) = svc::load(&state, &c, id).await?;
            Some(svc::parse_json_data(&kind.code, d)?)
        }
        None => None,
    };
    let score = a.score.map(|s| s.to_string());
    let obj = a.objection.map(|s| s.to_string());
    let upheld = a.upheld.map(|u| if u { "1" } else { "0" });
    let action = crate::pages::parse_action(
        &a.action,
        a.text.as_deref(),
        score.as_deref(),
        obj.as_deref(),
        upheld,
    )?;
    Ok(Json(
        svc::act(&state, &c, id, a.version, action, data).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page number, from 1.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    /// Items per page (at most 200; more is read as 200).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub per_page: Option<i64>,
    /// Part of an enterprise's name (certified list).
    pub q: Option<String>,
}

/// What awaits the caller's unit or district, earliest deadline first.
#[utoipa::path(get, path = "/queue", tag = "applications", params(PageParams), security(("bearer" = [])),
    responses((status = 200, body = SummaryPage), (status = 401, body = ErrorBody)))]
pub async fn queue(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<PageParams>,
) -> AppResult<Json<SummaryPage>> {
    Ok(Json(
        apps::queue(
            &state.db,
            &svc::reviewer_keys(&c),
            super::paging(q.page, q.per_page)?,
        )
        .await?
        .into(),
    ))
}

/// Certified 产教融合型企业 (public).
#[utoipa::path(get, path = "/certified", tag = "applications", params(PageParams),
    responses((status = 200, body = SummaryPage)))]
pub async fn certified(
    State(state): State<AppState>,
    Query(q): Query<PageParams>,
) -> AppResult<Json<SummaryPage>> {
    Ok(Json(
        apps::approved(
            &state.db,
            "enterprise_certification",
            q.q.as_deref(),
            super::paging(q.page, q.per_page)?,
        )
        .await?
        .into(),
    ))
}
