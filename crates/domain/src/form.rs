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
//! - `text` — `max_length` (default [`TEXT_MAX`]) characters, no NUL; `pattern`, a regular
//!   expression (the `regex` crate's syntax) the whole value must match (an empty optional value
//!   is not checked), compiled when the kind is loaded; `pattern_message`, what a value that does
//!   not match is told, after the label (`项目编号：应为4位数字`; default `项目编号格式不正确`).
//! - `enum` — `options = [["code", "中文"], …]`, stored as the code.
//! - `district` — a division code of Chongqing's 41 districts and zones.
//! - `major` — a vocational major code (six digits, or six and `K`).
//! - `id_card` — a 居民身份证号码 (GB 11643, check character verified), shown masked.
//! - `org` — an organisation of `org_kind` (e.g. the bank the applicant chose), stored as its
//!   id; the caller checks that it exists and is of that kind, and shows its name.
//! - `occupation` — an occupation of 《职业分类大典（2022年版）》, `d-dd-dd-dd` such as
//!   `2-02-10-03` (a group's shorter code is refused); full-width hyphens are read as `-`.
//! - `credit_code` — a 统一社会信用代码 (GB 32100, check character verified), stored upper-case.
//! - `attachment` — a named slot for a file: `content_types` (default every type the platform
//!   accepts, [`ATTACHMENT_TYPES`]). Not part of the data: the file is an attachment of the
//!   application uploaded into the slot (its newest file fills it); a required slot must be
//!   filled before the application is submitted.
//! - `group` — rows of its own `[[fields.fields]]` (single-value types only: not `group`,
//!   `attachment` or `org`), stored as an array of objects; `min_rows` (default 0, 1 when
//!   required), `max_rows` (default [`GROUP_DEFAULT_MAX_ROWS`], at most [`GROUP_MAX_ROWS`]),
//!   `sum = { field = "share", equals = 100 }` (the column's rows add up to `equals`, in the
//!   unit it is entered in: percentage points, yuan or a whole number; checked when there are
//!   rows). In a form, a row's inputs are named `group[0].field`, `group[1].field`, …; a row
//!   whose inputs are all blank (a yes/no input at 否) is ignored. Errors name the row:
//!   `股东信息第2行：持股比例须为0至100之间的数`.
//!
//! ```toml
//! [[fields]]
//! name = "shareholders"
//! label = "股东信息"
//! type = "group"
//! min_rows = 1
//! sum = { field = "share", equals = 100 }   # before the columns: keys after them are theirs
//! [[fields.fields]]
//! name = "share"
//! label = "持股比例"
//! type = "percent"
//! required = true
//! ```

use std::collections::{BTreeMap, HashMap};
use std::ops::RangeInclusive;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::ids::{CreditCode, DivisionCode, IdCardNumber, MajorCode, OccupationCode};
use crate::numbers::count as thousands;

/// Years an application may be for.
pub const YEARS: RangeInclusive<i64> = 1990..=2100;
/// The longest text a field holds unless its `max_length` says otherwise.
pub const TEXT_MAX: usize = 2000;
/// The largest amount a money field holds, in fen (10^15 fen = 10 万亿元).
pub const MONEY_MAX_FEN: i64 = 1_000_000_000_000_000;

/// The most rows a group may allow (`max_rows`).
pub const GROUP_MAX_ROWS: usize = 200;
/// A group's `max_rows` unless it says otherwise.
pub const GROUP_DEFAULT_MAX_ROWS: usize = 50;
/// Row numbers a form's group inputs may carry (`group[9999].field` at most); inputs beyond
/// are not rows of the form.
const FORM_ROW_INDEX_LIMIT: usize = 10_000;

/// The files an attachment slot may take: the content types the platform recognises by
/// content, with their Chinese names.
pub const ATTACHMENT_TYPES: [(&str, &str); 4] = [
    ("application/pdf", "PDF 文档"),
    ("image/png", "PNG 图片"),
    ("image/jpeg", "JPEG 图片"),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Excel 表格",
    ),
];

