//! Requests to the API read the way its OpenAPI document says, for every route at once:
//! a query parameter given blank is refused (absent means "no filter"; the document's text
//! parameters require a non-blank character, see [`document`]), a JSON number with a zero
//! fraction (`24.0`) is the integer it equals, as JSON Schema counts it, and integers stay
//! within ±[`MAX_SAFE_INTEGER`] (what every JSON reader holds exactly; the document says so on
//! every integer of a request, see [`request_constraints`]).

use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::error::AppError;

/// The largest integer the API takes or gives: 2^53 − 1, exact in every JSON reader.
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// Refuses blank query values and integers beyond ±[`MAX_SAFE_INTEGER`]; rewrites
/// whole-number floats in JSON bodies to integers.
pub async fn requests(req: Request, next: Next) -> Response {
    if let Some(q) = req.uri().query() {
        for (name, value) in form_urlencoded::parse(q.as_bytes()) {
            if value.contains('\0') || name.contains('\0') {
                return AppError::invalid("query", "查询参数不能含有 NUL 字符").into_response();
            }
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
        Ok(mut v) => {
            if has_nul(&v) {
                return AppError::invalid("body", "文字中不能含有 NUL 字符").into_response();
            }
            let changed = whole_numbers(&mut v);
            if let Some(n) = unsafe_integer(&v) {
                return AppError::invalid(
                    "body",
                    format!("整数 {n} 超出范围（绝对值不超过 {MAX_SAFE_INTEGER}）"),
                )
                .into_response();
            }
            match changed {
                true => serde_json::to_vec(&v).map_or(bytes, Into::into),
                false => bytes,
            }
        }
        Err(_) => bytes,
    };
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// Whether a string (or key) in `v` holds a NUL character, which no stored text may hold.
fn has_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map.iter().any(|(k, x)| k.contains('\0') || has_nul(x)),
        _ => false,
    }
}

/// The first integer in `v` beyond ±[`MAX_SAFE_INTEGER`].
fn unsafe_integer(v: &Value) -> Option<&serde_json::Number> {
    match v {
        Value::Number(n) => {
            let safe = match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => i.abs() <= MAX_SAFE_INTEGER,
                (None, Some(_)) => false,
                (None, None) => true, // a fraction
            };
            (!safe).then_some(n)
        }
        Value::Array(items) => items.iter().find_map(unsafe_integer),
        Value::Object(map) => map.values().find_map(unsafe_integer),
        _ => None,
    }
}

/// States on every request schema of the served document (parameters and bodies, with the
/// components they name) what [`requests`] holds for all requests.
pub fn request_constraints(doc: &mut Value) {
    let mut components = std::collections::BTreeSet::new();
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for op in item.values_mut().filter_map(Value::as_object_mut) {
                if let Some(ps) = op.get_mut("parameters").and_then(Value::as_array_mut) {
                    ps.iter_mut()
                        .filter_map(|p| p.get_mut("schema"))
                        .for_each(common_constraints);
                }
                if let Some(body) = op.get_mut("requestBody") {
                    refs(body, &mut components);
                    common_constraints(body);
                }
            }
        }
    }
    for name in components {
        if let Some(schema) = doc.pointer_mut(&format!("/components/schemas/{name}")) {
            common_constraints(schema);
        }
    }
}

/// The component schemas `v` names by `$ref`.
fn refs(v: &Value, out: &mut std::collections::BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                out.insert(name.to_string());
            }
            map.values().for_each(|x| refs(x, out));
        }
        Value::Array(items) => items.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

/// On one schema and all inside it: integers within ±[`MAX_SAFE_INTEGER`] (bounds beyond, or
/// none, become those) and text without NUL (a text schema that names no values and no
/// pattern of its own gets `^[^\u0000]*$`).
pub fn common_constraints(v: &mut Value) {
    match v {
        Value::Object(map) => {
            let is_text = match map.get("type") {
                Some(Value::String(t)) => t == "string",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
                _ => false,
            };
            if is_text
                && !map.contains_key("enum")
                && !map.contains_key("const")
                && !map.contains_key("pattern")
            {
                map.insert(
                    "pattern".into(),
                    format!("^{}*$", domain::text::NOT_NUL).into(),
                );
            }
            let is_int = match map.get("type") {
                Some(Value::String(t)) => t == "integer",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "integer"),
                _ => false,
            };
            if is_int {
                let clamp = |x: Option<&Value>, default: i64, pick: fn(i64, i64) -> i64| {
                    x.and_then(Value::as_f64)
                        .map_or(default, |f| pick(f.clamp(-9e18, 9e18) as i64, default))
                };
                let max = clamp(map.get("maximum"), MAX_SAFE_INTEGER, i64::min);
                let min = clamp(map.get("minimum"), -MAX_SAFE_INTEGER, i64::max);
                map.insert("maximum".into(), max.into());
                map.insert("minimum".into(), min.into());
                map.remove("format");
            }
            map.values_mut().for_each(common_constraints);
        }
        Value::Array(items) => items.iter_mut().for_each(common_constraints),
        _ => {}
    }
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
    let any = domain::text::NOT_NUL;
    let pattern = format!(
        "^{any}*[^\\u0000{}{any}*$",
        &domain::text::blank_class()[1..]
    );
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

    #[test]
    fn integers_beyond_the_safe_range_and_nul_are_found_and_stated_in_the_document() {
        assert!(has_nul(&json!({"a": ["x", {"b\u{0}": 1}]})));
        assert!(!has_nul(&json!({"a": ["x", {"b": "渝"}]})));
        assert!(unsafe_integer(&json!({"a": [1, MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER]})).is_none());
        assert!(unsafe_integer(&json!({"a": [1.5, {"b": MAX_SAFE_INTEGER + 1}]})).is_some());
        assert!(unsafe_integer(&json!(u64::MAX)).is_some());
        let mut doc = json!({"p": {"type": "integer", "format": "int64", "minimum": 0,
            "maximum": i64::MAX}, "q": {"type": ["integer", "null"]}, "r": {"type": "string"},
            "s": {"type": "string", "enum": ["a"]}});
        common_constraints(&mut doc);
        assert_eq!(
            doc["p"],
            json!({"type": "integer", "minimum": 0, "maximum": MAX_SAFE_INTEGER})
        );
        assert_eq!(doc["q"]["minimum"], json!(-MAX_SAFE_INTEGER));
        assert_eq!(
            doc["r"],
            json!({"type": "string", "pattern": "^[^\\u0000]*$"})
        );
        assert_eq!(doc["s"], json!({"type": "string", "enum": ["a"]}));
    }
}
