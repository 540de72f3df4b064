//! Identifiers that parse: once a value of these types exists it is valid.
//!
//! Every parser trims surrounding whitespace, normalises letter case where the
//! standard allows only one case, never panics, and reports a distinct
//! [`IdError`] variant (with a Chinese message and a stable machine code).

use std::fmt;

use serde::{Serialize, Serializer};

use crate::reference::{self, AreaKind};

/// Why an identifier was rejected.
///
/// `Display` gives the Chinese message for users; [`IdError::code`] gives a stable
/// machine-readable code for APIs and logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("统一社会信用代码不能为空")]
    CreditCodeEmpty,
    #[error("统一社会信用代码应为18位，实际为{len}位")]
    CreditCodeLength { len: usize },
    /// Only from [`CreditCode::check_char`] / [`CreditCode::from_body`]: the body must have 17 characters.
    #[error("统一社会信用代码本体应为17位，实际为{len}位")]
    CreditCodeBodyLength { len: usize },
    /// `pos` is 1-based.
    #[error(
        "统一社会信用代码第{pos}位含非法字符“{ch}”（只允许数字和除I、O、Z、S、V以外的大写英文字母）"
    )]
    CreditCodeChar { pos: usize, ch: char },
    #[error("统一社会信用代码第3至8位应为登记管理机关行政区划码（6位数字）")]
    CreditCodeDivision,
    #[error("统一社会信用代码校验位错误：应为{expected}，实为{found}")]
    CreditCodeCheck { expected: char, found: char },
    #[error("行政区划代码应为6位数字")]
    DivisionFormat,
    #[error("{code}不是重庆市的区县或功能区代码")]
    DivisionUnknown { code: String },
    #[error("身份证号应为18位，实际为{len}位")]
    IdCardLength { len: usize },
    /// `pos` is 1-based.
    #[error("身份证号第{pos}位含非法字符（前17位应为数字，第18位应为数字或X）")]
    IdCardChar { pos: usize },
    #[error("身份证号出生日期无效")]
    IdCardBirthDate,
    #[error("身份证号校验位错误")]
    IdCardCheck,
    #[error("专业代码应为6位数字，可带后缀K")]
    MajorCodeFormat,
    #[error("行业代码应符合GB/T 4754-2017，如C3911")]
    IndustryCodeFormat,
    #[error("职业代码不能为空")]
    OccupationCodeEmpty,
    #[error(
        "职业代码“{code}”格式无效，应为形如 4-04-05-01 的职业分类大典代码（大类为1–8，其余各段为2位数字）"
    )]
    OccupationCodeFormat { code: String },
}

impl IdError {
    /// Stable machine-readable code, e.g. `"credit_code.length"`.
    pub fn code(&self) -> &'static str {
        match self {
            IdError::CreditCodeEmpty => "credit_code.empty",
            IdError::CreditCodeLength { .. } => "credit_code.length",
            IdError::CreditCodeBodyLength { .. } => "credit_code.body_length",
            IdError::CreditCodeChar { .. } => "credit_code.char",
            IdError::CreditCodeDivision => "credit_code.division",
            IdError::CreditCodeCheck { .. } => "credit_code.check",
            IdError::DivisionFormat => "division.format",
            IdError::DivisionUnknown { .. } => "division.unknown",
            IdError::IdCardLength { .. } => "id_card.length",
            IdError::IdCardChar { .. } => "id_card.char",
            IdError::IdCardBirthDate => "id_card.birth_date",
            IdError::IdCardCheck => "id_card.check",
            IdError::MajorCodeFormat => "major_code.format",
            IdError::IndustryCodeFormat => "industry_code.format",
            IdError::OccupationCodeEmpty => "occupation_code.empty",
            IdError::OccupationCodeFormat { .. } => "occupation_code.format",
        }
    }
}

/// Implements `Deserialize` (validating through `parse`) and `FromStr`.
macro_rules! string_id_impls {
    ($t:ty) => {
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as serde::Deserialize>::deserialize(d)?;
                <$t>::parse(&s).map_err(serde::de::Error::custom)
            }
        }

        impl std::str::FromStr for $t {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                <$t>::parse(s)
            }
        }
    };
}
pub(crate) use string_id_impls;

// ---------------------------------------------------------------------------
// 统一社会信用代码 (GB 32100-2015)
// ---------------------------------------------------------------------------

