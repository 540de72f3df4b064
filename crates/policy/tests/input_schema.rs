//! The rules' input schemas (`policy::input_schema`) against the rules themselves: a body the
//! schema accepts is accepted by `policy::evaluate`, and a body it refuses is refused — except
//! for the few constraints that relate several values in a way JSON Schema cannot state
//! ([`known_gap`]).

use std::sync::OnceLock;

use jsonschema::Validator;
use policy::{EvalError, ParamSet, RULES, RuleError, evaluate, input_schema, input_schema_with};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn params() -> &'static ParamSet {
    static PARAMS: OnceLock<ParamSet> = OnceLock::new();
    PARAMS.get_or_init(|| ParamSet::embedded().expect("shipped parameters"))
}

/// A validator that also checks `format` (an annotation only, by default, in draft 2020-12).
fn validator(schema: &Value) -> Validator {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("schema does not compile: {e}\n{schema}"))
}

/// The validator of each rule's shipped schema.
fn shipped(rule: &str) -> &'static Validator {
    static VALIDATORS: OnceLock<Vec<(&'static str, Validator)>> = OnceLock::new();
    let all = VALIDATORS.get_or_init(|| {
        RULES
            .iter()
            .map(|(name, _, _)| (*name, validator(&input_schema(name).unwrap())))
            .collect()
    });
    &all.iter().find(|(name, _)| *name == rule).unwrap().1
}

/// Whether `evaluate` refused a schema-valid body for a constraint JSON Schema cannot state:
/// at most as many apprentice posts as posts, strictly increasing ledger years, each district
/// once.
fn known_gap(rule: &str, e: &EvalError) -> bool {
    let EvalError::Rule(RuleError::Input { field, message }) = e else {
        return false;
    };
    match rule {
        "apprenticeship" => field == "apprentice_posts" && message.contains("超过岗位总量"),
        "tax_credit" => field.ends_with(".year") && message.contains("严格递增"),
        "pilot_city" => field.ends_with(".district") && message.contains("重复"),
        _ => false,
    }
}

/// The schema accepts the body exactly when the rule does (but for the known gaps).
fn agree(rule: &str, v: &Validator, body: &Value, params: &ParamSet) -> Result<(), String> {
    match (
        v.is_valid(body),
        evaluate(rule, &body.to_string(), params, false),
    ) {
        (true, Ok(_)) | (false, Err(_)) => Ok(()),
        (true, Err(e)) if known_gap(rule, &e) => Ok(()),
        (true, Err(e)) => Err(format!(
            "{rule}: the schema accepts, the rule refuses ({e}):\n{body}"
        )),
        (false, Ok(_)) => {
            let why: Vec<String> = v.iter_errors(body).map(|e| e.to_string()).collect();
            Err(format!(
                "{rule}: the schema refuses ({}), the rule accepts:\n{body}",
                why.join("; ")
            ))
        }
    }
}

fn check(rule: &str, body: &Value) -> Result<(), TestCaseError> {
    agree(rule, shipped(rule), body, params()).map_err(TestCaseError::fail)
}

// ---------------------------------------------------------------------------------------------
// Generators: mostly valid values, sometimes a wrong one, so that both sides are exercised.

type Json = BoxedStrategy<Value>;

/// How many valid values per invalid one, by default and where a body has many values.
const USUALLY: u32 = 20;
const RARELY: u32 = 300;

fn mostly(valid: Json, invalid: Json) -> Json {
    mostly_with(valid, invalid, USUALLY)
}

fn mostly_with(valid: Json, invalid: Json, weight: u32) -> Json {
    prop_oneof![weight => valid, 1 => invalid].boxed()
}

