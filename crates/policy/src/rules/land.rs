//! Measure 13: how land for a school built by an enterprise (alone or with the government) may
//! be supplied.
//!
//! 渝发改社会〔2023〕1271号 第13条: “企业投资或与政府合作建设职业院校、高等学校的建设用地，按教育用地管理，
//! 符合《划拨用地目录》的，可通过划拨方式供地，鼓励企业自愿以出让、租赁方式取得土地。探索采取长期租赁、
//! 租让结合、弹性年期出让方式供地。”
//!
//! Input: `{"date"?: "YYYY-MM-DD", "investor", "school_type", "non_profit", "land_use",
//! "in_allocation_catalog"}`. Every field but `date` is required (a missing one is refused on
//! its own field). `date` is optional: without it the case is evaluated on the seed's date,
//! 2023-11-01 ([`DEFAULT_DATE`]) — never on "today", so the rule stays pure. Parameters are
//! looked up on that date; a date before the parameters' first period is refused on `date`.
//!
//! Decision, in order:
//! 1. `land_use` other than `education` (commercial, industrial, residential, mixed): the land is
//!    not managed as education land, so none of the measure's routes applies (every method refused,
//!    with the reason; the land follows the general rules for its use, which this rule does not
//!    decide). A mixed-use parcel is not managed as education land as a whole.
//! 2. A school type outside `land.covered_school_types`: the measure does not apply (all refused).
//! 3. Allocation (划拨): only if `land.allocation_enabled`, the school is non-profit (or
//!    `land.allocation_for_profit`), and the project fits the 划拨用地目录.
//! 4. Transfer and lease (出让, 租赁): open to the investor's free choice if
//!    `land.paid_methods_enabled`, whatever the school's profit status or the catalogue.
//! 5. Long-term lease, lease-then-transfer, flexible-term transfer: as 4, if also
//!    `land.exploratory_methods_enabled`.
//!
//! Each method carries its maximum term in years where one applies: transfer, flexible-term
//! transfer and lease-then-transfer (total term) `land.education_transfer_max_years`; lease and
//! long-term lease `land.lease_max_years`; allocation has no term.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Rule, RuleError};
use crate::params::{ParamError, ParamSet, Used};
use crate::schema::{Window, constrain_date};
use crate::trace::{Step, Trace};

pub struct LandSupply;

/// The date a case without `date` is evaluated on: the seed's date of issue
/// (渝发改社会〔2023〕1271号, 2023-11-01). A fixed, documented default — not today.
pub const DEFAULT_DATE: &str = "2023-11-01";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Investor {
    /// 企业投资
    Enterprise,
    /// 企业与政府合作
    GovernmentEnterprise,
}

impl Investor {
    fn name(self) -> &'static str {
        match self {
            Investor::Enterprise => "企业投资",
            Investor::GovernmentEnterprise => "企业与政府合作",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SchoolType {
    SecondaryVocational,
    HigherVocational,
    VocationalBachelor,
    University,
}

impl SchoolType {
    const ALL: [SchoolType; 4] = [
        SchoolType::SecondaryVocational,
        SchoolType::HigherVocational,
        SchoolType::VocationalBachelor,
        SchoolType::University,
    ];

    fn code(self) -> &'static str {
        match self {
            SchoolType::SecondaryVocational => "secondary_vocational",
            SchoolType::HigherVocational => "higher_vocational",
            SchoolType::VocationalBachelor => "vocational_bachelor",
            SchoolType::University => "university",
        }
    }

    fn name(self) -> &'static str {
        match self {
            SchoolType::SecondaryVocational => "中等职业学校",
            SchoolType::HigherVocational => "高等职业学校（专科）",
            SchoolType::VocationalBachelor => "职业本科学校",
            SchoolType::University => "普通高等学校",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LandUse {
    Education,
    Commercial,
    Industrial,
    Residential,
    Mixed,
}

impl LandUse {
    fn name(self) -> &'static str {
        match self {
            LandUse::Education => "教育用地",
            LandUse::Commercial => "商业用地",
            LandUse::Industrial => "工业用地",
            LandUse::Residential => "住宅用地",
            LandUse::Mixed => "混合用途用地",
        }
    }
}

/// The supply methods, in the order they are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Allocation,
    Transfer,
    Lease,
    LongTermLease,
    LeaseThenTransfer,
    FlexibleTermTransfer,
}

impl Method {
    pub const ALL: [Method; 6] = [
        Method::Allocation,
        Method::Transfer,
        Method::Lease,
        Method::LongTermLease,
        Method::LeaseThenTransfer,
        Method::FlexibleTermTransfer,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Method::Allocation => "划拨",
            Method::Transfer => "出让",
            Method::Lease => "租赁",
            Method::LongTermLease => "长期租赁",
            Method::LeaseThenTransfer => "先租后让（租让结合）",
            Method::FlexibleTermTransfer => "弹性年期出让",
        }
    }

