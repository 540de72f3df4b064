//! Organisations and users: kinds, school levels, enterprise sizes, ownership,
//! roles, and GB/T 4754-2017 industry codes.

use std::fmt;

use serde::Serialize;

use crate::ids::{IdError, string_id_impls};

/// Declares a closed vocabulary: a snake_case serde enum with `ALL`, `as_str`,
/// `parse` and a Chinese `label`.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        pub enum $name:ident [$n:literal] {
            $( $(#[$vmeta:meta])* $variant:ident => $code:literal, $label:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; $n] = [$($name::$variant),+];

            /// The snake_case machine name (same as the serde form).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }

            /// Parses the machine name or the Chinese label (surrounding whitespace ignored).
            pub fn parse(s: &str) -> Option<Self> {
                let s = s.trim();
                Self::ALL
                    .into_iter()
                    .find(|v| v.as_str() == s || v.label() == s)
            }

            /// The Chinese label shown to users.
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }
        }
    };
}

vocabulary! {
    /// The kind of an organisation on the platform.
    pub enum OrgKind [6] {
        /// The programme's operator (市发展改革委 社会处).
        Operator => "operator", "运营机构";
        /// One of the 13 responsible municipal units.
        Department => "department", "市级部门";
        /// A district, county or functional zone.
        District => "district", "区县";
        School => "school", "院校";
        Enterprise => "enterprise", "企业";
        /// Banks, insurers and other financial institutions.
        Bank => "bank", "金融机构";
    }
}

vocabulary! {
    /// The level of a school.
    pub enum SchoolLevel [5] {
        Secondary => "secondary", "中职";
        HigherVocational => "higher_vocational", "高职专科";
        VocationalBachelor => "vocational_bachelor", "职业本科";
        Technician => "technician", "技工院校";
        University => "university", "普通本科";
    }
}

impl SchoolLevel {
    /// Whether the school is a vocational school (中职, 高职, 职业本科, 技工院校).
    pub fn is_vocational(self) -> bool {
        !matches!(self, SchoolLevel::University)
    }
}

vocabulary! {
    /// Enterprise size (大型/中型/小型/微型, per the national classification standard).
    pub enum EnterpriseSize [4] {
        Large => "large", "大型";
        Medium => "medium", "中型";
        Small => "small", "小型";
        Micro => "micro", "微型";
    }
}

vocabulary! {
    /// Ownership of an enterprise or school.
    pub enum Ownership [5] {
        State => "state", "国有";
        Private => "private", "民营";
        Foreign => "foreign", "外资";
        Mixed => "mixed", "混合所有制";
        Collective => "collective", "集体";
    }
}

vocabulary! {
    /// A user's role; each role belongs to the organisation kind of the same name.
    pub enum Role [6] {
        Operator => "operator", "运营管理员";
        Department => "department", "部门用户";
        District => "district", "区县用户";
        School => "school", "院校用户";
        Enterprise => "enterprise", "企业用户";
        Bank => "bank", "金融机构用户";
    }
}

impl Role {
    /// The kind of organisation a user with this role belongs to.
    pub fn org_kind(self) -> OrgKind {
        match self {
            Role::Operator => OrgKind::Operator,
            Role::Department => OrgKind::Department,
            Role::District => OrgKind::District,
            Role::School => OrgKind::School,
            Role::Enterprise => OrgKind::Enterprise,
            Role::Bank => OrgKind::Bank,
        }
    }
}

impl OrgKind {
    /// The role of users belonging to an organisation of this kind.
    pub fn role(self) -> Role {
        match self {
            OrgKind::Operator => Role::Operator,
            OrgKind::Department => Role::Department,
            OrgKind::District => Role::District,
            OrgKind::School => Role::School,
            OrgKind::Enterprise => Role::Enterprise,
            OrgKind::Bank => Role::Bank,
        }
    }
}

