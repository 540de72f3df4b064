//! Rules as code for the 13 measures: dated, cited parameters; pure rules; every decision with
//! its explanation. No IO besides reading parameter files.

pub mod money;
pub mod params;
pub mod rules;
pub(crate) mod schema;
pub mod trace;

#[cfg(test)]
mod cases;

use std::sync::OnceLock;

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
        let message = match &missing {
            Some(m) => match R::field_hint(m) {
                Some(hint) => format!("缺少字段 {m}（{hint}）"),
                None => format!("缺少字段 {m}"),
            },
            None => translate_serde(&msg),
        };
        let field = match (path.as_str(), missing) {
            (".", Some(m)) => m,
            (".", None) => "(输入)".to_string(),
            (p, Some(m)) => format!("{p}.{m}"),
            (p, None) => p.to_string(),
        };
        EvalError::Rule(RuleError::input(field, message))
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

/// The JSON Schema (draft 2020-12) of rule `name`'s input, for the shipped parameters; `None`
/// for an unknown rule. See [`input_schema_with`].
pub fn input_schema(name: &str) -> Option<serde_json::Value> {
    static SHIPPED: OnceLock<Option<ParamSet>> = OnceLock::new();
    let params = SHIPPED.get_or_init(|| ParamSet::embedded().ok()).as_ref()?;
    input_schema_with(name, params)
}

/// The JSON Schema (draft 2020-12) of rule `name`'s input under `params` (the dates the
/// parameters are in force and the lists they define are part of it); `None` for an unknown
/// rule.
///
/// Self-contained: every subschema is inlined (no `$ref`, no `$defs`) and there is no
/// `$schema` key, so it can be embedded in an OpenAPI 3.1 document as it is. A body the schema
/// accepts is accepted by [`evaluate`] with the same parameters, except where a constraint
/// relates several values in a way JSON Schema cannot state (each rule's `Input` documents
/// them); a body it refuses is refused.
pub fn input_schema_with(name: &str, params: &ParamSet) -> Option<serde_json::Value> {
    Some(match name {
        TaxCredit::NAME => schema_of::<TaxCredit>(params),
        Certification::NAME => schema_of::<Certification>(params),
        LandSupply::NAME => schema_of::<LandSupply>(params),
        Apprenticeship::NAME => schema_of::<Apprenticeship>(params),
        PilotCity::NAME => schema_of::<PilotCity>(params),
        _ => return None,
    })
}

fn schema_of<R: Rule>(params: &ParamSet) -> serde_json::Value {
    let mut schema = schema::derive::<R::Input>();
    if let Some(m) = schema.as_object_mut() {
        m.insert(
            "title".into(),
            format!("{}（{}）输入", R::TITLE, R::NAME).into(),
        );
    }
    R::refine_schema(&mut schema, params);
    schema
}

/// A serialisable view of every parameter with its history (for pages and the API).
#[derive(Debug, Serialize)]
pub struct ParamListing<'a> {
    pub items: Vec<&'a params::Param>,
}
