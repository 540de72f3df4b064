//! Login and logout.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use store::Actor;
use store::accounts;

use super::{Layout, render, safe_next};
use crate::AppState;
use crate::auth::{
    self, LOGIN_CSRF_COOKIE, MaybeCaller, PageCaller, constant_time_eq, cookie_value, random_hex,
};
use crate::error::{AppError, PageResult};

pub fn router() -> super::Routes {
    super::Routes::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct NextQuery {
    next: Option<String>,
}

fn login_page(csrf: String, next: &str, username: &str, error: Option<String>) -> LoginPage {
    LoginPage {
        layout: Layout::new("登录", "login", None),
        csrf,
        next: safe_next(next).to_string(),
        username: username.to_string(),
        error,
    }
}

fn login_csrf_cookie(token: &str, secure: bool) -> String {
    format!(
        "{LOGIN_CSRF_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600{}",
        if secure { "; Secure" } else { "" }
    )
}

async fn login_form(
    MaybeCaller(caller): MaybeCaller,
    Query(q): Query<NextQuery>,
    parts: Parts,
) -> PageResult {
    if caller.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let token = random_hex(16);
    let page = login_page(token.clone(), q.next.as_deref().unwrap_or("/"), "", None);
    let mut resp = render(&page)?;
    resp.headers_mut().append(
        SET_COOKIE,
        login_csrf_cookie(&token, auth::is_https(&parts))
            .parse()
            .expect("ascii cookie"),
    );
    Ok(resp)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

/// A login attempt that failed: the form again, with the reason, and a fresh CSRF token.
fn retry(
    parts: &Parts,
    form: &LoginForm,
    status: axum::http::StatusCode,
    msg: String,
) -> PageResult {
    let token = random_hex(16);
    let page = login_page(token.clone(), &form.next, &form.username, Some(msg));
    let mut resp = render(&page)?;
    *resp.status_mut() = status;
    resp.headers_mut().append(
        SET_COOKIE,
        login_csrf_cookie(&token, auth::is_https(parts))
            .parse()
            .expect("ascii cookie"),
    );
    Ok(resp)
}

async fn login(
    State(state): State<AppState>,
    parts: Parts,
    Form(form): Form<LoginForm>,
) -> PageResult {
    use axum::http::StatusCode;
    let cookie = cookie_value(&parts, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if cookie.is_empty() || !constant_time_eq(cookie.as_bytes(), form.csrf.as_bytes()) {
        return retry(
            &parts,
            &form,
            StatusCode::FORBIDDEN,
            AppError::Csrf.to_string(),
        );
    }
    let username = form.username.trim();
    let wrong = "用户名或密码错误".to_string();
    if username.is_empty() || form.password.is_empty() {
        return retry(
            &parts,
            &form,
            StatusCode::UNPROCESSABLE_ENTITY,
            "请输入用户名和密码".into(),
        );
    }
    // What the audit log keeps of a typed name: no user's name is longer, and a stranger's
    // must not grow the log without bound.
    let typed: String = username.chars().take(MAX_LOGGED_USERNAME_CHARS).collect();
    let mut actor = Actor::system(&typed);
    actor.request_id = auth::request_id(&parts);
    let sec = state.security;
    let addr = auth::client_addr(&parts, &sec);
    let record = accounts::login_record(&state.db, username).await?;
    if let Some(rec) = &record {
        actor.user_id = Some(rec.user_id);
        actor.org_id = Some(rec.org_id);
    }
    // Progressive delays, decided before the password is checked and identical whether or not
    // the user exists (see `throttled`).
    // (An unknown user is looked up as id 0, which no user has: the same query either way.)
    let uid = record.as_ref().map_or(0, |r| r.user_id);
    let known_addr = accounts::known_address(&state.db, uid, &addr).await?;
    if throttled(&state, username, &addr, known_addr).await? {
        return retry(
            &parts,
            &form,
            StatusCode::TOO_MANY_REQUESTS,
            THROTTLED.into(),
        );
    }
    // An unknown user is checked against a dummy hash, so timing does not reveal which names
    // exist either.
    let hash = record
        .as_ref()
        .and_then(|r| r.password_hash.clone())
        .unwrap_or_else(|| DUMMY_HASH.to_string());
    let pw = form.password.clone();
    let verified = tokio::task::spawn_blocking(move || auth::verify_password(&pw, &hash))
        .await
        .unwrap_or(false);
    let rec = match record {
        Some(rec) if verified => rec,
        other => {
            accounts::record_login_failure(
                &state.db,
                &actor,
                other.map(|r| r.user_id),
                &typed,
                &addr,
                store::now() - sec.login_failure_window_secs,
            )
            .await?;
            return retry(&parts, &form, StatusCode::UNAUTHORIZED, wrong);
        }
    };
    // Said only to whoever knows the password.
    if rec.active == 0 {
        return retry(
            &parts,
            &form,
            StatusCode::FORBIDDEN,
            "账户已停用，请联系平台管理员".into(),
        );
    }
    let sid = random_hex(32);
    let csrf = random_hex(16);
    let ua = auth::user_agent(&parts);
    accounts::create_session(
        &state.db,
        &actor,
        &accounts::NewSession {
            user_id: rec.user_id,
            username,
            id_hash: &auth::sha256_hex(&sid),
            csrf_token: &csrf,
            absolute_secs: sec.session_absolute_secs,
            client_addr: &addr,
            user_agent: &ua,
        },
    )
    .await?;
    let secure = auth::is_https(&parts);
    let mut resp = Redirect::to(safe_next(&form.next)).into_response();
    resp.headers_mut().append(
        SET_COOKIE,
        auth::session_cookie(&sid, sec.session_absolute_secs, secure)
            .parse()
            .expect("ascii cookie"),
    );
    resp.headers_mut().append(
        SET_COOKIE,
        login_csrf_cookie("", secure)
            .replace("Max-Age=3600", "Max-Age=0")
            .parse()
            .expect("ascii cookie"),
    );
    Ok(resp)
}

/// Usernames are at most 64 characters (`accounts::check_username`).
const MAX_LOGGED_USERNAME_CHARS: usize = 64;

/// The one answer to a throttled attempt, whoever the user and whether they exist.
const THROTTLED: &str = "登录尝试过于频繁，请稍后再试";

/// Whether an attempt must wait. Failures are counted per client address and per username as
/// typed (existing or not), over the last `login_failure_window_secs`; after
/// `login_free_failures` of either, the next attempt must come `login_delay(k)` after the last
/// failure. The username's count does not apply to an address the user has signed in from
/// before: failures from elsewhere slow an attacker down but cannot keep the user out (the
/// attacker's own address is slowed by its count).
async fn throttled(
    state: &AppState,
    username: &str,
    addr: &str,
    known_addr: bool,
) -> Result<bool, AppError> {
    let sec = state.security;
    let now = store::now();
    let since = now - sec.login_failure_window_secs;
    let mut subjects = vec![accounts::address_subject(addr)];
    if !known_addr {
        subjects.push(accounts::user_subject(username));
    }
    for subject in subjects {
        let f = accounts::recent_failures(&state.db, &subject, since).await?;
        let delay = sec.login_delay(f.count);
        if delay > 0 && f.last_at.is_some_and(|last| now < last + delay) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// An argon2id hash of a random string, verified against when the user does not exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Xr0y1Dd5u6ysoYpZ2h1dXo0mG7tB5v2m6oXb6f8v0TQ";

#[derive(Deserialize)]
struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    parts: Parts,
    Form(form): Form<LogoutForm>,
) -> PageResult<Response> {
    caller.check_csrf(&form.csrf)?;
    if let Some(h) = &caller.session_hash {
        accounts::end_session(&state.db, &caller.actor(), h).await?;
    }
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().append(
        SET_COOKIE,
        auth::session_cookie("", 0, auth::is_https(&parts))
            .parse()
            .expect("ascii cookie"),
    );
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::DUMMY_HASH;
    use argon2::password_hash::PasswordHash;

    #[test]
    fn the_dummy_hash_is_a_real_argon2id_hash_with_the_default_cost() {
        // Otherwise an unknown user's check would fail fast, and timing would tell.
        let h = PasswordHash::new(DUMMY_HASH).expect("parses");
        assert_eq!(h.algorithm.as_str(), "argon2id");
        let real = crate::auth::hash_password("anything at all").unwrap();
        let real = PasswordHash::new(&real).unwrap();
        assert_eq!(h.params, real.params, "same cost as real hashes");
    }
}
