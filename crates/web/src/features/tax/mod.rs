//! Measure 12 (投资抵免) for its users: an enterprise's ledger across years, computed by the
//! `tax_credit` rule from its verified claims, and the tax bureau's view of every claim with
//! totals by district and year. The claims themselves are applications of the kind
//! `tax_credit_claim` (`crate::features::applications`).

pub mod pages;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use store::Page;
use store::Paging;
use store::accounts::Principal;
use store::applications::{self as apps, Filter, Summary};

use crate::AppState;
use crate::auth::access::viewer;
use crate::error::{AppError, AppResult};
use crate::features::registers::certified_periods;

/// The ledger input of an enterprise (the `tax_credit` rule's `years`, the platform input
/// `tax_ledger_years` of a claim): its verified claims, plus `extra` (a claim being
/// reviewed), one row per year, certified from the year its certification was granted.
pub async fn ledger_input(
    state: &AppState,
    org_id: i64,
    extra: Option<(i64, &Value)>,
) -> AppResult<Value> {
    let periods = certified_periods(state, org_id).await?;
    let certified = |y: i64| periods.iter().any(|p| p.covers_year(y));
    let mut rows: BTreeMap<i64, Value> = BTreeMap::new();
    for a in apps::of_org(&state.db, org_id, "tax_credit_claim", Some("approved")).await? {
        if Some(a.id) == extra.map(|e| e.0) {
            continue;
        }
        if let Ok(d) = serde_json::from_str::<Value>(&a.data_json)
            && let Some(y) = d["year"].as_i64()
        {
            rows.insert(y, d);
        }
    }
    if let Some((_, d)) = extra
        && let Some(y) = d["year"].as_i64()
    {
        rows.insert(y, d.clone());
    }
    let years: Vec<Value> = rows
        .iter()
        .map(|(y, d)| {
            let f = |k: &str| d[k].as_i64().unwrap_or(0);
            json!({
                "year": y,
                "certified": certified(*y),
                "investment_fen": f("investment_fen"),
                "tax_base_fen": f("tax_base_fen"),
                "edu_reduction_fen": f("edu_reduction_fen"),
                "local_reduction_fen": f("local_reduction_fen"),
                "withdrawn_investment_fen": f("withdrawn_investment_fen"),
            })
        })
        .collect();
    Ok(json!({ "years": years }))
}

/// An enterprise's ledger: the `tax_credit` rule's decision (outcome by year, and its trace)
/// over its verified claims, or `Value::Null` when it has none. Only enterprises have one.
pub async fn ledger(state: &AppState, p: &Principal) -> AppResult<Value> {
    if p.org_kind != "enterprise" {
        return Err(AppError::Forbidden);
    }
    let input = ledger_input(state, p.org_id, None).await?;
    if input["years"].as_array().is_none_or(|a| a.is_empty()) {
        return Ok(Value::Null);
    }
    Ok(policy::evaluate(
        "tax_credit",
        &input.to_string(),
        &state.params,
        true,
    )?)
}

/// All claims stay few enough per year to total in memory (one per enterprise and year).
pub const CLAIMS_CAP: i64 = 200;
/// Verified claims totalled in one page view (each carries its ledger's explanation).
pub const TOTALS_CAP: i64 = 2000;

/// The verified claims of one district and year, summed.
pub struct ClaimTotal {
    /// The applicants' division code (empty when unknown).
    pub district: String,
    pub year: i64,
    pub claims: i64,
    pub investment_fen: i64,
    /// The credit the claims' ledgers granted in their year.
    pub credit_fen: i64,
}

/// The claims a principal sees, filtered by year and district.
pub struct Claims {
    /// The newest [`CLAIMS_CAP`] claims, with the count of all.
    pub list: Page<Summary>,
    /// The verified claims (at most [`TOTALS_CAP`]) by district and year, in that order.
    pub totals: Vec<ClaimTotal>,
    /// Whether more verified claims match than were totalled.
    pub truncated: bool,
}

/// Tax credit claims `p` sees, in `year` and `district` when given.
pub async fn claims(
    state: &AppState,
    p: &Principal,
    year: Option<i64>,
    district: Option<String>,
) -> AppResult<Claims> {
    let filter = Filter {
        kind: Some("tax_credit_claim".into()),
        year,
        district,
        ..Default::default()
    };
    // Enterprises' drafts are theirs until submitted: the viewer leaves them out.
    let viewer = viewer(p);
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
    Ok(Claims {
        list,
        totals: totals
            .into_iter()
            .map(
                |((district, year), (claims, investment_fen, credit_fen))| ClaimTotal {
                    district,
                    year,
                    claims,
                    investment_fen,
                    credit_fen,
                },
            )
            .collect(),
        truncated,
    })
}
