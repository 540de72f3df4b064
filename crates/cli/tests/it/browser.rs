//! The key pages in a real headless Chromium, driven over WebDriver: log in, see the
//! dashboard, filter the organisation list by district. Screenshots go to
//! `target/screenshots/`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use domain::orgs::OrgKind;
use fantoccini::{ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, credit};

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls until the page's URL contains `needle` (navigation after a click is asynchronous).
async fn wait_for_url(c: &fantoccini::Client, needle: &str) -> String {
    for _ in 0..100 {
        let url = c.current_url().await.unwrap().to_string();
        if url.contains(needle) {
            return url;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the browser never reached a URL containing {needle}");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn screenshots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn login_dashboard_and_district_filter_in_chromium() {
    let driver_bin =
        std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    assert!(
        std::path::Path::new(&driver_bin).exists(),
        "chromedriver not found at {driver_bin}; install Debian's chromium and chromium-driver (see .ci/run)"
    );
    let app = TestApp::spawn(store::Backend::Sqlite).await;
    app.user("op1", "operator", "operator").await;
    app.org(
        OrgKind::Enterprise,
        &credit("91500103MA5U70001"),
        "渝中示例智造有限公司",
        "500103",
    )
    .await;
    app.org(
        OrgKind::School,
        &credit("52500103MJ0000002"),
        "渝中示例职业教育中心",
        "500103",
    )
    .await;
    app.org(
        OrgKind::Enterprise,
        &credit("91500106MA5U70003"),
        "沙坪坝示例软件有限公司",
        "500106",
    )
    .await;

    let port = free_port();
    let _driver = Driver(
        Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let profile = std::env::temp_dir().join(format!("chanjiao-chrome-{}", std::process::id()));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--window-size=1366,900", "--lang=zh-CN",
                     format!("--user-data-dir={}", profile.display())]
        }),
    );
    let mut client = None;
    for _ in 0..50 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let c = client.expect("connect to chromedriver");
    let shots = screenshots_dir();

    c.goto(&app.url("/login")).await.unwrap();
    c.find(Locator::Css("input[name=username]"))
        .await
        .unwrap()
        .send_keys("op1")
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    std::fs::write(shots.join("01-login.png"), c.screenshot().await.unwrap()).unwrap();
    c.find(Locator::Css("button[type=submit].primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    for _ in 0..100 {
        if !c.current_url().await.unwrap().as_str().contains("/login") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let h1 = c
        .find(Locator::Css("main h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(h1, "工作概览");
    let svg = c.find(Locator::Css("svg.chart")).await.unwrap();
    assert!(svg.html(false).await.unwrap().contains("渝中区"));
    std::fs::write(
        shots.join("02-dashboard.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();

    c.find(Locator::LinkText("机构名录"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_url(&c, "/orgs").await;
    c.find(Locator::Css("select[name=district]"))
        .await
        .unwrap()
        .select_by_value("500103")
        .await
        .unwrap();
    c.find(Locator::Css("select[name=kind]"))
        .await
        .unwrap()
        .select_by_value("enterprise")
        .await
        .unwrap();
    c.find(Locator::Css("form.filters button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let url = wait_for_url(&c, "district=500103").await;
    assert!(url.contains("kind=enterprise"), "{url}");
    let body = c
        .find(Locator::Css("table.grid tbody"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("渝中示例智造有限公司"), "{body}");
    assert!(!body.contains("沙坪坝示例软件有限公司"));
    assert!(
        !body.contains("渝中示例职业教育中心"),
        "kind filter applies"
    );
    std::fs::write(
        shots.join("03-orgs-filtered.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();

    c.find(Locator::LinkText("渝中示例智造有限公司"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_url(&c, "/orgs/").await;
    let h1 = c
        .find(Locator::Css("main h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(h1, "渝中示例智造有限公司");
    std::fs::write(
        shots.join("04-org-detail.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();

    c.goto(&app.url("/measures")).await.unwrap();
    std::fs::write(shots.join("05-measures.png"), c.screenshot().await.unwrap()).unwrap();
    c.goto(&app.url("/audit")).await.unwrap();
    std::fs::write(shots.join("06-audit.png"), c.screenshot().await.unwrap()).unwrap();
    c.goto(&app.url("/rules/tax_credit")).await.unwrap();
    c.find(Locator::Css("button[name=go]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_url(&c, "go=1").await;
    let ledger = c
        .find(Locator::Css("table.num tbody"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(ledger.contains("2023"), "{ledger}");
    std::fs::write(
        shots.join("08-tax-ledger.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    c.goto(&app.url("/rules/land_supply?go=1&investor=enterprise&school_type=higher_vocational&non_profit=1&land_use=education&in_allocation_catalog=1")).await.unwrap();
    std::fs::write(shots.join("09-land.png"), c.screenshot().await.unwrap()).unwrap();
    c.goto(&app.url("/policy/parameters")).await.unwrap();
    std::fs::write(
        shots.join("10-parameters.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    c.goto(&app.url("/admin/users")).await.unwrap();
    std::fs::write(shots.join("07-users.png"), c.screenshot().await.unwrap()).unwrap();
    c.close().await.unwrap();
    let _ = std::fs::remove_dir_all(profile);
}
