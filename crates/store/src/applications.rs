//! Applications (申报) and their reviews: rows, history, who is awaited, attachments, inbox.
//!
//! The workflow itself is pure (`domain::workflow`); this module stores its state. Every
//! change goes through [`commit_change`], which checks the version the caller read (optimistic
//! concurrency: of two reviewers acting at once, one succeeds and the other gets
//! [`StoreError::Conflict`]), and writes the row, the awaited reviewers, the history event,
//! the inbox items and the audit entry together, in one transaction of its own.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::audit::{self, Actor};
use crate::batch::Batch;
use crate::direct::WriterTx;
use crate::orgs::Scope;
use crate::{Backend, Db, Page, Paging, QueryBuilder, Result, StoreError, Tx, now};

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Application {
    pub id: i64,
    pub kind: String,
    pub applicant_org_id: i64,
    pub district: Option<String>,
    pub title: String,
    pub year: Option<i64>,
    pub status: String,
    pub stage: i64,
    pub stage_code: Option<String>,
    /// Current stage's deadline, `YYYY-MM-DD`.
    pub due_date: Option<String>,
    pub state_json: String,
    pub data_json: String,
    pub decision_json: Option<String>,
    /// Incremented by every change; callers send back the version they read.
    pub version: i64,
    pub submitted_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The version of its kind's file it was filed under (migrations/*/0018_registers.sql).
    pub kind_version: i64,
}

/// A line of a list: the application with its applicant's name.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Summary {
    pub id: i64,
    pub kind: String,
    pub applicant_org_id: i64,
    pub applicant_name: String,
    pub district: Option<String>,
    pub title: String,
    pub year: Option<i64>,
    pub status: String,
    pub stage_code: Option<String>,
    pub due_date: Option<String>,
    pub version: i64,
    pub submitted_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const SUMMARY_COLS: &str = "a.id, a.kind, a.applicant_org_id, o.name AS applicant_name, a.district, a.title, \
    a.year, a.status, a.stage_code, a.due_date, a.version, a.submitted_at, a.decided_at, a.created_at, a.updated_at";

#[derive(Debug, Clone)]
pub struct NewApplication {
    pub kind: String,
    pub applicant_org_id: i64,
    pub district: Option<String>,
    pub title: String,
    pub year: Option<i64>,
    pub status: String,
    pub state_json: String,
    pub data_json: String,
}

pub async fn create(tx: &mut Tx, actor: &Actor, new: &NewApplication) -> Result<Application> {
    let t = now();
    let app: Application = sqlx::query_as(&format!(
        "INSERT INTO applications (kind, applicant_org_id, district, title, year, status, stage, \
         state_json, data_json, created_at, updated_at, kind_version) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9, $9, $10) RETURNING {RETURNED}",
    ))
    .bind(&new.kind)
    .bind(new.applicant_org_id)
    .bind(&new.district)
    .bind(&new.title)
    .bind(new.year)
    .bind(&new.status)
    .bind(&new.state_json)
    .bind(&new.data_json)
    .bind(t)
    // Filed under the kind's version now loaded.
    .bind(domain::workflow::kind(&new.kind).map_or(1, |k| i64::from(k.version)))
    .fetch_one(&mut *tx.inner)
    .await?;
    sqlx::query(
        "INSERT INTO application_events (application_id, at, actor_user_id, actor_org_id, actor, action, \
         from_status, to_status, stage_code, summary) VALUES ($1, $2, $3, $4, $5, 'create', NULL, $6, NULL, $7)",
    )
    .bind(app.id)
    .bind(t)
    .bind(actor.user_id)
    .bind(actor.org_id)
    .bind(&actor.name)
    .bind(&new.status)
    .bind("创建草稿")
    .execute(&mut *tx.inner)
    .await?;
    audit::record(
        tx,
        actor,
        "application.create",
        "application",
        &app.id.to_string(),
        None,
        Some(&json!({"kind": app.kind, "applicant_org_id": app.applicant_org_id, "title": app.title})),
    )
    .await?;
    Ok(app)
}

/// A history line.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Event {
    pub id: i64,
    pub application_id: i64,
    pub at: i64,
    pub actor_user_id: Option<i64>,
    pub actor_org_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub stage_code: Option<String>,
    pub summary: String,
    pub comment: Option<String>,
}

/// Someone to tell: an organisation, or a reviewer key.
#[derive(Debug, Clone)]
pub enum Recipient {
    Org(i64),
    Reviewer(String),
}

/// One transition, as the workflow computed it.
#[derive(Debug, Clone)]
pub struct Change {
    pub id: i64,
    pub expected_version: i64,
    pub action: String,
    pub summary: String,
    pub comment: Option<String>,
    pub from_status: String,
    pub status: String,
    pub stage: i64,
    pub stage_code: Option<String>,
    pub due_date: Option<String>,
    pub state_json: String,
    /// New form data, when the change carries it (draft saved, resubmission).
    pub data_json: Option<String>,
    /// The rule's decision (outcome and trace), when it was evaluated.
    pub decision_json: Option<String>,
    pub submitted: bool,
    pub decided: bool,
    /// Reviewer keys now awaited (replaces the previous set).
    pub pending: Vec<String>,
    pub notify: Vec<(Recipient, String)>,
    /// What the decision does to registers, written in the same transaction.
    pub effects: Vec<crate::registers::EntryWrite>,
    /// With new data: the organisations it names as reviewers, (field, organisation).
    pub parties: Option<Vec<(String, i64)>>,
}

