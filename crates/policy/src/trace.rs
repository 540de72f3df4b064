//! Explanations: every decision returns its outcome and the ordered steps that produced it,
//! each with its inputs, the parameter values it used (with their sources) and its result.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::params::Used;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// 1-based position in the trace.
    pub n: usize,
    /// A short Chinese label, e.g. “计算教育费附加”.
    pub title: String,
    /// The step in words, with its figures, in Chinese.
    pub text: String,
    pub inputs: BTreeMap<String, Value>,
    pub params: Vec<Used>,
    pub result: Value,
}

impl Step {
    pub fn new(title: impl Into<String>, text: impl Into<String>) -> Step {
        Step {
            n: 0,
            title: title.into(),
            text: text.into(),
            inputs: BTreeMap::new(),
            params: Vec::new(),
            result: Value::Null,
        }
    }

    pub fn input(mut self, name: &str, v: impl Serialize) -> Step {
        self.inputs.insert(
            name.to_string(),
            serde_json::to_value(v).unwrap_or(Value::Null),
        );
        self
    }

    pub fn param(mut self, used: &Used) -> Step {
        self.params.push(used.clone());
        self
    }

    pub fn result(mut self, v: impl Serialize) -> Step {
        self.result = serde_json::to_value(v).unwrap_or(Value::Null);
        self
    }
}

/// Collects steps when enabled; when disabled, the closures that build them never run, so a
/// rule costs nothing extra in bulk runs.
#[derive(Debug, Default)]
pub struct Trace {
    enabled: bool,
    steps: Vec<Step>,
}

impl Trace {
    pub fn enabled() -> Trace {
        Trace {
            enabled: true,
            steps: Vec::new(),
        }
    }

    pub fn disabled() -> Trace {
        Trace {
            enabled: false,
            steps: Vec::new(),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    pub fn record(&mut self, build: impl FnOnce() -> Step) {
        if self.enabled {
            let mut s = build();
            s.n = self.steps.len() + 1;
            self.steps.push(s);
        }
    }

    pub fn into_steps(self) -> Vec<Step> {
        self.steps
    }
}

/// A computed decision: what was decided and why.
#[derive(Debug, Clone, Serialize)]
pub struct Decision<O> {
    pub outcome: O,
    pub trace: Vec<Step>,
}

/// The trace as Chinese text, one numbered step per paragraph, each parameter cited.
pub fn render_text(steps: &[Step]) -> String {
    let mut out = String::new();
    for s in steps {
        out.push_str(&format!("{}. {}：{}\n", s.n, s.title, s.text));
        for p in &s.params {
            let period = match p.to {
                Some(t) => format!("{}至{}", p.from, t),
                None => format!("{}起", p.from),
            };
            let measure = p.measure.map(|m| format!("；措施{m}")).unwrap_or_default();
            let verified = if p.verified {
                ""
            } else {
                "；默认值，待运营方确认"
            };
            out.push_str(&format!(
                "   依据：{}（{}）= {} {}；{}；{}{}{}\n",
                p.description, p.key, p.value, p.unit, p.source, period, measure, verified
            ));
        }
    }
    out
}
