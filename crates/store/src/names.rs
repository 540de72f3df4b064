//! Names of things by their ids, so that what the audit log records by id (the object of an
//! entry, the organisation or user a field names) can be shown in words. One query per kind
//! of thing for a whole page or export, in chunks.

use std::collections::{BTreeSet, HashMap};

use crate::{Arg, Db, QueryBuilder, Result};

/// What to look up.
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    pub users: BTreeSet<i64>,
    pub orgs: BTreeSet<i64>,
    pub applications: BTreeSet<i64>,
    pub tokens: BTreeSet<i64>,
    pub catalogs: BTreeSet<i64>,
    /// Occupation codes (`4-04-05-01`).
    pub occupations: BTreeSet<String>,
    /// Major codes (of any level and catalog).
    pub majors: BTreeSet<String>,
}

/// A user by id: username, display name, and the organisation's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserName {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub org_name: String,
}

/// An application by id: its kind and title.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApplicationName {
    pub id: i64,
    pub kind: String,
    pub title: String,
}

/// An API token by id: its purpose and its user's username.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenName {
    pub id: i64,
    pub name: String,
    pub username: String,
}

/// What was found (absent ids are absent).
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub users: HashMap<i64, UserName>,
    pub orgs: HashMap<i64, String>,
    pub applications: HashMap<i64, ApplicationName>,
    pub tokens: HashMap<i64, TokenName>,
    pub catalogs: HashMap<i64, String>,
    pub occupations: HashMap<String, String>,
    /// (education level, code) → name, from the newest catalog that has it.
    pub majors: HashMap<(String, String), String>,
}

/// Ids bound per statement.
const CHUNK: usize = 500;

fn in_list(q: &mut QueryBuilder, args: impl IntoIterator<Item = Arg>) -> String {
    let ps: Vec<String> = args.into_iter().map(|a| q.arg(a)).collect();
    ps.join(", ")
}

/// The rows of `select` whose `col` is one of `ids`, a chunk of ids per statement (`select`
/// must have no `WHERE` of its own: wrap it as a subquery).
pub(crate) async fn by_ids<T>(
    db: &Db,
    ids: &BTreeSet<i64>,
    select: &str,
    col: &str,
) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let ids: Vec<i64> = ids.iter().copied().collect();
    let mut out = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let mut q = QueryBuilder::new();
        let list = in_list(&mut q, chunk.iter().map(|i| Arg::Int(*i)));
        let sql = format!("{select} WHERE {col} IN ({list})");
        out.extend(q.fetch_all::<T>(db, &sql).await?);
    }
    Ok(out)
}

async fn by_codes<T>(db: &Db, codes: &BTreeSet<String>, select: &str, col: &str) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let codes: Vec<&String> = codes.iter().collect();
    let mut out = Vec::new();
    for chunk in codes.chunks(CHUNK) {
        let mut q = QueryBuilder::new();
        let list = in_list(&mut q, chunk.iter().map(|c| Arg::Str((*c).clone())));
        let sql = format!("{select} WHERE {col} IN ({list})");
        out.extend(q.fetch_all::<T>(db, &sql).await?);
    }
    Ok(out)
}

/// Looks up everything `wanted` names.
pub async fn lookup(db: &Db, wanted: &Wanted) -> Result<Names> {
    let mut n = Names::default();
    if !wanted.users.is_empty() {
        let rows: Vec<UserName> = by_ids(
            db,
            &wanted.users,
            "SELECT u.id, u.username, u.display_name, o.name AS org_name \
             FROM users u JOIN orgs o ON o.id = u.org_id",
            "u.id",
        )
        .await?;
        n.users = rows.into_iter().map(|r| (r.id, r)).collect();
    }
    if !wanted.orgs.is_empty() {
        let rows: Vec<(i64, String)> =
            by_ids(db, &wanted.orgs, "SELECT id, name FROM orgs", "id").await?;
        n.orgs = rows.into_iter().collect();
    }
    if !wanted.applications.is_empty() {
        let rows: Vec<ApplicationName> = by_ids(
            db,
            &wanted.applications,
            "SELECT id, kind, title FROM applications",
            "id",
        )
        .await?;
        n.applications = rows.into_iter().map(|r| (r.id, r)).collect();
    }
    if !wanted.tokens.is_empty() {
        let rows: Vec<TokenName> = by_ids(
            db,
            &wanted.tokens,
            "SELECT t.id, t.name, u.username FROM api_tokens t JOIN users u ON u.id = t.user_id",
            "t.id",
        )
        .await?;
        n.tokens = rows.into_iter().map(|r| (r.id, r)).collect();
    }
    if !wanted.catalogs.is_empty() {
        let rows: Vec<(i64, String)> = by_ids(
            db,
            &wanted.catalogs,
            "SELECT id, name FROM major_catalogs",
            "id",
        )
        .await?;
        n.catalogs = rows.into_iter().collect();
    }
    if !wanted.occupations.is_empty() {
        let rows: Vec<(String, String)> = by_codes(
            db,
            &wanted.occupations,
            "SELECT code, name FROM occupations",
            "code",
        )
        .await?;
        n.occupations = rows.into_iter().collect();
    }
    if !wanted.majors.is_empty() {
        let mut rows: Vec<(i64, String, String, String)> = by_codes(
            db,
            &wanted.majors,
            "SELECT catalog_id, level, code, name FROM majors",
            "code",
        )
        .await?;
        rows.sort_by_key(|r| r.0);
        n.majors = rows
            .into_iter()
            .map(|(_, level, code, name)| ((level, code), name))
            .collect();
    }
    Ok(n)
}
