//! Thresholds (dated parameters, overridable for scenarios), the tests of measure 5, the class
//! they give, explanations on demand, and scenario comparison.

use std::fmt;
use std::ops::BitOr;

use chrono::NaiveDate;
use policy::money::Rate;
use policy::params::{ParamSet, Used, Value};
use policy::trace::{Decision, Step, Trace};
use serde::{Deserialize, Serialize};

use super::MajorsError;
use super::dataset::Dataset;
use super::measures::{Measures, base_year, demand_change};
use super::num::Ratio;

/// The class of a major or offering (measure 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// 新兴（发展）
    Develop,
    /// 紧缺（加快）
    Accelerate,
    /// 撤并淘汰
    MergeEliminate,
    /// 改造升级
    Upgrade,
    /// 保持
    Keep,
}

impl Class {
    pub const ALL: [Class; 5] = [
        Class::Develop,
        Class::Accelerate,
        Class::MergeEliminate,
        Class::Upgrade,
        Class::Keep,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Class::Develop => "develop",
            Class::Accelerate => "accelerate",
            Class::MergeEliminate => "merge_eliminate",
            Class::Upgrade => "upgrade",
            Class::Keep => "keep",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Class::Develop => "新兴（发展）",
            Class::Accelerate => "紧缺（加快）",
            Class::MergeEliminate => "撤并淘汰",
            Class::Upgrade => "改造升级",
            Class::Keep => "保持",
        }
    }

    /// By key (`develop`) or label (`新兴（发展）`).
    pub fn parse(s: &str) -> Option<Class> {
        let s = s.trim();
        Class::ALL
            .into_iter()
            .find(|c| c.key() == s || c.label() == s)
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Which tests held (a bit set); stored with each verdict in bulk runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Tests(pub u16);

impl Tests {
    /// graduates < min_graduates
    pub const SMALL_SAMPLE: Tests = Tests(1);
    /// share of demand from strategic emerging or “33618” industries ≥ emerging_share
    pub const PRIORITY_SHARE: Tests = Tests(1 << 1);
    /// demand change over the window ≥ growth_rate
    pub const GROWTH: Tests = Tests(1 << 2);
    /// demand / supply ≥ shortage_ratio
    pub const SHORTAGE: Tests = Tests(1 << 3);
    /// demand / supply ≤ surplus_ratio
    pub const SURPLUS: Tests = Tests(1 << 4);
    /// employment rate < min_employment_rate
    pub const LOW_EMPLOYMENT: Tests = Tests(1 << 5);
    /// demand fell over the window by ≥ decline_rate
    pub const DECLINE: Tests = Tests(1 << 6);
    /// matching rate < min_matching_rate
    pub const LOW_MATCHING: Tests = Tests(1 << 7);
    /// employment rate ≥ high_employment_rate: the graduates find work, so a low ratio of
    /// postings to graduates alone does not make the major over-supplied
    pub const HIGH_EMPLOYMENT: Tests = Tests(1 << 8);

    /// Every test with its key and Chinese label.
    pub const ALL: [(Tests, &'static str, &'static str); 9] = [
        (Tests::SMALL_SAMPLE, "small_sample", "样本不足"),
        (
            Tests::PRIORITY_SHARE,
            "priority_share",
            "新兴产业需求占比达标",
        ),
        (Tests::GROWTH, "growth", "需求增长"),
        (Tests::SHORTAGE, "shortage", "供不应求"),
        (Tests::SURPLUS, "surplus", "供给过剩"),
        (Tests::LOW_EMPLOYMENT, "low_employment", "就业率低"),
        (Tests::DECLINE, "decline", "需求萎缩（职业岗位趋于消失）"),
        (Tests::LOW_MATCHING, "low_matching", "对口就业率低"),
        (Tests::HIGH_EMPLOYMENT, "high_employment", "就业率良好"),
    ];

    pub fn contains(self, t: Tests) -> bool {
        self.0 & t.0 == t.0
    }

    /// Over-supply that counts towards 撤并淘汰: few postings for the graduates **and** an
    /// employment rate below the line where graduates are taken to find work anyway.
    pub fn surplus_counts(self) -> bool {
        self.contains(Tests::SURPLUS) && !self.contains(Tests::HIGH_EMPLOYMENT)
    }

    /// Few postings for the graduates, but the graduates find work (no 撤并淘汰 for that).
    pub fn surplus_absorbed(self) -> bool {
        self.contains(Tests::SURPLUS) && self.contains(Tests::HIGH_EMPLOYMENT)
    }

    pub fn bits(self) -> u16 {
        self.0
    }

    /// Chinese labels of the tests that held, in order.
    pub fn labels(self) -> Vec<&'static str> {
        Tests::ALL
            .iter()
            .filter(|(t, _, _)| self.contains(*t))
            .map(|(_, _, l)| *l)
            .collect()
    }
}

impl BitOr for Tests {
    type Output = Tests;
    fn bitor(self, o: Tests) -> Tests {
        Tests(self.0 | o.0)
    }
}

/// Why a major with few postings for its graduates is not 撤并淘汰 (short form).
const ABSORBED: &str = "岗位需求少于毕业生，但就业率良好";

/// A class and the tests that held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Verdict {
    pub class: Class,
    pub tests: Tests,
}

impl Verdict {
    /// The class the tests give, in the rule order of the module documentation.
    pub fn from_tests(tests: Tests) -> Verdict {
        let class = if tests.contains(Tests::SMALL_SAMPLE) {
            Class::Keep
        } else if tests.contains(Tests::PRIORITY_SHARE | Tests::GROWTH) {
            Class::Develop
        } else if tests.contains(Tests::SHORTAGE) {
            Class::Accelerate
        } else if tests.surplus_counts()
            || tests.contains(Tests::LOW_EMPLOYMENT)
            || tests.contains(Tests::DECLINE)
        {
            Class::MergeEliminate
        } else if tests.contains(Tests::LOW_MATCHING) {
            Class::Upgrade
        } else {
            Class::Keep
        };
        Verdict { class, tests }
    }

