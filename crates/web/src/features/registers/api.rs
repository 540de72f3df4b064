//! The registers' API: `/registers` (the registers), `/registers/{register}` (a list, the
//! standard list shape) and `/registers/{register}/{id}` (an entry with its members and
//! history). Public registers answer without a token; `/certified` is the list of certified
//! enterprises in force today. A register's editors add an entry with `POST
//! /registers/{register}`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use store::Page;
use store::registers::{self as stored, Entry, EntryEvent, Member};
use utoipa::ToSchema;

use super::{CERTIFIED, RegisterQuery, in_force, reader, register_of};
use crate::AppState;
use crate::auth::{ApiCaller, MaybeApiCaller};
use crate::error::{AppError, AppResult, ErrorBody, json_body};

/// A register, as its file declares it.
#[derive(Serialize, ToSchema)]
pub struct RegisterInfo {
    pub code: String,
    pub title: String,
    pub measure: u8,
    pub version: u32,
    /// Listed without login.
    pub public: bool,
    /// `owner`: one entry per organisation; `application`: one per approved application.
    pub key: String,
    /// The entries' own fields: (name, Chinese label, type).
    pub fields: Vec<FieldInfo>,
}

#[derive(Serialize, ToSchema)]
pub struct FieldInfo {
    pub name: String,
    pub label: String,
    #[serde(rename = "type")]
    pub ty: String,
}

/// The registers the caller may read (public ones without a token).
#[utoipa::path(get, path = "/registers", tag = "registers",
    responses((status = 200, body = Vec<RegisterInfo>), (status = 401, body = ErrorBody)))]
pub async fn index(MaybeApiCaller(c): MaybeApiCaller) -> AppResult<Json<Vec<RegisterInfo>>> {
    Ok(Json(
        domain::workflow::registers()
            .iter()
            .filter(|r| r.public || c.is_some())
            .map(|r| RegisterInfo {
                code: r.code.clone(),
                title: r.title.clone(),
                measure: r.measure,
                version: r.version,
                public: r.public,
                key: match r.key {
                    domain::workflow::EntryKey::Owner => "owner".into(),
                    domain::workflow::EntryKey::Application => "application".into(),
                },
                fields: r
                    .fields
                    .iter()
                    .map(|f| FieldInfo {
                        name: f.name.clone(),
                        label: f.label.clone(),
                        ty: f.ty.code().into(),
                    })
                    .collect(),
            })
            .collect(),
    ))
}

/// An entry of a register.
#[derive(Serialize, ToSchema)]
pub struct EntryOut {
    pub id: i64,
    pub register: String,
    pub title: String,
    pub owner_org_id: i64,
    pub owner_name: String,
    /// The owner's 统一社会信用代码.
    pub owner_code: String,
    pub owner_district: Option<String>,
    /// `active`, `expired` or `ended`.
    pub status: String,
    /// In force today (not ended, begun, not past its last day).
    pub in_force: bool,
    /// First day, `YYYY-MM-DD`.
    pub valid_from: Option<String>,
    /// Last day, `YYYY-MM-DD`.
    pub valid_until: Option<String>,
    /// The entry's own fields (see the register's `fields`).
    #[schema(schema_with = stored_data)]
    pub data: Value,
    /// The application whose decision last wrote the entry.
    pub application_id: Option<i64>,
    pub updated_at: i64,
}

impl EntryOut {
    fn of(e: Entry, today: chrono::NaiveDate) -> EntryOut {
        EntryOut {
            in_force: in_force(&e, today),
            data: serde_json::from_str(&e.data_json).unwrap_or(Value::Null),
            id: e.id,
            register: e.register,
            title: e.title,
            owner_org_id: e.owner_org_id,
            owner_name: e.owner_name,
            owner_code: e.owner_code,
            owner_district: e.owner_district,
            status: e.status,
            valid_from: e.valid_from,
            valid_until: e.valid_until,
            application_id: e.application_id,
            updated_at: e.updated_at,
        }
    }
}

async fn page(
    state: &AppState,
    c: Option<&crate::auth::Caller>,
    code: &str,
    q: &RegisterQuery,
) -> AppResult<Json<Page<EntryOut>>> {
    let r = register_of(code)?;
    let reader = reader(c, r)?;
    let today = domain::calendar::today_shanghai();
    let p = stored::list(&state.db, &r.code, &reader, &q.filter(today)?, q.paging()?).await?;
    Ok(Json(p.map(|e| EntryOut::of(e, today))))
}

/// A register's entries, the latest begun first (public registers without a token).
#[utoipa::path(get, path = "/registers/{register}", tag = "registers",
    params(("register" = String, Path, description = "The register's code, e.g. certified_enterprises"), RegisterQuery),
    responses((status = 200, body = Page<EntryOut>), (status = 422, description = "参数无效", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    MaybeApiCaller(c): MaybeApiCaller,
    Path(code): Path<String>,
    Query(q): Query<RegisterQuery>,
) -> AppResult<Json<Page<EntryOut>>> {
    page(&state, c.as_ref(), &code, &q).await
}

/// Certified 产教融合型企业 (public): the list of certified enterprises; `standing=in_force`
/// unless another standing is asked for.
#[utoipa::path(get, path = "/certified", tag = "registers", params(RegisterQuery),
    responses((status = 200, body = Page<EntryOut>), (status = 401, body = ErrorBody),
        (status = 422, description = "参数无效", body = ErrorBody)))]
