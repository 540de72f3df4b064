//! Exact rationals for rates and ratios: compared with thresholds by cross-multiplication (in
//! 256-bit when the products could overflow i128), rounded only for display.

use std::cmp::Ordering;

use policy::money::Rate;
use serde::Serialize;

/// An exact fraction `num / den` with `den > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Ratio {
    pub num: i128,
    pub den: i128,
}

impl Ratio {
    /// `num / den`; `None` when `den = 0` (the rate is undefined).
    pub fn new(num: i128, den: i128) -> Option<Ratio> {
        match den.cmp(&0) {
            Ordering::Greater => Some(Ratio { num, den }),
            Ordering::Less => Some(Ratio {
                num: -num,
                den: -den,
            }),
            Ordering::Equal => None,
        }
    }

    /// Compares the exact value with a rate (exact decimal), without rounding.
    pub fn cmp_rate(self, rate: Rate) -> Ordering {
        cmp_products(self.num, 1_000_000, i128::from(rate.ppm()), self.den)
    }

    /// The value with `places` decimals, rounded half away from zero, e.g. `1.50`.
    pub fn fixed(self, places: u32) -> String {
        fixed(self.num, self.den, 0, places)
    }

    /// The value as a percentage with `places` decimals, e.g. `92.31%` (digits not grouped).
    pub fn percent(self, places: u32) -> String {
        format!("{}%", fixed(self.num, self.den, 2, places))
    }

    /// [`Ratio::percent`] for people: the digits grouped by thousands (`1,250.0%`).
    pub fn percent_text(self, places: u32) -> String {
        domain::numbers::group(&self.percent(places))
    }

    /// The value with `places` decimals and its digits grouped by thousands, for people
    /// (`1,234.50`); [`Ratio::fixed`] is for machines.
    pub fn decimal(self, places: u32) -> String {
        domain::numbers::group(&self.fixed(places))
    }

    /// A number of people (or posts) as people read it: rounded to a whole number (half away
    /// from zero), digits grouped (`1,235`).
    pub fn people(self) -> String {
        self.decimal(0)
    }

    /// The value × 100 with `places` decimals and no sign suffix (percentage points).
    pub fn points(self, places: u32) -> String {
        fixed(self.num, self.den, 2, places)
    }
}

/// `a × b` as a 256-bit magnitude (high, low).
fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    const M: u128 = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & M);
    let (b1, b0) = (b >> 64, b & M);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 64) + (p01 & M) + (p10 & M);
    let lo = (p00 & M) | (mid << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

/// Compares `a × b` with `c × d` exactly, whatever their size.
pub fn cmp_products(a: i128, b: i128, c: i128, d: i128) -> Ordering {
    let left = a.signum() * b.signum();
    let right = c.signum() * d.signum();
    if left != right {
        return left.cmp(&right);
    }
    if left == 0 {
        return Ordering::Equal;
    }
    let l = mul_wide(a.unsigned_abs(), b.unsigned_abs());
    let r = mul_wide(c.unsigned_abs(), d.unsigned_abs());
    if left > 0 { l.cmp(&r) } else { r.cmp(&l) }
}

/// `num / den × 10^shift` with `places` decimals, rounded half away from zero, by long division
/// (no overflow for any i128 inputs). `den` must not be 0.
pub fn fixed(num: i128, den: i128, shift: u32, places: u32) -> String {
    debug_assert!(den != 0);
    let negative = (num < 0) != (den < 0) && num != 0;
    let n = num.unsigned_abs();
    let d = den.unsigned_abs();
    // Digits of n / d: the integer part, then `shift + places` fractional digits.
    let mut digits: Vec<u8> = (n / d).to_string().into_bytes();
    let mut r = n % d;
    for _ in 0..(shift + places) {
        // 10r = digit × d + rest, computed without overflow since r, rest < d.
        let mut digit = b'0';
        let mut rest: u128 = 0;
        for _ in 0..10 {
            if rest >= d - r {
                rest -= d - r;
                digit += 1;
            } else {
                rest += r;
            }
        }
        digits.push(digit);
        r = rest;
    }
    // Half away from zero: round up when the remainder is at least half the divisor.
    if r >= d - r {
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, b'1');
                break;
            }
            i -= 1;
            if digits[i] == b'9' {
                digits[i] = b'0';
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    let point = digits.len() - places as usize;
    let (int, frac) = digits.split_at(point);
    let int = std::str::from_utf8(int)
        .unwrap_or("0")
        .trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let frac = std::str::from_utf8(frac).unwrap_or("");
    let zero = frac.bytes().all(|b| b == b'0') && int == "0";
    let sign = if negative && !zero { "-" } else { "" };
    if places == 0 {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

/// `num / den` rounded half up (for non-negative values), e.g. an average salary to the fen.
pub fn round_div(num: i128, den: i128) -> i128 {
    policy::money::div_round_half_up(num, den)
}

/// Least common multiple.
pub fn lcm(a: i128, b: i128) -> Option<i128> {
    fn gcd(mut a: i128, mut b: i128) -> i128 {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    }
    (a / gcd(a, b)).checked_mul(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_rounds_half_away_from_zero() {
        assert_eq!(fixed(1, 3, 0, 2), "0.33");
        assert_eq!(fixed(2, 3, 0, 2), "0.67");
        assert_eq!(fixed(1, 200, 0, 2), "0.01"); // 0.005 → 0.01
        assert_eq!(fixed(-1, 200, 0, 2), "-0.01");
        assert_eq!(fixed(-1, 300, 0, 2), "0.00");
        assert_eq!(fixed(999, 1000, 0, 2), "1.00");
        assert_eq!(fixed(12, 1, 0, 2), "12.00");
        assert_eq!(fixed(1, 3, 2, 2), "33.33");
        assert_eq!(fixed(7, 8, 2, 0), "88");
        assert_eq!(fixed(5, -2, 0, 0), "-3");
        assert_eq!(fixed(i128::MAX, i128::MAX - 1, 0, 3), "1.000");
        assert_eq!(fixed(i128::MAX, 1, 0, 1), format!("{}.0", i128::MAX));
    }

    #[test]
    fn products_compare_exactly_beyond_i128() {
        let big = i128::MAX / 3;
        assert_eq!(
            cmp_products(big, 1_000_000, big, 999_999),
            Ordering::Greater
        );
        assert_eq!(cmp_products(big, 10, 10, big), Ordering::Equal);
        assert_eq!(cmp_products(-big, 10, 10, big), Ordering::Less);
        assert_eq!(cmp_products(-big, 10, -big, 11), Ordering::Greater);
        assert_eq!(cmp_products(0, 5, 0, -3), Ordering::Equal);
        assert_eq!(cmp_products(-1, 5, 0, 3), Ordering::Less);
        let r = Ratio::new(3, 2).unwrap();
        assert_eq!(r.cmp_rate(Rate::parse("1.5").unwrap()), Ordering::Equal);
        assert_eq!(
            r.cmp_rate(Rate::parse("1.499999").unwrap()),
            Ordering::Greater
        );
        assert_eq!(Ratio::new(1, 0), None);
        assert_eq!(lcm(4, 6), Some(12));
    }
}
