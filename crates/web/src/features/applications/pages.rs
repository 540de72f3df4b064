//! Application pages: lists, the reviewer queue, the inbox, forms, the application page with
//! its actions, attachments and history. The filtered list of every application a reviewer
//! sees, and its export, are in the submodule `list` (`pages/list.rs`).

use std::collections::HashMap;

use crate::pages::form::{FieldView, scalar_view};

use askama::Template;
use axum::Form;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::workflow::{self, State as WfState};
use serde_json::Value;
use store::Paging;
use store::applications::{self as apps, Summary};

use super::{self as svc};
use crate::AppState;
use crate::auth::{Caller, PageCaller};
use crate::error::{AppError, PageError, PageResult};
use crate::pages::trace::{StepView, trace_view};
use crate::pages::{Layout, Pager, Routes, file_kind, file_size, fmt_time, parse_page, render};

mod list;

pub fn router() -> Routes {
    Routes::new()
        .route("/applications/new", get(new_form).post(create))
        .route("/applications/{id}", get(detail))
        .route("/applications/{id}/edit", get(edit_form).post(save))
        .route("/applications/{id}/act", post(act))
        .route(
            "/applications/{id}/attachments",
            post(upload).layer(axum::extract::DefaultBodyLimit::max(
                svc::MAX_ATTACHMENT + 64 * 1024,
            )),
        )
        .route("/applications/{id}/attachments/{aid}", get(download))
        .route("/queue", get(queue))
        .route("/inbox", get(inbox))
        .merge(list::router())
}

fn status_label(s: &str) -> String {
    serde_json::from_value::<workflow::Status>(Value::String(s.to_string()))
        .map(|st| st.label().to_string())
        .unwrap_or_else(|_| s.to_string())
}

fn stage_label(kind: &str, code: &Option<String>) -> String {
    match (workflow::kind(kind), code) {
        (Some(k), Some(c)) => k
            .stage_index(c)
            .and_then(|i| k.stage(i))
            .map(|s| s.name.clone())
            .unwrap_or_default(),
        _ => "—".into(),
    }
}

fn is_overdue(due: &Option<String>) -> bool {
    let today = domain::calendar::today_shanghai()
        .format("%Y-%m-%d")
        .to_string();
    due.as_deref().is_some_and(|d| d < today.as_str())
}

struct Row {
    id: i64,
    title: String,
    applicant: String,
    status: String,
    stage: String,
    due: String,
    overdue: bool,
    updated: String,
}

fn row(s: &Summary) -> Row {
    Row {
        id: s.id,
        title: s.title.clone(),
        applicant: s.applicant_name.clone(),
        status: status_label(&s.status),
        stage: stage_label(&s.kind, &s.stage_code),
        due: s.due_date.clone().unwrap_or_else(|| "—".into()),
        overdue: is_overdue(&s.due_date),
        updated: fmt_time(s.updated_at),
    }
}

#[derive(Template)]
#[template(path = "applications/mine.html")]
struct ListPage {
    layout: Layout,
    heading: &'static str,
    notice: Option<String>,
    new_kinds: Vec<(String, String)>,
    show_queue_link: bool,
    total: i64,
    rows: Vec<Row>,
    pager: Pager,
}

#[derive(serde::Deserialize, Default)]
struct PageQuery {
    page: Option<String>,
    notice: Option<String>,
}

