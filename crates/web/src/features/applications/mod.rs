//! Applications and reviews: the service shared by the pages and the API. It loads an
//! application, decides visibility, runs the pure workflow (`domain::workflow`) and the
//! kind's policy rule, and stores the transition with its history, inbox items and audit.

pub mod api;
pub mod pages;

use chrono::NaiveDate;
use domain::form::FieldDef;
use domain::orgs::Role;
use domain::workflow::{self, Action, Kind, Reviewers, State, Status, StepKind};
use serde_json::{Map, Value, json};
use store::applications::{self as apps, Application, Change, NewApplication, Recipient};
use store::orgs::{self, Scope};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};

/// Years a form accepts (a plausibility bound on input only: whether a year falls under a
/// policy is the rule's dated parameter), free-text fields' length, and money fields' bound —
/// the kinds' field types' ([`domain::form`]).
pub use domain::form::{MONEY_MAX_FEN, TEXT_MAX, YEARS};

/// Comments, reasons and objections in reviews: required ones, after trimming.
pub const COMMENT: domain::text::Bounds = domain::text::Bounds::new(1, TEXT_MAX);

/// Expert scores run from 0 to this.
pub const MAX_SCORE: u32 = 100;

/// Attachments: at most this many bytes each.
pub const MAX_ATTACHMENT: usize = 10 * 1024 * 1024;

/// What a resubmission changed, field by field, as a history line reads it:
/// `投资额（元）：1,000.00 → 1,200.00`, a group's by row (`股东信息第2行持股比例：…`); empty
/// when nothing changed.
pub fn data_changes(kind: &str, before: &Value, after: &Value) -> Vec<String> {
    fields(kind)
        .iter()
        .flat_map(|f| f.changes(&before[&f.name], &after[&f.name]))
        .collect()
}

/// Checks the kinds in force against the policy crate: every rule a kind names exists, and
/// every parameter its stages name (deadlines, pass marks) exists as an integer whose every
/// dated value lies in the range the engine accepts. The message names the kind and the key.
pub fn check_kinds(params: &policy::ParamSet) -> Result<(), String> {
    for k in workflow::kinds() {
        for (i, e) in k.effects.iter().enumerate() {
            let Some(r) = &e.validity else { continue };
            let place = format!("申报事项“{}”第{}个效果", k.code, i + 1);
            check_integer_param(params, &place, r.key(), workflow::register::VALIDITY_YEARS)?;
        }
        if let Some(rule) = &k.rule {
            check_rule_inputs(params, k, rule)?;
        }
        for (stage, r, range) in k.param_refs() {
            let place = format!("申报事项“{}”阶段“{}”", k.code, stage.code);
            check_integer_param(params, &place, r.key(), range)?;
        }
    }
    Ok(())
}

/// A kind's rule exists, and each of its inputs has a source: every input `[rule_inputs]`
/// names is one the rule takes, from a platform source there is; every input the rule
/// requires is mapped or a field of the same name.
fn check_rule_inputs(params: &policy::ParamSet, k: &Kind, rule: &str) -> Result<(), String> {
    let place = format!("申报事项“{}”", k.code);
    let schema = policy::input_schema_with(rule, params)
        .ok_or_else(|| format!("{place}：未知的规则“{rule}”（rule）"))?;
    let props = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (name, src) in &k.rule_inputs {
        if !props.contains_key(name) {
            return Err(format!(
                "{place}：规则“{rule}”没有输入“{name}”（rule_inputs.{name}）"
            ));
        }
        if let workflow::InputSource::Platform(p) = src
            && !PLATFORM_INPUTS.iter().any(|(c, _)| c == p)
        {
            return Err(format!(
                "{place}：未知的平台数据“{p}”（rule_inputs.{name}），可用：{}",
                PLATFORM_INPUTS
                    .iter()
                    .map(|(c, _)| *c)
                    .collect::<Vec<_>>()
                    .join("、")
            ));
        }
    }
    let required = schema["required"].as_array().cloned().unwrap_or_default();
    for r in required.iter().filter_map(Value::as_str) {
        if k.input_source(r).is_none() && !k.fields.iter().any(|f| f.name == r) {
            return Err(format!(
                "{place}：规则“{rule}”的输入“{r}”没有来源：请在 [rule_inputs] 中指明，或设同名字段"
            ));
        }
    }
    Ok(())
}

/// The parameter `key` exists and every dated value of it is an integer within `range`.
fn check_integer_param(
    params: &policy::ParamSet,
    place: &str,
    key: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Result<(), String> {
    let p = params
        .param(key)
        .map_err(|_| format!("{place}：政策参数“{key}”不存在"))?;
    for period in &p.values {
        match period.value {
            policy::params::Value::Integer(v) if range.contains(&v) => {}
            ref other => {
                return Err(format!(
                    "{place}：政策参数“{key}”自{}起的取值{other}不是{}至{}之间的整数",
                    period.from,
                    range.start(),
                    range.end()
                ));
            }
        }
    }
    Ok(())
}

/// The form fields of a kind, as its file declares them (none for an unknown kind).
pub fn fields(kind: &str) -> &'static [FieldDef] {
    workflow::kind(kind).map_or(&[], |k| k.fields.as_slice())
}

pub fn kind_of(code: &str) -> AppResult<&'static Kind> {
    workflow::kind(code).ok_or(AppError::NotFound("申报类型"))
}

/// The kind as `app` was filed under it: the loaded kind when the versions agree, otherwise
/// the recorded file of its version ([`record_kinds`]), parsed once and kept.
pub async fn kind_for(state: &AppState, app: &Application) -> AppResult<&'static Kind> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static OLD: OnceLock<Mutex<HashMap<(String, i64), &'static Kind>>> = OnceLock::new();
    let current = kind_of(&app.kind)?;
    if i64::from(current.version) == app.kind_version {
        return Ok(current);
    }
    let key = (app.kind.clone(), app.kind_version);
    let cache = OLD.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(k) = cache.lock().ok().and_then(|m| m.get(&key).copied()) {
        return Ok(k);
    }
    let text = apps::kind_definition(&state.db, &app.kind, app.kind_version)
        .await?
        .ok_or_else(|| {
            AppError::Internal(format!(
                "申报事项“{}”第{}版的定义未记录",
                app.kind, app.kind_version
            ))
        })?;
    let kind = workflow::parse_kind(&text).map_err(|e| {
        AppError::Internal(format!(
            "申报事项“{}”第{}版的定义无法读取：{e}",
            app.kind, app.kind_version
        ))
    })?;
    let kind: &'static Kind = Box::leak(Box::new(kind));
    if let Ok(mut m) = cache.lock() {
        m.insert(key, kind);
    }
    Ok(kind)
}

