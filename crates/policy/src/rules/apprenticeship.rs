//! Measure 7: apprenticeship posts as a share of all posts (“引导企业按岗位总量的一定比例设立学徒
//! 岗位”, 渝发改社会〔2023〕1271号 第7条).
//!
//! The ratio is the parameter `apprenticeship.required_ratio`, looked up at the input's `date`
//! (Chongqing has not published it: the default is modelled, `verified = false`).
//!
//! Arithmetic, all exact in integers (i128, no floating point):
//! - `required_posts = ceil(total_posts × required_ratio)`: a part of a post needs a whole post
//!   (20 posts at 5% → 1; 21 posts → 1.05 → 2).
//! - `shortfall_posts = max(0, required_posts − apprentice_posts)`;
//!   `compliant ⇔ shortfall_posts = 0`, which is the same as `apprentice_posts / total_posts ≥
//!   required_ratio` exactly.
//! - `ratio` is `apprentice_posts / total_posts` for display, rounded half-up to six decimals
//!   (ppm); the decision never uses the rounded value.
//! - An enterprise with no posts (`total_posts = 0`) has nothing required and is compliant; its
//!   ratio is shown as "0".

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::certification::parse_date;
use super::{Rule, RuleError};
use crate::money::{Rate, div_round_half_up};
use crate::params::{ParamError, ParamSet};
use crate::schema::{Window, constrain_date};
use crate::trace::{Step, Trace};

pub struct Apprenticeship;

/// The input. One constraint JSON Schema cannot state: `apprentice_posts ≤ total_posts`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// "YYYY-MM-DD"; the date the posts are counted at.
    #[schemars(extend("format" = "date"), pattern(crate::schema::DATE_SHAPE))]
    pub date: String,
    /// All posts of the enterprise.
    #[schemars(range(min = 0))]
    pub total_posts: i64,
    /// Apprenticeship posts among them (at most `total_posts`).
    #[schemars(range(min = 0))]
    pub apprentice_posts: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub compliant: bool,
    /// apprentice_posts / total_posts, exact decimal rounded half-up to 6 places ("0" if no posts).
    pub ratio: String,
    /// The same as a percentage, e.g. "4.5%".
    pub ratio_percent: String,
    pub required_ratio: String,
    pub required_posts: i64,
    pub shortfall_posts: i64,
    /// Keys of the parameters used whose value is a modelled default (verified = false).
    pub unverified_parameters: Vec<String>,
}

const UNVERIFIED_NOTE: &str = "（默认值，待运营方确认）";
/// The rule's one parameter.
const KEY_RATIO: &str = "apprenticeship.required_ratio";

impl Rule for Apprenticeship {
    const NAME: &'static str = "apprenticeship";
    const TITLE: &'static str = "学徒岗位比例";
    const MEASURE: u8 = 7;
    type Input = Input;
    type Outcome = Outcome;

    fn refine_schema(schema: &mut serde_json::Value, params: &ParamSet) {
        let window = Window::of(params, |k| k == KEY_RATIO);
        constrain_date(schema, "/properties/date", &window);
    }

