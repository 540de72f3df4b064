//! Background jobs: the reminders nobody has to ask for.
//!
//! One pass ([`run_once`]) looks at what is due and sends each notice once, to the inbox of
//! whoever has to act:
//! - deadline reminders: an application in review whose stage is due within
//!   `jobs.deadline_reminder_working_days` working days (`AppState::calendar`) is announced to
//!   each awaited reviewer, and again once it is overdue — once per application, stage, due
//!   date and kind of notice;
//! - register expiry: the owner of a register entry (a certification, re-evaluations
//!   included) that ends within `jobs.expiry_reminder_days` days is told (for certification:
//!   to apply for re-evaluation); once its last day has passed the entry is marked expired
//!   and the owner told again — once per entry, last day and kind; a revoked entry is not
//!   announced;
//! - publicity ended: a publicity whose period is over is announced to its handlers, once per
//!   application and end date.
//!
//! Sending is `store::jobs::send`: a notice's key and its inbox items are written in one
//! transaction, so a notice goes out once however many passes or nodes see it; a pass that
//! sent anything is recorded in the audit log (`jobs.run`). On PostgreSQL one node runs a pass
//! at a time ([`store::jobs::PassLock`]); the others skip it. The server runs a pass every
//! `--jobs-interval` seconds ([`spawn`]); `chanjiao jobs run-once` runs one and prints what it
//! did.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{Datelike, Days, NaiveDate};
use serde::Serialize;
use store::Actor;
use store::applications::{NewInboxItem, Recipient};
use store::jobs::{self as stored, Notice, PassLock};

use crate::AppState;

/// The parameter: how many working days before a stage's due date its reviewers are reminded.
pub const REMINDER_WORKING_DAYS: &str = "jobs.deadline_reminder_working_days";
/// The parameter: how many days before a certification ends the enterprise is reminded.
pub const EXPIRY_REMINDER_DAYS: &str = "jobs.expiry_reminder_days";

/// The kinds of notice (keys' prefixes, counted in the audit entry).
pub const DEADLINE_SOON: &str = "deadline_soon";
pub const OVERDUE: &str = "overdue";
pub const EXPIRING: &str = "expiring";
pub const EXPIRED: &str = "expired";
pub const PUBLICITY_ENDED: &str = "publicity_ended";

/// What one pass did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pass {
    /// The day the pass judged (Beijing).
    pub day: NaiveDate,
    /// Another node was running a pass: this one did nothing.
    pub skipped: bool,
    pub deadline_soon: i64,
    pub overdue: i64,
    pub expiring: i64,
    pub expired: i64,
    pub publicity_ended: i64,
    /// Inbox items written (a notice goes to every awaited reviewer).
    pub inbox_items: i64,
}

impl Pass {
    fn new(day: NaiveDate, skipped: bool, by_kind: &BTreeMap<String, i64>, items: i64) -> Pass {
        let n = |k: &str| by_kind.get(k).copied().unwrap_or(0);
        Pass {
            day,
            skipped,
            deadline_soon: n(DEADLINE_SOON),
            overdue: n(OVERDUE),
            expiring: n(EXPIRING),
            expired: n(EXPIRED),
            publicity_ended: n(PUBLICITY_ENDED),
            inbox_items: items,
        }
    }

    /// Notices sent, of every kind.
    pub fn notices(&self) -> i64 {
        self.deadline_soon + self.overdue + self.expiring + self.expired + self.publicity_ended
    }

    /// What the pass did, in a sentence.
    pub fn summary(&self) -> String {
        let day = domain::workflow::zh_date(self.day);
        if self.skipped {
            return format!("{day}：另一节点正在运行定时任务，本轮跳过");
        }
        if self.notices() == 0 {
            return format!("{day}：没有需要发送的提醒");
        }
        format!(
            "{day}：审核即将到期提醒 {} 件，审核逾期提醒 {} 件，名录有效期届满提醒 {} 件，名录到期通知 {} 件，公示期满提醒 {} 件；共发出消息 {} 条",
            self.deadline_soon,
            self.overdue,
            self.expiring,
            self.expired,
            self.publicity_ended,
            self.inbox_items
        )
    }
}

/// Why a pass failed (its details, for the log and the command line).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct JobError(String);

impl From<store::StoreError> for JobError {
    fn from(e: store::StoreError) -> Self {
        JobError(e.to_string())
    }
}

impl From<policy::params::ParamError> for JobError {
    fn from(e: policy::params::ParamError) -> Self {
        JobError(e.to_string())
    }
}

impl From<crate::AppError> for JobError {
    fn from(e: crate::AppError) -> Self {
        match e {
            crate::AppError::Internal(detail) => JobError(detail),
            other => JobError(other.to_string()),
        }
    }
}

