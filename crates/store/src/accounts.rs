//! Users, sessions and API tokens. Secrets arrive here already hashed.

use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Actor};
use crate::orgs::{Scope, escape_like};
use crate::{
    Arg, Db, Page, Paging, QueryBuilder, Result, StoreError, Tx, is_unique_violation, now,
};

/// A signed-in user with what access decisions need about their organisation.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Principal {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub org_id: i64,
    pub org_kind: String,
    pub org_code: String,
    pub org_name: String,
    pub district: Option<String>,
    pub unit_code: Option<String>,
}

const PRINCIPAL_COLS: &str = "u.id AS user_id, u.username, u.display_name, u.role, u.org_id, \
    o.kind AS org_kind, o.code AS org_code, o.name AS org_name, o.district, o.unit_code";

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub org_id: i64,
    pub org_name: String,
    pub org_code: String,
    pub org_kind: String,
    pub role: String,
    pub active: i64,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub org_id: i64,
    pub role: String,
    pub password_hash: Option<String>,
}

/// What a login attempt needs to know.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LoginRecord {
    pub user_id: i64,
    pub password_hash: Option<String>,
    pub active: i64,
    pub org_id: i64,
}

pub async fn insert_user(tx: &mut Tx, actor: &Actor, u: &NewUser) -> Result<i64> {
    let res = sqlx::query_scalar::<_, i64>(
        "INSERT INTO users (username, display_name, org_id, role, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(&u.username)
    .bind(&u.display_name)
    .bind(u.org_id)
    .bind(&u.role)
    .bind(&u.password_hash)
    .bind(now())
    .fetch_one(&mut *tx.inner)
    .await;
    let id = match res {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => {
            return Err(StoreError::Duplicate(format!("用户名 {}", u.username)));
        }
        Err(e) => return Err(e.into()),
    };
    let after = json!({"id": id, "username": u.username, "display_name": u.display_name,
        "org_id": u.org_id, "role": u.role});
    audit::record(
        tx,
        actor,
        "user.create",
        "user",
        &id.to_string(),
        None,
        Some(&after),
    )
    .await?;
    Ok(id)
}

/// Replaces a user's password hash.
pub async fn set_password(tx: &mut Tx, actor: &Actor, user_id: i64, hash: &str) -> Result<()> {
    let n = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(user_id)
        .execute(&mut *tx.inner)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound("用户".into()));
    }
    audit::record(
        tx,
        actor,
        "user.set_password",
        "user",
        &user_id.to_string(),
        None,
        None,
    )
    .await?;
    Ok(())
}

pub async fn set_active(tx: &mut Tx, actor: &Actor, user_id: i64, active: bool) -> Result<()> {
    let n = sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
        .bind(active as i64)
        .bind(user_id)
        .execute(&mut *tx.inner)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound("用户".into()));
    }
    // A disabled user loses every session and every API token at once: the tokens are revoked
    // (not merely refused while the account is off), so re-enabling the user revives none.
    let mut after = json!({"active": active});
    if !active {
        let sessions = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx.inner)
            .await?
            .rows_affected();
        let tokens = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now())
        .bind(user_id)
        .execute(&mut *tx.inner)
        .await?
        .rows_affected();
        after = json!({"active": active, "sessions_ended": sessions, "tokens_revoked": tokens});
    }
    audit::record(
        tx,
        actor,
        if active {
            "user.enable"
        } else {
            "user.disable"
        },
        "user",
        &user_id.to_string(),
        Some(&json!({"active": !active})),
        Some(&after),
    )
    .await?;
    Ok(())
}

pub async fn login_record(db: &Db, username: &str) -> Result<Option<LoginRecord>> {
    Ok(sqlx::query_as(
        "SELECT id AS user_id, password_hash, active, org_id FROM users WHERE username = $1",
    )
    .bind(username)
    .fetch_optional(db.pool())
    .await?)
}

/// The throttling subject of a username as typed (whether or not such a user exists).
pub fn user_subject(username: &str) -> String {
    format!("u:{}", username.chars().take(64).collect::<String>())
}

