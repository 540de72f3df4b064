//! Benchmark of measure 5 (majors aligned to labour demand) against DuckDB.
//!
//! ```text
//! cargo run --release -p analytics --example bench_alignment -- --scale city|national --dir DIR [--generate] [--runs N] [--threads N]
//! ```
//!
//! `--generate` writes deterministic, Chongqing-shaped CSVs into DIR (majors from the real
//! catalog `../shared/data/major-catalog-2021.csv`, synthetic occupations `6-xx-xx-xx`, schools
//! across the 41 area units, offerings 2021–2025, postings concentrated in “33618” industries,
//! some occupations growing and some declining so every class appears). Then it times reading
//! the CSVs, computing every measure, classifying every offering and major, and writing the
//! results to `DIR/rust/*.csv` (the same files `bench/alignment_duckdb.py` writes to
//! `DIR/duckdb/` and compares), and prints the times and the peak RSS (VmHWM). With `--runs N`
//! it runs N times and keeps the best (`--runs 0`: generate only).
//!
//! | scale | offering rows (≈ offerings × 5 years) | posting rows |
//! |---|---|---|
//! | city | 25,000 | 500,000 |
//! | national | 500,000 | 10,000,000 |

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use analytics::majors::{
    Cell, CsvInput, Dataset, IndustryMap, Measures, Ratio, Trend, YearThresholds, classify,
    compute, read_csv,
};
use policy::ParamSet;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

// ---------------------------------------------------------------- deterministic generator

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn f(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }

    fn normal(&mut self) -> f64 {
        let u = self.f().max(1e-12);
        let v = self.f();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }

    fn chance(&mut self, p: f64) -> bool {
        self.f() < p
    }
}

/// Cumulative weights for picking.
struct Picker {
    cum: Vec<f64>,
}

impl Picker {
    fn new(w: &[f64]) -> Picker {
        let mut acc = 0.0;
        Picker {
            cum: w
                .iter()
                .map(|x| {
                    acc += x;
                    acc
                })
                .collect(),
        }
    }

    fn pick(&self, rng: &mut Rng) -> usize {
        let x = rng.f() * self.cum.last().copied().unwrap_or(0.0);
        self.cum
            .partition_point(|&c| c <= x)
            .min(self.cum.len() - 1)
    }
}

/// GB/T 4754 industries per field of study (the category code modulo 20).
fn field_industries(field: u32) -> &'static [&'static str] {
    match field {
        1 => &["A0111", "A0311", "C1320", "C1371", "C3572"],
        2 => &["B0610", "N7721", "M7461", "C3591"],
        3 => &["D4411", "C3216", "C3252", "C3841", "C3091", "C3825"],
        4 => &["E4710", "E4811", "M7482", "K7010"],
        5 => &["E4822", "N7610", "D4610"],
        6 => &[
            "C3421", "C3491", "C3612", "C3670", "C3751", "C3411", "C3813", "C3572", "C3581",
        ],
        7 => &["C2614", "C2651", "C2761", "C2811", "C2710"],
        8 => &["C1711", "C1810", "C2110", "C2231", "C2411", "C2927"],
        9 => &["C1310", "C1430", "C1512", "C2720", "C2740"],
        10 => &["G5411", "G5810", "G5910", "C3711", "C3612"],
        11 => &[
            "C3911", "C3921", "C3973", "C3974", "C3983", "I6510", "I6520", "I6531", "I6432",
        ],
        12 => &["Q8411", "Q8421", "C2720", "C3581", "F5251"],
        13 => &["J6621", "F5191", "F5292", "L7212", "J6812"],
        14 => &["H6110", "H6210", "L7291"],
        15 => &["R8710", "R8810", "C2431"],
        16 => &["R8610", "I6429", "R8623"],
        17 => &["P8321", "P8331", "R8910"],
        18 => &["S9222", "L7281"],
        _ => &["O8010", "K7020", "Q8514", "S9530"],
    }
}

struct Scale {
    /// Offering rows over the five years (≈ offerings per year × 5).
    offering_rows: usize,
    posting_rows: usize,
}

