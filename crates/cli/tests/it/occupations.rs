//! Measure 5: occupations (职业分类大典 codes) and the major→occupation crosswalk (职业面向):
//! imports, the per-major editor and the API.

use std::process::Command;

use serde_json::{Value, json};

use crate::helpers::{TestApp, backends, client, hidden};

/// A small catalog: two 高职专科 majors and one 中职 major.
const CATALOG: &str = "\
catalogCode,educationLevel,categoryCode,categoryName,classCode,className,majorCode,majorName,parentCode,itemLevel
MOE_VOCATIONAL_2021,VOCATIONAL_ASSOCIATE,51,电子与信息大类,,,51,电子与信息大类,,CATEGORY
MOE_VOCATIONAL_2021,VOCATIONAL_ASSOCIATE,51,电子与信息大类,5102,计算机类,5102,计算机类,51,CLASS
MOE_VOCATIONAL_2021,VOCATIONAL_ASSOCIATE,51,电子与信息大类,5102,计算机类,510201,计算机应用技术,5102,MAJOR
MOE_VOCATIONAL_2021,VOCATIONAL_ASSOCIATE,51,电子与信息大类,5102,计算机类,510203,软件技术,5102,MAJOR
MOE_VOCATIONAL_2021,VOCATIONAL_SECONDARY,71,电子与信息大类,,,71,电子与信息大类,,CATEGORY
MOE_VOCATIONAL_2021,VOCATIONAL_SECONDARY,71,电子与信息大类,7102,计算机类,7102,计算机类,71,CLASS
MOE_VOCATIONAL_2021,VOCATIONAL_SECONDARY,71,电子与信息大类,7102,计算机类,710201,计算机应用,7102,MAJOR
";

/// A handful of occupations with their groups; the level of the last two is left to the code.
const OCCUPATIONS: &str = "\
职业代码,职业名称,层级,上级代码,职业描述
4,社会生产服务和生活服务人员,大类,,
4-04,信息传输、软件和信息技术服务人员,中类,4,
4-04-05,信息技术服务人员,小类,4-04,
4-04-05-01,计算机程序设计员,职业,4-04-05,使用计算机语言进行程序设计、编码、测试和维护的人员
4-04-05-02,计算机软件测试员,,,
2-02-10-03,计算机网络工程技术人员,,2-02-10,
";

async fn setup(app: &TestApp) {
    let actor = store::Actor::system("t");
    let out =
        web::features::majors::import_catalog(&app.db, &actor, CATALOG.as_bytes(), false, false)
            .await
            .unwrap();
    assert!(out.report.is_clean(), "{:?}", out.report);
    let out = web::features::occupations::import_occupations(
        &app.db,
        &actor,
        OCCUPATIONS.as_bytes(),
        false,
    )
    .await
    .unwrap();
    assert!(out.report.is_clean(), "{:?}", out.report);
    assert_eq!((out.imported, out.added, out.updated), (6, 6, 0));
}

fn crosswalk_xlsx(rows: &[[&str; 4]]) -> Vec<u8> {
    let rows: Vec<Vec<tabular::Cell>> = rows
        .iter()
        .map(|r| r.iter().map(|s| tabular::Cell::from(*s)).collect())
        .collect();
    tabular::export(&web::features::occupations::CROSSWALK_SCHEMA, &rows).unwrap()
}

