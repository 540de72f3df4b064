//! The SQLite and PostgreSQL migrations (`crates/store/migrations/{sqlite,postgres}`), kept in
//! step by hand, produce the same schema (issue 14).
//!
//! Both backends are migrated from empty and their catalogs read back into one neutral shape
//! ([`Schema`]): the tables (without sqlx's `_sqlx_migrations` and SQLite's own `sqlite_*`);
//! each table's columns (a type class, nullability, whether and how it has a default) and its
//! primary key columns in order; each index (table, key columns in order, unique, partial or
//! not); the triggers (name and table). Whatever differs is listed, one line per difference,
//! unless [`ALLOWED`] names it with its reason. An allowance that no longer matches anything
//! fails the test too, so the list cannot go stale.
//!
//! Equivalences applied while reading (everything else is compared as read):
//! - Type classes ([`sqlite_class`], [`postgres_class`]). SQLite's declared types are classed by
//!   SQLite's own affinity rules (a name containing `INT` is integer; `CHAR`, `CLOB` or `TEXT`
//!   text; `BLOB` or no type blob; `REAL`, `FLOA` or `DOUB` real; anything else numeric), except
//!   that a name containing `BOOL` is boolean and one containing `DATE` or `TIME` is timestamp,
//!   classes SQLite only records as a name. PostgreSQL's `smallint`/`integer`/`bigint` are
//!   integer, `text`/`character varying`/`character` text, `real`/`double precision` real,
//!   `bytea` blob, `boolean` boolean, the `timestamp`, `date` and `time` types timestamp,
//!   `numeric` numeric. Integer widths are not compared: SQLite's integers are all 64-bit.
//!   There is deliberately no boolean ≡ integer equivalence: by the project's convention
//!   (docs/architecture.md) a boolean is a 0/1 integer on both backends, so that the `Any`
//!   driver decodes it alike; a PostgreSQL `boolean` facing an SQLite `INTEGER` is a difference.
//!   Likewise times are integers (unix seconds) on both, and a `timestamp` on one side only is a
//!   difference.
//! - Defaults ([`DefaultKind`]): a column has none, a value (only its presence is compared, as the
//!   two backends spell the same value differently), or an automatic key. Automatic is an
//!   SQLite rowid alias (an `INTEGER PRIMARY KEY` of a rowid table: SQLite numbers the row when
//!   no key is given) and a PostgreSQL identity or serial (`nextval(…)`) column.
//! - Nullability is what the database enforces: declared `NOT NULL`, or, on SQLite, a rowid
//!   alias (never NULL) or a primary key column of a `WITHOUT ROWID` table (SQLite enforces NOT
//!   NULL there although `pragma_table_info` does not say so). PostgreSQL makes every primary
//!   key column NOT NULL and says so.
//! - Indexes are keyed by name, except those that back a constraint: the primary key's index
//!   (PostgreSQL's `…_pkey`, SQLite's `sqlite_autoindex_…` of origin `pk`) is not listed, the
//!   key being compared per table; a `UNIQUE` constraint's index (PostgreSQL's `…_key`, SQLite's
//!   `sqlite_autoindex_…` of origin `u`) is keyed as `unique(table: columns)`, since each
//!   backend names it itself. An expression in an index is shown as `<expression>` (the two
//!   backends print expressions differently); a descending key column has ` DESC`. Of a partial
//!   index only the presence of the predicate is compared (PostgreSQL rewrites `IN (…)` as
//!   `= ANY (ARRAY[…])`).
//!
//! Not compared: column order, foreign keys, CHECK constraints, and objects only one backend
//! has a notion of (PostgreSQL's sequences and functions, SQLite's `WITHOUT ROWID`).
//!
//! PostgreSQL is required: without `TEST_DATABASE_URL`, or when the server does not answer,
//! the test fails (it reads the same variable as `helpers::backends`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use sqlx::{Connection, PgConnection, Row, SqliteConnection};
use store::{Backend, Db};

use crate::helpers::fresh_database;

