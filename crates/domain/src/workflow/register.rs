//! Registers (名录) and the effects applications have on them.
//!
//! A register is a typed list of things — certified enterprises, platforms, agreements,
//! consortia, projects — each entry with an owner organisation, members (organisations in a
//! role), a validity, a status and its history. Registers are declared in TOML files like
//! kinds (shipped in `crates/domain/registers/`, an operator's in `<kinds-dir>/registers/`):
//!
//! ```toml
//! code = "certified_enterprises"        # lowercase ASCII letters, digits and `_`
//! title = "产教融合型企业名单"
//! measure = 3
//! version = 1                           # optional (default 1): raise it when the file changes
//! owner = "enterprise"                  # who an entry belongs to: an OrgKind or a list
//! key = "owner"                         # "owner": one entry per owner organisation (approving
//!                                       #   again renews it); "application": one per application
//! public = true                         # optional (default false): listed without login
//! editors = ["fgw"]                     # optional: units (responsible for the measure) that
//!                                       #   may enter and import entries
//! renewal_hint = "请在届满前申请复核评价"   # optional: told to the owner before an entry ends
//! expired_hint = "可重新申报认定"          # optional: told to the owner when it has ended
//! members = [["bank", "合作银行"]]        # optional: member roles (code, Chinese label)
//!
//! [[fields]]                            # the entry's own data, typed as in `crate::form`
//! name = "investment_fen"
//! label = "投资额（元）"
//! type = "money"
//! ```
//!
//! A kind names what its decisions do to registers (`[[effects]]` in the kind file):
//!
//! ```toml
//! [[effects]]
//! on = "approved"                       # approved | rejected | revoked
//! register = "certified_enterprises"
//! action = "add"                        # add | extend | end | change
//! validity = "param:certification.validity_years"   # add/extend: years, a dated parameter
//! copy = ["investment_fen"]             # optional: fields copied into the entry's data
//! members = [{ field = "bank", role = "bank" }]       # optional: org fields made members
//! ```
//!
//! `add` creates the entry (or, in an owner-keyed register, renews the owner's entry) valid
//! from the decision day; `extend` sets a new end counted from the decision day; `end` ends
//! the entry the day before the decision; `change` rewrites the copied data. In an
//! application-keyed register, `extend`, `end` and `change` act on the entry the same
//! application created. The caller writes the effects in the transition's own transaction.

use serde::Serialize;

use super::WorkflowError;
use super::config::{Fields, ParamRef, config};
use crate::form::FieldDef;
use crate::orgs::OrgKind;
use crate::reference;

/// The list of certified enterprises (measure 3): shipped, and what the platform reads for
/// "certified" (the tax-credit prerequisite, the ledger's `certified`, the organisations
/// filter). A `--kinds-dir` may replace its file but not remove it.
pub const CERTIFIED: &str = "certified_enterprises";

/// A register's declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Register {
    pub code: String,
    pub title: String,
    pub measure: u8,
    pub version: u32,
    /// The organisation kinds an entry may belong to (never empty).
    pub owners: Vec<OrgKind>,
    pub key: EntryKey,
    /// Listed to anonymous visitors.
    pub public: bool,
    /// Units (codes of [`reference::UNITS`]) that may enter and import entries.
    pub editors: Vec<String>,
    pub renewal_hint: Option<String>,
    pub expired_hint: Option<String>,
    /// The roles members may have: (code, Chinese label).
    pub member_roles: Vec<(String, String)>,
    pub fields: Vec<FieldDef>,
}

impl Register {
    /// The Chinese label of a member role (the code when unknown).
    pub fn role_label<'a>(&'a self, code: &'a str) -> &'a str {
        self.member_roles
            .iter()
            .find(|(c, _)| c == code)
            .map_or(code, |(_, l)| l.as_str())
    }
}

/// How a register's entries are keyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKey {
    /// One entry per owner organisation (`org:<id>`).
    Owner,
    /// One entry per application (`app:<id>`).
    Application,
}

impl EntryKey {
    /// The key of the entry an application of `owner` writes.
    pub fn of(self, owner_org_id: i64, application_id: i64) -> String {
        match self {
            EntryKey::Owner => format!("org:{owner_org_id}"),
            EntryKey::Application => format!("app:{application_id}"),
        }
    }
}

/// The decision an effect follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Approved,
    Rejected,
    Revoked,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Approved => "approved",
            Trigger::Rejected => "rejected",
            Trigger::Revoked => "revoked",
        }
    }
}

/// What an effect does to the entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectAction {
    Add,
    Extend,
    End,
    Change,
}

