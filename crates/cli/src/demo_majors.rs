//! Demo data for measure 5 (majors aligned to labour demand): the real 2021 major catalog when
//! it is at hand, a small set of occupations marked as demo data, a keyword crosswalk, five years
//! of supply for every demo school and Chongqing-shaped job postings — demand concentrated in the
//! “33618” clusters, some occupations growing, some in decline — so every class of the
//! classification appears with real-looking reasons.
//!
//! The occupations are NOT the 职业分类大典: their codes have the 大典's shape but are made up,
//! and each description says 演示数据. The catalog is the real file from the reference data
//! beside the checkout (`../shared/data/major-catalog-2021.csv`, or `CHANJIAO_DEMO_CATALOG`);
//! without it the measure 5 demo is skipped with a message.

use std::collections::{BTreeSet, HashMap};

use anyhow::Result;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use store::demand::{NewPosting, status};
use store::occupations::NewOccupation;
use store::supply::NewSupply;
use store::{Actor, Db};

const SEED: u64 = 0x5EED_0005;
/// Demo postings ask, in the first year, for this many people per graduate city-wide (many
/// majors share each demo occupation, so each major sees a fraction of it).
const DEMAND_PER_GRADUATE: f64 = 1.6;
/// How much of an occupation's share of the postings is its own weight; the rest follows the
/// graduates of the majors it employs (in the first year).
const OWN_WEIGHT: f64 = 0.4;
pub const YEARS: std::ops::RangeInclusive<i64> = 2021..=2025;

/// A demo occupation: code, name, the words of major names that lead to it, the industry its
/// postings come from (GB/T 4754), yearly demand change in percent, relative weight.
struct Occ {
    code: &'static str,
    name: &'static str,
    keywords: &'static [&'static str],
    industry: &'static str,
    trend: i32,
    weight: u32,
}

const fn occ(
    code: &'static str,
    name: &'static str,
    keywords: &'static [&'static str],
    industry: &'static str,
    trend: i32,
    weight: u32,
) -> Occ {
    Occ {
        code,
        name,
        keywords,
        industry,
        trend,
        weight,
    }
}