    /// Why this class, in Chinese (the tests that decided it).
    pub fn reasons(&self) -> Vec<&'static str> {
        let t = self.tests;
        let pick = |bits: &[Tests]| -> Vec<&'static str> {
            Tests::ALL
                .iter()
                .filter(|(b, _, _)| bits.contains(b) && t.contains(*b))
                .map(|(_, _, l)| *l)
                .collect()
        };
        match self.class {
            Class::Keep if t.contains(Tests::SMALL_SAMPLE) => vec!["样本不足"],
            Class::Keep if t.surplus_absorbed() => vec![ABSORBED],
            Class::Keep => vec!["各项指标均在正常范围"],
            Class::Develop => pick(&[Tests::PRIORITY_SHARE, Tests::GROWTH]),
            Class::Accelerate => pick(&[Tests::SHORTAGE]),
            Class::MergeEliminate => {
                let mut v = Vec::new();
                if t.surplus_counts() {
                    v.push("供给过剩");
                }
                v.extend(pick(&[Tests::LOW_EMPLOYMENT, Tests::DECLINE]));
                v
            }
            Class::Upgrade => pick(&[Tests::LOW_MATCHING]),
        }
    }
}

/// The thresholds of measure 5 (parameters `majors.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdKey {
    WindowYears,
    ShortageRatio,
    SurplusRatio,
    MinEmploymentRate,
    HighEmploymentRate,
    MinMatchingRate,
    DeclineRate,
    EmergingShare,
    GrowthRate,
    MinGraduates,
    MatchConfidenceMin,
}

impl ThresholdKey {
    pub const ALL: [ThresholdKey; 11] = [
        ThresholdKey::WindowYears,
        ThresholdKey::ShortageRatio,
        ThresholdKey::SurplusRatio,
        ThresholdKey::MinEmploymentRate,
        ThresholdKey::HighEmploymentRate,
        ThresholdKey::MinMatchingRate,
        ThresholdKey::DeclineRate,
        ThresholdKey::EmergingShare,
        ThresholdKey::GrowthRate,
        ThresholdKey::MinGraduates,
        ThresholdKey::MatchConfidenceMin,
    ];

    /// The parameter's name within `majors.toml`, e.g. `shortage_ratio`.
    pub fn name(self) -> &'static str {
        match self {
            ThresholdKey::WindowYears => "window_years",
            ThresholdKey::ShortageRatio => "shortage_ratio",
            ThresholdKey::SurplusRatio => "surplus_ratio",
            ThresholdKey::MinEmploymentRate => "min_employment_rate",
            ThresholdKey::HighEmploymentRate => "high_employment_rate",
            ThresholdKey::MinMatchingRate => "min_matching_rate",
            ThresholdKey::DeclineRate => "decline_rate",
            ThresholdKey::EmergingShare => "emerging_share",
            ThresholdKey::GrowthRate => "growth_rate",
            ThresholdKey::MinGraduates => "min_graduates",
            ThresholdKey::MatchConfidenceMin => "match_confidence_min",
        }
    }

    /// The full parameter key, e.g. `majors.shortage_ratio`.
    pub fn param_key(self) -> String {
        format!("majors.{}", self.name())
    }

    /// A short Chinese name for forms and errors.
    pub fn label(self) -> &'static str {
        match self {
            ThresholdKey::WindowYears => "观察窗口（年）",
            ThresholdKey::ShortageRatio => "紧缺需求供给比",
            ThresholdKey::SurplusRatio => "过剩需求供给比",
            ThresholdKey::MinEmploymentRate => "最低就业率",
            ThresholdKey::HighEmploymentRate => "就业良好线",
            ThresholdKey::MinMatchingRate => "最低对口就业率",
            ThresholdKey::DeclineRate => "需求萎缩幅度",
            ThresholdKey::EmergingShare => "新兴产业需求占比",
            ThresholdKey::GrowthRate => "需求增长幅度",
            ThresholdKey::MinGraduates => "最少毕业生数",
            ThresholdKey::MatchConfidenceMin => "岗位匹配最低置信度",
        }
    }

    pub fn is_integer(self) -> bool {
        matches!(self, ThresholdKey::WindowYears | ThresholdKey::MinGraduates)
    }

    /// By name (`shortage_ratio`), full key (`majors.shortage_ratio`) or Chinese label.
    pub fn parse(s: &str) -> Option<ThresholdKey> {
        let s = s.trim();
        let name = s.strip_prefix("majors.").unwrap_or(s);
        ThresholdKey::ALL
            .into_iter()
            .find(|k| k.name() == name || k.label() == s)
    }
}

/// Threshold values (exact).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ThresholdValues {
    pub window_years: i64,
    pub shortage_ratio: Rate,
    pub surplus_ratio: Rate,
    pub min_employment_rate: Rate,
    pub high_employment_rate: Rate,
    pub min_matching_rate: Rate,
    pub decline_rate: Rate,
    pub emerging_share: Rate,
    pub growth_rate: Rate,
    pub min_graduates: i64,
    pub match_confidence_min: Rate,
}

impl ThresholdValues {
    fn rate_mut(&mut self, key: ThresholdKey) -> Option<&mut Rate> {
        Some(match key {
            ThresholdKey::ShortageRatio => &mut self.shortage_ratio,
            ThresholdKey::SurplusRatio => &mut self.surplus_ratio,
            ThresholdKey::MinEmploymentRate => &mut self.min_employment_rate,
            ThresholdKey::HighEmploymentRate => &mut self.high_employment_rate,
            ThresholdKey::MinMatchingRate => &mut self.min_matching_rate,
            ThresholdKey::DeclineRate => &mut self.decline_rate,
            ThresholdKey::EmergingShare => &mut self.emerging_share,
            ThresholdKey::GrowthRate => &mut self.growth_rate,
            ThresholdKey::MatchConfidenceMin => &mut self.match_confidence_min,
            ThresholdKey::WindowYears | ThresholdKey::MinGraduates => return None,
        })
    }

    fn integer_mut(&mut self, key: ThresholdKey) -> Option<&mut i64> {
        match key {
            ThresholdKey::WindowYears => Some(&mut self.window_years),
            ThresholdKey::MinGraduates => Some(&mut self.min_graduates),
            _ => None,
        }
    }

    /// The value of a key, as the parameter value.
    pub fn value(&self, key: ThresholdKey) -> Value {
        let mut copy = *self;
        if let Some(i) = copy.integer_mut(key) {
            Value::Integer(*i)
        } else {
            Value::Rate(copy.rate_mut(key).map_or(Rate::ZERO, |r| *r))
        }
    }

