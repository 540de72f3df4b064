//! Statements of one write transaction sent to the database together.
//!
//! Every statement sent on its own is a round trip from the application to the database; a
//! transition of ten statements spent most of its time in them (bench/applications.sh). On
//! PostgreSQL ([`Batch::run`]) the statements become the data-modifying `WITH` queries of one
//! statement, run on its own as its own transaction (no `BEGIN` and `COMMIT` round trips), which
//! spares the database a round trip and a statement's overhead for each; so they must not depend
//! on each other's effects (they all see the snapshot from before the statement), and only the
//! first may return rows: it is the guarded write, and the whole statement fails when it returns
//! none. On SQLite the writer thread runs them one after another itself, with no round trip
//! between them ([`crate::direct::WriterTx::commit`]).

use sqlx::any::AnyRow;

use crate::{Arg, Backend, Db, Result, StoreError};

/// The SQLSTATE `cj_expect_rows` raises when the guarded statement changed nothing.
const GUARD_FAILED: &str = "CJ409";

/// The end of a batch's statement: the first query's rows, or an error when there are none.
const GUARDED_SELECT: &str = "\nSELECT b1.* FROM (SELECT cj_expect_rows(COUNT(*)) AS ok FROM b1) AS guard LEFT JOIN b1 ON guard.ok";

#[derive(Debug, Default)]
pub(crate) struct Batch {
    statements: Vec<(String, Vec<Arg>)>,
}

impl Batch {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds a statement whose placeholders `$1`, `$2`, … stand for `args` in order.
    pub(crate) fn push(&mut self, sql: impl Into<String>, args: Vec<Arg>) {
        self.statements.push((sql.into(), args));
    }

    /// Adds the statements of `other`, after these.
    pub(crate) fn append(&mut self, other: Batch) {
        self.statements.extend(other.statements);
    }

    /// PostgreSQL: runs the statements as one statement, in a transaction of its own, and
    /// returns the rows the first one returns, decoded as `T`. When the first returns no row
    /// (its guard found the data changed), the statement fails (migrations/postgres/
    /// 0021_one_statement_transitions.sql) and nothing of it is kept: [`StoreError::Conflict`].
    /// Any other error also leaves nothing written.
    pub(crate) async fn run<T>(self, db: &Db) -> Result<Vec<T>>
    where
        T: for<'r> sqlx::FromRow<'r, AnyRow> + Send + Unpin,
    {
        debug_assert_eq!(
            db.backend(),
            Backend::Postgres,
            "SQLite batches run in direct"
        );
        let (sql, args) = self.with_queries();
        let mut q = sqlx::query(&sql);
        for a in &args {
            q = a.bind(q);
        }
        let rows = q.fetch_all(db.pool()).await.map_err(|e| match &e {
            sqlx::Error::Database(d) if d.code().as_deref() == Some(GUARD_FAILED) => {
                StoreError::Conflict
            }
            _ => StoreError::Db(e),
        })?;
        rows.iter()
            .map(|r| T::from_row(r).map_err(StoreError::from))
            .collect()
    }

    /// The statements with their arguments, in order.
    pub(crate) fn into_statements(self) -> Vec<(String, Vec<Arg>)> {
        self.statements
    }

    /// One PostgreSQL statement: `WITH b1 AS (…), b2 AS (…), …` then the rows of `b1`, failing
    /// when there are none; placeholders numbered through. The guard is the outer side of a left
    /// join, so it is evaluated even when `b1` is empty.
    fn with_queries(self) -> (String, Vec<Arg>) {
        let mut sql = String::from("WITH ");
        let mut all = Vec::new();
        for (i, (s, args)) in self.statements.into_iter().enumerate() {
            if i > 0 {
                sql.push_str(",\n");
            }
            sql.push_str(&format!("b{} AS (", i + 1));
            renumber_into(&mut sql, &s, all.len());
            sql.push(')');
            all.extend(args);
        }
        sql.push_str(GUARDED_SELECT);
        (sql, all)
    }
}

/// Appends `sql` to `out` with every placeholder `$n` written as `$(n + offset)`. The batched
/// statements are the store's own SQL, which has no `$` other than placeholders.
fn renumber_into(out: &mut String, sql: &str, offset: usize) {
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + offset).to_string()),
            Err(_) => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_through_the_batch() {
        let mut b = Batch::new();
        b.push(
            "UPDATE t SET a = $1 WHERE id = $2",
            vec![Arg::Int(1), Arg::Int(2)],
        );
        b.push(
            "INSERT INTO u VALUES ($1, $2, $1)",
            vec![Arg::Int(3), Arg::Int(4)],
        );
        b.push("DELETE FROM v", vec![]);
        b.push("SELECT $10, $1", (0..10).map(Arg::Int).collect());
        let (sql, args) = b.with_queries();
        assert_eq!(
            sql,
            "WITH b1 AS (UPDATE t SET a = $1 WHERE id = $2),\nb2 AS (INSERT INTO u VALUES ($3, $4, $3)),\nb3 AS (DELETE FROM v),\nb4 AS (SELECT $14, $5)\nSELECT b1.* FROM (SELECT cj_expect_rows(COUNT(*)) AS ok FROM b1) AS guard LEFT JOIN b1 ON guard.ok"
        );
        assert_eq!(args.len(), 14);
    }

    #[test]
    fn postgresql_runs_the_batch_as_one_statement_answering_with_the_first() {
        let mut b = Batch::new();
        b.push(
            "UPDATE t SET a = $1 WHERE id = $2 RETURNING *",
            vec![Arg::Int(1), Arg::Int(2)],
        );
        b.push("INSERT INTO u VALUES ($1, $1)", vec![Arg::Int(3)]);
        let (sql, args) = b.with_queries();
        assert_eq!(
            sql,
            "WITH b1 AS (UPDATE t SET a = $1 WHERE id = $2 RETURNING *),\nb2 AS (INSERT INTO u VALUES ($3, $3))\nSELECT b1.* FROM (SELECT cj_expect_rows(COUNT(*)) AS ok FROM b1) AS guard LEFT JOIN b1 ON guard.ok"
        );
        assert_eq!(args.len(), 3);
    }
}
