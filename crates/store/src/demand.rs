//! Measure 5, demand (岗位需求): job postings and enterprise demand records, the occupation each
//! is counted under, and the queue of titles waiting for a person to confirm their occupation.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Actor};
use crate::insert::InsertMany;
use crate::orgs::Scope;
use crate::{Db, Page, Paging, QueryBuilder, Result, Tx, now};

/// How a row's occupation was decided.
pub mod status {
    /// The file gave the occupation code.
    pub const GIVEN: &str = "given";
    /// The title matcher chose it with enough confidence, or a confirmed title answered it.
    pub const AUTO: &str = "auto";
    /// Waiting for a person (confidence below the threshold).
    pub const PENDING: &str = "pending";
    /// A person chose the occupation.
    pub const CONFIRMED: &str = "confirmed";
    /// A person found no occupation for the title; counted as unmapped demand.
    pub const UNMATCHED: &str = "unmatched";
    /// Every status, in the order of the pipeline.
    pub const ALL: [&str; 5] = [GIVEN, AUTO, PENDING, CONFIRMED, UNMATCHED];

    pub fn label(s: &str) -> &'static str {
        match s {
            GIVEN => "文件给出",
            AUTO => "自动匹配",
            PENDING => "待确认",
            CONFIRMED => "人工确认",
            UNMATCHED => "无对应职业",
            _ => "未知",
        }
    }
}

/// A validated row to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPosting {
    /// `posting` (招聘岗位) or `enterprise` (企业需求).
    pub source: &'static str,
    pub org_id: Option<i64>,
    pub district: String,
    pub industry_code: String,
    pub title: String,
    pub occupation_code: Option<String>,
    pub match_status: &'static str,
    /// Matcher confidence in parts per million, when the matcher ran.
    pub match_confidence: Option<i64>,
    pub suggested_code: Option<String>,
    pub count: i64,
    /// `YYYY-MM-DD`.
    pub posted_on: String,
    pub year: i64,
    pub salary_min_fen: Option<i64>,
    pub salary_max_fen: Option<i64>,
}

const INSERT: InsertMany = InsertMany {
    table: "job_postings",
    columns: &[
        "source",
        "org_id",
        "district",
        "industry_code",
        "title",
        "occupation_code",
        "match_status",
        "match_confidence",
        "suggested_code",
        "count",
        "posted_on",
        "year",
        "salary_min_fen",
        "salary_max_fen",
        "created_at",
        "created_by",
    ],
    tail: "",
};

/// Adds rows in `tx`, with one audit entry summarising the file. Returns the number written.
pub async fn import(tx: &mut Tx, actor: &Actor, file: &str, rows: &[NewPosting]) -> Result<usize> {
    // Results computed from these data (measure 5) are computed again.
    crate::versions::bump_scoped(
        tx,
        crate::versions::ALIGNMENT,
        [crate::versions::REFERENCE.to_string()],
    )
    .await?;
    let mut counts: BTreeMap<CountKey, (i64, i64)> = BTreeMap::new();
    for r in rows {
        let key = (
            r.district.clone(),
            r.industry_code.clone(),
            r.occupation_code.clone().unwrap_or_default(),
            r.match_status.to_string(),
            r.year,
        );
        let c = counts.entry(key).or_default();
        c.0 += r.count;
        c.1 += 1;
    }
    add_counts(tx, counts).await?;
    let t = now();
    let by = actor.name.clone();
    INSERT
        .run(tx, rows, |q, r| {
            q.bind(r.source)
                .bind(r.org_id)
                .bind(&r.district)
                .bind(&r.industry_code)
                .bind(&r.title)
                .bind(&r.occupation_code)
                .bind(r.match_status)
                .bind(r.match_confidence)
                .bind(&r.suggested_code)
                .bind(r.count)
                .bind(&r.posted_on)
                .bind(r.year)
                .bind(r.salary_min_fen)
                .bind(r.salary_max_fen)
                .bind(t)
                .bind(by.clone())
        })
        .await?;
    let mut by_status: HashMap<&str, usize> = HashMap::new();
    for r in rows {
        *by_status.entry(r.match_status).or_default() += 1;
    }
    audit::record(
        tx,
        actor,
        "demand.import",
        "job_postings",
        "*",
        None,
        Some(&json!({"file": file, "rows": rows.len(), "by_status": by_status})),
    )
    .await?;
    Ok(rows.len())
}

