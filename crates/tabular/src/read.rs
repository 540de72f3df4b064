//! Format detection and reading of CSV/XLSX bytes into a [`Table`].

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::limits::{Exceeded, Limits};
use crate::{Column, Format, Row, Schema, Table, TabularError, column_letter};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// How many non-blank rows are searched for the header row (title rows such
/// as “2021 年专业目录” may precede it).
const HEADER_SEARCH_ROWS: usize = 10;

/// Detects the format from the content: XLSX is a zip archive holding
/// `xl/workbook.xml`; CSV is UTF-8 text (a BOM is allowed).
///
/// Text that is not UTF-8 (e.g. GBK from an older Excel “CSV” export) gives
/// [`TabularError::BadEncoding`]; binary content gives
/// [`TabularError::NotSpreadsheet`].
pub fn detect(bytes: &[u8]) -> Result<Format, TabularError> {
    if bytes.starts_with(ZIP_MAGIC) {
        // Entry names are stored uncompressed in local headers and in the
        // central directory, so a byte search is enough.
        return if contains(bytes, b"xl/workbook.xml") {
            Ok(Format::Xlsx)
        } else {
            Err(TabularError::NotSpreadsheet)
        };
    }
    // UTF-16 text (Excel's “Unicode text”) has a BOM: it is text, but not UTF-8.
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(TabularError::BadEncoding);
    }
    const BINARY_MAGICS: &[&[u8]] = &[
        b"%PDF",
        b"\xD0\xCF\x11\xE0", // OLE compound file: legacy .xls/.doc
        b"\x89PNG",
        b"\xFF\xD8\xFF",
        b"GIF8",
        b"\x1F\x8B", // gzip
        b"Rar!",
        b"7z\xBC\xAF",
    ];
    if BINARY_MAGICS.iter().any(|m| bytes.starts_with(m)) {
        return Err(TabularError::NotSpreadsheet);
    }
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    if body
        .iter()
        .any(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C)) || b == 0x7F)
    {
        return Err(TabularError::NotSpreadsheet);
    }
    if std::str::from_utf8(body).is_ok() {
        Ok(Format::Csv)
    } else {
        Err(TabularError::BadEncoding)
    }
}

/// Reads a CSV or XLSX file into rows mapped onto `schema`, within the standard [`Limits`].
///
/// Headers match a column's key, Chinese header or an alias (trimmed,
/// ASCII case-insensitive, a leading/trailing `*` ignored). The header row is
/// the first of the first few non-blank rows that contains a known header, so
/// title rows above it are tolerated. Cell values are trimmed; blank rows are
/// skipped; rows keep their line numbers in the file.
pub fn read(schema: &Schema, bytes: &[u8]) -> Result<Table, TabularError> {
    read_with(schema, bytes, &Limits::STANDARD)
}

/// [`read`] within the given limits: a file over any of them is refused with
/// [`TabularError::TooLarge`] before the work or the memory the limit bounds is spent.
pub fn read_with(schema: &Schema, bytes: &[u8], limits: &Limits) -> Result<Table, TabularError> {
    let grid = match detect(bytes)? {
        Format::Csv => csv_grid(bytes, limits)?,
        Format::Xlsx => xlsx_grid(schema, bytes, limits)?,
    };
    build_table(schema, grid)
}

/// The non-blank rows of a file, sparse: (line number, [(absolute column index, text)]) with
/// only non-empty cells, in column order.
struct Grid {
    rows: Vec<(usize, Vec<(usize, String)>)>,
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Counts the non-empty cells of a file against the limits as they are read.
struct Budget<'a> {
    limits: &'a Limits,
    cells: usize,
    text: usize,
}

impl<'a> Budget<'a> {
    fn new(limits: &'a Limits) -> Self {
        Budget {
            limits,
            cells: 0,
            text: 0,
        }
    }

    /// Admits one non-empty cell at 0-based `row` and `col` holding `len` bytes of text.
    fn admit(&mut self, row: usize, col: usize, len: usize) -> Result<(), TabularError> {
        let l = self.limits;
        if row >= l.max_rows {
            return Err(Exceeded::Rows(l.max_rows).into());
        }
        if col >= l.max_columns {
            return Err(Exceeded::Columns(l.max_columns).into());
        }
        self.cells += 1;
        if self.cells > l.max_cells {
            return Err(Exceeded::Cells(l.max_cells).into());
        }
        self.text += len;
        if self.text > l.max_text_bytes {
            return Err(Exceeded::TextBytes(l.max_text_bytes).into());
        }
        Ok(())
    }
}

