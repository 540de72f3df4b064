//! Measures of alignment at every grain, computed in one pass over dense vectors.
//!
//! Demand is held in integer units of `1/L` of a post, `L` being the least common multiple of
//! the number of majors each mapped occupation is shared by: a post of an occupation of `n`
//! majors gives `L / n` units to each, so nothing is rounded and nothing is lost
//! (`Σ units + unmapped posts × L = Σ posts × L`).
//!
//! Layout: postings are first summed per (district, occupation, year, industry flags) — one
//! addition per posting — and only these sums are spread over the occupations' majors.

use std::collections::HashMap;

use domain::reference::{CLUSTERS_33618, Cluster};
use serde::Serialize;

use super::MajorsError;
use super::dataset::{Dataset, Offering, Posting};
use super::industry::IndustryMap;
use super::num::{Ratio, lcm, round_div};

/// Largest accepted `L` (keeps `units` and the threshold products comfortably in range).
const MAX_LCM: i128 = 1_000_000_000_000_000_000;
/// Largest accepted count in one offering field or one demand row.
const MAX_COUNT: i64 = 1_000_000_000;

/// Supply figures (sums over offerings).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Supply {
    /// Number of offerings summed.
    pub offerings: i64,
    pub planned: i64,
    pub actual: i64,
    pub graduates: i64,
    pub employed: i64,
    pub employed_matching: i64,
    /// Σ salary × graduates (fen) over offerings that reported a salary.
    pub salary_sum: i128,
    /// Σ graduates over offerings that reported a salary.
    pub salary_weight: i64,
}

impl Supply {
    pub fn of(o: &Offering) -> Supply {
        let (salary_sum, salary_weight) = match o.salary_fen {
            Some(s) => (i128::from(s) * i128::from(o.graduates), o.graduates),
            None => (0, 0),
        };
        Supply {
            offerings: 1,
            planned: o.planned,
            actual: o.actual,
            graduates: o.graduates,
            employed: o.employed,
            employed_matching: o.employed_matching,
            salary_sum,
            salary_weight,
        }
    }

    pub fn add(&mut self, o: &Supply) {
        self.offerings += o.offerings;
        self.planned += o.planned;
        self.actual += o.actual;
        self.graduates += o.graduates;
        self.employed += o.employed;
        self.employed_matching += o.employed_matching;
        self.salary_sum += o.salary_sum;
        self.salary_weight += o.salary_weight;
    }

    /// 就业率 = employed / graduates; undefined without graduates.
    pub fn employment_rate(&self) -> Option<Ratio> {
        Ratio::new(self.employed.into(), self.graduates.into())
    }

    /// 对口就业率 = employed_matching / employed; undefined without employed graduates.
    pub fn matching_rate(&self) -> Option<Ratio> {
        Ratio::new(self.employed_matching.into(), self.employed.into())
    }

    /// Average starting salary weighted by graduates, rounded half up to the fen.
    pub fn average_salary_fen(&self) -> Option<i64> {
        (self.salary_weight > 0)
            .then(|| round_div(self.salary_sum, self.salary_weight.into()) as i64)
    }
}

/// Demand figures in units of `1/L` post.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Demand {
    pub units: i128,
    /// From industries flagged strategic emerging.
    pub emerging_units: i128,
    /// From industries in a “33618” cluster.
    pub cluster_units: i128,
    /// From industries that are strategic emerging or in a cluster (either; counted once).
    pub priority_units: i128,
}

impl Demand {
    pub fn add(&mut self, o: &Demand) {
        self.units += o.units;
        self.emerging_units += o.emerging_units;
        self.cluster_units += o.cluster_units;
        self.priority_units += o.priority_units;
    }

    pub fn emerging_share(&self) -> Option<Ratio> {
        Ratio::new(self.emerging_units, self.units)
    }

    pub fn cluster_share(&self) -> Option<Ratio> {
        Ratio::new(self.cluster_units, self.units)
    }

    /// Share of demand from strategic emerging or “33618” industries (the 新兴 test).
    pub fn priority_share(&self) -> Option<Ratio> {
        Ratio::new(self.priority_units, self.units)
    }
}