    fn exploratory(self) -> bool {
        matches!(
            self,
            Method::LongTermLease | Method::LeaseThenTransfer | Method::FlexibleTermTransfer
        )
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// "YYYY-MM-DD"; optional (absent or null: the seed's date, 2023-11-01).
    #[serde(default)]
    #[schemars(extend("format" = "date"), pattern(crate::schema::DATE_SHAPE))]
    pub date: Option<String>,
    pub investor: Investor,
    pub school_type: SchoolType,
    pub non_profit: bool,
    pub land_use: LandUse,
    /// The project fits the 划拨用地目录.
    pub in_allocation_catalog: bool,
}

/// One method, allowed or refused, with its reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodDecision {
    pub code: Method,
    pub name: String,
    pub allowed: bool,
    pub reason: String,
    /// Longest term in years, where the method has one (allocation has none); only when allowed.
    pub max_years: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The date the parameters were looked up on.
    pub date: NaiveDate,
    /// True when the input had no `date` and [`DEFAULT_DATE`] was used.
    pub date_defaulted: bool,
    /// Whether the land is managed as education land under the measure.
    pub education_land: bool,
    /// Whether the school type is one the measure covers.
    pub school_covered: bool,
    /// The codes of the allowed methods, in the order of [`Method::ALL`].
    pub allowed_methods: Vec<Method>,
    /// Every method with its decision and reason.
    pub methods: Vec<MethodDecision>,
    /// The decision in one Chinese sentence.
    pub summary: String,
    /// Keys of the parameters used whose values await the operator's confirmation.
    pub unverified_params: Vec<String>,
}

fn parse_date(s: &str) -> Result<NaiveDate, RuleError> {
    let ok_shape = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    let d = if ok_shape {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    } else {
        None
    };
    d.ok_or_else(|| {
        RuleError::input(
            "date",
            format!("日期“{s}”无效，应为 YYYY-MM-DD 格式的有效日期"),
        )
    })
}

/// A parameter lookup; a date without a value is the input's fault (the field `date`).
fn lookup<T>(r: Result<T, ParamError>, date: NaiveDate) -> Result<T, RuleError> {
    r.map_err(|e| match e {
        ParamError::NoValue { .. } => RuleError::input(
            "date",
            format!("日期 {date} 不在本规则参数的有效期内（本措施自 {DEFAULT_DATE} 起适用）"),
        ),
        other => RuleError::Param(other),
    })
}

/// The step-text note for the parameters used that await confirmation, naming them by their
/// Chinese labels.
fn note(used: &[&Used]) -> String {
    let labels: Vec<&str> = used
        .iter()
        .filter(|u| !u.verified)
        .map(|u| u.label())
        .collect();
    if labels.is_empty() {
        String::new()
    } else {
        format!("默认值参数（待运营方确认）：{}。", labels.join("；"))
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "是" } else { "否" }
}

impl Rule for LandSupply {
    const NAME: &'static str = "land_supply";
    const TITLE: &'static str = "教育用地供地方式";
    const MEASURE: u8 = 13;
    type Input = Input;
    type Outcome = Outcome;