impl EffectAction {
    pub fn as_str(self) -> &'static str {
        match self {
            EffectAction::Add => "add",
            EffectAction::Extend => "extend",
            EffectAction::End => "end",
            EffectAction::Change => "change",
        }
    }

    /// The Chinese word for the history.
    pub fn label(self) -> &'static str {
        match self {
            EffectAction::Add => "列入",
            EffectAction::Extend => "延续有效期",
            EffectAction::End => "终止",
            EffectAction::Change => "变更",
        }
    }
}

/// A member an effect adds: the organisation chosen in an `org` field, in a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberFrom {
    pub field: String,
    pub role: String,
}

/// One `[[effects]]` entry of a kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Effect {
    pub on: Trigger,
    pub register: String,
    pub action: EffectAction,
    /// Years of validity (add, extend): a dated parameter, as of the decision day.
    pub validity: Option<ParamRef>,
    pub copy: Vec<String>,
    pub members: Vec<MemberFrom>,
}

/// The years a validity parameter may give.
pub const VALIDITY_YEARS: std::ops::RangeInclusive<i64> = 1..=100;

/// Parses and validates one register from its TOML text.
pub fn parse_register(toml_text: &str) -> Result<Register, WorkflowError> {
    let table = super::config::parse_toml(toml_text)?;
    let top = Fields::new(&table, String::new());
    top.only(&[
        "code",
        "title",
        "measure",
        "version",
        "owner",
        "key",
        "public",
        "editors",
        "renewal_hint",
        "expired_hint",
        "members",
        "fields",
    ])?;
    let code = top.code("code")?;
    let title = top.text("title")?;
    let measure_no = top.integer("measure")?;
    let measure = u8::try_from(measure_no)
        .ok()
        .and_then(reference::measure)
        .ok_or_else(|| config(format!("措施编号应为1至13，实际为{measure_no}")))?;
    let version = top.version()?;
    let owners = super::config::parse_org_kinds(top.get("owner"), "owner")?;
    let key = match top.text("key")?.as_str() {
        "owner" => EntryKey::Owner,
        "application" => EntryKey::Application,
        other => {
            return Err(config(format!(
                "未知的名录键“{other}”（key 应为 owner 或 application）"
            )));
        }
    };
    let public = top.opt_bool("public")?.unwrap_or(false);
    let editors = match top.get("editors") {
        None => Vec::new(),
        Some(_) => top.units("editors", measure)?,
    };
    let member_roles = match top.get("members") {
        None => Vec::new(),
        Some(toml::Value::Array(list)) => {
            let mut out: Vec<(String, String)> = Vec::new();
            for v in list {
                let pair = v
                    .as_array()
                    .filter(|a| a.len() == 2)
                    .and_then(|a| Some((a[0].as_str()?.trim(), a[1].as_str()?.trim())));
                let Some((c, l)) = pair.filter(|(c, l)| !c.is_empty() && !l.is_empty()) else {
                    return Err(config("“members”应写作 [[\"角色代码\", \"角色名称\"], …]"));
                };
                if out.iter().any(|(x, _)| x == c) {
                    return Err(config(format!("成员角色“{c}”重复")));
                }
                out.push((c.to_owned(), l.to_owned()));
            }
            out
        }
        Some(_) => return Err(config("“members”应为成员角色列表")),
    };
    let fields = match top.get("fields") {
        None => Vec::new(),
        Some(toml::Value::Array(values)) => crate::form::parse_fields(values).map_err(config)?,
        Some(_) => return Err(config("字段“fields”应为字段列表（[[fields]]）")),
    };
    Ok(Register {
        code,
        title,
        measure: measure.number,
        version,
        owners,
        key,
        public,
        editors,
        renewal_hint: top.opt_text("renewal_hint")?,
        expired_hint: top.opt_text("expired_hint")?,
        member_roles,
        fields,
    })
}

