//! The audit log in words: Chinese names of the actions and objects the platform records, the
//! actor by name, and before/after as a field-by-field list of changes (field, old → new).
//! The page (`/audit`) and its export (`/audit/export.xlsx`), in `pages.rs`, both read it from
//! here.

pub mod pages;

use std::collections::BTreeSet;

use domain::orgs::{EnterpriseSize, OrgKind, Ownership, Role, SchoolLevel};
use domain::workflow::{self, Status};
use serde_json::Value;
use store::audit::Listed;
use store::names::{Names, Wanted};

/// Every action code the platform writes to the log, with its Chinese name. A unit test
/// (below) reads the code base's audit calls and fails on a code missing here.
pub const ACTIONS: &[(&str, &str)] = &[
    ("auth.login", "登录"),
    ("auth.logout", "退出登录"),
    ("auth.login_failed", "登录失败"),
    ("auth.lock", "账户锁定"),
    ("auth.unlock", "清除登录失败记录"),
    ("session.end", "结束会话"),
    ("session.end_all", "结束全部会话"),
    ("user.create", "新增用户"),
    ("user.set_password", "设置密码"),
    ("user.enable", "启用用户"),
    ("user.disable", "停用用户"),
    ("token.create", "签发接口令牌"),
    ("token.revoke", "吊销接口令牌"),
    ("org.create", "新增机构"),
    ("reference.seed", "载入基础数据"),
    ("demo.generate", "生成演示数据"),
    ("application.create", "新建申报"),
    ("application.save", "保存申报内容"),
    ("application.submit", "提交申报"),
    ("application.withdraw", "撤回申报"),
    ("application.approve", "审核通过"),
    ("application.reject", "驳回申报"),
    ("application.return", "退回修改"),
    ("application.score", "专家评分"),
    ("application.resubmit", "重新提交申报"),
    ("application.object", "提出异议"),
    ("application.resolve_objection", "处理异议"),
    ("application.conclude_publicity", "结束公示"),
    ("application.revoke", "撤销"),
    ("application.correct", "申请更正"),
    ("attachment.add", "上传附件"),
    ("majors.catalog_import", "导入专业目录"),
    ("majors.catalog_replace", "替换专业目录"),
    ("majors.mapping_import", "导入新旧专业对照"),
    ("occupations.import", "导入职业分类"),
    ("major_occupations.add", "增加专业的职业面向"),
    ("major_occupations.remove", "删除专业的职业面向"),
    ("major_occupations.set", "修改专业的职业面向"),
    ("supply.import", "导入专业供给数据"),
    ("register.import", "导入名录条目"),
    ("register.enter", "录入名录条目"),
    ("register.end", "终止名录条目"),
    ("demand.import", "导入招聘需求数据"),
    ("demand.confirm", "确认岗位名称对应的职业"),
    ("jobs.run", "定时提醒"),
    ("data.recompute", "要求全部重新计算"),
];

/// Every object type the log records, with its Chinese name.
pub const ENTITY_TYPES: &[(&str, &str)] = &[
    ("user", "用户"),
    ("api_token", "接口令牌"),
    ("org", "机构"),
    ("application", "申报"),
    ("register", "名录"),
    ("major_catalog", "专业目录"),
    ("major_occupations", "专业的职业面向"),
    ("occupation", "职业分类"),
    ("major_supply", "专业供给数据"),
    ("job_postings", "招聘需求数据"),
    ("title_matches", "岗位名称匹配"),
    ("data_versions", "计算结果"),
    ("jobs", "定时任务"),
];

/// The Chinese name of an action code.
pub fn action_label(code: &str) -> Option<&'static str> {
    ACTIONS.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

/// The Chinese name of an object type.
pub fn entity_type_label(code: &str) -> Option<&'static str> {
    ENTITY_TYPES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
}

/// The name shown for an action: its label, or a plain word for a code the table lacks (the
/// code itself stays in the raw record).
pub fn action_text(code: &str) -> &'static str {
    action_label(code).unwrap_or("其他操作")
}