const OCCUPATIONS: &[Occ] = &[
    occ(
        "6-22-01-01",
        "汽车整车装配工",
        &["汽车制造", "新能源汽车", "汽车"],
        "C3612",
        12,
        30,
    ),
    occ(
        "6-22-02-01",
        "汽车零部件装调工",
        &["汽车", "智能网联"],
        "C3670",
        6,
        20,
    ),
    occ(
        "4-12-01-01",
        "汽车维修工",
        &["汽车检测", "汽车运用", "汽车", "机动车"],
        "O8111",
        -3,
        14,
    ),
    occ(
        "6-25-02-01",
        "电子设备装接工",
        &["电子", "电子信息"],
        "C3989",
        4,
        22,
    ),
    occ(
        "6-25-04-01",
        "集成电路装调工",
        &["集成电路", "微电子", "半导体"],
        "C3973",
        28,
        10,
    ),
    occ(
        "6-25-05-01",
        "显示器件制造工",
        &["显示", "光电"],
        "C3974",
        14,
        8,
    ),
    occ(
        "2-02-10-03",
        "软件开发工程技术人员",
        &["软件", "计算机", "云计算", "信息安全"],
        "I6511",
        14,
        26,
    ),
    occ(
        "2-02-10-09",
        "人工智能工程技术人员",
        &["人工智能", "智能"],
        "I6513",
        30,
        8,
    ),
    occ(
        "2-02-10-11",
        "大数据工程技术人员",
        &["大数据", "数据"],
        "I6550",
        22,
        9,
    ),
    occ(
        "4-04-05-01",
        "信息通信网络运行管理员",
        &["网络", "通信", "物联网"],
        "I6319",
        4,
        12,
    ),
    occ(
        "6-20-03-01",
        "工业机器人系统操作员",
        &["机器人", "自动化", "智能控制"],
        "C3491",
        30,
        12,
    ),
    occ(
        "6-20-04-01",
        "智能制造系统运维员",
        &["智能制造", "数控", "机电一体化"],
        "C3499",
        20,
        12,
    ),
    occ(
        "6-18-01-01",
        "车工",
        &["数控", "机械制造", "机械"],
        "C3421",
        -6,
        14,
    ),
    occ("6-18-02-04", "焊工", &["焊接", "钢结构"], "C3311", -12, 10),
    occ(
        "6-31-01-03",
        "电工",
        &["电气", "电力", "供用电", "电工"],
        "D4411",
        0,
        14,
    ),
    occ(
        "6-24-01-01",
        "锂离子电池制造工",
        &["储能", "新能源", "电池"],
        "C3841",
        26,
        9,
    ),
    occ("6-24-03-01", "光伏组件制造工", &["光伏"], "C3825", 18, 5),
    occ(
        "6-19-01-02",
        "轻合金加工工",
        &["材料", "金属", "冶金"],
        "C3216",
        2,
        9,
    ),
    occ("6-06-02-01", "摩托车装配工", &["摩托车"], "C3751", 0, 5),
    occ("4-08-07-01", "无人机驾驶员", &["无人机"], "C3749", 24, 4),
    occ(
        "6-12-01-01",
        "化学合成制药工",
        &["药品", "药学", "制药", "药物"],
        "C2710",
        12,
        9,
    ),
    occ("6-12-03-01", "中药炮制工", &["中药"], "C2730", 6, 6),
    occ(
        "2-05-07-01",
        "医学检验技术人员",
        &["医学检验", "检验"],
        "Q8411",
        4,
        6,
    ),
    occ("2-05-08-01", "护士", &["护理", "助产"], "Q8411", 5, 18),
    occ(
        "4-10-01-05",
        "养老护理员",
        &["老年", "养老", "康复"],
        "Q8514",
        20,
        12,
    ),
    occ(
        "4-10-01-01",
        "保育师",
        &["婴幼儿", "托育", "学前"],
        "P8310",
        10,
        10,
    ),
    occ("4-10-01-06", "家政服务员", &["家政"], "O8010", 10, 6),
    occ("4-09-02-01", "物业管理员", &["物业"], "K7020", 0, 6),
    occ(
        "4-01-06-01",
        "电子商务师",
        &["电子商务", "直播", "网络营销"],
        "F5292",
        8,
        14,
    ),
    occ(
        "4-03-02-01",
        "中式烹调师",
        &["烹饪", "餐饮", "烹调"],
        "H6210",
        0,
        10,
    ),
    occ(
        "4-03-01-01",
        "酒店前厅服务员",
        &["酒店", "民宿"],
        "H6110",
        -12,
        8,
    ),
    occ(
        "4-02-06-01",
        "物流服务师",
        &["物流", "供应链"],
        "G5990",
        5,
        12,
    ),
    occ("4-02-02-05", "快递员", &["快递", "邮政"], "G6020", 0, 8),
    occ(
        "6-01-02-01",
        "食品加工工",
        &["食品", "粮食", "农产品"],
        "C1499",
        0,
        10,
    ),
    occ(
        "5-01-01-01",
        "农作物种植工",
        &["作物", "种植", "园艺", "农业"],
        "A0111",
        -15,
        6,
    ),
    occ(
        "6-04-01-01",
        "纺织工",
        &["纺织", "服装", "染整"],
        "C1711",
        -22,
        8,
    ),
    occ(
        "2-06-01-01",
        "会计专业人员",
        &["会计", "财务", "审计"],
        "L7241",
        -18,
        14,
    ),
    occ(
        "4-01-01-01",
        "行政办事员",
        &["文秘", "行政", "办公"],
        "L7211",
        -22,
        10,
    ),
    occ(
        "2-02-18-01",
        "建筑工程技术人员",
        &["建筑", "土木", "工程造价", "建设"],
        "E4710",
        -16,
        14,
    ),
    occ(
        "6-29-01-02",
        "砌筑工",
        &["建筑施工", "古建筑"],
        "E4790",
        -25,
        6,
    ),
    occ(
        "6-11-01-01",
        "化工总控工",
        &["化工", "化学"],
        "C2614",
        -6,
        6,
    ),
    occ(
        "6-05-01-01",
        "印刷操作员",
        &["印刷", "出版"],
        "C2319",
        -26,
        4,
    ),
    occ(
        "6-03-01-01",
        "煤矿采掘工",
        &["煤矿", "矿山", "采矿"],
        "B0610",
        -30,
        4,
    ),
    occ(
        "4-05-01-01",
        "银行综合柜员",
        &["金融", "银行"],
        "J6620",
        -14,
        8,
    ),
    occ("4-07-04-01", "导游", &["旅游", "导游"], "L7291", -6, 6),
    occ(
        "4-08-03-01",
        "工程测量员",
        &["测绘", "测量", "地理信息"],
        "M7441",
        0,
        5,
    ),
    occ(
        "4-02-01-04",
        "城市轨道交通列车司机",
        &["轨道交通", "铁道"],
        "G5412",
        6,
        6,
    ),
    occ(
        "4-10-05-01",
        "美容美发师",
        &["美容", "美发", "形象设计"],
        "O8040",
        -5,
        5,
    ),
];

