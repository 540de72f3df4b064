//! Rules as code over the API: evaluate a rule, list the policy parameters.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::ApiCaller;
use crate::error::{AppResult, ErrorBody};

/// Evaluates a rule (`tax_credit`, `certification`, `land_supply`, `apprenticeship`,
/// `pilot_city`) on the JSON input; answers `{"outcome": …, "trace": […]}` — the decision and
/// every step of its explanation with the parameters and sources used.
#[utoipa::path(post, path = "/rules/{rule}/evaluate", tag = "rules",
    params(RulePath),
    request_body(content = Object, description = "规则输入（JSON）"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "决定及其解释", body = Object),
        (status = 401, description = "未登录", body = ErrorBody),
        (status = 404, description = "没有这条规则", body = ErrorBody),
        (status = 422, description = "输入无效（message 指明字段）", body = ErrorBody)))]
pub async fn evaluate(
    State(state): State<AppState>,
    ApiCaller(_caller): ApiCaller,
    Path(rule): Path<String>,
    body: Bytes,
) -> AppResult<Json<Value>> {
    super::evaluate(&state, &rule, &body).map(Json)
}

/// Replaces the generic `/rules/{rule}/evaluate` operation of the served document by one
/// operation per rule, each with that rule's input schema as its request body (the route
/// itself stays one: a name the platform does not have is 404).
pub fn document(doc: &mut Value) {
    let generic = format!("{}/rules/{{rule}}/evaluate", crate::api::PREFIX);
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let Some(template) = paths.remove(&generic) else {
        return;
    };
    for (name, title, measure) in policy::RULES {
        let Some(schema) = policy::input_schema(name) else {
            continue;
        };
        let mut item = template.clone();
        if let Some(op) = item.get_mut("post").and_then(Value::as_object_mut) {
            op.remove("parameters");
            op.insert("operationId".into(), format!("evaluate_{name}").into());
            op.insert(
                "summary".into(),
                format!("{title}（措施{measure}）：计算并给出解释").into(),
            );
            op.insert(
                "requestBody".into(),
                serde_json::json!({
                    "description": format!("{title}的输入"),
                    "required": true,
                    "content": {"application/json": {"schema": schema}}
                }),
            );
            if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
                responses.remove("404");
            }
        }
        paths.insert(
            format!("{}/rules/{name}/evaluate", crate::api::PREFIX),
            item,
        );
    }
}

/// The rule named in the path.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // documents the path; the handler reads it as text
struct RulePath {
    /// The rule's name
    #[param(schema_with = crate::api::vocab::rule_name)]
    rule: String,
}

#[derive(Serialize, ToSchema)]
pub struct ParameterList {
    /// Every parameter with its full history of values, sources and verification flags.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Value>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Every policy parameter with its history (public: the rules are published).
#[utoipa::path(get, path = "/policy/parameters", tag = "rules",
    responses((status = 200, description = "全部政策参数", body = ParameterList)))]
pub async fn parameters(State(state): State<AppState>) -> Json<ParameterList> {
    let items: Vec<Value> = state
        .params
        .iter()
        .map(|p| serde_json::to_value(p).unwrap_or_default())
        .collect();
    let n = items.len() as i64;
    Json(ParameterList {
        items,
        total: n,
        page: 1,
        per_page: n.max(1),
    })
}
