//! An organisation's standing in the programme — its cultivation, certification and its
//! validity, claims and reports — and what it has to do next, computed from its applications
//! as the viewer sees them (the store scopes them), for the home page (`pages.rs`) and the
//! organisation page.

pub mod pages;

use chrono::{Datelike, NaiveDate};
use domain::workflow::{self, Status};
use store::applications::{self as apps, Application, Filter, Viewer};

use crate::AppState;
use crate::error::AppResult;
use crate::features::applications::{CertifiedPeriod, certified_periods};

/// One line of the standing: a kind of application and where the organisation stands in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The kind's title, e.g. 产教融合型企业认定申报.
    pub what: String,
    /// Where it stands, e.g. `已认定，有效期至2028年3月1日` or `2024年度 已通过；2025年度 审核中`.
    pub status: String,
    /// `ok`, `warn`, `no` or empty: the tag's colour.
    pub tone: &'static str,
    /// The application it refers to (the latest).
    pub href: String,
}

/// Something the organisation should do, with its deadline where the programme sets one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub text: String,
    pub by: Option<NaiveDate>,
    pub overdue: bool,
    pub href: String,
}

impl Due {
    /// The deadline as people write it.
    pub fn by_zh(&self) -> Option<String> {
        self.by.map(workflow::zh_date)
    }
}

/// An application of the organisation that waits for it (a draft, or returned for changes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToAct {
    pub title: String,
    pub status: &'static str,
    pub href: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Standing {
    pub lines: Vec<Line>,
    /// The certification in force on the day asked about, or the last one.
    pub certification: Option<CertifiedPeriod>,
    pub due: Vec<Due>,
    pub to_act: Vec<ToAct>,
}

impl Standing {
    /// Whether the viewer sees nothing of the organisation's programme work.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.due.is_empty() && self.to_act.is_empty()
    }
}

/// Kinds whose approval grants or renews the certification.
const CERTIFYING: [&str; 2] = ["enterprise_certification", "reevaluation"];

/// Whether an application still stands (not rejected, withdrawn or revoked).
fn stands(a: &Application) -> bool {
    Status::parse(&a.status).is_some_and(|s| !s.is_terminal())
}

fn is(a: &Application, s: Status) -> bool {
    a.status == s.as_str()
}

/// The standing of organisation `org_id` on `today` as `viewer` may see it. `own`: the
/// viewer is the organisation itself, which also gets what it has to do.
pub async fn standing(
    state: &AppState,
    viewer: &Viewer,
    org_id: i64,
    own: bool,
    today: NaiveDate,
) -> AppResult<Standing> {
    let filter = Filter {
        applicant_org_id: Some(org_id),
        ..Filter::default()
    };
    let mut seen = apps::list_full(&state.db, viewer, &filter, 1000).await?;
    seen.sort_by_key(|a| a.id);
    let mut out = Standing::default();
    // The certification periods, only where the viewer sees a certifying application.
    let periods = if seen.iter().any(|a| {
        CERTIFYING.contains(&a.kind.as_str()) && (is(a, Status::Approved) || is(a, Status::Revoked))
    }) {
        certified_periods(state, org_id).await?
    } else {
        Vec::new()
    };
    out.certification = periods
        .iter()
        .rev()
        .find(|p| p.covers(today))
        .or_else(|| periods.last())
        .copied();

    for kind in workflow::kinds() {
        let mine: Vec<&Application> = seen.iter().filter(|a| a.kind == kind.code).collect();
        let Some(latest) = mine.last() else { continue };
        let href = format!("/applications/{}", latest.id);
        let label = |a: &Application| Status::parse(&a.status).map_or("未知", Status::label);
        let (status, tone) = if kind.code == "enterprise_certification" {
            certification_status(out.certification.as_ref(), today)
                .unwrap_or_else(|| (label(latest).to_owned(), tone_of(latest)))
        } else if kind.code == "enterprise_cultivation" && is(latest, Status::Approved) {
            ("已入库".to_owned(), "ok")
        } else if mine.iter().any(|a| a.year.is_some()) {
            let years: Vec<String> = mine
                .iter()
                .rev()
                .take(3)
                .map(|a| match a.year {
                    Some(y) => format!("{y}年度 {}", label(a)),
                    None => label(a).to_owned(),
                })
                .collect();
            (years.join("；"), tone_of(latest))
        } else {
            (label(latest).to_owned(), tone_of(latest))
        };
        out.lines.push(Line {
            what: kind.title.clone(),
            status,
            tone,
            href,
        });
    }

    if own {
        out.to_act = seen
            .iter()
            .rev()
            .filter(|a| is(a, Status::Draft) || is(a, Status::Returned))
            .map(|a| ToAct {
                title: a.title.clone(),
                status: Status::parse(&a.status).map_or("未知", Status::label),
                href: format!("/applications/{}", a.id),
            })
            .collect();
        out.due = due(state, &seen, &periods, today);
    }
    Ok(out)
}

fn tone_of(a: &Application) -> &'static str {
    match Status::parse(&a.status) {
        Some(Status::Approved) => "ok",
        Some(Status::Rejected | Status::Revoked) => "no",
        Some(Status::Returned) => "warn",
        _ => "",
    }
}

