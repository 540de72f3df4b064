//! Organisations over the API, and the input rules the pages share.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use domain::orgs::{EnterpriseSize, IndustryCode, OrgKind, Ownership, SchoolLevel};
use domain::{CreditCode, DivisionCode};
use serde::Deserialize;
use store::orgs::{self, Filter, NewOrg, Org, Programme};
use store::{Page, Paging};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::ApiCaller;
use crate::auth::access::{Permission, org_scope};
use crate::error::{AppError, AppResult, ErrorBody, json_body};

/// Filters of the organisation list. All optional; empty values are ignored.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgQuery {
    /// Organisation kind
    #[param(schema_with = super::vocab::org_kind)]
    pub kind: Option<String>,
    /// Division code, e.g. 500103
    #[param(schema_with = super::vocab::district)]
    pub district: Option<String>,
    /// Part of the name, or a full credit code
    pub q: Option<String>,
    /// Standing in the programme: `cultivated` (in the cultivation database, not certified),
    /// `certified` (certification in force today)
    #[param(schema_with = super::vocab::programme)]
    pub programme: Option<String>,
    /// Page number, from 1.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub page: Option<String>,
    /// Items per page (at most 200; more is read as 200).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub per_page: Option<String>,
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl OrgQuery {
    /// The filter, with "certified" meaning a certification in force on `today` under the
    /// validity parameter then in force.
    pub fn filter(&self, today: chrono::NaiveDate) -> AppResult<Filter> {
        let kind = match nonempty(&self.kind) {
            None => None,
            Some(k) => Some(
                OrgKind::parse(k)
                    .ok_or_else(|| AppError::invalid("kind", format!("未知的机构类型“{k}”")))?,
            ),
        };
        let district = match nonempty(&self.district) {
            None => None,
            Some(d) => Some(
                DivisionCode::parse(d)
                    .map_err(|e| AppError::invalid("district", e.to_string()))?
                    .as_str()
                    .to_string(),
            ),
        };
        let q = nonempty(&self.q).map(|s| s.chars().take(50).collect());
        let programme = match nonempty(&self.programme) {
            None => None,
            Some("cultivated") => Some(Programme::Cultivated),
            Some("certified") => Some(Programme::Certified { on: today }),
            Some(other) => {
                return Err(AppError::invalid(
                    "programme",
                    format!("未知的办理状态“{other}”（应为 cultivated 或 certified）"),
                ));
            }
        };
        Ok(Filter {
            kind,
            district,
            q,
            programme,
        })
    }

    pub fn paging(&self) -> AppResult<Paging> {
        super::query_paging(&self.page, &self.per_page)
    }
}

/// Organisation names: 2 to 100 characters after trimming.
pub const NAME: domain::text::Bounds = domain::text::Bounds::new(2, 100);

/// A new organisation. Departments, districts and the operator are built in; this registers
/// schools (with their level), enterprises (with industry, size and ownership) and banks. Its
/// schema is one variant per kind; the fields a kind does not use are ignored.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrgInput {
    pub kind: String,
    pub name: String,
    pub code: String,
    pub district: String,
    #[serde(default)]
    pub school_level: Option<String>,
    #[serde(default)]
    pub industry: Option<String>,
    #[serde(default)]
    pub size: Option<String>,
    #[serde(default)]
    pub ownership: Option<String>,
}

