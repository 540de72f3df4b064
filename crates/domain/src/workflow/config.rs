//! Application kinds: the data that configures the workflow engine, and its TOML form.
//!
//! # File format
//!
//! ```toml
//! code = "enterprise_certification"     # lowercase ASCII letters, digits and `_`
//! title = "产教融合型企业认定申报"          # shown to people
//! measure = 3                           # 1..=13, the measure of 渝发改社会〔2023〕1271号
//! applicant = "enterprise"              # who applies: an OrgKind (operator, department, district,
//!                                       #   school, enterprise, bank) or a list, e.g. ["school", "enterprise"]
//! rule = "certification"                # optional: policy rule run at submit and at each review
//! requires = "enterprise_cultivation"   # optional: kind whose approval the applicant must hold
//! requires_valid = true                 # optional (default false): and hold it in force today
//! correctable = true                    # optional (default false): the applicant may reopen an
//!                                       #   approved application to correct it
//!
//! [[fields]]                            # the form, in order; see `crate::form` for types
//! name = "investment_fen"
//! label = "当年兴办职业教育投资额（元）"
//! type = "money"
//!
//! [[stages]]                            # at least one, in order
//! code = "district_review"              # unique within the kind
//! name = "区县初审"
//! step = "review"                       # review | scoring | publicity
//! reviewers = "district_of_applicant"   # review/scoring: "district_of_applicant",
//!                                       #   "role:<role>" (e.g. "role:operator"), unit codes ["fgw", "jw"],
//!                                       #   or "field:<name>": the organisation chosen in an `org` field
//! mode = "all"                          # review only, optional (default "all"): all | sequential | any
//! min_score = "param:workflow.recommendation_pass_score"   # scoring only, required: passing mean score
//! deadline = "param:workflow.certification_district_review_days"
//!                                       # working days; for publicity, the length of the period
//!
//! [[stages]]
//! code = "publicity"
//! name = "公示"
//! step = "publicity"
//! handlers = ["fgw"]                    # publicity only: who resolves objections and concludes
//! deadline = "param:certification.publicity_working_days"
//! ```
//!
//! Unknown keys are errors, so a typo cannot silently change a workflow. Unit codes must be
//! units of [`crate::reference::UNITS`] responsible for the kind's measure.
//!
//! Numbers — deadlines and pass marks — are never written in a kind file: each names a dated,
//! cited policy parameter (`param:<file>.<name>`, see `crates/policy/params/`), which the
//! caller resolves as of the date the application was filed and hands to the engine through
//! [`super::Context::param`]. The engine checks the resolved value against [`DEADLINE_DAYS`] or
//! [`SCORE_RANGE`].

use std::sync::OnceLock;

use serde::Serialize;

use super::WorkflowError;
use crate::orgs::{OrgKind, Role};
use crate::reference;

/// One kind of application (申报事项), e.g. enterprise certification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kind {
    /// Stable machine code, e.g. `"enterprise_certification"`.
    pub code: String,
    /// Chinese title, e.g. `"产教融合型企业认定申报"`.
    pub title: String,
    /// The measure (1..=13) this kind belongs to.
    pub measure: u8,
    /// Who applies: the organisation kinds that may (never empty).
    pub applicants: Vec<OrgKind>,
    /// Policy rule run at submit and at each review (by the caller), e.g. `"certification"`.
    pub rule: Option<String>,
    /// Code of a kind whose approval the applicant must hold before submitting (checked by
    /// the caller, which knows the applicant's other applications).
    pub requires: Option<String>,
    /// Whether what `requires` grants must be in force on the day (a certification within
    /// its validity), not only have been approved once.
    pub requires_valid: bool,
    /// The application's fields, in form order (`[[fields]]`, see [`crate::form`]).
    pub fields: Vec<crate::form::FieldDef>,
    /// Whether the applicant may reopen an approved application to correct it (a yearly
    /// claim or report): the correction is the same application, with its history.
    pub correctable: bool,
    /// The stages, in order; never empty.
    pub stages: Vec<StageDef>,
    /// What decisions do to registers (`[[effects]]`, see [`super::register`]).
    pub effects: Vec<super::register::Effect>,
    /// The file's version (`version`, default 1); an application keeps the version it was
    /// filed under.
    pub version: u32,
    /// Where the rule's inputs come from beyond same-named fields (`[rule_inputs]`), in file
    /// order: input name and source.
    pub rule_inputs: Vec<(String, InputSource)>,
    /// The file's text, kept so each version can be recorded and read back.
    #[serde(skip)]
    pub source: String,
}

