//! The review workflow engine: one "apply → review → publish" machine for every measure,
//! configured per application kind by data ([`Kind`], parsed from TOML) instead of code.
//!
//! Pure and deterministic: [`apply`] takes a kind, the stored [`State`], an [`Action`], the
//! [`Actor`] and a [`Context`] (today's date, the applicant's district, a working-day
//! calendar) and returns the next state with a history line and who to notify, or a
//! [`WorkflowError`] whose message (in Chinese) says why the action is not allowed. Storage
//! (optimistic locking, history, inbox) and the policy rules named by [`Kind::rule`] and
//! [`Kind::requires`] are the caller's business.
//!
//! Lifecycle: `Draft` —submit→ `InReview` (stage 0) → … each stage passes to the next …
//! → `Approved` (→ `Revoked`). At a review or scoring stage a reviewer may return the
//! application (`Returned`, resubmission resumes at that stage) or reject it (`Rejected`).
//! A publicity stage has status `Publicity`. The applicant may withdraw (`Withdrawn`)
//! while it is `InReview` or `Returned`.

mod config;
pub mod register;
#[cfg(test)]
mod tests;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

pub use config::{
    DEADLINE_DAYS, InputSource, Kind, Mode, ParamRef, Reviewers, SCORE_RANGE, StageDef, StepKind,
    kind, kinds, load_kinds, parse_kind, register, registers,
};
pub use register::{Effect, EffectAction, EntryKey, Register, Trigger, parse_register};

use crate::orgs::Role;
use crate::reference;

/// Why a workflow configuration was rejected or an action is not allowed.
///
/// `Display` gives the Chinese message for users; [`WorkflowError::code`] gives a stable
/// machine-readable code for APIs and logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    /// The TOML text is not valid TOML. `detail` is the parser's (English) message, for logs.
    #[error("流程配置第{line}行不是有效的TOML格式")]
    Syntax { line: usize, detail: String },
    /// The TOML is well-formed but the configuration is invalid; the message says where and why.
    #[error("流程配置错误：{0}")]
    Config(String),
    /// The stored state does not fit the kind (e.g. the configuration lost a stage).
    #[error("申请状态与流程配置不一致：{0}")]
    Inconsistent(String),
    #[error("当前状态为{}，不能{}", status.label(), action.label())]
    WrongStatus { status: Status, action: ActionKind },
    #[error("本阶段（{stage}）为{step}阶段，不能{}", action.label())]
    WrongStep {
        stage: String,
        step: &'static str,
        action: ActionKind,
    },
    #[error("只有申报单位可以{}", action.label())]
    NotApplicant { action: ActionKind },
    #[error("申报单位不能审核或处理本单位的申请")]
    OwnApplication,
    #[error("您不是本阶段（{stage}）的审核单位")]
    NotReviewer { stage: String },
    #[error("本阶段（{stage}）依次审核，当前应由{expected}审核")]
    NotYourTurn { stage: String, expected: String },
    #[error("本单位已在本阶段审核")]
    AlreadyActed,
    #[error("申报单位未登记所属区县，无法确定初审区县")]
    NoApplicantDistrict,
    /// `what` names the missing text, e.g. 驳回理由.
    #[error("请填写{what}")]
    Required { what: &'static str },
    #[error("评分应为0至100分，实际为{score}分")]
    ScoreRange { score: u32 },
    #[error("公示期至{}，尚未结束", zh_date(*due))]
    PublicityNotEnded { due: NaiveDate },
    #[error("公示期已于{}结束，不能再提出异议", zh_date(*due))]
    PublicityEnded { due: NaiveDate },
    #[error("仍有未处理的异议")]
    OpenObjections,
    #[error("申报单位不能对本单位的公示提出异议")]
    ApplicantObjects,
    #[error("编号为{id}的异议不存在")]
    ObjectionNotFound { id: u32 },
    #[error("编号为{id}的异议已处理")]
    ObjectionResolved { id: u32 },
    #[error("只有{stage}阶段的审核单位或运营管理员可以撤销")]
    NotRevoker { stage: String },
    #[error("“{kind}”审核通过后不能申请更正")]
    NotCorrectable { kind: String },
    /// A parameter a stage names has no usable value at the case's date (a configuration
    /// fault the shipped files' tests rule out; an operator's override could cause it).
    #[error("阶段“{stage}”引用的政策参数“{key}”在申报日期{problem}，请运营管理员检查参数文件")]
    Param {
        stage: String,
        key: String,
        problem: String,
    },
}

