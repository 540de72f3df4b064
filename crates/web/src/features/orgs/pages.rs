//! Organisation pages: list with filters, paging and XLSX export; detail; registration form.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use domain::orgs::{EnterpriseSize, OrgKind, Ownership, Role, SchoolLevel};
use domain::reference::area;
use serde::Deserialize;
use store::accounts;
use store::orgs::{self, Org};
use store::{Page, Paging};

use super::{NewOrgInput, OrgQuery, create_org, validate_new};
use crate::AppState;
use crate::auth::PageCaller;
use crate::auth::access::{Permission, allows, org_scope};
use crate::error::{AppError, PageError, PageResult};
use crate::pages::{
    Layout, Pager, Routes, SelectOption, district_options, fmt_opt_time, fmt_time, options, render,
};
use crate::xlsx;

pub fn router() -> Routes {
    Routes::new()
        .route("/orgs", get(list))
        .route("/orgs/export.xlsx", get(export))
        .route("/orgs/new", get(new_form).post(create))
        .route("/orgs/{id}", get(detail))
}

pub struct OrgRow {
    id: i64,
    name: String,
    kind_label: &'static str,
    code: String,
    district_name: String,
    detail: String,
}

fn kind_label(k: &str) -> &'static str {
    OrgKind::parse(k).map(OrgKind::label).unwrap_or("未知")
}

fn district_name(d: &Option<String>) -> String {
    d.as_deref()
        .and_then(area)
        .map(|a| a.name.to_string())
        .unwrap_or_else(|| "—".into())
}

fn detail_text(o: &Org) -> String {
    let mut parts = Vec::new();
    if let Some(l) = o.school_level.as_deref().and_then(SchoolLevel::parse) {
        parts.push(l.label().to_string());
    }
    if let Some(i) = &o.industry {
        parts.push(i.clone());
    }
    if let Some(s) = o.size.as_deref().and_then(EnterpriseSize::parse) {
        parts.push(s.label().to_string());
    }
    if let Some(s) = o.ownership.as_deref().and_then(Ownership::parse) {
        parts.push(s.label().to_string());
    }
    parts.join(" · ")
}

fn row(o: &Org) -> OrgRow {
    OrgRow {
        id: o.id,
        name: o.name.clone(),
        kind_label: kind_label(&o.kind),
        code: o.code.clone(),
        district_name: district_name(&o.district),
        detail: detail_text(o),
    }
}

#[derive(Template)]
#[template(path = "orgs/list.html")]
struct ListPage {
    layout: Layout,
    can_create: bool,
    kind_options: Vec<SelectOption>,
    district_options: Vec<SelectOption>,
    programme_options: Vec<SelectOption>,
    q: String,
    query: String,
    total: String,
    page: Page<Org>,
    pages: i64,
    rows: Vec<OrgRow>,
    pager: Pager,
}

fn kind_options(selected: &str) -> Vec<SelectOption> {
    options(
        OrgKind::ALL.iter().map(|k| (k.as_str(), k.label())),
        selected,
    )
}