/// Runs one pass as of today (Beijing), as `actor`.
pub async fn run_once(state: &AppState, actor: &Actor) -> Result<Pass, JobError> {
    run_on(state, actor, domain::calendar::today_shanghai()).await
}

/// Runs one pass as of `today`: skipped when another node holds the pass lock.
pub async fn run_on(state: &AppState, actor: &Actor, today: NaiveDate) -> Result<Pass, JobError> {
    let Some(lock) = PassLock::try_take(&state.db).await? else {
        return Ok(Pass::new(today, true, &BTreeMap::new(), 0));
    };
    let done = pass(state, actor, today).await;
    if let Err(e) = lock.release().await {
        // Its connection is closed either way, which releases the lock.
        tracing::warn!("定时任务锁释放失败：{e}");
    }
    done
}

/// Runs a pass every `every` until the database is closed, as the platform itself. The first
/// runs one interval after start, not at once: a pass reads every certified enterprise's
/// validity, and at start it competed with the first requests (a 3.3 s stall in
/// `bench/applications.sh` on SQLite).
pub fn spawn(state: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let actor = Actor::system("system");
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if state.db.pool().is_closed() {
                break;
            }
            match run_once(&state, &actor).await {
                Ok(p) if p.notices() > 0 => tracing::info!(summary = %p.summary(), "jobs pass"),
                Ok(p) => tracing::debug!(summary = %p.summary(), "jobs pass"),
                Err(e) => tracing::warn!("定时任务运行失败：{e}"),
            }
        }
    })
}

async fn pass(state: &AppState, actor: &Actor, today: NaiveDate) -> Result<Pass, JobError> {
    // Decisions recorded around the workflow (imports, another process) reach the registers
    // before their validity is judged.
    crate::features::registers::backfill(state).await?;
    let mut notices = deadline_notices(state, today).await?;
    notices.extend(publicity_notices(state, today).await?);
    notices.extend(expiry_notices(state, actor, today).await?);
    let sent = stored::send(&state.db, actor, &iso(today), &notices).await?;
    Ok(Pass::new(today, false, &sent.by_kind, sent.items))
}

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A due date in a reminder: `3月5日`, with the year when it is not this year's.
fn short_date(d: NaiveDate, today: NaiveDate) -> String {
    if d.year() == today.year() {
        format!("{}月{}日", d.month(), d.day())
    } else {
        domain::workflow::zh_date(d)
    }
}

/// The awaited rows grouped by application (they come ordered by application).
fn by_application(rows: Vec<stored::Awaited>) -> Vec<(stored::Awaited, Vec<String>)> {
    let mut out: Vec<(stored::Awaited, Vec<String>)> = Vec::new();
    for r in rows {
        match out.last_mut() {
            Some((a, reviewers)) if a.application_id == r.application_id => {
                reviewers.push(r.reviewer)
            }
            _ => {
                let reviewer = r.reviewer.clone();
                out.push((r, vec![reviewer]));
            }
        }
    }
    out
}

/// A notice to each of `reviewers` about application `id`.
fn to_reviewers(key: String, kind: &str, id: i64, reviewers: &[String], text: &str) -> Notice {
    Notice {
        key,
        kind: kind.to_owned(),
        items: reviewers
            .iter()
            .map(|r| NewInboxItem {
                to: Recipient::Reviewer(r.clone()),
                application_id: Some(id),
                text: text.to_owned(),
            })
            .collect(),
    }
}

/// Reminders of applications in review due within the parameter's working days, and of those
/// overdue.
async fn deadline_notices(state: &AppState, today: NaiveDate) -> Result<Vec<Notice>, JobError> {
    let (n, _) = state.params.integer(REMINDER_WORKING_DAYS, today)?;
    let n = u32::try_from(n)
        .map_err(|_| JobError(format!("参数 {REMINDER_WORKING_DAYS} 不能为负数：{n}")))?;
    let last = state
        .calendar
        .checked_add_working_days(today, n)
        .and_then(|d| d.succ_opt())
        .ok_or_else(|| JobError(format!("参数 {REMINDER_WORKING_DAYS} 过大：{n}")))?;
    let rows = stored::awaited_due_before(&state.db, "in_review", &iso(last)).await?;
    let mut out = Vec::new();
    for (a, reviewers) in by_application(rows) {
        let Ok(due) = NaiveDate::parse_from_str(&a.due_date, "%Y-%m-%d") else {
            continue;
        };
        let stage = a.stage_code.clone().unwrap_or_else(|| a.stage.to_string());
        let head = format!("《{}》（{}）", a.title, a.applicant_name);
        let (kind, text) = if due < today {
            (
                OVERDUE,
                format!("{head}已逾期（期限{}）", short_date(due, today)),
            )
        } else {
            (
                DEADLINE_SOON,
                format!("{head}将于{}到期，请及时办理", short_date(due, today)),
            )
        };
        let key = format!("{kind}:{}:{stage}:{}", a.application_id, iso(due));
        out.push(to_reviewers(key, kind, a.application_id, &reviewers, &text));
    }
    Ok(out)
}

