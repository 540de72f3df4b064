//! Measure 12 pages: an enterprise's ledger across years (with XLSX export), and the tax
//! bureau's view of every claim with totals by district and year.

use askama::Template;
use axum::extract::{Query, State};
use axum::routing::get;
use policy::money::yuan;
use serde_json::Value;

use super::{claims as claims_of, ledger as ledger_of};
use crate::AppState;
use crate::auth::PageCaller;
use crate::auth::access::Permission;
use crate::error::PageResult;
use crate::pages::trace::{StepView, trace_view};
use crate::pages::{Layout, Routes, SelectOption, district_options, render};
use crate::xlsx;

pub fn router() -> Routes {
    Routes::new()
        .route("/tax/ledger", get(ledger))
        .route("/tax/ledger.xlsx", get(ledger_xlsx))
        .route("/tax/claims", get(claims))
}

const HEADERS: [&str; 8] = [
    "年度",
    "当年认证",
    "第5行 本期新增投资额",
    "第6行 上期留抵可抵免金额",
    "本年新增抵免",
    "抵减教育费附加",
    "抵减地方教育附加",
    "第7行 结转下期可抵免金额",
];

fn money(v: &Value) -> String {
    v.as_i64()
        .map(|f| yuan(f).trim_end_matches('元').to_string())
        .unwrap_or_default()
}

/// The rows of the ledger's table, from the rule's decision.
fn rows(d: &Value) -> Vec<Vec<String>> {
    d["outcome"]["years"]
        .as_array()
        .map(|ys| {
            ys.iter()
                .map(|y| {
                    vec![
                        y["year"].to_string(),
                        if y["eligible"].as_bool() == Some(true) {
                            "是".into()
                        } else {
                            "否".into()
                        },
                        money(&y["row5_investment_fen"]),
                        money(&y["row6_carry_in_fen"]),
                        money(&y["new_credit_fen"]),
                        money(&y["used_edu_fen"]),
                        money(&y["used_local_fen"]),
                        money(&y["row7_carry_out_fen"]),
                    ]
                })
                .collect()
        })
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "tax/ledger.html")]
struct LedgerPage {
    layout: Layout,
    org_name: String,
    rows: Vec<Vec<String>>,
    trace: Vec<StepView>,
}

async fn ledger(State(state): State<AppState>, PageCaller(c): PageCaller) -> PageResult {
    let d = ledger_of(&state, &c.principal).await?;
    render(&LedgerPage {
        layout: Layout::new("投资抵免台账", "tax", Some(&c)),
        org_name: c.principal.org_name.clone(),
        rows: rows(&d),
        trace: trace_view(&d["trace"]),
    })
}

async fn ledger_xlsx(State(state): State<AppState>, PageCaller(c): PageCaller) -> PageResult {
    let d = ledger_of(&state, &c.principal).await?;
    // The page's columns as typed cells: the year a number, the amounts yuan.
    let fen = |v: &Value| xlsx::Cell::fen(v.as_i64());
    let rows: Vec<Vec<xlsx::Cell>> = d["outcome"]["years"]
        .as_array()
        .map(|ys| {
            ys.iter()
                .map(|y| {
                    vec![
                        y["year"]
                            .as_i64()
                            .map_or(xlsx::Cell::Empty, xlsx::Cell::Year),
                        xlsx::Cell::text(if y["eligible"].as_bool() == Some(true) {
                            "是"
                        } else {
                            "否"
                        }),
                        fen(&y["row5_investment_fen"]),
                        fen(&y["row6_carry_in_fen"]),
                        fen(&y["new_credit_fen"]),
                        fen(&y["used_edu_fen"]),
                        fen(&y["used_local_fen"]),
                        fen(&y["row7_carry_out_fen"]),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    let bytes = xlsx::table("抵免台账", &HEADERS, &rows)?;
    Ok(xlsx::download("投资抵免台账.xlsx", bytes))
}

#[derive(Template)]
#[template(path = "tax/claims.html")]
struct ClaimsPage {
    layout: Layout,
    year: String,
    district_options: Vec<SelectOption>,
    totals: Vec<(String, i64, i64, String, String)>,
    total: i64,
    truncated: bool,
    claims: Vec<(i64, String, String, String, String, String)>,
}

#[derive(serde::Deserialize, Default)]
struct ClaimsQuery {
    year: Option<String>,
    district: Option<String>,
}

async fn claims(
    State(state): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<ClaimsQuery>,
) -> PageResult {
    c.require(Permission::ViewTaxClaims)?;
    let year = q.year.as_deref().and_then(|y| y.trim().parse::<i64>().ok());
    let district = q
        .district
        .clone()
        .filter(|d| domain::reference::area(d).is_some());
    let claims = claims_of(&state, &c.principal, year, district.clone()).await?;
    let area_name = |d: &str| {
        domain::reference::area(d)
            .map(|a| a.name.to_string())
            .unwrap_or_else(|| "—".into())
    };
    render(&ClaimsPage {
        layout: Layout::new("投资抵免申报汇总", "tax", Some(&c)),
        year: year.map(|y| y.to_string()).unwrap_or_default(),
        district_options: district_options(district.as_deref().unwrap_or("")),
        totals: claims
            .totals
            .iter()
            .map(|t| {
                (
                    area_name(&t.district),
                    t.year,
                    t.claims,
                    yuan(t.investment_fen),
                    yuan(t.credit_fen),
                )
            })
            .collect(),
        total: claims.list.total,
        truncated: claims.truncated,
        claims: claims
            .list
            .items
            .iter()
            .map(|s| {
                (
                    s.id,
                    s.title.clone(),
                    s.applicant_name.clone(),
                    s.district.as_deref().map(area_name).unwrap_or_default(),
                    serde_json::from_value::<domain::workflow::Status>(Value::String(
                        s.status.clone(),
                    ))
                    .map(|st| st.label().to_string())
                    .unwrap_or_default(),
                    s.due_date.clone().unwrap_or_else(|| "—".into()),
                )
            })
            .collect(),
    })
}