/// The certification line: in force with its end, lapsed, or revoked.
fn certification_status(
    p: Option<&CertifiedPeriod>,
    today: NaiveDate,
) -> Option<(String, &'static str)> {
    let p = p?;
    Some(if p.covers(today) {
        (
            format!("已认定，有效期至{}", workflow::zh_date(p.until)),
            "ok",
        )
    } else if p.revoked {
        (
            format!("认定已撤销（{}起不再有效）", workflow::zh_date(p.until)),
            "no",
        )
    } else {
        (
            format!("认定已于{}到期", workflow::zh_date(p.until)),
            "warn",
        )
    })
}

/// What an enterprise has to do next: enter the cultivation database, apply for
/// certification, report each certified year by the reporting month, claim each certified
/// year's credit, and apply for re-evaluation before its certification ends.
fn due(
    state: &AppState,
    seen: &[Application],
    periods: &[CertifiedPeriod],
    today: NaiveDate,
) -> Vec<Due> {
    let new = |kind: &str| format!("/applications/new?kind={kind}");
    let holds = |kind: &str| seen.iter().any(|a| a.kind == kind && stands(a));
    let approved = |kind: &str| {
        seen.iter()
            .any(|a| a.kind == kind && is(a, Status::Approved))
    };
    let mut out = Vec::new();
    if !holds("enterprise_cultivation") && !holds("enterprise_certification") {
        out.push(Due {
            text: "申请入库产教融合型企业培育库".into(),
            by: None,
            overdue: false,
            href: new("enterprise_cultivation"),
        });
        return out;
    }
    let in_force = periods.iter().any(|p| p.covers(today));
    let certifying = seen.iter().any(|a| {
        CERTIFYING.contains(&a.kind.as_str())
            && Status::parse(&a.status)
                .is_some_and(|s| s.is_active() || s == Status::Draft || s == Status::Returned)
    });
    if approved("enterprise_cultivation") && !holds("enterprise_certification") {
        out.push(Due {
            text: "已入库培育库，可申报产教融合型企业认定".into(),
            by: None,
            overdue: false,
            href: new("enterprise_certification"),
        });
    } else if !periods.is_empty() && !in_force && !certifying {
        out.push(Due {
            text: "认定已不在有效期内，可重新申报产教融合型企业认定".into(),
            by: None,
            overdue: false,
            href: new("enterprise_certification"),
        });
    }
    let last_year = i64::from(today.year()) - 1;
    let certified_in = |y: i64| {
        periods
            .iter()
            .any(|p| i64::from(p.from.year()) <= y && y <= i64::from(p.until.year()))
    };
    let filed_for = |kind: &str, y: i64| {
        seen.iter()
            .any(|a| a.kind == kind && a.year == Some(y) && stands(a))
    };
    if certified_in(last_year) && !filed_for("annual_report", last_year) {
        let by = state
            .params
            .integer("certification.annual_report_due_month", today)
            .ok()
            .and_then(|(m, _)| u32::try_from(m).ok())
            .and_then(|m| last_day_of_month(today.year(), m));
        out.push(Due {
            text: format!("报送{last_year}年度产教融合工作年度报告"),
            by,
            overdue: by.is_some_and(|b| today > b),
            href: new("annual_report"),
        });
    }
    if periods.iter().any(|p| p.covers_year(last_year)) && !filed_for("tax_credit_claim", last_year)
    {
        out.push(Due {
            text: format!("可申报{last_year}年度投资抵免（认定企业投资额按比例抵免）"),
            by: None,
            overdue: false,
            href: new("tax_credit_claim"),
        });
    }
    if let Some(current) = periods.iter().rev().find(|p| p.covers(today) && !p.revoked) {
        let window = state
            .params
            .integer("certification.reevaluation_window_months", today)
            .ok()
            .and_then(|(m, _)| u32::try_from(m).ok());
        let opens = window.and_then(|m| current.until.checked_sub_months(chrono::Months::new(m)));
        if opens.is_some_and(|o| today >= o) && !certifying {
            out.push(Due {
                text: format!(
                    "认定有效期至{}，请在届满前申请复核评价",
                    workflow::zh_date(current.until)
                ),
                by: Some(current.until),
                overdue: false,
                href: new("reevaluation"),
            });
        }
    }
    out
}

fn last_day_of_month(year: i32, month: u32) -> Option<NaiveDate> {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)?.pred_opt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn month_ends() {
        assert_eq!(last_day_of_month(2025, 3), Some(day(2025, 3, 31)));
        assert_eq!(last_day_of_month(2024, 2), Some(day(2024, 2, 29)));
        assert_eq!(last_day_of_month(2025, 12), Some(day(2025, 12, 31)));
        assert_eq!(last_day_of_month(2025, 13), None);
    }

    #[test]
    fn certification_lines_say_in_force_lapsed_or_revoked() {
        let p = CertifiedPeriod {
            from: day(2023, 5, 1),
            until: day(2026, 4, 30),
            revoked: false,
        };
        assert_eq!(
            certification_status(Some(&p), day(2025, 1, 1)),
            Some(("已认定，有效期至2026年4月30日".into(), "ok"))
        );
        assert_eq!(
            certification_status(Some(&p), day(2026, 5, 1)),
            Some(("认定已于2026年4月30日到期".into(), "warn"))
        );
        let r = CertifiedPeriod { revoked: true, ..p };
        assert_eq!(
            certification_status(Some(&r), day(2026, 5, 1)).map(|s| s.1),
            Some("no")
        );
        assert_eq!(certification_status(None, day(2026, 5, 1)), None);
    }
}
