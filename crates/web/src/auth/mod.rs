//! Authentication: passwords (argon2id), server-side sessions, API tokens, CSRF.

pub mod access;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use rand::RngCore;
use sha2::{Digest, Sha256};
use store::accounts::{self, Principal};
use store::{Actor, Db};

use crate::AppState;
use crate::error::{AppError, PageError};

pub const SESSION_COOKIE: &str = "cj_session";
pub const LOGIN_CSRF_COOKIE: &str = "cj_login_csrf";
pub const TOKEN_PREFIX: &str = "cjt_";

/// Account-protection settings (security configuration, not programme policy).
#[derive(Debug, Clone, Copy)]
pub struct Security {
    pub max_login_failures: i64,
    pub lock_secs: i64,
    pub session_ttl_secs: i64,
}

impl Default for Security {
    fn default() -> Self {
        Security {
            max_login_failures: 5,
            lock_secs: 15 * 60,
            session_ttl_secs: 8 * 3600,
        }
    }
}

pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(e.to_string()))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Password rules for new accounts.
pub fn check_password_strength(pw: &str) -> Result<(), AppError> {
    let n = pw.chars().count();
    if n < 10 {
        return Err(AppError::invalid("password", "密码至少10个字符"));
    }
    if n > 128 {
        return Err(AppError::invalid("password", "密码不能超过128个字符"));
    }
    let classes = [
        pw.chars().any(|c| c.is_ascii_lowercase()),
        pw.chars().any(|c| c.is_ascii_uppercase()),
        pw.chars().any(|c| c.is_ascii_digit()),
        pw.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if classes.iter().filter(|b| **b).count() < 3 {
        return Err(AppError::invalid(
            "password",
            "密码须包含大写字母、小写字母、数字、符号中的至少三类",
        ));
    }
    Ok(())
}

/// A new API token: the secret (shown once) and what is stored.
pub struct NewToken {
    pub secret: String,
    pub prefix: String,
    pub hash: String,
}

pub fn new_token() -> NewToken {
    let secret = format!("{TOKEN_PREFIX}{}", random_hex(24));
    NewToken {
        prefix: secret.chars().take(TOKEN_PREFIX.len() + 6).collect(),
        hash: sha256_hex(&secret),
        secret,
    }
}

/// Issues a token for `user_id`; returns the secret.
pub async fn issue_token(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    name: &str,
) -> Result<String, AppError> {
    let t = new_token();
    accounts::create_token(db, actor, user_id, name, &t.prefix, &t.hash).await?;
    Ok(t.secret)
}

pub fn cookie_value(parts: &Parts, name: &str) -> Option<String> {
    for h in parts.headers.get_all(COOKIE) {
        let Ok(s) = h.to_str() else { continue };
        for kv in s.split(';') {
            if let Some((k, v)) = kv.trim().split_once('=')
                && k == name
            {
                return Some(v.to_string());
            }
        }
    }
    None
}

pub fn request_id(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Whether the request reached us over HTTPS (directly or through a proxy that says so).
pub fn is_https(parts: &Parts) -> bool {
    parts
        .headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
        || parts.uri.scheme_str() == Some("https")
}

pub fn session_cookie(value: &str, max_age: i64, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Who is calling, resolved once per request from the session cookie or a bearer token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    /// The session's CSRF token; `None` for bearer-token calls (no cookies, no CSRF risk).
    pub csrf: Option<String>,
    pub session_hash: Option<String>,
    pub request_id: Option<String>,
}

impl Caller {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.principal.user_id),
            name: self.principal.username.clone(),
            org_id: Some(self.principal.org_id),
            request_id: self.request_id.clone(),
        }
    }

    pub fn require(&self, perm: access::Permission) -> Result<(), AppError> {
        if access::allows(&self.principal, perm) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Checks a submitted form's CSRF token against the session's.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), AppError> {
        match &self.csrf {
            Some(t) if constant_time_eq(t.as_bytes(), submitted.as_bytes()) => Ok(()),
            _ => Err(AppError::Csrf),
        }
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn resolve(parts: &Parts, state: &AppState) -> Result<Option<Caller>, AppError> {
    let rid = request_id(parts);
    if let Some(h) = parts.headers.get(AUTHORIZATION) {
        let v = h.to_str().map_err(|_| AppError::Unauthorized)?;
        let token = v
            .strip_prefix("Bearer ")
            .ok_or(AppError::Unauthorized)?
            .trim();
        let (p, token_id, last_used) = accounts::token_principal(&state.db, &sha256_hex(token))
            .await?
            .ok_or(AppError::Unauthorized)?;
        // Note use at most once a minute, so busy integrations do not write on every call.
        if last_used.is_none_or(|t| store::now() - t >= 60) {
            accounts::touch_token(&state.db, token_id).await?;
        }
        return Ok(Some(Caller {
            principal: p,
            csrf: None,
            session_hash: None,
            request_id: rid,
        }));
    }
    if let Some(sid) = cookie_value(parts, SESSION_COOKIE) {
        let h = sha256_hex(&sid);
        if let Some((p, csrf)) = accounts::session(&state.db, &h).await? {
            return Ok(Some(Caller {
                principal: p,
                csrf: Some(csrf),
                session_hash: Some(h),
                request_id: rid,
            }));
        }
    }
    Ok(None)
}

/// An API caller; 401 as JSON when absent.
pub struct ApiCaller(pub Caller);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        resolve(parts, state)
            .await?
            .map(ApiCaller)
            .ok_or(AppError::Unauthorized)
    }
}

/// A signed-in page visitor; redirected to the login page when absent.
pub struct PageCaller(pub Caller);

impl FromRequestParts<AppState> for PageCaller {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        match resolve(parts, state).await {
            Ok(Some(c)) => Ok(PageCaller(c)),
            Ok(None) | Err(AppError::Unauthorized) => Err(PageError(AppError::Unauthorized)),
            Err(e) => Err(PageError(e)),
        }
    }
}

/// A page visitor who may or may not be signed in.
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        match resolve(parts, state).await {
            Ok(c) => Ok(MaybeCaller(c)),
            Err(AppError::Unauthorized) => Ok(MaybeCaller(None)),
            Err(e) => Err(PageError(e)),
        }
    }
}