/// Where postings are published: weights of the main urban districts and zones above the rest.
fn district_weights() -> Vec<(&'static str, u32)> {
    domain::reference::AREAS
        .iter()
        .map(|a| {
            let w = match a.code {
                "500112" | "500191" | "500192" => 12,
                "500106" | "500105" | "500107" | "500108" | "500103" | "500104" => 7,
                "500113" | "500109" | "500117" | "500120" | "500116" => 4,
                _ => 1,
            };
            (a.code, w)
        })
        .collect()
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.gen_range(0..total);
    for (t, w) in items {
        if x < *w {
            return t;
        }
        x -= w;
    }
    &items[items.len() - 1].0
}

/// Where the catalog file is, if at hand.
fn catalog_path() -> Option<std::path::PathBuf> {
    if let Ok(p) = std::env::var("CHANJIAO_DEMO_CATALOG") {
        return Some(p.into());
    }
    let p = std::path::PathBuf::from("../shared/data/major-catalog-2021.csv");
    p.exists().then_some(p)
}

/// The catalog level a school's majors come from.
fn catalog_level(school_level: &str) -> Option<&'static str> {
    match school_level {
        "secondary" => Some("VOCATIONAL_SECONDARY"),
        "higher_vocational" | "technician" => Some("VOCATIONAL_ASSOCIATE"),
        "vocational_bachelor" => Some("VOCATIONAL_BACHELOR"),
        _ => None,
    }
}

