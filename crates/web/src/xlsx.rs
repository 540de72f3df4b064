//! XLSX export of tables.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook};

use crate::error::AppError;

/// Writes one sheet with a bold header row; every cell as text so codes keep their zeros.
pub fn table(sheet: &str, headers: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, AppError> {
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).map_err(err)?;
    let bold = Format::new().set_bold();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(err)?;
        ws.set_column_width(c as u16, 18).map_err(err)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string((r + 1) as u32, c as u16, v).map_err(err)?;
        }
    }
    ws.set_freeze_panes(1, 0).map_err(err)?;
    wb.save_to_buffer().map_err(err)
}

/// A typed cell of [`typed_table`].
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A whole number, written as a numeric cell.
    Int(i64),
    /// A calendar date, written as a date cell (`yyyy-mm-dd`).
    Date(chrono::NaiveDate),
    /// Unix seconds, written as a date-and-time cell in Beijing time (`yyyy-mm-dd hh:mm`).
    Time(i64),
    Empty,
}

/// Writes one sheet with a bold header row; numbers as numeric cells, dates and times as date
/// cells, text as text (codes keep their zeros).
pub fn typed_table(sheet: &str, headers: &[&str], rows: &[Vec<Cell>]) -> Result<Vec<u8>, AppError> {
    use chrono::Datelike;
    use rust_xlsxwriter::ExcelDateTime;
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).map_err(err)?;
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let time = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(err)?;
        ws.set_column_width(c as u16, 18).map_err(err)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = (r + 1) as u32;
        for (c, v) in row.iter().enumerate() {
            let c = c as u16;
            match v {
                Cell::Text(t) => {
                    ws.write_string(r, c, t).map_err(err)?;
                }
                // Exact in a cell's double up to 2^53, as every id and count here is.
                Cell::Int(n) => {
                    ws.write_number(r, c, *n as f64).map_err(err)?;
                }
                Cell::Date(d) => {
                    let (y, m, day) = (d.year(), d.month(), d.day());
                    match u16::try_from(y)
                        .ok()
                        .and_then(|y| ExcelDateTime::from_ymd(y, m as u8, day as u8).ok())
                    {
                        Some(x) => ws.write_datetime_with_format(r, c, &x, &date),
                        None => ws.write_string(r, c, d.format("%Y-%m-%d").to_string()),
                    }
                    .map_err(err)?;
                }
                Cell::Time(t) => {
                    match ExcelDateTime::from_timestamp(t.saturating_add(8 * 3600)) {
                        Ok(x) => ws.write_datetime_with_format(r, c, &x, &time),
                        Err(_) => ws.write_string(r, c, t.to_string()),
                    }
                    .map_err(err)?;
                }
                Cell::Empty => {}
            }
        }
    }
    ws.set_freeze_panes(1, 0).map_err(err)?;
    wb.save_to_buffer().map_err(err)
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