async fn get(path: &str, app: &TestApp) -> (u16, Value) {
    let r = client().get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn occupations_and_crosswalk_import_and_answer_the_api() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        setup(&app).await;
        let actor = store::Actor::system("t");

        // Levels and parents come from the code when the file leaves them out.
        let (s, v) = get("/api/v1/occupations?q=4-04-05&per_page=2", &app).await;
        assert_eq!(s, 200);
        assert_eq!(v["total"], 3);
        assert_eq!(v["page"], 1);
        assert_eq!(v["per_page"], 2);
        assert_eq!(v["items"].as_array().unwrap().len(), 2);
        assert_eq!(v["items"][0]["code"], "4-04-05");
        assert_eq!(v["items"][0]["level"], "MINOR_GROUP");
        let (_, v) = get("/api/v1/occupations?q=4-04-05-02", &app).await;
        assert_eq!(v["items"][0]["level"], "OCCUPATION");
        assert_eq!(v["items"][0]["parent_code"], "4-04-05");
        let (_, v) = get("/api/v1/occupations?q=%E7%A8%8B%E5%BA%8F", &app).await;
        assert_eq!(v["total"], 1, "search by name: 程序");
        assert_eq!(v["items"][0]["name"], "计算机程序设计员");
        let (s, v) = get("/api/v1/occupations?per_page=lots", &app).await;
        assert_eq!(s, 422);
        assert_eq!(v["code"], "invalid.per_page");

        // The crosswalk from XLSX, levels written either way.
        let out = web::features::occupations::import_crosswalk(
            &app.db,
            &actor,
            crosswalk_xlsx(&[
                ["VOCATIONAL_ASSOCIATE", "510201", "4-04-05-01", "主要面向"],
                ["高职专科", "510201", "2-02-10-03", ""],
                ["中职", "710201", "4-04-05-02", ""],
            ]),
            false,
        )
        .await
        .unwrap();
        assert!(out.report.is_clean(), "{:?}", out.report);
        assert_eq!((out.imported, out.majors), (3, 2));
        let (s, v) = get(
            "/api/v1/majors/VOCATIONAL_ASSOCIATE/510201/occupations",
            &app,
        )
        .await;
        assert_eq!(s, 200);
        assert_eq!(v["name"], "计算机应用技术");
        let occ = v["occupations"].as_array().unwrap();
        assert_eq!(occ.len(), 2);
        assert_eq!(occ[0]["occupation_code"], "2-02-10-03");
        assert_eq!(occ[1]["occupation_name"], "计算机程序设计员");
        assert_eq!(occ[1]["note"], "主要面向");

        // A second file (CSV) replaces the pairs of the majors it names, and only those.
        let out = web::features::occupations::import_crosswalk(
            &app.db,
            &actor,
            "教育层次,专业代码,职业代码,备注\n高职专科,510201,4-04-05-02,\n".as_bytes(),
            false,
        )
        .await
        .unwrap();
        assert_eq!((out.imported, out.majors, out.changed), (1, 1, 1));
        let (_, v) = get(
            "/api/v1/majors/VOCATIONAL_ASSOCIATE/510201/occupations",
            &app,
        )
        .await;
        assert_eq!(v["occupations"].as_array().unwrap().len(), 1);
        assert_eq!(v["occupations"][0]["occupation_code"], "4-04-05-02");
        let (_, v) = get(
            "/api/v1/majors/VOCATIONAL_SECONDARY/710201/occupations",
            &app,
        )
        .await;
        assert_eq!(v["occupations"].as_array().unwrap().len(), 1);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'major_occupations.set'")
                .await,
            3
        );

        let (s, v) = get(
            "/api/v1/majors/VOCATIONAL_ASSOCIATE/519999/occupations",
            &app,
        )
        .await;
        assert_eq!(s, 404);
        assert_eq!(v["code"], "not_found");
        let (s, _) = get("/api/v1/majors/PRIMARY/510201/occupations", &app).await;
        assert_eq!(s, 404);

        // Exports read back as import files.
        let bytes = client()
            .get(app.url("/occupations/export.xlsx"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec();
        let out = web::features::occupations::import_occupations(&app.db, &actor, bytes, false)
            .await
            .unwrap();
        assert!(out.report.is_clean(), "{:?}", out.report);
        assert_eq!((out.imported, out.added, out.updated), (6, 0, 6));
        let r = client()
            .get(app.url("/occupations/crosswalk.xlsx"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let bytes = r.bytes().await.unwrap().to_vec();
        let table = tabular::read(&web::features::occupations::CROSSWALK_SCHEMA, &bytes).unwrap();
        assert_eq!(table.rows.len(), 2);
        let out = web::features::occupations::import_crosswalk(&app.db, &actor, bytes, false)
            .await
            .unwrap();
        assert_eq!(
            (out.imported, out.changed),
            (2, 0),
            "re-import changes nothing"
        );
        for t in [
            "/occupations/template.xlsx",
            "/occupations/crosswalk-template.xlsx",
        ] {
            let r = client().get(app.url(t)).send().await.unwrap();
            assert_eq!(r.status(), 200, "{t}");
        }

        // The list page searches and pages.
        let html = client()
            .get(app.url("/occupations?q=%E8%BD%AF%E4%BB%B6"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("计算机软件测试员"));
        assert!(!html.contains("计算机程序设计员"));
        assert!(
            !html.contains("导入职业"),
            "anonymous visitors cannot import"
        );
    }
}

#[tokio::test]
async fn the_api_replaces_a_majors_occupations_for_measure_5s_lead() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        setup(&app).await;
        let jw = app.user("jw_staff", "department", "jw").await;
        let sw = app.user("sw_staff", "department", "sw").await;
        let (jw, sw) = (app.token(jw).await, app.token(sw).await);
        let url = app.url("/api/v1/majors/VOCATIONAL_ASSOCIATE/510203/occupations");
        let put =
            |token: &str, body: Value| client().put(&url).bearer_auth(token).json(&body).send();
        let r = put(&jw, json!({"occupations": ["4-04-05-01", "4-04-05-02"]}))
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["code"], "510203");
        assert_eq!(v["occupations"].as_array().unwrap().len(), 2);
        assert_eq!(v["occupations"][0]["updated_by"], "jw_staff");

        let before = app.count("SELECT COUNT(*) FROM major_occupations").await;
        let r = put(&jw, json!({"occupations": ["4-04-05-01", "4-4-05-02"]}))
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["code"], "invalid.occupations");
        assert!(v["message"].as_str().unwrap().contains("4-4-05-02"), "{v}");
        let r = put(&jw, json!({"occupations": ["4-04-05-99"]}))
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let v: Value = r.json().await.unwrap();
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .contains("“4-04-05-99”不在职业分类中"),
            "{v}"
        );
        let r = put(&jw, json!({"codes": ["4-04-05-01"]})).await.unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "invalid.body");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM major_occupations").await,
            before,
            "nothing written"
        );

        let r = client()
            .put(app.url("/api/v1/majors/VOCATIONAL_ASSOCIATE/519999/occupations"))
            .bearer_auth(&jw)
            .json(&json!({"occupations": []}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        let r = put(&sw, json!({"occupations": []})).await.unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "forbidden");
        let r = client()
            .put(&url)
            .json(&json!({"occupations": []}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);

        // An empty list clears the major; both changes are audited with before and after.
        let r = put(&jw, json!({"occupations": []})).await.unwrap();
        assert_eq!(r.status(), 200);
        let r = put(&jw, json!({"occupations": []})).await.unwrap();
        assert_eq!(r.status(), 200, "no change is fine");
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'major_occupations.set' \
                 AND entity_id = 'VOCATIONAL_ASSOCIATE/510203' AND actor = 'jw_staff'"
            )
            .await,
            2
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM major_occupations WHERE major_code = '510203'")
                .await,
            0
        );

        // The document names the new paths.
        let (_, doc) = get("/api/v1/openapi.json", &app).await;
        assert!(doc["paths"]["/api/v1/occupations"]["get"].is_object());
        assert!(doc["paths"]["/api/v1/majors/{level}/{code}/occupations"]["put"].is_object());
    }
}