/// Generates the measure 5 demo; returns a one-line summary.
pub async fn generate(db: &Db, postings: usize) -> Result<String> {
    let actor = Actor::system("demo");
    if store::majors::current_catalog(db).await?.is_none() {
        let Some(path) = catalog_path() else {
            return Ok(
                "未找到专业目录文件（../shared/data/major-catalog-2021.csv 或 CHANJIAO_DEMO_CATALOG），跳过措施5演示数据"
                    .into(),
            );
        };
        let bytes = std::fs::read(&path)?;
        let out = web::features::majors::import_catalog(db, &actor, bytes, false, false)
            .await
            .map_err(|e| anyhow::anyhow!("演示专业目录导入失败：{e}"))?;
        if out.imported == 0 {
            anyhow::bail!("演示专业目录导入失败：{} 处问题", out.report.problems.len());
        }
    }
    let mut rng = StdRng::seed_from_u64(SEED);
    // Occupations, marked as demo data.
    let occs: Vec<NewOccupation> = OCCUPATIONS
        .iter()
        .map(|o| NewOccupation {
            code: o.code.to_string(),
            name: o.name.to_string(),
            level: "OCCUPATION".to_string(),
            parent_code: o.code.rsplit_once('-').map(|(p, _)| p.to_string()),
            description: Some(format!(
                "演示数据（非职业分类大典原文）：从事{}相关工作的人员。",
                o.name
            )),
        })
        .collect();
    let mut tx = db.begin().await?;
    store::occupations::import(&mut tx, &actor, &occs).await?;
    tx.commit().await?;

    // Crosswalk: a major leads to the occupations whose keywords its name contains (at most 3).
    let majors = store::majors::current_majors(db).await?;
    let mut mapped: HashMap<&str, Vec<(String, usize)>> = HashMap::new();
    let mut tx = db.begin().await?;
    for m in &majors {
        let occ_idx: Vec<usize> = OCCUPATIONS
            .iter()
            .enumerate()
            .filter(|(_, o)| o.keywords.iter().any(|k| m.name.contains(k)))
            .map(|(i, _)| i)
            .take(3)
            .collect();
        if occ_idx.is_empty() {
            continue;
        }
        let pairs: Vec<(String, Option<String>)> = occ_idx
            .iter()
            .map(|&i| (OCCUPATIONS[i].code.to_string(), Some("演示".to_string())))
            .collect();
        store::occupations::set_for_major(&mut tx, &actor, &m.level, &m.code, &pairs).await?;
        for &i in &occ_idx {
            mapped
                .entry(m.level.as_str())
                .or_default()
                .push((m.code.clone(), i));
        }
    }
    tx.commit().await?;
    // Per level: major code → mean yearly trend of its occupations.
    let mut by_level: HashMap<&str, Vec<(String, i32)>> = HashMap::new();
    for (level, pairs) in &mapped {
        let mut acc: HashMap<&str, (i32, i32)> = HashMap::new();
        for (code, i) in pairs {
            let e = acc.entry(code.as_str()).or_default();
            e.0 += OCCUPATIONS[*i].trend;
            e.1 += 1;
        }
        let mut v: Vec<(String, i32)> = acc
            .into_iter()
            .map(|(c, (t, n))| (c.to_string(), t / n))
            .collect();
        v.sort();
        by_level.insert(level, v);
    }

    // Supply: every vocational demo school offers 6–14 mapped majors of its level for 5 years.
    // Enrolment and graduates first; employment once the demand each major can expect is known.
    let schools = store::demo::schools_with_level(db).await?;
    let mut supply = Vec::new();
    // Per supply row: the major's trend and the school's quality.
    let mut traits: Vec<(i32, f64)> = Vec::new();
    for (id, level) in &schools {
        let Some(pool) = catalog_level(level).and_then(|l| by_level.get(l)) else {
            continue;
        };
        if pool.is_empty() {
            continue;
        }
        let n = rng.gen_range(6..=14).min(pool.len());
        let mut chosen = BTreeSet::new();
        while chosen.len() < n {
            chosen.insert(rng.gen_range(0..pool.len()));
        }
        for i in chosen {
            let (code, trend) = &pool[i];
            let base = rng.gen_range(40..=160) as f64;
            let school_quality: f64 = rng.gen_range(-0.05..0.04);
            for (k, year) in YEARS.enumerate() {
                // Enrolment follows demand with a lag and damping; declining majors shrink.
                let growth = 1.0 + (*trend as f64 / 100.0) * 0.5;
                let planned = (base * growth.powi(k as i32)).round().max(5.0) as i64;
                let actual = ((planned as f64) * rng.gen_range(0.85..1.02))
                    .round()
                    .max(3.0) as i64;
                let graduates = ((actual as f64) * rng.gen_range(0.88..0.98)).round() as i64;
                let salary = 380_000 + (*trend as i64) * 4_000 + rng.gen_range(0..80_000);
                supply.push(NewSupply {
                    school_org_id: *id,
                    major_code: code.clone(),
                    year,
                    planned_enrolment: planned,
                    actual_enrolment: actual.max(graduates),
                    graduates,
                    employed: 0,
                    employed_matching: 0,
                    avg_salary_fen: Some(salary),
                });
                traits.push((*trend, school_quality));
            }
        }
    }

    // Demand: each occupation's share of the postings blends its own weight with the
    // graduates of the majors it employs (labour markets and schools grew up together), then
    // follows the occupation's trend year by year.
    let occ_of: HashMap<&str, Vec<usize>> =
        mapped
            .values()
            .flatten()
            .fold(HashMap::new(), |mut m, (code, i)| {
                m.entry(code.as_str()).or_default().push(*i);
                m
            });
    // Majors (of any level) each occupation is shared among, as the alignment engine shares it.
    let mut sharing = vec![0usize; OCCUPATIONS.len()];
    for (_, i) in mapped.values().flatten() {
        sharing[*i] += 1;
    }
    let first_year = *YEARS.start();
    let mut follows = vec![0.0_f64; OCCUPATIONS.len()];
    for s in supply.iter().filter(|s| s.year == first_year) {
        if let Some(occ) = occ_of.get(s.major_code.as_str()) {
            for &i in occ {
                follows[i] += s.graduates as f64 / occ.len() as f64;
            }
        }
    }
    let follow_total = follows.iter().sum::<f64>().max(1.0);
    let weight_total: f64 = OCCUPATIONS.iter().map(|o| o.weight as f64).sum();
    let years: Vec<i64> = YEARS.collect();
    // share[k][i]: occupation i's share of year k's postings, relative to the first year's total
    // (so the shares of a year sum to that year's growth of total demand).
    let share: Vec<Vec<f64>> = (0..years.len())
        .map(|k| {
            OCCUPATIONS
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    let base = OWN_WEIGHT * o.weight as f64 / weight_total
                        + (1.0 - OWN_WEIGHT) * follows[i] / follow_total;
                    base * (1.0 + o.trend as f64 / 200.0).powi(k as i32)
                })
                .collect()
        })
        .collect();
    let graduates: HashMap<i64, i64> = supply.iter().fold(HashMap::new(), |mut m, s| {
        *m.entry(s.year).or_default() += s.graduates;
        m
    });
    let first = graduates.get(&first_year).copied().unwrap_or(0);
    // Employment follows what the major's graduates can expect city-wide: few posts per
    // graduate show as weaker employment and more graduates working outside their field, so a
    // major the figures call over-supplied has graduates who find it hard to get work.
    let mut city_graduates: HashMap<(&str, i64), i64> = HashMap::new();
    for s in &supply {
        *city_graduates
            .entry((s.major_code.as_str(), s.year))
            .or_default() += s.graduates;
    }
    let expected_ratio = |code: &str, year: i64| -> f64 {
        let k = (year - first_year) as usize;
        let demand: f64 = occ_of.get(code).map_or(0.0, |occ| {
            occ.iter()
                .map(|&i| first as f64 * DEMAND_PER_GRADUATE * share[k][i] / sharing[i] as f64)
                .sum()
        });
        let g = city_graduates
            .get(&(code, year))
            .copied()
            .unwrap_or(0)
            .max(1);
        demand / g as f64
    };
    let effects: Vec<f64> = supply
        .iter()
        .map(|s| {
            // Neutral where postings ask for one person per two graduates (the rest find work
            // through other channels); −4 points at a quarter, at most −10; at most +3 above.
            let r = expected_ratio(&s.major_code, s.year).max(1e-6);
            (0.06 * (r / 0.5).ln()).clamp(-0.10, 0.03)
        })
        .collect();
    for ((s, (trend, quality)), effect) in supply.iter_mut().zip(&traits).zip(effects) {
        let k = (s.year - first_year) as f64;
        let emp_rate = (0.935 + *trend as f64 / 300.0 + quality + effect
            - if *trend < -10 { 0.012 * k } else { 0.0 })
        .clamp(0.55, 0.99);
        let employed = ((s.graduates as f64) * emp_rate).round() as i64;
        let match_rate =
            (0.60 + *trend as f64 / 300.0 + effect + rng.gen_range(-0.2..0.15)).clamp(0.2, 0.95);
        let matching = ((employed as f64) * match_rate).round() as i64;
        s.employed = employed.min(s.graduates);
        s.employed_matching = matching.min(s.employed);
    }
    let mut tx = db.begin().await?;
    store::supply::import(&mut tx, &actor, &supply).await?;
    tx.commit().await?;

    // Postings: per year, occupations picked by their share of that year.
    let districts = district_weights();
    let per_year = (postings / years.len()).max(1);
    let mut rows: Vec<NewPosting> = Vec::with_capacity(postings);
    let noise = ["急招", "高薪诚聘", "", "", "", "储备"];
    let tails = ["（双休）", "（五险一金）", "", "", "学徒", "/熟练工"];
    for (k, year) in years.iter().enumerate() {
        // Each occupation gets its share of the year's people exactly (whatever the number of
        // postings, so a small demo has the same trends as a large one), spread over its share
        // of the postings (largest remainder, at least one each).
        let growth: f64 = share[k].iter().sum();
        let quotas: Vec<f64> = share[k]
            .iter()
            .map(|w| per_year as f64 * w / growth)
            .collect();
        let mut n_posts: Vec<usize> = quotas.iter().map(|q| q.floor() as usize).collect();
        let mut order: Vec<usize> = (0..quotas.len()).collect();
        order.sort_by(|&a, &b| {
            (quotas[b] - quotas[b].floor()).total_cmp(&(quotas[a] - quotas[a].floor()))
        });
        let short = per_year.saturating_sub(n_posts.iter().sum());
        for &i in order.iter().take(short) {
            n_posts[i] += 1;
        }
        while let Some(z) = n_posts.iter().position(|n| *n == 0) {
            let Some(max) = (0..n_posts.len()).max_by_key(|&i| n_posts[i]) else {
                break;
            };
            if n_posts[max] <= 1 {
                break;
            }
            n_posts[max] -= 1;
            n_posts[z] = 1;
        }
        let mut slots: Vec<(usize, i64)> = Vec::with_capacity(per_year);
        for (i, &n) in n_posts.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let people = (first as f64 * DEMAND_PER_GRADUATE * share[k][i]).round() as i64;
            let n = n as i64;
            for j in 0..n {
                let count = people / n + i64::from(j < people % n);
                // (Only when an occupation has fewer people than postings.)
                if count > 0 {
                    slots.push((i, count));
                }
            }
        }
        slots.shuffle(&mut rng);
        for (i, count) in slots {
            let o = &OCCUPATIONS[i];
            let district = pick(&mut rng, &districts).to_string();
            let month = rng.gen_range(1..=12);
            let day = rng.gen_range(1..=28);
            let free_text = rng.gen_range(0..100) < 4;
            let (title, code, st) = if free_text {
                let t = format!(
                    "{}{}{}",
                    noise[rng.gen_range(0..noise.len())],
                    o.name,
                    tails[rng.gen_range(0..tails.len())]
                );
                (t, None, status::PENDING)
            } else {
                (o.name.to_string(), Some(o.code.to_string()), status::GIVEN)
            };
            let min = rng.gen_range(35..=80) * 10_000;
            rows.push(NewPosting {
                source: "posting",
                org_id: None,
                district,
                industry_code: o.industry.to_string(),
                title,
                occupation_code: code,
                match_status: st,
                match_confidence: None,
                suggested_code: None,
                count,
                posted_on: format!("{year}-{month:02}-{day:02}"),
                year: *year,
                salary_min_fen: Some(min),
                salary_max_fen: Some(min + rng.gen_range(5..=30) * 10_000),
            });
        }
    }
    // A few titles no occupation fits, for the confirmation queue.
    for (j, t) in ["网络主播助理", "门店店长（连锁）", "储备干部"]
        .iter()
        .enumerate()
    {
        for n in 0..(20 + j * 10) {
            let year = 2025;
            rows.push(NewPosting {
                source: "posting",
                org_id: None,
                district: "500112".into(),
                industry_code: String::new(),
                title: t.to_string(),
                occupation_code: None,
                match_status: status::PENDING,
                match_confidence: None,
                suggested_code: None,
                count: 1,
                posted_on: format!("{year}-06-{:02}", 1 + n % 28),
                year,
                salary_min_fen: None,
                salary_max_fen: None,
            });
        }
    }
    let docs: Vec<analytics::matcher::OccupationDoc> = occs
        .iter()
        .map(|o| analytics::matcher::OccupationDoc {
            code: o.code.clone(),
            name: o.name.clone(),
            description: o.description.clone().unwrap_or_default(),
        })
        .collect();
    let params = policy::ParamSet::embedded()?;
    let (min, _) = params.rate(
        "majors.match_confidence_min",
        domain::calendar::today_shanghai(),
    )?;
    let matcher = analytics::matcher::Matcher::new(&docs);
    web::features::demand::match_rows(&matcher, &HashMap::new(), min.ppm(), &mut rows);
    let mut tx = db.begin().await?;
    store::demand::import(&mut tx, &actor, "演示数据", &rows).await?;
    tx.commit().await?;
    Ok(format!(
        "专业目录 {} 个专业、演示职业 {} 个、专业供给 {} 行、岗位需求 {} 行",
        majors.len(),
        occs.len(),
        supply.len(),
        rows.len()
    ))
}