/// What a file of this content type is, in Chinese (`PDF 文档`).
pub fn content_type_name(content_type: &str) -> &'static str {
    ATTACHMENT_TYPES
        .iter()
        .find(|(c, _)| *c == content_type)
        .map_or("其他文件", |(_, n)| *n)
}

/// A text field's `pattern`: a regular expression the whole value must match, compiled once
/// when the kind is loaded, and what a value that does not match is told.
#[derive(Debug, Clone)]
pub struct TextPattern {
    source: String,
    regex: regex::Regex,
    message: Option<String>,
}

impl TextPattern {
    /// Compiles `source` (anchored: the whole value must match); the error is the regex
    /// crate's own description of the fault.
    pub fn new(source: &str, message: Option<String>) -> Result<Self, String> {
        let regex = regex::RegexBuilder::new(&format!("^(?:{source})$"))
            .size_limit(1 << 20)
            .build()
            .map_err(|e| {
                let detail = e.to_string();
                let last = detail.lines().rev().find(|l| !l.trim().is_empty());
                last.unwrap_or(&detail)
                    .trim()
                    .trim_start_matches("error: ")
                    .to_owned()
            })?;
        Ok(TextPattern {
            source: source.to_owned(),
            regex,
            message,
        })
    }

    /// The expression as the kind file writes it.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The expression anchored at both ends, as a JSON Schema `pattern` reads it.
    pub fn anchored(&self) -> String {
        format!("^(?:{})$", self.source)
    }

    /// The kind file's `pattern_message`, if any.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

impl PartialEq for TextPattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source && self.message == other.message
    }
}

impl Eq for TextPattern {}

impl Serialize for TextPattern {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("TextPattern", 2)?;
        st.serialize_field("regex", &self.source)?;
        st.serialize_field("message", &self.message)?;
        st.end()
    }
}

/// A group's check that one column's rows add up to a total (`sum = { field, equals }`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SumCheck {
    /// The column (a nested field's name).
    pub field: String,
    /// The total, stored as the column stores values (percent in hundredths, money in fen).
    pub equals: i64,
}

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
    Integer {
        min: i64,
        max: i64,
    },
    Money,
    Percent,
    Year,
    Date,
    Text {
        max_length: usize,
        #[serde(skip_serializing_if = "Option::is_none")]
        pattern: Option<TextPattern>,
    },
    Enum {
        options: Vec<(String, String)>,
    },
    District,
    Major,
    IdCard,
    Org {
        org_kind: crate::orgs::OrgKind,
    },
    Occupation,
    CreditCode,
    /// A slot for a file (not part of the data).
    Attachment {
        content_types: Vec<String>,
    },
    /// Rows of the nested fields, stored as an array of objects.
    Group {
        fields: Vec<FieldDef>,
        min_rows: usize,
        max_rows: usize,
        #[serde(skip_serializing_if = "Option::is_none")]
        sum: Option<SumCheck>,
    },
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
            FieldType::Occupation => "occupation",
            FieldType::CreditCode => "credit_code",
            FieldType::Attachment { .. } => "attachment",
            FieldType::Group { .. } => "group",
        }
    }
}

impl FieldDef {
    /// Whether a value must be given (years always; a group with `min_rows` above 0).
    pub fn is_required(&self) -> bool {
        match self.ty {
            FieldType::Year => true,
            FieldType::Group { min_rows, .. } => self.required || min_rows > 0,
            _ => self.required,
        }
    }

    /// Whether the field is part of the application's data (everything but attachment slots,
    /// which hold files).
    pub fn holds_data(&self) -> bool {
        !matches!(self.ty, FieldType::Attachment { .. })
    }

