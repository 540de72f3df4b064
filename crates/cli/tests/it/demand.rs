//! Measure 5, demand (岗位需求): postings with an occupation code or a free-text title; titles
//! matched to occupations with a confidence; uncertain ones wait for a person, whose answer is
//! remembered; row-by-row validation, all or nothing; access for measure 5's units only.

use domain::orgs::OrgKind;
use store::occupations::NewOccupation;

use crate::helpers::{TestApp, backends, credit, hidden};

const HEADER: &str = "区县,行业代码,职业代码,岗位名称,需求人数,发布日期,最低月薪（元）,最高月薪（元）,企业统一社会信用代码";

fn csv(rows: &[&str]) -> Vec<u8> {
    format!("{HEADER}\n{}\n", rows.join("\n")).into_bytes()
}

async fn occupations(app: &TestApp) {
    let occ = |code: &str, name: &str, d: &str| NewOccupation {
        code: code.into(),
        name: name.into(),
        level: "OCCUPATION".into(),
        parent_code: code.rsplit_once('-').map(|(p, _)| p.to_string()),
        description: Some(d.into()),
    };
    let rows = vec![
        occ(
            "6-22-01-01",
            "汽车整车装配工",
            "从事汽车整车装配、调试的人员",
        ),
        occ(
            "4-10-01-05",
            "养老护理员",
            "从事老年人生活照料、护理服务的人员",
        ),
        occ(
            "2-02-10-03",
            "软件开发工程技术人员",
            "从事软件需求分析、设计、编码、测试的工程技术人员",
        ),
        occ("6-18-01-01", "车工", "操作车床进行工件切削加工的人员"),
        occ(
            "4-03-02-01",
            "中式烹调师",
            "运用煎、炒、烹、炸等技法制作中式菜肴的人员",
        ),
    ];
    let mut tx = app.db.begin().await.unwrap();
    store::occupations::import(&mut tx, &store::Actor::system("t"), &rows)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn upload(
    app: &TestApp,
    c: &reqwest::Client,
    csrf: &str,
    bytes: Vec<u8>,
    only_valid: bool,
) -> (u16, String) {
    let mut form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("需求.csv"),
        );
    if only_valid {
        form = form.text("only_valid", "1");
    }
    let r = c
        .post(app.url("/demand/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn get(c: &reqwest::Client, url: String) -> (u16, String) {
    let r = c.get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn postings_are_validated_matched_and_confirmed() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        occupations(&app).await;
        let ent = credit("91500112MA0000001");
        app.org(OrgKind::Enterprise, &ent, "重庆甲汽车有限公司", "500112")
            .await;
        app.user("jw_staff", "department", "jw").await;
        app.user("rsj_staff", "department", "rsj").await;
        app.user("sw_staff", "department", "sw").await;
        let c = app.login("rsj_staff").await;
        let (s, html) = get(&c, app.url("/demand")).await;
        assert_eq!(s, 200, "{html}");
        let csrf = hidden(&html, "csrf").unwrap();

        // Bad rows: each listed with row and column; nothing written.
        let before = app.count("SELECT COUNT(*) FROM job_postings").await;
        let unknown_ent = format!(
            "500112,,6-22-01-01,,3,2025-03-03,,,{}",
            credit("91500112MA0000009")
        );
        let bad = csv(&[
            "渝北区,C3612,6-22-01-01,,5,2025-03-01,4500,6500,",
            "火星区,C3612,6-22-01-01,,5,2025-03-01,,,",
            "500112,X99,,汽车装配工,5,2025-03-01,,,",
            "500112,,6-22-01,,5,2025-03-01,,,",
            "500112,,8-99-99-99,,5,2025-03-01,,,",
            "500112,,,,5,2025-03-01,,,",
            "500112,,6-22-01-01,,-3,2025-03-01,,,",
            "500112,,6-22-01-01,,3,2025-02-30,,,",
            "500112,,6-22-01-01,,3,2025-03-02,7000,5000,",
            &unknown_ent,
            "渝北区,C3612,6-22-01-01,,5,2025-03-01,4500,6500,",
        ]);
        let (s, html) = upload(&app, &c, &csrf, bad.clone(), false).await;
        assert_eq!(s, 422, "{html}");
        for (row, msg) in [
            (3, "不是重庆市的区县"),
            (4, "行业代码"),
            (5, "上级类别"),
            (6, "不在平台的职业分类中"),
            (7, "不能都为空"),
            (8, "正整数"),
            (9, "发布日期"),
            (10, "最高月薪不能低于最低月薪"),
            (11, "未在平台登记"),
            (12, "与第2行重复"),
        ] {
            assert!(
                html.contains(&format!("<td>{row}</td>")) && html.contains(msg),
                "row {row}: {msg}\n{html}"
            );
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM job_postings").await, before);

        // Only the valid rows when asked: row 2 (given code) is imported alone.
        let (s, html) = upload(&app, &c, &csrf, bad, true).await;
        assert_eq!(s, 200, "{html}");
        assert!(html.contains("已导入 1 行"), "{html}");

        // Titles: an exact name is counted automatically; a vague one waits with a proposal.
        let good = csv(&[
            &format!("渝北区,C3612,,汽车整车装配工,4,2025-04-01,,,{ent}"),
            "江北区,Q8514,,养老护理员（双休）,2,2025-04-02,,,",
            "江北区,,,门店储备干部,3,2025-04-03,,,",
            "沙坪坝区,,,门店储备干部,1,2025-04-04,,,",
        ]);
        let (s, html) = upload(&app, &c, &csrf, good, false).await;
        assert_eq!(s, 200, "{html}");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM job_postings WHERE match_status = 'auto' AND occupation_code = '6-22-01-01' AND source = 'enterprise'").await,
            1
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM job_postings WHERE occupation_code = '4-10-01-05'")
                .await,
            1
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM job_postings WHERE match_status = 'pending' AND title = '门店储备干部'").await,
            2
        );
        let (s, html) = get(&c, app.url("/demand/queue")).await;
        assert_eq!(s, 200);
        assert!(
            html.contains("门店储备干部") && html.contains("需求 4 人"),
            "{html}"
        );

        // A person answers: both rows take it, and a later file with the title does too.
        let r = c
            .post(app.url("/demand/confirm"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("title", "门店储备干部"),
                ("occupation", ""),
                ("occupation_other", "4-03-02-01"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let loc = r.headers()["location"].to_str().unwrap().to_string();
        let (_, html) = get(&c, app.url(&loc)).await;
        assert!(html.contains("已确认为职业 4-03-02-01，2 行"), "{html}");
        assert!(!html.contains("<h2>门店储备干部</h2>"), "{html}");
        let (s, _) = upload(
            &app,
            &c,
            &csrf,
            csv(&["江北区,,,门店储备干部,7,2025-05-01,,,"]),
            false,
        )
        .await;
        assert_eq!(s, 200);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM job_postings WHERE title = '门店储备干部' AND match_status = 'confirmed' AND occupation_code = '4-03-02-01'").await,
            3
        );

        // An unknown code in a confirmation is refused with a message.
        let r = c
            .post(app.url("/demand/confirm"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("title", "门店储备干部"),
                ("occupation", "8-99-99-99"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("不在平台的职业分类中"));

        // API: same data and rules.
        let uid = app
            .count("SELECT id FROM users WHERE username = 'rsj_staff'")
            .await;
        let token = app.token(uid).await;
        let api = reqwest::Client::new();
        let v: serde_json::Value = api
            .get(app.url("/api/v1/demand?status=confirmed"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["total"], 3, "{v}");
        let r = api
            .get(app.url("/api/v1/demand?status=bogus"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);

        // Another department: no access to demand pages or API.
        let other = app.login("sw_staff").await;
        assert_eq!(get(&other, app.url("/demand")).await.0, 403);
        assert_eq!(get(&other, app.url("/demand/queue")).await.0, 403);
        let sid = app
            .count("SELECT id FROM users WHERE username = 'sw_staff'")
            .await;
        let st = app.token(sid).await;
        let r = api
            .get(app.url("/api/v1/demand"))
            .bearer_auth(&st)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);

        // Every import and confirmation is in the audit log.
        assert!(
            app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'demand.import'")
                .await
                >= 3
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'demand.confirm'")
                .await,
            1
        );
    }
}
