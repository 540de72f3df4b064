//! The audit log (operators only): in words (`crate::features::audit`), filtered by date, actor,
//! action and object, paged, and exported as XLSX.

use askama::Template;
use axum::extract::{Query, State};
use axum::routing::get;
use chrono::{FixedOffset, NaiveDate, TimeZone};
use serde::Deserialize;
use store::audit::{self, Filter, Listed};
use store::names;
use store::{Page, Paging};

use super::FieldChange;
use crate::AppState;
use crate::auth::PageCaller;
use crate::auth::access::{Permission, org_scope};
use crate::error::{AppError, PageResult};
use crate::pages::{Layout, Pager, Routes, SelectOption, fmt_time, options, parse_page, render};
use crate::xlsx::{self, Cell};

pub fn router() -> Routes {
    Routes::new()
        .route("/audit", get(list))
        .route("/audit/export.xlsx", get(export))
}

#[derive(Deserialize, Default)]
struct AuditQuery {
    action: Option<String>,
    entity_type: Option<String>,
    entity_id: Option<String>,
    actor: Option<String>,
    /// First day shown (Beijing date, `YYYY-MM-DD`).
    from: Option<String>,
    /// Last day shown (Beijing date, inclusive).
    to: Option<String>,
    page: Option<String>,
}

/// Midnight of a Beijing date, in unix seconds.
fn beijing_midnight(d: NaiveDate) -> i64 {
    let tz = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    d.and_hms_opt(0, 0, 0)
        .and_then(|t| tz.from_local_datetime(&t).single())
        .map_or(0, |t| t.timestamp())
}

fn parse_date(field: &str, what: &str, v: &str) -> Result<Option<NaiveDate>, AppError> {
    if v.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| {
            AppError::invalid(
                field,
                format!("{what}“{v}”不是有效日期，请按“2025-03-01”的格式填写"),
            )
        })
}

/// The query's filters, cleaned, as the form shows them again.
struct Filters {
    action: String,
    entity_type: String,
    entity_id: String,
    actor: String,
    from: String,
    to: String,
}

impl Filters {
    fn of(q: &AuditQuery) -> Filters {
        Filters {
            action: crate::pages::filter_text(&q.action),
            entity_type: crate::pages::filter_text(&q.entity_type),
            entity_id: crate::pages::filter_text(&q.entity_id),
            actor: crate::pages::filter_text(&q.actor),
            from: crate::pages::filter_text(&q.from),
            to: crate::pages::filter_text(&q.to),
        }
    }

    /// The store's filter: dates are Beijing days, `to` inclusive.
    fn filter(&self) -> Result<Filter, AppError> {
        let from = parse_date("from", "起始日期", &self.from)?;
        let to = parse_date("to", "截止日期", &self.to)?;
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(AppError::invalid(
                "to",
                format!("截止日期 {t} 早于起始日期 {f}"),
            ));
        }
        let some = |s: &String| (!s.is_empty()).then(|| s.clone());
        Ok(Filter {
            action: some(&self.action),
            entity_type: some(&self.entity_type),
            entity_id: some(&self.entity_id),
            actor: some(&self.actor),
            from: from.map(beijing_midnight),
            to: to.and_then(|t| t.succ_opt()).map(beijing_midnight),
        })
    }

    fn pairs(&self) -> [(&'static str, String); 6] {
        [
            ("action", self.action.clone()),
            ("entity_type", self.entity_type.clone()),
            ("entity_id", self.entity_id.clone()),
            ("actor", self.actor.clone()),
            ("from", self.from.clone()),
            ("to", self.to.clone()),
        ]
    }
}

struct Row {
    seq: i64,
    at: String,
    actor: String,
    actor_org: String,
    action: &'static str,
    entity_type: String,
    object: String,
    changes: Vec<FieldChange>,
    before: String,
    after: String,
    request_id: String,
}

#[derive(Template)]
#[template(path = "audit/list.html")]
struct AuditPage {
    layout: Layout,
    f: Filters,
    action_options: Vec<SelectOption>,
    entity_type_options: Vec<SelectOption>,
    query: String,
    page: Page<Listed>,
    pages: i64,
    rows: Vec<Row>,
    pager: Pager,
}

async fn list(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    caller.require(Permission::ViewAudit)?;
    let f = Filters::of(&q);
    let filter = f.filter()?;
    let page = audit::list(
        &state.db,
        &org_scope(&caller.principal),
        &filter,
        Paging::new(parse_page(&q.page), Some(50)),
    )
    .await?;
    let names = names::lookup(&state.db, &super::wanted(&page.items)).await?;
    let rows = page
        .items
        .iter()
        .map(|e| {
            let v = super::view(e, &names);
            Row {
                seq: e.seq,
                at: fmt_time(e.at),
                actor: v.actor,
                actor_org: v.actor_org,
                action: v.action,
                entity_type: v.entity_type,
                object: v.object,
                changes: v.changes,
                before: e.before_json.clone().unwrap_or_default(),
                after: e.after_json.clone().unwrap_or_default(),
                request_id: e.request_id.clone().unwrap_or_default(),
            }
        })
        .collect();
    let base = f.pairs();
    let pages = page.pages();
    let pager = Pager::new("/audit", &base, page.page, pages);
    let query = serde_urlencoded::to_string(
        base.iter()
            .filter(|(_, v)| !v.is_empty())
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default();
    render(&AuditPage {
        layout: Layout::new("审计日志", "audit", Some(&caller)),
        action_options: options(super::action_choices(), &f.action),
        entity_type_options: options(super::entity_type_choices(), &f.entity_type),
        f,
        query,
        pages,
        page,
        rows,
        pager,
    })
}

/// The filtered log as XLSX (at most this many entries, newest first).
const EXPORT_CAP: i64 = 100_000;

/// Entries whose names are looked up together.
const EXPORT_CHUNK: usize = 2_000;

async fn export(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    caller.require(Permission::ViewAudit)?;
    let filter = Filters::of(&q).filter()?;
    let entries = audit::export(
        &state.db,
        &org_scope(&caller.principal),
        &filter,
        EXPORT_CAP,
    )
    .await?;
    let mut rows: Vec<Vec<Cell>> = Vec::with_capacity(entries.len());
    for chunk in entries.chunks(EXPORT_CHUNK) {
        let names = names::lookup(&state.db, &super::wanted(chunk)).await?;
        for e in chunk {
            let v = super::view(e, &names);
            rows.push(vec![
                Cell::Year(e.seq),
                xlsx::time_cell(e.at),
                v.actor.into(),
                v.actor_org.into(),
                v.action.into(),
                v.entity_type.into(),
                v.object.into(),
                super::changes_text(&v.changes).into(),
                Cell::text(e.action.clone()),
                e.before_json.clone().unwrap_or_default().into(),
                e.after_json.clone().unwrap_or_default().into(),
                e.request_id.clone().unwrap_or_default().into(),
            ]);
        }
    }
    let bytes = xlsx::table(
        "审计日志",
        &[
            "序号",
            "时间",
            "操作人",
            "操作人所属机构",
            "操作",
            "对象类型",
            "对象",
            "变更内容",
            "操作代码",
            "变更前（原始记录）",
            "变更后（原始记录）",
            "请求号",
        ],
        &rows,
    )?;
    Ok(xlsx::download("审计日志.xlsx", bytes))
}
