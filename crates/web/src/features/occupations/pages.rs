//! Measure 5 pages: occupations (browse, export, template, import), the crosswalk (export,
//! template, import) and the per-major crosswalk editor.

use askama::Template;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use serde::Deserialize;
use store::Paging;
use store::occupations as occ;

use super::{
    CROSSWALK_SCHEMA, OCCUPATION_SCHEMA, find_major, known_occupation, occupation_level_label,
};
use crate::AppState;
use crate::auth::access::{Permission, allows};
use crate::auth::{MaybeCaller, PageCaller};
use crate::error::{AppError, PageResult};
use crate::features::majors::level_label;
use crate::numbers::filters;
use crate::pages::{Layout, Pager, Routes, fmt_time, parse_page, render};
use crate::xlsx;

pub fn router() -> Routes {
    Routes::new()
        .route("/occupations", get(list))
        .route("/occupations/export.xlsx", get(export))
        .route("/occupations/template.xlsx", get(template))
        .route(
            "/occupations/import",
            post(import_occupations).layer(axum::extract::DefaultBodyLimit::max(
                crate::import::OCCUPATIONS.max_body(),
            )),
        )
        .route("/occupations/crosswalk.xlsx", get(export_crosswalk))
        .route(
            "/occupations/crosswalk-template.xlsx",
            get(crosswalk_template),
        )
        .route(
            "/occupations/crosswalk/import",
            post(import_crosswalk).layer(axum::extract::DefaultBodyLimit::max(
                crate::import::OCCUPATIONS.max_body(),
            )),
        )
        .route("/majors/{level}/{code}/occupations", get(editor))
        .route("/majors/{level}/{code}/occupations/add", post(add))
        .route("/majors/{level}/{code}/occupations/remove", post(remove))
}

#[derive(Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    page: Option<String>,
}

fn clean_q(q: &Option<String>) -> String {
    q.as_deref()
        .map(str::trim)
        .unwrap_or("")
        .chars()
        .take(30)
        .collect()
}

