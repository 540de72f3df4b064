//! Storage: the only crate that speaks SQL.
//!
//! One schema over two backends (SQLite embedded, PostgreSQL in production) through sqlx's `Any`
//! driver. Queries are written once in the portable subset both engines accept (`$n`
//! placeholders, `RETURNING`, `ON CONFLICT`); times are unix seconds and booleans 0/1 integers so
//! no value needs backend-specific decoding. Where the engines differ (DDL, locking), the
//! difference is decided here, by [`Backend`].

pub mod accounts;
pub mod applications;
pub mod audit;
mod batch;
pub mod demand;
pub mod demo;
mod direct;
mod insert;
pub mod jobs;
pub mod lease;
pub mod majors;
pub mod names;
pub mod occupations;
pub mod orgs;
pub mod registers;
pub mod supply;
pub mod versions;

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Executor, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use audit::Actor;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("数据库错误：{0}")]
    Db(#[from] sqlx::Error),
    #[error("数据库迁移失败：{0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("不支持的数据库地址：{0}（应以 sqlite: 或 postgres:// 开头）")]
    UnsupportedUrl(String),
    #[error("{0}已存在")]
    Duplicate(String),
    #[error("{0}不存在")]
    NotFound(String),
    #[error("数据已被他人修改，请刷新后重试")]
    Conflict,
    #[error("数据库写入线程不可用：{0}")]
    Writer(String),
    #[error("数据库错误：{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The audit log cannot be keyed or anchored (see `audit`).
    #[error("{0}")]
    Audit(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Handle to the database. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// SQLite only: how writes are made (PostgreSQL needs none of it).
    sqlite_writes: Option<Arc<SqliteWrites>>,
}

/// How a SQLite database is written.
pub(crate) struct SqliteWrites {
    /// SQLite allows one writer at a time; serialising write transactions in-process avoids
    /// `SQLITE_BUSY` on lock upgrades. The lock keeps the audit log's head as the last
    /// transaction that committed here left it (see [`audit::AuditHead`]).
    lock: Arc<Mutex<Option<audit::AuditHead>>>,
    /// The one connection write transactions ([`Tx`]) use, apart from transitions. SQLite
    /// empties a connection's page cache whenever another connection has committed; a
    /// connection that makes most commits keeps its cache warm (bench/applications.sh, 16
    /// reviewers back to back: 642 → 706 transitions/s, p50 18 → 11 ms, against any connection
    /// of the pool, when transitions still went through it).
    pool: AnyPool,
    /// The thread that runs hot write transactions ([`Db::on_writer`]).
    thread: Writer,
    /// The connection that runs transitions on that thread without sqlx ([`direct`]); it makes
    /// nearly all the commits.
    direct: direct::DirectConn,
}

/// A thread of its own, with a single-threaded async runtime, for SQLite write transactions.
///
/// A write transaction holds SQLite's writer lock across several round trips to its
/// connection's thread; on the server's shared runtime each round trip's continuation waits
/// behind the other requests' tasks, and every other writer waits behind it. Here the
/// continuation runs as soon as the connection answers. The thread ends when this is dropped
/// (with the last handle to the database).
struct Writer {
    handle: tokio::runtime::Handle,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Writer {
    fn spawn() -> std::io::Result<Writer> {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (send, recv) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = send.send(Err(e));
                        return;
                    }
                };
                let _ = send.send(Ok(rt.handle().clone()));
                rt.block_on(async {
                    let _ = stopped.await;
                });
            })?;
        let handle = recv
            .recv()
            .map_err(|e| std::io::Error::other(e.to_string()))??;
        Ok(Writer {
            handle,
            _stop: stop,
        })
    }
}

/// A write transaction. Holds the SQLite writer lock, if any, until it ends.
pub struct Tx {
    pub(crate) inner: Transaction<'static, Any>,
    backend: Backend,
    /// SQLite: the writer lock, and in it the audit head the last commit under it left (for
    /// [`direct::WriterTx`]; a transaction here reads the head from the log, and keeps its own
    /// at commit).
    pub(crate) guard: Option<OwnedMutexGuard<Option<audit::AuditHead>>>,
    /// SQLite: the head after this transaction's appends, kept at commit.
    pub(crate) audit_next: Option<audit::AuditHead>,
}

