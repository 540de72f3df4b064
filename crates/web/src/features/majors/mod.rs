//! Measure 5, the major catalog: its import schema and validation, shared by the upload page,
//! the API and `chanjiao import major-catalog`; the catalog a query names and its filter,
//! shared by the list page and `GET /api/v1/majors`.

pub mod api;
pub mod pages;

use std::collections::{HashMap, HashSet};

use crate::import::read_table;
use bytes::Bytes;
use domain::MajorCode;
use serde::{Deserialize, Serialize};
use store::majors::{self, Catalog, Filter, NewMajor};
use store::{Actor, Db};
use tabular::{Column, Report, Row, Schema};

use crate::AppState;
use crate::error::{AppError, AppResult};

/// The catalog file: the columns of the Ministry's published dataset, with Chinese headers
/// for the platform's own template.
pub const CATALOG_SCHEMA: Schema = Schema {
    sheet: "专业目录",
    columns: &[
        Column {
            key: "catalogCode",
            header: "目录代码",
            aliases: &["目录编码"],
            required: true,
            example: "MOE_VOCATIONAL_2021",
        },
        Column {
            key: "educationLevel",
            header: "教育层次",
            aliases: &["层次"],
            required: true,
            example: "VOCATIONAL_SECONDARY（或 中职、高职专科、职业本科）",
        },
        Column {
            key: "categoryCode",
            header: "专业大类代码",
            aliases: &["大类代码"],
            required: true,
            example: "61",
        },
        Column {
            key: "categoryName",
            header: "专业大类名称",
            aliases: &["大类名称"],
            required: true,
            example: "农林牧渔大类",
        },
        Column {
            key: "classCode",
            header: "专业类代码",
            aliases: &[],
            required: false,
            example: "6101",
        },
        Column {
            key: "className",
            header: "专业类名称",
            aliases: &[],
            required: false,
            example: "农业类",
        },
        Column {
            key: "majorCode",
            header: "代码",
            aliases: &["专业代码"],
            required: true,
            example: "610101",
        },
        Column {
            key: "majorName",
            header: "名称",
            aliases: &["专业名称"],
            required: true,
            example: "种子生产技术",
        },
        Column {
            key: "parentCode",
            header: "上级代码",
            aliases: &[],
            required: false,
            example: "6101",
        },
        Column {
            key: "itemLevel",
            header: "条目层级",
            aliases: &["层级"],
            required: true,
            example: "CATEGORY、CLASS 或 MAJOR（或 大类、专业类、专业）",
        },
        Column {
            key: "source",
            header: "来源",
            aliases: &[],
            required: false,
            example: "中华人民共和国教育部",
        },
    ],
};

/// Education levels as the catalog file writes them, with their Chinese names.
pub const LEVELS: [(&str, &str); 3] = [
    ("VOCATIONAL_SECONDARY", "中职"),
    ("VOCATIONAL_ASSOCIATE", "高职专科"),
    ("VOCATIONAL_BACHELOR", "职业本科"),
];

pub fn level_label(code: &str) -> &'static str {
    LEVELS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("—")
}

fn parse_level(s: &str) -> Option<&'static str> {
    let s = s.trim();
    LEVELS
        .iter()
        .find(|(c, l)| c.eq_ignore_ascii_case(s) || *l == s)
        .map(|(c, _)| *c)
}

fn parse_item_level(s: &str) -> Option<&'static str> {
    match s.trim() {
        x if x.eq_ignore_ascii_case("CATEGORY") || x == "大类" || x == "专业大类" => {
            Some("CATEGORY")
        }
        x if x.eq_ignore_ascii_case("CLASS") || x == "专业类" => Some("CLASS"),
        x if x.eq_ignore_ascii_case("MAJOR") || x == "专业" => Some("MAJOR"),
        _ => None,
    }
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.chars().all(|c| c.is_ascii_digit())
}