    /// Checks ranges and consistency; the message names the threshold in Chinese.
    pub fn validate(&self) -> Result<(), MajorsError> {
        self.check_ranges()?;
        if self.shortage_ratio <= self.surplus_ratio {
            return Err(MajorsError::Threshold {
                key: ThresholdKey::ShortageRatio.label().to_string(),
                message: format!(
                    "紧缺需求供给比 {} 应高于过剩需求供给比 {}",
                    self.shortage_ratio, self.surplus_ratio
                ),
            });
        }
        if self.high_employment_rate <= self.min_employment_rate {
            return Err(MajorsError::Threshold {
                key: ThresholdKey::HighEmploymentRate.label().to_string(),
                message: format!(
                    "就业良好线 {} 应高于最低就业率 {}",
                    self.high_employment_rate.percent(),
                    self.min_employment_rate.percent()
                ),
            });
        }
        Ok(())
    }

    /// Checks each value's range.
    fn check_ranges(&self) -> Result<(), MajorsError> {
        let bad = |key: ThresholdKey, message: String| MajorsError::Threshold {
            key: key.label().to_string(),
            message,
        };
        if !(1..=10).contains(&self.window_years) {
            return Err(bad(
                ThresholdKey::WindowYears,
                format!("应为 1 至 10 之间的整数（收到 {}）", self.window_years),
            ));
        }
        if !(0..=1_000_000).contains(&self.min_graduates) {
            return Err(bad(
                ThresholdKey::MinGraduates,
                format!(
                    "应为 0 至 1000000 之间的整数（收到 {}）",
                    self.min_graduates
                ),
            ));
        }
        for key in [
            ThresholdKey::MinEmploymentRate,
            ThresholdKey::HighEmploymentRate,
            ThresholdKey::MinMatchingRate,
            ThresholdKey::DeclineRate,
            ThresholdKey::EmergingShare,
            ThresholdKey::MatchConfidenceMin,
        ] {
            let v = self.value(key);
            if let Value::Rate(r) = v
                && (r < Rate::ZERO || r > Rate::ONE)
            {
                return Err(bad(key, format!("应在 0 与 1 之间（收到 {r}）")));
            }
        }
        for key in [
            ThresholdKey::GrowthRate,
            ThresholdKey::SurplusRatio,
            ThresholdKey::ShortageRatio,
        ] {
            if let Value::Rate(r) = self.value(key)
                && (r < Rate::ZERO || r > Rate::from_ppm(1_000_000_000))
            {
                return Err(bad(key, format!("应在 0 与 1000 之间（收到 {r}）")));
            }
        }
        Ok(())
    }
}

/// The thresholds in force for one data year, with their citations; overridable for scenarios.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    pub year: i32,
    pub values: ThresholdValues,
    /// As resolved from the parameters, in the order of [`ThresholdKey::ALL`].
    base: Vec<Used>,
    overridden: [bool; ThresholdKey::ALL.len()],
}

fn key_index(key: ThresholdKey) -> usize {
    ThresholdKey::ALL
        .iter()
        .position(|k| *k == key)
        .unwrap_or_default()
}

/// The date parameters are looked up at for a data year: `{year}-12-31`.
pub fn lookup_date(year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, 12, 31)
}

impl Thresholds {
    /// The thresholds in force on `{year}-12-31`.
    pub fn resolve(params: &ParamSet, year: i32) -> Result<Thresholds, MajorsError> {
        let date =
            lookup_date(year).ok_or_else(|| MajorsError::Data(format!("年份 {year} 无效")))?;
        let mut base = Vec::with_capacity(ThresholdKey::ALL.len());
        let mut values = ThresholdValues {
            window_years: 0,
            shortage_ratio: Rate::ZERO,
            surplus_ratio: Rate::ZERO,
            min_employment_rate: Rate::ZERO,
            high_employment_rate: Rate::ZERO,
            min_matching_rate: Rate::ZERO,
            decline_rate: Rate::ZERO,
            emerging_share: Rate::ZERO,
            growth_rate: Rate::ZERO,
            min_graduates: 0,
            match_confidence_min: Rate::ZERO,
        };
        for key in ThresholdKey::ALL {
            let pk = key.param_key();
            if let Some(slot) = values.integer_mut(key) {
                let (v, used) = params.integer(&pk, date)?;
                *slot = v;
                base.push(used);
            } else if let Some(slot) = values.rate_mut(key) {
                let (v, used) = params.rate(&pk, date)?;
                *slot = v;
                base.push(used);
            }
        }
        values.validate()?;
        Ok(Thresholds {
            year,
            values,
            base,
            overridden: [false; ThresholdKey::ALL.len()],
        })
    }

    /// Overrides one threshold from user input (a decimal such as `1.2`, a percentage such as
    /// `85%` for rates, an integer for years and graduates). Errors are in Chinese. Checks the
    /// value's range only; after the last override call `values.validate()` for the
    /// consistency check (shortage above surplus) — [`YearThresholds::with_overrides`] does.
    pub fn set(&mut self, key: &str, input: &str) -> Result<(), MajorsError> {
        let k = ThresholdKey::parse(key).ok_or_else(|| MajorsError::Threshold {
            key: key.trim().to_string(),
            message: format!(
                "未知的阈值，可用：{}",
                ThresholdKey::ALL.map(|k| k.label()).join("、")
            ),
        })?;
        let bad = |message: String| MajorsError::Threshold {
            key: k.label().to_string(),
            message,
        };
        let s = input.trim();
        if s.is_empty() {
            return Err(bad("未填写取值".into()));
        }
        let mut next = self.values;
        if let Some(slot) = next.integer_mut(k) {
            *slot = s
                .parse::<i64>()
                .map_err(|_| bad(format!("“{s}”不是整数")))?;
        } else if let Some(slot) = next.rate_mut(k) {
            *slot = match s.strip_suffix(['%', '％']) {
                Some(p) => {
                    let r = Rate::parse(p).map_err(|e| bad(format!("{e}（百分数）")))?;
                    if r.ppm() % 100 != 0 {
                        return Err(bad(format!("“{s}”的小数位过多")));
                    }
                    Rate::from_ppm(r.ppm() / 100)
                }
                None => Rate::parse(s).map_err(bad)?,
            };
        }
        // Ranges now; the cross-check (shortage above surplus) once all are applied.
        next.check_ranges()?;
        self.values = next;
        self.overridden[key_index(k)] = true;
        Ok(())
    }

