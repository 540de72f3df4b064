//! Golden cases: `cases/<rule>/*.json`, each `{"description", "input", "expected"}` where
//! `expected` is a subset of the outcome (objects by key, arrays element by element), or
//! `{"description", "input", "error": {"field": "…"}}` for input the rule must refuse.
//! A failing case prints its whole explanation.

use std::path::PathBuf;

use serde_json::Value;

use crate::{EvalError, ParamSet, RULES, evaluate, render_text};

/// How many cases each rule must have at least.
const MINIMUM: &[(&str, usize)] = &[
    ("tax_credit", 40),
    ("certification", 15),
    ("land_supply", 15),
    ("apprenticeship", 15),
    ("pilot_city", 15),
];

/// Where `actual` differs from the `expected` subset, as a JSON path.
fn mismatch(expected: &Value, actual: &Value, path: &str) -> Option<String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e.iter().find_map(|(k, v)| match a.get(k) {
            Some(av) => mismatch(v, av, &format!("{path}.{k}")),
            None => Some(format!("{path}.{k}: missing in outcome")),
        }),
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                return Some(format!(
                    "{path}: expected {} elements, got {}",
                    e.len(),
                    a.len()
                ));
            }
            e.iter()
                .zip(a)
                .enumerate()
                .find_map(|(i, (ev, av))| mismatch(ev, av, &format!("{path}[{i}]")))
        }
        _ if expected == actual => None,
        _ => Some(format!("{path}: expected {expected}, got {actual}")),
    }
}

#[test]
fn golden_cases() {
    let params = ParamSet::embedded().unwrap();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cases");
    let mut failures = Vec::new();
    for (rule, _, _) in RULES {
        let dir = root.join(rule);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "json"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        let min = MINIMUM
            .iter()
            .find(|(r, _)| r == rule)
            .map(|(_, n)| *n)
            .unwrap_or(1);
        if files.len() < min {
            failures.push(format!(
                "{rule}: {} golden cases, at least {min} required",
                files.len()
            ));
        }
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let case: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            let input = case["input"].to_string();
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            match (
                evaluate(rule, &input, &params, true),
                case.get("expected"),
                case.get("error"),
            ) {
                (Ok(out), Some(expected), None) => {
                    if let Some(m) = mismatch(expected, &out["outcome"], "outcome") {
                        let trace = decode_trace(&out["trace"]);
                        failures.push(format!(
                            "{rule}/{name} ({}): {m}\noutcome: {}\ntrace:\n{trace}",
                            case["description"], out["outcome"]
                        ));
                    }
                }
                (Err(EvalError::Rule(e)), None, Some(err)) => {
                    let want = err["field"].as_str().unwrap_or("");
                    let got = EvalError::Rule(e.clone());
                    if !got.field().unwrap_or("").contains(want) {
                        failures.push(format!(
                            "{rule}/{name}: expected an error on {want}, got {got}"
                        ));
                    }
                }
                (Ok(out), None, Some(_)) => failures.push(format!(
                    "{rule}/{name}: expected an error, got {}",
                    out["outcome"]
                )),
                (Err(e), _, _) => failures.push(format!("{rule}/{name}: {e}")),
                _ => failures.push(format!(
                    "{rule}/{name}: a case needs exactly one of expected / error"
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden case(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

fn decode_trace(v: &Value) -> String {
    let steps: Vec<crate::Step> = v
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| crate::Step {
                    n: s["n"].as_u64().unwrap_or(0) as usize,
                    title: s["title"].as_str().unwrap_or("").into(),
                    text: s["text"].as_str().unwrap_or("").into(),
                    inputs: Default::default(),
                    params: Vec::new(),
                    result: s["result"].clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    render_text(&steps)
}
