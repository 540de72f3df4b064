//! Measure 5, majors aligned to labour demand: the bridge between the store and the analytics
//! engine. Reads supply, the crosswalk and demand, computes every measure and classification
//! once, and keeps the result until the data change ([`AlignmentCache`]: recomputed as soon as
//! their version moves on, from the last result when it can), so pages and the API read from
//! memory.
//!
//! - Supply rows whose major code is not in the current catalog are left out (counted in
//!   `Computed::skipped_supply`, shown on the city page).
//! - Postings waiting for confirmation or without an occupation count as unmapped demand.

pub mod api;
pub mod pages;

use std::collections::{BTreeSet, HashMap};
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
    /// School index → the range of its offerings in `ds.offerings` (each school's offerings
    /// are together, in the order of major code and year).
    school_offerings: Vec<std::ops::Range<usize>>,
    /// Supply rows left out (major not in the current catalog), by school org id.
    skipped: HashMap<i64, usize>,
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

    /// Supply rows left out because their major is not in the current catalog.
    pub fn skipped_supply(&self) -> usize {
        self.skipped.values().sum()
    }

    /// The index of the school's offering of a major in a year, if there is one.
    pub fn offering(&self, school: u32, major: u32, year: i32) -> Option<usize> {
        let range = self.school_offerings.get(school as usize)?.clone();
        let start = range.start;
        self.ds.offerings[range]
            .iter()
            .position(|o| o.major == major && o.year == year)
            .map(|i| start + i)
    }

    /// Everything computed, as text: two computations from the same data give the same text
    /// (how a test holds a recomputation from the last result to a computation in full).
    pub fn fingerprint(&self) -> String {
        let ds = &self.ds;
        format!(
            "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
            (&ds.majors, &ds.occupations, &ds.crosswalk),
            ds.schools,
            ds.offerings,
            (&ds.districts, &ds.industries),
            ds.postings,
            self.measures,
            self.thresholds,
            self.classification,
            self.skipped_supply(),
            self.coverage,
            self.default_year,
            (self.school_offerings.len(), &self.school_offerings),
            {
                let mut s: Vec<_> = self.schools.iter().collect();
                s.sort();
                s
            },
        )
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
/// for a computation: the watcher ([`AlignmentCache::watch`]) recomputes as soon as a write is
/// seen, and meanwhile every request is answered from the last complete result (its
/// `computed_at` says as of when). A recomputation redoes only what changed when it can
/// ([`store::versions::changes_since`]): the supply of the schools whose files came in is read
/// again, the rest of the supply is taken from the last result, and the kept demand sums and
/// the small reference tables are read whole. Only the very first computation is waited for.
#[derive(Clone, Default)]
pub struct AlignmentCache {
    /// The last complete result and the data version it was computed from.
    kept: Arc<std::sync::Mutex<Option<Versioned>>>,
    /// Held by the one computing.
    computing: Arc<tokio::sync::Mutex<()>>,
}

/// How a computation went: in full, or from the last result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recomputed {
    Full,
    /// From the last result, with this many schools' supply read again.
    Incremental(usize),
    /// The kept result was already current.
    Current,
}

impl AlignmentCache {
    /// The measures for the data as they are now, or, while they are being recomputed, as they
    /// were.
    pub async fn get(&self, state: &AppState) -> AppResult<Arc<Computed>> {
        let version = store::versions::get(&state.db, store::versions::ALIGNMENT).await?;
        match self.kept() {
            Some((v, c)) if v == version => Ok(c),
            Some((_, c)) => {
                // Without a watcher (tests, tools), the first reader after a change starts it.
                if let Ok(guard) = self.computing.clone().try_lock_owned() {
                    let (cache, state) = (self.clone(), state.clone());
                    tokio::spawn(async move {
                        if let Err(e) = cache.refresh_locked(&state, false).await {
                            tracing::error!("专业与需求对接结果重新计算失败：{e}");
                        }
                        drop(guard);
                    });
                }
                Ok(c)
            }
            None => {
                let _computing = self.computing.lock().await;
                self.refresh_locked(state, false).await?;
                self.kept()
                    .map(|(_, c)| c)
                    .ok_or_else(|| AppError::Internal("专业与需求对接结果未能计算".into()))
            }
        }
    }