/// Records every loaded kind's file under its version, at start. A file changed without a
/// new version is refused, naming the kind: applications filed under that version must go on
/// under the definition they were filed under.
pub async fn record_kinds(state: &AppState) -> Result<(), String> {
    for k in workflow::kinds() {
        let kept =
            apps::record_kind_definition(&state.db, &k.code, i64::from(k.version), &k.source)
                .await
                .map_err(|e| e.to_string())?;
        let same =
            kept == k.source || workflow::parse_kind(&kept).is_ok_and(|old| old.same_definition(k));
        if !same {
            return Err(format!(
                "申报事项“{}”的文件已修改，但版本号仍为{}（与数据库中记录的第{}版不同）：修改流程或字段时请将 version 加一",
                k.code, k.version, k.version
            ));
        }
    }
    Ok(())
}

/// Reads a submitted form (strings) into typed JSON data; every problem names its field.
pub fn parse_form(
    kind: &str,
    form: &std::collections::HashMap<String, String>,
) -> Result<Map<String, Value>, Vec<AppError>> {
    let mut data = Map::new();
    let mut errs = Vec::new();
    for f in fields(kind).iter().filter(|f| f.holds_data()) {
        match f.read_form(form) {
            Ok(v) => {
                data.insert(f.name.clone(), v);
            }
            Err(ms) => errs.extend(ms.into_iter().map(|m| AppError::invalid(&f.name, m))),
        }
    }
    if errs.is_empty() { Ok(data) } else { Err(errs) }
}

/// The reviewer keys a principal answers for in queues and inboxes.
pub fn reviewer_keys(c: &Caller) -> Vec<String> {
    let p = &c.principal;
    match Role::parse(&p.role) {
        Some(Role::Department) => p.unit_code.iter().map(|u| format!("unit:{u}")).collect(),
        Some(Role::District) => p.district.iter().map(|d| format!("district:{d}")).collect(),
        Some(Role::Operator) => vec!["role:operator".to_string()],
        // Banks (and any organisation) review what an application names them for.
        _ => vec![format!("org:{}", p.org_id)],
    }
}

fn keys_of(r: &Reviewers, applicant_district: Option<&str>, data: &Value) -> Vec<String> {
    match r {
        Reviewers::Field(name) => data
            .get(name)
            .and_then(Value::as_i64)
            .map(|id| format!("org:{id}"))
            .into_iter()
            .collect(),
        Reviewers::DistrictOfApplicant => applicant_district
            .map(|d| format!("district:{d}"))
            .into_iter()
            .collect(),
        Reviewers::Units(us) => us.iter().map(|u| format!("unit:{u}")).collect(),
        Reviewers::Role(role) => vec![format!("role:{}", role.as_str())],
    }
}

/// The organisations `data` names as reviewers of `kind` (its `field:` stages): (field,
/// organisation).
pub fn parties_of(kind: &Kind, data: &Value) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = Vec::new();
    for s in &kind.stages {
        if let Reviewers::Field(f) = s.actors()
            && let Some(org) = data.get(f).and_then(Value::as_i64)
            && !out.iter().any(|(x, _)| x == f)
        {
            out.push((f.clone(), org));
        }
    }
    out
}

/// Records the parties of applications filed before parties were (at start): each
/// application of a kind with a `field:` stage and no party rows.
pub async fn backfill_parties(state: &AppState) -> AppResult<usize> {
    let kinds: Vec<&str> = workflow::kinds()
        .iter()
        .filter(|k| {
            k.stages
                .iter()
                .any(|s| matches!(s.actors(), Reviewers::Field(_)))
        })
        .map(|k| k.code.as_str())
        .collect();
    let mut n = 0;
    for (id, code, data) in apps::without_parties(&state.db, &kinds).await? {
        let Some(kind) = workflow::kind(&code) else {
            continue;
        };
        let ps = parties_of(kind, &serde_json::from_str(&data).unwrap_or(Value::Null));
        if ps.is_empty() {
            continue;
        }
        let mut tx = state.db.begin().await?;
        apps::set_parties(&mut tx, id, &ps).await?;
        tx.commit().await?;
        n += 1;
    }
    Ok(n)
}

/// Who is awaited now, as reviewer keys.
pub fn pending_keys(
    kind: &Kind,
    state: &State,
    applicant_district: Option<&str>,
    data: &Value,
) -> Vec<String> {
    if !matches!(state.status, Status::InReview | Status::Publicity) {
        return Vec::new();
    }
    let awaited = workflow::pending_reviewers(kind, state);
    keys_of(&awaited, applicant_district, data)
}

/// Whether the caller may see the application: its applicant, operators, and whoever reviews
/// some stage of its kind (the departments named, the applicant's district).
pub fn visible(c: &Caller, kind: &Kind, app: &Application) -> bool {
    let p = &c.principal;
    if p.org_id == app.applicant_org_id {
        return true;
    }
    // A draft is the applicant's own until it is submitted.
    if app.status == "draft" {
        return false;
    }
    let keys = reviewer_keys(c);
    if keys.iter().any(|k| k == "role:operator") {
        return true;
    }
    let data: Value = serde_json::from_str(&app.data_json).unwrap_or(Value::Null);
    kind.stages.iter().any(|s| {
        let all = keys_of(s.actors(), app.district.as_deref(), &data);
        all.iter().any(|k| keys.contains(k))
    })
}

/// Loads an application the caller may see; 404 otherwise (never a leak).
pub async fn load(
    state: &AppState,
    c: &Caller,
    id: i64,
) -> AppResult<(Application, &'static Kind)> {
    let app = apps::get(&state.db, id)
        .await?
        .ok_or(AppError::NotFound("申报"))?;
    let kind = visible_kind(state, c, &app).await?;
    Ok((app, kind))
}

/// [`load`] with the applicant's name and credit code, read in the same statement.
async fn load_with_applicant(
    state: &AppState,
    c: &Caller,
    id: i64,
) -> AppResult<(apps::WithApplicant, &'static Kind)> {
    let w = apps::get_with_applicant(&state.db, id)
        .await?
        .ok_or(AppError::NotFound("申报"))?;
    let kind = visible_kind(state, c, &w.app).await?;
    Ok((w, kind))
}