/// One row of the catalog file, typed; `catalog` is the file's catalog code.
fn check_row(row: &Row) -> Result<(String, NewMajor), Vec<(&'static str, String)>> {
    let mut errs = Vec::new();
    let catalog = row.get("catalogCode").trim().to_string();
    if catalog.is_empty() || catalog.chars().count() > 64 {
        errs.push((
            "catalogCode",
            "目录代码不能为空且不超过64个字符".to_string(),
        ));
    }
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
    let item = parse_item_level(row.get("itemLevel"));
    if item.is_none() {
        errs.push((
            "itemLevel",
            format!(
                "条目层级“{}”无效，应为大类、专业类或专业",
                row.get("itemLevel").trim()
            ),
        ));
    }
    let cat = row.get("categoryCode").trim().to_string();
    if !digits(&cat, 2) {
        errs.push(("categoryCode", format!("专业大类代码“{cat}”应为2位数字")));
    }
    let cat_name = row.get("categoryName").trim().to_string();
    if cat_name.is_empty() {
        errs.push(("categoryName", "专业大类名称不能为空".to_string()));
    }
    let class = row.get("classCode").trim().to_string();
    let class_name = row.get("className").trim().to_string();
    let raw_code = row.get("majorCode").trim().to_uppercase();
    let name = row.get("majorName").trim().to_string();
    if name.is_empty() || name.chars().count() > 50 {
        errs.push(("majorName", "名称不能为空且不超过50个字".to_string()));
    }
    let parent = row.get("parentCode").trim().to_string();
    let code = match item {
        Some("CATEGORY") => {
            if raw_code != cat {
                errs.push((
                    "majorCode",
                    format!("大类条目的代码“{raw_code}”应与专业大类代码“{cat}”一致"),
                ));
            }
            raw_code.clone()
        }
        Some("CLASS") => {
            if !digits(&raw_code, 4) || !raw_code.starts_with(&cat) {
                errs.push((
                    "majorCode",
                    format!("专业类代码“{raw_code}”应为以大类代码开头的4位数字"),
                ));
            }
            if parent != cat {
                errs.push((
                    "parentCode",
                    format!("专业类的上级代码应为其大类代码“{cat}”"),
                ));
            }
            raw_code.clone()
        }
        Some(_) => match MajorCode::parse(&raw_code) {
            Ok(c) => {
                if !digits(&class, 4) || !c.as_str().starts_with(&class) {
                    errs.push((
                        "classCode",
                        format!("专业“{raw_code}”应属于以其前4位为代码的专业类"),
                    ));
                }
                if parent != class {
                    errs.push((
                        "parentCode",
                        format!("专业的上级代码应为其专业类代码“{class}”"),
                    ));
                }
                c.as_str().to_string()
            }
            Err(e) => {
                errs.push(("majorCode", e.to_string()));
                raw_code.clone()
            }
        },
        None => raw_code.clone(),
    };
    if !errs.is_empty() {
        return Err(errs);
    }
    let item = item.unwrap_or("MAJOR");
    Ok((
        catalog,
        NewMajor {
            level: level.unwrap_or_default().to_string(),
            item_level: item.to_string(),
            code,
            name,
            parent_code: (!parent.is_empty()).then_some(parent),
            category_code: cat,
            category_name: cat_name,
            class_code: (item != "CATEGORY" && !class.is_empty()).then_some(class),
            class_name: (!class_name.is_empty() && item != "CATEGORY").then_some(class_name),
        },
    ))
}

/// What an import did, or would do.
#[derive(Debug, Serialize)]
pub struct ImportOutcome {
    /// The catalog written; `None` when nothing was written.
    pub catalog: Option<Catalog>,
    pub imported: usize,
    pub report: Report,
}