async fn list(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(q): Query<OrgQuery>,
) -> PageResult {
    caller.require(Permission::ViewOrgs)?;
    let filter = q.filter(domain::calendar::today_shanghai())?;
    let paging = q.paging()?;
    let page = orgs::list(&state.db, &org_scope(&caller.principal), &filter, paging).await?;
    let kind = filter
        .kind
        .map(|k| k.as_str().to_string())
        .unwrap_or_default();
    let district = filter.district.clone().unwrap_or_default();
    let text = filter.q.clone().unwrap_or_default();
    let programme = q.programme.clone().unwrap_or_default().trim().to_owned();
    let base = [
        ("kind", kind.clone()),
        ("district", district.clone()),
        ("programme", programme.clone()),
        ("q", text.clone()),
    ];
    let pages = page.pages();
    let pager = Pager::new("/orgs", &base, page.page, pages);
    let query = serde_urlencoded::to_string(
        base.iter()
            .filter(|(_, v)| !v.is_empty())
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default();
    render(&ListPage {
        layout: Layout::new("机构名录", "orgs", Some(&caller)),
        can_create: allows(&caller.principal, Permission::CreateOrg),
        kind_options: kind_options(&kind),
        district_options: district_options(&district),
        programme_options: options(store::orgs::Programme::OPTIONS, &programme),
        total: crate::numbers::count(page.total),
        q: text,
        query,
        rows: page.items.iter().map(row).collect(),
        pages,
        page,
        pager,
    })
}

/// The filtered list as XLSX (at most this many rows).
const EXPORT_CAP: i64 = 100_000;

async fn export(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(q): Query<OrgQuery>,
) -> PageResult {
    caller.require(Permission::ViewOrgs)?;
    let list = orgs::export(
        &state.db,
        &org_scope(&caller.principal),
        &q.filter(domain::calendar::today_shanghai())?,
        EXPORT_CAP,
    )
    .await?;
    let rows: Vec<Vec<xlsx::Cell>> = list
        .iter()
        .map(|o| {
            vec![
                o.name.clone().into(),
                kind_label(&o.kind).into(),
                o.code.clone().into(),
                o.district.clone().unwrap_or_default().into(),
                district_name(&o.district).into(),
                detail_text(o).into(),
                xlsx::time_cell(o.created_at),
            ]
        })
        .collect();
    let bytes = xlsx::table(
        "机构名录",
        &[
            "名称",
            "类型",
            "代码",
            "区划代码",
            "区县",
            "类别/行业",
            "登记时间",
        ],
        &rows,
    )?;
    Ok(xlsx::download("机构名录.xlsx", bytes))
}

struct UserLine {
    username: String,
    display_name: String,
    role: &'static str,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "orgs/detail.html")]
struct DetailPage {
    layout: Layout,
    org: Org,
    fields: Vec<(&'static str, String)>,
    show_users: bool,
    users: Vec<UserLine>,
    /// Its standing in the programme as the caller may see it (None: nothing to see).
    standing: Option<crate::features::home::Standing>,
    /// Its applications the caller may see, newest first: (title, status, updated, link).
    applications: Vec<(String, &'static str, String, String)>,
    applications_total: i64,
}

async fn detail(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
) -> PageResult {
    caller.require(Permission::ViewOrgs)?;
    let id: i64 = id
        .parse()
        .map_err(|_| PageError(AppError::NotFound("机构")))?;
    let org = orgs::get(&state.db, &org_scope(&caller.principal), id)
        .await?
        .ok_or(PageError(AppError::NotFound("机构")))?;
    let mut fields = vec![
        ("类型", kind_label(&org.kind).to_string()),
        ("代码", org.code.clone()),
        ("所在区县", district_name(&org.district)),
    ];
    if let Some(l) = org.school_level.as_deref().and_then(SchoolLevel::parse) {
        fields.push(("办学层次", l.label().to_string()));
    }
    if let Some(i) = org
        .industry
        .as_deref()
        .and_then(|i| domain::orgs::IndustryCode::parse(i).ok())
    {
        fields.push((
            "行业（GB/T 4754）",
            format!("{} {}", i.as_str(), i.section_name()),
        ));
    }
    if let Some(s) = org.size.as_deref().and_then(EnterpriseSize::parse) {
        fields.push(("企业规模", s.label().to_string()));
    }
    if let Some(s) = org.ownership.as_deref().and_then(Ownership::parse) {
        fields.push(("所有制", s.label().to_string()));
    }
    if let Some(u) = org.unit_code.as_deref().and_then(domain::reference::unit) {
        let ms: Vec<String> = domain::reference::measures_of_unit(u.code)
            .map(|m| {
                format!(
                    "第{}项{}",
                    m.number,
                    if m.is_lead(u.code) {
                        "（牵头）"
                    } else {
                        ""
                    }
                )
            })
            .collect();
        fields.push(("负责措施", ms.join("、")));
    }
    fields.push(("登记时间", fmt_time(org.created_at)));
    fields.push(("更新时间", fmt_opt_time(Some(org.updated_at))));
    let show_users = allows(&caller.principal, Permission::ManageAccounts);
    let users = if show_users {
        accounts::list_users(&state.db, Some(org.id), Paging::new(Some(1), Some(200)))
            .await?
            .items
            .into_iter()
            .map(|u| UserLine {
                username: u.username,
                display_name: u.display_name,
                role: Role::parse(&u.role).map(Role::label).unwrap_or("未知"),
                status: if u.active == 1 { "启用" } else { "停用" },
            })
            .collect()
    } else {
        Vec::new()
    };
    // Its programme standing and applications, as far as the caller sees them (the store
    // scopes them by the caller's viewer).
    let viewer = crate::auth::access::viewer(&caller.principal);
    let own = org.id == caller.principal.org_id;
    let today = domain::calendar::today_shanghai();
    let standing = crate::features::home::standing(&state, &viewer, org.id, own, today).await?;
    let list = store::applications::list(
        &state.db,
        &viewer,
        &store::applications::Filter {
            applicant_org_id: Some(org.id),
            ..Default::default()
        },
        Paging::new(Some(1), Some(20)),
    )
    .await?;
    let applications = list
        .items
        .iter()
        .map(|a| {
            (
                a.title.clone(),
                domain::workflow::Status::parse(&a.status)
                    .map_or("未知", domain::workflow::Status::label),
                fmt_time(a.updated_at),
                format!("/applications/{}", a.id),
            )
        })
        .collect();
    render(&DetailPage {
        layout: Layout::new(&org.name, "orgs", Some(&caller)),
        org,
        fields,
        show_users,
        users,
        standing: (!standing.is_empty()).then_some(standing),
        applications,
        applications_total: list.total,
    })
}

#[derive(Deserialize, Default)]
struct OrgForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    district: String,
    #[serde(default)]
    school_level: String,
    #[serde(default)]
    industry: String,
    #[serde(default)]
    size: String,
    #[serde(default)]
    ownership: String,
}

#[derive(Template)]
#[template(path = "orgs/new.html")]
struct NewPage {
    layout: Layout,
    errors: Vec<String>,
    form: OrgForm,
    kind_options: Vec<SelectOption>,
    district_options: Vec<SelectOption>,
    level_options: Vec<SelectOption>,
    size_options: Vec<SelectOption>,
    ownership_options: Vec<SelectOption>,
}

fn new_page(caller: &crate::auth::Caller, form: OrgForm, errors: Vec<String>) -> NewPage {
    let kinds = [OrgKind::Enterprise, OrgKind::School, OrgKind::Bank];
    NewPage {
        layout: Layout::new("新增机构", "orgs", Some(caller)),
        kind_options: options(kinds.iter().map(|k| (k.as_str(), k.label())), &form.kind),
        district_options: district_options(&form.district),
        level_options: options(
            SchoolLevel::ALL.iter().map(|k| (k.as_str(), k.label())),
            &form.school_level,
        ),
        size_options: options(
            EnterpriseSize::ALL.iter().map(|k| (k.as_str(), k.label())),
            &form.size,
        ),
        ownership_options: options(
            Ownership::ALL.iter().map(|k| (k.as_str(), k.label())),
            &form.ownership,
        ),
        errors,
        form,
    }
}

async fn new_form(PageCaller(caller): PageCaller) -> PageResult {
    caller.require(Permission::CreateOrg)?;
    render(&new_page(&caller, OrgForm::default(), Vec::new()))
}

async fn create(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Form(form): Form<OrgForm>,
) -> PageResult {
    caller.require(Permission::CreateOrg)?;
    caller.check_csrf(&form.csrf)?;
    let some = |s: &str| (!s.trim().is_empty()).then(|| s.to_string());
    let input = NewOrgInput {
        kind: form.kind.clone(),
        name: form.name.clone(),
        code: form.code.clone(),
        district: form.district.clone(),
        school_level: some(&form.school_level),
        industry: some(&form.industry),
        size: some(&form.size),
        ownership: some(&form.ownership),
    };
    let unprocessable = |page: NewPage| -> PageResult {
        let mut resp = render(&page)?;
        *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        Ok(resp)
    };
    let new = match validate_new(&input) {
        Ok(n) => n,
        Err(errs) => {
            let msgs = errs.iter().map(ToString::to_string).collect();
            return unprocessable(new_page(&caller, form, msgs));
        }
    };
    match create_org(&state, &caller, &new).await {
        Ok(org) => Ok(Redirect::to(&format!("/orgs/{}", org.id)).into_response()),
        Err(AppError::Conflict(msg)) => {
            let mut resp = render(&new_page(&caller, form, vec![msg]))?;
            *resp.status_mut() = axum::http::StatusCode::CONFLICT;
            Ok(resp)
        }
        Err(e) => Err(PageError(e)),
    }
}
