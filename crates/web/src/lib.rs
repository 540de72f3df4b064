//! The web layer: server-rendered pages, the JSON API under `/api/v1`, and operations
//! endpoints. It never builds SQL: everything goes through `store`.

pub mod api;
pub mod auth;
pub mod charts;
pub mod error;
pub mod features;
pub mod heavy;
pub mod import;
pub mod numbers;
pub mod ops;
pub mod pages;
pub mod xlsx;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue};
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use auth::Security;
pub use error::{AppError, AppResult};

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub db: store::Db,
    pub security: Security,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// Policy parameters in force: shipped, or overridden with `--policy-dir`.
    pub params: std::sync::Arc<policy::ParamSet>,
    /// Working days (holidays and make-up workdays), built once at start.
    pub calendar: std::sync::Arc<domain::calendar::Calendar>,
    /// The job-title matcher over the stored occupations (measure 5 demand).
    pub matcher: features::demand::MatcherCache,
    /// Measure 5 alignment measures, recomputed when the data change.
    pub alignment: features::alignment::AlignmentCache,
    /// Whether this process runs the background work now (it holds `store::lease::Lease`);
    /// shown by `/readyz`.
    pub background: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl AppState {
    /// State with the shipped policy parameters.
    pub fn new(db: store::Db) -> Self {
        let params = policy::ParamSet::embedded()
            .expect("shipped policy parameters are valid (checked by tests)");
        Self::with_params(db, params)
    }

    pub fn with_params(db: store::Db, params: policy::ParamSet) -> Self {
        AppState {
            db,
            security: Security::default(),
            metrics: ops::metrics_handle(),
            params: std::sync::Arc::new(params),
            calendar: std::sync::Arc::new(domain::calendar::Calendar::shipped()),
            matcher: features::demand::MatcherCache::default(),
            alignment: features::alignment::AlignmentCache::default(),
            background: Default::default(),
        }
    }
}

/// The largest request body of any route that does not set its own limit.
pub const MAX_BODY: usize = 2 * 1024 * 1024;

/// The whole application.
pub fn app(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let (api_router, _openapi) = api::router();
    Router::new()
        .merge(pages::router().layer(axum::middleware::from_fn_with_state(
            state.clone(),
            pages::error_layout,
        )))
        .nest(
            api::PREFIX,
            api_router
                .layer(axum::middleware::from_fn(api::normalise::requests))
                .layer(axum::middleware::from_fn(error::json_errors)),
        )
        .merge(ops::router())
        // A bug that panics answers 500 and is logged; the connection and the server live on.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(on_panic))
        .layer(axum::middleware::from_fn(ops::track_metrics))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
        // Request bodies: 2 MB unless a route says otherwise (uploads do, with their own
        // `DefaultBodyLimit`; the innermost limit is the one that holds).
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'"),
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let rid = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), uri = %req.uri(), request_id = %rid)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(axum::middleware::from_fn(auth::security_headers))
        .with_state(state)
}

fn on_panic(payload: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    let detail = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = detail, "请求处理中出现程序错误");
    axum::response::IntoResponse::into_response(error::AppError::Internal(detail.to_string()))
}

/// Serves until Ctrl-C or SIGTERM, then finishes in-flight requests.
pub async fn serve(state: AppState, listener: TcpListener) -> std::io::Result<()> {
    let db = state.db.clone();
    // Decisions taken before registers existed (or loaded around the workflow, like the
    // demo) are written to them before the first request reads "certified".
    match features::registers::backfill(&state).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(applications = n, "registers backfilled"),
        Err(e) => tracing::error!("名录补录失败：{e}"),
    }
    if let Err(e) = features::applications::backfill_parties(&state).await {
        tracing::error!("申报审核方补录失败：{e}");
    }
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    db.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
