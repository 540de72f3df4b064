//! Numbers on pages and in charts, as people read them: every count, amount and figure a page
//! shows goes through `domain::numbers` (digits grouped by thousands: `12,345`), counts of
//! people are whole numbers, rates are percentages. Templates use the `num` filter
//! (`{{ r.graduates|num }}`, with `use crate::numbers::filters;` beside the template's struct);
//! Rust code uses [`count`] and, for exact values, `analytics::majors::Ratio::{people, decimal,
//! percent_text}`. Machine-read text (the API, CSV and XLSX exports, form values) keeps plain
//! digits.

pub use domain::numbers::{count, float, group};

/// Askama filters for page templates.
pub mod filters {
    /// `{{ value|num }}`: a number (or a number's text, `—` passes through) with its digits
    /// grouped by thousands.
    pub fn num<T: std::fmt::Display>(value: T, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(super::group(&value.to_string()))
    }
}
