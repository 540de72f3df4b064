//! Register pages: the index of registers, a register's list (filters, paging, XLSX export)
//! and an entry's detail with its members and history. `/certified` is the list of
//! certified enterprises at its long-standing address.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use chrono::NaiveDate;
use domain::workflow::{self, Register};
use serde_json::Value;
use store::registers::{self as stored, Entry};

use super::{CERTIFIED, RegisterQuery, STANDINGS, reader, register_of, standing};
use crate::AppState;
use crate::auth::{MaybeCaller, PageCaller};
use crate::error::{AppError, PageResult};
use crate::pages::{
    Layout, Pager, Routes, SelectOption, district_options, fmt_time, options, render,
};
use crate::xlsx;

pub fn router() -> Routes {
    Routes::new()
        .route("/registers", get(index))
        .route("/registers/{register}", get(list))
        .route("/registers/{register}/export.xlsx", get(export))
        .route("/registers/{register}/template.xlsx", get(template))
        .route(
            "/registers/{register}/import",
            post(import).layer(axum::extract::DefaultBodyLimit::max(
                super::import::IMPORT.max_body(),
            )),
        )
        .route("/registers/{register}/new", get(new_form).post(new_entry))
        .route("/registers/{register}/{id}", get(detail))
        .route("/registers/{register}/{id}/end", post(end))
        .route("/certified", get(certified))
}

struct RegisterLine {
    code: String,
    title: String,
    measure: u8,
    public: bool,
}

#[derive(Template)]
#[template(path = "registers/index.html")]
struct IndexPage {
    layout: Layout,
    registers: Vec<RegisterLine>,
}

/// The registers the visitor may read: public ones, and every one once signed in.
async fn index(MaybeCaller(c): MaybeCaller) -> PageResult {
    let registers = workflow::registers()
        .iter()
        .filter(|r| r.public || c.is_some())
        .map(|r| RegisterLine {
            code: r.code.clone(),
            title: r.title.clone(),
            measure: r.measure,
            public: r.public,
        })
        .collect();
    render(&IndexPage {
        layout: Layout::new("名录", "registers", c.as_ref()),
        registers,
    })
}

/// A row of a list.
struct Row {
    href: String,
    title: String,
    owner: String,
    district: String,
    valid_from: String,
    valid_until: String,
    standing: &'static str,
}

fn district_name(d: &Option<String>) -> String {
    d.as_deref()
        .and_then(domain::reference::area)
        .map_or_else(|| "—".to_owned(), |a| a.name.to_owned())
}

fn day_text(d: &Option<String>) -> String {
    d.as_deref()
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .map_or_else(|| "—".to_owned(), workflow::zh_date)
}

fn row(r: &Register, e: &Entry, today: NaiveDate) -> Row {
    Row {
        href: format!("/registers/{}/{}", r.code, e.id),
        title: e.title.clone(),
        owner: e.owner_name.clone(),
        district: district_name(&e.owner_district),
        valid_from: day_text(&e.valid_from),
        valid_until: day_text(&e.valid_until),
        standing: standing(e, today),
    }
}

#[derive(Template)]
#[template(path = "registers/list.html")]
struct ListPage {
    layout: Layout,
    register: &'static Register,
    /// Entries are titled by their owner (one per organisation).
    by_owner: bool,
    path: String,
    q: String,
    district_options: Vec<SelectOption>,
    standing_options: Vec<SelectOption>,
    query: String,
    total: String,
    rows: Vec<Row>,
    pager: Pager,
    /// The caller may import entries (one of the register's editors).
    can_import: bool,
    /// The importable columns' headers, for the form's hint.
    columns: String,
}

async fn list(
    State(state): State<AppState>,
    MaybeCaller(c): MaybeCaller,
    Path(code): Path<String>,
    Query(q): Query<RegisterQuery>,
) -> PageResult {
    list_page(&state, c.as_ref(), register_of(&code)?, &q).await
}

async fn certified(
    State(state): State<AppState>,
    MaybeCaller(c): MaybeCaller,
    Query(q): Query<RegisterQuery>,
) -> PageResult {
    list_page(&state, c.as_ref(), register_of(CERTIFIED)?, &q).await
}