/// The throttling subject of a client address.
pub fn address_subject(address: &str) -> String {
    format!("a:{address}")
}

/// Recent failures of one subject: how many since the window's start, and the latest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failures {
    pub count: i64,
    pub last_at: Option<i64>,
}

/// The failures of `subject` at or after `since`.
pub async fn recent_failures(db: &Db, subject: &str, since: i64) -> Result<Failures> {
    let (count, last_at): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MAX(at) FROM login_failures WHERE subject = $1 AND at >= $2",
    )
    .bind(subject)
    .bind(since)
    .fetch_one(db.pool())
    .await?;
    Ok(Failures { count, last_at })
}

/// Whether `user_id` has signed in successfully from `address` before.
pub async fn known_address(db: &Db, user_id: i64, address: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_addresses WHERE user_id = $1 AND address = $2",
    )
    .bind(user_id)
    .bind(address)
    .fetch_one(db.pool())
    .await?;
    Ok(n > 0)
}

/// Records a failed login under the username as typed and under the client address, and
/// prunes failures older than `prune_before` (they no longer count). Audited with the user's
/// id when the user exists, with the name as typed otherwise.
pub async fn record_login_failure(
    db: &Db,
    actor: &Actor,
    user_id: Option<i64>,
    username: &str,
    address: &str,
    prune_before: i64,
) -> Result<()> {
    let t = now();
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM login_failures WHERE at < $1")
        .bind(prune_before)
        .execute(&mut *tx.inner)
        .await?;
    for subject in [user_subject(username), address_subject(address)] {
        sqlx::query("INSERT INTO login_failures (subject, at) VALUES ($1, $2)")
            .bind(subject)
            .bind(t)
            .execute(&mut *tx.inner)
            .await?;
    }
    let entity_id = user_id.map(|i| i.to_string()).unwrap_or_default();
    audit::record(
        &mut tx,
        actor,
        "auth.login_failed",
        "user",
        &entity_id,
        None,
        Some(&json!({"username": username, "address": address})),
    )
    .await?;
    tx.commit().await
}

/// Clears the recorded failures of a username (and of an address, if given); returns how many
/// were cleared. `chanjiao user unlock`.
pub async fn clear_login_failures(
    db: &Db,
    actor: &Actor,
    username: &str,
    address: Option<&str>,
) -> Result<u64> {
    let mut tx = db.begin().await?;
    let mut cleared = 0;
    let subjects = std::iter::once(user_subject(username)).chain(address.map(address_subject));
    for subject in subjects {
        cleared += sqlx::query("DELETE FROM login_failures WHERE subject = $1")
            .bind(subject)
            .execute(&mut *tx.inner)
            .await?
            .rows_affected();
    }
    let uid: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(&mut *tx.inner)
        .await?;
    audit::record(
        &mut tx,
        actor,
        "auth.unlock",
        "user",
        &uid.map(|i| i.to_string()).unwrap_or_default(),
        None,
        Some(&json!({"username": username, "address": address, "failures_cleared": cleared})),
    )
    .await?;
    tx.commit().await?;
    Ok(cleared)
}

/// A session to start after a successful login.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub user_id: i64,
    /// The username as typed at the login (its failures are cleared).
    pub username: &'a str,
    pub id_hash: &'a str,
    pub csrf_token: &'a str,
    /// The absolute timeout: the session ends this long after it started, used or not.
    pub absolute_secs: i64,
    /// Where the session comes from, as an operator sees it.
    pub client_addr: &'a str,
    pub user_agent: &'a str,
}