/// Where a rule input comes from: a field of the form, or data the platform holds
/// (`platform:<source>`; the sources are the caller's, checked at start).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputSource {
    Field(String),
    Platform(String),
}

impl Kind {
    /// Where rule input `name` comes from, if the file says.
    pub fn input_source(&self, name: &str) -> Option<&InputSource> {
        self.rule_inputs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s)
    }

    /// Whether `other` defines the same kind (comments and layout of the files aside).
    pub fn same_definition(&self, other: &Kind) -> bool {
        serde_json::to_value(self).ok() == serde_json::to_value(other).ok()
    }
}

impl Kind {
    /// The stage at this index.
    pub fn stage(&self, index: usize) -> Option<&StageDef> {
        self.stages.get(index)
    }

    /// The index of the stage with this code.
    pub fn stage_index(&self, code: &str) -> Option<usize> {
        self.stages.iter().position(|s| s.code == code)
    }

    /// The last stage (kinds always have at least one).
    pub fn last_stage(&self) -> Option<&StageDef> {
        self.stages.last()
    }
}

/// One stage of a kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageDef {
    /// Unique within the kind, e.g. `"joint_review"`.
    pub code: String,
    /// Chinese name, e.g. `"联合审核"`.
    pub name: String,
    pub step: StepKind,
    /// The parameter giving the working days from the stage's start to its deadline; for
    /// publicity, its length.
    pub deadline: ParamRef,
    /// A branch: the stage is taken only when the condition holds for the application's data
    /// (otherwise the case moves past it); never on the first stage.
    pub when: Option<Condition>,
}

/// `when = { field = "amount_fen", above = "param:…" }`: the field's value (a money field in
/// fen against a parameter in 元; an integer field against the parameter as it is) is above
/// the parameter in force on the filing date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Condition {
    pub field: String,
    pub above: ParamRef,
}

/// The values a branch's threshold may take.
pub const THRESHOLD_RANGE: std::ops::RangeInclusive<i64> = 0..=i64::MAX;

/// The working days a stage deadline may be (a publicity period included).
pub const DEADLINE_DAYS: std::ops::RangeInclusive<i64> = 1..=365;
/// The pass marks a scoring stage may have.
pub const SCORE_RANGE: std::ops::RangeInclusive<i64> = 0..=100;

/// A number a kind takes from a dated policy parameter, named by the parameter's key
/// (e.g. `workflow.certification_district_review_days`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ParamRef(String);

impl ParamRef {
    /// The prefix a kind file writes before the key.
    pub const PREFIX: &'static str = "param:";

    /// The parameter's key.
    pub fn key(&self) -> &str {
        &self.0
    }
}

impl Kind {
    /// Every parameter the kind's stages name, with the stage and the range its value must
    /// lie in: each stage's deadline, and each scoring stage's pass mark.
    pub fn param_refs(
        &self,
    ) -> impl Iterator<Item = (&StageDef, &ParamRef, std::ops::RangeInclusive<i64>)> {
        self.stages.iter().flat_map(|s| {
            let score = match &s.step {
                StepKind::Scoring { min_score, .. } => Some((s, min_score, SCORE_RANGE)),
                _ => None,
            };
            let branch = s.when.as_ref().map(|c| (s, &c.above, THRESHOLD_RANGE));
            std::iter::once((s, &s.deadline, DEADLINE_DAYS))
                .chain(score)
                .chain(branch)
        })
    }
}

impl StageDef {
    /// Who acts at this stage: the reviewers, or the publicity handlers.
    pub fn actors(&self) -> &Reviewers {
        match &self.step {
            StepKind::Review { reviewers, .. } | StepKind::Scoring { reviewers, .. } => reviewers,
            StepKind::Publicity { handlers } => handlers,
        }
    }
}

/// What happens at a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum StepKind {
    /// Approve / reject / return.
    Review { reviewers: Reviewers, mode: Mode },
    /// Expert scoring: each reviewer gives 0..=100; the stage passes when every reviewer
    /// has scored and the mean is at least the parameter `min_score`, otherwise the
    /// application is rejected.
    Scoring {
        reviewers: Reviewers,
        min_score: ParamRef,
    },
    /// 公示: lasts the stage's `deadline`; anyone signed in except the applicant may object;
    /// handlers resolve objections and conclude after the end date when none is open.
    Publicity { handlers: Reviewers },
}