    pub fn is_overridden(&self, key: ThresholdKey) -> bool {
        self.overridden[key_index(key)]
    }

    /// The parameter as used: as resolved, or — when overridden in a scenario — with the
    /// scenario's value, marked unverified and citing the parameter it replaces.
    pub fn used(&self, key: ThresholdKey) -> Used {
        let i = key_index(key);
        let base = &self.base[i];
        if !self.overridden[i] {
            return base.clone();
        }
        Used {
            value: self.values.value(key),
            source: format!(
                "情景分析设定值（替代参数值 {}，其出处：{}）",
                base.value, base.source
            ),
            verified: false,
            ..base.clone()
        }
    }

    /// Every parameter used, in key order.
    pub fn all_used(&self) -> Vec<Used> {
        ThresholdKey::ALL.iter().map(|k| self.used(*k)).collect()
    }
}

/// Thresholds for each data year.
#[derive(Debug, Clone, PartialEq)]
pub struct YearThresholds {
    by_year: Vec<Thresholds>,
}

impl YearThresholds {
    /// Resolves the parameters for each year (each at `{year}-12-31`).
    pub fn resolve(params: &ParamSet, years: &[i32]) -> Result<YearThresholds, MajorsError> {
        let mut ys = years.to_vec();
        ys.sort_unstable();
        ys.dedup();
        Ok(YearThresholds {
            by_year: ys
                .into_iter()
                .map(|y| Thresholds::resolve(params, y))
                .collect::<Result<_, _>>()?,
        })
    }

    pub fn get(&self, year: i32) -> Option<&Thresholds> {
        self.by_year
            .binary_search_by_key(&year, |t| t.year)
            .ok()
            .map(|i| &self.by_year[i])
    }

    pub fn iter(&self) -> impl Iterator<Item = &Thresholds> {
        self.by_year.iter()
    }

    /// A scenario: the same thresholds with `(key, value)` overrides applied to every year.
    pub fn with_overrides<'a>(
        &self,
        overrides: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<YearThresholds, MajorsError> {
        let overrides: Vec<(&str, &str)> = overrides.into_iter().collect();
        let mut out = self.clone();
        for t in &mut out.by_year {
            for (k, v) in &overrides {
                t.set(k, v)?;
            }
            t.values.validate()?;
        }
        Ok(out)
    }
}

/// The figures a verdict rests on, all exact. For an offering, the own figures are the
/// offering's and demand, its trend and the ratio are the major's city-wide ones; for a major
/// city-wide, all are city totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub year: i32,
    /// First year of the window.
    pub base_year: i32,
    pub graduates: i64,
    pub employed: i64,
    pub employed_matching: i64,
    /// City-wide graduates of the major: the supply demand is compared with.
    pub city_graduates: i64,
    pub demand_units: i128,
    pub emerging_units: i128,
    pub cluster_units: i128,
    pub priority_units: i128,
    /// City-wide demand of the major in the window's first year (0 if none).
    pub base_demand_units: i128,
    pub lcm: i128,
}

impl Evidence {
    /// A major city-wide in a year (`None` if the year is not in the data).
    pub fn for_major(measures: &Measures, major: u32, year: i32, window: i64) -> Option<Evidence> {
        let c = measures.city(major, year)?;
        let by = base_year(year, window);
        let base = measures.city(major, by).map_or(0, |b| b.demand.units);
        Some(Evidence {
            year,
            base_year: by,
            graduates: c.supply.graduates,
            employed: c.supply.employed,
            employed_matching: c.supply.employed_matching,
            city_graduates: c.supply.graduates,
            demand_units: c.demand.units,
            emerging_units: c.demand.emerging_units,
            cluster_units: c.demand.cluster_units,
            priority_units: c.demand.priority_units,
            base_demand_units: base,
            lcm: measures.lcm(),
        })
    }

    /// An offering: its own employment figures, its major's city-wide demand and supply.
    pub fn for_offering(
        ds: &Dataset,
        measures: &Measures,
        offering: usize,
        window: i64,
    ) -> Option<Evidence> {
        let o = ds.offerings.get(offering)?;
        let mut e = Evidence::for_major(measures, o.major, o.year, window)?;
        e.graduates = o.graduates;
        e.employed = o.employed;
        e.employed_matching = o.employed_matching;
        Some(e)
    }

    /// 需求供给比 = city demand (posts) / city graduates.
    pub fn ratio(&self) -> Option<Ratio> {
        Ratio::new(
            self.demand_units,
            self.lcm * i128::from(self.city_graduates),
        )
    }

    pub fn employment_rate(&self) -> Option<Ratio> {
        Ratio::new(self.employed.into(), self.graduates.into())
    }

    pub fn matching_rate(&self) -> Option<Ratio> {
        Ratio::new(self.employed_matching.into(), self.employed.into())
    }

    pub fn priority_share(&self) -> Option<Ratio> {
        Ratio::new(self.priority_units, self.demand_units)
    }

    /// (D_year − D_base) / D_base; undefined when D_base = 0.
    pub fn demand_change(&self) -> Option<Ratio> {
        demand_change(self.demand_units, self.base_demand_units)
    }

    /// The tests that hold. A test on an undefined rate does not hold.
    pub fn tests(&self, t: &ThresholdValues) -> Tests {
        use std::cmp::Ordering::Less;
        let mut r = Tests(0);
        let mut set = |cond: bool, bit: Tests| {
            if cond {
                r = r | bit;
            }
        };
        set(self.graduates < t.min_graduates, Tests::SMALL_SAMPLE);
        if let Some(s) = self.priority_share() {
            set(s.cmp_rate(t.emerging_share) != Less, Tests::PRIORITY_SHARE);
        }
        if let Some(ch) = self.demand_change() {
            set(ch.cmp_rate(t.growth_rate) != Less, Tests::GROWTH);
            let fall = Ratio {
                num: -ch.num,
                den: ch.den,
            };
            set(fall.cmp_rate(t.decline_rate) != Less, Tests::DECLINE);
        }
        if let Some(x) = self.ratio() {
            set(x.cmp_rate(t.shortage_ratio) != Less, Tests::SHORTAGE);
            set(
                x.cmp_rate(t.surplus_ratio) != std::cmp::Ordering::Greater,
                Tests::SURPLUS,
            );
        }
        if let Some(e) = self.employment_rate() {
            set(
                e.cmp_rate(t.min_employment_rate) == Less,
                Tests::LOW_EMPLOYMENT,
            );
            set(
                e.cmp_rate(t.high_employment_rate) != Less,
                Tests::HIGH_EMPLOYMENT,
            );
        }
        if let Some(m) = self.matching_rate() {
            set(m.cmp_rate(t.min_matching_rate) == Less, Tests::LOW_MATCHING);
        }
        r
    }

