//! Registers (名录): what decisions write to them, what the platform reads from them, and who
//! sees their entries.
//!
//! A kind's `[[effects]]` (domain::workflow::register) become [`EntryWrite`]s that the
//! transition writes in its own transaction ([`effects_for`], called by
//! `crate::features::applications::act`). The list of certified enterprises
//! ([`CERTIFIED`]) is what "certified" means everywhere: the tax-credit prerequisite, the
//! ledger's `certified` flag, the organisations filter and the expiry reminders.

pub mod api;
pub mod import;
pub mod pages;

use chrono::{Datelike, NaiveDate};
use domain::workflow::register::{EffectAction, Register, Trigger};
use domain::workflow::{self, Kind};
use serde_json::{Map, Value};
use store::Actor;
use store::applications::{self as apps, Application};
use store::orgs::Scope;
use store::registers::{self as stored, EntryWrite, Reader};

pub use domain::workflow::register::CERTIFIED;

use crate::AppState;
use crate::auth::Caller;
use crate::auth::access::org_scope;
use crate::error::{AppError, AppResult};

/// The last day of a validity of `param` years (the value in force on `from`) that begins on
/// `from`: the same day `years` later, less a day.
pub fn valid_until(state: &AppState, param: &str, from: NaiveDate) -> Option<NaiveDate> {
    let (years, _) = state.params.integer(param, from).ok()?;
    from.checked_add_months(chrono::Months::new(
        u32::try_from(years).ok()?.checked_mul(12)?,
    ))
    .and_then(|e| e.pred_opt())
}

/// The register a code names, or not found.
pub fn register_of(code: &str) -> AppResult<&'static Register> {
    workflow::register(code).ok_or(AppError::NotFound("名录"))
}

/// What a decision (`trigger`, taken on `day`) on `app` writes to registers, by its kind's
/// effects. `owner_name` titles owner-keyed entries.
pub fn effects_for(
    state: &AppState,
    kind: &Kind,
    app: &Application,
    data: &Value,
    trigger: Trigger,
    day: NaiveDate,
    owner_name: &str,
) -> AppResult<Vec<EntryWrite>> {
    let mut out = Vec::new();
    for e in kind.effects.iter().filter(|e| e.on == trigger) {
        let r = register_of(&e.register)?;
        let key = r.key.of(app.applicant_org_id, app.id);
        let until = match &e.validity {
            Some(p) => Some(valid_until(state, p.key(), day).ok_or_else(|| {
                AppError::Internal(format!("政策参数“{}”在{day}没有有效取值", p.key()))
            })?),
            None => None,
        };
        let (valid_from, valid_until) = match e.action {
            EffectAction::Add | EffectAction::Extend => (Some(day), until),
            EffectAction::End => (None, day.pred_opt()),
            EffectAction::Change => (None, None),
        };
        let copied: Map<String, Value> = e
            .copy
            .iter()
            .filter_map(|f| data.get(f).map(|v| (f.clone(), v.clone())))
            .collect();
        let members = e
            .members
            .iter()
            .filter_map(|m| {
                data.get(&m.field)?
                    .as_i64()
                    .map(|org| (org, m.role.clone()))
            })
            .collect();
        let validity = valid_until
            .filter(|_| e.action != EffectAction::Change)
            .map(|d| {
                if e.action == EffectAction::End {
                    format!("，最后有效日{}", workflow::zh_date(d))
                } else {
                    format!("，有效期至{}", workflow::zh_date(d))
                }
            })
            .unwrap_or_default();
        out.push(EntryWrite {
            register: r.code.clone(),
            entry_key: key,
            owner_org_id: app.applicant_org_id,
            title: match r.key {
                workflow::EntryKey::Owner => owner_name.to_owned(),
                workflow::EntryKey::Application => app.title.clone(),
            },
            action: e.action.as_str().to_owned(),
            valid_from: valid_from.map(iso),
            valid_until: valid_until.map(iso),
            data_json: matches!(e.action, EffectAction::Add | EffectAction::Change)
                .then(|| Value::Object(copied).to_string()),
            members,
            application_id: Some(app.id),
            summary: format!(
                "{}（编号 {}）{}：{}{validity}",
                kind.title,
                app.id,
                trigger_label(trigger),
                e.action.label()
            ),
        });
    }
    Ok(out)
}

fn trigger_label(t: Trigger) -> &'static str {
    match t {
        Trigger::Approved => "审核通过",
        Trigger::Rejected => "未通过",
        Trigger::Revoked => "撤销",
    }
}

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_day(s: &Option<String>) -> Option<NaiveDate> {
    s.as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

/// A period the enterprise was certified: from the day a certification or a re-evaluation
/// was granted to the last day it held (its validity's end, or the day before a revocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertifiedPeriod {
    pub from: NaiveDate,
    pub until: NaiveDate,
    /// Ended by revocation rather than by its validity.
    pub revoked: bool,
}