fn scale(name: &str) -> Res<Scale> {
    Ok(match name {
        "city" => Scale {
            offering_rows: 25_000,
            posting_rows: 500_000,
        },
        "national" => Scale {
            offering_rows: 500_000,
            posting_rows: 10_000_000,
        },
        other => return Err(format!("unknown scale {other} (city | national)").into()),
    })
}

const YEARS: std::ops::RangeInclusive<i32> = 2021..=2025;

fn catalog_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/major-catalog-2021.csv")
}

struct GenMajor {
    level: String,
    code: String,
    name: String,
    category_code: String,
    category_name: String,
    class_code: String,
}

fn generate(dir: &Path, sc: &Scale) -> Res<()> {
    fs::create_dir_all(dir)?;
    let mut rng = Rng(0x5EED_2023_1271_0005);
    let map = IndustryMap::embedded();

    // Majors from the catalog.
    let mut rdr = csv::Reader::from_path(catalog_path())?;
    let h = rdr.headers()?.clone();
    let col = |n: &str| {
        h.iter()
            .position(|x| x == n)
            .ok_or(format!("catalog lacks {n}"))
    };
    let (c_level, c_cat, c_catname, c_class, c_code, c_name, c_item) = (
        col("educationLevel")?,
        col("categoryCode")?,
        col("categoryName")?,
        col("classCode")?,
        col("majorCode")?,
        col("majorName")?,
        col("itemLevel")?,
    );
    let mut majors = Vec::new();
    for r in rdr.records() {
        let r = r?;
        if &r[c_item] != "MAJOR" {
            continue;
        }
        majors.push(GenMajor {
            level: r[c_level].to_string(),
            code: r[c_code].to_string(),
            name: r[c_name].to_string(),
            category_code: r[c_cat].to_string(),
            category_name: r[c_catname].to_string(),
            class_code: r[c_class].to_string(),
        });
    }
    let mut w = BufWriter::new(fs::File::create(dir.join("majors.csv"))?);
    writeln!(w, "id,level,code,name,category_code,category_name")?;
    for (i, m) in majors.iter().enumerate() {
        writeln!(
            w,
            "{i},{},{},{},{},{}",
            m.level, m.code, m.name, m.category_code, m.category_name
        )?;
    }
    w.flush()?;

    // Occupations: each class has a pool of 2 shared occupations; each major links to 1–4
    // occupations, own or from its class pool; 5% more occupations map to no major.
    struct Occ {
        industries: Vec<&'static str>,
        volume: f64,
        growth: f64,
    }
    let mut occs: Vec<Occ> = Vec::new();
    let mut crosswalk: Vec<(usize, usize)> = Vec::new();
    let field = |m: &GenMajor| m.category_code.parse::<u32>().unwrap_or(19) % 20;
    let new_occ = |rng: &mut Rng, occs: &mut Vec<Occ>, f: u32| -> usize {
        let list = field_industries(f);
        let n = 1 + rng.below(3.min(list.len()));
        let mut industries: Vec<&'static str> = Vec::new();
        while industries.len() < n {
            let i = list[rng.below(list.len())];
            if !industries.contains(&i) {
                industries.push(i);
            }
        }
        let k = map.classify(industries[0]);
        let priority = k.cluster.is_some() || k.strategic_emerging;
        let volume = if priority { 1.3 } else { 1.0 };
        let roll = rng.f();
        let growth = if roll < if priority { 0.45 } else { 0.10 } {
            0.10 + 0.05 * rng.f()
        } else if roll > if priority { 0.90 } else { 0.75 } {
            -0.10 - 0.05 * rng.f()
        } else {
            0.03 * (2.0 * rng.f() - 1.0)
        };
        occs.push(Occ {
            industries,
            volume,
            growth,
        });
        occs.len() - 1
    };
    let mut pools: std::collections::HashMap<String, Vec<usize>> = Default::default();
    for (mi, m) in majors.iter().enumerate() {
        let f = field(m);
        let key = m.class_code.clone();
        if !pools.contains_key(&key) {
            let a = new_occ(&mut rng, &mut occs, f);
            let b = new_occ(&mut rng, &mut occs, f);
            pools.insert(key.clone(), vec![a, b]);
        }
        let links = 1 + rng.below(4);
        let mut mine: Vec<usize> = Vec::new();
        for l in 0..links {
            let from_pool = if l == 0 {
                rng.chance(0.6)
            } else {
                rng.chance(0.3)
            };
            let o = if from_pool {
                let p = &pools[&key];
                p[rng.below(p.len())]
            } else {
                new_occ(&mut rng, &mut occs, f)
            };
            if !mine.contains(&o) {
                mine.push(o);
            }
        }
        for o in mine {
            crosswalk.push((mi, o));
        }
    }
    let unmapped = occs.len() / 20;
    for _ in 0..unmapped {
        let f = 1 + rng.below(19) as u32;
        new_occ(&mut rng, &mut occs, f);
    }
    let occ_code = |i: usize| {
        format!(
            "6-{:02}-{:02}-{:02}",
            i / 10_000 + 1,
            (i / 100) % 100,
            i % 100
        )
    };
    let mut w = BufWriter::new(fs::File::create(dir.join("occupations.csv"))?);
    writeln!(w, "id,code")?;
    for i in 0..occs.len() {
        writeln!(w, "{i},{}", occ_code(i))?;
    }
    w.flush()?;
    let mut w = BufWriter::new(fs::File::create(dir.join("crosswalk.csv"))?);
    writeln!(w, "major_id,occupation_id")?;
    for (m, o) in &crosswalk {
        writeln!(w, "{m},{o}")?;
    }
    w.flush()?;

    // Districts, weighted towards the main urban area.
    let areas = domain::reference::AREAS;
    let heavy = [
        "500103", "500105", "500106", "500107", "500108", "500112", "500191", "500192",
    ];
    let area_w: Vec<f64> = areas
        .iter()
        .map(|a| if heavy.contains(&a.code) { 5.0 } else { 1.0 })
        .collect();
    let area_pick = Picker::new(&area_w);

    // Schools and offerings.
    let levels = [
        "VOCATIONAL_SECONDARY",
        "VOCATIONAL_ASSOCIATE",
        "VOCATIONAL_BACHELOR",
    ];
    let level_pick = Picker::new(&[0.35, 0.50, 0.15]);
    let by_level: Vec<Vec<usize>> = levels
        .iter()
        .map(|l| {
            (0..majors.len())
                .filter(|&i| majors[i].level == *l)
                .collect()
        })
        .collect();
    let popularity: Vec<f64> = (0..majors.len())
        .map(|_| (0.8 * rng.normal()).exp())
        .collect();
    let major_emp: Vec<f64> = (0..majors.len())
        .map(|_| (0.91 + 0.05 * rng.normal()).clamp(0.6, 0.99))
        .collect();
    let major_match: Vec<f64> = (0..majors.len())
        .map(|_| (0.65 + 0.15 * rng.normal()).clamp(0.2, 0.95))
        .collect();
    let major_salary: Vec<i64> = (0..majors.len()).map(|_| rng.range(3_500, 7_500)).collect();
    let mut ws = BufWriter::new(fs::File::create(dir.join("schools.csv"))?);
    writeln!(ws, "id,name,district")?;
    let mut wo = BufWriter::new(fs::File::create(dir.join("offerings.csv"))?);
    writeln!(
        wo,
        "school_id,major_id,year,planned,actual,graduates,employed,employed_matching,salary_fen"
    )?;
    let mut graduates_total: i64 = 0;
    let mut major_graduates = vec![0.0f64; majors.len()];
    let mut offering_rows = 0usize;
    let mut n_schools = 0usize;
    while offering_rows < sc.offering_rows {
        let s = n_schools;
        n_schools += 1;
        let id = 5_000_000 + s as i64;
        let li = level_pick.pick(&mut rng);
        let area = &areas[area_pick.pick(&mut rng)];
        let suffix = ["中等职业学校", "职业技术学院", "职业技术大学"][li];
        writeln!(ws, "{id},{}第{}{suffix},{}", area.name, s + 1, area.code)?;
        let pool = &by_level[li];
        let want = (10 + rng.below(31)).min(pool.len());
        let pop: Vec<f64> = pool.iter().map(|&m| popularity[m]).collect();
        let pick = Picker::new(&pop);
        let mut chosen: Vec<usize> = Vec::new();
        while chosen.len() < want {
            let m = pool[pick.pick(&mut rng)];
            if !chosen.contains(&m) {
                chosen.push(m);
            }
        }
        chosen.sort_unstable();
        for m in chosen {
            let start = if rng.chance(0.8) {
                2021
            } else {
                rng.range(2022, 2025) as i32
            };
            let end = if rng.chance(0.08) {
                rng.range(2023, 2024) as i32
            } else {
                2025
            };
            let base_g = (15.0 + 35.0 * (0.7 * rng.normal()).exp()).min(300.0);
            for year in start..=end {
                if offering_rows == sc.offering_rows {
                    break;
                }
                let new = start > 2021 && year - start < 3;
                let g = if new {
                    0
                } else {
                    (base_g * (0.9 + 0.2 * rng.f())).round() as i64
                };
                let planned = (base_g * (1.15 + 0.2 * rng.f())).round() as i64;
                let actual = (planned as f64 * (0.75 + 0.25 * rng.f())).round() as i64;
                let er = (major_emp[m] + 0.04 * rng.normal()).clamp(0.4, 1.0);
                let employed = ((g as f64 * er).round() as i64).min(g);
                let mr = (major_match[m] + 0.06 * rng.normal()).clamp(0.05, 1.0);
                let matching = ((employed as f64 * mr).round() as i64).min(employed);
                let salary = if rng.chance(0.7) {
                    (major_salary[m] * 100 + rng.range(-40_000, 40_000)).to_string()
                } else {
                    String::new()
                };
                graduates_total += g;
                major_graduates[m] += g as f64;
                offering_rows += 1;
                writeln!(
                    wo,
                    "{id},{m},{year},{planned},{actual},{g},{employed},{matching},{salary}"
                )?;
            }
        }
    }
    ws.flush()?;
    wo.flush()?;

    // Demand follows supply loosely: an occupation's volume is its majors' graduates (each
    // major's spread over its occupations) times a log-normal factor, more for priority
    // industries; unmapped occupations get a typical volume.
    let mut links = vec![0usize; majors.len()];
    for &(m, _) in &crosswalk {
        links[m] += 1;
    }
    let mut base = vec![0.0f64; occs.len()];
    for &(m, o) in &crosswalk {
        base[o] += major_graduates[m] / links[m] as f64;
    }
    let typical =
        base.iter().sum::<f64>() / base.iter().filter(|b| **b > 0.0).count().max(1) as f64;
    for (o, occ) in occs.iter_mut().enumerate() {
        let b = if base[o] > 0.0 {
            base[o]
        } else {
            typical * 0.3
        };
        occ.volume *= b * (0.6 * rng.normal()).exp();
    }
    // Postings: rows per (occupation, year) ∝ volume × (1 + growth)^t; counts calibrated so
    // that posts ≈ 1.3 × graduates overall.
    let mean_count = (1.3 * graduates_total as f64 / sc.posting_rows as f64).max(1.0);
    let years: Vec<i32> = YEARS.collect();
    let weight = |o: &Occ, y: i32| o.volume * (1.0 + o.growth).powi(y - 2021);
    let total_w: f64 = occs
        .iter()
        .map(|o| years.iter().map(|&y| weight(o, y)).sum::<f64>())
        .sum();
    let all_industries: Vec<&str> = (1..=19).flat_map(field_industries).copied().collect();
    let mut wp = BufWriter::with_capacity(1 << 20, fs::File::create(dir.join("postings.csv"))?);
    writeln!(wp, "district,industry,occupation,year,count")?;
    let mut rows = 0usize;
    for &y in &years {
        for (i, o) in occs.iter().enumerate() {
            let exact = sc.posting_rows as f64 * weight(o, y) / total_w;
            let n = exact.floor() as usize + usize::from(rng.f() < exact.fract());
            let code = occ_code(i);
            for _ in 0..n {
                let d = areas[area_pick.pick(&mut rng)].code;
                let roll = rng.f();
                let ind = if roll < 0.05 {
                    ""
                } else if roll < 0.09 {
                    all_industries[rng.below(all_industries.len())]
                } else {
                    o.industries[rng.below(o.industries.len())]
                };
                let count = 1 + (-(rng.f().max(1e-12)).ln() * (mean_count - 1.0)).floor() as i64;
                writeln!(wp, "{d},{ind},{code},{y},{count}")?;
                rows += 1;
            }
        }
    }
    wp.flush()?;
    println!(
        "generated {} majors, {} occupations ({} unmapped), {} crosswalk pairs, {n_schools} schools, {} graduates, {rows} posting rows (mean count {mean_count:.2}) in {}",
        majors.len(),
        occs.len(),
        unmapped,
        crosswalk.len(),
        graduates_total,
        dir.display()
    );
    Ok(())
}

