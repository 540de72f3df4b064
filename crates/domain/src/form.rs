//! Typed fields of application kinds (and, later, registers), declared in their TOML files:
//! how a value is read from a form (strings) or from JSON, checked, stored (JSON), shown and
//! put back into a form. Every refusal is a Chinese sentence naming the field.
//!
//! ```toml
//! [[fields]]
//! name = "investment_fen"            # lowercase ASCII letters, digits and `_`, unique
//! label = "当年兴办职业教育投资额（元）"
//! type = "money"                      # see below
//! help = "按投资协议和付款凭证填写"      # optional, shown under the input
//! required = true                     # optional (default false)
//! ```
//!
//! Types and their keys:
//! - `bool` — 是/否, stored `true`/`false` (an unticked box is `false`).
//! - `integer` — `min` (default 0), `max` (default 4294967295); empty is 0 unless required.
//! - `money` — entered in yuan (two decimals, separators allowed), stored in integer fen,
//!   at most [`MONEY_MAX_FEN`]; empty is 0 unless required.
//! - `percent` — entered as a percentage with up to two decimals (`12.5`), stored in
//!   hundredths of a percent (`1250`), 0–100 %.
//! - `year` — a four-digit year in [`YEARS`]; always required.
//! - `date` — `YYYY-MM-DD`, stored as that text.
//! - `text` — `max_length` (default [`TEXT_MAX`]) characters, no NUL.
//! - `enum` — `options = [["code", "中文"], …]`, stored as the code.
//! - `district` — a division code of Chongqing's 41 districts and zones.
//! - `major` — a vocational major code (six digits, or six and `K`).
//! - `id_card` — a 居民身份证号码 (GB 11643, check character verified), shown masked.
//! - `org` — an organisation of `org_kind` (e.g. the bank the applicant chose), stored as its
//!   id; the caller checks that it exists and is of that kind, and shows its name.

use std::ops::RangeInclusive;

use serde::Serialize;
use serde_json::{Value, json};

use crate::ids::{DivisionCode, IdCardNumber, MajorCode};
use crate::numbers::count as thousands;

/// Years an application may be for.
pub const YEARS: RangeInclusive<i64> = 1990..=2100;
/// The longest text a field holds unless its `max_length` says otherwise.
pub const TEXT_MAX: usize = 2000;
/// The largest amount a money field holds, in fen (10^15 fen = 10 万亿元).
pub const MONEY_MAX_FEN: i64 = 1_000_000_000_000_000;

/// One field of a kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldDef {
    pub name: String,
    pub label: String,
    pub help: Option<String>,
    pub required: bool,
    #[serde(flatten)]
    pub ty: FieldType,
}

/// What a field holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldType {
    Bool,
    Integer { min: i64, max: i64 },
    Money,
    Percent,
    Year,
    Date,
    Text { max_length: usize },
    Enum { options: Vec<(String, String)> },
    District,
    Major,
    IdCard,
    Org { org_kind: crate::orgs::OrgKind },
}

impl FieldType {
    /// The type's code in kind files.
    pub fn code(&self) -> &'static str {
        match self {
            FieldType::Bool => "bool",
            FieldType::Integer { .. } => "integer",
            FieldType::Money => "money",
            FieldType::Percent => "percent",
            FieldType::Year => "year",
            FieldType::Date => "date",
            FieldType::Text { .. } => "text",
            FieldType::Enum { .. } => "enum",
            FieldType::District => "district",
            FieldType::Major => "major",
            FieldType::IdCard => "id_card",
            FieldType::Org { .. } => "org",
        }
    }
}

impl FieldDef {
    /// Whether a value must be given (years always).
    pub fn is_required(&self) -> bool {
        self.required || matches!(self.ty, FieldType::Year)
    }

    /// The stored value of an empty input: `false`, 0 for numbers that are not required,
    /// `""` for optional texts; `None` when the field must be filled in.
    fn empty(&self) -> Option<Value> {
        if self.is_required() {
            return match self.ty {
                FieldType::Bool => Some(json!(false)),
                _ => None,
            };
        }
        Some(match self.ty {
            FieldType::Bool => json!(false),
            FieldType::Integer { min, .. } => json!(min.max(0)),
            FieldType::Money | FieldType::Percent => json!(0),
            FieldType::Org { .. } => Value::Null,
            _ => json!(""),
        })
    }

    fn missing(&self) -> String {
        format!("请填写{}", self.label)
    }