    fn evaluate(input: &Input, params: &ParamSet, trace: &mut Trace) -> Result<Outcome, RuleError> {
        let date = parse_date("date", &input.date)?;
        let total = input.total_posts;
        let apprentices = input.apprentice_posts;
        if total < 0 {
            return Err(RuleError::input(
                "total_posts",
                format!("岗位总量不能为负数（收到 {total}）"),
            ));
        }
        if apprentices < 0 {
            return Err(RuleError::input(
                "apprentice_posts",
                format!("学徒岗位数不能为负数（收到 {apprentices}）"),
            ));
        }
        if apprentices > total {
            return Err(RuleError::input(
                "apprentice_posts",
                format!("学徒岗位数 {apprentices} 超过岗位总量 {total}"),
            ));
        }

        let (rate, used) = params.rate(KEY_RATIO, date).map_err(|e| match e {
            ParamError::NoValue { date, .. } => RuleError::input(
                "date",
                format!("日期 {date} 早于学徒岗位比例要求的适用期间"),
            ),
            other => RuleError::Param(other),
        })?;
        if rate < Rate::ZERO || rate > Rate::ONE {
            return Err(RuleError::Param(ParamError::Invalid {
                file: "apprenticeship".into(),
                key: used.key.clone(),
                message: format!("比例 {rate} 应在 0 与 1 之间"),
            }));
        }
        let note = if used.verified { "" } else { UNVERIFIED_NOTE };
        trace.record(|| {
            Step::new(
                "确定学徒岗位比例要求",
                format!("{date} 适用的学徒岗位最低比例为 {}。{note}", rate.percent()),
            )
            .input("date", &input.date)
            .param(&used)
            .result(rate.to_string())
        });

        // Actual ratio, for display (ppm, half-up).
        let ratio_ppm = if total == 0 {
            0
        } else {
            div_round_half_up(apprentices as i128 * 1_000_000, total as i128) as i64
        };
        let ratio = Rate::from_ppm(ratio_ppm);
        trace.record(|| {
            let text = if total == 0 {
                "岗位总量为 0，比例记为 0。".to_string()
            } else {
                format!(
                    "学徒岗位 {apprentices} ÷ 岗位总量 {total} = {}（{}，保留六位小数，四舍五入，仅供展示）。",
                    ratio,
                    ratio.percent()
                )
            };
            Step::new("计算学徒岗位实际比例", text)
                .input("total_posts", total)
                .input("apprentice_posts", apprentices)
                .result(ratio.to_string())
        });

        // required = ceil(total × ppm / 10⁶); total ≥ 0, 0 ≤ ppm ≤ 10⁶, so it fits in i64.
        let product = total as i128 * rate.ppm() as i128;
        let required_i128 = (product + 999_999) / 1_000_000;
        let required = i64::try_from(required_i128).unwrap_or(i64::MAX);
        trace.record(|| {
            let text = if total == 0 {
                format!("岗位总量为 0，无需设立学徒岗位。{note}")
            } else {
                let exact = product % 1_000_000 == 0;
                format!(
                    "应设学徒岗位 = 岗位总量 {total} × {} = {}{}，不足一个岗位按一个计（向上取整），应设 {required} 个。{note}",
                    rate.percent(),
                    product / 1_000_000,
                    if exact {
                        String::new()
                    } else {
                        // The fractional part, as an exact decimal of 6 places.
                        let frac = format!("{:06}", product % 1_000_000);
                        format!(".{}", frac.trim_end_matches('0'))
                    }
                )
            };
            Step::new("计算应设学徒岗位数", text).input("total_posts", total).param(&used).result(required)
        });

        let shortfall = (required - apprentices).max(0);
        let compliant = shortfall == 0;
        trace.record(|| {
            let verdict = if compliant {
                format!("已设学徒岗位 {apprentices} 个，不少于应设的 {required} 个，符合比例要求。")
            } else {
                format!("已设学徒岗位 {apprentices} 个，少于应设的 {required} 个，缺口 {shortfall} 个，未达比例要求。")
            };
            let caveat = if used.verified {
                ""
            } else {
                "所用比例为默认值（apprenticeship.required_ratio），待运营方确认。"
            };
            Step::new("判定是否达到比例要求", format!("{verdict}{caveat}"))
                .input("apprentice_posts", apprentices)
                .input("required_posts", required)
                .param(&used)
                .result(compliant)
        });

        Ok(Outcome {
            compliant,
            ratio: ratio.to_string(),
            ratio_percent: ratio.percent(),
            required_ratio: rate.to_string(),
            required_posts: required,
            shortfall_posts: shortfall,
            unverified_parameters: if used.verified {
                Vec::new()
            } else {
                vec![used.key.clone()]
            },
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
            Just("2025-12-26".to_string()),
            Just("2023-10-31".to_string()),
            Just("2024-02-30".to_string()),
            (2020i32..2040, 1u32..13, 1u32..29)
                .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
            ".*",
        ]
    }

    fn count() -> impl Strategy<Value = i64> {
        prop_oneof![
            -3i64..100,
            0i64..1_000_000_000,
            any::<i64>(),
            Just(i64::MAX)
        ]
    }

    proptest! {
        #[test]
        fn never_panics_and_invariants_hold(
            date in date_strategy(), total in count(), apprentices in count(), explain in any::<bool>()
        ) {
            let p = params();
            let inp = Input { date, total_posts: total, apprentice_posts: apprentices };
            let mut trace = if explain { Trace::enabled() } else { Trace::disabled() };
            if let Ok(o) = Apprenticeship::evaluate(&inp, &p, &mut trace) {
                prop_assert!(total >= 0 && apprentices >= 0 && apprentices <= total);
                prop_assert_eq!(o.shortfall_posts, (o.required_posts - apprentices).max(0));
                prop_assert_eq!(o.compliant, o.shortfall_posts == 0);
                prop_assert!(o.required_posts >= 0 && o.required_posts <= total);
                // compliant ⇔ apprentices / total ≥ ratio, exactly.
                let ppm = Rate::parse(&o.required_ratio).unwrap().ppm() as i128;
                prop_assert_eq!(o.compliant, apprentices as i128 * 1_000_000 >= total as i128 * ppm);
                if total == 0 {
                    prop_assert!(o.compliant);
                    prop_assert_eq!(o.required_posts, 0);
                }
            }
        }

        #[test]
        fn arbitrary_json_never_panics(s in ".*") {
            let _ = crate::evaluate(Apprenticeship::NAME, &s, &params(), true);
        }
    }

    #[test]
    fn rounds_required_posts_up() {
        let p = params();
        let run = |t, a| {
            Apprenticeship::evaluate(
                &Input {
                    date: "2025-06-30".into(),
                    total_posts: t,
                    apprentice_posts: a,
                },
                &p,
                &mut Trace::enabled(),
            )
            .unwrap()
        };
        assert_eq!(run(20, 1).required_posts, 1);
        assert_eq!(run(21, 1).required_posts, 2);
        assert_eq!(run(21, 1).shortfall_posts, 1);
        assert_eq!(run(1, 0).required_posts, 1);
        assert!(run(0, 0).compliant);
        assert_eq!(run(i64::MAX, 0).required_posts, 461_168_601_842_738_791);
    }
}
