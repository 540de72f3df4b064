//! JSON Schemas of the rules' inputs.
//!
//! Each rule's input type derives [`schemars::JsonSchema`] with attributes stating what the
//! rule checks (required fields, unknown fields refused, ranges, lengths, enums, date shape).
//! [`derive`] turns it into a self-contained draft 2020-12 schema — every subschema inlined, no
//! `$schema` key — so that it can be embedded in an OpenAPI 3.1 document; then the rule
//! completes it from the parameters ([`crate::Rule::refine_schema`]): the dates on which its
//! parameters are in force (as a `pattern`, since JSON Schema has no date range), and lists
//! the parameters define.
//!
//! Patterns use `[0-9]`, not `\d`: in Python's and Rust's regular expressions `\d` also
//! matches non-ASCII digits, which the rules refuse.

use chrono::{Datelike, NaiveDate};
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::params::ParamSet;

/// The shape of a date, `YYYY-MM-DD` (the calendar check is `format: date`).
pub const DATE_SHAPE: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";

/// The schema of `T`, self-contained: subschemas inlined, no `$schema`, every `int32` /
/// `int64` integer bounded to its type's range (JSON Schema integers are unbounded; serde
/// refuses what does not fit).
pub(crate) fn derive<T: JsonSchema>() -> Value {
    let settings = SchemaSettings::draft2020_12().for_deserialize().with(|s| {
        s.inline_subschemas = true;
        s.meta_schema = None;
    });
    let mut v = settings
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value();
    if let Value::Object(m) = &mut v {
        m.remove("$schema");
    }
    bound_integers(&mut v);
    v
}

fn bound_integers(v: &mut Value) {
    match v {
        Value::Object(m) => {
            let bounds = match m.get("format").and_then(Value::as_str) {
                Some("int64") => Some((json!(i64::MIN), json!(i64::MAX))),
                Some("int32") => Some((json!(i32::MIN), json!(i32::MAX))),
                _ => None,
            };
            if let Some((min, max)) = bounds {
                m.entry("minimum").or_insert(min);
                m.entry("maximum").or_insert(max);
            }
            m.values_mut().for_each(bound_integers);
        }
        Value::Array(a) => a.iter_mut().for_each(bound_integers),
        _ => {}
    }
}

/// The subschema at a JSON pointer (e.g. `/properties/date`), if there is one.
pub(crate) fn at<'a>(schema: &'a mut Value, pointer: &str) -> Option<&'a mut Map<String, Value>> {
    schema.pointer_mut(pointer).and_then(Value::as_object_mut)
}

