//! Measure 5: occupations (《中华人民共和国职业分类大典（2022年版）》 codes such as `4-04-05-01`)
//! and the major→occupation crosswalk (职业面向).
//!
//! The crosswalk is keyed by a major's education level and code, not by a catalog row, so it
//! applies to the current catalog: a later catalog that keeps a code keeps its occupations.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Actor};
use crate::insert::InsertMany;
use crate::{Arg, Db, Page, Paging, QueryBuilder, Result, Tx, now};

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Occupation {
    pub id: i64,
    /// e.g. `4-04-05-01`; groups have shorter codes (`4`, `4-04`, `4-04-05`).
    pub code: String,
    pub name: String,
    /// MAJOR_GROUP (大类), SUB_GROUP (中类), MINOR_GROUP (小类) or OCCUPATION (职业)
    pub level: String,
    pub parent_code: Option<String>,
    pub description: Option<String>,
    pub updated_at: i64,
}

/// A validated occupation row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOccupation {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_code: Option<String>,
    pub description: Option<String>,
}

/// One pair of the crosswalk, with the occupation's name.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct MajorOccupation {
    pub occupation_code: String,
    pub occupation_name: String,
    pub occupation_level: String,
    pub note: Option<String>,
    pub updated_at: i64,
    pub updated_by: String,
}

/// A crosswalk row for export: level, major code, occupation code, note.
pub type CrosswalkRow = (String, String, String, Option<String>);

/// Occupations by code: one already there is updated.
const INSERT: InsertMany = InsertMany {
    table: "occupations",
    columns: &[
        "code",
        "name",
        "level",
        "parent_code",
        "description",
        "updated_at",
    ],
    tail: "ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, \
           parent_code = excluded.parent_code, description = excluded.description, \
           updated_at = excluded.updated_at",
};

/// Adds or updates occupations by code (codes not in `rows` are kept), with one audit entry.
/// Returns (added, updated).
pub async fn import(tx: &mut Tx, actor: &Actor, rows: &[NewOccupation]) -> Result<(usize, usize)> {
    // Results computed from these data (measure 5) are computed again.
    crate::versions::bump_scoped(
        tx,
        crate::versions::ALIGNMENT,
        [crate::versions::REFERENCE.to_string()],
    )
    .await?;
    let existing: HashSet<String> = sqlx::query_as::<_, (String,)>("SELECT code FROM occupations")
        .fetch_all(&mut *tx.inner)
        .await?
        .into_iter()
        .map(|(c,)| c)
        .collect();
    let updated = rows.iter().filter(|r| existing.contains(&r.code)).count();
    let t = now();
    INSERT
        .run(tx, rows, |q, o| {
            q.bind(&o.code)
                .bind(&o.name)
                .bind(&o.level)
                .bind(&o.parent_code)
                .bind(&o.description)
                .bind(t)
        })
        .await?;
    audit::record(
        tx,
        actor,
        "occupations.import",
        "occupation",
        "*",
        None,
        Some(&json!({"rows": rows.len(), "added": rows.len() - updated, "updated": updated})),
    )
    .await?;
    Ok((rows.len() - updated, updated))
}

/// Every occupation code (all levels), for validating files and requests.
pub async fn codes(db: &Db) -> Result<HashSet<String>> {
    Ok(
        sqlx::query_as::<_, (String,)>("SELECT code FROM occupations")
            .fetch_all(db.pool())
            .await?
            .into_iter()
            .map(|(c,)| c)
            .collect(),
    )
}

pub async fn get(db: &Db, code: &str) -> Result<Option<Occupation>> {
    Ok(sqlx::query_as("SELECT * FROM occupations WHERE code = $1")
        .bind(code)
        .fetch_optional(db.pool())
        .await?)
}