/// Differences that are deliberate, each with its reason. An entry matches one difference
/// exactly: the object, the aspect and what each backend has, as the test prints them.
const ALLOWED: &[Allowed] = &[
    // Triggers: the queue counts and the audit seal (migrations 0008–0010).
    Allowed {
        object: "trigger audit_seal",
        aspect: "exists",
        sqlite: "no",
        postgres: "on audit_log",
        reason: "PostgreSQL seals audit entries at commit with a deferred trigger (0008); SQLite \
                 has a single writer, so store::audit::record chains each entry from Rust",
    },
    Allowed {
        object: "trigger queue_count_change",
        aspect: "exists",
        sqlite: "no",
        postgres: "on application_pending",
        reason: "PostgreSQL keeps queue_counts with one deferred constraint trigger for INSERT \
                 and DELETE, run at commit under the audit lock (0009); SQLite has no deferred \
                 triggers and uses queue_count_insert and queue_count_delete (0010) instead",
    },
    Allowed {
        object: "trigger queue_count_insert",
        aspect: "exists",
        sqlite: "on application_pending",
        postgres: "no",
        reason: "SQLite's half of PostgreSQL's queue_count_change (0010), see above",
    },
    Allowed {
        object: "trigger queue_count_delete",
        aspect: "exists",
        sqlite: "on application_pending",
        postgres: "no",
        reason: "SQLite's half of PostgreSQL's queue_count_change (0010), see above",
    },
    // Keys SQLite would number although nobody asks it to: an `INTEGER PRIMARY KEY` is always a
    // rowid alias, so SQLite assigns one when an INSERT leaves it out. The store never does.
    Allowed {
        object: "table audit_log, column seq",
        aspect: "default",
        sqlite: "automatic",
        postgres: "none",
        reason: "seq is always written: by store::audit::record on SQLite (head + 1), and on \
                 PostgreSQL as a provisional -nextval('audit_staging_seq') that the seal \
                 replaces at commit (0008); an identity column there would only mislead",
    },
    Allowed {
        object: "table audit_macs, column seq",
        aspect: "default",
        sqlite: "automatic",
        postgres: "none",
        reason: "seq is the audit_log entry keyed, always written by store::audit's sealer",
    },
    Allowed {
        object: "table application_decisions, column application_id",
        aspect: "default",
        sqlite: "automatic",
        postgres: "none",
        reason: "application_id is the application's id, always written with the decision",
    },
    // Primary keys SQLite lets hold NULL: in a rowid table, a primary key that is not an
    // `INTEGER PRIMARY KEY` accepts NULL unless declared NOT NULL (a quirk SQLite keeps for
    // compatibility); PostgreSQL makes primary key columns NOT NULL. Declaring NOT NULL on
    // SQLite would mean rebuilding each table by a new migration (SQLite cannot alter a column;
    // attachment_blobs sits under the foreign key of attachments, enforced here), only to forbid
    // a NULL the store never writes: each key below is computed by the store and bound to its
    // INSERT (store::accounts, store::applications, store::demand).
    Allowed {
        object: "table sessions, column id_hash",
        aspect: "nullable",
        sqlite: "NULL",
        postgres: "NOT NULL",
        reason: "primary key; the hash of the session id, always written (see above)",
    },
    Allowed {
        object: "table attachment_blobs, column sha256",
        aspect: "nullable",
        sqlite: "NULL",
        postgres: "NOT NULL",
        reason: "primary key; the checksum of the bytes, always written (see above)",
    },
    Allowed {
        object: "table title_matches, column title",
        aspect: "nullable",
        sqlite: "NULL",
        postgres: "NOT NULL",
        reason: "primary key; the normalised title confirmed, always written (see above)",
    },
];