// ---------------------------------------------------------------- results

fn opt(s: Option<String>) -> String {
    s.unwrap_or_default()
}

fn peak_rss_mb() -> f64 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The measure columns shared by the city, district and category files.
fn measure_cols(m: &Measures, c: &Cell, trend: Trend) -> String {
    let s = &c.supply;
    let d = &c.demand;
    format!(
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
        s.offerings,
        s.planned,
        s.actual,
        s.graduates,
        s.employed,
        s.employed_matching,
        opt(s.average_salary_fen().map(|v| v.to_string())),
        d.units,
        d.emerging_units,
        d.cluster_units,
        d.priority_units,
        m.posts(d.units).fixed(2),
        opt(m.ratio(d.units, s.graduates).map(|r| r.fixed(2))),
        opt(s.employment_rate().map(|r| r.percent(2))),
        opt(s.matching_rate().map(|r| r.percent(2))),
        opt(d.priority_share().map(|r| r.percent(2))),
        opt(trend.demand_change.map(|r| r.percent(2))),
        opt(trend.employment_change.map(|r| r.points(2))),
    )
}

const MEASURE_HEADER: &str = "offerings,planned,actual,graduates,employed,employed_matching,salary_avg_fen,units,emerging_units,cluster_units,priority_units,demand,ratio,employment_rate,matching_rate,priority_share,demand_change,employment_change";