/// Publicities whose period is over, to their handlers.
async fn publicity_notices(state: &AppState, today: NaiveDate) -> Result<Vec<Notice>, JobError> {
    let rows = stored::awaited_due_before(&state.db, "publicity", &iso(today)).await?;
    Ok(by_application(rows)
        .into_iter()
        .map(|(a, reviewers)| {
            let text = format!(
                "《{}》（{}）公示期已满，可结束公示",
                a.title, a.applicant_name
            );
            let key = format!("{PUBLICITY_ENDED}:{}:{}", a.application_id, a.due_date);
            to_reviewers(key, PUBLICITY_ENDED, a.application_id, &reviewers, &text)
        })
        .collect())
}

/// Register entries ending within the parameter's days, told to their owners; and those whose
/// last day has passed, marked expired (with a line in their history) and told so — once
/// per entry, last day and kind. A renewed entry has a new last day; an ended one is not
/// announced.
async fn expiry_notices(
    state: &AppState,
    actor: &Actor,
    today: NaiveDate,
) -> Result<Vec<Notice>, JobError> {
    let (m, _) = state.params.integer(EXPIRY_REMINDER_DAYS, today)?;
    let horizon = u64::try_from(m)
        .ok()
        .and_then(|m| today.checked_add_days(Days::new(m)))
        .ok_or_else(|| JobError(format!("参数 {EXPIRY_REMINDER_DAYS} 无效：{m}")))?;
    let codes: Vec<&str> = domain::workflow::registers()
        .iter()
        .map(|r| r.code.as_str())
        .collect();
    let mut out = Vec::new();
    for e in store::registers::ending_by(&state.db, &codes, &iso(horizon)).await? {
        let Some(r) = domain::workflow::register(&e.register) else {
            continue;
        };
        let Some(until) = e
            .valid_until
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        else {
            continue;
        };
        let day = domain::workflow::zh_date(until);
        let what = match r.key {
            domain::workflow::EntryKey::Owner => format!("“{}”登记", r.title),
            domain::workflow::EntryKey::Application => format!("“{}”中的“{}”", r.title, e.title),
        };
        let hint = |h: &Option<String>| h.as_deref().map(|h| format!("，{h}")).unwrap_or_default();
        let (kind, text) = if until < today {
            let text = format!("{what}已于{day}到期{}", hint(&r.expired_hint));
            if !store::registers::mark_expired(&state.db, actor, &e, &format!("有效期于{day}届满"))
                .await?
            {
                continue;
            }
            (EXPIRED, text)
        } else {
            (
                EXPIRING,
                format!("{what}有效期至{day}{}", hint(&r.renewal_hint)),
            )
        };
        out.push(Notice {
            key: format!("{kind}:{}:{}:{}", e.register, e.entry_key, iso(until)),
            kind: kind.to_owned(),
            items: vec![NewInboxItem {
                to: Recipient::Org(e.owner_org_id),
                application_id: None,
                text,
            }],
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_every_kind_in_chinese() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let mut by_kind = BTreeMap::new();
        by_kind.insert(OVERDUE.to_string(), 2);
        by_kind.insert(EXPIRING.to_string(), 1);
        let p = Pass::new(day, false, &by_kind, 5);
        assert_eq!(p.notices(), 3);
        assert_eq!(
            p.summary(),
            "2026年3月2日：审核即将到期提醒 0 件，审核逾期提醒 2 件，名录有效期届满提醒 1 件，名录到期通知 0 件，公示期满提醒 0 件；共发出消息 5 条"
        );
        let none = Pass::new(day, false, &BTreeMap::new(), 0);
        assert_eq!(none.summary(), "2026年3月2日：没有需要发送的提醒");
        let skipped = Pass::new(day, true, &BTreeMap::new(), 0);
        assert!(skipped.summary().contains("本轮跳过"));
    }

    #[test]
    fn due_dates_carry_the_year_only_when_it_is_another() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 30).unwrap();
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(short_date(d(2026, 12, 31), today), "12月31日");
        assert_eq!(short_date(d(2027, 1, 4), today), "2027年1月4日");
    }

    #[test]
    fn the_parameters_are_shipped() {
        let params = policy::ParamSet::embedded().unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        for key in [REMINDER_WORKING_DAYS, EXPIRY_REMINDER_DAYS] {
            let (v, used) = params.integer(key, day).unwrap();
            assert!(v > 0, "{key}");
            assert!(!used.verified, "{key} is a platform default");
            assert!(used.source.contains("渝发改社会〔2023〕1271号"), "{key}");
        }
    }
}
