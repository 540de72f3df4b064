//! Money and rates in exact integer arithmetic.
//!
//! Money is integer fen (分). Rates are exact decimals held as parts per million. A product
//! `amount × rate` is rounded half-up to the fen (`x.5` fen → `x+1` fen) once, where the rule
//! says so; no floating point anywhere.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The largest amount of money the platform accepts in any one field: 10 万亿元 in fen. An
/// engineering bound, not a policy one: sums of thousands of such amounts fit in `i64`, and
/// every sum is still checked (an overflow is an error, never a wrap).
pub const MAX_FEN: i64 = 1_000_000_000_000_000;

/// An exact decimal rate, e.g. 0.30 or 0.03, with up to six decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Rate {
    ppm: i64,
}

impl Rate {
    pub const ZERO: Rate = Rate { ppm: 0 };
    pub const ONE: Rate = Rate { ppm: 1_000_000 };

    pub const fn from_ppm(ppm: i64) -> Rate {
        Rate { ppm }
    }

    pub const fn ppm(self) -> i64 {
        self.ppm
    }

    /// Parses a decimal such as `0.3`, `0.03`, `1`, `12.5` (no exponent, ≤ 6 decimals).
    pub fn parse(s: &str) -> Result<Rate, String> {
        let s = s.trim();
        let (neg, body) = match s.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, s),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        if int.is_empty() && frac.is_empty() {
            return Err(format!("“{s}”不是小数"));
        }
        if !int.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!("“{s}”不是小数"));
        }
        if frac.len() > 6 {
            return Err(format!("“{s}”的小数位超过6位"));
        }
        let int: i64 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| format!("“{s}”超出范围"))?
        };
        let mut frac_ppm: i64 = 0;
        for (i, c) in frac.chars().enumerate() {
            frac_ppm += (c as i64 - '0' as i64) * 10i64.pow(5 - i as u32);
        }
        let ppm = int
            .checked_mul(1_000_000)
            .and_then(|v| v.checked_add(frac_ppm))
            .ok_or_else(|| format!("“{s}”超出范围"))?;
        Ok(Rate {
            ppm: if neg { -ppm } else { ppm },
        })
    }

    /// `amount × self`, rounded half-up to the fen (away from zero for negatives).
    pub fn apply(self, amount_fen: i64) -> i64 {
        div_round_half_up(amount_fen as i128 * self.ppm as i128, 1_000_000) as i64
    }

    /// As a percentage for people, e.g. `30%`, `2.5%`.
    pub fn percent(self) -> String {
        let hundredths = self.ppm as i128 * 100; // in ppm of a percent
        let whole = hundredths / 1_000_000;
        let rest = (hundredths % 1_000_000).abs();
        if rest == 0 {
            format!("{whole}%")
        } else {
            let mut frac = format!("{rest:06}");
            while frac.ends_with('0') {
                frac.pop();
            }
            format!("{whole}.{frac}%")
        }
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.ppm < 0 { "-" } else { "" };
        let a = self.ppm.unsigned_abs();
        let (int, frac) = (a / 1_000_000, a % 1_000_000);
        if frac == 0 {
            write!(f, "{sign}{int}")
        } else {
            let mut s = format!("{frac:06}");
            while s.ends_with('0') {
                s.pop();
            }
            write!(f, "{sign}{int}.{s}")
        }
    }
}

impl TryFrom<String> for Rate {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Rate::parse(&s)
    }
}

impl From<Rate> for String {
    fn from(r: Rate) -> String {
        r.to_string()
    }
}

/// `num / den` rounded half-up (half away from zero); `den > 0`.
pub fn div_round_half_up(num: i128, den: i128) -> i128 {
    debug_assert!(den > 0);
    let q = num / den;
    let r = num % den;
    if r.abs() * 2 >= den {
        q + num.signum()
    } else {
        q
    }
}

