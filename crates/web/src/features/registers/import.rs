//! Entering a register's entries from a file: the units a register names as `editors` (and
//! the operator) import its entries — an owner by credit code, the validity, the entry's own
//! fields — through the shared import (template, row report with cell references). A file
//! with any problem writes nothing; a clean one writes every row in one transaction, each with
//! its history line. Importing an owner's (or a reference's) entry again renews it.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use chrono::NaiveDate;
use domain::form::{FieldDef, FieldType};
use domain::orgs::Role;
use domain::workflow::{EntryKey, Register};
use serde_json::{Map, Value};
use store::Actor;
use store::registers::EntryWrite;
use tabular::{Column, Problem, Report, Schema};

use crate::AppState;
use crate::auth::Caller;
use crate::error::AppResult;

/// The import's limits: a register's list is thousands of rows at most.
pub const IMPORT: crate::import::ImportKind = crate::import::ImportKind {
    max_file: 10 * 1024 * 1024,
    limits: tabular::Limits::STANDARD,
};

/// Whether `c` may enter and import entries of `r`: a register with editors takes them from
/// those units' users and the operator; one without takes entries from decisions only.
pub fn may_edit(c: &Caller, r: &Register) -> bool {
    if r.editors.is_empty() {
        return false;
    }
    let p = &c.principal;
    p.role == Role::Operator.as_str()
        || (p.role == Role::Department.as_str()
            && p.unit_code
                .as_deref()
                .is_some_and(|u| r.editors.iter().any(|e| e == u)))
}

/// The fields a file can carry: single values (not rows, files or organisations chosen in a
/// form).
fn importable(f: &FieldDef) -> bool {
    !matches!(
        f.ty,
        FieldType::Group { .. } | FieldType::Attachment { .. } | FieldType::Org { .. }
    )
}

fn example(f: &FieldDef) -> &'static str {
    match &f.ty {
        FieldType::Bool => "是",
        FieldType::Integer { .. } => "12",
        FieldType::Money => "1000000.00",
        FieldType::Percent => "12.5",
        FieldType::Year => "2026",
        FieldType::Date => "2026-03-31",
        FieldType::District => "500103",
        FieldType::Major => "510201",
        FieldType::Occupation => "2-02-10-03",
        FieldType::CreditCode => "91500103MA5U70009B",
        _ => "",
    }
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// The import schema of `r`: owner, (reference), validity, then its importable fields; made
/// once per register and kept.
pub fn schema_of(r: &'static Register) -> &'static Schema {
    static SCHEMAS: OnceLock<Mutex<HashMap<&'static str, &'static Schema>>> = OnceLock::new();
    let cache = SCHEMAS.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(s) = cache
        .lock()
        .ok()
        .and_then(|m| m.get(r.code.as_str()).copied())
    {
        return s;
    }
    let mut columns = vec![Column {
        key: "owner_code",
        header: "所属机构统一社会信用代码",
        aliases: &[],
        required: true,
        example: "91500103MA5U70009B",
    }];
    if r.key == EntryKey::Application {
        columns.push(Column {
            key: "reference",
            header: "编号",
            aliases: &[],
            required: true,
            example: "2026-001",
        });
    }
    columns.push(Column {
        key: "valid_from",
        header: "生效日期",
        aliases: &[],
        required: true,
        example: "2024-03-01",
    });
    columns.push(Column {
        key: "valid_until",
        header: "有效期至",
        aliases: &[],
        required: false,
        example: "2027-02-28",
    });
    for f in entry_fields(r) {
        columns.push(Column {
            key: leak(f.name.clone()),
            header: leak(f.label.clone()),
            aliases: &[],
            required: f.is_required(),
            example: example(f),
        });
    }
    let sheet: String = r.title.chars().take(31).collect();
    let schema: &'static Schema = Box::leak(Box::new(Schema {
        sheet: leak(sheet),
        columns: Box::leak(columns.into_boxed_slice()),
    }));
    if let Ok(mut m) = cache.lock() {
        m.insert(leak(r.code.clone()), schema);
    }
    schema
}

/// An entry as read: the owner's code, the reference, the validity and the data.
pub struct Parsed {
    owner_code: String,
    reference: Option<String>,
    from: NaiveDate,
    until: Option<NaiveDate>,
    data: Map<String, Value>,
}

fn date(raw: &str, label: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{label}“{}”不是有效日期（如 2026-03-31）", raw.trim()))
}