    /// The stored value of an empty input: `false`, 0 for numbers that are not required,
    /// `""` for optional texts, no rows for an optional group; `None` when the field must be
    /// filled in.
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
            FieldType::Org { .. } | FieldType::Attachment { .. } => Value::Null,
            FieldType::Group { .. } => json!([]),
            _ => json!(""),
        })
    }

    fn missing(&self) -> String {
        format!("请填写{}", self.label)
    }

    /// Reads a form input (trimmed text) into the stored value. A group reads its rows from
    /// the whole form ([`FieldDef::read_form`]); from one input it has none.
    pub fn from_form(&self, raw: &str) -> Result<Value, String> {
        let raw = raw.trim();
        match self.ty {
            FieldType::Bool => return Ok(json!(truthy(raw))),
            FieldType::Group { .. } => return self.group_checks(Vec::new()),
            FieldType::Attachment { .. } => return Ok(Value::Null),
            _ => {}
        }
        if raw.is_empty() {
            return self.empty().ok_or_else(|| self.missing());
        }
        let label = &self.label;
        match &self.ty {
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
                .and_then(|h| {
                    if h > 10_000 {
                        Err(format!("{label}须为0至100之间的数"))
                    } else {
                        self.checked(json!(h))
                    }
                }),
            _ => self.checked(json!(raw)),
        }
    }

    /// Reads the field from a submitted form (every input by name): a single input, or a
    /// group's `name[i].field` inputs. A group reports every row's faults.
    pub fn read_form(&self, form: &HashMap<String, String>) -> Result<Value, Vec<String>> {
        let FieldType::Group { fields, .. } = &self.ty else {
            let raw = form.get(&self.name).map_or("", String::as_str);
            return self.from_form(raw).map_err(|e| vec![e]);
        };
        let mut rows = Vec::new();
        let mut errs = Vec::new();
        for (i, cells) in self.form_rows(form) {
            if self.row_is_blank(&cells) {
                continue;
            }
            let mut row = Map::new();
            for f in fields {
                match f.from_form(cells.get(f.name.as_str()).copied().unwrap_or("")) {
                    Ok(v) => {
                        row.insert(f.name.clone(), v);
                    }
                    Err(m) => errs.push(self.row_error(i + 1, &m)),
                }
            }
            rows.push(Value::Object(row));
        }
        if errs.is_empty() {
            self.group_checks(rows).map_err(|e| vec![e])
        } else {
            Err(errs)
        }
    }

    /// A group's rows as a form posted them: by row index (from 0), each row's inputs by
    /// column name. Inputs that name no column, or a row at or beyond 10,000, are not rows.
    pub fn form_rows<'a>(
        &self,
        form: &'a HashMap<String, String>,
    ) -> BTreeMap<usize, HashMap<&'a str, &'a str>> {
        let mut rows: BTreeMap<usize, HashMap<&str, &str>> = BTreeMap::new();
        let FieldType::Group { fields, .. } = &self.ty else {
            return rows;
        };
        for (key, value) in form {
            let Some((index, column)) = key
                .strip_prefix(self.name.as_str())
                .and_then(|r| r.strip_prefix('['))
                .and_then(|r| r.split_once("]."))
            else {
                continue;
            };
            let Some(i) = index
                .parse::<usize>()
                .ok()
                .filter(|i| *i < FORM_ROW_INDEX_LIMIT && index.bytes().all(|b| b.is_ascii_digit()))
            else {
                continue;
            };
            if fields.iter().any(|f| f.name == column) {
                rows.entry(i).or_default().insert(column, value.as_str());
            }
        }
        rows
    }

    /// Whether a group's form row holds nothing: every input blank, a yes/no input at 否.
    pub fn row_is_blank(&self, cells: &HashMap<&str, &str>) -> bool {
        let FieldType::Group { fields, .. } = &self.ty else {
            return true;
        };
        fields.iter().all(|f| {
            let raw = cells.get(f.name.as_str()).map_or("", |v| v.trim());
            raw.is_empty() || (matches!(f.ty, FieldType::Bool) && !truthy(raw))
        })
    }

    /// The name of a group's input: `shareholders[0].share`.
    pub fn input_name(&self, row: usize, column: &str) -> String {
        format!("{}[{row}].{column}", self.name)
    }

    fn row_error(&self, row: usize, message: &str) -> String {
        format!("{}第{row}行：{message}", self.label)
    }

    /// Checks a JSON value (the API's typed data: money in fen, percent in hundredths) and
    /// returns the stored value; `null` reads as an empty input.
    pub fn from_json(&self, v: &Value) -> Result<Value, String> {
        match self.ty {
            FieldType::Group { .. } => return self.group_from_json(v),
            FieldType::Attachment { .. } => {
                return Err(format!(
                    "{}是附件，请在申报页面上传文件，不在申报内容中填写",
                    self.label
                ));
            }
            _ => {}
        }
        if v.is_null() {
            return self.empty().ok_or_else(|| self.missing());
        }
        self.checked(v.clone())
    }

    fn group_from_json(&self, v: &Value) -> Result<Value, String> {
        let FieldType::Group {
            fields, max_rows, ..
        } = &self.ty
        else {
            return Err(self.missing());
        };
        let label = &self.label;
        let rows: &[Value] = match v {
            Value::Null => &[],
            Value::Array(rows) => rows,
            _ => return Err(format!("{label}应为由各行组成的数组（每行一个对象）")),
        };
        if rows.len() > *max_rows {
            return Err(format!("{label}最多填写{max_rows}行"));
        }
        let mut out = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            let obj = row
                .as_object()
                .ok_or_else(|| format!("{label}第{}行应为对象（各列为其属性）", i + 1))?;
            if let Some(k) = obj.keys().find(|k| !fields.iter().any(|f| &f.name == *k)) {
                return Err(self.row_error(i + 1, &format!("不认识的字段 {k}")));
            }
            let mut checked = Map::new();
            for f in fields {
                let v = f
                    .from_json(obj.get(&f.name).unwrap_or(&Value::Null))
                    .map_err(|m| self.row_error(i + 1, &m))?;
                checked.insert(f.name.clone(), v);
            }
            out.push(Value::Object(checked));
        }
        self.group_checks(out)
    }

    /// A group's checks over its rows: how many, and the column that must add up.
    fn group_checks(&self, rows: Vec<Value>) -> Result<Value, String> {
        let FieldType::Group {
            fields,
            min_rows,
            max_rows,
            sum,
        } = &self.ty
        else {
            return Err(self.missing());
        };
        let label = &self.label;
        let min = if self.required {
            (*min_rows).max(1)
        } else {
            *min_rows
        };
        if rows.len() < min {
            return Err(format!("{label}至少填写{min}行"));
        }
        if rows.len() > *max_rows {
            return Err(format!("{label}最多填写{max_rows}行"));
        }
        if let Some(check) = sum
            && !rows.is_empty()
            && let Some(column) = fields.iter().find(|f| f.name == check.field)
        {
            let total = rows
                .iter()
                .map(|r| r[&check.field].as_i64().unwrap_or(0))
                .fold(0_i64, i64::saturating_add);
            if total != check.equals {
                return Err(format!(
                    "{label}：各行{}合计应为{}，现为{}",
                    column.label,
                    column.display(&json!(check.equals)),
                    column.display(&json!(total))
                ));
            }
        }
        Ok(Value::Array(rows))
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
                    | FieldType::IdCard
                    | FieldType::Occupation
                    | FieldType::CreditCode,
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
            FieldType::Text {
                max_length,
                pattern,
            } => {
                let t = text()?;
                if t.contains('\0') {
                    Err(format!("{label}含有不允许的字符"))
                } else if t.chars().count() > *max_length {
                    Err(format!("{label}不能超过{max_length}字"))
                } else if t.is_empty() && self.is_required() {
                    Err(self.missing())
                } else if let Some(p) = pattern
                    && !t.is_empty()
                    && !p.is_match(t)
                {
                    Err(match p.message() {
                        Some(m) => format!("{label}：{m}"),
                        None => format!("{label}格式不正确"),
                    })
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
            FieldType::Occupation => match OccupationCode::parse(text()?) {
                Ok(c) if c.is_occupation() => Ok(json!(c.as_str())),
                Ok(c) => Err(format!(
                    "{label}：“{c}”是职业分类的上级类别，应填到具体职业（4段代码，如 4-04-05-01）"
                )),
                Err(e) => Err(format!("{label}：{e}")),
            },
            FieldType::CreditCode => CreditCode::parse(text()?)
                .map(|c| json!(c.as_str()))
                .map_err(|e| format!("{label}：{e}")),
            FieldType::Attachment { .. } | FieldType::Group { .. } => self.from_json(&v),
        }
    }

    /// The stored value as pages show it: 是/否, yuan and counts with separators, percent,
    /// the option's label, the district's name, an ID number masked, a group's rows one after
    /// another (`名称：甲，持股比例：60.00%；名称：乙，…`; pages show [`FieldDef::table`]).
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
            FieldType::Date
            | FieldType::Text { .. }
            | FieldType::Major
            | FieldType::Occupation
            | FieldType::CreditCode => v.as_str().unwrap_or("").to_owned(),
            FieldType::Attachment { .. } => String::new(),
            FieldType::Group { .. } => v
                .as_array()
                .into_iter()
                .flatten()
                .map(|row| self.row_text(row))
                .collect::<Vec<_>>()
                .join("；"),
        }
    }

    /// One row of a group in words: `名称：甲，持股比例：60.00%`.
    fn row_text(&self, row: &Value) -> String {
        let FieldType::Group { fields, .. } = &self.ty else {
            return String::new();
        };
        fields
            .iter()
            .map(|f| format!("{}：{}", f.label, f.display(&row[&f.name])))
            .collect::<Vec<_>>()
            .join("，")
    }

    /// A group's stored rows as a table: the columns' labels and each row's values as pages
    /// show them; `None` for other fields.
    pub fn table(&self, v: &Value) -> Option<(Vec<&str>, Vec<Vec<String>>)> {
        let FieldType::Group { fields, .. } = &self.ty else {
            return None;
        };
        let columns = fields.iter().map(|f| f.label.as_str()).collect();
        let rows = v
            .as_array()
            .into_iter()
            .flatten()
            .map(|row| fields.iter().map(|f| f.display(&row[&f.name])).collect())
            .collect();
        Some((columns, rows))
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

    /// The stored value as the form inputs that hold it, by input name: one input, a group's
    /// `name[i].field` for each cell of its rows, none for an attachment slot.
    pub fn form_values(&self, v: &Value) -> Vec<(String, String)> {
        match &self.ty {
            FieldType::Attachment { .. } => Vec::new(),
            FieldType::Group { fields, .. } => v
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
                .flat_map(|(i, row)| {
                    fields
                        .iter()
                        .map(move |f| (self.input_name(i, &f.name), f.to_form(&row[&f.name])))
                })
                .collect(),
            _ => vec![(self.name.clone(), self.to_form(v))],
        }
    }

    /// What changed from `before` to `after`, as history lines read it:
    /// `投资额（元）：1,000.00元 → 1,200.00元`, a group's by row and column
    /// (`股东信息第2行持股比例：40.00% → 50.00%`, `股东信息第3行：新增（名称：丙，…）`).
    pub fn changes(&self, before: &Value, after: &Value) -> Vec<String> {
        fn show(f: &FieldDef, v: &Value) -> String {
            let t = f.display(v);
            if t.is_empty() {
                "（空）".to_owned()
            } else {
                t
            }
        }
        let label = &self.label;
        match &self.ty {
            FieldType::Attachment { .. } => Vec::new(),
            FieldType::Group { fields, .. } => {
                let none = Vec::new();
                let b = before.as_array().unwrap_or(&none);
                let a = after.as_array().unwrap_or(&none);
                let mut out = Vec::new();
                for i in 0..b.len().max(a.len()) {
                    let n = i + 1;
                    match (b.get(i), a.get(i)) {
                        (Some(x), Some(y)) => {
                            for f in fields.iter().filter(|f| x[&f.name] != y[&f.name]) {
                                out.push(format!(
                                    "{label}第{n}行{}：{} → {}",
                                    f.label,
                                    show(f, &x[&f.name]),
                                    show(f, &y[&f.name])
                                ));
                            }
                        }
                        (None, Some(y)) => {
                            out.push(format!("{label}第{n}行：新增（{}）", self.row_text(y)))
                        }
                        (Some(x), None) => {
                            out.push(format!("{label}第{n}行：删除（{}）", self.row_text(x)))
                        }
                        (None, None) => {}
                    }
                }
                out
            }
            _ if before == after => Vec::new(),
            _ => vec![format!(
                "{label}：{} → {}",
                show(self, before),
                show(self, after)
            )],
        }
    }

    /// Whether an attachment slot takes a file of `content_type` (as the platform recognised
    /// it by content); the refusal names the slot and the types it takes.
    pub fn accepts_file(&self, content_type: &str) -> Result<(), String> {
        let label = &self.label;
        let FieldType::Attachment { content_types } = &self.ty else {
            return Err(format!("{label}不是附件材料"));
        };
        if content_types.iter().any(|c| c == content_type) {
            return Ok(());
        }
        let names: Vec<&str> = content_types.iter().map(|c| content_type_name(c)).collect();
        Err(format!(
            "{label}只接受{}，所传文件是{}",
            names.join("、"),
            content_type_name(content_type)
        ))
    }
}

