//! svc-search: the listing index (tantivy embedded, Elasticsearch in
//! production) fed by catalog's change feed, and the one search query with
//! promoted slots, facets and the filters it applied.
//!
//! - [`domain`]: documents, queries, facets, cursors (pure).
//! - [`index`]: the [`index::SearchIndex`] trait and its two backends.
//! - [`indexer`]: follows the feed, rebuilds, owns the feed cursor ([`store`]).
//! - [`service`]: the search use case and its job (`reindex`); [`interpret`]: chat
//!   with a local fallback.
//! - [`grpc`]: the tonic adapter.

/// The benchmark harness's side (synthetic listings, timed query mixes): not in production builds.
#[cfg(feature = "bench")]
pub mod bench_support;
pub mod convert;
pub mod domain;
pub mod error;
pub mod feed;
pub mod grpc;
pub mod index;
pub mod indexer;
pub mod interpret;
pub mod migration;
pub mod service;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use nds_common::config::{Config, SearchBackendKind, ServiceName};
use nds_common::runtime::Runtime;
use nds_proto::search::v1::search_service_server::SearchServiceServer;

pub use error::SearchError;
pub use grpc::SearchGrpc;
pub use service::jobs::run_job;

use crate::feed::{CatalogFeed, FeedCredentials};
use crate::index::SharedIndex;
use crate::index::elasticsearch::{DEFAULT_ALIAS, ElasticsearchIndex};
use crate::index::tantivy::TantivyIndex;
use crate::indexer::{Indexer, IndexerSettings};
use crate::interpret::{CHAT_BUDGET, ChatWithFallback};
use crate::service::SearchService;

/// Why the search service could not start.
#[derive(Debug, thiserror::Error)]
pub enum SearchStartError {
    #[error("search database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("search index: {0}")]
    Index(#[from] SearchError),
}

/// Applies the search database's migrations.
pub async fn migrate(database_url: &str) -> Result<(), sea_orm::DbErr> {
    nds_common::db::connect_and_migrate::<migration::Migrator>(database_url).await.map(|_| ())
}

/// Where the tantivy index lives: `<data_dir>/search`.
pub fn tantivy_directory(config: &Config) -> std::path::PathBuf {
    config.data_dir.join("search")
}

/// Opens the configured index backend.
pub fn open_index(config: &Config) -> Result<SharedIndex, SearchError> {
    match config.search_backend {
        SearchBackendKind::Tantivy => Ok(Arc::new(TantivyIndex::open(tantivy_directory(config))?)),
        SearchBackendKind::Elasticsearch => {
            let url = config
                .elasticsearch_url
                .as_deref()
                .ok_or_else(|| SearchError::Index("NDS_ELASTICSEARCH_URL is not set".into()))?;
            Ok(Arc::new(ElasticsearchIndex::connect_with(url, &config.elasticsearch_access, DEFAULT_ALIAS)?))
        }
    }
}

/// How long search's start and the reindex job wait for Elasticsearch to answer:
/// in the cluster it may start with (or after) NDS, as when the chart creates it
/// through ECK. The chart's startup probe of search allows this much.
pub const ELASTICSEARCH_START_WAIT: std::time::Duration = std::time::Duration::from_secs(600);

/// Elasticsearch needs its template and alias before the first write or query.
async fn prepare_index(config: &Config) -> Result<SharedIndex, SearchError> {
    if config.search_backend == SearchBackendKind::Elasticsearch {
        let url = config.elasticsearch_url.as_deref().unwrap_or_default();
        let index = ElasticsearchIndex::connect_with(url, &config.elasticsearch_access, DEFAULT_ALIAS)?;
        wait_until_ready(&index, ELASTICSEARCH_START_WAIT).await?;
        return Ok(Arc::new(index));
    }
    open_index(config)
}

/// Retries `ensure_ready` while the cluster is unreachable, up to `patience`;
/// any other failure (a refused mapping, bad credentials) ends the wait at once.
pub async fn wait_until_ready(index: &ElasticsearchIndex, patience: std::time::Duration) -> Result<(), SearchError> {
    let started = std::time::Instant::now();
    let mut backoff = nds_common::backoff::Backoff::new(std::time::Duration::from_secs(10));
    loop {
        let delay = backoff.next_delay();
        match index.ensure_ready().await {
            Ok(()) => return Ok(()),
            Err(SearchError::Unavailable(reason)) if started.elapsed() + delay < patience => {
                tracing::info!(reason = %reason, retry_in_ms = delay.as_millis() as u64, "waiting for Elasticsearch");
                tokio::time::sleep(delay).await;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Search's identity towards catalog: the process's service token when configured.
fn feed_credentials(runtime: &Runtime) -> FeedCredentials {
    match &runtime.service_tokens {
        Some(tokens) => FeedCredentials::Service(tokens.clone()),
        None => {
            tracing::warn!(
                "no service credentials (NDS_SERVICE_CLIENT_ID): catalog will refuse search's feed and scans"
            );
            FeedCredentials::Anonymous
        }
    }
}

fn indexer_for(
    runtime: &Runtime,
    index: SharedIndex,
    database: sea_orm::DatabaseConnection,
    credentials: FeedCredentials,
) -> Indexer {
    let feed = Arc::new(CatalogFeed::new(runtime.channels.catalog.clone(), credentials, Duration::from_secs(30)));
    Indexer::new(index, database, feed, Some(runtime.cache.clone()), IndexerSettings::default())
}

/// Connects the search database, opens the index, starts the indexer (it stops
/// on `runtime.shutdown`) and returns the gRPC service.
pub async fn build(runtime: &Runtime) -> Result<SearchServiceServer<SearchGrpc>, SearchStartError> {
    let database = nds_common::db::connect(&runtime.database_url(ServiceName::Search)).await?;
    let index = prepare_index(&runtime.config).await?;
    let indexer = indexer_for(runtime, index.clone(), database.clone(), feed_credentials(runtime));
    tokio::spawn(indexer.run(runtime.shutdown.clone()));
    let understanding = Arc::new(ChatWithFallback::new(runtime.channels.chat.clone(), CHAT_BUDGET));
    let service = Arc::new(SearchService::new(index, understanding, runtime.cache.clone(), database));
    Ok(SearchServiceServer::new(SearchGrpc::new(service, runtime.clone())))
}