/// Supply and demand of one (grain, year).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub supply: Supply,
    pub demand: Demand,
}

impl Cell {
    /// Whether there is anything: an offering or a mapped posting.
    pub fn is_present(&self) -> bool {
        self.supply.offerings > 0 || self.demand.units > 0
    }

    pub fn add(&mut self, o: &Cell) {
        self.supply.add(&o.supply);
        self.demand.add(&o.demand);
    }
}

/// Demand of one major coming from one cluster's industries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ClusterDemand {
    pub units: i128,
    pub emerging_units: i128,
}

/// One cluster's postings in one year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ClusterTotals {
    /// Posts from the cluster's industries.
    pub postings: i64,
    pub emerging_postings: i64,
    /// Posts of occupations mapped to no major.
    pub unmapped_postings: i64,
    /// Units given to majors (`(postings − unmapped_postings) × L`).
    pub units: i128,
    /// Majors receiving demand from the cluster.
    pub majors: u32,
}

/// Posts of occupations mapped to no major (reported, never lost).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Unmapped {
    pub postings: i64,
    pub emerging_postings: i64,
    pub cluster_postings: i64,
}

/// A 专业大类.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Category {
    pub code: String,
    pub name: String,
}

/// All measures of a dataset, dense by id. Cells without data are zero; the `*_rows`
/// iterators yield only present ones.
#[derive(Debug, Clone)]
pub struct Measures {
    years: Vec<i32>,
    year_lut: Vec<u16>,
    lcm: i128,
    majors: usize,
    occupation_majors: Vec<u32>,
    districts: Vec<String>,
    school_district: Vec<u16>,
    categories: Vec<Category>,
    major_category: Vec<u32>,
    /// [major][year]
    city: Vec<Cell>,
    /// [district][major][year]
    district: Vec<Cell>,
    /// [category][year]
    category: Vec<Cell>,
    /// [cluster][major][year]
    cluster_major: Vec<ClusterDemand>,
    /// [cluster][year]
    cluster: Vec<ClusterTotals>,
    /// [year]
    unmapped: Vec<Unmapped>,
    /// [district][year]
    unmapped_district: Vec<Unmapped>,
    /// Offerings sorted by (school, major, year).
    offering_order: Vec<u32>,
    total_postings: i128,
}

const NO_YEAR: u16 = u16::MAX;

/// The first year of a window of `window` years ending in `year`.
pub fn base_year(year: i32, window: i64) -> i32 {
    let w = i32::try_from(window.max(1)).unwrap_or(i32::MAX);
    year.saturating_sub(w - 1)
}

/// Trends of a cell over a window: from its base cell (the same grain in the window's first
/// year; `None` or an empty cell when there is none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Trend {
    pub base_year: i32,
    /// `(D_y − D_b) / D_b`; show with [`Ratio::percent`].
    pub demand_change: Option<Ratio>,
    /// Employment rate change as a fraction; show with [`Ratio::points`] (percentage points).
    pub employment_change: Option<Ratio>,
}

impl Trend {
    pub fn of(current: &Cell, base_year: i32, base: Option<&Cell>) -> Trend {
        let zero = Cell::default();
        let b = base.unwrap_or(&zero);
        Trend {
            base_year,
            demand_change: demand_change(current.demand.units, b.demand.units),
            employment_change: employment_change(&current.supply, &b.supply),
        }
    }
}

/// Relative change `(current − base) / base`; undefined when the base is 0.
pub fn demand_change(current: i128, base: i128) -> Option<Ratio> {
    (base > 0).then(|| Ratio {
        num: current - base,
        den: base,
    })
}

/// Change of the employment rate, as a fraction (show it with [`Ratio::points`] for
/// percentage points); undefined unless both years have graduates.
pub fn employment_change(current: &Supply, base: &Supply) -> Option<Ratio> {
    let (ec, gc) = (i128::from(current.employed), i128::from(current.graduates));
    let (eb, gb) = (i128::from(base.employed), i128::from(base.graduates));
    Ratio::new(ec * gb - eb * gc, gc * gb)
}

fn data_err(msg: String) -> MajorsError {
    MajorsError::Data(msg)
}