/// The GB 32100-2015 character set; a character's value is its index.
const CREDIT_CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of positions 1..=17.
const CREDIT_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn credit_value(c: char) -> Option<u32> {
    if !c.is_ascii() {
        return None;
    }
    CREDIT_CHARSET
        .iter()
        .position(|&b| b == c as u8)
        .map(|p| p as u32)
}

/// Values of an already upper-cased string, or the first illegal character.
fn credit_values(s: &str) -> Result<Vec<u32>, IdError> {
    s.chars()
        .enumerate()
        .map(|(i, ch)| credit_value(ch).ok_or(IdError::CreditCodeChar { pos: i + 1, ch }))
        .collect()
}

fn credit_check_value(body: &[u32]) -> u32 {
    let sum: u32 = body.iter().zip(CREDIT_WEIGHTS).map(|(v, w)| v * w).sum();
    (31 - sum % 31) % 31
}

/// 统一社会信用代码 (unified social credit code), GB 32100-2015.
///
/// 18 characters: position 1 登记管理部门码, 2 机构类别码, 3–8 登记管理机关行政区划码,
/// 9–17 主体标识码 (组织机构代码), 18 check character. Only the GB 32100 check
/// character is enforced; the GB 11714 check digit of the embedded organisation
/// code is deliberately *not* checked (real-world data often fails it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct CreditCode(String);

impl CreditCode {
    /// Parses a code; trims surrounding whitespace and upper-cases ASCII letters.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(IdError::CreditCodeEmpty);
        }
        let upper = s.to_ascii_uppercase();
        let len = upper.chars().count();
        if len != 18 {
            return Err(IdError::CreditCodeLength { len });
        }
        let values = credit_values(&upper)?;
        if values[2..8].iter().any(|&v| v > 9) {
            return Err(IdError::CreditCodeDivision);
        }
        let expected = credit_check_value(&values[..17]);
        if values[17] != expected {
            return Err(IdError::CreditCodeCheck {
                expected: CREDIT_CHARSET[expected as usize] as char,
                found: upper.as_bytes()[17] as char,
            });
        }
        Ok(Self(upper))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Builds a valid code from a 17-character body by appending the GB 32100-2015 check character.
    /// Lower-case letters are upper-cased; the body must also have 6 digits at positions 3–8.
    pub fn from_body(body17: &str) -> Result<Self, IdError> {
        let check = Self::check_char(body17)?;
        let mut full = body17.to_ascii_uppercase();
        full.push(check);
        Self::parse(&full)
    }

    /// The GB 32100-2015 check character of a 17-character body (charset checked, case-insensitive).
    pub fn check_char(body17: &str) -> Result<char, IdError> {
        let upper = body17.to_ascii_uppercase();
        let len = upper.chars().count();
        if len != 17 {
            return Err(IdError::CreditCodeBodyLength { len });
        }
        let values = credit_values(&upper)?;
        Ok(CREDIT_CHARSET[credit_check_value(&values) as usize] as char)
    }

    /// Position 1: 登记管理部门码 (e.g. `9` = 工商/市场监管).
    pub fn registration_authority(&self) -> char {
        self.0.as_bytes()[0] as char
    }

    /// Position 2: 机构类别码 (e.g. `1` = 企业 under 市场监管).
    pub fn category(&self) -> char {
        self.0.as_bytes()[1] as char
    }

    /// Positions 3–8: 登记管理机关行政区划码 (not necessarily in Chongqing).
    pub fn division_part(&self) -> &str {
        &self.0[2..8]
    }

    /// Positions 9–17: 主体标识码 (组织机构代码).
    pub fn organization_code(&self) -> &str {
        &self.0[8..17]
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_id_impls!(CreditCode);

// ---------------------------------------------------------------------------
// 行政区划代码 (GB/T 2260, Chongqing only, plus the three functional zones)
// ---------------------------------------------------------------------------

/// A Chongqing district/county code (GB/T 2260) or one of the three platform
/// codes for functional zones; see [`reference::AREAS`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct DivisionCode(String);

impl DivisionCode {
    /// Six ASCII digits naming one of the 41 areas in [`reference::AREAS`].
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let s = s.trim();
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError::DivisionFormat);
        }
        match reference::area(s) {
            Some(a) => Ok(Self(a.code.to_owned())),
            None => Err(IdError::DivisionUnknown { code: s.to_owned() }),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn area(&self) -> &'static reference::Area {
        reference::area(&self.0).expect("a parsed DivisionCode is always in reference::AREAS")
    }

    /// E.g. `"渝中区"`.
    pub fn name(&self) -> &'static str {
        self.area().name
    }

    pub fn kind(&self) -> AreaKind {
        self.area().kind
    }
}