/// The columns a transition returns: everything but the (large) explanation, which callers
/// read with the application when they show it.
const RETURNED: &str = "id, kind, applicant_org_id, district, title, year, status, stage, stage_code, due_date, \
    state_json, data_json, NULL AS decision_json, version, submitted_at, decided_at, created_at, updated_at, \
    kind_version";

/// Whole applications: the row and its explanation (migrations/*/0011_application_decisions.sql).
const WHOLE: &str = "SELECT a.*, d.decision_json FROM applications a \
    LEFT JOIN application_decisions d ON d.application_id = a.id";

/// Applies a transition in a write transaction of its own, on the writer thread
/// ([`Db::on_writer`]): the application as it is after the change, or
/// [`StoreError::Conflict`](crate::StoreError::Conflict) if somebody changed it since
/// `expected_version` (nothing is written then).
///
/// The statements go to the database together: on SQLite run by SQLite on the writer thread
/// ([`crate::direct`]), on PostgreSQL as one statement ([`Batch`]) in a transaction. The queue
/// counts follow `application_pending` by triggers (SQLite 0010, PostgreSQL 0009 at commit).
///
/// On SQLite the audit entry chains from the head the writer lock kept
/// ([`audit::AuditHead`]); if another process has appended since, the entry's `seq` exists,
/// the transaction writes nothing, and it runs once more from the head read anew.
pub async fn commit_change(db: &Db, actor: &Actor, change: Change) -> Result<Application> {
    let (db2, actor) = (db.clone(), actor.clone());
    db.on_writer(async move {
        if db2.backend() == Backend::Postgres {
            let mut b = change_statements(&actor, &change, now());
            let (sql, args) = audit::append_statement(audit_entry(&actor, &change));
            b.push(sql, args);
            // One statement, its own transaction. Only the UPDATE returns a row; none means
            // someone else changed the application first, and the statement fails as a whole
            // (a conflict), taking back what the other statements wrote.
            let updated = b.run::<Application>(&db2).await?.pop();
            return updated.ok_or(StoreError::Conflict);
        }
        match commit_sqlite(&db2, &actor, &change, false).await {
            Err(StoreError::Sqlite(e)) if crate::direct::is_unique_violation(&e) => {
                commit_sqlite(&db2, &actor, &change, true).await
            }
            other => other,
        }
    })
    .await
}

/// SQLite: the transition as one transaction run on the writer thread
/// ([`crate::direct::WriterTx`]), the version guard first; the audit entry after the kept head,
/// or with `fresh_head` the head read from the log.
async fn commit_sqlite(
    db: &Db,
    actor: &Actor,
    c: &Change,
    fresh_head: bool,
) -> Result<Application> {
    let (sql, args) = WriterTx::version_guard(c.id, c.expected_version);
    let mut b = Batch::new();
    b.push(sql, args);
    b.append(change_statements(actor, c, now()));
    let mut wtx = db
        .writer_tx()
        .await
        .ok_or_else(|| StoreError::Writer("SQLite only".into()))?;
    let head = wtx.audit_head(fresh_head)?;
    let (sql, args, next) = audit::append_after(&head, audit_entry(actor, c));
    b.push(sql, args);
    wtx.commit(b, next, application_of)?
        .pop()
        .ok_or(StoreError::Conflict)
}

/// An application from the row a [`crate::direct::WriterTx`] returns (the columns of
/// [`RETURNED`]).
fn application_of(r: &rusqlite::Row) -> rusqlite::Result<Application> {
    Ok(Application {
        id: r.get("id")?,
        kind: r.get("kind")?,
        applicant_org_id: r.get("applicant_org_id")?,
        district: r.get("district")?,
        title: r.get("title")?,
        year: r.get("year")?,
        status: r.get("status")?,
        stage: r.get("stage")?,
        stage_code: r.get("stage_code")?,
        due_date: r.get("due_date")?,
        state_json: r.get("state_json")?,
        data_json: r.get("data_json")?,
        decision_json: r.get("decision_json")?,
        version: r.get("version")?,
        submitted_at: r.get("submitted_at")?,
        decided_at: r.get("decided_at")?,
        created_at: r.get("created_at")?,
        updated_at: r.get("updated_at")?,
        kind_version: r.get("kind_version")?,
    })
}

/// The audit entry of a transition: the status and version before and after.
fn audit_entry(actor: &Actor, c: &Change) -> audit::Entry {
    audit::new_entry(
        actor,
        &format!("application.{}", c.action),
        "application",
        &c.id.to_string(),
        Some(&json!({"status": c.from_status, "version": c.expected_version})),
        Some(
            &json!({"status": c.status, "stage": c.stage_code, "version": c.expected_version + 1, "comment": c.comment}),
        ),
    )
}