/// An applicant's (or bank's) own organisation's applications; `/applications` itself is
/// routed in [`list`], which lists every application for reviewers.
async fn own_list(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let filter = apps::Filter {
        applicant_org_id: Some(c.principal.org_id),
        ..Default::default()
    };
    let page = apps::list(
        &state.db,
        &crate::auth::access::viewer(&c.principal),
        &filter,
        Paging::new(parse_page(&q.page), Some(20)),
    )
    .await?;
    let org_kind = domain::orgs::OrgKind::parse(&c.principal.org_kind);
    let new_kinds = workflow::kinds()
        .iter()
        .filter(|k| org_kind.is_some_and(|o| k.accepts(o)))
        .map(|k| (k.code.clone(), k.title.clone()))
        .collect();
    render(&ListPage {
        layout: Layout::new("我的申报", "applications", Some(&c)),
        heading: "我的申报",
        notice: q.notice.as_deref().map(|_| "已保存".to_string()),
        new_kinds,
        // Reviewers, and any organisation an application names to act on it.
        show_queue_link: apps::queue(
            &state.db,
            &svc::reviewer_keys(&c),
            Paging::new(Some(1), Some(1)),
        )
        .await?
        .total
            > 0
            || matches!(
                domain::orgs::Role::parse(&c.principal.role),
                Some(
                    domain::orgs::Role::Department
                        | domain::orgs::Role::District
                        | domain::orgs::Role::Operator
                )
            ),
        total: page.total,
        rows: page.items.iter().map(row).collect(),
        pager: Pager::new("/applications", &[], page.page, page.pages()),
    })
}

async fn queue(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let page = apps::queue(
        &state.db,
        &svc::reviewer_keys(&c),
        Paging::new(parse_page(&q.page), Some(20)),
    )
    .await?;
    render(&ListPage {
        layout: Layout::new("待我审核", "queue", Some(&c)),
        heading: "待我审核（按办理期限排序）",
        notice: None,
        new_kinds: Vec::new(),
        show_queue_link: false,
        total: page.total,
        rows: page.items.iter().map(row).collect(),
        pager: Pager::new("/queue", &[], page.page, page.pages()),
    })
}

#[derive(Template)]
#[template(path = "applications/inbox.html")]
struct InboxPage {
    layout: Layout,
    total: i64,
    items: Vec<(String, String, Option<i64>)>,
}

