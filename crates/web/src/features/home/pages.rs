//! The home page: each role's own work first — an enterprise its standing in the programme
//! and what is due, a school its supply and report, a district its area and queue, a
//! department its queue, overdue cases and measures, the operator the whole programme — then
//! the registry figures within the caller's scope (not for single organisations).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::routing::get;
use domain::orgs::OrgKind;
use domain::reference::{AREAS, MEASURES};
use store::orgs::{self, Scope};

use chrono::NaiveDate;
use domain::orgs::Role;
use domain::workflow::Status;
use store::Paging;
use store::applications::{self as apps, Filter};

use crate::AppState;
use crate::auth::access::{org_scope, viewer};
use crate::auth::{Caller, PageCaller};
use crate::charts::{Bar, stacked_bars};
use crate::error::PageResult;
use crate::features::applications::reviewer_keys;
use crate::numbers::count;
use crate::pages::{Layout, Routes, render};

pub fn router() -> Routes {
    Routes::new().route("/", get(home))
}

struct KindCount {
    kind: &'static str,
    label: &'static str,
    count: String,
}

struct MeasureLine {
    number: u8,
    title: &'static str,
    lead_units: String,
    /// The caller's unit's part in it: 牵头 or 参与; empty for others.
    part: &'static str,
}

/// A figure of the caller's work, leading to where it is done.
struct Figure {
    n: String,
    label: &'static str,
    href: String,
    /// Highlighted (e.g. overdue cases).
    alert: bool,
}