    pub fn verdict(&self, t: &ThresholdValues) -> Verdict {
        Verdict::from_tests(self.tests(t))
    }

    /// The verdict's reason in plain words (see [`summarize_offering`]); `offering`: the own
    /// figures are one school's.
    pub fn summary(&self, t: &ThresholdValues, offering: bool) -> String {
        plain_reason(self, t, self.verdict(t), offering)
    }
}

/// Verdicts of every offering and every present (major, year) city-wide.
#[derive(Debug, Clone)]
pub struct Classification {
    /// Aligned with `Dataset::offerings`.
    pub offerings: Vec<Verdict>,
    years: Vec<i32>,
    /// [major][year]; `None` where the major has no data that year.
    majors: Vec<Option<Verdict>>,
}

impl Classification {
    pub fn major(&self, major: u32, year: i32) -> Option<Verdict> {
        let y = self.years.binary_search(&year).ok()?;
        *self.majors.get(major as usize * self.years.len() + y)?
    }

    /// (major, year, verdict) for every classified (major, year).
    pub fn major_rows(&self) -> impl Iterator<Item = (u32, i32, Verdict)> + '_ {
        let y_n = self.years.len();
        self.majors
            .iter()
            .enumerate()
            .filter_map(move |(i, v)| v.map(|v| ((i / y_n) as u32, self.years[i % y_n], v)))
    }

    /// Number of offerings in each class (in the order of [`Class::ALL`]).
    pub fn offering_counts(&self) -> [usize; 5] {
        let mut n = [0; 5];
        for v in &self.offerings {
            n[v.class as usize] += 1;
        }
        n
    }

    /// Number of (major, year) in each class (in the order of [`Class::ALL`]).
    pub fn major_counts(&self) -> [usize; 5] {
        let mut n = [0; 5];
        for (_, _, v) in self.major_rows() {
            n[v.class as usize] += 1;
        }
        n
    }
}

fn thresholds_for(thresholds: &YearThresholds, year: i32) -> Result<&Thresholds, MajorsError> {
    thresholds
        .get(year)
        .ok_or_else(|| MajorsError::Data(format!("缺少 {year} 年的分类阈值")))
}

/// Classifies every offering and every (major, year) with data. Stores only class and tests;
/// see [`explain_offering`] and [`explain_major`] for the reasons.
pub fn classify(
    ds: &Dataset,
    measures: &Measures,
    thresholds: &YearThresholds,
) -> Result<Classification, MajorsError> {
    let years = measures.years().to_vec();
    let per_year: Vec<&Thresholds> = years
        .iter()
        .map(|&y| thresholds_for(thresholds, y))
        .collect::<Result<_, _>>()?;
    let y_n = years.len();
    let m_n = ds.majors.len();
    let mut majors = vec![None; m_n * y_n];
    for (m, year, _) in measures.city_rows() {
        let y = measures.year_index(year).unwrap_or_default();
        let t = &per_year[y].values;
        if let Some(e) = Evidence::for_major(measures, m, year, t.window_years) {
            majors[m as usize * y_n + y] = Some(e.verdict(t));
        }
    }
    let mut offerings = Vec::with_capacity(ds.offerings.len());
    for (i, o) in ds.offerings.iter().enumerate() {
        let y = measures.year_index(o.year).unwrap_or_default();
        let t = &per_year[y].values;
        let e = Evidence::for_offering(ds, measures, i, t.window_years)
            .ok_or_else(|| MajorsError::Data(format!("开设记录第 {} 条不在数据中", i + 1)))?;
        offerings.push(e.verdict(t));
    }
    Ok(Classification {
        offerings,
        years,
        majors,
    })
}

/// An offering or offerings/majors whose class differs between base and scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfferingChange {
    /// Index into `Dataset::offerings`.
    pub offering: usize,
    pub from: Verdict,
    pub to: Verdict,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MajorChange {
    pub major: u32,
    pub year: i32,
    pub from: Verdict,
    pub to: Verdict,
}

/// What a scenario changes: only the items whose class changes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ScenarioDiff {
    pub offerings: Vec<OfferingChange>,
    pub majors: Vec<MajorChange>,
}

/// Classifies under both threshold sets and lists the items whose class changes (nothing is
/// stored).
pub fn compare(
    ds: &Dataset,
    measures: &Measures,
    base: &YearThresholds,
    scenario: &YearThresholds,
) -> Result<ScenarioDiff, MajorsError> {
    let a = classify(ds, measures, base)?;
    let b = classify(ds, measures, scenario)?;
    let offerings = a
        .offerings
        .iter()
        .zip(&b.offerings)
        .enumerate()
        .filter(|(_, (x, y))| x.class != y.class)
        .map(|(i, (x, y))| OfferingChange {
            offering: i,
            from: *x,
            to: *y,
        })
        .collect();
    let majors = a
        .major_rows()
        .filter_map(|(m, year, from)| {
            let to = b.major(m, year)?;
            (from.class != to.class).then_some(MajorChange {
                major: m,
                year,
                from,
                to,
            })
        })
        .collect();
    Ok(ScenarioDiff { offerings, majors })
}

fn or_dash(r: Option<String>) -> String {
    r.unwrap_or_else(|| "—".into())
}

fn ge(held: bool) -> &'static str {
    if held { "≥" } else { "<" }
}

/// A count as people read it (`1,234`).
fn n(v: i64) -> String {
    domain::numbers::count(v)
}

