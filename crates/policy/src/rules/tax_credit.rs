//! Measure 12: the tax-credit ledger of a certified industry–education integration enterprise
//! (产教融合型企业) — 30% of its qualifying investment in running vocational education credited
//! against 教育费附加 and 地方教育附加, carried forward without limit.
//!
//! Basis: 财税〔2019〕46号 第三条 (from 2019-01-01); the return form is 《附加税费情况表》
//! (增值税及附加税费申报表附列资料（五）), rows 5, 6 and 7.
//!
//! # The ledger, year by year
//!
//! The ledger is explicit state carried through a loop over the years (opening balance → year 1
//! → year 2 …); no rule refers to its own past value. Money is integer fen; every product with a
//! rate is rounded half-up to the fen exactly once ([`Rate::apply`]). For year *y*:
//!
//! 1. **Parameters** are looked up at December 31 of *y*: the ledger is annual and the year's
//!    credit closes at year end, so the value in force on that day governs the whole year. If
//!    the credit rate has no value on that day (years before its first period, 2019-01-01), the
//!    policy is not in force: no credit is earned, used or clawed back that year and the
//!    balance is carried unchanged. A surcharge rate without a value is an error (the platform
//!    does not model those years).
//! 2. **Dues**: `edu_due = round(tax_base × edu_rate)`, `local_due = round(tax_base × local_rate)`
//!    (the base is the VAT + consumption tax actually paid). **Payable** (the creditable base,
//!    after other reductions): `x_payable = max(0, x_due − x_reduction)`. Reductions larger
//!    than the due are accepted (e.g. a whole-period exemption reported by another system);
//!    the payable floors at 0.
//! 3. **Eligibility** for new credit: the policy is in force and either the enterprise is
//!    certified that year (`certified`), or it is a subsidiary ledger (`subsidiary`) whose group
//!    is certified that year (`group_certified`) and whose control that year is `wholly_owned`
//!    or `controlling`. A `minority` subsidiary is not eligible. Investment made while not
//!    eligible earns nothing (the trace says so). Revocation = `certified: false` from that
//!    year: no new credit from then on, but the balance already carried remains usable
//!    ("revocation ends the right to new credit from its date").
//! 4. **New credit**: `new_credit = round(investment × credit_rate)` when eligible, else 0.
//! 5. **Clawback** (withdrawn investment or transferred equity): `clawback =
//!    round(withdrawn × credit_rate)` when the policy is in force (whatever the eligibility
//!    that year — revoked enterprises repay too). It first reduces the balance `carry_in +
//!    new_credit` (`clawback_absorbed = min(clawback, carry_in + new_credit)`); whatever the
//!    balance cannot absorb is `clawback_payable`, repaid as surcharge that year. The rule
//!    trusts that `withdrawn_investment_fen` is investment that earned credit.
//! 6. **Available**: `available = carry_in + new_credit − clawback_absorbed` (≥ 0).
//! 7. **Used**: `used = min(available, edu_payable + local_payable)`. If `used` covers both
//!    levies, each is credited in full. Otherwise it is split by the rates' proportion:
//!    `edu_share = round_half_up(used × edu_rate / (edu_rate + local_rate))` (3/5 at 3% : 2%),
//!    `local_share = used − edu_share`; if a share exceeds its levy's payable, the excess moves
//!    to the other levy. Hence `used_edu ≤ edu_payable`, `used_local ≤ local_payable` and
//!    `used_edu + used_local = used` always. (With 3/5 an exact half fen cannot occur in the
//!    split: the fractional part of `used × 3 / 5` is a multiple of 0.2 fen.)
//! 8. **Carry out**: `carry_out = available − used ≥ 0`; next year's `carry_in` is this
//!    year's `carry_out`. **Left to pay**: `x_net = x_payable − used_x`; `surcharge_to_pay =
//!    edu_net + local_net + clawback_payable`.
//! 9. **Return form** 《附加税费情况表》: row 5 “当期新增投资额” is, per the form's filing
//!    instructions, the period's new investment *net of* equity transfers and withdrawn
//!    investment, and may be negative: `row5 = credited_investment − withdrawn` (the
//!    withdrawal counted only while the policy is in force); row 6 “上期留抵可抵免金额” =
//!    `carry_in`; row 7 “结转下期可抵免金额” = `carry_out`. Then `used ≤ row6 + new_credit`,
//!    and `row7 = row6 + new_credit − clawback_absorbed − used` exactly; `row5 × 30%` equals
//!    `new_credit − clawback` up to one fen, because the two are rounded separately.
//!
//! Over the whole ledger: `opening + Σ new_credit − Σ clawback_absorbed − Σ used = final
//! carry_out`.
//!
//! # Input validation
//!
//! `years` non-empty, each `year` within 1990..=2100 and strictly increasing (no repeats);
//! every money field (and `carry_in_fen`) within 0..=10^16 fen (100万亿元 — a technical bound
//! that keeps all sums inside `i64`); `group_certified` / per-year `control` only on a
//! subsidiary ledger; the group's name at most [`MAX_TEXT_CHARS`] characters. Parameter rates
//! outside 0..=1 are refused. The input schema ([`crate::input_schema`]) states all of these
//! but the order of the years, and narrows the years to those whose surcharge rates are known.
//!
//! # Bulk use
//!
//! [`ledger`] validates, looks up parameters with their citations and records the trace.
//! For millions of enterprise-years, resolve the rates once ([`RateTable`]) and call
//! [`ledger_with_rates`] on validated input: integer math only, no allocation beyond the
//! caller's reused output vector.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{MAX_TEXT_CHARS, Rule, RuleError};
use crate::money::{Rate, yuan};
use crate::params::{ParamError, ParamSet, Used};
use crate::schema::{Window, at};
use crate::trace::{Step, Trace};

pub struct TaxCredit;

/// Parameter keys.
pub const KEY_EDU_RATE: &str = "tax_credit.edu_surcharge_rate";
pub const KEY_LOCAL_RATE: &str = "tax_credit.local_surcharge_rate";
pub const KEY_CREDIT_RATE: &str = "tax_credit.credit_rate";

/// Accepted ledger years (a technical range, not a policy number).
pub const MIN_YEAR: i32 = 1990;
pub const MAX_YEAR: i32 = 2100;
/// Largest accepted money amount: 10^16 fen = 100万亿元 (keeps every sum inside `i64`).
pub const MAX_FEN: i64 = 10_000_000_000_000_000;

const UNVERIFIED: &str = "（默认值，待运营方确认）";

