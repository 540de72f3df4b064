//! The rules' pages: the calculators (tax-credit ledger, land route) and the public list of
//! policy parameters.
//! Calculations change nothing, so the forms use GET: bookmarkable, no CSRF token needed.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::routing::get;
use policy::money::{parse_yuan, yuan};
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::{MaybeCaller, PageCaller};
use crate::error::PageResult;
use crate::pages::trace::{StepView, plain_value, text, trace_view};
use crate::pages::{Layout, Routes, SelectOption, options, render};

pub fn router() -> Routes {
    Routes::new()
        .route("/rules", get(index))
        .route("/rules/tax_credit", get(tax))
        .route("/rules/land_supply", get(land))
        .route("/policy/parameters", get(parameters))
}

struct RuleLine {
    name: &'static str,
    title: &'static str,
    measure: u8,
    page: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "rules/index.html")]
struct IndexPage {
    layout: Layout,
    rules: Vec<RuleLine>,
}

async fn index(MaybeCaller(caller): MaybeCaller) -> PageResult {
    let rules = policy::RULES
        .iter()
        .map(|(name, title, measure)| RuleLine {
            name,
            title,
            measure: *measure,
            page: match *name {
                "tax_credit" => Some("/rules/tax_credit"),
                "land_supply" => Some("/rules/land_supply"),
                _ => None,
            },
        })
        .collect();
    render(&IndexPage {
        layout: Layout::new("规则计算", "rules", caller.as_ref()),
        rules,
    })
}

#[derive(Default, Clone)]
struct TaxRow {
    year: String,
    certified: bool,
    investment: String,
    tax_base: String,
    edu_reduction: String,
    local_reduction: String,
    withdrawn: String,
}

struct LedgerRow {
    year: String,
    eligible: String,
    edu_due: String,
    local_due: String,
    row5: String,
    carry_in: String,
    new_credit: String,
    used_edu: String,
    used_local: String,
    carry_out: String,
}

#[derive(Template)]
#[template(path = "rules/tax.html")]
struct TaxPage {
    layout: Layout,
    rows: Vec<TaxRow>,
    errors: Vec<String>,
    ledger: Option<Vec<LedgerRow>>,
    trace: Vec<StepView>,
}

const TAX_ROWS: usize = 6;

fn money_cell(v: &Value) -> String {
    v.as_i64()
        .map(|f| yuan(f).trim_end_matches('元').to_string())
        .unwrap_or_default()
}

