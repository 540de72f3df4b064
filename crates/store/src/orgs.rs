//! Organisations: the operator, departments, districts, schools, enterprises and banks.

use domain::orgs::OrgKind;
use domain::reference::{AREAS, UNITS};
use domain::workflow::register::CERTIFIED;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use crate::audit::{self, Actor};
use crate::{
    Arg, Db, Page, Paging, QueryBuilder, Result, StoreError, Tx, is_unique_violation, now,
};

/// The built-in operator organisation's code.
pub const OPERATOR_CODE: &str = "operator";
pub const OPERATOR_NAME: &str = "重庆市产教融合工作平台运营中心（市发展改革委社会处）";

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Org {
    pub id: i64,
    /// operator, department, district, school, enterprise, bank
    pub kind: String,
    /// Credit code (schools, enterprises, banks), division code (districts), unit code
    /// (departments) or `operator`.
    pub code: String,
    pub name: String,
    /// Division code of the area the organisation is registered in.
    pub district: Option<String>,
    pub school_level: Option<String>,
    /// GB/T 4754-2017 industry code.
    pub industry: Option<String>,
    pub size: Option<String>,
    pub ownership: Option<String>,
    /// For departments: the responsible unit's code.
    pub unit_code: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

/// A validated new organisation (validation happens at the edge, with domain's parsers).
#[derive(Debug, Clone, Serialize)]
pub struct NewOrg {
    pub kind: OrgKind,
    pub code: String,
    pub name: String,
    pub district: Option<String>,
    pub school_level: Option<String>,
    pub industry: Option<String>,
    pub size: Option<String>,
    pub ownership: Option<String>,
    pub unit_code: Option<String>,
}

/// Which organisations a caller may see: everything, one district's, or one organisation's.
///
/// Every list, export, report and chart query of the store takes the caller's scope as a
/// required argument (there is no unscoped variant to call by mistake) and applies it after
/// every other condition, so a user's filter can only narrow it, never widen it. The one place
/// that makes a scope from a signed-in user is `web::auth::access::org_scope`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    District(String),
    Org(i64),
}

impl Scope {
    /// Adds the scope's condition to `q`, given the columns that hold the organisation and
    /// the district of the rows being selected.
    pub(crate) fn restrict(&self, q: &mut QueryBuilder, org_col: &str, district_col: &str) {
        match self {
            Scope::All => {}
            Scope::District(d) => q.and_eq_str(district_col, d),
            Scope::Org(id) => q.and_cmp_int(org_col, "=", *id),
        }
    }