impl Tx {
    pub async fn commit(mut self) -> Result<()> {
        let next = self.audit_next.take();
        match self.inner.commit().await {
            Ok(()) => {
                if let (Some(g), Some(n)) = (self.guard.as_mut(), next) {
                    **g = Some(n);
                }
                Ok(())
            }
            Err(e) => {
                if let Some(g) = self.guard.as_mut() {
                    **g = None;
                }
                Err(e.into())
            }
        }
    }
    pub fn backend(&self) -> Backend {
        self.backend
    }
}

/// A page of a list, in the shape every list of the API answers (its one list DTO).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// This page's items.
    pub items: Vec<T>,
    /// How many items the whole list has.
    pub total: i64,
    /// This page's number, from 1.
    pub page: i64,
    /// Items per page.
    pub per_page: i64,
}

impl<T> Page<T> {
    /// The same page with each item converted.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            per_page: self.per_page,
        }
    }
}

impl<T> Page<T> {
    pub fn pages(&self) -> i64 {
        if self.per_page <= 0 {
            return 1;
        }
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}

/// Normalised paging input: page ≥ 1, 1 ≤ per_page ≤ 200.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub page: i64,
    pub per_page: i64,
}

impl Paging {
    pub const MAX_PER_PAGE: i64 = 200;
    pub fn new(page: Option<i64>, per_page: Option<i64>) -> Self {
        Paging {
            page: page.unwrap_or(1).max(1),
            per_page: per_page.unwrap_or(20).clamp(1, Self::MAX_PER_PAGE),
        }
    }
    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The default embedded database: `./chanjiao.db`.
pub const DEFAULT_URL: &str = "sqlite://chanjiao.db?mode=rwc";

impl Db {
    /// Connects to `sqlite:…` or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Db> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        let pool = match backend {
            Backend::Sqlite => {
                let pool = sqlite_pool(url, 6).await?;
                spawn_checkpointer(pool.clone());
                pool
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .acquire_timeout(Duration::from_secs(10))
                    .max_connections(postgres_pool_size())
                    .connect(url)
                    .await?
            }
        };
        let sqlite_writes = match backend {
            Backend::Sqlite => Some(Arc::new(SqliteWrites {
                lock: Arc::new(Mutex::new(None)),
                pool: sqlite_pool(url, 1).await?,
                direct: direct::DirectConn::new(url)?,
                thread: Writer::spawn().map_err(|e| StoreError::Writer(e.to_string()))?,
            })),
            Backend::Postgres => None,
        };
        Ok(Db {
            pool,
            backend,
            sqlite_writes,
        })
    }

    /// Runs `work` (a whole write transaction) on SQLite's writer thread, or here on
    /// PostgreSQL, and answers with its result.
    pub async fn on_writer<T, F>(&self, work: F) -> Result<T>
    where
        F: std::future::Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        match &self.sqlite_writes {
            Some(w) => match w.thread.handle.spawn(work).await {
                Ok(r) => r,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => Err(StoreError::Writer(e.to_string())),
            },
            None => work.await,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Applies the embedded migrations of this backend.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.pool).await?,
            Backend::Postgres => {
                sqlx::migrate!("migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        orgs::ensure_reference_orgs(self).await?;
        Ok(())
    }

    /// SQLite: a read-only connection of its own to the database file, for a long scan
    /// ([`direct::DirectConn::reader`]); `None` on PostgreSQL.
    pub(crate) fn sqlite_reader(&self) -> Option<Result<rusqlite::Connection>> {
        self.sqlite_writes.as_ref().map(|w| w.direct.reader())
    }

    /// SQLite: the writer lock, for a transaction run on the writer thread
    /// ([`direct::WriterTx`]); `None` on PostgreSQL.
    pub(crate) async fn writer_tx(&self) -> Option<direct::WriterTx> {
        let w = self.sqlite_writes.as_ref()?;
        let guard = w.lock.clone().lock_owned().await;
        Some(direct::WriterTx::new(guard, w.clone()))
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx> {
        let (guard, inner) = match &self.sqlite_writes {
            // Takes SQLite's write lock at once. A deferred transaction that reads first holds
            // a snapshot; had a write outside the lock (an API token's last-used time) committed
            // since, its first write would fail at once with SQLITE_BUSY(_SNAPSHOT) instead of
            // waiting.
            Some(w) => {
                let guard = w.lock.clone().lock_owned().await;
                (Some(guard), w.pool.begin_with("BEGIN IMMEDIATE").await?)
            }
            None => (None, self.pool.begin().await?),
        };
        Ok(Tx {
            inner,
            backend: self.backend,
            guard,
            audit_next: None,
        })
    }

    /// `SELECT 1`, for readiness checks.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        if let Some(w) = &self.sqlite_writes {
            w.pool.close().await;
        }
        self.pool.close().await;
    }
}

