//! XLSX writing: template, export and validation report.

use rust_xlsxwriter::{Color, Format as CellFormat, Note, Workbook, Worksheet, XlsxError};

use crate::{Report, Schema, TabularError};

/// Name of the instructions sheet in templates.
pub const INSTRUCTIONS_SHEET: &str = "填写说明";
/// Name of the sheet in a validation report workbook.
pub const REPORT_SHEET: &str = "校验结果";

fn write_err(e: XlsxError) -> TabularError {
    TabularError::XlsxWrite(e.to_string())
}

fn bold() -> CellFormat {
    CellFormat::new().set_bold()
}

/// Column width (in characters) fitting `text`, CJK counted double.
fn width_for<'a>(texts: impl IntoIterator<Item = &'a str>) -> f64 {
    let widest = texts
        .into_iter()
        .map(|t| {
            t.chars()
                .map(|c| if c.is_ascii() { 1 } else { 2 })
                .sum::<usize>()
        })
        .max()
        .unwrap_or(0);
    (widest + 2).clamp(8, 60) as f64
}

fn write_headers(
    sheet: &mut Worksheet,
    headers: &[(&str, &CellFormat)],
) -> Result<(), TabularError> {
    for (j, (header, format)) in headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, j as u16, *header, format)
            .map_err(write_err)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(write_err)?;
    Ok(())
}

/// An empty import template: one sheet named `schema.sheet` whose first row
/// holds the Chinese headers exactly (bold; required columns in red, with a
/// note giving an example), data columns formatted as text so codes keep
/// their leading zeros, and a second sheet “填写说明” describing each column.
pub fn template(schema: &Schema) -> Result<Vec<u8>, TabularError> {
    let mut workbook = Workbook::new();
    let required = bold().set_font_color(Color::Red);
    let optional = bold();
    let text = CellFormat::new().set_num_format("@");

    let sheet = workbook.add_worksheet();
    sheet.set_name(schema.sheet).map_err(write_err)?;
    let headers: Vec<(&str, &CellFormat)> = schema
        .columns
        .iter()
        .map(|c| (c.header, if c.required { &required } else { &optional }))
        .collect();
    write_headers(sheet, &headers)?;
    for (j, column) in schema.columns.iter().enumerate() {
        let col = j as u16;
        sheet
            .set_column_width(col, width_for([column.header, column.example]))
            .map_err(write_err)?;
        sheet.set_column_format(col, &text).map_err(write_err)?;
        let mut note = if column.required { "必填" } else { "选填" }.to_string();
        if !column.example.is_empty() {
            note.push_str(&format!("，示例：{}", column.example));
        }
        sheet
            .insert_note(0, col, &Note::new(note).add_author_prefix(false))
            .map_err(write_err)?;
    }

    let help = workbook.add_worksheet();
    help.set_name(INSTRUCTIONS_SHEET).map_err(write_err)?;
    let b = bold();
    write_headers(
        help,
        &[
            ("列名", &b),
            ("是否必填", &b),
            ("示例", &b),
            ("也可识别的列名", &b),
        ],
    )?;
    for (i, column) in schema.columns.iter().enumerate() {
        let row = i as u32 + 1;
        let aliases = std::iter::once(column.key)
            .chain(column.aliases.iter().copied())
            .collect::<Vec<_>>()
            .join("、");
        let cells = [
            column.header,
            if column.required { "必填" } else { "选填" },
            column.example,
            aliases.as_str(),
        ];
        for (j, value) in cells.iter().enumerate() {
            help.write_string(row, j as u16, *value)
                .map_err(write_err)?;
        }
    }
    help.set_column_width(0, width_for(schema.columns.iter().map(|c| c.header)))
        .map_err(write_err)?;
    help.set_column_width(1, 10).map_err(write_err)?;
    help.set_column_width(2, width_for(schema.columns.iter().map(|c| c.example)))
        .map_err(write_err)?;
    help.set_column_width(3, 40).map_err(write_err)?;

    workbook.save_to_buffer().map_err(write_err)
}