fn write_results(
    out: &Path,
    ds: &Dataset,
    m: &Measures,
    t: &YearThresholds,
    c: &analytics::majors::Classification,
) -> Res<usize> {
    fs::create_dir_all(out)?;
    let window = |y: i32| t.get(y).map_or(1, |t| t.values.window_years);
    let file = |name: &str| -> Res<BufWriter<fs::File>> {
        Ok(BufWriter::with_capacity(
            1 << 20,
            fs::File::create(out.join(name))?,
        ))
    };
    let mut rows = 0;

    let mut w = file("city.csv")?;
    writeln!(w, "major_id,year,{MEASURE_HEADER},class,tests")?;
    for (major, year, cell) in m.city_rows() {
        let trend = m.city_trend(major, year, window(year)).ok_or("trend")?;
        let v = c.major(major, year).ok_or("major not classified")?;
        writeln!(
            w,
            "{major},{year},{},{},{}",
            measure_cols(m, cell, trend),
            v.class.key(),
            v.tests.bits()
        )?;
        rows += 1;
    }
    w.flush()?;

    let mut w = file("district.csv")?;
    writeln!(w, "district,major_id,year,{MEASURE_HEADER}")?;
    for (k, major, year, cell) in m.district_rows() {
        let trend = m
            .district_trend(k, major, year, window(year))
            .ok_or("trend")?;
        writeln!(
            w,
            "{},{major},{year},{}",
            m.districts()[k],
            measure_cols(m, cell, trend)
        )?;
        rows += 1;
    }
    w.flush()?;

    let mut w = file("category.csv")?;
    writeln!(w, "category_code,year,{MEASURE_HEADER}")?;
    for (g, year, cell) in m.category_rows() {
        let trend = m.category_trend(g, year, window(year)).ok_or("trend")?;
        writeln!(
            w,
            "{},{year},{}",
            m.categories()[g].code,
            measure_cols(m, cell, trend)
        )?;
        rows += 1;
    }
    w.flush()?;

    let mut w = file("school.csv")?;
    writeln!(
        w,
        "school_id,major_id,year,graduates,employed,employed_matching,employment_rate,matching_rate,employment_change,demand,ratio,class,tests"
    )?;
    for (i, o) in ds.offerings.iter().enumerate() {
        let own = m.offering_cell(ds, i).ok_or("offering without cell")?;
        let trend = m.offering_trend(ds, i, window(o.year)).ok_or("trend")?;
        let city = m
            .city(o.major, o.year)
            .ok_or("offering without city cell")?;
        let v = c.offerings[i];
        writeln!(
            w,
            "{},{},{},{},{},{},{},{},{},{},{},{},{}",
            ds.schools[o.school as usize].id,
            o.major,
            o.year,
            o.graduates,
            o.employed,
            o.employed_matching,
            opt(own.supply.employment_rate().map(|r| r.percent(2))),
            opt(own.supply.matching_rate().map(|r| r.percent(2))),
            opt(trend.employment_change.map(|r| r.points(2))),
            m.posts(own.demand.units).fixed(2),
            opt(m
                .ratio(city.demand.units, city.supply.graduates)
                .map(|r| r.fixed(2))),
            v.class.key(),
            v.tests.bits()
        )?;
        rows += 1;
    }
    w.flush()?;

    let mut w = file("cluster.csv")?;
    writeln!(
        w,
        "cluster,year,postings,emerging_postings,unmapped_postings,units,majors"
    )?;
    for (ci, year, t) in m.cluster_rows() {
        writeln!(
            w,
            "{},{year},{},{},{},{},{}",
            m.clusters()[ci].code,
            t.postings,
            t.emerging_postings,
            t.unmapped_postings,
            t.units,
            t.majors
        )?;
        rows += 1;
    }
    w.flush()?;

    let mut w = file("cluster_major.csv")?;
    writeln!(w, "cluster,major_id,year,units,emerging_units,demand")?;
    for (ci, major, year, d) in m.cluster_major_rows() {
        writeln!(
            w,
            "{},{major},{year},{},{},{}",
            m.clusters()[ci].code,
            d.units,
            d.emerging_units,
            Ratio::new(d.units, m.lcm()).map_or(String::new(), |r| r.fixed(2))
        )?;
        rows += 1;
    }
    w.flush()?;

    let mut w = file("unmapped.csv")?;
    writeln!(
        w,
        "district,year,postings,emerging_postings,cluster_postings"
    )?;
    for &year in m.years() {
        let u = m.unmapped(year).ok_or("year")?;
        if u.postings > 0 {
            writeln!(
                w,
                "全市,{year},{},{},{}",
                u.postings, u.emerging_postings, u.cluster_postings
            )?;
            rows += 1;
        }
    }
    for (k, year, u) in m.unmapped_district_rows() {
        writeln!(
            w,
            "{},{year},{},{},{}",
            m.districts()[k],
            u.postings,
            u.emerging_postings,
            u.cluster_postings
        )?;
        rows += 1;
    }
    w.flush()?;

    let mut w = file("summary.csv")?;
    writeln!(w, "key,value")?;
    writeln!(w, "lcm,{}", m.lcm())?;
    writeln!(w, "total_postings,{}", m.total_postings())?;
    w.flush()?;
    Ok(rows)
}

