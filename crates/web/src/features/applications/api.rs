//! Applications over the API: the same service and access rules as the pages.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use domain::workflow::ActionKind;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use store::applications::{self as apps, Application, Event, Summary};
use utoipa::{IntoParams, ToSchema};

use super::{self as svc, ApplicationQuery, status_totals};
use crate::AppState;
use crate::api::vocab;
use crate::auth::ApiCaller;
use crate::error::{AppError, AppResult, ErrorBody, json_body};

/// `schema` with a description (a parameter's `schema_with` drops its doc comment). The
/// `*_param` schemas are [`super::ApplicationQuery`]'s.
fn described(
    mut schema: utoipa::openapi::schema::Object,
    text: &str,
) -> utoipa::openapi::schema::Object {
    schema.description = Some(text.to_string());
    schema
}

pub(super) fn kind_param() -> utoipa::openapi::schema::Object {
    described(vocab::application_kind(), "申报事项")
}

pub(super) fn stage_param() -> utoipa::openapi::schema::Object {
    described(
        vocab::application_stage(),
        "当前阶段的代码（多个申报事项共用的代码在各事项中都选中）",
    )
}

pub(super) fn status_param() -> utoipa::openapi::schema::Object {
    described(vocab::application_status(), "申报状态")
}

pub(super) fn district_param() -> utoipa::openapi::schema::Object {
    described(
        vocab::district(),
        "申报单位所在区县的行政区划代码，如 500103",
    )
}

pub(super) fn year_param() -> utoipa::openapi::schema::Object {
    described(
        vocab::year(),
        "申报年度：有所属年度的申报（投资抵免）为该年度，其余为创建年份（北京时间）",
    )
}

/// A page of applications with the counts by status.
#[derive(Serialize, ToSchema)]
pub struct ApplicationList {
    pub items: Vec<Summary>,
    /// How many applications match every filter.
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    #[schema(schema_with = vocab::status_totals)]
    pub by_status: std::collections::BTreeMap<String, i64>,
}

/// The applications the caller may see, newest first.
///
/// For the operator every one; for a department those of the kinds its unit reviews at some
/// stage; for a district those of its district whose kind it reviews; for schools,
/// enterprises and banks their own organisation's (drafts included). Drafts are their
/// applicant's alone. Filtered, paged, with the counts by status of the applications matching
/// every filter but `status`.
#[utoipa::path(get, path = "/applications", tag = "applications", params(ApplicationQuery), security(("bearer" = [])),
    responses((status = 200, description = "申报列表及各状态件数", body = ApplicationList), (status = 401, description = "未登录", body = ErrorBody),
        (status = 422, description = "筛选条件的值无效（消息指明参数）", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<ApplicationQuery>,
) -> AppResult<Json<ApplicationList>> {
    let f = q.filter(domain::calendar::today_shanghai())?;
    let (page, totals) = apps::list_with_totals(
        &state.db,
        &crate::auth::access::viewer(&c.principal),
        &f,
        q.paging()?,
    )
    .await?;
    Ok(Json(ApplicationList {
        items: page.items,
        total: page.total,
        page: page.page,
        per_page: page.per_page,
        by_status: status_totals(&totals),
    }))
}

/// A new draft: the kind, and the form's fields (money in fen). Its schema is one variant per
/// kind, each with that kind's fields (see [`data_schema`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewApplicationInput {
    pub kind: String,
    #[serde(default)]
    pub data: Map<String, Value>,
}

impl utoipa::PartialSchema for NewApplicationInput {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use vocab::{object, prop, tag};
        vocab::variants(
            "申报事项及其表单字段（每种申报事项一种形式）",
            domain::workflow::kinds().iter().map(|k| {
                let data = data_schema(&k.code);
                let required = !data.required.is_empty();
                object([
                    prop("kind", tag(&k.code), true),
                    prop("data", data, required),
                ])
            }),
        )
    }
}

impl ToSchema for NewApplicationInput {}