fn csv_grid(bytes: &[u8], limits: &Limits) -> Result<Grid, TabularError> {
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let text = std::str::from_utf8(body).map_err(|_| TabularError::BadEncoding)?;
    // Tab-separated text saved with a .csv name is common; sniff the first line.
    let first_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter = if !first_line.contains(',') && first_line.contains('\t') {
        b'\t'
    } else {
        b','
    };
    // First the file is counted against the limits, keeping nothing; only then are its cells
    // kept. A file over a limit costs one pass over its bytes and no memory.
    let mut budget = Budget::new(limits);
    csv_records(text, delimiter, limits, |row, record| {
        for field in record.fields() {
            let (col, value) = field?;
            budget.admit(row - 1, col, value.len())?;
        }
        Ok(())
    })?;
    let mut rows = Vec::new();
    csv_records(text, delimiter, limits, |row, record| {
        let cells = record
            .fields()
            .map(|f| f.map(|(col, value)| (col, value.to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        if !cells.is_empty() {
            rows.push((row, cells));
        }
        Ok(())
    })?;
    Ok(Grid { rows })
}

/// One CSV record as csv-core left it: the fields' bytes end to end, and where each ends.
struct Record<'a> {
    out: &'a [u8],
    ends: &'a [usize],
}

impl Record<'_> {
    /// The non-empty fields, trimmed, with their 0-based column.
    fn fields(&self) -> impl Iterator<Item = Result<(usize, &str), TabularError>> {
        self.ends
            .iter()
            .enumerate()
            .map(|(col, &end)| {
                let from = if col == 0 { 0 } else { self.ends[col - 1] };
                std::str::from_utf8(&self.out[from..end])
                    .map(|f| (col, f.trim()))
                    .map_err(|_| TabularError::BadEncoding)
            })
            .filter(|f| !matches!(f, Ok((_, ""))))
    }
}

/// Calls `each` with every record of `text` and its row number as a spreadsheet shows it: one
/// per record, skipped blank lines included, a quoted field spanning several lines still one
/// row. csv-core reads a record into buffers we own; the field-ends buffer has room for
/// `max_columns` fields and is never grown, so a line of a million commas is refused instead of
/// allocating a million field bounds.
fn csv_records(
    text: &str,
    delimiter: u8,
    limits: &Limits,
    mut each: impl FnMut(usize, Record<'_>) -> Result<(), TabularError>,
) -> Result<(), TabularError> {
    let mut reader = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
    let mut out = vec![0u8; 4096];
    let mut ends = vec![0usize; limits.max_columns];
    let input = text.as_bytes();
    let mut pos = 0;
    // A record starts right after the previous record's first terminator byte; the blank
    // lines before it are the run of line breaks from there.
    let mut prev_row = 0;
    loop {
        let mut start = pos;
        if start > 0 && input.get(start - 1) == Some(&b'\r') && input.get(start) == Some(&b'\n') {
            start += 1; // second half of the previous record's CRLF
        }
        let rest = text.get(start..).unwrap_or("");
        let skipped = &rest[..rest.len() - rest.trim_start_matches(['\r', '\n']).len()];
        let (mut out_len, mut ends_len) = (0, 0);
        loop {
            let (result, read, written, fields) =
                reader.read_record(&input[pos..], &mut out[out_len..], &mut ends[ends_len..]);
            pos += read;
            out_len += written;
            ends_len += fields;
            match result {
                csv_core::ReadRecordResult::InputEmpty => {}
                csv_core::ReadRecordResult::OutputFull => {
                    let len = out.len();
                    out.resize(len * 2, 0);
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    return Err(Exceeded::Columns(limits.max_columns).into());
                }
                csv_core::ReadRecordResult::Record => break,
                csv_core::ReadRecordResult::End => return Ok(()),
            }
        }
        let row = prev_row + 1 + line_breaks(skipped);
        prev_row = row;
        each(
            row,
            Record {
                out: &out[..out_len],
                ends: &ends[..ends_len],
            },
        )?;
    }
}

/// Line breaks in `s`: `\n`, `\r\n` and a lone `\r` each count once.
fn line_breaks(s: &str) -> usize {
    let bytes = s.as_bytes();
    bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count()
}

fn xlsx_error(e: impl std::fmt::Display) -> TabularError {
    TabularError::Xlsx(e.to_string())
}

fn xlsx_grid(schema: &Schema, bytes: &[u8], limits: &Limits) -> Result<Grid, TabularError> {
    crate::unzip::check(bytes, limits)?;
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(xlsx_error)?;
    let names = workbook.sheet_names();
    let sheet = names
        .iter()
        .find(|n| n.trim() == schema.sheet)
        .or_else(|| names.first())
        .cloned()
        .ok_or(TabularError::Empty)?;
    // Cells one by one, never the declared range: a sheet with one cell at A1 and one at
    // XFD1048576 has a range of 17 billion cells.
    let mut reader = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(xlsx_error)?;
    let mut budget = Budget::new(limits);
    let mut cells: Vec<(u32, u32, String)> = Vec::new();
    while let Some(cell) = reader.next_cell().map_err(xlsx_error)? {
        let (row, col) = cell.get_position();
        let text = cell_text(&Data::from(cell.get_value().clone()));
        if !text.is_empty() {
            budget.admit(row as usize, col as usize, text.len())?;
            cells.push((row, col, text));
        }
    }
    // Stream order is row order in files Excel writes, but nothing guarantees it.
    cells.sort_by_key(|&(row, col, _)| (row, col));
    let mut rows: Vec<(usize, Vec<(usize, String)>)> = Vec::new();
    for (row, col, text) in cells {
        let line = row as usize + 1;
        match rows.last_mut() {
            Some((l, cells)) if *l == line => cells.push((col as usize, text)),
            _ => rows.push((line, vec![(col as usize, text)])),
        }
    }
    Ok(Grid { rows })
}

/// Any XLSX cell as trimmed text: integers without “.0”, dates as YYYY-MM-DD.
pub(crate) fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) if dt.is_duration() => {
            let secs = (dt.as_f64() * 86_400.0).round() as i64;
            let sign = if secs < 0 { "-" } else { "" };
            let secs = secs.abs();
            format!(
                "{sign}{}:{:02}:{:02}",
                secs / 3600,
                secs / 60 % 60,
                secs % 60
            )
        }
        Data::DateTime(dt) => {
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            let value = dt.as_f64();
            if value.fract() == 0.0 {
                format!("{y:04}-{mo:02}-{d:02}")
            } else if value < 1.0 {
                format!("{h:02}:{mi:02}:{s:02}")
            } else {
                format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
        Data::Error(e) => e.to_string(),
    }
}

/// A number as Excel shows it by default: integers without a fraction, others
/// rounded to 15 significant digits (so 0.1 + 0.2 reads back as “0.3”).
fn number_text(f: f64) -> String {
    if !f.is_finite() {
        return f.to_string();
    }
    if f.fract() == 0.0 && f.abs() < 1e15 {
        return (f as i64).to_string();
    }
    let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
    rounded.to_string()
}

/// Header normalisation: trimmed, ASCII-lowercased, a required-marker `*`
/// (or full-width `＊`) at either end removed.
fn normalize_header(s: &str) -> String {
    s.trim()
        .trim_matches(|c| c == '*' || c == '＊')
        .trim()
        .to_ascii_lowercase()
}

fn matches_column(column: &Column, normalized: &str) -> bool {
    !normalized.is_empty()
        && (normalize_header(column.key) == normalized
            || normalize_header(column.header) == normalized
            || column
                .aliases
                .iter()
                .any(|a| normalize_header(a) == normalized))
}

fn schema_index(schema: &Schema, header: &str) -> Option<usize> {
    let normalized = normalize_header(header);
    schema
        .columns
        .iter()
        .position(|c| matches_column(c, &normalized))
}

fn build_table(schema: &Schema, grid: Grid) -> Result<Table, TabularError> {
    if grid.rows.is_empty() {
        return Err(TabularError::Empty);
    }
    let header_at = grid
        .rows
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .position(|(_, cells)| cells.iter().any(|(_, c)| schema_index(schema, c).is_some()))
        .unwrap_or(0);
    let (_, headers) = &grid.rows[header_at];

    // (file column, schema column) for every recognised header, in file order.
    let mut mapping: Vec<(usize, usize)> = Vec::new();
    let mut column_letters: Vec<Option<String>> = vec![None; schema.columns.len()];
    let mut ignored_headers = Vec::new();
    for (col, header) in headers {
        match schema_index(schema, header) {
            Some(i) if column_letters[i].is_some() => {
                return Err(TabularError::DuplicateColumn {
                    header: header.clone(),
                });
            }
            Some(i) => {
                mapping.push((*col, i));
                column_letters[i] = Some(column_letter(*col));
            }
            None => ignored_headers.push(header.clone()),
        }
    }

    let missing: Vec<String> = schema
        .columns
        .iter()
        .zip(&column_letters)
        .filter(|(c, letter)| c.required && letter.is_none())
        .map(|(c, _)| c.header.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(TabularError::MissingColumns { names: missing });
    }

    let rows = grid
        .rows
        .into_iter()
        .skip(header_at + 1)
        .map(|(line, file_cells)| {
            let mut cells = vec![String::new(); schema.columns.len()];
            for (col, value) in file_cells {
                if let Some(&(_, i)) = mapping.iter().find(|(c, _)| *c == col) {
                    cells[i] = value;
                }
            }
            Row {
                line,
                cells,
                columns: schema.columns,
            }
        })
        .collect();
    Ok(Table {
        rows,
        ignored_headers,
        column_letters,
    })
}
