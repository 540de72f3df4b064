//! Measure 3: certification of integration-type enterprises (产教融合型企业认定).
//!
//! An enterprise is eligible when it meets every basic condition (registered in Chongqing,
//! years in operation, clean credit record, staff-training funds as a share of payroll, a unit
//! responsible for cooperation), at least `min_participation_conditions` of the participation
//! conditions (runs a school; co-built majors / industry college / training base;
//! apprenticeship pilot; order classes; years of cooperation), and a weighted score of at
//! least `min_score`.
//!
//! Every threshold and weight is a parameter of `params/certification.toml`, looked up at the
//! input's `application_date`: the period up to 2025-12-25 is 渝发改社〔2019〕1781号, from
//! 2025-12-26 渝发改规范〔2025〕11号. The Chongqing thresholds are not public; the defaults are
//! modelled on 发改社会〔2019〕590号 and carry `verified = false`, which the outcome
//! (`unverified_parameters`) and every step of the explanation show.
//!
//! Scoring: each indicator scores `min(cap, floor(value / unit) × points_per_unit)` integer
//! points; the score is their sum. A date outside every parameter period is an input error on
//! `application_date`.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Rule, RuleError};
use crate::money::{Rate, yuan};
use crate::params::{ParamError, ParamSet, Used};
use crate::schema::{Window, constrain_date};
use crate::trace::{Step, Trace};

pub struct Certification;

/// What the enterprise declares. Every count and amount is a non-negative integer.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// "YYYY-MM-DD"; picks the standard (parameter period) that applies.
    #[schemars(extend("format" = "date"), pattern(crate::schema::DATE_SHAPE))]
    pub application_date: String,
    pub registered_in_chongqing: bool,
    /// Full years since registration.
    #[schemars(range(min = 0))]
    pub years_in_operation: i64,
    pub credit_record_clean: bool,
    /// Staff-education funds of the last year, fen.
    #[schemars(range(min = 0))]
    pub staff_training_funds_fen: i64,
    /// Total payroll of the last year, fen.
    #[schemars(range(min = 0))]
    pub payroll_fen: i64,
    pub has_cooperation_unit: bool,
    /// Runs or co-runs a school, or runs an enterprise university.
    #[serde(default)]
    pub runs_school: bool,
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub co_built_majors: i64,
    #[serde(default)]
    pub industry_college: bool,
    #[serde(default)]
    pub training_base: bool,
    #[serde(default)]
    pub apprenticeship_pilot: bool,
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub order_class_students: i64,
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub cooperation_years: i64,
    /// Investment in school–enterprise cooperation, fen (scoring only).
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub investment_fen: i64,
    /// Students hosted for internships / practical training (scoring only).
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub students_hosted: i64,
    /// Apprentices in training (scoring only).
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub apprentices: i64,
    /// Teachers hosted for enterprise practice or trained (scoring only).
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub teachers_trained: i64,
}

/// One condition and whether it is met.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    pub code: &'static str,
    pub name: &'static str,
    pub met: bool,
    pub detail: String,
}

/// One scoring indicator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicator {
    pub code: &'static str,
    pub name: &'static str,
    pub value: i64,
    pub points: i64,
    pub cap: i64,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub eligible: bool,
    pub score: i64,
    pub min_score: i64,
    /// The Chongqing document whose period applied.
    pub standard: String,
    pub basic_conditions: Vec<Condition>,
    pub participation_conditions: Vec<Condition>,
    /// How many participation conditions are met, and how many are required.
    pub participation_met: i64,
    pub participation_required: i64,
    pub indicators: Vec<Indicator>,
    /// Codes of the conditions met / not met (basic then participation).
    pub met: Vec<&'static str>,
    pub unmet: Vec<&'static str>,
    /// Why not eligible, in Chinese (empty when eligible).
    pub reasons: Vec<String>,
    /// Keys of the parameters used whose value is a modelled default (verified = false).
    pub unverified_parameters: Vec<String>,
}

const UNVERIFIED_NOTE: &str = "（默认值，待运营方确认）";

/// Parameter look-ups at the application date, remembering every value used.
struct Lookup<'a> {
    params: &'a ParamSet,
    date: NaiveDate,
    used: Vec<Used>,
}