#[tokio::test]
async fn sqlite_and_postgres_migrations_give_the_same_schema() {
    // As helpers::backends() decides whether PostgreSQL runs, but required here: a parity test
    // that ran on SQLite alone would pass without comparing anything.
    assert!(
        std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()),
        "TEST_DATABASE_URL: the schema parity test needs a PostgreSQL database (scripts/test \
         sets it when a local server answers)"
    );
    let sqlite = read_sqlite(&migrated(Backend::Sqlite).await).await;
    let postgres = read_postgres(&migrated(Backend::Postgres).await).await;
    assert!(
        sqlite.tables.len() > 10 && postgres.tables.len() > 10,
        "the catalogs were not read: {} SQLite tables, {} PostgreSQL tables",
        sqlite.tables.len(),
        postgres.tables.len()
    );

    let found = compare(&sqlite, &postgres);
    let (allowed, unexpected): (Vec<&Difference>, Vec<&Difference>) = found
        .iter()
        .partition(|d| ALLOWED.iter().any(|a| a.matches(d)));
    let stale: Vec<&Allowed> = ALLOWED
        .iter()
        .filter(|a| !found.iter().any(|d| a.matches(d)))
        .collect();
    for d in &allowed {
        let a = ALLOWED.iter().find(|a| a.matches(d)).unwrap();
        eprintln!("allowed: {d}\n    because {}", a.reason);
    }

    let mut report = String::new();
    if !unexpected.is_empty() {
        report.push_str(&format!(
            "The SQLite and PostgreSQL migrations differ in {} place(s). Add a migration to the \
             backend that is wrong (never edit an applied one), or, when the difference is \
             deliberate, add it to ALLOWED with the reason:\n",
            unexpected.len()
        ));
        for d in &unexpected {
            report.push_str(&format!("  {d}\n"));
        }
    }
    if !stale.is_empty() {
        report.push_str("ALLOWED names differences that no longer exist; remove them:\n");
        for a in &stale {
            report.push_str(&format!(
                "  {} — {}: SQLite {} | PostgreSQL {}\n",
                a.object, a.aspect, a.sqlite, a.postgres
            ));
        }
    }
    assert!(report.is_empty(), "{report}");
}

/// A fresh database of `backend`, migrated as the server does; returns its URL.
async fn migrated(backend: Backend) -> String {
    let url = fresh_database(backend).await;
    let db = Db::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
    db.migrate()
        .await
        .unwrap_or_else(|e| panic!("migrating {url}: {e}"));
    db.close().await;
    url
}

// ---------------------------------------------------------------------------------------------
// The neutral shape.

#[derive(Debug, Default)]
struct Schema {
    tables: BTreeMap<String, Table>,
    indexes: BTreeMap<String, Index>,
    /// Trigger name → its table.
    triggers: BTreeMap<String, String>,
}

#[derive(Debug, Default)]
struct Table {
    columns: BTreeMap<String, Column>,
    primary_key: Vec<String>,
}

#[derive(Debug, Clone)]
struct Column {
    class: String,
    /// The type as declared or reported, shown beside the class (not compared).
    declared: String,
    nullable: bool,
    default: DefaultKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DefaultKind {
    None,
    Value,
    Automatic,
}

#[derive(Debug, Clone)]
struct Index {
    table: String,
    columns: Vec<String>,
    unique: bool,
    partial: bool,
}

impl fmt::Display for DefaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DefaultKind::None => "none",
            DefaultKind::Value => "a value",
            DefaultKind::Automatic => "automatic",
        })
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}){}",
            self.class,
            self.declared,
            if self.nullable { "" } else { " NOT NULL" }
        )?;
        match self.default {
            DefaultKind::None => Ok(()),
            d => write!(f, ", default {d}"),
        }
    }
}

impl fmt::Display for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}on {} ({}){}",
            if self.unique { "unique " } else { "" },
            self.table,
            self.columns.join(", "),
            if self.partial { " WHERE …" } else { "" }
        )
    }
}

/// The name a unique constraint's index is compared under (each backend names it itself).
fn unique_constraint_key(table: &str, columns: &[String]) -> String {
    format!("unique({table}: {})", columns.join(", "))
}

// ---------------------------------------------------------------------------------------------
// Comparing.

/// One difference: the object (`table t, column c`, `index i`, …), the aspect that differs
/// (`exists`, `type`, …) and what each backend has.
#[derive(Debug)]
struct Difference {
    object: String,
    aspect: &'static str,
    sqlite: String,
    postgres: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} — {}: SQLite {} | PostgreSQL {}",
            self.object, self.aspect, self.sqlite, self.postgres
        )
    }
}

struct Allowed {
    object: &'static str,
    aspect: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
    /// Why the difference is deliberate.
    reason: &'static str,
}

impl Allowed {
    fn matches(&self, d: &Difference) -> bool {
        self.object == d.object
            && self.aspect == d.aspect
            && self.sqlite == d.sqlite
            && self.postgres == d.postgres
    }
}

