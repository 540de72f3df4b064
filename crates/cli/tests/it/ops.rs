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
