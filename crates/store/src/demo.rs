//! Bulk loading, for demo data and large imports: many rows per statement, one transaction,
//! one audit entry for the whole batch.

use std::collections::HashMap;

use serde_json::json;
use sqlx::Row;

use crate::audit::{self, Actor};
use crate::orgs::{NewOrg, grams};
use crate::{Result, Tx, now};

const ORG_COLS: usize = 11;
const GRAM_COLS: usize = 3;

/// Inserts organisations in batches; codes already present are skipped. Returns how many
/// were added. Bigram rows for name search are written with them.
pub async fn insert_orgs(tx: &mut Tx, orgs: &[NewOrg]) -> Result<usize> {
    let t = now();
    let mut added = 0;
    // Stay well below SQLite's 32,766 bound parameters per statement.
    for chunk in orgs.chunks(2000) {
        let mut sql = String::from(
            "INSERT INTO orgs (kind, code, name, district, school_level, industry, size, ownership, \
             unit_code, created_at, updated_at) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for c in 0..ORG_COLS {
                if c > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("${}", i * ORG_COLS + c + 1));
            }
            sql.push(')');
        }
        sql.push_str(" ON CONFLICT (code) DO NOTHING RETURNING id, code");
        let mut q = sqlx::query(&sql);
        for o in chunk {
            q = q
                .bind(o.kind.as_str())
                .bind(&o.code)
                .bind(&o.name)
                .bind(&o.district)
                .bind(&o.school_level)
                .bind(&o.industry)
                .bind(&o.size)
                .bind(&o.ownership)
                .bind(&o.unit_code)
                .bind(t)
                .bind(t);
        }
        let rows = q.fetch_all(&mut *tx.inner).await?;
        let mut ids: HashMap<String, i64> = HashMap::with_capacity(rows.len());
        for r in rows {
            ids.insert(r.try_get::<String, _>(1)?, r.try_get::<i64, _>(0)?);
        }
        added += ids.len();
        let mut gram_rows: Vec<(String, i64, Option<&str>)> = Vec::new();
        for o in chunk {
            if let Some(&id) = ids.get(&o.code) {
                for g in grams(&o.name) {
                    gram_rows.push((g, id, o.district.as_deref()));
                }
            }
        }
        for gchunk in gram_rows.chunks(5000) {
            let mut sql = String::from("INSERT INTO org_grams (gram, org_id, district) VALUES ");
            for i in 0..gchunk.len() {
                if i > 0 {
                    sql.push(',');
                }
                let b = i * GRAM_COLS;
                sql.push_str(&format!("(${},${},${})", b + 1, b + 2, b + 3));
            }
            sql.push_str(" ON CONFLICT DO NOTHING");
            let mut q = sqlx::query(&sql);
            for (g, id, d) in gchunk {
                q = q.bind(g.as_str()).bind(*id).bind(*d);
            }
            q.execute(&mut *tx.inner).await?;
        }
    }
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