    fn refine_schema(schema: &mut serde_json::Value, params: &ParamSet) {
        let window = Window::of_file(params, "land");
        constrain_date(schema, "/properties/date", &window);
        // Without a date the rule uses DEFAULT_DATE: if the parameters are not in force then,
        // the date is required (and may not be null).
        let default_ok =
            NaiveDate::parse_from_str(DEFAULT_DATE, "%Y-%m-%d").is_ok_and(|d| window.contains(d));
        if !default_ok {
            if let Some(date) = crate::schema::at(schema, "/properties/date") {
                date.insert("type".into(), "string".into());
                date.remove("default");
            }
            if let Some(required) = schema
                .get_mut("required")
                .and_then(serde_json::Value::as_array_mut)
            {
                required.push("date".into());
            }
        }
    }

    fn evaluate(input: &Input, params: &ParamSet, trace: &mut Trace) -> Result<Outcome, RuleError> {
        let Input {
            investor,
            school_type,
            non_profit,
            land_use,
            in_allocation_catalog: in_catalog,
            ..
        } = *input;
        let date_defaulted = input.date.is_none();
        let date = parse_date(input.date.as_deref().unwrap_or(DEFAULT_DATE))?;

        let (covered_text, covered_used) =
            lookup(params.text("land.covered_school_types", date), date)?;
        let (allocation_enabled, allocation_used) =
            lookup(params.boolean("land.allocation_enabled", date), date)?;
        let (for_profit_ok, for_profit_used) =
            lookup(params.boolean("land.allocation_for_profit", date), date)?;
        let (paid_enabled, paid_used) =
            lookup(params.boolean("land.paid_methods_enabled", date), date)?;
        let (exploratory_enabled, exploratory_used) = lookup(
            params.boolean("land.exploratory_methods_enabled", date),
            date,
        )?;
        let (transfer_max, transfer_max_used) = lookup(
            params.integer("land.education_transfer_max_years", date),
            date,
        )?;
        let (lease_max, lease_max_used) =
            lookup(params.integer("land.lease_max_years", date), date)?;

        let covered = parse_school_types(&covered_text, params)?;
        for (key, years) in [
            (&transfer_max_used.key, transfer_max),
            (&lease_max_used.key, lease_max),
        ] {
            if years <= 0 {
                let origin = params
                    .param(key)
                    .map(|p| p.origin.clone())
                    .unwrap_or_default();
                return Err(RuleError::Param(ParamError::Invalid {
                    file: origin,
                    key: key.clone(),
                    message: format!("年限 {years} 应为正整数"),
                }));
            }
        }

        let mut unverified_params: Vec<String> = Vec::new();

        trace.record(|| {
            let how = if date_defaulted { format!("输入未给出日期，按措施印发日期 {DEFAULT_DATE} 判定") } else { format!("按输入日期 {date} 判定") };
            Step::new(
                "确定判定日期与申请情况",
                format!(
                    "{how}。投资主体：{}；学校类型：{}；{}；规划用途：{}；是否符合《划拨用地目录》：{}。",
                    investor.name(),
                    school_type.name(),
                    if non_profit { "非营利性" } else { "营利性" },
                    land_use.name(),
                    yes_no(in_catalog)
                ),
            )
            .input("date", date)
            .input("date_defaulted", date_defaulted)
            .input("investor", investor)
            .input("school_type", school_type)
            .input("non_profit", non_profit)
            .input("land_use", land_use)
            .input("in_allocation_catalog", in_catalog)
            .result(date)
        });

        // 1. Education land?
        let education_land = land_use == LandUse::Education;
        trace.record(|| {
            let text = if education_land {
                "规划用途为教育用地。依据第13条，企业投资或与政府合作建设职业院校、高等学校的建设用地按教育用地管理，适用本措施的供地方式。".to_string()
            } else if land_use == LandUse::Mixed {
                "规划用途为混合用途，不整体按教育用地管理，本措施的教育用地供地方式均不适用；其中的教育部分可单独划定宗地后按教育用地重新判定，其余部分按相应用途的一般规定供地（不在本规则判定范围内）。".to_string()
            } else {
                format!(
                    "规划用途为{}，不属于教育用地，不按教育用地管理，本措施（第13条）的供地方式均不适用；该用地应按{}的一般供地规定办理（不在本规则判定范围内）。",
                    land_use.name(),
                    land_use.name()
                )
            };
            Step::new("判断是否按教育用地管理", text).input("land_use", land_use).result(education_land)
        });

        // 2. School type covered?
        let school_covered = covered.contains(&school_type);
        if education_land {
            trace.record(|| {
                let names: Vec<&str> = covered.iter().map(|t| t.name()).collect();
                Step::new(
                    "判断学校类型是否属于第13条所称职业院校、高等学校",
                    format!(
                        "第13条适用的学校类型：{}。本项目为{}，{}。{}",
                        names.join("、"),
                        school_type.name(),
                        if school_covered {
                            "属于适用范围"
                        } else {
                            "不属于适用范围，本措施的供地方式均不适用"
                        },
                        note(&[&covered_used])
                    ),
                )
                .input("school_type", school_type)
                .param(&covered_used)
                .result(school_covered)
            });
            if !covered_used.verified {
                unverified_params.push(covered_used.key.clone());
            }
        }
        let applicable = education_land && school_covered;

        let mut methods = Vec::with_capacity(Method::ALL.len());
        for m in Method::ALL {
            let decision = if !education_land {
                MethodDecision {
                    code: m,
                    name: m.name().into(),
                    allowed: false,
                    reason: if land_use == LandUse::Mixed {
                        format!(
                            "混合用途用地不整体按教育用地管理，不适用渝发改社会〔2023〕1271号第13条的{}方式；教育部分可单独划宗后重新判定。",
                            m.name()
                        )
                    } else {
                        format!(
                            "规划用途为{}，不按教育用地管理，不适用渝发改社会〔2023〕1271号第13条的{}方式；应按{}的一般规定供地。",
                            land_use.name(),
                            m.name(),
                            land_use.name()
                        )
                    },
                    max_years: None,
                }
            } else if !school_covered {
                MethodDecision {
                    code: m,
                    name: m.name().into(),
                    allowed: false,
                    reason: format!(
                        "{}不属于渝发改社会〔2023〕1271号第13条所称职业院校、高等学校，不适用该条的{}方式。",
                        school_type.name(),
                        m.name()
                    ),
                    max_years: None,
                }
            } else {
                decide_method(
                    m,
                    &Facts {
                        investor,
                        non_profit,
                        in_catalog,
                    },
                    &Switches {
                        allocation_enabled,
                        for_profit_ok,
                        paid_enabled,
                        exploratory_enabled,
                        transfer_max,
                        lease_max,
                    },
                )
            };
            methods.push(decision);
        }

        if applicable {
            // Allocation step.
            let allocation = &methods[0];
            trace.record(|| {
                let mut s = Step::new(
                    "判断能否以划拨方式供地",
                    format!(
                        "{}；{}；是否符合《划拨用地目录》：{}。结论：{}{}",
                        if allocation_enabled {
                            "符合《划拨用地目录》的可划拨供地"
                        } else {
                            "当前参数未开放划拨供地"
                        },
                        if non_profit {
                            "学校为非营利性".to_string()
                        } else {
                            format!(
                                "学校为营利性（营利性学校可否划拨：{}）",
                                yes_no(for_profit_ok)
                            )
                        },
                        yes_no(in_catalog),
                        allocation.reason,
                        note(&[&allocation_used, &for_profit_used])
                    ),
                )
                .input("non_profit", non_profit)
                .input("in_allocation_catalog", in_catalog)
                .param(&allocation_used);
                if !non_profit {
                    s = s.param(&for_profit_used);
                }
                s.result(allocation.allowed)
            });
            for u in [&allocation_used, &for_profit_used] {
                if !u.verified {
                    unverified_params.push(u.key.clone());
                }
            }

            // Paid methods step.
            let paid: Vec<&MethodDecision> = methods
                .iter()
                .filter(|d| d.code != Method::Allocation)
                .collect();
            trace.record(|| {
                let lines: Vec<String> = paid
                    .iter()
                    .map(|d| {
                        let term = d.max_years.map(|y| format!("，最长{y}年")).unwrap_or_default();
                        format!("{}：{}{}", d.name, if d.allowed { "可以" } else { "不可以" }, term)
                    })
                    .collect();
                let used = [&paid_used, &exploratory_used, &transfer_max_used, &lease_max_used];
                let mut s = Step::new(
                    "判断有偿供地方式",
                    format!(
                        "企业可自愿选择有偿方式取得教育用地，与学校是否营利、是否符合《划拨用地目录》无关。{}。{}",
                        lines.join("；"),
                        note(&used)
                    ),
                )
                .input("investor", investor);
                for u in used {
                    s = s.param(u);
                }
                s.result(paid.iter().filter(|d| d.allowed).map(|d| d.code).collect::<Vec<_>>())
            });
            for u in [
                &paid_used,
                &exploratory_used,
                &transfer_max_used,
                &lease_max_used,
            ] {
                if !u.verified {
                    unverified_params.push(u.key.clone());
                }
            }
        }

        let allowed_methods: Vec<Method> = methods
            .iter()
            .filter(|d| d.allowed)
            .map(|d| d.code)
            .collect();
        let summary = if allowed_methods.is_empty() {
            if !education_land {
                format!(
                    "规划用途为{}，不按教育用地管理，第13条的供地方式均不适用。",
                    land_use.name()
                )
            } else if !school_covered {
                format!(
                    "{}不属于第13条适用的学校类型，第13条的供地方式均不适用。",
                    school_type.name()
                )
            } else {
                "按当前参数，没有可用的供地方式。".to_string()
            }
        } else {
            let names: Vec<&str> = allowed_methods.iter().map(|m| m.name()).collect();
            format!(
                "{}建设{}的教育用地，可采用：{}。",
                investor.name(),
                school_type.name(),
                names.join("、")
            )
        };

        trace.record(|| {
            Step::new("结论", summary.clone())
                .input("education_land", education_land)
                .input("school_covered", school_covered)
                .result(&allowed_methods)
        });

        Ok(Outcome {
            date,
            date_defaulted,
            education_land,
            school_covered,
            allowed_methods,
            methods,
            summary,
            unverified_params,
        })
    }
}

