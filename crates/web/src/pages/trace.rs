//! The trace view every feature shows a decision's explanation with (`_trace.html`): its
//! steps, each with the parameters it cites, their values as people read them.

use policy::money::yuan;
use serde_json::Value;

/// A parameter as a trace step cites it: by its Chinese description; the key is for operators.
pub struct CiteView {
    pub description: String,
    /// The description's short form, beside the key in the operators' details.
    pub label: String,
    pub key: String,
    pub value: String,
    pub unit: String,
    pub source: String,
    pub period: String,
    pub verified: bool,
}

/// A step of a decision's explanation, with the parameters it cites.
pub struct StepView {
    pub title: String,
    pub text: String,
    pub params: Vec<CiteView>,
}

/// A trace value as text: strings as written, null as nothing, booleans as 是/否.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Bool(b) => {
            if *b {
                "是".into()
            } else {
                "否".into()
            }
        }
        other => other.to_string(),
    }
}

/// A parameter's value as people read it, with its unit: proportions as percentages (`30%`),
/// amounts in fen as yuan (`100,000.00 元`), other numbers with their digits grouped
/// (`1,000,000 人`), anything else as written with its unit.
pub fn plain_value(value: &str, unit: &str) -> (String, String) {
    match unit {
        "比例" | "比例（0—1）" => match policy::money::Rate::parse(value) {
            Ok(r) => (r.percent(), String::new()),
            Err(_) => (value.to_string(), unit.to_string()),
        },
        "人民币分" => match value.parse::<i64>() {
            Ok(fen) => (yuan(fen).trim_end_matches('元').to_string(), "元".into()),
            Err(_) => (value.to_string(), unit.to_string()),
        },
        _ if value.parse::<f64>().is_ok() => (crate::numbers::group(value), unit.to_string()),
        _ => (value.to_string(), unit.to_string()),
    }
}

fn period(from: &Value, to: &Value) -> String {
    match to {
        Value::Null => format!("{}起", text(from)),
        t => format!("{}至{}", text(from), text(t)),
    }
}

/// The trace of a decision, for the `_trace.html` partial.
pub fn trace_view(trace: &Value) -> Vec<StepView> {
    trace
        .as_array()
        .map(|steps| {
            steps
                .iter()
                .map(|st| StepView {
                    title: text(&st["title"]),
                    text: text(&st["text"]),
                    params: st["params"]
                        .as_array()
                        .map(|ps| {
                            ps.iter()
                                .map(|p| {
                                    let (value, unit) =
                                        plain_value(&text(&p["value"]), &text(&p["unit"]));
                                    let description = text(&p["description"]);
                                    CiteView {
                                        label: policy::params::short_label(&description)
                                            .to_string(),
                                        description,
                                        key: text(&p["key"]),
                                        value,
                                        unit,
                                        source: text(&p["source"]),
                                        period: period(&p["from"], &p["to"]),
                                        verified: p["verified"].as_bool().unwrap_or(false),
                                    }
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default()
}