/// Occupations whose name contains `q` or whose code starts with it, in code order.
pub async fn list(db: &Db, q: Option<&str>, paging: Paging) -> Result<Page<Occupation>> {
    let mut b = QueryBuilder::new();
    if let Some(text) = q.map(str::trim).filter(|s| !s.is_empty()) {
        let esc = text.replace(['%', '_'], "");
        let name = b.arg(Arg::Str(format!("%{esc}%")));
        let code = b.arg(Arg::Str(format!("{esc}%")));
        b.and(format!("(name LIKE {name} OR code LIKE {code})"));
    }
    let total = b.count(db, "occupations").await?;
    let sql = format!(
        "SELECT * FROM occupations{} ORDER BY code LIMIT {} OFFSET {}",
        b.where_sql(),
        paging.per_page,
        paging.offset()
    );
    let items = b.fetch_all::<Occupation>(db, &sql).await?;
    Ok(Page {
        items,
        total,
        page: paging.page,
        per_page: paging.per_page,
    })
}

/// The (level, code) of every major (item level MAJOR) of the current catalog.
pub async fn current_majors(db: &Db) -> Result<HashSet<(String, String)>> {
    Ok(sqlx::query_as::<_, (String, String)>(
        "SELECT level, code FROM majors WHERE item_level = 'MAJOR' \
         AND catalog_id = (SELECT MAX(id) FROM major_catalogs)",
    )
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .collect())
}

/// A major of the current catalog, by level and code.
pub async fn current_major(
    db: &Db,
    level: &str,
    code: &str,
) -> Result<Option<crate::majors::Major>> {
    Ok(sqlx::query_as(
        "SELECT * FROM majors WHERE item_level = 'MAJOR' AND level = $1 AND code = $2 \
         AND catalog_id = (SELECT MAX(id) FROM major_catalogs)",
    )
    .bind(level)
    .bind(code)
    .fetch_optional(db.pool())
    .await?)
}

const FOR_MAJOR: &str = "SELECT m.occupation_code, o.name AS occupation_name, o.level AS occupation_level, \
     m.note, m.updated_at, m.updated_by FROM major_occupations m \
     JOIN occupations o ON o.code = m.occupation_code \
     WHERE m.major_level = $1 AND m.major_code = $2 ORDER BY m.occupation_code";

/// The occupations of one major.
pub async fn for_major(db: &Db, level: &str, code: &str) -> Result<Vec<MajorOccupation>> {
    Ok(sqlx::query_as(FOR_MAJOR)
        .bind(level)
        .bind(code)
        .fetch_all(db.pool())
        .await?)
}

fn entity(level: &str, code: &str) -> String {
    format!("{level}/{code}")
}