/// The form fields of an application kind as JSON: each field with its type and bounds, the
/// years required; no other field (the server refuses unknown ones). Money is integer fen.
/// A group is an array of row objects; attachment slots are not data (files are uploaded on
/// the application's page).
pub fn data_schema(kind: &str) -> utoipa::openapi::schema::Object {
    use vocab::{object, prop};
    object(
        svc::fields(kind)
            .iter()
            .filter(|f| f.holds_data())
            .map(|f| prop(f.name.as_str(), vocab::form_field(f), f.is_required())),
    )
}

/// Creates a draft for the caller's organisation.
#[utoipa::path(post, path = "/applications", tag = "applications", request_body = NewApplicationInput, security(("bearer" = [])),
    responses((status = 201, body = Application), (status = 403, body = ErrorBody),
        (status = 409, description = "已有同类未结申报、同一年度已通过、已取得该资格或缺少前置资格（消息说明）", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    body: Result<Json<NewApplicationInput>, axum::extract::rejection::JsonRejection>,
) -> AppResult<(StatusCode, Json<Application>)> {
    let input = json_body(body, "请求体无效")?;
    let kind = svc::kind_of(&input.kind)
        .map_err(|_| AppError::invalid("kind", format!("未知的申报类型“{}”", input.kind)))?;
    let data = svc::parse_json_data(&kind.code, &input.data)?;
    Ok((
        StatusCode::CREATED,
        Json(svc::create_draft(&state, &c, &kind.code, data).await?),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct Detail {
    pub application: Application,
    pub events: Vec<Event>,
    /// The latest rule decision with its trace; null before the kind's rule has run.
    #[schema(value_type = Option<Object>, nullable = true)]
    pub decision: Option<Value>,
    /// Reviewer keys awaited now.
    pub pending: Vec<String>,
    /// The actions the caller may take now (any other answers 409).
    #[schema(schema_with = vocab::application_action_list)]
    pub allowed_actions: Vec<String>,
    /// Its files, oldest first, each with the slot it fills (if any).
    pub attachments: Vec<apps::Attachment>,
}

fn parse_id(id: &str) -> AppResult<i64> {
    id.parse().map_err(|_| AppError::NotFound("申报"))
}

/// One application with its history; 404 when the caller may not see it.
#[utoipa::path(get, path = "/applications/{id}", tag = "applications", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = Detail), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<Detail>> {
    let (app, kind) = svc::load(&state, &c, parse_id(&id)?).await?;
    let events = apps::events(&state.db, app.id).await?;
    let wf: domain::workflow::State =
        serde_json::from_str(&app.state_json).map_err(|e| AppError::Internal(e.to_string()))?;
    let data: serde_json::Value = serde_json::from_str(&app.data_json).unwrap_or_default();
    let pending = svc::pending_keys(kind, &wf, app.district.as_deref(), &data);
    let allowed_actions = svc::allowed_actions(&state, &c, kind, &app)
        .into_iter()
        .map(|a| a.as_str().to_string())
        .collect();
    let decision = app
        .decision_json
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok());
    let attachments = apps::attachments(&state.db, app.id).await?;
    Ok(Json(Detail {
        application: app,
        events,
        decision,
        pending,
        allowed_actions,
        attachments,
    }))
}

/// A file for an application, as JSON: the slot it fills (a kind's `attachment` field), its
/// name, and its content in base64.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAttachment {
    /// The slot (a kind's `attachment` field) it fills; absent for a file of no slot.
    #[serde(default)]
    #[schema(schema_with = vocab::attachment_slot)]
    pub slot: Option<String>,
    /// The file's name as reviewers see it (control characters and slashes are dropped; a
    /// name with nothing else becomes 未命名附件).
    #[schema(min_length = 1, max_length = 100)]
    pub filename: String,
    /// The file in base64 (standard alphabet, with padding): a PDF, PNG, JPEG or XLSX file
    /// (recognised by content) of at most 1 MB through the API; larger files are uploaded on
    /// the application's page.
    #[schema(schema_with = vocab::attachment_content)]
    pub content_base64: String,
}

/// The largest file the API takes (its base64 must fit the API's request size).
pub const API_ATTACHMENT: usize = 1024 * 1024;

/// Uploads a file to one's own draft or returned application, into a slot when named: the
/// slot must take the file's type; a required slot must be filled before submission.
#[utoipa::path(post, path = "/applications/{id}/attachments", tag = "applications",
    params(("id" = i64, Path)), request_body = NewAttachment, security(("bearer" = [])),
    responses((status = 201, body = apps::Attachment), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "只有草稿或退回修改的申报可以上传附件", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_attachment(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    body: Result<Json<NewAttachment>, axum::extract::rejection::JsonRejection>,
) -> AppResult<(StatusCode, Json<apps::Attachment>)> {
    use base64::Engine as _;
    let (app, kind) = svc::load(&state, &c, parse_id(&id)?).await?;
    let input = json_body(body, "请求体无效")?;
    let filename: String = input
        .filename
        .trim()
        .chars()
        .filter(|ch| !ch.is_control() && *ch != '/' && *ch != '\\')
        .take(100)
        .collect();
    // A name of only spaces or control characters is not refused: the file keeps a plain one.
    let filename = if filename.is_empty() {
        "未命名附件".to_string()
    } else {
        filename
    };
    let slot = match input
        .slot
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(name) => Some(
            kind.fields
                .iter()
                .find(|f| f.name == name && !f.holds_data())
                .ok_or_else(|| AppError::invalid("slot", format!("本申报没有申报材料“{name}”")))?,
        ),
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(input.content_base64.trim())
        .map_err(|_| AppError::invalid("content_base64", "文件内容不是有效的 base64 编码"))?;
    if bytes.len() > API_ATTACHMENT {
        return Err(AppError::PayloadTooLarge(format!(
            "通过接口上传的文件不能超过{}MB，较大的文件请在申报页面上传",
            API_ATTACHMENT / 1024 / 1024
        )));
    }
    let a = svc::store_attachment(&state, &c, &app, slot, &filename, &bytes).await?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// An action on an application: its name, the version the caller read (a stale one gets
/// 409), and the fields that action takes ([`action_fields`]); the others must be absent or
/// null. Its schema is one variant per action.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    pub action: String,
    pub version: i64,
    pub text: Option<String>,
    pub score: Option<u32>,
    pub objection: Option<u32>,
    pub upheld: Option<bool>,
    pub data: Option<Map<String, Value>>,
}

/// Whether an action takes a field.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Use {
    No,
    Optional,
    Required,
}

/// The fields each action takes: `text` (comment, reason or objection; every action accepts
/// one within the length bounds, those that do not use it ignore it), `score`, `objection`
/// (the objection's number) and `upheld`, `data` (the form's fields, with a submission).
pub struct ActionFields {
    pub text: Use,
    pub score: Use,
    pub objection: Use,
    pub upheld: Use,
    pub data: Use,
}

pub fn action_fields(a: ActionKind) -> ActionFields {
    use Use::*;
    let only_text = |text| ActionFields {
        text,
        score: No,
        objection: No,
        upheld: No,
        data: No,
    };
    match a {
        ActionKind::Submit | ActionKind::Resubmit => ActionFields {
            data: Optional,
            ..only_text(Optional)
        },
        ActionKind::Withdraw | ActionKind::ConcludePublicity | ActionKind::Approve => {
            only_text(Optional)
        }
        ActionKind::Reject
        | ActionKind::Return
        | ActionKind::Revoke
        | ActionKind::Object
        | ActionKind::Correct => only_text(Required),
        ActionKind::Score => ActionFields {
            score: Required,
            ..only_text(Optional)
        },
        ActionKind::ResolveObjection => ActionFields {
            objection: Required,
            upheld: Optional,
            ..only_text(Required)
        },
    }
}

impl ActionInput {
    /// Refuses a field the action does not take (given and not null).
    fn check_fields(&self, a: ActionKind) -> AppResult<()> {
        let f = action_fields(a);
        let given = [
            ("text", f.text, self.text.is_some()),
            ("score", f.score, self.score.is_some()),
            ("objection", f.objection, self.objection.is_some()),
            ("upheld", f.upheld, self.upheld.is_some()),
            ("data", f.data, self.data.is_some()),
        ];
        match given.iter().find(|(_, u, g)| *u == Use::No && *g) {
            Some((name, _, _)) => Err(AppError::invalid(
                name,
                format!("操作“{}”不使用字段 {name}", a.label()),
            )),
            None => Ok(()),
        }
    }
}

impl utoipa::PartialSchema for ActionInput {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use vocab::{boolean, integer, nothing, object, prop, tag, text};
        let comment = |u: Use| match u {
            Use::Required => text(svc::COMMENT).build(),
            _ => text(domain::text::Bounds::new(0, svc::TEXT_MAX))
                .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                    utoipa::openapi::schema::Type::String,
                    utoipa::openapi::schema::Type::Null,
                ]))
                .build(),
        };
        vocab::variants(
            "操作及其所需字段（每种操作一种形式）；申报当前状态不允许的操作答 409",
            ActionKind::ALL.into_iter().map(|a| {
                let f = action_fields(a);
                let field = |u: Use, schema: utoipa::openapi::schema::Object| match u {
                    Use::No => nothing().into(),
                    _ => utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::Object(schema)),
                };
                let data = match f.data {
                    Use::No => nothing().into(),
                    _ => vocab::any_of(
                        domain::workflow::kinds()
                            .iter()
                            .map(|k| data_schema(&k.code))
                            .chain([nothing()]),
                    ),
                };
                object([
                    prop("action", tag(a.as_str()), true),
                    prop("version", integer(i64::MIN, i64::MAX, false), true),
                    prop(
                        "text",
                        field(f.text, comment(f.text)),
                        f.text == Use::Required,
                    ),
                    prop(
                        "score",
                        field(f.score, integer(0, svc::MAX_SCORE.into(), false)),
                        f.score == Use::Required,
                    ),
                    prop(
                        "objection",
                        field(f.objection, integer(0, u32::MAX.into(), false)),
                        f.objection == Use::Required,
                    ),
                    prop("upheld", field(f.upheld, boolean(true)), false),
                    prop("data", data, false),
                ])
            }),
        )
    }
}

