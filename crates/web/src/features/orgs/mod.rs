//! Organisations: the list's filters, the validation of a new organisation and its
//! registration, shared by the pages and the API.

pub mod api;
pub mod pages;

use domain::orgs::{EnterpriseSize, IndustryCode, OrgKind, Ownership, SchoolLevel};
use domain::{CreditCode, DivisionCode};
use serde::Deserialize;
use store::Paging;
use store::orgs::{self, Filter, NewOrg, Org, Programme};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};

/// Filters of the organisation list, as pages and the API take them. All optional; empty
/// values are ignored.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgQuery {
    /// Organisation kind
    #[param(schema_with = crate::api::vocab::org_kind)]
    pub kind: Option<String>,
    /// Division code, e.g. 500103
    #[param(schema_with = crate::api::vocab::district)]
    pub district: Option<String>,
    /// Part of the name, or a full credit code
    pub q: Option<String>,
    /// Standing in the programme: `cultivated` (in the cultivation database, not certified),
    /// `certified` (certification in force today)
    #[param(schema_with = crate::api::vocab::programme)]
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
        crate::api::query_paging(&self.page, &self.per_page)
    }
}

/// Organisation names: 2 to 100 characters after trimming.
pub const NAME: domain::text::Bounds = domain::text::Bounds::new(2, 100);

/// A new organisation as typed, in the API's JSON body or the page's form. Departments,
/// districts and the operator are built in; this registers schools (with their level),
/// enterprises (with industry, size and ownership) and banks. The fields a kind does not use
/// are ignored. Its OpenAPI schema (one variant per kind) is in [`api`].
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

/// Checks every field of a new organisation; returns all problems, each naming its field, in
/// Chinese.
pub fn validate_new(input: &NewOrgInput) -> Result<NewOrg, Vec<AppError>> {
    let mut errs = Vec::new();
    let kind = match OrgKind::parse(input.kind.trim()) {
        Some(k @ (OrgKind::School | OrgKind::Enterprise | OrgKind::Bank)) => Some(k),
        _ => {
            errs.push(AppError::invalid(
                "kind",
                "机构类型只能是院校、企业或金融机构",
            ));
            None
        }
    };
    let name = match NAME.check(&input.name) {
        Ok(n) => n.to_string(),
        Err(e) => {
            errs.push(AppError::invalid(
                "name",
                format!("机构名称{}", e.message()),
            ));
            String::new()
        }
    };
    let code = match CreditCode::parse(&input.code) {
        Ok(c) => Some(c.as_str().to_string()),
        Err(e) => {
            errs.push(AppError::invalid("code", e.to_string()));
            None
        }
    };
    let district = if input.district.trim().is_empty() {
        errs.push(AppError::invalid("district", "请选择所在区县"));
        None
    } else {
        match DivisionCode::parse(&input.district) {
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
            match opt(&input.school_level).as_deref().map(SchoolLevel::parse) {
                Some(Some(l)) => school_level = Some(l.as_str().to_string()),
                Some(None) => errs.push(AppError::invalid("school_level", "办学层次无效")),
                None => errs.push(AppError::invalid("school_level", "院校须填写办学层次")),
            }
        }
        Some(OrgKind::Enterprise) => {
            match opt(&input.industry) {
                Some(i) => match IndustryCode::parse(&i) {
                    Ok(c) => industry = Some(c.as_str().to_string()),
                    Err(e) => errs.push(AppError::invalid("industry", e.to_string())),
                },
                None => errs.push(AppError::invalid("industry", "企业须填写行业代码")),
            }
            match opt(&input.size).as_deref().map(EnterpriseSize::parse) {
                Some(Some(s)) => size = Some(s.as_str().to_string()),
                Some(None) => errs.push(AppError::invalid("size", "企业规模无效")),
                None => errs.push(AppError::invalid("size", "企业须填写规模")),
            }
            match opt(&input.ownership).as_deref().map(Ownership::parse) {
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

/// Inserts and commits, with its audit entry. Shared by the API and the page form.
pub async fn create_org(state: &AppState, caller: &Caller, new: &NewOrg) -> AppResult<Org> {
    let mut tx = state.db.begin().await?;
    let org = orgs::insert(&mut tx, &caller.actor(), new).await?;
    tx.commit().await?;
    Ok(org)
}
