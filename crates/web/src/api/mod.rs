//! The JSON API under `/api/v1`. Every handler carries its `#[utoipa::path]`, and the OpenAPI
//! document is assembled from them, so it cannot drift from the code.

pub mod alignment;
pub mod applications;
pub mod demand;
pub mod majors;
pub mod measures;
pub mod occupations;
pub mod orgs;
pub mod rules;

use axum::Json;
use axum::routing::get;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "重庆市产教融合工作平台 API", version = "1", description = "渝发改社会〔2023〕1271号 十三项措施的登记、审核与监督。错误统一为 {\"code\", \"message\"}。"),
    modifiers(&BearerAuth),
    components(schemas(crate::error::ErrorBody))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub const PREFIX: &str = "/api/v1";

/// An optional whole-number query parameter: absent or blank is `None`; anything else must
/// parse, or the request is refused naming the parameter.
pub fn query_int(v: &Option<String>, field: &str) -> crate::error::AppResult<Option<i64>> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| crate::error::AppError::invalid(field, format!("{field} 应为整数"))),
    }
}

/// The `page` and `per_page` query parameters.
pub fn query_paging(
    page: &Option<String>,
    per_page: &Option<String>,
) -> crate::error::AppResult<store::Paging> {
    Ok(store::Paging::new(
        query_int(page, "page")?,
        query_int(per_page, "per_page")?,
    ))
}

/// The API router (to nest under [`PREFIX`]) and its OpenAPI document.
pub fn router() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, doc) = build();
    (
        routes
            .into_router()
            .fallback(|| async { crate::error::AppError::NotFound("接口") }),
        doc,
    )
}

/// Every registered API route as (method, full path under [`PREFIX`]): the access matrix
/// test checks that each has an entry.
pub fn route_table() -> Vec<(String, String)> {
    build()
        .0
        .table()
        .iter()
        .map(|(m, p)| (m.clone(), format!("{PREFIX}{p}")))
        .collect()
}

fn build() -> (crate::pages::Routes, utoipa::openapi::OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(measures::list))
        .routes(routes!(orgs::list, orgs::create))
        .routes(routes!(orgs::get_one))
        .routes(routes!(rules::evaluate))
        .routes(routes!(rules::parameters))
        .routes(routes!(applications::list, applications::create))
        .routes(routes!(applications::get_one))
        .routes(routes!(applications::act))
        .routes(routes!(applications::queue))
        .routes(routes!(applications::certified))
        .routes(routes!(majors::list))
        .routes(routes!(occupations::list))
        .routes(routes!(occupations::for_major, occupations::replace))
        .routes(routes!(demand::list))
        .routes(routes!(demand::pending))
        .routes(routes!(demand::confirm))
        .routes(routes!(demand::supply_list))
        .routes(routes!(alignment::majors))
        .split_for_parts();
    // The router is nested under /api/v1; the document names the full paths.
    doc.paths.paths = std::mem::take(&mut doc.paths.paths)
        .into_iter()
        .map(|(k, v)| (format!("{PREFIX}{k}"), v))
        .collect();
    let json = doc.clone();
    let routes =
        recorded(router, &doc).route("/openapi.json", get(move || async move { Json(json) }));
    (routes, doc)
}

/// The router built from the OpenAPI routes, with its table read from the document those
/// routes generated (full paths under [`PREFIX`]); routes added to it later go through
/// [`crate::pages::Routes`] and are recorded too.
fn recorded(
    router: axum::Router<AppState>,
    doc: &utoipa::openapi::OpenApi,
) -> crate::pages::Routes {
    let mut table = Vec::new();
    for (path, item) in &doc.paths.paths {
        let local = path.strip_prefix(PREFIX).unwrap_or(path);
        for (method, op) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ] {
            if op.is_some() {
                table.push((method.to_string(), local.to_string()));
            }
        }
    }
    crate::pages::Routes::from_router(router, table)
}

/// The OpenAPI document, for tests and tooling.
pub fn openapi() -> utoipa::openapi::OpenApi {
    router().1
}