/// The application's kind, if the caller may see it; 404 otherwise.
async fn visible_kind(state: &AppState, c: &Caller, app: &Application) -> AppResult<&'static Kind> {
    let kind = kind_for(state, app).await?;
    if !visible(c, kind, app) {
        return Err(AppError::NotFound("申报"));
    }
    Ok(kind)
}

fn actor_of(c: &Caller, app: &Application) -> workflow::Actor {
    let p = &c.principal;
    workflow::Actor {
        role: Role::parse(&p.role).unwrap_or(Role::Enterprise),
        org_id: p.org_id,
        unit_code: p.unit_code.clone(),
        district: p.district.clone(),
        is_applicant: p.org_id == app.applicant_org_id,
    }
}

/// One number a kind's stage takes from a policy parameter, as in force for a case.
pub struct StageLimit {
    /// The stage's name, e.g. 区县初审.
    pub stage: String,
    /// What the number is: 办理时限, 公示期 or 及格分.
    pub what: &'static str,
    /// The parameter's value as used (or why there is none), e.g. `10个工作日`.
    pub value: String,
    /// The parameter: its description's short form and its source.
    pub label: String,
    pub source: String,
    pub verified: bool,
}

/// Every deadline and pass mark of `kind` as in force on `filed` (the case's filing date),
/// each with the parameter it comes from and its source: the explanation of the case's time
/// limits.
pub fn stage_limits(state: &AppState, kind: &Kind, filed: NaiveDate) -> Vec<StageLimit> {
    kind.param_refs()
        .map(|(stage, r, _)| {
            let what = match (&stage.step, r == &stage.deadline) {
                (StepKind::Publicity { .. }, true) => "公示期",
                (_, true) => "办理时限",
                (_, false) => "及格分",
            };
            match state.params.get(r.key(), filed) {
                Ok(used) => StageLimit {
                    stage: stage.name.clone(),
                    what,
                    value: format!("{}{}", used.value, used.unit),
                    label: used.label().to_owned(),
                    source: used.source,
                    verified: used.verified,
                },
                Err(e) => StageLimit {
                    stage: stage.name.clone(),
                    what,
                    value: "无有效值".into(),
                    label: r.key().to_owned(),
                    source: e.to_string(),
                    verified: false,
                },
            }
        })
        .collect()
}

/// The workflow context for a case: today, the applicant's area, the working-day calendar,
/// and the stage parameters (deadlines, pass marks) in force on `filed`, the day the case was
/// filed — so a case keeps the time limits it was filed under when a parameter changes.
fn with_context<T>(
    state: &AppState,
    app: &Application,
    data: &Value,
    today: NaiveDate,
    filed: NaiveDate,
    f: impl FnOnce(&workflow::Context) -> T,
) -> T {
    let add = |d: NaiveDate, n: u32| state.calendar.add_working_days(d, n);
    let param = |key: &str| state.params.integer(key, filed).ok().map(|(v, _)| v);
    f(&workflow::Context {
        today,
        applicant_district: app.district.as_deref(),
        add_working_days: &add,
        param: &param,
        data: Some(data),
    })
}

/// Checks every `org` field's value: an organisation of the field's kind (the bank the
/// applicant chose exists and is a bank). 422 naming the field otherwise.
pub async fn check_org_refs(
    state: &AppState,
    kind: &Kind,
    data: &Map<String, Value>,
) -> AppResult<()> {
    for f in &kind.fields {
        let domain::form::FieldType::Org { org_kind } = f.ty else {
            continue;
        };
        let Some(id) = data.get(&f.name).and_then(Value::as_i64) else {
            continue;
        };
        let ok = orgs::get(&state.db, &Scope::All, id)
            .await?
            .is_some_and(|o| o.kind == org_kind.as_str());
        if !ok {
            return Err(AppError::invalid(
                &f.name,
                format!("{}：所选机构不存在或不是{}", f.label, org_kind.label()),
            ));
        }
    }
    Ok(())
}

/// Checks that every required attachment slot of the kind holds a file (before a submission).
/// 422 naming the empty slots otherwise.
pub async fn check_slots(state: &AppState, kind: &Kind, application_id: i64) -> AppResult<()> {
    let required: Vec<&FieldDef> = kind
        .fields
        .iter()
        .filter(|f| !f.holds_data() && f.is_required())
        .collect();
    if required.is_empty() {
        return Ok(());
    }
    let files = apps::attachments(&state.db, application_id).await?;
    let empty: Vec<&FieldDef> = required
        .into_iter()
        .filter(|f| {
            !files
                .iter()
                .any(|a| a.slot.as_deref() == Some(f.name.as_str()))
        })
        .collect();
    match empty.first() {
        None => Ok(()),
        Some(first) => Err(AppError::invalid(
            &first.name,
            domain::form::unfilled_slots(&empty),
        )),
    }
}

/// The names of the organisations the application's `org` fields name, by field.
pub async fn org_names(
    state: &AppState,
    kind: &Kind,
    data: &Value,
) -> AppResult<std::collections::HashMap<String, String>> {
    let mut out = std::collections::HashMap::new();
    for f in &kind.fields {
        if !matches!(f.ty, domain::form::FieldType::Org { .. }) {
            continue;
        }
        if let Some(id) = data.get(&f.name).and_then(Value::as_i64)
            && let Some(o) = orgs::get(&state.db, &Scope::All, id).await?
        {
            out.insert(f.name.clone(), o.name);
        }
    }
    Ok(out)
}

/// Creates a draft for the caller's organisation.
pub async fn create_draft(
    state: &AppState,
    c: &Caller,
    kind_code: &str,
    data: Map<String, Value>,
) -> AppResult<Application> {
    let kind = kind_of(kind_code)?;
    let p = &c.principal;
    if !domain::orgs::OrgKind::parse(&p.org_kind).is_some_and(|k| kind.accepts(k)) {
        return Err(AppError::Forbidden);
    }
    let org = orgs::get(&state.db, &Scope::All, p.org_id)
        .await?
        .ok_or(AppError::NotFound("机构"))?;
    let year = data.get("year").and_then(Value::as_i64);
    check_org_refs(state, kind, &data).await?;
    check_can_open(state, org.id, kind, year).await?;
    let title = match year {
        Some(y) => format!("{}（{}年度）", kind.title, y),
        None => kind.title.clone(),
    };
    let mut tx = state.db.begin().await?;
    let app = apps::create(
        &mut tx,
        &c.actor(),
        &NewApplication {
            kind: kind.code.clone(),
            applicant_org_id: org.id,
            district: org.district.clone(),
            title,
            year,
            status: "draft".into(),
            state_json: serde_json::to_string(&workflow::new_draft()).unwrap_or_default(),
            data_json: Value::Object(data).to_string(),
        },
    )
    .await?;
    let parties = parties_of(
        kind,
        &serde_json::from_str(&app.data_json).unwrap_or(Value::Null),
    );
    if !parties.is_empty() {
        apps::set_parties(&mut tx, app.id, &parties).await?;
    }
    tx.commit().await?;
    Ok(app)
}