/// Why a verdict, in the words of the people who act on it (a school, the education
/// commission): the figures that decided, each against its threshold, no keys, no fractions,
/// no rule numbers. `offering`: the own figures are one school's (本校), else the city's.
fn plain_reason(e: &Evidence, v: &ThresholdValues, verdict: Verdict, offering: bool) -> String {
    let t = verdict.tests;
    let who = if offering { "本校" } else { "全市" };
    let posts = Ratio {
        num: e.demand_units,
        den: e.lcm,
    };
    let ratio = or_dash(e.ratio().map(|r| r.decimal(2)));
    let emp = or_dash(e.employment_rate().map(|r| r.percent_text(1)));
    let matching = or_dash(e.matching_rate().map(|r| r.percent_text(1)));
    let supply_demand = format!(
        "全市该专业 {} 年岗位需求约 {} 人、毕业生 {} 人，岗位需求与毕业生之比 {ratio}",
        e.year,
        posts.people(),
        n(e.city_graduates)
    );
    let emp_of = format!("{who} {} 年毕业生就业率 {emp}", e.year);
    let absorbed = format!(
        "{supply_demand}，不高于供给过剩线 {}；但{emp_of}，达到就业良好线 {}，毕业生已被就业市场吸纳，不列为撤并淘汰",
        v.surplus_ratio,
        v.high_employment_rate.percent()
    );
    let fall = e.demand_change().map(|c| Ratio {
        num: -c.num,
        den: c.den,
    });
    match verdict.class {
        Class::Keep if t.contains(Tests::SMALL_SAMPLE) => format!(
            "{who} {} 年毕业生 {} 人，少于 {} 人，人数太少，比率不足以判断，暂不调整",
            e.year,
            n(e.graduates),
            n(v.min_graduates)
        ),
        Class::Develop => format!(
            "全市该专业岗位需求中来自战略性新兴产业或“33618”产业集群的占 {}，达到 {}；{}—{} 年岗位需求增长 {}，达到 {}：属新兴专业，宜优先发展",
            or_dash(e.priority_share().map(|r| r.percent_text(1))),
            v.emerging_share.percent(),
            e.base_year,
            e.year,
            or_dash(e.demand_change().map(|r| r.percent_text(1))),
            v.growth_rate.percent()
        ),
        Class::Accelerate => {
            let mut s = format!(
                "{supply_demand}，达到紧缺线 {}：人才供不应求，宜加快建设",
                v.shortage_ratio
            );
            if t.contains(Tests::LOW_EMPLOYMENT) {
                s.push_str(&format!(
                    "；{emp_of}，低于 {}，需求充足而就业偏低，宜查找培养质量原因",
                    v.min_employment_rate.percent()
                ));
            }
            s
        }
        Class::MergeEliminate => {
            let mut parts = Vec::new();
            if t.surplus_counts() {
                let emp_part = if t.contains(Tests::LOW_EMPLOYMENT) {
                    String::new()
                } else {
                    format!(
                        "，{emp_of}，也未达到就业良好线 {}",
                        v.high_employment_rate.percent()
                    )
                };
                parts.push(format!(
                    "{supply_demand}，不高于供给过剩线 {}{emp_part}：供给过剩",
                    v.surplus_ratio
                ));
            }
            if t.contains(Tests::LOW_EMPLOYMENT) {
                parts.push(format!(
                    "{emp_of}，低于最低就业率 {}：就业率低",
                    v.min_employment_rate.percent()
                ));
            }
            if t.contains(Tests::DECLINE) {
                let mut s = format!(
                    "{}—{} 年全市该专业岗位需求下降 {}，降幅达到 {}：职业岗位趋于消失",
                    e.base_year,
                    e.year,
                    or_dash(fall.map(|r| r.percent_text(1))),
                    v.decline_rate.percent()
                );
                if t.contains(Tests::HIGH_EMPLOYMENT) {
                    s.push_str(&format!("（{emp_of}，目前就业尚好，但对口岗位在减少）"));
                }
                parts.push(s);
            }
            parts.join("；")
        }
        Class::Upgrade => {
            let lead = if t.surplus_absorbed() {
                format!("{absorbed}；")
            } else {
                String::new()
            };
            format!(
                "{lead}{who}就业的毕业生中对口就业占 {matching}，低于 {}：专业与岗位对接不紧，宜改造升级",
                v.min_matching_rate.percent()
            )
        }
        Class::Keep if t.surplus_absorbed() => absorbed,
        Class::Keep => format!(
            "{emp_of}、对口就业率 {matching}，全市该专业岗位需求与毕业生之比 {ratio}，均在正常范围"
        ),
    }
}