/// A subsidiary's relation to its certified group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Control {
    /// 全资子公司.
    WhollyOwned,
    /// 控股子公司.
    Controlling,
    /// 参股（非控股）— not eligible.
    Minority,
}

impl Control {
    fn label(self) -> &'static str {
        match self {
            Control::WhollyOwned => "全资子公司",
            Control::Controlling => "控股子公司",
            Control::Minority => "参股（非控股）公司",
        }
    }
}

/// Marks the ledger as a group member's own ledger (it claims on the group's certification).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Subsidiary {
    /// The certified group's name, for the explanation.
    #[serde(default)]
    #[schemars(length(max = MAX_TEXT_CHARS))]
    pub group: Option<String>,
    /// Control in every year that does not state its own `control`.
    pub control: Control,
}

/// One ledger year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct YearInput {
    /// The ledger year (the schema narrows it to the years the surcharge rates are known).
    #[schemars(range(min = MIN_YEAR, max = MAX_YEAR))]
    pub year: i32,
    /// The enterprise itself is certified (建设培育) in this year.
    pub certified: bool,
    /// New qualifying investment in running vocational education this year.
    #[schemars(range(min = 0, max = MAX_FEN))]
    pub investment_fen: i64,
    /// VAT + consumption tax actually paid this year (the surcharges' base).
    #[schemars(range(min = 0, max = MAX_FEN))]
    pub tax_base_fen: i64,
    #[serde(default)]
    #[schemars(range(min = 0, max = MAX_FEN))]
    pub edu_reduction_fen: i64,
    #[serde(default)]
    #[schemars(range(min = 0, max = MAX_FEN))]
    pub local_reduction_fen: i64,
    /// Investment withdrawn or equity transferred this year (credit clawed back).
    #[serde(default)]
    #[schemars(range(min = 0, max = MAX_FEN))]
    pub withdrawn_investment_fen: i64,
    /// Subsidiary ledgers only: the group is certified this year (default false).
    #[serde(default)]
    pub group_certified: Option<bool>,
    /// Subsidiary ledgers only: control this year (default: `subsidiary.control`).
    #[serde(default)]
    pub control: Option<Control>,
}

/// The input. One constraint JSON Schema cannot state: the years strictly increase.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("anyOf" = [
    {"required": ["subsidiary"], "properties": {"subsidiary": {"type": "object"}}},
    {"properties": {"years": {"items": {"properties": {
        "group_certified": {"type": "null"},
        "control": {"type": "null"}
    }}}}}
]))]
pub struct Input {
    /// The ledger years, in strictly increasing order.
    #[schemars(length(min = 1))]
    pub years: Vec<YearInput>,
    /// Opening balance carried in from before the first year.
    #[serde(default)]
    #[schemars(range(min = 0, max = MAX_FEN))]
    pub carry_in_fen: i64,
    /// Present (not null) on a subsidiary's ledger, which alone may state `group_certified`
    /// and `control` in its years.
    #[serde(default)]
    pub subsidiary: Option<Subsidiary>,
}

/// Why a year does or does not earn new credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The credit rate has no value this year (before 2019).
    PolicyNotInForce,
    /// The enterprise itself is certified.
    Certified,
    /// Wholly-owned or controlling subsidiary of a certified group.
    GroupSubsidiary,
    /// Group certified, but only a minority holding.
    MinoritySubsidiary,
    NotCertified,
}

/// How the credit used was split between the two levies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// Nothing used.
    None,
    /// Both levies credited in full.
    Full,
    /// Split by the rates' proportion.
    Proportional,
    /// Split by proportion, then the excess over one levy's payable moved to the other.
    Moved,
}

/// The rates of one year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rates {
    pub edu: Rate,
    pub local: Rate,
    /// `None` when the credit policy is not in force that year.
    pub credit: Option<Rate>,
}

/// One year of the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct YearOutcome {
    pub year: i32,
    pub basis: Basis,
    /// This year's investment earns credit.
    pub eligible: bool,
    pub policy_in_force: bool,
    pub tax_base_fen: i64,
    pub edu_due_fen: i64,
    pub local_due_fen: i64,
    pub edu_reduction_fen: i64,
    pub local_reduction_fen: i64,
    pub edu_payable_fen: i64,
    pub local_payable_fen: i64,
    pub investment_fen: i64,
    /// The investment that earned credit (0 when not eligible).
    pub credited_investment_fen: i64,
    pub withdrawn_investment_fen: i64,
    pub carry_in_fen: i64,
    pub new_credit_fen: i64,
    pub clawback_fen: i64,
    pub clawback_absorbed_fen: i64,
    pub clawback_payable_fen: i64,
    pub available_fen: i64,
    pub used_fen: i64,
    pub split: Split,
    pub used_edu_fen: i64,
    pub used_local_fen: i64,
    pub carry_out_fen: i64,
    pub edu_net_fen: i64,
    pub local_net_fen: i64,
    /// `edu_net + local_net + clawback_payable`.
    pub surcharge_to_pay_fen: i64,
    pub row5_investment_fen: i64,
    pub row6_carry_in_fen: i64,
    pub row7_carry_out_fen: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub years: Vec<YearOutcome>,
    pub subsidiary: bool,
    pub opening_carry_in_fen: i64,
    pub final_carry_out_fen: i64,
    pub total_tax_base_fen: i64,
    pub total_edu_due_fen: i64,
    pub total_local_due_fen: i64,
    pub total_edu_payable_fen: i64,
    pub total_local_payable_fen: i64,
    pub total_investment_fen: i64,
    pub total_credited_investment_fen: i64,
    pub total_withdrawn_investment_fen: i64,
    pub total_new_credit_fen: i64,
    pub total_clawback_fen: i64,
    pub total_clawback_absorbed_fen: i64,
    pub total_clawback_payable_fen: i64,
    pub total_used_fen: i64,
    pub total_used_edu_fen: i64,
    pub total_used_local_fen: i64,
    pub total_edu_net_fen: i64,
    pub total_local_net_fen: i64,
    pub total_surcharge_to_pay_fen: i64,
}

impl Rule for TaxCredit {
    const NAME: &'static str = "tax_credit";
    const TITLE: &'static str = "税收抵免台账";
    const MEASURE: u8 = 12;
    type Input = Input;
    type Outcome = Outcome;

    fn evaluate(input: &Input, params: &ParamSet, trace: &mut Trace) -> Result<Outcome, RuleError> {
        ledger(input, params, trace)
    }

