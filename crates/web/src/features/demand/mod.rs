//! Measure 5, demand (岗位需求): the import schema of job postings and enterprise demand
//! records, their validation, the matching of free-text titles to occupations, and the
//! confirmation queue — shared by the pages, the API and `chanjiao import demand`.
//!
//! - A row gives an occupation code, or a job title, or both (the code wins).
//! - A title a person has confirmed before takes that answer. Otherwise the title matcher
//!   (jieba segmentation + BM25 over occupation names and descriptions) proposes its best
//!   occupation: at or above the dated parameter `majors.match_confidence_min` the row counts
//!   under it (`auto`); below, it waits in the confirmation queue (`pending`) with the proposal.
//! - All or nothing unless `only_valid`. Rows are added; a file imported twice counts twice,
//!   as two batches of postings would.

pub mod api;
pub mod pages;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::import::read_table;
use analytics::matcher::{Candidate, Matcher, OccupationDoc};
use bytes::Bytes;
use domain::orgs::IndustryCode;
use serde::Serialize;
use store::demand::{self, NewPosting, status};
use store::{Actor, Db};
use tabular::{Cell, Column, Problem, Report, Row, Schema};

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::features::occupations::OccupationCode;

pub const DEMAND_SCHEMA: Schema = Schema {
    sheet: "岗位需求",
    columns: &[
        Column {
            key: "district",
            header: "区县",
            aliases: &["区县代码", "区县名称"],
            required: true,
            example: "渝北区（或 500112）",
        },
        Column {
            key: "industry",
            header: "行业代码",
            aliases: &["国民经济行业代码"],
            required: false,
            example: "C3612（GB/T 4754-2017，可留空）",
        },
        Column {
            key: "occupation",
            header: "职业代码",
            aliases: &[],
            required: false,
            example: "6-22-01-01（可留空，留空时按岗位名称匹配）",
        },
        Column {
            key: "title",
            header: "岗位名称",
            aliases: &["职位名称", "岗位"],
            required: false,
            example: "汽车装配工",
        },
        Column {
            key: "count",
            header: "需求人数",
            aliases: &["招聘人数"],
            required: true,
            example: "5",
        },
        Column {
            key: "date",
            header: "发布日期",
            aliases: &["日期"],
            required: true,
            example: "2025-03-18",
        },
        Column {
            key: "salaryMin",
            header: "最低月薪（元）",
            aliases: &["最低月薪"],
            required: false,
            example: "4500（可留空）",
        },
        Column {
            key: "salaryMax",
            header: "最高月薪（元）",
            aliases: &["最高月薪"],
            required: false,
            example: "6500（可留空）",
        },
        Column {
            key: "enterprise",
            header: "企业统一社会信用代码",
            aliases: &["企业代码"],
            required: false,
            example: "91500000MA5U1234XY（企业需求填写，可留空）",
        },
    ],
};

/// Titles as matched and remembered: trimmed, inner whitespace collapsed, at most 100 chars.
/// Posting titles a person confirms: 1 to [`TITLE_MAX`] characters after trimming.
pub const TITLE: domain::text::Bounds = domain::text::Bounds::new(1, TITLE_MAX);

/// Titles are kept (and matched) to this many characters.
pub const TITLE_MAX: usize = 100;

pub fn normalise_title(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(TITLE_MAX)
        .collect()
}

struct Parsed {
    district: String,
    industry: String,
    occupation: Option<String>,
    title: String,
    count: i64,
    date: String,
    year: i64,
    salary: (Option<i64>, Option<i64>),
    enterprise: Option<String>,
}

fn salary(
    row: &Row,
    key: &'static str,
    label: &str,
) -> Result<Option<i64>, (&'static str, String)> {
    let raw = row.get(key).trim();
    if raw.is_empty() {
        return Ok(None);
    }
    match policy::money::parse_yuan(raw) {
        Ok(f) if f > 100_000_000 => Err((key, format!("{label}“{raw}”过大"))),
        Ok(f) => Ok(Some(f)),
        Err(e) => Err((key, format!("{label}{e}"))),
    }
}