impl StepKind {
    /// Machine code: `review`, `scoring`, `publicity`.
    pub fn as_str(&self) -> &'static str {
        match self {
            StepKind::Review { .. } => "review",
            StepKind::Scoring { .. } => "scoring",
            StepKind::Publicity { .. } => "publicity",
        }
    }

    /// Chinese label: 审核, 专家评分, 公示.
    pub fn label(&self) -> &'static str {
        match self {
            StepKind::Review { .. } => "审核",
            StepKind::Scoring { .. } => "专家评分",
            StepKind::Publicity { .. } => "公示",
        }
    }
}

/// Who reviews (or handles) a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Reviewers {
    /// District users whose area is the applicant's district.
    DistrictOfApplicant,
    /// Department users of these units (codes of [`crate::reference::UNITS`]), e.g. `["fgw", "jw"]`.
    Units(Vec<String>),
    /// Any user with this role.
    Role(Role),
    /// The organisation the applicant named in this field (an `org` field), e.g. the bank it
    /// chose.
    Field(String),
}

impl Reviewers {
    /// Chinese description, e.g. `"市发展改革委、市教委"`, `"申报单位所在区县"`, `"运营管理员"`.
    pub fn describe(&self) -> String {
        match self {
            Reviewers::DistrictOfApplicant => "申报单位所在区县".to_owned(),
            Reviewers::Units(units) => units
                .iter()
                .map(|u| unit_name(u))
                .collect::<Vec<_>>()
                .join("、"),
            Reviewers::Role(role) => role.label().to_owned(),
            Reviewers::Field(_) => "申报单位选定的机构".to_owned(),
        }
    }
}

/// The Chinese short name of a unit code, or the code itself if unknown.
pub(super) fn unit_name(code: &str) -> &str {
    reference::unit(code).map_or(code, |u| u.name)
}

/// How the units of a review stage decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Every listed unit must approve, in any order (parallel).
    All,
    /// The units act in the listed order; every one must approve.
    Sequential,
    /// One approval suffices.
    Any,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::All, Mode::Sequential, Mode::Any];

    /// Machine code: `all`, `sequential`, `any`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::All => "all",
            Mode::Sequential => "sequential",
            Mode::Any => "any",
        }
    }

    /// Chinese label: 会签（并行）, 依次审核, 任一审核.
    pub fn label(self) -> &'static str {
        match self {
            Mode::All => "会签（并行）",
            Mode::Sequential => "依次审核",
            Mode::Any => "任一审核",
        }
    }
}

/// The shipped kinds' files, embedded in the binary.
pub(super) const SHIPPED: &[(&str, &str)] = &[
    (
        "enterprise_cultivation.toml",
        include_str!("../../workflows/enterprise_cultivation.toml"),
    ),
    (
        "enterprise_certification.toml",
        include_str!("../../workflows/enterprise_certification.toml"),
    ),
    (
        "national_recommendation.toml",
        include_str!("../../workflows/national_recommendation.toml"),
    ),
    (
        "tax_credit_claim.toml",
        include_str!("../../workflows/tax_credit_claim.toml"),
    ),
    (
        "annual_report.toml",
        include_str!("../../workflows/annual_report.toml"),
    ),
    (
        "reevaluation.toml",
        include_str!("../../workflows/reevaluation.toml"),
    ),
];

/// The shipped registers' files, embedded in the binary.
pub(super) const SHIPPED_REGISTERS: &[(&str, &str)] = &[(
    "registers/certified_enterprises.toml",
    include_str!("../../registers/certified_enterprises.toml"),
)];

/// Every kind and register, as loaded.
pub(super) struct Catalog {
    kinds: Vec<Kind>,
    registers: Vec<super::register::Register>,
}

/// Parses `files` (name, text) with `parse` into `out`, each replacing the item of the same
/// code already there (a shipped one) or added; a code twice among `files` is refused.
fn merge<T>(
    out: &mut Vec<T>,
    files: &[(String, String)],
    parse: impl Fn(&str) -> Result<T, WorkflowError>,
    code: impl Fn(&T) -> &str,
    what: &str,
) -> Result<(), String> {
    let mut seen: Vec<String> = Vec::new();
    for (file, text) in files {
        let item = parse(text).map_err(|e| format!("{file}：{e}"))?;
        let c = code(&item).to_owned();
        if seen.contains(&c) {
            return Err(format!("{file}：{what}代码“{c}”重复"));
        }
        match out.iter_mut().find(|x| code(x) == c) {
            Some(x) => *x = item,
            None => out.push(item),
        }
        seen.push(c);
    }
    Ok(())
}