/// A section (门类) of GB/T 4754-2017 with its range of divisions (大类).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct IndustrySection {
    pub letter: char,
    pub name: &'static str,
    /// First 2-digit division of the section.
    pub first_division: u8,
    /// Last 2-digit division of the section (inclusive).
    pub last_division: u8,
}

const fn section(letter: char, name: &'static str, first: u8, last: u8) -> IndustrySection {
    IndustrySection {
        letter,
        name,
        first_division: first,
        last_division: last,
    }
}

/// The 20 sections of GB/T 4754-2017 (国民经济行业分类).
pub const INDUSTRY_SECTIONS: &[IndustrySection] = &[
    section('A', "农、林、牧、渔业", 1, 5),
    section('B', "采矿业", 6, 12),
    section('C', "制造业", 13, 43),
    section('D', "电力、热力、燃气及水生产和供应业", 44, 46),
    section('E', "建筑业", 47, 50),
    section('F', "批发和零售业", 51, 52),
    section('G', "交通运输、仓储和邮政业", 53, 60),
    section('H', "住宿和餐饮业", 61, 62),
    section('I', "信息传输、软件和信息技术服务业", 63, 65),
    section('J', "金融业", 66, 69),
    section('K', "房地产业", 70, 70),
    section('L', "租赁和商务服务业", 71, 72),
    section('M', "科学研究和技术服务业", 73, 75),
    section('N', "水利、环境和公共设施管理业", 76, 79),
    section('O', "居民服务、修理和其他服务业", 80, 82),
    section('P', "教育", 83, 83),
    section('Q', "卫生和社会工作", 84, 85),
    section('R', "文化、体育和娱乐业", 86, 90),
    section('S', "公共管理、社会保障和社会组织", 91, 97),
    section('T', "国际组织", 98, 98),
];

/// The section with this letter (upper case).
pub fn industry_section(letter: char) -> Option<&'static IndustrySection> {
    INDUSTRY_SECTIONS.iter().find(|s| s.letter == letter)
}

/// A GB/T 4754-2017 industry code: a section letter `A`–`T`, optionally followed by
/// 2–4 digits (division, group, class), e.g. `C`, `C39`, `C391`, `C3911`.
///
/// The 2-digit division must belong to the section. Whether a group or class
/// exists in the catalogue is not checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct IndustryCode(String);