/// Fen as yuan for people: `1234567` → `12,345.67元`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    let (y, f) = (a / 100, a % 100);
    let digits = y.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{f:02}元")
}

/// Parses an amount in yuan as people type it — up to two decimals, thousands separators
/// (`,` or `，`) allowed — into fen: `1,234.56` → `123456`. Blank is zero. Negative amounts,
/// anything but digits, more than two decimals and amounts beyond `i64` fen are refused with a
/// Chinese message naming the text.
pub fn parse_yuan(text: &str) -> Result<i64, String> {
    let t: String = text
        .trim()
        .chars()
        .filter(|c| *c != ',' && *c != '，')
        .collect();
    if t.is_empty() {
        return Ok(0);
    }
    let (int, frac) = t.split_once('.').unwrap_or((&t, ""));
    let digits = |x: &str| x.chars().all(|c| c.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || frac.len() > 2 {
        return Err(format!(
            "“{}”不是有效金额（非负数，最多两位小数）",
            text.trim()
        ));
    }
    let yuan: i64 = int
        .parse()
        .map_err(|_| format!("“{}”超出范围", text.trim()))?;
    let fen: i64 = format!("{frac:0<2}").parse().unwrap_or(0);
    yuan.checked_mul(100)
        .and_then(|v| v.checked_add(fen))
        .ok_or_else(|| format!("“{}”超出范围", text.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_rates() {
        assert_eq!(Rate::parse("0.30").unwrap().ppm(), 300_000);
        assert_eq!(Rate::parse("0.03").unwrap().ppm(), 30_000);
        assert_eq!(Rate::parse("1").unwrap(), Rate::ONE);
        assert_eq!(Rate::parse(".5").unwrap().ppm(), 500_000);
        assert_eq!(Rate::parse("0.3").unwrap().to_string(), "0.3");
        assert_eq!(Rate::parse("0.025").unwrap().percent(), "2.5%");
        assert_eq!(Rate::parse("0.30").unwrap().percent(), "30%");
        for bad in ["", ".", "abc", "0.1234567", "1e3", "0,3"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rounds_half_up_to_the_fen() {
        let r = Rate::parse("0.03").unwrap();
        assert_eq!(r.apply(50), 2); // 1.5 fen → 2
        assert_eq!(r.apply(49), 1); // 1.47 → 1
        assert_eq!(r.apply(-50), -2);
        assert_eq!(Rate::parse("0.3").unwrap().apply(5), 2); // 1.5 → 2
        assert_eq!(yuan(123456789), "1,234,567.89元");
        assert_eq!(yuan(5), "0.05元");
        assert_eq!(yuan(-100), "-1.00元");
    }

    #[test]
    fn parses_yuan_into_fen() {
        assert_eq!(parse_yuan("1,234.56"), Ok(123_456));
        assert_eq!(parse_yuan("1，234.56"), Ok(123_456));
        assert_eq!(parse_yuan("12"), Ok(1_200));
        assert_eq!(parse_yuan("12.5"), Ok(1_250));
        assert_eq!(parse_yuan("0.05"), Ok(5));
        assert_eq!(parse_yuan(" 7.00 "), Ok(700));
        assert_eq!(parse_yuan(""), Ok(0));
        assert_eq!(parse_yuan("  "), Ok(0));
        assert_eq!(parse_yuan("92233720368547758.07"), Ok(i64::MAX));
    }

    #[test]
    fn refuses_what_is_not_an_amount_in_yuan() {
        for bad in [
            "-1", "-0.05", "abc", "1.234", ".5", "1e3", "1 000", "１２", "12元",
        ] {
            let e = parse_yuan(bad).unwrap_err();
            assert!(e.contains("不是有效金额"), "{bad}: {e}");
        }
        for big in ["92233720368547758.08", "99999999999999999999"] {
            let e = parse_yuan(big).unwrap_err();
            assert!(e.contains("超出范围"), "{big}: {e}");
        }
    }
}
