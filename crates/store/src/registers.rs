//! Register entries (名录条目), their members and history (migrations/*/0018_registers.sql).
//!
//! Entries are written by the effects of a transition, in the transition's own transaction
//! ([`EntryWrite`], carried by [`crate::applications::Change`]), by the background jobs
//! (expiry) and by the startup backfill of decisions taken before registers existed.

use serde::Serialize;
use sqlx::Row;

use crate::batch::Batch;
use crate::orgs::Scope;
use crate::{Actor, Arg, Db, Page, Paging, QueryBuilder, Result, now};

/// What one effect writes to one entry.
#[derive(Debug, Clone)]
pub struct EntryWrite {
    pub register: String,
    pub entry_key: String,
    pub owner_org_id: i64,
    pub title: String,
    /// `add`, `extend`, `end` or `change`.
    pub action: String,
    /// add: the first day; extend: the day the new period starts (history only).
    pub valid_from: Option<String>,
    /// add, extend: the last day; end: the last day it held.
    pub valid_until: Option<String>,
    /// add, change: the entry's data (JSON object).
    pub data_json: Option<String>,
    /// Members to add: (organisation, role).
    pub members: Vec<(i64, String)>,
    pub application_id: Option<i64>,
    /// The history line.
    pub summary: String,
}

/// The statements of `w` at time `t`, by `actor` (none returns rows; none depends on another's
/// effect, so they fit a [`Batch`]).
pub(crate) fn write_statements(actor: &str, w: &EntryWrite, t: i64) -> Batch {
    use Arg::{Int, OptInt, OptStr, Str};
    let mut b = Batch::new();
    let key = || vec![Str(w.register.clone()), Str(w.entry_key.clone())];
    match w.action.as_str() {
        "add" | "extend" => {
            // Renewing an owner's entry keeps its row; `extend` keeps the first day.
            let from_update = if w.action == "add" {
                "valid_from = excluded.valid_from, data_json = excluded.data_json, "
            } else {
                ""
            };
            let mut args = key();
            args.extend([
                Int(w.owner_org_id),
                Str(w.title.clone()),
                OptStr(w.valid_from.clone()),
                OptStr(w.valid_until.clone()),
                Str(w.data_json.clone().unwrap_or_else(|| "{}".into())),
                OptInt(w.application_id),
                Int(t),
            ]);
            b.push(
                format!(
                    "INSERT INTO register_entries (register, entry_key, owner_org_id, title, status, \
                     valid_from, valid_until, data_json, application_id, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, 'active', $5, $6, $7, $8, $9, $9) \
                     ON CONFLICT (register, entry_key) DO UPDATE SET status = 'active', {from_update}\
                     valid_until = excluded.valid_until, title = excluded.title, \
                     application_id = excluded.application_id, updated_at = excluded.updated_at"
                ),
                args,
            );
        }
        "end" => {
            let mut args = key();
            args.extend([OptStr(w.valid_until.clone()), Int(t)]);
            b.push(
                "UPDATE register_entries SET status = 'ended', \
                 valid_until = CASE WHEN valid_until IS NULL OR valid_until > $3 THEN $3 ELSE valid_until END, \
                 updated_at = $4 WHERE register = $1 AND entry_key = $2",
                args,
            );
        }
        _ => {
            let mut args = key();
            args.extend([
                Str(w.data_json.clone().unwrap_or_else(|| "{}".into())),
                Int(t),
            ]);
            b.push(
                "UPDATE register_entries SET data_json = $3, updated_at = $4 \
                 WHERE register = $1 AND entry_key = $2",
                args,
            );
        }
    }
    if !w.members.is_empty() {
        let mut values = Vec::new();
        let mut args = key();
        for (org, role) in &w.members {
            let n = args.len();
            values.push(format!("($1, $2, ${}, ${})", n + 1, n + 2));
            args.extend([Int(*org), Str(role.clone())]);
        }
        b.push(
            format!(
                "INSERT INTO register_members (register, entry_key, org_id, role) VALUES {} \
                 ON CONFLICT DO NOTHING",
                values.join(", ")
            ),
            args,
        );
    }
    let mut args = key();
    args.extend([
        Int(t),
        Str(w.action.clone()),
        OptInt(w.application_id),
        Str(actor.to_owned()),
        OptStr(w.valid_from.clone()),
        OptStr(w.valid_until.clone()),
        Str(w.summary.clone()),
    ]);
    b.push(
        "INSERT INTO register_events (register, entry_key, at, action, application_id, actor, \
         valid_from, valid_until, summary) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        args,
    );
    b
}