/// Whether the organisation may open an application of `kind` (for `year`, where the kind has
/// one), checked for every kind at creation: the kind it requires is approved; no open
/// application of the kind (for that year) exists — a correction is that application,
/// returned and resubmitted; a year already approved is not claimed twice; and a kind that
/// grants a status (one another kind requires) is not applied for again while it, or the
/// status that supersedes it, is held. Refusals are 409 and name what exists.
pub async fn check_can_open(
    state: &AppState,
    org_id: i64,
    kind: &Kind,
    year: Option<i64>,
) -> AppResult<()> {
    use workflow::Status;
    let status_of = |a: &Application| Status::parse(&a.status);
    let open = |s: Option<Status>| {
        matches!(
            s,
            Some(Status::Draft | Status::InReview | Status::Returned | Status::Publicity)
        )
    };
    let mine = apps::of_org(&state.db, org_id, &kind.code, None).await?;
    let same_year = |a: &Application| year.is_none() || a.year == year;
    if let Some(a) = mine.iter().find(|a| same_year(a) && open(status_of(a))) {
        return Err(AppError::Conflict(format!(
            "已有一份“{}”（编号 {}，{}），请在原申报上修改或撤回后再新建",
            a.title,
            a.id,
            status_of(a).map_or("处理中", |s| s.label())
        )));
    }
    if let Some(y) = year
        && let Some(a) = mine
            .iter()
            .find(|a| a.year == Some(y) && status_of(a) == Some(Status::Approved))
    {
        return Err(AppError::Conflict(format!(
            "{y}年度的“{}”已审核通过（编号 {}），同一年度不能重复申报",
            kind.title, a.id
        )));
    }
    let grants_status = workflow::kinds()
        .iter()
        .filter(|k| k.requires.as_deref() == Some(kind.code.as_str()))
        .collect::<Vec<_>>();
    if !grants_status.is_empty() {
        // The certification is held while one of its periods is in force: once it lapsed
        // (no re-evaluation in time) or was revoked, the enterprise applies anew.
        if kind.code == "enterprise_certification" {
            let today = domain::calendar::today_shanghai();
            if let Some(p) = certified_periods(state, org_id)
                .await?
                .into_iter()
                .find(|p| p.covers(today))
            {
                return Err(AppError::Conflict(format!(
                    "已取得“{}”，有效期至{}，无需重复申报；有效期届满前请申请复核评价",
                    kind.title,
                    workflow::zh_date(p.until)
                )));
            }
        } else if let Some(a) = mine.iter().find(|a| status_of(a) == Some(Status::Approved)) {
            return Err(AppError::Conflict(format!(
                "已取得“{}”（编号 {}），无需重复申报",
                kind.title, a.id
            )));
        }
        for next in grants_status {
            // A status that requires this one supersedes it (a certified enterprise is past
            // the cultivation database).
            if next.requires.is_some()
                && workflow::kinds()
                    .iter()
                    .any(|k| k.requires.as_deref() == Some(next.code.as_str()))
                && !apps::of_org(&state.db, org_id, &next.code, Some("approved"))
                    .await?
                    .is_empty()
            {
                return Err(AppError::Conflict(format!(
                    "已取得“{}”，无需再申报“{}”",
                    next.title, kind.title
                )));
            }
        }
    }
    if let Some(req) = &kind.requires
        && !requirement_held(state, org_id, req).await?
    {
        let title = workflow::kind(req).map_or(req.as_str(), |k| k.title.as_str());
        return Err(AppError::Conflict(format!(
            "须先取得“{title}”的批准，才能申报“{}”",
            kind.title
        )));
    }
    check_requirement_in_force(state, org_id, kind).await
}

/// Whether the organisation holds what kind `req` grants: for a kind whose approval adds it
/// to a register of one entry per organisation (the certified list), an entry there not ended
/// (entries imported for decisions taken before the platform count too); otherwise an
/// approved application of the kind.
pub async fn requirement_held(state: &AppState, org_id: i64, req: &str) -> AppResult<bool> {
    if let Some(register) = granting_register(req) {
        let f = store::registers::Filter {
            owner_org_id: Some(org_id),
            ..Default::default()
        };
        let reader = store::registers::Reader {
            scope: Scope::All,
            public: true,
        };
        let entries = store::registers::export(&state.db, register, &reader, &f, 10).await?;
        return Ok(entries.iter().any(|e| e.status != "ended"));
    }
    Ok(!apps::of_org(&state.db, org_id, req, Some("approved"))
        .await?
        .is_empty())
}

/// The owner-keyed register kind `code`'s approval adds its applicant to, if any.
fn granting_register(code: &str) -> Option<&'static str> {
    let kind = workflow::kind(code)?;
    kind.effects.iter().find_map(|e| {
        let r = workflow::register(&e.register)?;
        (e.on == workflow::Trigger::Approved
            && e.action == workflow::EffectAction::Add
            && r.key == workflow::EntryKey::Owner)
            .then_some(r.code.as_str())
    })
}

/// For kinds whose prerequisite must be in force (`requires_valid`): the certification the
/// applicant holds covers today — a lapsed or revoked one does not count.
async fn check_requirement_in_force(state: &AppState, org_id: i64, kind: &Kind) -> AppResult<()> {
    if !kind.requires_valid || kind.requires.as_deref() != Some("enterprise_certification") {
        return Ok(());
    }
    let today = domain::calendar::today_shanghai();
    let periods = certified_periods(state, org_id).await?;
    if periods.iter().any(|p| p.covers(today)) {
        return Ok(());
    }
    let ended = periods
        .last()
        .map(|p| format!("（已于{}失效）", workflow::zh_date(p.until)))
        .unwrap_or_default();
    Err(AppError::Conflict(format!(
        "产教融合型企业认定不在有效期内{ended}，不能申报“{}”",
        kind.title
    )))
}