impl fmt::Display for DivisionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_id_impls!(DivisionCode);

// ---------------------------------------------------------------------------
// 公民身份号码 (GB 11643-1999)
// ---------------------------------------------------------------------------

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

/// Number of days in `month` (1..=12) of `year`; 0 for an invalid month.
fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

fn digits_value(s: &str) -> u32 {
    s.bytes().fold(0, |acc, b| acc * 10 + u32::from(b - b'0'))
}

/// 公民身份号码 (resident identity card number), GB 11643-1999, 18 characters.
///
/// Personal data is masked by default: `Debug`, `Display` and `Serialize` all
/// give [`IdCardNumber::masked`]. Use [`IdCardNumber::as_str`] only where the
/// full number is really needed. `Deserialize` accepts (and validates) the full number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdCardNumber(String);

impl IdCardNumber {
    /// Parses a number; trims surrounding whitespace and accepts a lower-case `x`.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let s = s.trim();
        let len = s.chars().count();
        if len != 18 {
            return Err(IdError::IdCardLength { len });
        }
        for (i, c) in s.chars().enumerate() {
            let ok = c.is_ascii_digit() || (i == 17 && (c == 'X' || c == 'x'));
            if !ok {
                return Err(IdError::IdCardChar { pos: i + 1 });
            }
        }
        let upper = s.to_ascii_uppercase();
        let year = digits_value(&upper[6..10]);
        let month = digits_value(&upper[10..12]);
        let day = digits_value(&upper[12..14]);
        if !(1900..=2100).contains(&year) || day == 0 || day > days_in_month(year, month) {
            return Err(IdError::IdCardBirthDate);
        }
        let expected = Self::check_char(&upper[..17]).ok_or(IdError::IdCardCheck)?;
        if upper.as_bytes()[17] as char != expected {
            return Err(IdError::IdCardCheck);
        }
        Ok(Self(upper))
    }

    /// The GB 11643 check character of a 17-digit body; `None` unless `body17` is exactly 17 ASCII digits.
    pub fn check_char(body17: &str) -> Option<char> {
        if body17.len() != 17 || !body17.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let sum: u32 = body17
            .bytes()
            .zip(ID_WEIGHTS)
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum();
        Some(ID_CHECK[(sum % 11) as usize] as char)
    }

    /// First 6 characters, 8 stars, last 4: `500103********667X`.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..6], &self.0[14..])
    }

    /// The full number. Use only where it is really needed.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Birth date `(year, month, day)` from positions 7–14.
    pub fn birth_date(&self) -> (u16, u8, u8) {
        (
            digits_value(&self.0[6..10]) as u16,
            digits_value(&self.0[10..12]) as u8,
            digits_value(&self.0[12..14]) as u8,
        )
    }
}

impl fmt::Debug for IdCardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IdCardNumber").field(&self.masked()).finish()
    }
}

impl fmt::Display for IdCardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl Serialize for IdCardNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.masked())
    }
}

string_id_impls!(IdCardNumber);

// ---------------------------------------------------------------------------
// 职业教育专业代码
// ---------------------------------------------------------------------------

/// A major code of 职业教育专业目录（2021年）: 6 digits, optionally followed by `K`
/// (majors under special control), e.g. `510101`, `520101K`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct MajorCode(String);