/// The pragmas of every SQLite connection (after `journal_mode = WAL`).
pub(crate) const SQLITE_PRAGMAS: &str = "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
    PRAGMA busy_timeout = 10000; PRAGMA cache_size = -16384; PRAGMA wal_autocheckpoint = 0;";

/// The pool of connections to a SQLite database, each set up for WAL with the platform's
/// pragmas.
async fn sqlite_pool(url: &str, size: u32) -> Result<AnyPool> {
    Ok(AnyPoolOptions::new()
        .acquire_timeout(Duration::from_secs(10))
        .max_connections(size)
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute("PRAGMA journal_mode = WAL;").await?;
                conn.execute(SQLITE_PRAGMAS).await?;
                Ok(())
            })
        })
        .connect(url)
        .await?)
}

/// Connections to PostgreSQL: four per core of this machine (at least 4, at most 32).
///
/// The server runs on few cores beside its database; more connections than the cores can serve
/// only make backends compete for them. While a transition held a transaction open across
/// several round trips, fewer were better (bench/applications.sh on 2 cores, 16 reviewers each
/// approving every 100 ms: p99 74 ms with 16 connections, 38 with 6, 18 with 4). Since a
/// transition is one statement (store::batch), requests wait for a connection more than
/// backends wait for a core: 16 reviewers back to back, 4 → 8 connections, 482 → 540
/// transitions/s (p99 31 → 29 ms), batched 757 → 864/s (p99 42 → 35 ms); each every 100 ms,
/// p99 17 ms with 4, 13 and 27 ms in two runs with 8.
fn postgres_pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
    (4 * cores).clamp(4, 32)
}

/// How often the SQLite write-ahead log is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// Checkpoints the SQLite write-ahead log in the background.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses the threshold (1,000
/// pages), so about one write transaction in a hundred also copies the log into the database
/// file and syncs it, while holding the writer lock: measured by `bench/applications.sh`, it
/// made one transition in a hundred take 15–20 ms instead of 1–2 ms, and every writer queued
/// behind it. With `wal_autocheckpoint = 0` on every connection, this task does the same work
/// off the commit path; a passive checkpoint neither waits for nor blocks readers and writers.
/// The task ends when the pool is closed.
fn spawn_checkpointer(pool: AnyPool) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(CHECKPOINT_EVERY).await;
            if pool.is_closed() {
                break;
            }
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                tracing::warn!("SQLite checkpoint failed: {e}");
            }
        }
    });
}

/// The n-th bound parameter of a bulk statement. SQLite resolves `$n` names by a linear search
/// per parameter, which is quadratic in statements with thousands of them; plain `?` is
/// positional there.
pub(crate) fn placeholder(backend: Backend, n: usize) -> String {
    match backend {
        Backend::Sqlite => "?".to_string(),
        Backend::Postgres => format!("${n}"),
    }
}

/// True when the error is a unique-constraint violation.
pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            db.is_unique_violation()
                || db.code().as_deref() == Some("23505")
                || db.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}

/// A bound value of a dynamically built query.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Str(String),
    Int(i64),
    /// A text value or a (text-typed) NULL.
    OptStr(Option<String>),
    /// An integer value or an (integer-typed) NULL.
    OptInt(Option<i64>),
}

impl Arg {
    pub(crate) fn bind<'q>(
        &self,
        q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
        match self {
            Arg::Str(s) => q.bind(s.clone()),
            Arg::Int(i) => q.bind(*i),
            Arg::OptStr(s) => q.bind(s.clone()),
            Arg::OptInt(i) => q.bind(*i),
        }
    }
}

