//! Users and API tokens (operators only): the user list searched, filtered and paged; a new
//! user's organisation chosen from a list grouped by kind, their role chosen to fit it.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use domain::orgs::{OrgKind, Role};
use serde::Deserialize;
use store::accounts::{self, User, UserFilter};
use store::orgs::{self, Org};
use store::{Page, Paging};

use super::{UserInput, add_user};
use crate::AppState;
use crate::auth::access::{Permission, org_scope};
use crate::auth::{Caller, PageCaller, issue_token};
use crate::error::{AppError, PageResult};
use crate::pages::{
    Layout, Pager, Routes, SelectOption, fmt_opt_time, fmt_time, options, parse_page, render,
};

pub fn router() -> Routes {
    Routes::new()
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
    /// `find`: look organisations up (`org_q`) and show the form again; else create.
    #[serde(default)]
    op: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    /// The chosen organisation's code.
    #[serde(default)]
    org: String,
    /// Part of an organisation's name (or its code), to find it in the list.
    #[serde(default)]
    org_q: String,
    #[serde(default)]
    password: String,
}

struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    org_name: String,
    /// The list of this organisation's users.
    org_href: String,
    /// What this user did, in the audit log.
    audit_href: String,
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

/// Organisations of one kind to choose from (an `<optgroup>`), with a note when not all of
/// them are listed.
struct OrgGroup {
    label: &'static str,
    options: Vec<SelectOption>,
    note: String,
    /// Listed because their names matched the search.
    searched: bool,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct AdminPage {
    layout: Layout,
    notice: Option<String>,
    new_secret: Option<String>,
    errors: Vec<String>,
    /// The list's filters as the form shows them again.
    f: ListFilters,
    filter_role_options: Vec<SelectOption>,
    status_options: Vec<SelectOption>,
    users: Page<User>,
    pages: i64,
    active_count: i64,
    disabled_count: i64,
    user_rows: Vec<UserRow>,
    pager: Pager,
    form: UserForm,
    role_options: Vec<SelectOption>,
    role_hint: String,
    org_groups: Vec<OrgGroup>,
    org_chosen: bool,
    token_rows: Vec<TokenRow>,
}

#[derive(Deserialize, Default)]
struct PageQuery {
    q: Option<String>,
    role: Option<String>,
    org: Option<String>,
    status: Option<String>,
    page: Option<String>,
    notice: Option<String>,
}

/// The user list's filters, cleaned.
#[derive(Default)]
struct ListFilters {
    q: String,
    role: String,
    org: String,
    status: String,
    page: Option<i64>,
}

impl ListFilters {
    fn of(q: &PageQuery) -> ListFilters {
        let role = crate::pages::filter_text(&q.role);
        let status = crate::pages::filter_text(&q.status);
        ListFilters {
            q: crate::pages::filter_text(&q.q),
            // Unknown values select nothing rather than everything.
            role: if role.is_empty() || Role::parse(&role).is_some() {
                role
            } else {
                String::new()
            },
            org: crate::pages::filter_text(&q.org),
            status: if matches!(status.as_str(), "active" | "disabled") {
                status
            } else {
                String::new()
            },
            page: parse_page(&q.page),
        }
    }

    fn filter(&self) -> UserFilter {
        let some = |s: &String| (!s.is_empty()).then(|| s.clone());
        UserFilter {
            q: some(&self.q),
            role: some(&self.role),
            org: some(&self.org),
            active: match self.status.as_str() {
                "active" => Some(true),
                "disabled" => Some(false),
                _ => None,
            },
        }
    }