    /// Reads a form input (trimmed text) into the stored value.
    pub fn from_form(&self, raw: &str) -> Result<Value, String> {
        let raw = raw.trim();
        if let FieldType::Bool = self.ty {
            return Ok(json!(matches!(raw, "1" | "true" | "on" | "是")));
        }
        if raw.is_empty() {
            return self.empty().ok_or_else(|| self.missing());
        }
        let label = &self.label;
        match &self.ty {
            FieldType::Bool => unreachable!("handled above"),
            FieldType::Integer { .. } | FieldType::Year | FieldType::Org { .. } => {
                let n: i64 = raw
                    .replace([',', '，'], "")
                    .parse()
                    .map_err(|_| format!("{label}应为整数"))?;
                self.checked(json!(n))
            }
            FieldType::Money => parse_decimal(raw, 2)
                .map_err(|_| format!("{label}：“{raw}”不是有效金额（非负数，最多两位小数）"))
                .and_then(|fen| self.checked(json!(fen))),
            FieldType::Percent => parse_decimal(raw.trim_end_matches(['%', '％']), 2)
                .map_err(|_| format!("{label}：“{raw}”不是有效百分比（如 12.5）"))
                .and_then(|h| self.checked(json!(h))),
            _ => self.checked(json!(raw)),
        }
    }

    /// Checks a JSON value (the API's typed data: money in fen, percent in hundredths) and
    /// returns the stored value; `null` reads as an empty input.
    pub fn from_json(&self, v: &Value) -> Result<Value, String> {
        if v.is_null() {
            return self.empty().ok_or_else(|| self.missing());
        }
        self.checked(v.clone())
    }

    /// The stored value if `v` is one this field holds, otherwise why not.
    fn checked(&self, v: Value) -> Result<Value, String> {
        let label = &self.label;
        if v.as_str().is_some_and(|t| t.trim().is_empty()) {
            return match (&self.ty, self.empty()) {
                (
                    FieldType::Text { .. }
                    | FieldType::Date
                    | FieldType::Enum { .. }
                    | FieldType::District
                    | FieldType::Major
                    | FieldType::IdCard,
                    Some(empty),
                ) => Ok(empty),
                (FieldType::Text { .. }, None) => Err(self.missing()),
                _ => Err(format!("{label}不能为空")),
            };
        }
        let int = |lo: i64, hi: i64, what: &str| {
            v.as_i64()
                .filter(|n| (lo..=hi).contains(n))
                .map(|n| json!(n))
                .ok_or_else(|| format!("{label}{what}"))
        };
        let text = || {
            v.as_str()
                .ok_or_else(|| format!("{label}应为文字"))
                .map(str::trim)
        };
        match &self.ty {
            FieldType::Bool => v
                .as_bool()
                .map(|b| json!(b))
                .ok_or_else(|| format!("{label}应为 true 或 false")),
            FieldType::Integer { min, max } => {
                let what = match (*min, *max == i64::from(u32::MAX)) {
                    (0, true) => "应为非负整数".to_owned(),
                    (lo, true) => format!("应为不小于{lo}的整数"),
                    (lo, false) => format!("应为{lo}至{max}之间的整数"),
                };
                int(*min, *max, &what)
            }
            FieldType::Money => int(
                0,
                MONEY_MAX_FEN,
                &format!("应为 0 至 {MONEY_MAX_FEN} 的整数（单位：分）"),
            ),
            FieldType::Percent => int(0, 10_000, "应为0至100%（以万分之一为单位存储，0至10000）"),
            FieldType::Year => int(
                *YEARS.start(),
                *YEARS.end(),
                &format!("应为{}—{}年之间的四位年份", YEARS.start(), YEARS.end()),
            ),
            FieldType::Date => {
                let t = text()?;
                chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .ok()
                    .filter(|_| t.len() == 10)
                    .map(|d| json!(d.format("%Y-%m-%d").to_string()))
                    .ok_or_else(|| format!("{label}应为日期，如 2026-03-31"))
            }
            FieldType::Text { max_length } => {
                let t = text()?;
                if t.contains('\0') {
                    Err(format!("{label}含有不允许的字符"))
                } else if t.chars().count() > *max_length {
                    Err(format!("{label}不能超过{max_length}字"))
                } else if t.is_empty() && self.is_required() {
                    Err(self.missing())
                } else {
                    Ok(json!(t))
                }
            }
            FieldType::Enum { options } => {
                let t = text()?;
                options
                    .iter()
                    .find(|(code, name)| code == t || name == t)
                    .map(|(code, _)| json!(code))
                    .ok_or_else(|| {
                        let names: Vec<&str> = options.iter().map(|(_, n)| n.as_str()).collect();
                        format!("{label}应为以下之一：{}", names.join("、"))
                    })
            }
            FieldType::District => {
                let t = text()?;
                crate::reference::AREAS
                    .iter()
                    .find(|a| a.code == t || a.name == t)
                    .map(|a| json!(a.code))
                    .or_else(|| {
                        DivisionCode::parse(t)
                            .ok()
                            .filter(|d| crate::reference::area(d.as_str()).is_some())
                            .map(|d| json!(d.as_str()))
                    })
                    .ok_or_else(|| format!("{label}应为重庆市的区县（如 渝中区 或 500103）"))
            }
            FieldType::Org { org_kind } => v
                .as_i64()
                .filter(|n| *n > 0)
                .map(|n| json!(n))
                .ok_or_else(|| format!("{label}应为一个{}", org_kind.label())),
            FieldType::Major => MajorCode::parse(text()?)
                .map(|m| json!(m.as_str()))
                .map_err(|e| format!("{label}：{e}")),
            FieldType::IdCard => IdCardNumber::parse(text()?)
                .map(|n| json!(n.as_str()))
                .map_err(|e| format!("{label}：{e}")),
        }
    }

