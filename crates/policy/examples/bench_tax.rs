//! Benchmark of the tax-credit ledger (measure 12).
//!
//! `cargo run --release -p policy --example bench_tax`
//!
//! 1. 1,000,000 enterprises × 5 years, generated deterministically (a simple LCG), run through
//!    the bulk ledger without traces (rates resolved once): enterprise-years per second.
//! 2. 10,000 enterprises through the explained ledger, with and without traces, and through
//!    the whole JSON path (`policy::evaluate` with explanation): cost per enterprise.
//! 3. One parameter look-up (`ParamSet::rate` at a date): nanoseconds.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use policy::rules::tax_credit::{
    Control, Input, KEY_CREDIT_RATE, RateTable, Rates, Subsidiary, YearInput, YearOutcome, ledger,
    ledger_with_rates,
};
use policy::{ParamSet, Trace};

const ENTERPRISES: usize = 1_000_000;
const YEARS: i32 = 5;
const FIRST_YEAR: i32 = 2020;
const CHUNK: usize = 100_000;
const TRACED: usize = 10_000;
/// Fen per yuan.
const YUAN: u64 = 100;

/// Knuth's MMIX LCG; the high bits are good enough for test data.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> i64 {
        (self.next() % n) as i64
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// One enterprise's five years, appended to `out`; returns its opening balance.
fn enterprise(rng: &mut Lcg, out: &mut Vec<YearInput>) -> i64 {
    let opening = if rng.chance(20) {
        rng.below(5_000_000 * YUAN)
    } else {
        0
    };
    let certified_from = FIRST_YEAR + rng.below(7) as i32 - 1; // some certified mid-ledger, some never
    let revoked_at = if rng.chance(5) {
        FIRST_YEAR + rng.below(5) as i32
    } else {
        i32::MAX
    };
    for k in 0..YEARS {
        let year = FIRST_YEAR + k;
        let tax_base = rng.below(200_000_000 * YUAN); // up to 2亿元 of VAT + consumption tax
        out.push(YearInput {
            year,
            certified: year >= certified_from && year < revoked_at,
            investment_fen: if rng.chance(60) {
                rng.below(30_000_000 * YUAN)
            } else {
                0
            },
            tax_base_fen: tax_base,
            edu_reduction_fen: if rng.chance(10) {
                rng.below(tax_base as u64 / 20 + 1)
            } else {
                0
            },
            local_reduction_fen: if rng.chance(10) {
                rng.below(tax_base as u64 / 30 + 1)
            } else {
                0
            },
            withdrawn_investment_fen: if rng.chance(3) {
                rng.below(10_000_000 * YUAN)
            } else {
                0
            },
            group_certified: None,
            control: None,
        });
    }
    opening
}

fn per_second(count: usize, d: Duration) -> f64 {
    count as f64 / d.as_secs_f64()
}

