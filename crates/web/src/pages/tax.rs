//! Measure 12 for its users: an enterprise's ledger across years (with XLSX export), and the
//! tax bureau's view of every claim with totals by district and year.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::routing::get;
use policy::money::yuan;
use serde_json::Value;
use store::Paging;
use store::applications::{self as apps, Filter};

use super::rules::{StepView, trace_view};
use super::{Layout, SelectOption, district_options, render};
use crate::AppState;
use crate::applications as svc;
use crate::auth::access::{Permission, viewer};
use crate::auth::{Caller, PageCaller};
use crate::error::{AppError, AppResult, PageResult};
use crate::xlsx;

pub fn router() -> super::Routes {
    super::Routes::new()
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

/// The caller's enterprise ledger: rows of the table and the decision.
async fn compute(state: &AppState, c: &Caller) -> AppResult<(Vec<Vec<String>>, Value)> {
    if c.principal.org_kind != "enterprise" {
        return Err(AppError::Forbidden);
    }
    let input = svc::tax_ledger_input(state, c.principal.org_id, None).await?;
    if input["years"].as_array().is_none_or(|a| a.is_empty()) {
        return Ok((Vec::new(), Value::Null));
    }
    let d = policy::evaluate("tax_credit", &input.to_string(), &state.params, true)?;
    let rows = d["outcome"]["years"]
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
        .unwrap_or_default();
    Ok((rows, d))
}

#[derive(Template)]
#[template(path = "tax_ledger.html")]
struct LedgerPage {
    layout: Layout,
    org_name: String,
    rows: Vec<Vec<String>>,
    trace: Vec<StepView>,
}

async fn ledger(State(state): State<AppState>, PageCaller(c): PageCaller) -> PageResult {
    let (rows, d) = compute(&state, &c).await?;
    render(&LedgerPage {
        layout: Layout::new("投资抵免台账", "tax", Some(&c)),
        org_name: c.principal.org_name.clone(),
        rows,
        trace: trace_view(&d["trace"]),
    })
}

async fn ledger_xlsx(State(state): State<AppState>, PageCaller(c): PageCaller) -> PageResult {
    let (_, d) = compute(&state, &c).await?;
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
#[template(path = "tax_claims.html")]
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

/// All claims stay few enough per year to total in memory (one per enterprise and year).
const CLAIMS_CAP: i64 = 200;
/// Verified claims totalled in one page view (each carries its ledger's explanation).
const TOTALS_CAP: i64 = 2000;

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
    let filter = Filter {
        kind: Some("tax_credit_claim".into()),
        year,
        district: district.clone(),
        ..Default::default()
    };
    // Enterprises' drafts are theirs until submitted: the viewer leaves them out.
    let viewer = viewer(&c.principal);
    let list = apps::list(
        &state.db,
        &viewer,
        &filter,
        Paging::new(Some(1), Some(CLAIMS_CAP)),
    )
    .await?;
    let verified = apps::list_full(
        &state.db,
        &viewer,
        &Filter {
            status: Some("approved".into()),
            ..filter.clone()
        },
        TOTALS_CAP,
    )
    .await?;
    let truncated = verified.len() as i64 == TOTALS_CAP;
    let mut totals: BTreeMap<(String, i64), (i64, i64, i64)> = BTreeMap::new();
    for app in &verified {
        let data: Value = serde_json::from_str(&app.data_json).unwrap_or(Value::Null);
        let decision: Value = app
            .decision_json
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or(Value::Null);
        let credit = decision["outcome"]["years"]
            .as_array()
            .and_then(|ys| ys.iter().find(|y| y["year"].as_i64() == app.year))
            .and_then(|y| y["new_credit_fen"].as_i64())
            .unwrap_or(0);
        let e = totals
            .entry((
                app.district.clone().unwrap_or_default(),
                app.year.unwrap_or(0),
            ))
            .or_default();
        // Money sums are checked: an overflow is an error, never a wrap.
        let overflow = || AppError::Internal("投资抵免汇总金额超出范围".into());
        e.0 += 1;
        e.1 =
            e.1.checked_add(data["investment_fen"].as_i64().unwrap_or(0))
                .ok_or_else(overflow)?;
        e.2 = e.2.checked_add(credit).ok_or_else(overflow)?;
    }
    let area_name = |d: &str| {
        domain::reference::area(d)
            .map(|a| a.name.to_string())
            .unwrap_or_else(|| "—".into())
    };
    render(&ClaimsPage {
        layout: Layout::new("投资抵免申报汇总", "tax", Some(&c)),
        year: year.map(|y| y.to_string()).unwrap_or_default(),
        district_options: district_options(district.as_deref().unwrap_or("")),
        totals: totals
            .into_iter()
            .map(|((d, y), (n, inv, cr))| (area_name(&d), y, n, yuan(inv), yuan(cr)))
            .collect(),
        total: list.total,
        truncated,
        claims: list
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