fn compare(sqlite: &Schema, postgres: &Schema) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut differ = |object: &str, aspect: &'static str, s: String, p: String| {
        if s != p {
            out.push(Difference {
                object: object.to_string(),
                aspect,
                sqlite: s,
                postgres: p,
            });
        }
    };
    let exists = |what: Option<String>| what.map_or("no".to_string(), |w| format!("yes, {w}"));

    for name in keys(&sqlite.tables, &postgres.tables) {
        let object = format!("table {name}");
        let (s, p) = match (sqlite.tables.get(name), postgres.tables.get(name)) {
            (Some(s), Some(p)) => (s, p),
            (s, p) => {
                let describe = |t: Option<&Table>| {
                    t.map_or("no".to_string(), |t| {
                        let columns: Vec<&str> = t.columns.keys().map(String::as_str).collect();
                        format!("yes, with {}", columns.join(", "))
                    })
                };
                differ(&object, "exists", describe(s), describe(p));
                continue;
            }
        };
        differ(
            &object,
            "primary key",
            format!("({})", s.primary_key.join(", ")),
            format!("({})", p.primary_key.join(", ")),
        );
        for column in keys(&s.columns, &p.columns) {
            let object = format!("table {name}, column {column}");
            let (sc, pc) = match (s.columns.get(column), p.columns.get(column)) {
                (Some(sc), Some(pc)) => (sc, pc),
                (sc, pc) => {
                    differ(
                        &object,
                        "exists",
                        exists(sc.map(Column::to_string)),
                        exists(pc.map(Column::to_string)),
                    );
                    continue;
                }
            };
            if sc.class != pc.class {
                differ(
                    &object,
                    "type",
                    format!("{} ({})", sc.class, sc.declared),
                    format!("{} ({})", pc.class, pc.declared),
                );
            }
            let null = |c: &Column| if c.nullable { "NULL" } else { "NOT NULL" }.to_string();
            differ(&object, "nullable", null(sc), null(pc));
            differ(
                &object,
                "default",
                sc.default.to_string(),
                pc.default.to_string(),
            );
        }
    }

    for name in keys(&sqlite.indexes, &postgres.indexes) {
        let object = format!("index {name}");
        let (s, p) = match (sqlite.indexes.get(name), postgres.indexes.get(name)) {
            (Some(s), Some(p)) => (s, p),
            (s, p) => {
                differ(
                    &object,
                    "exists",
                    exists(s.map(Index::to_string)),
                    exists(p.map(Index::to_string)),
                );
                continue;
            }
        };
        differ(&object, "table", s.table.clone(), p.table.clone());
        differ(
            &object,
            "columns",
            format!("({})", s.columns.join(", ")),
            format!("({})", p.columns.join(", ")),
        );
        differ(
            &object,
            "unique",
            s.unique.to_string(),
            p.unique.to_string(),
        );
        differ(
            &object,
            "partial",
            s.partial.to_string(),
            p.partial.to_string(),
        );
    }

    for name in keys(&sqlite.triggers, &postgres.triggers) {
        let on = |t: Option<&String>| t.map_or("no".to_string(), |t| format!("on {t}"));
        differ(
            &format!("trigger {name}"),
            "exists",
            on(sqlite.triggers.get(name)),
            on(postgres.triggers.get(name)),
        );
    }
    out
}

/// The keys of both maps, in order, once each.
fn keys<'a, V>(a: &'a BTreeMap<String, V>, b: &'a BTreeMap<String, V>) -> BTreeSet<&'a String> {
    a.keys().chain(b.keys()).collect()
}

// ---------------------------------------------------------------------------------------------
// Type classes.

/// The class of an SQLite declared type: SQLite's affinity rules (datatype3.html §3.1), after
/// the two classes SQLite knows only by name (boolean, timestamp).
fn sqlite_class(declared: &str) -> String {
    let t = declared.to_ascii_uppercase();
    let class = if t.contains("BOOL") {
        "boolean"
    } else if t.contains("DATE") || t.contains("TIME") {
        "timestamp"
    } else if t.contains("INT") {
        "integer"
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        "text"
    } else if t.contains("BLOB") || t.is_empty() {
        "blob"
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        "real"
    } else {
        "numeric"
    };
    class.to_string()
}