    fn pairs(&self) -> [(&'static str, String); 4] {
        [
            ("q", self.q.clone()),
            ("role", self.role.clone()),
            ("org", self.org.clone()),
            ("status", self.status.clone()),
        ]
    }
}

struct Extra {
    notice: Option<String>,
    secret: Option<String>,
    errors: Vec<String>,
    form: UserForm,
    list: ListFilters,
}

/// Organisations at most this many of a kind are all listed; more are found by name.
const LIST_ALL_UP_TO: i64 = 100;

/// Matches of a search listed per kind.
const MATCHES_SHOWN: i64 = 50;

/// The organisations the new user's form offers, grouped by kind: every operator, department
/// and district; schools, enterprises and banks all when there are few, else those whose name
/// (or code) matches `org_q`. The chosen one (`selected`, a code) is always among them.
async fn org_groups(
    state: &AppState,
    caller: &Caller,
    org_q: &str,
    selected: &str,
) -> Result<Vec<OrgGroup>, AppError> {
    let scope = org_scope(&caller.principal);
    let chosen = match selected.trim() {
        "" => None,
        code => orgs::get_by_code(&state.db, &code.to_uppercase())
            .await?
            .or(orgs::get_by_code(&state.db, code).await?),
    };
    let mut groups = Vec::new();
    for kind in OrgKind::ALL {
        let many = matches!(kind, OrgKind::School | OrgKind::Enterprise | OrgKind::Bank);
        let (q, per_page) = match (many, org_q.trim()) {
            (true, q) if !q.is_empty() => (Some(q.to_string()), MATCHES_SHOWN),
            _ => (None, if many { LIST_ALL_UP_TO } else { 200 }),
        };
        let searched = q.is_some();
        let filter = orgs::Filter {
            kind: Some(kind),
            district: None,
            q,
            programme: None,
        };
        let page = orgs::list(
            &state.db,
            &scope,
            &filter,
            Paging::new(Some(1), Some(per_page)),
        )
        .await?;
        let mut list: Vec<Org> = if !searched && page.total > LIST_ALL_UP_TO {
            Vec::new()
        } else {
            page.items
        };
        let note = match (searched, page.total) {
            (true, 0) => format!("没有名称含“{}”的{}", org_q.trim(), kind.label()),
            (true, n) if n > MATCHES_SHOWN => format!(
                "名称含“{}”的{}共 {n} 个，只列出前 {MATCHES_SHOWN} 个，请输入更完整的名称",
                org_q.trim(),
                kind.label()
            ),
            (false, n) if many && n > LIST_ALL_UP_TO => {
                format!("共 {n} 个{}，请输入名称查找", kind.label())
            }
            _ => String::new(),
        };
        if let Some(c) = &chosen
            && c.kind == kind.as_str()
            && !list.iter().any(|o| o.id == c.id)
        {
            list.insert(0, c.clone());
        }
        let options = list
            .iter()
            .map(|o| SelectOption {
                value: o.code.clone(),
                label: if many {
                    format!("{}（{}）", o.name, o.code)
                } else {
                    o.name.clone()
                },
                selected: chosen.as_ref().is_some_and(|c| c.id == o.id),
            })
            .collect();
        groups.push(OrgGroup {
            label: kind.label(),
            options,
            note,
            searched,
        });
    }
    // One organisation found and none chosen yet: it is the one meant.
    let mut found: Vec<&mut SelectOption> = groups
        .iter_mut()
        .filter(|g| g.searched)
        .flat_map(|g| g.options.iter_mut())
        .collect();
    if chosen.is_none()
        && let [only] = found.as_mut_slice()
    {
        only.selected = true;
    }
    Ok(groups)
}

async fn build(state: &AppState, caller: &Caller, extra: Extra) -> Result<AdminPage, AppError> {
    let list = accounts::search_users(
        &state.db,
        &org_scope(&caller.principal),
        &extra.list.filter(),
        Paging::new(extra.list.page, Some(50)),
    )
    .await?;
    let users = list.page;
    let user_rows = users
        .items
        .iter()
        .map(|u| UserRow {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            org_name: u.org_name.clone(),
            org_href: format!(
                "/admin/users?{}",
                serde_urlencoded::to_string([("org", &u.org_code)]).unwrap_or_default()
            ),
            audit_href: format!(
                "/audit?{}",
                serde_urlencoded::to_string([("actor", &u.username)]).unwrap_or_default()
            ),
            role: Role::parse(&u.role).map(Role::label).unwrap_or("未知"),
            status: if u.active == 0 { "停用" } else { "启用" },
            active: u.active == 1,
            last_login: fmt_opt_time(u.last_login_at),
        })
        .collect();
    let base = extra.list.pairs();
    let pages = users.pages();
    let pager = Pager::new("/admin/users", &base, users.page, pages);
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
    let org_groups = org_groups(state, caller, &extra.form.org_q, &extra.form.org).await?;
    let org_chosen = org_groups
        .iter()
        .any(|g| g.options.iter().any(|o| o.selected));
    let role_hint = OrgKind::ALL
        .iter()
        .map(|k| format!("{}—{}", k.label(), k.role().label()))
        .collect::<Vec<_>>()
        .join("，");
    Ok(AdminPage {
        layout: Layout::new("用户与令牌", "users", Some(caller)),
        notice: extra.notice,
        new_secret: extra.secret,
        errors: extra.errors,
        filter_role_options: options(
            Role::ALL.iter().map(|r| (r.as_str(), r.label())),
            &extra.list.role,
        ),
        status_options: options(
            [("active", "启用"), ("disabled", "停用")],
            &extra.list.status,
        ),
        f: extra.list,
        users,
        pages,
        active_count: list.active,
        disabled_count: list.disabled,
        user_rows,
        pager,
        role_options: options(
            Role::ALL.iter().map(|r| (r.as_str(), r.label())),
            &extra.form.role,
        ),
        role_hint,
        org_groups,
        org_chosen,
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
            list: ListFilters::of(&q),
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
    // Looking organisations up only shows the form again, with what was typed.
    if form.op == "find" {
        form.password.clear();
        let p = build(
            &state,
            &caller,
            Extra {
                notice: None,
                secret: None,
                errors: vec![],
                form,
                list: ListFilters::default(),
            },
        )
        .await?;
        return render(&p);
    }
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
                    list: ListFilters::default(),
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

async fn toggle_user(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<crate::pages::CsrfForm>,
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
            list: ListFilters::default(),
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
    Form(form): Form<crate::pages::CsrfForm>,
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
#[template(path = "admin/sessions.html")]
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
    Form(form): Form<crate::pages::CsrfForm>,
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
    Form(form): Form<crate::pages::CsrfForm>,
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
