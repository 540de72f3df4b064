//! The dashboard.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::routing::get;
use domain::orgs::OrgKind;
use domain::reference::{AREAS, MEASURES};
use store::orgs::{self, Scope};

use super::{Layout, render};
use crate::AppState;
use crate::auth::PageCaller;
use crate::auth::access::org_scope;
use crate::charts::{Bar, stacked_bars};
use crate::error::PageResult;

pub fn router() -> super::Routes {
    super::Routes::new().route("/", get(home))
}

struct KindCount {
    kind: &'static str,
    label: &'static str,
    count: i64,
}

struct MeasureLine {
    number: u8,
    title: &'static str,
    lead_units: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    scope_note: String,
    kind_counts: Vec<KindCount>,
    district_chart: String,
    measures: Vec<MeasureLine>,
}

async fn home(State(state): State<AppState>, PageCaller(caller): PageCaller) -> PageResult {
    let scope = org_scope(&caller.principal);
    let by_kind = orgs::count_by_kind(&state.db, &scope).await?;
    let kind_counts = OrgKind::ALL
        .iter()
        .map(|k| KindCount {
            kind: k.as_str(),
            label: k.label(),
            count: by_kind
                .iter()
                .find(|(n, _)| n == k.as_str())
                .map(|(_, c)| *c)
                .unwrap_or(0),
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
    let district_chart = if bars.is_empty() {
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
    let measures = MEASURES
        .iter()
        .map(|m| MeasureLine {
            number: m.number,
            title: m.title,
            lead_units: m.leads().map(|u| u.name).collect::<Vec<_>>().join("、"),
        })
        .collect();
    render(&HomePage {
        layout: Layout::new("首页", "home", Some(&caller)),
        scope_note,
        kind_counts,
        district_chart,
        measures,
    })
}