async fn tax(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let get = |k: &str, i: usize| q.get(&format!("{k}_{i}")).cloned().unwrap_or_default();
    let submitted = q.contains_key("go");
    let mut rows: Vec<TaxRow> = (0..TAX_ROWS)
        .map(|i| TaxRow {
            year: get("year", i),
            certified: get("certified", i) != "0",
            investment: get("investment", i),
            tax_base: get("tax_base", i),
            edu_reduction: get("edu_reduction", i),
            local_reduction: get("local_reduction", i),
            withdrawn: get("withdrawn", i),
        })
        .collect();
    if !submitted {
        // An example to start from.
        let ex = [
            ("2023", "2000000", "5000000"),
            ("2024", "0", "8000000"),
            ("2025", "500000", "3000000"),
        ];
        for (i, (y, inv, base)) in ex.iter().enumerate() {
            rows[i] = TaxRow {
                year: y.to_string(),
                certified: true,
                investment: inv.to_string(),
                tax_base: base.to_string(),
                ..Default::default()
            };
        }
    }
    let mut errors = Vec::new();
    let mut years = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        if r.year.trim().is_empty() {
            continue;
        }
        let n = i + 1;
        let year: i64 = match r.year.trim().parse() {
            Ok(y) => y,
            Err(_) => {
                errors.push(format!("第{n}行：年度“{}”应为四位数字", r.year.trim()));
                continue;
            }
        };
        let mut money = |label: &str, v: &str| match parse_yuan(v) {
            Ok(f) => f,
            Err(e) => {
                errors.push(format!("第{n}行{label}：{e}"));
                0
            }
        };
        let y = json!({
            "year": year,
            "certified": r.certified,
            "investment_fen": money("投资额", &r.investment),
            "tax_base_fen": money("增值税+消费税", &r.tax_base),
            "edu_reduction_fen": money("教育费附加减免", &r.edu_reduction),
            "local_reduction_fen": money("地方教育附加减免", &r.local_reduction),
            "withdrawn_investment_fen": money("撤回投资额", &r.withdrawn),
        });
        years.push(y);
    }
    let mut ledger = None;
    let mut trace = Vec::new();
    if errors.is_empty() && !years.is_empty() {
        let input = json!({ "years": years }).to_string();
        match policy::evaluate("tax_credit", &input, &state.params, true) {
            Ok(d) => {
                trace = trace_view(&d["trace"]);
                ledger = Some(
                    d["outcome"]["years"]
                        .as_array()
                        .map(|ys| {
                            ys.iter()
                                .map(|y| LedgerRow {
                                    year: text(&y["year"]),
                                    eligible: text(&y["eligible"]),
                                    edu_due: money_cell(&y["edu_due_fen"]),
                                    local_due: money_cell(&y["local_due_fen"]),
                                    row5: money_cell(&y["row5_investment_fen"]),
                                    carry_in: money_cell(&y["carry_in_fen"]),
                                    new_credit: money_cell(&y["new_credit_fen"]),
                                    used_edu: money_cell(&y["used_edu_fen"]),
                                    used_local: money_cell(&y["used_local_fen"]),
                                    carry_out: money_cell(&y["carry_out_fen"]),
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                );
            }
            Err(e) => errors.push(e.to_string()),
        }
    } else if submitted && years.is_empty() && errors.is_empty() {
        errors.push("请至少填写一个年度".into());
    }
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut resp = render(&TaxPage {
        layout: Layout::new("税收抵免台账", "rules", Some(&caller)),
        rows,
        errors,
        ledger,
        trace,
    })?;
    *resp.status_mut() = status;
    Ok(resp)
}

struct MethodRow {
    name: String,
    allowed: bool,
    reason: String,
}

#[derive(Template)]
#[template(path = "rules/land.html")]
struct LandPage {
    layout: Layout,
    errors: Vec<String>,
    investor_options: Vec<SelectOption>,
    school_options: Vec<SelectOption>,
    profit_options: Vec<SelectOption>,
    use_options: Vec<SelectOption>,
    catalog_options: Vec<SelectOption>,
    methods: Vec<MethodRow>,
    trace: Vec<StepView>,
}

async fn land(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let v = |k: &str, d: &str| q.get(k).cloned().unwrap_or_else(|| d.to_string());
    let investor = v("investor", "enterprise");
    let school = v("school_type", "higher_vocational");
    let non_profit = v("non_profit", "1");
    let land_use = v("land_use", "education");
    let catalog = v("in_allocation_catalog", "1");
    let mut errors = Vec::new();
    let mut methods = Vec::new();
    let mut trace = Vec::new();
    if q.contains_key("go") {
        let input = json!({
            "investor": investor,
            "school_type": school,
            "non_profit": non_profit == "1",
            "land_use": land_use,
            "in_allocation_catalog": catalog == "1",
        })
        .to_string();
        match policy::evaluate("land_supply", &input, &state.params, true) {
            Ok(d) => {
                trace = trace_view(&d["trace"]);
                methods = d["outcome"]["methods"]
                    .as_array()
                    .map(|ms| {
                        ms.iter()
                            .map(|m| MethodRow {
                                name: text(&m["name"]),
                                allowed: m["allowed"].as_bool().unwrap_or(false),
                                reason: text(&m["reason"]),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    let yes_no = |sel: &str| options([("1", "是"), ("0", "否")], sel);
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut resp = render(&LandPage {
        layout: Layout::new("教育用地供地方式", "rules", Some(&caller)),
        errors,
        investor_options: options(
            [
                ("enterprise", "企业独资"),
                ("government_enterprise", "政府与企业合作"),
            ],
            &investor,
        ),
        school_options: options(
            [
                ("secondary_vocational", "中等职业学校"),
                ("higher_vocational", "高等职业学校"),
                ("vocational_bachelor", "职业本科学校"),
                ("university", "普通高等学校"),
            ],
            &school,
        ),
        profit_options: options([("1", "非营利性"), ("0", "营利性")], &non_profit),
        use_options: options(
            [
                ("education", "教育用地"),
                ("commercial", "商业用地"),
                ("industrial", "工业用地"),
                ("residential", "住宅用地"),
                ("mixed", "混合用地"),
            ],
            &land_use,
        ),
        catalog_options: yes_no(&catalog),
        methods,
        trace,
    })?;
    *resp.status_mut() = status;
    Ok(resp)
}

struct PeriodView {
    period: String,
    value: String,
    source: String,
    note: Option<String>,
    verified: bool,
}

struct ParamView {
    key: String,
    description: String,
    unit: String,
    measure: Option<u8>,
    origin: String,
    values: Vec<PeriodView>,
}

#[derive(Template)]
#[template(path = "rules/params.html")]
struct ParamsPage {
    layout: Layout,
    params: Vec<ParamView>,
}

async fn parameters(State(state): State<AppState>, MaybeCaller(caller): MaybeCaller) -> PageResult {
    let params = state
        .params
        .iter()
        .map(|p| ParamView {
            key: p.key.clone(),
            description: p.description.clone(),
            unit: p.unit.clone(),
            measure: p.measure,
            origin: p.origin.clone(),
            values: p
                .values
                .iter()
                .map(|v| PeriodView {
                    period: match v.to {
                        Some(t) => format!("{}至{}", v.from, t),
                        None => format!("{}起", v.from),
                    },
                    value: {
                        let (value, unit) = plain_value(&v.value.to_string(), &p.unit);
                        format!("{value} {unit}").trim_end().to_string()
                    },
                    source: v.source.clone(),
                    note: v.note.clone(),
                    verified: v.verified,
                })
                .collect(),
        })
        .collect();
    render(&ParamsPage {
        layout: Layout::new("政策参数", "rules", caller.as_ref()),
        params,
    })
}
