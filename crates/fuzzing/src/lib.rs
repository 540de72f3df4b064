//! What each fuzz target (`fuzz/fuzz_targets`, run by `bench/fuzz.sh`) does with one input. The
//! same functions replay the inputs kept in `fuzz/regressions` in `cargo test`, so every crash
//! found stays a regression test. Each function must return, whatever the bytes: a panic, an
//! abort or a broken invariant (checked with `assert!`) is a finding.

use std::sync::OnceLock;

use tabular::{Column, Limits, Schema};

/// What a target does with one input.
pub type Target = fn(&[u8]);

/// The targets, by the name of their folder under `fuzz/regressions` and their binary.
pub const TARGETS: &[(&str, Target)] = &[
    ("table", table),
    ("identifiers", identifiers),
    ("rule_input", rule_input),
    ("toml", toml),
];

const SCHEMA: Schema = Schema {
    sheet: "数据",
    columns: &[
        Column {
            key: "name",
            header: "名称",
            aliases: &["name"],
            required: true,
            example: "张三",
        },
        Column {
            key: "code",
            header: "代码",
            aliases: &["code"],
            required: false,
            example: "520101K",
        },
        Column {
            key: "year",
            header: "年份",
            aliases: &[],
            required: false,
            example: "2024",
        },
    ],
};

/// Small limits, so one run stays fast; the limits' own checks are part of what is fuzzed.
const LIMITS: Limits = Limits {
    max_unzipped_bytes: 16 * 1024 * 1024,
    max_zip_entries: 64,
    max_rows: 10_000,
    max_columns: 64,
    max_cells: 20_000,
    max_text_bytes: 1024 * 1024,
};

/// The table reader (CSV or XLSX, detected from the bytes): never panics; what it reads has a
/// cell per schema column in every row and rows in file order.
pub fn table(data: &[u8]) {
    let Ok(table) = tabular::read_with(&SCHEMA, data, &LIMITS) else {
        return;
    };
    assert_eq!(table.column_letters.len(), SCHEMA.columns.len());
    let mut last = 0;
    for row in &table.rows {
        assert_eq!(row.cells().len(), SCHEMA.columns.len());
        assert!(row.line() > last, "rows in file order");
        assert!(row.line() <= LIMITS.max_rows);
        last = row.line();
    }
    // Writing it back answers (a cell longer than Excel allows is an error, not a panic).
    let rows: Vec<Vec<tabular::Cell>> = table
        .rows
        .iter()
        .map(|r| r.cells().iter().cloned().map(tabular::Cell::from).collect())
        .collect();
    let _ = tabular::export(&SCHEMA, &rows);
}

/// The identifiers: parsing never panics, and what parses parses again to itself.
pub fn identifiers(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    macro_rules! round_trip {
        ($($t:path),*) => {$(
            if let Ok(id) = <$t>::parse(text) {
                let again = <$t>::parse(id.as_str()).expect("a parsed identifier parses again");
                assert_eq!(again.as_str(), id.as_str());
            }
        )*};
    }
    round_trip!(
        domain::CreditCode,
        domain::DivisionCode,
        domain::IdCardNumber,
        domain::MajorCode,
        domain::orgs::IndustryCode
    );
}

fn params() -> &'static policy::ParamSet {
    static PARAMS: OnceLock<policy::ParamSet> = OnceLock::new();
    PARAMS.get_or_init(|| policy::ParamSet::embedded().expect("shipped parameters"))
}

/// Every policy rule on a JSON input: an answer or a refusal, never a panic or an overflow.
pub fn rule_input(data: &[u8]) {
    let Ok(json) = std::str::from_utf8(data) else {
        return;
    };
    for (name, _, _) in policy::RULES {
        let _ = policy::evaluate(name, json, params(), true);
    }
}

/// A workflow kind and a policy parameter file, from TOML: parsed or refused, never a panic.
pub fn toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = domain::workflow::parse_kind(text);
    let _ = policy::ParamSet::from_sources([("tax_credit", "fuzz.toml", text)]);
    let _ = domain::calendar::parse_year_csv(text);
}
