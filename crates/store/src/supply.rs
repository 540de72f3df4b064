//! Measure 5, supply (专业供给): per school, major and year, planned and actual enrolment,
//! graduates, employment, employment in a matching job (专业对口) and the average starting salary.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Actor};
use crate::insert::InsertMany;
use crate::orgs::Scope;
use crate::{Db, Page, Paging, QueryBuilder, Result, Tx, now};

/// One stored row, with the school's and the major's names.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Supply {
    pub school_org_id: i64,
    /// The school's credit code.
    pub school_code: String,
    pub school_name: String,
    pub major_code: String,
    /// The major's name in the current catalog, if it is still there.
    pub major_name: Option<String>,
    pub year: i64,
    pub planned_enrolment: i64,
    pub actual_enrolment: i64,
    pub graduates: i64,
    pub employed: i64,
    pub employed_matching: i64,
    /// Average starting salary, fen per month.
    pub avg_salary_fen: Option<i64>,
    pub updated_at: i64,
    pub updated_by: String,
}

/// A validated row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSupply {
    pub school_org_id: i64,
    pub major_code: String,
    pub year: i64,
    pub planned_enrolment: i64,
    pub actual_enrolment: i64,
    pub graduates: i64,
    pub employed: i64,
    pub employed_matching: i64,
    pub avg_salary_fen: Option<i64>,
}

/// Rows are written by (school, major, year): a row already there is replaced.
const INSERT: InsertMany = InsertMany {
    table: "major_supply",
    columns: &[
        "school_org_id",
        "major_code",
        "year",
        "planned_enrolment",
        "actual_enrolment",
        "graduates",
        "employed",
        "employed_matching",
        "avg_salary_fen",
        "updated_at",
        "updated_by",
    ],
    tail: "ON CONFLICT (school_org_id, major_code, year) DO UPDATE SET \
           planned_enrolment = excluded.planned_enrolment, \
           actual_enrolment = excluded.actual_enrolment, graduates = excluded.graduates, \
           employed = excluded.employed, employed_matching = excluded.employed_matching, \
           avg_salary_fen = excluded.avg_salary_fen, updated_at = excluded.updated_at, \
           updated_by = excluded.updated_by",
};

/// The change scope of a school's supply rows (`store::versions`): `supply:<school org id>`.
pub const SCHOOL_SCOPE: &str = "supply:";

/// Files with rows of more schools than this are recorded as a change of everything: reading
/// all rows is then as quick as reading theirs.
const MAX_SCOPED_SCHOOLS: usize = 1_000;

/// Adds or updates rows by (school, major, year) in `tx`, with one audit entry summarising the
/// file. Returns the number of rows written.
pub async fn import(tx: &mut Tx, actor: &Actor, rows: &[NewSupply]) -> Result<usize> {
    // Results computed from these data (measure 5) are computed again: for the schools of the
    // file only, when they are few.
    let schools: BTreeSet<i64> = rows.iter().map(|r| r.school_org_id).collect();
    let scopes: Vec<String> = if schools.len() <= MAX_SCOPED_SCHOOLS {
        schools
            .iter()
            .map(|id| format!("{SCHOOL_SCOPE}{id}"))
            .collect()
    } else {
        vec![crate::versions::EVERYTHING.to_string()]
    };
    crate::versions::bump_scoped(tx, crate::versions::ALIGNMENT, scopes).await?;
    let t = now();
    let by = actor.name.clone();
    INSERT
        .run(tx, rows, |q, r| {
            q.bind(r.school_org_id)
                .bind(&r.major_code)
                .bind(r.year)
                .bind(r.planned_enrolment)
                .bind(r.actual_enrolment)
                .bind(r.graduates)
                .bind(r.employed)
                .bind(r.employed_matching)
                .bind(r.avg_salary_fen)
                .bind(t)
                .bind(by.clone())
        })
        .await?;
    let years: BTreeSet<i64> = rows.iter().map(|r| r.year).collect();
    audit::record(
        tx,
        actor,
        "supply.import",
        "major_supply",
        "*",
        None,
        Some(&json!({"rows": rows.len(), "years": years, "schools": schools})),
    )
    .await?;
    Ok(rows.len())
}

/// Schools registered on the platform: credit code → (org id, name).
pub async fn schools(db: &Db) -> Result<HashMap<String, (i64, String)>> {
    Ok(sqlx::query_as::<_, (i64, String, String)>(
        "SELECT id, code, name FROM orgs WHERE kind = 'school' ORDER BY name",
    )
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(|(id, code, name)| (code, (id, name)))
    .collect())
}

/// The codes of every major (any level) of the current catalog.
pub async fn current_major_codes(db: &Db) -> Result<HashSet<String>> {
    Ok(sqlx::query_as::<_, (String,)>(
        "SELECT code FROM majors WHERE item_level = 'MAJOR' \
         AND catalog_id = (SELECT MAX(id) FROM major_catalogs)",
    )
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(|(c,)| c)
    .collect())
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub school_org_id: Option<i64>,
    pub year: Option<i64>,
}

const SELECT: &str = "SELECT s.school_org_id, o.code AS school_code, o.name AS school_name, \
     s.major_code, m.name AS major_name, s.year, s.planned_enrolment, s.actual_enrolment, \
     s.graduates, s.employed, s.employed_matching, s.avg_salary_fen, s.updated_at, s.updated_by \
     FROM major_supply s JOIN orgs o ON o.id = s.school_org_id \
     LEFT JOIN (SELECT code, MIN(name) AS name FROM majors WHERE item_level = 'MAJOR' \
     AND catalog_id = (SELECT MAX(id) FROM major_catalogs) GROUP BY code) m ON m.code = s.major_code";

