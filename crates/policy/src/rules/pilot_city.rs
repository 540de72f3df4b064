//! Measure 1: scoring the districts that apply for municipal pilot-city cultivation
//! (渝发改社会〔2023〕1271号 第1条 “启动市级产教融合试点城市培育遴选工作”).
//!
//! Input: `{"date": "YYYY-MM-DD", "candidates": [{"district": "500103", "name"?: "渝中区",
//! "indicators": {"<code>": <non-negative integer>, …}}, …]}`. Parameters (the indicator system)
//! are looked up on `date`, which is required.
//!
//! Method, all in exact integer arithmetic:
//! - The indicator system is `pilot_city.indicators` with, per code, a name, a weight and a
//!   direction. The weights must sum to exactly 1 (and have at most 4 decimals, so that no
//!   indicator can round above its weight); otherwise the evaluation fails naming the
//!   parameter file(s) — a parameter error, not an input error.
//! - Each indicator is min–max normalised across the candidates: higher-is-better
//!   `(x − min) / (max − min)`, lower-is-better `(max − x) / (max − min)`. When every candidate
//!   has the same value, each gets `pilot_city.all_equal_normalised` (default 1).
//! - An indicator's points are `weight × normalised × 100`, rounded half-up once, directly from
//!   the exact fraction, to the thousandth of a point (integer milli-points). The score is the
//!   sum of the points, so the contributions add up to the score exactly; it lies in [0, 100].
//!   Scores are reported as integer milli-points and as a string with three decimals.
//! - Rank 1 is the highest score; equal scores share a rank (“1224” competition ranking) and
//!   are listed by district code.
//!
//! Refused input: a missing or malformed date; fewer candidates than
//! `pilot_city.min_candidates` (default 2: one candidate cannot be normalised meaningfully); a
//! district code that is not 6 digits (any 6-digit code is accepted — this crate does not know
//! the division list); a repeated district; an unknown, missing or negative indicator; a share
//! (`…_ppm`) above 1 000 000; more than [`MAX_LIST_ITEMS`] candidates; a name longer than
//! [`MAX_TEXT_CHARS`] characters. The input schema ([`crate::input_schema`]) states all of these
//! but the repeated district.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{MAX_LIST_ITEMS, MAX_TEXT_CHARS, Rule, RuleError};
use crate::money::{Rate, div_round_half_up};
use crate::params::{ParamError, ParamSet, Used};
use crate::schema::{Window, at, constrain_date};
use crate::trace::{Step, Trace};

pub struct PilotCity;

const UNVERIFIED_NOTE: &str = "（默认值，待运营方确认）";
/// Parts per million in one (the unit of [`Rate`]); not a policy number.
const PPM: i128 = 1_000_000;
/// Milli-points per point × points of a full score (100): `weight × normalised × 100 × 1000`.
const MILLI_POINTS_FULL: i128 = 100_000;

/// The input. One constraint JSON Schema cannot state: each district appears once.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// "YYYY-MM-DD"; the parameters (the indicator system) in force on that day apply.
    #[schemars(extend("format" = "date"), pattern(crate::schema::DATE_SHAPE))]
    pub date: String,
    /// At least `pilot_city.min_candidates` districts.
    #[schemars(length(max = MAX_LIST_ITEMS))]
    pub candidates: Vec<Candidate>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    /// GB/T 2260 code, 6 digits.
    #[schemars(pattern(DISTRICT_PATTERN))]
    pub district: String,
    /// The district's name, for the explanation.
    #[serde(default)]
    #[schemars(length(max = MAX_TEXT_CHARS))]
    pub name: Option<String>,
    /// Indicator code → non-negative integer value; every indicator of the system, no other.
    #[schemars(inner(range(min = 0)))]
    pub indicators: BTreeMap<String, i64>,
}

/// A district code: 6 ASCII digits.
const DISTRICT_PATTERN: &str = "^[0-9]{6}$";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    HigherBetter,
    LowerBetter,
}

impl Direction {
    fn name(self) -> &'static str {
        match self {
            Direction::HigherBetter => "越高越好",
            Direction::LowerBetter => "越低越好",
        }
    }
}