fn check_row(row: &Row) -> Result<Parsed, Vec<(&'static str, String)>> {
    let mut errs = Vec::new();
    let raw = row.get("district").trim();
    let district = domain::reference::area(raw)
        .or_else(|| domain::reference::area_by_name(raw))
        .map(|a| a.code.to_string());
    if district.is_none() {
        errs.push((
            "district",
            if raw.is_empty() {
                "区县不能为空".to_string()
            } else {
                format!("“{raw}”不是重庆市的区县（可填名称或6位代码）")
            },
        ));
    }
    let raw = row.get("industry").trim();
    let industry = if raw.is_empty() {
        String::new()
    } else {
        match IndustryCode::parse(raw) {
            Ok(c) => c.as_str().to_string(),
            Err(e) => {
                errs.push(("industry", format!("行业代码“{raw}”无效：{e}")));
                String::new()
            }
        }
    };
    let raw = row.get("occupation").trim();
    let occupation = if raw.is_empty() {
        None
    } else {
        match OccupationCode::parse(raw) {
            Ok(c) if c.level() == "OCCUPATION" => Some(c.as_str().to_string()),
            Ok(c) => {
                errs.push((
                    "occupation",
                    format!(
                        "“{}”是职业分类的上级类别，应填到具体职业（4段代码）",
                        c.as_str()
                    ),
                ));
                None
            }
            Err(e) => {
                errs.push(("occupation", e.to_string()));
                None
            }
        }
    };
    let title = normalise_title(row.get("title"));
    if title.is_empty() && raw.is_empty() {
        errs.push(("title", "职业代码和岗位名称不能都为空".to_string()));
    }
    let raw = row.get("count").trim();
    let raw_n = raw.strip_suffix(".0").unwrap_or(raw);
    let count = match raw_n.parse::<i64>() {
        Ok(n) if n <= 0 => {
            errs.push(("count", format!("需求人数应为正整数，实为{n}")));
            0
        }
        Ok(n) if n > 100_000 => {
            errs.push(("count", format!("需求人数“{n}”过大")));
            0
        }
        Ok(n) => n,
        Err(_) => {
            errs.push((
                "count",
                if raw.is_empty() {
                    "需求人数不能为空".to_string()
                } else {
                    format!("需求人数“{raw}”应为正整数")
                },
            ));
            0
        }
    };
    let raw = row.get("date").trim();
    let date = match chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(d) if (2000..=2100).contains(&chrono::Datelike::year(&d)) => Some(d),
        _ => {
            errs.push((
                "date",
                format!("发布日期“{raw}”无效，应为 YYYY-MM-DD 格式的日期"),
            ));
            None
        }
    };
    let min = salary(row, "salaryMin", "最低月薪")
        .map_err(|e| errs.push(e))
        .ok();
    let max = salary(row, "salaryMax", "最高月薪")
        .map_err(|e| errs.push(e))
        .ok();
    let (min, max) = (min.flatten(), max.flatten());
    if let (Some(a), Some(b)) = (min, max)
        && a > b
    {
        errs.push(("salaryMax", "最高月薪不能低于最低月薪".to_string()));
    }
    let raw = row.get("enterprise").trim();
    let enterprise = if raw.is_empty() {
        None
    } else {
        match domain::CreditCode::parse(raw) {
            Ok(c) => Some(c.as_str().to_string()),
            Err(e) => {
                errs.push(("enterprise", e.to_string()));
                None
            }
        }
    };
    if !errs.is_empty() {
        return Err(errs);
    }
    let date = date.expect("checked");
    Ok(Parsed {
        district: district.expect("checked"),
        industry,
        occupation,
        title,
        count,
        date: date.format("%Y-%m-%d").to_string(),
        year: chrono::Datelike::year(&date) as i64,
        salary: (min, max),
        enterprise,
    })
}

/// The matcher over the stored occupations, built when first needed and rebuilt when the
/// occupations change (building loads the segmentation dictionary: about a second).
#[derive(Clone, Default)]
pub struct MatcherCache {
    inner: crate::features::alignment::Stamped<Matcher>,
}

impl MatcherCache {
    pub async fn get(&self, db: &Db) -> AppResult<Arc<Matcher>> {
        let stamp = store::occupations::stamp(db).await?;
        let mut guard = self.inner.lock().await;
        if let Some((s, m)) = guard.as_ref()
            && *s == stamp
        {
            return Ok(m.clone());
        }
        let docs: Vec<OccupationDoc> = store::occupations::documents(db)
            .await?
            .into_iter()
            .map(|(code, name, description)| OccupationDoc {
                code,
                name,
                description: description.unwrap_or_default(),
            })
            .collect();
        let m = crate::heavy::run(move || Arc::new(Matcher::new(&docs))).await?;
        *guard = Some((stamp, m.clone()));
        Ok(m)
    }
}