    /// The stored value as pages show it: 是/否, yuan and counts with separators, percent,
    /// the option's label, the district's name, an ID number masked.
    pub fn display(&self, v: &Value) -> String {
        match &self.ty {
            FieldType::Bool => if v.as_bool() == Some(true) {
                "是"
            } else {
                "否"
            }
            .into(),
            FieldType::Integer { .. } => v.as_i64().map(thousands).unwrap_or_default(),
            FieldType::Money => v
                .as_i64()
                .map(|fen| format!("{}元", decimal(fen, true)))
                .unwrap_or_default(),
            FieldType::Percent => v
                .as_i64()
                .map(|h| format!("{}%", decimal(h, false)))
                .unwrap_or_default(),
            FieldType::Year => v.as_i64().map(|n| n.to_string()).unwrap_or_default(),
            FieldType::Org { .. } => v.as_i64().map(|n| format!("机构 {n}")).unwrap_or_default(),
            FieldType::Enum { options } => {
                let code = v.as_str().unwrap_or("");
                options
                    .iter()
                    .find(|(c, _)| c == code)
                    .map_or(code, |(_, n)| n.as_str())
                    .to_owned()
            }
            FieldType::District => {
                let code = v.as_str().unwrap_or("");
                crate::reference::area(code)
                    .map_or(code, |a| a.name)
                    .to_owned()
            }
            FieldType::IdCard => v
                .as_str()
                .and_then(|s| IdCardNumber::parse(s).ok())
                .map(|n| n.masked())
                .unwrap_or_default(),
            FieldType::Date | FieldType::Text { .. } | FieldType::Major => {
                v.as_str().unwrap_or("").to_owned()
            }
        }
    }

    /// The stored value put back into a form input (money in yuan, percent as a number).
    pub fn to_form(&self, v: &Value) -> String {
        match &self.ty {
            FieldType::Bool => if v.as_bool() == Some(true) { "1" } else { "0" }.into(),
            FieldType::Money => v
                .as_i64()
                .map(|fen| decimal(fen, false))
                .unwrap_or_default(),
            FieldType::Percent => v.as_i64().map(|h| decimal(h, false)).unwrap_or_default(),
            FieldType::Integer { .. } | FieldType::Year | FieldType::Org { .. } => {
                v.as_i64().map(|n| n.to_string()).unwrap_or_default()
            }
            _ => v.as_str().unwrap_or("").to_owned(),
        }
    }
}

