//! Append-only, hash-chained audit log.
//!
//! Every change of state calls [`record`] inside the same transaction as the change. Entry `n`
//! stores the hash of entry `n-1`; its own hash covers all of its fields, so altering, inserting
//! or deleting an entry breaks the chain at that point and [`verify`] names it.

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{Backend, Db, Page, Paging, Result, Tx, now};

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who performs a change, and under which request.
#[derive(Debug, Clone, Serialize)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub name: String,
    pub org_id: Option<i64>,
    pub request_id: Option<String>,
}

impl Actor {
    /// A change made by the platform itself or a command-line operator.
    pub fn system(name: &str) -> Actor {
        Actor {
            user_id: None,
            name: name.to_string(),
            org_id: None,
            request_id: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Entry {
    pub seq: i64,
    pub at: i64,
    pub actor_user_id: Option<i64>,
    pub actor: String,
    pub actor_org_id: Option<i64>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub request_id: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl Entry {
    /// The hash this entry should carry, computed from its fields and `prev_hash`.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        let opt_i = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
        let opt_s = |v: &Option<String>| v.clone().unwrap_or_default();
        for part in [
            self.seq.to_string(),
            self.at.to_string(),
            opt_i(self.actor_user_id),
            self.actor.clone(),
            opt_i(self.actor_org_id),
            self.action.clone(),
            self.entity_type.clone(),
            self.entity_id.clone(),
            opt_s(&self.before_json),
            opt_s(&self.after_json),
            opt_s(&self.request_id),
            self.prev_hash.clone(),
        ] {
            // Length-prefix each field so no two field lists hash alike.
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// Appends one entry to the log inside `tx`.
///
/// SQLite: the writer lock serialises appenders; the entry takes its place after the head read
/// here. PostgreSQL: the entry is written with a provisional negative `seq` and the genesis hash
/// as `prev_hash`, and a deferred trigger seals it into the chain at commit, under the lock that
/// serialises appenders (migrations/postgres/0008_audit_seal.sql): the lock is held only while
/// the database commits, not across round trips to the application. Returns the `seq` written
/// (provisional on PostgreSQL).
pub async fn record(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    entity_type: &str,
    entity_id: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Result<i64> {
    let mut entry = Entry {
        seq: 0,
        at: now(),
        actor_user_id: actor.user_id,
        actor: actor.name.clone(),
        actor_org_id: actor.org_id,
        action: action.to_string(),
        entity_type: entity_type.to_string(),
        entity_id: entity_id.to_string(),
        before_json: before.map(|v| v.to_string()),
        after_json: after.map(|v| v.to_string()),
        request_id: actor.request_id.clone(),
        prev_hash: GENESIS_HASH.to_string(),
        hash: String::new(),
    };
    let seq_sql = match tx.backend {
        Backend::Postgres => "COALESCE(CAST($1 AS BIGINT), -nextval('audit_staging_seq'))",
        Backend::Sqlite => {
            let last = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&mut *tx.inner)
                .await?;
            if let Some(row) = last {
                entry.seq = row.try_get::<i64, _>(0)?;
                entry.prev_hash = row.try_get::<String, _>(1)?;
            }
            entry.seq += 1;
            entry.hash = entry.compute_hash();
            "$1"
        }
    };
    let seq: i64 = sqlx::query_scalar(&format!(
        "INSERT INTO audit_log (seq, at, actor_user_id, actor, actor_org_id, action, entity_type, \
         entity_id, before_json, after_json, request_id, prev_hash, hash) \
         VALUES ({seq_sql}, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING seq"
    ))
    .bind((tx.backend == Backend::Sqlite).then_some(entry.seq))
    .bind(entry.at)
    .bind(entry.actor_user_id)
    .bind(&entry.actor)
    .bind(entry.actor_org_id)
    .bind(&entry.action)
    .bind(&entry.entity_type)
    .bind(&entry.entity_id)
    .bind(&entry.before_json)
    .bind(&entry.after_json)
    .bind(&entry.request_id)
    .bind(&entry.prev_hash)
    .bind(&entry.hash)
    .fetch_one(&mut *tx.inner)
    .await?;
    Ok(seq)
}

#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// Lists entries, newest first.
pub async fn list(db: &Db, filter: &Filter, paging: Paging) -> Result<Page<Entry>> {
    let mut q = crate::QueryBuilder::new();
    if let Some(a) = &filter.action {
        q.and_eq_str("action", a);
    }
    if let Some(e) = &filter.entity_type {
        q.and_eq_str("entity_type", e);
    }
    if let Some(e) = &filter.entity_id {
        q.and_eq_str("entity_id", e);
    }
    if let Some(a) = &filter.actor {
        q.and_eq_str("actor", a);
    }
    if let Some(f) = filter.from {
        q.and_cmp_int("at", ">=", f);
    }
    if let Some(t) = filter.to {
        q.and_cmp_int("at", "<", t);
    }
    let total = q.count(db, "audit_log").await?;
    let sql = format!(
        "SELECT * FROM audit_log{} ORDER BY seq DESC LIMIT {} OFFSET {}",
        q.where_sql(),
        paging.per_page,
        paging.offset()
    );
    let items = q.fetch_all::<Entry>(db, &sql).await?;
    Ok(Page {
        items,
        total,
        page: paging.page,
        per_page: paging.per_page,
    })
}

/// Outcome of [`verify`].
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub entries: i64,
    pub problem: Option<Problem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub seq: i64,
    pub message: String,
}

/// Walks the whole chain and reports the first altered or missing entry.
pub async fn verify(db: &Db) -> Result<Verification> {
    const CHUNK: i64 = 5000;
    let mut expected_seq = 1;
    let mut prev_hash = GENESIS_HASH.to_string();
    let mut count = 0;
    loop {
        let rows: Vec<Entry> =
            sqlx::query_as("SELECT * FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2")
                .bind(expected_seq)
                .bind(CHUNK)
                .fetch_all(db.pool())
                .await?;
        if rows.is_empty() {
            break;
        }
        for e in rows {
            if e.seq != expected_seq {
                return Ok(Verification {
                    entries: count,
                    problem: Some(Problem {
                        seq: expected_seq,
                        message: format!("第{expected_seq}条审计记录缺失（下一条为第{}条）", e.seq),
                    }),
                });
            }
            if e.prev_hash != prev_hash {
                return Ok(Verification {
                    entries: count,
                    problem: Some(Problem {
                        seq: e.seq,
                        message: format!("第{}条审计记录的前序哈希与上一条不符", e.seq),
                    }),
                });
            }
            if e.compute_hash() != e.hash {
                return Ok(Verification {
                    entries: count,
                    problem: Some(Problem {
                        seq: e.seq,
                        message: format!("第{}条审计记录内容已被篡改（哈希不符）", e.seq),
                    }),
                });
            }
            prev_hash = e.hash;
            expected_seq += 1;
            count += 1;
        }
    }
    Ok(Verification {
        entries: count,
        problem: None,
    })
}