fn check_count(what: &str, i: usize, field: &str, v: i64) -> Result<(), MajorsError> {
    if !(0..=MAX_COUNT).contains(&v) {
        return Err(data_err(format!(
            "{what}第 {} 条：{field}应为 0 至 {MAX_COUNT} 之间的整数（收到 {v}）",
            i + 1
        )));
    }
    Ok(())
}

/// Posting sums of one thread: [district][occupation][year][flags] and
/// [cluster][occupation][year][emerging].
struct PostingSums {
    by_district: Vec<i64>,
    by_cluster: Vec<i64>,
}

/// Index flags of an industry: bit 0 strategic emerging, bit 1 in a cluster.
const F_EMERGING: usize = 1;
const F_CLUSTER: usize = 2;

struct Shape {
    occupations: usize,
    years: usize,
    clusters: usize,
    /// All districts (postings' and schools').
    districts: usize,
    /// Districts postings may name (`Dataset::districts`).
    posting_districts: usize,
}

fn sum_postings(
    postings: &[Posting],
    offset: usize,
    shape: &Shape,
    industry_flags: &[(u8, u8)],
    year_lut: &[u16],
    first_year: i32,
) -> Result<PostingSums, MajorsError> {
    let (o_n, y_n) = (shape.occupations, shape.years);
    let mut by_district = vec![0i64; shape.districts * o_n * y_n * 4];
    let mut by_cluster = vec![0i64; shape.clusters * o_n * y_n * 2];
    for (i, p) in postings.iter().enumerate() {
        let bad = |msg: String| data_err(format!("岗位需求第 {} 条：{msg}", offset + i + 1));
        let o = p.occupation as usize;
        if o >= o_n {
            return Err(bad(format!("职业序号 {o} 超出范围（共 {o_n} 个职业）")));
        }
        if !(1..=MAX_COUNT).contains(&p.count) {
            return Err(bad(format!(
                "岗位数应为 1 至 {MAX_COUNT} 之间的整数（收到 {}）",
                p.count
            )));
        }
        let k = p.district as usize;
        if k >= shape.posting_districts {
            return Err(bad(format!("区县序号 {k} 超出范围")));
        }
        let Some(&(flags, cluster)) = industry_flags.get(p.industry as usize) else {
            return Err(bad(format!("行业序号 {} 超出范围", p.industry)));
        };
        // Years were validated when the year table was built.
        let y = year_lut[(p.year - first_year) as usize] as usize;
        let cell = (k * o_n + o) * y_n + y;
        by_district[cell * 4 + flags as usize] += p.count;
        if cluster != u8::MAX {
            let c = (cluster as usize * o_n + o) * y_n + y;
            by_cluster[c * 2 + (flags as usize & F_EMERGING)] += p.count;
        }
    }
    Ok(PostingSums {
        by_district,
        by_cluster,
    })
}

fn add_into(a: &mut [i64], b: &[i64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += *y;
    }
}

