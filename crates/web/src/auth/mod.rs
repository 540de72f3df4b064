//! Authentication: passwords (argon2id), server-side sessions, API tokens, CSRF.

pub mod access;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::HeaderValue;
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_DISPOSITION, COOKIE, REFERRER_POLICY,
    STRICT_TRANSPORT_SECURITY, USER_AGENT,
};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use rand::RngCore;
use sha2::{Digest, Sha256};
use store::accounts::{self, Principal};
use store::{Actor, Db};

use crate::AppState;
use crate::error::{AppError, PageError};

pub const SESSION_COOKIE: &str = "cj_session";
pub const LOGIN_CSRF_COOKIE: &str = "cj_login_csrf";
pub const TOKEN_PREFIX: &str = "cjt_";

/// Failures (per username as typed, or per client address) that cost no delay.
pub const LOGIN_FREE_FAILURES: i64 = 3;
/// The delay after the first failure past the free ones; each further failure doubles it.
pub const LOGIN_BASE_DELAY_SECS: i64 = 2;
/// The longest delay, however many failures.
pub const LOGIN_MAX_DELAY_SECS: i64 = 5 * 60;
/// Only failures this recent count: older ones have decayed (and are pruned).
pub const LOGIN_FAILURE_WINDOW_SECS: i64 = 15 * 60;
/// A session unused this long ends (idle timeout).
pub const SESSION_IDLE_SECS: i64 = 30 * 60;
/// A session ends this long after sign-in, used or not (absolute timeout).
pub const SESSION_ABSOLUTE_SECS: i64 = 12 * 3600;
/// A session's last use is written at most this often (it bounds the idle timeout's
/// precision; shorter idle timeouts are noted at a quarter of their length).
pub const SESSION_TOUCH_SECS: i64 = 60;
/// `Strict-Transport-Security` lifetime sent on HTTPS requests (one year).
pub const HSTS_MAX_AGE_SECS: i64 = 365 * 24 * 3600;
/// Below this zxcvbn score (0–4) a password is refused.
pub const MIN_PASSWORD_SCORE: u8 = 3;
pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Account-protection settings (security configuration, not programme policy). The defaults
/// are the constants above; tests shorten them.
#[derive(Debug, Clone, Copy)]
pub struct Security {
    pub login_free_failures: i64,
    pub login_base_delay_secs: i64,
    pub login_max_delay_secs: i64,
    pub login_failure_window_secs: i64,
    pub session_idle_secs: i64,
    pub session_absolute_secs: i64,
    /// Take the client address from the last `X-Forwarded-For` entry (set by our own reverse
    /// proxy) instead of the connection's peer address. Only when a proxy is in front.
    pub trust_proxy: bool,
}

impl Default for Security {
    fn default() -> Self {
        Security {
            login_free_failures: LOGIN_FREE_FAILURES,
            login_base_delay_secs: LOGIN_BASE_DELAY_SECS,
            login_max_delay_secs: LOGIN_MAX_DELAY_SECS,
            login_failure_window_secs: LOGIN_FAILURE_WINDOW_SECS,
            session_idle_secs: SESSION_IDLE_SECS,
            session_absolute_secs: SESSION_ABSOLUTE_SECS,
            trust_proxy: false,
        }
    }
}

impl Security {
    /// The delay owed after `failures` recent failures: none for the free ones, then the base
    /// delay doubling with each further failure, capped.
    pub fn login_delay(&self, failures: i64) -> i64 {
        let over = failures - self.login_free_failures;
        if over < 0 {
            return 0;
        }
        let doubled = self
            .login_base_delay_secs
            .saturating_mul(1i64.checked_shl(over.min(62) as u32).unwrap_or(i64::MAX));
        doubled.min(self.login_max_delay_secs)
    }

