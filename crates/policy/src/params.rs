//! Dated, cited policy parameters.
//!
//! Each file under `params/` is a TOML table of parameters; a parameter's full key is
//! `<file stem>.<name>`. Every parameter has a description, a type, a unit, the measure it
//! belongs to, and one or more values, each in force `from` a date `to` a date (inclusive; the
//! last may stay open), each with its `source` (document number + article) and a `verified`
//! flag (false where the value is a modelled default awaiting the operator's confirmation).
//!
//! ```toml
//! [credit_rate]
//! description = "投资额抵免比例"
//! type = "rate"          # rate | integer | bool | text
//! unit = "比例"
//! measure = 12
//! [[credit_rate.values]]
//! from = "2019-01-01"
//! value = "0.30"
//! source = "财税〔2019〕46号 第三条"
//! verified = true
//! ```
//!
//! Loading checks everything and names the file and key of the first problem: unknown fields,
//! wrong value types, missing sources, periods out of order, overlapping or leaving a gap.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::money::Rate;

/// The parameter files shipped in the binary: (file stem, contents).
pub const EMBEDDED: &[(&str, &str)] = &[
    ("tax_credit", include_str!("../params/tax_credit.toml")),
    (
        "certification",
        include_str!("../params/certification.toml"),
    ),
    ("land", include_str!("../params/land.toml")),
    (
        "apprenticeship",
        include_str!("../params/apprenticeship.toml"),
    ),
    ("pilot_city", include_str!("../params/pilot_city.toml")),
    ("majors", include_str!("../params/majors.toml")),
    ("workflow", include_str!("../params/workflow.toml")),
    ("jobs", include_str!("../params/jobs.toml")),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamType {
    Rate,
    Integer,
    Bool,
    Text,
}

/// A typed parameter value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Rate(Rate),
    Integer(i64),
    Bool(bool),
    Text(String),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Rate(r) => write!(f, "{r}"),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Bool(b) => write!(f, "{}", if *b { "是" } else { "否" }),
            Value::Text(t) => write!(f, "{t}"),
        }
    }
}

