//! Measure 5, majors aligned to labour demand: the bridge between the store and the analytics
//! engine. Reads supply, the crosswalk and demand, computes every measure and classification
//! once, and keeps the result until the data change (a cheap fingerprint is checked on every
//! request), so pages and the API read from memory.
//!
//! - Supply rows whose major code is not in the current catalog are left out (counted in
//!   `skipped_supply`, shown on the city page).
//! - Postings waiting for confirmation or without an occupation count as unmapped demand.

pub mod api;
pub mod pages;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use analytics::majors::{
    Classification, Dataset, DemandRow, IndustryMap, MajorInfo, Measures, Offering, SchoolInfo,
    YearThresholds, classify, compute,
};

use store::accounts::Principal;

use crate::AppState;
use crate::auth::access;
use crate::error::{AppError, AppResult};

/// The occupation id standing for “no occupation” (pending or unmatched postings).
const UNMAPPED: &str = "（未对应职业）";

/// Everything computed from one state of the data.
pub struct Computed {
    pub ds: Dataset,
    pub measures: Measures,
    pub thresholds: YearThresholds,
    pub classification: Classification,
    /// Major code → major id.
    pub majors: HashMap<String, u32>,
    /// School org id → school index.
    pub schools: HashMap<i64, u32>,
    /// (school index, major id, year) → offering index.
    pub offerings: HashMap<(u32, u32, i32), usize>,
    pub skipped_supply: usize,
    /// Schools reporting supply, per year of data (ascending years).
    pub coverage: Vec<(i32, usize)>,
    /// The year shown when none is asked for: the latest whose coverage meets
    /// `majors.default_year_coverage` (see [`default_year`]).
    pub default_year: Option<i32>,
    /// Unix seconds of the computation, and how long it took.
    pub computed_at: i64,
    pub took_ms: u128,
}

impl Computed {
    pub fn years(&self) -> &[i32] {
        self.measures.years()
    }

    pub fn latest_year(&self) -> Option<i32> {
        self.years().last().copied()
    }

    /// The year asked for if it has data, else the default year (the latest with enough
    /// schools' data, [`default_year`]).
    pub fn year_or_latest(&self, asked: Option<i32>) -> Option<i32> {
        match asked {
            Some(y) if self.years().contains(&y) => Some(y),
            _ => self.default_year.or_else(|| self.latest_year()),
        }
    }

    /// Schools that reported supply for `year`, and the most in any year.
    pub fn coverage_of(&self, year: i32) -> (usize, usize) {
        let n = self
            .coverage
            .iter()
            .find(|(y, _)| *y == year)
            .map_or(0, |(_, n)| *n);
        let max = self.coverage.iter().map(|(_, n)| *n).max().unwrap_or(0);
        (n, max)
    }

    pub fn major_id(&self, code: &str) -> Option<u32> {
        self.majors.get(code).copied()
    }

    /// The school's index, if it has figures and lies within the caller's scope; 404
    /// otherwise, as for any object outside a caller's scope. Every route that shows one
    /// school's figures goes through here.
    pub fn school_in_scope(&self, p: &Principal, id: i64) -> AppResult<u32> {
        self.schools
            .get(&id)
            .copied()
            .filter(|&s| self.school_visible(p, s))
            .ok_or(AppError::NotFound("学校"))
    }

    /// Whether the school at index `s` lies within the caller's scope (for lists that leave
    /// out what the caller may not see).
    pub fn school_visible(&self, p: &Principal, s: u32) -> bool {
        let info = &self.ds.schools[s as usize];
        access::sees_school(p, info.id, &info.district)
    }
}

/// The district, if it exists and its figures lie within the caller's scope; 404 otherwise.
/// Every route that shows one district's figures goes through here.
pub fn district_in_scope(p: &Principal, code: &str) -> AppResult<&'static domain::reference::Area> {
    domain::reference::area(code)
        .filter(|a| access::sees_district(p, a.code))
        .ok_or(AppError::NotFound("区县"))
}

/// A value computed from the data as fingerprinted by a stamp.
pub type Stamped<T> = Arc<tokio::sync::Mutex<Option<(Vec<i64>, Arc<T>)>>>;

/// A result and the data version it was computed from.
type Versioned = (i64, Arc<Computed>);