impl MajorCode {
    /// Trims whitespace and accepts a lower-case `k`.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let s = s.trim();
        let b = s.as_bytes();
        let ok = match b.len() {
            6 => b.iter().all(u8::is_ascii_digit),
            7 => b[..6].iter().all(u8::is_ascii_digit) && (b[6] == b'K' || b[6] == b'k'),
            _ => false,
        };
        if !ok {
            return Err(IdError::MajorCodeFormat);
        }
        Ok(Self(s.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the code carries the `K` suffix.
    pub fn is_k(&self) -> bool {
        self.0.len() == 7
    }

    /// The six digits without any suffix.
    pub fn digits(&self) -> &str {
        &self.0[..6]
    }
}

impl fmt::Display for MajorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_id_impls!(MajorCode);

// ---------------------------------------------------------------------------
// 职业分类大典（2022年版）代码
// ---------------------------------------------------------------------------

/// The hyphens an occupation code may be written with (full-width and dashes are read as `-`).
pub const OCCUPATION_HYPHENS: [char; 5] = ['-', '－', '—', '–', '‐'];

/// The levels of the occupational classification, by number of code segments, with their
/// Chinese names.
pub const OCCUPATION_LEVELS: [(&str, &str); 4] = [
    ("MAJOR_GROUP", "大类"),
    ("SUB_GROUP", "中类"),
    ("MINOR_GROUP", "小类"),
    ("OCCUPATION", "职业"),
];

/// A code of 《中华人民共和国职业分类大典（2022年版）》: `4` (大类), `4-04` (中类), `4-04-05`
/// (小类) or `4-04-05-01` (职业, `d-dd-dd-dd`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OccupationCode {
    code: String,
    segments: usize,
}

impl OccupationCode {
    /// Parses a code of any level; the first segment is a major group 1–8, the others two
    /// digits each. Blanks around it are trimmed and the [`OCCUPATION_HYPHENS`] read as `-`.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let norm: String = crate::text::trim(s)
            .chars()
            .map(|c| {
                if OCCUPATION_HYPHENS.contains(&c) {
                    '-'
                } else {
                    c
                }
            })
            .collect();
        if norm.is_empty() {
            return Err(IdError::OccupationCodeEmpty);
        }
        let parts: Vec<&str> = norm.split('-').collect();
        let first_ok = parts[0].len() == 1 && matches!(parts[0].as_bytes()[0], b'1'..=b'8');
        let rest_ok = parts[1..]
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()));
        if parts.len() > 4 || !first_ok || !rest_ok {
            return Err(IdError::OccupationCodeFormat { code: norm });
        }
        Ok(OccupationCode {
            segments: parts.len(),
            code: norm,
        })
    }

    /// Parses the code of an occupation itself (`d-dd-dd-dd`), not of a group: `Ok(None)` for
    /// a well-formed group code (大类, 中类 or 小类).
    pub fn parse_occupation(s: &str) -> Result<Option<Self>, IdError> {
        Self::parse(s).map(|c| c.is_occupation().then_some(c))
    }

    pub fn as_str(&self) -> &str {
        &self.code
    }

    /// MAJOR_GROUP, SUB_GROUP, MINOR_GROUP or OCCUPATION.
    pub fn level(&self) -> &'static str {
        OCCUPATION_LEVELS[self.segments - 1].0
    }

    /// Whether the code names an occupation (four segments) rather than a group.
    pub fn is_occupation(&self) -> bool {
        self.segments == 4
    }

    /// The code of the group above, if any (`4-04-05` for `4-04-05-01`).
    pub fn parent(&self) -> Option<String> {
        self.code.rsplit_once('-').map(|(p, _)| p.to_string())
    }
}

