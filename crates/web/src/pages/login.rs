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
    max_failures: i64,
    lock_minutes: i64,
}

#[derive(Deserialize, Default)]
struct NextQuery {
    next: Option<String>,
}

fn login_page(
    state: &AppState,
    csrf: String,
    next: &str,
    username: &str,
    error: Option<String>,
) -> LoginPage {
    LoginPage {
        layout: Layout::new("登录", "login", None),
        csrf,
        next: safe_next(next).to_string(),
        username: username.to_string(),
        error,
        max_failures: state.security.max_login_failures,
        lock_minutes: state.security.lock_secs / 60,
    }
}

fn login_csrf_cookie(token: &str, secure: bool) -> String {
    format!(
        "{LOGIN_CSRF_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600{}",
        if secure { "; Secure" } else { "" }
    )
}

async fn login_form(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Query(q): Query<NextQuery>,
    parts: Parts,
) -> PageResult {
    if caller.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let token = random_hex(16);
    let page = login_page(
        &state,
        token.clone(),
        q.next.as_deref().unwrap_or("/"),
        "",
        None,
    );
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
    state: &AppState,
    parts: &Parts,
    form: &LoginForm,
    status: axum::http::StatusCode,
    msg: String,
) -> PageResult {
    let token = random_hex(16);
    let page = login_page(state, token.clone(), &form.next, &form.username, Some(msg));
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
            &state,
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
            &state,
            &parts,
            &form,
            StatusCode::UNPROCESSABLE_ENTITY,
            "请输入用户名和密码".into(),
        );
    }
    let mut actor = Actor::system(username);
    actor.request_id = auth::request_id(&parts);
    let record = accounts::login_record(&state.db, username).await?;
    let Some(rec) = record else {
        // Spend the same time as a real check, so timing does not reveal which names exist.
        let pw = form.password.clone();
        let _ = tokio::task::spawn_blocking(move || auth::verify_password(&pw, DUMMY_HASH)).await;
        return retry(&state, &parts, &form, StatusCode::UNAUTHORIZED, wrong);
    };
    actor.user_id = Some(rec.user_id);
    actor.org_id = Some(rec.org_id);
    let now = store::now();
    if let Some(until) = rec.locked_until.filter(|u| *u > now) {
        let msg = format!(
            "账户因多次密码错误已锁定，请于{}后再试",
            super::fmt_time(until)
        );
        return retry(&state, &parts, &form, StatusCode::TOO_MANY_REQUESTS, msg);
    }
    if rec.active == 0 {
        return retry(
            &state,
            &parts,
            &form,
            StatusCode::FORBIDDEN,
            "账户已停用，请联系平台管理员".into(),
        );
    }
    let hash = rec.password_hash.clone().unwrap_or_default();
    let pw = form.password.clone();
    let ok = tokio::task::spawn_blocking(move || auth::verify_password(&pw, &hash))
        .await
        .unwrap_or(false);
    if !ok {
        let sec = state.security;
        let locked = accounts::record_login_failure(
            &state.db,
            &actor,
            rec.user_id,
            sec.max_login_failures,
            sec.lock_secs,
        )
        .await?;
        let msg = if locked {
            format!(
                "连续{}次密码错误，账户已锁定{}分钟",
                sec.max_login_failures,
                sec.lock_secs / 60
            )
        } else {
            wrong
        };
        let status = if locked {
            StatusCode::TOO_MANY_REQUESTS
        } else {
            StatusCode::UNAUTHORIZED
        };
        return retry(&state, &parts, &form, status, msg);
    }
    let sid = random_hex(32);
    let csrf = random_hex(16);
    accounts::create_session(
        &state.db,
        &actor,
        rec.user_id,
        &auth::sha256_hex(&sid),
        &csrf,
        state.security.session_ttl_secs,
    )
    .await?;
    let secure = auth::is_https(&parts);
    let mut resp = Redirect::to(safe_next(&form.next)).into_response();
    resp.headers_mut().append(
        SET_COOKIE,
        auth::session_cookie(&sid, state.security.session_ttl_secs, secure)
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
