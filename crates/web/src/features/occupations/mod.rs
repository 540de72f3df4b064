//! Measure 5, occupations and the major→occupation crosswalk (职业面向): the occupation code,
//! the two import schemas with their validation, and the services shared by the pages, the API
//! and `chanjiao import occupations|crosswalk`.
//!
//! - Occupations import adds or updates by code; codes absent from the file are kept.
//! - Crosswalk import replaces, for each major the file names, that major's occupations with the
//!   file's rows; majors the file does not name are untouched. The crosswalk refers to majors by
//!   education level and code and applies to the current catalog: a major must be in it.
//! - Both are all or nothing unless `only_valid` (then a named major gets its valid rows).

pub mod api;
pub mod pages;

use std::collections::{BTreeMap, HashSet};

use crate::import::read_table;
use bytes::Bytes;
use domain::MajorCode;
use serde::Serialize;
use store::occupations::{self as occ, MajorOccupation, NewOccupation};
use store::{Actor, Db};
use tabular::{Column, Problem, Report, Row, Schema};

use crate::error::{AppError, AppResult};
use crate::features::majors::{LEVELS, level_label};

/// Levels of the occupational classification, by number of code segments; the code itself and
/// the hyphens it may be written with (`domain::ids`).
pub use domain::ids::{OCCUPATION_HYPHENS as HYPHENS, OCCUPATION_LEVELS, OccupationCode};

pub fn occupation_level_label(code: &str) -> &'static str {
    OCCUPATION_LEVELS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("—")
}

/// A regular expression (JSON Schema dialect) of what [`OccupationCode::parse`] accepts.
pub fn code_pattern() -> String {
    let b = domain::text::blank_class();
    let h: String = HYPHENS.iter().collect();
    format!("^{b}*[1-8](?:[{h}][0-9]{{2}}){{0,3}}{b}*$")
}

/// A regular expression (JSON Schema dialect) of an occupation's own code (`4-04-05-01`, not a
/// group's), as an application's occupation field accepts it.
pub fn occupation_pattern() -> String {
    let b = domain::text::blank_class();
    let h: String = HYPHENS.iter().collect();
    format!("^{b}*[1-8](?:[{h}][0-9]{{2}}){{3}}{b}*$")
}

fn parse_occupation_level(s: &str) -> Option<&'static str> {
    let s = s.trim();
    OCCUPATION_LEVELS
        .iter()
        .find(|(c, l)| c.eq_ignore_ascii_case(s) || *l == s || (*c == "OCCUPATION" && s == "细类"))
        .map(|(c, _)| *c)
}

/// An education level as files and paths write it (code or Chinese name).
pub fn parse_level(s: &str) -> Option<&'static str> {
    let s = s.trim();
    LEVELS
        .iter()
        .find(|(c, l)| c.eq_ignore_ascii_case(s) || *l == s)
        .map(|(c, _)| *c)
}

/// The occupations file.
pub const OCCUPATION_SCHEMA: Schema = Schema {
    sheet: "职业分类",
    columns: &[
        Column {
            key: "code",
            header: "职业代码",
            aliases: &["代码", "职业编码"],
            required: true,
            example: "4-04-05-01",
        },
        Column {
            key: "name",
            header: "职业名称",
            aliases: &["名称"],
            required: true,
            example: "计算机程序设计员",
        },
        Column {
            key: "level",
            header: "层级",
            aliases: &["职业层级"],
            required: false,
            example: "大类、中类、小类或职业（可留空，按代码段数判断）",
        },
        Column {
            key: "parentCode",
            header: "上级代码",
            aliases: &[],
            required: false,
            example: "4-04-05",
        },
        Column {
            key: "description",
            header: "职业描述",
            aliases: &["描述", "定义"],
            required: false,
            example: "使用计算机语言进行程序设计、编码和调试的人员",
        },
    ],
};

/// The crosswalk file: one row per (major, occupation) pair.
pub const CROSSWALK_SCHEMA: Schema = Schema {
    sheet: "职业面向",
    columns: &[
        Column {
            key: "educationLevel",
            header: "教育层次",
            aliases: &["层次"],
            required: true,
            example: "VOCATIONAL_ASSOCIATE（或 中职、高职专科、职业本科）",
        },
        Column {
            key: "majorCode",
            header: "专业代码",
            aliases: &["代码"],
            required: true,
            example: "510201",
        },
        Column {
            key: "occupationCode",
            header: "职业代码",
            aliases: &[],
            required: true,
            example: "4-04-05-01",
        },
        Column {
            key: "note",
            header: "备注",
            aliases: &[],
            required: false,
            example: "",
        },
    ],
};

