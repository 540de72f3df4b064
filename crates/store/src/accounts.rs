//! Users, sessions and API tokens. Secrets arrive here already hashed.

use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Actor};
use crate::{Db, Page, Paging, QueryBuilder, Result, StoreError, Tx, is_unique_violation, now};

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
    pub role: String,
    pub active: i64,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
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
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
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

/// Replaces a user's password hash; clears any lock.
pub async fn set_password(tx: &mut Tx, actor: &Actor, user_id: i64, hash: &str) -> Result<()> {
    let n = sqlx::query(
        "UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL WHERE id = $2",
    )
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
    // A disabled user loses every session at once.
    if !active {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx.inner)
            .await?;
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
        Some(&json!({"active": active})),
    )
    .await?;
    Ok(())
}

pub async fn login_record(db: &Db, username: &str) -> Result<Option<LoginRecord>> {
    Ok(sqlx::query_as(
        "SELECT id AS user_id, password_hash, active, failed_logins, locked_until, org_id \
         FROM users WHERE username = $1",
    )
    .bind(username)
    .fetch_optional(db.pool())
    .await?)
}

/// Counts a failed login; locks the account for `lock_secs` once `max_failures` is reached.
/// Returns whether the account is now locked.
pub async fn record_login_failure(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    max_failures: i64,
    lock_secs: i64,
) -> Result<bool> {
    let mut tx = db.begin().await?;
    let failed: i64 = sqlx::query_scalar(
        "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins",
    )
    .bind(user_id)
    .fetch_one(&mut *tx.inner)
    .await?;
    let locked = failed >= max_failures;
    if locked {
        let until = now() + lock_secs;
        sqlx::query("UPDATE users SET locked_until = $1, failed_logins = 0 WHERE id = $2")
            .bind(until)
            .bind(user_id)
            .execute(&mut *tx.inner)
            .await?;
        audit::record(
            &mut tx,
            actor,
            "auth.lock",
            "user",
            &user_id.to_string(),
            None,
            Some(&json!({"locked_until": until, "failures": failed})),
        )
        .await?;
    } else {
        audit::record(
            &mut tx,
            actor,
            "auth.login_failed",
            "user",
            &user_id.to_string(),
            None,
            Some(&json!({"failures": failed})),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(locked)
}

/// Starts a session after a successful login.
pub async fn create_session(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    id_hash: &str,
    csrf_token: &str,
    ttl_secs: i64,
) -> Result<()> {
    let t = now();
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = $1 WHERE id = $2",
    )
    .bind(t)
    .bind(user_id)
    .execute(&mut *tx.inner)
    .await?;
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(t)
        .execute(&mut *tx.inner)
        .await?;
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id_hash)
    .bind(user_id)
    .bind(csrf_token)
    .bind(t)
    .bind(t + ttl_secs)
    .execute(&mut *tx.inner)
    .await?;
    audit::record(
        &mut tx,
        actor,
        "auth.login",
        "user",
        &user_id.to_string(),
        None,
        None,
    )
    .await?;
    tx.commit().await
}

/// The principal and CSRF token of a live session.
pub async fn session(db: &Db, id_hash: &str) -> Result<Option<(Principal, String)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        p: Principal,
        csrf_token: String,
    }
    let sql = format!(
        "SELECT {PRINCIPAL_COLS}, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id \
         JOIN orgs o ON o.id = u.org_id WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.active = 1"
    );
    let r: Option<Row> = sqlx::query_as(&sql)
        .bind(id_hash)
        .bind(now())
        .fetch_optional(db.pool())
        .await?;
    Ok(r.map(|r| (r.p, r.csrf_token)))
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

/// Users, optionally only those of one organisation.
pub async fn list_users(db: &Db, org_id: Option<i64>, paging: Paging) -> Result<Page<User>> {
    let mut q = QueryBuilder::new();
    if let Some(o) = org_id {
        q.and_cmp_int("u.org_id", "=", o);
    }
    let total = q.count(db, "users u").await?;
    let sql = format!(
        "SELECT u.id, u.username, u.display_name, u.org_id, o.name AS org_name, u.role, u.active, \
         u.failed_logins, u.locked_until, u.created_at, u.last_login_at \
         FROM users u JOIN orgs o ON o.id = u.org_id{} ORDER BY u.id LIMIT {} OFFSET {}",
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