/// Confirmed titles: normalised title → occupation code (None: no occupation fits).
pub async fn title_matches(db: &Db) -> Result<HashMap<String, Option<String>>> {
    Ok(sqlx::query_as::<_, (String, Option<String>)>(
        "SELECT title, occupation_code FROM title_matches",
    )
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .collect())
}

/// One title waiting in the confirmation queue.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PendingTitle {
    pub title: String,
    /// Rows waiting with this title.
    pub row_count: i64,
    /// People asked for, summed over those rows.
    pub demand: i64,
    /// The matcher's best candidate and its confidence (ppm), if any.
    pub suggested_code: Option<String>,
    pub match_confidence: Option<i64>,
}

/// Titles waiting for confirmation, the most demanded first.
pub async fn pending(db: &Db, paging: Paging) -> Result<Page<PendingTitle>> {
    let total: (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM (SELECT DISTINCT title FROM job_postings \
         WHERE match_status = 'pending') t",
    )
    .fetch_one(db.pool())
    .await?;
    let items = sqlx::query_as::<_, PendingTitle>(&format!(
        "SELECT title, COUNT(*) AS row_count, CAST(SUM(count) AS BIGINT) AS demand, MIN(suggested_code) AS \
         suggested_code, MAX(match_confidence) AS match_confidence FROM job_postings \
         WHERE match_status = 'pending' GROUP BY title ORDER BY demand DESC, title \
         LIMIT {} OFFSET {}",
        paging.per_page,
        paging.offset()
    ))
    .fetch_all(db.pool())
    .await?;
    Ok(Page {
        items,
        total: total.0,
        page: paging.page,
        per_page: paging.per_page,
    })
}

/// A person's answer for a title: every waiting row with this title takes the occupation
/// (`confirmed`), or none (`unmatched`); the answer is remembered for later files. Returns the
/// number of rows changed (0 if none waited).
pub async fn confirm(
    tx: &mut Tx,
    actor: &Actor,
    title: &str,
    occupation_code: Option<&str>,
) -> Result<u64> {
    // Results computed from these data (measure 5) are computed again.
    crate::versions::bump_scoped(
        tx,
        crate::versions::ALIGNMENT,
        [crate::versions::REFERENCE.to_string()],
    )
    .await?;
    let new_status = if occupation_code.is_some() {
        status::CONFIRMED
    } else {
        status::UNMATCHED
    };
    // The waiting rows' sums move to the answer (an occupation, or none).
    let moved: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT district, industry_code, year, CAST(SUM(count) AS BIGINT), CAST(COUNT(*) AS BIGINT) \
         FROM job_postings WHERE match_status = 'pending' AND title = $1 \
         GROUP BY district, industry_code, year",
    )
    .bind(title)
    .fetch_all(&mut *tx.inner)
    .await?;
    let mut counts: BTreeMap<CountKey, (i64, i64)> = BTreeMap::new();
    for (district, industry, year, n, rows) in moved {
        let from = (
            district.clone(),
            industry.clone(),
            String::new(),
            status::PENDING.to_string(),
            year,
        );
        let to = (
            district,
            industry,
            occupation_code.unwrap_or_default().to_string(),
            new_status.to_string(),
            year,
        );
        let c = counts.entry(from).or_default();
        c.0 -= n;
        c.1 -= rows;
        let c = counts.entry(to).or_default();
        c.0 += n;
        c.1 += rows;
    }
    add_counts(tx, counts).await?;
    let t = now();
    sqlx::query(
        "INSERT INTO title_matches (title, occupation_code, confirmed_at, confirmed_by) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (title) DO UPDATE SET \
         occupation_code = excluded.occupation_code, confirmed_at = excluded.confirmed_at, \
         confirmed_by = excluded.confirmed_by",
    )
    .bind(title)
    .bind(occupation_code)
    .bind(t)
    .bind(&actor.name)
    .execute(&mut *tx.inner)
    .await?;
    let changed = sqlx::query(
        "UPDATE job_postings SET occupation_code = $1, match_status = $2 \
         WHERE match_status = 'pending' AND title = $3",
    )
    .bind(occupation_code)
    .bind(new_status)
    .bind(title)
    .execute(&mut *tx.inner)
    .await?
    .rows_affected();
    audit::record(
        tx,
        actor,
        "demand.confirm",
        "title_matches",
        title,
        None,
        Some(&json!({"occupation_code": occupation_code, "rows": changed})),
    )
    .await?;
    Ok(changed)
}