/// The statements of a transition, all but its audit entry, at time `t`: the UPDATE (the only one
/// returning a row, none if the application is no longer at `expected_version`), the
/// explanation, the awaited reviewers, the history event and the inbox items.
fn change_statements(actor: &Actor, c: &Change, t: i64) -> Batch {
    use crate::Arg::{Int, OptInt, OptStr, Str};
    let mut b = Batch::new();
    b.push(
        format!(
            "UPDATE applications SET status = $1, stage = $2, stage_code = $3, due_date = $4, state_json = $5, \
             data_json = COALESCE($6, data_json), \
             submitted_at = CASE WHEN $7 = 1 THEN $8 ELSE submitted_at END, \
             decided_at = CASE WHEN $9 = 1 THEN $8 ELSE decided_at END, \
             version = version + 1, updated_at = $8 WHERE id = $10 AND version = $11 RETURNING {RETURNED}"
        ),
        vec![
            Str(c.status.clone()),
            Int(c.stage),
            OptStr(c.stage_code.clone()),
            OptStr(c.due_date.clone()),
            Str(c.state_json.clone()),
            OptStr(c.data_json.clone()),
            Int(c.submitted as i64),
            Int(t),
            Int(c.decided as i64),
            Int(c.id),
            Int(c.expected_version),
        ],
    );
    if let Some(d) = &c.decision_json {
        b.push(
            "INSERT INTO application_decisions (application_id, decision_json) VALUES ($1, $2) \
             ON CONFLICT (application_id) DO UPDATE SET decision_json = excluded.decision_json",
            vec![Int(c.id), Str(d.clone())],
        );
    }
    // The awaited reviewers: rows no longer wanted (another reviewer, or another deadline) go,
    // wanted ones not there yet come; unchanged rows stay untouched.
    let due = c.due_date.as_deref().unwrap_or("9999-12-31");
    let mut wanted: Vec<&str> = c.pending.iter().map(String::as_str).collect();
    wanted.sort();
    wanted.dedup();
    if wanted.is_empty() {
        b.push(
            "DELETE FROM application_pending WHERE application_id = $1",
            vec![Int(c.id)],
        );
    } else {
        let ps: Vec<String> = (0..wanted.len()).map(|i| format!("${}", i + 3)).collect();
        let mut args = vec![Int(c.id), Str(due.to_string())];
        args.extend(wanted.iter().map(|r| Str(r.to_string())));
        b.push(
            format!(
                "DELETE FROM application_pending WHERE application_id = $1 \
                 AND NOT (due_date = $2 AND reviewer IN ({}))",
                ps.join(", ")
            ),
            args.clone(),
        );
        let values: Vec<String> = ps.iter().map(|p| format!("({p}, $2, $1)")).collect();
        b.push(
            format!(
                "INSERT INTO application_pending (reviewer, due_date, application_id) VALUES {} \
                 ON CONFLICT DO NOTHING",
                values.join(", ")
            ),
            args,
        );
    }
    b.push(
        "INSERT INTO application_events (application_id, at, actor_user_id, actor_org_id, actor, action, \
         from_status, to_status, stage_code, summary, comment) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        vec![
            Int(c.id),
            Int(t),
            OptInt(actor.user_id),
            OptInt(actor.org_id),
            Str(actor.name.clone()),
            Str(c.action.clone()),
            Str(c.from_status.clone()),
            Str(c.status.clone()),
            OptStr(c.stage_code.clone()),
            Str(c.summary.clone()),
            OptStr(c.comment.clone()),
        ],
    );
    if !c.notify.is_empty() {
        let mut values = Vec::new();
        let mut args = vec![Int(c.id), Int(t)];
        for (to, text) in &c.notify {
            let n = args.len();
            values.push(format!("(${}, ${}, $1, ${}, $2)", n + 1, n + 2, n + 3));
            let (org, reviewer) = match to {
                Recipient::Org(o) => (Some(*o), None),
                Recipient::Reviewer(r) => (None, Some(r.clone())),
            };
            args.extend([OptInt(org), OptStr(reviewer), Str(text.clone())]);
        }
        b.push(
            format!(
                "INSERT INTO inbox (org_id, reviewer, application_id, text, created_at) VALUES {}",
                values.join(", ")
            ),
            args,
        );
    }
    for w in &c.effects {
        b.append(crate::registers::write_statements(&actor.name, w, t));
    }
    if let Some(ps) = &c.parties {
        b.append(party_statements(c.id, ps));
    }
    b
}

/// The statements that make application `id`'s parties `ps` (field, organisation): rows of
/// other fields go, these are inserted or changed (disjoint rows, so they fit one batch).
fn party_statements(id: i64, ps: &[(String, i64)]) -> Batch {
    use crate::Arg::{Int, Str};
    let mut b = Batch::new();
    let mut args = vec![Int(id)];
    let names: Vec<String> = ps
        .iter()
        .map(|(f, _)| {
            args.push(Str(f.clone()));
            format!("${}", args.len())
        })
        .collect();
    b.push(
        if names.is_empty() {
            "DELETE FROM application_parties WHERE application_id = $1".to_owned()
        } else {
            format!(
                "DELETE FROM application_parties WHERE application_id = $1 AND field NOT IN ({})",
                names.join(", ")
            )
        },
        args,
    );
    if !ps.is_empty() {
        let mut args = vec![Int(id)];
        let mut values = Vec::new();
        for (f, org) in ps {
            let n = args.len();
            values.push(format!("($1, ${}, ${})", n + 1, n + 2));
            args.extend([Str(f.clone()), Int(*org)]);
        }
        b.push(
            format!(
                "INSERT INTO application_parties (application_id, field, org_id) VALUES {} \
                 ON CONFLICT (application_id, field) DO UPDATE SET org_id = excluded.org_id",
                values.join(", ")
            ),
            args,
        );
    }
    b
}

