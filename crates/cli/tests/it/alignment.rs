//! Measure 5, alignment: supply against demand per major, school, district and cluster; every
//! class with its explanation; scenario mode; the printable report and the export; who sees a
//! school's offerings.

use domain::orgs::OrgKind;
use store::demand::NewPosting;
use store::occupations::NewOccupation;
use store::supply::NewSupply;

use crate::helpers::{TestApp, backends, credit, xlsx_rows};

const CATALOG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/major-catalog-2021.csv"
);

const ROBOTS: &str = "460305"; // 工业机器人技术 → 工业机器人系统操作员 (C3491: cluster, emerging)
const CARS: &str = "460701"; // 汽车制造与试验技术 → 汽车整车装配工 (C3612: cluster)
const NURSING: &str = "520201"; // 护理 → 护士
const ACCOUNTING: &str = "530304"; // 会计信息管理 → 会计专业人员

/// Two schools over 2023–2025 and demand shaped so that, in 2025 with the shipped thresholds,
/// robots are 新兴, cars 紧缺, accounting 撤并淘汰, nursing 保持 city-wide — with school A's
/// nursing (few graduates in matching jobs) 改造升级.
pub(crate) async fn seed(app: &TestApp) -> (i64, i64) {
    let actor = store::Actor::system("t");
    let out = web::features::majors::import_catalog(
        &app.db,
        &actor,
        std::fs::read(CATALOG).expect("../shared/data/major-catalog-2021.csv"),
        false,
        false,
    )
    .await
    .unwrap();
    assert_eq!(out.imported, 1681);
    let occ = |code: &str, name: &str| NewOccupation {
        code: code.into(),
        name: name.into(),
        level: "OCCUPATION".into(),
        parent_code: None,
        description: None,
    };
    let occs = vec![
        occ("6-20-03-01", "工业机器人系统操作员"),
        occ("6-22-01-01", "汽车整车装配工"),
        occ("2-05-08-01", "护士"),
        occ("2-06-01-01", "会计专业人员"),
    ];
    let mut tx = app.db.begin().await.unwrap();
    store::occupations::import(&mut tx, &actor, &occs)
        .await
        .unwrap();
    for (major, o) in [
        (ROBOTS, "6-20-03-01"),
        (CARS, "6-22-01-01"),
        (NURSING, "2-05-08-01"),
        (ACCOUNTING, "2-06-01-01"),
    ] {
        store::occupations::set_for_major(
            &mut tx,
            &actor,
            "VOCATIONAL_ASSOCIATE",
            major,
            &[(o.to_string(), None)],
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let a = app
        .org(
            OrgKind::School,
            &credit("52500112MJ0000001"),
            "重庆甲职业学院",
            "500112",
        )
        .await;
    let b = app
        .org(
            OrgKind::School,
            &credit("52500103MJ0000002"),
            "重庆乙职业学院",
            "500103",
        )
        .await;
    let row = |school, major: &str, year, employed, matching| NewSupply {
        school_org_id: school,
        major_code: major.into(),
        year,
        planned_enrolment: 110,
        actual_enrolment: 105,
        graduates: 100,
        employed,
        employed_matching: matching,
        avg_salary_fen: Some(450_000),
    };
    let mut supply = Vec::new();
    for y in 2023..=2025 {
        supply.push(row(a, ROBOTS, y, 95, 80));
        supply.push(row(a, CARS, y, 95, 80));
        supply.push(row(a, NURSING, y, 95, 30));
        supply.push(row(b, NURSING, y, 95, 80));
        supply.push(row(a, ACCOUNTING, y, 95, 80));
        supply.push(row(b, ACCOUNTING, y, 90, 70));
    }
    let post = |district: &str, industry: &str, occ: &str, year: i64, count| NewPosting {
        source: "posting",
        org_id: None,
        district: district.into(),
        industry_code: industry.into(),
        title: String::new(),
        occupation_code: Some(occ.into()),
        match_status: "given",
        match_confidence: None,
        suggested_code: None,
        count,
        posted_on: format!("{year}-05-01"),
        year,
        salary_min_fen: None,
        salary_max_fen: None,
    };
    let mut postings = Vec::new();
    for (y, robots, accounting) in [(2023, 100, 100), (2024, 150, 80), (2025, 200, 50)] {
        postings.push(post("500112", "C3491", "6-20-03-01", y, robots));
        postings.push(post("500112", "C3612", "6-22-01-01", y, 300));
        postings.push(post("500103", "Q8411", "2-05-08-01", y, 200));
        postings.push(post("500103", "L7241", "2-06-01-01", y, accounting));
    }
    let mut tx = app.db.begin().await.unwrap();
    store::supply::import(&mut tx, &actor, &supply)
        .await
        .unwrap();
    store::demand::import(&mut tx, &actor, "t", &postings)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (a, b)
}

async fn get(c: &reqwest::Client, url: String) -> (u16, String) {
    let r = c.get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The class label in the row of a majors table whose code cell is `code`.
fn class_in_row<'a>(html: &'a str, code: &str) -> &'a str {
    let start = html
        .find(&format!(">{code}</a></td>"))
        .unwrap_or_else(|| panic!("no row for {code}"));
    let rest = &html[start..];
    let end = rest.find("</tr>").unwrap();
    let row = &rest[..end];
    let i = row.rfind("<span class=\"cls ").unwrap();
    let label = &row[i..];
    let a = label.find('>').unwrap() + 1;
    let b = label.find("</span>").unwrap();
    &label[a..b]
}

#[tokio::test]
async fn majors_are_classified_with_reasons_and_scenarios() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await;
        let (a, b) = seed(&app).await;
        app.user("jw_staff", "department", "jw").await;
        app.user("school_a", "school", &credit("52500112MJ0000001"))
            .await;
        let jw = app.login("jw_staff").await;

        let (s, html) = get(&jw, app.url("/alignment?year=2025")).await;
        assert_eq!(s, 200, "{html}");
        assert_eq!(class_in_row(&html, ROBOTS), "新兴（发展）");
        assert_eq!(class_in_row(&html, CARS), "紧缺（加快）");
        assert_eq!(class_in_row(&html, ACCOUNTING), "撤并淘汰");
        assert_eq!(class_in_row(&html, NURSING), "保持");
        assert!(html.contains("<svg"), "charts are drawn");
        // Equal sharing is exact: 200 nurses for 200 graduates → 1.00.
        assert!(html.contains(">1.00<"), "{html}");

        // A major explains itself: figures, thresholds by their Chinese names and sources; the
        // parameter keys only for operators.
        let (s, html) = get(
            &jw,
            app.url(&format!("/alignment/majors/{ACCOUNTING}?year=2025")),
        )
        .await;
        assert_eq!(s, 200);
        for needle in [
            "供给过剩专业的需求供给比上限",
            "渝发改社会〔2023〕1271号",
            "撤并淘汰",
            "0.25",
        ] {
            assert!(html.contains(needle), "{needle}\n{html}");
        }
        assert!(!html.contains("majors.surplus_ratio"), "{html}");
        app.user("op_align", "operator", "operator").await;
        let op = app.login("op_align").await;
        let (_, html) = get(
            &op,
            app.url(&format!("/alignment/majors/{ACCOUNTING}?year=2025")),
        )
        .await;
        assert!(
            html.contains("<details class=\"ops\">") && html.contains("majors.surplus_ratio"),
            "{html}"
        );

        // The school's own figures decide its offering: A's nursing graduates rarely work in
        // nursing → 改造升级; B's nursing stays 保持.
        let (s, html) = get(&jw, app.url(&format!("/alignment/schools/{a}?year=2025"))).await;
        assert_eq!(s, 200);
        assert_eq!(class_in_row(&html, NURSING), "改造升级");
        // Each class with its reason in words: A's accountants are 95% employed, yet the jobs
        // are going (100 → 50 posts), and the reason says both.
        assert_eq!(class_in_row(&html, ACCOUNTING), "撤并淘汰");
        assert!(
            html.contains("2023—2025 年全市该专业岗位需求下降 50.0%，降幅达到 20%：职业岗位趋于消失（本校 2025 年毕业生就业率 95.0%，目前就业尚好"),
            "{html}"
        );
        let (_, html) = get(&jw, app.url(&format!("/alignment/schools/{b}?year=2025"))).await;
        assert_eq!(class_in_row(&html, NURSING), "保持");
        let (s, html) = get(
            &jw,
            app.url(&format!("/alignment/schools/{a}/{NURSING}/2025")),
        )
        .await;
        assert_eq!(s, 200);
        assert!(
            html.contains("对口就业率下限") && html.contains("31.58%"),
            "{html}"
        );

        // A school sees its own offerings and report, not another school's.
        let sa = app.login("school_a").await;
        let (s, html) = get(
            &sa,
            app.url(&format!("/alignment/schools/{a}/report?year=2025")),
        )
        .await;
        assert_eq!(s, 200);
        assert!(html.contains("专业设置与岗位需求对应分析报告") && html.contains("改造升级"));
        assert_eq!(
            get(&sa, app.url(&format!("/alignment/schools/{b}")))
                .await
                .0,
            404
        );
        assert_eq!(
            get(
                &sa,
                app.url(&format!("/alignment/schools/{b}/{NURSING}/2025"))
            )
            .await
            .0,
            404
        );

        let r = sa
            .get(app.url(&format!("/alignment/export.xlsx?year=2025&school={a}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let rows = xlsx_rows(&r.bytes().await.unwrap(), None);
        assert_eq!(rows.len(), 5, "header and four offerings");
        let r = sa
            .get(app.url(&format!("/alignment/export.xlsx?year=2025&school={b}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);

        // Districts and clusters.
        let (s, html) = get(&jw, app.url("/alignment/districts?year=2025")).await;
        assert_eq!(s, 200);
        assert!(html.contains("渝北区") && html.contains("渝中区"), "{html}");
        let (s, html) = get(&jw, app.url("/alignment/districts/500103?year=2025")).await;
        assert_eq!(s, 200);
        assert_eq!(class_in_row(&html, ACCOUNTING), "撤并淘汰");
        assert!(html.contains(&format!(">{NURSING}</a>")));
        let (s, html) = get(
            &jw,
            app.url("/alignment/districts/500103?year=2025&class=merge_eliminate&sort=ratio"),
        )
        .await;
        assert_eq!(s, 200);
        assert!(html.contains("共 1 个专业"), "{html}");
        assert!(!html.contains(&format!(">{NURSING}</a>")), "{html}");
        let (s, html) = get(&jw, app.url("/alignment/clusters/t4-02?year=2025")).await;
        assert_eq!(s, 200);
        assert!(html.contains(ROBOTS), "{html}");
        let r = jw
            .get(app.url("/alignment/export.xlsx?year=2025&cluster=t4-02"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let rows = xlsx_rows(&r.bytes().await.unwrap(), None);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[1][0], ROBOTS);
        assert_eq!(rows[1][3], "200", "a number of posts");

        // Scenario: a higher shortage threshold moves cars from 紧缺 to 保持, nothing saved.
        let (s, html) = get(
            &jw,
            app.url("/alignment/scenario?year=2025&shortage_ratio=3.5"),
        )
        .await;
        assert_eq!(s, 200, "{html}");
        assert!(html.contains("全市专业分类变化（1 个）"), "{html}");
        assert!(html.contains(CARS));
        assert!(
            !html.contains("岗位匹配最低置信度"),
            "only the classification's thresholds are offered"
        );
        // Summarised first (changes of class, by district, by category), and the changed
        // offerings exportable: the same offerings as counted.
        let overview = html.find("变化概览（2025 年）").expect("the summary");
        assert!(
            overview < html.find("全市专业分类变化").unwrap(),
            "summary first"
        );
        let r = jw
            .get(app.url("/alignment/scenario/export.xlsx?year=2025&shortage_ratio=3.5"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let rows = xlsx_rows(&r.bytes().await.unwrap(), None);
        assert_eq!(
            rows[0],
            ["学校 · 专业", "区县", "专业大类", "现行分类", "情景分类"]
        );
        let changed = rows.len() - 1;
        assert!(changed >= 1, "{rows:?}");
        assert!(
            html.contains(&format!("{changed} 个开设点的分类改变")),
            "{html}"
        );
        assert!(rows[1..].iter().all(|r| r[0].contains(CARS)), "{rows:?}");
        assert!(
            rows[1..].iter().all(|r| r[1] == "渝北区" && r[3] != r[4]),
            "{rows:?}"
        );
        assert!(
            html.contains(&format!("<td>渝北区</td><td class=\"num\">{changed}</td>")),
            "by district: {html}"
        );
        let (_, html) = get(&jw, app.url("/alignment?year=2025")).await;
        assert_eq!(class_in_row(&html, CARS), "紧缺（加快）");
        let (s, html) = get(
            &jw,
            app.url("/alignment/scenario?year=2025&shortage_ratio=abc"),
        )
        .await;
        assert_eq!(s, 422);
        assert!(
            html.contains("shortage_ratio") || html.contains("紧缺"),
            "{html}"
        );

        // Export: the filtered table as XLSX.
        let r = jw
            .get(app.url("/alignment/export.xlsx?year=2025&class=merge_eliminate"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let rows = xlsx_rows(&r.bytes().await.unwrap(), None);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[1][0], ACCOUNTING);

        // API.
        let uid = app
            .count("SELECT id FROM users WHERE username = 'jw_staff'")
            .await;
        let token = app.token(uid).await;
        let v: serde_json::Value = reqwest::Client::new()
            .get(app.url("/api/v1/alignment/majors?year=2025&class=develop"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["total"], 1, "{v}");
        assert_eq!(v["items"][0]["code"], ROBOTS);
        assert_eq!(v["items"][0]["class"], "develop");
    }
}

/// One school reporting a new year early does not move everyone's default: the page and the
/// API show the latest year whose schools reach `majors.default_year_coverage` of the most in
/// any year, say how many schools the year shown has, and let the user pick the new year.
#[tokio::test]
async fn the_default_year_is_the_latest_with_enough_schools() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await;
        let (a, _b) = seed(&app).await;
        let c = app
            .org(
                OrgKind::School,
                &credit("52500112MJ0000003"),
                "重庆丙职业学院",
                "500112",
            )
            .await;
        let row = |school, major: &str, year| NewSupply {
            school_org_id: school,
            major_code: major.into(),
            year,
            planned_enrolment: 50,
            actual_enrolment: 50,
            graduates: 40,
            employed: 38,
            employed_matching: 30,
            avg_salary_fen: None,
        };
        let mut tx = app.db.begin().await.unwrap();
        let actor = store::Actor::system("test");
        // Three schools in 2025; one alone in 2026 (1 of 3, under the 50% rule).
        store::supply::import(
            &mut tx,
            &actor,
            &[row(c, NURSING, 2025), row(a, ROBOTS, 2026)],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        app.user("jw_cov", "department", "jw").await;
        let jw = app.login("jw_cov").await;
        let (s, html) = get(&jw, app.url("/alignment")).await;
        assert_eq!(s, 200);
        assert!(
            html.contains("2025 年有 3 所院校填报供给数据（历年最多 3 所）"),
            "{html}"
        );
        assert!(html.contains("不少于历年最多的 50"), "the rule is stated");
        let (s, html) = get(&jw, app.url("/alignment?year=2026")).await;
        assert_eq!(s, 200);
        assert!(
            html.contains("2026 年有 1 所院校填报供给数据（历年最多 3 所）"),
            "{html}"
        );
        assert!(html.contains("默认显示数据较完整的 2025 年"));
        let t = app
            .token(app.user("jw_cov_api", "department", "jw").await)
            .await;
        let v: serde_json::Value = crate::helpers::client()
            .get(app.url("/api/v1/alignment/majors"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["year"], 2025, "{v}");
    }
}

/// The demo tells a story a 市教委 official can believe: no major whose graduates are well
/// employed (at or above `majors.high_employment_rate`) is told to close for few postings per
/// graduate; where one is 撤并淘汰 anyway (its jobs are disappearing) the reason says so and
/// names the employment; over-supplied majors have weaker employment than short-supplied ones;
/// closing is a minority verdict; the pages show the reasons in words, 大类 with their level
/// and numbers grouped by thousands.
#[tokio::test]
async fn the_demo_closes_no_well_employed_major_for_few_postings() {
    use analytics::majors::{Class, Ratio, Tests, summarize_offering};
    for backend in backends() {
        let (app, accounts) = crate::helpers::demo_world(backend).await;
        let state = web::AppState::new(app.db.clone());
        let c = state.alignment.get(&state).await.unwrap();
        let params = policy::ParamSet::embedded().unwrap();
        let mut absorbed = 0;
        let mut closed_well_employed = 0;
        let mut surplus_emp = (0i64, 0i64);
        let mut shortage_emp = (0i64, 0i64);
        for (i, (o, v)) in
            c.ds.offerings
                .iter()
                .zip(&c.classification.offerings)
                .enumerate()
        {
            let date = analytics::majors::lookup_date(o.year).unwrap();
            let (high, _) = params.rate("majors.high_employment_rate", date).unwrap();
            let Some(emp) = Ratio::new(o.employed.into(), o.graduates.into()) else {
                continue;
            };
            let well_employed = emp.cmp_rate(high) != std::cmp::Ordering::Less;
            assert_eq!(
                well_employed,
                v.tests.contains(Tests::HIGH_EMPLOYMENT),
                "offering {i}: the rule reads the parameter"
            );
            if v.tests.contains(Tests::SMALL_SAMPLE) {
                continue;
            }
            if v.tests.contains(Tests::SURPLUS) {
                surplus_emp.0 += o.employed;
                surplus_emp.1 += o.graduates;
            }
            if v.tests.contains(Tests::SHORTAGE) {
                shortage_emp.0 += o.employed;
                shortage_emp.1 += o.graduates;
            }
            let why = summarize_offering(&c.ds, &c.measures, &c.thresholds, i).unwrap();
            if v.tests.surplus_absorbed() && v.class != Class::MergeEliminate {
                absorbed += 1;
                if v.class == Class::Keep || v.class == Class::Upgrade {
                    assert!(
                        why.contains("达到就业良好线") && why.contains("不列为撤并淘汰"),
                        "offering {i} ({:?}): {why}",
                        v.class
                    );
                }
            }
            if v.class == Class::MergeEliminate && well_employed {
                closed_well_employed += 1;
                assert!(
                    !v.reasons().contains(&"供给过剩"),
                    "offering {i}: well employed, closed for over-supply: {why}"
                );
                assert!(
                    why.contains("职业岗位趋于消失") && why.contains("目前就业尚好"),
                    "offering {i}: the reason names the disappearing jobs and the employment: {why}"
                );
            }
            if v.class == Class::MergeEliminate {
                assert!(
                    why.contains("：供给过剩")
                        || why.contains("：就业率低")
                        || why.contains("：职业岗位趋于消失"),
                    "{why}"
                );
                assert!(!why.contains("majors.") && !why.contains("规则"), "{why}");
            }
        }
        assert!(
            absorbed > 0,
            "the demo has majors with few postings whose graduates find work"
        );
        eprintln!(
            "{backend:?}: {absorbed} well-employed offerings kept despite few postings, {closed_well_employed} closed for disappearing jobs"
        );
        // Over-supplied majors employ fewer of their graduates than short-supplied ones.
        let rate = |(e, g): (i64, i64)| e as f64 / g as f64;
        assert!(
            rate(surplus_emp) + 0.02 < rate(shortage_emp),
            "employment where postings are few {:.3}, where they abound {:.3}",
            rate(surplus_emp),
            rate(shortage_emp)
        );
        // Closing is a minority verdict in the year shown.
        let year = c.default_year.unwrap();
        let (mut closed, mut all) = (0, 0);
        for (o, v) in c.ds.offerings.iter().zip(&c.classification.offerings) {
            if o.year == year {
                all += 1;
                closed += usize::from(v.class == Class::MergeEliminate);
            }
        }
        assert!(
            closed * 4 < all,
            "{closed} of {all} offerings 撤并淘汰 in {year}"
        );

        // The pages: 大类 named with their level in the chart, no label twice; numbers grouped.
        let (_, pw) = accounts.iter().find(|(u, _)| u == "jw").unwrap();
        let jw = app.login_with("jw", pw).await;
        let (s, html) = get(&jw, app.url("/alignment")).await;
        assert_eq!(s, 200);
        // Thresholds as percentages, not fractions of one.
        assert!(
            html.contains(
                "就业率下限（就业人数 ÷ 毕业生数，低于即为就业率低）</td><td class=\"num\">85%</td>"
            ),
            "{html}"
        );
        let chart_start = html.find("各专业大类毕业生与岗位需求").unwrap();
        let chart = &html[chart_start..chart_start + html[chart_start..].find("</svg>").unwrap()];
        let labels: Vec<&str> = chart
            .split("text-anchor=\"end\">")
            .skip(1)
            .map(|t| &t[..t.find('<').unwrap()])
            .collect();
        assert!(labels.len() >= 10, "{chart}");
        let distinct: std::collections::BTreeSet<&str> = labels.iter().copied().collect();
        assert_eq!(distinct.len(), labels.len(), "a label repeats: {labels:?}");
        assert!(
            labels.iter().all(|l| l.ends_with("（中职）")
                || l.ends_with("（高职专科）")
                || l.ends_with("（职业本科）")),
            "{labels:?}"
        );
        // A school with a well-employed major that few postings would have closed: the page
        // says why it is not closed.
        let (i, _) =
            c.ds.offerings
                .iter()
                .zip(&c.classification.offerings)
                .enumerate()
                .find(|(_, (o, v))| {
                    o.year == year && v.class == Class::Keep && v.tests.surplus_absorbed()
                })
                .expect("a kept offering with few postings in the year shown");
        let o = &c.ds.offerings[i];
        let school = c.ds.schools[o.school as usize].id;
        let code = &c.ds.majors[o.major as usize].code;
        let (s, html) = get(
            &jw,
            app.url(&format!("/alignment/schools/{school}/{code}/{year}")),
        )
        .await;
        assert_eq!(s, 200);
        assert!(
            html.contains("<p class=\"reason\">")
                && html.contains("毕业生已被就业市场吸纳，不列为撤并淘汰"),
            "{html}"
        );
    }
}

/// Every write of what the alignment is computed from moves its data version on, in the
/// write's own transaction (a rolled-back write does not); the next request starts the
/// computation in the background and is answered from the last result meanwhile: a school's
/// supply import shows in the API once computed, and no reader waits for it.
#[tokio::test]
async fn every_write_of_its_data_moves_the_alignment_on() {
    use store::versions::{ALIGNMENT, get};
    for backend in backends() {
        let app = TestApp::spawn(backend).await;
        let (a, _b) = seed(&app).await;
        let t = app
            .token(app.user("jw_ver_api", "department", "jw").await)
            .await;
        app.user("jw_ver_page", "department", "jw").await;
        let nursing_graduates = || async {
            let v: serde_json::Value = crate::helpers::get_json(
                &app.url("/api/v1/alignment/majors?year=2025&per_page=200"),
                &t,
            )
            .await;
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["code"] == NURSING)
                .map(|m| m["graduates"].as_i64().unwrap())
        };
        assert_eq!(nursing_graduates().await, Some(200));
        let actor = store::Actor::system("t");
        let mut last = get(&app.db, ALIGNMENT).await.unwrap();
        assert!(last > 0, "the seed's writes moved it on");
        let moved = |last: &mut i64, v: i64, what: &str| {
            assert!(v > *last, "{what}: {v} after {last}");
            *last = v;
        };

        // A write taken back leaves the version as it was.
        let mut tx = app.db.begin().await.unwrap();
        store::occupations::set_for_major(&mut tx, &actor, "VOCATIONAL_ASSOCIATE", NURSING, &[])
            .await
            .unwrap();
        drop(tx);
        assert_eq!(get(&app.db, ALIGNMENT).await.unwrap(), last);

        let supply = NewSupply {
            school_org_id: a,
            major_code: NURSING.into(),
            year: 2026,
            planned_enrolment: 10,
            actual_enrolment: 10,
            graduates: 7,
            employed: 7,
            employed_matching: 7,
            avg_salary_fen: None,
        };
        let mut tx = app.db.begin().await.unwrap();
        store::supply::import(&mut tx, &actor, &[supply])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        moved(
            &mut last,
            get(&app.db, ALIGNMENT).await.unwrap(),
            "supply import",
        );
        // The first request after it is answered at once from the last result (no 2026 yet:
        // the default year), and starts the computation; the next ones see the import as soon
        // as it is done.
        let url = app.url("/api/v1/alignment/majors?year=2026&per_page=200");
        let v = crate::helpers::get_json(&url, &t).await;
        assert_eq!(v["year"], 2025, "{v}");
        let stale_at = v["computed_at"].as_i64().unwrap();
        let started = std::time::Instant::now();
        let v = loop {
            let v = crate::helpers::get_json(&url, &t).await;
            if v["year"] == 2026 || started.elapsed() > std::time::Duration::from_secs(20) {
                break v;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        assert_eq!(v["year"], 2026, "{v}");
        assert_eq!(v["recomputing"], false, "{v}");
        assert!(v["computed_at"].as_i64().unwrap() >= stale_at, "{v}");
        assert_eq!(v["items"][0]["code"], NURSING, "{v}");
        assert_eq!(v["items"][0]["graduates"], 7, "{v}");

        let mut tx = app.db.begin().await.unwrap();
        store::occupations::set_for_major(&mut tx, &actor, "VOCATIONAL_ASSOCIATE", NURSING, &[])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        moved(
            &mut last,
            get(&app.db, ALIGNMENT).await.unwrap(),
            "crosswalk",
        );

        let mut tx = app.db.begin().await.unwrap();
        store::demand::confirm(&mut tx, &actor, "护理员", Some("2-05-08-01"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        moved(
            &mut last,
            get(&app.db, ALIGNMENT).await.unwrap(),
            "confirmed title",
        );

        let occ = NewOccupation {
            code: "4-10-01-01".into(),
            name: "保育师".into(),
            level: "OCCUPATION".into(),
            parent_code: None,
            description: None,
        };
        let mut tx = app.db.begin().await.unwrap();
        store::occupations::import(&mut tx, &actor, &[occ])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        moved(
            &mut last,
            get(&app.db, ALIGNMENT).await.unwrap(),
            "occupations",
        );

        // An operator asks for everything to be computed again: a button on the city page,
        // recorded in the audit log; no one else may.
        app.user("op_recompute", "operator", "operator").await;
        let op = app.login("op_recompute").await;
        let (_, html) = self::get(&op, app.url("/alignment")).await;
        assert!(html.contains("全部重新计算"), "{html}");
        let csrf = crate::helpers::hidden(&html, "csrf").unwrap();
        let r = op
            .post(app.url("/alignment/recompute"))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        moved(
            &mut last,
            get(&app.db, ALIGNMENT).await.unwrap(),
            "a full recomputation asked for",
        );
        let (changes_now, scopes) = store::versions::changes_since(&app.db, ALIGNMENT, last - 1)
            .await
            .unwrap();
        assert_eq!(
            (changes_now, scopes),
            (last, None),
            "a change of everything"
        );
        let audited: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'data.recompute' AND actor = 'op_recompute'",
        )
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        assert_eq!(audited, 1);
        let jw = app.login("jw_ver_page").await;
        let (_, html) = self::get(&jw, app.url("/alignment")).await;
        assert!(!html.contains("全部重新计算"), "operators only");
    }
}

/// A recomputation from the last result (a school's file read again, the rest kept; postings,
/// confirmed titles and crosswalk edits read from the kept sums and small tables) gives exactly
/// what a computation in full gives, after every step of a random sequence of writes; and the
/// kept demand sums always equal the postings' own.
#[tokio::test]
async fn incremental_recomputation_equals_a_full_one() {
    use rand::{Rng, SeedableRng, rngs::StdRng};
    use std::collections::BTreeMap;
    use web::features::alignment::{AlignmentCache, Recomputed};
    const OCCS: [&str; 4] = ["6-20-03-01", "6-22-01-01", "2-05-08-01", "2-06-01-01"];
    const TITLES: [&str; 3] = ["装配工（急招）", "护理员", "出纳"];
    for backend in backends() {
        let app = TestApp::spawn(backend).await;
        let (a, b) = seed(&app).await;
        // A school with no rows yet: its first file adds a school to the figures.
        let c = app
            .org(
                OrgKind::School,
                &credit("52500101MJ0000003"),
                "重庆丙职业学院",
                "500101",
            )
            .await;
        let schools = [a, b, c];
        // The last is not in the catalog: its rows are left out and counted.
        let majors = [ROBOTS, CARS, NURSING, ACCOUNTING, "999999"];
        let state = web::AppState::new(app.db.clone());
        let cache = AlignmentCache::default();
        assert_eq!(
            cache.refresh(&state, false).await.unwrap(),
            Recomputed::Full
        );
        assert_eq!(
            cache.refresh(&state, false).await.unwrap(),
            Recomputed::Current
        );
        let actor = store::Actor::system("t");
        let mut rng = StdRng::seed_from_u64(15);
        for step in 0..30 {
            let mut tx = app.db.begin().await.unwrap();
            let (what, expect) = match rng.gen_range(0..5) {
                0 | 1 => {
                    let mut rows = BTreeMap::new();
                    for _ in 0..rng.gen_range(1..=5) {
                        let school = schools[rng.gen_range(0..schools.len())];
                        let major = majors[rng.gen_range(0..majors.len())];
                        let year = rng.gen_range(2023..=2026);
                        let graduates = rng.gen_range(0..200);
                        let employed = rng.gen_range(0..=graduates);
                        rows.insert(
                            (school, major, year),
                            NewSupply {
                                school_org_id: school,
                                major_code: major.into(),
                                year,
                                planned_enrolment: rng.gen_range(0..300),
                                actual_enrolment: rng.gen_range(0..300),
                                graduates,
                                employed,
                                employed_matching: rng.gen_range(0..=employed),
                                avg_salary_fen: rng
                                    .gen_bool(0.5)
                                    .then(|| rng.gen_range(300_000..900_000)),
                            },
                        );
                    }
                    let rows: Vec<NewSupply> = rows.into_values().collect();
                    let n = rows
                        .iter()
                        .map(|r| r.school_org_id)
                        .collect::<std::collections::BTreeSet<_>>()
                        .len();
                    store::supply::import(&mut tx, &actor, &rows).await.unwrap();
                    (format!("supply {rows:?}"), Recomputed::Incremental(n))
                }
                2 => {
                    let mut rows = Vec::new();
                    for _ in 0..rng.gen_range(1..=4) {
                        let year = rng.gen_range(2023..=2026);
                        let given = rng.gen_bool(0.5);
                        rows.push(NewPosting {
                            source: "posting",
                            org_id: None,
                            district: ["500112", "500103", "500101"][rng.gen_range(0..3)].into(),
                            industry_code: ["C3491", "Q8411", "L7241"][rng.gen_range(0..3)].into(),
                            title: TITLES[rng.gen_range(0..TITLES.len())].into(),
                            occupation_code: given
                                .then(|| OCCS[rng.gen_range(0..OCCS.len())].into()),
                            match_status: if given { "given" } else { "pending" },
                            match_confidence: None,
                            suggested_code: None,
                            count: rng.gen_range(1..500),
                            posted_on: format!("{year}-06-01"),
                            year,
                            salary_min_fen: None,
                            salary_max_fen: None,
                        });
                    }
                    store::demand::import(&mut tx, &actor, "t", &rows)
                        .await
                        .unwrap();
                    (format!("postings {rows:?}"), Recomputed::Incremental(0))
                }
                3 => {
                    let title = TITLES[rng.gen_range(0..TITLES.len())];
                    let occ = rng
                        .gen_bool(0.7)
                        .then(|| OCCS[rng.gen_range(0..OCCS.len())]);
                    store::demand::confirm(&mut tx, &actor, title, occ)
                        .await
                        .unwrap();
                    (
                        format!("confirm {title} {occ:?}"),
                        Recomputed::Incremental(0),
                    )
                }
                _ => {
                    let major = majors[rng.gen_range(0..4)];
                    let occs: Vec<(String, Option<String>)> = OCCS
                        .iter()
                        .filter(|_| rng.gen_bool(0.4))
                        .map(|o| (o.to_string(), None))
                        .collect();
                    store::occupations::set_for_major(
                        &mut tx,
                        &actor,
                        "VOCATIONAL_ASSOCIATE",
                        major,
                        &occs,
                    )
                    .await
                    .unwrap();
                    (
                        format!("crosswalk {major} {occs:?}"),
                        Recomputed::Incremental(0),
                    )
                }
            };
            tx.commit().await.unwrap();
            assert_eq!(
                store::demand::aggregate(&app.db).await.unwrap(),
                store::demand::aggregate_of_postings(&app.db).await.unwrap(),
                "step {step} ({what}): the kept demand sums"
            );
            assert_eq!(
                store::demand::status_counts(&app.db).await.unwrap(),
                store::demand::status_counts_of_postings(&app.db)
                    .await
                    .unwrap(),
                "step {step} ({what}): the kept counts by status"
            );
            let page = store::demand::list(
                &app.db,
                &store::orgs::Scope::All,
                &store::demand::Filter {
                    status: Some("pending".into()),
                    ..Default::default()
                },
                store::Paging::new(Some(1), Some(1)),
            )
            .await
            .unwrap();
            let pending: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM job_postings WHERE match_status = 'pending'",
            )
            .fetch_one(app.db.pool())
            .await
            .unwrap();
            assert_eq!(
                page.total, pending,
                "step {step} ({what}): the list's total"
            );
            let how = cache.refresh(&state, false).await.unwrap();
            assert_eq!(how, expect, "step {step}: {what}");
            let full = AlignmentCache::default();
            assert_eq!(full.refresh(&state, true).await.unwrap(), Recomputed::Full);
            let (inc, all) = (
                cache.get(&state).await.unwrap().fingerprint(),
                full.get(&state).await.unwrap().fingerprint(),
            );
            if inc != all {
                // Where they part, not two pages of figures.
                let at = inc
                    .bytes()
                    .zip(all.bytes())
                    .position(|(x, y)| x != y)
                    .unwrap_or(inc.len().min(all.len()));
                let near = |s: &str| {
                    let from = s.floor_char_boundary(at.saturating_sub(150));
                    let to = s.ceil_char_boundary((at + 150).min(s.len()));
                    s[from..to].to_string()
                };
                panic!(
                    "step {step}: {what}\nincremental: …{}…\nfull:        …{}…",
                    near(&inc),
                    near(&all)
                );
            }
        }
        // A change of everything (a new catalog, or an operator's request) is computed in full.
        let mut tx = app.db.begin().await.unwrap();
        store::versions::request_full(&mut tx, &actor, store::versions::ALIGNMENT)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            cache.refresh(&state, false).await.unwrap(),
            Recomputed::Full
        );
    }
}