/// Builds `WHERE` clauses with numbered placeholders, the same text for both backends.
#[derive(Debug, Default)]
pub(crate) struct QueryBuilder {
    conds: Vec<String>,
    args: Vec<Arg>,
}

impl QueryBuilder {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds a bound value and returns its placeholder (`$n`).
    pub(crate) fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }

    pub(crate) fn and(&mut self, cond: String) {
        self.conds.push(cond);
    }

    pub(crate) fn and_eq_str(&mut self, col: &str, v: &str) {
        let p = self.arg(Arg::Str(v.to_string()));
        self.conds.push(format!("{col} = {p}"));
    }

    pub(crate) fn and_cmp_int(&mut self, col: &str, op: &str, v: i64) {
        let p = self.arg(Arg::Int(v));
        self.conds.push(format!("{col} {op} {p}"));
    }

    /// How many conditions there are.
    pub(crate) fn cond_count(&self) -> usize {
        self.conds.len()
    }

    /// Takes out the conditions added after the first `at` (their arguments stay).
    pub(crate) fn split_off_conds(&mut self, at: usize) -> Vec<String> {
        self.conds.split_off(at)
    }

    pub(crate) fn where_sql(&self) -> String {
        if self.conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.conds.join(" AND "))
        }
    }

    fn bind_all<'q>(
        &self,
        mut q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
        for a in &self.args {
            q = a.bind(q);
        }
        q
    }

    pub(crate) async fn count(&self, db: &Db, from: &str) -> Result<i64> {
        let sql = format!("SELECT COUNT(*) FROM {from}{}", self.where_sql());
        let row = self
            .bind_all(sqlx::query(&sql))
            .fetch_one(db.pool())
            .await?;
        Ok(sqlx::Row::try_get::<i64, _>(&row, 0)?)
    }

    pub(crate) async fn fetch_all<T>(&self, db: &Db, sql: &str) -> Result<Vec<T>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        let rows = self.bind_all(sqlx::query(sql)).fetch_all(db.pool()).await?;
        rows.iter()
            .map(|r| T::from_row(r).map_err(StoreError::from))
            .collect()
    }
}