impl WorkflowError {
    /// Stable machine-readable code, e.g. `"workflow.wrong_status"`.
    pub fn code(&self) -> &'static str {
        match self {
            WorkflowError::Syntax { .. } => "workflow.syntax",
            WorkflowError::Config(_) => "workflow.config",
            WorkflowError::Param { .. } => "workflow.param",
            WorkflowError::NotCorrectable { .. } => "workflow.not_correctable",
            WorkflowError::Inconsistent(_) => "workflow.inconsistent",
            WorkflowError::WrongStatus { .. } => "workflow.wrong_status",
            WorkflowError::WrongStep { .. } => "workflow.wrong_step",
            WorkflowError::NotApplicant { .. } => "workflow.not_applicant",
            WorkflowError::OwnApplication => "workflow.own_application",
            WorkflowError::NotReviewer { .. } => "workflow.not_reviewer",
            WorkflowError::NotYourTurn { .. } => "workflow.not_your_turn",
            WorkflowError::AlreadyActed => "workflow.already_acted",
            WorkflowError::NoApplicantDistrict => "workflow.no_applicant_district",
            WorkflowError::Required { .. } => "workflow.required",
            WorkflowError::ScoreRange { .. } => "workflow.score_range",
            WorkflowError::PublicityNotEnded { .. } => "workflow.publicity_not_ended",
            WorkflowError::PublicityEnded { .. } => "workflow.publicity_ended",
            WorkflowError::OpenObjections => "workflow.open_objections",
            WorkflowError::ApplicantObjects => "workflow.applicant_objects",
            WorkflowError::ObjectionNotFound { .. } => "workflow.objection_not_found",
            WorkflowError::ObjectionResolved { .. } => "workflow.objection_resolved",
            WorkflowError::NotRevoker { .. } => "workflow.not_revoker",
        }
    }
}

/// A date as people write it: `2024年5月10日`.
pub fn zh_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// The status of an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    InReview,
    Returned,
    Publicity,
    Approved,
    Rejected,
    Withdrawn,
    Revoked,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::Draft,
        Status::InReview,
        Status::Returned,
        Status::Publicity,
        Status::Approved,
        Status::Rejected,
        Status::Withdrawn,
        Status::Revoked,
    ];

    /// The status with this machine name.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The snake_case machine name (same as the serde form).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::InReview => "in_review",
            Status::Returned => "returned",
            Status::Publicity => "publicity",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Withdrawn => "withdrawn",
            Status::Revoked => "revoked",
        }
    }

    /// The Chinese label shown to users.
    pub fn label(self) -> &'static str {
        match self {
            Status::Draft => "草稿",
            Status::InReview => "审核中",
            Status::Returned => "退回修改",
            Status::Publicity => "公示中",
            Status::Approved => "已通过",
            Status::Rejected => "未通过",
            Status::Withdrawn => "已撤回",
            Status::Revoked => "已撤销",
        }
    }

    /// Whether the application is being processed at a stage (`InReview` or `Publicity`).
    pub fn is_active(self) -> bool {
        matches!(self, Status::InReview | Status::Publicity)
    }

    /// Whether nothing can happen any more (`Rejected`, `Withdrawn`, `Revoked`).
    /// `Approved` is not terminal: it can still be revoked.
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Rejected | Status::Withdrawn | Status::Revoked)
    }
}

/// What a reviewer did in the current stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Acted {
    Approve,
    Score,
}

/// One reviewer's act in the current stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitAction {
    /// Who acted: a unit code (`"fgw"`), a district code (`"500101"`) or a role (`"operator"`),
    /// according to the stage's [`Reviewers`].
    pub unit: String,
    pub action: Acted,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<u32>,
}

/// An objection raised during publicity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Objection {
    /// 1-based, in order of arrival.
    pub id: u32,
    /// The objecting organisation.
    pub by_org: i64,
    pub text: String,
    /// `None` while open; `Some(true)` upheld, `Some(false)` dismissed.
    pub resolved: Option<bool>,
}

/// The workflow state of one application, stored as JSON by the storage layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub status: Status,
    /// Index into [`Kind::stages`]: the current stage while `InReview`/`Publicity`, the stage
    /// that returned it while `Returned`, the stage where it ended otherwise.
    pub stage: usize,
    /// When the current stage started (`InReview`/`Publicity` only).
    pub stage_started: Option<NaiveDate>,
    /// The current stage's deadline; for publicity, its last day (`InReview`/`Publicity` only).
    pub due: Option<NaiveDate>,
    /// Who has acted in the current stage.
    #[serde(default)]
    pub acted: Vec<UnitAction>,
    /// The stage that returned the application; resubmission resumes there.
    #[serde(default)]
    pub returned_from: Option<usize>,
    #[serde(default)]
    pub objections: Vec<Objection>,
    /// Review round: 1 at first submission, incremented at each resubmission.
    pub round: u32,
}

/// A fresh draft.
pub fn new_draft() -> State {
    State {
        status: Status::Draft,
        stage: 0,
        stage_started: None,
        due: None,
        acted: Vec::new(),
        returned_from: None,
        objections: Vec::new(),
        round: 1,
    }
}