impl Lookup<'_> {
    fn map(&self, e: ParamError) -> RuleError {
        match e {
            ParamError::NoValue { date, .. } => RuleError::input(
                "application_date",
                format!("申请日期 {date} 不在任何认定标准的适用期间内"),
            ),
            other => RuleError::Param(other),
        }
    }

    fn key(name: &str) -> String {
        format!("certification.{name}")
    }

    fn integer(&mut self, name: &str) -> Result<(i64, Used), RuleError> {
        let (v, u) = self
            .params
            .integer(&Self::key(name), self.date)
            .map_err(|e| self.map(e))?;
        self.used.push(u.clone());
        Ok((v, u))
    }

    /// An integer parameter that must be ≥ `min`.
    fn integer_at_least(&mut self, name: &str, min: i64) -> Result<(i64, Used), RuleError> {
        let (v, u) = self.integer(name)?;
        if v < min {
            return Err(RuleError::Param(ParamError::Invalid {
                file: "certification".into(),
                key: u.key.clone(),
                message: format!("取值 {v} 无效，应不小于 {min}"),
            }));
        }
        Ok((v, u))
    }

    fn rate(&mut self, name: &str) -> Result<(Rate, Used), RuleError> {
        let (v, u) = self
            .params
            .rate(&Self::key(name), self.date)
            .map_err(|e| self.map(e))?;
        self.used.push(u.clone());
        Ok((v, u))
    }

    fn text(&mut self, name: &str) -> Result<(String, Used), RuleError> {
        let (v, u) = self
            .params
            .text(&Self::key(name), self.date)
            .map_err(|e| self.map(e))?;
        self.used.push(u.clone());
        Ok((v, u))
    }
}

/// The note to add to a step text when any parameter it used is unverified.
fn note(used: &[&Used]) -> &'static str {
    if used.iter().any(|u| !u.verified) {
        UNVERIFIED_NOTE
    } else {
        ""
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "是" } else { "否" }
}

fn met_word(b: bool) -> &'static str {
    if b { "满足" } else { "不满足" }
}

/// Parses a strict `YYYY-MM-DD` date.
pub(crate) fn parse_date(field: &str, s: &str) -> Result<NaiveDate, RuleError> {
    let shape = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !shape {
        return Err(RuleError::input(
            field,
            format!("日期“{s}”格式错误，应为 YYYY-MM-DD（如 2025-12-26）"),
        ));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| RuleError::input(field, format!("日期“{s}”不存在")))
}

fn non_negative(field: &str, v: i64, what: &str) -> Result<(), RuleError> {
    if v < 0 {
        return Err(RuleError::input(
            field,
            format!("{what}不能为负数（收到 {v}）"),
        ));
    }
    Ok(())
}

impl Rule for Certification {
    const NAME: &'static str = "certification";
    const TITLE: &'static str = "产教融合型企业认定";
    const MEASURE: u8 = 3;
    type Input = Input;
    type Outcome = Outcome;

    fn refine_schema(schema: &mut serde_json::Value, params: &ParamSet) {
        let window = Window::of_file(params, "certification");
        constrain_date(schema, "/properties/application_date", &window);
    }