/// The computed measures, recomputed when the data change (their version in
/// `store::versions`, moved on by every write of them). Once there is a result, no reader waits
/// for a computation: the first request after a change starts one in the background and every
/// request is answered from the last complete result (its `computed_at` says as of when) until
/// it is done. Only the very first computation is waited for.
#[derive(Clone, Default)]
pub struct AlignmentCache {
    /// The last complete result and the data version it was computed from.
    kept: Arc<std::sync::Mutex<Option<Versioned>>>,
    /// Held by the one computing.
    computing: Arc<tokio::sync::Mutex<()>>,
}

impl AlignmentCache {
    /// The measures for the data as they are now, or, while they are being recomputed, as they
    /// were.
    pub async fn get(&self, state: &AppState) -> AppResult<Arc<Computed>> {
        let version = store::versions::get(&state.db, store::versions::ALIGNMENT).await?;
        match self.kept() {
            Some((v, c)) if v == version => Ok(c),
            Some((_, c)) => {
                if let Ok(guard) = self.computing.clone().try_lock_owned() {
                    let (cache, state) = (self.clone(), state.clone());
                    tokio::spawn(async move {
                        if let Err(e) = cache.compute(&state, version).await {
                            tracing::error!("专业与需求对接结果重新计算失败：{e}");
                        }
                        drop(guard);
                    });
                }
                Ok(c)
            }
            None => {
                let _computing = self.computing.lock().await;
                // Computed by the one we waited for.
                if let Some((v, c)) = self.kept()
                    && v >= version
                {
                    return Ok(c);
                }
                self.compute(state, version).await
            }
        }
    }

    /// Computes from the data as they are now, and keeps the result as of `version` (read
    /// before the data, so a write in between makes the next request compute again).
    async fn compute(&self, state: &AppState, version: i64) -> AppResult<Arc<Computed>> {
        let c = Arc::new(load(state).await?);
        if let Ok(mut k) = self.kept.lock() {
            *k = Some((version, c.clone()));
        }
        Ok(c)
    }

    /// Whether a computation is under way (the result shown is the previous one).
    pub fn recomputing(&self) -> bool {
        self.computing.try_lock().is_err()
    }

    fn kept(&self) -> Option<Versioned> {
        self.kept.lock().ok().and_then(|k| k.clone())
    }
}

/// Reads the data and computes everything.
async fn load(state: &AppState) -> AppResult<Computed> {
    let db = &state.db;
    let started = Instant::now();
    let majors = store::majors::current_majors(db).await?;
    let occupations = store::occupations::documents(db).await?;
    let crosswalk = store::occupations::crosswalk(db).await?;
    let supply = read_supply(db, &majors).await?;
    let demand = store::demand::aggregate(db).await?;
    let params = state.params.clone();
    crate::heavy::run(move || {
        build(
            &params,
            majors,
            occupations,
            crosswalk,
            supply,
            demand,
            started,
        )
    })
    .await?
}

/// The supply rows as offerings, read one at a time (never all of them as rows at once).
struct Supply {
    /// Major code → major id (the first major of the code in the catalog's order).
    major_ids: HashMap<String, u32>,
    schools: Vec<SchoolInfo>,
    school_ids: HashMap<i64, u32>,
    offerings: Vec<Offering>,
    /// Rows whose major is not in the current catalog.
    skipped: usize,
}

