//! Measure 5, supply (专业供给): the import schema of per school, major and year enrolment,
//! graduates and employment, its validation, and the service shared by the pages.
//!
//! - Rows are added or updated by (school, major, year); rows absent from the file are kept.
//! - A school may report only its own rows; 市教委 and operators (`ManageMajors`) any school's.
//! - The major code must be a major of the current catalog (any vocational level).
//! - All or nothing unless `only_valid`.

pub mod api;
pub mod pages;

use std::collections::{BTreeSet, HashMap};

use crate::import::read_table;
use bytes::Bytes;
use domain::orgs::Role;
use domain::{CreditCode, MajorCode};
use serde::Serialize;
use store::accounts::Principal;
use store::supply::{self, NewSupply};
use store::{Actor, Db};
use tabular::{Cell, Column, Problem, Report, Row, Schema};

use crate::auth::access::{Permission, allows};
use crate::error::AppResult;

/// The supply file: one row per school, major and year.
pub const SUPPLY_SCHEMA: Schema = Schema {
    sheet: "专业供给",
    columns: &[
        Column {
            key: "schoolCode",
            header: "学校统一社会信用代码",
            aliases: &["学校代码", "统一社会信用代码"],
            required: true,
            example: "12500000450412345X",
        },
        Column {
            key: "majorCode",
            header: "专业代码",
            aliases: &["代码"],
            required: true,
            example: "510201",
        },
        Column {
            key: "year",
            header: "年份",
            aliases: &["年度"],
            required: true,
            example: "2024",
        },
        Column {
            key: "planned",
            header: "计划招生数",
            aliases: &[],
            required: true,
            example: "120",
        },
        Column {
            key: "actual",
            header: "实际招生数",
            aliases: &[],
            required: true,
            example: "115",
        },
        Column {
            key: "graduates",
            header: "毕业生数",
            aliases: &[],
            required: true,
            example: "108",
        },
        Column {
            key: "employed",
            header: "就业人数",
            aliases: &[],
            required: true,
            example: "100",
        },
        Column {
            key: "matching",
            header: "对口就业人数",
            aliases: &["专业对口就业人数"],
            required: true,
            example: "82",
        },
        Column {
            key: "salary",
            header: "平均起薪（元/月）",
            aliases: &["平均起薪(元/月)", "平均起薪"],
            required: false,
            example: "4500.00（可留空）",
        },
    ],
};

pub const MIN_YEAR: i64 = 2015;
pub const MAX_YEAR: i64 = 2100;

/// Whose rows a principal may import: `Some(None)` any school's, `Some(Some(id))` only its own
/// school's, `None` none (and may not see the supply pages).
pub fn scope(p: &Principal) -> Option<Option<i64>> {
    if allows(p, Permission::ManageMajors) {
        Some(None)
    } else if Role::parse(&p.role) == Some(Role::School) {
        Some(Some(p.org_id))
    } else {
        None
    }
}

/// A row as the file gives it, typed; the school is still a credit code.
struct Parsed {
    school_code: String,
    major_code: String,
    year: i64,
    counts: [i64; 5],
    salary_fen: Option<i64>,
}

const COUNT_KEYS: [(&str, &str); 5] = [
    ("planned", "计划招生数"),
    ("actual", "实际招生数"),
    ("graduates", "毕业生数"),
    ("employed", "就业人数"),
    ("matching", "对口就业人数"),
];

fn count(row: &Row, key: &'static str, label: &str) -> Result<i64, (&'static str, String)> {
    let raw = row.get(key).trim();
    if raw.is_empty() {
        return Err((key, format!("{label}不能为空")));
    }
    // Spreadsheets may write whole numbers as `12.0`.
    let raw = raw.strip_suffix(".0").unwrap_or(raw);
    match raw.parse::<i64>() {
        Ok(n) if n < 0 => Err((key, format!("{label}不能为负数，实为{n}"))),
        Ok(n) if n > 1_000_000 => Err((key, format!("{label}“{n}”过大"))),
        Ok(n) => Ok(n),
        Err(_) => Err((key, format!("{label}“{raw}”应为非负整数"))),
    }
}

fn check_row(row: &Row) -> Result<Parsed, Vec<(&'static str, String)>> {
    let mut errs = Vec::new();
    let school_code = match CreditCode::parse(row.get("schoolCode").trim()) {
        Ok(c) => c.as_str().to_string(),
        Err(e) => {
            errs.push(("schoolCode", e.to_string()));
            String::new()
        }
    };
    let major_code = match MajorCode::parse(row.get("majorCode")) {
        Ok(c) => c.as_str().to_string(),
        Err(e) => {
            errs.push((
                "majorCode",
                format!("专业代码“{}”格式无效：{e}", row.get("majorCode").trim()),
            ));
            String::new()
        }
    };
    let raw_year = row.get("year").trim();
    let year = match raw_year.parse::<i64>() {
        Ok(y) if (MIN_YEAR..=MAX_YEAR).contains(&y) => y,
        _ => {
            errs.push((
                "year",
                format!("年份“{raw_year}”无效，应为{MIN_YEAR}至{MAX_YEAR}之间的四位年份"),
            ));
            0
        }
    };
    let mut counts = [None; 5];
    for (i, (key, label)) in COUNT_KEYS.iter().enumerate() {
        match count(row, key, label) {
            Ok(n) => counts[i] = Some(n),
            Err(e) => errs.push(e),
        }
    }
    let [_, actual, graduates, employed, matching] = counts;
    if let (Some(a), Some(g)) = (actual, graduates)
        && g > a
    {
        errs.push((
            "graduates",
            format!("毕业生数（{g}）不能多于实际招生数（{a}）"),
        ));
    }
    if let (Some(g), Some(e)) = (graduates, employed)
        && e > g
    {
        errs.push((
            "employed",
            format!("就业人数（{e}）不能多于毕业生数（{g}）"),
        ));
    }
    if let (Some(e), Some(m)) = (employed, matching)
        && m > e
    {
        errs.push((
            "matching",
            format!("对口就业人数（{m}）不能多于就业人数（{e}）"),
        ));
    }
    let raw_salary = row.get("salary").trim();
    let salary_fen = if raw_salary.is_empty() {
        None
    } else {
        match policy::money::parse_yuan(raw_salary) {
            Ok(f) if f > 100_000_000 => {
                errs.push(("salary", format!("平均起薪“{raw_salary}”过大")));
                None
            }
            Ok(f) => Some(f),
            Err(e) => {
                errs.push(("salary", format!("平均起薪{e}")));
                None
            }
        }
    };
    if !errs.is_empty() {
        return Err(errs);
    }
    let c = counts.map(Option::unwrap_or_default);
    Ok(Parsed {
        school_code,
        major_code,
        year,
        counts: c,
        salary_fen,
    })
}