/// Something a person asks the workflow to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    Submit,
    Withdraw,
    Approve {
        comment: Option<String>,
    },
    Reject {
        reason: String,
    },
    Return {
        comment: String,
    },
    Score {
        score: u32,
        comment: Option<String>,
    },
    Resubmit,
    Object {
        text: String,
    },
    ResolveObjection {
        id: u32,
        upheld: bool,
        comment: String,
    },
    ConcludePublicity,
    Revoke {
        reason: String,
    },
    /// The applicant reopens its approved application to correct it (kinds marked
    /// `correctable`): the approval no longer stands; the application goes back to the
    /// applicant as returned, and its resubmission is reviewed from the first stage.
    Correct {
        reason: String,
    },
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Submit => ActionKind::Submit,
            Action::Withdraw => ActionKind::Withdraw,
            Action::Approve { .. } => ActionKind::Approve,
            Action::Reject { .. } => ActionKind::Reject,
            Action::Return { .. } => ActionKind::Return,
            Action::Score { .. } => ActionKind::Score,
            Action::Resubmit => ActionKind::Resubmit,
            Action::Object { .. } => ActionKind::Object,
            Action::ResolveObjection { .. } => ActionKind::ResolveObjection,
            Action::ConcludePublicity => ActionKind::ConcludePublicity,
            Action::Revoke { .. } => ActionKind::Revoke,
            Action::Correct { .. } => ActionKind::Correct,
        }
    }
}

/// The kind of an [`Action`], without its data (for buttons, events and messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Submit,
    Withdraw,
    Approve,
    Reject,
    Return,
    Score,
    Resubmit,
    Object,
    ResolveObjection,
    ConcludePublicity,
    Revoke,
    Correct,
}

impl ActionKind {
    pub const ALL: [ActionKind; 12] = [
        ActionKind::Submit,
        ActionKind::Withdraw,
        ActionKind::Approve,
        ActionKind::Reject,
        ActionKind::Return,
        ActionKind::Score,
        ActionKind::Resubmit,
        ActionKind::Object,
        ActionKind::ResolveObjection,
        ActionKind::ConcludePublicity,
        ActionKind::Revoke,
        ActionKind::Correct,
    ];

    /// The snake_case machine name, also used as [`Transition::event`].
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Submit => "submit",
            ActionKind::Withdraw => "withdraw",
            ActionKind::Approve => "approve",
            ActionKind::Reject => "reject",
            ActionKind::Return => "return",
            ActionKind::Score => "score",
            ActionKind::Resubmit => "resubmit",
            ActionKind::Object => "object",
            ActionKind::ResolveObjection => "resolve_objection",
            ActionKind::ConcludePublicity => "conclude_publicity",
            ActionKind::Revoke => "revoke",
            ActionKind::Correct => "correct",
        }
    }

    /// The Chinese verb, e.g. `"退回修改"`.
    pub fn label(self) -> &'static str {
        match self {
            ActionKind::Submit => "提交",
            ActionKind::Withdraw => "撤回",
            ActionKind::Approve => "审核通过",
            ActionKind::Reject => "驳回",
            ActionKind::Return => "退回修改",
            ActionKind::Score => "评分",
            ActionKind::Resubmit => "重新提交",
            ActionKind::Object => "提出异议",
            ActionKind::ResolveObjection => "处理异议",
            ActionKind::ConcludePublicity => "结束公示",
            ActionKind::Revoke => "撤销",
            ActionKind::Correct => "申请更正",
        }
    }

    /// Whether this is an act of a stage's reviewers or handlers (not the applicant's,
    /// not an objection, not a revocation).
    pub fn is_stage_action(self) -> bool {
        matches!(
            self,
            ActionKind::Approve
                | ActionKind::Reject
                | ActionKind::Return
                | ActionKind::Score
                | ActionKind::ResolveObjection
                | ActionKind::ConcludePublicity
        )
    }
}

/// Who is acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub role: Role,
    pub org_id: i64,
    /// The unit code of a department user, e.g. `"fgw"`.
    pub unit_code: Option<String>,
    /// The area code of a district user, e.g. `"500101"`.
    pub district: Option<String>,
    /// The caller's organisation is the applicant.
    pub is_applicant: bool,
}

/// What the engine needs to know about the world.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub today: NaiveDate,
    /// The applicant's area code, for [`Reviewers::DistrictOfApplicant`].
    pub applicant_district: Option<&'a str>,
    /// The working-day calendar: the date `n` working days after a date. `Sync` so that a
    /// context may be held across `.await` in a `Send` future.
    pub add_working_days: &'a (dyn Fn(NaiveDate, u32) -> NaiveDate + Sync),
    /// The value of the policy parameter with this key (a stage's deadline or pass mark,
    /// [`ParamRef`]) in force on the date the case was filed; `None` if it has none then.
    pub param: &'a (dyn Fn(&str) -> Option<i64> + Sync),
    /// The application's data, for branches on its fields (`StageDef::when`).
    pub data: Option<&'a serde_json::Value>,
}