/// One stored row with its occupation's name.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Posting {
    pub id: i64,
    pub source: String,
    pub org_id: Option<i64>,
    pub district: String,
    pub industry_code: String,
    pub title: String,
    pub occupation_code: Option<String>,
    pub occupation_name: Option<String>,
    pub match_status: String,
    pub match_confidence: Option<i64>,
    pub count: i64,
    pub posted_on: String,
    pub year: i64,
    pub salary_min_fen: Option<i64>,
    pub salary_max_fen: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub year: Option<i64>,
    pub district: Option<String>,
    pub status: Option<String>,
    pub occupation_code: Option<String>,
}

fn filtered(scope: &Scope, f: &Filter) -> QueryBuilder {
    let mut q = QueryBuilder::new();
    if let Some(y) = f.year {
        q.and_cmp_int("p.year", "=", y);
    }
    if let Some(d) = &f.district {
        q.and_eq_str("p.district", d);
    }
    if let Some(s) = &f.status {
        q.and_eq_str("p.match_status", s);
    }
    if let Some(c) = &f.occupation_code {
        q.and_eq_str("p.occupation_code", c);
    }
    scope.restrict(&mut q, "p.org_id", "p.district");
    q
}

const SELECT: &str = "SELECT p.id, p.source, p.org_id, p.district, p.industry_code, p.title, \
     p.occupation_code, o.name AS occupation_name, p.match_status, p.match_confidence, p.count, \
     p.posted_on, p.year, p.salary_min_fen, p.salary_max_fen FROM job_postings p \
     LEFT JOIN occupations o ON o.code = p.occupation_code";

/// Rows within `scope` (by the posting's district and organisation), newest first.
pub async fn list(db: &Db, scope: &Scope, f: &Filter, paging: Paging) -> Result<Page<Posting>> {
    let q = filtered(scope, f);
    // The kept sums have every column a filter names (and the district of a district's scope),
    // not the organisation of an organisation's scope.
    let total = match scope {
        Scope::Org(_) => q.count(db, "job_postings p").await?,
        Scope::All | Scope::District(_) => {
            let k = filtered(scope, f);
            let sql = format!(
                "SELECT CAST(COALESCE(SUM(p.postings), 0) AS BIGINT) FROM demand_counts p{}",
                k.where_sql()
            );
            k.fetch_all::<(i64,)>(db, &sql)
                .await?
                .first()
                .map_or(0, |r| r.0)
        }
    };
    let sql = format!(
        "{SELECT}{} ORDER BY p.id DESC LIMIT {} OFFSET {}",
        q.where_sql(),
        paging.per_page,
        paging.offset()
    );
    let items = q.fetch_all::<Posting>(db, &sql).await?;
    Ok(Page {
        items,
        total,
        page: paging.page,
        per_page: paging.per_page,
    })
}

