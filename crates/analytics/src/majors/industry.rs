//! Industry → “33618” cluster and strategic-emerging flag, from the shipped (modelled) mapping
//! `data/industry_clusters.csv`: GB/T 4754-2017 code prefixes, longest prefix wins.

use std::sync::OnceLock;

use domain::reference::{CLUSTERS_33618, Cluster};

use super::MajorsError;

/// The shipped mapping (a modelled mapping to be confirmed by the operator; see the file's
/// header).
pub const INDUSTRY_CLUSTERS_CSV: &str = include_str!("../../data/industry_clusters.csv");

/// One row of the mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndustryRule {
    /// Digits only, 2–4 of them.
    pub prefix: String,
    /// Index into `CLUSTERS_33618`.
    pub cluster: Option<u8>,
    pub strategic_emerging: bool,
    pub name: String,
}

/// What an industry code counts toward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IndustryClass {
    /// Index into `CLUSTERS_33618`.
    pub cluster: Option<u8>,
    pub strategic_emerging: bool,
}

impl IndustryClass {
    pub fn cluster(&self) -> Option<&'static Cluster> {
        self.cluster.map(|c| &CLUSTERS_33618[c as usize])
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndustryMap {
    rules: Vec<IndustryRule>,
}

impl IndustryMap {
    /// The shipped mapping.
    pub fn embedded() -> &'static IndustryMap {
        static MAP: OnceLock<IndustryMap> = OnceLock::new();
        MAP.get_or_init(|| {
            IndustryMap::parse(INDUSTRY_CLUSTERS_CSV)
                .expect("data/industry_clusters.csv is valid (checked by tests)")
        })
    }

    /// Parses a mapping in the format of `data/industry_clusters.csv` (`#` starts a comment
    /// line; header `prefix,cluster,strategic_emerging,name`).
    pub fn parse(text: &str) -> Result<IndustryMap, MajorsError> {
        let err = |line: u64, message: String| MajorsError::IndustryMap { line, message };
        let mut rdr = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .has_headers(true)
            .from_reader(text.as_bytes());
        let headers = rdr
            .headers()
            .map_err(|e| err(1, format!("无法读取表头：{e}")))?
            .clone();
        let want = ["prefix", "cluster", "strategic_emerging", "name"];
        if headers.iter().collect::<Vec<_>>() != want {
            return Err(err(1, format!("表头应为 {}", want.join(","))));
        }
        let mut rules: Vec<IndustryRule> = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| err(0, format!("无法读取：{e}")))?;
            let line = rec.position().map_or(0, |p| p.line());
            let prefix = rec[0].trim().to_string();
            if !(2..=4).contains(&prefix.len()) || !prefix.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err(line, format!("行业代码前缀“{prefix}”应为 2—4 位数字")));
            }
            let cluster = match rec[1].trim() {
                "" => None,
                code => Some(
                    CLUSTERS_33618
                        .iter()
                        .position(|c| c.code == code)
                        .ok_or_else(|| err(line, format!("“{code}”不是“33618”产业集群代码")))?
                        as u8,
                ),
            };
            let strategic_emerging = match rec[2].trim() {
                "1" => true,
                "0" => false,
                other => {
                    return Err(err(
                        line,
                        format!("strategic_emerging 应为 1 或 0（收到“{other}”）"),
                    ));
                }
            };
            if rules.iter().any(|r| r.prefix == prefix) {
                return Err(err(line, format!("行业代码前缀“{prefix}”重复")));
            }
            rules.push(IndustryRule {
                prefix,
                cluster,
                strategic_emerging,
                name: rec[3].trim().to_string(),
            });
        }
        Ok(IndustryMap { rules })
    }

    pub fn rules(&self) -> &[IndustryRule] {
        &self.rules
    }

    /// The rule an industry code falls under: the longest prefix of its digits (a leading
    /// section letter such as the `C` of `C3974` is ignored).
    pub fn rule(&self, industry: &str) -> Option<&IndustryRule> {
        let digits = industry
            .strip_prefix(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(industry);
        self.rules
            .iter()
            .filter(|r| digits.starts_with(r.prefix.as_str()))
            .max_by_key(|r| r.prefix.len())
    }

    pub fn classify(&self, industry: &str) -> IndustryClass {
        self.rule(industry)
            .map(|r| IndustryClass {
                cluster: r.cluster,
                strategic_emerging: r.strategic_emerging,
            })
            .unwrap_or_default()
    }
}