/// One typed spreadsheet cell. Every export writes through this, so a workbook's numbers are
/// numbers Excel can sum (with a number format), its dates are dates, and its codes stay text
/// with their leading zeros.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    /// Text, including codes (`00120`, `520101K`).
    Text(String),
    /// A count: an integer shown `#,##0`.
    Count(i64),
    /// A year (or another integer read without separators): shown `0`.
    Year(i64),
    /// Money in fen, written as yuan and shown `#,##0.00`.
    Fen(i64),
    /// A decimal (a ratio, a share of posts) shown with `places` decimals (at most 6).
    Decimal {
        value: f64,
        places: u8,
    },
    /// A fraction of 1 shown as a percentage with `places` decimals (at most 6), e.g. `0.0%`.
    Percent {
        value: f64,
        places: u8,
    },
    /// A calendar date, shown `yyyy-mm-dd`.
    Date {
        year: u16,
        month: u8,
        day: u8,
    },
    /// A date and time to the minute, shown `yyyy-mm-dd hh:mm`.
    DateTime {
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
    },
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// Money in fen when known, else an empty cell.
    pub fn fen(fen: Option<i64>) -> Cell {
        fen.map_or(Cell::Empty, Cell::Fen)
    }

    /// A decimal when defined, else an empty cell.
    pub fn decimal(value: Option<f64>, places: u8) -> Cell {
        match value {
            Some(value) if value.is_finite() => Cell::Decimal { value, places },
            _ => Cell::Empty,
        }
    }

    /// A percentage (of a fraction of 1) when defined, else an empty cell.
    pub fn percent(value: Option<f64>, places: u8) -> Cell {
        match value {
            Some(value) if value.is_finite() => Cell::Percent { value, places },
            _ => Cell::Empty,
        }
    }

    /// A date from `YYYY-MM-DD`; other text stays text (and blank is empty).
    pub fn iso_date(s: &str) -> Cell {
        let s = s.trim();
        if s.is_empty() {
            return Cell::Empty;
        }
        let mut parts = s.splitn(3, '-');
        let parsed = (|| {
            let year = parts.next()?.parse::<u16>().ok()?;
            let month = parts.next()?.parse::<u8>().ok()?;
            let day = parts.next()?.parse::<u8>().ok()?;
            rust_xlsxwriter::ExcelDateTime::from_ymd(year, month, day).ok()?;
            Some(Cell::Date { year, month, day })
        })();
        parsed.unwrap_or_else(|| Cell::Text(s.to_string()))
    }

    /// The cell as Excel shows it (for column widths).
    pub fn shown(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Count(n) | Cell::Year(n) => n.to_string(),
            Cell::Fen(f) => format!("{}.{:02}", f / 100, (f % 100).abs()),
            Cell::Decimal { value, places } => format!("{value:.*}", usize::from(*places)),
            Cell::Percent { value, places } => {
                format!("{:.*}%", usize::from(*places), value * 100.0)
            }
            Cell::Date { .. } => "2025-01-01".into(),
            Cell::DateTime { .. } => "2025-01-01 00:00".into(),
        }
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

/// The number formats of typed cells, made once per workbook.
struct Formats {
    count: CellFormat,
    year: CellFormat,
    money: CellFormat,
    date: CellFormat,
    datetime: CellFormat,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            count: CellFormat::new().set_num_format("#,##0"),
            year: CellFormat::new().set_num_format("0"),
            money: CellFormat::new().set_num_format("#,##0.00"),
            date: CellFormat::new().set_num_format("yyyy-mm-dd"),
            datetime: CellFormat::new().set_num_format("yyyy-mm-dd hh:mm"),
        }
    }

    /// `0.00`, `0.0%`, … for `places` decimals.
    fn places(places: u8, percent: bool) -> CellFormat {
        let places = usize::from(places.min(6));
        let mut f = "0".to_string();
        if places > 0 {
            f.push('.');
            f.push_str(&"0".repeat(places));
        }
        if percent {
            f.push('%');
        }
        CellFormat::new().set_num_format(f)
    }
}

