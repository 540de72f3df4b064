use policy::ParamSet;
use policy::money::Rate;
use proptest::prelude::*;

use super::*;

fn major(code: &str, name: &str, cat: &str) -> MajorInfo {
    MajorInfo {
        level: "VOCATIONAL_ASSOCIATE".into(),
        code: code.into(),
        name: name.into(),
        category_code: cat.into(),
        category_name: format!("大类{cat}"),
    }
}

fn school(id: i64, district: &str) -> SchoolInfo {
    SchoolInfo {
        id,
        name: format!("学校{id}"),
        district: district.into(),
    }
}

fn offering(school: u32, major: u32, year: i32, g: i64, e: i64, m: i64) -> Offering {
    Offering {
        school,
        major,
        year,
        planned: g + 5,
        actual: g + 2,
        graduates: g,
        employed: e,
        employed_matching: m,
        salary_fen: None,
    }
}

fn row(district: &str, industry: &str, occupation: u32, year: i32, count: i64) -> DemandRow {
    DemandRow {
        district: district.into(),
        industry: industry.into(),
        occupation,
        year,
        count,
    }
}

fn params() -> ParamSet {
    ParamSet::embedded().expect("embedded parameters load")
}

fn thresholds(m: &Measures) -> YearThresholds {
    YearThresholds::resolve(&params(), m.years()).unwrap()
}

const YUZHONG: &str = "500103";
const YUBEI: &str = "500112";