/// Values of the wrong type or beyond any integer field's range. (Not `2.0`: JSON Schema
/// counts it as the integer 2, the rules refuse it — see `integral_floats_are_refused`.)
fn junk() -> Json {
    prop_oneof![
        Just(Value::Null),
        Just(json!(true)),
        Just(json!(-1)),
        Just(json!(1.5)),
        Just(json!("")),
        Just(json!("7")),
        Just(json!([])),
        Just(json!({})),
        Just(json!(u64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(1e300)),
    ]
    .boxed()
}

fn boolean() -> Json {
    mostly(any::<bool>().prop_map(Value::from).boxed(), junk())
}

fn count() -> Json {
    count_with(USUALLY)
}

fn count_with(weight: u32) -> Json {
    let valid = prop_oneof![
        8 => 0i64..60,
        1 => 0i64..=i64::MAX,
        1 => Just(i64::MAX),
    ];
    mostly_with(valid.prop_map(Value::from).boxed(), junk(), weight)
}

/// An amount in `0..=max`, or just outside.
fn bounded(max: i64) -> Json {
    bounded_with(max, USUALLY)
}

fn bounded_with(max: i64, weight: u32) -> Json {
    let valid = prop_oneof![
        8 => 0i64..1_000_000,
        1 => 0i64..=max,
        1 => Just(max),
    ];
    let invalid = prop_oneof![Just(json!(-1)), Just(json!(max as i128 + 1)), junk()];
    mostly_with(valid.prop_map(Value::from).boxed(), invalid.boxed(), weight)
}

fn date() -> Json {
    let near = (2017i32..2036, 1u32..=12, 1u32..=31)
        .prop_map(|(y, m, d)| json!(format!("{y:04}-{m:02}-{d:02}")));
    let edges = prop_oneof![
        Just(json!("0001-01-01")),
        Just(json!("9999-12-31")),
        Just(json!("2019-03-27")),
        Just(json!("2019-03-28")),
        Just(json!("2023-10-31")),
        Just(json!("2023-11-01")),
        Just(json!("2024-02-29")),
        Just(json!("2025-02-29")),
    ];
    let bad = prop_oneof![
        Just(json!("2024/01/01")),
        Just(json!("2024-1-1")),
        Just(json!("2024-01-01T00:00:00Z")),
        Just(json!("２０２４-01-01")),
        junk(),
    ];
    prop_oneof![12 => near, 4 => edges, 1 => bad].boxed()
}

fn text() -> Json {
    prop_oneof![
        10 => "[a-z\u{4e00}-\u{4e20} ]{0,12}".prop_map(Value::from),
        1 => Just(json!("区".repeat(2000))),
        1 => Just(json!("区".repeat(2001))),
        1 => Just(Value::Null),
        1 => junk(),
    ]
    .boxed()
}

fn code(codes: &'static [&'static str]) -> Json {
    mostly(
        proptest::sample::select(codes)
            .prop_map(Value::from)
            .boxed(),
        prop_oneof![
            Just(json!("kindergarten")),
            Just(json!("Education")),
            junk()
        ]
        .boxed(),
    )
}

