//! Scheduled jobs (`nds job <name>`), each idempotent and guarded by its lock.

use std::time::Duration;

use nds_common::Shutdown;
use nds_common::job_lock::{JobRun, run_exclusively};
use nds_common::runtime::Runtime;

use crate::error::CatalogError;
use crate::service::CatalogService;

/// Moves view counters from the cache into `listings.view_count`.
pub const FLUSH_VIEW_COUNTERS: &str = "flush-view-counters";
pub const JOB_NAMES: [&str; 1] = [FLUSH_VIEW_COUNTERS];

/// Runs one job once and says what it did.
pub async fn run_job(runtime: &Runtime, name: &str) -> Result<String, CatalogError> {
    if name != FLUSH_VIEW_COUNTERS {
        return Err(CatalogError::invalid("job", format!("unknown catalog job {name:?}; known: {JOB_NAMES:?}")));
    }
    let service = crate::connect_service(runtime).await?;
    let report = flush_once(&service).await;
    service.store().database().clone().close().await.ok();
    report
}

async fn flush_once(service: &CatalogService) -> Result<String, CatalogError> {
    let run =
        run_exclusively(service.store().database(), FLUSH_VIEW_COUNTERS, || service.flush_view_counters()).await?;
    Ok(match run {
        JobRun::Ran(report) => {
            format!("{FLUSH_VIEW_COUNTERS}: added {} views to {} listings", report.views, report.listings)
        }
        JobRun::Skipped => format!("{FLUSH_VIEW_COUNTERS}: another run holds the lock; nothing done"),
    })
}

pub(crate) fn spawn_periodic_view_flush(service: CatalogService, shutdown: Shutdown, every: Duration) {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = shutdown.wait() => return,
                _ = tokio::time::sleep(every) => {}
            }
            match flush_once(&service).await {
                Ok(report) => tracing::debug!(report = %report, "view counters flushed"),
                Err(error) => tracing::warn!(error = %error, "view counter flush failed; the next run retries"),
            }
        }
    });
}
