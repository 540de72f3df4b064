//! Measure 5: the national vocational major catalog (职业教育专业目录), versioned, with old→new
//! code mappings between catalogs.

use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Actor};
use crate::insert::InsertMany;
use crate::{Arg, Db, Page, Paging, QueryBuilder, Result, StoreError, Tx, now};

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Catalog {
    pub id: i64,
    /// The catalog's code as its file names it, e.g. `MOE_VOCATIONAL_2021`.
    pub code: String,
    pub name: String,
    pub items: i64,
    pub imported_at: i64,
    pub imported_by: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Major {
    pub id: i64,
    pub catalog_id: i64,
    /// VOCATIONAL_SECONDARY (中职), VOCATIONAL_ASSOCIATE (高职专科), VOCATIONAL_BACHELOR (职业本科)
    pub level: String,
    /// CATEGORY (大类), CLASS (专业类), MAJOR (专业)
    pub item_level: String,
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub category_code: String,
    pub category_name: String,
    pub class_code: Option<String>,
    pub class_name: Option<String>,
}

/// A validated catalog row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMajor {
    pub level: String,
    pub item_level: String,
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub category_code: String,
    pub category_name: String,
    pub class_code: Option<String>,
    pub class_name: Option<String>,
}

const INSERT: InsertMany = InsertMany {
    table: "majors",
    columns: &[
        "catalog_id",
        "level",
        "item_level",
        "code",
        "name",
        "parent_code",
        "category_code",
        "category_name",
        "class_code",
        "class_name",
    ],
    tail: "",
};

/// Imports a whole catalog in `tx`: all rows or none. A catalog code already present is
/// refused unless `replace`, which swaps its rows for the new ones.
pub async fn import_catalog(
    tx: &mut Tx,
    actor: &Actor,
    code: &str,
    name: &str,
    rows: &[NewMajor],
    replace: bool,
) -> Result<Catalog> {
    // Results computed from these data (measure 5) are computed again.
    crate::versions::bump(tx, crate::versions::ALIGNMENT).await?;
    let existing: Option<Catalog> = sqlx::query_as("SELECT * FROM major_catalogs WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut *tx.inner)
        .await?;
    let t = now();
    let catalog: Catalog = match existing {
        Some(c) if !replace => return Err(StoreError::Duplicate(format!("专业目录 {}", c.code))),
        Some(c) => {
            sqlx::query("DELETE FROM majors WHERE catalog_id = $1").bind(c.id).execute(&mut *tx.inner).await?;
            sqlx::query_as(
                "UPDATE major_catalogs SET name = $1, items = $2, imported_at = $3, imported_by = $4 WHERE id = $5 RETURNING *",
            )
            .bind(name)
            .bind(rows.len() as i64)
            .bind(t)
            .bind(&actor.name)
            .bind(c.id)
            .fetch_one(&mut *tx.inner)
            .await?
        }
        None => {
            sqlx::query_as(
                "INSERT INTO major_catalogs (code, name, items, imported_at, imported_by) VALUES ($1, $2, $3, $4, $5) RETURNING *",
            )
            .bind(code)
            .bind(name)
            .bind(rows.len() as i64)
            .bind(t)
            .bind(&actor.name)
            .fetch_one(&mut *tx.inner)
            .await?
        }
    };
    let catalog_id = catalog.id;
    INSERT
        .run(tx, rows, |q, m| {
            q.bind(catalog_id)
                .bind(&m.level)
                .bind(&m.item_level)
                .bind(&m.code)
                .bind(&m.name)
                .bind(&m.parent_code)
                .bind(&m.category_code)
                .bind(&m.category_name)
                .bind(&m.class_code)
                .bind(&m.class_name)
        })
        .await?;
    audit::record(
        tx,
        actor,
        if replace {
            "majors.catalog_replace"
        } else {
            "majors.catalog_import"
        },
        "major_catalog",
        &catalog.id.to_string(),
        None,
        Some(&json!({"code": code, "name": name, "items": rows.len()})),
    )
    .await?;
    Ok(catalog)
}

pub async fn catalogs(db: &Db) -> Result<Vec<Catalog>> {
    Ok(sqlx::query_as("SELECT * FROM major_catalogs ORDER BY id")
        .fetch_all(db.pool())
        .await?)
}

pub async fn catalog_by_code(db: &Db, code: &str) -> Result<Option<Catalog>> {
    Ok(
        sqlx::query_as("SELECT * FROM major_catalogs WHERE code = $1")
            .bind(code)
            .fetch_optional(db.pool())
            .await?,
    )
}

/// The most recently added catalog (the one in use).
pub async fn current_catalog(db: &Db) -> Result<Option<Catalog>> {
    Ok(
        sqlx::query_as("SELECT * FROM major_catalogs ORDER BY id DESC LIMIT 1")
            .fetch_optional(db.pool())
            .await?,
    )
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub catalog_id: i64,
    pub level: Option<String>,
    pub item_level: Option<String>,
    pub category: Option<String>,
    /// Part of the name, or the start of the code.
    pub q: Option<String>,
}

// `Filter::item_level`: `None` lists majors only; `Some("ALL")` lists categories and classes too.

pub async fn list(db: &Db, f: &Filter, paging: Paging) -> Result<Page<Major>> {
    let mut q = QueryBuilder::new();
    q.and_cmp_int("catalog_id", "=", f.catalog_id);
    match f.item_level.as_deref() {
        Some("ALL") => {}
        other => q.and_eq_str("item_level", other.unwrap_or("MAJOR")),
    }
    if let Some(l) = &f.level {
        q.and_eq_str("level", l);
    }
    if let Some(c) = &f.category {
        q.and_eq_str("category_code", c);
    }
    if let Some(text) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let esc = text.replace(['%', '_'], "");
        let name = q.arg(Arg::Str(format!("%{esc}%")));
        let code = q.arg(Arg::Str(format!("{}%", esc.to_uppercase())));
        q.and(format!("(name LIKE {name} OR code LIKE {code})"));
    }
    let total = q.count(db, "majors").await?;
    let sql = format!(
        "SELECT * FROM majors{} ORDER BY level, code LIMIT {} OFFSET {}",
        q.where_sql(),
        paging.per_page,
        paging.offset()
    );
    let items = q.fetch_all::<Major>(db, &sql).await?;
    Ok(Page {
        items,
        total,
        page: paging.page,
        per_page: paging.per_page,
    })
}