/// The class of a PostgreSQL type (`information_schema.columns.data_type`); an unknown one is
/// its own class, so it differs from anything SQLite has.
fn postgres_class(data_type: &str) -> String {
    let class = match data_type {
        "smallint" | "integer" | "bigint" => "integer",
        "text" | "character varying" | "character" => "text",
        "real" | "double precision" => "real",
        "bytea" => "blob",
        "boolean" => "boolean",
        "numeric" => "numeric",
        t if t.starts_with("timestamp") || t == "date" || t.starts_with("time") => "timestamp",
        other => return format!("other: {other}"),
    };
    class.to_string()
}

// ---------------------------------------------------------------------------------------------
// Reading SQLite.

async fn read_sqlite(url: &str) -> Schema {
    let mut conn = SqliteConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("opening {url}: {e}"));
    let mut schema = Schema::default();

    let tables: Vec<(String, i64)> = sqlx::query_as(
        "SELECT name, wr FROM pragma_table_list \
         WHERE schema = 'main' AND type = 'table' \
           AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> '_sqlx_migrations' \
         ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    for (name, wr) in tables {
        let without_rowid = wr != 0;
        let mut table = Table::default();
        let rows = sqlx::query(
            "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info($1) ORDER BY cid",
        )
        .bind(&name)
        .fetch_all(&mut conn)
        .await
        .unwrap();
        let pk_columns = rows.iter().filter(|r| r.get::<i64, _>("pk") > 0).count();
        let mut pk: Vec<(i64, String)> = Vec::new();
        for r in &rows {
            let column: String = r.get("name");
            let declared: String = r.get("type");
            let in_pk: i64 = r.get("pk");
            // An `INTEGER PRIMARY KEY` of a rowid table is the rowid itself: never NULL, and
            // numbered by SQLite when an INSERT leaves it out.
            let rowid_alias = !without_rowid
                && in_pk > 0
                && pk_columns == 1
                && declared.eq_ignore_ascii_case("INTEGER");
            let not_null =
                r.get::<i64, _>("notnull") != 0 || rowid_alias || (without_rowid && in_pk > 0);
            let default = if rowid_alias {
                DefaultKind::Automatic
            } else if r.get::<Option<String>, _>("dflt_value").is_some() {
                DefaultKind::Value
            } else {
                DefaultKind::None
            };
            if in_pk > 0 {
                pk.push((in_pk, column.clone()));
            }
            table.columns.insert(
                column,
                Column {
                    class: sqlite_class(&declared),
                    declared,
                    nullable: !not_null,
                    default,
                },
            );
        }
        pk.sort();
        table.primary_key = pk.into_iter().map(|(_, c)| c).collect();

        let indexes: Vec<(String, i64, String, i64)> = sqlx::query_as(
            "SELECT name, \"unique\", origin, partial FROM pragma_index_list($1) ORDER BY name",
        )
        .bind(&name)
        .fetch_all(&mut conn)
        .await
        .unwrap();
        for (index, unique, origin, partial) in indexes {
            if origin == "pk" {
                continue; // the primary key, compared with the table
            }
            let key_columns: Vec<(Option<String>, i64)> = sqlx::query_as(
                "SELECT name, \"desc\" FROM pragma_index_xinfo($1) WHERE key = 1 ORDER BY seqno",
            )
            .bind(&index)
            .fetch_all(&mut conn)
            .await
            .unwrap();
            let columns: Vec<String> = key_columns
                .into_iter()
                .map(|(c, desc)| {
                    let c = c.unwrap_or_else(|| "<expression>".to_string());
                    if desc != 0 { format!("{c} DESC") } else { c }
                })
                .collect();
            let key = if origin == "u" {
                unique_constraint_key(&name, &columns)
            } else {
                index
            };
            schema.indexes.insert(
                key,
                Index {
                    table: name.clone(),
                    columns,
                    unique: unique != 0,
                    partial: partial != 0,
                },
            );
        }
        schema.tables.insert(name, table);
    }

    let triggers: Vec<(String, String)> =
        sqlx::query_as("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    schema.triggers.extend(triggers);
    conn.close().await.unwrap();
    schema
}

// ---------------------------------------------------------------------------------------------
// Reading PostgreSQL.

