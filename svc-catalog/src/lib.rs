//! svc-catalog: listings and their lifecycle, favourites, saved searches, view
//! counters, and the ordered change feed that search and billing consume.
//!
//! Layout: `domain` (pure rules, photo processing included), `store` (sea-orm
//! entities and repository, the media object store), `migration` (schema),
//! `service` (use cases: authorization, validation, cache, feed, photos), `grpc` +
//! `convert` (the tonic adapter), `http` (the media routes), `jobs` and `demo`.

pub mod convert;
mod demo;
pub mod domain;
pub mod error;
pub mod grpc;
pub mod http;
pub mod migration;
pub mod service;
pub mod store;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

use std::time::Duration;

use nds_common::config::ServiceName;
use nds_common::runtime::Runtime;
use sea_orm::DbErr;

pub use demo::{DemoAgencyRef, seed_demo};
pub use error::CatalogError;
pub use grpc::{CatalogGrpc, CatalogServiceServer};
pub use service::jobs::{FLUSH_VIEW_COUNTERS, JOB_NAMES, run_job};

use crate::domain::photos::PhotoLimits;
use crate::service::photo_fetch::{FetchLimits, PhotoFetcher};
use crate::service::{CatalogService, FeedNotifier, PhotoPipeline};
use crate::store::CatalogStore;
use crate::store::media::MediaStore;

/// How often a running catalog flushes view counters itself (the CronJob may too:
/// the job lock and `take_counter` make overlapping runs harmless).
pub const VIEW_FLUSH_INTERVAL: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
pub enum CatalogStartError {
    #[error("catalog database: {0}")]
    Database(#[from] DbErr),
    #[error("catalog media store: {0}")]
    Media(String),
}

impl From<CatalogStartError> for CatalogError {
    fn from(error: CatalogStartError) -> Self {
        match error {
            CatalogStartError::Database(error) => CatalogError::Database(error),
            CatalogStartError::Media(message) => CatalogError::Unavailable(message),
        }
    }
}

/// What a running catalog serves: gRPC, and the media routes over HTTP.
pub struct CatalogParts {
    pub grpc: CatalogServiceServer<CatalogGrpc>,
    pub media: axum::Router,
}

/// Applies every pending migration to the catalog database.
pub async fn migrate(database_url: &str) -> Result<(), DbErr> {
    let connection = nds_common::db::connect_and_migrate::<migration::Migrator>(database_url).await?;
    connection.close().await
}

/// What a caller of [`build_with`] may choose besides the configuration.
#[derive(Default)]
pub struct CatalogOptions {
    /// The fetcher of photo URLs; `None` = the production one. Tests pass one that
    /// lets a loopback test server through.
    pub photo_fetcher: Option<PhotoFetcher>,
}

/// Connects the catalog database (already migrated) and the media store, and
/// builds the service.
pub(crate) async fn connect_service(runtime: &Runtime) -> Result<CatalogService, CatalogStartError> {
    connect_service_with(runtime, CatalogOptions::default()).await
}

async fn connect_service_with(runtime: &Runtime, options: CatalogOptions) -> Result<CatalogService, CatalogStartError> {
    let config = &runtime.config;
    config.require_media_store().map_err(|error| CatalogStartError::Media(error.to_string()))?;
    let media = MediaStore::from_settings(&config.media, &config.data_dir)
        .map_err(|error| CatalogStartError::Media(error.to_string()))?;
    let database = nds_common::db::connect(&runtime.database_url(ServiceName::Catalog)).await?;
    let agencies = nds_common::auth::AgencyGroups::new(runtime.channels.identity.clone());
    let fetcher = match options.photo_fetcher {
        Some(fetcher) => fetcher,
        None => {
            PhotoFetcher::new(FetchLimits::default()).map_err(|error| CatalogStartError::Media(error.to_string()))?
        }
    };
    let photos = PhotoPipeline::new(media, PhotoLimits::default(), fetcher);
    Ok(CatalogService::new(CatalogStore::new(database), runtime.cache.clone(), FeedNotifier::new(), agencies, photos))
}

/// The catalog's gRPC server and media routes, with its background tasks
/// (PostgreSQL change-feed listener, periodic view-counter flush, photo sweep)
/// running until `runtime.shutdown`.
pub async fn build(runtime: &Runtime) -> Result<CatalogParts, CatalogStartError> {
    build_with(runtime, CatalogOptions::default()).await
}

pub async fn build_with(runtime: &Runtime, options: CatalogOptions) -> Result<CatalogParts, CatalogStartError> {
    let service = connect_service_with(runtime, options).await?;
    if service.store().is_postgres() {
        service::feed::spawn_postgres_listener(
            service.store().database(),
            service.notifier().clone(),
            runtime.shutdown.clone(),
        );
    }
    service::jobs::spawn_periodic_view_flush(service.clone(), runtime.shutdown.clone(), VIEW_FLUSH_INTERVAL);
    service::photo_worker::spawn_periodic_photo_sweep(service.clone(), runtime.shutdown.clone());
    let media = http::media_router(service.clone());
    let grpc = CatalogGrpc::new(service, runtime.authenticator.clone(), runtime.shutdown.clone()).into_server();
    Ok(CatalogParts { grpc, media })
}