/// Computes every measure. Validates the dataset on the way (ids in range, counts
/// non-negative, employed ≤ graduates, matching ≤ employed, posts ≥ 1, no duplicate offering)
/// and names the first problem in Chinese.
pub fn compute(ds: &Dataset, industries: &IndustryMap) -> Result<Measures, MajorsError> {
    let m_n = ds.majors.len();
    let o_n = ds.occupations.len();
    let s_n = ds.schools.len();

    // Years present.
    let mut lo = i32::MAX;
    let mut hi = i32::MIN;
    let year_ok = |y: i32| (1000..=9999).contains(&y);
    for (i, o) in ds.offerings.iter().enumerate() {
        if !year_ok(o.year) {
            return Err(data_err(format!(
                "开设记录第 {} 条：年份 {} 无效",
                i + 1,
                o.year
            )));
        }
        lo = lo.min(o.year);
        hi = hi.max(o.year);
    }
    for (i, p) in ds.postings.iter().enumerate() {
        if !year_ok(p.year) {
            return Err(data_err(format!(
                "岗位需求第 {} 条：年份 {} 无效",
                i + 1,
                p.year
            )));
        }
        lo = lo.min(p.year);
        hi = hi.max(p.year);
    }
    let (years, year_lut) = if lo > hi {
        (Vec::new(), Vec::new())
    } else {
        let mut seen = vec![false; (hi - lo + 1) as usize];
        for o in &ds.offerings {
            seen[(o.year - lo) as usize] = true;
        }
        for p in &ds.postings {
            seen[(p.year - lo) as usize] = true;
        }
        let mut years = Vec::new();
        let mut lut = vec![NO_YEAR; seen.len()];
        for (i, s) in seen.iter().enumerate() {
            if *s {
                lut[i] = years.len() as u16;
                years.push(lo + i as i32);
            }
        }
        (years, lut)
    };
    let y_n = years.len();

    // Crosswalk: deduplicated, grouped by occupation.
    let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(ds.crosswalk.len());
    for (i, &(m, o)) in ds.crosswalk.iter().enumerate() {
        if m as usize >= m_n || o as usize >= o_n {
            return Err(data_err(format!(
                "专业—职业对应第 {} 条：专业序号 {m} 或职业序号 {o} 超出范围（共 {m_n} 个专业、{o_n} 个职业）",
                i + 1
            )));
        }
        pairs.push((o, m));
    }
    pairs.sort_unstable();
    pairs.dedup();
    let mut occ_start = vec![0u32; o_n + 1];
    for &(o, _) in &pairs {
        occ_start[o as usize + 1] += 1;
    }
    for i in 0..o_n {
        occ_start[i + 1] += occ_start[i];
    }
    let occ_majors: Vec<u32> = pairs.iter().map(|&(_, m)| m).collect();
    let occupation_majors: Vec<u32> = (0..o_n).map(|o| occ_start[o + 1] - occ_start[o]).collect();
    let mut l: i128 = 1;
    let mut seen_n: Vec<u32> = occupation_majors
        .iter()
        .copied()
        .filter(|&n| n > 0)
        .collect();
    seen_n.sort_unstable();
    seen_n.dedup();
    for n in seen_n {
        l = lcm(l, n.into())
            .filter(|&v| v <= MAX_LCM)
            .ok_or_else(|| data_err("各职业对应专业数的最小公倍数过大，无法精确分摊需求".into()))?;
    }
    let share: Vec<i128> = occupation_majors
        .iter()
        .map(|&n| if n == 0 { 0 } else { l / i128::from(n) })
        .collect();

    // Industries: flags and cluster.
    let industry_flags: Vec<(u8, u8)> = ds
        .industries
        .iter()
        .map(|code| {
            let c = industries.classify(code);
            let mut f = 0u8;
            if c.strategic_emerging {
                f |= F_EMERGING as u8;
            }
            if c.cluster.is_some() {
                f |= F_CLUSTER as u8;
            }
            (f, c.cluster.unwrap_or(u8::MAX))
        })
        .collect();
    let c_n = CLUSTERS_33618.len();

    // Districts: those of postings, then schools' own.
    let mut districts = ds.districts.clone();
    let mut district_ids: HashMap<&str, u16> = HashMap::new();
    for (i, d) in ds.districts.iter().enumerate() {
        district_ids.insert(d.as_str(), i as u16);
    }
    let mut school_district = Vec::with_capacity(s_n);
    for s in &ds.schools {
        let k = match district_ids.get(s.district.as_str()) {
            Some(&k) => k,
            None => {
                let k = u16::try_from(districts.len())
                    .map_err(|_| data_err("区县代码超过 65535 个".into()))?;
                districts.push(s.district.clone());
                district_ids.insert(s.district.as_str(), k);
                k
            }
        };
        school_district.push(k);
    }
    let k_n = districts.len();

    // Postings → sums per (district, occupation, year, flags), on up to 4 threads.
    let shape = Shape {
        occupations: o_n,
        years: y_n,
        clusters: c_n,
        districts: k_n,
        posting_districts: ds.districts.len(),
    };
    let threads = if ds.postings.len() >= 1_000_000 {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4)
    } else {
        1
    };
    let chunk = ds.postings.len().div_ceil(threads).max(1);
    let sums = std::thread::scope(|scope| {
        let handles: Vec<_> = ds
            .postings
            .chunks(chunk)
            .enumerate()
            .map(|(i, part)| {
                let (shape, flags, lut) = (&shape, &industry_flags, &year_lut);
                scope.spawn(move || sum_postings(part, i * chunk, shape, flags, lut, lo))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("posting sums thread"))
            .collect::<Vec<_>>()
    });
    let mut acc: Option<PostingSums> = None;
    for s in sums {
        let s = s?;
        match &mut acc {
            None => acc = Some(s),
            Some(a) => {
                add_into(&mut a.by_district, &s.by_district);
                add_into(&mut a.by_cluster, &s.by_cluster);
            }
        }
    }
    let PostingSums {
        by_district,
        by_cluster,
    } = acc.unwrap_or_else(|| PostingSums {
        by_district: vec![0; k_n * o_n * y_n * 4],
        by_cluster: vec![0; c_n * o_n * y_n * 2],
    });

    // Spread over majors: district demand and unmapped posts.
    let mut district = vec![Cell::default(); k_n * m_n * y_n];
    let mut unmapped_district = vec![Unmapped::default(); k_n * y_n];
    let mut total_postings: i128 = 0;
    for k in 0..k_n {
        for o in 0..o_n {
            let majors = &occ_majors[occ_start[o] as usize..occ_start[o + 1] as usize];
            for y in 0..y_n {
                let at = ((k * o_n + o) * y_n + y) * 4;
                let f = &by_district[at..at + 4];
                let total = f[0] + f[1] + f[2] + f[3];
                if total == 0 {
                    continue;
                }
                total_postings += i128::from(total);
                let emerging = f[1] + f[3];
                let cluster = f[2] + f[3];
                let priority = f[1] + f[2] + f[3];
                if majors.is_empty() {
                    let u = &mut unmapped_district[k * y_n + y];
                    u.postings += total;
                    u.emerging_postings += emerging;
                    u.cluster_postings += cluster;
                    continue;
                }
                let sh = share[o];
                let d = Demand {
                    units: i128::from(total) * sh,
                    emerging_units: i128::from(emerging) * sh,
                    cluster_units: i128::from(cluster) * sh,
                    priority_units: i128::from(priority) * sh,
                };
                for &m in majors {
                    district[(k * m_n + m as usize) * y_n + y].demand.add(&d);
                }
            }
        }
    }
    drop(by_district);

    // Supply.
    for (i, off) in ds.offerings.iter().enumerate() {
        let what = "开设记录";
        if off.school as usize >= s_n {
            return Err(data_err(format!(
                "{what}第 {} 条：学校序号 {} 超出范围（共 {s_n} 所学校）",
                i + 1,
                off.school
            )));
        }
        if off.major as usize >= m_n {
            return Err(data_err(format!(
                "{what}第 {} 条：专业序号 {} 超出范围（共 {m_n} 个专业）",
                i + 1,
                off.major
            )));
        }
        check_count(what, i, "计划招生数", off.planned)?;
        check_count(what, i, "实际招生数", off.actual)?;
        check_count(what, i, "毕业生数", off.graduates)?;
        check_count(what, i, "就业人数", off.employed)?;
        check_count(what, i, "对口就业人数", off.employed_matching)?;
        if off.employed > off.graduates {
            return Err(data_err(format!(
                "{what}第 {} 条：就业人数 {} 超过毕业生数 {}",
                i + 1,
                off.employed,
                off.graduates
            )));
        }
        if off.employed_matching > off.employed {
            return Err(data_err(format!(
                "{what}第 {} 条：对口就业人数 {} 超过就业人数 {}",
                i + 1,
                off.employed_matching,
                off.employed
            )));
        }
        if let Some(s) = off.salary_fen {
            check_count(what, i, "平均起薪（分）", s)?;
        }
        let k = school_district[off.school as usize] as usize;
        let y = year_lut[(off.year - lo) as usize] as usize;
        district[(k * m_n + off.major as usize) * y_n + y]
            .supply
            .add(&Supply::of(off));
    }

    // No duplicate offering; order kept for looking up an offering's earlier years.
    let mut offering_order: Vec<u32> = (0..ds.offerings.len() as u32).collect();
    let key = |i: &u32| {
        let o = &ds.offerings[*i as usize];
        (o.school, o.major, o.year)
    };
    offering_order.sort_unstable_by_key(key);
    for w in offering_order.windows(2) {
        if key(&w[0]) == key(&w[1]) {
            let o = &ds.offerings[w[1] as usize];
            return Err(data_err(format!(
                "开设记录重复：学校“{}”专业 {} 在 {} 年有多条记录（第 {} 条与第 {} 条）",
                ds.schools[o.school as usize].name,
                ds.majors[o.major as usize].code,
                o.year,
                w[0].min(w[1]) + 1,
                w[0].max(w[1]) + 1
            )));
        }
    }

    // City = Σ districts.
    let mut city = vec![Cell::default(); m_n * y_n];
    for k in 0..k_n {
        let row = &district[k * m_n * y_n..(k + 1) * m_n * y_n];
        for (c, d) in city.iter_mut().zip(row) {
            if d.is_present() {
                c.add(d);
            }
        }
    }
    let mut unmapped = vec![Unmapped::default(); y_n];
    for k in 0..k_n {
        for y in 0..y_n {
            let u = unmapped_district[k * y_n + y];
            unmapped[y].postings += u.postings;
            unmapped[y].emerging_postings += u.emerging_postings;
            unmapped[y].cluster_postings += u.cluster_postings;
        }
    }

    // Categories.
    let mut categories: Vec<Category> = Vec::new();
    let mut category_ids: HashMap<&str, u32> = HashMap::new();
    let mut major_category = Vec::with_capacity(m_n);
    for m in &ds.majors {
        let g = *category_ids
            .entry(m.category_code.as_str())
            .or_insert_with(|| {
                categories.push(Category {
                    code: m.category_code.clone(),
                    name: m.category_name.clone(),
                });
                (categories.len() - 1) as u32
            });
        major_category.push(g);
    }
    let mut category = vec![Cell::default(); categories.len() * y_n];
    for m in 0..m_n {
        let g = major_category[m] as usize;
        for y in 0..y_n {
            let c = city[m * y_n + y];
            category[g * y_n + y].add(&c);
        }
    }

    // Clusters.
    let mut cluster_major = vec![ClusterDemand::default(); c_n * m_n * y_n];
    let mut cluster = vec![ClusterTotals::default(); c_n * y_n];
    for c in 0..c_n {
        for o in 0..o_n {
            let majors = &occ_majors[occ_start[o] as usize..occ_start[o + 1] as usize];
            for y in 0..y_n {
                let at = ((c * o_n + o) * y_n + y) * 2;
                let (plain, emerging) = (by_cluster[at], by_cluster[at + 1]);
                let total = plain + emerging;
                if total == 0 {
                    continue;
                }
                let t = &mut cluster[c * y_n + y];
                t.postings += total;
                t.emerging_postings += emerging;
                if majors.is_empty() {
                    t.unmapped_postings += total;
                    continue;
                }
                t.units += i128::from(total) * l;
                let sh = share[o];
                for &m in majors {
                    let cm = &mut cluster_major[(c * m_n + m as usize) * y_n + y];
                    cm.units += i128::from(total) * sh;
                    cm.emerging_units += i128::from(emerging) * sh;
                }
            }
        }
        for m in 0..m_n {
            for y in 0..y_n {
                if cluster_major[(c * m_n + m) * y_n + y].units > 0 {
                    cluster[c * y_n + y].majors += 1;
                }
            }
        }
    }

    Ok(Measures {
        years,
        year_lut,
        lcm: l,
        majors: m_n,
        occupation_majors,
        districts,
        school_district,
        categories,
        major_category,
        city,
        district,
        category,
        cluster_major,
        cluster,
        unmapped,
        unmapped_district,
        offering_order,
        total_postings,
    })
}

