//! The JSON API under `/api/v1`. Every handler carries its `#[utoipa::path]`, and the OpenAPI
//! document is assembled from them, so it cannot drift from the code.

pub mod normalise;
pub mod vocab;

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

/// The errors any operation may answer besides its own, documented on every operation they
/// apply to: the framework's rejections (400 malformed query or body, 413 a body over the limit,
/// 415 a body that is not JSON), 401 and 403 where a caller is needed, 404 where the path names
/// an object, 422 refused input, 500. Each is `ErrorBody` JSON (see `error::json_errors`).
struct CommonErrors;

impl utoipa::Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let error = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            )
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let has_id = path.contains('{');
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let body = op.request_body.is_some();
                let common = [
                    ("400", "请求格式错误", true),
                    ("401", "未登录", secured),
                    ("403", "无权操作", secured),
                    ("404", "不存在或无权查看", has_id),
                    ("413", "请求内容超过上限", body),
                    ("415", "请求内容须为 JSON", body),
                    ("422", "请求内容不符合接口要求", true),
                    ("500", "服务器内部错误", true),
                ];
                for (status, description, applies) in common {
                    if applies && !op.responses.responses.contains_key(status) {
                        op.responses
                            .responses
                            .insert(status.to_string(), error(description));
                    }
                }
            }
        }
    }
}

pub const PREFIX: &str = "/api/v1";

/// An optional whole-number query parameter: absent or blank is `None`; anything else must
/// parse, or the request is refused naming the parameter.
pub fn query_int(v: &Option<String>, field: &str) -> crate::error::AppResult<Option<i64>> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| n.abs() <= normalise::MAX_SAFE_INTEGER)
            .map(Some)
            .ok_or_else(|| crate::error::AppError::invalid(field, format!("{field} 应为整数"))),
    }
}

/// An optional year query parameter: absent or blank is `None`; else a whole number within
/// the years forms accept (`features::applications::YEARS`).
pub fn query_year(v: &Option<String>) -> crate::error::AppResult<Option<i64>> {
    let years = crate::features::applications::YEARS;
    match query_int(v, "year")? {
        Some(y) if !years.contains(&y) => Err(crate::error::AppError::invalid(
            "year",
            format!("year 应为 {} 至 {} 的整数", years.start(), years.end()),
        )),
        y => Ok(y),
    }
}

/// The largest `page` or `per_page` the API accepts (as its OpenAPI document says);
/// `per_page` above `store::Paging::MAX_PER_PAGE` reads as that.
pub const MAX_PAGE_PARAM: i64 = 1_000_000;

/// Paging from the `page` and `per_page` query values: each absent, or from 1 to
/// [`MAX_PAGE_PARAM`]; anything else is refused naming the parameter.
pub fn paging(page: Option<i64>, per_page: Option<i64>) -> crate::error::AppResult<store::Paging> {
    for (value, field) in [(page, "page"), (per_page, "per_page")] {
        if value.is_some_and(|v| !(1..=MAX_PAGE_PARAM).contains(&v)) {
            return Err(crate::error::AppError::invalid(
                field,
                format!("{field} 应为 1 至 {MAX_PAGE_PARAM} 的整数"),
            ));
        }
    }
    Ok(store::Paging::new(page, per_page))
}

/// The `page` and `per_page` query parameters, as text.
pub fn query_paging(
    page: &Option<String>,
    per_page: &Option<String>,
) -> crate::error::AppResult<store::Paging> {
    paging(query_int(page, "page")?, query_int(per_page, "per_page")?)
}

/// The API router (to nest under [`PREFIX`]) and its OpenAPI document as served.
pub fn router() -> (axum::Router<AppState>, serde_json::Value) {
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

fn build() -> (crate::pages::Routes, serde_json::Value) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(crate::features::measures::api::list))
        .routes(routes!(
            crate::features::orgs::api::list,
            crate::features::orgs::api::create
        ))
        .routes(routes!(crate::features::orgs::api::get_one))
        .routes(routes!(crate::features::rules::api::evaluate))
        .routes(routes!(crate::features::rules::api::parameters))
        .routes(routes!(
            crate::features::applications::api::list,
            crate::features::applications::api::create
        ))
        .routes(routes!(crate::features::applications::api::get_one))
        .routes(routes!(crate::features::applications::api::act))
        .routes(routes!(
            crate::features::applications::api::upload_attachment
        ))
        .routes(routes!(crate::features::applications::api::queue))
        .routes(routes!(crate::features::registers::api::certified))
        .routes(routes!(crate::features::registers::api::index))
        .routes(routes!(
            crate::features::registers::api::list,
            crate::features::registers::api::enter
        ))
        .routes(routes!(crate::features::registers::api::get_one))
        .routes(routes!(crate::features::majors::api::list))
        .routes(routes!(crate::features::occupations::api::list))
        .routes(routes!(
            crate::features::occupations::api::for_major,
            crate::features::occupations::api::replace
        ))
        .routes(routes!(crate::features::demand::api::list))
        .routes(routes!(crate::features::demand::api::pending))
        .routes(routes!(crate::features::demand::api::confirm))
        .routes(routes!(crate::features::supply::api::supply_list))
        .routes(routes!(crate::features::alignment::api::majors))
        .split_for_parts();
    // The operations are known only now: their common errors are documented here.
    utoipa::Modify::modify(&CommonErrors, &mut doc);
    normalise::document(&mut doc);
    // The router is nested under /api/v1; the document names the full paths.
    doc.paths.paths = std::mem::take(&mut doc.paths.paths)
        .into_iter()
        .map(|(k, v)| (format!("{PREFIX}{k}"), v))
        .collect();
    let routes = recorded(router, &doc);
    let mut served = serde_json::to_value(&doc).unwrap_or_default();
    // Each rule's input has its own schema (`policy::input_schema`): one operation per rule.
    crate::features::rules::api::document(&mut served);
    normalise::request_constraints(&mut served);
    let json = served.clone();
    let routes = routes.route("/openapi.json", get(move || async move { Json(json) }));
    (routes, served)
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
pub fn openapi() -> serde_json::Value {
    router().1
}