    /// Brings the kept result up to the data as they are now (from the last result when it
    /// can, or in full when `full`), waiting for a computation under way first.
    pub async fn refresh(&self, state: &AppState, full: bool) -> AppResult<Recomputed> {
        let _computing = self.computing.lock().await;
        self.refresh_locked(state, full).await
    }

    /// Keeps the result current from now on: computes it, then looks at the data version every
    /// `every` and recomputes when it moved on (a write by this server, another node or the
    /// command line). The task ends when the database is closed.
    pub fn watch(&self, state: AppState, every: std::time::Duration) {
        let cache = self.clone();
        tokio::spawn(async move {
            loop {
                if state.db.pool().is_closed() {
                    break;
                }
                let stale = match store::versions::get(&state.db, store::versions::ALIGNMENT).await
                {
                    Ok(v) => cache.kept().is_none_or(|(k, _)| k != v),
                    Err(_) => false,
                };
                if stale && let Err(e) = cache.refresh(&state, false).await {
                    tracing::error!("专业与需求对接结果重新计算失败：{e}");
                }
                tokio::time::sleep(every).await;
            }
        });
    }

    /// [`AlignmentCache::refresh`] with the computing lock held.
    async fn refresh_locked(&self, state: &AppState, full: bool) -> AppResult<Recomputed> {
        let kept = self.kept();
        let (version, changes) = match &kept {
            Some((v, _)) if !full => {
                store::versions::changes_since(&state.db, store::versions::ALIGNMENT, *v).await?
            }
            _ => (
                store::versions::get(&state.db, store::versions::ALIGNMENT).await?,
                None,
            ),
        };
        if !full && kept.as_ref().is_some_and(|(v, _)| *v == version) {
            return Ok(Recomputed::Current);
        }
        // Read after the version: a write in between is in the data and comes again next time.
        let (computed, how) = match (&kept, changes) {
            (Some((_, last)), Some(scopes)) if !full => {
                let schools: BTreeSet<i64> = scopes
                    .iter()
                    .filter_map(|s| s.strip_prefix(store::supply::SCHOOL_SCOPE)?.parse().ok())
                    .collect();
                let n = schools.len();
                (
                    load(state, Some((last.as_ref(), &schools))).await?,
                    Recomputed::Incremental(n),
                )
            }
            _ => (load(state, None).await?, Recomputed::Full),
        };
        tracing::info!(
            version,
            took_ms = computed.took_ms,
            how = ?how,
            "专业与需求对接结果已计算"
        );
        if let Ok(mut k) = self.kept.lock() {
            *k = Some((version, Arc::new(computed)));
        }
        Ok(how)
    }

    /// Whether a computation is under way (the result shown is the previous one).
    pub fn recomputing(&self) -> bool {
        self.computing.try_lock().is_err()
    }

    fn kept(&self) -> Option<Versioned> {
        self.kept.lock().ok().and_then(|k| k.clone())
    }
}

/// Reads the data and computes everything; with `last`, the supply of every school but
/// `changed` is taken from the last result.
async fn load(state: &AppState, last: Option<(&Computed, &BTreeSet<i64>)>) -> AppResult<Computed> {
    let db = &state.db;
    let started = Instant::now();
    let majors = store::majors::current_majors(db).await?;
    let occupations = store::occupations::documents(db).await?;
    let crosswalk = store::occupations::crosswalk(db).await?;
    let supply = match last {
        None => read_supply(db, &majors).await?,
        Some((last, changed)) => update_supply(db, &majors, last, changed).await?,
    };
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
    /// Rows whose major is not in the current catalog, by school org id.
    skipped: HashMap<i64, usize>,
}

impl Supply {
    fn new(majors: &[store::majors::Major]) -> Supply {
        let mut major_ids: HashMap<String, u32> = HashMap::new();
        for (i, m) in majors.iter().enumerate() {
            major_ids.entry(m.code.clone()).or_insert(i as u32);
        }
        Supply {
            major_ids,
            schools: Vec::new(),
            school_ids: HashMap::new(),
            offerings: Vec::new(),
            skipped: HashMap::new(),
        }
    }
}