/// One indicator of the system as applied to this set of candidates.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorSummary {
    pub indicator: String,
    pub name: String,
    pub weight: Rate,
    pub direction: Direction,
    pub min: i64,
    pub max: i64,
    /// Every candidate had the same value (each got `all_equal_normalised`).
    pub all_equal: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Contribution {
    pub indicator: String,
    pub name: String,
    pub raw: i64,
    /// The normalised value in [0, 1], rounded half-up to six decimals (for display; the
    /// points are computed from the exact fraction).
    pub normalised: Rate,
    pub weight: Rate,
    /// `weight × normalised × 100`, three decimals.
    pub points: String,
    pub points_milli: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CandidateResult {
    pub rank: u32,
    pub district: String,
    pub name: Option<String>,
    /// Three decimals, e.g. `"87.500"`.
    pub score: String,
    pub score_milli: i64,
    pub contributions: Vec<Contribution>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub date: NaiveDate,
    pub indicators: Vec<IndicatorSummary>,
    /// By rank, ties by district code.
    pub results: Vec<CandidateResult>,
    /// Keys of the parameters used whose values await the operator's confirmation.
    pub unverified_params: Vec<String>,
}

/// An indicator as the parameters define it on the date.
struct Indicator {
    code: String,
    name: String,
    weight: Rate,
    direction: Direction,
    used: Vec<Used>,
}

fn milli(m: i64) -> String {
    let sign = if m < 0 { "-" } else { "" };
    let a = m.unsigned_abs();
    format!("{sign}{}.{:03}", a / 1000, a % 1000)
}

fn note(used: &[&Used]) -> &'static str {
    if used.iter().any(|u| !u.verified) {
        UNVERIFIED_NOTE
    } else {
        ""
    }
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
            format!("日期 {date} 不在本规则参数的有效期内（该日没有可用的参数取值）"),
        ),
        other => RuleError::Param(other),
    })
}

fn origin(params: &ParamSet, key: &str) -> String {
    params
        .param(key)
        .map(|p| p.origin.clone())
        .unwrap_or_else(|_| "pilot_city".into())
}

fn invalid_param(params: &ParamSet, key: &str, message: String) -> RuleError {
    RuleError::Param(ParamError::Invalid {
        file: origin(params, key),
        key: key.into(),
        message,
    })
}

/// The indicator system in force on `date`, checked (weights sum to exactly 1).
fn indicator_system(
    params: &ParamSet,
    date: NaiveDate,
) -> Result<(Vec<Indicator>, Used), RuleError> {
    let (list, list_used) = lookup(params.text("pilot_city.indicators", date), date)?;
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for code in list.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        if !code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(invalid_param(
                params,
                &list_used.key,
                format!("指标代码“{code}”只能由小写字母、数字和下划线组成"),
            ));
        }
        if !seen.insert(code.to_string()) {
            return Err(invalid_param(
                params,
                &list_used.key,
                format!("指标代码“{code}”重复"),
            ));
        }
        let (name, name_used) =
            lookup(params.text(&format!("pilot_city.{code}_name"), date), date)?;
        let (weight, weight_used) = lookup(
            params.rate(&format!("pilot_city.{code}_weight"), date),
            date,
        )?;
        let (dir, dir_used) = lookup(
            params.text(&format!("pilot_city.{code}_direction"), date),
            date,
        )?;
        if weight < Rate::ZERO || weight > Rate::ONE || weight.ppm() % 100 != 0 {
            return Err(invalid_param(
                params,
                &weight_used.key,
                format!("权重 {weight} 应在 0 到 1 之间，且最多4位小数"),
            ));
        }
        let direction = match dir.trim() {
            "higher_better" => Direction::HigherBetter,
            "lower_better" => Direction::LowerBetter,
            other => {
                return Err(invalid_param(
                    params,
                    &dir_used.key,
                    format!("方向“{other}”无效，应为 higher_better 或 lower_better"),
                ));
            }
        };
        out.push(Indicator {
            code: code.to_string(),
            name,
            weight,
            direction,
            used: vec![name_used, weight_used, dir_used],
        });
    }
    if out.is_empty() {
        return Err(invalid_param(params, &list_used.key, "指标体系为空".into()));
    }
    let sum: i128 = out.iter().map(|i| i.weight.ppm() as i128).sum();
    if sum != PPM {
        let files: BTreeSet<String> = out.iter().map(|i| origin(params, &i.used[1].key)).collect();
        let keys: Vec<&str> = out.iter().map(|i| i.used[1].key.as_str()).collect();
        let sum_text = i64::try_from(sum)
            .map(|s| Rate::from_ppm(s).to_string())
            .unwrap_or_else(|_| "溢出".into());
        return Err(RuleError::Param(ParamError::Invalid {
            file: files.into_iter().collect::<Vec<_>>().join("、"),
            key: keys.join("、"),
            message: format!("各指标权重之和为 {sum_text}，应恰好为 1"),
        }));
    }
    Ok((out, list_used))
}