/// Records the organisations a new application names as reviewers (in its creating
/// transaction).
pub async fn set_parties(tx: &mut Tx, id: i64, ps: &[(String, i64)]) -> Result<()> {
    for (sql, args) in party_statements(id, ps).into_statements() {
        let mut q = sqlx::query(&sql);
        for a in &args {
            q = a.bind(q);
        }
        q.execute(&mut *tx.inner).await?;
    }
    Ok(())
}

/// Applications of `kinds` with data but no party rows: those filed before parties were
/// recorded, for the start-up backfill. (id, kind, data).
pub async fn without_parties(db: &Db, kinds: &[&str]) -> Result<Vec<(i64, String, String)>> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let ps: Vec<String> = (1..=kinds.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT a.id, a.kind, a.data_json FROM applications a WHERE a.kind IN ({}) \
         AND NOT EXISTS (SELECT 1 FROM application_parties p WHERE p.application_id = a.id) \
         ORDER BY a.id",
        ps.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for k in kinds {
        q = q.bind(*k);
    }
    let rows = q.fetch_all(db.pool()).await?;
    rows.iter()
        .map(|r| {
            use sqlx::Row;
            Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))
        })
        .collect()
}

/// An inbox item written outside a transition (the background jobs' notices, `store::jobs`):
/// to whom, about which application (if any), and what it says.
#[derive(Debug, Clone)]
pub struct NewInboxItem {
    pub to: Recipient,
    pub application_id: Option<i64>,
    pub text: String,
}

/// Writes `items` to the inbox in `tx`, created now. Transitions write theirs with the change
/// ([`commit_change`]); this is for everything else.
pub async fn insert_inbox(tx: &mut Tx, items: &[NewInboxItem]) -> Result<()> {
    const INSERT: crate::insert::InsertMany = crate::insert::InsertMany {
        table: "inbox",
        columns: &["org_id", "reviewer", "application_id", "text", "created_at"],
        tail: "",
    };
    let t = now();
    INSERT
        .run(tx, items, |q, item| {
            let (org, reviewer) = match &item.to {
                Recipient::Org(o) => (Some(*o), None),
                Recipient::Reviewer(r) => (None, Some(r.as_str())),
            };
            q.bind(org)
                .bind(reviewer)
                .bind(item.application_id)
                .bind(item.text.as_str())
                .bind(t)
        })
        .await?;
    Ok(())
}

