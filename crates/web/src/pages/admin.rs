//! Users and API tokens (operators only).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use domain::orgs::Role;
use serde::Deserialize;
use store::accounts::{self, User};
use store::{Page, Paging};

use super::{
    Layout, SelectOption, fmt_opt_time, fmt_time, options, pager_links, parse_page, render,
};
use crate::AppState;
use crate::accounts::{UserInput, add_user};
use crate::auth::access::Permission;
use crate::auth::{Caller, PageCaller, issue_token};
use crate::error::{AppError, PageResult};

pub fn router() -> super::Routes {
    super::Routes::new()
        .route("/admin/users", get(page).post(create_user))
        .route("/admin/users/{id}/{action}", post(toggle_user))
        .route("/admin/users/{id}/sessions", get(sessions_page))
        .route("/admin/users/{id}/sessions/end", post(end_all_sessions))
        .route("/admin/users/{id}/sessions/{sid}/end", post(end_session))
        .route("/admin/tokens", post(create_token))
        .route("/admin/tokens/{id}/revoke", post(revoke_token))
}

#[derive(Deserialize, Default)]
struct UserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    password: String,
}

struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    org_name: String,
    role: &'static str,
    status: &'static str,
    active: bool,
    last_login: String,
}

struct TokenRow {
    id: i64,
    username: String,
    name: String,
    prefix: String,
    created: String,
    last_used: String,
    status: &'static str,
    active: bool,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct AdminPage {
    layout: Layout,
    notice: Option<String>,
    new_secret: Option<String>,
    errors: Vec<String>,
    users: Page<User>,
    user_rows: Vec<UserRow>,
    prev_link: Option<String>,
    next_link: Option<String>,
    form: UserForm,
    role_options: Vec<SelectOption>,
    token_rows: Vec<TokenRow>,
}

#[derive(Deserialize, Default)]
struct PageQuery {
    page: Option<String>,
    notice: Option<String>,
}

struct Extra {
    notice: Option<String>,
    secret: Option<String>,
    errors: Vec<String>,
    form: UserForm,
    page: Option<i64>,
}

async fn build(state: &AppState, caller: &Caller, extra: Extra) -> Result<AdminPage, AppError> {
    let users = accounts::list_users(&state.db, None, Paging::new(extra.page, Some(50))).await?;
    let user_rows = users
        .items
        .iter()
        .map(|u| UserRow {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            org_name: u.org_name.clone(),
            role: Role::parse(&u.role).map(Role::label).unwrap_or("未知"),
            status: if u.active == 0 { "停用" } else { "启用" },
            active: u.active == 1,
            last_login: fmt_opt_time(u.last_login_at),
        })
        .collect();
    let (prev_link, next_link) = pager_links(&[], users.page, users.pages());
    let token_rows = accounts::list_tokens(&state.db)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            username: t.username,
            name: t.name,
            prefix: t.prefix,
            created: fmt_time(t.created_at),
            last_used: fmt_opt_time(t.last_used_at),
            status: if t.revoked_at.is_some() {
                "已吊销"
            } else {
                "有效"
            },
            active: t.revoked_at.is_none(),
        })
        .collect();
    Ok(AdminPage {
        layout: Layout::new("用户与令牌", "users", Some(caller)),
        notice: extra.notice,
        new_secret: extra.secret,
        errors: extra.errors,
        users,
        user_rows,
        prev_link,
        next_link,
        role_options: options(
            Role::ALL.iter().map(|r| (r.as_str(), r.label())),
            &extra.form.role,
        ),
        form: extra.form,
        token_rows,
    })
}

async fn page(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(q): Query<PageQuery>,
) -> PageResult {
    caller.require(Permission::ManageAccounts)?;
    let notice = q.notice.as_deref().and_then(|n| match n {
        "created" => Some("用户已创建".to_string()),
        "updated" => Some("用户状态已更新".to_string()),
        "revoked" => Some("令牌已吊销".to_string()),
        _ => None,
    });
    let p = build(
        &state,
        &caller,
        Extra {
            notice,
            secret: None,
            errors: vec![],
            form: UserForm::default(),
            page: parse_page(&q.page),
        },
    )
    .await?;
    render(&p)
}

