//! SQLite: write transactions run by SQLite on the writer thread itself.
//!
//! Through sqlx, every statement is a message to the thread that owns its connection and an
//! answer back: a transaction of begin, statements and commit is three such round trips even
//! when its statements are sent together, and on a busy machine each waits for threads to be
//! scheduled, all while the writer lock is held and every other writer waits for it
//! (bench/applications.sh, 16 reviewers back to back: the lock held 0.7–1.1 ms a transition,
//! 8–12 ms waited for it). A transaction here is run on the writer thread
//! ([`crate::Db::on_writer`]) by SQLite directly, through a connection of its own (rusqlite,
//! over the SQLite library sqlx links): the lock is held for SQLite's work only (0.6–0.8 ms,
//! about half of it appending to the write-ahead log), and nobody waits for it.
//!
//! The transaction cannot look at one statement's result before running the next from the
//! async side, so a statement that must stop it fails instead (the version guard; the audit
//! log's primary key), and the transaction is rolled back.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex as StdMutex, PoisonError};
use std::time::Duration;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::OwnedMutexGuard;

use crate::audit::AuditHead;
use crate::batch::Batch;
use crate::{Arg, Result, SqliteWrites, StoreError};

/// The statement [`WriterTx::commit`]'s callers put first: `INSERT INTO temp.version_check
/// VALUES (id, version)` writes nothing, and fails with [`STALE_VERSION`] unless application
/// `id` is at `version`, which stops the transaction before its other statements run.
/// (Temporary objects of the writer's connection: nothing in the schema.)
const VERSION_GUARD: &str = "\
    CREATE TEMP VIEW IF NOT EXISTS version_check (application_id, version) AS SELECT NULL, NULL; \
    CREATE TEMP TRIGGER IF NOT EXISTS version_check_insert INSTEAD OF INSERT ON version_check \
    BEGIN \
        SELECT RAISE(ABORT, 'stale_version') WHERE NOT EXISTS \
            (SELECT 1 FROM main.applications WHERE id = NEW.application_id AND version = NEW.version); \
    END;";

/// The error message of the version guard.
const STALE_VERSION: &str = "stale_version";

/// The writer thread's own connection to the SQLite file, opened at its first transaction
/// (after the migrations: the guard's trigger names a table of the schema).
pub(crate) struct DirectConn {
    path: PathBuf,
    conn: StdMutex<Option<Connection>>,
}

impl DirectConn {
    /// The connection to the file of the `sqlite:` URL (which the pools open or create).
    pub(crate) fn new(url: &str) -> Result<DirectConn> {
        let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url)?;
        Ok(DirectConn {
            path: opts.get_filename().to_path_buf(),
            conn: StdMutex::new(None),
        })
    }

    /// Runs `f` with the connection, opening it first if needed (with the platform's pragmas
    /// and the version guard).
    fn with<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let mut slot = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let conn = match slot.take() {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                c.busy_timeout(Duration::from_secs(10))?;
                c.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
                c.execute_batch(crate::SQLITE_PRAGMAS)?;
                c.execute_batch(VERSION_GUARD)?;
                c.set_prepared_statement_cache_capacity(64);
                c
            }
        };
        let out = f(&conn);
        *slot = Some(conn);
        out
    }
}

impl DirectConn {
    /// A read-only connection of its own to the same file, for a long read (a scan of a whole
    /// table) that should neither hold the writer's connection nor go row by row through
    /// sqlx's connection thread.
    pub(crate) fn reader(&self) -> Result<Connection> {
        let c = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        c.busy_timeout(Duration::from_secs(10))?;
        Ok(c)
    }
}

/// A write transaction run on the writer thread: holds the writer lock, and in it the audit
/// log's head as the last commit left it.
pub(crate) struct WriterTx {
    guard: OwnedMutexGuard<Option<AuditHead>>,
    writes: Arc<SqliteWrites>,
}