/// Records the explanation of a verdict; shared by offerings and majors.
fn explain(subject: &str, offering: bool, e: &Evidence, t: &Thresholds) -> Decision<Verdict> {
    let v = t.values;
    let tests = e.tests(&v);
    let verdict = Verdict::from_tests(tests);
    let u = |k: ThresholdKey| t.used(k);
    let mut tr = Trace::enabled();
    let posts = |units: i128| Ratio {
        num: units,
        den: e.lcm,
    };
    // Defaults awaiting confirmation are flagged on each cited parameter and in the
    // conclusion; scenario values are flagged where they are used.
    let note = |k: ThresholdKey| {
        if t.is_overridden(k) {
            "（情景设定值）"
        } else {
            ""
        }
    };

    tr.record(|| {
        let own = if offering {
            format!(
                "本校该专业 {} 年毕业生 {} 人、就业 {} 人、对口就业 {} 人；全市该专业毕业生 {} 人。",
                e.year,
                n(e.graduates),
                n(e.employed),
                n(e.employed_matching),
                n(e.city_graduates)
            )
        } else {
            format!(
                "全市该专业 {} 年毕业生 {} 人、就业 {} 人、对口就业 {} 人。",
                e.year,
                n(e.graduates),
                n(e.employed),
                n(e.employed_matching)
            )
        };
        let share = or_dash(e.priority_share().map(|r| r.percent_text(2)));
        Step::new(
            "汇总供需数据",
            format!(
                "{subject}。{own}全市该专业岗位需求折合 {} 个（一个职业对应多个专业时，其岗位平均分给这些专业{}），其中来自战略性新兴产业或“33618”产业集群的占 {share}；{} 年需求折合 {} 个。{}",
                posts(e.demand_units).decimal(2),
                // The exact fraction (`demand_units / lcm`, often of 12+ digits) is in the
                // step's inputs; people read the value rounded.
                if e.lcm > 1 {
                    "；判定按精确值比较，此处保留两位小数"
                } else {
                    ""
                },
                e.base_year,
                posts(e.base_demand_units).decimal(2),
                if offering {
                    "学校层面的就业率、对口就业率用本校数据，需求供给比和需求趋势用全市该专业数据。"
                } else {
                    ""
                }
            ),
        )
        .input("year", e.year)
        .input("graduates", e.graduates)
        .input("employed", e.employed)
        .input("employed_matching", e.employed_matching)
        .input("city_graduates", e.city_graduates)
        .input("demand_units", e.demand_units.to_string())
        .input("priority_units", e.priority_units.to_string())
        .input("base_year", e.base_year)
        .input("base_demand_units", e.base_demand_units.to_string())
        .input("lcm", e.lcm.to_string())
        .result(posts(e.demand_units).fixed(2))
    });

    let small = tests.contains(Tests::SMALL_SAMPLE);
    tr.record(|| {
        let text = if small {
            format!(
                "毕业生 {} 人，少于最少毕业生数 {} 人{}：样本不足，归为保持，以下各项检验仅供参考。",
                n(e.graduates),
                n(v.min_graduates),
                note(ThresholdKey::MinGraduates)
            )
        } else {
            format!(
                "毕业生 {} 人，不少于最少毕业生数 {} 人{}，按规则继续判定。",
                n(e.graduates),
                n(v.min_graduates),
                note(ThresholdKey::MinGraduates)
            )
        };
        Step::new("规则1 样本量", text)
            .input("graduates", e.graduates)
            .param(&u(ThresholdKey::MinGraduates))
            .result(small)
    });

    let share_ok = tests.contains(Tests::PRIORITY_SHARE);
    let growth_ok = tests.contains(Tests::GROWTH);
    tr.record(|| {
        let share = match e.priority_share() {
            Some(s) => format!(
                "来自战略性新兴产业或“33618”产业集群的需求占比 {}，{} 下限 {}{}",
                s.percent_text(2),
                ge(share_ok),
                v.emerging_share.percent(),
                note(ThresholdKey::EmergingShare)
            ),
            None => "该专业无岗位需求，占比无法计算，不成立".into(),
        };
        let growth = match e.demand_change() {
            Some(c) => format!(
                "观察窗口 {} 年{}（{}—{} 年）需求变化 {}，{} 增长下限 {}{}",
                v.window_years,
                note(ThresholdKey::WindowYears),
                e.base_year,
                e.year,
                c.percent_text(2),
                ge(growth_ok),
                v.growth_rate.percent(),
                note(ThresholdKey::GrowthRate)
            ),
            None => format!("{} 年无需求，增幅无法计算，不成立", e.base_year),
        };
        let verdict = if share_ok && growth_ok {
            "两项均成立：新兴（发展）"
        } else {
            "未同时成立：不是新兴专业"
        };
        Step::new(
            "规则2 新兴专业（发展）",
            format!("{share}；{growth}。{verdict}。"),
        )
        .input("priority_share", e.priority_share().map(|r| r.percent(2)))
        .input("demand_change", e.demand_change().map(|r| r.percent(2)))
        .param(&u(ThresholdKey::EmergingShare))
        .param(&u(ThresholdKey::GrowthRate))
        .param(&u(ThresholdKey::WindowYears))
        .result(share_ok && growth_ok)
    });

    let shortage = tests.contains(Tests::SHORTAGE);
    tr.record(|| {
        let text = match e.ratio() {
            Some(r) => format!(
                "需求供给比 = 全市需求 {} ÷ 全市毕业生 {} = {}，{} 紧缺下限 {}{}：{}。",
                posts(e.demand_units).decimal(2),
                n(e.city_graduates),
                r.decimal(2),
                ge(shortage),
                v.shortage_ratio,
                note(ThresholdKey::ShortageRatio),
                if shortage {
                    "紧缺（加快）"
                } else {
                    "不紧缺"
                }
            ),
            None => "全市该专业无毕业生，需求供给比无法计算，不判定为紧缺。".into(),
        };
        Step::new("规则3 紧缺专业（加快）", text)
            .input("ratio", e.ratio().map(|r| r.fixed(2)))
            .param(&u(ThresholdKey::ShortageRatio))
            .result(shortage)
    });

    let surplus = tests.contains(Tests::SURPLUS);
    let high_emp = tests.contains(Tests::HIGH_EMPLOYMENT);
    let low_emp = tests.contains(Tests::LOW_EMPLOYMENT);
    let decline = tests.contains(Tests::DECLINE);
    tr.record(|| {
        let a = match (e.ratio(), e.employment_rate()) {
            (Some(r), _) if !surplus => format!(
                "需求供给比 {} > 过剩上限 {}{}，不属供给过剩",
                r.decimal(2),
                v.surplus_ratio,
                note(ThresholdKey::SurplusRatio)
            ),
            (Some(r), Some(er)) => format!(
                "需求供给比 {} ≤ 过剩上限 {}{}，就业率 {} {} 就业良好线 {}{}：{}",
                r.decimal(2),
                v.surplus_ratio,
                note(ThresholdKey::SurplusRatio),
                er.percent_text(2),
                ge(high_emp),
                v.high_employment_rate.percent(),
                note(ThresholdKey::HighEmploymentRate),
                if high_emp {
                    "毕业生已被就业市场吸纳，不因岗位数少判定为供给过剩"
                } else {
                    "供给过剩"
                }
            ),
            (Some(r), None) => format!(
                "需求供给比 {} ≤ 过剩上限 {}{}：供给过剩",
                r.decimal(2),
                v.surplus_ratio,
                note(ThresholdKey::SurplusRatio)
            ),
            (None, _) => "需求供给比无法计算（无毕业生）".into(),
        };
        let b = match e.employment_rate() {
            Some(r) => format!(
                "就业率 {} {} 最低就业率 {}{}",
                r.percent_text(2),
                if low_emp { "<" } else { "≥" },
                v.min_employment_rate.percent(),
                note(ThresholdKey::MinEmploymentRate)
            ),
            None => "就业率无法计算（无毕业生）".into(),
        };
        let c = match e.demand_change() {
            Some(ch) if ch.num > 0 => format!(
                "{}—{} 年需求增长 {}，未萎缩",
                e.base_year,
                e.year,
                ch.percent_text(2)
            ),
            Some(ch) => {
                let fall = Ratio {
                    num: -ch.num,
                    den: ch.den,
                };
                format!(
                    "{}—{} 年需求降幅 {} {} 萎缩幅度 {}{}",
                    e.base_year,
                    e.year,
                    fall.percent_text(2),
                    ge(decline),
                    v.decline_rate.percent(),
                    note(ThresholdKey::DeclineRate)
                )
            }
            None => format!("{} 年无需求，降幅无法计算", e.base_year),
        };
        let any = tests.surplus_counts() || low_emp || decline;
        Step::new(
            "规则4 撤并淘汰",
            format!(
                "{a}；{b}；{c}。{}",
                if any {
                    "至少一项成立：撤并淘汰（供给过剩、就业率低或职业岗位趋于消失）。"
                } else {
                    "均不成立。"
                }
            ),
        )
        .input("ratio", e.ratio().map(|r| r.fixed(2)))
        .input("employment_rate", e.employment_rate().map(|r| r.percent(2)))
        .input("demand_change", e.demand_change().map(|r| r.percent(2)))
        .param(&u(ThresholdKey::SurplusRatio))
        .param(&u(ThresholdKey::HighEmploymentRate))
        .param(&u(ThresholdKey::MinEmploymentRate))
        .param(&u(ThresholdKey::DeclineRate))
        .param(&u(ThresholdKey::WindowYears))
        .result(any)
    });

    let low_match = tests.contains(Tests::LOW_MATCHING);
    tr.record(|| {
        let text = match e.matching_rate() {
            Some(r) => format!(
                "对口就业率 = 对口就业 {} ÷ 就业 {} = {}，{} 下限 {}{}：{}。",
                n(e.employed_matching),
                n(e.employed),
                r.percent_text(2),
                if low_match { "<" } else { "≥" },
                v.min_matching_rate.percent(),
                note(ThresholdKey::MinMatchingRate),
                if low_match {
                    "对口就业率低，需改造升级"
                } else {
                    "对口情况正常"
                }
            ),
            None => "无就业人数，对口就业率无法计算，不成立。".into(),
        };
        Step::new("规则5 改造升级", text)
            .input("matching_rate", e.matching_rate().map(|r| r.percent(2)))
            .param(&u(ThresholdKey::MinMatchingRate))
            .result(low_match)
    });

    tr.record(|| {
        let rule = match verdict.class {
            Class::Keep if small => "规则1（样本不足）".to_string(),
            Class::Develop => "规则2".into(),
            Class::Accelerate => "规则3".into(),
            Class::MergeEliminate => "规则4".into(),
            Class::Upgrade => "规则5".into(),
            Class::Keep => "规则6（以上均不成立）".into(),
        };
        let unverified: Vec<String> = ThresholdKey::ALL
            .iter()
            .filter(|k| **k != ThresholdKey::MatchConfidenceMin)
            .filter(|k| !t.used(**k).verified)
            .map(|k| format!("“{}”", k.label()))
            .collect();
        let caveat = if unverified.is_empty() {
            String::new()
        } else {
            format!(
                "所用阈值中 {} 为默认值或情景设定值，待运营方确认。",
                unverified.join("、")
            )
        };
        Step::new(
            "结论",
            format!(
                "归为“{}”：{}。按判定顺序（样本量 → 新兴 → 紧缺 → 撤并淘汰 → 改造升级 → 保持），首先成立的是{rule}。{caveat}",
                verdict.class.label(),
                plain_reason(e, &v, verdict, offering)
            ),
        )
        .input("tests", tests.labels())
        .result(verdict.class.key())
    });

    Decision {
        outcome: verdict,
        trace: tr.into_steps(),
    }
}