/// One period of a parameter.
#[derive(Debug, Clone, Serialize)]
pub struct Period {
    pub from: NaiveDate,
    /// Last day in force (inclusive); `None` while still in force.
    pub to: Option<NaiveDate>,
    pub value: Value,
    pub source: String,
    pub verified: bool,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Param {
    pub key: String,
    pub description: String,
    #[serde(rename = "type")]
    pub ty: ParamType,
    pub unit: String,
    pub measure: Option<u8>,
    /// Which file it came from (embedded stem or override path).
    pub origin: String,
    pub values: Vec<Period>,
}

/// A description's short form, for naming a parameter in running text: the description up to
/// its first parenthetical remark (`紧缺专业的需求供给比下限（岗位需求 ÷ …）` → `紧缺专业的需求供给比下限`).
pub fn short_label(description: &str) -> &str {
    let cut = description
        .find(['（', '('])
        .filter(|i| *i > 0)
        .unwrap_or(description.len());
    description[..cut].trim()
}

impl Param {
    /// The period in force on `date`.
    pub fn at(&self, date: NaiveDate) -> Option<&Period> {
        self.values
            .iter()
            .find(|p| p.from <= date && p.to.is_none_or(|t| date <= t))
    }
}

/// A parameter value as a decision used it: what, from where, in force when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Used {
    pub key: String,
    pub description: String,
    pub value: Value,
    pub unit: String,
    pub measure: Option<u8>,
    pub source: String,
    pub verified: bool,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

impl Used {
    /// How running text names the parameter: its description's short form ([`short_label`]).
    pub fn label(&self) -> &str {
        short_label(&self.description)
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamError {
    #[error("参数文件 {file} 无法解析：{message}")]
    Syntax { file: String, message: String },
    #[error("参数文件 {file} 中 {key}：{message}")]
    Invalid {
        file: String,
        key: String,
        message: String,
    },
    #[error("参数 {key} 不存在")]
    Unknown { key: String },
    /// Named by its description for the people who read it; the key is for programs.
    #[error("政策参数“{}”在 {date} 没有有效值", short_label(.description))]
    NoValue {
        key: String,
        description: String,
        date: NaiveDate,
    },
    #[error("参数 {key} 的类型是 {actual:?}，此处需要 {expected:?}")]
    WrongType {
        key: String,
        expected: ParamType,
        actual: ParamType,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParam {
    description: String,
    #[serde(rename = "type")]
    ty: ParamType,
    unit: String,
    #[serde(default)]
    measure: Option<u8>,
    values: Vec<RawPeriod>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPeriod {
    from: String,
    #[serde(default)]
    to: Option<String>,
    value: toml::Value,
    #[serde(default)]
    source: Option<String>,
    verified: bool,
    #[serde(default)]
    note: Option<String>,
}

/// All parameters, by full key.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ParamSet {
    params: BTreeMap<String, Param>,
}

fn parse_date(file: &str, key: &str, what: &str, s: &str) -> Result<NaiveDate, ParamError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| ParamError::Invalid {
        file: file.into(),
        key: key.into(),
        message: format!("{what}日期“{s}”应为 YYYY-MM-DD"),
    })
}

fn parse_file(stem: &str, origin: &str, text: &str) -> Result<Vec<Param>, ParamError> {
    let raw: BTreeMap<String, RawParam> = toml::from_str(text).map_err(|e| ParamError::Syntax {
        file: origin.into(),
        message: e.to_string(),
    })?;
    let mut out = Vec::new();
    for (name, p) in raw {
        let key = format!("{stem}.{name}");
        let invalid = |message: String| ParamError::Invalid {
            file: origin.into(),
            key: key.clone(),
            message,
        };
        if p.description.trim().is_empty() {
            return Err(invalid("缺少说明（description）".into()));
        }
        if p.values.is_empty() {
            return Err(invalid("没有任何取值（values）".into()));
        }
        if let Some(m) = p.measure
            && !(1..=13).contains(&m)
        {
            return Err(invalid(format!("措施编号 {m} 不在 1—13 之间")));
        }
        let mut values = Vec::new();
        for (i, v) in p.values.into_iter().enumerate() {
            let n = i + 1;
            let from = parse_date(origin, &key, &format!("第{n}个取值的起始"), &v.from)?;
            let to = match &v.to {
                Some(t) => Some(parse_date(origin, &key, &format!("第{n}个取值的截止"), t)?),
                None => None,
            };
            if let Some(t) = to
                && t < from
            {
                return Err(invalid(format!("第{n}个取值截止日期早于起始日期")));
            }
            let source = v.source.unwrap_or_default();
            if source.trim().is_empty() {
                return Err(invalid(format!("第{n}个取值缺少出处（source）")));
            }
            let value = match (p.ty, &v.value) {
                (ParamType::Rate, toml::Value::String(s)) => {
                    Value::Rate(Rate::parse(s).map_err(|e| invalid(format!("第{n}个取值：{e}")))?)
                }
                (ParamType::Integer, toml::Value::Integer(i)) => Value::Integer(*i),
                (ParamType::Bool, toml::Value::Boolean(b)) => Value::Bool(*b),
                (ParamType::Text, toml::Value::String(s)) => Value::Text(s.clone()),
                (ty, other) => {
                    return Err(invalid(format!(
                        "第{n}个取值类型不符：应为 {ty:?}（比例写作字符串如 \"0.30\"），实为 {}",
                        other.type_str()
                    )));
                }
            };
            values.push(Period {
                from,
                to,
                value,
                source,
                verified: v.verified,
                note: v.note,
            });
        }
        for w in values.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            let Some(end) = a.to else {
                return Err(invalid(format!(
                    "取值 {} 起未设截止日期，之后不能再有取值",
                    a.from
                )));
            };
            if b.from <= end {
                return Err(invalid(format!(
                    "取值期间重叠：{} 起的取值与截止于 {end} 的取值重叠（或顺序颠倒）",
                    b.from
                )));
            }
            if b.from != end.succ_opt().unwrap_or(end) {
                return Err(invalid(format!(
                    "取值期间有空档：{end} 之后到 {} 之前没有取值",
                    b.from
                )));
            }
        }
        out.push(Param {
            key,
            description: p.description,
            ty: p.ty,
            unit: p.unit,
            measure: p.measure,
            origin: origin.into(),
            values,
        });
    }
    Ok(out)
}

impl ParamSet {
    /// Parses a set from (stem, contents) pairs; later files replace earlier parameters
    /// with the same key.
    pub fn from_sources<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
    ) -> Result<ParamSet, ParamError> {
        let mut set = ParamSet::default();
        for (stem, origin, text) in files {
            for p in parse_file(stem, origin, text)? {
                set.params.insert(p.key.clone(), p);
            }
        }
        Ok(set)
    }