/// Parses and cross-checks kind and register files (codes unique, `requires` names a kind,
/// effects name registers that fit): the shipped ones, then `kinds` and `registers` (file
/// name, text) replacing a shipped one of the same code or adding one.
pub(super) fn load_files(
    kinds_extra: &[(String, String)],
    registers_extra: &[(String, String)],
) -> Result<Catalog, String> {
    let owned = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(f, t)| ((*f).to_owned(), (*t).to_owned()))
            .collect()
    };
    let mut kinds: Vec<Kind> = Vec::with_capacity(SHIPPED.len());
    merge(
        &mut kinds,
        &owned(SHIPPED),
        parse_kind,
        |k| &k.code,
        "申报事项",
    )?;
    merge(&mut kinds, kinds_extra, parse_kind, |k| &k.code, "申报事项")?;
    let mut registers = Vec::new();
    let parse_reg = super::register::parse_register;
    merge(
        &mut registers,
        &owned(SHIPPED_REGISTERS),
        parse_reg,
        |r| &r.code,
        "名录",
    )?;
    merge(
        &mut registers,
        registers_extra,
        parse_reg,
        |r| &r.code,
        "名录",
    )?;
    for kind in &kinds {
        if let Some(req) = &kind.requires
            && !kinds.iter().any(|k| &k.code == req)
        {
            return Err(format!("申报事项“{}”的前置事项“{req}”不存在", kind.code));
        }
        super::register::check_effects(kind, &registers)
            .map_err(|e| format!("申报事项“{}”：{e}", kind.code))?;
    }
    Ok(Catalog { kinds, registers })
}

static CATALOG: OnceLock<Catalog> = OnceLock::new();

/// The `*.toml` files of `dir` (name, text), sorted; none if `dir` does not exist and
/// `optional`.
fn toml_files(dir: &std::path::Path, optional: bool) -> Result<Vec<(String, String)>, String> {
    let mut files: Vec<(String, String)> = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if optional && e.kind() == std::io::ErrorKind::NotFound => return Ok(files),
        Err(e) => return Err(format!("无法读取目录 {}：{e}", dir.display())),
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("无法读取 {}：{e}", path.display()))?;
        files.push((path.display().to_string(), text));
    }
    files.sort();
    Ok(files)
}

/// Loads the kinds and registers once, at startup, before any use: the shipped files with
/// every `*.toml` file of `dir` (an operator's `--kinds-dir`) and of `dir/registers`
/// replacing the shipped kind or register of the same code or adding a new one. An invalid
/// file is refused naming the file and the place in it; loading twice is refused.
pub fn load_kinds(dir: &std::path::Path) -> Result<&'static [Kind], String> {
    let kinds = toml_files(dir, false)?;
    let registers = toml_files(&dir.join("registers"), true)?;
    let loaded = load_files(&kinds, &registers)?;
    CATALOG
        .set(loaded)
        .map_err(|_| "申报事项已加载，须在启动时指定目录".to_owned())?;
    Ok(self::kinds())
}

fn catalog() -> &'static Catalog {
    CATALOG.get_or_init(|| match load_files(&[], &[]) {
        Ok(c) => c,
        Err(e) => panic!("内置申报流程配置无效：{e}"),
    })
}

/// Every application kind: the shipped ones, or those [`load_kinds`] loaded at startup.
///
/// # Panics
/// Only if a shipped file is invalid, which the crate's tests rule out.
pub fn kinds() -> &'static [Kind] {
    &catalog().kinds
}

/// Every register: the shipped ones, or those [`load_kinds`] loaded at startup.
pub fn registers() -> &'static [super::register::Register] {
    &catalog().registers
}

/// The register with this code.
pub fn register(code: &str) -> Option<&'static super::register::Register> {
    registers().iter().find(|r| r.code == code)
}

/// The shipped kind with this code.
pub fn kind(code: &str) -> Option<&'static Kind> {
    kinds().iter().find(|k| k.code == code)
}

