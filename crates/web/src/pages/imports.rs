//! What every import page shares: reading the uploaded file and its options, and listing a
//! validation report's problems.

use std::collections::HashSet;

use axum::extract::Multipart;

use crate::error::AppError;
use crate::import::ImportKind;

/// How many problems a result page lists (the rest are summarised by count).
pub const SHOWN_PROBLEMS: usize = 500;

/// An uploaded file and the checkbox options sent with it (e.g. `only_valid`, `replace`).
pub struct Upload {
    pub bytes: Vec<u8>,
    pub flags: HashSet<String>,
    /// The file's name as the browser sent it, if any.
    pub file_name: Option<String>,
}

impl Upload {
    pub fn flag(&self, name: &str) -> bool {
        self.flags.contains(name)
    }
}

/// Reads the `file` field and any other fields as flags; refuses an empty upload, and a file
/// over the kind's size (413) as soon as it is, without reading the rest.
pub async fn read_upload(mp: &mut Multipart, kind: ImportKind) -> Result<Upload, AppError> {
    let mut bytes = Vec::new();
    let mut flags = HashSet::new();
    let mut file_name = None;
    while let Some(mut field) = mp.next_field().await.map_err(upload_error)? {
        match field.name() {
            Some("file") => {
                file_name = field.file_name().map(str::to_string);
                bytes.clear();
                // Past the file's size, the body's limit may stop the stream first: the same
                // refusal either way.
                let too_large = |e: axum::extract::multipart::MultipartError| match upload_error(e)
                {
                    AppError::PayloadTooLarge(_) => crate::import::too_large(kind.max_file),
                    other => other,
                };
                while let Some(chunk) = field.chunk().await.map_err(too_large)? {
                    if bytes.len() + chunk.len() > kind.max_file {
                        return Err(crate::import::too_large(kind.max_file));
                    }
                    bytes.extend_from_slice(&chunk);
                }
            }
            Some(other) => {
                flags.insert(other.to_string());
            }
            None => {}
        }
    }
    if bytes.is_empty() {
        return Err(AppError::invalid("file", "请选择要导入的文件"));
    }
    Ok(Upload {
        bytes,
        flags,
        file_name,
    })
}

/// A multipart error: a body over the route's limit is 413, anything else a broken upload.
pub fn upload_error(e: axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge("上传的内容超过上限".into())
    } else {
        AppError::invalid("file", format!("上传失败：{}", e.body_text()))
    }
}

/// A report's problems as table rows: (row, column, cell, message).
pub fn problem_rows(report: &tabular::Report) -> Vec<(usize, String, String, String)> {
    report
        .problems
        .iter()
        .take(SHOWN_PROBLEMS)
        .map(|p| {
            (
                p.row,
                p.column.clone().unwrap_or_default(),
                p.cell.clone().unwrap_or_default(),
                p.message.clone(),
            )
        })
        .collect()
}

/// Where an import's result page sits: its section (nav key, list path and name) and any
/// further links to offer.
pub struct ResultPlace<'a> {
    pub nav: &'static str,
    pub href: &'a str,
    pub section: &'a str,
    pub links: &'static [(&'static str, &'static str)],
}

#[derive(askama::Template)]
#[template(path = "import_result.html")]
struct ResultPage<'a> {
    layout: super::Layout,
    href: &'a str,
    section: &'a str,
    links: &'static [(&'static str, &'static str)],
    heading: String,
    imported: usize,
    detail: String,
    total_rows: usize,
    valid_rows: usize,
    problems: Vec<(usize, String, String, String)>,
}

/// The result of an import: `success` when rows were imported, else why nothing was (422).
pub fn result_page(
    c: &crate::auth::Caller,
    place: &ResultPlace<'_>,
    heading: String,
    imported: usize,
    success: String,
    report: &tabular::Report,
) -> crate::error::PageResult {
    let detail = if imported > 0 {
        success
    } else if report.total_rows == 0 {
        "文件没有数据行".to_string()
    } else {
        "文件有误，未导入任何数据。请按下表更正后重新上传，或勾选“仅导入校验通过的行”。".to_string()
    };
    let mut resp = super::render(&ResultPage {
        layout: super::Layout::new("导入结果", place.nav, Some(c)),
        href: place.href,
        section: place.section,
        links: place.links,
        heading,
        imported,
        detail,
        total_rows: report.total_rows,
        valid_rows: report.valid_rows,
        problems: problem_rows(report),
    })?;
    if imported == 0 {
        *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}
