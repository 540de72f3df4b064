//! Measure 5: importing the real national major catalog and browsing it.

use std::process::Command;

use serde_json::Value;

use crate::helpers::{TestApp, backends, client, hidden};

const CATALOG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/major-catalog-2021.csv"
);

fn catalog_bytes() -> Vec<u8> {
    std::fs::read(CATALOG).expect("the shared catalog file ../shared/data/major-catalog-2021.csv")
}

async fn get(app: &TestApp, path: &str) -> (u16, Value) {
    let r = client().get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_real_catalog_imports_and_answers_the_api() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        let out = web::features::majors::import_catalog(
            &app.db,
            &store::Actor::system("t"),
            catalog_bytes(),
            false,
            false,
        )
        .await
        .unwrap();
        assert_eq!(out.imported, 1681);
        assert!(out.report.is_clean());
        for (level, n) in [
            ("VOCATIONAL_SECONDARY", 358),
            ("VOCATIONAL_ASSOCIATE", 744),
            ("VOCATIONAL_BACHELOR", 247),
        ] {
            let (s, v) = get(&app, &format!("/api/v1/majors?level={level}&per_page=1")).await;
            assert_eq!(s, 200);
            assert_eq!(v["total"], n, "{level}");
            assert_eq!(v["per_page"], 1);
        }
        let (_, v) = get(&app, "/api/v1/majors?q=520101K").await;
        assert_eq!(v["total"], 1);
        assert_eq!(v["items"][0]["name"], "临床医学");
        assert_eq!(v["items"][0]["code"], "520101K", "the K suffix is kept");
        let (_, v) = get(
            &app,
            "/api/v1/majors?level=VOCATIONAL_SECONDARY&category=61&q=种子",
        )
        .await;
        assert_eq!(v["total"], 1);
        assert_eq!(v["items"][0]["code"], "610101");
        let (_, v) = get(&app, "/api/v1/majors?q=5201").await;
        assert!(v["total"].as_i64().unwrap() >= 2, "a code prefix matches");
        let (s, v) = get(&app, "/api/v1/majors?level=PRIMARY").await;
        assert_eq!(s, 422);
        assert_eq!(v["code"], "invalid.level");
        // Importing the same catalog again is refused unless replacing; nothing doubles.
        let e = web::features::majors::import_catalog(
            &app.db,
            &store::Actor::system("t"),
            catalog_bytes(),
            false,
            false,
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("已存在"));
        let out = web::features::majors::import_catalog(
            &app.db,
            &store::Actor::system("t"),
            catalog_bytes(),
            false,
            true,
        )
        .await
        .unwrap();
        assert_eq!(out.imported, 1681);
        assert_eq!(app.count("SELECT COUNT(*) FROM majors").await, 1681);
    }
}

#[tokio::test]
async fn a_broken_file_is_reported_row_by_row_and_nothing_is_written() {
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    app.user("jw_staff", "department", "jw").await;
    app.user("sw_staff", "department", "sw").await;
    let text = String::from_utf8(catalog_bytes()).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // Line 4 (a major): an invalid code; line 5: an unknown level; line 6 duplicates line 7.
    lines[3] = lines[3].replace(",610101,", ",61O101,");
    lines[4] = lines[4].replace("VOCATIONAL_SECONDARY", "PRIMARY_SCHOOL");
    lines[5] = lines[6].clone();
    let broken = lines.join("\n");

    let c = app.login("jw_staff").await;
    let html = c
        .get(app.url("/majors"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("尚未导入专业目录"));
    let csrf = hidden(&html, "csrf").unwrap();
    let upload = |bytes: Vec<u8>, only_valid: bool| {
        let mut form = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name("目录.csv"),
            );
        if only_valid {
            form = form.text("only_valid", "1");
        }
        c.post(app.url("/majors/import")).multipart(form).send()
    };
    let r = upload(broken.clone().into_bytes(), false).await.unwrap();
    assert_eq!(r.status(), 422);
    let h = r.text().await.unwrap();
    assert!(h.contains("未导入任何数据"), "{h}");
    assert!(
        h.contains("专业代码应为6位数字"),
        "row 4 names the bad code: {h}"
    );
    assert!(h.contains("教育层次“PRIMARY_SCHOOL”无效"));
    assert!(h.contains("与第7行重复") || h.contains("与第6行重复"));
    assert!(h.contains(">4<") && h.contains(">5<"), "row numbers shown");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM majors").await,
        0,
        "all or nothing"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM major_catalogs").await, 0);

    // Explicitly importing only the valid rows.
    let r = upload(broken.into_bytes(), true).await.unwrap();
    assert_eq!(r.status(), 200);
    let n = app.count("SELECT COUNT(*) FROM majors").await;
    assert!((1670..1681).contains(&n), "{n}");

    // Not a spreadsheet at all.
    let r = upload(b"%PDF-1.7 not a table".to_vec(), false)
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("既不是 CSV 也不是 XLSX"));

    // Someone outside measure 5's lead unit cannot import.
    let other = app.login("sw_staff").await;
    let html = other
        .get(app.url("/majors"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("导入专业目录"));
    let form = reqwest::multipart::Form::new()
        .text("csrf", hidden(&html, "csrf").unwrap())
        .part(
            "file",
            reqwest::multipart::Part::bytes(catalog_bytes()).file_name("a.csv"),
        );
    let r = other
        .post(app.url("/majors/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn xlsx_export_reimports_and_the_template_reads_back() {
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    web::features::majors::import_catalog(
        &app.db,
        &store::Actor::system("t"),
        catalog_bytes(),
        false,
        false,
    )
    .await
    .unwrap();
    let r = client()
        .get(app.url("/majors/export.xlsx?level=VOCATIONAL_BACHELOR"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap().to_vec();
    let table = tabular::read(&web::features::majors::CATALOG_SCHEMA, &bytes).unwrap();
    assert_eq!(table.rows.len(), 19 + 90 + 247);
    // The exported file is itself a valid catalog file.
    let out = web::features::majors::import_catalog(
        &app.db,
        &store::Actor::system("t"),
        bytes,
        false,
        true,
    )
    .await
    .unwrap();
    assert_eq!(out.imported, 356);
    let t = client()
        .get(app.url("/majors/template.xlsx"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let table = tabular::read(&web::features::majors::CATALOG_SCHEMA, &t).unwrap();
    assert!(table.rows.is_empty());
    let html = client()
        .get(app.url("/majors?level=VOCATIONAL_BACHELOR&q=%E6%8A%A4%E7%90%86"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("护理"));
}

#[test]
fn import_command_reports_and_exits_2_on_problems() {
    let dir = std::env::temp_dir().join(format!("chanjiao-majors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.join("m.db").display());
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_chanjiao"))
            .args(args)
            .env("CHANJIAO_DATABASE_URL", &db)
            .env("CHANJIAO_LOG", "error")
            .output()
            .unwrap()
    };
    let o = run(&["import", "major-catalog", CATALOG]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("已导入 1681 条"));
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "catalogCode,educationLevel,categoryCode,categoryName,majorCode,majorName,itemLevel\nX_1,中职,61,农林牧渔大类,6199999,坏代码,专业\n").unwrap();
    let o = run(&["import", "major-catalog", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("第2行"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let _ = std::fs::remove_dir_all(dir);
}
