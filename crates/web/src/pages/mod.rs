//! Server-rendered pages (zh-CN). Each module holds one area's routes, handlers and views.

mod admin;
mod applications;
pub use applications::parse_action;
mod audit;
mod home;
mod imports;
mod login;
mod majors;
pub use majors::{MajorQuery, filter as major_filter, pick_catalog};

/// A major query from API parameters.
pub fn majors_query(
    catalog: Option<String>,
    level: Option<String>,
    category: Option<String>,
    q: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
) -> MajorQuery {
    MajorQuery {
        catalog,
        level,
        category,
        q,
        page,
        per_page,
    }
}

mod alignment;
mod demand;
mod measures;
mod occupations;
mod orgs;
mod rules;
mod supply;
mod tax;
pub use rules::parse_yuan;

use askama::Template;
use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use chrono::{FixedOffset, TimeZone};
use domain::orgs::Role;

use crate::AppState;
use crate::auth::Caller;
use crate::error::PageResult;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/app.css", get(css))
        .merge(login::router())
        .merge(home::router())
        .merge(orgs::router())
        .merge(measures::router())
        .merge(admin::router())
        .merge(audit::router())
        .merge(rules::router())
        .merge(applications::router())
        .merge(tax::router())
        .merge(majors::router())
        .merge(occupations::router())
        .merge(supply::router())
        .merge(demand::router())
        .merge(alignment::router())
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub status: u16,
    pub message: String,
}

/// The signed-in user as the page header shows them.
pub struct UserBar {
    pub display_name: String,
    pub role_label: &'static str,
    pub org_name: String,
}

/// What every page's frame needs.
pub struct Layout {
    pub title: String,
    pub nav: &'static str,
    pub user: Option<UserBar>,
    pub csrf: String,
    pub is_operator: bool,
    pub is_enterprise: bool,
    pub can_tax_claims: bool,
    /// Schools report their supply; measure 5's lead sees everyone's.
    pub can_supply: bool,
    /// Measure 5's units load demand and confirm title matches.
    pub can_demand: bool,
}

impl Layout {
    pub fn new(title: &str, nav: &'static str, caller: Option<&Caller>) -> Layout {
        Layout {
            title: title.to_string(),
            nav,
            user: caller.map(|c| UserBar {
                display_name: c.principal.display_name.clone(),
                role_label: Role::parse(&c.principal.role)
                    .map(Role::label)
                    .unwrap_or("未知角色"),
                org_name: c.principal.org_name.clone(),
            }),
            csrf: caller.and_then(|c| c.csrf.clone()).unwrap_or_default(),
            is_operator: caller.is_some_and(|c| c.principal.role == Role::Operator.as_str()),
            is_enterprise: caller.is_some_and(|c| c.principal.role == Role::Enterprise.as_str()),
            can_supply: caller.is_some_and(|c| {
                c.principal.role == Role::School.as_str()
                    || crate::auth::access::allows(
                        &c.principal,
                        crate::auth::access::Permission::ManageMajors,
                    )
            }),
            can_demand: caller.is_some_and(|c| {
                crate::auth::access::allows(
                    &c.principal,
                    crate::auth::access::Permission::ManageDemand,
                )
            }),
            can_tax_claims: caller.is_some_and(|c| {
                crate::auth::access::allows(
                    &c.principal,
                    crate::auth::access::Permission::ViewTaxClaims,
                )
            }),
        }
    }
}

/// An `<option>` of a `<select>`.
pub struct SelectOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub fn options<'a>(
    items: impl IntoIterator<Item = (&'a str, &'a str)>,
    selected: &str,
) -> Vec<SelectOption> {
    items
        .into_iter()
        .map(|(v, l)| SelectOption {
            value: v.to_string(),
            label: l.to_string(),
            selected: v == selected,
        })
        .collect()
}

pub fn district_options(selected: &str) -> Vec<SelectOption> {
    options(
        domain::reference::AREAS.iter().map(|a| (a.code, a.name)),
        selected,
    )
}

/// Renders a template into a response.
pub fn render<T: Template>(t: &T) -> PageResult {
    Ok(Html(t.render()?).into_response())
}

/// Formats unix seconds as Beijing time.
pub fn fmt_time(secs: i64) -> String {
    let tz = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    match tz.timestamp_opt(secs, 0).single() {
        Some(t) => t.format("%Y-%m-%d %H:%M").to_string(),
        None => String::new(),
    }
}

pub fn fmt_opt_time(secs: Option<i64>) -> String {
    secs.map(fmt_time).unwrap_or_else(|| "—".to_string())
}

/// Query strings for the previous and next page links, keeping the filters.
pub fn pager_links(
    base: &[(&str, String)],
    page: i64,
    pages: i64,
) -> (Option<String>, Option<String>) {
    let link = |p: i64| {
        let mut pairs: Vec<(&str, String)> = base
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .cloned()
            .collect();
        pairs.push(("page", p.to_string()));
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    };
    (
        (page > 1).then(|| link(page - 1)),
        (page < pages).then(|| link(page + 1)),
    )
}

/// Parses an optional positive integer from a query string value.
pub fn parse_page(v: &Option<String>) -> Option<i64> {
    v.as_deref().and_then(|s| s.trim().parse::<i64>().ok())
}

/// Where to go after login: only local paths.
pub fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/"
    }
}