/// Why an application cannot be submitted while these required slots are empty:
/// `请先上传营业执照、公司章程再提交`.
pub fn unfilled_slots(slots: &[&FieldDef]) -> String {
    let labels: Vec<&str> = slots.iter().map(|f| f.label.as_str()).collect();
    format!("请先上传{}再提交", labels.join("、"))
}

/// Whether a yes/no input says yes.
fn truthy(raw: &str) -> bool {
    matches!(raw, "1" | "true" | "on" | "是")
}

/// Reads the `[[fields]]` of a kind file. Each refusal names the field's place.
pub fn parse_fields(values: &[toml::Value]) -> Result<Vec<FieldDef>, String> {
    parse_fields_in(values, None)
}

/// The type codes of kind files, as a refusal lists them.
const TYPE_CODES: &str = "bool、integer、money、percent、year、date、text、enum、district、major、id_card、occupation、credit_code、org、attachment 或 group";

/// Reads fields: a kind's (`group` is `None`) or a group's columns (single-value types only).
fn parse_fields_in(values: &[toml::Value], group: Option<&str>) -> Result<Vec<FieldDef>, String> {
    let mut out: Vec<FieldDef> = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        let place = match group {
            None => format!("第{}个字段", i + 1),
            Some(g) => format!("字段“{g}”的第{}个字段", i + 1),
        };
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
        let place = match group {
            None => format!("字段“{name}”"),
            Some(g) => format!("字段“{g}.{name}”"),
        };
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
                allowed.extend(["max_length", "pattern", "pattern_message"]);
                let max = int("max_length")?.unwrap_or(TEXT_MAX as i64);
                if !(1..=TEXT_MAX as i64).contains(&max) {
                    return Err(format!("{place}：“max_length”应为1至{TEXT_MAX}"));
                }
                let pattern =
                    match (text("pattern")?, text("pattern_message")?) {
                        (None, None) => None,
                        (None, Some(_)) => {
                            return Err(format!("{place}：“pattern_message”须与“pattern”一起使用"));
                        }
                        (Some(p), message) => Some(TextPattern::new(&p, message).map_err(|e| {
                            format!("{place}：“pattern”不是有效的正则表达式（{e}）")
                        })?),
                    };
                FieldType::Text {
                    max_length: max as usize,
                    pattern,
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
            "occupation" => FieldType::Occupation,
            "credit_code" => FieldType::CreditCode,
            "org" => {
                allowed.push("org_kind");
                let k = text("org_kind")?
                    .ok_or_else(|| format!("{place}：机构字段须写明“org_kind”"))?;
                let org_kind = crate::orgs::OrgKind::parse(&k)
                    .ok_or_else(|| format!("{place}：未知的机构类型“{k}”"))?;
                FieldType::Org { org_kind }
            }
            "attachment" => {
                allowed.push("content_types");
                FieldType::Attachment {
                    content_types: parse_content_types(t.get("content_types"), &place)?,
                }
            }
            "group" => {
                allowed.extend(["fields", "min_rows", "max_rows", "sum"]);
                parse_group(t, &name, &place, required)?
            }
            other => {
                return Err(format!(
                    "{place}：未知的字段类型“{other}”（应为 {TYPE_CODES}）"
                ));
            }
        };
        if group.is_some()
            && matches!(
                ty,
                FieldType::Group { .. } | FieldType::Attachment { .. } | FieldType::Org { .. }
            )
        {
            return Err(format!(
                "{place}：表格内的字段不能是 {} 类型（只能是单值字段）",
                ty.code()
            ));
        }
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

/// An attachment slot's `content_types`: some of [`ATTACHMENT_TYPES`], each once; all of them
/// when absent.
fn parse_content_types(v: Option<&toml::Value>, place: &str) -> Result<Vec<String>, String> {
    let Some(v) = v else {
        return Ok(ATTACHMENT_TYPES
            .iter()
            .map(|(c, _)| (*c).to_owned())
            .collect());
    };
    let known: Vec<&str> = ATTACHMENT_TYPES.iter().map(|(c, _)| *c).collect();
    let list = v
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| format!("{place}：“content_types”应为文件类型列表，至少一项"))?;
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for c in list {
        let c = c
            .as_str()
            .ok_or_else(|| format!("{place}：“content_types”的每一项应为字符串"))?;
        if !known.contains(&c) {
            return Err(format!(
                "{place}：不支持的文件类型“{c}”（可用：{}）",
                known.join("、")
            ));
        }
        if out.iter().any(|x| x == c) {
            return Err(format!("{place}：文件类型“{c}”重复"));
        }
        out.push(c.to_owned());
    }
    Ok(out)
}