/// The data the platform gives a rule (`platform:<source>` in a kind's `[rule_inputs]`).
pub const PLATFORM_INPUTS: &[(&str, &str)] = &[
    ("filing_date", "申报日期（提交日）"),
    (
        "registered_in_chongqing",
        "统一社会信用代码的登记管理机关在重庆市",
    ),
    (
        "tax_ledger_years",
        "企业的投资抵免台账（各年度已核定的申报，及当年是否在认定有效期内）",
    ),
];

/// The input names of a rule (the properties of its input schema), read once per rule.
fn rule_input_names(rule: &str) -> AppResult<&'static [String]> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static NAMES: OnceLock<Mutex<HashMap<String, &'static [String]>>> = OnceLock::new();
    let cache = NAMES.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(n) = cache.lock().ok().and_then(|m| m.get(rule).copied()) {
        return Ok(n);
    }
    let schema = policy::input_schema(rule)
        .ok_or_else(|| AppError::Internal(format!("未知的规则“{rule}”")))?;
    let names: Vec<String> = schema["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    let names: &'static [String] = Box::leak(names.into_boxed_slice());
    if let Ok(mut m) = cache.lock() {
        m.insert(rule.to_owned(), names);
    }
    Ok(names)
}

/// The value of platform input `source` for application `app` filed on `filed`;
/// `applicant_code`, when the caller has read it already, is the applicant's credit code.
async fn platform_input(
    state: &AppState,
    source: &str,
    app: &Application,
    applicant_code: Option<&str>,
    data: &Value,
    filed: NaiveDate,
) -> AppResult<Value> {
    Ok(match source {
        "filing_date" => json!(filed.format("%Y-%m-%d").to_string()),
        // The registration authority's division code is the credit code's 3rd–8th characters.
        "registered_in_chongqing" => {
            let code = match applicant_code {
                Some(c) => c.to_string(),
                None => orgs::get(&state.db, &Scope::All, app.applicant_org_id)
                    .await?
                    .map(|o| o.code)
                    .unwrap_or_default(),
            };
            json!(code.get(2..4) == Some("50"))
        }
        "tax_ledger_years" => {
            crate::features::tax::ledger_input(state, app.applicant_org_id, Some((app.id, data)))
                .await?["years"]
                .take()
        }
        other => return Err(AppError::Internal(format!("未知的平台数据“{other}”"))),
    })
}

/// Runs the kind's policy rule on the application's data, as of `today`: each input of the
/// rule from where the kind's `[rule_inputs]` says, else from the field of the same name.
pub async fn evaluate_rule(
    state: &AppState,
    kind: &Kind,
    app: &Application,
    data: &Value,
    today: NaiveDate,
) -> AppResult<Option<Value>> {
    evaluate_rule_for(state, kind, app, None, data, today).await
}

/// [`evaluate_rule`], with the applicant's credit code when the caller has read it already.
async fn evaluate_rule_for(
    state: &AppState,
    kind: &Kind,
    app: &Application,
    applicant_code: Option<&str>,
    data: &Value,
    today: NaiveDate,
) -> AppResult<Option<Value>> {
    let Some(rule) = &kind.rule else {
        return Ok(None);
    };
    let mut m = Map::new();
    for name in rule_input_names(rule)? {
        let v = match kind.input_source(name) {
            Some(workflow::InputSource::Platform(src)) => {
                platform_input(state, src, app, applicant_code, data, today).await?
            }
            Some(workflow::InputSource::Field(f)) => match data.get(f) {
                Some(v) => v.clone(),
                None => continue,
            },
            None => match data.get(name) {
                Some(v) => v.clone(),
                None => continue,
            },
        };
        m.insert(name.clone(), v);
    }
    let input = Value::Object(m);
    // A case dated before (or after) the policy's parameters is not bad input: the policy
    // does not apply to it, and the applicant is told why.
    let d =
        policy::evaluate(rule, &input.to_string(), &state.params, true).map_err(|e| match e {
            policy::EvalError::Rule(policy::RuleError::Param(
                p @ policy::params::ParamError::NoValue { .. },
            )) => AppError::Conflict(format!("本申报的年度或日期不在政策施行期内：{p}")),
            other => other.into(),
        })?;
    Ok(Some(d))
}

/// The last day a certification (or a re-evaluation) granted on `granted` is valid:
/// `certification.validity_years` later (the value in force at the grant date), less a day.
pub fn certification_valid_until(state: &AppState, granted: NaiveDate) -> Option<NaiveDate> {
    crate::features::registers::valid_until(state, "certification.validity_years", granted)
}

pub use crate::features::registers::{CertifiedPeriod, certified_periods};

fn comment_of(a: &Action) -> Option<String> {
    match a {
        Action::Approve { comment } | Action::Score { comment, .. } => comment.clone(),
        Action::Reject { reason } | Action::Revoke { reason } | Action::Correct { reason } => {
            Some(reason.clone())
        }
        Action::Return { comment } | Action::ResolveObjection { comment, .. } => {
            Some(comment.clone())
        }
        Action::Object { text } => Some(text.clone()),
        _ => None,
    }
}