impl WriterTx {
    pub(crate) fn new(
        guard: OwnedMutexGuard<Option<AuditHead>>,
        writes: Arc<SqliteWrites>,
    ) -> Self {
        WriterTx { guard, writes }
    }

    /// The statement that stops the transaction unless application `id` is at `version`.
    pub(crate) fn version_guard(id: i64, version: i64) -> (&'static str, Vec<Arg>) {
        (
            "INSERT INTO temp.version_check (application_id, version) VALUES ($1, $2)",
            vec![Arg::Int(id), Arg::Int(version)],
        )
    }

    /// The audit log's head: as the last commit here left it, or (with `fresh`, or if none was
    /// kept) read from the log.
    pub(crate) fn audit_head(&mut self, fresh: bool) -> Result<AuditHead> {
        match self.guard.take() {
            Some(h) if !fresh => Ok(h),
            _ => self.writes.direct.with(|conn| {
                let last = conn.query_row(
                    "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                    [],
                    |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
                );
                match last {
                    Ok((seq, hash)) => Ok(AuditHead::new(seq, hash)),
                    Err(rusqlite::Error::QueryReturnedNoRows) => Ok(AuditHead::genesis()),
                    Err(e) => Err(e.into()),
                }
            }),
        }
    }

    /// Runs `batch` as one transaction (`BEGIN IMMEDIATE`, its statements, `COMMIT`) and answers
    /// with the rows its statements return, read by `row`. If it commits, the log's head `next`
    /// is kept for the next transaction. On an error nothing is written and no head is kept;
    /// the version guard's error is [`StoreError::Conflict`].
    pub(crate) fn commit<T>(
        mut self,
        batch: Batch,
        next: AuditHead,
        row: impl Fn(&rusqlite::Row) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let writes = self.writes.clone();
        writes.direct.with(|conn| self.run(conn, batch, next, row))
    }

    fn run<T>(
        &mut self,
        conn: &Connection,
        batch: Batch,
        next: AuditHead,
        row: impl Fn(&rusqlite::Row) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let run = || -> rusqlite::Result<Vec<T>> {
            conn.execute_batch("BEGIN IMMEDIATE")?;
            let mut out = Vec::new();
            for (sql, args) in batch.into_statements() {
                let mut st = conn.prepare_cached(&sql)?;
                for (i, a) in args.into_iter().enumerate() {
                    // `$n` placeholders are named parameters to SQLite, numbered in order of
                    // first use; a statement may leave some of its arguments unused.
                    if let Some(at) = st.parameter_index(&format!("${}", i + 1))? {
                        st.raw_bind_parameter(at, value_of(a))?;
                    }
                }
                let mut rows = st.raw_query();
                while let Some(r) = rows.next()? {
                    out.push(row(r)?);
                }
            }
            conn.execute_batch("COMMIT")?;
            Ok(out)
        };
        match run() {
            Ok(rows) => {
                *self.guard = Some(next);
                Ok(rows)
            }
            Err(e) => {
                // Nothing to roll back if BEGIN failed; an error of ROLLBACK itself leaves the
                // transaction to SQLite, which has then already ended it.
                if !conn.is_autocommit() {
                    let _ = conn.execute_batch("ROLLBACK");
                }
                Err(match e {
                    rusqlite::Error::SqliteFailure(_, Some(m)) if m == STALE_VERSION => {
                        StoreError::Conflict
                    }
                    other => other.into(),
                })
            }
        }
    }
}

fn value_of(a: Arg) -> SqlValue {
    match a {
        Arg::Str(s) | Arg::OptStr(Some(s)) => SqlValue::Text(s),
        Arg::Int(i) | Arg::OptInt(Some(i)) => SqlValue::Integer(i),
        Arg::OptStr(None) | Arg::OptInt(None) => SqlValue::Null,
    }
}

/// Whether `e` is a unique or primary key violation (an audit entry's `seq` taken by another
/// process).
pub(crate) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::ConstraintViolation)
    ) && e.to_string().contains("UNIQUE constraint failed")
}