/// Reads one entry of `r` from its values by column key (`owner_code`, `reference`,
/// `valid_from`, `valid_until` and the register's field names; a missing key reads as blank):
/// a file's row, a form or an API request. Problems name their column key.
pub fn parse_entry<'a>(
    r: &'static Register,
    get: impl Fn(&str) -> &'a str,
) -> Result<Parsed, Vec<(&'static str, String)>> {
    parse_with(r, &get, |f| {
        let raw = get(&f.name).trim();
        // An option may be written as its Chinese label.
        let raw = match &f.ty {
            FieldType::Enum { options } => options
                .iter()
                .find(|(_, l)| l == raw)
                .map_or(raw, |(c, _)| c.as_str()),
            FieldType::Bool => match raw {
                "是" => "1",
                "否" => "0",
                other => other,
            },
            _ => raw,
        };
        f.from_form(raw)
    })
}

/// An entry from an API request: the fixed columns as text, the fields' values in `data` as
/// stored (money in fen, percentages in hundredths, as the register's list gives them back).
pub fn parse_json_entry<'a>(
    r: &'static Register,
    get: impl Fn(&str) -> &'a str,
    data: &Map<String, Value>,
) -> Result<Parsed, Vec<(&'static str, String)>> {
    parse_with(r, &get, |f| {
        f.from_json(data.get(&f.name).unwrap_or(&Value::Null))
    })
}

/// The fields of `r` an entry carries (not files, rows or organisations chosen in a form).
pub fn entry_fields(r: &Register) -> impl Iterator<Item = &FieldDef> {
    r.fields.iter().filter(|f| importable(f))
}

