//! Measure 5 pages: the major catalog — browse, filter, export, template, import.

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::routing::{get, post};
use store::Paging;
use store::majors::{self, Catalog};

use super::{CATALOG_SCHEMA, LEVELS, MajorQuery, filter, level_label, nonempty, pick_catalog};
use crate::AppState;
use crate::auth::access::{Permission, allows};
use crate::auth::{MaybeCaller, PageCaller};
use crate::error::{AppError, PageResult};
use crate::numbers::filters;
use crate::pages::{Layout, Pager, Routes, SelectOption, fmt_time, options, parse_page, render};
use crate::xlsx;

pub fn router() -> Routes {
    Routes::new()
        .route("/majors", get(list))
        .route("/majors/export.xlsx", get(export))
        .route("/majors/template.xlsx", get(template))
        .route(
            "/majors/import",
            post(import).layer(axum::extract::DefaultBodyLimit::max(
                crate::import::CATALOG.max_body(),
            )),
        )
}

#[derive(Template)]
#[template(path = "majors/list.html")]
struct ListPage {
    layout: Layout,
    catalog: Option<Catalog>,
    imported_at: String,
    summary: Vec<(&'static str, i64, i64, i64)>,
    catalog_options: Vec<SelectOption>,
    level_options: Vec<SelectOption>,
    category_options: Vec<SelectOption>,
    q: String,
    query: String,
    total: i64,
    rows: Vec<(String, String, &'static str, String, String)>,
    pager: Pager,
    can_import: bool,
}

async fn list(
    State(state): State<AppState>,
    MaybeCaller(c): MaybeCaller,
    Query(q): Query<MajorQuery>,
) -> PageResult {
    let can_import = c
        .as_ref()
        .is_some_and(|c| allows(&c.principal, Permission::ManageMajors));
    let catalog = pick_catalog(&state, &q.catalog).await?;
    let mut page = ListPage {
        layout: Layout::new("专业目录", "majors", c.as_ref()),
        catalog: None,
        imported_at: String::new(),
        summary: Vec::new(),
        catalog_options: Vec::new(),
        level_options: options(LEVELS.iter().copied(), q.level.as_deref().unwrap_or("")),
        category_options: Vec::new(),
        q: nonempty(&q.q).unwrap_or_default(),
        query: String::new(),
        total: 0,
        rows: Vec::new(),
        pager: Pager::new("/majors", &[], 1, 1),
        can_import,
    };
    if let Some(cat) = catalog {
        let f = filter(&cat, &q)?;
        let list = majors::list(&state.db, &f, Paging::new(parse_page(&q.page), Some(50))).await?;
        let sum = super::summary(&state.db, &cat).await?;
        page.summary = LEVELS
            .iter()
            .map(|(code, label)| {
                let (a, b, m) = sum.get(*code).copied().unwrap_or_default();
                (*label, a, b, m)
            })
            .collect();
        let all = majors::catalogs(&state.db).await?;
        page.catalog_options = all
            .iter()
            .map(|c| SelectOption {
                value: c.code.clone(),
                label: c.name.clone(),
                selected: c.id == cat.id,
            })
            .collect();
        page.category_options = majors::categories(&state.db, cat.id, f.level.as_deref())
            .await?
            .into_iter()
            .map(|(level, code, name)| SelectOption {
                selected: f.category.as_deref() == Some(code.as_str()),
                label: format!("{code} {name}（{}）", level_label(&level)),
                value: code,
            })
            .collect();
        let base = [
            ("catalog", cat.code.clone()),
            ("level", f.level.clone().unwrap_or_default()),
            ("category", f.category.clone().unwrap_or_default()),
            ("q", f.q.clone().unwrap_or_default()),
        ];
        page.pager = Pager::new("/majors", &base, list.page, list.pages());
        page.query = serde_urlencoded::to_string(
            base.iter()
                .filter(|(_, v)| !v.is_empty())
                .collect::<Vec<_>>(),
        )
        .unwrap_or_default();
        page.total = list.total;
        page.rows = list
            .items
            .into_iter()
            .map(|m| {
                (
                    m.code,
                    m.name,
                    level_label(&m.level),
                    format!("{} {}", m.category_code, m.category_name),
                    m.class_name.unwrap_or_default(),
                )
            })
            .collect();
        page.imported_at = fmt_time(cat.imported_at);
        page.catalog = Some(cat);
    }
    render(&page)
}

async fn export(State(state): State<AppState>, Query(q): Query<MajorQuery>) -> PageResult {
    let cat = pick_catalog(&state, &q.catalog)
        .await?
        .ok_or(AppError::NotFound("专业目录"))?;
    let mut f = filter(&cat, &q)?;
    f.item_level = Some("ALL".into());
    let list = majors::list(
        &state.db,
        &f,
        Paging {
            page: 1,
            per_page: 100_000,
        },
    )
    .await?;
    // Every column is a code or a name: text.
    let rows: Vec<Vec<xlsx::Cell>> = list
        .items
        .into_iter()
        .map(|m| {
            [
                cat.code.clone(),
                m.level,
                m.category_code,
                m.category_name,
                m.class_code.unwrap_or_default(),
                m.class_name.unwrap_or_default(),
                m.code,
                m.name,
                m.parent_code.unwrap_or_default(),
                m.item_level,
                String::new(),
            ]
            .into_iter()
            .map(xlsx::Cell::from)
            .collect()
        })
        .collect();
    let bytes = xlsx::export(&CATALOG_SCHEMA, &rows)?;
    Ok(xlsx::download("专业目录.xlsx", bytes))
}

async fn template() -> PageResult {
    let bytes =
        tabular::template(&CATALOG_SCHEMA).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(xlsx::download("专业目录导入模板.xlsx", bytes))
}

async fn import(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    mut mp: Multipart,
) -> PageResult {
    c.require(Permission::ManageMajors)?;
    crate::auth::check_multipart_csrf(&c, &mut mp).await?;
    let up = crate::pages::imports::read_upload(&mut mp, crate::import::CATALOG).await?;
    let (only_valid, replace) = (up.flag("only_valid"), up.flag("replace"));
    let bytes = up.bytes;
    let out = match super::import_catalog(&state.db, &c.actor(), bytes, only_valid, replace).await {
        Ok(o) => o,
        Err(AppError::Conflict(msg)) => {
            return Err(
                AppError::Conflict(format!("{msg}；如需更新请勾选“替换同代码的已有目录”")).into(),
            );
        }
        Err(e) => return Err(e.into()),
    };
    let success = format!(
        "已导入 {} 条{}。",
        out.imported,
        out.catalog
            .as_ref()
            .map(|c| format!("到“{}”", c.name))
            .unwrap_or_default()
    );
    crate::pages::imports::result_page(
        &c,
        &crate::pages::imports::ResultPlace {
            nav: "majors",
            href: "/majors",
            section: "专业目录",
            links: &[],
        },
        "导入结果".into(),
        out.imported,
        success,
        &out.report,
    )
}