fn filtered(scope: &Scope, f: &Filter) -> QueryBuilder {
    let mut q = QueryBuilder::new();
    if let Some(id) = f.school_org_id {
        q.and_cmp_int("s.school_org_id", "=", id);
    }
    if let Some(y) = f.year {
        q.and_cmp_int("s.year", "=", y);
    }
    scope.restrict(&mut q, "s.school_org_id", "o.district");
    q
}

/// Rows by year (latest first), school and major, of the schools within `scope`.
pub async fn list(db: &Db, scope: &Scope, f: &Filter, paging: Paging) -> Result<Page<Supply>> {
    let q = filtered(scope, f);
    let total = q
        .count(db, "major_supply s JOIN orgs o ON o.id = s.school_org_id")
        .await?;
    let sql = format!(
        "{SELECT}{} ORDER BY s.year DESC, o.name, s.major_code LIMIT {} OFFSET {}",
        q.where_sql(),
        paging.per_page,
        paging.offset()
    );
    let items = q.fetch_all::<Supply>(db, &sql).await?;
    Ok(Page {
        items,
        total,
        page: paging.page,
        per_page: paging.per_page,
    })
}

/// Every row matching `f` of the schools within `scope`, for export, at most `cap`.
pub async fn export(db: &Db, scope: &Scope, f: &Filter, cap: i64) -> Result<Vec<Supply>> {
    let q = filtered(scope, f);
    let sql = format!(
        "{SELECT}{} ORDER BY s.year DESC, o.name, s.major_code LIMIT {cap}",
        q.where_sql()
    );
    q.fetch_all::<Supply>(db, &sql).await
}

/// A supply row as the analytics read it: its school by id (see [`reporting_schools`]).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SupplyFact {
    pub school_org_id: i64,
    pub major_code: String,
    pub year: i64,
    pub planned_enrolment: i64,
    pub actual_enrolment: i64,
    pub graduates: i64,
    pub employed: i64,
    pub employed_matching: i64,
    pub avg_salary_fen: Option<i64>,
}

/// Folds every supply row, by school, major and year, one at a time, into `state` with
/// `each`: at demo `--scale 200` (1.15 million rows) a list of them all, each with its
/// school's name, took hundreds of megabytes that the server kept after computing. On SQLite
/// the rows are read by SQLite directly on a blocking thread (through sqlx, each row was a
/// message from its connection's thread: 7 s for the scan that takes SQLite 0.3 s). With
/// `schools`, only their rows (what a recomputation from the last result reads again).
pub async fn fold_facts<S>(
    db: &Db,
    schools: Option<&BTreeSet<i64>>,
    state: S,
    each: fn(&mut S, SupplyFact),
) -> Result<S>
where
    S: Send + 'static,
{
    let ids: Vec<i64> = schools
        .map(|s| s.iter().copied().collect())
        .unwrap_or_default();
    let filter = match schools {
        None => String::new(),
        Some(_) => format!(
            " WHERE school_org_id IN ({})",
            (1..=ids.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let sql = format!(
        "SELECT school_org_id, major_code, year, planned_enrolment, \
         actual_enrolment, graduates, employed, employed_matching, avg_salary_fen \
         FROM major_supply{filter} ORDER BY school_org_id, major_code, year"
    );
    if schools.is_some_and(|s| s.is_empty()) {
        return Ok(state);
    }
    if let Some(conn) = db.sqlite_reader() {
        let conn = conn?;
        return tokio::task::spawn_blocking(move || -> Result<S> {
            let mut state = state;
            let mut stmt = conn.prepare(&sql)?;
            let mut rows = stmt.query(rusqlite::params_from_iter(ids.iter()))?;
            while let Some(r) = rows.next()? {
                each(
                    &mut state,
                    SupplyFact {
                        school_org_id: r.get(0)?,
                        major_code: r.get(1)?,
                        year: r.get(2)?,
                        planned_enrolment: r.get(3)?,
                        actual_enrolment: r.get(4)?,
                        graduates: r.get(5)?,
                        employed: r.get(6)?,
                        employed_matching: r.get(7)?,
                        avg_salary_fen: r.get(8)?,
                    },
                );
            }
            Ok(state)
        })
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    }
    use futures_util::TryStreamExt;
    let mut state = state;
    let mut q = sqlx::query_as::<_, SupplyFact>(&sql);
    for id in &ids {
        q = q.bind(*id);
    }
    let mut rows = q.fetch(db.pool());
    while let Some(f) = rows.try_next().await? {
        each(&mut state, f);
    }
    Ok(state)
}

/// The schools with supply rows: id → (name, district code, '' when none).
pub async fn reporting_schools(db: &Db) -> Result<HashMap<i64, (String, String)>> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, name, COALESCE(district, '') FROM orgs \
         WHERE id IN (SELECT DISTINCT school_org_id FROM major_supply)",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|(id, n, d)| (id, (n, d))).collect())
}

/// The schools `ids`: id → (name, district code, '' when none).
pub async fn school_names(db: &Db, ids: &BTreeSet<i64>) -> Result<HashMap<i64, (String, String)>> {
    let rows: Vec<(i64, String, String)> = crate::names::by_ids(
        db,
        ids,
        "SELECT id, name, COALESCE(district, '') FROM orgs",
        "id",
    )
    .await?;
    Ok(rows.into_iter().map(|(id, n, d)| (id, (n, d))).collect())
}