fn main() {
    let params = ParamSet::embedded().expect("shipped parameters load");
    let table = RateTable::new(&params, FIRST_YEAR, FIRST_YEAR + YEARS - 1).expect("rates resolve");
    for y in FIRST_YEAR..FIRST_YEAR + YEARS {
        assert!(table.get(y).is_some(), "no rates for {y}");
    }
    let zero = Rates {
        edu: policy::money::Rate::ZERO,
        local: policy::money::Rate::ZERO,
        credit: None,
    };
    let rates = |y: i32| table.get(y).unwrap_or(zero);

    // 1. Bulk, no traces.
    let mut rng = Lcg(0x5EED_2019_0046);
    let mut years: Vec<YearInput> = Vec::with_capacity(CHUNK * YEARS as usize);
    let mut openings: Vec<i64> = Vec::with_capacity(CHUNK);
    let mut out: Vec<YearOutcome> = Vec::with_capacity(YEARS as usize);
    let (mut elapsed, mut done) = (Duration::ZERO, 0usize);
    let (mut checksum, mut used_total) = (0i64, 0i128);
    while done < ENTERPRISES {
        let n = CHUNK.min(ENTERPRISES - done);
        years.clear();
        openings.clear();
        for _ in 0..n {
            openings.push(enterprise(&mut rng, &mut years));
        }
        let start = Instant::now();
        for (e, opening) in openings.iter().enumerate() {
            let ys = &years[e * YEARS as usize..(e + 1) * YEARS as usize];
            ledger_with_rates(*opening, black_box(ys), None, &rates, &mut out);
            let last = out.last().map(|o| o.carry_out_fen).unwrap_or(0);
            checksum = checksum.wrapping_add(last);
            used_total += out.iter().map(|o| o.used_fen as i128).sum::<i128>();
        }
        elapsed += start.elapsed();
        done += n;
    }
    let ey = ENTERPRISES * YEARS as usize;
    println!(
        "bulk ledger, no traces: {ENTERPRISES} enterprises × {YEARS} years = {ey} enterprise-years in {:.3} s \
         → {:.2} million enterprise-years/s (checksum {checksum}, credit used {} fen)",
        elapsed.as_secs_f64(),
        per_second(ey, elapsed) / 1e6,
        used_total
    );

    // 2. The explained ledger on 10,000 enterprises (inputs built outside the timing).
    let mut rng = Lcg(0xC0FF_EE12);
    let inputs: Vec<Input> = (0..TRACED)
        .map(|i| {
            let mut ys = Vec::with_capacity(YEARS as usize);
            let opening = enterprise(&mut rng, &mut ys);
            let subsidiary = (i % 10 == 0).then(|| Subsidiary {
                group: Some("某集团".into()),
                control: Control::Controlling,
            });
            if subsidiary.is_some() {
                for y in &mut ys {
                    y.group_certified = Some(true);
                }
            }
            Input {
                years: ys,
                carry_in_fen: opening,
                subsidiary,
            }
        })
        .collect();
    let time = |traced: bool| {
        let start = Instant::now();
        let mut steps = 0usize;
        for input in &inputs {
            let mut trace = if traced {
                Trace::enabled()
            } else {
                Trace::disabled()
            };
            let o = ledger(black_box(input), &params, &mut trace).expect("valid input");
            black_box(&o);
            steps += trace.into_steps().len();
        }
        (start.elapsed(), steps)
    };
    let (untraced, _) = time(false);
    let (traced, steps) = time(true);
    println!(
        "explained ledger, {TRACED} enterprises × {YEARS} years: without trace {:.2} µs/enterprise, \
         with trace {:.2} µs/enterprise ({:.1} steps each)",
        untraced.as_secs_f64() * 1e6 / TRACED as f64,
        traced.as_secs_f64() * 1e6 / TRACED as f64,
        steps as f64 / TRACED as f64
    );

    let jsons: Vec<String> = inputs
        .iter()
        .map(|i| {
            let years: Vec<serde_json::Value> = i
                .years
                .iter()
                .map(|y| {
                    serde_json::json!({
                        "year": y.year, "certified": y.certified, "investment_fen": y.investment_fen,
                        "tax_base_fen": y.tax_base_fen, "edu_reduction_fen": y.edu_reduction_fen,
                        "local_reduction_fen": y.local_reduction_fen,
                        "withdrawn_investment_fen": y.withdrawn_investment_fen,
                    })
                })
                .collect();
            serde_json::json!({"years": years, "carry_in_fen": i.carry_in_fen}).to_string()
        })
        .collect();
    let start = Instant::now();
    let mut bytes = 0usize;
    for j in &jsons {
        let v = policy::evaluate("tax_credit", black_box(j), &params, true).expect("valid input");
        bytes += v.to_string().len();
    }
    let full = start.elapsed();
    println!(
        "JSON in → decision with trace → JSON out: {:.2} µs/enterprise ({:.1} KB of JSON each)",
        full.as_secs_f64() * 1e6 / TRACED as f64,
        bytes as f64 / TRACED as f64 / 1024.0
    );

    // 3. One parameter look-up.
    let dates: Vec<NaiveDate> = (2019..2027)
        .map(|y| NaiveDate::from_ymd_opt(y, 12, 31).expect("valid date"))
        .collect();
    const LOOKUPS: usize = 1_000_000;
    let start = Instant::now();
    let mut acc = 0i64;
    for i in 0..LOOKUPS {
        let (r, _used) = params
            .rate(black_box(KEY_CREDIT_RATE), dates[i % dates.len()])
            .expect("in force");
        acc = acc.wrapping_add(r.ppm());
    }
    let d = start.elapsed();
    println!(
        "parameter look-up ParamSet::rate(\"{KEY_CREDIT_RATE}\", date): {:.0} ns each (checksum {acc})",
        d.as_secs_f64() * 1e9 / LOOKUPS as f64
    );
    let start = Instant::now();
    let mut acc = 0i64;
    for i in 0..LOOKUPS {
        let r = table
            .get(black_box(FIRST_YEAR + (i % YEARS as usize) as i32))
            .unwrap_or(zero);
        acc = acc.wrapping_add(r.credit.map(|c| c.ppm()).unwrap_or(0));
    }
    let d = start.elapsed();
    println!(
        "resolved look-up RateTable::get(year): {:.1} ns each (checksum {acc})",
        d.as_secs_f64() * 1e9 / LOOKUPS as f64
    );
}