fn check_occupation(row: &Row) -> Result<NewOccupation, Vec<(&'static str, String)>> {
    let mut errs = Vec::new();
    let code = match OccupationCode::parse(row.get("code")) {
        Ok(c) => Some(c),
        Err(e) => {
            errs.push(("code", e.to_string()));
            None
        }
    };
    let name = row.get("name").trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        errs.push(("name", "职业名称不能为空且不超过100个字".to_string()));
    }
    let raw_level = row.get("level").trim();
    let level = if raw_level.is_empty() {
        code.as_ref().map(OccupationCode::level)
    } else {
        match parse_occupation_level(raw_level) {
            None => {
                errs.push((
                    "level",
                    format!("层级“{raw_level}”无效，应为大类、中类、小类或职业"),
                ));
                None
            }
            Some(l) => {
                if let Some(c) = &code
                    && c.level() != l
                {
                    errs.push((
                        "level",
                        format!(
                            "层级“{raw_level}”与代码“{}”不符，该代码为{}",
                            c.as_str(),
                            occupation_level_label(c.level())
                        ),
                    ));
                }
                Some(l)
            }
        }
    };
    let parent = row.get("parentCode").trim();
    if let Some(c) = &code
        && !parent.is_empty()
        && c.parent().as_deref() != Some(parent)
    {
        errs.push((
            "parentCode",
            match c.parent() {
                Some(p) => format!("上级代码应为“{p}”"),
                None => "大类没有上级代码".to_string(),
            },
        ));
    }
    let description = row.get("description").trim().to_string();
    if description.chars().count() > 2000 {
        errs.push(("description", "职业描述不超过2000个字".to_string()));
    }
    match (code, level) {
        (Some(c), Some(l)) if errs.is_empty() => Ok(NewOccupation {
            parent_code: c.parent(),
            code: c.as_str().to_string(),
            name,
            level: l.to_string(),
            description: (!description.is_empty()).then_some(description),
        }),
        _ => Err(errs),
    }
}

/// A major's (occupation code, note) pairs, keyed by (education level, major code).
type ByMajor = BTreeMap<(String, String), Vec<(String, Option<String>)>>;

/// A validated crosswalk row: (education level, major code, occupation code, note).
type Pair = (String, String, String, Option<String>);

