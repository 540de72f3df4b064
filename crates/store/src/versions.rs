//! Versions of data sets that computed results depend on (migrations/*/0022_data_versions.sql).
//!
//! Every store function that writes such data moves the set's version on in its own
//! transaction ([`bump`]), so the version changes exactly when the data do, whoever wrote
//! them (the server, the command line, the demo); a cache compares one number ([`get`]).

use crate::{Db, Result, Tx};

/// What measure 5's alignment is computed from: supply, postings and their confirmed titles,
/// occupations, the crosswalk and the major catalog.
pub const ALIGNMENT: &str = "alignment";

/// Moves `name`'s version on, inside `tx`.
pub(crate) async fn bump(tx: &mut Tx, name: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO data_versions (name, version) VALUES ($1, 1) \
         ON CONFLICT (name) DO UPDATE SET version = data_versions.version + 1",
    )
    .bind(name)
    .execute(&mut *tx.inner)
    .await?;
    Ok(())
}

/// `name`'s version: 0 before its data were first written.
pub async fn get(db: &Db, name: &str) -> Result<i64> {
    let v: Option<i64> = sqlx::query_scalar("SELECT version FROM data_versions WHERE name = $1")
        .bind(name)
        .fetch_optional(db.pool())
        .await?;
    Ok(v.unwrap_or(0))
}
