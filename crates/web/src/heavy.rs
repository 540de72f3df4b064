//! Heavy CPU work — reading import files, scenario runs — runs here: on tokio's blocking
//! threads, never on the async workers that answer other users' pages, and only a few at a
//! time, so several large imports at once wait their turn instead of multiplying the memory
//! and the cores they take.

use std::sync::OnceLock;

use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

/// Jobs running at once: one per core (at least one).
fn permits() -> &'static Semaphore {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Semaphore::new(cores)
    })
}

/// Runs `work` on a blocking thread once a permit is free.
pub async fn run<T, F>(work: F) -> AppResult<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let _permit = permits()
        .acquire()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        tracing::error!(error = %e, "heavy work failed");
        AppError::Internal(e.to_string())
    })
}
