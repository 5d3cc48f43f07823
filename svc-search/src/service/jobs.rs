//! Scheduled jobs (`nds job <name>`), each idempotent and guarded by its lock.

use nds_common::config::{SearchBackendKind, ServiceName};
use nds_common::job_lock::{JobRun, run_exclusively};
use nds_common::runtime::Runtime;

use crate::error::SearchError;
use crate::indexer::rebuild_lock_name;
use crate::{feed_credentials, indexer_for, prepare_index, tantivy_directory};

/// Runs one search job once. `reindex`: rebuilds the whole index from catalog
/// and swaps it in; the indexer then replays the feed from the scan's start.
/// Guarded by a lock, so two overlapping runs do the work once.
pub async fn run_job(runtime: &Runtime, name: &str) -> Result<String, SearchError> {
    if name != "reindex" {
        return Err(SearchError::UnknownJob(name.to_string()));
    }
    let database = nds_common::db::connect(&runtime.database_url(ServiceName::Search)).await?;
    let index = prepare_index(&runtime.config).await.map_err(|error| match runtime.config.search_backend {
        // The running server holds the tantivy writer; its indexer rebuilds by itself when needed.
        SearchBackendKind::Tantivy => SearchError::Index(format!(
            "cannot open the tantivy index ({error}); if `nds` is running, stop it first (or delete {} and let its indexer rebuild)",
            tantivy_directory(&runtime.config).display()
        )),
        SearchBackendKind::Elasticsearch => error,
    })?;
    // The indexer's own rebuilds hold the same lock: it waits for this swap instead of rebuilding over it.
    let lock_name = rebuild_lock_name(&index.consumer_name());
    let run = run_exclusively(&database, &lock_name, || async {
        let indexer = indexer_for(runtime, index, database.clone(), feed_credentials(runtime));
        // Progress goes to stdout: `nds job reindex` is run by people and CronJobs alike.
        let report = indexer.rebuild(&mut |line: String| println!("reindex: {line}")).await?;
        Ok::<_, SearchError>(format!(
            "reindex: {} listings scanned, {} documents in {}, feed resumes after sequence {}",
            report.scanned, report.documents, report.physical_name, report.feed_sequence
        ))
    })
    .await?;
    match run {
        JobRun::Ran(report) => Ok(report),
        JobRun::Skipped => Ok("reindex: another run holds the lock; nothing done".to_string()),
    }
}
