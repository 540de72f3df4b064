//! Reading an import file: every import (pages, API, command line) reads its table here, within
//! the limits of its kind, on the heavy-work pool ([`crate::heavy`]).

use axum::body::Bytes;
use tabular::{Limits, Schema, Table, TabularError};

use crate::error::{AppError, AppResult};

/// What one kind of import accepts: the uploaded file's size, and what reading its content may
/// cost (engineering limits, documented in the README).
#[derive(Debug, Clone, Copy)]
pub struct ImportKind {
    /// The largest file accepted, in bytes.
    pub max_file: usize,
    pub limits: Limits,
}

/// Room for the multipart form around the file (boundaries, part headers, the other fields).
pub const FORM_OVERHEAD: usize = 64 * 1024;

impl ImportKind {
    /// The largest request body of an upload form carrying one such file.
    pub const fn max_body(&self) -> usize {
        self.max_file + FORM_OVERHEAD
    }
}

const MIB: usize = 1024 * 1024;

/// A school's supply: a few hundred rows a year.
pub const SUPPLY: ImportKind = ImportKind {
    max_file: 10 * MIB,
    limits: Limits::STANDARD,
};
/// The major catalog (~1,700 rows).
pub const CATALOG: ImportKind = ImportKind {
    max_file: 20 * MIB,
    limits: Limits::STANDARD,
};
/// Occupations and the major–occupation crosswalk (thousands of rows).
pub const OCCUPATIONS: ImportKind = ImportKind {
    max_file: 20 * MIB,
    limits: Limits::STANDARD,
};
/// Job postings and enterprise demand (up to a million rows).
pub const DEMAND: ImportKind = ImportKind {
    max_file: 64 * MIB,
    limits: Limits::BULK,
};

/// Reads `bytes` as a table of `schema` within `limits`; a file over a limit, or not a table,
/// is refused (422) with the reason in Chinese.
pub async fn read_table(
    schema: &'static Schema,
    bytes: Bytes,
    kind: ImportKind,
) -> AppResult<Table> {
    if bytes.len() > kind.max_file {
        return Err(too_large(kind.max_file));
    }
    crate::heavy::run(move || tabular::read_with(schema, &bytes, &kind.limits))
        .await?
        .map_err(AppError::from)
}

/// The refusal of a file over `max_file` bytes (413).
pub fn too_large(max_file: usize) -> AppError {
    AppError::PayloadTooLarge(format!("文件超过 {} MB 的上限", max_file / MIB))
}

impl From<TabularError> for AppError {
    fn from(e: TabularError) -> Self {
        AppError::invalid("file", e.to_string())
    }
}