async fn read_supply(db: &store::Db, majors: &[store::majors::Major]) -> AppResult<Supply> {
    let mut major_ids: HashMap<String, u32> = HashMap::new();
    for (i, m) in majors.iter().enumerate() {
        major_ids.entry(m.code.clone()).or_insert(i as u32);
    }
    let names = store::supply::reporting_schools(db).await?;
    let s = Supply {
        major_ids,
        schools: Vec::new(),
        school_ids: HashMap::new(),
        offerings: Vec::new(),
        skipped: 0,
    };
    let (mut s, _) = store::supply::fold_facts(db, (s, names), |(s, names), f| {
        let Some(&major) = s.major_ids.get(&f.major_code) else {
            s.skipped += 1;
            return;
        };
        let school = match s.school_ids.get(&f.school_org_id) {
            Some(&i) => i,
            None => {
                let (name, district) = names.remove(&f.school_org_id).unwrap_or_default();
                s.schools.push(SchoolInfo {
                    id: f.school_org_id,
                    name,
                    district,
                });
                let i = (s.schools.len() - 1) as u32;
                s.school_ids.insert(f.school_org_id, i);
                i
            }
        };
        s.offerings.push(Offering {
            school,
            major,
            year: f.year as i32,
            planned: f.planned_enrolment,
            actual: f.actual_enrolment,
            graduates: f.graduates,
            employed: f.employed,
            employed_matching: f.employed_matching,
            salary_fen: f.avg_salary_fen,
        });
    })
    .await?;
    s.offerings.shrink_to_fit();
    Ok(s)
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

fn build(
    params: &policy::ParamSet,
    majors: Vec<store::majors::Major>,
    occupations: Vec<(String, String, Option<String>)>,
    crosswalk: Vec<store::occupations::CrosswalkRow>,
    supply: Supply,
    demand: Vec<store::demand::DemandAggregate>,
    started: Instant,
) -> AppResult<Computed> {
    let mut by_level_code: HashMap<(String, String), u32> = HashMap::new();
    let infos: Vec<MajorInfo> = majors
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            by_level_code.insert((m.level.clone(), m.code.clone()), i as u32);
            MajorInfo {
                level: m.level,
                code: m.code,
                name: m.name,
                category_code: m.category_code,
                category_name: m.category_name,
            }
        })
        .collect();
    let mut occ_codes: Vec<String> = occupations.into_iter().map(|(c, _, _)| c).collect();
    occ_codes.push(UNMAPPED.to_string());
    let occ_ids: HashMap<&str, u32> = occ_codes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i as u32))
        .collect();
    let unmapped = occ_ids[UNMAPPED];
    let pairs: Vec<(u32, u32)> = crosswalk
        .iter()
        .filter_map(|(level, code, occ, _)| {
            Some((
                *by_level_code.get(&(level.clone(), code.clone()))?,
                *occ_ids.get(occ.as_str())?,
            ))
        })
        .collect();
    let Supply {
        major_ids,
        schools,
        school_ids,
        offerings,
        skipped,
    } = supply;
    let rows = demand
        .into_iter()
        .map(|(district, industry, occ, year, count)| DemandRow {
            district,
            industry,
            occupation: occ
                .as_deref()
                .and_then(|c| occ_ids.get(c).copied())
                .unwrap_or(unmapped),
            year: year as i32,
            count,
        })
        .collect::<Vec<_>>();
    let ds = Dataset::from_rows(infos, occ_codes.clone(), pairs, schools, offerings, rows)
        .map_err(internal)?;
    let measures = compute(&ds, IndustryMap::embedded()).map_err(internal)?;
    let thresholds = YearThresholds::resolve(params, measures.years()).map_err(internal)?;
    let classification = classify(&ds, &measures, &thresholds).map_err(internal)?;
    let coverage = schools_per_year(&ds);
    let default_year = default_year(&coverage, params).map_err(internal)?;
    let offering_index = ds
        .offerings
        .iter()
        .enumerate()
        .map(|(i, o)| ((o.school, o.major, o.year), i))
        .collect();
    Ok(Computed {
        ds,
        measures,
        thresholds,
        classification,
        majors: major_ids,
        schools: school_ids,
        offerings: offering_index,
        skipped_supply: skipped,
        coverage,
        default_year,
        computed_at: store::now(),
        took_ms: started.elapsed().as_millis(),
    })
}

/// Schools with at least one offering, per year (ascending).
fn schools_per_year(ds: &Dataset) -> Vec<(i32, usize)> {
    let mut seen: std::collections::BTreeMap<i32, std::collections::HashSet<u32>> =
        Default::default();
    for o in &ds.offerings {
        seen.entry(o.year).or_default().insert(o.school);
    }
    seen.into_iter().map(|(y, s)| (y, s.len())).collect()
}

/// The latest year whose schools reach `majors.default_year_coverage` (in force at the year's
/// end) of the most schools in any year: one school reporting a new year early does not move
/// everyone's default to a year with almost no data.
fn default_year(
    coverage: &[(i32, usize)],
    params: &policy::params::ParamSet,
) -> Result<Option<i32>, policy::params::ParamError> {
    let max = coverage.iter().map(|(_, n)| *n).max().unwrap_or(0) as i64;
    for &(year, n) in coverage.iter().rev() {
        let Some(end) = chrono::NaiveDate::from_ymd_opt(year, 12, 31) else {
            continue;
        };
        let (share, _) = params.rate("majors.default_year_coverage", end)?;
        // n / max ≥ share, in exact integers (share in parts per million).
        if (n as i64) * 1_000_000 >= share.ppm() * max {
            return Ok(Some(year));
        }
    }
    Ok(None)
}
