//! Every import refuses hostile files within its limits and stays up: a value at XFD1048576, an
//! absurd shared-string count, a zip bomb, a CSV line of a million commas — on every import
//! route and the command line; uploads are refused exactly above their size.

use std::process::Command;

use crate::helpers::{TestApp, backends, fresh_database, hidden};

/// The import routes, with the page that carries their form and the limits of their kind.
struct Route {
    page: &'static str,
    post: &'static str,
    kind: web::import::ImportKind,
}

const ROUTES: &[Route] = &[
    Route {
        page: "/supply",
        post: "/supply/import",
        kind: web::import::SUPPLY,
    },
    Route {
        page: "/majors",
        post: "/majors/import",
        kind: web::import::CATALOG,
    },
    Route {
        page: "/occupations",
        post: "/occupations/import",
        kind: web::import::OCCUPATIONS,
    },
    Route {
        page: "/occupations",
        post: "/occupations/crosswalk/import",
        kind: web::import::OCCUPATIONS,
    },
    Route {
        page: "/demand",
        post: "/demand/import",
        kind: web::import::DEMAND,
    },
];

fn hostile(name: &str) -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tabular/tests/hostile/");
    std::fs::read(format!("{path}{name}")).unwrap_or_else(|e| panic!("{path}{name}: {e}"))
}

/// A CSV whose second line is a million commas and a value.
fn comma_bomb() -> Vec<u8> {
    let mut csv = "姓名,编码\n".as_bytes().to_vec();
    csv.extend(std::iter::repeat_n(b',', 1_000_000));
    csv.extend_from_slice(b"x\n");
    csv
}

async fn upload(
    app: &TestApp,
    c: &reqwest::Client,
    path: &str,
    csrf: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (u16, String) {
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        );
    let r = c
        .post(app.url(&format!("{path}?csrf={csrf}")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn hostile_files_are_refused_on_every_import_route() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        app.user("op_imports", "operator", "operator").await;
        let c = app.login("op_imports").await;
        let audit_before = app.audit_count().await;
        for route in ROUTES {
            let html = c
                .get(app.url(route.page))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let csrf = hidden(&html, "csrf").unwrap_or_else(|| panic!("csrf on {}", route.page));
            let l = route.kind.limits;
            let corner = if l.max_rows < 1_048_576 {
                format!("表格的数据超出第 {0} 行（上限 {0} 行）", l.max_rows)
            } else {
                format!(
                    "表格的数据超出第 IV 列（{0} 列，上限 {0} 列）",
                    l.max_columns
                )
            };
            let cases = [
                ("corner.xlsx", hostile("corner.xlsx"), corner),
                (
                    "sst.xlsx",
                    hostile("sst.xlsx"),
                    format!("XLSX 文件的共享字符串超过 {} 个的上限", l.max_cells),
                ),
                (
                    "bomb.xlsx",
                    hostile("bomb.xlsx"),
                    format!(
                        "XLSX 文件解压后超过 {} MB 的上限",
                        l.max_unzipped_bytes / 1024 / 1024
                    ),
                ),
                (
                    "commas.csv",
                    comma_bomb(),
                    format!(
                        "表格的数据超出第 IV 列（{0} 列，上限 {0} 列）",
                        l.max_columns
                    ),
                ),
            ];
            for (name, bytes, message) in cases {
                let (s, body) = upload(&app, &c, route.post, &csrf, name, bytes).await;
                assert_eq!(s, 422, "{} {name}: {body}", route.post);
                assert!(
                    body.contains(&format!("文件超出导入上限：{message}")),
                    "{} {name} should name the limit ({message}): {body}",
                    route.post
                );
            }
            // The server is still up and answers other pages.
            let r = c.get(app.url("/")).send().await.unwrap();
            assert_eq!(r.status(), 200);
        }
        // Nothing was imported, so nothing was recorded.
        assert_eq!(app.audit_count().await, audit_before);
        for table in ["majors", "occupations", "major_supply", "job_postings"] {
            let n = app.count(&format!("SELECT COUNT(*) FROM {table}")).await;
            assert_eq!(n, 0, "{table}");
        }
    }
}

#[tokio::test]
async fn uploads_are_refused_exactly_above_their_size() {
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    app.user("op_imports", "operator", "operator").await;
    let c = app.login("op_imports").await;
    let html = c
        .get(app.url("/supply"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&html, "csrf").unwrap();
    let max = web::import::SUPPLY.max_file;
    // A header row padded with blank lines to the size: read, and found to lack columns.
    let padded = |len: usize| {
        let mut csv = "学校统一社会信用代码,专业代码,年份\n".as_bytes().to_vec();
        csv.resize(len, b'\n');
        csv
    };
    let (s, body) = upload(&app, &c, "/supply/import", &csrf, "a.csv", padded(max)).await;
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("缺少必填列：计划招生数"), "{body}");
    let (s, body) = upload(&app, &c, "/supply/import", &csrf, "a.csv", padded(max + 1)).await;
    assert_eq!(s, 413, "{body}");
    assert!(body.contains("文件超过 10 MB 的上限"), "{body}");
    // Far above: refused as soon as the file passes the size, the rest unread.
    let (s, body) = upload(&app, &c, "/supply/import", &csrf, "a.csv", padded(3 * max)).await;
    assert_eq!(s, 413, "{body}");
    assert!(body.contains("文件超过 10 MB 的上限"), "{body}");
}

#[tokio::test]
async fn the_command_line_import_refuses_hostile_files() {
    let url = fresh_database(store::Backend::Sqlite).await;
    let migrate = Command::new(env!("CARGO_BIN_EXE_chanjiao"))
        .arg("migrate")
        .env("CHANJIAO_DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(migrate.status.success());
    let dir = std::env::temp_dir().join(format!("cj-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("corner.xlsx");
    std::fs::write(&file, hostile("corner.xlsx")).unwrap();
    for command in [
        "supply",
        "major-catalog",
        "occupations",
        "crosswalk",
        "demand",
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_chanjiao"))
            .args(["import", command, file.to_str().unwrap()])
            .env("CHANJIAO_DATABASE_URL", &url)
            .env("CHANJIAO_LOG", "error")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{command}");
        assert!(
            err.contains("文件超出导入上限：表格的数据超出第"),
            "{command}: {err}"
        );
    }
}
