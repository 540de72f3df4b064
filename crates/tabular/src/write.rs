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

/// Exports rows (cells in schema column order) under the Chinese headers, as
/// text cells, in a sheet named `schema.sheet`. Missing trailing cells are
/// left empty; cells beyond the schema's columns are ignored.
pub fn export(schema: &Schema, rows: &[Vec<String>]) -> Result<Vec<u8>, TabularError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(schema.sheet).map_err(write_err)?;
    let b = bold();
    let headers: Vec<(&str, &CellFormat)> = schema.columns.iter().map(|c| (c.header, &b)).collect();
    write_headers(sheet, &headers)?;
    let width = schema.columns.len();
    for (i, row) in rows.iter().enumerate() {
        for (j, value) in row.iter().take(width).enumerate() {
            if !value.is_empty() {
                sheet
                    .write_string(i as u32 + 1, j as u16, value)
                    .map_err(write_err)?;
            }
        }
    }
    for (j, column) in schema.columns.iter().enumerate() {
        let sample = rows
            .iter()
            .take(200)
            .filter_map(|r| r.get(j))
            .map(String::as_str);
        sheet
            .set_column_width(
                j as u16,
                width_for(std::iter::once(column.header).chain(sample)),
            )
            .map_err(write_err)?;
    }
    workbook.save_to_buffer().map_err(write_err)
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