/// The confidence threshold in force today, in parts per million, and the parameter's source.
pub fn threshold(state: &AppState) -> AppResult<(i64, policy::params::Used)> {
    let (rate, used) = state
        .params
        .rate(
            "majors.match_confidence_min",
            domain::calendar::today_shanghai(),
        )
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((rate.ppm(), used))
}

/// Confidence as parts per million.
pub fn ppm(c: &Candidate) -> i64 {
    (c.confidence.clamp(0.0, 1.0) * 1_000_000.0).round() as i64
}

/// Checks every row, and refuses a row repeating an earlier one in every cell (optional cells
/// included, which `validate`'s key check skips when empty).
fn validate(table: &tabular::Table) -> (Vec<(usize, Parsed)>, Report) {
    let (valid, mut report) = tabular::validate(&DEMAND_SCHEMA, table, &[], check_row);
    let mut first_seen: HashMap<&[String], usize> = HashMap::new();
    let mut duplicates: HashSet<usize> = HashSet::new();
    for row in &table.rows {
        match first_seen.get(row.cells()) {
            Some(first) => {
                duplicates.insert(row.line());
                report.problems.push(Problem::at(
                    &DEMAND_SCHEMA,
                    table,
                    row.line(),
                    "district",
                    format!("与第{first}行重复"),
                ));
            }
            None => {
                first_seen.insert(row.cells(), row.line());
            }
        }
    }
    let valid = valid
        .into_iter()
        .filter(|(line, _)| !duplicates.contains(line))
        .collect();
    (valid, report)
}

/// What an import did, or would do.
#[derive(Debug, Serialize)]
pub struct DemandOutcome {
    pub imported: usize,
    /// Rows by how their occupation was decided (`given`, `auto`, `pending`, `unmatched`).
    pub by_status: Vec<(String, usize)>,
    pub report: Report,
}

/// Validates a demand file, matches its titles and adds its rows: all or none, unless
/// `only_valid`.
pub async fn import(
    state: &AppState,
    actor: &Actor,
    file_name: &str,
    bytes: impl Into<Bytes>,
    only_valid: bool,
) -> AppResult<DemandOutcome> {
    let db = &state.db;
    let table = read_table(&DEMAND_SCHEMA, bytes.into(), crate::import::DEMAND).await?;
    // Up to a million rows: validated on the heavy-work pool, not on the async workers.
    let (table, valid, mut report) = crate::heavy::run(move || {
        let (valid, report) = validate(&table);
        (table, valid, report)
    })
    .await?;
    let known = store::occupations::codes(db).await?;
    let enterprises: HashSet<String> = valid
        .iter()
        .filter_map(|(_, p)| p.enterprise.clone())
        .collect();
    let enterprise_ids = store::orgs::ids_by_codes(db, &enterprises, "enterprise").await?;
    let mut rows: Vec<NewPosting> = Vec::with_capacity(valid.len());
    for (line, p) in valid {
        let mut ok = true;
        if let Some(c) = &p.occupation
            && !known.contains(c)
        {
            report.problems.push(Problem::at(
                &DEMAND_SCHEMA,
                &table,
                line,
                "occupation",
                format!("职业代码“{c}”不在平台的职业分类中"),
            ));
            ok = false;
        }
        let org_id = match &p.enterprise {
            None => None,
            Some(code) => match enterprise_ids.get(code) {
                Some(id) => Some(*id),
                None => {
                    report.problems.push(Problem::at(
                        &DEMAND_SCHEMA,
                        &table,
                        line,
                        "enterprise",
                        format!("企业“{code}”未在平台登记"),
                    ));
                    ok = false;
                    None
                }
            },
        };
        if !ok {
            continue;
        }
        rows.push(NewPosting {
            source: if org_id.is_some() {
                "enterprise"
            } else {
                "posting"
            },
            org_id,
            district: p.district,
            industry_code: p.industry,
            match_status: if p.occupation.is_some() {
                status::GIVEN
            } else {
                status::PENDING
            },
            occupation_code: p.occupation,
            title: p.title,
            match_confidence: None,
            suggested_code: None,
            count: p.count,
            posted_on: p.date,
            year: p.year,
            salary_min_fen: p.salary.0,
            salary_max_fen: p.salary.1,
        });
    }
    report.problems.sort_by_key(|p| p.row);
    report.valid_rows = rows.len();
    if (!report.is_clean() && !only_valid) || rows.is_empty() {
        return Ok(DemandOutcome {
            imported: 0,
            by_status: Vec::new(),
            report,
        });
    }
    match_titles(state, &mut rows).await?;
    let mut tx = db.begin().await?;
    let imported = demand::import(&mut tx, actor, file_name, &rows).await?;
    tx.commit().await?;
    let mut by_status: HashMap<&str, usize> = HashMap::new();
    for r in &rows {
        *by_status.entry(r.match_status).or_default() += 1;
    }
    let mut by_status: Vec<(String, usize)> = by_status
        .into_iter()
        .map(|(s, n)| (s.to_string(), n))
        .collect();
    by_status.sort();
    Ok(DemandOutcome {
        imported,
        by_status,
        report,
    })
}

