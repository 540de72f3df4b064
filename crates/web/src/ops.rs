//! Operations: liveness, readiness, Prometheus metrics. `/metrics` is not on the public
//! listener (it answers 404 there): `chanjiao serve --metrics-bind ADDR` serves it on a
//! listener of its own ([`metrics_app`]), for the monitoring network only.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde_json::json;

use crate::AppState;

fn routes() -> crate::pages::Routes {
    crate::pages::Routes::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// The metrics listener's app: `/metrics` only.
pub fn metrics_app(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// Serves [`metrics_app`] on `listener` until the process ends.
pub async fn serve_metrics(
    state: AppState,
    listener: tokio::net::TcpListener,
) -> std::io::Result<()> {
    axum::serve(listener, metrics_app(state)).await
}

pub fn router() -> Router<AppState> {
    routes().into_router()
}

/// Every registered operations route as (method, path).
pub fn route_table() -> Vec<(String, String)> {
    routes().into_parts().1
}

/// The process-wide recorder; installed once, shared by every app in the process.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0])
                .expect("static buckets are valid")
                .build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder is installed; then ours still renders empty.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => Json(json!({
            "status": "ready",
            "database": state.db.backend(),
            "background": state.background.load(std::sync::atomic::Ordering::Relaxed),
        }))
        .into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "error": e.to_string()})),
        )
            .into_response(),
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [("content-type", "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}

/// Counts requests and records their latency by route template (never by raw path, so ids do
/// not explode the label set).
pub async fn track_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = req.method().to_string();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels[..2])
        .record(start.elapsed().as_secs_f64());
    resp
}
