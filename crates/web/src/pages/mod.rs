//! Server-rendered pages (zh-CN): what every feature's pages share (layout, [`Routes`], pager,
//! error pages, navigation, form controls, imports, the trace view) and login. Each feature's
//! own pages are in `crate::features::<feature>::pages`, merged in [`routes`].

pub mod form;
pub(crate) mod imports;
mod login;
pub mod nav;
pub(crate) mod trace;

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

/// Every page route, built through [`Routes`] so the table of registered routes is the
/// router's own.
pub fn routes() -> Routes {
    Routes::new()
        .route("/static/app.css", get(css))
        .route("/static/print.js", get(print_js))
        .merge(login::router())
        .merge(crate::features::home::pages::router())
        .merge(crate::features::orgs::pages::router())
        .merge(crate::features::measures::pages::router())
        .merge(crate::features::admin::pages::router())
        .merge(crate::features::audit::pages::router())
        .merge(crate::features::rules::pages::router())
        .merge(crate::features::applications::pages::router())
        .merge(crate::features::tax::pages::router())
        .merge(crate::features::majors::pages::router())
        .merge(crate::features::occupations::pages::router())
        .merge(crate::features::supply::pages::router())
        .merge(crate::features::demand::pages::router())
        .merge(crate::features::alignment::pages::router())
        .merge(crate::features::registers::pages::router())
}

/// The pages, with the 404 page for unknown URLs. [`crate::app`] layers [`error_layout`] on it.
pub fn router() -> Router<AppState> {
    routes().into_router().fallback(not_found)
}

/// Every registered page route as (method, path template): the access matrix test checks that
/// each has an entry.
pub fn route_table() -> Vec<(String, String)> {
    routes().table
}

/// A router that records what it registers: each route's path template and the methods its
/// `MethodRouter` answers. axum has no route introspection, so the page, operations and API
/// routers are built through this, and their tables cannot miss a route.
pub struct Routes {
    router: Router<AppState>,
    table: Vec<(String, String)>,
}

impl Default for Routes {
    fn default() -> Self {
        Routes::new()
    }
}

impl Routes {
    pub fn new() -> Routes {
        Routes::from_router(Router::new(), Vec::new())
    }

    /// Wraps a router whose routes are already known (the API's, from its OpenAPI document).
    pub fn from_router(router: Router<AppState>, table: Vec<(String, String)>) -> Routes {
        Routes { router, table }
    }

    pub fn route(mut self, path: &str, mr: axum::routing::MethodRouter<AppState>) -> Routes {
        for m in methods_of(&mr) {
            self.table.push((m, path.to_string()));
        }
        self.router = self.router.route(path, mr);
        self
    }

    pub fn merge(mut self, other: Routes) -> Routes {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }

    pub fn table(&self) -> &[(String, String)] {
        &self.table
    }

    pub fn into_parts(self) -> (Router<AppState>, Vec<(String, String)>) {
        (self.router, self.table)
    }
}

/// The methods a `MethodRouter` answers (HEAD, which axum adds to every GET, left out). axum
/// exposes them only in the `Allow` header it prepares, which its `Debug` output shows; the
/// unit test below fails if an axum upgrade changes that.
fn methods_of<S>(mr: &axum::routing::MethodRouter<S>) -> Vec<String> {
    let dbg = format!("{mr:?}");
    let start = "allow_header: Bytes(b\"";
    let i = dbg
        .find(start)
        .map(|i| i + start.len())
        .expect("axum's MethodRouter shows its Allow header");
    let end = dbg[i..].find('"').expect("the Allow header's end") + i;
    dbg[i..end]
        .split(',')
        .filter(|m| !m.is_empty() && *m != "HEAD")
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod route_tests {
    use super::*;
    use axum::routing::{post, put};

    async fn h() -> &'static str {
        ""
    }

    #[test]
    fn methods_are_read_from_the_method_router() {
        let mr: axum::routing::MethodRouter<AppState> = get(h).post(h);
        assert_eq!(methods_of(&mr), ["GET", "POST"]);
        let mr: axum::routing::MethodRouter<AppState> = put(h);
        assert_eq!(methods_of(&mr), ["PUT"]);
        let mr: axum::routing::MethodRouter<AppState> =
            post(h).layer(axum::extract::DefaultBodyLimit::max(10));
        assert_eq!(methods_of(&mr), ["POST"]);
    }

    #[test]
    fn the_page_table_lists_every_route() {
        let t = route_table();
        for (m, p) in [
            ("GET", "/"),
            ("GET", "/orgs/{id}"),
            ("POST", "/orgs/new"),
            ("GET", "/alignment/schools/{id}/report"),
        ] {
            assert!(t.contains(&(m.to_string(), p.to_string())), "{m} {p}");
        }
    }
}

