//! Rules as code for the 13 measures: dated, cited parameters; pure rules; every decision with
//! its explanation. No IO besides reading parameter files.

pub mod money;
pub mod params;
pub mod rules;
pub mod trace;

#[cfg(test)]
mod cases;

use serde::Serialize;

pub use params::{ParamError, ParamSet};
pub use rules::{Rule, RuleError};
pub use trace::{Decision, Step, Trace, render_text};

use rules::{
    apprenticeship::Apprenticeship, certification::Certification, land::LandSupply,
    pilot_city::PilotCity, tax_credit::TaxCredit,
};

/// The rules by name: (name, Chinese title, measure).
pub const RULES: &[(&str, &str, u8)] = &[
    (TaxCredit::NAME, TaxCredit::TITLE, TaxCredit::MEASURE),
    (
        Certification::NAME,
        Certification::TITLE,
        Certification::MEASURE,
    ),
    (LandSupply::NAME, LandSupply::TITLE, LandSupply::MEASURE),
    (
        Apprenticeship::NAME,
        Apprenticeship::TITLE,
        Apprenticeship::MEASURE,
    ),
    (PilotCity::NAME, PilotCity::TITLE, PilotCity::MEASURE),
];

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    #[error(
        "未知的规则“{0}”，可用规则：tax_credit、certification、land_supply、apprenticeship、pilot_city"
    )]
    UnknownRule(String),
    #[error("输入不是有效的 JSON：{0}")]
    Json(String),
    #[error("输入无效：{0}")]
    Rule(#[from] RuleError),
}

impl EvalError {
    /// The offending input field, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            EvalError::Rule(RuleError::Input { field, .. }) => Some(field),
            _ => None,
        }
    }
}

fn run<R: Rule>(
    json: &str,
    params: &ParamSet,
    explain: bool,
) -> Result<serde_json::Value, EvalError> {
    let de = &mut serde_json::Deserializer::from_str(json);
    let input: R::Input = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return EvalError::Json(inner.to_string());
        }
        let msg = inner.to_string();
        // A missing field is reported at its parent; name the field itself.
        let missing = msg
            .strip_prefix("missing field `")
            .and_then(|r| r.split('`').next())
            .map(str::to_string);
        let field = match (path.as_str(), missing) {
            (".", Some(m)) => m,
            (".", None) => "(输入)".to_string(),
            (p, Some(m)) => format!("{p}.{m}"),
            (p, None) => p.to_string(),
        };
        EvalError::Rule(RuleError::input(field, translate_serde(&msg)))
    })?;
    let mut trace = if explain {
        Trace::enabled()
    } else {
        Trace::disabled()
    };
    let outcome = R::evaluate(&input, params, &mut trace)?;
    Ok(serde_json::to_value(Decision {
        outcome,
        trace: trace.into_steps(),
    })
    .unwrap_or_default())
}

/// serde's messages, in Chinese where we recognise them.
fn translate_serde(msg: &str) -> String {
    let msg = msg.split(" at line ").next().unwrap_or(msg);
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        let name = rest.split(',').next().unwrap_or(rest);
        return format!("不认识的字段 {name}");
    }
    if let Some(rest) = msg.strip_prefix("missing field ") {
        return format!("缺少字段 {rest}");
    }
    if msg.starts_with("invalid type") {
        return format!("类型错误（{msg}）");
    }
    if let Some(rest) = msg.strip_prefix("unknown variant ") {
        let name = rest.split(',').next().unwrap_or(rest);
        return format!("不支持的取值 {name}（{msg}）");
    }
    if msg.starts_with("invalid value") {
        return format!("取值无效（{msg}）");
    }
    msg.to_string()
}

/// Evaluates rule `name` on a JSON input; returns `{"outcome": …, "trace": […]}` (the trace
/// empty unless `explain`).
pub fn evaluate(
    name: &str,
    json: &str,
    params: &ParamSet,
    explain: bool,
) -> Result<serde_json::Value, EvalError> {
    match name {
        TaxCredit::NAME => run::<TaxCredit>(json, params, explain),
        Certification::NAME => run::<Certification>(json, params, explain),
        LandSupply::NAME => run::<LandSupply>(json, params, explain),
        Apprenticeship::NAME => run::<Apprenticeship>(json, params, explain),
        PilotCity::NAME => run::<PilotCity>(json, params, explain),
        other => Err(EvalError::UnknownRule(other.to_string())),
    }
}

/// A serialisable view of every parameter with its history (for pages and the API).
#[derive(Debug, Serialize)]
pub struct ParamListing<'a> {
    pub items: Vec<&'a params::Param>,
}