/// An object of `fields`, each present with its probability, sometimes with an unknown field.
fn object(fields: Vec<(&'static str, f64, Json)>) -> Json {
    let parts: Vec<BoxedStrategy<Option<(String, Value)>>> = fields
        .into_iter()
        .map(|(name, p, value)| {
            proptest::option::weighted(p, value)
                .prop_map(move |v| v.map(|v| (name.to_string(), v)))
                .boxed()
        })
        .collect();
    let extra = proptest::option::weighted(0.03, ("[a-z_]{1,10}", junk()));
    (parts, extra)
        .prop_map(|(parts, extra)| {
            let mut m: Map<String, Value> = parts.into_iter().flatten().collect();
            if let Some((k, v)) = extra {
                m.entry(k).or_insert(v);
            }
            Value::Object(m)
        })
        .boxed()
}

const REQUIRED: f64 = 0.98;
const OPTIONAL: f64 = 0.5;

fn apprenticeship() -> Json {
    object(vec![
        ("date", REQUIRED, date()),
        ("total_posts", REQUIRED, count()),
        ("apprentice_posts", REQUIRED, count()),
    ])
}

fn certification() -> Json {
    let mut fields = vec![
        ("application_date", REQUIRED, date()),
        ("registered_in_chongqing", REQUIRED, boolean()),
        ("years_in_operation", REQUIRED, count()),
        ("credit_record_clean", REQUIRED, boolean()),
        ("staff_training_funds_fen", REQUIRED, count()),
        ("payroll_fen", REQUIRED, count()),
        ("has_cooperation_unit", REQUIRED, boolean()),
    ];
    for name in [
        "runs_school",
        "industry_college",
        "training_base",
        "apprenticeship_pilot",
    ] {
        fields.push((name, OPTIONAL, boolean()));
    }
    for name in [
        "co_built_majors",
        "order_class_students",
        "cooperation_years",
        "investment_fen",
        "students_hosted",
        "apprentices",
        "teachers_trained",
    ] {
        fields.push((name, OPTIONAL, count()));
    }
    object(fields)
}

fn land_supply() -> Json {
    let date = prop_oneof![6 => date(), 1 => Just(Value::Null)].boxed();
    object(vec![
        ("date", OPTIONAL, date),
        (
            "investor",
            REQUIRED,
            code(&["enterprise", "government_enterprise"]),
        ),
        (
            "school_type",
            REQUIRED,
            code(&[
                "secondary_vocational",
                "higher_vocational",
                "vocational_bachelor",
                "university",
            ]),
        ),
        ("non_profit", REQUIRED, boolean()),
        (
            "land_use",
            REQUIRED,
            code(&[
                "education",
                "commercial",
                "industrial",
                "residential",
                "mixed",
            ]),
        ),
        ("in_allocation_catalog", REQUIRED, boolean()),
    ])
}

const CONTROLS: &[&str] = &["wholly_owned", "controlling", "minority"];
const MAX_FEN: i64 = policy::rules::tax_credit::MAX_FEN;

fn tax_credit() -> Json {
    let optional_or_null = |v: Json| prop_oneof![4 => v, 1 => Just(Value::Null)].boxed();
    let year_rest = object(vec![
        ("certified", REQUIRED, boolean()),
        ("investment_fen", REQUIRED, bounded(MAX_FEN)),
        ("tax_base_fen", REQUIRED, bounded(MAX_FEN)),
        ("edu_reduction_fen", OPTIONAL, bounded(MAX_FEN)),
        ("local_reduction_fen", OPTIONAL, bounded(MAX_FEN)),
        ("withdrawn_investment_fen", OPTIONAL, bounded(MAX_FEN)),
        ("group_certified", 0.15, optional_or_null(boolean())),
        ("control", 0.15, optional_or_null(code(CONTROLS))),
    ]);
    // Years mostly strictly increasing from a start around the first year with known rates.
    let step = prop_oneof![20 => 1i64..=2, 1 => -1i64..=0];
    let year_value = mostly(Just(Value::Null).boxed(), junk());
    let years = (
        2010i64..2030,
        proptest::collection::vec((step, year_value, year_rest), 0..6),
    )
        .prop_map(|(start, rows)| {
            let mut year = start;
            let rows: Vec<Value> = rows
                .into_iter()
                .map(|(step, value, mut row)| {
                    year += step;
                    // `Null` stands for the computed year; anything else replaces it.
                    let v = if value.is_null() { json!(year) } else { value };
                    row.as_object_mut().unwrap().insert("year".into(), v);
                    row
                })
                .collect();
            Value::Array(rows)
        })
        .boxed();
    let years = mostly(years, junk());
    let subsidiary = object(vec![
        ("group", OPTIONAL, text()),
        ("control", REQUIRED, code(CONTROLS)),
    ]);
    object(vec![
        ("years", REQUIRED, years),
        ("carry_in_fen", OPTIONAL, bounded(MAX_FEN)),
        ("subsidiary", 0.4, optional_or_null(subsidiary)),
    ])
}

/// The indicator codes of the shipped schema.
fn indicator_codes() -> Vec<String> {
    let schema = input_schema("pilot_city").unwrap();
    schema
        .pointer("/properties/candidates/items/properties/indicators/required")
        .and_then(Value::as_array)
        .expect("the shipped schema lists the indicators")
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

fn pilot_city() -> Json {
    let codes = indicator_codes();
    let indicators: Vec<(&'static str, f64, Json)> = codes
        .into_iter()
        .map(|c| {
            // Many values per body: each is rarely wrong or missing.
            let value = if c.ends_with("_ppm") {
                bounded_with(1_000_000, RARELY)
            } else {
                count_with(RARELY)
            };
            (&*Box::leak(c.into_boxed_str()), 0.998, value)
        })
        .collect();
    let indicators = object(indicators);
    // District: by default `5001xx` from the candidate's index (distinct); sometimes not.
    let district = prop_oneof![
        30 => Just(Value::Null),
        1 => Just(json!("500101")),
        1 => Just(json!("50010")),
        1 => Just(json!("5001O1")),
        1 => junk(),
    ];
    let candidate = (
        proptest::option::weighted(REQUIRED, district),
        object(vec![
            ("name", 0.3, text()),
            ("indicators", REQUIRED, indicators),
        ]),
    );
    let size = prop_oneof![8 => 2usize..6, 1 => 0usize..2];
    let candidates = size
        .prop_flat_map(move |n| proptest::collection::vec(candidate.clone(), n))
        .prop_map(|rows| {
            let rows: Vec<Value> = rows
                .into_iter()
                .enumerate()
                .map(|(i, (district, mut row))| {
                    if let Some(d) = district {
                        let d = if d.is_null() {
                            json!(format!("5001{i:02}"))
                        } else {
                            d
                        };
                        row.as_object_mut().unwrap().insert("district".into(), d);
                    }
                    row
                })
                .collect();
            Value::Array(rows)
        })
        .boxed();
    object(vec![
        ("date", REQUIRED, date()),
        ("candidates", REQUIRED, mostly(candidates, junk())),
    ])
}

proptest! {
    // 512 cases, or more with PROPTEST_CASES.
    #![proptest_config(ProptestConfig {
        cases: ProptestConfig::default().cases.max(512),
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct("tests/input_schema.proptest-regressions"),
        )),
        ..ProptestConfig::default()
    })]

    #[test]
    fn schema_agrees_with_rule_apprenticeship(body in apprenticeship()) {
        check("apprenticeship", &body)?;
    }

    #[test]
    fn schema_agrees_with_rule_certification(body in certification()) {
        check("certification", &body)?;
    }

    #[test]
    fn schema_agrees_with_rule_land_supply(body in land_supply()) {
        check("land_supply", &body)?;
    }

    #[test]
    fn schema_agrees_with_rule_tax_credit(body in tax_credit()) {
        check("tax_credit", &body)?;
    }

    #[test]
    fn schema_agrees_with_rule_pilot_city(body in pilot_city()) {
        check("pilot_city", &body)?;
    }
}