impl Context<'_> {
    fn whose(&self) -> Whose<'_> {
        Whose {
            district: self.applicant_district,
            data: self.data,
        }
    }

    /// The number `r` names for `stage`, checked to lie in `range`.
    fn number(
        &self,
        stage: &StageDef,
        r: &ParamRef,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<u32, WorkflowError> {
        let v = self.value(stage, r, range)?;
        u32::try_from(v).map_err(|_| WorkflowError::Param {
            stage: stage.name.clone(),
            key: r.key().to_owned(),
            problem: format!("的取值{v}无效"),
        })
    }

    /// Whether the case takes `stage`: no branch, or its condition holds for the data.
    fn takes(&self, kind: &Kind, stage: &StageDef) -> Result<bool, WorkflowError> {
        let Some(c) = &stage.when else {
            return Ok(true);
        };
        let limit = self.value(stage, &c.above, config::THRESHOLD_RANGE)?;
        let money = kind
            .fields
            .iter()
            .any(|f| f.name == c.field && f.ty == crate::form::FieldType::Money);
        // A money field is stored in fen; its threshold is in 元.
        let limit = if money {
            limit.saturating_mul(100)
        } else {
            limit
        };
        let value = self
            .data
            .and_then(|d| d.get(&c.field))
            .and_then(serde_json::Value::as_i64)
            .unwrap_or(0);
        Ok(value > limit)
    }

    fn value(
        &self,
        stage: &StageDef,
        r: &ParamRef,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<i64, WorkflowError> {
        let problem = |problem: String| WorkflowError::Param {
            stage: stage.name.clone(),
            key: r.key().to_owned(),
            problem,
        };
        let v = (self.param)(r.key()).ok_or_else(|| problem("没有有效值".into()))?;
        if !range.contains(&v) {
            return Err(problem(format!(
                "的取值{v}不在{}至{}之间",
                range.start(),
                range.end()
            )));
        }
        Ok(v)
    }
}

/// Who should get an inbox item after a transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "to", content = "stage", rename_all = "snake_case")]
pub enum Notify {
    Applicant,
    /// The reviewers (or publicity handlers) of this stage.
    Reviewers(usize),
}

/// The result of a successful [`apply`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    pub state: State,
    /// Machine code of the action, e.g. `"approve"` ([`ActionKind::as_str`]).
    pub event: String,
    /// A Chinese sentence for the application's history.
    pub summary: String,
    pub notify: Vec<Notify>,
}