async fn inbox(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let page = apps::inbox(
        &state.db,
        c.principal.org_id,
        &svc::reviewer_keys(&c),
        Paging::new(parse_page(&q.page), Some(50)),
    )
    .await?;
    // Opening the inbox marks everything up to the newest item seen.
    if let Some(newest) = page.items.iter().map(|m| m.id).max() {
        apps::mark_inbox_seen(&state.db, c.principal.user_id, newest).await?;
    }
    let mut layout = Layout::new("消息", "inbox", Some(&c));
    layout.unread = 0;
    render(&InboxPage {
        layout,
        total: page.total,
        items: page
            .items
            .iter()
            .map(|m| (fmt_time(m.created_at), m.text.clone(), m.application_id))
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "applications/new.html")]
struct FormPage {
    layout: Layout,
    kind: String,
    kind_title: String,
    action: String,
    version: i64,
    errors: Vec<String>,
    fields: Vec<FieldView>,
}

/// The organisations an `org` field offers, by field name: (id, name) of that kind.
async fn org_choices(
    state: &AppState,
    kind: &str,
) -> Result<HashMap<String, Vec<(String, String)>>, AppError> {
    let mut out = HashMap::new();
    for f in svc::fields(kind) {
        if let domain::form::FieldType::Org { org_kind } = f.ty {
            let page = store::orgs::list(
                &state.db,
                &store::orgs::Scope::All,
                &store::orgs::Filter {
                    kind: Some(org_kind),
                    ..Default::default()
                },
                Paging::new(Some(1), Some(200)),
            )
            .await?;
            out.insert(
                f.name.clone(),
                page.items
                    .into_iter()
                    .map(|o| (o.id.to_string(), o.name))
                    .collect(),
            );
        }
    }
    Ok(out)
}

/// Blank rows a group's form offers after those entered (more after saving).
const BLANK_ROWS: usize = 2;

/// The newest file of each attachment slot of an application, by slot name.
fn slot_files(files: &[apps::Attachment]) -> HashMap<&str, &apps::Attachment> {
    let mut out = HashMap::new();
    for a in files {
        if let Some(slot) = a.slot.as_deref() {
            // Listed in upload order: a later file replaces an earlier one.
            out.insert(slot, a);
        }
    }
    out
}

/// What an attachment slot takes, in words: `PDF 文档、PNG 图片`.
fn accepted(content_types: &[String]) -> String {
    content_types
        .iter()
        .map(|c| domain::form::content_type_name(c))
        .collect::<Vec<_>>()
        .join("、")
}

/// The form's inputs for a kind's fields: `values` by input name (as posted, or the stored
/// data put back), the organisations `org` fields offer, and the application's attachments
/// (none before it is saved) for its slots.
fn field_views(
    kind: &str,
    values: &HashMap<String, String>,
    choices: &HashMap<String, Vec<(String, String)>>,
    app_id: Option<i64>,
    files: &[apps::Attachment],
) -> Vec<FieldView> {
    use domain::form::FieldType;
    let in_slots = slot_files(files);
    svc::fields(kind)
        .iter()
        .map(|f| match &f.ty {
            FieldType::Group {
                fields,
                min_rows,
                max_rows,
                ..
            } => {
                let posted = f.form_rows(values);
                // The rows entered (up to the last that is not blank), then blank ones.
                let entered = posted
                    .iter()
                    .rev()
                    .find(|(_, cells)| !f.row_is_blank(cells))
                    .map_or(0, |(i, _)| i + 1);
                let shown = (entered + BLANK_ROWS)
                    .max(*min_rows)
                    .min(*max_rows)
                    .max(entered);
                let rows = (0..shown)
                    .map(|i| {
                        fields
                            .iter()
                            .map(|c| {
                                let name = f.input_name(i, &c.name);
                                let value = values.get(&name).cloned().unwrap_or_default();
                                let mut v = scalar_view(c, name, value, choices);
                                // A blank row must not stop the browser from sending the form.
                                v.required = false;
                                v
                            })
                            .collect()
                    })
                    .collect();
                FieldView {
                    input: "group",
                    columns: fields
                        .iter()
                        .map(|c| (c.label.as_str(), c.is_required()))
                        .collect(),
                    rows,
                    min_rows: if f.is_required() {
                        (*min_rows).max(1)
                    } else {
                        *min_rows
                    },
                    max_rows: *max_rows,
                    ..scalar_view(f, f.name.clone(), String::new(), choices)
                }
            }
            FieldType::Attachment { content_types } => FieldView {
                input: "attachment",
                accept: accepted(content_types),
                file: in_slots.get(f.name.as_str()).and_then(|a| {
                    app_id.map(|id| {
                        (
                            format!("/applications/{id}/attachments/{}", a.id),
                            a.filename.clone(),
                        )
                    })
                }),
                ..scalar_view(f, f.name.clone(), String::new(), choices)
            },
            _ => {
                let value = values.get(&f.name).cloned().unwrap_or_default();
                scalar_view(f, f.name.clone(), value, choices)
            }
        })
        .collect()
}

/// Stored data back into form strings by input name (money in yuan, a group's cells).
fn data_to_form(kind: &str, data: &Value) -> HashMap<String, String> {
    svc::fields(kind)
        .iter()
        .flat_map(|f| f.form_values(&data[&f.name]))
        .collect()
}

#[derive(serde::Deserialize)]
struct KindQuery {
    kind: Option<String>,
}

async fn new_form(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<KindQuery>,
) -> PageResult {
    let kind = svc::kind_of(q.kind.as_deref().unwrap_or(""))?;
    let choices = org_choices(&state, &kind.code).await?;
    render(&FormPage {
        layout: Layout::new(&kind.title, "applications", Some(&c)),
        kind: kind.code.clone(),
        kind_title: kind.title.clone(),
        action: "/applications/new".into(),
        version: 0,
        errors: Vec::new(),
        fields: field_views(&kind.code, &HashMap::new(), &choices, None, &[]),
    })
}

#[allow(clippy::too_many_arguments)] // one call shape for the three forms
async fn form_error(
    state: &AppState,
    c: &Caller,
    kind: &workflow::Kind,
    app_id: Option<i64>,
    action: String,
    version: i64,
    form: &HashMap<String, String>,
    errors: Vec<String>,
    status: axum::http::StatusCode,
) -> PageResult {
    let files = match app_id {
        Some(id) => apps::attachments(&state.db, id).await?,
        None => Vec::new(),
    };
    let mut resp = render(&FormPage {
        layout: Layout::new(&kind.title, "applications", Some(c)),
        kind: kind.code.clone(),
        kind_title: kind.title.clone(),
        action,
        version,
        errors,
        fields: field_views(
            &kind.code,
            form,
            &org_choices(state, &kind.code).await?,
            app_id,
            &files,
        ),
    })?;
    *resp.status_mut() = status;
    Ok(resp)
}

async fn create(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    c.check_csrf(form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let kind = svc::kind_of(form.get("kind").map(String::as_str).unwrap_or(""))?;
    match svc::parse_form(&kind.code, &form) {
        Ok(data) => match svc::create_draft(&state, &c, &kind.code, data).await {
            Ok(app) => Ok(Redirect::to(&format!("/applications/{}", app.id)).into_response()),
            // A bad organisation reference: the form comes back with what was typed.
            Err(e @ AppError::Invalid { .. }) => {
                form_error(
                    &state,
                    &c,
                    kind,
                    None,
                    "/applications/new".into(),
                    0,
                    &form,
                    vec![e.to_string()],
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            Err(e) => Err(e.into()),
        },
        Err(errs) => {
            form_error(
                &state,
                &c,
                kind,
                None,
                "/applications/new".into(),
                0,
                &form,
                errs.iter().map(ToString::to_string).collect(),
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

fn parse_id(id: &str) -> Result<i64, PageError> {
    id.parse()
        .map_err(|_| PageError(AppError::NotFound("申报")))
}

async fn edit_form(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    Path(id): Path<String>,
) -> PageResult {
    let (app, kind) = svc::load(&state, &c, parse_id(&id)?).await?;
    if app.applicant_org_id != c.principal.org_id {
        return Err(AppError::Forbidden.into());
    }
    let data: Value = serde_json::from_str(&app.data_json).unwrap_or(Value::Null);
    let files = apps::attachments(&state.db, app.id).await?;
    render(&FormPage {
        layout: Layout::new(&kind.title, "applications", Some(&c)),
        kind: kind.code.clone(),
        kind_title: kind.title.clone(),
        action: format!("/applications/{}/edit", app.id),
        version: app.version,
        errors: Vec::new(),
        fields: field_views(
            &kind.code,
            &data_to_form(&kind.code, &data),
            &org_choices(&state, &kind.code).await?,
            Some(app.id),
            &files,
        ),
    })
}

async fn save(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    c.check_csrf(form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let id = parse_id(&id)?;
    let (app, kind) = svc::load(&state, &c, id).await?;
    let version: i64 = form
        .get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1);
    match svc::parse_form(&kind.code, &form) {
        Ok(data) => match svc::save_data(&state, &c, app.id, version, data).await {
            Ok(_) => Ok(Redirect::to(&format!("/applications/{id}")).into_response()),
            Err(e @ (AppError::Conflict(_) | AppError::Invalid { .. })) => {
                let status = if matches!(e, AppError::Conflict(_)) {
                    axum::http::StatusCode::CONFLICT
                } else {
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY
                };
                form_error(
                    &state,
                    &c,
                    kind,
                    Some(id),
                    format!("/applications/{id}/edit"),
                    app.version,
                    &form,
                    vec![e.to_string()],
                    status,
                )
                .await
            }
            Err(e) => Err(e.into()),
        },
        Err(errs) => {
            form_error(
                &state,
                &c,
                kind,
                Some(id),
                format!("/applications/{id}/edit"),
                version,
                &form,
                errs.iter().map(ToString::to_string).collect(),
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

struct ActionView {
    code: &'static str,
    label: &'static str,
    primary: bool,
    needs_text: bool,
    text_required: bool,
    text_label: &'static str,
}

fn av(
    code: &'static str,
    label: &'static str,
    primary: bool,
    text: Option<(&'static str, bool)>,
) -> ActionView {
    ActionView {
        code,
        label,
        primary,
        needs_text: text.is_some(),
        text_required: text.is_some_and(|t| t.1),
        text_label: text.map(|t| t.0).unwrap_or(""),
    }
}

struct FileView {
    id: i64,
    filename: String,
    /// What the file is, in Chinese (`PDF 文档`), and its size (`12.3 KB`).
    kind: &'static str,
    size: String,
    created: String,
    /// The attachment slot it was uploaded into, by its label (`—` for none).
    slot: String,
}

/// One item of the application's content: a field's label and value in words, or a group's
/// rows as a table (column labels, cells).
struct DataView {
    label: &'static str,
    text: String,
    table: Option<(Vec<&'static str>, Vec<Vec<String>>)>,
}

/// An attachment slot of the kind: what it asks for and the file in it.
struct SlotView {
    name: &'static str,
    label: &'static str,
    help: Option<&'static str>,
    required: bool,
    /// The kinds of file it takes, in words, and as the file input's `accept` list.
    accept: String,
    accept_types: String,
    file: Option<FileView>,
}

#[derive(Template)]
#[template(path = "applications/detail.html")]
struct DetailPage {
    layout: Layout,
    app: apps::Application,
    notice: Option<String>,
    errors: Vec<String>,
    applicant: String,
    status: String,
    stage: String,
    due: String,
    overdue: bool,
    awaiting: String,
    stages: Vec<(String, &'static str)>,
    /// The stages' time limits and pass marks as in force on the filing date, with sources.
    limits: Vec<svc::StageLimit>,
    /// The date the limits are taken at (the filing date, or today for a draft).
    limits_date: String,
    actions: Vec<ActionView>,
    data: Vec<DataView>,
    slots: Vec<SlotView>,
    editable: bool,
    outcome: Option<String>,
    trace: Vec<StepView>,
    files: Vec<FileView>,
    history: Vec<(String, String, String, String)>,
    /// Who returned the application, when, and why (while it is returned).
    returned: Option<(String, String, String)>,
}

fn outcome_text(kind: &workflow::Kind, decision: &Value) -> Option<String> {
    let o = &decision["outcome"];
    match kind.rule.as_deref() {
        Some("certification") => Some(format!(
            "{}；得分 {}（最低 {}）；依据 {}{}",
            if o["eligible"].as_bool() == Some(true) {
                "符合认定条件"
            } else {
                "不符合认定条件"
            },
            o["score"],
            o["min_score"],
            o["standard"].as_str().unwrap_or(""),
            o["reasons"]
                .as_array()
                .filter(|r| !r.is_empty())
                .map(|r| format!(
                    "；未满足：{}",
                    r.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("；")
                ))
                .unwrap_or_default()
        )),
        Some("tax_credit") => o["years"].as_array().and_then(|ys| ys.last()).map(|y| {
            format!(
                "{}年：新增抵免 {}，抵减教育费附加 {}、地方教育附加 {}，结转下年 {}",
                y["year"],
                policy::money::yuan(y["new_credit_fen"].as_i64().unwrap_or(0)),
                policy::money::yuan(y["used_edu_fen"].as_i64().unwrap_or(0)),
                policy::money::yuan(y["used_local_fen"].as_i64().unwrap_or(0)),
                policy::money::yuan(y["carry_out_fen"].as_i64().unwrap_or(0))
            )
        }),
        _ => None,
    }
}

async fn detail_page(
    state: &AppState,
    c: &Caller,
    id: i64,
    notice: Option<String>,
    errors: Vec<String>,
) -> PageResult {
    let (app, kind) = svc::load(state, c, id).await?;
    let wf: WfState =
        serde_json::from_str(&app.state_json).map_err(|e| AppError::Internal(e.to_string()))?;
    let applicant = store::orgs::get(&state.db, &store::orgs::Scope::All, app.applicant_org_id)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    let is_applicant = app.applicant_org_id == c.principal.org_id;
    let in_flow = matches!(
        wf.status,
        workflow::Status::InReview | workflow::Status::Publicity
    );
    let filed = svc::filed_on(&app, domain::calendar::today_shanghai());
    let limits = svc::stage_limits(state, kind, filed);
    let stages = kind
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let class = if wf.status == workflow::Status::Approved || (in_flow && i < wf.stage) {
                "done"
            } else if in_flow && i == wf.stage {
                "current"
            } else {
                ""
            };
            (s.name.clone(), class)
        })
        .collect();
    let mut actions = Vec::new();
    match wf.status {
        workflow::Status::Draft if is_applicant => {
            actions.push(av("submit", "提交申报", true, None))
        }
        workflow::Status::Returned if is_applicant => {
            actions.push(av("resubmit", "修改后重新提交", true, None))
        }
        _ => {}
    }
    if is_applicant
        && matches!(
            wf.status,
            workflow::Status::InReview | workflow::Status::Returned
        )
    {
        actions.push(av("withdraw", "撤回申报", false, None));
    }
    if is_applicant && wf.status == workflow::Status::Approved && kind.correctable {
        actions.push(av(
            "correct",
            "申请更正",
            false,
            Some(("更正原因（必填）", true)),
        ));
    }
    if !is_applicant && svc::can_act(state, c, kind, &app) {
        match svc::step_of(kind, &app) {
            Some("review") => {
                actions.push(av(
                    "approve",
                    "审核通过",
                    true,
                    Some(("审核意见（可选）", false)),
                ));
                actions.push(av(
                    "return",
                    "退回修改",
                    false,
                    Some(("退回意见（必填）", true)),
                ));
                actions.push(av(
                    "reject",
                    "不予通过",
                    false,
                    Some(("不通过理由（必填）", true)),
                ));
            }
            Some("scoring") => {
                actions.push(av(
                    "score",
                    "提交评分",
                    true,
                    Some(("评审意见（可选）", false)),
                ));
                actions.push(av(
                    "return",
                    "退回修改",
                    false,
                    Some(("退回意见（必填）", true)),
                ));
            }
            Some("publicity") => {
                actions.push(av("conclude_publicity", "公示期满，结束公示", true, None));
                actions.push(av(
                    "resolve_objection",
                    "处理异议",
                    false,
                    Some(("处理意见（必填）", true)),
                ));
            }
            _ => {}
        }
    }
    if !is_applicant && wf.status == workflow::Status::Publicity {
        actions.push(av(
            "object",
            "提出异议",
            false,
            Some(("异议内容（必填）", true)),
        ));
    }
    if !is_applicant
        && wf.status == workflow::Status::Approved
        && svc::can_act(state, c, kind, &app)
    {
        actions.push(av(
            "revoke",
            "撤销",
            false,
            Some(("撤销理由（必填）", true)),
        ));
    }
    // Only what the state allows now (an approved application offers no review actions).
    let allowed = svc::allowed_actions(state, c, kind, &app);
    actions.retain(|a| allowed.iter().any(|k| k.as_str() == a.code));
    let data_v: Value = serde_json::from_str(&app.data_json).unwrap_or(Value::Null);
    let names = svc::org_names(state, kind, &data_v).await?;
    let occupations = occupation_names(state, kind, &data_v).await?;
    let data = svc::fields(&kind.code)
        .iter()
        .filter(|f| f.holds_data())
        .map(|f| {
            let v = &data_v[&f.name];
            let table = f.table(v).map(|(columns, mut rows)| {
                // Occupations with their names, where the platform's classification has them.
                if let domain::form::FieldType::Group { fields, .. } = &f.ty {
                    for (j, c) in fields.iter().enumerate() {
                        for (row, cells) in v.as_array().into_iter().flatten().zip(&mut rows) {
                            cells[j] = with_occupation_name(c, &row[&c.name], &occupations);
                        }
                    }
                }
                (columns, rows)
            });
            let text = names
                .get(&f.name)
                .cloned()
                .unwrap_or_else(|| with_occupation_name(f, v, &occupations));
            DataView {
                label: f.label.as_str(),
                text,
                table,
            }
        })
        .collect();
    let decision: Option<Value> = app
        .decision_json
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok());
    let attachments = apps::attachments(&state.db, app.id).await?;
    let file_view = |a: &apps::Attachment| FileView {
        id: a.id,
        filename: a.filename.clone(),
        kind: file_kind(&a.content_type),
        size: file_size(a.size),
        created: fmt_time(a.created_at),
        slot: a
            .slot
            .as_deref()
            .map(|s| {
                kind.fields
                    .iter()
                    .find(|f| f.name == s)
                    .map_or(s, |f| f.label.as_str())
                    .to_owned()
            })
            .unwrap_or_else(|| "—".into()),
    };
    let in_slots = slot_files(&attachments);
    let slots = kind
        .fields
        .iter()
        .filter_map(|f| match &f.ty {
            domain::form::FieldType::Attachment { content_types } => Some(SlotView {
                name: f.name.as_str(),
                label: f.label.as_str(),
                help: f.help.as_deref(),
                required: f.is_required(),
                accept: accepted(content_types),
                accept_types: content_types.join(","),
                file: in_slots.get(f.name.as_str()).map(|a| file_view(a)),
            }),
            _ => None,
        })
        .collect();
    let files = attachments.iter().map(file_view).collect();
    let events = apps::events(&state.db, app.id).await?;
    // A returned application says why at the top: the latest return's comment and who wrote it.
    let returned = (wf.status == workflow::Status::Returned)
        .then(|| {
            events
                .iter()
                .rev()
                .find(|e| e.to_status == workflow::Status::Returned.as_str())
                .map(|e| {
                    (
                        e.actor.clone(),
                        fmt_time(e.at),
                        e.comment.clone().unwrap_or_default(),
                    )
                })
        })
        .flatten();
    let history = events
        .into_iter()
        .map(|e| {
            (
                fmt_time(e.at),
                e.actor,
                e.summary,
                e.comment.unwrap_or_default(),
            )
        })
        .collect();
    let awaiting = if in_flow {
        let pending = workflow::pending_reviewers(kind, &wf);
        pending.describe()
    } else {
        "—".into()
    };
    let overdue = in_flow && is_overdue(&app.due_date);
    render(&DetailPage {
        layout: Layout::new(&app.title, "applications", Some(c)),
        notice,
        errors,
        applicant,
        status: wf.status.label().to_string(),
        stage: if in_flow || wf.status == workflow::Status::Returned {
            stage_label(&app.kind, &app.stage_code)
        } else {
            "—".into()
        },
        due: app.due_date.clone().unwrap_or_else(|| "—".into()),
        overdue,
        awaiting,
        stages,
        limits,
        limits_date: workflow::zh_date(filed),
        actions,
        data,
        slots,
        editable: is_applicant
            && matches!(
                wf.status,
                workflow::Status::Draft | workflow::Status::Returned
            ),
        outcome: decision.as_ref().and_then(|d| outcome_text(kind, d)),
        trace: decision
            .as_ref()
            .map(|d| trace_view(&d["trace"]))
            .unwrap_or_default(),
        files,
        history,
        returned,
        app,
    })
}

/// The names of the occupations the application's `occupation` fields (and group columns)
/// hold, by code, where the platform's classification has them.
async fn occupation_names(
    state: &AppState,
    kind: &workflow::Kind,
    data: &Value,
) -> Result<HashMap<String, String>, AppError> {
    use domain::form::FieldType;
    let mut codes: Vec<&str> = Vec::new();
    for f in &kind.fields {
        match &f.ty {
            FieldType::Occupation => codes.extend(data[&f.name].as_str()),
            FieldType::Group { fields, .. } => {
                for row in data[&f.name].as_array().into_iter().flatten() {
                    for c in fields.iter().filter(|c| c.ty == FieldType::Occupation) {
                        codes.extend(row[&c.name].as_str());
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = HashMap::new();
    for code in codes.into_iter().filter(|c| !c.is_empty()) {
        if !out.contains_key(code)
            && let Some(o) = store::occupations::get(&state.db, code).await?
        {
            out.insert(code.to_owned(), o.name);
        }
    }
    Ok(out)
}

/// A value as the page shows it; an occupation's code with its name when known
/// (`2-02-10-03 工业机器人系统操作员`).
fn with_occupation_name(
    f: &domain::form::FieldDef,
    v: &Value,
    names: &HashMap<String, String>,
) -> String {
    let shown = f.display(v);
    match (&f.ty, names.get(&shown)) {
        (domain::form::FieldType::Occupation, Some(name)) => format!("{shown} {name}"),
        _ => shown,
    }
}

async fn detail(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let notice = q.notice.as_deref().map(|n| match n {
        "done" => "已办理".to_string(),
        "uploaded" => "附件已上传".to_string(),
        _ => String::new(),
    });
    detail_page(
        &state,
        &c,
        parse_id(&id)?,
        notice.filter(|s| !s.is_empty()),
        Vec::new(),
    )
    .await
}

async fn act(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    c.check_csrf(form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let id = parse_id(&id)?;
    let g = |k: &str| form.get(k).map(String::as_str);
    let version: i64 = g("version").and_then(|v| v.parse().ok()).unwrap_or(-1);
    let result = match svc::parse_action(
        g("action").unwrap_or(""),
        g("text"),
        g("score"),
        g("objection"),
        g("upheld"),
    ) {
        Ok(a) => svc::act(&state, &c, id, version, a, None).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/applications/{id}?notice=done")).into_response()),
        Err(e @ (AppError::Conflict(_) | AppError::Invalid { .. })) => {
            let status = e.status();
            let mut resp = detail_page(&state, &c, id, None, vec![e.to_string()]).await?;
            *resp.status_mut() = status;
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}

async fn upload(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    Path(id): Path<String>,
    mut mp: Multipart,
) -> PageResult {
    crate::auth::check_multipart_csrf(&c, &mut mp).await?;
    let id = parse_id(&id)?;
    let (app, kind) = svc::load(&state, &c, id).await?;
    let mut errors = Vec::new();
    // The slot (a kind's attachment field) the files are for, if any, and the files: read
    // whole before any is stored, so the slot counts wherever the form puts it.
    let mut slot: Option<String> = None;
    let mut files: Vec<(String, Bytes)> = Vec::new();
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| AppError::invalid("file", format!("上传失败：{e}")))?
    {
        match field.name() {
            Some("slot") => {
                let name = field.text().await.unwrap_or_default();
                slot = Some(name.trim().to_owned()).filter(|s| !s.is_empty());
            }
            Some("file") => {
                let filename: String = field
                    .file_name()
                    .unwrap_or("附件")
                    .chars()
                    .filter(|ch| !ch.is_control() && *ch != '/' && *ch != '\\')
                    .take(100)
                    .collect();
                match field.bytes().await {
                    Ok(b) => files.push((filename, b)),
                    Err(_) => {
                        errors.push(format!(
                            "附件超过{}MB上限或上传中断",
                            svc::MAX_ATTACHMENT / 1024 / 1024
                        ));
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    let slot_def = match &slot {
        None => None,
        Some(name) => match kind
            .fields
            .iter()
            .find(|f| &f.name == name && !f.holds_data())
        {
            Some(f) => Some(f),
            None => {
                errors.push("未知的申报材料，请刷新页面后重新上传".into());
                files.clear();
                None
            }
        },
    };
    let mut stored = false;
    if errors.is_empty() {
        for (filename, bytes) in &files {
            match svc::store_attachment(&state, &c, &app, slot_def, filename, bytes).await {
                Ok(_) => stored = true,
                Err(
                    e @ (AppError::Invalid { .. } | AppError::Forbidden | AppError::Conflict(_)),
                ) => errors.push(e.to_string()),
                Err(e) => return Err(e.into()),
            }
        }
    }
    if stored && errors.is_empty() {
        return Ok(Redirect::to(&format!("/applications/{id}?notice=uploaded")).into_response());
    }
    if errors.is_empty() {
        errors.push("请选择要上传的文件".into());
    }
    let mut resp = detail_page(&state, &c, id, None, errors).await?;
    *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(resp)
}

async fn download(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    Path((id, aid)): Path<(String, String)>,
) -> PageResult<Response> {
    let id = parse_id(&id)?;
    let (app, _) = svc::load(&state, &c, id).await?;
    let aid: i64 = aid
        .parse()
        .map_err(|_| PageError(AppError::NotFound("附件")))?;
    let (a, data) = apps::attachment_data(&state.db, app.id, aid)
        .await?
        .ok_or(PageError(AppError::NotFound("附件")))?;
    let encoded: String = form_urlencoded::byte_serialize(a.filename.as_bytes()).collect();
    Ok((
        [
            (header::CONTENT_TYPE, a.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"attachment\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        data,
    )
        .into_response())
}