/// Rebuilds the queue counts from the awaited reviewers, after rows were written to
/// `application_pending` other than through [`apply_change`] (bulk loads).
pub async fn recount_queues(db: &Db) -> Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM queue_counts")
        .execute(&mut *tx.inner)
        .await?;
    sqlx::query(
        "INSERT INTO queue_counts (reviewer, n) \
         SELECT reviewer, COUNT(*) FROM application_pending GROUP BY reviewer",
    )
    .execute(&mut *tx.inner)
    .await?;
    tx.commit().await
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Application>> {
    Ok(sqlx::query_as(&format!("{WHOLE} WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?)
}

/// An application with its applicant's name and credit code, read together (a transition needs
/// both: reviewers are told who applied, and rules may read the credit code).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WithApplicant {
    #[sqlx(flatten)]
    pub app: Application,
    pub applicant_name: Option<String>,
    pub applicant_code: Option<String>,
}

/// [`get`] with the applicant's name and credit code, in one statement.
pub async fn get_with_applicant(db: &Db, id: i64) -> Result<Option<WithApplicant>> {
    Ok(sqlx::query_as(
        "SELECT a.*, d.decision_json, o.name AS applicant_name, o.code AS applicant_code \
         FROM applications a LEFT JOIN application_decisions d ON d.application_id = a.id \
         LEFT JOIN orgs o ON o.id = a.applicant_org_id WHERE a.id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?)
}

/// The applications of `ids` (absent ones absent), a chunk of ids per statement.
pub async fn get_many(db: &Db, ids: &BTreeSet<i64>) -> Result<Vec<Application>> {
    crate::names::by_ids(db, ids, WHOLE, "a.id").await
}

/// For each of the applications `ids`, when it first entered each of `statuses`: (application,
/// status) → the time of its first history line to that status.
pub async fn first_entered(
    db: &Db,
    ids: &BTreeSet<i64>,
    statuses: &[&str],
) -> Result<HashMap<(i64, String), i64>> {
    let rows: Vec<(i64, String, i64, i64)> = crate::names::by_ids(
        db,
        ids,
        "SELECT application_id, to_status, at, id FROM application_events",
        "application_id",
    )
    .await?;
    let mut first: HashMap<(i64, String), (i64, i64)> = HashMap::new();
    for (app, status, at, id) in rows {
        if !statuses.contains(&status.as_str()) {
            continue;
        }
        let e = first.entry((app, status)).or_insert((id, at));
        if id < e.0 {
            *e = (id, at);
        }
    }
    Ok(first.into_iter().map(|(k, (_, at))| (k, at)).collect())
}

pub async fn events(db: &Db, id: i64) -> Result<Vec<Event>> {
    Ok(
        sqlx::query_as("SELECT * FROM application_events WHERE application_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(db.pool())
            .await?,
    )
}

/// What a list of applications selects; every condition optional, all of them together.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub applicant_org_id: Option<i64>,
    /// Kind code (`domain::workflow::Kind::code`).
    pub kind: Option<String>,
    /// Status (`domain::workflow::Status::as_str`).
    pub status: Option<String>,
    /// Code of the current stage (`domain::workflow::StageDef::code`; the same code in several
    /// kinds selects it in each).
    pub stage: Option<String>,
    /// The applicant's division code, as the application recorded it when created.
    pub district: Option<String>,
    /// The application's year: the year it is for where its kind has one (a tax-credit claim's
    /// `year` column), else the year it was created (Beijing time).
    pub year: Option<i64>,
    /// `Some(true)`: only applications in review whose stage deadline has passed (the
    /// deadline before `today`, as `domain::workflow::is_overdue` judges); `Some(false)`: only
    /// the others.
    pub overdue: Option<bool>,
    /// The day `overdue` is judged on; today in Shanghai when `None`.
    pub today: Option<chrono::NaiveDate>,
    /// Part of the applicant organisation's name or of the application's title
    /// (case-insensitive; `%` and `_` match themselves).
    pub q: Option<String>,
}

/// Whose applications a caller sees: those of the organisations within its scope that have
/// been submitted (a draft is its applicant's own until then) and are of a kind it reviews,
/// and its own organisation's (drafts included). Required by every list of applications;
/// made from a signed-in user by `web::auth::access::viewer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub scope: Scope,
    /// The caller's organisation, whose drafts it sees.
    pub org_id: i64,
    /// The kinds of other organisations' applications it sees (those it reviews at some
    /// stage); `None`: every kind.
    pub kinds: Option<Vec<String>>,
    /// It also sees, outside its scope, the submitted applications that name its
    /// organisation as a reviewer (a bank chosen in the form).
    pub named: bool,
}

impl Viewer {
    /// Adds the viewer's conditions, after every other condition.
    fn restrict(&self, q: &mut QueryBuilder) {
        let before = q.cond_count();
        self.restrict_scope(q);
        if self.named {
            // The scope's conditions, or, as an alternative, the applications naming it.
            let scoped = q.split_off_conds(before);
            let org = q.arg(crate::Arg::Int(self.org_id));
            q.and(format!(
                "(({}) OR (a.status <> 'draft' AND EXISTS (SELECT 1 FROM application_parties p \
                 WHERE p.application_id = a.id AND p.org_id = {org})))",
                scoped.join(" AND ")
            ));
        }
    }

    fn restrict_scope(&self, q: &mut QueryBuilder) {
        self.scope.restrict(q, "a.applicant_org_id", "a.district");
        let others = match &self.kinds {
            None => "a.status <> 'draft'".to_string(),
            Some(ks) if ks.is_empty() => "1 = 0".to_string(),
            Some(ks) => {
                let ps: Vec<String> = ks
                    .iter()
                    .map(|k| q.arg(crate::Arg::Str(k.clone())))
                    .collect();
                format!("a.status <> 'draft' AND a.kind IN ({})", ps.join(", "))
            }
        };
        let own = q.arg(crate::Arg::Int(self.org_id));
        q.and(format!("(({others}) OR a.applicant_org_id = {own})"));
    }
}

/// Unix seconds at the start of 1 January of `year`, Beijing time.
fn year_start(year: i64) -> i64 {
    let y = i32::try_from(year.clamp(-9999, 9999)).unwrap_or(1970);
    chrono::NaiveDate::from_ymd_opt(y, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp() - 8 * 3600)
        .unwrap_or(0)
}

/// Applications matching `f` within what `viewer` sees, newest first.
fn filtered(viewer: &Viewer, f: &Filter) -> QueryBuilder {
    use crate::Arg::{Int, Str};
    let mut q = QueryBuilder::new();
    if let Some(o) = f.applicant_org_id {
        q.and_cmp_int("a.applicant_org_id", "=", o);
    }
    if let Some(k) = &f.kind {
        q.and_eq_str("a.kind", k);
    }
    if let Some(s) = &f.status {
        q.and_eq_str("a.status", s);
    }
    if let Some(s) = &f.stage {
        q.and_eq_str("a.stage_code", s);
    }
    if let Some(d) = &f.district {
        q.and_eq_str("a.district", d);
    }
    if let Some(y) = f.year {
        let py = q.arg(Int(y));
        let from = q.arg(Int(year_start(y)));
        let to = q.arg(Int(year_start(y + 1)));
        q.and(format!(
            "(a.year = {py} OR (a.year IS NULL AND a.created_at >= {from} AND a.created_at < {to}))"
        ));
    }
    if let Some(overdue) = f.overdue {
        let today = f
            .today
            .unwrap_or_else(domain::calendar::today_shanghai)
            .format("%Y-%m-%d")
            .to_string();
        let p = q.arg(Str(today));
        q.and(if overdue {
            format!("(a.status = 'in_review' AND a.due_date < {p})")
        } else {
            format!("(a.status <> 'in_review' OR a.due_date IS NULL OR a.due_date >= {p})")
        });
    }
    if let Some(t) = f.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let like = format!("%{}%", crate::orgs::escape_like(&t.to_lowercase()));
        let name = q.arg(Str(like.clone()));
        let title = q.arg(Str(like));
        q.and(format!(
            "(LOWER(o.name) LIKE {name} ESCAPE '\\' OR LOWER(a.title) LIKE {title} ESCAPE '\\')"
        ));
    }
    viewer.restrict(&mut q);
    q
}

/// Whether `f` searches text, whose conditions read the applicant's name.
fn searches(f: &Filter) -> bool {
    f.q.as_deref().is_some_and(|t| !t.trim().is_empty())
}

/// The tables a count of `f`'s applications reads: the applicant only for a text search.
fn from_for(f: &Filter) -> &'static str {
    if searches(f) {
        "applications a JOIN orgs o ON o.id = a.applicant_org_id"
    } else {
        "applications a"
    }
}

/// Whole applications (data and decision included) matching `f` that `viewer` sees, at most
/// `cap`, newest first — for totals computed from their contents.
pub async fn list_full(db: &Db, viewer: &Viewer, f: &Filter, cap: i64) -> Result<Vec<Application>> {
    let q = filtered(viewer, f);
    let join = if searches(f) {
        " JOIN orgs o ON o.id = a.applicant_org_id"
    } else {
        ""
    };
    let sql = format!(
        "{WHOLE}{join}{} ORDER BY a.id DESC LIMIT {cap}",
        q.where_sql()
    );
    q.fetch_all::<Application>(db, &sql).await
}

/// The page `paging` of the applications matching `f` that `viewer` sees, newest first, given
/// their number.
async fn page_of(
    db: &Db,
    viewer: &Viewer,
    f: &Filter,
    paging: Paging,
    total: i64,
) -> Result<Page<Summary>> {
    let q = filtered(viewer, f);
    let sql = format!(
        "SELECT {SUMMARY_COLS} FROM applications a JOIN orgs o ON o.id = a.applicant_org_id{} \
         ORDER BY a.id DESC LIMIT {} OFFSET {}",
        q.where_sql(),
        paging.per_page,
        paging.offset()
    );
    let items = q.fetch_all::<Summary>(db, &sql).await?;
    Ok(Page {
        items,
        total,
        page: paging.page,
        per_page: paging.per_page,
    })
}

pub async fn list(db: &Db, viewer: &Viewer, f: &Filter, paging: Paging) -> Result<Page<Summary>> {
    let total = filtered(viewer, f).count(db, from_for(f)).await?;
    page_of(db, viewer, f, paging, total).await
}

/// How many applications matching `f` that `viewer` sees are in each status (one query):
/// `(status, count)` for every status that has any, in the order of the status codes.
pub async fn totals_by_status(db: &Db, viewer: &Viewer, f: &Filter) -> Result<Vec<(String, i64)>> {
    let q = filtered(viewer, f);
    let sql = format!(
        "SELECT a.status, CAST(COUNT(*) AS BIGINT) FROM {}{} GROUP BY a.status ORDER BY a.status",
        from_for(f),
        q.where_sql()
    );
    q.fetch_all::<(String, i64)>(db, &sql).await
}

/// A page of the applications matching `f` that `viewer` sees, and how many of the
/// applications matching `f` but its status are in each status ([`totals_by_status`]); the
/// page's total is read from those, so the two queries agree.
pub async fn list_with_totals(
    db: &Db,
    viewer: &Viewer,
    f: &Filter,
    paging: Paging,
) -> Result<(Page<Summary>, Vec<(String, i64)>)> {
    let any_status = Filter {
        status: None,
        ..f.clone()
    };
    let totals = totals_by_status(db, viewer, &any_status).await?;
    let total = totals
        .iter()
        .filter(|(s, _)| f.status.as_ref().is_none_or(|want| want == s))
        .map(|(_, n)| n)
        .sum();
    Ok((page_of(db, viewer, f, paging, total).await?, totals))
}

/// The applications matching `f` that `viewer` sees, at most `cap`, newest first (exports).
pub async fn export(db: &Db, viewer: &Viewer, f: &Filter, cap: i64) -> Result<Vec<Summary>> {
    let q = filtered(viewer, f);
    let sql = format!(
        "SELECT {SUMMARY_COLS} FROM applications a JOIN orgs o ON o.id = a.applicant_org_id{} \
         ORDER BY a.id DESC LIMIT {cap}",
        q.where_sql()
    );
    q.fetch_all::<Summary>(db, &sql).await
}

/// The form data (`data_json`) of the applications [`export`] gives for the same arguments, by
/// id: for an export that adds a kind's fields as columns.
pub async fn export_data(
    db: &Db,
    viewer: &Viewer,
    f: &Filter,
    cap: i64,
) -> Result<std::collections::HashMap<i64, String>> {
    let q = filtered(viewer, f);
    let sql = format!(
        "SELECT a.id, a.data_json FROM applications a JOIN orgs o ON o.id = a.applicant_org_id{} \
         ORDER BY a.id DESC LIMIT {cap}",
        q.where_sql()
    );
    Ok(q.fetch_all::<(i64, String)>(db, &sql)
        .await?
        .into_iter()
        .collect())
}

/// What awaits any of `reviewers`, earliest deadline first.
pub async fn queue(db: &Db, reviewers: &[String], paging: Paging) -> Result<Page<Summary>> {
    if reviewers.is_empty() {
        return Ok(Page {
            items: Vec::new(),
            total: 0,
            page: paging.page,
            per_page: paging.per_page,
        });
    }
    let mut q = QueryBuilder::new();
    let ps: Vec<String> = reviewers
        .iter()
        .map(|r| q.arg(crate::Arg::Str(r.clone())))
        .collect();
    let keys = ps.join(", ");
    q.and(format!("p.reviewer IN ({keys})"));
    // The queue's length comes with each row of the page (one statement, not two); an empty
    // page asks for it apart.
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        s: Summary,
        queue_total: i64,
    }
    let sql = format!(
        "SELECT {SUMMARY_COLS}, (SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM queue_counts \
         WHERE reviewer IN ({keys})) AS queue_total \
         FROM application_pending p JOIN applications a ON a.id = p.application_id \
         JOIN orgs o ON o.id = a.applicant_org_id{} ORDER BY p.due_date, p.application_id LIMIT {} OFFSET {}",
        q.where_sql(),
        paging.per_page,
        paging.offset()
    );
    let rows = q.fetch_all::<Row>(db, &sql).await?;
    let total = match rows.first() {
        Some(r) => r.queue_total,
        None => queue_total(db, reviewers).await?,
    };
    let items = rows.into_iter().map(|r| r.s).collect();
    Ok(Page {
        items,
        total,
        page: paging.page,
        per_page: paging.per_page,
    })
}