    /// The district a district-wide scope is limited to.
    pub fn district(&self) -> Option<&str> {
        match self {
            Scope::District(d) => Some(d),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub kind: Option<OrgKind>,
    pub district: Option<String>,
    pub q: Option<String>,
    /// Where the organisation stands in the programme (measure 3).
    pub programme: Option<Programme>,
}

/// An organisation's standing in the programme, as a list selects it from its applications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Programme {
    /// In the cultivation database (its cultivation approved) and never certified.
    Cultivated,
    /// Certified on `on` (`YYYY-MM-DD`): its entry in the list of certified enterprises
    /// (`domain::workflow::register::CERTIFIED`) is in force that day.
    Certified { on: chrono::NaiveDate },
}

impl Programme {
    /// The codes lists and the API take, with their Chinese labels.
    pub const OPTIONS: [(&'static str, &'static str); 2] = [
        ("cultivated", "培育库在库（未认定）"),
        ("certified", "已认定（有效期内）"),
    ];
}

/// Bigrams so common in organisation names (legal forms, the city's name, the demo marker)
/// that indexing them costs much and selects nothing. A query made only of these is answered
/// by a scan; in longer queries the other bigrams select and `LIKE` confirms.
pub const STOP_GRAMS: &[&str] = &[
    "重庆", "庆市", "有限", "限公", "公司", "责任", "任公", "股份", "份有", "集团", "团有", "（演",
    "演示", "示）",
];

/// The bigrams of a name that go into the index.
pub fn index_grams(name: &str) -> Vec<String> {
    let mut g = grams(name);
    g.retain(|x| !STOP_GRAMS.contains(&x.as_str()));
    g
}

/// Character bigrams of a name, lower-cased; a one-character name yields itself.
pub fn grams(name: &str) -> Vec<String> {
    let chars: Vec<char> = name
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    let mut out: Vec<String> = if chars.len() < 2 {
        chars.iter().map(|c| c.to_string()).collect()
    } else {
        chars.windows(2).map(|w| w.iter().collect()).collect()
    };
    out.sort();
    out.dedup();
    out
}

fn apply_scope(q: &mut QueryBuilder, scope: &Scope) {
    scope.restrict(q, "orgs.id", "orgs.district");
}

/// Whether a search text is a whole credit code (searched exactly) rather than a name part.
fn looks_like_code(text: &str) -> bool {
    text.len() == 18 && text.chars().all(|c| c.is_ascii_alphanumeric())
}

/// A planned list query: `FROM` clause and conditions, plus a cheaper way to count when the
/// bigram index alone answers it.
struct Plan {
    q: QueryBuilder,
    from: String,
    /// The column that orders the list (organisation id, from the table that drives it).
    order: &'static str,
    /// When only a bigram and a district select: that (gram, district) pair, whose count is
    /// kept in `org_gram_counts` and whose rows are the index's postings.
    index_count: Option<(String, String)>,
}

fn plan(scope: &Scope, f: &Filter) -> Plan {
    let mut q = QueryBuilder::new();
    let mut from = "orgs".to_string();
    let mut order = "orgs.id";
    let mut index_count = None;
    // The district that the scope or the filter imposes. The scope's wins: a filter naming
    // another district than the caller's selects nothing (it used to drive the bigram index
    // with the filter's district and so answered with another district's organisations).
    let (district, contradiction) = match (scope.district(), f.district.as_deref()) {
        (Some(s), Some(fd)) => (Some(s.to_string()), fd != s),
        (Some(s), None) => (Some(s.to_string()), false),
        (None, fd) => (fd.map(str::to_string), false),
    };
    let text = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let lower: Option<String> = text.filter(|t| !looks_like_code(t)).map(|t| {
        t.chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect()
    });
    let gs = lower.as_deref().map(index_grams).unwrap_or_default();
    let by_grams = !gs.is_empty() && lower.as_deref().is_some_and(|l| l.chars().count() >= 2);

    if by_grams {
        // Drive from the bigram index: the first bigram's postings (within the district) in
        // organisation order, so a page stops after its rows; every other bigram must occur
        // too; then the exact substring check. The district is answered by the index.
        let dist = |q: &mut QueryBuilder, col: &str| match &district {
            Some(d) => {
                let pd = q.arg(Arg::Str(d.clone()));
                format!(" AND {col} = {pd}")
            }
            None => String::new(),
        };
        let g0 = q.arg(Arg::Str(gs[0].clone()));
        let d0 = dist(&mut q, "g.district");
        from = "org_grams g JOIN orgs ON orgs.id = g.org_id".to_string();
        order = "g.org_id";
        q.and(format!("g.gram = {g0}{d0}"));
        for g in &gs[1..] {
            let p = q.arg(Arg::Str(g.clone()));
            let d = dist(&mut q, "district");
            q.and(format!(
                "g.org_id IN (SELECT org_id FROM org_grams WHERE gram = {p}{d})"
            ));
        }
    } else if let Some(d) = &f.district {
        q.and_eq_str("orgs.district", d);
    }
    if let Some(k) = f.kind {
        q.and_eq_str("orgs.kind", k.as_str());
    }
    match f.programme {
        None => {}
        Some(Programme::Cultivated) => {
            let r = q.arg(Arg::Str(CERTIFIED.to_owned()));
            q.and(format!(
                "EXISTS (SELECT 1 FROM applications a WHERE a.applicant_org_id = orgs.id \
                 AND a.kind = 'enterprise_cultivation' AND a.status = 'approved') \
                 AND NOT EXISTS (SELECT 1 FROM register_entries e WHERE e.owner_org_id = orgs.id \
                 AND e.register = {r})"
            ))
        }
        Some(Programme::Certified { on }) => {
            let r = q.arg(Arg::Str(CERTIFIED.to_owned()));
            let p = q.arg(Arg::Str(on.format("%Y-%m-%d").to_string()));
            q.and(format!(
                "EXISTS (SELECT 1 FROM register_entries e WHERE e.owner_org_id = orgs.id \
                 AND e.register = {r} AND e.status <> 'ended' AND e.valid_from <= {p} \
                 AND e.valid_until >= {p})"
            ));
        }
    }
    match (text, &lower) {
        (Some(t), None) => q.and_eq_str("orgs.code", &t.to_uppercase()),
        (Some(_), Some(l))
            if by_grams
                && l.chars().count() == 2
                && f.kind.is_none()
                && f.programme.is_none()
                && !contradiction
                && !matches!(scope, Scope::Org(_)) =>
        {
            // A two-character query: the bigram match is the substring match, and without
            // other conditions the index alone gives the count.
            index_count = Some((
                l.clone(),
                district
                    .clone()
                    .unwrap_or_else(|| ALL_DISTRICTS.to_string()),
            ));
        }
        (Some(_), Some(l)) if by_grams && l.chars().count() == 2 => {
            // The bigram match is the substring match; nothing more to check.
        }
        (Some(_), Some(l)) => {
            let like = q.arg(Arg::Str(format!("%{}%", escape_like(l))));
            q.and(format!("LOWER(orgs.name) LIKE {like} ESCAPE '\\'"));
        }
        _ => {}
    }
    // The caller's scope, after every other condition (the index-only count above is taken
    // for the scope's own district, so it agrees).
    apply_scope(&mut q, scope);
    if contradiction {
        q.and("1 = 0".to_string());
    }
    Plan {
        q,
        from,
        order,
        index_count,
    }
}

pub(crate) fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

pub async fn list(db: &Db, scope: &Scope, filter: &Filter, paging: Paging) -> Result<Page<Org>> {
    let p = plan(scope, filter);
    let (total, items) = match &p.index_count {
        Some((gram, district)) => {
            let total: i64 = sqlx::query_scalar(
                "SELECT n FROM org_gram_counts WHERE gram = $1 AND district = $2",
            )
            .bind(gram)
            .bind(district)
            .fetch_optional(db.pool())
            .await?
            .unwrap_or(0);
            // The page's ids straight from the index, then only those rows.
            let (cond, bind_district) = if district == ALL_DISTRICTS {
                ("", None)
            } else {
                (" AND district = $2", Some(district))
            };
            let sql = format!(
                "SELECT orgs.* FROM (SELECT org_id FROM org_grams WHERE gram = $1{cond} \
                 ORDER BY org_id LIMIT {} OFFSET {}) g JOIN orgs ON orgs.id = g.org_id ORDER BY g.org_id",
                paging.per_page,
                paging.offset()
            );
            let mut q = sqlx::query_as::<_, Org>(&sql).bind(gram);
            if let Some(d) = bind_district {
                q = q.bind(d);
            }
            (total, q.fetch_all(db.pool()).await?)
        }
        None => {
            let total = p.q.count(db, &p.from).await?;
            let sql = format!(
                "SELECT orgs.* FROM {}{} ORDER BY {} LIMIT {} OFFSET {}",
                p.from,
                p.q.where_sql(),
                p.order,
                paging.per_page,
                paging.offset()
            );
            (total, p.q.fetch_all::<Org>(db, &sql).await?)
        }
    };
    Ok(Page {
        items,
        total,
        page: paging.page,
        per_page: paging.per_page,
    })
}

/// All organisations matching, for export (capped).
pub async fn export(db: &Db, scope: &Scope, filter: &Filter, cap: i64) -> Result<Vec<Org>> {
    let p = plan(scope, filter);
    let sql = format!(
        "SELECT orgs.* FROM {}{} ORDER BY {} LIMIT {cap}",
        p.from,
        p.q.where_sql(),
        p.order
    );
    p.q.fetch_all::<Org>(db, &sql).await
}

/// One organisation, if it exists and lies within `scope`.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Option<Org>> {
    let mut q = QueryBuilder::new();
    q.and_cmp_int("orgs.id", "=", id);
    apply_scope(&mut q, scope);
    let sql = format!("SELECT * FROM orgs{}", q.where_sql());
    Ok(q.fetch_all::<Org>(db, &sql).await?.into_iter().next())
}