/// Fields of a record that are not shown in the list of changes (bookkeeping, digests).
const HIDDEN_FIELDS: &[&str] = &["version", "sha256", "prefix"];

/// Field names in the order they are listed, with their Chinese names.
const FIELDS: &[(&str, &str)] = &[
    ("id", "编号"),
    ("username", "用户名"),
    ("display_name", "姓名"),
    ("kind", "类型"),
    ("code", "代码"),
    ("name", "名称"),
    ("title", "名称"),
    ("org_id", "所属机构"),
    ("applicant_org_id", "申报单位"),
    ("user_id", "用户"),
    ("role", "角色"),
    ("active", "账户状态"),
    ("status", "状态"),
    ("stage", "当前阶段"),
    ("comment", "意见"),
    ("district", "所在区县"),
    ("school_level", "办学层次"),
    ("industry", "行业代码"),
    ("size", "企业规模"),
    ("ownership", "所有制"),
    ("unit_code", "负责单位"),
    ("occupation", "职业"),
    ("occupation_code", "职业"),
    ("note", "备注"),
    ("attachment", "附件编号"),
    ("slot", "申报材料"),
    ("filename", "文件名"),
    ("file", "文件"),
    ("address", "登录地址"),
    ("failures_cleared", "清除的失败记录"),
    ("sessions_ended", "结束的会话"),
    ("tokens_revoked", "吊销的令牌"),
    ("rows", "行数"),
    ("items", "条目数"),
    ("pairs", "对照条数"),
    ("added", "新增"),
    ("updated", "更新"),
    ("years", "年度"),
    ("schools", "院校"),
    ("enterprises", "企业"),
    ("banks", "金融机构"),
    ("applications", "申报"),
    ("events", "办理记录"),
    ("pending", "待办"),
    ("scale", "规模"),
    ("by_status", "按匹配状态"),
    ("from", "原目录"),
    ("to", "新目录"),
    ("deadline_soon", "审核即将到期提醒"),
    ("overdue", "审核逾期提醒"),
    ("expiring", "认定有效期届满提醒"),
    ("expired", "认定到期通知"),
    ("publicity_ended", "公示期满提醒"),
    ("inbox_items", "发出消息"),
    ("created_at", "登记时间"),
    ("updated_at", "更新时间"),
];

/// The Chinese name of a field of an object of `entity_type`.
fn field_label(entity_type: &str, key: &str) -> String {
    match (entity_type, key) {
        ("api_token", "name") => return "用途".into(),
        ("org", "kind") => return "机构类型".into(),
        ("application", "kind") => return "申报事项".into(),
        ("application", "title") => return "申报名称".into(),
        ("application", "size") => return "文件大小".into(),
        _ => {}
    }
    FIELDS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or_else(|| key.to_string(), |(_, l)| l.to_string())
}

fn field_order(key: &str) -> usize {
    FIELDS
        .iter()
        .position(|(k, _)| *k == key)
        .unwrap_or(FIELDS.len())
}

/// One changed field: its name, and what it was and became (`—` for nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: String,
    pub old: String,
    pub new: String,
}

/// An entry in words.
#[derive(Debug, Clone)]
pub struct View {
    /// Who: display name and username, or the platform's part that acted.
    pub actor: String,
    /// The acting user's organisation ('' for none).
    pub actor_org: String,
    pub action: &'static str,
    /// The object type's name.
    pub entity_type: String,
    /// The object in words.
    pub object: String,
    pub changes: Vec<FieldChange>,
}

fn parse(json: Option<&str>) -> Option<Value> {
    json.and_then(|j| serde_json::from_str(j).ok())
}

