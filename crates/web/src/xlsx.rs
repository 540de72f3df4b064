//! XLSX export of tables, through the one typed cell API of [`tabular::Cell`]: money is yuan in a
//! number cell (`#,##0.00`), counts are integers (`#,##0`), rates are percentages, dates are
//! dates (`yyyy-mm-dd`), and codes stay text.

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

pub use tabular::Cell;

/// Writes one sheet with a bold header row and typed cells.
pub fn table(sheet: &str, headers: &[&str], rows: &[Vec<Cell>]) -> Result<Vec<u8>, AppError> {
    tabular::sheet(sheet, headers, rows).map_err(|e| AppError::Internal(e.to_string()))
}

/// An export in an import schema's columns (re-importable).
pub fn export(schema: &tabular::Schema, rows: &[Vec<Cell>]) -> Result<Vec<u8>, AppError> {
    tabular::export(schema, rows).map_err(|e| AppError::Internal(e.to_string()))
}

/// Unix seconds as a Beijing date-and-time cell.
pub fn time_cell(secs: i64) -> Cell {
    use chrono::{Datelike, FixedOffset, TimeZone, Timelike};
    let tz = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    match tz.timestamp_opt(secs, 0).single() {
        Some(t) => Cell::DateTime {
            year: u16::try_from(t.year()).unwrap_or(1900),
            month: t.month() as u8,
            day: t.day() as u8,
            hour: t.hour() as u8,
            minute: t.minute() as u8,
        },
        None => Cell::Empty,
    }
}

/// An exact ratio as a decimal cell value (`None` when undefined).
pub fn ratio_value(r: Option<analytics::majors::Ratio>) -> Option<f64> {
    r.map(|r| r.num as f64 / r.den as f64)
}

/// A calendar date as a date cell.
pub fn date_cell(d: chrono::NaiveDate) -> Cell {
    use chrono::Datelike;
    match u16::try_from(d.year()) {
        Ok(year) => Cell::Date {
            year,
            month: d.month() as u8,
            day: d.day() as u8,
        },
        Err(_) => Cell::Text(d.format("%Y-%m-%d").to_string()),
    }
}

/// An XLSX download response.
pub fn download(filename: &str, bytes: Vec<u8>) -> Response {
    let encoded: String = form_urlencoded::byte_serialize(filename.as_bytes()).collect();
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"export.xlsx\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response()
}
