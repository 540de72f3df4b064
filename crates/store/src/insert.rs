//! Many rows into one table: the one way every import and bulk load writes its rows.
//!
//! Rows go as multi-row `INSERT … VALUES (…), (…), …` statements, as many rows per statement as
//! stay within both backends' limit on bound values (SQLite's is 32,766), inside the caller's
//! transaction. The caller names the table and columns, what follows the values (an
//! `ON CONFLICT …` clause, a `RETURNING …`), and binds each row's values in column order.

use sqlx::Any;
use sqlx::any::{AnyArguments, AnyRow};

use crate::{Result, StoreError, Tx, placeholder};

/// A statement being built, its values bound in order.
pub(crate) type Query<'q> = sqlx::query::Query<'q, Any, AnyArguments<'q>>;

/// The most values one statement binds: below SQLite's 32,766.
const MAX_VALUES: usize = 30_000;
/// The most rows one statement carries, however few its columns (longer statements gain
/// nothing more and hold the writer longer).
const MAX_ROWS: usize = 1_000;

/// Rows into `table (columns)`, then `tail` (e.g. `ON CONFLICT (code) DO NOTHING`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct InsertMany<'a> {
    pub table: &'a str,
    pub columns: &'a [&'a str],
    pub tail: &'a str,
}

impl InsertMany<'_> {
    /// How many rows go in one statement.
    fn rows_per_statement(&self) -> usize {
        (MAX_VALUES / self.columns.len().max(1)).clamp(1, MAX_ROWS)
    }

    /// The statement for `rows` rows, with the backend's placeholders.
    fn sql(&self, tx: &Tx, rows: usize) -> String {
        let cols = self.columns.len();
        let mut sql = format!(
            "INSERT INTO {} ({}) VALUES ",
            self.table,
            self.columns.join(", ")
        );
        sql.reserve(rows * cols * 4);
        for i in 0..rows {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for c in 0..cols {
                if c > 0 {
                    sql.push(',');
                }
                sql.push_str(&placeholder(tx.backend(), i * cols + c + 1));
            }
            sql.push(')');
        }
        if !self.tail.is_empty() {
            sql.push(' ');
            sql.push_str(self.tail);
        }
        sql
    }

    /// Writes `rows` in `tx`; `bind` binds one row's values, one per column, in order.
    /// Returns the number of rows the statements reported as written.
    pub(crate) async fn run<T>(
        &self,
        tx: &mut Tx,
        rows: &[T],
        bind: impl for<'q> Fn(Query<'q>, &'q T) -> Query<'q>,
    ) -> Result<u64> {
        let mut written = 0;
        for chunk in rows.chunks(self.rows_per_statement()) {
            let sql = self.sql(tx, chunk.len());
            let mut q = sqlx::query(&sql);
            for row in chunk {
                q = bind(q, row);
            }
            written += q.execute(&mut *tx.inner).await?.rows_affected();
        }
        Ok(written)
    }

    /// As [`InsertMany::run`], for a `tail` with `RETURNING …`: the rows returned, decoded as
    /// `R`, statement after statement.
    pub(crate) async fn returning<T, R>(
        &self,
        tx: &mut Tx,
        rows: &[T],
        bind: impl for<'q> Fn(Query<'q>, &'q T) -> Query<'q>,
    ) -> Result<Vec<R>>
    where
        R: for<'r> sqlx::FromRow<'r, AnyRow> + Send + Unpin,
    {
        let mut out = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(self.rows_per_statement()) {
            let sql = self.sql(tx, chunk.len());
            let mut q = sqlx::query(&sql);
            for row in chunk {
                q = bind(q, row);
            }
            for r in q.fetch_all(&mut *tx.inner).await? {
                out.push(R::from_row(&r).map_err(StoreError::from)?);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Db;
    use crate::tests::{remove_sqlite, temp_sqlite};

    const WIDE: InsertMany = InsertMany {
        table: "t",
        columns: &["n", "label", "maybe"],
        tail: "ON CONFLICT (n) DO UPDATE SET label = excluded.label",
    };

    #[test]
    fn statements_stay_within_the_bound_values_limit() {
        assert_eq!(WIDE.rows_per_statement(), MAX_ROWS);
        let cols: Vec<&str> = (0..64).map(|_| "c").collect();
        let wide = InsertMany {
            table: "t",
            columns: &cols,
            tail: "",
        };
        assert_eq!(wide.rows_per_statement(), MAX_VALUES / 64);
        assert!(wide.rows_per_statement() * 64 <= 32_766);
    }

    /// Rows across several statements all arrive, in order and with their NULLs; the tail
    /// applies to each statement; `returning` gives back one row per row written.
    async fn writes_every_row(db: &Db) {
        let mut tx = db.begin().await.unwrap();
        sqlx::query(
            "CREATE TEMP TABLE t (n BIGINT PRIMARY KEY, label TEXT NOT NULL, maybe BIGINT)",
        )
        .execute(&mut *tx.inner)
        .await
        .unwrap();
        let rows: Vec<(i64, String)> = (0..2_345).map(|n| (n, format!("行{n}"))).collect();
        fn bind<'q>(q: Query<'q>, r: &'q (i64, String)) -> Query<'q> {
            q.bind(r.0)
                .bind(r.1.as_str())
                .bind((r.0 % 2 == 0).then_some(r.0))
        }
        // An upsert over all of them; the first 10 are replaced by the second pass.
        assert_eq!(WIDE.run(&mut tx, &rows, bind).await.unwrap(), 2_345);
        let again: Vec<(i64, String)> = (0..10).map(|n| (n, format!("新{n}"))).collect();
        let ids: Vec<(i64,)> = InsertMany {
            tail: "ON CONFLICT (n) DO UPDATE SET label = excluded.label RETURNING n",
            ..WIDE
        }
        .returning(&mut tx, &again, bind)
        .await
        .unwrap();
        assert_eq!(ids, (0..10).map(|n| (n,)).collect::<Vec<_>>());
        let (count, sum, nulls): (i64, i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(SUM(n) AS BIGINT), \
             CAST(SUM(CASE WHEN maybe IS NULL THEN 1 ELSE 0 END) AS BIGINT) FROM t",
        )
        .fetch_one(&mut *tx.inner)
        .await
        .unwrap();
        assert_eq!((count, sum, nulls), (2_345, 2_345 * 2_344 / 2, 1_172));
        let labels: Vec<String> =
            sqlx::query_scalar("SELECT label FROM t WHERE n IN (9, 10, 2344) ORDER BY n")
                .fetch_all(&mut *tx.inner)
                .await
                .unwrap();
        assert_eq!(labels, ["新9", "行10", "行2344"]);
        // Nothing is kept: the table goes with the transaction.
        drop(tx);
    }

    #[tokio::test]
    async fn writes_every_row_on_sqlite() {
        let (path, url) = temp_sqlite("insert-many");
        let db = Db::connect(&url).await.unwrap();
        writes_every_row(&db).await;
        db.close().await;
        remove_sqlite(&path);
    }

    #[tokio::test]
    async fn writes_every_row_on_postgres() {
        let url = std::env::var("TEST_DATABASE_URL")
            .expect("TEST_DATABASE_URL: a PostgreSQL database (scripts/test sets it)");
        let db = Db::connect(&url).await.unwrap();
        writes_every_row(&db).await;
        db.close().await;
    }
}