/// Ids of the organisations of `kind` with these credit codes (codes not found are absent).
pub async fn ids_by_codes(
    db: &Db,
    codes: &std::collections::HashSet<String>,
    kind: &str,
) -> Result<std::collections::HashMap<String, i64>> {
    let codes: Vec<&String> = codes.iter().collect();
    let mut out = std::collections::HashMap::new();
    for chunk in codes.chunks(500) {
        let ps: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT code, id FROM orgs WHERE kind = $1 AND code IN ({})",
            ps.join(",")
        );
        let mut q = sqlx::query_as::<_, (String, i64)>(&sql).bind(kind);
        for c in chunk {
            q = q.bind(c.as_str());
        }
        out.extend(q.fetch_all(db.pool()).await?);
    }
    Ok(out)
}

pub async fn get_by_code(db: &Db, code: &str) -> Result<Option<Org>> {
    Ok(sqlx::query_as("SELECT * FROM orgs WHERE code = $1")
        .bind(code)
        .fetch_optional(db.pool())
        .await?)
}

/// Inserts an organisation and its audit entry in `tx`.
pub async fn insert(tx: &mut Tx, actor: &Actor, org: &NewOrg) -> Result<Org> {
    let t = now();
    let res = sqlx::query_as::<_, Org>(
        "INSERT INTO orgs (kind, code, name, district, school_level, industry, size, ownership, \
         unit_code, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
         RETURNING *",
    )
    .bind(org.kind.as_str())
    .bind(&org.code)
    .bind(&org.name)
    .bind(&org.district)
    .bind(&org.school_level)
    .bind(&org.industry)
    .bind(&org.size)
    .bind(&org.ownership)
    .bind(&org.unit_code)
    .bind(t)
    .fetch_one(&mut *tx.inner)
    .await;
    let created = match res {
        Ok(o) => o,
        Err(e) if is_unique_violation(&e) => {
            return Err(StoreError::Duplicate(format!("代码为 {} 的机构", org.code)));
        }
        Err(e) => return Err(e.into()),
    };
    insert_grams(tx, created.id, &created.name, created.district.as_deref()).await?;
    let after = serde_json::to_value(&created).unwrap_or_default();
    audit::record(
        tx,
        actor,
        "org.create",
        "org",
        &created.id.to_string(),
        None,
        Some(&after),
    )
    .await?;
    Ok(created)
}

