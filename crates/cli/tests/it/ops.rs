//! Health, readiness, metrics, request ids.

use crate::helpers::{TestApp, backends, client};

#[tokio::test]
async fn health_ready_and_metrics() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        let r = client().get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers().contains_key("x-request-id"));
        let r = client().get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["status"], "ready");
        client()
            .get(app.url("/api/v1/measures"))
            .send()
            .await
            .unwrap();
        // Not on the public listener...
        let r = client().get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(r.status(), 404);
        // ...but on the metrics listener (`serve --metrics-bind`).
        let ml = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let maddr = ml.local_addr().unwrap();
        tokio::spawn(web::ops::serve_metrics(
            web::AppState::new(app.db.clone()),
            ml,
        ));
        let m = client()
            .get(format!("http://{maddr}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(m.contains("http_requests_total"), "{m}");
        assert!(m.contains("route=\"/api/v1/measures\""));
        assert!(m.contains("http_request_duration_seconds"));
        app.db.close().await;
        let r = client().get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(r.status(), 503);
    }
}

#[tokio::test]
async fn serve_puts_metrics_on_the_metrics_bind_listener_only() {
    use std::io::BufRead;
    let url = crate::helpers::fresh_database(store::Backend::Sqlite).await;
    /// Stops the server however the test ends.
    struct Server(std::process::Child);
    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chanjiao"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--metrics-bind",
            "127.0.0.1:0",
        ])
        .env("CHANJIAO_DATABASE_URL", &url)
        .env("CHANJIAO_LOG", "error")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _server = Server(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let _ = tx.send(line.unwrap());
        }
    });
    let (mut public, mut metrics) = (None, None);
    while public.is_none() || metrics.is_none() {
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("serve prints its addresses");
        let addr = |prefix: &str, suffix: &str| {
            line.strip_prefix(prefix)
                .and_then(|r| r.split(suffix).next())
                .map(str::to_string)
        };
        if let Some(a) = addr("监控指标：http://", "/metrics") {
            metrics = Some(a);
        }
        if let Some(a) = addr("平台已启动：http://", "/") {
            public = Some(a);
        }
    }
    let (public, metrics) = (public.unwrap(), metrics.unwrap());
    let r = client()
        .get(format!("http://{public}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client()
        .get(format!("http://{public}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = client()
        .get(format!("http://{metrics}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("http_requests_total"));
    let r = client()
        .get(format!("http://{metrics}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "the metrics listener serves metrics only");
}