/// Starts a session after a successful login: clears the username's failures and notes the
/// address as one the user signs in from.
pub async fn create_session(db: &Db, actor: &Actor, s: &NewSession<'_>) -> Result<()> {
    let user_id = s.user_id;
    let t = now();
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
        .bind(t)
        .bind(user_id)
        .execute(&mut *tx.inner)
        .await?;
    sqlx::query("DELETE FROM login_failures WHERE subject = $1")
        .bind(user_subject(s.username))
        .execute(&mut *tx.inner)
        .await?;
    sqlx::query(
        "INSERT INTO login_addresses (user_id, address, last_success_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, address) DO UPDATE SET last_success_at = excluded.last_success_at",
    )
    .bind(user_id)
    .bind(s.client_addr)
    .bind(t)
    .execute(&mut *tx.inner)
    .await?;
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(t)
        .execute(&mut *tx.inner)
        .await?;
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at, last_seen_at, \
         client_addr, user_agent) VALUES ($1, $2, $3, $4, $5, $4, $6, $7)",
    )
    .bind(s.id_hash)
    .bind(user_id)
    .bind(s.csrf_token)
    .bind(t)
    .bind(t + s.absolute_secs)
    .bind(s.client_addr)
    .bind(s.user_agent)
    .execute(&mut *tx.inner)
    .await?;
    audit::record(
        &mut tx,
        actor,
        "auth.login",
        "user",
        &user_id.to_string(),
        None,
        Some(&json!({"address": s.client_addr})),
    )
    .await?;
    tx.commit().await
}

/// The principal and CSRF token of a live session: not past its absolute end
/// (`expires_at`) and used within the last `idle_secs`. Its last use is noted when the noted
/// one is `touch_after_secs` old or older (usage metadata, not an audited change).
pub async fn session(
    db: &Db,
    id_hash: &str,
    idle_secs: i64,
    touch_after_secs: i64,
) -> Result<Option<(Principal, String)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        p: Principal,
        csrf_token: String,
        last_seen_at: i64,
    }
    let t = now();
    let sql = format!(
        "SELECT {PRINCIPAL_COLS}, s.csrf_token, s.last_seen_at FROM sessions s \
         JOIN users u ON u.id = s.user_id JOIN orgs o ON o.id = u.org_id \
         WHERE s.id_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3 AND u.active = 1"
    );
    let r: Option<Row> = sqlx::query_as(&sql)
        .bind(id_hash)
        .bind(t)
        .bind(t - idle_secs)
        .fetch_optional(db.pool())
        .await?;
    let Some(r) = r else { return Ok(None) };
    if t - r.last_seen_at >= touch_after_secs {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(t)
            .bind(id_hash)
            .execute(db.pool())
            .await?;
    }
    Ok(Some((r.p, r.csrf_token)))
}

/// A live session as an operator sees it. `id_hash` is the SHA-256 of the cookie value: it
/// names the session but cannot be used as a cookie.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SessionInfo {
    pub id_hash: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub client_addr: String,
    pub user_agent: String,
}

/// A user's live sessions (see [`session`] for what is live), newest first.
pub async fn list_sessions(db: &Db, user_id: i64, idle_secs: i64) -> Result<Vec<SessionInfo>> {
    let t = now();
    Ok(sqlx::query_as(
        "SELECT id_hash, created_at, last_seen_at, expires_at, client_addr, user_agent \
         FROM sessions WHERE user_id = $1 AND expires_at > $2 AND last_seen_at > $3 \
         ORDER BY created_at DESC, id_hash",
    )
    .bind(user_id)
    .bind(t)
    .bind(t - idle_secs)
    .fetch_all(db.pool())
    .await?)
}