/// The ids and codes an entry names (its object, and the users, organisations, occupations it
/// records), to look up in one go for a page.
pub fn wanted(entries: &[Listed]) -> Wanted {
    let mut w = Wanted::default();
    for e in entries {
        let id = e.entity_id.parse::<i64>().ok();
        match (e.entity_type.as_str(), id) {
            ("user", Some(i)) => {
                w.users.insert(i);
            }
            ("org", Some(i)) => {
                w.orgs.insert(i);
            }
            ("application", Some(i)) => {
                w.applications.insert(i);
            }
            ("api_token", Some(i)) => {
                w.tokens.insert(i);
            }
            ("major_catalog", Some(i)) => {
                w.catalogs.insert(i);
            }
            ("major_occupations", _) => {
                if let Some((_, code)) = e.entity_id.split_once('/') {
                    w.majors.insert(code.to_string());
                }
            }
            _ => {}
        }
        for v in [
            parse(e.before_json.as_deref()),
            parse(e.after_json.as_deref()),
        ]
        .into_iter()
        .flatten()
        {
            collect(&v, &mut w);
        }
    }
    w
}

fn collect(v: &Value, w: &mut Wanted) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("org_id" | "applicant_org_id", Value::Number(n)) => {
                        if let Some(i) = n.as_i64() {
                            w.orgs.insert(i);
                        }
                    }
                    ("user_id", Value::Number(n)) => {
                        if let Some(i) = n.as_i64() {
                            w.users.insert(i);
                        }
                    }
                    ("occupation" | "occupation_code", Value::String(s)) => {
                        w.occupations.insert(s.clone());
                    }
                    _ => collect(x, w),
                }
            }
        }
        Value::Array(xs) => xs.iter().for_each(|x| collect(x, w)),
        _ => {}
    }
}

/// Where the log entry stands: the kind of application it concerns (for stage names).
struct Context<'a> {
    entity_type: &'a str,
    application_kind: Option<&'a str>,
    names: &'a Names,
}

/// A value of field `key` in words.
fn value_text(key: &str, v: &Value, cx: &Context) -> String {
    let s = v.as_str();
    let label = |o: Option<&'static str>| o.map(str::to_string);
    let worded = match (key, v) {
        (_, Value::Null) => Some("—".to_string()),
        ("active", Value::Bool(b)) => Some(if *b { "启用" } else { "停用" }.to_string()),
        ("role", _) => label(s.and_then(Role::parse).map(Role::label)),
        ("kind", _) if cx.entity_type == "application" => {
            s.and_then(workflow::kind).map(|k| k.title.clone())
        }
        ("kind", _) => label(s.and_then(OrgKind::parse).map(OrgKind::label)),
        ("status", _) => label(s.and_then(Status::parse).map(Status::label)),
        ("stage", _) => s.and_then(|code| {
            let k = workflow::kind(cx.application_kind?)?;
            Some(k.stage(k.stage_index(code)?)?.name.clone())
        }),
        ("district", _) => s
            .and_then(domain::reference::area)
            .map(|a| a.name.to_string()),
        ("school_level", _) => label(s.and_then(SchoolLevel::parse).map(SchoolLevel::label)),
        ("size", Value::String(_)) => label(s.and_then(EnterpriseSize::parse).map(|x| x.label())),
        ("size", Value::Number(n)) => n.as_i64().map(crate::pages::file_size),
        ("ownership", _) => label(s.and_then(Ownership::parse).map(Ownership::label)),
        ("unit_code", _) => s
            .and_then(domain::reference::unit)
            .map(|u| u.name.to_string()),
        ("org_id" | "applicant_org_id", Value::Number(n)) => n
            .as_i64()
            .and_then(|i| cx.names.orgs.get(&i))
            .map(|name| name.to_string()),
        ("user_id", Value::Number(n)) => n
            .as_i64()
            .and_then(|i| cx.names.users.get(&i))
            .map(|u| format!("{}（{}）", u.display_name, u.username)),
        ("occupation" | "occupation_code", Value::String(code)) => {
            Some(match cx.names.occupations.get(code) {
                Some(name) => format!("{code} {name}"),
                None => code.clone(),
            })
        }
        ("created_at" | "updated_at", Value::Number(n)) => n.as_i64().map(crate::pages::fmt_time),
        ("by_status", Value::Object(m)) => Some(
            m.iter()
                .map(|(k, x)| {
                    format!(
                        "{}：{}",
                        store::demand::status::label(k),
                        value_text("", x, cx)
                    )
                })
                .collect::<Vec<_>>()
                .join("，"),
        ),
        _ => None,
    };
    if let Some(w) = worded {
        return w;
    }
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(xs) => {
            if xs.is_empty() {
                "（无）".to_string()
            } else {
                xs.iter()
                    .map(|x| value_text(key, x, cx))
                    .collect::<Vec<_>>()
                    .join("；")
            }
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by_key(|k| field_order(k));
            keys.into_iter()
                .filter(|k| !HIDDEN_FIELDS.contains(&k.as_str()))
                .map(|k| {
                    format!(
                        "{}：{}",
                        field_label(cx.entity_type, k),
                        value_text(k, &m[k], cx)
                    )
                })
                .collect::<Vec<_>>()
                .join("，")
        }
        Value::Null => "—".to_string(),
    }
}