/// Folds the supply rows of `schools` (every school when `None`), in the order of school id,
/// major code and year, into a [`Supply`] whose schools are indexed in order of first row.
async fn fold_supply(
    db: &store::Db,
    majors: &[store::majors::Major],
    schools: Option<&BTreeSet<i64>>,
) -> AppResult<Supply> {
    let names = match schools {
        None => store::supply::reporting_schools(db).await?,
        Some(ids) => store::supply::school_names(db, ids).await?,
    };
    let (mut s, _) = store::supply::fold_facts(
        db,
        schools,
        (Supply::new(majors), names),
        |(s, names), f| {
            let Some(&major) = s.major_ids.get(&f.major_code) else {
                *s.skipped.entry(f.school_org_id).or_default() += 1;
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
        },
    )
    .await?;
    s.offerings.shrink_to_fit();
    Ok(s)
}

async fn read_supply(db: &store::Db, majors: &[store::majors::Major]) -> AppResult<Supply> {
    fold_supply(db, majors, None).await
}

/// Each school's offerings as a range of `offerings` (where each school's are together).
fn school_ranges(offerings: &[Offering], schools: usize) -> Vec<std::ops::Range<usize>> {
    let mut r = vec![0..0; schools];
    let mut at = 0;
    while at < offerings.len() {
        let s = offerings[at].school as usize;
        let start = at;
        while at < offerings.len() && offerings[at].school as usize == s {
            at += 1;
        }
        if let Some(slot) = r.get_mut(s) {
            *slot = start..at;
        }
    }
    r
}

/// The supply as [`read_supply`] would read it, from `last` with the rows of `changed` read
/// again: schools in order of id, each school's offerings in the order read (major code,
/// year), so the result is the one a full computation gives.
async fn update_supply(
    db: &store::Db,
    majors: &[store::majors::Major],
    last: &Computed,
    changed: &BTreeSet<i64>,
) -> AppResult<Supply> {
    let fresh = fold_supply(db, majors, Some(changed)).await?;
    let mut out = Supply::new(majors);
    out.offerings
        .reserve(last.ds.offerings.len() + fresh.offerings.len());
    let last_ranges = &last.school_offerings;
    let fresh_ranges = school_ranges(&fresh.offerings, fresh.schools.len());
    // Every school with offerings, by id: from the fresh rows if its file came in, else from
    // the last result.
    let mut ids: Vec<(i64, bool, u32)> = last
        .ds
        .schools
        .iter()
        .enumerate()
        .filter(|(_, s)| !changed.contains(&s.id))
        .map(|(i, s)| (s.id, false, i as u32))
        .chain(
            fresh
                .schools
                .iter()
                .enumerate()
                .map(|(i, s)| (s.id, true, i as u32)),
        )
        .collect();
    ids.sort_unstable();
    for (id, is_fresh, i) in ids {
        let (info, rows) = if is_fresh {
            (
                &fresh.schools[i as usize],
                &fresh.offerings[fresh_ranges[i as usize].clone()],
            )
        } else {
            (
                &last.ds.schools[i as usize],
                &last.ds.offerings[last_ranges[i as usize].clone()],
            )
        };
        let index = out.schools.len() as u32;
        out.schools.push(info.clone());
        out.school_ids.insert(id, index);
        out.offerings.extend(rows.iter().map(|o| Offering {
            school: index,
            ..*o
        }));
    }
    out.skipped = last
        .skipped
        .iter()
        .filter(|(id, _)| !changed.contains(id))
        .map(|(id, n)| (*id, *n))
        .chain(fresh.skipped)
        .collect();
    Ok(out)
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
    let school_offerings = school_ranges(&ds.offerings, ds.schools.len());
    let coverage = schools_per_year(&ds, &school_offerings);
    let default_year = default_year(&coverage, params).map_err(internal)?;
    Ok(Computed {
        ds,
        measures,
        thresholds,
        classification,
        majors: major_ids,
        schools: school_ids,
        school_offerings,
        skipped,
        coverage,
        default_year,
        computed_at: store::now(),
        took_ms: started.elapsed().as_millis(),
    })
}

/// Schools with at least one offering, per year (ascending).
fn schools_per_year(ds: &Dataset, schools: &[std::ops::Range<usize>]) -> Vec<(i32, usize)> {
    let mut per_year: std::collections::BTreeMap<i32, usize> = Default::default();
    let mut years: Vec<i32> = Vec::new();
    for range in schools {
        years.clear();
        years.extend(ds.offerings[range.clone()].iter().map(|o| o.year));
        years.sort_unstable();
        years.dedup();
        for y in &years {
            *per_year.entry(*y).or_default() += 1;
        }
    }
    per_year.into_iter().collect()
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
