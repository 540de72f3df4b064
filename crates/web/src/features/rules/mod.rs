//! Rules as code: a rule evaluated on its JSON input, with the decision's explanation (the
//! trace), and the policy parameters in force. The calculators' pages, the parameters' page
//! and `POST /api/v1/rules/{rule}/evaluate`, `GET /api/v1/policy/parameters`. The trace view
//! other features show stays shared in `crate::pages::trace`.

pub mod api;
pub mod pages;

use policy::EvalError;
use serde_json::Value;

use crate::AppState;
use crate::error::{AppError, AppResult};

impl From<EvalError> for AppError {
    fn from(e: EvalError) -> Self {
        let field = match &e {
            EvalError::UnknownRule(_) => "rule".to_string(),
            EvalError::Json(_) => "body".to_string(),
            EvalError::Rule(policy::RuleError::Input { field, .. }) => field.clone(),
            EvalError::Rule(policy::RuleError::Param(_)) => "parameters".to_string(),
        };
        AppError::invalid(&field, e.to_string())
    }
}

/// Evaluates the rule named `rule` on `body` (JSON text) with the parameters in force:
/// `{"outcome": …, "trace": […]}`. A rule the platform does not have is not found.
pub fn evaluate(state: &AppState, rule: &str, body: &[u8]) -> AppResult<Value> {
    if !policy::RULES.iter().any(|(name, _, _)| *name == rule) {
        return Err(AppError::NotFound("规则"));
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| AppError::invalid("body", "请求体不是 UTF-8 文本"))?;
    Ok(policy::evaluate(rule, text, &state.params, true)?)
}