/// What changed between `before` and `after`, field by field: for two records, each field
/// whose value differs (one side may lack it); otherwise the content as one field.
fn diff(before: Option<&Value>, after: Option<&Value>, cx: &Context) -> Vec<FieldChange> {
    let text =
        |k: &str, v: Option<&Value>| v.map_or_else(|| "—".to_string(), |v| value_text(k, v, cx));
    let empty = serde_json::Map::new();
    fn as_obj<'a>(
        v: Option<&'a Value>,
        empty: &'a serde_json::Map<String, Value>,
    ) -> Option<&'a serde_json::Map<String, Value>> {
        match v {
            None | Some(Value::Null) => Some(empty),
            Some(Value::Object(m)) => Some(m),
            Some(_) => None,
        }
    }
    match (as_obj(before, &empty), as_obj(after, &empty)) {
        (Some(b), Some(a)) => {
            let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
            keys.sort_by_key(|k| (field_order(k), k.to_string()));
            keys.dedup();
            keys.into_iter()
                .filter(|k| !HIDDEN_FIELDS.contains(&k.as_str()))
                .filter(|k| b.get(*k) != a.get(*k))
                .map(|k| FieldChange {
                    field: field_label(cx.entity_type, k),
                    old: text(k, b.get(k)),
                    new: text(k, a.get(k)),
                })
                // A field absent on one side and empty on the other did not change.
                .filter(|c| c.old != c.new)
                .collect()
        }
        _ if before == after => Vec::new(),
        _ => vec![FieldChange {
            field: "内容".into(),
            old: text("", before),
            new: text("", after),
        }],
    }
}

/// The names the platform's own parts act under.
fn system_actor(name: &str) -> Option<&'static str> {
    match name {
        "system" => Some("平台（自动）"),
        "cli" => Some("命令行"),
        "demo" => Some("演示数据生成"),
        "bench" => Some("性能测试"),
        _ => None,
    }
}

/// The object of an entry in words.
fn object_text(e: &Listed, after: Option<&Value>, names: &Names) -> String {
    let id = e.entity_id.parse::<i64>().ok();
    let type_label = entity_type_label(&e.entity_type).unwrap_or("对象");
    match (e.entity_type.as_str(), e.entity_id.as_str()) {
        (_, "bulk") => return format!("批量生成的{type_label}"),
        (_, "*") => return "整批导入".into(),
        ("org", "reference") => return "基础数据（区县与市级部门）".into(),
        _ => {}
    }
    let found = match e.entity_type.as_str() {
        "user" => match id.and_then(|i| names.users.get(&i)) {
            Some(u) => Some(format!("{}（{}）", u.display_name, u.username)),
            None => after
                .and_then(|a| a.get("username"))
                .and_then(Value::as_str)
                .map(|u| format!("输入的用户名“{u}”")),
        },
        "org" => id.and_then(|i| names.orgs.get(&i)).cloned(),
        "application" => id
            .and_then(|i| names.applications.get(&i))
            .map(|a| format!("{} 号《{}》", a.id, a.title)),
        "api_token" => id
            .and_then(|i| names.tokens.get(&i))
            .map(|t| format!("“{}”（用户 {}）", t.name, t.username)),
        "major_catalog" => id
            .and_then(|i| names.catalogs.get(&i))
            .map(|n| format!("《{n}》")),
        "major_occupations" => e.entity_id.split_once('/').map(|(level, code)| {
            match names.majors.get(&(level.to_string(), code.to_string())) {
                Some(name) => format!(
                    "{}专业 {code} {name} 的职业面向",
                    crate::features::majors::level_label(level)
                ),
                None => format!("专业 {code} 的职业面向"),
            }
        }),
        "title_matches" => Some(format!("岗位名称“{}”", e.entity_id)),
        "jobs" => chrono::NaiveDate::parse_from_str(&e.entity_id, "%Y-%m-%d")
            .ok()
            .map(|d| format!("{}的定时提醒", domain::workflow::zh_date(d))),
        _ => None,
    };
    found.unwrap_or_else(|| {
        if e.entity_id.is_empty() {
            "—".to_string()
        } else {
            format!("{} 号", e.entity_id)
        }
    })
}

