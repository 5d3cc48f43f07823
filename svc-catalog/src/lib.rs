//! svc-catalog: listings and their lifecycle, favourites, saved searches, view
//! counters, and the ordered change feed that search and billing consume.
//!
//! Layout: `domain` (pure rules), `store` (sea-orm entities and repository),
//! `migration` (schema), `service` (use cases: authorization, validation, cache,
//! feed), `grpc` + `convert` (the tonic adapter), `jobs` and `demo`.

pub mod convert;
mod demo;
pub mod domain;
pub mod error;
pub mod grpc;
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

use crate::service::{CatalogService, FeedNotifier};
use crate::store::CatalogStore;

/// How often a running catalog flushes view counters itself (the CronJob may too:
/// the job lock and `take_counter` make overlapping runs harmless).
pub const VIEW_FLUSH_INTERVAL: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
pub enum CatalogStartError {
    #[error("catalog database: {0}")]
    Database(#[from] DbErr),
}

/// Applies every pending migration to the catalog database.
pub async fn migrate(database_url: &str) -> Result<(), DbErr> {
    let connection = nds_common::db::connect_and_migrate::<migration::Migrator>(database_url).await?;
    connection.close().await
}

/// Connects the catalog database (already migrated) and builds the service.
pub(crate) async fn connect_service(runtime: &Runtime) -> Result<CatalogService, DbErr> {
    let database = nds_common::db::connect(&runtime.database_url(ServiceName::Catalog)).await?;
    let agencies = nds_common::auth::AgencyGroups::new(runtime.channels.identity.clone());
    Ok(CatalogService::new(CatalogStore::new(database), runtime.cache.clone(), FeedNotifier::new(), agencies))
}

/// The catalog gRPC server, with its background tasks (PostgreSQL change-feed
/// listener, periodic view-counter flush) running until `runtime.shutdown`.
pub async fn build(runtime: &Runtime) -> Result<CatalogServiceServer<CatalogGrpc>, CatalogStartError> {
    let service = connect_service(runtime).await?;
    if service.store().is_postgres() {
        service::feed::spawn_postgres_listener(
            service.store().database(),
            service.notifier().clone(),
            runtime.shutdown.clone(),
        );
    }
    service::jobs::spawn_periodic_view_flush(service.clone(), runtime.shutdown.clone(), VIEW_FLUSH_INTERVAL);
    Ok(CatalogGrpc::new(service, runtime.authenticator.clone(), runtime.shutdown.clone()).into_server())
}