#[tokio::test]
async fn bad_files_are_reported_by_row_and_column_and_nothing_is_written() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        let actor = store::Actor::system("t");
        web::features::majors::import_catalog(&app.db, &actor, CATALOG.as_bytes(), false, false)
            .await
            .unwrap();
        app.user("jw_staff", "department", "jw").await;
        let c = app.login("jw_staff").await;
        let html = c
            .get(app.url("/occupations"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("导入职业面向"));
        let csrf = hidden(&html, "csrf").unwrap();
        let upload = |path: &str, bytes: Vec<u8>, only_valid: bool| {
            let mut form = reqwest::multipart::Form::new()
                .text("csrf", csrf.clone())
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(bytes).file_name("f.csv"),
                );
            if only_valid {
                form = form.text("only_valid", "1");
            }
            c.post(app.url(path)).multipart(form).send()
        };

        // Row 3: a malformed code; row 4: a level that contradicts the code; row 5: major group 9.
        let bad = OCCUPATIONS
            .replace("4-04,信息传输", "4-4,信息传输")
            .replace(
                "4-04-05,信息技术服务人员,小类",
                "4-04-05,信息技术服务人员,职业",
            )
            .replace("4-04-05-01,", "9-04-05-01,");
        let r = upload("/occupations/import", bad.clone().into_bytes(), false)
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let h = r.text().await.unwrap();
        assert!(h.contains("未导入任何数据"), "{h}");
        assert!(h.contains("职业代码“4-4”格式无效"), "{h}");
        assert!(h.contains("层级“职业”与代码“4-04-05”不符"), "{h}");
        assert!(h.contains("职业代码“9-04-05-01”格式无效"), "{h}");
        assert!(
            h.contains(">A3<") && h.contains(">C4<") && h.contains(">A5<"),
            "{h}"
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM occupations").await, 0);

        // Only the valid rows, on request.
        let r = upload("/occupations/import", bad.into_bytes(), true)
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("已导入 3 个职业"));
        let r = upload(
            "/occupations/import",
            OCCUPATIONS.as_bytes().to_vec(),
            false,
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(app.count("SELECT COUNT(*) FROM occupations").await, 6);

        // The crosswalk: an unknown major, an unknown occupation, a bad level, a malformed
        // major code; the good row 2 is not written either.
        let bad = crosswalk_xlsx(&[
            ["高职专科", "510201", "4-04-05-01", ""],
            ["高职专科", "519999", "4-04-05-01", ""],
            ["中职", "710201", "4-04-05-99", ""],
            ["小学", "710201", "4-04-05-01", ""],
            ["中职", "71O201", "4-04-05-01", ""],
            ["中职", "510201", "4-04-05-01", ""],
        ]);
        let r = upload("/occupations/crosswalk/import", bad.clone(), false)
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let h = r.text().await.unwrap();
        assert!(
            h.contains("专业“519999”（高职专科）不在当前专业目录中"),
            "{h}"
        );
        assert!(h.contains(">B3<"), "{h}");
        assert!(h.contains("职业代码“4-04-05-99”不在职业分类中"), "{h}");
        assert!(h.contains(">C4<"), "{h}");
        assert!(h.contains("教育层次“小学”无效"), "{h}");
        assert!(h.contains(">A5<") && h.contains(">B6<"), "{h}");
        assert!(h.contains("专业“510201”（中职）不在当前专业目录中"), "{h}");
        assert_eq!(app.count("SELECT COUNT(*) FROM major_occupations").await, 0);
        let r = upload("/occupations/crosswalk/import", bad, true)
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(app.count("SELECT COUNT(*) FROM major_occupations").await, 1);

        // Not a table at all; a wrong CSRF token.
        let r = upload("/occupations/import", b"%PDF-1.7".to_vec(), false)
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let form = reqwest::multipart::Form::new().text("csrf", "forged").part(
            "file",
            reqwest::multipart::Part::bytes(OCCUPATIONS.as_bytes().to_vec()).file_name("a.csv"),
        );
        let r = c
            .post(app.url("/occupations/import"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
    }
}

#[tokio::test]
async fn the_editor_adds_and_removes_for_measure_5s_lead_only() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        setup(&app).await;
        app.user("jw_staff", "department", "jw").await;
        app.user("sw_staff", "department", "sw").await;
        let page = "/majors/VOCATIONAL_ASSOCIATE/510201/occupations";

        // The majors list links each major to its editor (by the level's Chinese name).
        let html = client()
            .get(app.url("/majors"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("href=\"/majors/高职专科/510201/occupations\""),
            "{html}"
        );
        let r = client()
            .get(app.url("/majors/高职专科/510201/occupations"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let h = r.text().await.unwrap();
        assert!(h.contains("计算机应用技术") && h.contains("尚未登记职业面向"));
        assert!(!h.contains("添加职业"), "read-only when signed out");
        let r = client()
            .get(app.url("/majors/VOCATIONAL_ASSOCIATE/519999/occupations"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);

        let c = app.login("jw_staff").await;
        let html = c
            .get(app.url(page))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("添加职业"));
        let csrf = hidden(&html, "csrf").unwrap();
        let post = |client: &reqwest::Client, action: &str, form: Vec<(&str, String)>| {
            client
                .post(app.url(&format!("{page}/{action}")))
                .form(&form)
                .send()
        };
        let audits = app.audit_count().await;
        let r = post(
            &c,
            "add",
            vec![
                ("csrf", "forged".into()),
                ("occupation", "4-04-05-01".into()),
            ],
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 403, "CSRF is checked");
        let r = post(
            &c,
            "add",
            vec![("csrf", csrf.clone()), ("occupation", "4-04-05-9".into())],
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 422);
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("职业代码“4-04-05-9”格式无效")
        );
        let r = post(
            &c,
            "add",
            vec![("csrf", csrf.clone()), ("occupation", "4-04-05-88".into())],
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(app.audit_count().await, audits, "nothing written");

        for code in ["4-04-05-01", "2-02-10-03"] {
            let r = post(
                &c,
                "add",
                vec![
                    ("csrf", csrf.clone()),
                    ("occupation", code.into()),
                    ("note", "主要面向".into()),
                ],
            )
            .await
            .unwrap();
            assert_eq!(r.status(), 303);
            assert_eq!(
                r.headers()["location"],
                "/majors/VOCATIONAL_ASSOCIATE/510201/occupations?notice=added"
            );
        }
        let h = c
            .get(app.url(&format!("{page}?notice=added")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(h.contains("已添加职业面向"));
        assert!(h.contains("计算机程序设计员") && h.contains("计算机网络工程技术人员"));
        assert!(h.contains("jw_staff"));

        let r = post(
            &c,
            "remove",
            vec![("csrf", csrf.clone()), ("occupation", "2-02-10-03".into())],
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 303);
        let r = post(
            &c,
            "remove",
            vec![("csrf", csrf.clone()), ("occupation", "2-02-10-03".into())],
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 404, "already removed");
        let (_, v) = get(
            "/api/v1/majors/VOCATIONAL_ASSOCIATE/510201/occupations",
            &app,
        )
        .await;
        assert_eq!(v["occupations"].as_array().unwrap().len(), 1);
        assert_eq!(v["occupations"][0]["occupation_code"], "4-04-05-01");
        for (action, n) in [
            ("major_occupations.add", 2),
            ("major_occupations.remove", 1),
        ] {
            assert_eq!(
                app.count(&format!(
                    "SELECT COUNT(*) FROM audit_log WHERE action = '{action}' \
                     AND entity_id = 'VOCATIONAL_ASSOCIATE/510201' AND actor = 'jw_staff'"
                ))
                .await,
                n,
                "{action}"
            );
        }

        // Another department reads but cannot edit.
        let other = app.login("sw_staff").await;
        let html = other
            .get(app.url(page))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("计算机程序设计员"));
        assert!(!html.contains("添加职业") && !html.contains("移除"));
        let their = hidden(&html, "csrf").unwrap();
        for action in ["add", "remove"] {
            let r = post(
                &other,
                action,
                vec![("csrf", their.clone()), ("occupation", "4-04-05-01".into())],
            )
            .await
            .unwrap();
            assert_eq!(r.status(), 403, "{action}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM major_occupations").await, 1);
    }
}

#[test]
fn import_commands_report_and_exit_2_on_problems() {
    let dir = std::env::temp_dir().join(format!("chanjiao-occupations-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.join("o.db").display());
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_chanjiao"))
            .args(args)
            .env("CHANJIAO_DATABASE_URL", &db)
            .env("CHANJIAO_LOG", "error")
            .output()
            .unwrap()
    };
    let file = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let o = run(&["import", "major-catalog", &file("c.csv", CATALOG)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let o = run(&["import", "occupations", &file("o.csv", OCCUPATIONS)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("已导入 6 个职业（新增 6，更新 0）"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = run(&[
        "import",
        "occupations",
        &file("bad.csv", "职业代码,职业名称\n4-04-5-01,坏代码\n"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("第2行 职业代码 A2"));

    let o = run(&[
        "import",
        "crosswalk",
        &file(
            "x.csv",
            "教育层次,专业代码,职业代码,备注\n高职专科,510201,4-04-05-01,\n中职,710201,4-04-05-02,\n",
        ),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("已导入 2 条职业面向，涉及 2 个专业"));
    let o = run(&[
        "import",
        "crosswalk",
        &file(
            "xbad.csv",
            "教育层次,专业代码,职业代码,备注\n高职专科,519999,4-04-05-01,\n",
        ),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("第2行 专业代码 B2") && err.contains("不在当前专业目录中"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