/// The `district` value under which city-wide bigram counts are kept.
pub const ALL_DISTRICTS: &str = "*";

async fn insert_grams(tx: &mut Tx, id: i64, name: &str, district: Option<&str>) -> Result<()> {
    let district = district.unwrap_or("");
    for g in index_grams(name) {
        sqlx::query("INSERT INTO org_grams (gram, org_id, district) VALUES ($1, $2, $3)")
            .bind(&g)
            .bind(id)
            .bind(district)
            .execute(&mut *tx.inner)
            .await?;
        for d in [district, ALL_DISTRICTS] {
            sqlx::query(
                "INSERT INTO org_gram_counts (gram, district, n) VALUES ($1, $2, 1) \
                 ON CONFLICT (gram, district) DO UPDATE SET n = org_gram_counts.n + 1",
            )
            .bind(&g)
            .bind(d)
            .execute(&mut *tx.inner)
            .await?;
        }
    }
    Ok(())
}

/// Counts by kind, within scope.
pub async fn count_by_kind(db: &Db, scope: &Scope) -> Result<Vec<(String, i64)>> {
    let mut q = QueryBuilder::new();
    apply_scope(&mut q, scope);
    let sql = format!(
        "SELECT kind, COUNT(*) FROM orgs{} GROUP BY kind ORDER BY kind",
        q.where_sql()
    );
    let rows = q.fetch_all::<(String, i64)>(db, &sql).await?;
    Ok(rows)
}

