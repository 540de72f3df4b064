//! Numbers as people read them on pages, in explanations and in charts: digits grouped by
//! thousands (`12,345`, `1,234.5`, `-2,000%`). The one place that groups digits; `web` and the
//! explanations of `analytics` format through it. Machine-read text (the API's JSON, CSV
//! exports, form values) keeps plain digits.

/// `text` with the digits of its integer part grouped by thousands: `1234567.891` →
/// `1,234,567.891`, `-1234%` → `-1,234%`. Anything around the first run of digits (a sign, a
/// unit, a `%`) is kept; text without digits is returned as it is.
pub fn group(text: &str) -> String {
    let Some(start) = text.find(|c: char| c.is_ascii_digit()) else {
        return text.to_string();
    };
    let end = text[start..]
        .find(|c: char| !c.is_ascii_digit())
        .map_or(text.len(), |i| start + i);
    let digits = &text[start..end];
    let mut out = String::with_capacity(text.len() + digits.len() / 3);
    out.push_str(&text[..start]);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out.push_str(&text[end..]);
    out
}

/// A count (people, rows, offerings) with its digits grouped: `12345` → `12,345`.
pub fn count(n: i64) -> String {
    group(&n.to_string())
}

/// `v` rounded to `places` decimals (half away from zero) with its digits grouped; for values
/// that are floating point already (chart scales). Exact values are formatted exactly by
/// their own types and then [`group`]ed.
pub fn float(v: f64, places: usize) -> String {
    let scale = 10f64.powi(places as i32);
    let r = (v.abs() * scale).round() / scale * v.signum();
    // No "-0" for values that round to zero.
    let r = if r == 0.0 { 0.0 } else { r };
    group(&format!("{r:.places$}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_the_integer_part_only() {
        assert_eq!(group("0"), "0");
        assert_eq!(group("999"), "999");
        assert_eq!(group("1000"), "1,000");
        assert_eq!(group("1234567.891"), "1,234,567.891");
        assert_eq!(group("-1234"), "-1,234");
        assert_eq!(group("-1234.50%"), "-1,234.50%");
        assert_eq!(group("12.3456"), "12.3456");
        assert_eq!(group("—"), "—");
        assert_eq!(group(""), "");
        assert_eq!(count(100_000), "100,000");
        assert_eq!(count(-12), "-12");
        assert_eq!(count(i64::MIN), "-9,223,372,036,854,775,808");
    }

    #[test]
    fn floats_round_half_away_from_zero() {
        assert_eq!(float(12.0, 0), "12");
        assert_eq!(float(14549.4, 0), "14,549");
        assert_eq!(float(2.5, 0), "3");
        assert_eq!(float(-2.5, 0), "-3");
        assert_eq!(float(-0.2, 0), "0");
        assert_eq!(float(1234.5678, 1), "1,234.6");
    }
}