/// Performs `action` on application `id` as read at `version`.
pub async fn act(
    state: &AppState,
    c: &Caller,
    id: i64,
    version: i64,
    action: Action,
    new_data: Option<Map<String, Value>>,
) -> AppResult<Application> {
    if new_data.is_some() && !matches!(action, Action::Submit | Action::Resubmit) {
        return Err(AppError::invalid(
            "data",
            "只有提交或重新提交时可以修改申报内容",
        ));
    }
    let (
        apps::WithApplicant {
            app,
            applicant_name,
            applicant_code,
        },
        kind,
    ) = load_with_applicant(state, c, id).await?;
    let current: State =
        serde_json::from_str(&app.state_json).map_err(|e| AppError::Internal(e.to_string()))?;
    // A repeated submission (double click, retried request) answers with what it did.
    if matches!(action, Action::Submit)
        && version.checked_add(1) == Some(app.version)
        && current.status != Status::Draft
    {
        return Ok(app);
    }
    if app.version != version {
        return Err(AppError::Conflict(
            "该申报已被他人处理或修改，请刷新后查看最新状态再操作".into(),
        ));
    }
    let today = domain::calendar::today_shanghai();
    let actor = actor_of(c, &app);
    if matches!(action, Action::Submit | Action::Resubmit)
        && let Some(req) = &kind.requires
    {
        if !requirement_held(state, app.applicant_org_id, req).await? {
            let title = workflow::kind(req)
                .map(|k| k.title.clone())
                .unwrap_or_else(|| req.clone());
            return Err(AppError::Conflict(format!(
                "须先取得“{title}”的批准，才能提交本申报"
            )));
        }
        check_requirement_in_force(state, app.applicant_org_id, kind).await?;
    }
    if let Some(m) = &new_data {
        check_org_refs(state, kind, m).await?;
    }
    if matches!(action, Action::Submit | Action::Resubmit) {
        check_slots(state, kind, app.id).await?;
    }
    let filed = application_date(&app, &action, today);
    let data_value: Value = match &new_data {
        Some(m) => Value::Object(m.clone()),
        None => serde_json::from_str(&app.data_json).unwrap_or(Value::Null),
    };
    let t = with_context(state, &app, &data_value, today, filed, |ctx| {
        workflow::apply(kind, &current, &action, &actor, ctx)
    })
    .map_err(|e| AppError::Conflict(e.to_string()))?;
    let runs_rule = matches!(
        action,
        Action::Submit | Action::Resubmit | Action::Approve { .. } | Action::Score { .. }
    );
    // Reviewers read who applied and for what: “重庆某某有限公司的产教融合型企业认定申报待您处理”;
    // the rule may read the applicant's credit code (read with the application).
    let decision = if runs_rule {
        evaluate_rule_for(
            state,
            kind,
            &app,
            Some(applicant_code.as_deref().unwrap_or_default()),
            &data_value,
            application_date(&app, &action, today),
        )
        .await?
    } else {
        None
    };
    // A resubmission's history line says what changed (a correction keeps its history).
    let mut summary = t.summary.clone();
    if matches!(action, Action::Submit | Action::Resubmit)
        && let Some(m) = &new_data
    {
        let before: Value = serde_json::from_str(&app.data_json).unwrap_or(Value::Null);
        let changes = data_changes(&kind.code, &before, &Value::Object(m.clone()));
        if !changes.is_empty() && current.status == Status::Returned {
            summary.push_str(&format!("；修改：{}", changes.join("；")));
        }
    }
    let new_state = &t.state;
    let stage_def = kind.stage(new_state.stage);
    let in_flow = matches!(
        new_state.status,
        Status::InReview | Status::Publicity | Status::Returned
    );
    let pending = pending_keys(kind, new_state, app.district.as_deref(), &data_value);
    let mut notify: Vec<(Recipient, String)> = vec![(
        Recipient::Org(app.applicant_org_id),
        format!("{}：{}", app.title, t.summary),
    )];
    let applicant = applicant_name.unwrap_or_default();
    for k in &pending {
        let stage_name = stage_def.map(|s| s.name.clone()).unwrap_or_default();
        notify.push((
            Recipient::Reviewer(k.clone()),
            format!(
                "{applicant}的“{}”待您处理（{}，编号 {}）",
                app.title, stage_name, app.id
            ),
        ));
    }
    // A decision's effects on registers go in the same transaction.
    let trigger = match new_state.status {
        _ if new_state.status == current.status => None,
        Status::Approved => Some(workflow::Trigger::Approved),
        Status::Rejected => Some(workflow::Trigger::Rejected),
        Status::Revoked => Some(workflow::Trigger::Revoked),
        _ => None,
    };
    let effects = match trigger {
        Some(t) => crate::features::registers::effects_for(
            state,
            kind,
            &app,
            &data_value,
            t,
            today,
            &applicant,
        )?,
        None => Vec::new(),
    };
    let change = Change {
        id: app.id,
        expected_version: version,
        action: action.kind().as_str().to_string(),
        summary,
        comment: comment_of(&action),
        from_status: app.status.clone(),
        status: new_state.status.as_str().to_string(),
        stage: new_state.stage as i64,
        stage_code: if in_flow {
            stage_def.map(|s| s.code.clone())
        } else {
            None
        },
        due_date: if in_flow {
            new_state.due.map(|d| d.format("%Y-%m-%d").to_string())
        } else {
            None
        },
        state_json: serde_json::to_string(new_state).unwrap_or_default(),
        data_json: new_data
            .as_ref()
            .map(|m| Value::Object(m.clone()).to_string()),
        // Unchanged explanations are not rewritten (reviews re-run the rule on the same data).
        decision_json: decision
            .map(|d| d.to_string())
            .filter(|d| app.decision_json.as_deref() != Some(d.as_str())),
        submitted: matches!(action, Action::Submit),
        decided: matches!(
            new_state.status,
            Status::Approved | Status::Rejected | Status::Revoked
        ),
        pending,
        notify,
        effects,
        parties: new_data
            .as_ref()
            .map(|m| parties_of(kind, &Value::Object(m.clone()))),
    };
    apps::commit_change(&state.db, &c.actor(), change)
        .await
        .map_err(|e| match e {
            store::StoreError::Conflict => {
                AppError::Conflict("该申报已被他人处理或修改，请刷新后查看最新状态再操作".into())
            }
            other => other.into(),
        })
}

/// The date a rule judges the application as of: the day it was submitted (today, when it is
/// being submitted), whatever day a review or a resubmission after 退回修改 falls on. The
/// standard in force and the enterprise's years are those of the application date, so every
/// review sees the same explanation the submission did unless the data changed.
fn application_date(app: &Application, action: &Action, today: NaiveDate) -> NaiveDate {
    match action {
        Action::Submit => today,
        _ => filed_on(app, today),
    }
}

/// The day the case was filed (first submitted, Shanghai time); `today` for a draft.
pub fn filed_on(app: &Application, today: NaiveDate) -> NaiveDate {
    app.submitted_at
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map_or(today, domain::calendar::shanghai_date)
}

