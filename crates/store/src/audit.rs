//! Append-only, hash-chained audit log.
//!
//! Every change of state calls [`record`] inside the same transaction as the change. Entry `n`
//! stores the hash of entry `n-1`; its own hash covers all of its fields, so altering, inserting
//! or deleting an entry breaks the chain at that point and [`verify`] names it.

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{Arg, Backend, Db, Page, Paging, Result, Tx, now};

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The last entry of the log (SQLite): what the next entry chains from.
///
/// All writes of one server go through its writer lock, which keeps the head the last commit
/// left, so a transition need not read it (one round trip less while the lock is held; see
/// [`crate::applications::commit_change`]). Another process writing the same file (a command
/// run beside the server) makes the kept head stale: the next entry then takes a `seq` that
/// exists, the primary key refuses it, nothing is written, and the transaction is retried from
/// the head read anew.
#[derive(Debug, Clone)]
pub struct AuditHead {
    seq: i64,
    hash: String,
}

impl AuditHead {
    pub(crate) fn new(seq: i64, hash: String) -> Self {
        AuditHead { seq, hash }
    }

    /// The head of an empty log.
    pub(crate) fn genesis() -> Self {
        AuditHead::new(0, GENESIS_HASH.to_string())
    }
}

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

/// Appends one entry to the log inside `tx`. Returns the `seq` written (provisional on
/// PostgreSQL, see [`append`]).
pub async fn record(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    entity_type: &str,
    entity_id: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Result<i64> {
    let entry = new_entry(actor, action, entity_type, entity_id, before, after);
    let (sql, args) = append(tx, entry).await?;
    let sql = format!("{sql} RETURNING seq");
    let mut q = sqlx::query(&sql);
    for a in &args {
        q = a.bind(q);
    }
    Ok(q.fetch_one(&mut *tx.inner).await?.try_get::<i64, _>(0)?)
}

/// The statement that appends `entry` to the log inside `tx` (placeholders `$1`..`$13`), for
/// [`record`] or for a [`crate::batch::Batch`] of the same transaction.
///
/// SQLite: the writer lock serialises appenders; the entry takes its place after the head read
/// here, so nothing else may append to the log in `tx` before the statement runs.
/// PostgreSQL: the entry is written with a provisional negative `seq` and the genesis hash as
/// `prev_hash`, and a deferred trigger seals it into the chain at commit, under the lock that
/// serialises appenders (migrations/postgres/0008_audit_seal.sql): the lock is held only while
/// the database commits, not across round trips to the application.
pub(crate) async fn append(tx: &mut Tx, entry: Entry) -> Result<(String, Vec<Arg>)> {
    match tx.backend {
        Backend::Postgres => Ok(insert_statement(entry, false)),
        Backend::Sqlite => {
            // This transaction's own last entry, else the log's.
            let head = match tx.audit_next.take() {
                Some(h) => h,
                None => read_head(&mut tx.inner).await?,
            };
            let (sql, args, next) = append_after(&head, entry);
            tx.audit_next = Some(next);
            Ok((sql, args))
        }
    }
}

/// SQLite: the last entry of the log (the genesis hash at seq 0 while it is empty).
pub(crate) async fn read_head(conn: &mut sqlx::AnyConnection) -> Result<AuditHead> {
    let last = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(conn)
        .await?;
    Ok(match last {
        Some(row) => AuditHead::new(row.try_get::<i64, _>(0)?, row.try_get::<String, _>(1)?),
        None => AuditHead::genesis(),
    })
}

/// A new entry of the log, not yet chained.
pub(crate) fn new_entry(
    actor: &Actor,
    action: &str,
    entity_type: &str,
    entity_id: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Entry {
    Entry {
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
    }
}

/// SQLite: the statement that appends `entry` right after `head`, sealed as its successor
/// (placeholders `$1`..`$13`), and the head it makes. The writer lock must be held from
/// reading `head` to the commit.
pub(crate) fn append_after(head: &AuditHead, mut entry: Entry) -> (String, Vec<Arg>, AuditHead) {
    entry.seq = head.seq + 1;
    entry.prev_hash = head.hash.clone();
    entry.hash = entry.compute_hash();
    let next = AuditHead {
        seq: entry.seq,
        hash: entry.hash.clone(),
    };
    let (sql, args) = insert_statement(entry, true);
    (sql, args, next)
}

/// The INSERT of `entry`: `chained` (SQLite) with its own seq and hashes; else (PostgreSQL) with a
/// provisional seq, for the seal to chain at commit.
fn insert_statement(entry: Entry, chained: bool) -> (String, Vec<Arg>) {
    let seq_sql = if chained {
        "$1"
    } else {
        "COALESCE(CAST($1 AS BIGINT), -nextval('audit_staging_seq'))"
    };
    let sql = format!(
        "INSERT INTO audit_log (seq, at, actor_user_id, actor, actor_org_id, action, entity_type, \
         entity_id, before_json, after_json, request_id, prev_hash, hash) \
         VALUES ({seq_sql}, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    );
    let args = vec![
        Arg::OptInt(chained.then_some(entry.seq)),
        Arg::Int(entry.at),
        Arg::OptInt(entry.actor_user_id),
        Arg::Str(entry.actor),
        Arg::OptInt(entry.actor_org_id),
        Arg::Str(entry.action),
        Arg::Str(entry.entity_type),
        Arg::Str(entry.entity_id),
        Arg::OptStr(entry.before_json),
        Arg::OptStr(entry.after_json),
        Arg::OptStr(entry.request_id),
        Arg::Str(entry.prev_hash),
        Arg::Str(entry.hash),
    ];
    (sql, args)
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