impl utoipa::PartialSchema for NewOrgInput {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use super::vocab::*;
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

impl NewOrgInput {
    /// Checks every field; returns all problems, each naming its field, in Chinese.
    pub fn validate(&self) -> Result<NewOrg, Vec<AppError>> {
        let mut errs = Vec::new();
        let kind = match OrgKind::parse(self.kind.trim()) {
            Some(k @ (OrgKind::School | OrgKind::Enterprise | OrgKind::Bank)) => Some(k),
            _ => {
                errs.push(AppError::invalid(
                    "kind",
                    "机构类型只能是院校、企业或金融机构",
                ));
                None
            }
        };
        let name = match NAME.check(&self.name) {
            Ok(n) => n.to_string(),
            Err(e) => {
                errs.push(AppError::invalid(
                    "name",
                    format!("机构名称{}", e.message()),
                ));
                String::new()
            }
        };
        let code = match CreditCode::parse(&self.code) {
            Ok(c) => Some(c.as_str().to_string()),
            Err(e) => {
                errs.push(AppError::invalid("code", e.to_string()));
                None
            }
        };
        let district = if self.district.trim().is_empty() {
            errs.push(AppError::invalid("district", "请选择所在区县"));
            None
        } else {
            match DivisionCode::parse(&self.district) {
                Ok(d) => Some(d.as_str().to_string()),
                Err(e) => {
                    errs.push(AppError::invalid("district", e.to_string()));
                    None
                }
            }
        };
        let opt = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let mut school_level = None;
        let mut industry = None;
        let mut size = None;
        let mut ownership = None;
        match kind {
            Some(OrgKind::School) => {
                match opt(&self.school_level).as_deref().map(SchoolLevel::parse) {
                    Some(Some(l)) => school_level = Some(l.as_str().to_string()),
                    Some(None) => errs.push(AppError::invalid("school_level", "办学层次无效")),
                    None => errs.push(AppError::invalid("school_level", "院校须填写办学层次")),
                }
            }
            Some(OrgKind::Enterprise) => {
                match opt(&self.industry) {
                    Some(i) => match IndustryCode::parse(&i) {
                        Ok(c) => industry = Some(c.as_str().to_string()),
                        Err(e) => errs.push(AppError::invalid("industry", e.to_string())),
                    },
                    None => errs.push(AppError::invalid("industry", "企业须填写行业代码")),
                }
                match opt(&self.size).as_deref().map(EnterpriseSize::parse) {
                    Some(Some(s)) => size = Some(s.as_str().to_string()),
                    Some(None) => errs.push(AppError::invalid("size", "企业规模无效")),
                    None => errs.push(AppError::invalid("size", "企业须填写规模")),
                }
                match opt(&self.ownership).as_deref().map(Ownership::parse) {
                    Some(Some(o)) => ownership = Some(o.as_str().to_string()),
                    Some(None) => errs.push(AppError::invalid("ownership", "所有制类型无效")),
                    None => errs.push(AppError::invalid("ownership", "企业须填写所有制类型")),
                }
            }
            _ => {}
        }
        match (kind, code) {
            (Some(kind), Some(code)) if errs.is_empty() => Ok(NewOrg {
                kind,
                code,
                name,
                district,
                school_level,
                industry,
                size,
                ownership,
                unit_code: None,
            }),
            _ => Err(errs),
        }
    }
}

#[derive(serde::Serialize, ToSchema)]
pub struct OrgPage {
    pub items: Vec<Org>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl From<Page<Org>> for OrgPage {
    fn from(p: Page<Org>) -> Self {
        OrgPage {
            items: p.items,
            total: p.total,
            page: p.page,
            per_page: p.per_page,
        }
    }
}

/// Organisations the caller may see, filtered and paged.
#[utoipa::path(get, path = "/orgs", tag = "orgs", params(OrgQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "机构列表", body = OrgPage),
        (status = 401, description = "未登录", body = ErrorBody),
        (status = 422, description = "参数无效", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(q): Query<OrgQuery>,
) -> AppResult<Json<OrgPage>> {
    caller.require(Permission::ViewOrgs)?;
    let page = orgs::list(
        &state.db,
        &org_scope(&caller.principal),
        &q.filter(domain::calendar::today_shanghai())?,
        q.paging()?,
    )
    .await?;
    Ok(Json(page.into()))
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
    let new = input.validate().map_err(|mut errs| errs.remove(0))?;
    let org = create_org(&state, &caller, &new).await?;
    Ok((StatusCode::CREATED, Json(org)))
}

/// Inserts and commits, with its audit entry. Shared by the API and the page form.
pub async fn create_org(
    state: &AppState,
    caller: &crate::auth::Caller,
    new: &NewOrg,
) -> AppResult<Org> {
    let mut tx = state.db.begin().await?;
    let org = orgs::insert(&mut tx, &caller.actor(), new).await?;
    tx.commit().await?;
    Ok(org)
}