/// The generators must produce both bodies the schema accepts and bodies it refuses, or the
/// property tests above prove little.
#[test]
fn generators_exercise_both_sides() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let generators: [(&str, Json); 5] = [
        ("apprenticeship", apprenticeship()),
        ("certification", certification()),
        ("land_supply", land_supply()),
        ("tax_credit", tax_credit()),
        ("pilot_city", pilot_city()),
    ];
    let mut runner = TestRunner::deterministic();
    for (rule, strategy) in generators {
        let n = 400;
        let valid = (0..n)
            .filter(|_| {
                let body = strategy.new_tree(&mut runner).unwrap().current();
                shipped(rule).is_valid(&body)
            })
            .count();
        eprintln!("{rule}: {valid} of {n} generated bodies are schema-valid");
        assert!(
            (n / 10..=n - n / 10).contains(&valid),
            "{rule}: {valid} of {n} generated bodies are schema-valid"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The schemas themselves.

fn walk<'a>(v: &'a Value, out: &mut Vec<(&'a str, &'a Value)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                out.push((k, x));
                walk(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
        _ => {}
    }
}

#[test]
fn every_rule_has_a_closed_self_contained_schema() {
    assert!(input_schema("no_such_rule").is_none());
    for (rule, _, _) in RULES {
        let schema = input_schema(rule).unwrap_or_else(|| panic!("{rule}: no schema"));
        assert!(schema.is_object(), "{rule}");
        assert_eq!(schema["type"], "object", "{rule}");
        assert_eq!(schema["additionalProperties"], false, "{rule}");
        assert!(
            jsonschema::draft202012::meta::is_valid(&schema),
            "{rule}: not a valid draft 2020-12 schema"
        );
        let mut keys = Vec::new();
        walk(&schema, &mut keys);
        for (k, v) in keys {
            assert!(
                !matches!(k, "$ref" | "$defs" | "definitions" | "$schema"),
                "{rule}: {k} in the schema"
            );
            // Every object the rule reads refuses unknown fields; every date is a date.
            if k == "properties" {
                for (name, sub) in v.as_object().unwrap() {
                    if name.contains("date") && sub.get("pattern").is_some() {
                        assert_eq!(sub["format"], "date", "{rule}.{name}");
                    }
                }
            }
        }
        // Every integer is bounded, every string and list is capped.
        let mut all = Vec::new();
        walk(&schema, &mut all);
        for (_, v) in all {
            let Some(m) = v.as_object() else { continue };
            let ty = m.get("type").map(|t| t.to_string()).unwrap_or_default();
            if ty.contains("integer") {
                assert!(
                    m.contains_key("minimum") && m.contains_key("maximum"),
                    "{rule}: {v}"
                );
            }
            if ty.contains("array") {
                assert!(m.contains_key("maxItems"), "{rule}: {v}");
            }
            if ty.contains("string") && !m.contains_key("enum") && !m.contains_key("const") {
                assert!(
                    m.contains_key("maxLength") || m.contains_key("pattern"),
                    "{rule}: {v}"
                );
            }
            if ty.contains("object") && m.contains_key("properties") {
                assert_eq!(m.get("additionalProperties"), Some(&json!(false)), "{rule}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Hand-written bodies.

fn valid_bodies() -> Vec<(&'static str, Value)> {
    let indicators: Map<String, Value> = indicator_codes()
        .into_iter()
        .enumerate()
        .map(|(i, c)| (c, json!(i * 10)))
        .collect();
    let mut other = indicators.clone();
    other
        .values_mut()
        .for_each(|v| *v = json!(v.as_i64().unwrap() + 5));
    vec![
        (
            "apprenticeship",
            json!({"date": "2025-06-30", "total_posts": 40, "apprentice_posts": 2}),
        ),
        (
            "certification",
            json!({
                "application_date": "2025-12-26",
                "registered_in_chongqing": true,
                "years_in_operation": 5,
                "credit_record_clean": true,
                "staff_training_funds_fen": 150,
                "payroll_fen": 10000,
                "has_cooperation_unit": true,
                "runs_school": true,
                "investment_fen": 100000000
            }),
        ),
        (
            "land_supply",
            json!({
                "investor": "enterprise",
                "school_type": "higher_vocational",
                "non_profit": true,
                "land_use": "education",
                "in_allocation_catalog": true
            }),
        ),
        (
            "tax_credit",
            json!({
                "years": [
                    {"year": 2020, "certified": true, "investment_fen": 1000000, "tax_base_fen": 500000},
                    {"year": 2021, "certified": false, "investment_fen": 0, "tax_base_fen": 500000,
                     "group_certified": true, "control": "controlling"}
                ],
                "carry_in_fen": 100,
                "subsidiary": {"group": "某集团", "control": "wholly_owned"}
            }),
        ),
        (
            "pilot_city",
            json!({
                "date": "2024-06-01",
                "candidates": [
                    {"district": "500103", "name": "渝中区", "indicators": indicators},
                    {"district": "500104", "indicators": other}
                ]
            }),
        ),
    ]
}

/// Edits of a valid body: (what, edit).
type Edit = (&'static str, fn(&mut Value));

fn invalid_edits(rule: &str) -> Vec<Edit> {
    fn remove(v: &mut Value, pointer: &str, key: &str) {
        v.pointer_mut(pointer)
            .and_then(Value::as_object_mut)
            .unwrap()
            .remove(key);
    }
    /// Sets the value at `pointer`, adding the last key if need be.
    fn set(v: &mut Value, pointer: &str, x: Value) {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        match v.pointer_mut(parent).unwrap() {
            Value::Object(m) => {
                m.insert(key.into(), x);
            }
            Value::Array(a) => a[key.parse::<usize>().unwrap()] = x,
            other => panic!("{pointer}: {other}"),
        }
    }
    let common: Vec<Edit> = vec![
        ("unknown field", |v| set(v, "/colour", json!(1))),
        ("not an object", |v| *v = json!([])),
        ("empty object", |v| *v = json!({})),
    ];
    let specific: Vec<Edit> = match rule {
        "apprenticeship" => vec![
            ("missing date", |v| remove(v, "", "date")),
            ("negative posts", |v| set(v, "/total_posts", json!(-1))),
            ("date before the parameters", |v| {
                set(v, "/date", json!("2023-10-31"))
            }),
            ("impossible date", |v| set(v, "/date", json!("2025-02-29"))),
            ("fractional posts", |v| set(v, "/total_posts", json!(1.5))),
            ("posts beyond i64", |v| {
                set(v, "/total_posts", json!(u64::MAX))
            }),
        ],
        "certification" => vec![
            ("missing basic field", |v| {
                remove(v, "", "credit_record_clean")
            }),
            ("negative money", |v| set(v, "/payroll_fen", json!(-1))),
            ("negative optional count", |v| {
                set(v, "/order_class_students", json!(-3))
            }),
            ("date before any standard", |v| {
                set(v, "/application_date", json!("2019-03-27"))
            }),
            ("bad date shape", |v| {
                set(v, "/application_date", json!("2025/12/26"))
            }),
            ("null for a default", |v| {
                set(v, "/runs_school", Value::Null)
            }),
        ],
        "land_supply" => vec![
            ("missing required field", |v| remove(v, "", "non_profit")),
            ("null required field", |v| set(v, "/investor", Value::Null)),
            ("unknown school type", |v| {
                set(v, "/school_type", json!("kindergarten"))
            }),
            ("date before the measure", |v| {
                set(v, "/date", json!("2023-10-31"))
            }),
            ("not a date", |v| set(v, "/date", json!("2024-13-01"))),
        ],
        "tax_credit" => vec![
            ("missing years", |v| remove(v, "", "years")),
            ("empty years", |v| set(v, "/years", json!([]))),
            ("negative money", |v| {
                set(v, "/years/0/investment_fen", json!(-1))
            }),
            ("money above the bound", |v| {
                set(v, "/carry_in_fen", json!(MAX_FEN + 1))
            }),
            ("missing certified", |v| remove(v, "/years/0", "certified")),
            ("unknown year field", |v| {
                set(v, "/years/0/investment", json!(1))
            }),
            ("year before the surcharge rates", |v| {
                set(v, "/years/0/year", json!(2010))
            }),
            ("year after the range", |v| {
                set(v, "/years/1/year", json!(2101))
            }),
            ("group fields without subsidiary", |v| {
                remove(v, "", "subsidiary")
            }),
            ("group fields with a null subsidiary", |v| {
                set(v, "/subsidiary", Value::Null)
            }),
            ("unknown control", |v| {
                set(v, "/subsidiary/control", json!("other"))
            }),
            ("group name too long", |v| {
                set(v, "/subsidiary/group", json!("集".repeat(2001)))
            }),
        ],
        "pilot_city" => vec![
            ("missing date", |v| remove(v, "", "date")),
            ("empty candidates", |v| set(v, "/candidates", json!([]))),
            ("one candidate", |v| {
                v["candidates"].as_array_mut().unwrap().pop();
            }),
            ("missing district", |v| {
                remove(v, "/candidates/0", "district")
            }),
            ("bad district", |v| {
                set(v, "/candidates/0/district", json!("50010"))
            }),
            ("missing indicator", |v| {
                let codes = indicator_codes();
                remove(v, "/candidates/0/indicators", &codes[0]);
            }),
            ("unknown indicator", |v| {
                set(v, "/candidates/0/indicators/population", json!(1))
            }),
            ("negative indicator", |v| {
                let codes = indicator_codes();
                v["candidates"][0]["indicators"][&codes[0]] = json!(-1);
            }),
            ("share above one", |v| {
                let codes = indicator_codes();
                let ppm = codes.iter().find(|c| c.ends_with("_ppm")).unwrap();
                v["candidates"][0]["indicators"][ppm] = json!(1_000_001);
            }),
            ("unknown candidate field", |v| {
                set(v, "/candidates/0/population", json!(1))
            }),
            ("name too long", |v| {
                set(v, "/candidates/0/name", json!("区".repeat(2001)))
            }),
            ("date before the measure", |v| {
                set(v, "/date", json!("2023-10-31"))
            }),
            ("too many candidates", |v| {
                let first = v["candidates"][0].clone();
                let many: Vec<Value> = (0..1001)
                    .map(|i| {
                        let mut c = first.clone();
                        c["district"] = json!(format!("{:06}", 100_000 + i));
                        c
                    })
                    .collect();
                v["candidates"] = Value::Array(many);
            }),
        ],
        _ => unreachable!(),
    };
    common.into_iter().chain(specific).collect()
}

#[test]
fn hand_written_bodies_are_accepted_or_refused_by_both() {
    for (rule, body) in valid_bodies() {
        let v = shipped(rule);
        assert!(
            v.is_valid(&body),
            "{rule}: valid body refused by the schema: {:?}",
            v.iter_errors(&body)
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
        );
        evaluate(rule, &body.to_string(), params(), false)
            .unwrap_or_else(|e| panic!("{rule}: valid body refused by the rule: {e}"));
        for (what, edit) in invalid_edits(rule) {
            let mut bad = body.clone();
            edit(&mut bad);
            assert!(
                !v.is_valid(&bad),
                "{rule} / {what}: the schema accepts {bad}"
            );
            assert!(
                evaluate(rule, &bad.to_string(), params(), false).is_err(),
                "{rule} / {what}: the rule accepts {bad}"
            );
        }
    }
}

/// What JSON Schema cannot state, shown: the schema accepts these bodies, the rule refuses them.
#[test]
fn the_known_gaps() {
    let gaps = [
        // Cross-field constraints.
        (
            "apprenticeship",
            json!({"date": "2025-06-30", "total_posts": 1, "apprentice_posts": 2}),
        ),
        (
            "tax_credit",
            json!({"years": [
                {"year": 2020, "certified": true, "investment_fen": 0, "tax_base_fen": 0},
                {"year": 2020, "certified": true, "investment_fen": 0, "tax_base_fen": 0}
            ]}),
        ),
        (
            "pilot_city",
            json!({"date": "2024-06-01", "candidates": [
                {"district": "500103", "indicators": valid_bodies()[4].1["candidates"][0]["indicators"]},
                {"district": "500103", "indicators": valid_bodies()[4].1["candidates"][1]["indicators"]}
            ]}),
        ),
    ];
    for (rule, body) in gaps {
        assert!(shipped(rule).is_valid(&body), "{rule}: {body}");
        let e = evaluate(rule, &body.to_string(), params(), false).unwrap_err();
        assert!(known_gap(rule, &e), "{rule}: {e}");
    }
    // An integer written with a fraction is an integer to JSON Schema; serde refuses it (an
    // amount is never read through a float).
    let body = json!({"date": "2025-06-30", "total_posts": 40.0, "apprentice_posts": 2});
    assert!(shipped("apprenticeship").is_valid(&body));
    assert!(evaluate("apprenticeship", &body.to_string(), params(), false).is_err());
}

/// Parameters with a file replaced (the stem's parameters it names replace the shipped ones).
fn with_override(stem: &str, text: &str) -> ParamSet {
    let shipped = policy::params::EMBEDDED
        .iter()
        .map(|(stem, text)| (*stem, *stem, *text));
    ParamSet::from_sources(shipped.chain([(stem, "override.toml", text)])).unwrap()
}

fn shipped_text(stem: &str) -> &'static str {
    policy::params::EMBEDDED
        .iter()
        .find(|(s, _)| *s == stem)
        .unwrap()
        .1
}

#[test]
fn schema_follows_the_parameters() {
    // The fewest candidates changes on 2026-01-01: one schema branch per period.
    let pilot = with_override(
        "pilot_city",
        r#"
[min_candidates]
description = "参与评分的最少候选区县数"
type = "integer"
unit = "个"
measure = 1
[[min_candidates.values]]
from = "2023-11-01"
to = "2025-12-31"
value = 2
source = "测试"
verified = false
[[min_candidates.values]]
from = "2026-01-01"
value = 3
source = "测试"
verified = false
"#,
    );
    let schema = input_schema_with("pilot_city", &pilot).unwrap();
    assert_eq!(
        schema["anyOf"].as_array().map(Vec::len),
        Some(2),
        "{schema}"
    );
    let v = validator(&schema);
    let base = valid_bodies()[4].1.clone();
    let mut three = base.clone();
    let mut extra = base["candidates"][1].clone();
    extra["district"] = json!("500105");
    three["candidates"].as_array_mut().unwrap().push(extra);
    for (body, date, accepted) in [
        (&base, "2025-12-31", true),
        (&base, "2026-01-01", false),
        (&three, "2026-01-01", true),
        (&three, "2025-06-01", true),
    ] {
        let mut body = body.clone();
        body["date"] = json!(date);
        assert_eq!(v.is_valid(&body), accepted, "{date}: {body}");
        agree("pilot_city", &v, &body, &pilot).unwrap();
    }

    // Land parameters from 2024 only: the default date (2023-11-01) no longer works, so the
    // date is required.
    let land = with_override(
        "land",
        &shipped_text("land").replace("from = \"2023-11-01\"", "from = \"2024-01-01\""),
    );
    let v = validator(&input_schema_with("land_supply", &land).unwrap());
    let mut body = valid_bodies()[2].1.clone();
    for (date, accepted) in [
        (None, false),
        (Some(Value::Null), false),
        (Some(json!("2023-12-31")), false),
        (Some(json!("2024-01-01")), true),
    ] {
        if let Some(d) = date {
            body["date"] = d;
        }
        assert_eq!(v.is_valid(&body), accepted, "{body}");
        agree("land_supply", &v, &body, &land).unwrap();
    }

    // The local surcharge known from 2015 only: ledger years from 2015.
    let tax = with_override(
        "tax_credit",
        &shipped_text("tax_credit").replace("from = \"2011-01-01\"", "from = \"2015-01-01\""),
    );
    let schema = input_schema_with("tax_credit", &tax).unwrap();
    assert_eq!(
        schema.pointer("/properties/years/items/properties/year/minimum"),
        Some(&json!(2015))
    );
    let v = validator(&schema);
    for year in [2014, 2015] {
        let body = json!({"years": [{"year": year, "certified": true, "investment_fen": 1, "tax_base_fen": 1}]});
        assert_eq!(v.is_valid(&body), year == 2015);
        agree("tax_credit", &v, &body, &tax).unwrap();
    }
}

/// Required fields are required by serde now; their messages stay what the rules said.
#[test]
fn missing_fields_keep_their_messages() {
    let message = |rule: &str, body: Value| {
        evaluate(rule, &body.to_string(), params(), false)
            .unwrap_err()
            .to_string()
    };
    let pilot = message("pilot_city", json!({"candidates": []}));
    assert!(
        pilot.ends_with("date：缺少字段 date（评分日期，YYYY-MM-DD）"),
        "{pilot}"
    );
    let district = message(
        "pilot_city",
        json!({"date": "2024-06-01", "candidates": [{"indicators": {}}]}),
    );
    assert!(
        district.ends_with("candidates[0].district：缺少字段 district（区县代码）"),
        "{district}"
    );
    let mut land = valid_bodies()[2].1.clone();
    land.as_object_mut().unwrap().remove("investor");
    let land = message("land_supply", land);
    assert!(land.ends_with("investor：缺少字段 investor"), "{land}");
}
