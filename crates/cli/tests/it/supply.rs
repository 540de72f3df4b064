//! Measure 5, supply (专业供给): schools report enrolment, graduates and employment per major and
//! year; row-by-row validation, all or nothing, school scoping, export that re-imports.

use domain::orgs::OrgKind;

use crate::helpers::{TestApp, backends, client, credit, hidden};

const CATALOG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/major-catalog-2021.csv"
);

const HEADER: &str = "学校统一社会信用代码,专业代码,年份,计划招生数,实际招生数,毕业生数,就业人数,对口就业人数,平均起薪（元/月）";

fn csv(rows: &[String]) -> Vec<u8> {
    format!("{HEADER}\n{}\n", rows.join("\n")).into_bytes()
}

/// Asserts the result page lists a problem at `row`, in `column` (cell `cell`), whose message
/// contains `message`.
fn assert_problem(html: &str, row: usize, column: &str, cell: &str, message: &str) {
    let prefix = format!("<td>{row}</td><td>{column}</td><td class=\"mono\">{cell}</td><td>");
    assert!(
        html.split("<tr>")
            .any(|tr| tr.starts_with(&prefix) && tr.contains(message)),
        "expected row {row}, {column} ({cell}): {message}\n{html}"
    );
}

async fn upload(
    app: &TestApp,
    c: &reqwest::Client,
    csrf: &str,
    bytes: Vec<u8>,
    only_valid: bool,
) -> (u16, String) {
    // The CSRF token travels in the body, first.
    let mut form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("供给.csv"),
        );
    if only_valid {
        form = form.text("only_valid", "1");
    }
    let r = c
        .post(app.url("/supply/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn page(app: &TestApp, c: &reqwest::Client, path: &str) -> (u16, String) {
    let r = c.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn schools_report_supply_with_row_by_row_validation() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        let out = web::features::majors::import_catalog(
            &app.db,
            &store::Actor::system("t"),
            std::fs::read(CATALOG).expect("../shared/data/major-catalog-2021.csv"),
            false,
            false,
        )
        .await
        .unwrap();
        assert_eq!(out.imported, 1681);
        let a = credit("52500103MJ0000001");
        let b_code = credit("52500103MJ0000002");
        let a_id = app
            .org(OrgKind::School, &a, "重庆甲职业学院", "500103")
            .await;
        let b_id = app
            .org(OrgKind::School, &b_code, "重庆乙职业学校", "500103")
            .await;
        app.user("school_a", "school", &a).await;
        app.user("op_city", "operator", "operator").await;
        let ent = credit("91500103MA5U7QQQ1");
        app.org(OrgKind::Enterprise, &ent, "某企业", "500103").await;
        app.user("ent_a", "enterprise", &ent).await;
        let rows = "SELECT COUNT(*) FROM major_supply";

        let c = app.login("school_a").await;
        let (s, html) = page(&app, &c, "/supply").await;
        assert_eq!(s, 200);
        assert!(html.contains("只能填报本校数据"), "a school's own form");
        let own_id = store::orgs::get_by_code(&app.db, &a)
            .await
            .unwrap()
            .unwrap()
            .id;
        let report = format!("href=\"/alignment/schools/{own_id}/report\"");
        assert!(
            html.contains(&report),
            "the school's report from its supply page"
        );
        assert!(html.contains("href=\"/supply\""), "nav link");
        let csrf = hidden(&html, "csrf").unwrap();
        assert!(html.contains("action=\"/supply/import\""));
        assert!(!html.contains("csrf="), "no CSRF token in a URL");

        // A clean file: all rows stored, salary in fen, lower-case K accepted.
        let (s, h) = upload(
            &app,
            &c,
            &csrf,
            csv(&[
                format!("{a},510201,2023,120,115,108,100,82,4500"),
                format!("{a},610101,2023,50,48,45,40,30,"),
                format!("{a},520101k,2024,60,60,55,50,50,\"5,200.5\""),
            ]),
            false,
        )
        .await;
        assert_eq!(s, 200, "{h}");
        assert!(h.contains("已导入 3 行"), "{h}");
        assert_eq!(app.count(rows).await, 3);
        assert_eq!(
            app.count("SELECT avg_salary_fen FROM major_supply WHERE major_code = '520101K'")
                .await,
            520_050
        );
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM major_supply WHERE major_code = '610101' AND avg_salary_fen IS NULL"
            )
            .await,
            1
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'supply.import'")
                .await,
            1
        );
        let (_, html) = page(&app, &c, "/supply?year=2023").await;
        assert!(
            html.contains("共 2 条") && html.contains("计算机应用技术"),
            "{html}"
        );

        // Every kind of bad input, each named with row and column; nothing written.
        let bad = csv(&[
            format!("{a},510201,2024,120,115,108,100,82,4500"), // 2: fine
            format!("{a},999999,2024,10,10,8,6,5,"),            // 3: not in the catalog
            format!("{a},51O201,2024,10,10,8,6,5,"),            // 4: malformed code
            format!("{a},610101,2024,-5,10,8,6,5,"),            // 5: negative count
            format!("{a},520101K,2025,60,50,55,50,40,"),        // 6: graduates > enrolment
            format!("{a},510201,2022,10,10,8,9,5,"),            // 7: employed > graduates
            format!("{a},510201,2021,10,10,8,6,7,"),            // 8: matching > employed
            format!("{a},510201,2024,1,1,1,1,1,"),              // 9: duplicates row 2
            format!("{a},510201,1999,10,10,8,6,5,abc"),         // 10: year and salary
            format!("{b_code},510201,2024,10,10,8,6,5,"),       // 11: another school
            format!("{},510201,2024,10,10,8,6,5,", credit("52500103MJ0000099")), // 12: unknown school
            format!("{a}X,510201,2020,10,10,8,6,5,"), // 13: malformed credit code
            format!("{},520101k,2024,60,60,55,50,50,5200.50", a.to_lowercase()), // 14: fine
            format!("{a},520101K,2024,60,60,55,50,50,"), // 15: duplicates row 14
        ]);
        let (s, h) = upload(&app, &c, &csrf, bad.clone(), false).await;
        assert_eq!(s, 422, "{h}");
        assert!(h.contains("未导入任何数据"), "{h}");
        assert_problem(&h, 3, "专业代码", "B3", "不在当前专业目录中");
        assert_problem(&h, 4, "专业代码", "B4", "专业代码应为6位数字");
        assert_problem(&h, 5, "计划招生数", "D5", "不能为负数");
        assert_problem(
            &h,
            6,
            "毕业生数",
            "F6",
            "毕业生数（55）不能多于实际招生数（50）",
        );
        assert_problem(
            &h,
            7,
            "就业人数",
            "G7",
            "就业人数（9）不能多于毕业生数（8）",
        );
        assert_problem(
            &h,
            8,
            "对口就业人数",
            "H8",
            "对口就业人数（7）不能多于就业人数（6）",
        );
        assert_problem(&h, 9, "学校统一社会信用代码", "A9", "与第2行重复");
        assert_problem(&h, 10, "年份", "C10", "年份“1999”无效");
        assert_problem(&h, 10, "平均起薪（元/月）", "I10", "不是有效金额");
        assert_problem(&h, 11, "学校统一社会信用代码", "A11", "只能填报本校数据");
        assert_problem(&h, 12, "学校统一社会信用代码", "A12", "未在平台登记");
        assert_problem(&h, 13, "学校统一社会信用代码", "A13", "统一社会信用代码");
        assert_problem(&h, 15, "学校统一社会信用代码", "A15", "与第14行重复");
        assert!(!h.contains("<td>2</td>"), "row 2 is clean");
        assert_eq!(app.count(rows).await, 3, "all or nothing");

        // Explicitly importing only the valid rows: rows 2 and 14 (an update of 520101K/2024).
        let (s, h) = upload(&app, &c, &csrf, bad, true).await;
        assert_eq!(s, 200, "{h}");
        assert!(h.contains("已导入 2 行"), "{h}");
        assert_eq!(app.count(rows).await, 4);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM major_supply WHERE school_org_id = {b_id}"
            ))
            .await,
            0
        );

        // Not a spreadsheet.
        let (s, h) = upload(&app, &c, &csrf, b"%PDF-1.7 not a table".to_vec(), false).await;
        assert_eq!(s, 422);
        assert!(h.contains("既不是 CSV 也不是 XLSX"), "{h}");
        // A spreadsheet of something else: the required columns are named.
        let (s, h) = upload(&app, &c, &csrf, b"a,b\n1,2\n".to_vec(), false).await;
        assert_eq!(s, 422);
        assert!(h.contains("缺少必填列"), "{h}");

        // The school's export re-imports as is (an upsert: no new rows).
        let r = c.get(app.url("/supply/export.xlsx")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let xlsx = r.bytes().await.unwrap().to_vec();
        let table = tabular::read(&web::features::supply::SUPPLY_SCHEMA, &xlsx).unwrap();
        assert_eq!(table.rows.len(), 4);
        let (s, h) = upload(&app, &c, &csrf, xlsx, false).await;
        assert_eq!(s, 200, "{h}");
        assert!(h.contains("已导入 4 行"), "{h}");
        assert_eq!(app.count(rows).await, 4);
        assert_eq!(
            app.count("SELECT avg_salary_fen FROM major_supply WHERE major_code = '520101K'")
                .await,
            520_050
        );

        // An operator reports for any school and filters by school.
        let op = app.login("op_city").await;
        let (s, html) = page(&app, &op, "/supply").await;
        assert_eq!(s, 200);
        assert!(html.contains("重庆乙职业学校"), "school filter");
        assert!(
            !html.contains("本校专业分析报告"),
            "no own report for the operator"
        );
        let op_csrf = hidden(&html, "csrf").unwrap();
        let (s, h) = upload(
            &app,
            &op,
            &op_csrf,
            csv(&[format!("{b_code},510201,2024,10,10,8,6,5,")]),
            false,
        )
        .await;
        assert_eq!(s, 200, "{h}");
        assert_eq!(app.count(rows).await, 5);
        let (_, html) = page(&app, &op, &format!("/supply?school={b_id}")).await;
        assert!(html.contains("共 1 条"), "{html}");
        let (_, html) = page(&app, &op, &format!("/supply?school={a_id}&year=2024")).await;
        assert!(html.contains("共 2 条"), "{html}");
        // The school still sees only its own rows, whatever it asks for.
        let (_, html) = page(&app, &c, &format!("/supply?school={b_id}")).await;
        assert!(html.contains("共 4 条") && !html.contains("重庆乙职业学校"));

        // Neither a school nor measure 5's lead: refused.
        let e = app.login("ent_a").await;
        let (s, _) = page(&app, &e, "/supply").await;
        assert_eq!(s, 403);
        let (_, home) = page(&app, &e, "/").await;
        assert!(!home.contains("href=\"/supply\""));
        let e_csrf = hidden(&home, "csrf").unwrap_or_default();
        let (s, _) = upload(
            &app,
            &e,
            &e_csrf,
            csv(&[format!("{a},510201,2019,10,10,8,6,5,")]),
            false,
        )
        .await;
        assert_eq!(s, 403);
        let (s, _) = page(&app, &e, "/supply/export.xlsx").await;
        assert_eq!(s, 403);
        assert_eq!(app.count(rows).await, 5);

        // The template reads back with no rows.
        let t = client()
            .get(app.url("/supply/template.xlsx"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec();
        assert!(
            tabular::read(&web::features::supply::SUPPLY_SCHEMA, &t)
                .unwrap()
                .rows
                .is_empty()
        );
    }
}

#[tokio::test]
async fn supply_import_command_validates_and_reports() {
    let url = crate::helpers::fresh_database(store::Backend::Sqlite).await;
    let db = store::Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let catalog = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/major-catalog-2021.csv"
    ))
    .unwrap();
    web::features::majors::import_catalog(
        &db,
        &store::Actor::system("t"),
        catalog.clone(),
        false,
        false,
    )
    .await
    .unwrap();
    let school = crate::helpers::credit("52500103MJ0000777");
    let mut tx = db.begin().await.unwrap();
    store::orgs::insert(
        &mut tx,
        &store::Actor::system("t"),
        &store::orgs::NewOrg {
            kind: domain::orgs::OrgKind::School,
            code: school.clone(),
            name: "渝中示例职业学校".into(),
            district: Some("500103".into()),
            school_level: Some("secondary".into()),
            industry: None,
            size: None,
            ownership: None,
            unit_code: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let dir = std::env::temp_dir().join(format!("chanjiao-supply-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let header = "学校统一社会信用代码,专业代码,年份,计划招生数,实际招生数,毕业生数,就业人数,对口就业人数,平均起薪（元/月）\n";
    let good = dir.join("good.csv");
    std::fs::write(
        &good,
        format!("{header}{school},610101,2024,50,45,40,38,30,4500.00\n"),
    )
    .unwrap();
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        format!("{header}{school},610101,2024,50,45,46,38,30,4500.00\n"),
    )
    .unwrap();
    let run = |f: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_chanjiao"))
            .args(["import", "supply", f.to_str().unwrap()])
            .env("CHANJIAO_DATABASE_URL", &url)
            .env("CHANJIAO_LOG", "error")
            .output()
            .unwrap()
    };
    let o = run(&bad);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("第2行"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run(&good);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("已导入 1 行"));
    let _ = std::fs::remove_dir_all(dir);
}