async fn read_postgres(url: &str) -> Schema {
    let mut conn = PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
    let mut schema = Schema::default();

    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
           AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    for (name,) in tables {
        schema.tables.insert(name, Table::default());
    }

    let columns = sqlx::query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                data_type::text AS data_type, is_nullable::text AS is_nullable, \
                column_default::text AS column_default, is_identity::text AS is_identity \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    for r in columns {
        let table: String = r.get("table_name");
        let Some(t) = schema.tables.get_mut(&table) else {
            continue; // a view's columns
        };
        let data_type: String = r.get("data_type");
        let column_default: Option<String> = r.get("column_default");
        let default = if r.get::<Option<String>, _>("is_identity").as_deref() == Some("YES")
            || column_default
                .as_deref()
                .is_some_and(|d| d.starts_with("nextval("))
        {
            DefaultKind::Automatic
        } else if column_default.is_some() {
            DefaultKind::Value
        } else {
            DefaultKind::None
        };
        t.columns.insert(
            r.get("column_name"),
            Column {
                class: postgres_class(&data_type),
                declared: data_type,
                nullable: r.get::<String, _>("is_nullable") == "YES",
                default,
            },
        );
    }

    let keys: Vec<(String, String)> = sqlx::query_as(
        "SELECT tc.table_name::text, kcu.column_name::text \
         FROM information_schema.table_constraints tc \
         JOIN information_schema.key_column_usage kcu \
           ON kcu.constraint_schema = tc.constraint_schema \
          AND kcu.constraint_name = tc.constraint_name \
          AND kcu.table_name = tc.table_name \
         WHERE tc.table_schema = current_schema() AND tc.constraint_type = 'PRIMARY KEY' \
         ORDER BY tc.table_name, kcu.ordinal_position",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    for (table, column) in keys {
        if let Some(t) = schema.tables.get_mut(&table) {
            t.primary_key.push(column);
        }
    }

    // One row per key column of each index, in order (INCLUDE columns are not keys).
    let rows = sqlx::query(
        "SELECT i.relname::text AS index_name, t.relname::text AS table_name, \
                ix.indisunique AS is_unique, ix.indisprimary AS is_primary, \
                ix.indpred IS NOT NULL AS is_partial, \
                EXISTS (SELECT 1 FROM pg_constraint c \
                        WHERE c.conindid = ix.indexrelid AND c.conrelid = ix.indrelid \
                          AND c.contype = 'u') AS is_constraint, \
                a.attname::text AS column_name, \
                (ix.indoption[k.n - 1] & 1) = 1 AS is_desc \
         FROM pg_index ix \
         JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace s ON s.oid = t.relnamespace \
         CROSS JOIN LATERAL generate_series(1, ix.indnkeyatts) AS k(n) \
         LEFT JOIN pg_attribute a \
           ON a.attrelid = ix.indrelid AND a.attnum = ix.indkey[k.n - 1] AND a.attnum > 0 \
         WHERE s.nspname = current_schema() AND t.relname <> '_sqlx_migrations' \
         ORDER BY i.relname, k.n",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    // Index name → (is a unique constraint's, the index).
    let mut indexes: BTreeMap<String, (bool, Index)> = BTreeMap::new();
    for r in rows {
        if r.get::<bool, _>("is_primary") {
            continue; // the primary key, compared with the table
        }
        let column = r
            .get::<Option<String>, _>("column_name")
            .unwrap_or_else(|| "<expression>".to_string());
        let column = if r.get::<bool, _>("is_desc") {
            format!("{column} DESC")
        } else {
            column
        };
        indexes
            .entry(r.get("index_name"))
            .or_insert_with(|| {
                (
                    r.get("is_constraint"),
                    Index {
                        table: r.get("table_name"),
                        columns: Vec::new(),
                        unique: r.get("is_unique"),
                        partial: r.get("is_partial"),
                    },
                )
            })
            .1
            .columns
            .push(column);
    }
    for (name, (is_constraint, index)) in indexes {
        let key = if is_constraint {
            unique_constraint_key(&index.table, &index.columns)
        } else {
            name
        };
        schema.indexes.insert(key, index);
    }

    let triggers: Vec<(String, String)> = sqlx::query_as(
        "SELECT tg.tgname::text, c.relname::text \
         FROM pg_trigger tg \
         JOIN pg_class c ON c.oid = tg.tgrelid \
         JOIN pg_namespace s ON s.oid = c.relnamespace \
         WHERE NOT tg.tgisinternal AND s.nspname = current_schema()",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    schema.triggers.extend(triggers);
    conn.close().await.unwrap();
    schema
}