#[derive(Template)]
#[template(path = "occupations/list.html")]
struct ListPage {
    layout: Layout,
    q: String,
    query: String,
    total: i64,
    /// code, name, level label, parent code, description
    rows: Vec<(String, String, &'static str, String, String)>,
    pager: Pager,
    can_import: bool,
}

async fn list(
    State(state): State<AppState>,
    MaybeCaller(c): MaybeCaller,
    Query(lq): Query<ListQuery>,
) -> PageResult {
    let can_import = c
        .as_ref()
        .is_some_and(|c| allows(&c.principal, Permission::ManageMajors));
    let q = clean_q(&lq.q);
    let page = occ::list(
        &state.db,
        Some(&q),
        Paging::new(parse_page(&lq.page), Some(50)),
    )
    .await?;
    let base = [("q", q.clone())];
    let pager = Pager::new("/occupations", &base, page.page, page.pages());
    render(&ListPage {
        layout: Layout::new("职业分类", "occupations", c.as_ref()),
        query: if q.is_empty() {
            String::new()
        } else {
            serde_urlencoded::to_string(base).unwrap_or_default()
        },
        q,
        total: page.total,
        rows: page
            .items
            .into_iter()
            .map(|o| {
                (
                    o.code,
                    o.name,
                    occupation_level_label(&o.level),
                    o.parent_code.unwrap_or_default(),
                    o.description.unwrap_or_default(),
                )
            })
            .collect(),
        pager,
        can_import,
    })
}

async fn export(State(state): State<AppState>, Query(lq): Query<ListQuery>) -> PageResult {
    let q = clean_q(&lq.q);
    let page = occ::list(
        &state.db,
        Some(&q),
        Paging {
            page: 1,
            per_page: 100_000,
        },
    )
    .await?;
    // Codes, names and descriptions: text.
    let rows: Vec<Vec<xlsx::Cell>> = page
        .items
        .into_iter()
        .map(|o| {
            vec![
                o.code.into(),
                o.name.into(),
                occupation_level_label(&o.level).into(),
                o.parent_code.unwrap_or_default().into(),
                o.description.unwrap_or_default().into(),
            ]
        })
        .collect();
    let bytes = xlsx::export(&OCCUPATION_SCHEMA, &rows)?;
    Ok(xlsx::download("职业分类.xlsx", bytes))
}

async fn template() -> PageResult {
    let bytes =
        tabular::template(&OCCUPATION_SCHEMA).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(xlsx::download("职业分类导入模板.xlsx", bytes))
}

async fn export_crosswalk(State(state): State<AppState>) -> PageResult {
    let rows: Vec<Vec<xlsx::Cell>> = occ::crosswalk(&state.db)
        .await?
        .into_iter()
        .map(|(level, major, occupation, note)| {
            vec![
                level.into(),
                major.into(),
                occupation.into(),
                note.unwrap_or_default().into(),
            ]
        })
        .collect();
    let bytes = xlsx::export(&CROSSWALK_SCHEMA, &rows)?;
    Ok(xlsx::download("专业职业面向.xlsx", bytes))
}

async fn crosswalk_template() -> PageResult {
    let bytes =
        tabular::template(&CROSSWALK_SCHEMA).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(xlsx::download("专业职业面向导入模板.xlsx", bytes))
}

/// Reads an upload's `file` and `only_valid` fields.
async fn upload(mp: &mut Multipart) -> Result<(Vec<u8>, bool), AppError> {
    let up = crate::pages::imports::read_upload(mp, crate::import::OCCUPATIONS).await?;
    let only_valid = up.flag("only_valid");
    Ok((up.bytes, only_valid))
}

fn result_page(
    c: &crate::auth::Caller,
    what: &'static str,
    imported: usize,
    detail: String,
    report: &tabular::Report,
) -> PageResult {
    crate::pages::imports::result_page(
        c,
        &crate::pages::imports::ResultPlace {
            nav: "occupations",
            href: "/occupations",
            section: "职业分类",
            links: &[],
        },
        format!("{what}导入结果"),
        imported,
        detail,
        report,
    )
}

async fn import_occupations(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    mut mp: Multipart,
) -> PageResult {
    c.require(Permission::ManageMajors)?;
    crate::auth::check_multipart_csrf(&c, &mut mp).await?;
    let (bytes, only_valid) = upload(&mut mp).await?;
    let out = super::import_occupations(&state.db, &c.actor(), bytes, only_valid).await?;
    result_page(
        &c,
        "职业",
        out.imported,
        format!(
            "已导入 {} 个职业（新增 {}，更新 {}）。",
            out.imported, out.added, out.updated
        ),
        &out.report,
    )
}

async fn import_crosswalk(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    mut mp: Multipart,
) -> PageResult {
    c.require(Permission::ManageMajors)?;
    crate::auth::check_multipart_csrf(&c, &mut mp).await?;
    let (bytes, only_valid) = upload(&mut mp).await?;
    let out = super::import_crosswalk(&state.db, &c.actor(), bytes, only_valid).await?;
    result_page(
        &c,
        "职业面向",
        out.imported,
        format!(
            "已导入 {} 条职业面向，涉及 {} 个专业（其中 {} 个有变化）。",
            out.imported, out.majors, out.changed
        ),
        &out.report,
    )
}

#[derive(Template)]
#[template(path = "occupations/major.html")]
struct EditorPage {
    layout: Layout,
    level: String,
    level_label: &'static str,
    code: String,
    name: String,
    category: String,
    class_name: String,
    /// code, name, level label, note, updated (time and by whom)
    rows: Vec<(String, String, &'static str, String, String)>,
    can_edit: bool,
    notice: Option<&'static str>,
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn editor(
    State(state): State<AppState>,
    MaybeCaller(c): MaybeCaller,
    Path((level, code)): Path<(String, String)>,
    Query(nq): Query<NoticeQuery>,
) -> PageResult {
    let major = find_major(&state.db, &level, &code).await?;
    let rows = occ::for_major(&state.db, &major.level, &major.code).await?;
    render(&EditorPage {
        layout: Layout::new(&format!("{} 职业面向", major.name), "majors", c.as_ref()),
        can_edit: c
            .as_ref()
            .is_some_and(|c| allows(&c.principal, Permission::ManageMajors)),
        notice: match nq.notice.as_deref() {
            Some("added") => Some("已添加职业面向。"),
            Some("removed") => Some("已移除职业面向。"),
            _ => None,
        },
        level_label: level_label(&major.level),
        level: major.level,
        code: major.code,
        name: major.name,
        category: format!("{} {}", major.category_code, major.category_name),
        class_name: major.class_name.unwrap_or_default(),
        rows: rows
            .into_iter()
            .map(|m| {
                (
                    m.occupation_code,
                    m.occupation_name,
                    occupation_level_label(&m.occupation_level),
                    m.note.unwrap_or_default(),
                    format!("{} {}", fmt_time(m.updated_at), m.updated_by),
                )
            })
            .collect(),
    })
}

#[derive(Deserialize)]
struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    occupation: String,
    #[serde(default)]
    note: String,
}

async fn add(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    Path((level, code)): Path<(String, String)>,
    Form(form): Form<EditForm>,
) -> PageResult {
    c.require(Permission::ManageMajors)?;
    c.check_csrf(&form.csrf)?;
    let major = find_major(&state.db, &level, &code).await?;
    let occupation = known_occupation(&state.db, "occupation", &form.occupation).await?;
    let note: String = form.note.trim().to_string();
    if note.chars().count() > 200 {
        return Err(AppError::invalid("note", "备注不超过200个字").into());
    }
    let mut tx = state.db.begin().await?;
    occ::add(
        &mut tx,
        &c.actor(),
        &major.level,
        &major.code,
        &occupation,
        (!note.is_empty()).then_some(note.as_str()),
    )
    .await?;
    tx.commit().await?;
    Ok(back(&major, "added"))
}

async fn remove(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    Path((level, code)): Path<(String, String)>,
    Form(form): Form<EditForm>,
) -> PageResult {
    c.require(Permission::ManageMajors)?;
    c.check_csrf(&form.csrf)?;
    let major = find_major(&state.db, &level, &code).await?;
    let mut tx = state.db.begin().await?;
    let removed = occ::remove(
        &mut tx,
        &c.actor(),
        &major.level,
        &major.code,
        form.occupation.trim(),
    )
    .await?;
    tx.commit().await?;
    if !removed {
        return Err(AppError::NotFound("该职业面向").into());
    }
    Ok(back(&major, "removed"))
}

fn back(major: &store::majors::Major, notice: &str) -> axum::response::Response {
    Redirect::to(&format!(
        "/majors/{}/{}/occupations?notice={notice}",
        major.level, major.code
    ))
    .into_response()
}