/// The stylesheet.
const CSS: &str = include_str!("../../static/app.css");

/// The stylesheet's version in the pages' links (`/static/app.css?v=…`, an FNV-1a hash of its
/// content): a changed stylesheet has a new address, so a browser does not keep the old one
/// after an upgrade.
pub const CSS_VERSION: u32 = {
    let bytes = CSS.as_bytes();
    let mut h: u32 = 0x811c_9dc5;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u32;
        h = h.wrapping_mul(0x0100_0193);
        i += 1;
    }
    h
};

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
}

async fn print_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/print.js"),
    )
}

/// An error as a page in the site's layout.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub status: u16,
    pub message: String,
}

/// What an error page says, kept on its response so [`error_layout`] can draw it again with
/// the visitor's own navigation.
#[derive(Clone, Debug)]
pub struct ErrorShown {
    pub status: axum::http::StatusCode,
    pub message: String,
}

/// The title of an error page.
fn error_title(status: axum::http::StatusCode) -> &'static str {
    use axum::http::StatusCode as S;
    match status {
        S::NOT_FOUND => "页面不存在",
        S::FORBIDDEN => "无权访问",
        S::METHOD_NOT_ALLOWED => "不支持的访问方式",
        S::CONFLICT => "操作冲突",
        S::TOO_MANY_REQUESTS => "请求过于频繁",
        S::PAYLOAD_TOO_LARGE => "内容过大",
        s if s.is_server_error() => "服务器错误",
        _ => "无法完成请求",
    }
}

/// An error page for `caller` (anonymous when `None`): the site's layout, a Chinese title and
/// message, the status.
pub fn error_page(
    status: axum::http::StatusCode,
    message: &str,
    caller: Option<&Caller>,
) -> axum::response::Response {
    let page = ErrorPage {
        layout: Layout::new(error_title(status), "", caller),
        status: status.as_u16(),
        message: message.to_string(),
    };
    let body = page
        .render()
        .unwrap_or_else(|_| format!("<h1>{}</h1><p>{message}</p>", status.as_u16()));
    let mut resp = (status, Html(body)).into_response();
    resp.extensions_mut().insert(ErrorShown {
        status,
        message: message.to_string(),
    });
    resp
}

/// Unknown URLs: a 404 page (JSON under `/api`, which answers JSON everywhere).
async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    let p = uri.path();
    if p == "/api" || p.starts_with("/api/") {
        return crate::error::AppError::NotFound("接口").into_response();
    }
    crate::error::PageError(crate::error::AppError::NotFound("页面")).into_response()
}

/// Draws error pages (and the framework's bare 405) again in the layout the visitor would see
/// on any page: their name, their navigation. Only error responses pay for the lookup.
pub async fn error_layout(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let (parts, body) = req.into_parts();
    let (uri, headers) = (parts.uri.clone(), parts.headers.clone());
    let resp = next
        .run(axum::extract::Request::from_parts(parts, body))
        .await;
    let shown = match resp.extensions().get::<ErrorShown>() {
        Some(s) => s.clone(),
        None if resp.status() == axum::http::StatusCode::METHOD_NOT_ALLOWED
            && !resp.headers().contains_key(header::CONTENT_TYPE) =>
        {
            ErrorShown {
                status: resp.status(),
                message: "此页面不支持这种访问方式".into(),
            }
        }
        None => return resp,
    };
    let mut probe = axum::http::Request::new(());
    *probe.uri_mut() = uri;
    *probe.headers_mut() = headers;
    let (probe, ()) = probe.into_parts();
    let caller = crate::auth::resolve(&probe, &state).await.ok().flatten();
    if caller.is_none() && resp.extensions().get::<ErrorShown>().is_some() {
        return resp;
    }
    let mut out = error_page(shown.status, &shown.message, caller.as_ref());
    // Keep the response's other headers (allow, cookies, …), not its length or type.
    for (name, value) in resp.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    out
}

/// The signed-in user as the page header shows them.
pub struct UserBar {
    pub display_name: String,
    pub role_label: &'static str,
    pub org_name: String,
}