/// Reads the `[[fields]]` of a kind file. Each refusal names the field's place.
pub fn parse_fields(values: &[toml::Value]) -> Result<Vec<FieldDef>, String> {
    let mut out: Vec<FieldDef> = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        let place = format!("第{}个字段", i + 1);
        let t = v
            .as_table()
            .ok_or_else(|| format!("{place}应为表（[[fields]]）"))?;
        let text = |key: &str| -> Result<Option<String>, String> {
            match t.get(key) {
                None => Ok(None),
                Some(toml::Value::String(s)) if !s.trim().is_empty() => {
                    Ok(Some(s.trim().to_owned()))
                }
                Some(_) => Err(format!("{place}：字段“{key}”应为非空字符串")),
            }
        };
        let name = text("name")?.ok_or_else(|| format!("{place}：缺少字段“name”"))?;
        let ok_name = name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && name.len() <= 64;
        if !ok_name {
            return Err(format!(
                "{place}：字段名“{name}”应由小写英文字母、数字和下划线组成"
            ));
        }
        let place = format!("字段“{name}”");
        if out.iter().any(|f| f.name == name) {
            return Err(format!("{place}重复"));
        }
        let label = text("label")?.ok_or_else(|| format!("{place}：缺少字段“label”"))?;
        let help = text("help")?;
        let required = match t.get("required") {
            None => false,
            Some(toml::Value::Boolean(b)) => *b,
            Some(_) => return Err(format!("{place}：“required”应为 true 或 false")),
        };
        let ty_code = text("type")?.ok_or_else(|| format!("{place}：缺少字段“type”"))?;
        let int = |key: &str| -> Result<Option<i64>, String> {
            match t.get(key) {
                None => Ok(None),
                Some(toml::Value::Integer(n)) => Ok(Some(*n)),
                Some(_) => Err(format!("{place}：“{key}”应为整数")),
            }
        };
        let mut allowed = vec!["name", "label", "help", "required", "type"];
        let ty = match ty_code.as_str() {
            "bool" => FieldType::Bool,
            "integer" => {
                allowed.extend(["min", "max"]);
                let min = int("min")?.unwrap_or(0);
                let max = int("max")?.unwrap_or(i64::from(u32::MAX));
                if min > max {
                    return Err(format!("{place}：最小值{min}大于最大值{max}"));
                }
                FieldType::Integer { min, max }
            }
            "money" => FieldType::Money,
            "percent" => FieldType::Percent,
            "year" => FieldType::Year,
            "date" => FieldType::Date,
            "text" => {
                allowed.push("max_length");
                let max = int("max_length")?.unwrap_or(TEXT_MAX as i64);
                if !(1..=TEXT_MAX as i64).contains(&max) {
                    return Err(format!("{place}：“max_length”应为1至{TEXT_MAX}"));
                }
                FieldType::Text {
                    max_length: max as usize,
                }
            }
            "enum" => {
                allowed.push("options");
                let bad =
                    || format!("{place}：“options”应为 [[\"代码\", \"中文名称\"], …]，至少一项");
                let list = t
                    .get("options")
                    .and_then(|o| o.as_array())
                    .ok_or_else(bad)?;
                let mut options = Vec::new();
                for o in list {
                    let pair = o.as_array().filter(|p| p.len() == 2).ok_or_else(bad)?;
                    match (pair[0].as_str(), pair[1].as_str()) {
                        (Some(c), Some(n)) if !c.is_empty() && !n.is_empty() => {
                            if options.iter().any(|(x, _): &(String, String)| x == c) {
                                return Err(format!("{place}：选项“{c}”重复"));
                            }
                            options.push((c.to_owned(), n.to_owned()));
                        }
                        _ => return Err(bad()),
                    }
                }
                if options.is_empty() {
                    return Err(bad());
                }
                FieldType::Enum { options }
            }
            "district" => FieldType::District,
            "major" => FieldType::Major,
            "id_card" => FieldType::IdCard,
            "org" => {
                allowed.push("org_kind");
                let k = text("org_kind")?
                    .ok_or_else(|| format!("{place}：机构字段须写明“org_kind”"))?;
                let org_kind = crate::orgs::OrgKind::parse(&k)
                    .ok_or_else(|| format!("{place}：未知的机构类型“{k}”"))?;
                FieldType::Org { org_kind }
            }
            other => {
                return Err(format!(
                    "{place}：未知的字段类型“{other}”（应为 bool、integer、money、percent、year、date、text、enum、district、major、id_card 或 org）"
                ));
            }
        };
        if let Some(k) = t.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(format!("{place}：不支持的字段“{k}”"));
        }
        out.push(FieldDef {
            name,
            label,
            help,
            required,
            ty,
        });
    }
    Ok(out)
}

/// A non-negative decimal with up to `places` decimals, in hundredths (for two places).
fn parse_decimal(text: &str, places: usize) -> Result<i64, ()> {
    let t: String = text.chars().filter(|c| *c != ',' && *c != '，').collect();
    let (int, frac) = t.split_once('.').unwrap_or((&t, ""));
    let digits = |x: &str| x.chars().all(|c| c.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || frac.len() > places {
        return Err(());
    }
    let whole: i64 = int.parse().map_err(|_| ())?;
    let part: i64 = format!("{frac:0<places$}").parse().unwrap_or(0);
    whole
        .checked_mul(10_i64.pow(places as u32))
        .and_then(|v| v.checked_add(part))
        .ok_or(())
}

/// Hundredths as a decimal with two places, grouped by thousands when `grouped`.
fn decimal(hundredths: i64, grouped: bool) -> String {
    let sign = if hundredths < 0 { "-" } else { "" };
    let n = hundredths.unsigned_abs();
    let whole = (n / 100) as i64;
    let w = if grouped {
        thousands(whole)
    } else {
        whole.to_string()
    };
    format!("{sign}{w}.{:02}", n % 100)
}

#[cfg(test)]
mod tests;