/// Counts of schools and enterprises by district, within scope.
pub async fn count_by_district(db: &Db, scope: &Scope) -> Result<Vec<(String, String, i64)>> {
    let mut q = QueryBuilder::new();
    apply_scope(&mut q, scope);
    q.and("kind IN ('school', 'enterprise')".to_string());
    q.and("district IS NOT NULL".to_string());
    let sql = format!(
        "SELECT district, kind, COUNT(*) FROM orgs{} GROUP BY district, kind ORDER BY district, kind",
        q.where_sql()
    );
    q.fetch_all::<(String, String, i64)>(db, &sql).await
}

/// Ensures the built-in organisations exist: the operator, the 13 responsible units and the
/// 41 area units. Idempotent; audited when it adds anything.
pub async fn ensure_reference_orgs(db: &Db) -> Result<()> {
    let existing: i64 = sqlx::query(
        "SELECT COUNT(*) FROM orgs WHERE kind IN ('operator', 'department', 'district')",
    )
    .fetch_one(db.pool())
    .await?
    .try_get(0)?;
    if existing as usize == 1 + UNITS.len() + AREAS.len() {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    let t = now();
    let mut added = Vec::new();
    let builtin =
        |kind, code: &str, name: &str, district: Option<&str>, unit: Option<&str>| NewOrg {
            kind,
            code: code.to_string(),
            name: name.to_string(),
            district: district.map(str::to_string),
            school_level: None,
            industry: None,
            size: None,
            ownership: None,
            unit_code: unit.map(str::to_string),
        };
    let mut rows = vec![builtin(
        OrgKind::Operator,
        OPERATOR_CODE,
        OPERATOR_NAME,
        None,
        None,
    )];
    for u in UNITS {
        rows.push(builtin(
            OrgKind::Department,
            u.code,
            u.full_name,
            None,
            Some(u.code),
        ));
    }
    for a in AREAS {
        rows.push(builtin(
            OrgKind::District,
            a.code,
            a.name,
            Some(a.code),
            None,
        ));
    }
    for NewOrg {
        kind,
        code,
        name,
        district,
        unit_code: unit,
        ..
    } in rows
    {
        let r = sqlx::query(
            "INSERT INTO orgs (kind, code, name, district, unit_code, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (code) DO NOTHING RETURNING id",
        )
        .bind(kind.as_str())
        .bind(&code)
        .bind(&name)
        .bind(&district)
        .bind(&unit)
        .bind(t)
        .fetch_optional(&mut *tx.inner)
        .await?;
        if let Some(row) = r {
            let id: i64 = row.try_get(0)?;
            insert_grams(&mut tx, id, &name, district.as_deref()).await?;
            added.push(code);
        }
    }
    if !added.is_empty() {
        audit::record(
            &mut tx,
            &Actor::system("system"),
            "reference.seed",
            "org",
            "reference",
            None,
            Some(&json!({ "added": added })),
        )
        .await?;
    }
    tx.commit().await
}