/// Ends one of a user's sessions (`Some(id_hash)`) or all of them (`None`), audited; returns
/// how many ended. Ending a session that does not exist (or not the user's) is `NotFound`.
pub async fn end_user_sessions(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    id_hash: Option<&str>,
) -> Result<u64> {
    let mut tx = db.begin().await?;
    let n = match id_hash {
        Some(h) => sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash = $2")
            .bind(user_id)
            .bind(h)
            .execute(&mut *tx.inner)
            .await?
            .rows_affected(),
        None => sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx.inner)
            .await?
            .rows_affected(),
    };
    if id_hash.is_some() && n == 0 {
        return Err(StoreError::NotFound("会话".into()));
    }
    audit::record(
        &mut tx,
        actor,
        if id_hash.is_some() {
            "session.end"
        } else {
            "session.end_all"
        },
        "user",
        &user_id.to_string(),
        None,
        Some(&json!({"sessions_ended": n})),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

pub async fn end_session(db: &Db, actor: &Actor, id_hash: &str) -> Result<()> {
    let mut tx = db.begin().await?;
    let n = sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(&mut *tx.inner)
        .await?
        .rows_affected();
    if n > 0 {
        let uid = actor.user_id.map(|i| i.to_string()).unwrap_or_default();
        audit::record(&mut tx, actor, "auth.logout", "user", &uid, None, None).await?;
    }
    tx.commit().await
}

pub async fn principal(db: &Db, user_id: i64) -> Result<Option<Principal>> {
    let sql = format!(
        "SELECT {PRINCIPAL_COLS} FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id = $1"
    );
    Ok(sqlx::query_as(&sql)
        .bind(user_id)
        .fetch_optional(db.pool())
        .await?)
}

pub async fn user_id_by_username(db: &Db, username: &str) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(db.pool())
            .await?,
    )
}

const USER_COLS: &str = "u.id, u.username, u.display_name, u.org_id, o.name AS org_name, \
    o.code AS org_code, o.kind AS org_kind, u.role, u.active, u.created_at, u.last_login_at";

/// Users, optionally only those of one organisation.
pub async fn list_users(db: &Db, org_id: Option<i64>, paging: Paging) -> Result<Page<User>> {
    let mut q = QueryBuilder::new();
    if let Some(o) = org_id {
        q.and_cmp_int("u.org_id", "=", o);
    }
    let total = q.count(db, "users u").await?;
    let sql = format!(
        "SELECT {USER_COLS} FROM users u JOIN orgs o ON o.id = u.org_id{} ORDER BY u.id \
         LIMIT {} OFFSET {}",
        q.where_sql(),
        paging.per_page,
        paging.offset()
    );
    let items = q.fetch_all::<User>(db, &sql).await?;
    Ok(Page {
        items,
        total,
        page: paging.page,
        per_page: paging.per_page,
    })
}

/// What the user list is narrowed to; every condition is optional.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Part of the username or of the display name (case-insensitive).
    pub q: Option<String>,
    /// A role (`operator`, `school`, …).
    pub role: Option<String>,
    /// Part of the organisation's name, or its code exactly.
    pub org: Option<String>,
    /// Only active (`Some(true)`) or only disabled (`Some(false)`) users.
    pub active: Option<bool>,
}

/// A page of the user list, with how many of the users matching every filter but the status
/// are active and disabled.
#[derive(Debug, Clone)]
pub struct UserList {
    pub page: Page<User>,
    pub active: i64,
    pub disabled: i64,
}

/// The conditions of `filter` but the status, then the caller's scope (users of the
/// organisations it sees): a filter can only narrow the scope.
fn user_conditions(scope: &Scope, filter: &UserFilter) -> QueryBuilder {
    let mut q = QueryBuilder::new();
    if let Some(text) = filter.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let like = format!("%{}%", escape_like(&text.to_lowercase()));
        let user = q.arg(Arg::Str(like.clone()));
        let name = q.arg(Arg::Str(like));
        q.and(format!(
            "(LOWER(u.username) LIKE {user} ESCAPE '\\' OR LOWER(u.display_name) LIKE {name} ESCAPE '\\')"
        ));
    }
    if let Some(role) = filter.role.as_deref().filter(|r| !r.is_empty()) {
        q.and_eq_str("u.role", role);
    }
    if let Some(org) = filter
        .org
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let like = format!("%{}%", escape_like(&org.to_lowercase()));
        let p = q.arg(Arg::Str(like));
        let c = q.arg(Arg::Str(org.to_string()));
        let upper = q.arg(Arg::Str(org.to_uppercase()));
        q.and(format!(
            "(LOWER(o.name) LIKE {p} ESCAPE '\\' OR o.code = {c} OR o.code = {upper})"
        ));
    }
    scope.restrict(&mut q, "u.org_id", "o.district");
    q
}