#[derive(Template)]
#[template(path = "home/index.html")]
struct HomePage {
    layout: Layout,
    /// The role's heading, e.g. 本单位工作.
    heading: String,
    scope_note: String,
    work: Vec<Figure>,
    /// Links for the role's main jobs: (text, href).
    links: Vec<(&'static str, String)>,
    standing: Option<super::Standing>,
    note: Option<&'static str>,
    /// Registry figures and chart: for the operator, departments and districts.
    registry: bool,
    kind_counts: Vec<KindCount>,
    district_chart: String,
    measures: Vec<MeasureLine>,
    /// Only the caller's measures (a department's): the heading says so.
    own_measures: bool,
}

/// The caller's queue and its overdue part, as figures.
async fn queue_figures(
    state: &AppState,
    caller: &Caller,
    today: NaiveDate,
) -> PageResult<Vec<Figure>> {
    let keys = reviewer_keys(caller);
    let waiting = apps::queue(
        &state.db,
        &keys,
        Paging {
            page: 1,
            per_page: 1,
        },
    )
    .await?
    .total;
    let overdue = apps::queue_overdue(&state.db, &keys, today).await?;
    Ok(vec![
        Figure {
            n: count(waiting),
            label: "待我审核",
            href: "/queue".into(),
            alert: false,
        },
        Figure {
            n: count(overdue),
            label: "其中已逾期",
            href: "/queue".into(),
            alert: overdue > 0,
        },
    ])
}

/// Figures of the applications the caller may see (all its kinds and area): in review,
/// in publicity, overdue.
async fn application_figures(
    state: &AppState,
    caller: &Caller,
    today: NaiveDate,
) -> PageResult<Vec<Figure>> {
    let viewer = viewer(&caller.principal);
    let by_status = apps::totals_by_status(&state.db, &viewer, &Filter::default()).await?;
    let n = |s: Status| {
        by_status
            .iter()
            .find(|(x, _)| x == s.as_str())
            .map_or(0, |(_, n)| *n)
    };
    let overdue = apps::totals_by_status(
        &state.db,
        &viewer,
        &Filter {
            overdue: Some(true),
            today: Some(today),
            ..Filter::default()
        },
    )
    .await?
    .iter()
    .map(|(_, n)| n)
    .sum::<i64>();
    let total: i64 = by_status.iter().map(|(_, n)| n).sum();
    Ok(vec![
        Figure {
            n: count(total),
            label: "可查看的申报",
            href: "/applications".into(),
            alert: false,
        },
        Figure {
            n: count(n(Status::InReview)),
            label: "审核中",
            href: "/applications?status=in_review".into(),
            alert: false,
        },
        Figure {
            n: count(n(Status::Publicity)),
            label: "公示中",
            href: "/applications?status=publicity".into(),
            alert: false,
        },
        Figure {
            n: count(overdue),
            label: "逾期未办",
            href: "/applications?overdue=true".into(),
            alert: overdue > 0,
        },
    ])
}

async fn home(State(state): State<AppState>, PageCaller(caller): PageCaller) -> PageResult {
    let today = domain::calendar::today_shanghai();
    let p = &caller.principal;
    let role = Role::parse(&p.role);
    let mut work = Vec::new();
    let mut links: Vec<(&'static str, String)> = Vec::new();
    let mut standing = None;
    let mut note = None;
    let heading = match role {
        Some(Role::Enterprise) => {
            let s = super::standing(&state, &viewer(p), p.org_id, true, today).await?;
            standing = Some(s);
            links.push(("我的申报", "/applications".into()));
            links.push(("投资抵免台账", "/tax/ledger".into()));
            "本企业产教融合工作".to_owned()
        }
        Some(Role::School) => {
            links.push(("本校专业供给填报", "/supply".into()));
            links.push((
                "本校专业与需求分析报告",
                format!("/alignment/schools/{}/report", p.org_id),
            ));
            links.push(("专业与需求", "/alignment".into()));
            "本校专业建设".to_owned()
        }
        Some(Role::Bank) => {
            // What applications name the bank to confirm (a kind's `field:` reviewer).
            work = queue_figures(&state, &caller, today).await?;
            note = Some(
                "金融支持产教融合项目的推送与授信（措施11）上线后，推送给本行的项目将在此列出。",
            );
            links.push(("措施11：金融支持", "/measures/11".into()));
            "本行产教融合金融服务".to_owned()
        }
        Some(Role::District) => {
            work = queue_figures(&state, &caller, today).await?;
            work.extend(application_figures(&state, &caller, today).await?);
            "本区县待办与申报".to_owned()
        }
        Some(Role::Department) => {
            work = queue_figures(&state, &caller, today).await?;
            work.extend(application_figures(&state, &caller, today).await?);
            "本单位待办与申报".to_owned()
        }
        Some(Role::Operator) | None => {
            work = queue_figures(&state, &caller, today).await?;
            work.extend(application_figures(&state, &caller, today).await?);
            "全市申报办理".to_owned()
        }
    };
    let registry = matches!(
        role,
        Some(Role::Operator | Role::Department | Role::District)
    );
    let scope = org_scope(&caller.principal);
    let by_kind = orgs::count_by_kind(&state.db, &scope).await?;
    // A district's area holds schools, enterprises and banks; the city's registry every kind.
    let area = matches!(scope, Scope::District(_));
    let kind_counts = OrgKind::ALL
        .iter()
        .filter(|k| !area || matches!(k, OrgKind::School | OrgKind::Enterprise | OrgKind::Bank))
        .map(|k| KindCount {
            kind: k.as_str(),
            label: k.label(),
            count: count(
                by_kind
                    .iter()
                    .find(|(n, _)| n == k.as_str())
                    .map_or(0, |(_, c)| *c),
            ),
        })
        .collect();
    let mut per: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (d, kind, n) in orgs::count_by_district(&state.db, &scope).await? {
        let e = per.entry(d).or_default();
        if kind == "school" { e.0 += n } else { e.1 += n }
    }
    let bars: Vec<Bar> = AREAS
        .iter()
        .filter_map(|a| {
            per.get(a.code).map(|(s, e)| Bar {
                label: a.name.to_string(),
                values: vec![*s, *e],
            })
        })
        .collect();
    // A district's one bar tells nothing its figures do not.
    let district_chart = if bars.is_empty() || area {
        String::new()
    } else {
        stacked_bars(
            "各区县院校与企业数量",
            &[("院校", "#1f4e8c"), ("企业", "#e0892b")],
            &bars,
        )
    };
    let scope_note = match &scope {
        Scope::All => "数据范围：全市".to_string(),
        Scope::District(d) => format!(
            "数据范围：{}",
            domain::reference::area(d).map(|a| a.name).unwrap_or(d)
        ),
        Scope::Org(_) => format!("数据范围：{}", caller.principal.org_name),
    };
    let unit = p
        .unit_code
        .as_deref()
        .filter(|_| role == Some(Role::Department));
    let measures = MEASURES
        .iter()
        .filter(|m| unit.is_none_or(|u| m.is_responsible(u)))
        .map(|m| MeasureLine {
            number: m.number,
            title: m.title,
            lead_units: m.leads().map(|u| u.name).collect::<Vec<_>>().join("、"),
            part: match unit {
                Some(u) if m.leads().any(|l| l.code == u) => "牵头",
                Some(_) => "参与",
                None => "",
            },
        })
        .collect();
    render(&HomePage {
        layout: Layout::new("首页", "home", Some(&caller)),
        heading,
        scope_note,
        work,
        links,
        standing,
        note,
        registry,
        kind_counts,
        district_chart,
        measures,
        own_measures: unit.is_some(),
    })
}
