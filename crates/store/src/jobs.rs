//! Storage of the background jobs (`web::features::jobs`): the lock that lets one node run a pass, what
//! awaits whom by when, and the notices already sent (`job_notices`, migration 0017).
//!
//! A notice is sent once: its key (what it is about, e.g. an application's stage and due date)
//! and its inbox items are written in one transaction, and a key already stored means it went
//! out. That holds by itself across passes and nodes; the pass lock only spares the other
//! nodes the work.

use std::collections::BTreeMap;

use serde_json::json;
use sqlx::{AnyConnection, Connection, Row};

use crate::applications::NewInboxItem;
use crate::audit::{self, Actor};
use crate::{Backend, Db, Result, now};

/// The advisory-lock key of a jobs pass (distinct from the audit locks and the background
/// lease, `store::lease`).
const PASS_KEY: i64 = 72_430_020;

/// The right to run one pass of the background jobs.
///
/// On PostgreSQL a session-level advisory lock held by a connection of its own, outside the
/// pool, for the length of the pass: a node that does not get it skips the pass. Should the
/// node die mid-pass, its connection closes and PostgreSQL releases the lock. A SQLite file is
/// served by one process, which always gets it.
pub struct PassLock {
    conn: Option<AnyConnection>,
}

impl PassLock {
    /// Takes the lock if it is free; `None` when another pass holds it.
    pub async fn try_take(db: &Db) -> Result<Option<PassLock>> {
        if db.backend() == Backend::Sqlite {
            return Ok(Some(PassLock { conn: None }));
        }
        let mut conn = db.pool().acquire().await?.detach();
        let held: bool = sqlx::query("SELECT pg_try_advisory_lock($1) AS held")
            .bind(PASS_KEY)
            .fetch_one(&mut conn)
            .await?
            .try_get("held")?;
        if held {
            Ok(Some(PassLock { conn: Some(conn) }))
        } else {
            let _ = conn.close().await;
            Ok(None)
        }
    }

    /// Releases the lock and closes its connection (closing alone would release it too).
    pub async fn release(self) -> Result<()> {
        if let Some(mut conn) = self.conn {
            let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(PASS_KEY)
                .execute(&mut conn)
                .await;
            let _ = conn.close().await;
            unlocked?;
        }
        Ok(())
    }
}

/// An application awaiting a reviewer, with its current due date: one row per awaited
/// reviewer (`application_pending`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Awaited {
    pub application_id: i64,
    pub title: String,
    pub applicant_name: String,
    pub stage: i64,
    pub stage_code: Option<String>,
    /// `YYYY-MM-DD`.
    pub due_date: String,
    pub reviewer: String,
}

/// The applications in `status` whose current due date is before `before` (`YYYY-MM-DD`), one
/// row per awaited reviewer, by application and reviewer. Read from the awaited reviewers,
/// which hold only open applications.
pub async fn awaited_due_before(db: &Db, status: &str, before: &str) -> Result<Vec<Awaited>> {
    Ok(sqlx::query_as(
        "SELECT a.id AS application_id, a.title, o.name AS applicant_name, a.stage, a.stage_code, \
         a.due_date, p.reviewer \
         FROM application_pending p JOIN applications a ON a.id = p.application_id \
         JOIN orgs o ON o.id = a.applicant_org_id \
         WHERE p.due_date < $1 AND a.status = $2 AND a.due_date IS NOT NULL AND a.due_date < $1 \
         ORDER BY a.id, p.reviewer",
    )
    .bind(before)
    .bind(status)
    .fetch_all(db.pool())
    .await?)
}

/// A notice: its key (sent once per key), its kind (counted in the pass's audit entry) and the
/// inbox items that send it.
#[derive(Debug, Clone)]
pub struct Notice {
    pub key: String,
    pub kind: String,
    pub items: Vec<NewInboxItem>,
}

/// What [`send`] sent: notices by kind, and inbox items written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sent {
    pub by_kind: BTreeMap<String, i64>,
    pub items: i64,
}

/// The keys of `keys` already stored (notices sent before).
async fn known(db: &Db, keys: &[&str]) -> Result<std::collections::HashSet<String>> {
    let mut out = std::collections::HashSet::new();
    for chunk in keys.chunks(500) {
        let ps: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT notice_key FROM job_notices WHERE notice_key IN ({})",
            ps.join(", ")
        );
        let mut q = sqlx::query_scalar::<_, String>(&sql);
        for k in chunk {
            q = q.bind(*k);
        }
        out.extend(q.fetch_all(db.pool()).await?);
    }
    Ok(out)
}

/// Sends the notices of `notices` not sent before, in one transaction: each notice's key is
/// stored (`ON CONFLICT DO NOTHING`: a pass that stored it first, even one committing meanwhile
/// on another node, has sent it) and, if it was new, its inbox items are written; when anything
/// was sent, the audit log records the pass (`jobs.run`, object `day`) with the counts. Writes
/// nothing when every notice was sent before.
pub async fn send(db: &Db, actor: &Actor, day: &str, notices: &[Notice]) -> Result<Sent> {
    let keys: Vec<&str> = notices.iter().map(|n| n.key.as_str()).collect();
    let seen = known(db, &keys).await?;
    let fresh: Vec<&Notice> = notices.iter().filter(|n| !seen.contains(&n.key)).collect();
    let mut sent = Sent::default();
    if fresh.is_empty() {
        return Ok(sent);
    }
    let mut tx = db.begin().await?;
    let t = now();
    for n in fresh {
        let stored = sqlx::query(
            "INSERT INTO job_notices (notice_key, kind, sent_at) VALUES ($1, $2, $3) \
             ON CONFLICT (notice_key) DO NOTHING RETURNING notice_key",
        )
        .bind(&n.key)
        .bind(&n.kind)
        .bind(t)
        .fetch_optional(&mut *tx.inner)
        .await?;
        if stored.is_none() {
            continue;
        }
        crate::applications::insert_inbox(&mut tx, &n.items).await?;
        *sent.by_kind.entry(n.kind.clone()).or_default() += 1;
        sent.items += n.items.len() as i64;
    }
    if sent.by_kind.is_empty() {
        return Ok(sent);
    }
    let mut counts: serde_json::Map<String, serde_json::Value> = sent
        .by_kind
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    counts.insert("inbox_items".into(), json!(sent.items));
    audit::record(
        &mut tx,
        actor,
        "jobs.run",
        "jobs",
        day,
        None,
        Some(&serde_json::Value::Object(counts)),
    )
    .await?;
    tx.commit().await?;
    Ok(sent)
}