/// Decides the occupation of every row without one (see [`match_rows`]).
async fn match_titles(state: &AppState, rows: &mut Vec<NewPosting>) -> AppResult<()> {
    if rows.iter().all(|r| r.match_status != status::PENDING) {
        return Ok(());
    }
    let confirmed = demand::title_matches(&state.db).await?;
    let (min_ppm, _) = threshold(state)?;
    let matcher = state.matcher.get(&state.db).await?;
    let mut owned = std::mem::take(rows);
    *rows = crate::heavy::run(move || {
        match_rows(&matcher, &confirmed, min_ppm, &mut owned);
        owned
    })
    .await?;
    Ok(())
}

/// For every `pending` row: a confirmed title's answer (`confirmed` / `unmatched`), else the
/// matcher's best candidate — counted under it (`auto`) when its confidence is at least
/// `min_ppm`, proposed and left `pending` otherwise. Each distinct title is matched once.
pub fn match_rows(
    matcher: &Matcher,
    confirmed: &HashMap<String, Option<String>>,
    min_ppm: i64,
    rows: &mut [NewPosting],
) {
    let mut answers: HashMap<String, Option<(String, i64)>> = HashMap::new();
    for r in rows
        .iter_mut()
        .filter(|r| r.match_status == status::PENDING)
    {
        if let Some(answer) = confirmed.get(&r.title) {
            r.occupation_code = answer.clone();
            r.match_status = if answer.is_some() {
                status::CONFIRMED
            } else {
                status::UNMATCHED
            };
            continue;
        }
        let best = answers.entry(r.title.clone()).or_insert_with(|| {
            matcher.match_title(&r.title).map(|c| {
                let p = ppm(&c);
                (c.code, p)
            })
        });
        if let Some((code, p)) = best {
            r.match_confidence = Some(*p);
            r.suggested_code = Some(code.clone());
            if *p >= min_ppm {
                r.occupation_code = Some(code.clone());
                r.match_status = status::AUTO;
            }
        }
    }
}

/// A person's answer for a waiting title: an occupation code (which must exist) or none.
pub async fn confirm(
    db: &Db,
    actor: &Actor,
    title: &str,
    occupation: Option<&str>,
) -> AppResult<u64> {
    let title = TITLE
        .check(title)
        .map_err(|e| AppError::invalid("title", format!("岗位名称{}", e.message())))?;
    let title = normalise_title(title);
    let code = match occupation.map(domain::text::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => {
            let c = OccupationCode::parse(raw)
                .map_err(|e| AppError::invalid("occupation", e.to_string()))?;
            if store::occupations::get(db, c.as_str()).await?.is_none() {
                return Err(AppError::invalid(
                    "occupation",
                    format!("职业代码“{}”不在平台的职业分类中", c.as_str()),
                ));
            }
            Some(c.as_str().to_string())
        }
    };
    if title.is_empty() {
        // Only blanks that the title matcher also drops: no posting carries this title.
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    let n = demand::confirm(&mut tx, actor, &title, code.as_deref()).await?;
    tx.commit().await?;
    Ok(n)
}

/// A stored row as a file row, in schema order (re-importable; the enterprise column is left
/// empty as the row keeps only the org id): codes as text, the count as a number, the date as a
/// date, salaries as yuan.
pub fn export_row(p: &demand::Posting) -> Vec<Cell> {
    vec![
        Cell::text(&p.district),
        Cell::text(&p.industry_code),
        Cell::text(p.occupation_code.clone().unwrap_or_default()),
        Cell::text(&p.title),
        Cell::Count(p.count),
        Cell::iso_date(&p.posted_on),
        Cell::fen(p.salary_min_fen),
        Cell::fen(p.salary_max_fen),
        Cell::Empty,
    ]
}