/// A validated candidate: district, name, values in the order of the indicator system.
struct Valid {
    district: String,
    name: Option<String>,
    values: Vec<i64>,
}

fn validate(candidates: &[Candidate], system: &[Indicator]) -> Result<Vec<Valid>, RuleError> {
    let mut first_seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut out = Vec::with_capacity(candidates.len());
    for (i, c) in candidates.iter().enumerate() {
        let path = format!("candidates[{i}]");
        let district = c.district.as_str();
        if district.len() != 6 || !district.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RuleError::input(
                format!("{path}.district"),
                format!("区县代码“{district}”无效，应为6位数字（GB/T 2260）"),
            ));
        }
        if let Some(j) = first_seen.get(district) {
            return Err(RuleError::input(
                format!("{path}.district"),
                format!("区县 {district} 重复（与 candidates[{j}] 相同），每个区县只能出现一次"),
            ));
        }
        first_seen.insert(district, i);
        if let Some(name) = &c.name {
            let n = name.chars().count();
            if n > MAX_TEXT_CHARS {
                return Err(RuleError::input(
                    format!("{path}.name"),
                    format!("区县名称过长（{n} 个字符，最多 {MAX_TEXT_CHARS} 个）"),
                ));
            }
        }
        let map = &c.indicators;
        for key in map.keys() {
            if !system.iter().any(|s| &s.code == key) {
                let known: Vec<&str> = system.iter().map(|s| s.code.as_str()).collect();
                return Err(RuleError::input(
                    format!("{path}.indicators.{key}"),
                    format!("不认识的指标“{key}”，可用指标：{}", known.join("、")),
                ));
            }
        }
        let mut values = Vec::with_capacity(system.len());
        for s in system {
            let field = format!("{path}.indicators.{}", s.code);
            let v = *map.get(&s.code).ok_or_else(|| {
                RuleError::input(&field, format!("缺少指标“{}”（{}）", s.code, s.name))
            })?;
            if v < 0 {
                return Err(RuleError::input(
                    &field,
                    format!("{}不能为负数（输入为 {v}）", s.name),
                ));
            }
            if s.code.ends_with("_ppm") && v as i128 > PPM {
                return Err(RuleError::input(
                    &field,
                    format!("{}以百万分比表示，不能超过 1000000（输入为 {v}）", s.name),
                ));
            }
            values.push(v);
        }
        out.push(Valid {
            district: district.to_string(),
            name: c.name.clone(),
            values,
        });
    }
    Ok(out)
}

/// What the parameters in force on a day say about the input: the fewest candidates and the
/// indicators (code, name); `None` where the parameters are unusable (the evaluation then fails
/// on the parameters whatever the input).
#[derive(Debug, Clone, PartialEq)]
struct Profile {
    min_candidates: Option<i64>,
    indicators: Option<Vec<(String, String)>>,
}

impl Profile {
    fn on(params: &ParamSet, date: NaiveDate) -> Profile {
        Profile {
            min_candidates: params
                .integer("pilot_city.min_candidates", date)
                .ok()
                .map(|(n, _)| n),
            indicators: indicator_system(params, date)
                .ok()
                .map(|(system, _)| system.into_iter().map(|i| (i.code, i.name)).collect()),
        }
    }