/// Writes a consistent snapshot of a SQLite database to `path` (`VACUUM INTO`), while the
/// database stays in use.
pub async fn backup_sqlite(db: &Db, path: &str) -> Result<()> {
    sqlx::query("VACUUM INTO $1")
        .bind(path)
        .execute(db.pool())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A write outside the writer lock (a token's last-used time goes straight to the pool)
    /// that comes while a write transaction is open must not make the transaction fail. Begun
    /// deferred, the transaction read first, the outside write committed, and the transaction's
    /// first write failed with SQLITE_BUSY_SNAPSHOT; begun immediate, the outside write waits.
    #[tokio::test]
    async fn sqlite_write_transactions_survive_writes_outside_the_lock() {
        let (path, url) = temp_sqlite("begin");
        let db = Db::connect(&url).await.unwrap();
        sqlx::query("CREATE TABLE t (x INTEGER)")
            .execute(db.pool())
            .await
            .unwrap();
        let mut tx = db.begin().await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&mut *tx.inner)
            .await
            .unwrap();
        assert_eq!(n, 0);
        let pool = db.pool().clone();
        let outside =
            tokio::spawn(
                async move { sqlx::query("INSERT INTO t VALUES (2)").execute(&pool).await },
            );
        tokio::time::sleep(Duration::from_millis(300)).await;
        sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&mut *tx.inner)
            .await
            .expect("the transaction's write");
        tx.commit().await.unwrap();
        outside
            .await
            .unwrap()
            .expect("the outside write, after the commit");
        let xs: Vec<i64> = sqlx::query_scalar("SELECT x FROM t ORDER BY rowid")
            .fetch_all(db.pool())
            .await
            .unwrap();
        assert_eq!(xs, vec![1, 2]);
        db.close().await;
        remove_sqlite(&path);
    }

    /// A transition chains its audit entry from the head the writer lock kept; when another
    /// process (a second handle on the same file here) has appended meanwhile, the kept head is
    /// stale: the transition still succeeds, once, and the chain stays whole.
    #[tokio::test]
    async fn transitions_chain_after_another_process_appended_to_the_log() {
        let (path, url) = temp_sqlite("head");
        let db = one_application(&url).await;
        let actor = Actor::system("test");
        let a = applications::commit_change(&db, &actor, approval(1)).await;
        assert_eq!(a.unwrap().version, 2);
        let other = Db::connect(&url).await.unwrap();
        let mut tx = other.begin().await.unwrap();
        audit::record(&mut tx, &actor, "other", "test", "1", None, None)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        other.close().await;
        let a = applications::commit_change(&db, &actor, approval(2)).await;
        assert_eq!(a.unwrap().version, 3);
        let v = audit::verify(&db).await.unwrap();
        assert!(v.problem.is_none(), "{:?}", v.problem);
        let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log ORDER BY seq")
            .fetch_all(db.pool())
            .await
            .unwrap();
        assert_eq!(
            actions.iter().filter(|a| *a != "other").count() + 1,
            actions.len()
        );
        assert_eq!(
            actions.last().map(String::as_str),
            Some("application.approve")
        );
        db.close().await;
        remove_sqlite(&path);
    }

    /// A transition from a version that is no longer the application's (another reviewer was
    /// first) is refused by the version guard: nothing of it is written, and the connection is
    /// left ready for the next one. On SQLite the guard runs before the other statements; on
    /// PostgreSQL the transition is one statement that fails as a whole.
    #[tokio::test]
    async fn a_stale_transition_writes_nothing_on_sqlite() {
        let (path, url) = temp_sqlite("stale");
        let db = one_application(&url).await;
        a_stale_transition_writes_nothing(&db).await;
        db.close().await;
        remove_sqlite(&path);
    }

    #[tokio::test]
    async fn a_stale_transition_writes_nothing_on_postgres() {
        let (name, url) = temp_postgres("stale").await;
        let db = one_application(&url).await;
        a_stale_transition_writes_nothing(&db).await;
        db.close().await;
        drop_postgres(&name).await;
    }

    async fn a_stale_transition_writes_nothing(db: &Db) {
        let actor = Actor::system("test");
        let a = applications::commit_change(db, &actor, approval(1)).await;
        assert_eq!(a.unwrap().version, 2);
        let counts = || async {
            let mut out = Vec::new();
            for t in [
                "application_events",
                "audit_log",
                "inbox",
                "application_pending",
                "queue_counts",
            ] {
                let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {t}"))
                    .fetch_one(db.pool())
                    .await
                    .unwrap();
                out.push(n);
            }
            let version: i64 = sqlx::query_scalar("SELECT version FROM applications WHERE id = 1")
                .fetch_one(db.pool())
                .await
                .unwrap();
            out.push(version);
            out
        };
        let before = counts().await;
        assert_eq!(before, vec![1, 2, 1, 1, 1, 2]);
        let mut stale = approval(1);
        stale.pending = vec!["unit:jw".into()];
        let e = applications::commit_change(db, &actor, stale).await;
        assert!(matches!(e, Err(StoreError::Conflict)), "{e:?}");
        assert_eq!(counts().await, before);
        let a = applications::commit_change(db, &actor, approval(2)).await;
        assert_eq!(a.unwrap().version, 3);
        let v = audit::verify(db).await.unwrap();
        assert!(v.problem.is_none(), "{:?}", v.problem);
        assert_eq!(v.entries, 3);
    }

    /// A fresh PostgreSQL database beside `TEST_DATABASE_URL`'s: its name and URL.
    async fn temp_postgres(name: &str) -> (String, String) {
        let base = std::env::var("TEST_DATABASE_URL")
            .expect("TEST_DATABASE_URL: a PostgreSQL database (scripts/test sets it)");
        let db_name = format!("cj_test_store_{name}_{}_{}", std::process::id(), now());
        let admin = Db::connect(&base).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {db_name}"))
            .execute(admin.pool())
            .await
            .unwrap();
        admin.close().await;
        let cut = base.rfind('/').expect("database URL has a path");
        (db_name.clone(), format!("{}/{db_name}", &base[..cut]))
    }

    async fn drop_postgres(name: &str) {
        let base = std::env::var("TEST_DATABASE_URL").unwrap();
        let admin = Db::connect(&base).await.unwrap();
        // FORCE: a closed pool's backends may not have exited yet.
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(admin.pool())
            .await
            .unwrap();
        admin.close().await;
    }

    /// The database at `url`, migrated, with one enterprise and its application 1 (version 1,
    /// in review).
    async fn one_application(url: &str) -> Db {
        let db = Db::connect(url).await.unwrap();
        db.migrate().await.unwrap();
        let org: i64 = sqlx::query_scalar(
            "INSERT INTO orgs (kind, code, name, created_at, updated_at) \
             VALUES ('enterprise', 'E-HEAD', '企业', 0, 0) RETURNING id",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO applications (id, kind, applicant_org_id, title, status, state_json, \
             data_json, created_at, updated_at) \
             VALUES (1, 'enterprise_cultivation', $1, '申报', 'in_review', '{}', '{}', 0, 0)",
        )
        .bind(org)
        .execute(db.pool())
        .await
        .unwrap();
        db
    }

    /// An approval of application 1 at version `v`, awaiting unit fgw next.
    fn approval(v: i64) -> applications::Change {
        applications::Change {
            id: 1,
            expected_version: v,
            action: "approve".into(),
            summary: "通过".into(),
            comment: None,
            from_status: "in_review".into(),
            status: "in_review".into(),
            stage: v,
            stage_code: None,
            due_date: None,
            state_json: "{}".into(),
            data_json: None,
            decision_json: None,
            submitted: false,
            decided: false,
            pending: vec!["unit:fgw".into()],
            notify: vec![(
                applications::Recipient::Reviewer("unit:fgw".into()),
                "待办".into(),
            )],
            effects: Vec::new(),
            parties: None,
        }
    }

    pub(crate) fn temp_sqlite(name: &str) -> (std::path::PathBuf, String) {
        let path = std::env::temp_dir().join(format!(
            "chanjiao-{name}-{}-{}.db",
            std::process::id(),
            now()
        ));
        let url = format!("sqlite://{}?mode=rwc", path.display());
        (path, url)
    }

    pub(crate) fn remove_sqlite(path: &std::path::Path) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }

    /// Upgrading moves every explanation out of the application rows unchanged
    /// (migrations/sqlite/0011_application_decisions.sql).
    #[tokio::test]
    async fn explanations_survive_the_move_out_of_the_rows() {
        let (path, url) = temp_sqlite("decisions");
        let db = Db::connect(&url).await.unwrap();
        let all = sqlx::migrate!("migrations/sqlite");
        let mut before = sqlx::migrate!("migrations/sqlite");
        before.migrations = all
            .migrations
            .iter()
            .filter(|m| m.version < 11)
            .cloned()
            .collect::<Vec<_>>()
            .into();
        before.run(db.pool()).await.unwrap();
        sqlx::query(
            "INSERT INTO orgs (id, kind, code, name, created_at, updated_at) \
             VALUES (1, 'enterprise', 'E1', '企业', 0, 0)",
        )
        .execute(db.pool())
        .await
        .unwrap();
        let decision = format!("{{\"outcome\":\"{}\"}}", "说明".repeat(5000));
        for (id, d) in [(1, Some(decision.as_str())), (2, None)] {
            sqlx::query(
                "INSERT INTO applications (id, kind, applicant_org_id, title, status, state_json, \
                 data_json, decision_json, created_at, updated_at) \
                 VALUES ($1, 'certification', 1, '申报', 'in_review', '{}', '{}', $2, 0, 0)",
            )
            .bind(id)
            .bind(d)
            .execute(db.pool())
            .await
            .unwrap();
        }
        db.migrate().await.unwrap();
        let one = applications::get(&db, 1).await.unwrap().unwrap();
        assert_eq!(one.decision_json.as_deref(), Some(decision.as_str()));
        let two = applications::get(&db, 2).await.unwrap().unwrap();
        assert_eq!(two.decision_json, None);
        db.close().await;
        remove_sqlite(&path);
    }
}