/// Every row matching `f` within `scope` (oldest first), at most `cap`, for export.
pub async fn export(db: &Db, scope: &Scope, f: &Filter, cap: i64) -> Result<Vec<Posting>> {
    let q = filtered(scope, f);
    let sql = format!("{SELECT}{} ORDER BY p.id LIMIT {cap}", q.where_sql());
    q.fetch_all::<Posting>(db, &sql).await
}

/// Rows and people asked for, per match status (from the kept sums).
pub async fn status_counts(db: &Db) -> Result<Vec<(String, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT match_status, CAST(SUM(postings) AS BIGINT), CAST(SUM(n) AS BIGINT) FROM demand_counts \
         GROUP BY match_status HAVING SUM(postings) <> 0 ORDER BY match_status",
    )
    .fetch_all(db.pool())
    .await?)
}

/// The same counts from the postings themselves (what the kept sums must equal).
pub async fn status_counts_of_postings(db: &Db) -> Result<Vec<(String, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT match_status, COUNT(*), CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM job_postings \
         GROUP BY match_status ORDER BY match_status",
    )
    .fetch_all(db.pool())
    .await?)
}

/// Demand summed by (district, industry, occupation, year); rows without an occupation
/// (waiting or unmatched) come with `None`.
pub type DemandAggregate = (String, String, Option<String>, i64, i64);

/// Every posting summed by district, industry, occupation and year, for the alignment measures:
/// the sums kept in `demand_counts` (migrations/*/0023_incremental_alignment.sql).
pub async fn aggregate(db: &Db) -> Result<Vec<DemandAggregate>> {
    let rows: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
        "SELECT district, industry_code, occupation_code, year, CAST(SUM(n) AS BIGINT) FROM demand_counts \
         GROUP BY district, industry_code, occupation_code, year HAVING SUM(n) <> 0 \
         ORDER BY district, industry_code, occupation_code, year",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(d, i, o, y, n)| (d, i, (!o.is_empty()).then_some(o), y, n))
        .collect())
}

/// The same sums computed from the postings themselves (what `demand_counts` must equal).
pub async fn aggregate_of_postings(db: &Db) -> Result<Vec<DemandAggregate>> {
    Ok(sqlx::query_as(
        "SELECT district, industry_code, occupation_code, year, CAST(SUM(count) AS BIGINT) FROM job_postings \
         GROUP BY district, industry_code, occupation_code, year \
         ORDER BY district, industry_code, COALESCE(occupation_code, ''), year",
    )
    .fetch_all(db.pool())
    .await?)
}

/// A key of `demand_counts`: district, industry, occupation ('' for none), match status, year.
type CountKey = (String, String, String, String, i64);

const COUNTS: InsertMany = InsertMany {
    table: "demand_counts",
    columns: &[
        "district",
        "industry_code",
        "occupation_code",
        "match_status",
        "year",
        "n",
        "postings",
    ],
    tail: "ON CONFLICT (district, industry_code, occupation_code, match_status, year) \
           DO UPDATE SET n = demand_counts.n + excluded.n, \
           postings = demand_counts.postings + excluded.postings",
};

/// Adds `counts` (people, rows) to the kept sums, in `tx`.
async fn add_counts(tx: &mut Tx, counts: BTreeMap<CountKey, (i64, i64)>) -> Result<()> {
    let rows: Vec<(CountKey, (i64, i64))> =
        counts.into_iter().filter(|(_, c)| *c != (0, 0)).collect();
    COUNTS
        .run(tx, &rows, |q, ((d, i, o, st, y), (n, p))| {
            q.bind(d.as_str())
                .bind(i.as_str())
                .bind(o.as_str())
                .bind(st.as_str())
                .bind(*y)
                .bind(*n)
                .bind(*p)
        })
        .await?;
    Ok(())
}