    fn evaluate(input: &Input, params: &ParamSet, trace: &mut Trace) -> Result<Outcome, RuleError> {
        let date = parse_date("application_date", &input.application_date)?;
        for (field, v, what) in [
            ("years_in_operation", input.years_in_operation, "经营年限"),
            (
                "staff_training_funds_fen",
                input.staff_training_funds_fen,
                "职工教育经费",
            ),
            ("payroll_fen", input.payroll_fen, "工资总额"),
            ("co_built_majors", input.co_built_majors, "共建专业数"),
            (
                "order_class_students",
                input.order_class_students,
                "订单班学生人数",
            ),
            ("cooperation_years", input.cooperation_years, "校企合作年限"),
            ("investment_fen", input.investment_fen, "校企合作投入"),
            (
                "students_hosted",
                input.students_hosted,
                "接收实习实训学生人数",
            ),
            ("apprentices", input.apprentices, "在培学徒人数"),
            (
                "teachers_trained",
                input.teachers_trained,
                "接收教师实践及培训人数",
            ),
        ] {
            non_negative(field, v, what)?;
        }

        let mut lk = Lookup {
            params,
            date,
            used: Vec::new(),
        };

        // The standard in force.
        let (standard, u_std) = lk.text("standard")?;
        trace.record(|| {
            Step::new(
                "确定适用的认定标准",
                format!("申请日期 {date}，适用 {standard}。{}", note(&[&u_std])),
            )
            .input("application_date", &input.application_date)
            .param(&u_std)
            .result(&standard)
        });

        // Basic conditions.
        let mut basic = Vec::new();

        let c = Condition {
            code: "registered_in_chongqing",
            name: "在重庆市注册登记",
            met: input.registered_in_chongqing,
            detail: format!(
                "在重庆市注册登记：{}",
                yes_no(input.registered_in_chongqing)
            ),
        };
        trace.record(|| {
            Step::new(
                "基本条件：在重庆市注册登记",
                format!(
                    "{}，{}（{}规定的基本条件）。{}",
                    c.detail,
                    met_word(c.met),
                    standard,
                    note(&[&u_std])
                ),
            )
            .input("registered_in_chongqing", input.registered_in_chongqing)
            .param(&u_std)
            .result(c.met)
        });
        basic.push(c);

        let (min_years, u_years) = lk.integer_at_least("min_years_in_operation", 0)?;
        let met = input.years_in_operation >= min_years;
        let c = Condition {
            code: "years_in_operation",
            name: "注册成立年限",
            met,
            detail: format!(
                "注册成立 {} 年，要求不少于 {min_years} 年",
                input.years_in_operation
            ),
        };
        trace.record(|| {
            Step::new(
                "基本条件：注册成立年限",
                format!("{}，{}。{}", c.detail, met_word(c.met), note(&[&u_years])),
            )
            .input("years_in_operation", input.years_in_operation)
            .param(&u_years)
            .result(c.met)
        });
        basic.push(c);

        let c = Condition {
            code: "credit_record",
            name: "信用记录良好",
            met: input.credit_record_clean,
            detail: format!(
                "信用记录良好、无严重失信等记录：{}",
                yes_no(input.credit_record_clean)
            ),
        };
        trace.record(|| {
            Step::new(
                "基本条件：信用记录良好",
                format!(
                    "{}，{}（{}规定的基本条件）。{}",
                    c.detail,
                    met_word(c.met),
                    standard,
                    note(&[&u_std])
                ),
            )
            .input("credit_record_clean", input.credit_record_clean)
            .param(&u_std)
            .result(c.met)
        });
        basic.push(c);

        let (min_rate, u_rate) = lk.rate("min_training_funds_rate")?;
        let funds = input.staff_training_funds_fen as i128;
        let payroll = input.payroll_fen as i128;
        // funds / payroll ≥ rate  ⇔  funds × 10⁶ ≥ payroll × ppm (exact, no division).
        let met = payroll > 0 && funds * 1_000_000 >= payroll * min_rate.ppm() as i128;
        let share = if payroll > 0 {
            // Truncated to the ppm for display only; the test above is exact.
            let ppm = (funds * 1_000_000 / payroll).min(i64::MAX as i128) as i64;
            let exact = (funds * 1_000_000) % payroll == 0;
            format!(
                "{}{}",
                if exact { "" } else { "约" },
                Rate::from_ppm(ppm).percent()
            )
        } else {
            "无法计算（工资总额为0）".to_string()
        };
        let c = Condition {
            code: "training_funds",
            name: "职工教育经费足额提取",
            met,
            detail: format!(
                "职工教育经费 {} ÷ 工资总额 {} = {share}，要求不低于 {}",
                yuan(input.staff_training_funds_fen),
                yuan(input.payroll_fen),
                min_rate.percent()
            ),
        };
        trace.record(|| {
            Step::new(
                "基本条件：职工教育经费足额提取",
                format!("{}，{}。{}", c.detail, met_word(c.met), note(&[&u_rate])),
            )
            .input("staff_training_funds_fen", input.staff_training_funds_fen)
            .input("payroll_fen", input.payroll_fen)
            .param(&u_rate)
            .result(c.met)
        });
        basic.push(c);

        let c = Condition {
            code: "cooperation_unit",
            name: "设有校企合作责任部门",
            met: input.has_cooperation_unit,
            detail: format!(
                "设有负责校企合作的部门或机构：{}",
                yes_no(input.has_cooperation_unit)
            ),
        };
        trace.record(|| {
            Step::new(
                "基本条件：设有校企合作责任部门",
                format!(
                    "{}，{}（{}规定的基本条件）。{}",
                    c.detail,
                    met_word(c.met),
                    standard,
                    note(&[&u_std])
                ),
            )
            .input("has_cooperation_unit", input.has_cooperation_unit)
            .param(&u_std)
            .result(c.met)
        });
        basic.push(c);

        // Participation conditions (at least `min_participation_conditions`).
        let mut part = Vec::new();
        let (required, u_req) = lk.integer_at_least("min_participation_conditions", 0)?;

        let c = Condition {
            code: "runs_school",
            name: "举办或参与举办职业院校、高等学校或企业大学",
            met: input.runs_school,
            detail: format!(
                "独立或作为重要举办者参与举办学校（含企业大学）：{}",
                yes_no(input.runs_school)
            ),
        };
        trace.record(|| {
            Step::new(
                "参与条件：举办或参与举办学校",
                format!("{}，{}。{}", c.detail, met_word(c.met), note(&[&u_req])),
            )
            .input("runs_school", input.runs_school)
            .param(&u_req)
            .result(c.met)
        });
        part.push(c);

        let (min_majors, u_majors) = lk.integer_at_least("min_co_built_majors", 1)?;
        let majors_met = input.co_built_majors >= min_majors;
        let met = majors_met || input.industry_college || input.training_base;
        let c = Condition {
            code: "co_built",
            name: "共建专业、产业学院或实训基地",
            met,
            detail: format!(
                "校企共建专业 {} 个（要求不少于 {min_majors} 个，{}）；共建产业学院：{}；共建实训基地：{}",
                input.co_built_majors,
                met_word(majors_met),
                yes_no(input.industry_college),
                yes_no(input.training_base)
            ),
        };
        trace.record(|| {
            Step::new(
                "参与条件：共建专业、产业学院或实训基地",
                format!(
                    "{}；三者满足其一即可，{}。{}",
                    c.detail,
                    met_word(c.met),
                    note(&[&u_majors])
                ),
            )
            .input("co_built_majors", input.co_built_majors)
            .input("industry_college", input.industry_college)
            .input("training_base", input.training_base)
            .param(&u_majors)
            .result(c.met)
        });
        part.push(c);

        let c = Condition {
            code: "apprenticeship_pilot",
            name: "承担学徒制试点任务",
            met: input.apprenticeship_pilot,
            detail: format!(
                "承担现代学徒制或企业新型学徒制试点任务：{}",
                yes_no(input.apprenticeship_pilot)
            ),
        };
        trace.record(|| {
            Step::new(
                "参与条件：承担学徒制试点任务",
                format!("{}，{}。{}", c.detail, met_word(c.met), note(&[&u_req])),
            )
            .input("apprenticeship_pilot", input.apprenticeship_pilot)
            .param(&u_req)
            .result(c.met)
        });
        part.push(c);

        let (min_order, u_order) = lk.integer_at_least("min_order_class_students", 1)?;
        let c = Condition {
            code: "order_class",
            name: "开设订单班",
            met: input.order_class_students >= min_order,
            detail: format!(
                "订单班学生 {} 人，要求不少于 {min_order} 人",
                input.order_class_students
            ),
        };
        trace.record(|| {
            Step::new(
                "参与条件：开设订单班",
                format!("{}，{}。{}", c.detail, met_word(c.met), note(&[&u_order])),
            )
            .input("order_class_students", input.order_class_students)
            .param(&u_order)
            .result(c.met)
        });
        part.push(c);

        let (min_coop, u_coop) = lk.integer_at_least("min_cooperation_years", 1)?;
        let c = Condition {
            code: "cooperation_years",
            name: "校企合作年限",
            met: input.cooperation_years >= min_coop,
            detail: format!(
                "深度开展校企合作 {} 年，要求不少于 {min_coop} 年",
                input.cooperation_years
            ),
        };
        trace.record(|| {
            Step::new(
                "参与条件：校企合作年限",
                format!("{}，{}。{}", c.detail, met_word(c.met), note(&[&u_coop])),
            )
            .input("cooperation_years", input.cooperation_years)
            .param(&u_coop)
            .result(c.met)
        });
        part.push(c);

        // Scoring.
        let mut indicators = Vec::new();
        let mut score: i128 = 0;
        for (code, name, value, measure_word) in [
            ("investment", "校企合作投入", input.investment_fen, ""),
            (
                "students_hosted",
                "接收学生实习实训",
                input.students_hosted,
                "人",
            ),
            ("apprentices", "在培学徒", input.apprentices, "人"),
            (
                "co_built_majors",
                "校企共建专业",
                input.co_built_majors,
                "个",
            ),
            (
                "teachers_trained",
                "接收教师实践及培训",
                input.teachers_trained,
                "人",
            ),
            (
                "order_class_students",
                "订单班学生",
                input.order_class_students,
                "人",
            ),
        ] {
            let shown = if code == "investment" {
                yuan(value)
            } else {
                format!("{value} {measure_word}")
            };
            let (unit, u_unit) = lk.integer_at_least(&format!("{code}_unit"), 1)?;
            let (ppu, u_ppu) = lk.integer_at_least(&format!("{code}_points_per_unit"), 0)?;
            let (cap, u_cap) = lk.integer_at_least(&format!("{code}_cap"), 0)?;
            let units = value / unit; // value ≥ 0, unit ≥ 1
            let raw = units as i128 * ppu as i128;
            let points = raw.min(cap as i128) as i64;
            score += points as i128;
            let unit_shown = if code == "investment" {
                yuan(unit)
            } else {
                format!("{unit} {measure_word}")
            };
            let detail = format!(
                "{shown}，每 {unit_shown} 计 {ppu} 分：{units} × {ppu} = {raw} 分，封顶 {cap} 分，得 {points} 分"
            );
            trace.record(|| {
                Step::new(
                    format!("评分指标：{name}"),
                    format!("{detail}。{}", note(&[&u_unit, &u_ppu, &u_cap])),
                )
                .input(code, value)
                .param(&u_unit)
                .param(&u_ppu)
                .param(&u_cap)
                .result(points)
            });
            indicators.push(Indicator {
                code,
                name,
                value,
                points,
                cap,
                detail,
            });
        }
        let score = i64::try_from(score).unwrap_or(i64::MAX);

        // Decision.
        let (min_score, u_min) = lk.integer("min_score")?;
        let basic_ok = basic.iter().all(|c| c.met);
        let participation_met = part.iter().filter(|c| c.met).count() as i64;
        let part_ok = participation_met >= required;
        let score_ok = score >= min_score;
        let eligible = basic_ok && part_ok && score_ok;

        let mut reasons = Vec::new();
        for c in basic.iter().filter(|c| !c.met) {
            reasons.push(format!("基本条件“{}”不满足：{}", c.name, c.detail));
        }
        if !part_ok {
            reasons.push(format!(
                "参与条件仅满足 {participation_met} 项，至少需满足 {required} 项"
            ));
        }
        if !score_ok {
            reasons.push(format!("评分 {score} 分，低于最低分 {min_score} 分"));
        }
        let met: Vec<&'static str> = basic
            .iter()
            .chain(&part)
            .filter(|c| c.met)
            .map(|c| c.code)
            .collect();
        let unmet: Vec<&'static str> = basic
            .iter()
            .chain(&part)
            .filter(|c| !c.met)
            .map(|c| c.code)
            .collect();

        let mut unverified: Vec<String> = lk
            .used
            .iter()
            .filter(|u| !u.verified)
            .map(|u| u.key.clone())
            .collect();
        unverified.sort();
        unverified.dedup();
        // Running text names them by their Chinese labels (the keys are in the outcome).
        let unverified_labels: Vec<String> = unverified
            .iter()
            .filter_map(|k| lk.used.iter().find(|u| &u.key == k))
            .map(|u| u.label().to_string())
            .collect();

        trace.record(|| {
            let basic_met = basic.iter().filter(|c| c.met).count();
            let verdict = if eligible {
                "符合认定条件".to_string()
            } else {
                format!("不符合认定条件：{}", reasons.join("；"))
            };
            let caveat = if unverified.is_empty() {
                String::new()
            } else {
                format!("本次判定使用了 {} 项默认值参数（待运营方确认）：{}。", unverified.len(), unverified_labels.join("；"))
            };
            Step::new(
                "认定结论",
                format!(
                    "基本条件满足 {basic_met}/{} 项；参与条件满足 {participation_met} 项（至少需 {required} 项）；\
                     评分 {score} 分（最低 {min_score} 分）。{verdict}。{caveat}{}",
                    basic.len(),
                    note(&[&u_min, &u_req])
                ),
            )
            .input("basic_met", basic_met)
            .input("participation_met", participation_met)
            .input("score", score)
            .param(&u_req)
            .param(&u_min)
            .result(eligible)
        });

        Ok(Outcome {
            eligible,
            score,
            min_score,
            standard,
            basic_conditions: basic,
            participation_conditions: part,
            participation_met,
            participation_required: required,
            indicators,
            met,
            unmet,
            reasons,
            unverified_parameters: unverified,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn params() -> ParamSet {
        ParamSet::embedded().unwrap()
    }

    fn date_strategy() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("2025-12-25".to_string()),
            Just("2025-12-26".to_string()),
            Just("2019-01-01".to_string()),
            Just("2025-13-01".to_string()),
            Just("2025/12/26".to_string()),
            (2000i32..2040, 1u32..13, 1u32..29)
                .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
            ".*",
        ]
    }

    fn int() -> impl Strategy<Value = i64> {
        prop_oneof![-5i64..200, 0i64..100_000_000_000, any::<i64>()]
    }

    prop_compose! {
        fn input()(
            application_date in date_strategy(),
            bools in proptest::collection::vec(any::<bool>(), 9),
            ints in proptest::collection::vec(int(), 10),
        ) -> Input {
            Input {
                application_date,
                registered_in_chongqing: bools[0],
                years_in_operation: ints[0],
                credit_record_clean: bools[1],
                staff_training_funds_fen: ints[1],
                payroll_fen: ints[2],
                has_cooperation_unit: bools[2],
                runs_school: bools[3],
                co_built_majors: ints[3],
                industry_college: bools[4],
                training_base: bools[5],
                apprenticeship_pilot: bools[6],
                order_class_students: ints[4],
                cooperation_years: ints[5],
                investment_fen: ints[6],
                students_hosted: ints[7],
                apprentices: ints[8],
                teachers_trained: ints[9],
            }
        }
    }

    proptest! {
        #[test]
        fn never_panics_and_eligibility_is_consistent(inp in input(), explain in any::<bool>()) {
            let p = params();
            let mut trace = if explain { Trace::enabled() } else { Trace::disabled() };
            if let Ok(o) = Certification::evaluate(&inp, &p, &mut trace) {
                let basic_all = o.basic_conditions.iter().all(|c| c.met);
                let part = o.participation_conditions.iter().filter(|c| c.met).count() as i64;
                if o.eligible {
                    prop_assert!(basic_all);
                    prop_assert!(part >= 1);
                    prop_assert!(part >= o.participation_required);
                    prop_assert!(o.score >= o.min_score);
                    prop_assert!(o.reasons.is_empty());
                } else {
                    prop_assert!(!basic_all || part < o.participation_required || o.score < o.min_score);
                    prop_assert!(!o.reasons.is_empty());
                }
                prop_assert_eq!(o.score, o.indicators.iter().map(|i| i.points).sum::<i64>());
                for i in &o.indicators {
                    prop_assert!(i.points >= 0 && i.points <= i.cap);
                }
                prop_assert_eq!(o.met.len() + o.unmet.len(), 10);
                if explain {
                    // standard + 5 basic + 5 participation + 6 indicators + conclusion
                    prop_assert_eq!(trace.into_steps().len(), 18);
                }
            }
        }

        #[test]
        fn arbitrary_json_never_panics(s in ".*") {
            let _ = crate::evaluate(Certification::NAME, &s, &params(), true);
        }
    }

    #[test]
    fn the_standard_follows_the_application_date() {
        let p = params();
        let mk = |d: &str| Input {
            application_date: d.into(),
            registered_in_chongqing: true,
            years_in_operation: 5,
            credit_record_clean: true,
            staff_training_funds_fen: 15,
            payroll_fen: 1000,
            has_cooperation_unit: true,
            runs_school: true,
            co_built_majors: 0,
            industry_college: false,
            training_base: false,
            apprenticeship_pilot: false,
            order_class_students: 0,
            cooperation_years: 0,
            investment_fen: 0,
            students_hosted: 0,
            apprentices: 0,
            teachers_trained: 0,
        };
        let a = Certification::evaluate(&mk("2025-12-25"), &p, &mut Trace::disabled()).unwrap();
        let b = Certification::evaluate(&mk("2025-12-26"), &p, &mut Trace::disabled()).unwrap();
        assert_eq!(a.standard, "渝发改社〔2019〕1781号");
        assert_eq!(b.standard, "渝发改规范〔2025〕11号");
        assert!(
            a.unverified_parameters
                .contains(&"certification.standard".to_string())
        );
        assert!(
            !b.unverified_parameters
                .contains(&"certification.standard".to_string())
        );
        // Exactly 1.5%: met.
        assert!(a.basic_conditions[3].met);
    }
}