/// Parses and validates one kind from its TOML text.
///
/// Rejects, with a Chinese message naming the place: TOML syntax errors (with the line),
/// unknown or missing keys, wrong value types, an unknown measure or organisation kind,
/// empty stages, duplicate stage codes, unknown unit codes or units not responsible for
/// the measure, empty or duplicate unit lists, `sequential` mode without units, a
/// keys that do not fit the step (e.g. `mode` on a scoring stage), and a deadline or pass
/// mark written as a number instead of a `param:` reference.
pub fn parse_kind(toml_text: &str) -> Result<Kind, WorkflowError> {
    let table = parse_toml(toml_text)?;
    let top = Fields::new(&table, String::new());
    top.only(&[
        "code",
        "title",
        "measure",
        "version",
        "applicant",
        "rule",
        "requires",
        "requires_valid",
        "correctable",
        "fields",
        "stages",
        "effects",
        "rule_inputs",
    ])?;
    let mut kind = parse_kind_table(&top)?;
    kind.source = toml_text.to_owned();
    Ok(kind)
}

/// A TOML document, or the line its syntax error is on.
pub(super) fn parse_toml(toml_text: &str) -> Result<toml::Table, WorkflowError> {
    toml::from_str(toml_text).map_err(|e| {
        let line = e.span().map(|s| {
            toml_text[..s.start.min(toml_text.len())]
                .matches('\n')
                .count()
                + 1
        });
        WorkflowError::Syntax {
            line: line.unwrap_or(1),
            detail: e.message().to_owned(),
        }
    })
}