impl IndustryCode {
    /// Trims the blanks around it ([`crate::text::trim`]) and upper-cases the section letter.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let s = crate::text::trim(s);
        let b = s.as_bytes();
        let Some((&first, digits)) = b.split_first() else {
            return Err(IdError::IndustryCodeFormat);
        };
        let sec = industry_section(first.to_ascii_uppercase() as char)
            .ok_or(IdError::IndustryCodeFormat)?;
        if !matches!(digits.len(), 0 | 2..=4) || !digits.iter().all(u8::is_ascii_digit) {
            return Err(IdError::IndustryCodeFormat);
        }
        if digits.len() >= 2 {
            let division = (digits[0] - b'0') * 10 + (digits[1] - b'0');
            if !(sec.first_division..=sec.last_division).contains(&division) {
                return Err(IdError::IndustryCodeFormat);
            }
        }
        Ok(Self(s.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The section letter, e.g. `'C'`.
    pub fn section(&self) -> char {
        self.0.as_bytes()[0] as char
    }

    /// The section name, e.g. `"制造业"`.
    pub fn section_name(&self) -> &'static str {
        industry_section(self.section()).map_or("", |s| s.name)
    }

    /// The 2-digit division (大类), if the code has one, e.g. `"39"`.
    pub fn division(&self) -> Option<&str> {
        self.0.get(1..3)
    }
}

impl fmt::Display for IndustryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_id_impls!(IndustryCode);

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! check_vocabulary {
        ($t:ty, $codes:expr, $labels:expr) => {{
            let codes: &[&str] = &$codes;
            let labels: &[&str] = &$labels;
            assert_eq!(<$t>::ALL.len(), codes.len());
            for ((v, code), label) in <$t>::ALL.into_iter().zip(codes).zip(labels) {
                assert_eq!(v.as_str(), *code);
                assert_eq!(v.label(), *label);
                assert_eq!(<$t>::parse(code), Some(v));
                assert_eq!(<$t>::parse(label), Some(v));
                assert_eq!(<$t>::parse(&format!(" {code} ")), Some(v));
                assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{code}\""));
                let back: $t = serde_json::from_str(&format!("\"{code}\"")).unwrap();
                assert_eq!(back, v);
            }
            assert_eq!(<$t>::parse(""), None);
            assert_eq!(<$t>::parse("Operator-x"), None);
        }};
    }

    #[test]
    fn vocabularies() {
        check_vocabulary!(
            OrgKind,
            [
                "operator",
                "department",
                "district",
                "school",
                "enterprise",
                "bank"
            ],
            ["运营机构", "市级部门", "区县", "院校", "企业", "金融机构"]
        );
        check_vocabulary!(
            SchoolLevel,
            [
                "secondary",
                "higher_vocational",
                "vocational_bachelor",
                "technician",
                "university"
            ],
            ["中职", "高职专科", "职业本科", "技工院校", "普通本科"]
        );
        check_vocabulary!(
            EnterpriseSize,
            ["large", "medium", "small", "micro"],
            ["大型", "中型", "小型", "微型"]
        );
        check_vocabulary!(
            Ownership,
            ["state", "private", "foreign", "mixed", "collective"],
            ["国有", "民营", "外资", "混合所有制", "集体"]
        );
        check_vocabulary!(
            Role,
            [
                "operator",
                "department",
                "district",
                "school",
                "enterprise",
                "bank"
            ],
            [
                "运营管理员",
                "部门用户",
                "区县用户",
                "院校用户",
                "企业用户",
                "金融机构用户"
            ]
        );
    }

    #[test]
    fn roles_and_kinds() {
        for r in Role::ALL {
            assert_eq!(r.org_kind().as_str(), r.as_str());
            assert_eq!(r.org_kind().role(), r);
        }
        assert!(SchoolLevel::Technician.is_vocational());
        assert!(!SchoolLevel::University.is_vocational());
    }

    #[test]
    fn industry_sections_cover_01_to_98() {
        assert_eq!(INDUSTRY_SECTIONS.len(), 20);
        let mut next = 1;
        for (i, s) in INDUSTRY_SECTIONS.iter().enumerate() {
            assert_eq!(s.letter, (b'A' + i as u8) as char);
            assert_eq!(s.first_division, next);
            assert!(s.last_division >= s.first_division);
            next = s.last_division + 1;
        }
        assert_eq!(next, 99);
    }

    #[test]
    fn industry_codes() {
        for ok in [
            "C", "C39", "C391", "C3911", " c3911 ", "A01", "A05", "T98", "P83", "K7010",
        ] {
            let c = IndustryCode::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(c.as_str(), ok.trim().to_ascii_uppercase());
        }
        let c = IndustryCode::parse("C3911").unwrap();
        assert_eq!(c.section(), 'C');
        assert_eq!(c.section_name(), "制造业");
        assert_eq!(c.division(), Some("39"));
        assert_eq!(IndustryCode::parse("P").unwrap().section_name(), "教育");
        assert_eq!(IndustryCode::parse("T").unwrap().section_name(), "国际组织");
        assert_eq!(IndustryCode::parse("P").unwrap().division(), None);
        for bad in [
            "",
            "U",
            "Z01",
            "1",
            "C3",
            "C39111",
            "C12",
            "A06",
            "B05",
            "T99",
            "C44",
            "CC39",
            "C3a",
            "3911",
            "Ｃ39",
            "制造业",
            "C 39",
        ] {
            assert_eq!(
                IndustryCode::parse(bad),
                Err(IdError::IndustryCodeFormat),
                "{bad}"
            );
        }
        assert_eq!(
            serde_json::to_string(&IndustryCode::parse("c39").unwrap()).unwrap(),
            "\"C39\""
        );
    }
}