/// A group's columns, row bounds and sum check.
fn parse_group(
    t: &toml::Table,
    name: &str,
    place: &str,
    required: bool,
) -> Result<FieldType, String> {
    let columns = match t.get("fields") {
        Some(toml::Value::Array(values)) if !values.is_empty() => {
            parse_fields_in(values, Some(name))?
        }
        _ => {
            return Err(format!(
                "{place}：表格字段须在其后用 [[fields.fields]] 列出至少一列"
            ));
        }
    };
    let rows = |key: &str, default: usize| -> Result<usize, String> {
        match t.get(key) {
            None => Ok(default),
            Some(toml::Value::Integer(n)) if (0..=GROUP_MAX_ROWS as i64).contains(n) => {
                Ok(*n as usize)
            }
            Some(_) => Err(format!("{place}：“{key}”应为0至{GROUP_MAX_ROWS}的整数")),
        }
    };
    let min_rows = rows("min_rows", usize::from(required))?;
    let max_rows = rows("max_rows", GROUP_DEFAULT_MAX_ROWS)?;
    if max_rows == 0 {
        return Err(format!("{place}：“max_rows”至少为1"));
    }
    if min_rows > max_rows {
        return Err(format!("{place}：最少行数{min_rows}大于最多行数{max_rows}"));
    }
    let sum = match t.get("sum") {
        None => None,
        Some(toml::Value::Table(s)) => {
            let bad = || format!("{place}：“sum”应写作 {{ field = \"列名\", equals = 非负整数 }}");
            if s.keys().any(|k| k != "field" && k != "equals") {
                return Err(bad());
            }
            let field = s.get("field").and_then(|v| v.as_str()).ok_or_else(bad)?;
            let equals = s
                .get("equals")
                .and_then(|v| v.as_integer())
                .filter(|n| *n >= 0)
                .ok_or_else(bad)?;
            let column = columns
                .iter()
                .find(|f| f.name == field)
                .ok_or_else(|| format!("{place}：合计校验的字段“{field}”不是本表格的列"))?;
            // `equals` is in the unit the column is entered in.
            let scale = match column.ty {
                FieldType::Percent | FieldType::Money => 100,
                FieldType::Integer { .. } => 1,
                _ => {
                    return Err(format!(
                        "{place}：合计校验的字段“{field}”应为百分比、金额或整数字段"
                    ));
                }
            };
            let equals = equals
                .checked_mul(scale)
                .filter(|n| *n <= MONEY_MAX_FEN)
                .ok_or_else(bad)?;
            Some(SumCheck {
                field: field.to_owned(),
                equals,
            })
        }
        Some(_) => {
            return Err(format!(
                "{place}：“sum”应写作 {{ field = \"列名\", equals = 非负整数 }}"
            ));
        }
    };
    Ok(FieldType::Group {
        fields: columns,
        min_rows,
        max_rows,
        sum,
    })
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