/// The applicant's facts that matter once the measure applies.
struct Facts {
    investor: Investor,
    non_profit: bool,
    in_catalog: bool,
}

/// The parameter values in force.
struct Switches {
    allocation_enabled: bool,
    for_profit_ok: bool,
    paid_enabled: bool,
    exploratory_enabled: bool,
    transfer_max: i64,
    lease_max: i64,
}

const SEED: &str = "渝发改社会〔2023〕1271号第13条";

fn decide_method(m: Method, f: &Facts, s: &Switches) -> MethodDecision {
    let (allowed, reason, max_years) = match m {
        Method::Allocation => {
            if !s.allocation_enabled {
                (
                    false,
                    "当前参数未开放划拨供地（land.allocation_enabled = 否）。".to_string(),
                    None,
                )
            } else if !f.non_profit && !s.for_profit_ok {
                (
                    false,
                    "营利性学校不属于《划拨用地目录》（国土资源部令第9号）所列“非营利性教育设施用地”，不得划拨供地，可选择有偿方式取得土地。".to_string(),
                    None,
                )
            } else if !f.in_catalog {
                (
                    false,
                    format!(
                        "项目不符合《划拨用地目录》（国土资源部令第9号），按{SEED}不能划拨供地，可选择有偿方式取得土地。"
                    ),
                    None,
                )
            } else {
                let who = if f.non_profit {
                    "非营利性学校"
                } else {
                    "学校"
                };
                (
                    true,
                    format!(
                        "{who}的教育用地符合《划拨用地目录》（国土资源部令第9号），按{SEED}“符合《划拨用地目录》的，可通过划拨方式供地”。"
                    ),
                    None,
                )
            }
        }
        _ => {
            let max = match m {
                Method::Lease | Method::LongTermLease => s.lease_max,
                _ => s.transfer_max,
            };
            if !s.paid_enabled {
                (
                    false,
                    "当前参数未开放出让、租赁等有偿方式（land.paid_methods_enabled = 否）。"
                        .to_string(),
                    None,
                )
            } else if m.exploratory() && !s.exploratory_enabled {
                (
                    false,
                    format!(
                        "{}属于探索性供地方式，当前参数未开放（land.exploratory_methods_enabled = 否）。",
                        m.name()
                    ),
                    None,
                )
            } else {
                let clause = if m.exploratory() {
                    format!("按{SEED}“探索采取长期租赁、租让结合、弹性年期出让方式供地”")
                } else {
                    format!("按{SEED}“鼓励企业自愿以出让、租赁方式取得土地”")
                };
                let term = match m {
                    Method::Transfer => {
                        format!("；教育用地出让最高{max}年（国务院令第55号第十二条）")
                    }
                    Method::FlexibleTermTransfer => {
                        format!("；出让年期可在{max}年以内弹性确定（国务院令第55号第十二条）")
                    }
                    Method::LeaseThenTransfer => {
                        format!("；租赁期与出让期合计不超过教育用地出让最高年期{max}年")
                    }
                    _ => format!(
                        "；租赁期限不超过同类用途出让最高年期，即{max}年（国土资发〔1999〕222号）"
                    ),
                };
                (
                    true,
                    format!(
                        "{}可自愿选择{}，{}{}。",
                        f.investor.name(),
                        m.name(),
                        clause,
                        term
                    ),
                    Some(max),
                )
            }
        }
    };
    MethodDecision {
        code: m,
        name: m.name().into(),
        allowed,
        reason,
        max_years,
    }
}