impl CertifiedPeriod {
    /// Whether the period counts for tax year `y`: it began in or before `y` and did not end
    /// before `y` was out — the year a certification lapses or is revoked earns no new credit,
    /// as the year of revocation never did.
    pub fn covers_year(&self, y: i64) -> bool {
        i64::from(self.from.year()) <= y && y < i64::from(self.until.year())
            || (i64::from(self.until.year()) == y
                && !self.revoked
                && self.until.month() == 12
                && self.until.day() == 31)
    }

    pub fn covers(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.until
    }
}

/// Every period the enterprise was certified, from the history of its entry in the list of
/// certified enterprises: each `add` or `extend` grants a period; an `end` cuts every period
/// at its last day.
pub async fn certified_periods(state: &AppState, org_id: i64) -> AppResult<Vec<CertifiedPeriod>> {
    let events = stored::events(&state.db, CERTIFIED, &format!("org:{org_id}")).await?;
    Ok(periods_of(&events))
}

fn periods_of(events: &[stored::EntryEvent]) -> Vec<CertifiedPeriod> {
    let mut out: Vec<CertifiedPeriod> = Vec::new();
    for e in events {
        match e.action.as_str() {
            "add" | "extend" => {
                if let (Some(from), Some(until)) =
                    (parse_day(&e.valid_from), parse_day(&e.valid_until))
                {
                    out.push(CertifiedPeriod {
                        from,
                        until,
                        revoked: false,
                    });
                }
            }
            "end" => {
                let Some(last) = parse_day(&e.valid_until) else {
                    continue;
                };
                for p in out.iter_mut().filter(|p| p.until > last) {
                    p.until = last;
                    p.revoked = true;
                }
                out.retain(|p| p.from <= p.until);
            }
            _ => {}
        }
    }
    out.sort_by_key(|p| p.from);
    out
}

/// Writes the register effects of decisions taken before registers existed (or by data
/// loaded around the workflow, like the demo): every approved or revoked application of a
/// kind with effects that no register event names yet, replayed in decision order with the
/// days its history gives. Returns how many applications it recorded.
pub async fn backfill(state: &AppState) -> AppResult<usize> {
    let kinds: Vec<&str> = workflow::kinds()
        .iter()
        .filter(|k| !k.effects.is_empty())
        .map(|k| k.code.as_str())
        .collect();
    let pending = stored::unrecorded_decisions(&state.db, &kinds).await?;
    // Read in bulk: after an upgrade there may be thousands, and the server waits for them.
    let ids: std::collections::BTreeSet<i64> = pending.iter().map(|(id, _, _)| *id).collect();
    let apps_by_id: std::collections::HashMap<i64, apps::Application> =
        apps::get_many(&state.db, &ids)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
    let entered = apps::first_entered(&state.db, &ids, &["approved", "revoked"]).await?;
    let wanted = store::names::Wanted {
        orgs: apps_by_id.values().map(|a| a.applicant_org_id).collect(),
        ..Default::default()
    };
    let names = store::names::lookup(&state.db, &wanted).await?.orgs;
    let day_of =
        |t: i64| chrono::DateTime::from_timestamp(t, 0).map(domain::calendar::shanghai_date);
    let mut writes = Vec::new();
    for (id, kind_code, status) in &pending {
        let (Some(app), Some(kind)) = (apps_by_id.get(id), workflow::kind(kind_code)) else {
            continue;
        };
        let first = |s: &str| entered.get(&(app.id, s.to_owned())).copied();
        let approved = first("approved").or(app.decided_at).and_then(day_of);
        // Revoked without a history line (set by hand or an import): as of its last change.
        let revoked = first("revoked").or(Some(app.updated_at)).and_then(day_of);
        let name = names
            .get(&app.applicant_org_id)
            .cloned()
            .unwrap_or_default();
        let data: Value = serde_json::from_str(&app.data_json).unwrap_or(Value::Null);
        if let Some(day) = approved {
            writes.extend(effects_for(
                state,
                kind,
                app,
                &data,
                Trigger::Approved,
                day,
                &name,
            )?);
        }
        if status == "revoked"
            && let Some(day) = revoked
        {
            writes.extend(effects_for(
                state,
                kind,
                app,
                &data,
                Trigger::Revoked,
                day,
                &name,
            )?);
        }
    }
    stored::write(&state.db, &Actor::system("名录补录"), &writes).await?;
    Ok(pending.len())
}