impl fmt::Display for OccupationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // ----- credit code -----

    #[test]
    fn credit_code_standard_example() {
        // The example of GB 32100-2015.
        let c = CreditCode::parse("91350100M000100Y43").unwrap();
        assert_eq!(c.as_str(), "91350100M000100Y43");
        assert_eq!(CreditCode::check_char("91350100M000100Y4").unwrap(), '3');
        assert_eq!(
            CreditCode::from_body("91350100M000100Y4").unwrap().as_str(),
            "91350100M000100Y43"
        );
        assert_eq!(c.registration_authority(), '9');
        assert_eq!(c.category(), '1');
        assert_eq!(c.division_part(), "350100");
        assert_eq!(c.organization_code(), "M000100Y4");
    }

    #[test]
    fn credit_code_normalises() {
        let c = CreditCode::parse("  91350100m000100y43\t").unwrap();
        assert_eq!(c.as_str(), "91350100M000100Y43");
        assert_eq!(c.to_string(), "91350100M000100Y43");
        assert_eq!(
            CreditCode::from_body("91350100m000100y4").unwrap().as_str(),
            "91350100M000100Y43"
        );
    }

    #[test]
    fn credit_code_errors() {
        assert_eq!(CreditCode::parse(""), Err(IdError::CreditCodeEmpty));
        assert_eq!(CreditCode::parse("   "), Err(IdError::CreditCodeEmpty));
        assert_eq!(
            CreditCode::parse("91350100M000100Y4"),
            Err(IdError::CreditCodeLength { len: 17 })
        );
        assert_eq!(
            CreditCode::parse("统一社会信用代码"),
            Err(IdError::CreditCodeLength { len: 8 })
        );
        assert_eq!(
            CreditCode::parse("91350100M000100I43"),
            Err(IdError::CreditCodeChar { pos: 16, ch: 'I' })
        );
        assert_eq!(
            CreditCode::parse("9135010０M000100Y43"),
            Err(IdError::CreditCodeChar { pos: 8, ch: '０' })
        );
        assert_eq!(
            CreditCode::parse("913501A0M000100Y43"),
            Err(IdError::CreditCodeDivision)
        );
        assert_eq!(
            CreditCode::parse("91350100M000100Y44"),
            Err(IdError::CreditCodeCheck {
                expected: '3',
                found: '4'
            })
        );
        assert_eq!(
            CreditCode::check_char("9135"),
            Err(IdError::CreditCodeBodyLength { len: 4 })
        );
        assert_eq!(
            CreditCode::from_body("91350100M000100O4"),
            Err(IdError::CreditCodeChar { pos: 16, ch: 'O' })
        );
        assert_eq!(
            CreditCode::from_body("913501A0M000100Y4"),
            Err(IdError::CreditCodeDivision)
        );
    }

    #[test]
    fn error_messages_and_codes() {
        let cases: Vec<(IdError, &str, &str)> = vec![
            (
                IdError::CreditCodeEmpty,
                "credit_code.empty",
                "统一社会信用代码不能为空",
            ),
            (
                IdError::CreditCodeLength { len: 17 },
                "credit_code.length",
                "统一社会信用代码应为18位，实际为17位",
            ),
            (
                IdError::CreditCodeBodyLength { len: 3 },
                "credit_code.body_length",
                "统一社会信用代码本体应为17位，实际为3位",
            ),
            (
                IdError::CreditCodeChar { pos: 3, ch: 'I' },
                "credit_code.char",
                "统一社会信用代码第3位含非法字符“I”（只允许数字和除I、O、Z、S、V以外的大写英文字母）",
            ),
            (
                IdError::CreditCodeDivision,
                "credit_code.division",
                "统一社会信用代码第3至8位应为登记管理机关行政区划码（6位数字）",
            ),
            (
                IdError::CreditCodeCheck {
                    expected: '3',
                    found: '4',
                },
                "credit_code.check",
                "统一社会信用代码校验位错误：应为3，实为4",
            ),
            (
                IdError::DivisionFormat,
                "division.format",
                "行政区划代码应为6位数字",
            ),
            (
                IdError::DivisionUnknown {
                    code: "110101".into(),
                },
                "division.unknown",
                "110101不是重庆市的区县或功能区代码",
            ),
            (
                IdError::IdCardLength { len: 15 },
                "id_card.length",
                "身份证号应为18位，实际为15位",
            ),
            (
                IdError::IdCardChar { pos: 5 },
                "id_card.char",
                "身份证号第5位含非法字符（前17位应为数字，第18位应为数字或X）",
            ),
            (
                IdError::IdCardBirthDate,
                "id_card.birth_date",
                "身份证号出生日期无效",
            ),
            (IdError::IdCardCheck, "id_card.check", "身份证号校验位错误"),
            (
                IdError::MajorCodeFormat,
                "major_code.format",
                "专业代码应为6位数字，可带后缀K",
            ),
            (
                IdError::IndustryCodeFormat,
                "industry_code.format",
                "行业代码应符合GB/T 4754-2017，如C3911",
            ),
            (
                IdError::OccupationCodeEmpty,
                "occupation_code.empty",
                "职业代码不能为空",
            ),
            (
                IdError::OccupationCodeFormat {
                    code: "4-4-05-01".into(),
                },
                "occupation_code.format",
                "职业代码“4-4-05-01”格式无效，应为形如 4-04-05-01 的职业分类大典代码（大类为1–8，其余各段为2位数字）",
            ),
        ];
        let mut codes = std::collections::HashSet::new();
        for (e, code, msg) in cases {
            assert_eq!(e.code(), code);
            assert_eq!(e.to_string(), msg);
            assert!(codes.insert(code), "duplicate code {code}");
        }
    }

    #[test]
    fn credit_code_serde() {
        let c = CreditCode::parse("91350100M000100Y43").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"91350100M000100Y43\"");
        let back: CreditCode = serde_json::from_str("\"91350100m000100y43\"").unwrap();
        assert_eq!(back, c);
        assert!(serde_json::from_str::<CreditCode>("\"91350100M000100Y44\"").is_err());
        assert_eq!("91350100M000100Y43".parse::<CreditCode>().unwrap(), c);
    }

    // ----- occupation code -----

    #[test]
    fn occupation_codes_parse_at_every_level() {
        let c = OccupationCode::parse(" 4-04-05-01 ").unwrap();
        assert_eq!(c.as_str(), "4-04-05-01");
        assert_eq!(c.level(), "OCCUPATION");
        assert!(c.is_occupation());
        assert_eq!(c.parent().as_deref(), Some("4-04-05"));
        assert_eq!(OccupationCode::parse("4").unwrap().level(), "MAJOR_GROUP");
        assert_eq!(OccupationCode::parse("4").unwrap().parent(), None);
        assert_eq!(OccupationCode::parse("4-04").unwrap().level(), "SUB_GROUP");
        assert_eq!(
            OccupationCode::parse("2－02－10").unwrap().as_str(),
            "2-02-10"
        );
        assert_eq!(
            OccupationCode::parse("2－02－10－03").unwrap().to_string(),
            "2-02-10-03"
        );
        assert_eq!(
            OccupationCode::parse("  "),
            Err(IdError::OccupationCodeEmpty)
        );
        for bad in [
            "9-01",
            "0",
            "4-4-05-01",
            "4-04-05-01-01",
            "4-04-05-0A",
            "40405",
        ] {
            assert_eq!(
                OccupationCode::parse(bad),
                Err(IdError::OccupationCodeFormat { code: bad.into() }),
                "{bad}"
            );
        }
    }

    #[test]
    fn only_four_segments_name_an_occupation() {
        assert_eq!(
            OccupationCode::parse_occupation("2-02-10-03")
                .unwrap()
                .map(|c| c.to_string()),
            Some("2-02-10-03".to_string())
        );
        for group in ["2", "2-02", "2-02-10"] {
            assert_eq!(OccupationCode::parse_occupation(group), Ok(None), "{group}");
        }
        assert!(OccupationCode::parse_occupation("2-2-10-03").is_err());
    }

    // ----- division code -----

    #[test]
    fn division_code() {
        let d = DivisionCode::parse(" 500103 ").unwrap();
        assert_eq!(d.as_str(), "500103");
        assert_eq!(d.name(), "渝中区");
        assert_eq!(d.kind(), AreaKind::District);
        let d = DivisionCode::parse("500243").unwrap();
        assert_eq!(d.name(), "彭水苗族土家族自治县");
        assert_eq!(d.kind(), AreaKind::County);
        let d = DivisionCode::parse("500191").unwrap();
        assert_eq!(d.name(), "两江新区");
        assert_eq!(d.kind(), AreaKind::Zone);
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"500191\"");
        let back: DivisionCode = serde_json::from_str("\"500191\"").unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn division_code_errors() {
        for bad in ["", "50010", "5001030", "50010a", "五〇〇一〇三", "500 03"] {
            assert_eq!(
                DivisionCode::parse(bad),
                Err(IdError::DivisionFormat),
                "{bad}"
            );
        }
        assert_eq!(
            DivisionCode::parse("110101"),
            Err(IdError::DivisionUnknown {
                code: "110101".into()
            })
        );
        // 500232 (former 武隆县) and 500100 (市辖区) are not current units.
        for bad in ["500232", "500100", "500000", "500194"] {
            assert!(matches!(
                DivisionCode::parse(bad),
                Err(IdError::DivisionUnknown { .. })
            ));
        }
    }

    // ----- id card -----

    // 500103 19900307 667 + check digit computed by hand:
    // 5*7+0*9+0*10+1*5+0*8+3*4+1*2+9*1+9*6+0*3+0*7+3*9+0*10+7*5+6*8+6*4+7*2
    // = 35+0+0+5+0+12+2+9+54+0+0+27+0+35+48+24+14 = 265; 265 mod 11 = 1 -> '0'.
    const ID_OK: &str = "500103199003076670";

    #[test]
    fn id_card_valid() {
        let id = IdCardNumber::parse(ID_OK).unwrap();
        assert_eq!(id.as_str(), ID_OK);
        assert_eq!(id.masked(), "500103********6670");
        assert_eq!(id.birth_date(), (1990, 3, 7));
        assert_eq!(format!("{id:?}"), "IdCardNumber(\"500103********6670\")");
        assert_eq!(id.to_string(), "500103********6670");
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"500103********6670\""
        );
        let back: IdCardNumber = serde_json::from_str(&format!("\"{ID_OK}\"")).unwrap();
        assert_eq!(back, id);
    }

    #[test]
    fn id_card_x_and_lowercase() {
        // Find a body whose check char is X and verify lower-case x is accepted.
        let body = (0..1000)
            .map(|n| format!("50010319900307{n:03}"))
            .find(|b| IdCardNumber::check_char(b) == Some('X'))
            .unwrap();
        let id = IdCardNumber::parse(&format!("{body}x")).unwrap();
        assert!(id.as_str().ends_with('X'));
        assert_eq!(id.masked().len(), 18);
        assert!(id.masked().ends_with('X'));
    }

    #[test]
    fn id_card_errors() {
        assert_eq!(
            IdCardNumber::parse(""),
            Err(IdError::IdCardLength { len: 0 })
        );
        assert_eq!(
            IdCardNumber::parse("500103900307667"),
            Err(IdError::IdCardLength { len: 15 })
        );
        assert_eq!(
            IdCardNumber::parse("50010319900307667X0"),
            Err(IdError::IdCardLength { len: 19 })
        );
        assert_eq!(
            IdCardNumber::parse("5001031990030766X0"),
            Err(IdError::IdCardChar { pos: 17 })
        );
        assert_eq!(
            IdCardNumber::parse("50010319900307667Y"),
            Err(IdError::IdCardChar { pos: 18 })
        );
        assert_eq!(
            IdCardNumber::parse("五00103199003076670"),
            Err(IdError::IdCardChar { pos: 1 })
        );
        assert_eq!(
            IdCardNumber::parse("500103199002306670"),
            Err(IdError::IdCardBirthDate)
        );
        assert_eq!(
            IdCardNumber::parse("500103189901016670"),
            Err(IdError::IdCardBirthDate)
        );
        assert_eq!(
            IdCardNumber::parse("500103199013016670"),
            Err(IdError::IdCardBirthDate)
        );
        assert_eq!(
            IdCardNumber::parse("500103199001006670"),
            Err(IdError::IdCardBirthDate)
        );
        assert_eq!(
            IdCardNumber::parse("500103199003076671"),
            Err(IdError::IdCardCheck)
        );
    }

    #[test]
    fn leap_years() {
        assert!(is_leap(2000));
        assert!(is_leap(2024));
        assert!(!is_leap(1900));
        assert!(!is_leap(2100));
        assert!(!is_leap(2023));
        let with_check = |body: &str| format!("{body}{}", IdCardNumber::check_char(body).unwrap());
        assert!(IdCardNumber::parse(&with_check("50010320000229123")).is_ok());
        assert_eq!(
            IdCardNumber::parse(&with_check("50010319000229123")),
            Err(IdError::IdCardBirthDate)
        );
        assert_eq!(
            IdCardNumber::parse(&with_check("50010320230229123")),
            Err(IdError::IdCardBirthDate)
        );
        assert!(IdCardNumber::parse(&with_check("50010321001231123")).is_ok());
        assert_eq!(
            IdCardNumber::parse(&with_check("50010321010101123")),
            Err(IdError::IdCardBirthDate)
        );
    }

    // ----- major code -----

    #[test]
    fn major_code() {
        let m = MajorCode::parse("510101").unwrap();
        assert!(!m.is_k());
        assert_eq!(m.as_str(), "510101");
        let m = MajorCode::parse(" 520101k ").unwrap();
        assert!(m.is_k());
        assert_eq!(m.as_str(), "520101K");
        assert_eq!(m.digits(), "520101");
        for bad in [
            "",
            "51010",
            "5101011",
            "510101KK",
            "51010K",
            "K510101",
            "510101X",
            "５１０１０１",
        ] {
            assert_eq!(
                MajorCode::parse(bad),
                Err(IdError::MajorCodeFormat),
                "{bad}"
            );
        }
    }

    // ----- properties -----

    fn charset_char() -> impl Strategy<Value = char> {
        (0usize..31).prop_map(|i| CREDIT_CHARSET[i] as char)
    }

    /// A 17-character body with digits at positions 3–8.
    fn valid_body() -> impl Strategy<Value = String> {
        (
            proptest::collection::vec(charset_char(), 2),
            proptest::collection::vec(0u8..10, 6),
            proptest::collection::vec(charset_char(), 9),
        )
            .prop_map(|(a, d, b)| {
                let mut s: String = a.into_iter().collect();
                s.extend(d.into_iter().map(|x| (b'0' + x) as char));
                s.extend(b);
                s
            })
    }

    fn valid_id_card() -> impl Strategy<Value = String> {
        (
            0u32..1_000_000,
            1900u32..=2100,
            1u32..=12,
            1u32..=31,
            0u32..1000,
        )
            .prop_map(|(region, y, m, d, seq)| {
                let d = d.min(days_in_month(y, m));
                let body = format!("{region:06}{y:04}{m:02}{d:02}{seq:03}");
                let c = IdCardNumber::check_char(&body).unwrap();
                format!("{body}{c}")
            })
    }

    proptest! {
        #[test]
        fn from_body_parses(body in valid_body()) {
            let c = CreditCode::from_body(&body).unwrap();
            prop_assert!(c.as_str().starts_with(&body));
            prop_assert_eq!(CreditCode::parse(c.as_str()), Ok(c.clone()));
            prop_assert_eq!(CreditCode::parse(&c.as_str().to_ascii_lowercase()), Ok(c));
        }

        #[test]
        fn from_body_agrees_with_parse(body in proptest::collection::vec(charset_char(), 17)) {
            let body: String = body.into_iter().collect();
            match CreditCode::from_body(&body) {
                Ok(c) => prop_assert!(CreditCode::parse(c.as_str()).is_ok()),
                Err(e) => prop_assert_eq!(e, IdError::CreditCodeDivision),
            }
        }

        #[test]
        fn single_substitution_detected(
            body in valid_body(),
            pos in 0usize..18,
            replacement in charset_char(),
        ) {
            let code = CreditCode::from_body(&body).unwrap();
            let mut chars: Vec<char> = code.as_str().chars().collect();
            prop_assume!(chars[pos] != replacement);
            chars[pos] = replacement;
            let changed: String = chars.into_iter().collect();
            prop_assert!(CreditCode::parse(&changed).is_err());
        }

        #[test]
        fn id_cards_parse_and_mask(s in valid_id_card()) {
            let id = IdCardNumber::parse(&s).unwrap();
            prop_assert_eq!(id.as_str(), s.as_str());
            let masked = id.masked();
            prop_assert_eq!(masked.chars().count(), 18);
            prop_assert!(!masked.contains(&s[6..14]));
            let debug = format!("{:?}", id);
            prop_assert!(!debug.contains(&s[6..14]));
            prop_assert!(!serde_json::to_string(&id).unwrap().contains(&s[6..14]));
            prop_assert_eq!(&masked[..6], &s[..6]);
            prop_assert_eq!(&masked[14..], &s[14..]);
        }

        #[test]
        fn id_card_single_digit_change_detected(s in valid_id_card(), pos in 0usize..17, digit in 0u8..10) {
            let mut b = s.into_bytes();
            prop_assume!(b[pos] != b'0' + digit);
            b[pos] = b'0' + digit;
            let changed = String::from_utf8(b).unwrap();
            prop_assert!(IdCardNumber::parse(&changed).is_err());
        }

        #[test]
        fn parsers_never_panic(s in any::<String>()) {
            let _ = CreditCode::parse(&s);
            let _ = CreditCode::check_char(&s);
            let _ = CreditCode::from_body(&s);
            let _ = DivisionCode::parse(&s);
            let _ = IdCardNumber::parse(&s);
            let _ = IdCardNumber::check_char(&s);
            let _ = MajorCode::parse(&s);
            let _ = crate::orgs::IndustryCode::parse(&s);
        }

        #[test]
        fn parsers_never_panic_on_near_misses(s in "[0-9A-Za-z统一代码Xx０ ]{0,20}") {
            let _ = CreditCode::parse(&s);
            let _ = CreditCode::from_body(&s);
            let _ = DivisionCode::parse(&s);
            let _ = IdCardNumber::parse(&s);
            let _ = MajorCode::parse(&s);
            let _ = crate::orgs::IndustryCode::parse(&s);
        }
    }
}
