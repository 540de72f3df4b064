//! Requests to the API read the way its OpenAPI document says, for every route at once:
//! a query parameter given blank is refused (absent means "no filter"; the document's text
//! parameters require a non-blank character, see [`document`]), and a JSON number with a zero
//! fraction (`24.0`) is the integer it equals, as JSON Schema counts it.

use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::error::AppError;

/// Refuses blank query values; rewrites whole-number floats in JSON bodies to integers.
pub async fn requests(req: Request, next: Next) -> Response {
    if let Some(q) = req.uri().query() {
        for (name, value) in form_urlencoded::parse(q.as_bytes()) {
            if domain::text::trim(&value).is_empty() {
                return AppError::invalid(&name, format!("参数 {name} 不能为空（不筛选时请省略）"))
                    .into_response();
            }
        }
    }
    let json = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, crate::MAX_BODY).await else {
        return AppError::PayloadTooLarge("请求内容超过上限".into()).into_response();
    };
    // Not JSON (the operation's extractor answers 400), or nothing to rewrite: as sent.
    let bytes = match serde_json::from_slice::<Value>(&bytes) {
        Ok(mut v) => match whole_numbers(&mut v) {
            true => serde_json::to_vec(&v).map_or(bytes, Into::into),
            false => bytes,
        },
        Err(_) => bytes,
    };
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// Replaces every float with a zero fraction that fits an integer by that integer; whether
/// anything changed.
fn whole_numbers(v: &mut Value) -> bool {
    match v {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            // `i64::MAX as f64` is 2^63, outside i64; likewise for u64.
            let int = if f.fract() != 0.0 {
                None
            } else if f >= -(2f64.powi(63)) && f < 2f64.powi(63) {
                Some(Value::from(f as i64))
            } else if f >= 0.0 && f < 2f64.powi(64) {
                Some(Value::from(f as u64))
            } else {
                None
            };
            match int {
                Some(i) => {
                    *v = i;
                    true
                }
                None => false,
            }
        }
        Value::Array(items) => items.iter_mut().fold(false, |c, x| whole_numbers(x) | c),
        Value::Object(map) => map.values_mut().fold(false, |c, x| whole_numbers(x) | c),
        _ => false,
    }
}

/// States the first rule in the document: every text query parameter that names no values
/// and no pattern of its own must hold a non-blank character.
pub fn document(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::schema::{Schema, SchemaType, Type};
    let pattern = format!("[^{}", &domain::text::blank_class()[1..]);
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            for p in op.parameters.iter_mut().flatten() {
                if p.parameter_in != ParameterIn::Query {
                    continue;
                }
                if let Some(RefOr::T(Schema::Object(o))) = &mut p.schema {
                    let text = match &o.schema_type {
                        SchemaType::Type(t) => *t == Type::String,
                        SchemaType::Array(ts) => ts.contains(&Type::String),
                        SchemaType::AnyValue => false,
                    };
                    if text && o.enum_values.is_none() && o.pattern.is_none() {
                        o.pattern = Some(pattern.clone());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_floats_become_integers_and_others_stay() {
        let mut v = json!({"a": 24.0, "b": [1.5, -3.0, 1e300], "c": "24.0", "d": 7});
        assert!(whole_numbers(&mut v));
        assert_eq!(
            v,
            json!({"a": 24, "b": [1.5, -3, 1e300], "c": "24.0", "d": 7})
        );
        let mut same = json!({"x": 1, "y": [2, "z"]});
        assert!(!whole_numbers(&mut same));
    }
}