/// How many rows of `application_pending` await any of `reviewers`: the length of the queue
/// that [`queue`] pages through.
async fn queue_total(db: &Db, reviewers: &[String]) -> Result<i64> {
    let ps: Vec<String> = (1..=reviewers.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM queue_counts WHERE reviewer IN ({})",
        ps.join(", ")
    );
    let mut q = sqlx::query_scalar::<_, i64>(&sql);
    for r in reviewers {
        q = q.bind(r);
    }
    Ok(q.fetch_one(db.pool()).await?)
}

/// How many of the applications awaiting any of `reviewers` are past their stage deadline
/// on `today` (the deadline before it), each application once.
pub async fn queue_overdue(db: &Db, reviewers: &[String], today: chrono::NaiveDate) -> Result<i64> {
    if reviewers.is_empty() {
        return Ok(0);
    }
    let ps: Vec<String> = (2..=reviewers.len() + 1).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT CAST(COUNT(DISTINCT application_id) AS BIGINT) FROM application_pending \
         WHERE due_date < $1 AND reviewer IN ({})",
        ps.join(", ")
    );
    let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(today.format("%Y-%m-%d").to_string());
    for r in reviewers {
        q = q.bind(r);
    }
    Ok(q.fetch_one(db.pool()).await?)
}

/// The organisation's applications of a kind in a status (e.g. its approved certification).
pub async fn of_org(
    db: &Db,
    org_id: i64,
    kind: &str,
    status: Option<&str>,
) -> Result<Vec<Application>> {
    let mut sql = format!("{WHOLE} WHERE a.applicant_org_id = $1 AND a.kind = $2");
    if status.is_some() {
        sql.push_str(" AND a.status = $3");
    }
    sql.push_str(" ORDER BY a.id");
    let mut q = sqlx::query_as::<_, Application>(&sql)
        .bind(org_id)
        .bind(kind);
    if let Some(s) = status {
        q = q.bind(s);
    }
    Ok(q.fetch_all(db.pool()).await?)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Attachment {
    pub id: i64,
    pub application_id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: Option<i64>,
    pub created_at: i64,
    /// The attachment slot (a kind's `attachment` field) it was uploaded into, if any.
    pub slot: Option<String>,
}

/// Stores an attachment (bytes once per checksum), in `slot` when given, and its audit entry.
pub async fn add_attachment(
    tx: &mut Tx,
    actor: &Actor,
    application_id: i64,
    slot: Option<&str>,
    filename: &str,
    content_type: &str,
    bytes: &[u8],
) -> Result<Attachment> {
    let sha = hex::encode(Sha256::digest(bytes));
    sqlx::query("INSERT INTO attachment_blobs (sha256, data) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING")
        .bind(&sha)
        .bind(bytes.to_vec())
        .execute(&mut *tx.inner)
        .await?;
    let a: Attachment = sqlx::query_as(
        "INSERT INTO attachments (application_id, filename, content_type, size, sha256, uploaded_by, created_at, slot) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
    )
    .bind(application_id)
    .bind(filename)
    .bind(content_type)
    .bind(bytes.len() as i64)
    .bind(&sha)
    .bind(actor.user_id)
    .bind(now())
    .bind(slot)
    .fetch_one(&mut *tx.inner)
    .await?;
    audit::record(
        tx,
        actor,
        "attachment.add",
        "application",
        &application_id.to_string(),
        None,
        Some(&json!({"attachment": a.id, "slot": slot, "filename": filename, "size": a.size, "sha256": sha})),
    )
    .await?;
    Ok(a)
}

pub async fn attachments(db: &Db, application_id: i64) -> Result<Vec<Attachment>> {
    Ok(
        sqlx::query_as("SELECT * FROM attachments WHERE application_id = $1 ORDER BY id")
            .bind(application_id)
            .fetch_all(db.pool())
            .await?,
    )
}

/// An attachment of this application with its bytes.
pub async fn attachment_data(
    db: &Db,
    application_id: i64,
    id: i64,
) -> Result<Option<(Attachment, Vec<u8>)>> {
    let a: Option<Attachment> =
        sqlx::query_as("SELECT * FROM attachments WHERE id = $1 AND application_id = $2")
            .bind(id)
            .bind(application_id)
            .fetch_optional(db.pool())
            .await?;
    let Some(a) = a else { return Ok(None) };
    let data: Vec<u8> = sqlx::query_scalar("SELECT data FROM attachment_blobs WHERE sha256 = $1")
        .bind(&a.sha256)
        .fetch_one(db.pool())
        .await?;
    Ok(Some((a, data)))
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct InboxItem {
    pub id: i64,
    pub application_id: Option<i64>,
    pub text: String,
    pub created_at: i64,
}

/// The items addressed to an organisation or to any of the reviewer keys its users answer for.
fn inbox_of(org_id: i64, reviewers: &[String]) -> QueryBuilder {
    let mut q = QueryBuilder::new();
    let org = q.arg(crate::Arg::Int(org_id));
    let mut cond = format!("org_id = {org}");
    if !reviewers.is_empty() {
        let ps: Vec<String> = reviewers
            .iter()
            .map(|r| q.arg(crate::Arg::Str(r.clone())))
            .collect();
        cond = format!("({cond} OR reviewer IN ({}))", ps.join(", "));
    }
    q.and(cond);
    q
}

/// The inbox items of an organisation and its reviewer keys newer than what `user_id` has
/// seen (see [`mark_inbox_seen`]).
pub async fn inbox_unread(db: &Db, user_id: i64, org_id: i64, reviewers: &[String]) -> Result<i64> {
    let mut q = inbox_of(org_id, reviewers);
    let user = q.arg(crate::Arg::Int(user_id));
    q.and(format!(
        "id > (SELECT inbox_seen_id FROM users WHERE id = {user})"
    ));
    q.count(db, "inbox").await
}

/// Marks every inbox item up to `last_id` seen by `user_id` (never moves back).
pub async fn mark_inbox_seen(db: &Db, user_id: i64, last_id: i64) -> Result<()> {
    sqlx::query("UPDATE users SET inbox_seen_id = $1 WHERE id = $2 AND inbox_seen_id < $1")
        .bind(last_id)
        .bind(user_id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The inbox of an organisation and the reviewer keys its users answer for.
pub async fn inbox(
    db: &Db,
    org_id: i64,
    reviewers: &[String],
    paging: Paging,
) -> Result<Page<InboxItem>> {
    let q = inbox_of(org_id, reviewers);
    let total = q.count(db, "inbox").await?;
    let sql = format!(
        "SELECT id, application_id, text, created_at FROM inbox{} ORDER BY id DESC LIMIT {} OFFSET {}",
        q.where_sql(),
        paging.per_page,
        paging.offset()
    );
    let items = q.fetch_all::<InboxItem>(db, &sql).await?;
    Ok(Page {
        items,
        total,
        page: paging.page,
        per_page: paging.per_page,
    })
}

/// Records the file of `kind` at `version` unless a file of that version is recorded; returns
/// the recorded file (the one given, or the one kept before).
pub async fn record_kind_definition(
    db: &Db,
    kind: &str,
    version: i64,
    toml: &str,
) -> Result<String> {
    sqlx::query(
        "INSERT INTO kind_definitions (kind, version, toml, loaded_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (kind, version) DO NOTHING",
    )
    .bind(kind)
    .bind(version)
    .bind(toml)
    .bind(now())
    .execute(db.pool())
    .await?;
    kind_definition(db, kind, version)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("申报事项“{kind}”第{version}版的定义")))
}

/// The recorded file of `kind` at `version`.
pub async fn kind_definition(db: &Db, kind: &str, version: i64) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT toml FROM kind_definitions WHERE kind = $1 AND version = $2")
            .bind(kind)
            .bind(version)
            .fetch_optional(db.pool())
            .await?,
    )
}