impl Measures {
    /// Years with any offering or posting, ascending.
    pub fn years(&self) -> &[i32] {
        &self.years
    }

    pub fn year_index(&self, year: i32) -> Option<usize> {
        let first = *self.years.first()?;
        let i = usize::try_from(year.checked_sub(first)?).ok()?;
        match self.year_lut.get(i) {
            Some(&y) if y != NO_YEAR => Some(y as usize),
            _ => None,
        }
    }

    /// `L`: demand is held in units of `1/L` post.
    pub fn lcm(&self) -> i128 {
        self.lcm
    }

    /// For each occupation, the number of majors it is shared by (0 = unmapped).
    pub fn occupation_majors(&self) -> &[u32] {
        &self.occupation_majors
    }

    /// Σ posts of all postings.
    pub fn total_postings(&self) -> i128 {
        self.total_postings
    }

    /// Units as posts (`units / L`), e.g. for [`Ratio::fixed`].
    pub fn posts(&self, units: i128) -> Ratio {
        Ratio {
            num: units,
            den: self.lcm,
        }
    }

    /// 需求供给比 = demand (posts) / graduates; undefined without graduates.
    pub fn ratio(&self, units: i128, graduates: i64) -> Option<Ratio> {
        Ratio::new(units, self.lcm * i128::from(graduates))
    }

