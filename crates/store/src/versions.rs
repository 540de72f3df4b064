//! Versions of data sets that computed results depend on (migrations/*/0022_data_versions.sql).
//!
//! Every store function that writes such data moves the set's version on in its own
//! transaction ([`bump`]), so the version changes exactly when the data do, whoever wrote
//! them (the server, the command line, the demo); a cache compares one number ([`get`]).

use crate::{Db, Result, Tx};

/// What measure 5's alignment is computed from: supply, postings and their confirmed titles,
/// occupations, the crosswalk and the major catalog.
pub const ALIGNMENT: &str = "alignment";

/// Moves `name`'s version on, inside `tx`, as a change of everything (scope `*`).
pub(crate) async fn bump(tx: &mut Tx, name: &str) -> Result<()> {
    bump_scoped(tx, name, [EVERYTHING.to_string()]).await
}

/// Records a change of everything in `name`, inside `tx`: every cache of it computes all again
/// (an operator's request for a full recomputation).
pub async fn request_full(tx: &mut Tx, actor: &crate::audit::Actor, name: &str) -> Result<()> {
    bump(tx, name).await?;
    crate::audit::record(
        tx,
        actor,
        "data.recompute",
        "data_versions",
        name,
        None,
        None,
    )
    .await?;
    Ok(())
}

/// A change of everything: a cache computes all again.
pub const EVERYTHING: &str = "*";
/// A change of data a cache reads whole on every computation anyway.
pub const REFERENCE: &str = "reference";

/// How many versions' changes are kept: a cache further behind computes everything again.
const KEEP_VERSIONS: i64 = 1_000;

/// Moves `name`'s version on, inside `tx`, recording what changed (`scopes`: e.g.
/// `supply:<school id>`; [`EVERYTHING`] when one cannot say).
pub(crate) async fn bump_scoped(
    tx: &mut Tx,
    name: &str,
    scopes: impl IntoIterator<Item = String>,
) -> Result<()> {
    let version: i64 = sqlx::query_scalar(
        "INSERT INTO data_versions (name, version) VALUES ($1, 1) \
         ON CONFLICT (name) DO UPDATE SET version = data_versions.version + 1 RETURNING version",
    )
    .bind(name)
    .fetch_one(&mut *tx.inner)
    .await?;
    let mut scopes: Vec<String> = scopes.into_iter().collect();
    scopes.sort();
    scopes.dedup();
    if scopes.is_empty() {
        scopes.push(EVERYTHING.to_string());
    }
    let owned = name.to_string();
    CHANGES
        .run(tx, &scopes, |q, scope| {
            q.bind(owned.clone()).bind(version).bind(scope.clone())
        })
        .await?;
    sqlx::query("DELETE FROM data_changes WHERE name = $1 AND version <= $2")
        .bind(name)
        .bind(version - KEEP_VERSIONS)
        .execute(&mut *tx.inner)
        .await?;
    Ok(())
}

const CHANGES: crate::insert::InsertMany = crate::insert::InsertMany {
    table: "data_changes",
    columns: &["name", "version", "scope"],
    tail: "",
};

/// What changed in `name` after version `since`: the version now and the scopes of every move
/// since, or `None` for the scopes when they are not all kept (too old) or one of them is
/// [`EVERYTHING`].
pub async fn changes_since(
    db: &Db,
    name: &str,
    since: i64,
) -> Result<(i64, Option<std::collections::BTreeSet<String>>)> {
    let now = get(db, name).await?;
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT version, scope FROM data_changes WHERE name = $1 AND version > $2 AND version <= $3",
    )
    .bind(name)
    .bind(since)
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    let versions: std::collections::BTreeSet<i64> = rows.iter().map(|(v, _)| *v).collect();
    let complete = versions.len() as i64 == now - since;
    let scopes: std::collections::BTreeSet<String> = rows.into_iter().map(|(_, s)| s).collect();
    if !complete || scopes.contains(EVERYTHING) {
        return Ok((now, None));
    }
    Ok((now, Some(scopes)))
}

/// `name`'s version: 0 before its data were first written.
pub async fn get(db: &Db, name: &str) -> Result<i64> {
    let v: Option<i64> = sqlx::query_scalar("SELECT version FROM data_versions WHERE name = $1")
        .bind(name)
        .fetch_optional(db.pool())
        .await?;
    Ok(v.unwrap_or(0))
}