/// Applies `action` by `actor` to `state`; returns the next state or why it is refused.
///
/// Deterministic and free of side effects; never panics (except if `ctx.add_working_days`
/// does). The caller checks [`Kind::requires`] and runs [`Kind::rule`] before submitting,
/// and persists the result with optimistic locking.
pub fn apply(
    kind: &Kind,
    state: &State,
    action: &Action,
    actor: &Actor,
    ctx: &Context,
) -> Result<Transition, WorkflowError> {
    let ak = action.kind();
    let mut s = state.clone();
    let mut notify = Vec::new();
    let summary = match action {
        Action::Submit => {
            expect_status(state, &[Status::Draft], ak)?;
            expect_applicant(actor, ak)?;
            let name = enter_stage(kind, &mut s, 0, ctx)?;
            notify.push(Notify::Reviewers(0));
            format!("申报单位提交申请，进入“{name}”阶段")
        }
        Action::Withdraw => {
            expect_status(state, &[Status::InReview, Status::Returned], ak)?;
            expect_applicant(actor, ak)?;
            if state.status == Status::InReview {
                notify.push(Notify::Reviewers(state.stage));
            }
            s.status = Status::Withdrawn;
            s.stage_started = None;
            s.due = None;
            "申报单位撤回申请".to_owned()
        }
        Action::Resubmit => {
            expect_status(state, &[Status::Returned], ak)?;
            expect_applicant(actor, ak)?;
            let from = state.returned_from.unwrap_or(state.stage);
            let name = enter_stage(kind, &mut s, from, ctx)?;
            s.returned_from = None;
            s.round = state.round.saturating_add(1);
            notify.push(Notify::Reviewers(from));
            format!(
                "申报单位修改后重新提交（第{}轮），回到“{name}”阶段",
                s.round
            )
        }
        Action::Approve { comment } => {
            expect_status(state, &[Status::InReview], ak)?;
            let stage = current_stage(kind, state)?;
            let StepKind::Review { reviewers, mode } = &stage.step else {
                return Err(wrong_step(stage, ak));
            };
            let id = stage_reviewer(stage, actor, ctx.whose())?;
            expect_turn(stage, state, &id)?;
            s.acted.push(UnitAction {
                unit: id,
                action: Acted::Approve,
                score: None,
            });
            let mut text = format!("{}审核通过（{}）", who(actor), stage.name);
            push_comment(&mut text, "意见", comment.as_deref());
            if review_done(reviewers, *mode, &s.acted) {
                let next = advance(kind, &mut s, state.stage, ctx, &mut notify)?;
                text.push('；');
                text.push_str(&next);
            } else if let Reviewers::Units(rest) = pending_of(stage, &s) {
                if *mode == Mode::Sequential {
                    notify.push(Notify::Reviewers(state.stage));
                }
                text.push_str(&format!("；尚待{}审核", Reviewers::Units(rest).describe()));
            }
            text
        }
        Action::Reject { reason } => {
            expect_status(state, &[Status::InReview], ak)?;
            let stage = current_stage(kind, state)?;
            if matches!(stage.step, StepKind::Publicity { .. }) {
                return Err(wrong_step(stage, ak));
            }
            let id = stage_reviewer(stage, actor, ctx.whose())?;
            expect_turn(stage, state, &id)?;
            let reason = required(reason, "驳回理由")?;
            s.status = Status::Rejected;
            s.stage_started = None;
            s.due = None;
            notify.push(Notify::Applicant);
            format!(
                "{}驳回申请（{}），理由：{reason}；申请未通过",
                who(actor),
                stage.name
            )
        }
        Action::Return { comment } => {
            expect_status(state, &[Status::InReview], ak)?;
            let stage = current_stage(kind, state)?;
            if matches!(stage.step, StepKind::Publicity { .. }) {
                return Err(wrong_step(stage, ak));
            }
            let id = stage_reviewer(stage, actor, ctx.whose())?;
            expect_turn(stage, state, &id)?;
            let comment = required(comment, "退回意见")?;
            s.status = Status::Returned;
            s.returned_from = Some(state.stage);
            s.stage_started = None;
            s.due = None;
            notify.push(Notify::Applicant);
            format!("{}退回修改（{}），意见：{comment}", who(actor), stage.name)
        }
        Action::Score { score, comment } => {
            expect_status(state, &[Status::InReview], ak)?;
            let stage = current_stage(kind, state)?;
            let StepKind::Scoring {
                reviewers,
                min_score,
            } = &stage.step
            else {
                return Err(wrong_step(stage, ak));
            };
            let id = stage_reviewer(stage, actor, ctx.whose())?;
            expect_turn(stage, state, &id)?;
            if *score > 100 {
                return Err(WorkflowError::ScoreRange { score: *score });
            }
            s.acted.push(UnitAction {
                unit: id,
                action: Acted::Score,
                score: Some(*score),
            });
            let mut text = format!("{}评分{score}分（{}）", who(actor), stage.name);
            push_comment(&mut text, "意见", comment.as_deref());
            if scoring_done(reviewers, &s.acted) {
                let scores: Vec<u64> = s
                    .acted
                    .iter()
                    .filter_map(|a| a.score)
                    .map(u64::from)
                    .collect();
                let n = scores.len().max(1) as u64;
                let sum: u64 = scores.iter().sum();
                let tenths = sum * 10 / n;
                let mean = format!("{}.{}", tenths / 10, tenths % 10);
                let min_score = ctx.number(stage, min_score, config::SCORE_RANGE)?;
                if sum >= u64::from(min_score) * n {
                    let next = advance(kind, &mut s, state.stage, ctx, &mut notify)?;
                    text.push_str(&format!("；平均分{mean}分，达到{min_score}分，{next}"));
                } else {
                    s.status = Status::Rejected;
                    s.stage_started = None;
                    s.due = None;
                    notify.push(Notify::Applicant);
                    text.push_str(&format!("；平均分{mean}分，低于{min_score}分，申请未通过"));
                }
            } else if let Reviewers::Units(rest) = pending_of(stage, &s) {
                text.push_str(&format!("；尚待{}评分", Reviewers::Units(rest).describe()));
            }
            text
        }
        Action::Object { text } => {
            expect_status(state, &[Status::Publicity], ak)?;
            if actor.is_applicant {
                return Err(WorkflowError::ApplicantObjects);
            }
            let due = publicity_due(state)?;
            if ctx.today > due {
                return Err(WorkflowError::PublicityEnded { due });
            }
            let text = required(text, "异议内容")?;
            let id = u32::try_from(state.objections.len())
                .unwrap_or(u32::MAX)
                .saturating_add(1);
            s.objections.push(Objection {
                id,
                by_org: actor.org_id,
                text,
                resolved: None,
            });
            notify.push(Notify::Reviewers(state.stage));
            format!("公示期间收到异议（编号{id}）")
        }
        Action::ResolveObjection {
            id,
            upheld,
            comment,
        } => {
            expect_status(state, &[Status::Publicity], ak)?;
            let stage = current_stage(kind, state)?;
            stage_reviewer(stage, actor, ctx.whose())?;
            let Some(pos) = state.objections.iter().position(|o| o.id == *id) else {
                return Err(WorkflowError::ObjectionNotFound { id: *id });
            };
            if state.objections[pos].resolved.is_some() {
                return Err(WorkflowError::ObjectionResolved { id: *id });
            }
            let comment = required(comment, "处理意见")?;
            s.objections[pos].resolved = Some(*upheld);
            if *upheld {
                s.status = Status::Rejected;
                s.stage_started = None;
                s.due = None;
                notify.push(Notify::Applicant);
                format!(
                    "{}认定异议（编号{id}）成立，理由：{comment}；申请未通过",
                    who(actor)
                )
            } else {
                format!("{}认定异议（编号{id}）不成立，意见：{comment}", who(actor))
            }
        }
        Action::ConcludePublicity => {
            expect_status(state, &[Status::Publicity], ak)?;
            let stage = current_stage(kind, state)?;
            stage_reviewer(stage, actor, ctx.whose())?;
            let due = publicity_due(state)?;
            if ctx.today <= due {
                return Err(WorkflowError::PublicityNotEnded { due });
            }
            if state.objections.iter().any(|o| o.resolved.is_none()) {
                return Err(WorkflowError::OpenObjections);
            }
            let next = advance(kind, &mut s, state.stage, ctx, &mut notify)?;
            format!("{}确认公示期满无异议，{next}", who(actor))
        }
        Action::Revoke { reason } => {
            expect_status(state, &[Status::Approved], ak)?;
            let last = kind
                .last_stage()
                .ok_or_else(|| WorkflowError::Inconsistent("流程没有阶段".to_owned()))?;
            if !may_revoke(kind, actor, ctx.whose()) {
                return Err(WorkflowError::NotRevoker {
                    stage: last.name.clone(),
                });
            }
            let reason = required(reason, "撤销理由")?;
            s.status = Status::Revoked;
            notify.push(Notify::Applicant);
            format!("{}撤销已通过的申请，理由：{reason}", who(actor))
        }
        Action::Correct { reason } => {
            expect_status(state, &[Status::Approved], ak)?;
            expect_applicant(actor, ak)?;
            if !kind.correctable {
                return Err(WorkflowError::NotCorrectable {
                    kind: kind.title.clone(),
                });
            }
            let reason = required(reason, "更正原因")?;
            s.status = Status::Returned;
            s.returned_from = Some(0);
            s.stage = 0;
            s.stage_started = None;
            s.due = None;
            s.acted.clear();
            let first = kind.stage(0).map_or("第一", |st| st.name.as_str());
            format!(
                "申报单位申请更正已通过的申请，原因：{reason}；原审核结论不再有效，修改后重新提交，从“{first}”阶段重新审核"
            )
        }
    };
    Ok(Transition {
        state: s,
        event: ak.as_str().to_owned(),
        summary,
        notify,
    })
}