async fn list_page(
    state: &AppState,
    c: Option<&crate::auth::Caller>,
    r: &'static Register,
    q: &RegisterQuery,
) -> PageResult {
    let reader = reader(c, r)?;
    let today = domain::calendar::today_shanghai();
    let filter = q.filter(today)?;
    let page = stored::list(&state.db, &r.code, &reader, &filter, q.paging()?).await?;
    let text = filter.q.clone().unwrap_or_default();
    let district = filter.district.clone().unwrap_or_default();
    let standing_v = q.standing.clone().unwrap_or_default().trim().to_owned();
    let base = [
        ("q", text.clone()),
        ("district", district.clone()),
        ("standing", standing_v.clone()),
    ];
    let path = format!("/registers/{}", r.code);
    let query = serde_urlencoded::to_string(
        base.iter()
            .filter(|(_, v)| !v.is_empty())
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default();
    render(&ListPage {
        // The certified list stays under its measure's menu.
        layout: Layout::new(
            &r.title,
            if r.code == CERTIFIED {
                "certified"
            } else {
                "registers"
            },
            c,
        ),
        register: r,
        by_owner: r.key == workflow::EntryKey::Owner,
        pager: Pager::new(&path, &base, page.page, page.pages()),
        path,
        q: text,
        district_options: district_options(&district),
        standing_options: options(STANDINGS, &standing_v),
        query,
        total: crate::numbers::count(page.total),
        rows: page.items.iter().map(|e| row(r, e, today)).collect(),
        can_import: c.is_some_and(|c| super::import::may_edit(c, r)),
        columns: super::import::schema_of(r)
            .columns
            .iter()
            .map(|c| c.header)
            .collect::<Vec<_>>()
            .join("、"),
    })
}

/// The register's import template, for its editors.
async fn template(PageCaller(c): PageCaller, Path(code): Path<String>) -> PageResult {
    let r = register_of(&code)?;
    if !super::import::may_edit(&c, r) {
        return Err(AppError::Forbidden.into());
    }
    let bytes = tabular::template(super::import::schema_of(r))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(xlsx::download(&format!("{}导入模板.xlsx", r.title), bytes))
}

/// Imports entries from a file (its editors), answering with the row report.
async fn import(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    Path(code): Path<String>,
    mut mp: Multipart,
) -> PageResult {
    let r = register_of(&code)?;
    if !super::import::may_edit(&c, r) {
        return Err(AppError::Forbidden.into());
    }
    crate::auth::check_multipart_csrf(&c, &mut mp).await?;
    let up = crate::pages::imports::read_upload(&mut mp, super::import::IMPORT).await?;
    let only_valid = up.flag("only_valid");
    let out = super::import::import(&state, &c.actor(), r, up.bytes, only_valid).await?;
    let href = format!("/registers/{}", r.code);
    crate::pages::imports::result_page(
        &c,
        &crate::pages::imports::ResultPlace {
            nav: "registers",
            href: &href,
            section: &r.title,
            links: &[],
        },
        format!("{}导入结果", r.title),
        out.imported,
        format!("已导入 {} 条。", crate::numbers::count(out.imported as i64)),
        &out.report,
    )
}

/// The filtered list as XLSX (at most this many rows).
const EXPORT_CAP: i64 = 100_000;

async fn export(
    State(state): State<AppState>,
    MaybeCaller(c): MaybeCaller,
    Path(code): Path<String>,
    Query(q): Query<RegisterQuery>,
) -> PageResult {
    let r = register_of(&code)?;
    let reader = reader(c.as_ref(), r)?;
    let today = domain::calendar::today_shanghai();
    let list = stored::export(&state.db, &r.code, &reader, &q.filter(today)?, EXPORT_CAP).await?;
    let mut headers: Vec<&str> = vec![
        "名称",
        "所属机构",
        "统一社会信用代码",
        "所在区县",
        "生效日期",
        "有效期至",
        "状态",
    ];
    headers.extend(r.fields.iter().map(|f| f.label.as_str()));
    let rows: Vec<Vec<xlsx::Cell>> = list
        .iter()
        .map(|e| {
            let data: Value = serde_json::from_str(&e.data_json).unwrap_or(Value::Null);
            let mut cells: Vec<xlsx::Cell> = vec![
                e.title.clone().into(),
                e.owner_name.clone().into(),
                e.owner_code.clone().into(),
                district_name(&e.owner_district).into(),
                e.valid_from.clone().unwrap_or_default().into(),
                e.valid_until.clone().unwrap_or_default().into(),
                standing(e, today).into(),
            ];
            cells.extend(r.fields.iter().map(|f| {
                let v = data.get(&f.name).unwrap_or(&Value::Null);
                match v {
                    Value::Null => String::new(),
                    v => f.display(v),
                }
                .into()
            }));
            cells
        })
        .collect();
    let bytes = xlsx::table(&r.title, &headers, &rows)?;
    Ok(xlsx::download(&format!("{}.xlsx", r.title), bytes))
}

struct FieldLine {
    label: String,
    value: String,
}

struct MemberLine {
    name: String,
    code: String,
    role: String,
}

struct EventLine {
    at: String,
    action: &'static str,
    actor: String,
    summary: String,
    application: Option<i64>,
}

fn action_label(a: &str) -> &'static str {
    match a {
        "add" => "列入",
        "extend" => "延续",
        "end" => "终止",
        "change" => "变更",
        "expire" => "到期",
        _ => "其他",
    }
}