/// An entry in words, with the names looked up for its page.
pub fn view(e: &Listed, names: &Names) -> View {
    let before = parse(e.before_json.as_deref());
    let after = parse(e.after_json.as_deref());
    let application_kind = match e.entity_type.as_str() {
        "application" => e
            .entity_id
            .parse::<i64>()
            .ok()
            .and_then(|i| names.applications.get(&i))
            .map(|a| a.kind.as_str()),
        _ => None,
    };
    let cx = Context {
        entity_type: &e.entity_type,
        application_kind,
        names,
    };
    let actor = match (&e.actor_display_name, &e.actor_username) {
        (Some(d), Some(u)) => format!("{d}（{u}）"),
        _ => match (e.actor_user_id, system_actor(&e.actor)) {
            (None, Some(s)) => s.to_string(),
            (None, None) => format!("{}（未登录）", e.actor),
            (Some(_), _) => e.actor.clone(),
        },
    };
    View {
        actor,
        actor_org: e.actor_org_name.clone().unwrap_or_default(),
        action: action_text(&e.action),
        entity_type: entity_type_label(&e.entity_type)
            .unwrap_or("其他")
            .to_string(),
        object: object_text(e, after.as_ref(), names),
        changes: diff(before.as_ref(), after.as_ref(), &cx),
    }
}

/// The changes as one line of text (the export's column).
pub fn changes_text(changes: &[FieldChange]) -> String {
    changes
        .iter()
        .map(|c| format!("{}：{} → {}", c.field, c.old, c.new))
        .collect::<Vec<_>>()
        .join("；")
}

/// The object types and actions the filters offer, as (code, label).
pub fn entity_type_choices() -> impl Iterator<Item = (&'static str, &'static str)> {
    ENTITY_TYPES.iter().copied()
}

pub fn action_choices() -> impl Iterator<Item = (&'static str, &'static str)> {
    ACTIONS.iter().copied()
}

/// Every action code and object type written by the audit calls in these source texts (see
/// the test): the action is the third argument of `audit::record` (the second of
/// `audit::new_entry`), the object type the one after it; `record_bulk`'s third argument is an
/// object type. A code made with `format!("application.{}", …)` stands for every application
/// action (`*`); the actions a transition is given by name (`action: "save"` of a
/// `store::applications::Change`) are added as `application.<name>`.
pub fn written_codes(sources: &[String]) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut actions = BTreeSet::new();
    let mut types = BTreeSet::new();
    for src in sources {
        for (call, action_at) in [
            ("audit::record(", 2),
            ("audit::new_entry(", 1),
            ("record_bulk(", usize::MAX),
        ] {
            let mut from = 0;
            while let Some(i) = src[from..].find(call) {
                let start = from + i + call.len();
                from = start;
                if src[..start - call.len()].ends_with("fn ") {
                    continue;
                }
                let args = split_args(&src[start..]);
                if action_at == usize::MAX {
                    if let Some(a) = args.get(2) {
                        types.extend(literals(a));
                    }
                    continue;
                }
                if let Some(a) = args.get(action_at) {
                    actions.extend(literals(a).into_iter().map(|l| l.replace("{}", "*")));
                }
                if let Some(a) = args.get(action_at + 1) {
                    types.extend(literals(a));
                }
            }
        }
        let field = "action: \"";
        let mut from = 0;
        while let Some(i) = src[from..].find(field) {
            let start = from + i + field.len();
            from = start;
            let name: String = src[start..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() && src[start + name.len()..].starts_with('"') {
                actions.insert(format!("application.{name}"));
            }
        }
    }
    (actions, types)
}