/// A form that carries only the session's CSRF token (a button that does one thing).
#[derive(serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// What every page's frame needs.
pub struct Layout {
    pub title: String,
    pub nav: &'static str,
    pub user: Option<UserBar>,
    pub csrf: String,
    pub is_operator: bool,
    /// The main navigation this visitor sees ([`nav`]).
    pub nav_groups: Vec<nav::NavGroup>,
    /// Unread inbox items (shown beside 消息).
    pub unread: i64,
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
            unread: caller.and_then(|c| c.unread).unwrap_or(0),
            is_operator: caller.is_some_and(|c| c.principal.role == Role::Operator.as_str()),
            nav_groups: nav::build(caller, nav),
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

/// What an attachment is, in Chinese, from its checked content type.
pub fn file_kind(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => "PDF 文档",
        "image/png" => "PNG 图片",
        "image/jpeg" => "JPEG 图片",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "Excel 表格",
        _ => "其他文件",
    }
}

/// A file size as people read it: `512 字节`, `12.3 KB`, `4.0 MB`.
pub fn file_size(bytes: i64) -> String {
    const K: i64 = 1024;
    if bytes < K {
        format!("{bytes} 字节")
    } else if bytes < K * K {
        format!("{:.1} KB", bytes as f64 / K as f64)
    } else {
        format!("{:.1} MB", bytes as f64 / (K * K) as f64)
    }
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
fn pager_links(base: &[(&str, String)], page: i64, pages: i64) -> (Option<String>, Option<String>) {
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

/// The pager of a list page (`_pager.html`): previous and next, and the page numbers, each
/// link keeping the list's filters.
pub struct Pager {
    pub path: String,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub links: Vec<PageLink>,
}

impl Pager {
    /// The pager of the list at `path`, on `page` of `pages`, with the filters `base`.
    pub fn new(path: &str, base: &[(&str, String)], page: i64, pages: i64) -> Pager {
        let (prev, next) = pager_links(base, page, pages);
        Pager {
            path: path.to_owned(),
            prev,
            next,
            links: page_links(path, base, page, pages),
        }
    }
}

/// A link of a numbered pager: a page number (`href` empty for the page shown), or a gap.
pub struct PageLink {
    pub number: i64,
    pub href: String,
    pub gap: bool,
}

/// Page numbers of the list at `path` around `page` (two either side), the first and the
/// last, with gaps between; each link keeps the filters `base`.
fn page_links(path: &str, base: &[(&str, String)], page: i64, pages: i64) -> Vec<PageLink> {
    let mut wanted: Vec<i64> = [1, pages]
        .into_iter()
        .chain((page - 2)..=(page + 2))
        .filter(|p| (1..=pages).contains(p))
        .collect();
    wanted.sort();
    wanted.dedup();
    let mut out = Vec::new();
    let mut last = 0;
    for p in wanted {
        if p > last + 1 {
            out.push(PageLink {
                number: 0,
                href: String::new(),
                gap: true,
            });
        }
        let mut pairs: Vec<(&str, String)> = base
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .cloned()
            .collect();
        pairs.push(("page", p.to_string()));
        out.push(PageLink {
            number: p,
            href: if p == page {
                String::new()
            } else {
                format!(
                    "{path}?{}",
                    serde_urlencoded::to_string(pairs).unwrap_or_default()
                )
            },
            gap: false,
        });
        last = p;
    }
    out
}

/// A list filter's text as typed: trimmed, at most 64 characters, empty when absent.
pub fn filter_text(v: &Option<String>) -> String {
    v.as_deref()
        .map(str::trim)
        .unwrap_or("")
        .chars()
        .take(64)
        .collect()
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

#[cfg(test)]
mod tests {
    #[test]
    fn pagers_show_the_ends_and_the_neighbourhood() {
        use super::Pager;
        let numbers = |page, pages| {
            Pager::new("/applications", &[], page, pages)
                .links
                .iter()
                .map(|l| if l.gap { 0 } else { l.number })
                .collect::<Vec<_>>()
        };
        assert_eq!(numbers(1, 1), [1]);
        assert_eq!(numbers(1, 4), [1, 2, 3, 4]);
        assert_eq!(numbers(6, 20), [1, 0, 4, 5, 6, 7, 8, 0, 20]);
        assert_eq!(numbers(20, 20), [1, 0, 18, 19, 20]);
        let p = Pager::new(
            "/applications",
            &[("kind", "tax_credit_claim".into())],
            2,
            3,
        );
        assert_eq!(
            p.links[0].href,
            "/applications?kind=tax_credit_claim&page=1"
        );
        assert_eq!(p.links[1].href, "", "the page shown");
        assert_eq!(p.prev.as_deref(), Some("kind=tax_credit_claim&page=1"));
        assert_eq!(p.next.as_deref(), Some("kind=tax_credit_claim&page=3"));
        let only = Pager::new("/orgs", &[], 1, 1);
        assert_eq!((only.prev, only.next), (None, None));
    }
}
