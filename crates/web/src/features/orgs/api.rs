//! Organisations over the API: the list, one organisation, registration.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use domain::orgs::OrgKind;
use store::Page;
use store::orgs::{self, Org};
use utoipa::ToSchema;

use super::{NewOrgInput, OrgQuery, create_org, validate_new};
use crate::AppState;
use crate::auth::ApiCaller;
use crate::auth::access::{Permission, org_scope};
use crate::error::{AppError, AppResult, ErrorBody, json_body};

/// The schema of a new organisation: one variant per kind (school, enterprise, bank).
impl utoipa::PartialSchema for NewOrgInput {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use crate::api::vocab::*;
        let kinds = [OrgKind::School, OrgKind::Enterprise, OrgKind::Bank];
        variants(
            "新登记的机构（院校、企业或金融机构，各一种形式）",
            kinds.map(|k| {
                let school = k == OrgKind::School;
                let enterprise = k == OrgKind::Enterprise;
                let used = |yes: bool, schema: utoipa::openapi::schema::Object| {
                    if yes { non_null(schema) } else { any_text() }
                };
                object([
                    prop("kind", tag(k.as_str()), true),
                    prop("name", org_name(), true),
                    prop("code", credit_code(), true),
                    prop("district", district(), true),
                    prop("school_level", used(school, school_level()), school),
                    prop("industry", used(enterprise, industry_code()), enterprise),
                    prop("size", used(enterprise, enterprise_size()), enterprise),
                    prop("ownership", used(enterprise, ownership()), enterprise),
                ])
            }),
        )
    }
}

impl ToSchema for NewOrgInput {}

/// Organisations the caller may see, filtered and paged.
#[utoipa::path(get, path = "/orgs", tag = "orgs", params(OrgQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "机构列表", body = Page<Org>),
        (status = 401, description = "未登录", body = ErrorBody),
        (status = 422, description = "参数无效", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(q): Query<OrgQuery>,
) -> AppResult<Json<Page<Org>>> {
    caller.require(Permission::ViewOrgs)?;
    let page = orgs::list(
        &state.db,
        &org_scope(&caller.principal),
        &q.filter(domain::calendar::today_shanghai())?,
        q.paging()?,
    )
    .await?;
    Ok(Json(page))
}

/// One organisation; 404 when it does not exist or lies outside the caller's scope.
#[utoipa::path(get, path = "/orgs/{id}", tag = "orgs", params(("id" = i64, Path, description = "机构编号")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "机构", body = Org),
        (status = 401, description = "未登录", body = ErrorBody),
        (status = 404, description = "不存在或无权查看", body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<Org>> {
    caller.require(Permission::ViewOrgs)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound("机构"))?;
    orgs::get(&state.db, &org_scope(&caller.principal), id)
        .await?
        .map(Json)
        .ok_or(AppError::NotFound("机构"))
}

/// Registers a school, enterprise or bank (operators only).
#[utoipa::path(post, path = "/orgs", tag = "orgs", request_body = NewOrgInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "已创建", body = Org),
        (status = 401, description = "未登录", body = ErrorBody),
        (status = 403, description = "无权操作", body = ErrorBody),
        (status = 409, description = "信用代码已存在", body = ErrorBody),
        (status = 422, description = "字段无效", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    body: Result<Json<NewOrgInput>, axum::extract::rejection::JsonRejection>,
) -> AppResult<(StatusCode, Json<Org>)> {
    caller.require(Permission::CreateOrg)?;
    let input = json_body(body, "请求体不是有效的机构 JSON")?;
    let new = validate_new(&input).map_err(|mut errs| errs.remove(0))?;
    let org = create_org(&state, &caller, &new).await?;
    Ok((StatusCode::CREATED, Json(org)))
}
