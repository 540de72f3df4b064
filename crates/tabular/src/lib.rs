//! Shared import/export mechanism: one typed row schema per import gives the
//! XLSX template, the row-by-row validation report with cell references, and
//! the export. The crate is pure: bytes in, rows and reports out; the caller
//! owns uploads and the all-or-nothing commit; reading is bounded by [`Limits`].
//!
//! All messages meant for people are in Simplified Chinese.

mod limits;
mod read;
mod unzip;
mod validate;
mod write;

#[cfg(test)]
mod tests;

pub use limits::{Exceeded, Limits};
pub use read::{detect, read, read_with};
pub use validate::validate;
pub use write::{Cell, INSTRUCTIONS_SHEET, REPORT_SHEET, export, report_xlsx, sheet, template};

use serde::Serialize;

/// One column of an import schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Stable machine key (usually the English field name).
    pub key: &'static str,
    /// Chinese header written to templates and exports.
    pub header: &'static str,
    /// Other accepted headers (e.g. a foreign file's English names).
    pub aliases: &'static [&'static str],
    /// Whether the column must be present in an imported file.
    pub required: bool,
    /// Example value, shown in the template's header note and instructions sheet.
    pub example: &'static str,
}

/// A typed row schema: the sheet name and its columns, in template order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schema {
    /// Chinese sheet name (at most 31 characters, no `[]:*?/\`).
    pub sheet: &'static str,
    pub columns: &'static [Column],
}

impl Schema {
    /// Index of the column with this key.
    pub fn index_of(&self, key: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.key == key)
    }

    /// The column with this key.
    pub fn column(&self, key: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.key == key)
    }
}

/// File format, detected from the content (never from the file name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Format {
    Csv,
    Xlsx,
}

/// Whole-file errors. Row-level problems go into a [`Report`] instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TabularError {
    #[error("文件既不是 CSV 也不是 XLSX 表格")]
    NotSpreadsheet,
    #[error("文件没有数据行")]
    Empty,
    #[error("缺少必填列：{}", names.join("、"))]
    MissingColumns { names: Vec<String> },
    #[error("列“{header}”重复出现")]
    DuplicateColumn { header: String },
    #[error("CSV 文件须为 UTF-8 编码（可在 Excel 中另存为“CSV UTF-8”）")]
    BadEncoding,
    #[error("无法读取 XLSX 文件：{0}")]
    Xlsx(String),
    #[error("无法读取 CSV 文件：{0}")]
    Csv(String),
    #[error("无法生成 XLSX 文件：{0}")]
    XlsxWrite(String),
    #[error("文件超出导入上限：{0}")]
    TooLarge(Exceeded),
}

impl From<Exceeded> for TabularError {
    fn from(e: Exceeded) -> Self {
        TabularError::TooLarge(e)
    }
}

impl TabularError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            TabularError::NotSpreadsheet => "not_spreadsheet",
            TabularError::Empty => "empty",
            TabularError::MissingColumns { .. } => "missing_columns",
            TabularError::DuplicateColumn { .. } => "duplicate_column",
            TabularError::BadEncoding => "bad_encoding",
            TabularError::Xlsx(_) => "xlsx",
            TabularError::Csv(_) => "csv",
            TabularError::XlsxWrite(_) => "xlsx_write",
            TabularError::TooLarge(_) => "too_large",
        }
    }
}

/// One data row, with cells in schema column order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Row number as the user sees it in the file (the header is row 1
    /// unless title rows precede it).
    pub line: usize,
    cells: Vec<String>,
    columns: &'static [Column],
}

impl Row {
    /// Trimmed cell value for the column `key`; `""` when the column is
    /// absent from the file or the cell is empty.
    ///
    /// An unknown key is a programming error: it panics in debug builds and
    /// yields `""` in release builds.
    pub fn get(&self, key: &str) -> &str {
        match self.columns.iter().position(|c| c.key == key) {
            Some(i) => self.cells.get(i).map(String::as_str).unwrap_or(""),
            None => {
                debug_assert!(false, "unknown column key {key:?}");
                ""
            }
        }
    }

    /// Row number in the file.
    pub fn line(&self) -> usize {
        self.line
    }

    /// All cells, in schema column order.
    pub fn cells(&self) -> &[String] {
        &self.cells
    }
}

/// The rows of an imported file, mapped onto a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub rows: Vec<Row>,
    /// Headers in the file that the schema does not know (as written).
    pub ignored_headers: Vec<String>,
    /// Per schema column, its letter in the file (`"C"`), `None` if absent.
    pub column_letters: Vec<Option<String>>,
}

/// One problem found while validating a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Row number in the file.
    pub row: usize,
    /// Chinese column header, when the problem concerns one column.
    pub column: Option<String>,
    /// Cell reference such as `"C5"`, when the column is present in the file.
    pub cell: Option<String>,
    pub message: String,
}

impl Problem {
    /// A problem at row `line` in the column `key` of `schema` (a row-level problem when the key
    /// is empty or unknown), with the cell reference when the column is in the file.
    pub fn at(schema: &Schema, table: &Table, line: usize, key: &str, message: String) -> Problem {
        let index = schema.index_of(key);
        Problem {
            row: line,
            column: index.map(|i| schema.columns[i].header.to_string()),
            cell: index
                .and_then(|i| table.column_letters.get(i).cloned().flatten())
                .map(|letter| format!("{letter}{line}")),
            message,
        }
    }
}

/// Validation report of a whole file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub total_rows: usize,
    pub valid_rows: usize,
    pub problems: Vec<Problem>,
}

impl Report {
    /// True when no row has a problem: the import may be committed.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Spreadsheet cell reference: `cell_ref(0, 1)` is `"A1"`; `row` is the
/// 1-based row number as shown in the file.
pub fn cell_ref(col_index: usize, row: usize) -> String {
    format!("{}{row}", column_letter(col_index))
}

/// Column letters for a 0-based column index: 0 → "A", 25 → "Z", 26 → "AA".
pub fn column_letter(col_index: usize) -> String {
    let mut n = col_index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

/// Inverse of [`column_letter`]: "A" → 0, "AA" → 26. `None` for anything
/// that is not a non-empty run of ASCII letters.
pub fn column_index(letters: &str) -> Option<usize> {
    if letters.is_empty() {
        return None;
    }
    let mut n: usize = 0;
    for b in letters.bytes() {
        if !b.is_ascii_alphabetic() {
            return None;
        }
        let digit = (b.to_ascii_uppercase() - b'A') as usize + 1;
        n = n.checked_mul(26)?.checked_add(digit)?;
    }
    Some(n - 1)
}
