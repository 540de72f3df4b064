//! Bounds on what reading one file may cost, checked before the work they bound.
//!
//! An XLSX file is a zip archive: a 2 MB upload can inflate to gigabytes, declare a used range
//! of 17 billion cells or a shared-string table of any size. Reading stays within these limits
//! whatever the file says: the archive is inflated once, streamed and counted (nothing kept),
//! before the spreadsheet reader opens it; cells are then read one by one and only non-empty
//! ones are kept. A file over a limit is refused with [`crate::TabularError::TooLarge`], which
//! names the limit in Chinese.

use std::fmt;

/// Engineering limits of one import (not policy numbers: they protect the server).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Total size of an XLSX archive's entries once decompressed.
    pub max_unzipped_bytes: u64,
    /// Entries in an XLSX archive.
    pub max_zip_entries: usize,
    /// Highest row number that may hold a value (the header row included).
    pub max_rows: usize,
    /// Highest column (1-based count) that may hold a value; also the most fields a CSV record
    /// may have.
    pub max_columns: usize,
    /// Non-empty cells in the file; in an XLSX file also its cell elements, empty or not, and
    /// the strings of its shared-string table.
    pub max_cells: usize,
    /// Total length in bytes of the non-empty cells' text.
    pub max_text_bytes: usize,
}

impl Limits {
    /// For tables of reference data and a school's or a unit's own figures (catalog,
    /// occupations, crosswalk, supply): up to 100,000 rows and 500,000 cells (a file at these
    /// limits is read with ~60 MB).
    pub const STANDARD: Limits = Limits {
        max_unzipped_bytes: 128 * 1024 * 1024,
        max_zip_entries: 1_000,
        max_rows: 100_000,
        max_columns: 256,
        max_cells: 500_000,
        max_text_bytes: 32 * 1024 * 1024,
    };

    /// For bulk facts (job postings, enterprise demand): up to Excel's own 1,048,576 rows of
    /// a dozen cells.
    pub const BULK: Limits = Limits {
        max_unzipped_bytes: 768 * 1024 * 1024,
        max_zip_entries: 1_000,
        max_rows: 1_048_576,
        max_columns: 256,
        max_cells: 12_600_000,
        max_text_bytes: 256 * 1024 * 1024,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::STANDARD
    }
}

/// Which limit a file went over, with the limit's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    UnzippedBytes(u64),
    ZipEntries(usize),
    Rows(usize),
    Columns(usize),
    Cells(usize),
    SharedStrings(usize),
    TextBytes(usize),
}

impl Exceeded {
    /// Stable machine-readable name of the limit.
    pub fn key(&self) -> &'static str {
        match self {
            Exceeded::UnzippedBytes(_) => "max_unzipped_bytes",
            Exceeded::ZipEntries(_) => "max_zip_entries",
            Exceeded::Rows(_) => "max_rows",
            Exceeded::Columns(_) => "max_columns",
            Exceeded::Cells(_) => "max_cells",
            Exceeded::SharedStrings(_) => "max_cells",
            Exceeded::TextBytes(_) => "max_text_bytes",
        }
    }
}

/// Bytes as people read them: “128 MB”.
fn megabytes(bytes: u64) -> String {
    let mb = bytes as f64 / (1024.0 * 1024.0);
    if mb.fract() == 0.0 {
        format!("{mb:.0} MB")
    } else {
        format!("{mb:.1} MB")
    }
}

impl fmt::Display for Exceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exceeded::UnzippedBytes(n) => {
                write!(f, "XLSX 文件解压后超过 {} 的上限", megabytes(*n))
            }
            Exceeded::ZipEntries(n) => write!(f, "XLSX 文件内部的部件超过 {n} 个的上限"),
            Exceeded::Rows(n) => write!(f, "表格的数据超出第 {n} 行（上限 {n} 行）"),
            Exceeded::Columns(n) => write!(
                f,
                "表格的数据超出第 {} 列（{} 列，上限 {n} 列）",
                crate::column_letter(n - 1),
                n
            ),
            Exceeded::Cells(n) => write!(f, "单元格超过 {n} 个的上限"),
            Exceeded::SharedStrings(n) => write!(f, "XLSX 文件的共享字符串超过 {n} 个的上限"),
            Exceeded::TextBytes(n) => {
                write!(f, "单元格文字总量超过 {} 的上限", megabytes(*n as u64))
            }
        }
    }
}