#[derive(Template)]
#[template(path = "registers/detail.html")]
struct DetailPage {
    layout: Layout,
    register: &'static Register,
    entry: Entry,
    district: String,
    valid_from: String,
    valid_until: String,
    standing: &'static str,
    fields: Vec<FieldLine>,
    members: Vec<MemberLine>,
    events: Vec<EventLine>,
    /// The caller may end the entry (an editor; the entry not ended yet).
    can_end: bool,
    notice: Option<&'static str>,
}

#[derive(serde::Deserialize, Default)]
struct DetailQuery {
    notice: Option<String>,
}

async fn detail(
    State(state): State<AppState>,
    MaybeCaller(c): MaybeCaller,
    Path((code, id)): Path<(String, i64)>,
    Query(dq): Query<DetailQuery>,
) -> PageResult {
    let r = register_of(&code)?;
    let reader = reader(c.as_ref(), r)?;
    let entry = stored::get(&state.db, &r.code, &reader, id)
        .await?
        .ok_or(AppError::NotFound("名录条目"))?;
    let today = domain::calendar::today_shanghai();
    let data: Value = serde_json::from_str(&entry.data_json).unwrap_or(Value::Null);
    let fields = r
        .fields
        .iter()
        .filter_map(|f| {
            let v = data.get(&f.name).filter(|v| !v.is_null())?;
            Some(FieldLine {
                label: f.label.clone(),
                value: f.display(v),
            })
        })
        .collect();
    let members = stored::members(&state.db, &r.code, &entry.entry_key)
        .await?
        .into_iter()
        .map(|m| MemberLine {
            role: r.role_label(&m.role).to_owned(),
            name: m.name,
            code: m.code,
        })
        .collect();
    // Who decided is shown to signed-in users; the public sees what happened and when.
    let signed_in = c.is_some();
    let events = stored::events(&state.db, &r.code, &entry.entry_key)
        .await?
        .into_iter()
        .map(|e| EventLine {
            at: fmt_time(e.at),
            action: action_label(&e.action),
            actor: if signed_in { e.actor } else { String::new() },
            summary: e.summary,
            application: e.application_id.filter(|_| signed_in),
        })
        .collect();
    render(&DetailPage {
        layout: Layout::new(&entry.title, "registers", c.as_ref()),
        register: r,
        district: district_name(&entry.owner_district),
        valid_from: day_text(&entry.valid_from),
        valid_until: day_text(&entry.valid_until),
        standing: standing(&entry, today),
        can_end: entry.status != "ended"
            && c.as_ref().is_some_and(|c| super::import::may_edit(c, r)),
        notice: match dq.notice.as_deref() {
            Some("ended") => Some("已终止该条目"),
            Some("entered") => Some("已录入该条目"),
            _ => None,
        },
        entry,
        fields,
        members,
        events,
    })
}

#[derive(Template)]
#[template(path = "registers/new.html")]
struct EntryFormPage {
    layout: Layout,
    register: &'static Register,
    path: String,
    errors: Vec<String>,
    fields: Vec<crate::pages::form::FieldView>,
}

