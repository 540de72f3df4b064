//! Row-by-row validation into a [`Report`] with cell references.

use std::collections::HashMap;

use crate::{Problem, Report, Row, Schema, Table};

/// Validates every row with `check`, which returns either the typed value or
/// a list of (column key, Chinese message); an empty or unknown key makes a
/// row-level problem without a cell reference.
///
/// Rows whose `unique_by` values (all non-empty) repeat an earlier row are
/// reported as “与第N行重复”, N being the first row with those values.
///
/// Returns the valid rows with their line numbers, and the report. Commit
/// only when [`Report::is_clean`].
pub fn validate<T>(
    schema: &Schema,
    table: &Table,
    unique_by: &[&str],
    check: impl Fn(&Row) -> Result<T, Vec<(&'static str, String)>>,
) -> (Vec<(usize, T)>, Report) {
    debug_assert!(
        unique_by.iter().all(|k| schema.index_of(k).is_some()),
        "unknown key in unique_by: {unique_by:?}"
    );
    let problem =
        |row: &Row, key: &str, message: String| Problem::at(schema, table, row.line, key, message);

    let mut seen: HashMap<Vec<&str>, usize> = HashMap::new();
    let mut valid = Vec::new();
    let mut problems = Vec::new();
    for row in &table.rows {
        let before = problems.len();
        let value = match check(row) {
            Ok(value) => Some(value),
            Err(errors) if errors.is_empty() => {
                problems.push(problem(row, "", "本行数据无效".to_string()));
                None
            }
            Err(errors) => {
                problems.extend(
                    errors
                        .into_iter()
                        .map(|(key, message)| problem(row, key, message)),
                );
                None
            }
        };
        if !unique_by.is_empty() {
            let key: Vec<&str> = unique_by.iter().map(|k| row.get(k)).collect();
            if key.iter().all(|v| !v.is_empty()) {
                if let Some(&first) = seen.get(&key) {
                    problems.push(problem(row, unique_by[0], format!("与第{first}行重复")));
                } else {
                    seen.insert(key, row.line);
                }
            }
        }
        match value {
            Some(value) if problems.len() == before => valid.push((row.line, value)),
            _ => {}
        }
    }
    let report = Report {
        total_rows: table.rows.len(),
        valid_rows: valid.len(),
        problems,
    };
    (valid, report)
}