/// Users matching `filter` within `scope`, in id order, with the status counts.
pub async fn search_users(
    db: &Db,
    scope: &Scope,
    filter: &UserFilter,
    paging: Paging,
) -> Result<UserList> {
    let q = user_conditions(scope, filter);
    let counts_sql = format!(
        "SELECT u.active, COUNT(*) FROM users u JOIN orgs o ON o.id = u.org_id{} GROUP BY u.active",
        q.where_sql()
    );
    let (mut active, mut disabled) = (0, 0);
    for (a, n) in q.fetch_all::<(i64, i64)>(db, &counts_sql).await? {
        if a == 0 {
            disabled += n;
        } else {
            active += n;
        }
    }
    let mut q = q;
    if let Some(a) = filter.active {
        q.and_cmp_int("u.active", "=", a as i64);
    }
    let total = match filter.active {
        None => active + disabled,
        Some(true) => active,
        Some(false) => disabled,
    };
    let sql = format!(
        "SELECT {USER_COLS} FROM users u JOIN orgs o ON o.id = u.org_id{} ORDER BY u.id \
         LIMIT {} OFFSET {}",
        q.where_sql(),
        paging.per_page,
        paging.offset()
    );
    let items = q.fetch_all::<User>(db, &sql).await?;
    Ok(UserList {
        page: Page {
            items,
            total,
            page: paging.page,
            per_page: paging.per_page,
        },
        active,
        disabled,
    })
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Token {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub name: String,
    /// The first characters of the token, to recognise it; the rest is never stored.
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

pub async fn create_token(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    name: &str,
    prefix: &str,
    token_hash: &str,
) -> Result<i64> {
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(user_id)
    .bind(name)
    .bind(prefix)
    .bind(token_hash)
    .bind(now())
    .fetch_one(&mut *tx.inner)
    .await?;
    audit::record(
        &mut tx,
        actor,
        "token.create",
        "api_token",
        &id.to_string(),
        None,
        Some(&json!({"user_id": user_id, "name": name, "prefix": prefix})),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn list_tokens(db: &Db) -> Result<Vec<Token>> {
    Ok(sqlx::query_as(
        "SELECT t.id, t.user_id, u.username, t.name, t.prefix, t.created_at, t.last_used_at, t.revoked_at \
         FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id DESC LIMIT 500",
    )
    .fetch_all(db.pool())
    .await?)
}

pub async fn revoke_token(db: &Db, actor: &Actor, id: i64) -> Result<()> {
    let mut tx = db.begin().await?;
    let n =
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now())
            .bind(id)
            .execute(&mut *tx.inner)
            .await?
            .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound("有效的令牌".into()));
    }
    audit::record(
        &mut tx,
        actor,
        "token.revoke",
        "api_token",
        &id.to_string(),
        None,
        None,
    )
    .await?;
    tx.commit().await
}

/// The principal owning an unrevoked token with this hash, with the token's id and when it
/// was last used.
pub async fn token_principal(
    db: &Db,
    token_hash: &str,
) -> Result<Option<(Principal, i64, Option<i64>)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        p: Principal,
        token_id: i64,
        last_used_at: Option<i64>,
    }
    let sql = format!(
        "SELECT {PRINCIPAL_COLS}, t.id AS token_id, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id \
         JOIN orgs o ON o.id = u.org_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active = 1"
    );
    let r: Option<Row> = sqlx::query_as(&sql)
        .bind(token_hash)
        .fetch_optional(db.pool())
        .await?;
    Ok(r.map(|r| (r.p, r.token_id, r.last_used_at)))
}

/// Records that a token was used (usage metadata, not an audited change).
pub async fn touch_token(db: &Db, token_id: i64) -> Result<()> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
        .bind(now())
        .bind(token_id)
        .execute(db.pool())
        .await?;
    Ok(())
}