fn check_pair(row: &Row) -> Result<Pair, Vec<(&'static str, String)>> {
    let mut errs = Vec::new();
    let level = parse_level(row.get("educationLevel"));
    if level.is_none() {
        errs.push((
            "educationLevel",
            format!(
                "教育层次“{}”无效，应为中职、高职专科或职业本科",
                row.get("educationLevel").trim()
            ),
        ));
    }
    let major = match MajorCode::parse(row.get("majorCode").trim()) {
        Ok(c) => c.as_str().to_string(),
        Err(e) => {
            errs.push(("majorCode", e.to_string()));
            String::new()
        }
    };
    let occupation = match OccupationCode::parse(row.get("occupationCode")) {
        Ok(c) => c.as_str().to_string(),
        Err(e) => {
            errs.push(("occupationCode", e.to_string()));
            String::new()
        }
    };
    let note = row.get("note").trim().to_string();
    if note.chars().count() > 200 {
        errs.push(("note", "备注不超过200个字".to_string()));
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok((
        level.unwrap_or_default().to_string(),
        major,
        occupation,
        (!note.is_empty()).then_some(note),
    ))
}

/// What an occupations import did, or would do.
#[derive(Debug, Serialize)]
pub struct OccupationOutcome {
    pub imported: usize,
    pub added: usize,
    pub updated: usize,
    pub report: Report,
}

/// Validates an occupations file and adds or updates its rows by code: all rows or none,
/// unless `only_valid`.
pub async fn import_occupations(
    db: &Db,
    actor: &Actor,
    bytes: impl Into<Bytes>,
    only_valid: bool,
) -> AppResult<OccupationOutcome> {
    let table = read_table(&OCCUPATION_SCHEMA, bytes.into(), crate::import::OCCUPATIONS).await?;
    let (valid, mut report) =
        tabular::validate(&OCCUPATION_SCHEMA, &table, &["code"], check_occupation);
    let rows: Vec<NewOccupation> = valid.into_iter().map(|(_, o)| o).collect();
    report.valid_rows = rows.len();
    if (!report.is_clean() && !only_valid) || rows.is_empty() {
        return Ok(OccupationOutcome {
            imported: 0,
            added: 0,
            updated: 0,
            report,
        });
    }
    let mut tx = db.begin().await?;
    let (added, updated) = occ::import(&mut tx, actor, &rows).await?;
    tx.commit().await?;
    Ok(OccupationOutcome {
        imported: rows.len(),
        added,
        updated,
        report,
    })
}

/// What a crosswalk import did, or would do.
#[derive(Debug, Serialize)]
pub struct CrosswalkOutcome {
    /// Pairs written.
    pub imported: usize,
    /// Majors whose occupations were replaced.
    pub majors: usize,
    /// Of those, majors whose occupations actually changed.
    pub changed: usize,
    pub report: Report,
}

/// Validates a crosswalk file and replaces the occupations of each major it names: all rows
/// or none, unless `only_valid`. Unknown majors (not in the current catalog) and unknown
/// occupation codes are problems of their row and column.
pub async fn import_crosswalk(
    db: &Db,
    actor: &Actor,
    bytes: impl Into<Bytes>,
    only_valid: bool,
) -> AppResult<CrosswalkOutcome> {
    let table = read_table(&CROSSWALK_SCHEMA, bytes.into(), crate::import::OCCUPATIONS).await?;
    let (valid, mut report) = tabular::validate(
        &CROSSWALK_SCHEMA,
        &table,
        &["educationLevel", "majorCode", "occupationCode"],
        check_pair,
    );
    let majors = occ::current_majors(db).await?;
    let codes = occ::codes(db).await?;
    let mut by_major = ByMajor::new();
    let mut kept = 0;
    for (line, (level, major, occupation, note)) in valid {
        let mut ok = true;
        if !majors.contains(&(level.clone(), major.clone())) {
            report.problems.push(Problem::at(
                &CROSSWALK_SCHEMA,
                &table,
                line,
                "majorCode",
                format!("专业“{major}”（{}）不在当前专业目录中", level_label(&level)),
            ));
            ok = false;
        }
        if !codes.contains(&occupation) {
            report.problems.push(Problem::at(
                &CROSSWALK_SCHEMA,
                &table,
                line,
                "occupationCode",
                format!("职业代码“{occupation}”不在职业分类中，请先导入职业"),
            ));
            ok = false;
        }
        if ok {
            kept += 1;
            by_major
                .entry((level, major))
                .or_default()
                .push((occupation, note));
        }
    }
    report.problems.sort_by_key(|p| p.row);
    report.valid_rows = kept;
    if (!report.is_clean() && !only_valid) || kept == 0 {
        return Ok(CrosswalkOutcome {
            imported: 0,
            majors: 0,
            changed: 0,
            report,
        });
    }
    let mut tx = db.begin().await?;
    let mut changed = 0;
    for ((level, major), pairs) in &by_major {
        if occ::set_for_major(&mut tx, actor, level, major, pairs).await? {
            changed += 1;
        }
    }
    tx.commit().await?;
    Ok(CrosswalkOutcome {
        imported: kept,
        majors: by_major.len(),
        changed,
        report,
    })
}

/// The (level, code) of a major of the current catalog named in a path; 404 otherwise.
pub async fn find_major(db: &Db, level: &str, code: &str) -> AppResult<store::majors::Major> {
    let level = parse_level(level).ok_or(AppError::NotFound("专业"))?;
    let code = MajorCode::parse(code.trim()).map_err(|_| AppError::NotFound("专业"))?;
    occ::current_major(db, level, code.as_str())
        .await?
        .ok_or(AppError::NotFound("专业"))
}

/// Checks an occupation code as a request gives it: well formed and known (422 naming it).
pub async fn known_occupation(db: &Db, field: &str, code: &str) -> AppResult<String> {
    let c = OccupationCode::parse(code).map_err(|e| AppError::invalid(field, e.to_string()))?;
    match occ::get(db, c.as_str()).await? {
        Some(o) => Ok(o.code),
        None => Err(AppError::invalid(
            field,
            format!("职业代码“{}”不在职业分类中", c.as_str()),
        )),
    }
}

/// Replaces a major's occupations with `codes`, keeping the notes of codes it already had.
pub async fn set_major_occupations(
    db: &Db,
    actor: &Actor,
    major: &store::majors::Major,
    codes: &[String],
) -> AppResult<Vec<MajorOccupation>> {
    let known = occ::codes(db).await?;
    let mut seen = HashSet::new();
    let mut wanted = Vec::new();
    for raw in codes {
        let c = OccupationCode::parse(raw)
            .map_err(|e| AppError::invalid("occupations", e.to_string()))?;
        if !known.contains(c.as_str()) {
            return Err(AppError::invalid(
                "occupations",
                format!("职业代码“{}”不在职业分类中", c.as_str()),
            ));
        }
        if seen.insert(c.as_str().to_string()) {
            wanted.push(c.as_str().to_string());
        }
    }
    let current = occ::for_major(db, &major.level, &major.code).await?;
    let pairs: Vec<(String, Option<String>)> = wanted
        .into_iter()
        .map(|c| {
            let note = current
                .iter()
                .find(|m| m.occupation_code == c)
                .and_then(|m| m.note.clone());
            (c, note)
        })
        .collect();
    let mut tx = db.begin().await?;
    occ::set_for_major(&mut tx, actor, &major.level, &major.code, &pairs).await?;
    tx.commit().await?;
    Ok(occ::for_major(db, &major.level, &major.code).await?)
}