/// Adds one occupation to a major (updating its note if already there). Returns false when the
/// pair existed with the same note (nothing changed, nothing audited).
pub async fn add(
    tx: &mut Tx,
    actor: &Actor,
    level: &str,
    code: &str,
    occupation: &str,
    note: Option<&str>,
) -> Result<bool> {
    // Results computed from these data (measure 5) are computed again.
    crate::versions::bump_scoped(
        tx,
        crate::versions::ALIGNMENT,
        [crate::versions::REFERENCE.to_string()],
    )
    .await?;
    let before: Option<(Option<String>,)> = sqlx::query_as(
        "SELECT note FROM major_occupations WHERE major_level = $1 AND major_code = $2 AND occupation_code = $3",
    )
    .bind(level)
    .bind(code)
    .bind(occupation)
    .fetch_optional(&mut *tx.inner)
    .await?;
    if let Some((n,)) = &before
        && n.as_deref() == note
    {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO major_occupations (major_level, major_code, occupation_code, note, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (major_level, major_code, occupation_code) \
         DO UPDATE SET note = excluded.note, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )
    .bind(level)
    .bind(code)
    .bind(occupation)
    .bind(note)
    .bind(now())
    .bind(&actor.name)
    .execute(&mut *tx.inner)
    .await?;
    audit::record(
        tx,
        actor,
        "major_occupations.add",
        "major_occupations",
        &entity(level, code),
        before
            .map(|(n,)| json!({"occupation": occupation, "note": n}))
            .as_ref(),
        Some(&json!({"occupation": occupation, "note": note})),
    )
    .await?;
    Ok(true)
}

/// Removes one occupation from a major. Returns false when the pair did not exist.
pub async fn remove(
    tx: &mut Tx,
    actor: &Actor,
    level: &str,
    code: &str,
    occupation: &str,
) -> Result<bool> {
    // Results computed from these data (measure 5) are computed again.
    crate::versions::bump_scoped(
        tx,
        crate::versions::ALIGNMENT,
        [crate::versions::REFERENCE.to_string()],
    )
    .await?;
    let before: Option<(Option<String>,)> = sqlx::query_as(
        "DELETE FROM major_occupations WHERE major_level = $1 AND major_code = $2 AND occupation_code = $3 \
         RETURNING note",
    )
    .bind(level)
    .bind(code)
    .bind(occupation)
    .fetch_optional(&mut *tx.inner)
    .await?;
    let Some((note,)) = before else {
        return Ok(false);
    };
    audit::record(
        tx,
        actor,
        "major_occupations.remove",
        "major_occupations",
        &entity(level, code),
        Some(&json!({"occupation": occupation, "note": note})),
        None,
    )
    .await?;
    Ok(true)
}

/// Replaces a major's occupations with `pairs` (occupation code, note). Audited when the set of
/// codes or any note changes. Returns whether anything changed.
pub async fn set_for_major(
    tx: &mut Tx,
    actor: &Actor,
    level: &str,
    code: &str,
    pairs: &[(String, Option<String>)],
) -> Result<bool> {
    // Results computed from these data (measure 5) are computed again.
    crate::versions::bump_scoped(
        tx,
        crate::versions::ALIGNMENT,
        [crate::versions::REFERENCE.to_string()],
    )
    .await?;
    let before: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT occupation_code, note FROM major_occupations WHERE major_level = $1 AND major_code = $2 \
         ORDER BY occupation_code",
    )
    .bind(level)
    .bind(code)
    .fetch_all(&mut *tx.inner)
    .await?;
    let mut after = pairs.to_vec();
    after.sort();
    after.dedup_by(|a, b| a.0 == b.0);
    if before == after {
        return Ok(false);
    }
    sqlx::query("DELETE FROM major_occupations WHERE major_level = $1 AND major_code = $2")
        .bind(level)
        .bind(code)
        .execute(&mut *tx.inner)
        .await?;
    let t = now();
    for (occ, note) in &after {
        sqlx::query(
            "INSERT INTO major_occupations (major_level, major_code, occupation_code, note, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(level)
        .bind(code)
        .bind(occ)
        .bind(note)
        .bind(t)
        .bind(&actor.name)
        .execute(&mut *tx.inner)
        .await?;
    }
    let as_json = |v: &[(String, Option<String>)]| {
        json!(
            v.iter()
                .map(|(o, n)| json!({"occupation": o, "note": n}))
                .collect::<Vec<_>>()
        )
    };
    audit::record(
        tx,
        actor,
        "major_occupations.set",
        "major_occupations",
        &entity(level, code),
        Some(&as_json(&before)),
        Some(&as_json(&after)),
    )
    .await?;
    Ok(true)
}

/// The whole crosswalk, for export, in major then occupation order.
pub async fn crosswalk(db: &Db) -> Result<Vec<CrosswalkRow>> {
    Ok(sqlx::query_as(
        "SELECT major_level, major_code, occupation_code, note FROM major_occupations \
         ORDER BY major_level, major_code, occupation_code",
    )
    .fetch_all(db.pool())
    .await?)
}

/// A cheap fingerprint of the occupations (count, last change), to know when a matcher built
/// over them is stale.
pub async fn stamp(db: &Db) -> Result<Vec<i64>> {
    let r: (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COALESCE(MAX(updated_at), 0) FROM occupations")
            .fetch_one(db.pool())
            .await?;
    Ok(vec![r.0, r.1])
}

/// Code, name and description of every occupation (level OCCUPATION), for the title matcher.
pub async fn documents(db: &Db) -> Result<Vec<(String, String, Option<String>)>> {
    Ok(sqlx::query_as(
        "SELECT code, name, description FROM occupations WHERE level = 'OCCUPATION' ORDER BY code",
    )
    .fetch_all(db.pool())
    .await?)
}