fn parse_kind_table(top: &Fields) -> Result<Kind, WorkflowError> {
    let code = top.code("code")?;
    let title = top.text("title")?;
    let measure_no = top.integer("measure")?;
    let measure = u8::try_from(measure_no)
        .ok()
        .and_then(reference::measure)
        .ok_or_else(|| config(format!("措施编号应为1至13，实际为{measure_no}")))?;
    let applicants = parse_org_kinds(top.get("applicant"), "applicant")?;
    let version = top.version()?;
    let effects = super::register::parse_effects(top.get("effects"))?;
    let rule = top.opt_code("rule")?;
    let rule_inputs = match top.get("rule_inputs") {
        None => Vec::new(),
        Some(_) if rule.is_none() => return Err(config("“rule_inputs”须与“rule”一起使用")),
        Some(toml::Value::Table(t)) => t
            .iter()
            .map(|(name, v)| {
                let bad = || {
                    config(format!(
                        "rule_inputs.{name}：应写作 \"field:字段名\" 或 \"platform:数据项\""
                    ))
                };
                let s = v.as_str().map(str::trim).ok_or_else(bad)?;
                let src = if let Some(f) = s.strip_prefix("field:") {
                    InputSource::Field(f.trim().to_owned())
                } else if let Some(p) = s.strip_prefix("platform:") {
                    InputSource::Platform(p.trim().to_owned())
                } else {
                    return Err(bad());
                };
                Ok((name.clone(), src))
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(config("“rule_inputs”应为表（[rule_inputs]）")),
    };
    let requires = top.opt_code("requires")?;
    let fields = match top.get("fields") {
        None => Vec::new(),
        Some(toml::Value::Array(values)) => crate::form::parse_fields(values).map_err(config)?,
        Some(_) => return Err(config("字段“fields”应为字段列表（[[fields]]）")),
    };
    let requires_valid = match top.get("requires_valid") {
        None => false,
        Some(toml::Value::Boolean(b)) if requires.is_some() || !*b => *b,
        Some(toml::Value::Boolean(_)) => {
            return Err(config("“requires_valid”须与“requires”一起使用"));
        }
        Some(_) => return Err(config("字段“requires_valid”应为 true 或 false")),
    };
    let correctable = match top.get("correctable") {
        None => false,
        Some(toml::Value::Boolean(b)) => *b,
        Some(_) => return Err(config("字段“correctable”应为 true 或 false")),
    };
    if requires.as_deref() == Some(code.as_str()) {
        return Err(config("前置事项不能是本事项自身"));
    }

    let stages_v = top
        .get("stages")
        .ok_or_else(|| config("缺少字段“stages”"))?;
    let Some(stage_values) = stages_v.as_array() else {
        return Err(config("字段“stages”应为阶段列表（[[stages]]）"));
    };
    if stage_values.is_empty() {
        return Err(config("至少需要一个阶段"));
    }
    let mut stages: Vec<StageDef> = Vec::with_capacity(stage_values.len());
    for (i, v) in stage_values.iter().enumerate() {
        let Some(t) = v.as_table() else {
            return Err(config(format!("第{}个阶段应为表（[[stages]]）", i + 1)));
        };
        let stage = parse_stage(t, i, measure)?;
        if stages.iter().any(|s| s.code == stage.code) {
            return Err(config(format!("阶段代码“{}”重复", stage.code)));
        }
        stages.push(stage);
    }

    for (i, st) in stages.iter().enumerate() {
        if let Reviewers::Field(name) = st.actors()
            && !fields
                .iter()
                .any(|f| &f.name == name && matches!(f.ty, crate::form::FieldType::Org { .. }))
        {
            return Err(config(format!(
                "第{}个阶段（{}）：审核方字段“{name}”不存在或不是机构字段（type = \"org\"）",
                i + 1,
                st.code
            )));
        }
        let Some(c) = &st.when else { continue };
        if i == 0 {
            return Err(config(format!(
                "第1个阶段（{}）不能带分支条件（“when”）",
                st.code
            )));
        }
        let numeric = fields.iter().any(|f| {
            f.name == c.field
                && matches!(
                    f.ty,
                    crate::form::FieldType::Money | crate::form::FieldType::Integer { .. }
                )
        });
        if !numeric {
            return Err(config(format!(
                "第{}个阶段（{}）：分支条件的字段“{}”不存在或不是金额、整数字段",
                i + 1,
                st.code,
                c.field
            )));
        }
    }

    for (name, src) in &rule_inputs {
        if let InputSource::Field(f) = src
            && !fields.iter().any(|x| &x.name == f)
        {
            return Err(config(format!(
                "rule_inputs.{name}：字段“{f}”不是本事项的字段"
            )));
        }
    }
    Ok(Kind {
        code,
        title,
        measure: measure.number,
        applicants,
        rule,
        requires,
        requires_valid,
        fields,
        correctable,
        stages,
        effects,
        version,
        rule_inputs,
        source: String::new(),
    })
}

/// `applicant = "enterprise"` or `applicant = ["school", "enterprise"]` (likewise a
/// register's `owner`): organisation kinds, at least one, none repeated.
pub(super) fn parse_org_kinds(
    v: Option<&toml::Value>,
    key: &str,
) -> Result<Vec<OrgKind>, WorkflowError> {
    let what = if key == "applicant" {
        "申报主体类型"
    } else {
        "机构类型"
    };
    let one = |s: &str| {
        OrgKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| config(format!("字段“{key}”：未知的{what}“{s}”")))
    };
    let kinds = match v {
        None => return Err(config(format!("缺少字段“{key}”"))),
        Some(toml::Value::String(s)) => vec![one(s.trim())?],
        Some(toml::Value::Array(list)) => list
            .iter()
            .map(|x| {
                x.as_str()
                    .ok_or_else(|| config(format!("字段“{key}”的列表应由机构类型组成")))
                    .and_then(|s| one(s.trim()))
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(config(format!("字段“{key}”应为机构类型或机构类型列表"))),
    };
    if kinds.is_empty() {
        return Err(config(format!("字段“{key}”不能为空")));
    }
    if (1..kinds.len()).any(|i| kinds[..i].contains(&kinds[i])) {
        return Err(config(format!("字段“{key}”有重复的机构类型")));
    }
    Ok(kinds)
}

impl Kind {
    /// Whether organisations of kind `k` may apply.
    pub fn accepts(&self, k: OrgKind) -> bool {
        self.applicants.contains(&k)
    }
}

fn parse_stage(
    t: &toml::Table,
    index: usize,
    measure: &reference::Measure,
) -> Result<StageDef, WorkflowError> {
    let f = Fields::new(t, format!("第{}个阶段：", index + 1));
    let code = f.code("code")?;
    let f = Fields::new(t, format!("第{}个阶段（{code}）：", index + 1));
    let name = f.text("name")?;
    let deadline = f.param_ref("deadline", "办理时限")?;
    let step_s = f.text("step")?;
    let step = match step_s.as_str() {
        "review" => {
            f.only(&[
                "code",
                "name",
                "step",
                "deadline",
                "reviewers",
                "mode",
                "when",
            ])?;
            let reviewers = f.reviewers("reviewers", measure)?;
            let mode = match f.opt_text("mode")?.as_deref() {
                None | Some("all") => Mode::All,
                Some("sequential") => Mode::Sequential,
                Some("any") => Mode::Any,
                Some(other) => {
                    return Err(f.err(format!(
                        "未知的审核方式“{other}”（应为 all、sequential 或 any）"
                    )));
                }
            };
            if mode == Mode::Sequential && !matches!(reviewers, Reviewers::Units(_)) {
                return Err(f.err("依次审核（sequential）须列出审核单位"));
            }
            StepKind::Review { reviewers, mode }
        }
        "scoring" => {
            f.only(&[
                "code",
                "name",
                "step",
                "deadline",
                "reviewers",
                "min_score",
                "when",
            ])?;
            let reviewers = f.reviewers("reviewers", measure)?;
            StepKind::Scoring {
                reviewers,
                min_score: f.param_ref("min_score", "及格分")?,
            }
        }
        "publicity" => {
            f.only(&["code", "name", "step", "deadline", "handlers", "when"])?;
            StepKind::Publicity {
                handlers: f.reviewers("handlers", measure)?,
            }
        }
        other => {
            return Err(f.err(format!(
                "未知的阶段类型“{other}”（应为 review、scoring 或 publicity）"
            )));
        }
    };
    Ok(StageDef {
        code,
        name,
        step,
        deadline,
        when: f.condition()?,
    })
}

pub(super) fn config(msg: impl Into<String>) -> WorkflowError {
    WorkflowError::Config(msg.into())
}

/// Typed access to one TOML table with Chinese errors prefixed by the table's place.
pub(super) struct Fields<'t> {
    table: &'t toml::Table,
    place: String,
}

impl<'t> Fields<'t> {
    pub(super) fn new(table: &'t toml::Table, place: String) -> Self {
        Self { table, place }
    }

    pub(super) fn err(&self, msg: impl AsRef<str>) -> WorkflowError {
        config(format!("{}{}", self.place, msg.as_ref()))
    }

    pub(super) fn get(&self, key: &str) -> Option<&'t toml::Value> {
        self.table.get(key)
    }

    pub(super) fn only(&self, allowed: &[&str]) -> Result<(), WorkflowError> {
        match self.table.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(self.err(format!("不支持的字段“{k}”"))),
            None => Ok(()),
        }
    }

    pub(super) fn opt_text(&self, key: &str) -> Result<Option<String>, WorkflowError> {
        match self.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => {
                let s = s.trim();
                if s.is_empty() {
                    Err(self.err(format!("字段“{key}”不能为空")))
                } else {
                    Ok(Some(s.to_owned()))
                }
            }
            Some(_) => Err(self.err(format!("字段“{key}”应为字符串"))),
        }
    }

    pub(super) fn text(&self, key: &str) -> Result<String, WorkflowError> {
        self.opt_text(key)?
            .ok_or_else(|| self.err(format!("缺少字段“{key}”")))
    }

    /// A machine code: lowercase ASCII letters, digits and `_`, starting with a letter.
    pub(super) fn opt_code(&self, key: &str) -> Result<Option<String>, WorkflowError> {
        let Some(s) = self.opt_text(key)? else {
            return Ok(None);
        };
        let ok = s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && s.len() <= 64;
        if ok {
            Ok(Some(s))
        } else {
            Err(self.err(format!(
                "字段“{key}”的值“{s}”应由小写英文字母、数字和下划线组成，以字母开头，不超过64个字符"
            )))
        }
    }

    pub(super) fn code(&self, key: &str) -> Result<String, WorkflowError> {
        self.opt_code(key)?
            .ok_or_else(|| self.err(format!("缺少字段“{key}”")))
    }

    pub(super) fn integer(&self, key: &str) -> Result<i64, WorkflowError> {
        match self.get(key) {
            None => Err(self.err(format!("缺少字段“{key}”"))),
            Some(toml::Value::Integer(n)) => Ok(*n),
            Some(_) => Err(self.err(format!("字段“{key}”应为整数"))),
        }
    }

    /// A reference to a dated policy parameter: `"param:<file>.<name>"`, both parts
    /// lowercase ASCII letters, digits and `_`. A bare number is refused by name, since a
    /// kind file may not hold an undated policy number.
    pub(super) fn param_ref(&self, key: &str, what: &str) -> Result<ParamRef, WorkflowError> {
        let s = match self.get(key) {
            None => return Err(self.err(format!("缺少字段“{key}”"))),
            Some(toml::Value::String(s)) => s.trim(),
            Some(toml::Value::Integer(_) | toml::Value::Float(_)) => {
                return Err(self.err(format!(
                    "{what}（“{key}”）不能直接写数字，应引用有日期和出处的政策参数，如 \"param:workflow.…\""
                )));
            }
            Some(_) => return Err(self.err(format!("字段“{key}”应为字符串 \"param:…\""))),
        };
        let part = |p: &str| {
            p.starts_with(|c: char| c.is_ascii_lowercase())
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        match s
            .strip_prefix(ParamRef::PREFIX)
            .and_then(|k| k.split_once('.').map(|(a, b)| (k, a, b)))
        {
            Some((k, file, name)) if part(file) && part(name) && k.len() <= 128 => {
                Ok(ParamRef(k.to_owned()))
            }
            _ => Err(self.err(format!(
                "{what}（“{key}”）应写作 \"param:<参数文件>.<参数名>\"，实际为“{s}”"
            ))),
        }
    }

    /// `when = { field = "…", above = "param:…" }` (checked against the fields by the kind).
    fn condition(&self) -> Result<Option<Condition>, WorkflowError> {
        let Some(v) = self.get("when") else {
            return Ok(None);
        };
        let bad = || self.err("“when”应写作 { field = \"字段名\", above = \"param:…\" }");
        let t = v.as_table().ok_or_else(bad)?;
        if t.keys().any(|k| k != "field" && k != "above") {
            return Err(bad());
        }
        let inner = Fields::new(t, self.place.clone());
        let field = inner.text("field").map_err(|_| bad())?;
        let above = inner.param_ref("above", "分支条件")?;
        Ok(Some(Condition { field, above }))
    }

    /// A list of unit codes, each responsible for `measure`, none repeated, not empty.
    pub(super) fn units(
        &self,
        key: &str,
        measure: &reference::Measure,
    ) -> Result<Vec<String>, WorkflowError> {
        let Some(toml::Value::Array(items)) = self.get(key) else {
            return Err(self.err(format!("字段“{key}”应为单位代码列表")));
        };
        if items.is_empty() {
            return Err(self.err(format!("字段“{key}”的单位列表不能为空")));
        }
        let mut units: Vec<String> = Vec::with_capacity(items.len());
        for item in items {
            let Some(code) = item.as_str().map(str::trim) else {
                return Err(self.err(format!("字段“{key}”的单位代码应为字符串")));
            };
            let Some(unit) = reference::unit(code) else {
                return Err(self.err(format!("未知的单位代码“{code}”")));
            };
            if !measure.is_responsible(code) {
                return Err(self.err(format!(
                    "{}不是措施{}（{}）的责任单位",
                    unit.name, measure.number, measure.title
                )));
            }
            if units.iter().any(|u| u == code) {
                return Err(self.err(format!("单位“{}”重复", unit.name)));
            }
            units.push(code.to_owned());
        }
        Ok(units)
    }

    pub(super) fn opt_bool(&self, key: &str) -> Result<Option<bool>, WorkflowError> {
        match self.get(key) {
            None => Ok(None),
            Some(toml::Value::Boolean(b)) => Ok(Some(*b)),
            Some(_) => Err(self.err(format!("字段“{key}”应为 true 或 false"))),
        }
    }

    /// `version = N` (optional, default 1): a positive integer.
    pub(super) fn version(&self) -> Result<u32, WorkflowError> {
        match self.get("version") {
            None => Ok(1),
            Some(toml::Value::Integer(n)) if (1..=i64::from(u32::MAX)).contains(n) => {
                Ok(u32::try_from(*n).unwrap_or(1))
            }
            Some(_) => Err(self.err("字段“version”应为正整数")),
        }
    }

    fn reviewers(
        &self,
        key: &str,
        measure: &reference::Measure,
    ) -> Result<Reviewers, WorkflowError> {
        match self.get(key) {
            None => Err(self.err(format!("缺少字段“{key}”"))),
            Some(toml::Value::String(s)) => {
                let s = s.trim();
                if s == "district_of_applicant" {
                    return Ok(Reviewers::DistrictOfApplicant);
                }
                if let Some(f) = s.strip_prefix("field:") {
                    // Checked against the kind's fields once they are all read.
                    return Ok(Reviewers::Field(f.trim().to_owned()));
                }
                if let Some(r) = s.strip_prefix("role:") {
                    return Role::ALL
                        .into_iter()
                        .find(|role| role.as_str() == r.trim())
                        .map(Reviewers::Role)
                        .ok_or_else(|| self.err(format!("未知的角色“{}”", r.trim())));
                }
                Err(self.err(format!(
                    "字段“{key}”应为 \"district_of_applicant\"、\"role:角色\" 或单位代码列表，实际为“{s}”"
                )))
            }
            Some(toml::Value::Array(_)) => Ok(Reviewers::Units(self.units(key, measure)?)),
            Some(_) => Err(self.err(format!(
                "字段“{key}”应为 \"district_of_applicant\"、\"role:角色\" 或单位代码列表"
            ))),
        }
    }
}