/// Updates a draft's or a returned application's data (applicant only).
pub async fn save_data(
    state: &AppState,
    c: &Caller,
    id: i64,
    version: i64,
    data: Map<String, Value>,
) -> AppResult<Application> {
    let (app, kind) = load(state, c, id).await?;
    if app.applicant_org_id != c.principal.org_id {
        return Err(AppError::Forbidden);
    }
    check_org_refs(state, kind, &data).await?;
    if !matches!(app.status.as_str(), "draft" | "returned") {
        return Err(AppError::Conflict(
            "只有草稿或退回修改的申报可以修改".into(),
        ));
    }
    // Once reviewed (returned, or reopened for correction), each save says what changed, so
    // the history keeps every version's figures.
    let mut summary = "保存申报内容".to_owned();
    if app.status == "returned" {
        let before: Value = serde_json::from_str(&app.data_json).unwrap_or(Value::Null);
        let changes = data_changes(&app.kind, &before, &Value::Object(data.clone()));
        if !changes.is_empty() {
            summary.push_str(&format!("；修改：{}", changes.join("；")));
        }
    }
    let change = Change {
        id: app.id,
        expected_version: version,
        action: "save".into(),
        summary,
        comment: None,
        from_status: app.status.clone(),
        status: app.status.clone(),
        stage: app.stage,
        stage_code: app.stage_code.clone(),
        due_date: app.due_date.clone(),
        state_json: app.state_json.clone(),
        data_json: Some(Value::Object(data.clone()).to_string()),
        decision_json: None,
        submitted: false,
        decided: false,
        pending: Vec::new(),
        notify: Vec::new(),
        effects: Vec::new(),
        parties: Some(parties_of(kind, &Value::Object(data.clone()))),
    };
    apps::commit_change(&state.db, &c.actor(), change)
        .await
        .map_err(|e| match e {
            store::StoreError::Conflict => {
                AppError::Conflict("该申报已被他人修改，请刷新后重试".into())
            }
            other => other.into(),
        })
}

/// Checks and stores an attachment (applicant only, while the application can be edited),
/// into `slot` when given: the slot must take the file's type (as recognised by content).
pub async fn store_attachment(
    state: &AppState,
    c: &Caller,
    app: &apps::Application,
    slot: Option<&domain::form::FieldDef>,
    filename: &str,
    bytes: &[u8],
) -> Result<apps::Attachment, AppError> {
    if app.applicant_org_id != c.principal.org_id {
        return Err(AppError::Forbidden);
    }
    if !matches!(app.status.as_str(), "draft" | "returned") {
        return Err(AppError::Conflict(
            "只有草稿或退回修改的申报可以上传附件".into(),
        ));
    }
    let ct = sniff(bytes)?;
    if let Some(s) = slot {
        s.accepts_file(ct)
            .map_err(|m| AppError::invalid(&s.name, m))?;
    }
    let mut tx = state.db.begin().await?;
    let a = apps::add_attachment(
        &mut tx,
        &c.actor(),
        app.id,
        slot.map(|s| s.name.as_str()),
        filename,
        ct,
        bytes,
    )
    .await?;
    tx.commit().await?;
    Ok(a)
}

/// Checks an attachment by its content: PDF, PNG, JPEG or XLSX, within the size limit.
/// Returns the content type.
pub fn sniff(bytes: &[u8]) -> Result<&'static str, AppError> {
    if bytes.is_empty() {
        return Err(AppError::invalid("file", "附件为空"));
    }
    if bytes.len() > MAX_ATTACHMENT {
        return Err(AppError::invalid(
            "file",
            format!("附件超过{}MB上限", MAX_ATTACHMENT / 1024 / 1024),
        ));
    }
    if bytes.starts_with(b"%PDF-") {
        Ok("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok("image/jpeg")
    } else if bytes.starts_with(b"PK\x03\x04") && bytes.windows(3).any(|w| w == b"xl/") {
        Ok("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    } else {
        Err(AppError::invalid(
            "file",
            "附件类型不支持：只接受 PDF、PNG、JPEG 图片或 XLSX 表格（按文件内容识别）",
        ))
    }
}

/// Whether a stage is one the caller acts in (for showing buttons).
pub fn can_act(state: &AppState, c: &Caller, kind: &Kind, app: &Application) -> bool {
    let Ok(current) = serde_json::from_str::<State>(&app.state_json) else {
        return false;
    };
    let today = domain::calendar::today_shanghai();
    let data: Value = serde_json::from_str(&app.data_json).unwrap_or(Value::Null);
    with_context(state, app, &data, today, filed_on(app, today), |ctx| {
        workflow::may_act_on(kind, &current, &actor_of(c, app), ctx)
    })
}

/// The actions the caller may take on the application now: exactly those [`act`] would
/// accept (the pure workflow's `allowed_actions` under the same context), so a page never
/// offers what the state refuses.
pub fn allowed_actions(
    state: &AppState,
    c: &Caller,
    kind: &Kind,
    app: &Application,
) -> Vec<workflow::ActionKind> {
    let Ok(current) = serde_json::from_str::<State>(&app.state_json) else {
        return Vec::new();
    };
    let today = domain::calendar::today_shanghai();
    let data: Value = serde_json::from_str(&app.data_json).unwrap_or(Value::Null);
    with_context(state, app, &data, today, filed_on(app, today), |ctx| {
        workflow::allowed_actions(kind, &current, &actor_of(c, app), ctx)
    })
}

/// The stage's step kind, for choosing which buttons to show.
pub fn step_of(kind: &Kind, app: &Application) -> Option<&'static str> {
    let s = kind.stage(app.stage as usize)?;
    Some(match s.step {
        StepKind::Review { .. } => "review",
        StepKind::Scoring { .. } => "scoring",
        StepKind::Publicity { .. } => "publicity",
    })
}

/// Reads API data (typed JSON: money in fen) for a kind; unknown fields are refused.
pub fn parse_json_data(
    kind: &str,
    data: &Map<String, Value>,
) -> Result<Map<String, Value>, AppError> {
    let fs = fields(kind);
    if let Some(k) = data.keys().find(|k| !fs.iter().any(|f| &f.name == *k)) {
        return Err(AppError::invalid(
            &format!("data.{k}"),
            format!("不认识的字段 {k}"),
        ));
    }
    let mut out = Map::new();
    for f in fs {
        // An attachment slot is filled by uploading a file, never through the data.
        if !f.holds_data() && !data.contains_key(&f.name) {
            continue;
        }
        let v = f
            .from_json(data.get(&f.name).unwrap_or(&Value::Null))
            .map_err(|m| AppError::invalid(&format!("data.{}", f.name), m))?;
        out.insert(f.name.clone(), v);
    }
    Ok(out)
}