/// Counts of categories, classes and majors per level of a catalog.
pub async fn counts(db: &Db, catalog_id: i64) -> Result<Vec<(String, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT level, item_level, COUNT(*) FROM majors WHERE catalog_id = $1 GROUP BY level, item_level ORDER BY level, item_level",
    )
    .bind(catalog_id)
    .fetch_all(db.pool())
    .await?)
}

/// The categories (大类) of a level, for filters.
pub async fn categories(
    db: &Db,
    catalog_id: i64,
    level: Option<&str>,
) -> Result<Vec<(String, String, String)>> {
    let mut q = QueryBuilder::new();
    q.and_cmp_int("catalog_id", "=", catalog_id);
    q.and_eq_str("item_level", "CATEGORY");
    if let Some(l) = level {
        q.and_eq_str("level", l);
    }
    let sql = format!(
        "SELECT level, code, name FROM majors{} ORDER BY level, code",
        q.where_sql()
    );
    q.fetch_all::<(String, String, String)>(db, &sql).await
}

/// Records old→new codes between two catalogs (replacing earlier pairs for the same codes).
pub async fn import_mapping(
    tx: &mut Tx,
    actor: &Actor,
    from: &Catalog,
    to: &Catalog,
    pairs: &[(String, String)],
) -> Result<usize> {
    for (old, new) in pairs {
        sqlx::query(
            "INSERT INTO major_code_map (from_catalog_id, from_code, to_catalog_id, to_code) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        )
        .bind(from.id)
        .bind(old)
        .bind(to.id)
        .bind(new)
        .execute(&mut *tx.inner)
        .await?;
    }
    audit::record(
        tx,
        actor,
        "majors.mapping_import",
        "major_catalog",
        &to.id.to_string(),
        None,
        Some(&json!({"from": from.code, "to": to.code, "pairs": pairs.len()})),
    )
    .await?;
    Ok(pairs.len())
}

pub async fn mapping(db: &Db, from: i64, to: i64) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT from_code, to_code FROM major_code_map WHERE from_catalog_id = $1 AND to_catalog_id = $2 ORDER BY from_code, to_code",
    )
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?)
}

/// The majors (item level MAJOR) of the current catalog, by level and code.
pub async fn current_majors(db: &Db) -> Result<Vec<Major>> {
    Ok(sqlx::query_as(
        "SELECT id, catalog_id, level, item_level, code, name, parent_code, category_code, \
         category_name, class_code, class_name FROM majors WHERE item_level = 'MAJOR' \
         AND catalog_id = (SELECT MAX(id) FROM major_catalogs) ORDER BY level, code",
    )
    .fetch_all(db.pool())
    .await?)
}