fn parse_with<'a>(
    r: &'static Register,
    get: &impl Fn(&str) -> &'a str,
    field: impl Fn(&FieldDef) -> Result<Value, String>,
) -> Result<Parsed, Vec<(&'static str, String)>> {
    let schema = schema_of(r);
    let mut errs: Vec<(&'static str, String)> = Vec::new();
    let owner_code = match domain::CreditCode::parse(get("owner_code")) {
        Ok(c) => c.as_str().to_owned(),
        Err(e) => {
            errs.push(("owner_code", e.to_string()));
            String::new()
        }
    };
    let reference = (r.key == EntryKey::Application).then(|| get("reference").trim().to_owned());
    if reference.as_deref().is_some_and(|s| s.chars().count() > 64) {
        errs.push(("reference", "编号不能超过64个字符".into()));
    }
    let from = date(get("valid_from"), "生效日期")
        .map_err(|m| errs.push(("valid_from", m)))
        .ok();
    let until = match get("valid_until").trim() {
        "" => None,
        s => date(s, "有效期至")
            .map_err(|m| errs.push(("valid_until", m)))
            .ok(),
    };
    if let (Some(f), Some(u)) = (from, until)
        && u < f
    {
        errs.push(("valid_until", "有效期至不能早于生效日期".into()));
    }
    let mut data = Map::new();
    for f in entry_fields(r) {
        let key = schema
            .columns
            .iter()
            .find(|c| c.key == f.name)
            .map_or("", |c| c.key);
        match field(f) {
            Ok(v) => {
                data.insert(f.name.clone(), v);
            }
            Err(m) => errs.push((key, m)),
        }
    }
    match (errs.is_empty(), from) {
        (true, Some(from)) => Ok(Parsed {
            owner_code,
            reference,
            from,
            until,
            data,
        }),
        _ => Err(errs),
    }
}

/// What an import did: the rows written, and the report.
pub struct Outcome {
    pub imported: usize,
    pub report: Report,
}

/// Imports `bytes` into register `r` as `actor`. A file with problems writes nothing, unless
/// `only_valid`: then the rows without problems are written.
pub async fn import(
    state: &AppState,
    actor: &Actor,
    r: &'static Register,
    bytes: impl Into<axum::body::Bytes>,
    only_valid: bool,
) -> AppResult<Outcome> {
    let schema = schema_of(r);
    let table = crate::import::read_table(schema, bytes.into(), IMPORT).await?;
    let unique: &[&str] = match r.key {
        EntryKey::Owner => &["owner_code"],
        EntryKey::Application => &["reference"],
    };
    let (valid, mut report) =
        tabular::validate(schema, &table, unique, |row| parse_entry(r, |k| row.get(k)));
    // Owners: registered organisations of a kind the register takes.
    let mut owners: HashMap<String, (i64, String)> = HashMap::new();
    for (line, p) in &valid {
        if owners.contains_key(&p.owner_code) {
            continue;
        }
        match owner_of(state, r, &p.owner_code).await? {
            Ok(owner) => {
                owners.insert(p.owner_code.clone(), owner);
            }
            Err(m) => report
                .problems
                .push(Problem::at(schema, &table, *line, "owner_code", m)),
        }
    }
    report.problems.sort_by_key(|p| p.row);
    if !report.is_clean() && !only_valid {
        return Ok(Outcome {
            imported: 0,
            report,
        });
    }
    let bad: std::collections::HashSet<usize> = report.problems.iter().map(|p| p.row).collect();
    let writes: Vec<EntryWrite> = valid
        .into_iter()
        .filter(|(line, _)| !bad.contains(line))
        .filter_map(|(_, p)| {
            let owner = owners.get(&p.owner_code)?.clone();
            Some(write_of(r, p, owner, "导入"))
        })
        .collect();
    let n = writes.len();
    if n > 0 {
        store::registers::import(&state.db, actor, &r.code, &writes).await?;
    }
    Ok(Outcome {
        imported: n,
        report,
    })
}

/// The owner of an entry: a registered organisation of a kind `r` takes, as (id, name); or
/// why not, in Chinese.
pub async fn owner_of(
    state: &AppState,
    r: &Register,
    code: &str,
) -> AppResult<Result<(i64, String), String>> {
    Ok(match store::orgs::get_by_code(&state.db, code).await? {
        Some(o) if domain::orgs::OrgKind::parse(&o.kind).is_some_and(|k| r.owners.contains(&k)) => {
            Ok((o.id, o.name))
        }
        Some(o) => Err(format!(
            "“{}”不是{}，不能列入本名录",
            o.name,
            r.owners
                .iter()
                .map(|k| k.label())
                .collect::<Vec<_>>()
                .join("或")
        )),
        None => Err(format!("统一社会信用代码“{code}”的机构未在平台登记")),
    })
}

/// The write that lists `p` in `r` for `owner` (id, name); `how` opens its history line
/// (导入, 录入).
fn write_of(r: &Register, p: Parsed, (owner, name): (i64, String), how: &str) -> EntryWrite {
    let zh = domain::workflow::zh_date;
    let entry_key = match &p.reference {
        Some(reference) => format!("ref:{reference}"),
        None => r.key.of(owner, 0),
    };
    EntryWrite {
        register: r.code.clone(),
        entry_key,
        owner_org_id: owner,
        title: match &p.reference {
            Some(reference) => format!("{name}（{reference}）"),
            None => name,
        },
        action: domain::workflow::EffectAction::Add.as_str().into(),
        valid_from: Some(p.from.format("%Y-%m-%d").to_string()),
        valid_until: p.until.map(|d| d.format("%Y-%m-%d").to_string()),
        data_json: Some(Value::Object(p.data).to_string()),
        members: Vec::new(),
        application_id: None,
        summary: match p.until {
            Some(u) => format!("{how}：列入，{}起，有效期至{}", zh(p.from), zh(u)),
            None => format!("{how}：列入，{}起", zh(p.from)),
        },
    }
}

/// Enters one entry of `r` by hand (its editors), as read by [`parse_entry`] (a form) or
/// [`parse_json_entry`] (the API), with the reference as entered; the owner must be registered and of a kind `r` takes. Entering an
/// owner's (or a reference's) entry again renews it. Returns the entry's id, or the problems
/// by column key.
pub async fn enter(
    state: &AppState,
    actor: &Actor,
    r: &'static Register,
    parsed: Result<Parsed, Vec<(&'static str, String)>>,
    reference: &str,
) -> AppResult<Result<i64, Vec<(&'static str, String)>>> {
    let mut parsed = parsed;
    if r.key == EntryKey::Application && reference.trim().is_empty() {
        let mut errs = parsed.err().unwrap_or_default();
        errs.insert(0, ("reference", "请填写编号".into()));
        parsed = Err(errs);
    }
    let p = match parsed {
        Ok(p) => p,
        Err(errs) => return Ok(Err(errs)),
    };
    let owner = match owner_of(state, r, &p.owner_code).await? {
        Ok(o) => o,
        Err(m) => return Ok(Err(vec![("owner_code", m)])),
    };
    let w = write_of(r, p, owner, "录入");
    Ok(Ok(store::registers::enter(&state.db, actor, &w).await?))
}