    pub fn city(&self, major: u32, year: i32) -> Option<&Cell> {
        let y = self.year_index(year)?;
        ((major as usize) < self.majors).then(|| &self.city[major as usize * self.years.len() + y])
    }

    /// (major, year, cell) for every present (major, year).
    pub fn city_rows(&self) -> impl Iterator<Item = (u32, i32, &Cell)> {
        let y_n = self.years.len();
        self.city
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_present())
            .map(move |(i, c)| ((i / y_n) as u32, self.years[i % y_n], c))
    }

    /// District codes: those of postings, then those only schools have.
    pub fn districts(&self) -> &[String] {
        &self.districts
    }

    pub fn district_index(&self, code: &str) -> Option<usize> {
        self.districts.iter().position(|d| d == code)
    }

    /// The district index of a school.
    pub fn school_district(&self, school: u32) -> Option<usize> {
        self.school_district
            .get(school as usize)
            .map(|&k| k as usize)
    }

    pub fn district(&self, district: usize, major: u32, year: i32) -> Option<&Cell> {
        let y = self.year_index(year)?;
        let m = major as usize;
        (district < self.districts.len() && m < self.majors)
            .then(|| &self.district[(district * self.majors + m) * self.years.len() + y])
    }

    /// (district index, major, year, cell) for every present one.
    pub fn district_rows(&self) -> impl Iterator<Item = (usize, u32, i32, &Cell)> {
        let y_n = self.years.len();
        let m_n = self.majors;
        self.district
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_present())
            .map(move |(i, c)| {
                let y = i % y_n;
                let m = (i / y_n) % m_n;
                let k = i / y_n / m_n;
                (k, m as u32, self.years[y], c)
            })
    }

    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    /// The category index of a major.
    pub fn category_of(&self, major: u32) -> Option<usize> {
        self.major_category.get(major as usize).map(|&g| g as usize)
    }

    pub fn category(&self, category: usize, year: i32) -> Option<&Cell> {
        let y = self.year_index(year)?;
        (category < self.categories.len()).then(|| &self.category[category * self.years.len() + y])
    }

    /// (category index, year, cell) for every present one.
    pub fn category_rows(&self) -> impl Iterator<Item = (usize, i32, &Cell)> {
        let y_n = self.years.len();
        self.category
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_present())
            .map(move |(i, c)| (i / y_n, self.years[i % y_n], c))
    }

    /// The clusters, in the order of `domain::reference::CLUSTERS_33618`.
    pub fn clusters(&self) -> &'static [Cluster] {
        CLUSTERS_33618
    }

    pub fn cluster(&self, cluster: usize, year: i32) -> Option<&ClusterTotals> {
        let y = self.year_index(year)?;
        (cluster < CLUSTERS_33618.len()).then(|| &self.cluster[cluster * self.years.len() + y])
    }

    /// (cluster index, year, totals) for every cluster and year with postings.
    pub fn cluster_rows(&self) -> impl Iterator<Item = (usize, i32, &ClusterTotals)> {
        let y_n = self.years.len();
        self.cluster
            .iter()
            .enumerate()
            .filter(|(_, t)| t.postings > 0)
            .map(move |(i, t)| (i / y_n, self.years[i % y_n], t))
    }

    pub fn cluster_major(&self, cluster: usize, major: u32, year: i32) -> Option<&ClusterDemand> {
        let y = self.year_index(year)?;
        let m = major as usize;
        (cluster < CLUSTERS_33618.len() && m < self.majors)
            .then(|| &self.cluster_major[(cluster * self.majors + m) * self.years.len() + y])
    }

    /// (cluster index, major, year, demand) for every major served by a cluster in a year.
    pub fn cluster_major_rows(&self) -> impl Iterator<Item = (usize, u32, i32, &ClusterDemand)> {
        let y_n = self.years.len();
        let m_n = self.majors;
        self.cluster_major
            .iter()
            .enumerate()
            .filter(|(_, d)| d.units > 0)
            .map(move |(i, d)| {
                let y = i % y_n;
                let m = (i / y_n) % m_n;
                (i / y_n / m_n, m as u32, self.years[y], d)
            })
    }

    /// Unmapped posts city-wide in a year.
    pub fn unmapped(&self, year: i32) -> Option<&Unmapped> {
        self.year_index(year).map(|y| &self.unmapped[y])
    }

    /// (district index, year, unmapped) where there are unmapped posts.
    pub fn unmapped_district_rows(&self) -> impl Iterator<Item = (usize, i32, &Unmapped)> {
        let y_n = self.years.len();
        self.unmapped_district
            .iter()
            .enumerate()
            .filter(|(_, u)| u.postings > 0)
            .map(move |(i, u)| (i / y_n, self.years[i % y_n], u))
    }

    /// The school grain: the offering's own supply with its major's city-wide demand.
    pub fn offering_cell(&self, ds: &Dataset, offering: usize) -> Option<Cell> {
        let o = ds.offerings.get(offering)?;
        let city = self.city(o.major, o.year)?;
        Some(Cell {
            supply: Supply::of(o),
            demand: city.demand,
        })
    }

    /// Trend of a major city-wide over `window` years ending in `year`.
    pub fn city_trend(&self, major: u32, year: i32, window: i64) -> Option<Trend> {
        let by = base_year(year, window);
        Some(Trend::of(self.city(major, year)?, by, self.city(major, by)))
    }

    /// Trend of a major in a district.
    pub fn district_trend(
        &self,
        district: usize,
        major: u32,
        year: i32,
        window: i64,
    ) -> Option<Trend> {
        let by = base_year(year, window);
        Some(Trend::of(
            self.district(district, major, year)?,
            by,
            self.district(district, major, by),
        ))
    }

    /// Trend of a category.
    pub fn category_trend(&self, category: usize, year: i32, window: i64) -> Option<Trend> {
        let by = base_year(year, window);
        Some(Trend::of(
            self.category(category, year)?,
            by,
            self.category(category, by),
        ))
    }

    /// Trend of an offering: its own employment change (against the same school and major in
    /// the base year) and its major's city-wide demand change.
    pub fn offering_trend(&self, ds: &Dataset, offering: usize, window: i64) -> Option<Trend> {
        let o = ds.offerings.get(offering)?;
        let by = base_year(o.year, window);
        let city = self.city_trend(o.major, o.year, window)?;
        let base = self
            .offering_in(ds, offering, by)
            .map(|b| Supply::of(&ds.offerings[b]))
            .unwrap_or_default();
        Some(Trend {
            employment_change: employment_change(&Supply::of(o), &base),
            ..city
        })
    }

    /// The offering of the same school and major in `year`, if any.
    pub fn offering_in(&self, ds: &Dataset, offering: usize, year: i32) -> Option<usize> {
        let o = ds.offerings.get(offering)?;
        let key = (o.school, o.major, year);
        self.offering_order
            .binary_search_by_key(&key, |&i| {
                let x = &ds.offerings[i as usize];
                (x.school, x.major, x.year)
            })
            .ok()
            .map(|p| self.offering_order[p] as usize)
    }
}
