//! Bulk loading, for demo data and large imports: many rows per statement, one transaction,
//! one audit entry for the whole batch.

use std::collections::HashMap;

use serde_json::json;
use sqlx::Row;

use crate::audit::{self, Actor};
use crate::insert::InsertMany;
use crate::orgs::{NewOrg, index_grams};
use crate::{Db, Result, Tx, now};

/// Organisations by code: one already there is left as it is.
const ORGS: InsertMany = InsertMany {
    table: "orgs",
    columns: &[
        "kind",
        "code",
        "name",
        "district",
        "school_level",
        "industry",
        "size",
        "ownership",
        "unit_code",
        "created_at",
        "updated_at",
    ],
    tail: "ON CONFLICT (code) DO NOTHING RETURNING id, code",
};

/// The bigram table's indexes, as the migrations create them.
const GRAM_INDEXES: [&str; 2] = [
    "CREATE INDEX org_grams_idx ON org_grams (gram, district, org_id)",
    "CREATE INDEX org_grams_city_idx ON org_grams (gram, org_id)",
];
const GRAMS: InsertMany = InsertMany {
    table: "org_grams",
    columns: &["gram", "org_id", "district"],
    tail: "",
};

/// Inserts organisations in batches; codes already present are skipped. Returns how many
/// were added. Bigram rows for name search are written with them.
pub async fn insert_orgs(tx: &mut Tx, orgs: &[NewOrg]) -> Result<usize> {
    let t = now();
    let mut added = 0;
    // Into a (nearly) empty index, appending rows and then building the index by one sort is
    // far faster than growing it row by row.
    let small = orgs.len() as i64;
    let existing: i64 = sqlx::query("SELECT COUNT(*) FROM (SELECT 1 FROM org_grams LIMIT $1) s")
        .bind(small)
        .fetch_one(&mut *tx.inner)
        .await?
        .try_get(0)?;
    // About twenty bigrams per name: an index smaller than the batch's organisation count is
    // tiny beside what is coming.
    let rebuild = small > 10_000 && existing < small;
    if rebuild {
        for idx in GRAM_INDEXES {
            let name = idx.split_whitespace().nth(2).unwrap_or_default();
            sqlx::query(&format!("DROP INDEX {name}"))
                .execute(&mut *tx.inner)
                .await?;
        }
    }
    let ids: HashMap<String, i64> = ORGS
        .returning::<_, (i64, String)>(tx, orgs, |q, o| {
            q.bind(o.kind.as_str())
                .bind(&o.code)
                .bind(&o.name)
                .bind(&o.district)
                .bind(&o.school_level)
                .bind(&o.industry)
                .bind(&o.size)
                .bind(&o.ownership)
                .bind(&o.unit_code)
                .bind(t)
                .bind(t)
        })
        .await?
        .into_iter()
        .map(|(id, code)| (code, id))
        .collect();
    added += ids.len();
    let mut gram_rows: Vec<(String, i64, &str)> = Vec::new();
    for o in orgs {
        if let Some(&id) = ids.get(&o.code) {
            for g in index_grams(&o.name) {
                gram_rows.push((g, id, o.district.as_deref().unwrap_or("")));
            }
        }
    }
    GRAMS
        .run(tx, &gram_rows, |q, (g, id, d)| {
            q.bind(g.as_str()).bind(*id).bind(*d)
        })
        .await?;
    if rebuild {
        for idx in GRAM_INDEXES {
            sqlx::query(idx).execute(&mut *tx.inner).await?;
        }
    }
    // Recount the bigram postings, per district and city-wide.
    sqlx::query("DELETE FROM org_gram_counts")
        .execute(&mut *tx.inner)
        .await?;
    sqlx::query(
        "INSERT INTO org_gram_counts (gram, district, n) \
         SELECT gram, district, COUNT(*) FROM org_grams GROUP BY gram, district",
    )
    .execute(&mut *tx.inner)
    .await?;
    sqlx::query(
        "INSERT INTO org_gram_counts (gram, district, n) \
         SELECT gram, $1, COUNT(*) FROM org_grams GROUP BY gram",
    )
    .bind(crate::orgs::ALL_DISTRICTS)
    .execute(&mut *tx.inner)
    .await?;
    Ok(added)
}

/// Records one audit entry for a bulk load.
pub async fn record_bulk(
    tx: &mut Tx,
    actor: &Actor,
    what: &str,
    summary: serde_json::Value,
) -> Result<()> {
    audit::record(
        tx,
        actor,
        "demo.generate",
        what,
        "bulk",
        None,
        Some(&json!(summary)),
    )
    .await?;
    Ok(())
}

/// Every school with its level (`secondary`, `higher_vocational`, …; '' when unknown).
pub async fn schools_with_level(db: &Db) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, COALESCE(school_level, '') FROM orgs WHERE kind = 'school' ORDER BY id",
    )
    .fetch_all(db.pool())
    .await?)
}