/// Writes entries outside a transition (the backfill), in one transaction.
pub async fn write(db: &Db, actor: &Actor, writes: &[EntryWrite]) -> Result<()> {
    if writes.is_empty() {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    write_in(&mut tx, actor, writes).await?;
    tx.commit().await
}

async fn write_in(tx: &mut crate::Tx, actor: &Actor, writes: &[EntryWrite]) -> Result<()> {
    let t = now();
    for w in writes {
        for (sql, args) in write_statements(&actor.name, w, t).into_statements() {
            let mut q = sqlx::query(&sql);
            for a in &args {
                q = a.bind(q);
            }
            q.execute(&mut *tx.inner).await?;
        }
    }
    Ok(())
}

/// Writes the entries of an import of `register` in one transaction, with its audit entry
/// (`register.import`: how many rows, and their keys).
pub async fn import(db: &Db, actor: &Actor, register: &str, writes: &[EntryWrite]) -> Result<()> {
    let mut tx = db.begin().await?;
    write_in(&mut tx, actor, writes).await?;
    let keys: Vec<&str> = writes.iter().map(|w| w.entry_key.as_str()).collect();
    crate::audit::record(
        &mut tx,
        actor,
        "register.import",
        "register",
        register,
        None,
        Some(&serde_json::json!({"rows": writes.len(), "entries": keys})),
    )
    .await?;
    tx.commit().await
}

/// Writes one entry an editor entered by hand, with its audit entry (`register.enter`: its key,
/// title, validity and data). Returns the entry's id.
pub async fn enter(db: &Db, actor: &Actor, w: &EntryWrite) -> Result<i64> {
    let detail = serde_json::json!({
        "entry": w.entry_key,
        "title": w.title,
        "valid_from": w.valid_from,
        "valid_until": w.valid_until,
        "data": w.data_json.as_deref().and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok()),
    });
    let mut tx = db.begin().await?;
    write_in(&mut tx, actor, std::slice::from_ref(w)).await?;
    crate::audit::record(
        &mut tx,
        actor,
        "register.enter",
        "register",
        &w.register,
        None,
        Some(&detail),
    )
    .await?;
    let id: i64 = sqlx::query_scalar(
        "SELECT id FROM register_entries WHERE register = $1 AND entry_key = $2",
    )
    .bind(&w.register)
    .bind(&w.entry_key)
    .fetch_one(&mut *tx.inner)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Removes what decisions wrote to registers (entries, their members and history), so that
/// [`unrecorded_decisions`] replays them all: for a generated database whose decisions were
/// moved in time after they were taken (the demo).
pub async fn clear_decided(db: &Db) -> Result<()> {
    let mut tx = db.begin().await?;
    for sql in [
        "DELETE FROM register_members WHERE EXISTS (SELECT 1 FROM register_events r \
         WHERE r.register = register_members.register AND r.entry_key = register_members.entry_key \
         AND r.application_id IS NOT NULL)",
        "DELETE FROM register_entries WHERE EXISTS (SELECT 1 FROM register_events r \
         WHERE r.register = register_entries.register AND r.entry_key = register_entries.entry_key \
         AND r.application_id IS NOT NULL)",
        "DELETE FROM register_events WHERE application_id IS NOT NULL",
    ] {
        sqlx::query(sql).execute(&mut *tx.inner).await?;
    }
    tx.commit().await
}

/// Ends entry `id` of `register` by an editor's decision on `day` (its last day the day
/// before), with its history line and audit entry; whether it was still in force to end.
pub async fn end_by_editor(
    db: &Db,
    actor: &Actor,
    register: &str,
    id: i64,
    last_day: &str,
    summary: &str,
) -> Result<bool> {
    let mut tx = db.begin().await?;
    let t = now();
    let row = sqlx::query(
        "UPDATE register_entries SET status = 'ended', \
         valid_until = CASE WHEN valid_until IS NULL OR valid_until > $1 THEN $1 ELSE valid_until END, \
         updated_at = $2 WHERE register = $3 AND id = $4 AND status <> 'ended' RETURNING entry_key, valid_until",
    )
    .bind(last_day)
    .bind(t)
    .bind(register)
    .bind(id)
    .fetch_optional(&mut *tx.inner)
    .await?;
    let Some(row) = row else {
        return Ok(false);
    };
    let key: String = row.try_get(0)?;
    let until: Option<String> = row.try_get(1)?;
    sqlx::query(
        "INSERT INTO register_events (register, entry_key, at, action, application_id, actor, \
         valid_from, valid_until, summary) VALUES ($1, $2, $3, 'end', NULL, $4, NULL, $5, $6)",
    )
    .bind(register)
    .bind(&key)
    .bind(t)
    .bind(&actor.name)
    .bind(&until)
    .bind(summary)
    .execute(&mut *tx.inner)
    .await?;
    crate::audit::record(
        &mut tx,
        actor,
        "register.end",
        "register",
        register,
        Some(&serde_json::json!({"entry": key, "status": "in_force"})),
        Some(&serde_json::json!({"entry": key, "status": "ended", "valid_until": until, "reason": summary})),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// An entry, with its owner's name and district.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Entry {
    pub id: i64,
    pub register: String,
    pub entry_key: String,
    pub owner_org_id: i64,
    pub owner_name: String,
    pub owner_code: String,
    pub owner_district: Option<String>,
    pub title: String,
    /// `active`, `expired` or `ended` (whether it is in force on a day is read from its dates).
    pub status: String,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub data_json: String,
    pub application_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const ENTRY_COLS: &str = "e.id, e.register, e.entry_key, e.owner_org_id, o.name AS owner_name, \
    o.code AS owner_code, o.district AS owner_district, e.title, e.status, e.valid_from, e.valid_until, \
    e.data_json, e.application_id, e.created_at, e.updated_at";
const ENTRY_FROM: &str = "register_entries e JOIN orgs o ON o.id = e.owner_org_id";

/// Who reads a register: everybody sees the entries of a public register; otherwise the
/// scope decides (an organisation sees the entries it owns or takes part in; a district those
/// of its organisations; departments all).
#[derive(Debug, Clone)]
pub struct Reader {
    pub scope: Scope,
    /// The register is public.
    pub public: bool,
}

impl Reader {
    fn restrict(&self, q: &mut QueryBuilder) {
        if self.public {
            return;
        }
        match &self.scope {
            Scope::All => {}
            Scope::District(d) => {
                let p = q.arg(Arg::Str(d.clone()));
                q.and(format!(
                    "(o.district = {p} OR EXISTS (SELECT 1 FROM register_members m JOIN orgs mo ON mo.id = m.org_id \
                     WHERE m.register = e.register AND m.entry_key = e.entry_key AND mo.district = {p}))"
                ));
            }
            Scope::Org(id) => {
                let p = q.arg(Arg::Int(*id));
                q.and(format!(
                    "(e.owner_org_id = {p} OR EXISTS (SELECT 1 FROM register_members m \
                     WHERE m.register = e.register AND m.entry_key = e.entry_key AND m.org_id = {p}))"
                ));
            }
        }
    }
}

/// What a list selects.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Part of the owner's name or the entry's title, or a full credit code.
    pub q: Option<String>,
    /// The owner's district.
    pub district: Option<String>,
    /// In force on this day (`YYYY-MM-DD`): not ended, begun, not past its last day.
    pub in_force_on: Option<String>,
    /// Not in force on this day: ended, expired or not begun.
    pub lapsed_on: Option<String>,
    pub owner_org_id: Option<i64>,
}

fn filtered(register: &str, reader: &Reader, f: &Filter) -> QueryBuilder {
    let mut q = QueryBuilder::new();
    q.and_eq_str("e.register", register);
    if let Some(d) = &f.district {
        q.and_eq_str("o.district", d);
    }
    if let Some(o) = f.owner_org_id {
        q.and_cmp_int("e.owner_org_id", "=", o);
    }
    if let Some(text) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let code = q.arg(Arg::Str(text.to_uppercase()));
        let like = q.arg(Arg::Str(format!("%{}%", text.replace(['%', '_'], ""))));
        q.and(format!(
            "(o.code = {code} OR o.name LIKE {like} OR e.title LIKE {like})"
        ));
    }
    if let Some(day) = &f.in_force_on {
        let p = q.arg(Arg::Str(day.clone()));
        q.and(format!(
            "e.status <> 'ended' AND (e.valid_from IS NULL OR e.valid_from <= {p}) \
             AND (e.valid_until IS NULL OR e.valid_until >= {p})"
        ));
    }
    if let Some(day) = &f.lapsed_on {
        let p = q.arg(Arg::Str(day.clone()));
        q.and(format!(
            "NOT (e.status <> 'ended' AND (e.valid_from IS NULL OR e.valid_from <= {p}) \
             AND (e.valid_until IS NULL OR e.valid_until >= {p}))"
        ));
    }
    reader.restrict(&mut q);
    q
}

/// A page of a register's entries, the latest begun first.
pub async fn list(
    db: &Db,
    register: &str,
    reader: &Reader,
    f: &Filter,
    paging: Paging,
) -> Result<Page<Entry>> {
    let q = filtered(register, reader, f);
    let total = q.count(db, ENTRY_FROM).await?;
    let sql = format!(
        "SELECT {ENTRY_COLS} FROM {ENTRY_FROM}{} ORDER BY e.valid_from DESC, e.id DESC LIMIT {} OFFSET {}",
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

/// Every entry `f` selects (at most `cap`), for an export.
pub async fn export(
    db: &Db,
    register: &str,
    reader: &Reader,
    f: &Filter,
    cap: i64,
) -> Result<Vec<Entry>> {
    let q = filtered(register, reader, f);
    let sql = format!(
        "SELECT {ENTRY_COLS} FROM {ENTRY_FROM}{} ORDER BY e.valid_from DESC, e.id DESC LIMIT {cap}",
        q.where_sql()
    );
    q.fetch_all::<Entry>(db, &sql).await
}

/// One entry, if the reader sees it.
pub async fn get(db: &Db, register: &str, reader: &Reader, id: i64) -> Result<Option<Entry>> {
    let mut q = filtered(register, reader, &Filter::default());
    q.and_cmp_int("e.id", "=", id);
    let sql = format!("SELECT {ENTRY_COLS} FROM {ENTRY_FROM}{}", q.where_sql());
    Ok(q.fetch_all::<Entry>(db, &sql).await?.pop())
}

/// A line of an entry's history.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct EntryEvent {
    pub id: i64,
    pub at: i64,
    /// `add`, `extend`, `end`, `change` or `expire`.
    pub action: String,
    pub application_id: Option<i64>,
    pub actor: String,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub summary: String,
}

/// An entry's history, oldest first.
pub async fn events(db: &Db, register: &str, entry_key: &str) -> Result<Vec<EntryEvent>> {
    Ok(sqlx::query_as::<_, EntryEvent>(
        "SELECT id, at, action, application_id, actor, valid_from, valid_until, summary \
         FROM register_events WHERE register = $1 AND entry_key = $2 ORDER BY id",
    )
    .bind(register)
    .bind(entry_key)
    .fetch_all(db.pool())
    .await?)
}

/// A member of an entry.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Member {
    pub org_id: i64,
    pub name: String,
    pub code: String,
    pub role: String,
}

/// An entry's members.
pub async fn members(db: &Db, register: &str, entry_key: &str) -> Result<Vec<Member>> {
    Ok(sqlx::query_as::<_, Member>(
        "SELECT m.org_id, o.name, o.code, m.role FROM register_members m JOIN orgs o ON o.id = m.org_id \
         WHERE m.register = $1 AND m.entry_key = $2 ORDER BY m.role, o.name",
    )
    .bind(register)
    .bind(entry_key)
    .fetch_all(db.pool())
    .await?)
}

/// The applications of `kinds` decided (approved or revoked) that no register event names
/// yet, oldest decision first: (application id, kind, status).
pub async fn unrecorded_decisions(db: &Db, kinds: &[&str]) -> Result<Vec<(i64, String, String)>> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let ps: Vec<String> = (1..=kinds.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT a.id, a.kind, a.status FROM applications a WHERE a.kind IN ({}) \
         AND a.status IN ('approved', 'revoked') \
         AND NOT EXISTS (SELECT 1 FROM register_events r WHERE r.application_id = a.id) \
         ORDER BY a.decided_at, a.id",
        ps.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for k in kinds {
        q = q.bind(*k);
    }
    let rows = q.fetch_all(db.pool()).await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

/// Entries still marked active whose last day is on or before `until` (`YYYY-MM-DD`), of the
/// registers given: the jobs' expiry candidates, oldest end first.
pub async fn ending_by(db: &Db, registers: &[&str], until: &str) -> Result<Vec<Entry>> {
    if registers.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = QueryBuilder::new();
    q.and_eq_str("e.status", "active");
    let p = q.arg(Arg::Str(until.to_owned()));
    q.and(format!("e.valid_until <= {p}"));
    let ps: Vec<String> = registers
        .iter()
        .map(|r| q.arg(Arg::Str((*r).to_owned())))
        .collect();
    q.and(format!("e.register IN ({})", ps.join(", ")));
    let sql = format!(
        "SELECT {ENTRY_COLS} FROM {ENTRY_FROM}{} ORDER BY e.valid_until, e.id",
        q.where_sql()
    );
    q.fetch_all::<Entry>(db, &sql).await
}

/// Marks an entry expired (its last day has passed), with its history line, unless it was
/// renewed or ended meanwhile. Whether it did.
pub async fn mark_expired(db: &Db, actor: &Actor, e: &Entry, summary: &str) -> Result<bool> {
    let mut tx = db.begin().await?;
    let t = now();
    let done = sqlx::query(
        "UPDATE register_entries SET status = 'expired', updated_at = $1 \
         WHERE id = $2 AND status = 'active' AND valid_until = $3",
    )
    .bind(t)
    .bind(e.id)
    .bind(e.valid_until.clone())
    .execute(&mut *tx.inner)
    .await?
    .rows_affected()
        == 1;
    if done {
        sqlx::query(
            "INSERT INTO register_events (register, entry_key, at, action, application_id, actor, \
             valid_from, valid_until, summary) VALUES ($1, $2, $3, 'expire', NULL, $4, NULL, $5, $6)",
        )
        .bind(&e.register)
        .bind(&e.entry_key)
        .bind(t)
        .bind(&actor.name)
        .bind(e.valid_until.clone())
        .bind(summary)
        .execute(&mut *tx.inner)
        .await?;
    }
    tx.commit().await?;
    Ok(done)
}