/// Times of one run: (total, read, measures, classify, write) in seconds.
type Times = (f64, f64, f64, f64, f64);

fn run(dir: &Path, threads: usize, report: bool) -> Res<Times> {
    let t0 = Instant::now();
    let read =
        |n: &str| fs::read(dir.join(n)).map_err(|e| format!("{}: {e}", dir.join(n).display()));
    let (majors, occupations, crosswalk, schools, offerings, postings) = (
        read("majors.csv")?,
        read("occupations.csv")?,
        read("crosswalk.csv")?,
        read("schools.csv")?,
        read("offerings.csv")?,
        read("postings.csv")?,
    );
    let input = CsvInput {
        majors: &majors,
        occupations: &occupations,
        crosswalk: &crosswalk,
        schools: &schools,
        offerings: &offerings,
        postings: &postings,
    };
    let ds = read_csv(&input, threads)?;
    drop(postings);
    let t_read = t0.elapsed();

    let t1 = Instant::now();
    let m = compute(&ds, IndustryMap::embedded())?;
    let t_measures = t1.elapsed();

    let t2 = Instant::now();
    let params = ParamSet::embedded()?;
    let thresholds = YearThresholds::resolve(&params, m.years())?;
    let c = classify(&ds, &m, &thresholds)?;
    let t_classify = t2.elapsed();

    let t3 = Instant::now();
    let rows = write_results(&dir.join("rust"), &ds, &m, &thresholds, &c)?;
    let t_write = t3.elapsed();
    let total = t0.elapsed();

    let times = (
        total.as_secs_f64(),
        t_read.as_secs_f64(),
        t_measures.as_secs_f64(),
        t_classify.as_secs_f64(),
        t_write.as_secs_f64(),
    );
    if !report {
        return Ok(times);
    }
    let counts = |n: [usize; 5]| {
        analytics::majors::Class::ALL
            .iter()
            .zip(n)
            .map(|(c, n)| format!("{}={n}", c.key()))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!(
        "rust: {} offerings, {} posting rows, {} majors, {} years, L = {}",
        ds.offerings.len(),
        ds.postings.len(),
        ds.majors.len(),
        m.years().len(),
        m.lcm()
    );
    println!("rust: offerings by class: {}", counts(c.offering_counts()));
    println!("rust: majors by class:    {}", counts(c.major_counts()));
    println!(
        "rust: read {:.3} s, measures {:.3} s, classify {:.3} s, write {:.3} s ({rows} result rows)",
        times.1, times.2, times.3, times.4
    );
    Ok(times)
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut scale_name = "city".to_string();
    let mut dir: Option<PathBuf> = None;
    let mut gen_data = false;
    let mut threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut runs = 1usize;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--scale" => {
                i += 1;
                scale_name = args.get(i).cloned().ok_or("--scale needs a value")?;
            }
            "--dir" => {
                i += 1;
                dir = Some(PathBuf::from(args.get(i).ok_or("--dir needs a value")?));
            }
            "--threads" => {
                i += 1;
                threads = args.get(i).ok_or("--threads needs a value")?.parse()?;
            }
            "--runs" => {
                i += 1;
                runs = args.get(i).ok_or("--runs needs a value")?.parse()?;
            }
            "--generate" => gen_data = true,
            other => return Err(format!("unknown argument {other}").into()),
        }
        i += 1;
    }
    let sc = scale(&scale_name)?;
    let dir = dir.ok_or("--dir DIR is required")?;
    if gen_data {
        generate(&dir, &sc)?;
    }
    if runs == 0 {
        return Ok(());
    }
    // Best of `runs` (the first run reports counts and the result rows).
    let mut best: Option<Times> = None;
    for r in 0..runs {
        let t = run(&dir, threads, r == 0)?;
        println!(
            "rust run {}: total {:.3} s (read {:.3}, measures {:.3}, classify {:.3}, write {:.3})",
            r + 1,
            t.0,
            t.1,
            t.2,
            t.3,
            t.4
        );
        if best.is_none_or(|b| t.0 < b.0) {
            best = Some(t);
        }
    }
    let b = best.ok_or("no run")?;
    let rss = peak_rss_mb();
    println!(
        "rust_total_seconds={:.3} compute_seconds={:.3} peak_rss_mb={rss:.0} threads={threads}",
        b.0,
        b.1 + b.2 + b.3
    );
    fs::write(
        dir.join("rust").join("timing.csv"),
        format!(
            "key,value\ntotal_seconds,{:.6}\nread_seconds,{:.6}\nmeasures_seconds,{:.6}\nclassify_seconds,{:.6}\nwrite_seconds,{:.6}\npeak_rss_mb,{rss:.0}\n",
            b.0, b.1, b.2, b.3, b.4
        ),
    )?;
    Ok(())
}