/// Parses `land.covered_school_types`: comma-separated school type codes.
fn parse_school_types(text: &str, params: &ParamSet) -> Result<Vec<SchoolType>, RuleError> {
    let mut out = Vec::new();
    for code in text.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        match SchoolType::ALL.iter().find(|t| t.code() == code) {
            Some(t) => out.push(*t),
            None => {
                let origin = params
                    .param("land.covered_school_types")
                    .map(|p| p.origin.clone())
                    .unwrap_or_default();
                return Err(RuleError::Param(ParamError::Invalid {
                    file: origin,
                    key: "land.covered_school_types".into(),
                    message: format!("不认识的学校类型代码“{code}”"),
                }));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn params() -> ParamSet {
        ParamSet::embedded().unwrap()
    }

    fn eval(json: &str) -> Result<serde_json::Value, crate::EvalError> {
        crate::evaluate(LandSupply::NAME, json, &params(), true)
    }

    #[test]
    fn contract_input_allows_allocation_and_every_paid_method() {
        let out = eval(r#"{"investor": "enterprise", "school_type": "higher_vocational", "non_profit": true, "land_use": "education", "in_allocation_catalog": true}"#).unwrap();
        let allowed: Vec<&str> = out["outcome"]["allowed_methods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(
            allowed,
            [
                "allocation",
                "transfer",
                "lease",
                "long_term_lease",
                "lease_then_transfer",
                "flexible_term_transfer"
            ]
        );
        assert_eq!(out["outcome"]["methods"].as_array().unwrap().len(), 6);
        assert_eq!(out["outcome"]["date"], "2023-11-01");
        assert!(!out["trace"].as_array().unwrap().is_empty());
    }

    #[test]
    fn switched_off_parameters_refuse_methods() {
        let base = crate::params::EMBEDDED
            .iter()
            .find(|(s, _)| *s == "land")
            .unwrap()
            .1;
        let text = base
            .replace(
                "value = true\nsource = \"渝发改社会〔2023〕1271号 第13条（“探索",
                "value = false\nsource = \"渝发改社会〔2023〕1271号 第13条（“探索",
            )
            .replace(
                "value = false\nsource = \"《划拨用地目录》",
                "value = true\nsource = \"《划拨用地目录》",
            );
        let set = ParamSet::from_sources([("land", "land.toml", text.as_str())]).unwrap();
        let json = r#"{"investor": "enterprise", "school_type": "university", "non_profit": false, "land_use": "education", "in_allocation_catalog": true}"#;
        let out = crate::evaluate(LandSupply::NAME, json, &set, false).unwrap();
        let allowed: Vec<&str> = out["outcome"]["allowed_methods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(allowed, ["allocation", "transfer", "lease"]);
    }

    #[test]
    fn bad_parameter_is_named() {
        let base = crate::params::EMBEDDED
            .iter()
            .find(|(s, _)| *s == "land")
            .unwrap()
            .1;
        let text = base.replace(",university\"", ",kindergarten\"");
        let set = ParamSet::from_sources([("land", "over/land.toml", text.as_str())]).unwrap();
        let json = r#"{"investor": "enterprise", "school_type": "university", "non_profit": true, "land_use": "education", "in_allocation_catalog": true}"#;
        let err = crate::evaluate(LandSupply::NAME, json, &set, false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("over/land.toml") && err.contains("kindergarten"),
            "{err}"
        );
    }

    fn investor() -> impl Strategy<Value = Investor> {
        prop_oneof![
            Just(Investor::Enterprise),
            Just(Investor::GovernmentEnterprise),
        ]
    }
    fn school() -> impl Strategy<Value = SchoolType> {
        proptest::sample::select(SchoolType::ALL.to_vec())
    }
    fn land_use() -> impl Strategy<Value = LandUse> {
        let uses = vec![
            LandUse::Education,
            LandUse::Commercial,
            LandUse::Industrial,
            LandUse::Residential,
            LandUse::Mixed,
        ];
        proptest::sample::select(uses)
    }
    fn date() -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            4 => Just(None),
            1 => "[0-9]{4}-[0-9]{2}-[0-9]{2}".prop_map(Some),
            1 => ".{0,12}".prop_map(Some),
            4 => (2000i32..2100, 1u32..13, 1u32..29)
                .prop_map(|(y, m, d)| Some(format!("{y:04}-{m:02}-{d:02}"))),
        ]
    }

    proptest! {
        #[test]
        fn never_panics_and_allocation_needs_its_conditions(
            date in date(),
            investor in investor(),
            school_type in school(),
            non_profit in any::<bool>(),
            land_use in land_use(),
            in_allocation_catalog in any::<bool>(),
            explain in any::<bool>(),
        ) {
            let input = Input { date, investor, school_type, non_profit, land_use, in_allocation_catalog };
            let p = params();
            let mut trace = if explain { Trace::enabled() } else { Trace::disabled() };
            if let Ok(out) = LandSupply::evaluate(&input, &p, &mut trace) {
                prop_assert_eq!(out.methods.len(), Method::ALL.len());
                let from_methods: Vec<Method> = out.methods.iter().filter(|d| d.allowed).map(|d| d.code).collect();
                prop_assert_eq!(&from_methods, &out.allowed_methods);
                if out.allowed_methods.contains(&Method::Allocation) {
                    prop_assert!(input.non_profit);
                    prop_assert!(input.in_allocation_catalog);
                    prop_assert_eq!(input.land_use, LandUse::Education);
                }
                if input.land_use != LandUse::Education {
                    prop_assert!(out.allowed_methods.is_empty());
                }
                for d in &out.methods {
                    prop_assert!(!d.reason.is_empty());
                }
            }
        }

        #[test]
        fn never_panics_on_arbitrary_json(s in ".{0,200}") {
            let _ = eval(&s);
        }

        #[test]
        fn never_panics_on_arbitrary_field_values(
            investor in "[a-z_]{0,24}",
            school in "[a-z_]{0,24}",
            land in "[a-z_]{0,14}",
            extra in proptest::option::of("[a-z]{1,8}"),
        ) {
            let extra = extra.map(|e| format!(r#", "{e}": 1"#)).unwrap_or_default();
            let json = format!(r#"{{"investor": "{investor}", "school_type": "{school}", "non_profit": true, "land_use": "{land}", "in_allocation_catalog": true{extra}}}"#);
            let _ = eval(&json);
        }
    }
}