    /// The years are those whose December 31 has both surcharge rates (the others fail on the
    /// parameters); as they strictly increase, there are at most that many.
    fn refine_schema(schema: &mut serde_json::Value, params: &ParamSet) {
        let window = Window::of(params, |k| k == KEY_EDU_RATE || k == KEY_LOCAL_RATE);
        let (first, last) = window.year_ends(MIN_YEAR, MAX_YEAR);
        if let Some(year) = at(schema, "/properties/years/items/properties/year") {
            year.insert("minimum".into(), json!(first));
            year.insert("maximum".into(), json!(last));
        }
        if let Some(years) = at(schema, "/properties/years") {
            years.insert("maxItems".into(), json!((last - first + 1).max(0)));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The core: integer math, no allocation.

/// `amount × rate` rounded half-up to the fen; identical to [`Rate::apply`], without 128-bit
/// division when the product fits in 64 bits.
#[inline]
fn apply(rate: Rate, amount: i64) -> i64 {
    if amount >= 0
        && rate.ppm() >= 0
        && let Some(q) = amount
            .checked_mul(rate.ppm())
            .and_then(|p| p.checked_add(500_000))
    {
        return q / 1_000_000;
    }
    rate.apply(amount)
}

/// `num / den` rounded half-up, for `num ≥ 0`, `den > 0`.
#[inline]
fn div_half_up(num: i128, den: i128) -> i128 {
    let (q, r) = (num / den, num % den);
    if r * 2 >= den { q + 1 } else { q }
}

/// The edu levy's share of `used` by the rates' proportion (before moving any excess).
#[inline]
fn edu_share(used: i64, r: &Rates) -> i64 {
    let (e, l) = (r.edu.ppm().max(0), r.local.ppm().max(0));
    if used <= 0 {
        return 0;
    }
    if e <= Rate::ONE.ppm()
        && l <= Rate::ONE.ppm()
        && e + l > 0
        && let Some(num) = used.checked_mul(e)
    {
        let den = e + l;
        let (q, rem) = (num / den, num % den);
        return if rem * 2 >= den { q + 1 } else { q };
    }
    let den = e as i128 + l as i128;
    if den == 0 {
        return used;
    }
    div_half_up(used as i128 * e as i128, den) as i64
}

fn basis_of(y: &YearInput, subsidiary: Option<Control>, policy: bool) -> Basis {
    if !policy {
        return Basis::PolicyNotInForce;
    }
    if y.certified {
        return Basis::Certified;
    }
    match subsidiary {
        Some(default) if y.group_certified.unwrap_or(false) => match y.control.unwrap_or(default) {
            Control::WhollyOwned | Control::Controlling => Basis::GroupSubsidiary,
            Control::Minority => Basis::MinoritySubsidiary,
        },
        _ => Basis::NotCertified,
    }
}

/// One year of the ledger from its carried-in balance. `subsidiary` is the ledger's default
/// control when it is a subsidiary ledger. Saturating arithmetic: never panics, exact on
/// validated input.
#[inline]
pub fn year_step(
    y: &YearInput,
    subsidiary: Option<Control>,
    carry_in: i64,
    r: &Rates,
) -> YearOutcome {
    let edu_due = apply(r.edu, y.tax_base_fen);
    let local_due = apply(r.local, y.tax_base_fen);
    let edu_payable = edu_due.saturating_sub(y.edu_reduction_fen).max(0);
    let local_payable = local_due.saturating_sub(y.local_reduction_fen).max(0);
    let basis = basis_of(y, subsidiary, r.credit.is_some());
    let eligible = matches!(basis, Basis::Certified | Basis::GroupSubsidiary);
    let (credited, new_credit, withdrawn, clawback) = match r.credit {
        Some(c) => {
            let credited = if eligible { y.investment_fen } else { 0 };
            (
                credited,
                apply(c, credited),
                y.withdrawn_investment_fen,
                apply(c, y.withdrawn_investment_fen),
            )
        }
        None => (0, 0, 0, 0),
    };
    let gross = carry_in.saturating_add(new_credit);
    let absorbed = clawback.min(gross).max(0);
    let clawback_payable = clawback.saturating_sub(absorbed);
    let available = gross.saturating_sub(absorbed);
    let payable = edu_payable.saturating_add(local_payable);
    let used = if r.credit.is_some() {
        available.min(payable).max(0)
    } else {
        0
    };
    let (used_edu, used_local, split) = if used == 0 {
        (0, 0, Split::None)
    } else if used == payable {
        (edu_payable, local_payable, Split::Full)
    } else {
        let edu = edu_share(used, r);
        let local = used - edu;
        if edu > edu_payable {
            (edu_payable, used - edu_payable, Split::Moved)
        } else if local > local_payable {
            (used - local_payable, local_payable, Split::Moved)
        } else {
            (edu, local, Split::Proportional)
        }
    };
    let carry_out = available.saturating_sub(used);
    let edu_net = edu_payable - used_edu;
    let local_net = local_payable - used_local;
    YearOutcome {
        year: y.year,
        basis,
        eligible,
        policy_in_force: r.credit.is_some(),
        tax_base_fen: y.tax_base_fen,
        edu_due_fen: edu_due,
        local_due_fen: local_due,
        edu_reduction_fen: y.edu_reduction_fen,
        local_reduction_fen: y.local_reduction_fen,
        edu_payable_fen: edu_payable,
        local_payable_fen: local_payable,
        investment_fen: y.investment_fen,
        credited_investment_fen: credited,
        withdrawn_investment_fen: y.withdrawn_investment_fen,
        carry_in_fen: carry_in,
        new_credit_fen: new_credit,
        clawback_fen: clawback,
        clawback_absorbed_fen: absorbed,
        clawback_payable_fen: clawback_payable,
        available_fen: available,
        used_fen: used,
        split,
        used_edu_fen: used_edu,
        used_local_fen: used_local,
        carry_out_fen: carry_out,
        edu_net_fen: edu_net,
        local_net_fen: local_net,
        surcharge_to_pay_fen: edu_net
            .saturating_add(local_net)
            .saturating_add(clawback_payable),
        row5_investment_fen: credited.saturating_sub(withdrawn),
        row6_carry_in_fen: carry_in,
        row7_carry_out_fen: carry_out,
    }
}

/// The ledger without explanation, for bulk runs: `years` must be validated (see
/// [`validate`]); `rates(year)` gives each year's rates (e.g. [`RateTable::get`]). Clears
/// `out` and fills it with one outcome per year; no other allocation.
#[inline]
pub fn ledger_with_rates(
    opening_fen: i64,
    years: &[YearInput],
    subsidiary: Option<Control>,
    rates: &impl Fn(i32) -> Rates,
    out: &mut Vec<YearOutcome>,
) {
    out.clear();
    let mut carry = opening_fen;
    for y in years {
        let o = year_step(y, subsidiary, carry, &rates(y.year));
        carry = o.carry_out_fen;
        out.push(o);
    }
}

/// Every year's rates resolved once, for bulk runs.
#[derive(Debug, Clone)]
pub struct RateTable {
    first: i32,
    rates: Vec<Option<Rates>>,
}

impl RateTable {
    /// Resolves `first..=last` (clamped to the accepted years) at December 31 of each year; a
    /// year whose surcharge rates have no value is left empty.
    pub fn new(params: &ParamSet, first: i32, last: i32) -> Result<RateTable, RuleError> {
        let (first, last) = (first.max(MIN_YEAR), last.min(MAX_YEAR));
        let mut rates = Vec::new();
        for year in first..=last {
            rates.push(match resolve(params, year) {
                Ok(r) => Some(r.rates()),
                Err(RuleError::Param(ParamError::NoValue { .. })) => None,
                Err(e) => return Err(e),
            });
        }
        Ok(RateTable { first, rates })
    }

    /// The rates of `year`, if resolved.
    #[inline]
    pub fn get(&self, year: i32) -> Option<Rates> {
        let i = usize::try_from(year.checked_sub(self.first)?).ok()?;
        self.rates.get(i).copied().flatten()
    }
}

// ---------------------------------------------------------------------------------------------
// Parameters with their citations.

struct YearParams {
    edu: (Rate, Used),
    local: (Rate, Used),
    credit: Option<(Rate, Used)>,
}

impl YearParams {
    fn rates(&self) -> Rates {
        Rates {
            edu: self.edu.0,
            local: self.local.0,
            credit: self.credit.as_ref().map(|c| c.0),
        }
    }
}

/// The annual ledger closes at year end: parameters are looked up at December 31.
fn year_end(year: i32) -> Result<NaiveDate, RuleError> {
    NaiveDate::from_ymd_opt(year, 12, 31)
        .ok_or_else(|| RuleError::input("years", format!("年份 {year} 无效")))
}

fn checked_rate(
    params: &ParamSet,
    key: &str,
    (rate, used): (Rate, Used),
) -> Result<(Rate, Used), RuleError> {
    if (0..=Rate::ONE.ppm()).contains(&rate.ppm()) {
        return Ok((rate, used));
    }
    let origin = params
        .param(key)
        .map(|p| p.origin.clone())
        .unwrap_or_default();
    Err(RuleError::Param(ParamError::Invalid {
        file: origin,
        key: key.into(),
        message: format!("比例 {rate} 应在 0 到 1 之间"),
    }))
}

fn resolve(params: &ParamSet, year: i32) -> Result<YearParams, RuleError> {
    let date = year_end(year)?;
    let edu = checked_rate(params, KEY_EDU_RATE, params.rate(KEY_EDU_RATE, date)?)?;
    let local = checked_rate(params, KEY_LOCAL_RATE, params.rate(KEY_LOCAL_RATE, date)?)?;
    let credit = match params.rate(KEY_CREDIT_RATE, date) {
        Ok(c) => Some(checked_rate(params, KEY_CREDIT_RATE, c)?),
        Err(ParamError::NoValue { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    Ok(YearParams { edu, local, credit })
}

// ---------------------------------------------------------------------------------------------
// Validation.

/// Checks the input; the error names the offending field.
pub fn validate(input: &Input) -> Result<(), RuleError> {
    if input.years.is_empty() {
        return Err(RuleError::input("years", "至少需要一个年度"));
    }
    money("carry_in_fen", "期初结转可抵免额", input.carry_in_fen)?;
    if let Some(group) = input.subsidiary.as_ref().and_then(|s| s.group.as_deref()) {
        let n = group.chars().count();
        if n > MAX_TEXT_CHARS {
            return Err(RuleError::input(
                "subsidiary.group",
                format!("集团名称过长（{n} 个字符，最多 {MAX_TEXT_CHARS} 个）"),
            ));
        }
    }
    let mut previous: Option<i32> = None;
    for (i, y) in input.years.iter().enumerate() {
        let field = |name: &str| format!("years[{i}].{name}");
        if !(MIN_YEAR..=MAX_YEAR).contains(&y.year) {
            return Err(RuleError::input(
                field("year"),
                format!("年份 {} 应在 {MIN_YEAR}—{MAX_YEAR} 之间", y.year),
            ));
        }
        if let Some(p) = previous
            && y.year <= p
        {
            let why = if y.year == p {
                "重复"
            } else {
                "早于上一年度"
            };
            return Err(RuleError::input(
                field("year"),
                format!(
                    "年份 {} {why}（{p}）：年度须按时间顺序严格递增、不得重复",
                    y.year
                ),
            ));
        }
        previous = Some(y.year);
        money(&field("investment_fen"), "投资额", y.investment_fen)?;
        money(&field("tax_base_fen"), "计税依据", y.tax_base_fen)?;
        money(
            &field("edu_reduction_fen"),
            "教育费附加其他减免额",
            y.edu_reduction_fen,
        )?;
        money(
            &field("local_reduction_fen"),
            "地方教育附加其他减免额",
            y.local_reduction_fen,
        )?;
        money(
            &field("withdrawn_investment_fen"),
            "撤回投资额",
            y.withdrawn_investment_fen,
        )?;
        if input.subsidiary.is_none() {
            if y.group_certified.is_some() {
                return Err(RuleError::input(
                    field("group_certified"),
                    "只有子公司台账才能填写集团认证情况，请同时填写 subsidiary",
                ));
            }
            if y.control.is_some() {
                return Err(RuleError::input(
                    field("control"),
                    "只有子公司台账才能填写控股关系，请同时填写 subsidiary",
                ));
            }
        }
    }
    Ok(())
}

fn money(field: &str, what: &str, fen: i64) -> Result<(), RuleError> {
    if fen < 0 {
        return Err(RuleError::input(
            field,
            format!("{what}不能为负数（{}）", yuan(fen)),
        ));
    }
    if fen > MAX_FEN {
        return Err(RuleError::input(
            field,
            format!(
                "{what} {} 超出可处理的范围（上限 {}）",
                yuan(fen),
                yuan(MAX_FEN)
            ),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The explained ledger.

/// Validates, looks up each year's parameters (at December 31) and runs the ledger, recording
/// every step when `trace` is enabled.
pub fn ledger(input: &Input, params: &ParamSet, trace: &mut Trace) -> Result<Outcome, RuleError> {
    validate(input)?;
    let subsidiary = input.subsidiary.as_ref().map(|s| s.control);
    let group = input
        .subsidiary
        .as_ref()
        .and_then(|s| s.group.clone())
        .unwrap_or_else(|| "所属集团".to_string());
    let policy_start = params
        .param(KEY_CREDIT_RATE)?
        .values
        .first()
        .map(|p| p.from);

    trace.record(|| {
        let kind = match &input.subsidiary {
            Some(s) => format!("本台账为{group}下属{}自身的台账。", s.control.label()),
            None => String::new(),
        };
        Step::new(
            "期初结转",
            format!(
                "{kind}期初可抵免余额（首个年度之前结转而来）= {}。",
                yuan(input.carry_in_fen)
            ),
        )
        .input("carry_in_fen", input.carry_in_fen)
        .result(input.carry_in_fen)
    });

    let mut years = Vec::with_capacity(input.years.len());
    let mut carry = input.carry_in_fen;
    for y in &input.years {
        let p = resolve(params, y.year)?;
        let o = year_step(y, subsidiary, carry, &p.rates());
        if trace.is_enabled() {
            explain_year(trace, y, &o, &p, subsidiary, &group, policy_start);
        }
        carry = o.carry_out_fen;
        years.push(o);
    }

    let sum = |f: fn(&YearOutcome) -> i64| years.iter().fold(0i64, |a, y| a.saturating_add(f(y)));
    let outcome = Outcome {
        subsidiary: input.subsidiary.is_some(),
        opening_carry_in_fen: input.carry_in_fen,
        final_carry_out_fen: carry,
        total_tax_base_fen: sum(|y| y.tax_base_fen),
        total_edu_due_fen: sum(|y| y.edu_due_fen),
        total_local_due_fen: sum(|y| y.local_due_fen),
        total_edu_payable_fen: sum(|y| y.edu_payable_fen),
        total_local_payable_fen: sum(|y| y.local_payable_fen),
        total_investment_fen: sum(|y| y.investment_fen),
        total_credited_investment_fen: sum(|y| y.credited_investment_fen),
        total_withdrawn_investment_fen: sum(|y| y.withdrawn_investment_fen),
        total_new_credit_fen: sum(|y| y.new_credit_fen),
        total_clawback_fen: sum(|y| y.clawback_fen),
        total_clawback_absorbed_fen: sum(|y| y.clawback_absorbed_fen),
        total_clawback_payable_fen: sum(|y| y.clawback_payable_fen),
        total_used_fen: sum(|y| y.used_fen),
        total_used_edu_fen: sum(|y| y.used_edu_fen),
        total_used_local_fen: sum(|y| y.used_local_fen),
        total_edu_net_fen: sum(|y| y.edu_net_fen),
        total_local_net_fen: sum(|y| y.local_net_fen),
        total_surcharge_to_pay_fen: sum(|y| y.surcharge_to_pay_fen),
        years,
    };

    trace.record(|| {
        Step::new(
            "台账汇总",
            format!(
                "期初结转 {} + 新增抵免额合计 {} − 追回冲减合计 {} − 已抵免合计 {}（教育费附加 {}，地方教育附加 {}）= 期末结转 {}；\
                 各年仍应缴纳附加合计 {}（其中追回补缴 {}）。",
                yuan(outcome.opening_carry_in_fen),
                yuan(outcome.total_new_credit_fen),
                yuan(outcome.total_clawback_absorbed_fen),
                yuan(outcome.total_used_fen),
                yuan(outcome.total_used_edu_fen),
                yuan(outcome.total_used_local_fen),
                yuan(outcome.final_carry_out_fen),
                yuan(outcome.total_surcharge_to_pay_fen),
                yuan(outcome.total_clawback_payable_fen),
            ),
        )
        .input("opening_carry_in_fen", outcome.opening_carry_in_fen)
        .input("total_new_credit_fen", outcome.total_new_credit_fen)
        .input("total_clawback_absorbed_fen", outcome.total_clawback_absorbed_fen)
        .input("total_used_fen", outcome.total_used_fen)
        .result(outcome.final_carry_out_fen)
    });
    Ok(outcome)
}

fn note(used: &[&Used]) -> &'static str {
    if used.iter().any(|u| !u.verified) {
        UNVERIFIED
    } else {
        ""
    }
}

fn explain_year(
    trace: &mut Trace,
    y: &YearInput,
    o: &YearOutcome,
    p: &YearParams,
    subsidiary: Option<Control>,
    group: &str,
    policy_start: Option<NaiveDate>,
) {
    let yr = o.year;
    let (edu_rate, edu_used) = (&p.edu.0, &p.edu.1);
    let (local_rate, local_used) = (&p.local.0, &p.local.1);
    let start = policy_start
        .map(|d| d.to_string())
        .unwrap_or_else(|| "（未设定）".into());

    // 1. Eligibility.
    trace.record(|| {
        let control = y.control.or(subsidiary);
        let text = match o.basis {
            Basis::PolicyNotInForce => format!(
                "{yr}年不在财税〔2019〕46号抵免政策的施行期内（自 {start} 起施行），本年不产生、不使用、也不追回抵免额，\
                 期初余额原样结转。"
            ),
            Basis::Certified => {
                format!("{yr}年企业已纳入产教融合型企业建设培育范围（已认证），本年兴办职业教育的投资可按比例抵免。")
            }
            Basis::GroupSubsidiary => format!(
                "{yr}年企业本身未认证，但{group}已认证，本企业为其{}，对职业教育有实际投入的可按比例抵免。",
                control.map(Control::label).unwrap_or("下属公司")
            ),
            Basis::MinoritySubsidiary => format!(
                "{yr}年{group}已认证，但本企业只是其参股（非控股）公司，不属于全资或控股子公司，本年投资不产生抵免额；\
                 已结转的余额仍可使用。"
            ),
            Basis::NotCertified => {
                let group_part = match subsidiary {
                    Some(_) => format!("，{group}本年亦未认证"),
                    None => String::new(),
                };
                format!(
                    "{yr}年企业未认证（未纳入或已被撤销建设培育范围{group_part}），本年投资不产生新的抵免额；\
                     撤销只终止此后取得新抵免额的资格，已结转的余额仍可使用。"
                )
            }
        };
        let mut s = Step::new(format!("{yr}年：抵免资格"), text)
            .input("year", yr)
            .input("certified", y.certified)
            .result(serde_json::json!({"basis": o.basis, "eligible": o.eligible}));
        if let Some(g) = y.group_certified {
            s = s.input("group_certified", g);
        }
        if let Some(c) = control {
            s = s.input("control", c);
        }
        if let Some((_, u)) = &p.credit {
            s = s.param(u);
        }
        s
    });

    // 2. Dues.
    trace.record(|| {
        Step::new(
            format!("{yr}年：应纳附加"),
            format!(
                "{yr}年：教育费附加 = 计税依据 {} × {} = {}；地方教育附加 = 计税依据 {} × {} = {}（计税依据为实际缴纳的增值税、消费税）。{}",
                yuan(o.tax_base_fen),
                edu_rate.percent(),
                yuan(o.edu_due_fen),
                yuan(o.tax_base_fen),
                local_rate.percent(),
                yuan(o.local_due_fen),
                note(&[edu_used, local_used]),
            ),
        )
        .input("tax_base_fen", o.tax_base_fen)
        .param(edu_used)
        .param(local_used)
        .result(serde_json::json!({"edu_due_fen": o.edu_due_fen, "local_due_fen": o.local_due_fen}))
    });

    // 3. Payable after other reductions.
    trace.record(|| {
        let floor = |due: i64, red: i64| if red > due { "（减免额超过应纳额，按0计）" } else { "" };
        Step::new(
            format!("{yr}年：减免后可抵免基数"),
            format!(
                "教育费附加 {} − 其他减免 {} = {}{}；地方教育附加 {} − 其他减免 {} = {}{}；合计 {}。抵免以减免后的应纳额为限。",
                yuan(o.edu_due_fen),
                yuan(o.edu_reduction_fen),
                yuan(o.edu_payable_fen),
                floor(o.edu_due_fen, o.edu_reduction_fen),
                yuan(o.local_due_fen),
                yuan(o.local_reduction_fen),
                yuan(o.local_payable_fen),
                floor(o.local_due_fen, o.local_reduction_fen),
                yuan(o.edu_payable_fen + o.local_payable_fen),
            ),
        )
        .input("edu_reduction_fen", o.edu_reduction_fen)
        .input("local_reduction_fen", o.local_reduction_fen)
        .result(serde_json::json!({"edu_payable_fen": o.edu_payable_fen, "local_payable_fen": o.local_payable_fen}))
    });

    // 4. New credit.
    trace.record(|| {
        let text = match (&p.credit, o.eligible) {
            (Some((rate, u)), true) => format!(
                "本年新增抵免额 = 投资额 {} × {} = {}。{}",
                yuan(o.investment_fen),
                rate.percent(),
                yuan(o.new_credit_fen),
                note(&[u])
            ),
            (None, _) => format!(
                "{yr}年早于政策施行日 {start}，本年投资 {} 不产生抵免额。",
                yuan(o.investment_fen)
            ),
            (Some(_), false) => format!(
                "本年投资 {} 发生在不具备抵免资格期间，不产生抵免额（新增抵免额 0.00元）。",
                yuan(o.investment_fen)
            ),
        };
        let mut s = Step::new(format!("{yr}年：本年新增抵免额"), text)
            .input("investment_fen", o.investment_fen)
            .input("eligible", o.eligible)
            .result(o.new_credit_fen);
        if let Some((_, u)) = &p.credit {
            s = s.param(u);
        }
        s
    });

    // 5. Clawback.
    if o.withdrawn_investment_fen > 0 {
        trace.record(|| {
            let text = match &p.credit {
                None => format!(
                    "本年撤回投资 {}，但{yr}年抵免政策尚未施行，没有已抵免额可追回。",
                    yuan(o.withdrawn_investment_fen)
                ),
                Some((rate, u)) => {
                    let excess = if o.clawback_payable_fen > 0 {
                        format!(
                            "结转余额不足以冲减，差额 {} 作为附加在本年补缴。",
                            yuan(o.clawback_payable_fen)
                        )
                    } else {
                        "全部由结转余额冲减，无需补缴。".to_string()
                    };
                    format!(
                        "撤回投资或转让股权 {} × {} = 追回已抵免额 {}；先冲减上年结转与本年新增之和 {} 中的 {}，{}{}",
                        yuan(o.withdrawn_investment_fen),
                        rate.percent(),
                        yuan(o.clawback_fen),
                        yuan(o.carry_in_fen.saturating_add(o.new_credit_fen)),
                        yuan(o.clawback_absorbed_fen),
                        excess,
                        note(&[u]),
                    )
                }
            };
            let mut s = Step::new(format!("{yr}年：撤回投资追回抵免"), text)
                .input("withdrawn_investment_fen", o.withdrawn_investment_fen)
                .result(serde_json::json!({
                    "clawback_fen": o.clawback_fen,
                    "clawback_absorbed_fen": o.clawback_absorbed_fen,
                    "clawback_payable_fen": o.clawback_payable_fen,
                }));
            if let Some((_, u)) = &p.credit {
                s = s.param(u);
            }
            s
        });
    }

    // 6. Available.
    trace.record(|| {
        Step::new(
            format!("{yr}年：可抵免额"),
            format!(
                "可抵免额 = 上年结转 {} + 本年新增 {} − 追回冲减 {} = {}。",
                yuan(o.carry_in_fen),
                yuan(o.new_credit_fen),
                yuan(o.clawback_absorbed_fen),
                yuan(o.available_fen),
            ),
        )
        .input("carry_in_fen", o.carry_in_fen)
        .input("new_credit_fen", o.new_credit_fen)
        .input("clawback_absorbed_fen", o.clawback_absorbed_fen)
        .result(o.available_fen)
    });

    // 7. Used and the split.
    trace.record(|| {
        let payable = o.edu_payable_fen + o.local_payable_fen;
        let head = if o.policy_in_force {
            format!(
                "本年抵免 = min(可抵免额 {}, 减免后应纳合计 {}) = {}。",
                yuan(o.available_fen),
                yuan(payable),
                yuan(o.used_fen)
            )
        } else {
            "抵免政策未施行，本年不抵免。".to_string()
        };
        let proportion = format!(
            "按两项附加的费率比例 {}:{} 分配：教育费附加分得 {} × {} ÷ ({} + {}) = {}（四舍五入到分）",
            edu_rate.percent(),
            local_rate.percent(),
            yuan(o.used_fen),
            edu_rate.percent(),
            edu_rate.percent(),
            local_rate.percent(),
            yuan(edu_share(o.used_fen, &p.rates())),
        );
        let tail = match o.split {
            Split::None => String::new(),
            Split::Full => format!(
                "足以抵免两项附加：教育费附加抵免 {}，地方教育附加抵免 {}。",
                yuan(o.used_edu_fen),
                yuan(o.used_local_fen)
            ),
            Split::Proportional => format!(
                "不足以抵免两项附加，{proportion}，地方教育附加分得 {} − {} = {}。",
                yuan(o.used_fen),
                yuan(o.used_edu_fen),
                yuan(o.used_local_fen)
            ),
            Split::Moved => {
                let share = edu_share(o.used_fen, &p.rates());
                let detail = if share > o.edu_payable_fen {
                    format!(
                        "超过教育费附加可抵免基数 {}，超出的 {} 转由地方教育附加抵免",
                        yuan(o.edu_payable_fen),
                        yuan(share - o.edu_payable_fen)
                    )
                } else {
                    format!(
                        "地方教育附加分得 {}，超过其可抵免基数 {}，超出的 {} 转由教育费附加抵免",
                        yuan(o.used_fen - share),
                        yuan(o.local_payable_fen),
                        yuan(o.used_fen - share - o.local_payable_fen)
                    )
                };
                format!(
                    "不足以抵免两项附加，{proportion}，{detail}：教育费附加抵免 {}，地方教育附加抵免 {}。",
                    yuan(o.used_edu_fen),
                    yuan(o.used_local_fen)
                )
            }
        };
        Step::new(format!("{yr}年：本年抵免"), format!("{head}{tail}"))
            .input("available_fen", o.available_fen)
            .input("edu_payable_fen", o.edu_payable_fen)
            .input("local_payable_fen", o.local_payable_fen)
            .param(edu_used)
            .param(local_used)
            .result(serde_json::json!({
                "used_fen": o.used_fen,
                "used_edu_fen": o.used_edu_fen,
                "used_local_fen": o.used_local_fen,
                "split": o.split,
            }))
    });

    // 8. Carry forward, left to pay, return form rows.
    trace.record(|| {
        let claw = if o.clawback_payable_fen > 0 {
            format!("，追回补缴 {}", yuan(o.clawback_payable_fen))
        } else {
            String::new()
        };
        let row5 = if o.withdrawn_investment_fen > 0 && o.policy_in_force {
            format!(
                "（可抵免投资 {} − 撤回投资 {}）",
                yuan(o.credited_investment_fen),
                yuan(o.withdrawn_investment_fen)
            )
        } else {
            String::new()
        };
        Step::new(
            format!("{yr}年：结转与申报"),
            format!(
                "结转下年 = 可抵免额 {} − 本年抵免 {} = {}。本年仍应缴纳：教育费附加 {}，地方教育附加 {}{}，合计 {}。\
                 《附加税费情况表》：第5行“当期新增投资额” {}{}；第6行“上期留抵可抵免金额” {}；第7行“结转下期可抵免金额” {}。",
                yuan(o.available_fen),
                yuan(o.used_fen),
                yuan(o.carry_out_fen),
                yuan(o.edu_net_fen),
                yuan(o.local_net_fen),
                claw,
                yuan(o.surcharge_to_pay_fen),
                yuan(o.row5_investment_fen),
                row5,
                yuan(o.row6_carry_in_fen),
                yuan(o.row7_carry_out_fen),
            ),
        )
        .input("available_fen", o.available_fen)
        .input("used_fen", o.used_fen)
        .result(serde_json::json!({
            "carry_out_fen": o.carry_out_fen,
            "surcharge_to_pay_fen": o.surcharge_to_pay_fen,
            "row5_investment_fen": o.row5_investment_fen,
            "row6_carry_in_fen": o.row6_carry_in_fen,
            "row7_carry_out_fen": o.row7_carry_out_fen,
        }))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn params() -> ParamSet {
        ParamSet::embedded().unwrap()
    }

    fn year(year: i32, certified: bool, investment_fen: i64, tax_base_fen: i64) -> YearInput {
        YearInput {
            year,
            certified,
            investment_fen,
            tax_base_fen,
            edu_reduction_fen: 0,
            local_reduction_fen: 0,
            withdrawn_investment_fen: 0,
            group_certified: None,
            control: None,
        }
    }

    #[test]
    fn fast_apply_matches_rate_apply() {
        for ppm in [0, 1, 20_000, 30_000, 300_000, 333_333, 999_999, 1_000_000] {
            let r = Rate::from_ppm(ppm);
            for a in [
                0,
                1,
                5,
                15,
                25,
                49,
                50,
                16_666,
                99_999_999,
                MAX_FEN,
                i64::MAX / 3,
                i64::MAX,
            ] {
                assert_eq!(apply(r, a), r.apply(a), "{ppm} × {a}");
            }
        }
    }

    #[test]
    fn traced_and_untraced_agree_with_the_bulk_path() {
        let p = params();
        let input = Input {
            years: vec![
                year(2018, true, 100, 1000),
                year(2019, true, 1_000_000, 1_000_000),
                year(2020, false, 5, 3_000_000),
            ],
            carry_in_fen: 7,
            subsidiary: None,
        };
        let a = ledger(&input, &p, &mut Trace::enabled()).unwrap();
        let b = ledger(&input, &p, &mut Trace::disabled()).unwrap();
        let table = RateTable::new(&p, 2010, 2030).unwrap();
        let mut out = Vec::new();
        ledger_with_rates(7, &input.years, None, &|y| table.get(y).unwrap(), &mut out);
        assert_eq!(a.years, b.years);
        assert_eq!(a.years, out);
    }

    #[test]
    fn years_without_surcharge_rates_are_a_parameter_error() {
        let input = Input {
            years: vec![year(1995, false, 0, 100)],
            carry_in_fen: 0,
            subsidiary: None,
        };
        let err = ledger(&input, &params(), &mut Trace::disabled()).unwrap_err();
        assert!(
            matches!(err, RuleError::Param(ParamError::NoValue { .. })),
            "{err}"
        );
    }

    fn control() -> impl Strategy<Value = Option<Control>> {
        prop_oneof![
            Just(None),
            Just(Some(Control::WhollyOwned)),
            Just(Some(Control::Controlling)),
            Just(Some(Control::Minority))
        ]
    }

    fn money() -> impl Strategy<Value = i64> {
        prop_oneof![
            4 => 0i64..2_000_000,
            2 => 0i64..MAX_FEN,
            1 => Just(0i64),
            1 => Just(MAX_FEN),
            1 => -1_000i64..0,
        ]
    }

    fn year_input() -> impl Strategy<Value = YearInput> {
        (
            2005i32..2035,
            any::<bool>(),
            (money(), money(), money(), money(), money()),
            prop::option::of(any::<bool>()),
            control(),
        )
            .prop_map(
                |(year, certified, (inv, base, er, lr, wd), group_certified, control)| YearInput {
                    year,
                    certified,
                    investment_fen: inv,
                    tax_base_fen: base,
                    edu_reduction_fen: er,
                    local_reduction_fen: lr,
                    withdrawn_investment_fen: wd,
                    group_certified,
                    control,
                },
            )
    }

    fn input() -> impl Strategy<Value = Input> {
        (
            prop::collection::vec(year_input(), 0..12),
            prop::bool::ANY,
            money(),
            prop::option::of(control().prop_map(|c| c.unwrap_or(Control::WhollyOwned))),
        )
            .prop_map(|(mut years, sorted, carry_in_fen, sub)| {
                if sorted {
                    // Mostly valid ledgers: consecutive years from the first one.
                    let first = years.first().map(|y| y.year).unwrap_or(2019);
                    for (i, y) in years.iter_mut().enumerate() {
                        y.year = first + i as i32;
                    }
                }
                let subsidiary = sub.map(|control| Subsidiary {
                    group: None,
                    control,
                });
                if subsidiary.is_none() {
                    for y in &mut years {
                        y.group_certified = None;
                        y.control = None;
                    }
                }
                Input {
                    years,
                    carry_in_fen,
                    subsidiary,
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn invariants_hold(input in input(), traced in any::<bool>()) {
            let p = params();
            let mut trace = if traced { Trace::enabled() } else { Trace::disabled() };
            let Ok(out) = ledger(&input, &p, &mut trace) else { return Ok(()) };
            let mut carry = input.carry_in_fen;
            let (mut new, mut absorbed, mut used) = (0i64, 0i64, 0i64);
            for y in &out.years {
                prop_assert_eq!(y.carry_in_fen, carry);
                prop_assert!(y.carry_out_fen >= 0);
                prop_assert!(y.used_fen >= 0 && y.used_edu_fen >= 0 && y.used_local_fen >= 0);
                prop_assert!(y.used_fen <= y.edu_payable_fen + y.local_payable_fen);
                prop_assert!(y.used_fen <= y.available_fen);
                prop_assert!(y.used_fen <= y.row6_carry_in_fen + y.new_credit_fen);
                prop_assert!(y.used_edu_fen <= y.edu_payable_fen);
                prop_assert!(y.used_local_fen <= y.local_payable_fen);
                prop_assert_eq!(y.used_edu_fen + y.used_local_fen, y.used_fen);
                prop_assert_eq!(y.carry_out_fen, y.available_fen - y.used_fen);
                prop_assert_eq!(y.available_fen, y.carry_in_fen + y.new_credit_fen - y.clawback_absorbed_fen);
                prop_assert_eq!(y.clawback_absorbed_fen + y.clawback_payable_fen, y.clawback_fen);
                prop_assert!(y.clawback_payable_fen >= 0 && y.clawback_absorbed_fen >= 0);
                prop_assert!(y.edu_payable_fen >= 0 && y.local_payable_fen >= 0);
                prop_assert!(y.edu_net_fen >= 0 && y.local_net_fen >= 0);
                prop_assert_eq!(y.row7_carry_out_fen, y.carry_out_fen);
                prop_assert_eq!(y.row6_carry_in_fen, y.carry_in_fen);
                if !y.eligible {
                    prop_assert_eq!(y.new_credit_fen, 0);
                }
                if y.year < 2019 {
                    prop_assert!(!y.eligible && y.used_fen == 0 && y.new_credit_fen == 0 && y.clawback_fen == 0);
                }
                carry = y.carry_out_fen;
                new += y.new_credit_fen;
                absorbed += y.clawback_absorbed_fen;
                used += y.used_fen;
            }
            prop_assert_eq!(input.carry_in_fen + new - absorbed - used, out.final_carry_out_fen);
            prop_assert_eq!(out.final_carry_out_fen, carry);
            prop_assert_eq!(out.total_used_fen, out.total_used_edu_fen + out.total_used_local_fen);
        }

        #[test]
        fn never_panics_on_any_json(
            years in prop::collection::vec(
                (any::<i32>(), any::<bool>(), any::<i64>(), any::<i64>(), any::<i64>(), any::<i64>(), any::<i64>()),
                0..6,
            ),
            carry in any::<i64>(),
        ) {
            let years: Vec<serde_json::Value> = years
                .into_iter()
                .map(|(year, c, inv, base, er, lr, wd)| serde_json::json!({
                    "year": year, "certified": c, "investment_fen": inv, "tax_base_fen": base,
                    "edu_reduction_fen": er, "local_reduction_fen": lr, "withdrawn_investment_fen": wd,
                }))
                .collect();
            let json = serde_json::json!({"years": years, "carry_in_fen": carry}).to_string();
            let _ = crate::evaluate(TaxCredit::NAME, &json, &params(), true);
        }

        #[test]
        fn bulk_core_never_panics_on_unvalidated_input(
            years in prop::collection::vec(
                (any::<i32>(), any::<bool>(), any::<i64>(), any::<i64>(), any::<i64>(), any::<i64>(), any::<i64>()),
                0..6,
            ),
            carry in any::<i64>(),
            edu in any::<i64>(),
            local in any::<i64>(),
            credit in prop::option::of(any::<i64>()),
        ) {
            let years: Vec<YearInput> = years
                .into_iter()
                .map(|(year, c, inv, base, er, lr, wd)| YearInput {
                    year, certified: c, investment_fen: inv, tax_base_fen: base,
                    edu_reduction_fen: er, local_reduction_fen: lr, withdrawn_investment_fen: wd,
                    group_certified: Some(c), control: Some(Control::Controlling),
                })
                .collect();
            let rates = Rates { edu: Rate::from_ppm(edu), local: Rate::from_ppm(local), credit: credit.map(Rate::from_ppm) };
            let mut out = Vec::new();
            ledger_with_rates(carry, &years, Some(Control::Minority), &|_| rates, &mut out);
            prop_assert_eq!(out.len(), years.len());
        }
    }
}