    /// Narrows the schema of `candidates` to this profile.
    fn apply(&self, candidates: &mut Value) {
        let Some(c) = candidates.as_object_mut() else {
            return;
        };
        if let Some(n) = self.min_candidates {
            c.insert("minItems".into(), json!(n.max(0)));
        }
        let (Some(system), Some(indicators)) = (
            &self.indicators,
            candidates.pointer_mut("/items/properties/indicators"),
        ) else {
            return;
        };
        let properties: serde_json::Map<String, Value> = system
            .iter()
            .map(|(code, name)| {
                let max = if code.ends_with("_ppm") {
                    PPM as i64
                } else {
                    i64::MAX
                };
                let schema = json!({
                    "description": name,
                    "type": "integer",
                    "format": "int64",
                    "minimum": 0,
                    "maximum": max,
                });
                (code.clone(), schema)
            })
            .collect();
        let codes: Vec<&String> = system.iter().map(|(code, _)| code).collect();
        if let Some(m) = indicators.as_object_mut() {
            m.insert("properties".into(), Value::Object(properties));
            m.insert("required".into(), json!(codes));
            m.insert("additionalProperties".into(), json!(false));
        }
    }
}

/// The schema's parts that depend on the parameters: the dates they are in force, the number
/// of candidates and the indicators. Where these change over time, one `anyOf` branch per
/// period ties the candidates' schema to the dates of that period.
fn refine_schema(schema: &mut Value, params: &ParamSet) {
    let window = Window::of_file(params, "pilot_city");
    constrain_date(schema, "/properties/date", &window);
    // The days the parameters may change, within the window.
    let mut starts: BTreeSet<NaiveDate> = window.from.into_iter().collect();
    for p in params.iter().filter(|p| p.key.starts_with("pilot_city.")) {
        for v in &p.values {
            starts.insert(v.from);
            if let Some(next) = v.to.and_then(|t| t.succ_opt()) {
                starts.insert(next);
            }
        }
    }
    let starts: Vec<NaiveDate> = starts.into_iter().filter(|d| window.contains(*d)).collect();
    // Consecutive days with the same profile make one period.
    let mut periods: Vec<(NaiveDate, Profile)> = Vec::new();
    for d in starts {
        let profile = Profile::on(params, d);
        if periods.last().is_none_or(|(_, p)| *p != profile) {
            periods.push((d, profile));
        }
    }
    let Some(base) = at(schema, "/properties/candidates").map(|c| Value::Object(c.clone())) else {
        return;
    };
    match periods.as_slice() {
        [] => {}
        [(_, only)] => {
            if let Some(c) = schema.pointer_mut("/properties/candidates") {
                only.apply(c);
            }
        }
        many => {
            let branches: Vec<Value> = many
                .iter()
                .enumerate()
                .map(|(i, (from, profile))| {
                    let to = match many.get(i + 1) {
                        Some((next, _)) => next.pred_opt(),
                        None => window.to,
                    };
                    let period = Window {
                        from: Some(*from),
                        to,
                    };
                    let mut candidates = base.clone();
                    profile.apply(&mut candidates);
                    json!({
                        "properties": {
                            "date": {"pattern": period.pattern()},
                            "candidates": candidates,
                        }
                    })
                })
                .collect();
            if let Some(m) = schema.as_object_mut() {
                m.insert("anyOf".into(), Value::Array(branches));
            }
        }
    }
}

impl Rule for PilotCity {
    const NAME: &'static str = "pilot_city";
    const TITLE: &'static str = "产教融合试点城市评分";
    const MEASURE: u8 = 1;
    type Input = Input;
    type Outcome = Outcome;