fn write_cell(
    sheet: &mut Worksheet,
    formats: &Formats,
    row: u32,
    col: u16,
    cell: &Cell,
) -> Result<(), XlsxError> {
    use rust_xlsxwriter::ExcelDateTime;
    match cell {
        Cell::Empty => {}
        Cell::Text(s) => {
            if !s.is_empty() {
                sheet.write_string(row, col, s)?;
            }
        }
        Cell::Count(n) => {
            sheet.write_number_with_format(row, col, *n as f64, &formats.count)?;
        }
        Cell::Year(n) => {
            sheet.write_number_with_format(row, col, *n as f64, &formats.year)?;
        }
        Cell::Fen(f) => {
            sheet.write_number_with_format(row, col, *f as f64 / 100.0, &formats.money)?;
        }
        Cell::Decimal { value, places } => {
            sheet.write_number_with_format(row, col, *value, &Formats::places(*places, false))?;
        }
        Cell::Percent { value, places } => {
            sheet.write_number_with_format(row, col, *value, &Formats::places(*places, true))?;
        }
        Cell::Date { year, month, day } => {
            let d = ExcelDateTime::from_ymd(*year, *month, *day)?;
            sheet.write_datetime_with_format(row, col, &d, &formats.date)?;
        }
        Cell::DateTime {
            year,
            month,
            day,
            hour,
            minute,
        } => {
            let d = ExcelDateTime::from_ymd(*year, *month, *day)?.and_hms(
                u16::from(*hour),
                *minute,
                0,
            )?;
            sheet.write_datetime_with_format(row, col, &d, &formats.datetime)?;
        }
    }
    Ok(())
}

/// A workbook of one sheet: bold, frozen headers, then the rows as typed cells, columns sized to
/// their contents.
pub fn sheet(name: &str, headers: &[&str], rows: &[Vec<Cell>]) -> Result<Vec<u8>, TabularError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(name).map_err(write_err)?;
    let b = bold();
    let header_cells: Vec<(&str, &CellFormat)> = headers.iter().map(|h| (*h, &b)).collect();
    write_headers(sheet, &header_cells)?;
    let formats = Formats::new();
    let width = headers.len();
    for (i, row) in rows.iter().enumerate() {
        for (j, cell) in row.iter().take(width).enumerate() {
            write_cell(sheet, &formats, i as u32 + 1, j as u16, cell).map_err(write_err)?;
        }
    }
    for (j, header) in headers.iter().enumerate() {
        let sample: Vec<String> = rows
            .iter()
            .take(200)
            .filter_map(|r| r.get(j))
            .map(Cell::shown)
            .collect();
        sheet
            .set_column_width(
                j as u16,
                width_for(std::iter::once(*header).chain(sample.iter().map(String::as_str))),
            )
            .map_err(write_err)?;
    }
    workbook.save_to_buffer().map_err(write_err)
}

/// Exports rows (cells in schema column order) under the Chinese headers, in a sheet named
/// `schema.sheet`. Missing trailing cells are left empty; cells beyond the schema's columns are
/// ignored. Numbers and dates written as typed cells read back as the text an import expects
/// (`4500.5`, `2024-03-01`), so an export re-imports as is.
pub fn export(schema: &Schema, rows: &[Vec<Cell>]) -> Result<Vec<u8>, TabularError> {
    let headers: Vec<&str> = schema.columns.iter().map(|c| c.header).collect();
    sheet(schema.sheet, &headers, rows)
}

/// The validation report as a workbook with one sheet “校验结果” and the
/// columns 行, 列, 单元格, 问题.
pub fn report_xlsx(report: &Report) -> Result<Vec<u8>, TabularError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(REPORT_SHEET).map_err(write_err)?;
    let b = bold();
    write_headers(
        sheet,
        &[("行", &b), ("列", &b), ("单元格", &b), ("问题", &b)],
    )?;
    for (i, p) in report.problems.iter().enumerate() {
        let row = i as u32 + 1;
        sheet
            .write_number(row, 0, p.row as f64)
            .map_err(write_err)?;
        sheet
            .write_string(row, 1, p.column.as_deref().unwrap_or(""))
            .map_err(write_err)?;
        sheet
            .write_string(row, 2, p.cell.as_deref().unwrap_or(""))
            .map_err(write_err)?;
        sheet.write_string(row, 3, &p.message).map_err(write_err)?;
    }
    sheet.set_column_width(0, 8).map_err(write_err)?;
    sheet.set_column_width(1, 16).map_err(write_err)?;
    sheet.set_column_width(2, 10).map_err(write_err)?;
    sheet.set_column_width(3, 60).map_err(write_err)?;
    workbook.save_to_buffer().map_err(write_err)
}