/// Why an offering has its class, in one or two plain sentences (the figures that decided,
/// each against its threshold): the 理由 shown beside the class.
pub fn summarize_offering(
    ds: &Dataset,
    measures: &Measures,
    thresholds: &YearThresholds,
    offering: usize,
) -> Result<String, MajorsError> {
    let o = ds
        .offerings
        .get(offering)
        .ok_or_else(|| MajorsError::NotFound(format!("开设记录第 {} 条不存在", offering + 1)))?;
    let t = thresholds_for(thresholds, o.year)?;
    let e =
        Evidence::for_offering(ds, measures, offering, t.values.window_years).ok_or_else(|| {
            MajorsError::NotFound(format!("开设记录第 {} 条不在数据中", offering + 1))
        })?;
    Ok(e.summary(&t.values, true))
}

/// Why a major (city-wide) has its class in a year, in plain sentences.
pub fn summarize_major(
    measures: &Measures,
    thresholds: &YearThresholds,
    major: u32,
    year: i32,
) -> Result<String, MajorsError> {
    let t = thresholds_for(thresholds, year)?;
    let e = Evidence::for_major(measures, major, year, t.values.window_years)
        .ok_or_else(|| MajorsError::NotFound(format!("{year} 年没有数据")))?;
    Ok(e.summary(&t.values, false))
}

/// Why an offering has its class: the figures, each threshold with its parameter key, value,
/// source and verified flag, and the rule that decided.
pub fn explain_offering(
    ds: &Dataset,
    measures: &Measures,
    thresholds: &YearThresholds,
    offering: usize,
) -> Result<Decision<Verdict>, MajorsError> {
    let o = ds
        .offerings
        .get(offering)
        .ok_or_else(|| MajorsError::NotFound(format!("开设记录第 {} 条不存在", offering + 1)))?;
    let t = thresholds_for(thresholds, o.year)?;
    let e =
        Evidence::for_offering(ds, measures, offering, t.values.window_years).ok_or_else(|| {
            MajorsError::NotFound(format!("开设记录第 {} 条不在数据中", offering + 1))
        })?;
    let school = ds
        .schools
        .get(o.school as usize)
        .map_or("", |s| s.name.as_str());
    let major = &ds.majors[o.major as usize];
    let subject = format!("{school} {}（{}） {} 年", major.name, major.code, o.year);
    Ok(explain(&subject, true, &e, t))
}

/// Why a major (city-wide) has its class in a year.
pub fn explain_major(
    ds: &Dataset,
    measures: &Measures,
    thresholds: &YearThresholds,
    major: u32,
    year: i32,
) -> Result<Decision<Verdict>, MajorsError> {
    let info = ds
        .majors
        .get(major as usize)
        .ok_or_else(|| MajorsError::NotFound(format!("专业序号 {major} 不存在")))?;
    let t = thresholds_for(thresholds, year)?;
    let e = Evidence::for_major(measures, major, year, t.values.window_years)
        .ok_or_else(|| MajorsError::NotFound(format!("{year} 年没有数据")))?;
    let subject = format!("全市 {}（{}） {} 年", info.name, info.code, year);
    Ok(explain(&subject, false, &e, t))
}