    fn field_hint(field: &str) -> Option<&'static str> {
        match field {
            "date" => Some("评分日期，YYYY-MM-DD"),
            "candidates" => Some("候选区县列表"),
            "district" => Some("区县代码"),
            "indicators" => Some("各项指标值"),
            _ => None,
        }
    }

    fn refine_schema(schema: &mut Value, params: &ParamSet) {
        refine_schema(schema, params);
    }

    fn evaluate(input: &Input, params: &ParamSet, trace: &mut Trace) -> Result<Outcome, RuleError> {
        let date = parse_date(&input.date)?;
        let candidates = input.candidates.as_slice();
        if candidates.len() > MAX_LIST_ITEMS {
            return Err(RuleError::input(
                "candidates",
                format!(
                    "候选区县有 {} 个，超过上限 {MAX_LIST_ITEMS} 个",
                    candidates.len()
                ),
            ));
        }

        let (min_candidates, min_used) =
            lookup(params.integer("pilot_city.min_candidates", date), date)?;
        let (all_equal, all_equal_used) =
            lookup(params.rate("pilot_city.all_equal_normalised", date), date)?;
        if all_equal < Rate::ZERO || all_equal > Rate::ONE {
            return Err(invalid_param(
                params,
                &all_equal_used.key,
                format!("取值 {all_equal} 应在 0 到 1 之间"),
            ));
        }
        let (system, list_used) = indicator_system(params, date)?;

        let mut unverified: BTreeSet<String> = BTreeSet::new();
        let mut mark = |u: &Used| {
            if !u.verified {
                unverified.insert(u.key.clone());
            }
        };
        mark(&list_used);
        mark(&min_used);
        for s in &system {
            s.used.iter().for_each(&mut mark);
        }

        trace.record(|| {
            let lines: Vec<String> = system
                .iter()
                .map(|s| {
                    format!(
                        "{}（{}）权重 {}，{}",
                        s.name,
                        s.code,
                        s.weight,
                        s.direction.name()
                    )
                })
                .collect();
            let mut used: Vec<&Used> = vec![&list_used];
            used.extend(system.iter().flat_map(|s| s.used.iter()));
            let mut step = Step::new(
                "确定指标体系与权重",
                format!(
                    "按 {date} 有效的参数，评分指标共 {} 项：{}。各项权重之和为 1（已核对）。{}",
                    system.len(),
                    lines.join("；"),
                    note(&used)
                ),
            )
            .input("date", date);
            for u in used {
                step = step.param(u);
            }
            step.result(system.iter().map(|s| s.code.clone()).collect::<Vec<_>>())
        });

        if (candidates.len() as i128) < min_candidates as i128 {
            return Err(RuleError::input(
                "candidates",
                format!(
                    "候选区县只有 {} 个，至少需要 {min_candidates} 个才能进行跨区县归一化评分",
                    candidates.len()
                ),
            ));
        }
        trace.record(|| {
            Step::new(
                "核对候选区县数",
                format!(
                    "候选区县 {} 个，不少于最少 {min_candidates} 个。{}",
                    candidates.len(),
                    note(&[&min_used])
                ),
            )
            .input("candidates", candidates.len())
            .param(&min_used)
            .result(true)
        });
        let valid = validate(candidates, &system)?;
        let n = valid.len();

        // Normalise each indicator and compute the points (milli-points) of each candidate.
        let mut summaries = Vec::with_capacity(system.len());
        let mut contributions: Vec<Vec<Contribution>> = vec![Vec::with_capacity(system.len()); n];
        for (k, s) in system.iter().enumerate() {
            let values: Vec<i64> = valid.iter().map(|v| v.values[k]).collect();
            let min = values.iter().copied().min().unwrap_or(0);
            let max = values.iter().copied().max().unwrap_or(0);
            let range = max as i128 - min as i128;
            let w = s.weight.ppm() as i128;
            let mut rows = Vec::with_capacity(n);
            for (i, &x) in values.iter().enumerate() {
                let (normalised_ppm, points_milli) = if range == 0 {
                    let a = all_equal.ppm() as i128;
                    (a, div_round_half_up(w * a * MILLI_POINTS_FULL, PPM * PPM))
                } else {
                    let num = match s.direction {
                        Direction::HigherBetter => x as i128 - min as i128,
                        Direction::LowerBetter => max as i128 - x as i128,
                    };
                    (
                        div_round_half_up(num * PPM, range),
                        div_round_half_up(w * num * MILLI_POINTS_FULL, PPM * range),
                    )
                };
                // Both are within [0, 10^6] and [0, 10^5] by construction.
                let normalised = Rate::from_ppm(normalised_ppm as i64);
                let points_milli = points_milli as i64;
                rows.push((valid[i].district.clone(), x, normalised, points_milli));
                contributions[i].push(Contribution {
                    indicator: s.code.clone(),
                    name: s.name.clone(),
                    raw: x,
                    normalised,
                    weight: s.weight,
                    points: milli(points_milli),
                    points_milli,
                });
            }
            if range == 0 {
                mark(&all_equal_used);
            }
            trace.record(|| {
                let how = if range == 0 {
                    format!("各候选区县取值均为 {min}，归一化值统一取 {all_equal}{}", note(&[&all_equal_used]))
                } else {
                    match s.direction {
                        Direction::HigherBetter => format!("最小值 {min}，最大值 {max}，越高越好：归一化值 =（取值 − {min}）÷ {range}"),
                        Direction::LowerBetter => format!("最小值 {min}，最大值 {max}，越低越好：归一化值 =（{max} − 取值）÷ {range}"),
                    }
                };
                let lines: Vec<String> = rows
                    .iter()
                    .map(|(d, x, nv, p)| format!("{d}：{x} → {nv} → {} 分", milli(*p)))
                    .collect();
                let mut step = Step::new(
                    format!("归一化：{}", s.name),
                    format!(
                        "{how}；得分 = 权重 {} × 归一化值 × 100（四舍五入到0.001分）。{}。{}",
                        s.weight,
                        lines.join("；"),
                        note(&s.used.iter().collect::<Vec<_>>())
                    ),
                )
                .input("values", rows.iter().map(|(d, x, _, _)| (d.clone(), *x)).collect::<BTreeMap<_, _>>());
                for u in &s.used {
                    step = step.param(u);
                }
                if range == 0 {
                    step = step.param(&all_equal_used);
                }
                step.result(rows.iter().map(|(d, _, _, p)| (d.clone(), milli(*p))).collect::<BTreeMap<_, _>>())
            });
            summaries.push(IndicatorSummary {
                indicator: s.code.clone(),
                name: s.name.clone(),
                weight: s.weight,
                direction: s.direction,
                min,
                max,
                all_equal: range == 0,
            });
        }

        let mut results: Vec<CandidateResult> = valid
            .into_iter()
            .zip(contributions)
            .map(|(v, contributions)| {
                let score_milli: i64 = contributions.iter().map(|c| c.points_milli).sum();
                CandidateResult {
                    rank: 0,
                    district: v.district,
                    name: v.name,
                    score: milli(score_milli),
                    score_milli,
                    contributions,
                }
            })
            .collect();
        for r in &results {
            trace.record(|| {
                let parts: Vec<String> = r
                    .contributions
                    .iter()
                    .map(|c| format!("{} {}", c.name, c.points))
                    .collect();
                Step::new(
                    format!(
                        "计算总分：{}",
                        r.name.clone().unwrap_or_else(|| r.district.clone())
                    ),
                    format!(
                        "区县 {} 总分 = {} = {} 分。",
                        r.district,
                        parts.join(" + "),
                        r.score
                    ),
                )
                .input("district", &r.district)
                .result(&r.score)
            });
        }

        results.sort_by(|a, b| {
            b.score_milli
                .cmp(&a.score_milli)
                .then_with(|| a.district.cmp(&b.district))
        });
        let mut prev: Option<(i64, u32)> = None;
        for (i, r) in results.iter_mut().enumerate() {
            let rank = match prev {
                Some((score, rank)) if score == r.score_milli => rank,
                _ => u32::try_from(i + 1).unwrap_or(u32::MAX),
            };
            r.rank = rank;
            prev = Some((r.score_milli, rank));
        }
        trace.record(|| {
            let lines: Vec<String> = results
                .iter()
                .map(|r| format!("第{}名 {}（{} 分）", r.rank, r.district, r.score))
                .collect();
            Step::new(
                "排名",
                format!(
                    "按总分从高到低排名，同分并列（并列后名次顺延），同分者按区县代码排列：{}。",
                    lines.join("；")
                ),
            )
            .result(
                results
                    .iter()
                    .map(|r| (r.district.clone(), r.rank))
                    .collect::<Vec<_>>(),
            )
        });

        Ok(Outcome {
            date,
            indicators: summaries,
            results,
            unverified_params: unverified.into_iter().collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CODES: [&str; 7] = [
        "certified_enterprises",
        "vocational_students",
        "training_bases",
        "co_built_majors",
        "enterprise_investment_fen",
        "employment_rate_ppm",
        "surplus_major_share_ppm",
    ];

    fn params() -> ParamSet {
        ParamSet::embedded().unwrap()
    }

    fn input(rows: &[(String, [i64; 7])]) -> Input {
        Input {
            date: "2024-06-01".into(),
            candidates: rows
                .iter()
                .map(|(d, vals)| Candidate {
                    district: d.clone(),
                    name: None,
                    indicators: CODES
                        .iter()
                        .zip(vals)
                        .map(|(c, v)| (c.to_string(), *v))
                        .collect(),
                })
                .collect(),
        }
    }

    #[test]
    fn weights_not_summing_to_one_name_the_parameter_file() {
        let base = crate::params::EMBEDDED
            .iter()
            .find(|(s, _)| *s == "pilot_city")
            .unwrap()
            .1;
        let text = base.replacen("value = \"0.20\"", "value = \"0.25\"", 1);
        let set =
            ParamSet::from_sources([("pilot_city", "overrides/pilot_city.toml", text.as_str())])
                .unwrap();
        let rows = vec![
            ("500103".to_string(), [1, 2, 3, 4, 5, 6, 7]),
            ("500104".to_string(), [7, 6, 5, 4, 3, 2, 1]),
        ];
        let err = PilotCity::evaluate(&input(&rows), &set, &mut Trace::disabled())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("overrides/pilot_city.toml") && err.contains("1.05"),
            "{err}"
        );
    }

    #[test]
    fn shipped_weights_sum_to_one() {
        let (system, _) =
            indicator_system(&params(), NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()).unwrap();
        assert_eq!(
            system.iter().map(|s| s.code.as_str()).collect::<Vec<_>>(),
            CODES
        );
    }

    fn rows() -> impl Strategy<Value = Vec<(String, [i64; 7])>> {
        let count = prop_oneof![0i64..5, 0i64..1_000_000, Just(i64::MAX), Just(0)];
        let share = prop_oneof![0i64..3, 0i64..=1_000_000, Just(1_000_000)];
        let row = (proptest::array::uniform5(count), share.clone(), share)
            .prop_map(|(a, s1, s2)| [a[0], a[1], a[2], a[3], a[4], s1, s2]);
        (
            proptest::collection::btree_set(500100u32..500160, 0..9),
            proptest::collection::vec(row, 9),
        )
            .prop_map(|(districts, rows)| {
                districts
                    .into_iter()
                    .rev()
                    .map(|d| d.to_string())
                    .zip(rows)
                    .collect()
            })
    }

    proptest! {
        #[test]
        fn scores_are_bounded_ranked_and_sum_their_contributions(rows in rows(), explain in any::<bool>()) {
            let p = params();
            let mut trace = if explain { Trace::enabled() } else { Trace::disabled() };
            if let Ok(out) = PilotCity::evaluate(&input(&rows), &p, &mut trace) {
                prop_assert_eq!(out.results.len(), rows.len());
                for (i, r) in out.results.iter().enumerate() {
                    prop_assert!((0..=100_000).contains(&r.score_milli), "{}", r.score_milli);
                    prop_assert_eq!(r.contributions.iter().map(|c| c.points_milli).sum::<i64>(), r.score_milli);
                    prop_assert_eq!(r.contributions.len(), CODES.len());
                    let higher = out.results.iter().filter(|o| o.score_milli > r.score_milli).count();
                    prop_assert_eq!(r.rank as usize, higher + 1);
                    if i > 0 {
                        let prev = &out.results[i - 1];
                        prop_assert!(prev.score_milli > r.score_milli || (prev.score_milli == r.score_milli && prev.district < r.district));
                    }
                    for c in &r.contributions {
                        prop_assert!(c.points_milli >= 0 && c.points_milli as i128 * 10 <= c.weight.ppm() as i128);
                        prop_assert!(c.normalised >= Rate::ZERO && c.normalised <= Rate::ONE);
                    }
                }
            }
        }

        #[test]
        fn never_panics_on_arbitrary_json(s in ".{0,200}") {
            let _ = crate::evaluate(PilotCity::NAME, &s, &params(), true);
        }

        #[test]
        fn never_panics_on_arbitrary_candidates(
            date in prop_oneof![Just("2024-01-01".to_string()), ".{0,11}"],
            cands in proptest::collection::vec(
                ("[0-9a-z]{0,7}", proptest::collection::btree_map("[a-z_]{1,26}", any::<i64>(), 0..9)),
                0..5,
            ),
        ) {
            let input = Input {
                date,
                candidates: cands.into_iter().map(|(d, m)| Candidate { district: d, name: None, indicators: m }).collect(),
            };
            let _ = PilotCity::evaluate(&input, &params(), &mut Trace::enabled());
        }
    }
}