/// The actions `actor` may take now: each kind of action is tried through [`apply`] with
/// sample data, so the answer always agrees with `apply` (texts and the score are only
/// checked after permission, so samples do not change the outcome; `ResolveObjection` is
/// tried on the first open objection).
pub fn allowed_actions(
    kind: &Kind,
    state: &State,
    actor: &Actor,
    ctx: &Context,
) -> Vec<ActionKind> {
    let sample = "-".to_owned();
    let open = state
        .objections
        .iter()
        .find(|o| o.resolved.is_none())
        .map_or(0, |o| o.id);
    ActionKind::ALL
        .into_iter()
        .filter(|k| {
            let action = match k {
                ActionKind::Submit => Action::Submit,
                ActionKind::Withdraw => Action::Withdraw,
                ActionKind::Approve => Action::Approve { comment: None },
                ActionKind::Reject => Action::Reject {
                    reason: sample.clone(),
                },
                ActionKind::Return => Action::Return {
                    comment: sample.clone(),
                },
                ActionKind::Score => Action::Score {
                    score: 0,
                    comment: None,
                },
                ActionKind::Resubmit => Action::Resubmit,
                ActionKind::Object => Action::Object {
                    text: sample.clone(),
                },
                ActionKind::ResolveObjection => Action::ResolveObjection {
                    id: open,
                    upheld: false,
                    comment: sample.clone(),
                },
                ActionKind::ConcludePublicity => Action::ConcludePublicity,
                ActionKind::Revoke => Action::Revoke {
                    reason: sample.clone(),
                },
                ActionKind::Correct => Action::Correct {
                    reason: sample.clone(),
                },
            };
            apply(kind, state, &action, actor, ctx).is_ok()
        })
        .collect()
}

/// Whether `actor` may act on this application as a reviewer now: approve, reject, return or
/// score at the current stage (its own turn, not yet acted), handle the current publicity
/// (resolve objections, conclude), or revoke an approved application. For buttons; review
/// queues are better served by [`pending_reviewers`].
///
/// Without a [`Context`] this cannot know the applicant's district nor today's date, so it
/// assumes a district user looks only at applications of its own area (the caller scopes
/// district users to their area) and counts a publicity stage's handlers as able to act
/// throughout the period. [`may_act_on`] answers exactly, with the context.
pub fn may_act(kind: &Kind, state: &State, actor: &Actor) -> bool {
    let area = Whose {
        district: actor.district.as_deref(),
        data: None,
    };
    match state.status {
        Status::InReview | Status::Publicity => {
            let Some(stage) = kind.stage(state.stage) else {
                return false;
            };
            match stage_reviewer(stage, actor, area) {
                Ok(id) => {
                    state.status == Status::Publicity || expect_turn(stage, state, &id).is_ok()
                }
                Err(_) => false,
            }
        }
        Status::Approved => may_revoke(kind, actor, area),
        _ => false,
    }
}

/// Exactly whether `actor` can take a reviewer's action now (the same actions as
/// [`may_act`]): [`allowed_actions`] contains a stage action or `Revoke`.
pub fn may_act_on(kind: &Kind, state: &State, actor: &Actor, ctx: &Context) -> bool {
    allowed_actions(kind, state, actor, ctx)
        .into_iter()
        .any(|k| k.is_stage_action() || k == ActionKind::Revoke)
}