/// The arguments of a call whose text starts right after its `(`, split at top-level commas.
fn split_args(text: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                cur.push(c);
                while let Some(d) = chars.next() {
                    cur.push(d);
                    if d == '\\' {
                        if let Some(x) = chars.next() {
                            cur.push(x);
                        }
                    } else if d == '"' {
                        break;
                    }
                }
            }
            '(' | '[' | '{' => {
                depth += 1;
                cur.push(c);
            }
            ')' | ']' | '}' if depth == 0 => {
                args.push(cur.trim().to_string());
                return args;
            }
            ')' | ']' | '}' => {
                depth -= 1;
                cur.push(c);
            }
            ',' if depth == 0 => {
                args.push(cur.trim().to_string());
                cur.clear();
            }
            _ => cur.push(c),
        }
    }
    args
}

/// The string literals in an argument's text.
fn literals(arg: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = arg;
    while let Some(i) = rest.find('"') {
        let after = &rest[i + 1..];
        let Some(j) = after.find('"') else { break };
        out.push(after[..j].to_string());
        rest = &after[j + 1..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// The Rust sources of the crates that write to the log (tests left out).
    fn sources() -> Vec<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut out = Vec::new();
        let mut dirs: Vec<std::path::PathBuf> = ["store/src", "web/src", "cli/src", "cli/examples"]
            .iter()
            .map(|d| root.join(d))
            .collect();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let p = entry.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    // Unit tests record codes of their own.
                    let text = match text.find("#[cfg(test)]\nmod tests") {
                        Some(i) => text[..i].to_string(),
                        None => text,
                    };
                    out.push(text);
                }
            }
        }
        out
    }

    #[test]
    fn every_action_and_object_written_has_a_chinese_name() {
        let (actions, types) = written_codes(&sources());
        // The scan must find the calls at all (else it proves nothing).
        for known in [
            "org.create",
            "user.disable",
            "demand.import",
            "application.*",
        ] {
            assert!(actions.contains(known), "scan misses {known}: {actions:?}");
        }
        assert!(types.contains("application"), "{types:?}");
        for a in &actions {
            if a == "application.*" {
                continue;
            }
            assert!(action_label(a).is_some(), "action {a} has no Chinese name");
        }
        // Application actions: every workflow action, and the saved draft.
        assert!(actions.contains("application.save"), "{actions:?}");
        for k in workflow::ActionKind::ALL {
            let code = format!("application.{}", k.as_str());
            assert!(action_label(&code).is_some(), "{code} has no Chinese name");
        }
        for t in &types {
            assert!(
                entity_type_label(t).is_some(),
                "object type {t} has no Chinese name"
            );
        }
        // And no label is a code: each is Chinese.
        for (code, label) in ACTIONS.iter().chain(ENTITY_TYPES) {
            assert!(
                label.chars().all(|c| !c.is_ascii_alphabetic()),
                "{code}: {label}"
            );
        }
    }

    #[test]
    fn the_scan_reads_branches_and_formats() {
        let src = r#"
            audit::record(tx, actor, if a { "x.on" } else { "x.off" }, "thing", &id, None, None)
            audit::new_entry(actor, &format!("application.{}", c.action), "application", "1", None, None)
            store::demo::record_bulk(&mut tx, &actor, "org", json!({"a": 1}))
            pub async fn record_bulk(tx: &mut Tx, actor: &Actor, what: &str) {}
            let c = Change { action: "save".into(), form: Form { action: "/x".into() } };
        "#;
        let (a, t) = written_codes(&[src.to_string()]);
        assert_eq!(
            a.into_iter().collect::<Vec<_>>(),
            ["application.*", "application.save", "x.off", "x.on"]
        );
        assert_eq!(
            t.into_iter().collect::<Vec<_>>(),
            ["application", "org", "thing"]
        );
    }

    fn listed(
        action: &str,
        et: &str,
        id: &str,
        before: Option<&str>,
        after: Option<&str>,
    ) -> Listed {
        Listed {
            seq: 1,
            at: 0,
            actor_user_id: None,
            actor: "cli".into(),
            actor_org_id: None,
            action: action.into(),
            entity_type: et.into(),
            entity_id: id.into(),
            before_json: before.map(Into::into),
            after_json: after.map(Into::into),
            request_id: None,
            actor_username: None,
            actor_display_name: None,
            actor_org_name: None,
        }
    }

    #[test]
    fn changes_are_listed_field_by_field_in_words() {
        let mut names = Names::default();
        names.orgs.insert(7, "重庆示例职业学院".into());
        let e = listed(
            "user.create",
            "user",
            "5",
            None,
            Some(r#"{"id":5,"username":"li","display_name":"李雷","org_id":7,"role":"school"}"#),
        );
        let v = view(&e, &names);
        assert_eq!(v.action, "新增用户");
        assert_eq!(v.actor, "命令行");
        assert_eq!(
            v.changes,
            vec![
                FieldChange {
                    field: "编号".into(),
                    old: "—".into(),
                    new: "5".into()
                },
                FieldChange {
                    field: "用户名".into(),
                    old: "—".into(),
                    new: "li".into()
                },
                FieldChange {
                    field: "姓名".into(),
                    old: "—".into(),
                    new: "李雷".into()
                },
                FieldChange {
                    field: "所属机构".into(),
                    old: "—".into(),
                    new: "重庆示例职业学院".into()
                },
                FieldChange {
                    field: "角色".into(),
                    old: "—".into(),
                    new: "院校用户".into()
                },
            ]
        );
        // Only what differs, values in words.
        let e = listed(
            "user.disable",
            "user",
            "5",
            Some(r#"{"active":true}"#),
            Some(r#"{"active":false,"sessions_ended":2,"tokens_revoked":0}"#),
        );
        let v = view(&e, &names);
        assert_eq!(
            v.changes[0],
            FieldChange {
                field: "账户状态".into(),
                old: "启用".into(),
                new: "停用".into()
            }
        );
        assert_eq!(
            changes_text(&v.changes),
            "账户状态：启用 → 停用；结束的会话：— → 2；吊销的令牌：— → 0"
        );
        // A list of records (a major's occupations) reads as one field.
        let e = listed(
            "major_occupations.set",
            "major_occupations",
            "VOCATIONAL_ASSOCIATE/460104",
            Some(r#"[{"occupation":"6-18-01-01","note":null}]"#),
            Some(r#"[]"#),
        );
        let v = view(&e, &names);
        assert_eq!(v.changes.len(), 1);
        assert_eq!(v.changes[0].new, "（无）");
        assert!(
            v.changes[0].old.contains("职业：6-18-01-01"),
            "{:?}",
            v.changes
        );
        assert_eq!(v.object, "专业 460104 的职业面向");
        // Unknown codes are not shown as codes.
        let v = view(&listed("x.y", "z", "", None, None), &names);
        assert_eq!((v.action, v.entity_type.as_str()), ("其他操作", "其他"));
    }

    #[test]
    fn a_jobs_pass_reads_as_its_day_and_counts() {
        let mut e = listed(
            "jobs.run",
            "jobs",
            "2026-03-02",
            None,
            Some(r#"{"overdue":2,"expiring":1,"inbox_items":3}"#),
        );
        e.actor = "system".into();
        let v = view(&e, &Names::default());
        assert_eq!(v.action, "定时提醒");
        assert_eq!(v.actor, "平台（自动）");
        assert_eq!(v.entity_type, "定时任务");
        assert_eq!(v.object, "2026年3月2日的定时提醒");
        assert_eq!(
            changes_text(&v.changes),
            "审核逾期提醒：— → 2；认定有效期届满提醒：— → 1；发出消息：— → 3"
        );
    }
}