/// The days on which a set of parameters all have a value: from the latest first day to the
/// earliest last day (inclusive; `None`: unbounded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Window {
    /// The window of every parameter whose key `keep` selects. A parameter's periods are
    /// contiguous (the loader refuses gaps), so it has a value from its first period's first
    /// day to its last period's last day.
    pub fn of(params: &ParamSet, keep: impl Fn(&str) -> bool) -> Window {
        let mut w = Window {
            from: None,
            to: None,
        };
        for p in params.iter().filter(|p| keep(&p.key)) {
            if let Some(first) = p.values.first() {
                w.from = w.from.max(Some(first.from));
            }
            if let Some(to) = p.values.last().and_then(|l| l.to) {
                w.to = Some(w.to.map_or(to, |t| t.min(to)));
            }
        }
        w
    }

    /// The window of the parameters of one file (`<stem>.…`).
    pub fn of_file(params: &ParamSet, stem: &str) -> Window {
        let prefix = format!("{stem}.");
        Window::of(params, |k| k.starts_with(&prefix))
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from.is_none_or(|f| f <= d) && self.to.is_none_or(|t| d <= t)
    }

    /// A pattern matching the `YYYY-MM-DD` strings of the window's days (and only strings of
    /// that shape; whether the day exists is `format: date`'s part). Fixed-width dates order
    /// as strings order, so this is a lexicographic range.
    pub fn pattern(&self) -> String {
        if self.from.is_none() && self.to.is_none() {
            return DATE_SHAPE.into();
        }
        let lo = self.from.map(ymd).unwrap_or_else(|| "0000-00-00".into());
        let hi = self.to.map(ymd).unwrap_or_else(|| "9999-99-99".into());
        if lo > hi {
            // Empty window: no date string matches the empty string.
            return "^$".into();
        }
        format!("^{}$", between(lo.as_bytes(), hi.as_bytes()))
    }

    /// The window in words, for a schema's description.
    pub fn describe(&self) -> String {
        match (self.from, self.to) {
            (Some(f), Some(t)) => format!("Accepted from {f} to {t}"),
            (Some(f), None) => format!("Accepted from {f}"),
            (None, Some(t)) => format!("Accepted up to {t}"),
            (None, None) => "Any date".into(),
        }
    }

    /// The years whose December 31 lies in the window, within `min..=max`.
    pub fn year_ends(&self, min: i32, max: i32) -> (i32, i32) {
        let lo = self.from.map_or(min, |f| f.year().max(min));
        let hi = self.to.map_or(max, |t| {
            let last = if (t.month(), t.day()) == (12, 31) {
                t.year()
            } else {
                t.year() - 1
            };
            last.min(max)
        });
        (lo, hi)
    }
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Sets a date property's schema: `format: date` and the window's pattern (a property that is
/// also allowed to be `null` keeps that: both keywords apply to strings only).
pub(crate) fn constrain_date(schema: &mut Value, pointer: &str, window: &Window) {
    let Some(s) = at(schema, pointer) else {
        return;
    };
    s.insert("format".into(), json!("date"));
    s.insert("pattern".into(), json!(window.pattern()));
    let described = match s.get("description").and_then(Value::as_str) {
        Some(d) => format!("{d} {}.", window.describe()),
        None => format!("{}.", window.describe()),
    };
    s.insert("description".into(), json!(described));
}

fn digits(a: u8, b: u8) -> String {
    if a == b {
        (a as char).to_string()
    } else {
        format!("[{}-{}]", a as char, b as char)
    }
}

/// Any string of the shape of `s`: a digit for each digit, the same separators.
fn any(s: &[u8]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < s.len() {
        if s[i].is_ascii_digit() {
            let n = s[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            out.push_str("[0-9]");
            if n > 1 {
                out.push_str(&format!("{{{n}}}"));
            }
            i += n;
        } else {
            out.push(s[i] as char);
            i += 1;
        }
    }
    out
}

fn with_digits(s: &[u8], d: u8) -> Vec<u8> {
    s.iter()
        .map(|&c| if c.is_ascii_digit() { d } else { c })
        .collect()
}

/// A regex (unanchored) for the strings of the shape of `lo` (digits and fixed separators;
/// `hi` has the same shape) that lie between `lo` and `hi` inclusive, as strings.
fn between(lo: &[u8], hi: &[u8]) -> String {
    let (Some(&a), Some(&b)) = (lo.first(), hi.first()) else {
        return String::new();
    };
    let (lo_rest, hi_rest) = (&lo[1..], &hi[1..]);
    if a == b {
        return format!("{}{}", a as char, between(lo_rest, hi_rest));
    }
    let lo_is_least = lo_rest == with_digits(lo_rest, b'0').as_slice();
    let hi_is_greatest = hi_rest == with_digits(hi_rest, b'9').as_slice();
    let mut alts = Vec::new();
    let first = if lo_is_least {
        a
    } else {
        alts.push(format!(
            "{}{}",
            a as char,
            between(lo_rest, &with_digits(lo_rest, b'9'))
        ));
        a + 1
    };
    let last = if hi_is_greatest { b } else { b - 1 };
    if first <= last {
        alts.push(format!("{}{}", digits(first, last), any(lo_rest)));
    }
    if !hi_is_greatest {
        alts.push(format!(
            "{}{}",
            b as char,
            between(&with_digits(hi_rest, b'0'), hi_rest)
        ));
    }
    if alts.len() == 1 {
        alts.remove(0)
    } else {
        format!("(?:{})", alts.join("|"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn unbounded_window_is_the_date_shape() {
        let w = Window {
            from: None,
            to: None,
        };
        assert_eq!(w.pattern(), DATE_SHAPE);
    }

    #[test]
    fn window_patterns_match_exactly_the_days_of_the_window() {
        let windows = [
            (Some("2019-01-01"), None),
            (Some("2023-11-01"), None),
            (Some("2025-12-26"), Some("2031-02-28")),
            (None, Some("2000-09-30")),
            (Some("2024-02-29"), Some("2024-02-29")),
            (Some("0001-01-01"), Some("9999-12-31")),
        ];
        for (from, to) in windows {
            let w = Window {
                from: from.map(d),
                to: to.map(d),
            };
            let schema = json!({"type": "string", "pattern": w.pattern()});
            let v = jsonschema::validator_for(&schema).unwrap();
            let mut day = d("1998-01-01");
            while day <= d("2032-12-31") {
                let s = ymd(day);
                assert_eq!(v.is_valid(&json!(s)), w.contains(day), "{s} in {w:?}");
                day = day.succ_opt().unwrap();
            }
            for s in ["0001-01-01", "0999-12-31", "9999-12-31", "5000-06-15"] {
                assert_eq!(v.is_valid(&json!(s)), w.contains(d(s)), "{s} in {w:?}");
            }
            for bad in [
                "2024-1-01",
                "20240101",
                " 2024-01-01",
                "2024-01-01 ",
                "２０２４-01-01",
            ] {
                assert!(!v.is_valid(&json!(bad)), "{bad}");
            }
        }
    }

    #[test]
    fn year_ends_follow_the_window() {
        let w = Window {
            from: Some(d("2011-01-01")),
            to: Some(d("2030-12-30")),
        };
        assert_eq!(w.year_ends(1990, 2100), (2011, 2029));
        let w = Window {
            from: Some(d("2005-10-01")),
            to: None,
        };
        assert_eq!(w.year_ends(1990, 2100), (2005, 2100));
    }
}