/// Who the current stage is waiting for: the units that have not acted yet (all mode,
/// scoring), the next unit (sequential), every listed unit (any mode), the district or
/// role, or the publicity handlers. `Reviewers::Units(vec![])` when no reviewer is awaited
/// (draft, returned — the applicant is awaited —, a final status, or a state that does not
/// fit the kind).
pub fn pending_reviewers(kind: &Kind, state: &State) -> Reviewers {
    let nobody = || Reviewers::Units(Vec::new());
    if !state.status.is_active() {
        return nobody();
    }
    kind.stage(state.stage)
        .map_or_else(nobody, |stage| pending_of(stage, state))
}

/// Whether the current review stage is past its deadline (`today` after `due`). A publicity
/// stage is never overdue: its `due` is the end of the period, not a deadline.
pub fn is_overdue(state: &State, today: NaiveDate) -> bool {
    state.status == Status::InReview && state.due.is_some_and(|due| today > due)
}

fn pending_of(stage: &StageDef, state: &State) -> Reviewers {
    let not_acted = |list: &[String]| -> Vec<String> {
        list.iter()
            .filter(|u| !state.acted.iter().any(|a| &a.unit == *u))
            .cloned()
            .collect()
    };
    match &stage.step {
        StepKind::Review {
            reviewers: Reviewers::Units(list),
            mode,
        } => match mode {
            Mode::Any => Reviewers::Units(list.clone()),
            Mode::All => Reviewers::Units(not_acted(list)),
            Mode::Sequential => Reviewers::Units(not_acted(list).into_iter().take(1).collect()),
        },
        StepKind::Scoring {
            reviewers: Reviewers::Units(list),
            ..
        } => Reviewers::Units(not_acted(list)),
        _ => stage.actors().clone(),
    }
}

fn expect_status(
    state: &State,
    allowed: &[Status],
    action: ActionKind,
) -> Result<(), WorkflowError> {
    if allowed.contains(&state.status) {
        Ok(())
    } else {
        Err(WorkflowError::WrongStatus {
            status: state.status,
            action,
        })
    }
}

fn expect_applicant(actor: &Actor, action: ActionKind) -> Result<(), WorkflowError> {
    if actor.is_applicant {
        Ok(())
    } else {
        Err(WorkflowError::NotApplicant { action })
    }
}

fn current_stage<'k>(kind: &'k Kind, state: &State) -> Result<&'k StageDef, WorkflowError> {
    kind.stage(state.stage).ok_or_else(|| {
        WorkflowError::Inconsistent(format!(
            "阶段序号{}超出范围（“{}”共{}个阶段）",
            state.stage,
            kind.title,
            kind.stages.len()
        ))
    })
}

fn wrong_step(stage: &StageDef, action: ActionKind) -> WorkflowError {
    WorkflowError::WrongStep {
        stage: stage.name.clone(),
        step: stage.step.label(),
        action,
    }
}

/// The identity under which `actor` reviews or handles `stage` (unit code, district code
/// or role), or why they may not.
/// What of the case decides who reviews it: the applicant's area and the application's data
/// (the organisation an `org` field names).
#[derive(Clone, Copy)]
struct Whose<'a> {
    district: Option<&'a str>,
    data: Option<&'a serde_json::Value>,
}

fn stage_reviewer(stage: &StageDef, actor: &Actor, whose: Whose) -> Result<String, WorkflowError> {
    let applicant_district = whose.district;
    if actor.is_applicant {
        return Err(WorkflowError::OwnApplication);
    }
    let id = match stage.actors() {
        Reviewers::Units(list) => actor
            .unit_code
            .as_ref()
            .filter(|u| actor.role == Role::Department && list.contains(u))
            .cloned(),
        Reviewers::DistrictOfApplicant => {
            if actor.role != Role::District {
                None
            } else {
                let Some(d) = applicant_district else {
                    return Err(WorkflowError::NoApplicantDistrict);
                };
                (actor.district.as_deref() == Some(d)).then(|| d.to_owned())
            }
        }
        Reviewers::Role(r) => (actor.role == *r).then(|| r.as_str().to_owned()),
        Reviewers::Field(name) => whose
            .data
            .and_then(|d| d.get(name))
            .and_then(serde_json::Value::as_i64)
            .filter(|id| *id == actor.org_id)
            .map(|id| format!("org{id}")),
    };
    id.ok_or_else(|| WorkflowError::NotReviewer {
        stage: stage.name.clone(),
    })
}

/// Refuses a second act by the same reviewer and, in sequential mode, acts out of order.
fn expect_turn(stage: &StageDef, state: &State, id: &str) -> Result<(), WorkflowError> {
    if state.acted.iter().any(|a| a.unit == id) {
        return Err(WorkflowError::AlreadyActed);
    }
    if let StepKind::Review {
        reviewers: Reviewers::Units(list),
        mode: Mode::Sequential,
    } = &stage.step
        && let Some(next) = list
            .iter()
            .find(|u| !state.acted.iter().any(|a| &a.unit == *u))
        && next != id
    {
        return Err(WorkflowError::NotYourTurn {
            stage: stage.name.clone(),
            expected: config::unit_name(next).to_owned(),
        });
    }
    Ok(())
}