async fn create_user(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Form(mut form): Form<UserForm>,
) -> PageResult {
    caller.require(Permission::ManageAccounts)?;
    caller.check_csrf(&form.csrf)?;
    let res = add_user(
        &state.db,
        &caller.actor(),
        &UserInput {
            username: &form.username,
            display_name: &form.display_name,
            role: &form.role,
            org_code: &form.org,
            password: Some(&form.password),
        },
    )
    .await;
    match res {
        Ok(_) => Ok(Redirect::to("/admin/users?notice=created").into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
            let status = e.status();
            form.password.clear();
            let p = build(
                &state,
                &caller,
                Extra {
                    notice: None,
                    secret: None,
                    errors: vec![e.to_string()],
                    form,
                    page: None,
                },
            )
            .await?;
            let mut resp = render(&p)?;
            *resp.status_mut() = status;
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn toggle_user(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    caller.require(Permission::ManageAccounts)?;
    caller.check_csrf(&form.csrf)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound("用户"))?;
    let active = match action.as_str() {
        "enable" => true,
        "disable" => false,
        _ => return Err(AppError::NotFound("操作").into()),
    };
    if !active && id == caller.principal.user_id {
        return Err(AppError::invalid("id", "不能停用自己的账户").into());
    }
    let mut tx = state.db.begin().await?;
    accounts::set_active(&mut tx, &caller.actor(), id, active).await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/users?notice=updated").into_response())
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    name: String,
}

async fn create_token(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Form(form): Form<TokenForm>,
) -> PageResult {
    caller.require(Permission::ManageAccounts)?;
    caller.check_csrf(&form.csrf)?;
    let name = form.name.trim();
    let mut errors = Vec::new();
    if name.is_empty() || name.chars().count() > 50 {
        errors.push("令牌用途须为1至50个字".to_string());
    }
    let uid = accounts::user_id_by_username(&state.db, form.username.trim()).await?;
    if uid.is_none() {
        errors.push(format!("找不到用户“{}”", form.username.trim()));
    }
    let (secret, status) = match (uid, errors.is_empty()) {
        (Some(uid), true) => (
            Some(issue_token(&state.db, &caller.actor(), uid, name).await?),
            axum::http::StatusCode::OK,
        ),
        _ => (None, axum::http::StatusCode::UNPROCESSABLE_ENTITY),
    };
    let p = build(
        &state,
        &caller,
        Extra {
            notice: None,
            secret,
            errors,
            form: UserForm::default(),
            page: None,
        },
    )
    .await?;
    let mut resp = render(&p)?;
    *resp.status_mut() = status;
    Ok(resp)
}

async fn revoke_token(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    caller.require(Permission::ManageAccounts)?;
    caller.check_csrf(&form.csrf)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound("令牌"))?;
    accounts::revoke_token(&state.db, &caller.actor(), id).await?;
    Ok(Redirect::to("/admin/users?notice=revoked").into_response())
}

struct SessionRow {
    id_hash: String,
    created: String,
    last_used: String,
    expires: String,
    client_addr: String,
    user_agent: String,
}

#[derive(Template)]
#[template(path = "admin_sessions.html")]
struct SessionsPage {
    layout: Layout,
    notice: Option<String>,
    user_id: i64,
    username: String,
    display_name: String,
    rows: Vec<SessionRow>,
    idle_minutes: i64,
    absolute_hours: i64,
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    notice: Option<String>,
}

/// The user named by a path id, or 404.
async fn path_user(state: &AppState, id: &str) -> Result<accounts::Principal, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound("用户"))?;
    accounts::principal(&state.db, id)
        .await?
        .ok_or(AppError::NotFound("用户"))
}

/// A user's live sessions, each with a button to end it, and one to end them all.
async fn sessions_page(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    caller.require(Permission::ManageAccounts)?;
    let user = path_user(&state, &id).await?;
    let sec = state.security;
    let rows = accounts::list_sessions(&state.db, user.user_id, sec.session_idle_secs)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            id_hash: s.id_hash,
            created: fmt_time(s.created_at),
            last_used: fmt_time(s.last_seen_at),
            expires: fmt_time(s.expires_at.min(s.last_seen_at + sec.session_idle_secs)),
            client_addr: if s.client_addr.is_empty() {
                "—".into()
            } else {
                s.client_addr
            },
            user_agent: if s.user_agent.is_empty() {
                "—".into()
            } else {
                s.user_agent
            },
        })
        .collect();
    let notice = q.notice.as_deref().and_then(|n| match n {
        "ended" => Some("会话已结束".to_string()),
        "ended_all" => Some("该用户的全部会话已结束".to_string()),
        _ => None,
    });
    render(&SessionsPage {
        layout: Layout::new("登录会话", "users", Some(&caller)),
        notice,
        user_id: user.user_id,
        username: user.username,
        display_name: user.display_name,
        rows,
        idle_minutes: sec.session_idle_secs / 60,
        absolute_hours: sec.session_absolute_secs / 3600,
    })
}

async fn end_all_sessions(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    caller.require(Permission::ManageAccounts)?;
    caller.check_csrf(&form.csrf)?;
    let user = path_user(&state, &id).await?;
    accounts::end_user_sessions(&state.db, &caller.actor(), user.user_id, None).await?;
    Ok(Redirect::to(&format!(
        "/admin/users/{}/sessions?notice=ended_all",
        user.user_id
    ))
    .into_response())
}

async fn end_session(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path((id, sid)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    caller.require(Permission::ManageAccounts)?;
    caller.check_csrf(&form.csrf)?;
    let user = path_user(&state, &id).await?;
    accounts::end_user_sessions(&state.db, &caller.actor(), user.user_id, Some(&sid)).await?;
    Ok(Redirect::to(&format!(
        "/admin/users/{}/sessions?notice=ended",
        user.user_id
    ))
    .into_response())
}