/// The inputs of an entry of `r`: owner, (number), validity, then its fields, with `values`
/// as typed.
fn entry_inputs(
    r: &'static Register,
    values: &std::collections::HashMap<String, String>,
) -> Vec<crate::pages::form::FieldView> {
    use crate::pages::form::{FieldView, scalar_view};
    let v = |k: &str| values.get(k).cloned().unwrap_or_default();
    let mut out = vec![FieldView::text(
        "owner_code",
        "所属机构统一社会信用代码",
        v("owner_code"),
        18,
    )];
    if r.key == workflow::EntryKey::Application {
        out.push(FieldView::text("reference", "编号", v("reference"), 64));
    }
    out.push(FieldView {
        input: "date",
        ..FieldView::text("valid_from", "生效日期", v("valid_from"), 10)
    });
    out.push(FieldView {
        input: "date",
        required: false,
        help: Some("不填表示长期有效"),
        ..FieldView::text("valid_until", "有效期至", v("valid_until"), 10)
    });
    let none = std::collections::HashMap::new();
    out.extend(
        super::import::entry_fields(r).map(|f| scalar_view(f, f.name.clone(), v(&f.name), &none)),
    );
    out
}

fn entry_form(
    c: &crate::auth::Caller,
    r: &'static Register,
    values: &std::collections::HashMap<String, String>,
    errors: Vec<String>,
) -> PageResult {
    render(&EntryFormPage {
        layout: Layout::new(&format!("录入{}条目", r.title), "registers", Some(c)),
        register: r,
        path: format!("/registers/{}", r.code),
        errors,
        fields: entry_inputs(r, values),
    })
}

/// The form for one entry (the register's editors).
async fn new_form(PageCaller(c): PageCaller, Path(code): Path<String>) -> PageResult {
    let r = register_of(&code)?;
    if !super::import::may_edit(&c, r) {
        return Err(AppError::Forbidden.into());
    }
    entry_form(&c, r, &Default::default(), Vec::new())
}

/// Enters one entry (the register's editors), with the same checks as an imported row; a
/// refused form comes back with what was typed and every problem.
async fn new_entry(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    Path(code): Path<String>,
    axum::Form(values): axum::Form<std::collections::HashMap<String, String>>,
) -> PageResult {
    let r = register_of(&code)?;
    if !super::import::may_edit(&c, r) {
        return Err(AppError::Forbidden.into());
    }
    c.check_csrf(values.get("csrf").map_or("", String::as_str))?;
    let get = |k: &str| values.get(k).map_or("", String::as_str);
    let parsed = super::import::parse_entry(r, get);
    match super::import::enter(&state, &c.actor(), r, parsed, get("reference")).await? {
        Ok(id) => Ok(axum::response::Redirect::to(&format!(
            "/registers/{}/{id}?notice=entered",
            r.code
        ))
        .into_response()),
        Err(errs) => {
            let inputs = entry_inputs(r, &values);
            let label = |key: &str| {
                inputs
                    .iter()
                    .find(|i| i.name == key)
                    .map_or("", |i| i.label)
            };
            let messages = errs
                .into_iter()
                .map(|(key, m)| {
                    // The code's own messages name the 统一社会信用代码; say whose it is.
                    let l = if key == "owner_code" {
                        "所属机构"
                    } else {
                        label(key)
                    };
                    if l.is_empty() || m.contains(l) {
                        m
                    } else {
                        format!("{l}：{m}")
                    }
                })
                .collect();
            let mut resp = entry_form(&c, r, &values, messages)?;
            *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct EndForm {
    csrf: String,
    reason: String,
}

/// An editor ends an entry (a certification revoked outside the platform's workflow, an
/// imported entry withdrawn): its last day is yesterday, with the reason in its history.
async fn end(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    Path((code, id)): Path<(String, i64)>,
    axum::Form(form): axum::Form<EndForm>,
) -> PageResult {
    let r = register_of(&code)?;
    if !super::import::may_edit(&c, r) {
        return Err(AppError::Forbidden.into());
    }
    c.check_csrf(&form.csrf)?;
    let reason = form.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::invalid("reason", "请填写终止原因（不超过500字）").into());
    }
    let yesterday = domain::calendar::today_shanghai()
        .pred_opt()
        .ok_or_else(|| AppError::Internal("日期超出范围".into()))?;
    let ended = stored::end_by_editor(
        &state.db,
        &c.actor(),
        &r.code,
        id,
        &yesterday.format("%Y-%m-%d").to_string(),
        &format!("终止：{reason}"),
    )
    .await?;
    if !ended {
        return Err(AppError::Conflict("该条目不存在或已终止".into()).into());
    }
    Ok(
        axum::response::Redirect::to(&format!("/registers/{}/{id}?notice=ended", r.code))
            .into_response(),
    )
}