/// Reads an action from the fields of a page's form or of the API's JSON body (given as
/// text).
pub fn parse_action(
    code: &str,
    text: Option<&str>,
    score: Option<&str>,
    objection: Option<&str>,
    upheld: Option<&str>,
) -> Result<Action, AppError> {
    let text = match text.map(|t| domain::text::Bounds::new(0, TEXT_MAX).check(t)) {
        Some(Err(e)) => return Err(AppError::invalid("text", format!("意见{}", e.message()))),
        Some(Ok(t)) if !t.is_empty() => Some(t.to_string()),
        _ => None,
    };
    let need = |what: &str| {
        text.clone()
            .ok_or_else(|| AppError::invalid("text", format!("请填写{what}")))
    };
    Ok(match code {
        "submit" => Action::Submit,
        "withdraw" => Action::Withdraw,
        "resubmit" => Action::Resubmit,
        "approve" => Action::Approve { comment: text },
        "reject" => Action::Reject {
            reason: need("不通过理由")?,
        },
        "return" => Action::Return {
            comment: need("退回意见")?,
        },
        "revoke" => Action::Revoke {
            reason: need("撤销理由")?,
        },
        "correct" => Action::Correct {
            reason: need("更正原因")?,
        },
        "object" => Action::Object {
            text: need("异议内容")?,
        },
        "conclude_publicity" => Action::ConcludePublicity,
        "score" => Action::Score {
            score: score
                .and_then(|s| s.trim().parse().ok())
                .filter(|s| *s <= MAX_SCORE)
                .ok_or_else(|| {
                    AppError::invalid("score", format!("评分应为0—{}的整数", MAX_SCORE))
                })?,
            comment: text,
        },
        "resolve_objection" => Action::ResolveObjection {
            id: objection
                .and_then(|s| s.trim().parse().ok())
                .ok_or_else(|| AppError::invalid("objection", "请填写异议编号"))?,
            upheld: upheld == Some("1") || upheld == Some("true"),
            comment: need("处理意见")?,
        },
        other => return Err(AppError::invalid("action", format!("未知的操作“{other}”"))),
    })
}

/// Filters of the list of applications, the pages' and the API's. All optional; on the pages
/// blank values are ignored (the API refuses them: absent means "no filter").
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationQuery {
    /// Kind of application (申报事项)
    #[param(schema_with = api::kind_param)]
    pub kind: Option<String>,
    /// Code of the current stage (the same code in several kinds selects it in each)
    #[param(schema_with = api::stage_param)]
    pub stage: Option<String>,
    /// Status
    #[param(schema_with = api::status_param)]
    pub status: Option<String>,
    /// The applicant's division code, e.g. 500103
    #[param(schema_with = api::district_param)]
    pub district: Option<String>,
    /// The application's year: the year it is for (tax-credit claims), else the year it was
    /// created (Beijing time)
    #[param(schema_with = api::year_param)]
    pub year: Option<String>,
    /// `true`: only applications in review past their stage's deadline; `false`: only the
    /// others
    #[param(value_type = Option<bool>)]
    pub overdue: Option<String>,
    /// Part of the applicant organisation's name or of the application's title (at most 50
    /// characters are read)
    pub q: Option<String>,
    /// Page number, from 1.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub page: Option<String>,
    /// Items per page (at most 200; more is read as 200).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub per_page: Option<String>,
}

/// The stage codes of the shipped kinds, each once in the order they first appear, with their
/// names (joined when kinds name the same code differently).
pub fn stages() -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for s in domain::workflow::kinds().iter().flat_map(|k| &k.stages) {
        match out.iter_mut().find(|(c, _)| *c == s.code) {
            Some((_, names)) if !names.contains(&s.name.as_str()) => names.push(&s.name),
            Some(_) => {}
            None => out.push((&s.code, vec![&s.name])),
        }
    }
    out.into_iter().map(|(c, ns)| (c, ns.join("／"))).collect()
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref()
        .map(domain::text::trim)
        .filter(|s| !s.is_empty())
}

impl ApplicationQuery {
    /// The store's filter, every value checked: an unknown one is refused naming its
    /// parameter. Overdue is judged on `today`.
    pub fn filter(&self, today: chrono::NaiveDate) -> AppResult<apps::Filter> {
        use domain::workflow::Status;
        let unknown = |field: &str, what: &str, v: &str| {
            AppError::invalid(field, format!("参数 {field} 的值“{v}”不是已知的{what}"))
        };
        let kind = match nonempty(&self.kind) {
            None => None,
            Some(k) => Some(
                domain::workflow::kind(k)
                    .ok_or_else(|| unknown("kind", "申报事项", k))?
                    .code
                    .clone(),
            ),
        };
        let status = match nonempty(&self.status) {
            None => None,
            Some(v) => Some(
                Status::ALL
                    .into_iter()
                    .find(|s| s.as_str() == v)
                    .ok_or_else(|| unknown("status", "申报状态", v))?
                    .as_str()
                    .to_string(),
            ),
        };
        let stage = match nonempty(&self.stage) {
            None => None,
            Some(v) => Some(
                stages()
                    .into_iter()
                    .find(|(c, _)| *c == v)
                    .ok_or_else(|| unknown("stage", "审核阶段", v))?
                    .0
                    .to_string(),
            ),
        };
        let district = match nonempty(&self.district) {
            None => None,
            Some(v) => Some(
                domain::reference::area(v)
                    .ok_or_else(|| unknown("district", "区县代码", v))?
                    .code
                    .to_string(),
            ),
        };
        let year = crate::api::query_year(&self.year)?;
        let overdue = match nonempty(&self.overdue) {
            None => None,
            Some("true" | "1") => Some(true),
            Some("false" | "0") => Some(false),
            Some(v) => {
                return Err(AppError::invalid(
                    "overdue",
                    format!("参数 overdue 的值“{v}”应为 true 或 false"),
                ));
            }
        };
        let q = nonempty(&self.q).map(|s| s.chars().take(50).collect());
        Ok(apps::Filter {
            kind,
            status,
            stage,
            district,
            year,
            overdue,
            today: Some(today),
            q,
            ..Default::default()
        })
    }

    pub fn paging(&self) -> AppResult<store::Paging> {
        crate::api::query_paging(&self.page, &self.per_page)
    }
}

/// Counts by status, every status present (zero where none).
pub fn status_totals(totals: &[(String, i64)]) -> std::collections::BTreeMap<String, i64> {
    domain::workflow::Status::ALL
        .iter()
        .map(|s| {
            let n = totals
                .iter()
                .find(|(t, _)| t == s.as_str())
                .map_or(0, |(_, n)| *n);
            (s.as_str().to_string(), n)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn shipped_kinds_fit_the_shipped_policy() {
        let params = policy::ParamSet::embedded().unwrap();
        assert_eq!(super::check_kinds(&params), Ok(()));
    }

    /// Money fields hold what the policy crate's money does.
    #[test]
    fn money_fields_share_the_policy_bound() {
        assert_eq!(super::MONEY_MAX_FEN, policy::money::MAX_FEN);
    }
}