    /// The parameters shipped in the binary.
    pub fn embedded() -> Result<ParamSet, ParamError> {
        Self::from_sources(EMBEDDED.iter().map(|(stem, text)| (*stem, *stem, *text)))
    }

    /// The shipped parameters, with every `*.toml` file of `dir` replacing the parameters it
    /// names (the file stem is the namespace, as in `params/`).
    pub fn with_overrides(dir: &Path) -> Result<ParamSet, ParamError> {
        let mut files: Vec<(String, String, String)> = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|e| ParamError::Syntax {
            file: dir.display().to_string(),
            message: format!("无法读取目录：{e}"),
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("toml") {
                continue;
            }
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let text = std::fs::read_to_string(&path).map_err(|e| ParamError::Syntax {
                file: path.display().to_string(),
                message: e.to_string(),
            })?;
            files.push((stem, path.display().to_string(), text));
        }
        files.sort();
        let embedded = EMBEDDED.iter().map(|(stem, text)| (*stem, *stem, *text));
        let overrides = files
            .iter()
            .map(|(s, o, t)| (s.as_str(), o.as_str(), t.as_str()));
        Self::from_sources(embedded.chain(overrides))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Param> {
        self.params.values()
    }

    pub fn param(&self, key: &str) -> Result<&Param, ParamError> {
        self.params
            .get(key)
            .ok_or_else(|| ParamError::Unknown { key: key.into() })
    }

    /// The value of `key` on `date`, with its citation.
    pub fn get(&self, key: &str, date: NaiveDate) -> Result<Used, ParamError> {
        let p = self.param(key)?;
        let v = p.at(date).ok_or_else(|| ParamError::NoValue {
            key: key.into(),
            description: p.description.clone(),
            date,
        })?;
        Ok(Used {
            key: p.key.clone(),
            description: p.description.clone(),
            value: v.value.clone(),
            unit: p.unit.clone(),
            measure: p.measure,
            source: v.source.clone(),
            verified: v.verified,
            from: v.from,
            to: v.to,
        })
    }

    pub fn rate(&self, key: &str, date: NaiveDate) -> Result<(Rate, Used), ParamError> {
        let u = self.get(key, date)?;
        match u.value {
            Value::Rate(r) => Ok((r, u)),
            _ => Err(self.wrong(key, ParamType::Rate)),
        }
    }

    pub fn integer(&self, key: &str, date: NaiveDate) -> Result<(i64, Used), ParamError> {
        let u = self.get(key, date)?;
        match u.value {
            Value::Integer(i) => Ok((i, u)),
            _ => Err(self.wrong(key, ParamType::Integer)),
        }
    }

    pub fn boolean(&self, key: &str, date: NaiveDate) -> Result<(bool, Used), ParamError> {
        let u = self.get(key, date)?;
        match u.value {
            Value::Bool(b) => Ok((b, u)),
            _ => Err(self.wrong(key, ParamType::Bool)),
        }
    }

    pub fn text(&self, key: &str, date: NaiveDate) -> Result<(String, Used), ParamError> {
        let u = self.get(key, date)?;
        match &u.value {
            Value::Text(t) => Ok((t.clone(), u)),
            _ => Err(self.wrong(key, ParamType::Text)),
        }
    }

    fn wrong(&self, key: &str, expected: ParamType) -> ParamError {
        let actual = self.params.get(key).map(|p| p.ty).unwrap_or(expected);
        ParamError::WrongType {
            key: key.into(),
            expected,
            actual,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    const GOOD: &str = r#"
[rate]
description = "比例"
type = "rate"
unit = "比例"
measure = 12
[[rate.values]]
from = "2019-01-01"
to = "2025-12-25"
value = "0.30"
source = "文件甲 第三条"
verified = true
[[rate.values]]
from = "2025-12-26"
value = "0.25"
source = "文件乙 第二条"
verified = false
"#;

    #[test]
    fn parameters_are_named_in_chinese_for_people() {
        assert_eq!(
            short_label("紧缺专业的需求供给比下限（岗位需求 ÷ 毕业生数，达到即为紧缺）"),
            "紧缺专业的需求供给比下限"
        );
        assert_eq!(short_label("投资额抵免比例"), "投资额抵免比例");
        let s = ParamSet::from_sources([("t", "t.toml", GOOD)]).unwrap();
        let e = s.rate("t.rate", d("2018-12-31")).unwrap_err().to_string();
        assert_eq!(e, "政策参数“比例”在 2018-12-31 没有有效值");
    }

    #[test]
    fn looks_up_the_value_in_force() {
        let s = ParamSet::from_sources([("t", "t.toml", GOOD)]).unwrap();
        let (r, u) = s.rate("t.rate", d("2025-12-25")).unwrap();
        assert_eq!(r.to_string(), "0.3");
        assert!(u.verified);
        let (r, u) = s.rate("t.rate", d("2030-01-01")).unwrap();
        assert_eq!(r.to_string(), "0.25");
        assert_eq!(u.source, "文件乙 第二条");
        assert!(!u.verified);
        assert!(matches!(
            s.rate("t.rate", d("2018-12-31")),
            Err(ParamError::NoValue { .. })
        ));
        assert!(matches!(
            s.integer("t.rate", d("2020-01-01")),
            Err(ParamError::WrongType { .. })
        ));
        assert!(matches!(
            s.get("t.nope", d("2020-01-01")),
            Err(ParamError::Unknown { .. })
        ));
    }

    fn err(text: &str) -> String {
        ParamSet::from_sources([("t", "t.toml", text)])
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn rejects_bad_files_naming_file_and_key() {
        let overlap = GOOD.replace("from = \"2025-12-26\"", "from = \"2025-12-01\"");
        assert!(
            err(&overlap).contains("t.toml 中 t.rate：取值期间重叠"),
            "{}",
            err(&overlap)
        );
        let gap = GOOD.replace("from = \"2025-12-26\"", "from = \"2026-01-05\"");
        assert!(err(&gap).contains("空档"));
        let nosource = GOOD.replace("source = \"文件乙 第二条\"\n", "");
        assert!(err(&nosource).contains("缺少出处"));
        let wrongtype = GOOD.replace("value = \"0.25\"", "value = 25");
        assert!(err(&wrongtype).contains("类型不符"));
        let open_then_more = GOOD.replace("to = \"2025-12-25\"\n", "");
        assert!(err(&open_then_more).contains("未设截止日期"));
        let unknown = GOOD.replace("unit = \"比例\"", "unit = \"比例\"\ncolour = \"red\"");
        assert!(err(&unknown).contains("t.toml"));
        let baddate = GOOD.replace("2019-01-01", "2019/01/01");
        assert!(err(&baddate).contains("YYYY-MM-DD"));
        assert!(err("[x\n").contains("无法解析"));
    }

    #[test]
    fn shipped_parameters_load_and_every_value_is_cited() {
        let s = ParamSet::embedded().expect("shipped parameter files are valid");
        for p in s.iter() {
            assert!(!p.values.is_empty(), "{}", p.key);
            for v in &p.values {
                assert!(!v.source.trim().is_empty(), "{}", p.key);
            }
        }
    }
}