/// Validates a catalog file and imports it: all rows or none, unless `only_valid` says to
/// import the rows that passed (and whose parents passed).
pub async fn import_catalog(
    db: &Db,
    actor: &Actor,
    bytes: impl Into<Bytes>,
    only_valid: bool,
    replace: bool,
) -> AppResult<ImportOutcome> {
    let table = read_table(&CATALOG_SCHEMA, bytes.into(), crate::import::CATALOG).await?;
    let (valid, mut report) = tabular::validate(
        &CATALOG_SCHEMA,
        &table,
        &["educationLevel", "majorCode"],
        check_row,
    );
    // One catalog per file.
    let first_code = valid
        .first()
        .map(|(_, (c, _))| c.clone())
        .unwrap_or_default();
    let mut rows: Vec<(usize, NewMajor)> = Vec::new();
    for (line, (code, m)) in valid {
        if code != first_code {
            report.problems.push(tabular::Problem {
                row: line,
                column: Some("目录代码".into()),
                cell: None,
                message: format!("同一文件只能包含一个目录，本行为“{code}”，首行为“{first_code}”"),
            });
            continue;
        }
        rows.push((line, m));
    }
    // Parents must exist: classes under a category of their level, majors under a class.
    let present: HashSet<(String, String, String)> = rows
        .iter()
        .map(|(_, m)| (m.level.clone(), m.item_level.clone(), m.code.clone()))
        .collect();
    let mut kept = Vec::with_capacity(rows.len());
    for (line, m) in rows {
        let need = match m.item_level.as_str() {
            "CLASS" => Some(("CATEGORY", m.category_code.clone())),
            "MAJOR" => m.class_code.clone().map(|c| ("CLASS", c)),
            _ => None,
        };
        if let Some((lvl, code)) = need
            && !present.contains(&(m.level.clone(), lvl.to_string(), code.clone()))
        {
            report.problems.push(tabular::Problem {
                row: line,
                column: Some("上级代码".into()),
                cell: None,
                message: format!("上级条目“{code}”不在文件中（或该行有误）"),
            });
            continue;
        }
        kept.push(m);
    }
    report.problems.sort_by_key(|p| p.row);
    report.valid_rows = kept.len();
    if (!report.is_clean() && !only_valid) || kept.is_empty() {
        return Ok(ImportOutcome {
            catalog: None,
            imported: 0,
            report,
        });
    }
    let name = catalog_name(&first_code);
    let mut tx = db.begin().await?;
    let catalog =
        majors::import_catalog(&mut tx, actor, &first_code, &name, &kept, replace).await?;
    tx.commit().await?;
    Ok(ImportOutcome {
        catalog: Some(catalog),
        imported: kept.len(),
        report,
    })
}

/// A readable name for a catalog code such as `MOE_VOCATIONAL_2021`.
fn catalog_name(code: &str) -> String {
    match code.rsplit('_').next().and_then(|y| y.parse::<u32>().ok()) {
        Some(year) => format!("职业教育专业目录（{year}年）"),
        None => format!("职业教育专业目录（{code}）"),
    }
}

/// Counts per level, as `{level: (categories, classes, majors)}`.
pub async fn summary(db: &Db, catalog: &Catalog) -> AppResult<HashMap<String, (i64, i64, i64)>> {
    let mut out: HashMap<String, (i64, i64, i64)> = HashMap::new();
    for (level, item, n) in majors::counts(db, catalog.id).await? {
        let e = out.entry(level).or_default();
        match item.as_str() {
            "CATEGORY" => e.0 = n,
            "CLASS" => e.1 = n,
            _ => e.2 = n,
        }
    }
    Ok(out)
}

/// A catalog query: the list page's, or the API's parameters.
#[derive(Deserialize, Default, Clone)]
pub struct MajorQuery {
    pub catalog: Option<String>,
    pub level: Option<String>,
    pub category: Option<String>,
    pub q: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The catalog a query names (by code), or the current one.
pub async fn pick_catalog(
    state: &AppState,
    code: &Option<String>,
) -> Result<Option<Catalog>, AppError> {
    Ok(match nonempty(code) {
        Some(c) => Some(
            majors::catalog_by_code(&state.db, &c)
                .await?
                .ok_or(AppError::NotFound("专业目录"))?,
        ),
        None => majors::current_catalog(&state.db).await?,
    })
}

/// Builds the filter from query values; an unknown level is refused with the allowed values.
pub fn filter(catalog: &Catalog, q: &MajorQuery) -> Result<Filter, AppError> {
    let level = match nonempty(&q.level) {
        Some(l) if LEVELS.iter().any(|(c, _)| *c == l) => Some(l),
        Some(l) => {
            return Err(AppError::invalid(
                "level",
                format!(
                    "层次“{l}”无效，应为 VOCATIONAL_SECONDARY、VOCATIONAL_ASSOCIATE 或 VOCATIONAL_BACHELOR"
                ),
            ));
        }
        None => None,
    };
    Ok(Filter {
        catalog_id: catalog.id,
        level,
        item_level: None,
        category: nonempty(&q.category),
        q: nonempty(&q.q).map(|s| s.chars().take(30).collect()),
    })
}