/// How `caller` reads register `r`: a public register is open to everyone; otherwise one must
/// be signed in, and the scope of one's organisation decides.
pub fn reader(caller: Option<&Caller>, r: &Register) -> AppResult<Reader> {
    match caller {
        _ if r.public => Ok(Reader {
            scope: Scope::All,
            public: true,
        }),
        Some(c) => Ok(Reader {
            scope: org_scope(&c.principal),
            public: false,
        }),
        None => Err(AppError::Unauthorized),
    }
}

/// Whether an entry is in force on `day`.
pub fn in_force(e: &stored::Entry, day: NaiveDate) -> bool {
    e.status != "ended"
        && parse_day(&e.valid_from).is_none_or(|f| f <= day)
        && parse_day(&e.valid_until).is_none_or(|u| day <= u)
}

/// An entry's standing on `day`, in Chinese.
pub fn standing(e: &stored::Entry, day: NaiveDate) -> &'static str {
    if e.status == "ended" {
        "已终止"
    } else if in_force(e, day) {
        "有效"
    } else if parse_day(&e.valid_from).is_some_and(|f| day < f) {
        "未生效"
    } else {
        "已到期"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(action: &str, from: Option<&str>, until: &str) -> stored::EntryEvent {
        stored::EntryEvent {
            id: 0,
            at: 0,
            action: action.into(),
            application_id: None,
            actor: String::new(),
            valid_from: from.map(str::to_owned),
            valid_until: Some(until.into()),
            summary: String::new(),
        }
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn an_end_cuts_every_period_and_drops_those_not_begun() {
        let events = [
            ev("add", Some("2024-03-01"), "2027-02-28"),
            ev("extend", Some("2026-12-01"), "2029-11-30"),
            ev("expire", None, "2027-02-28"),
            ev("end", None, "2026-06-30"),
        ];
        let p = periods_of(&events);
        assert_eq!(
            p,
            vec![CertifiedPeriod {
                from: d("2024-03-01"),
                until: d("2026-06-30"),
                revoked: true
            }]
        );
        // A period that ended before the revocation keeps its end and is not revoked.
        let p = periods_of(&[
            ev("add", Some("2020-01-01"), "2022-12-31"),
            ev("add", Some("2024-01-01"), "2026-12-31"),
            ev("end", None, "2025-05-31"),
        ]);
        assert_eq!(p[0].until, d("2022-12-31"));
        assert!(!p[0].revoked);
        assert!(p[1].revoked);
        assert_eq!(p[1].until, d("2025-05-31"));
    }
}

/// A register list's query, as pages and the API take it.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegisterQuery {
    /// Part of the owner's name or the entry's title, or a full credit code
    pub q: Option<String>,
    /// The owner's division code, e.g. 500103
    #[param(schema_with = crate::api::vocab::district)]
    pub district: Option<String>,
    /// `in_force` (in force today) or `lapsed` (expired, ended or not yet begun)
    #[param(schema_with = crate::api::vocab::standing)]
    pub standing: Option<String>,
    /// Page number, from 1.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub page: Option<String>,
    /// Items per page (at most 200; more is read as 200).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub per_page: Option<String>,
}

/// The standings a list selects, with their Chinese labels.
pub const STANDINGS: [(&str, &str); 2] = [("in_force", "有效"), ("lapsed", "已到期或终止")];

impl RegisterQuery {
    /// The store's filter as of `today`; a bad district or standing names the parameter.
    pub fn filter(&self, today: NaiveDate) -> AppResult<stored::Filter> {
        let nonempty = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let district = match nonempty(&self.district) {
            None => None,
            Some(d) => Some(
                domain::DivisionCode::parse(&d)
                    .map_err(|e| AppError::invalid("district", e.to_string()))?
                    .as_str()
                    .to_owned(),
            ),
        };
        let day = iso(today);
        let (in_force_on, lapsed_on) = match nonempty(&self.standing).as_deref() {
            None => (None, None),
            Some("in_force") => (Some(day), None),
            Some("lapsed") => (None, Some(day)),
            Some(other) => {
                return Err(AppError::invalid(
                    "standing",
                    format!("未知的状态“{other}”（应为 in_force 或 lapsed）"),
                ));
            }
        };
        Ok(stored::Filter {
            q: nonempty(&self.q).map(|s| s.chars().take(50).collect()),
            district,
            in_force_on,
            lapsed_on,
            owner_org_id: None,
        })
    }

    pub fn paging(&self) -> AppResult<store::Paging> {
        crate::api::query_paging(&self.page, &self.per_page)
    }
}