impl ToSchema for ActionInput {}

/// Acts on an application. 409 when the version is stale or the workflow refuses.
#[utoipa::path(post, path = "/applications/{id}/actions", tag = "applications", params(("id" = i64, Path)), request_body = ActionInput,
    security(("bearer" = [])),
    responses((status = 200, body = Application), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn act(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    body: Result<Json<ActionInput>, axum::extract::rejection::JsonRejection>,
) -> AppResult<Json<Application>> {
    let a = json_body(body, "请求体无效")?;
    let id = parse_id(&id)?;
    let kind = ActionKind::ALL
        .into_iter()
        .find(|k| k.as_str() == a.action)
        .ok_or_else(|| AppError::invalid("action", format!("未知的操作“{}”", a.action)))?;
    a.check_fields(kind)?;
    // The application is loaded (and its visibility checked) once, in `act`; new data needs
    // its kind first.
    let data = match &a.data {
        Some(d) => {
            let (_, kind) = svc::load(&state, &c, id).await?;
            // Data of the wrong kind conflicts with the application named (409).
            Some(svc::parse_json_data(&kind.code, d).map_err(|e| {
                AppError::Conflict(format!("申报内容与该申报事项（{}）不符：{e}", kind.title))
            })?)
        }
        None => None,
    };
    let score = a.score.map(|s| s.to_string());
    let obj = a.objection.map(|s| s.to_string());
    let upheld = a.upheld.map(|u| if u { "1" } else { "0" });
    let action = svc::parse_action(
        &a.action,
        a.text.as_deref(),
        score.as_deref(),
        obj.as_deref(),
        upheld,
    )?;
    Ok(Json(
        svc::act(&state, &c, id, a.version, action, data).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page number, from 1.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    /// Items per page (at most 200; more is read as 200).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub per_page: Option<i64>,
    /// Part of an enterprise's name (certified list).
    pub q: Option<String>,
}

/// What awaits the caller's unit or district, earliest deadline first.
#[utoipa::path(get, path = "/queue", tag = "applications", params(PageParams), security(("bearer" = [])),
    responses((status = 200, body = store::Page<Summary>), (status = 401, body = ErrorBody)))]
pub async fn queue(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<PageParams>,
) -> AppResult<Json<store::Page<Summary>>> {
    Ok(Json(
        apps::queue(
            &state.db,
            &svc::reviewer_keys(&c),
            crate::api::paging(q.page, q.per_page)?,
        )
        .await?,
    ))
}