/// Parses a kind's `[[effects]]` (checked against the registers once all are read).
pub(super) fn parse_effects(v: Option<&toml::Value>) -> Result<Vec<Effect>, WorkflowError> {
    let list = match v {
        None => return Ok(Vec::new()),
        Some(toml::Value::Array(list)) => list,
        Some(_) => return Err(config("字段“effects”应为效果列表（[[effects]]）")),
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        let Some(t) = v.as_table() else {
            return Err(config(format!("第{}个效果应为表（[[effects]]）", i + 1)));
        };
        let f = Fields::new(t, format!("第{}个效果：", i + 1));
        f.only(&["on", "register", "action", "validity", "copy", "members"])?;
        let on = match f.text("on")?.as_str() {
            "approved" => Trigger::Approved,
            "rejected" => Trigger::Rejected,
            "revoked" => Trigger::Revoked,
            other => {
                return Err(f.err(format!(
                    "未知的触发时机“{other}”（on 应为 approved、rejected 或 revoked）"
                )));
            }
        };
        let register = f.code("register")?;
        let action = match f.text("action")?.as_str() {
            "add" => EffectAction::Add,
            "extend" => EffectAction::Extend,
            "end" => EffectAction::End,
            "change" => EffectAction::Change,
            other => {
                return Err(f.err(format!(
                    "未知的效果“{other}”（action 应为 add、extend、end 或 change）"
                )));
            }
        };
        let validity = match f.get("validity") {
            None => None,
            Some(_) => Some(f.param_ref("validity", "有效期")?),
        };
        if validity.is_some() && !matches!(action, EffectAction::Add | EffectAction::Extend) {
            return Err(f.err("只有 add 和 extend 可以带有效期（validity）"));
        }
        if validity.is_none() && action == EffectAction::Extend {
            return Err(f.err("extend 须给出有效期（validity = \"param:…\"）"));
        }
        let copy = match f.get("copy") {
            None => Vec::new(),
            Some(toml::Value::Array(names)) => names
                .iter()
                .map(|n| {
                    n.as_str()
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .ok_or_else(|| f.err("“copy”应为字段名列表"))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(f.err("“copy”应为字段名列表")),
        };
        let members = match f.get("members") {
            None => Vec::new(),
            Some(toml::Value::Array(ms)) => ms
                .iter()
                .map(|m| {
                    let bad =
                        || f.err("“members”应写作 [{ field = \"字段名\", role = \"角色代码\" }]");
                    let t = m.as_table().ok_or_else(bad)?;
                    if t.keys().any(|k| k != "field" && k != "role") {
                        return Err(bad());
                    }
                    let get = |k: &str| {
                        t.get(k)
                            .and_then(toml::Value::as_str)
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned)
                            .ok_or_else(bad)
                    };
                    Ok(MemberFrom {
                        field: get("field")?,
                        role: get("role")?,
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(f.err("“members”应为成员列表")),
        };
        out.push(Effect {
            on,
            register,
            action,
            validity,
            copy,
            members,
        });
    }
    Ok(out)
}

/// Checks a kind's effects against the registers: the register exists and takes the kind's
/// applicants as owners, copied fields exist in both with the same type, members come from
/// organisation fields in a role the register has.
pub(super) fn check_effects(
    kind: &super::Kind,
    registers: &[Register],
) -> Result<(), WorkflowError> {
    for (i, e) in kind.effects.iter().enumerate() {
        let place = format!("第{}个效果：", i + 1);
        if kind.effects[..i]
            .iter()
            .any(|x| x.on == e.on && x.register == e.register)
        {
            return Err(config(format!(
                "{place}同一决定对名录“{}”只能有一个效果",
                e.register
            )));
        }
        let Some(r) = registers.iter().find(|r| r.code == e.register) else {
            return Err(config(format!("{place}名录“{}”不存在", e.register)));
        };
        if let Some(k) = kind.applicants.iter().find(|k| !r.owners.contains(k)) {
            return Err(config(format!(
                "{place}名录“{}”的条目不能属于{}",
                r.code,
                k.label()
            )));
        }
        for name in &e.copy {
            let from = kind.fields.iter().find(|f| &f.name == name);
            let to = r.fields.iter().find(|f| &f.name == name);
            match (from, to) {
                (Some(a), Some(b)) if a.ty.code() == b.ty.code() => {}
                (None, _) => {
                    return Err(config(format!("{place}复制的字段“{name}”不是本事项的字段")));
                }
                (_, None) => {
                    return Err(config(format!(
                        "{place}复制的字段“{name}”不是名录“{}”的字段",
                        r.code
                    )));
                }
                _ => {
                    return Err(config(format!(
                        "{place}字段“{name}”在本事项和名录“{}”中的类型不同",
                        r.code
                    )));
                }
            }
        }
        for m in &e.members {
            if !kind
                .fields
                .iter()
                .any(|f| f.name == m.field && matches!(f.ty, crate::form::FieldType::Org { .. }))
            {
                return Err(config(format!(
                    "{place}成员字段“{}”不存在或不是机构字段（type = \"org\"）",
                    m.field
                )));
            }
            if !r.member_roles.iter().any(|(c, _)| c == &m.role) {
                return Err(config(format!(
                    "{place}名录“{}”没有成员角色“{}”",
                    r.code, m.role
                )));
            }
        }
    }
    Ok(())
}
