//! The audit log (operators only).

use askama::Template;
use axum::extract::{Query, State};
use axum::routing::get;
use serde::Deserialize;
use store::audit::{self, Entry, Filter};
use store::{Page, Paging};

use super::{Layout, fmt_time, pager_links, parse_page, render};
use crate::AppState;
use crate::auth::PageCaller;
use crate::auth::access::Permission;
use crate::error::PageResult;

pub fn router() -> super::Routes {
    super::Routes::new().route("/audit", get(list))
}

#[derive(Deserialize, Default)]
struct AuditQuery {
    action: Option<String>,
    entity_type: Option<String>,
    entity_id: Option<String>,
    actor: Option<String>,
    page: Option<String>,
}

/// Chinese names of the actions the platform records.
fn action_label(action: &str) -> &'static str {
    match action {
        "org.create" => "新增机构",
        "reference.seed" => "载入基础数据",
        "user.create" => "新增用户",
        "user.set_password" => "设置密码",
        "user.enable" => "启用用户",
        "user.disable" => "停用用户",
        "auth.login" => "登录",
        "auth.logout" => "退出",
        "auth.login_failed" => "登录失败",
        "auth.lock" => "账户锁定",
        "auth.unlock" => "清除登录失败记录",
        "session.end" => "结束会话",
        "session.end_all" => "结束全部会话",
        "token.create" => "签发令牌",
        "token.revoke" => "吊销令牌",
        "demo.generate" => "生成演示数据",
        _ => "",
    }
}

struct Row {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    entity: String,
    before: String,
    after: String,
    request_id: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    f_action: String,
    f_entity_type: String,
    f_entity_id: String,
    f_actor: String,
    page: Page<Entry>,
    rows: Vec<Row>,
    prev_link: Option<String>,
    next_link: Option<String>,
}

fn clean(v: &Option<String>) -> String {
    v.as_deref()
        .map(str::trim)
        .unwrap_or("")
        .chars()
        .take(64)
        .collect()
}

async fn list(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    caller.require(Permission::ViewAudit)?;
    let (a, et, eid, actor) = (
        clean(&q.action),
        clean(&q.entity_type),
        clean(&q.entity_id),
        clean(&q.actor),
    );
    let some = |s: &String| (!s.is_empty()).then(|| s.clone());
    let filter = Filter {
        action: some(&a),
        entity_type: some(&et),
        entity_id: some(&eid),
        actor: some(&actor),
        from: None,
        to: None,
    };
    let page = audit::list(
        &state.db,
        &filter,
        Paging::new(parse_page(&q.page), Some(50)),
    )
    .await?;
    let rows = page
        .items
        .iter()
        .map(|e| Row {
            seq: e.seq,
            at: fmt_time(e.at),
            actor: match e.actor_org_id {
                Some(o) => format!("{}（机构#{o}）", e.actor),
                None => e.actor.clone(),
            },
            action: match action_label(&e.action) {
                "" => e.action.clone(),
                l => format!("{l}（{}）", e.action),
            },
            entity: format!("{} #{}", e.entity_type, e.entity_id),
            before: e.before_json.clone().unwrap_or_default(),
            after: e.after_json.clone().unwrap_or_default(),
            request_id: e.request_id.clone().unwrap_or_default(),
        })
        .collect();
    let base = [
        ("action", a.clone()),
        ("entity_type", et.clone()),
        ("entity_id", eid.clone()),
        ("actor", actor.clone()),
    ];
    let (prev_link, next_link) = pager_links(&base, page.page, page.pages());
    render(&AuditPage {
        layout: Layout::new("审计日志", "audit", Some(&caller)),
        f_action: a,
        f_entity_type: et,
        f_entity_id: eid,
        f_actor: actor,
        page,
        rows,
        prev_link,
        next_link,
    })
}