fn review_done(reviewers: &Reviewers, mode: Mode, acted: &[UnitAction]) -> bool {
    let approved = |u: &String| {
        acted
            .iter()
            .any(|a| &a.unit == u && a.action == Acted::Approve)
    };
    match (reviewers, mode) {
        (Reviewers::Units(list), Mode::All | Mode::Sequential) => list.iter().all(approved),
        _ => acted.iter().any(|a| a.action == Acted::Approve),
    }
}

fn scoring_done(reviewers: &Reviewers, acted: &[UnitAction]) -> bool {
    let scored = |u: &String| acted.iter().any(|a| &a.unit == u && a.score.is_some());
    match reviewers {
        Reviewers::Units(list) => list.iter().all(scored),
        _ => acted.iter().any(|a| a.score.is_some()),
    }
}

/// Puts the application at the start of stage `index`; returns the stage's name.
fn enter_stage(
    kind: &Kind,
    s: &mut State,
    index: usize,
    ctx: &Context,
) -> Result<String, WorkflowError> {
    let stage = kind.stage(index).ok_or_else(|| {
        WorkflowError::Inconsistent(format!(
            "阶段序号{index}超出范围（“{}”共{}个阶段）",
            kind.title,
            kind.stages.len()
        ))
    })?;
    s.status = match stage.step {
        StepKind::Publicity { .. } => Status::Publicity,
        _ => Status::InReview,
    };
    s.stage = index;
    s.stage_started = Some(ctx.today);
    let days = ctx.number(stage, &stage.deadline, config::DEADLINE_DAYS)?;
    s.due = Some((ctx.add_working_days)(ctx.today, days));
    s.acted.clear();
    Ok(stage.name.clone())
}

/// Moves past stage `from`: into the next stage, or to `Approved` after the last.
/// Returns the Chinese clause describing where the application went.
fn advance(
    kind: &Kind,
    s: &mut State,
    from: usize,
    ctx: &Context,
    notify: &mut Vec<Notify>,
) -> Result<String, WorkflowError> {
    // Branches: stages whose condition does not hold for the data are passed by, and said so.
    let mut next = from.saturating_add(1);
    let mut passed = String::new();
    while let Some(stage) = kind.stage(next) {
        if ctx.takes(kind, stage)? {
            break;
        }
        passed.push_str(&format!("无需“{}”阶段（分支条件不满足）；", stage.name));
        next += 1;
    }
    if next < kind.stages.len() {
        let name = enter_stage(kind, s, next, ctx)?;
        notify.push(Notify::Reviewers(next));
        if s.status == Status::Publicity {
            notify.push(Notify::Applicant);
            let due = s.due.map(zh_date).unwrap_or_default();
            Ok(format!("{passed}进入“{name}”阶段，公示期至{due}"))
        } else {
            Ok(format!("{passed}进入“{name}”阶段"))
        }
    } else if !passed.is_empty() {
        s.status = Status::Approved;
        s.stage_started = None;
        s.due = None;
        s.acted.clear();
        notify.push(Notify::Applicant);
        Ok(format!("{passed}申请已通过"))
    } else {
        s.status = Status::Approved;
        s.stage_started = None;
        s.due = None;
        s.acted.clear();
        notify.push(Notify::Applicant);
        Ok("申请已通过".to_owned())
    }
}

/// Operators, and the reviewers of the last stage (never the applicant), may revoke.
fn may_revoke(kind: &Kind, actor: &Actor, whose: Whose) -> bool {
    actor.role == Role::Operator
        || kind
            .last_stage()
            .is_some_and(|last| stage_reviewer(last, actor, whose).is_ok())
}

fn publicity_due(state: &State) -> Result<NaiveDate, WorkflowError> {
    state
        .due
        .ok_or_else(|| WorkflowError::Inconsistent("公示阶段缺少公示截止日期".to_owned()))
}

fn required(text: &str, what: &'static str) -> Result<String, WorkflowError> {
    let t = text.trim();
    if t.is_empty() {
        Err(WorkflowError::Required { what })
    } else {
        Ok(t.to_owned())
    }
}

fn push_comment(text: &mut String, label: &str, comment: Option<&str>) {
    if let Some(c) = comment.map(str::trim).filter(|c| !c.is_empty()) {
        text.push_str(&format!("，{label}：{c}"));
    }
}

/// How the history names the actor: the unit or area name, else the role.
fn who(actor: &Actor) -> String {
    if actor.is_applicant {
        return "申报单位".to_owned();
    }
    match actor.role {
        Role::Department => {
            if let Some(u) = actor.unit_code.as_deref() {
                return config::unit_name(u).to_owned();
            }
        }
        Role::District => {
            if let Some(d) = actor.district.as_deref() {
                return reference::area(d).map_or_else(|| d.to_owned(), |a| a.name.to_owned());
            }
        }
        _ => {}
    }
    actor.role.label().to_owned()
}