/// Three majors; occupation 0 shared by all three, 1 by majors 0 and 1, 2 only major 1,
/// 3 mapped to none: L = lcm(3, 2, 1) = 6.
fn sharing() -> Dataset {
    let majors = vec![
        major("510201", "计算机应用技术", "51"),
        major("510203", "软件技术", "51"),
        major("460104", "机械制造及自动化", "46"),
    ];
    let occupations = ["4-04-05-01", "2-02-10-03", "4-04-05-02", "4-99-00-00"]
        .map(String::from)
        .to_vec();
    let crosswalk = vec![(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (1, 2), (1, 2)];
    let schools = vec![school(101, YUZHONG), school(102, YUBEI)];
    let offerings = vec![
        Offering {
            salary_fen: Some(400_000),
            ..offering(0, 0, 2024, 10, 9, 6)
        },
        Offering {
            salary_fen: Some(500_001),
            ..offering(1, 0, 2024, 30, 27, 20)
        },
        offering(1, 1, 2024, 0, 0, 0),
    ];
    let demand = vec![
        row(YUBEI, "C3974", 0, 2024, 1), // t3-01, emerging: 2 units to each of 0, 1, 2
        row(YUZHONG, "C3612", 1, 2024, 1), // t1-01, not emerging: 3 units to 0 and 1
        row(YUBEI, "F5191", 2, 2024, 2), // neither: 12 units to 1
        row(YUBEI, "C3974", 3, 2024, 5), // unmapped
    ];
    Dataset::from_rows(majors, occupations, crosswalk, schools, offerings, demand).unwrap()
}

#[test]
fn shares_demand_equally_in_exact_units() {
    let ds = sharing();
    let m = compute(&ds, IndustryMap::embedded()).unwrap();
    assert_eq!(m.lcm(), 6);
    assert_eq!(m.occupation_majors(), &[3, 2, 1, 0]);
    let d = |major| m.city(major, 2024).unwrap().demand;
    assert_eq!(
        d(0),
        Demand {
            units: 5,
            emerging_units: 2,
            cluster_units: 5,
            priority_units: 5
        }
    );
    assert_eq!(
        d(1),
        Demand {
            units: 17,
            emerging_units: 2,
            cluster_units: 5,
            priority_units: 5
        }
    );
    assert_eq!(d(2).units, 2);
    assert_eq!(m.posts(d(0).units).fixed(2), "0.83");
    assert_eq!(m.posts(d(1).units).fixed(2), "2.83");
    assert_eq!(m.posts(d(2).units).fixed(2), "0.33");
    let un = m.unmapped(2024).unwrap();
    assert_eq!(
        (un.postings, un.emerging_postings, un.cluster_postings),
        (5, 5, 5)
    );
    // Nothing lost: Σ units + unmapped × L = Σ posts × L.
    assert_eq!(5 + 17 + 2 + 5 * 6, 9 * 6);
    assert_eq!(m.total_postings(), 9);
}

#[test]
fn supply_and_rates_at_city_and_district_grains() {
    let ds = sharing();
    let m = compute(&ds, IndustryMap::embedded()).unwrap();
    let c = m.city(0, 2024).unwrap();
    assert_eq!(c.supply.offerings, 2);
    assert_eq!(c.supply.graduates, 40);
    assert_eq!(c.supply.employed, 36);
    assert_eq!(c.supply.employed_matching, 26);
    assert_eq!(c.supply.planned, 50);
    // (4000.00 × 10 + 5000.01 × 30) / 40 = 4750.0075 → 4750.01 元
    assert_eq!(c.supply.average_salary_fen(), Some(475_001));
    assert_eq!(c.supply.employment_rate().unwrap().percent(2), "90.00%");
    assert_eq!(c.supply.matching_rate().unwrap().percent(2), "72.22%");
    // ratio = (5/6) / 40
    assert_eq!(
        m.ratio(c.demand.units, 40).unwrap(),
        Ratio { num: 5, den: 240 }
    );
    assert_eq!(m.ratio(c.demand.units, 40).unwrap().fixed(2), "0.02");
    // Zero graduates: rates undefined.
    let z = m.city(1, 2024).unwrap();
    assert_eq!(z.supply.offerings, 1);
    assert_eq!(m.ratio(z.demand.units, z.supply.graduates), None);
    assert_eq!(z.supply.employment_rate(), None);

    // Districts: supply where the school is, demand where the posting is.
    let yz = m.district_index(YUZHONG).unwrap();
    let yb = m.district_index(YUBEI).unwrap();
    let a = m.district(yz, 0, 2024).unwrap();
    assert_eq!((a.supply.graduates, a.demand.units), (10, 3));
    let b = m.district(yb, 0, 2024).unwrap();
    assert_eq!((b.supply.graduates, b.demand.units), (30, 2));
    assert!(!m.district(yz, 2, 2024).unwrap().is_present());
    let rows: Vec<_> = m.district_rows().map(|(k, mj, y, _)| (k, mj, y)).collect();
    assert_eq!(
        rows,
        vec![
            (yb, 0, 2024),
            (yb, 1, 2024),
            (yb, 2, 2024),
            (yz, 0, 2024),
            (yz, 1, 2024)
        ]
    );
    let un: Vec<_> = m
        .unmapped_district_rows()
        .map(|(k, y, u)| (k, y, u.postings))
        .collect();
    assert_eq!(un, vec![(yb, 2024, 5)]);
}

#[test]
fn cluster_and_category_grains() {
    let ds = sharing();
    let m = compute(&ds, IndustryMap::embedded()).unwrap();
    let display = m.clusters().iter().position(|c| c.code == "t3-01").unwrap();
    let cars = m.clusters().iter().position(|c| c.code == "t1-01").unwrap();
    let t = m.cluster(display, 2024).unwrap();
    assert_eq!(
        *t,
        ClusterTotals {
            postings: 6,
            emerging_postings: 6,
            unmapped_postings: 5,
            units: 6,
            majors: 3
        }
    );
    let t = m.cluster(cars, 2024).unwrap();
    assert_eq!(
        (t.postings, t.emerging_postings, t.units, t.majors),
        (1, 0, 6, 2)
    );
    assert_eq!(
        *m.cluster_major(display, 1, 2024).unwrap(),
        ClusterDemand {
            units: 2,
            emerging_units: 2
        }
    );
    assert_eq!(m.cluster_major(cars, 1, 2024).unwrap().units, 3);
    assert_eq!(m.cluster_major(cars, 2, 2024).unwrap().units, 0);
    assert_eq!(m.cluster_rows().count(), 2);
    assert_eq!(m.cluster_major_rows().count(), 5);

    let cats = m.categories();
    assert_eq!(cats.len(), 2);
    assert_eq!(cats[0].code, "51");
    let it = m.category(0, 2024).unwrap();
    assert_eq!(it.demand.units, 22);
    assert_eq!(it.supply.graduates, 40);
    assert_eq!(it.supply.offerings, 3);
    assert_eq!(m.category(1, 2024).unwrap().demand.units, 2);
    assert_eq!(m.category_of(2), Some(1));
}

#[test]
fn industry_map_longest_prefix_wins() {
    let map = IndustryMap::embedded();
    let c = |code: &str| {
        let k = map.classify(code);
        (k.cluster().map(|c| c.code), k.strategic_emerging)
    };
    assert_eq!(c("C3974"), (Some("t3-01"), true));
    assert_eq!(c("3974"), (Some("t3-01"), true));
    assert_eq!(c("C3971"), (Some("t1-02"), true));
    assert_eq!(c("C39"), (Some("t1-02"), true));
    assert_eq!(c("C3612"), (Some("t1-01"), false));
    assert_eq!(c("C3751"), (Some("t3-02"), false));
    assert_eq!(c("I6520"), (Some("t4-01"), true));
    assert_eq!(c("I6510"), (Some("t2-03"), true));
    assert_eq!(c("C2740"), (Some("t4-11"), true));
    assert_eq!(c("F5191"), (None, false));
    assert_eq!(c(""), (None, false));
    assert!(map.rules().len() > 40);
    assert!(
        IndustryMap::parse("prefix,cluster,strategic_emerging,name\n39,t9-99,1,x\n")
            .unwrap_err()
            .to_string()
            .contains("不是“33618”产业集群代码")
    );
    assert!(
        IndustryMap::parse("prefix,cluster,strategic_emerging,name\n3x,,1,x\n")
            .unwrap_err()
            .to_string()
            .contains("2—4 位数字")
    );
}

/// One major per class, each with one offering (at school 0) in 2024; demand in 2022 and
/// 2024 (no data at all in 2023). Every occupation maps to one major (L = 1).
///
/// | major | demand 2022→2024 | grads | employed | matching | expected |
/// |---|---|---|---|---|---|
/// | 0 | 10 → 12 (C39, +20%) | 20 | 18 | 10 | develop |
/// | 1 | 30 → 30 (F52) | 20 | 18 | 10 | accelerate (ratio 1.5) |
/// | 2 | 10 → 10 | 20 | 18 | 10 | merge (ratio 0.5) |
/// | 3 | 20 → 20 | 20 | 16 | 10 | merge (employment 80%) |
/// | 4 | 25 → 20 (−20%) | 20 | 18 | 10 | merge (decline) |
/// | 5 | 20 → 20 | 20 | 18 | 8 | upgrade (44%) |
/// | 6 | 40 → 40 | 20 + 20 | 18 + 18 | 10 + 8 | keep (50%); 2nd offering upgrade |
/// | 7 | 9 → 9 | 9 | 9 | 9 | keep (small sample) |
fn classes() -> Dataset {
    let majors = (0..8)
        .map(|i| major(&format!("51020{i}"), &format!("专业{i}"), "51"))
        .collect();
    let occupations = (0..8).map(|i| format!("4-04-05-0{i}")).collect();
    let crosswalk = (0..8).map(|i| (i, i)).collect();
    let schools = vec![school(1, YUZHONG), school(2, YUBEI)];
    let mut offerings = vec![
        offering(0, 0, 2024, 20, 18, 10),
        offering(0, 1, 2024, 20, 18, 10),
        offering(0, 2, 2024, 20, 17, 10),
        offering(0, 3, 2024, 20, 16, 10),
        offering(0, 4, 2024, 20, 18, 10),
        offering(0, 5, 2024, 20, 18, 8),
        offering(0, 6, 2024, 20, 18, 10),
        offering(0, 7, 2024, 9, 9, 9),
    ];
    offerings.push(offering(1, 6, 2024, 20, 18, 8));
    let plan: [(i64, i64, &str); 8] = [
        (10, 12, "C3911"),
        (30, 30, "F5291"),
        (10, 10, "F5291"),
        (20, 20, "F5291"),
        (25, 20, "F5291"),
        (20, 20, "F5291"),
        (40, 40, "F5291"),
        (9, 9, "F5291"),
    ];
    let mut demand = Vec::new();
    for (o, (d22, d24, ind)) in plan.iter().enumerate() {
        demand.push(row(YUBEI, ind, o as u32, 2022, *d22));
        demand.push(row(YUZHONG, ind, o as u32, 2024, *d24));
    }
    Dataset::from_rows(majors, occupations, crosswalk, schools, offerings, demand).unwrap()
}

#[test]
fn every_class_by_the_rule_order() {
    let ds = classes();
    let m = compute(&ds, IndustryMap::embedded()).unwrap();
    assert_eq!(m.years(), &[2022, 2024]);
    let t = thresholds(&m);
    let c = classify(&ds, &m, &t).unwrap();
    let major = |i| c.major(i, 2024).unwrap();
    assert_eq!(major(0).class, Class::Develop);
    assert!(
        major(0)
            .tests
            .contains(Tests::PRIORITY_SHARE | Tests::GROWTH)
    );
    assert_eq!(major(1).class, Class::Accelerate);
    assert_eq!(major(2).class, Class::MergeEliminate);
    assert_eq!(major(2).reasons(), vec!["供给过剩"]);
    assert_eq!(major(3).class, Class::MergeEliminate);
    assert_eq!(major(3).reasons(), vec!["就业率低"]);
    assert_eq!(major(4).class, Class::MergeEliminate);
    assert_eq!(major(4).reasons(), vec!["需求萎缩（职业岗位趋于消失）"]);
    assert_eq!(major(5).class, Class::Upgrade);
    assert_eq!(major(6).class, Class::Keep);
    assert_eq!(major(6).tests, Tests::HIGH_EMPLOYMENT);
    assert_eq!(major(6).reasons(), vec!["各项指标均在正常范围"]);
    assert_eq!(major(7).class, Class::Keep);
    assert_eq!(major(7).reasons(), vec!["样本不足"]);
    // Offerings: own employment figures, city demand.
    let classes: Vec<Class> = c.offerings.iter().map(|v| v.class).collect();
    use Class::*;
    assert_eq!(
        classes,
        vec![
            Develop,
            Accelerate,
            MergeEliminate,
            MergeEliminate,
            MergeEliminate,
            Upgrade,
            Keep,
            Keep,
            Upgrade
        ]
    );
    // 2022: demand only, no graduates → keep (small sample).
    assert!((0..8).all(|i| c.major(i, 2022).unwrap().class == Keep));
    assert_eq!(c.major_counts(), [1, 1, 3, 1, 10]);
    assert_eq!(c.offering_counts(), [1, 1, 3, 2, 2]);
}

#[test]
fn explanations_cite_every_threshold() {
    let ds = classes();
    let m = compute(&ds, IndustryMap::embedded()).unwrap();
    let t = thresholds(&m);
    for (i, class) in [
        (0, Class::Develop),
        (1, Class::Accelerate),
        (2, Class::MergeEliminate),
        (5, Class::Upgrade),
        (6, Class::Keep),
        (7, Class::Keep),
    ] {
        let d = explain_major(&ds, &m, &t, i, 2024).unwrap();
        assert_eq!(d.outcome.class, class);
        let text = policy::render_text(&d.trace);
        assert!(text.contains(class.label()), "{text}");
        for key in [
            "majors.min_graduates",
            "majors.emerging_share",
            "majors.growth_rate",
            "majors.window_years",
            "majors.shortage_ratio",
            "majors.surplus_ratio",
            "majors.min_employment_rate",
            "majors.high_employment_rate",
            "majors.decline_rate",
            "majors.min_matching_rate",
        ] {
            assert!(text.contains(key), "{key} missing in\n{text}");
        }
        assert!(text.contains("渝发改社会〔2023〕1271号 第5条"), "{text}");
        assert!(text.contains("默认值，待运营方确认"), "{text}");
        let last = d.trace.last().unwrap();
        assert_eq!(last.title, "结论");
        assert_eq!(last.result, serde_json::json!(class.key()));
        assert!(d.trace.iter().flat_map(|s| &s.params).all(|p| !p.verified));
    }
    let accel = policy::render_text(&explain_major(&ds, &m, &t, 1, 2024).unwrap().trace);
    assert!(
        accel.contains("全市需求 30.00 ÷ 全市毕业生 20 = 1.50，≥ 紧缺下限 1.5"),
        "{accel}"
    );
    assert!(accel.contains("首先成立的是规则3"), "{accel}");
    let small = policy::render_text(&explain_major(&ds, &m, &t, 7, 2024).unwrap().trace);
    assert!(small.contains("样本不足"), "{small}");
    let dev = policy::render_text(&explain_major(&ds, &m, &t, 0, 2024).unwrap().trace);
    assert!(
        dev.contains("2022—2024 年）需求变化 20.00%，≥ 增长下限 20%"),
        "{dev}"
    );
    // An offering: own rates, city demand.
    let off = explain_offering(&ds, &m, &t, 8).unwrap();
    assert_eq!(off.outcome.class, Class::Upgrade);
    let text = policy::render_text(&off.trace);
    assert!(text.contains("学校2 专业6（510206） 2024 年"), "{text}");
    assert!(text.contains("对口就业 8 ÷ 就业 18 = 44.44%"), "{text}");
    assert!(text.contains("全市该专业毕业生 40 人"), "{text}");
    assert!(explain_offering(&ds, &m, &t, 99).is_err());
    assert!(explain_major(&ds, &m, &t, 0, 2023).is_err());
}

fn evidence(grads: i64, emp: i64, matching: i64, demand: i128, base: i128) -> Evidence {
    Evidence {
        year: 2024,
        base_year: 2022,
        graduates: grads,
        employed: emp,
        employed_matching: matching,
        city_graduates: grads,
        demand_units: demand,
        emerging_units: 0,
        cluster_units: 0,
        priority_units: 0,
        base_demand_units: base,
        lcm: 1,
    }
}

#[test]
fn thresholds_hold_exactly_at_the_boundary() {
    let t = Thresholds::resolve(&params(), 2024).unwrap().values;
    // min_graduates 10: 10 is enough, 9 is not.
    assert!(
        !evidence(10, 9, 9, 10, 10)
            .tests(&t)
            .contains(Tests::SMALL_SAMPLE)
    );
    assert!(
        evidence(9, 9, 9, 10, 10)
            .tests(&t)
            .contains(Tests::SMALL_SAMPLE)
    );
    // shortage 1.5: ratio exactly 1.5 holds, just below does not (units of 1/L).
    assert!(
        evidence(20, 18, 18, 30, 30)
            .tests(&t)
            .contains(Tests::SHORTAGE)
    );
    let mut e = evidence(20, 18, 18, 59, 59);
    e.lcm = 2; // 29.5 posts / 20 = 1.475
    assert!(!e.tests(&t).contains(Tests::SHORTAGE));
    // surplus 0.5: exactly 0.5 holds, just above does not.
    assert!(
        evidence(20, 18, 18, 10, 10)
            .tests(&t)
            .contains(Tests::SURPLUS)
    );
    let mut e = evidence(20, 18, 18, 21, 21);
    e.lcm = 2;
    assert!(!e.tests(&t).contains(Tests::SURPLUS));
    // employment 0.85: exactly 85% is not low; 84.99…% is.
    assert!(
        !evidence(20, 17, 17, 20, 20)
            .tests(&t)
            .contains(Tests::LOW_EMPLOYMENT)
    );
    assert!(
        evidence(2000, 1699, 1699, 2000, 2000)
            .tests(&t)
            .contains(Tests::LOW_EMPLOYMENT)
    );
    // matching 0.5: exactly half is not low.
    assert!(
        !evidence(20, 18, 9, 20, 20)
            .tests(&t)
            .contains(Tests::LOW_MATCHING)
    );
    assert!(
        evidence(20, 18, 8, 20, 20)
            .tests(&t)
            .contains(Tests::LOW_MATCHING)
    );
    // decline 0.2: a fall of exactly 20% holds, 19.99% does not.
    assert!(
        evidence(20, 18, 18, 20, 25)
            .tests(&t)
            .contains(Tests::DECLINE)
    );
    assert!(
        !evidence(20, 18, 18, 2001, 2500)
            .tests(&t)
            .contains(Tests::DECLINE)
    );
    // growth 0.2 and share 0.5, both at the boundary → develop.
    let mut e = evidence(20, 18, 18, 12, 10);
    e.priority_units = 6;
    assert_eq!(e.verdict(&t).class, Class::Develop);
    e.priority_units = 5; // 41.7%
    assert_ne!(e.verdict(&t).class, Class::Develop);
    let mut e = evidence(20, 18, 18, 11, 10); // +10%
    e.priority_units = 11;
    assert!(!e.tests(&t).contains(Tests::GROWTH));
    // No base-year demand: no trend, neither growth nor decline.
    let e = evidence(20, 18, 18, 20, 0);
    assert_eq!(e.demand_change(), None);
    assert!(!e.tests(&t).contains(Tests::GROWTH) && !e.tests(&t).contains(Tests::DECLINE));
}

#[test]
fn few_postings_close_a_major_only_when_its_graduates_struggle_to_find_work() {
    let t = Thresholds::resolve(&params(), 2024).unwrap().values;
    assert_eq!(t.high_employment_rate, Rate::parse("0.9").unwrap());
    // 200 graduates, 60 posts (ratio 0.30 ≤ 0.5), demand steady.
    let at = |employed: i64, matching: i64| evidence(200, employed, matching, 60, 60);
    // 95% employed: the graduates find work; not 撤并淘汰, and the reason says why.
    let e = at(190, 150);
    let v = e.verdict(&t);
    assert!(v.tests.contains(Tests::SURPLUS | Tests::HIGH_EMPLOYMENT));
    assert_eq!(v.class, Class::Keep);
    assert_eq!(v.reasons(), vec!["岗位需求少于毕业生，但就业率良好"]);
    let why = e.summary(&t, true);
    for part in [
        "岗位需求与毕业生之比 0.30",
        "不高于供给过剩线 0.5",
        "本校 2024 年毕业生就业率 95.0%",
        "达到就业良好线 90%",
        "不列为撤并淘汰",
    ] {
        assert!(why.contains(part), "{part} in {why}");
    }
    // Exactly at the line counts as good employment.
    assert_eq!(at(180, 150).verdict(&t).class, Class::Keep);
    // Below it (but not low): over-supply closes the major, with both figures named.
    let e = at(179, 150);
    let v = e.verdict(&t);
    assert_eq!(v.class, Class::MergeEliminate);
    assert_eq!(v.reasons(), vec!["供给过剩"]);
    let why = e.summary(&t, false);
    assert!(
        why.contains("全市 2024 年毕业生就业率 89.5%，也未达到就业良好线 90%：供给过剩"),
        "{why}"
    );
    // Low employment as well: both reasons, each with its figure.
    let e = at(160, 150);
    assert_eq!(e.verdict(&t).reasons(), vec!["供给过剩", "就业率低"]);
    let why = e.summary(&t, true);
    assert!(why.contains("不高于供给过剩线 0.5：供给过剩"), "{why}");
    assert!(
        why.contains("就业率 80.0%，低于最低就业率 85%：就业率低"),
        "{why}"
    );
    // Well employed but out of field: upgrading, and the reason says why not closing.
    let e = at(190, 80);
    assert_eq!(e.verdict(&t).class, Class::Upgrade);
    let why = e.summary(&t, true);
    assert!(
        why.contains("不列为撤并淘汰") && why.contains("对口就业占 42.1%，低于 50%"),
        "{why}"
    );
    // Jobs disappearing still count whatever the employment today, and the reason names both.
    let e = evidence(200, 190, 150, 60, 100);
    let v = e.verdict(&t);
    assert_eq!(v.class, Class::MergeEliminate);
    assert_eq!(v.reasons(), vec!["需求萎缩（职业岗位趋于消失）"]);
    let why = e.summary(&t, true);
    assert!(
        why.contains("2022—2024 年全市该专业岗位需求下降 40.0%，降幅达到 20%：职业岗位趋于消失")
            && why.contains("本校 2024 年毕业生就业率 95.0%，目前就业尚好"),
        "{why}"
    );
    // The line must lie above the minimum employment rate.
    let mut s = Thresholds::resolve(&params(), 2024).unwrap();
    s.set("high_employment_rate", "80%").unwrap();
    let err = s.values.validate().unwrap_err().to_string();
    assert!(err.contains("就业良好线 80% 应高于最低就业率 85%"), "{err}");
}

#[test]
fn every_reason_is_plain_words_with_grouped_figures() {
    let ds = classes();
    let m = compute(&ds, IndustryMap::embedded()).unwrap();
    let t = thresholds(&m);
    for i in 0..8 {
        let why = summarize_major(&m, &t, i, 2024).unwrap();
        assert!(!why.contains("majors.") && !why.contains('/'), "{why}");
        assert!(!why.contains("规则"), "no rule numbers: {why}");
    }
    let why = |i| summarize_major(&m, &t, i, 2024).unwrap();
    assert!(why(0).contains("属新兴专业"), "{}", why(0));
    assert!(why(1).contains("达到紧缺线 1.5"), "{}", why(1));
    assert!(why(3).contains("就业率低"), "{}", why(3));
    assert!(why(6).contains("均在正常范围"), "{}", why(6));
    assert!(why(7).contains("人数太少"), "{}", why(7));
    assert_eq!(
        summarize_offering(&ds, &m, &t, 8).unwrap(),
        "本校就业的毕业生中对口就业占 44.4%，低于 50%：专业与岗位对接不紧，宜改造升级"
    );
    // Thousands are grouped in reasons.
    let v = Thresholds::resolve(&params(), 2024).unwrap().values;
    let e = evidence(12_000, 11_500, 9_000, 3_000, 3_000);
    assert!(
        e.summary(&v, false)
            .contains("岗位需求约 3,000 人、毕业生 12,000 人"),
        "{}",
        e.summary(&v, false)
    );
}

#[test]
fn zero_graduates_leave_rates_undefined() {
    let base = Thresholds::resolve(&params(), 2024).unwrap();
    let e = evidence(0, 0, 0, 50, 10);
    assert_eq!(e.ratio(), None);
    assert_eq!(e.employment_rate(), None);
    assert_eq!(e.matching_rate(), None);
    assert_eq!(e.verdict(&base.values).class, Class::Keep);
    assert_eq!(
        e.verdict(&base.values).tests,
        Tests::SMALL_SAMPLE | Tests::GROWTH
    );
    // With min_graduates 0, no test on an undefined rate holds: not a shortage despite demand.
    let mut t = base.clone();
    t.set("min_graduates", "0").unwrap();
    let v = e.verdict(&t.values);
    assert_eq!(v.tests, Tests::GROWTH);
    assert_eq!(v.class, Class::Keep);
    assert_eq!(v.reasons(), vec!["各项指标均在正常范围"]);
    // Graduates but nobody employed: employment 0% is low; matching undefined.
    let v = evidence(20, 0, 0, 20, 20).verdict(&base.values);
    assert_eq!(v.class, Class::MergeEliminate);
    assert!(!v.tests.contains(Tests::LOW_MATCHING));
    // Graduates but no demand: ratio 0 → surplus.
    let v = evidence(20, 18, 18, 0, 0).verdict(&base.values);
    assert!(v.tests.contains(Tests::SURPLUS));
}

#[test]
fn scenario_lists_exactly_the_changed_items() {
    let ds = classes();
    let m = compute(&ds, IndustryMap::embedded()).unwrap();
    let base = thresholds(&m);
    let same = base.with_overrides([("shortage_ratio", "1.5")]).unwrap();
    assert_eq!(
        compare(&ds, &m, &base, &same).unwrap(),
        ScenarioDiff::default()
    );

    let sc = base
        .with_overrides([("shortage_ratio", "1.6"), ("majors.growth_rate", "25%")])
        .unwrap();
    let diff = compare(&ds, &m, &base, &sc).unwrap();
    let majors: Vec<_> = diff
        .majors
        .iter()
        .map(|c| (c.major, c.year, c.from.class, c.to.class))
        .collect();
    assert_eq!(
        majors,
        vec![
            (0, 2024, Class::Develop, Class::Keep),
            (1, 2024, Class::Accelerate, Class::Keep)
        ]
    );
    let offerings: Vec<_> = diff
        .offerings
        .iter()
        .map(|c| (c.offering, c.from.class, c.to.class))
        .collect();
    assert_eq!(
        offerings,
        vec![
            (0, Class::Develop, Class::Keep),
            (1, Class::Accelerate, Class::Keep)
        ]
    );
    // The scenario's explanation cites the scenario value and the parameter it replaces.
    let d = explain_major(&ds, &m, &sc, 1, 2024).unwrap();
    let text = policy::render_text(&d.trace);
    assert!(text.contains("情景分析设定值（替代参数值 1.5"), "{text}");
    assert!(text.contains("1.6"), "{text}");
    let t = sc.get(2024).unwrap();
    assert!(t.is_overridden(ThresholdKey::ShortageRatio));
    assert_eq!(t.values.growth_rate, Rate::parse("0.25").unwrap());
    assert!(!t.is_overridden(ThresholdKey::SurplusRatio));
}

#[test]
fn scenario_inputs_are_checked_in_chinese() {
    let base = Thresholds::resolve(&params(), 2024).unwrap();
    let err = |k: &str, v: &str| {
        let mut t = base.clone();
        t.set(k, v).unwrap_err().to_string()
    };
    assert!(err("colour", "1").contains("未知的阈值"));
    assert!(err("shortage_ratio", "abc").contains("不是小数"));
    assert!(err("shortage_ratio", "").contains("未填写"));
    assert!(err("min_employment_rate", "1.2").contains("应在 0 与 1 之间"));
    assert!(err("min_employment_rate", "-0.1").contains("应在 0 与 1 之间"));
    assert!(err("window_years", "0").contains("1 至 10"));
    assert!(err("window_years", "2.5").contains("不是整数"));
    assert!(err("min_graduates", "-1").contains("最少毕业生数"));
    let mut t = base.clone();
    t.set("最低就业率", "90%").unwrap();
    assert_eq!(t.values.min_employment_rate, Rate::parse("0.9").unwrap());
    let ys = YearThresholds::resolve(&params(), &[2024]).unwrap();
    let e = ys
        .with_overrides([("surplus_ratio", "2")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("应高于过剩需求供给比"), "{e}");
    // Both at once is fine when consistent.
    ys.with_overrides([("surplus_ratio", "2"), ("shortage_ratio", "3")])
        .unwrap();
}

#[test]
fn parameters_load_with_sources() {
    let p = params();
    let t = Thresholds::resolve(&p, 2024).unwrap();
    let v = t.values;
    assert_eq!(v.window_years, 3);
    assert_eq!(v.shortage_ratio, Rate::parse("1.5").unwrap());
    assert_eq!(v.surplus_ratio, Rate::parse("0.5").unwrap());
    assert_eq!(v.min_employment_rate, Rate::parse("0.85").unwrap());
    assert_eq!(v.min_matching_rate, Rate::parse("0.5").unwrap());
    assert_eq!(v.decline_rate, Rate::parse("0.2").unwrap());
    assert_eq!(v.emerging_share, Rate::parse("0.5").unwrap());
    assert_eq!(v.growth_rate, Rate::parse("0.2").unwrap());
    assert_eq!(v.min_graduates, 10);
    assert_eq!(v.match_confidence_min, Rate::parse("0.6").unwrap());
    for u in t.all_used() {
        assert_eq!(u.measure, Some(5), "{}", u.key);
        assert!(!u.verified, "{}", u.key);
        assert!(
            u.source.contains("渝发改社会〔2023〕1271号 第5条"),
            "{}",
            u.key
        );
    }
    assert_eq!(lookup_date(2021).unwrap().to_string(), "2021-12-31");
    assert!(Thresholds::resolve(&p, 1999).is_err());
}

#[test]
fn bad_data_is_named_in_chinese() {
    let map = IndustryMap::embedded();
    let mut ds = sharing();
    ds.offerings[0].employed = 11;
    let e = compute(&ds, map).unwrap_err().to_string();
    assert!(
        e.contains("开设记录第 1 条：就业人数 11 超过毕业生数 10"),
        "{e}"
    );

    let mut ds = sharing();
    ds.offerings[1].employed_matching = 28;
    assert!(
        compute(&ds, map)
            .unwrap_err()
            .to_string()
            .contains("对口就业人数 28 超过就业人数 27")
    );

    let mut ds = sharing();
    ds.offerings.push(ds.offerings[2]);
    let e = compute(&ds, map).unwrap_err().to_string();
    assert!(
        e.contains("开设记录重复") && e.contains("第 3 条与第 4 条"),
        "{e}"
    );

    let mut ds = sharing();
    ds.add_demand(YUBEI, "", 0, 2024, 0).unwrap();
    let e = compute(&ds, map).unwrap_err().to_string();
    assert!(e.contains("岗位需求第 5 条：岗位数应为 1"), "{e}");

    let mut ds = sharing();
    ds.add_demand(YUBEI, "", 9, 2024, 1).unwrap();
    assert!(
        compute(&ds, map)
            .unwrap_err()
            .to_string()
            .contains("职业序号 9 超出范围")
    );

    let mut ds = sharing();
    let mut p = ds.postings[0];
    p.district = ds.districts.len() as u16;
    ds.postings.push(p);
    assert!(
        compute(&ds, map)
            .unwrap_err()
            .to_string()
            .contains("区县序号")
    );

    let mut ds = sharing();
    ds.crosswalk.push((7, 0));
    assert!(
        compute(&ds, map)
            .unwrap_err()
            .to_string()
            .contains("专业—职业对应第 8 条")
    );

    let mut ds = sharing();
    ds.offerings[0].planned = -1;
    assert!(
        compute(&ds, map)
            .unwrap_err()
            .to_string()
            .contains("计划招生数")
    );
}

#[test]
fn empty_dataset_computes() {
    let ds = Dataset::default();
    let m = compute(&ds, IndustryMap::embedded()).unwrap();
    assert!(m.years().is_empty());
    assert_eq!(m.lcm(), 1);
    let c = classify(&ds, &m, &thresholds(&m)).unwrap();
    assert!(c.offerings.is_empty());
    assert_eq!(c.major_rows().count(), 0);
}

const MAJORS_CSV: &str = "id,level,code,name,category_code,category_name
0,VOCATIONAL_ASSOCIATE,510201,计算机应用技术,51,大类51
1,VOCATIONAL_ASSOCIATE,510203,软件技术,51,大类51
2,VOCATIONAL_ASSOCIATE,460104,机械制造及自动化,46,大类46
";

#[test]
fn reads_csv_the_same_as_rows_on_any_number_of_threads() {
    let occupations = "code,id\n4-04-05-01,0\n2-02-10-03,1\n4-04-05-02,2\n4-99-00-00,3\n";
    let crosswalk = "major_id,occupation_id\n0,0\n1,0\n2,0\n0,1\n1,1\n1,2\n";
    let schools = "id,name,district\n101,学校101,500103\n102,学校102,500112\n";
    let offerings =
        "school_id,major_id,year,planned,actual,graduates,employed,employed_matching,salary_fen
101,0,2024,15,12,10,9,6,400000
102,0,2024,35,32,30,27,20,500001
102,1,2024,5,2,0,0,0,
";
    let postings = "district,industry,occupation,year,count
500112,C3974,4-04-05-01,2024,1
500103,C3612,2-02-10-03,2024,1
500112,F5191,4-04-05-02,2024,2
500112,C3974,4-99-00-00,2024,5
";
    let input = CsvInput {
        majors: MAJORS_CSV.as_bytes(),
        occupations: occupations.as_bytes(),
        crosswalk: crosswalk.as_bytes(),
        schools: schools.as_bytes(),
        offerings: offerings.as_bytes(),
        postings: postings.as_bytes(),
    };
    let expected = compute(&sharing(), IndustryMap::embedded()).unwrap();
    for threads in [1, 2, 3, 8] {
        let ds = read_csv(&input, threads).unwrap();
        assert_eq!(ds.postings.len(), 4);
        let m = compute(&ds, IndustryMap::embedded()).unwrap();
        let rows = |m: &Measures| {
            m.city_rows()
                .map(|(a, b, c)| (a, b, *c))
                .collect::<Vec<_>>()
        };
        assert_eq!(rows(&m), rows(&expected), "{threads} threads");
        assert_eq!(m.unmapped(2024), expected.unmapped(2024));
    }
    let bad = postings.replace("4-99-00-00,2024,5", "4-99-00-00,2024,x");
    let e = read_csv(
        &CsvInput {
            postings: bad.as_bytes(),
            ..input
        },
        2,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(e, "postings.csv 第 5 行：列“count”的值“x”不是整数");
    let bad = postings.replace("F5191,4-04-05-02", "F5191,x,4-04-05-02");
    let e = read_csv(
        &CsvInput {
            postings: bad.as_bytes(),
            ..input
        },
        1,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(e, "postings.csv 第 4 行：字段数 6 与前面各行的 5 不一致");
    let bad = postings.replace("2-02-10-03", "9-99-99-99");
    let e = read_csv(
        &CsvInput {
            postings: bad.as_bytes(),
            ..input
        },
        3,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(e, "postings.csv 第 3 行：职业代码“9-99-99-99”不在职业表中");
    let e = read_csv(
        &CsvInput {
            offerings: b"school_id,major_id\n",
            ..input
        },
        1,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("offerings.csv 第 1 行：缺少列“year”"), "{e}");
}

#[test]
fn trends_and_offering_history() {
    let majors = vec![major("510201", "计算机应用技术", "51")];
    let occupations = vec!["4-04-05-01".to_string()];
    let schools = vec![school(1, YUZHONG)];
    let offerings = vec![
        offering(0, 0, 2022, 20, 19, 10),
        offering(0, 0, 2023, 20, 18, 10),
        offering(0, 0, 2024, 40, 30, 10),
    ];
    let demand = vec![
        row(YUZHONG, "C3911", 0, 2022, 8),
        row(YUZHONG, "C3911", 0, 2024, 6),
    ];
    let ds = Dataset::from_rows(
        majors,
        occupations,
        vec![(0, 0)],
        schools,
        offerings,
        demand,
    )
    .unwrap();
    let m = compute(&ds, IndustryMap::embedded()).unwrap();
    let now = m.city(0, 2024).unwrap();
    let then = m.city(0, base_year(2024, 3)).unwrap();
    assert_eq!(
        demand_change(now.demand.units, then.demand.units)
            .unwrap()
            .percent(2),
        "-25.00%"
    );
    // 30/40 − 19/20 = −0.2 → −20.00 points
    assert_eq!(
        employment_change(&now.supply, &then.supply)
            .unwrap()
            .points(2),
        "-20.00"
    );
    let t = m.city_trend(0, 2024, 3).unwrap();
    assert_eq!(t.base_year, 2022);
    assert_eq!(t.demand_change.unwrap().percent(2), "-25.00%");
    assert_eq!(t.employment_change.unwrap().points(2), "-20.00");
    // 2023 has an offering but no demand: −100% from 2022; 2022 has no base (2020).
    assert_eq!(
        m.city_trend(0, 2023, 2)
            .unwrap()
            .demand_change
            .unwrap()
            .percent(2),
        "-100.00%"
    );
    assert_eq!(m.city_trend(0, 2022, 3).unwrap().demand_change, None);
    let k = m.district_index(YUZHONG).unwrap();
    assert_eq!(m.district_trend(k, 0, 2024, 3), Some(t));
    assert_eq!(m.category_trend(0, 2024, 3), Some(t));
    let o = m.offering_trend(&ds, 2, 3).unwrap();
    assert_eq!(o, t); // one school: the offering's history is the city's
    assert_eq!(m.offering_trend(&ds, 0, 3).unwrap().employment_change, None);
    let cell = m.offering_cell(&ds, 2).unwrap();
    assert_eq!((cell.supply.graduates, cell.demand.units), (40, 6));
    assert_eq!(m.offering_in(&ds, 2, 2022), Some(0));
    assert_eq!(m.offering_in(&ds, 2, 2021), None);
    assert_eq!(base_year(2024, 1), 2024);
}

proptest! {
    #[test]
    fn no_demand_is_lost(
        n_majors in 1usize..6,
        n_occ in 1usize..8,
        pairs in proptest::collection::vec((0u32..6, 0u32..8), 0..20),
        posts in proptest::collection::vec((0u32..8, 0u8..3, 2022i32..2025, 1i64..1000, 0usize..4), 0..60),
    ) {
        let majors = (0..n_majors).map(|i| major(&format!("{i}"), "专业", if i % 2 == 0 { "51" } else { "46" })).collect();
        let occupations = (0..n_occ).map(|i| format!("o{i}")).collect();
        let crosswalk = pairs
            .iter()
            .filter(|(m, o)| (*m as usize) < n_majors && (*o as usize) < n_occ)
            .copied()
            .collect();
        let districts = ["500101", "500103", "500112"];
        let industries = ["C3974", "C3612", "F5191", ""];
        let mut ds = Dataset::new(majors, occupations, crosswalk, vec![school(1, "500101")], vec![]);
        let mut total: i128 = 0;
        for (o, d, y, c, i) in &posts {
            if (*o as usize) < n_occ {
                ds.add_demand(districts[*d as usize], industries[*i], *o, *y, *c).unwrap();
                total += i128::from(*c);
            }
        }
        let m = compute(&ds, IndustryMap::embedded()).unwrap();
        let l = m.lcm();
        let units: i128 = m.city_rows().map(|(_, _, c)| c.demand.units).sum();
        let unmapped: i128 = m.years().iter().map(|y| i128::from(m.unmapped(*y).unwrap().postings)).sum();
        prop_assert_eq!(units + unmapped * l, total * l);
        prop_assert_eq!(m.total_postings(), total);
        // Every grain adds up to the city.
        let by_district: i128 = m.district_rows().map(|(_, _, _, c)| c.demand.units).sum();
        prop_assert_eq!(by_district, units);
        let by_category: i128 = m.category_rows().map(|(_, _, c)| c.demand.units).sum();
        prop_assert_eq!(by_category, units);
        let in_clusters: i128 = m.cluster_major_rows().map(|(_, _, _, d)| d.units).sum();
        let cluster_units: i128 = m.city_rows().map(|(_, _, c)| c.demand.cluster_units).sum();
        prop_assert_eq!(in_clusters, cluster_units);
        for (_, _, c) in m.city_rows() {
            prop_assert!(c.demand.priority_units <= c.demand.units);
            prop_assert!(c.demand.priority_units >= c.demand.emerging_units.max(c.demand.cluster_units));
        }
    }
}