pub async fn certified(
    State(state): State<AppState>,
    MaybeApiCaller(c): MaybeApiCaller,
    Query(mut q): Query<RegisterQuery>,
) -> AppResult<Json<Page<EntryOut>>> {
    if q.standing.as_deref().is_none_or(|s| s.trim().is_empty()) {
        q.standing = Some("in_force".into());
    }
    page(&state, c.as_ref(), CERTIFIED, &q).await
}

/// An entry with its members and history.
#[derive(Serialize, ToSchema)]
pub struct EntryDetail {
    pub entry: EntryOut,
    pub members: Vec<Member>,
    pub events: Vec<EntryEvent>,
}

/// A register's entry data: for each register, an object of its fields (titled with the
/// register's name), any of them. `entered`: as a request gives them (required fields
/// required, no others); else as stored (entries written under an earlier version of the file
/// may lack or keep fields).
fn entry_data(entered: bool) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use crate::api::vocab;
    use utoipa::openapi::schema::{AnyOfBuilder, Schema};
    let mut b = AnyOfBuilder::new().description(Some(
        "条目自身的字段，因名录而异（见各名录的 fields）；金额以分计",
    ));
    for r in domain::workflow::registers() {
        let mut o = vocab::object(super::import::entry_fields(r).map(|f| {
            vocab::prop(
                f.name.as_str(),
                vocab::form_field(f),
                entered && f.is_required(),
            )
        }));
        o.title = Some(r.title.clone());
        if !entered {
            o.additional_properties = None;
        }
        b = b.item(o);
    }
    Schema::AnyOf(b.build()).into()
}

fn stored_data() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    entry_data(false)
}

fn new_data() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    entry_data(true)
}

/// An entry as an editor enters it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEntry {
    /// The owner's 统一社会信用代码: an organisation registered on the platform, of a kind the
    /// register takes.
    #[schema(schema_with = crate::api::vocab::credit_code)]
    pub owner_code: String,
    /// For a register of one entry per application (`key = application`): the entry's number,
    /// at most 64 characters; absent otherwise.
    #[serde(default)]
    #[schema(max_length = 64)]
    pub reference: Option<String>,
    /// First day, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub valid_from: String,
    /// Last day, `YYYY-MM-DD`, not before the first; absent for no end.
    #[serde(default)]
    #[schema(format = Date)]
    pub valid_until: Option<String>,
    /// The entry's own fields by name (see the register's `fields`), valued as the register's
    /// list gives them back (money in fen).
    #[serde(default)]
    #[schema(schema_with = new_data)]
    pub data: Map<String, Value>,
}

/// Adds an entry to a register (its editors: the units it names, and the operator); entering
/// an owner's (or a number's) entry again renews it. Answers the entry.
#[utoipa::path(post, path = "/registers/{register}", tag = "registers",
    params(("register" = String, Path, description = "The register's code")),
    request_body = NewEntry, security(("bearer" = [])),
    responses((status = 201, body = EntryDetail), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "条目无效：字段名与原因", body = ErrorBody)))]
pub async fn enter(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(code): Path<String>,
    body: Result<Json<NewEntry>, axum::extract::rejection::JsonRejection>,
) -> AppResult<(StatusCode, Json<EntryDetail>)> {
    let r = register_of(&code)?;
    if !super::import::may_edit(&c, r) {
        return Err(AppError::Forbidden);
    }
    let input = json_body(body, "名录条目应为 JSON 对象")?;
    if let Some(unknown) = input
        .data
        .keys()
        .find(|k| !super::import::entry_fields(r).any(|f| &f.name == *k))
    {
        return Err(AppError::invalid(
            "data",
            format!("本名录没有字段“{unknown}”"),
        ));
    }
    let reference = input.reference.as_deref().unwrap_or("");
    if r.key == domain::workflow::EntryKey::Owner && !reference.trim().is_empty() {
        return Err(AppError::invalid(
            "reference",
            "本名录每个机构一条，不填编号",
        ));
    }
    let fixed = |k: &str| -> &str {
        match k {
            "owner_code" => &input.owner_code,
            "reference" => reference,
            "valid_from" => &input.valid_from,
            "valid_until" => input.valid_until.as_deref().unwrap_or(""),
            _ => "",
        }
    };
    let parsed = super::import::parse_json_entry(r, fixed, &input.data);
    let id = match super::import::enter(&state, &c.actor(), r, parsed, reference).await? {
        Ok(id) => id,
        Err(errs) => {
            let (field, _) = errs[0];
            let message = errs
                .into_iter()
                .map(|(_, m)| m)
                .collect::<Vec<_>>()
                .join("；");
            return Err(AppError::invalid(field, message));
        }
    };
    let Json(detail) = get_one(State(state), MaybeApiCaller(Some(c)), Path((code, id))).await?;
    Ok((StatusCode::CREATED, Json(detail)))
}

/// One entry of a register, with its members and history.
#[utoipa::path(get, path = "/registers/{register}/{id}", tag = "registers",
    params(("register" = String, Path, description = "The register's code"),
        ("id" = i64, Path, description = "The entry's id")),
    responses((status = 200, body = EntryDetail), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    MaybeApiCaller(c): MaybeApiCaller,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Json<EntryDetail>> {
    let r = register_of(&code)?;
    let reader = reader(c.as_ref(), r)?;
    let e = stored::get(&state.db, &r.code, &reader, id)
        .await?
        .ok_or(AppError::NotFound("名录条目"))?;
    let members = stored::members(&state.db, &r.code, &e.entry_key).await?;
    let events = stored::events(&state.db, &r.code, &e.entry_key).await?;
    Ok(Json(EntryDetail {
        entry: EntryOut::of(e, domain::calendar::today_shanghai()),
        members,
        events,
    }))
}