    /// How often a session's last use is written.
    pub fn session_touch_secs(&self) -> i64 {
        SESSION_TOUCH_SECS.min(self.session_idle_secs / 4)
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

/// Password rules, wherever a password is set: length, not containing the username
/// (case-insensitive), and a zxcvbn strength score of at least [`MIN_PASSWORD_SCORE`] (common
/// passwords, dictionary words with l33t substitutions, keyboard walks, dates and repeats
/// score low).
pub fn check_password_strength(pw: &str, username: &str) -> Result<(), AppError> {
    let n = pw.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid(
            "password",
            format!("密码至少{MIN_PASSWORD_CHARS}个字符"),
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(AppError::invalid(
            "password",
            format!("密码不能超过{MAX_PASSWORD_CHARS}个字符"),
        ));
    }
    let name = username.trim().to_lowercase();
    if !name.is_empty() && pw.to_lowercase().contains(&name) {
        return Err(AppError::invalid("password", "密码不能包含用户名"));
    }
    let estimate = zxcvbn::zxcvbn(pw, &[username.trim()]);
    if u8::from(estimate.score()) < MIN_PASSWORD_SCORE {
        return Err(AppError::invalid(
            "password",
            "密码过于常见或容易猜到（如常用密码、单词加数字、键盘顺序、日期），请换用更长、更不规则的密码",
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

/// The client's address: the connection's peer address, or — only with
/// [`Security::trust_proxy`] — the last `X-Forwarded-For` entry, the one our own proxy added.
/// Empty when neither is known (a server started without connection info).
pub fn client_addr(parts: &Parts, security: &Security) -> String {
    if security.trust_proxy {
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|v| !v.is_empty())
            .and_then(|v| v.parse::<std::net::IpAddr>().ok());
        if let Some(ip) = forwarded {
            return ip.to_string();
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip().to_string())
        .unwrap_or_default()
}

/// The request's `User-Agent`, shortened for display.
pub fn user_agent(parts: &Parts) -> String {
    parts
        .headers
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(MAX_USER_AGENT_CHARS)
        .collect()
}

/// How much of a `User-Agent` a session keeps.
pub const MAX_USER_AGENT_CHARS: usize = 200;

/// Response headers every answer gets: `Referrer-Policy`; `Cache-Control: no-store` on every
/// response to a signed-in request (session cookie or bearer token) and on every download
/// (`Content-Disposition: attachment`, i.e. every export); `Strict-Transport-Security` when the
/// request came over HTTPS (a browser ignores it over plain HTTP, so a forged
/// `X-Forwarded-Proto` gains nothing).
pub async fn security_headers(req: Request, next: Next) -> Response {
    let signed_in = req.headers().contains_key(AUTHORIZATION)
        || req
            .headers()
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| {
                v.split(';')
                    .any(|kv| kv.trim().starts_with(&format!("{SESSION_COOKIE}=")))
            });
    let https = req
        .headers()
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
        || req.uri().scheme_str() == Some("https");
    let mut resp = next.run(req).await;
    let download = resp
        .headers()
        .get(CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("attachment")
        });
    let h = resp.headers_mut();
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if signed_in || download {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if https {
        h.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_str(&format!("max-age={HSTS_MAX_AGE_SECS}")).expect("ascii header"),
        );
    }
    resp
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
    /// Unread inbox items, for a page's navigation (`None` outside pages).
    pub unread: Option<i64>,
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

/// The longest CSRF field a multipart form may send (tokens are 32 hex characters).
const MAX_CSRF_FIELD_BYTES: usize = 256;

/// Checks a multipart (upload) form's CSRF token, sent in the body — never in the URL — as
/// the form's first field, `csrf` (upload forms put that hidden input first, and browsers send
/// fields in document order). It is read, at most [`MAX_CSRF_FIELD_BYTES`], before any file
/// is: nothing is buffered for a forged request.
pub async fn check_multipart_csrf(
    caller: &Caller,
    mp: &mut axum::extract::Multipart,
) -> Result<(), AppError> {
    let mut field = match mp.next_field().await {
        Ok(Some(f)) if f.name() == Some("csrf") => f,
        _ => return Err(AppError::Csrf),
    };
    let mut value = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|_| AppError::Csrf)? {
        if value.len() + chunk.len() > MAX_CSRF_FIELD_BYTES {
            return Err(AppError::Csrf);
        }
        value.extend_from_slice(&chunk);
    }
    caller.check_csrf(std::str::from_utf8(&value).map_err(|_| AppError::Csrf)?)
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(crate) async fn resolve(parts: &Parts, state: &AppState) -> Result<Option<Caller>, AppError> {
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
            unread: None,
        }));
    }
    if let Some(sid) = cookie_value(parts, SESSION_COOKIE) {
        let h = sha256_hex(&sid);
        let sec = &state.security;
        let live = accounts::session(
            &state.db,
            &h,
            sec.session_idle_secs,
            sec.session_touch_secs(),
        )
        .await?;
        if let Some((p, csrf)) = live {
            return Ok(Some(Caller {
                principal: p,
                csrf: Some(csrf),
                session_hash: Some(h),
                request_id: rid,
                unread: None,
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

/// An API caller who may or may not be signed in (public lists); a bad credential is still
/// refused.
pub struct MaybeApiCaller(pub Option<Caller>);

impl FromRequestParts<AppState> for MaybeApiCaller {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        Ok(MaybeApiCaller(resolve(parts, state).await?))
    }
}

/// A signed-in page visitor; redirected to the login page when absent.
pub struct PageCaller(pub Caller);

impl FromRequestParts<AppState> for PageCaller {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        match resolve(parts, state).await {
            Ok(Some(c)) => Ok(PageCaller(with_unread(state, c).await?)),
            Ok(None) | Err(AppError::Unauthorized) => Err(PageError(AppError::Unauthorized)),
            Err(e) => Err(PageError(e)),
        }
    }
}

/// The caller with the count of its unread inbox items (for the navigation of a page).
async fn with_unread(state: &AppState, mut c: Caller) -> Result<Caller, PageError> {
    let keys = crate::features::applications::reviewer_keys(&c);
    c.unread = Some(
        store::applications::inbox_unread(
            &state.db,
            c.principal.user_id,
            c.principal.org_id,
            &keys,
        )
        .await
        .map_err(AppError::from)?,
    );
    Ok(c)
}

/// A page visitor who may or may not be signed in.
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        match resolve(parts, state).await {
            Ok(Some(c)) => Ok(MaybeCaller(Some(with_unread(state, c).await?))),
            Ok(None) => Ok(MaybeCaller(None)),
            Err(AppError::Unauthorized) => Ok(MaybeCaller(None)),
            Err(e) => Err(PageError(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_start_after_the_free_failures_double_and_cap() {
        let s = Security::default();
        let d: Vec<i64> = (0..=12).map(|k| s.login_delay(k)).collect();
        assert_eq!(d, [0, 0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert_eq!(s.login_delay(10_000), LOGIN_MAX_DELAY_SECS);
    }

    #[test]
    fn password_strength() {
        for (pw, user) in [
            ("Test-Passw0rd!", "op1"),
            ("Cli-Passw0rd!", "ops"),
            ("Another-Passw0rd", "dis2"),
            ("Bench-Passw0rd!", "bench_fgw"),
            ("Kq7#rV2m-Lw9xTz", "zhangwei"),
            ("correct horse battery staple", "op1"),
        ] {
            check_password_strength(pw, user).unwrap_or_else(|e| panic!("{pw}: {e}"));
        }
        for pw in [
            "password123",
            "Password1234!",
            "qwertyuiop12",
            "1234567890",
            "iloveyou2024",
        ] {
            let e = check_password_strength(pw, "zhangwei")
                .unwrap_err()
                .to_string();
            assert!(e.contains("容易猜到"), "{pw}: {e}");
        }
        let e = check_password_strength("xx-ZhangWei-Kq7#rV2m", "zhangwei").unwrap_err();
        assert!(e.to_string().contains("不能包含用户名"));
        let e = check_password_strength("short", "op1").unwrap_err();
        assert!(e.to_string().contains("至少10个字符"));
    }
}