/// What an import did, or would do.
#[derive(Debug, Serialize)]
pub struct SupplyOutcome {
    pub imported: usize,
    /// Years and school org ids written.
    pub years: Vec<i64>,
    pub schools: Vec<i64>,
    pub report: Report,
}

/// Validates a supply file and adds or updates its rows: all rows or none, unless
/// `only_valid`. `only_school` restricts the rows to one school (a school's own upload).
pub async fn import(
    db: &Db,
    actor: &Actor,
    bytes: impl Into<Bytes>,
    only_school: Option<i64>,
    only_valid: bool,
) -> AppResult<SupplyOutcome> {
    let table = read_table(&SUPPLY_SCHEMA, bytes.into(), crate::import::SUPPLY).await?;
    let (valid, mut report) = tabular::validate(
        &SUPPLY_SCHEMA,
        &table,
        &["schoolCode", "majorCode", "year"],
        check_row,
    );
    let schools = supply::schools(db).await?;
    let majors = supply::current_major_codes(db).await?;
    let mut rows = Vec::with_capacity(valid.len());
    // Duplicates after normalisation (`520101k` and `520101K`), which `validate` cannot see.
    let mut seen: HashMap<(String, String, i64), usize> = HashMap::new();
    for (line, p) in valid {
        if let Some(first) = seen.get(&(p.school_code.clone(), p.major_code.clone(), p.year)) {
            report.problems.push(Problem::at(
                &SUPPLY_SCHEMA,
                &table,
                line,
                "schoolCode",
                format!("与第{first}行重复"),
            ));
            continue;
        }
        seen.insert((p.school_code.clone(), p.major_code.clone(), p.year), line);
        let mut ok = true;
        let school = schools.get(&p.school_code).map(|(id, _)| *id);
        match school {
            None => {
                report.problems.push(Problem::at(
                    &SUPPLY_SCHEMA,
                    &table,
                    line,
                    "schoolCode",
                    format!("学校“{}”未在平台登记为院校", p.school_code),
                ));
                ok = false;
            }
            Some(id) if only_school.is_some_and(|own| own != id) => {
                report.problems.push(Problem::at(
                    &SUPPLY_SCHEMA,
                    &table,
                    line,
                    "schoolCode",
                    "只能填报本校数据".to_string(),
                ));
                ok = false;
            }
            Some(_) => {}
        }
        if !majors.contains(&p.major_code) {
            report.problems.push(Problem::at(
                &SUPPLY_SCHEMA,
                &table,
                line,
                "majorCode",
                format!("专业代码“{}”不在当前专业目录中", p.major_code),
            ));
            ok = false;
        }
        if let (true, Some(id)) = (ok, school) {
            let [planned, actual, graduates, employed, matching] = p.counts;
            rows.push(NewSupply {
                school_org_id: id,
                major_code: p.major_code,
                year: p.year,
                planned_enrolment: planned,
                actual_enrolment: actual,
                graduates,
                employed,
                employed_matching: matching,
                avg_salary_fen: p.salary_fen,
            });
        }
    }
    report.problems.sort_by_key(|p| p.row);
    report.valid_rows = rows.len();
    if (!report.is_clean() && !only_valid) || rows.is_empty() {
        return Ok(SupplyOutcome {
            imported: 0,
            years: Vec::new(),
            schools: Vec::new(),
            report,
        });
    }
    let mut tx = db.begin().await?;
    let imported = supply::import(&mut tx, actor, &rows).await?;
    tx.commit().await?;
    let years: BTreeSet<i64> = rows.iter().map(|r| r.year).collect();
    let schools: BTreeSet<i64> = rows.iter().map(|r| r.school_org_id).collect();
    Ok(SupplyOutcome {
        imported,
        years: years.into_iter().collect(),
        schools: schools.into_iter().collect(),
        report,
    })
}

/// Fen as the file writes yuan: `4500.00`.
pub fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// A stored row as a file row, in schema order (re-importable): codes as text, the year and
/// counts as numbers, the salary as yuan.
pub fn export_row(s: &supply::Supply) -> Vec<Cell> {
    vec![
        Cell::text(&s.school_code),
        Cell::text(&s.major_code),
        Cell::Year(s.year),
        Cell::Count(s.planned_enrolment),
        Cell::Count(s.actual_enrolment),
        Cell::Count(s.graduates),
        Cell::Count(s.employed),
        Cell::Count(s.employed_matching),
        Cell::fen(s.avg_salary_fen),
    ]
}
