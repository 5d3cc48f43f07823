//! Identity: accounts, organisations (automobile groups and agencies), roles,
//! access and refresh tokens, the JWKS, service accounts, staff invitations and
//! the agency application workflow.
//!
//! Layers: [`domain`] (pure rules), [`store`] (sea-orm rows and queries,
//! [`migration`]), [`service`] (use cases), [`grpc`] (the tonic adapter).

pub mod convert;
pub mod domain;
pub mod error;
pub mod grpc;
pub mod migration;
pub mod service;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use nds_common::Secret;
use nds_common::auth::{Authenticator, JwtVerifier};
use nds_common::config::ServiceName;
use nds_common::runtime::Runtime;
use nds_proto::identity::v1::identity_service_server::IdentityServiceServer;
use uuid::Uuid;

pub use error::IdentityError;
pub use grpc::IdentityGrpc;
pub use service::IdentityService;
pub use service::bootstrap::{DemoAccount, DemoAgency, DemoIdentity};
pub use service::jobs::{JOB_PRUNE_SESSIONS, JOB_ROTATE_SIGNING_KEY, JOBS};

/// How often the in-process maintenance (key rotation when due, session
/// pruning) runs; both are also `nds job`s and safe to run concurrently.
const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(3600);

/// Applies identity's pending migrations.
pub async fn migrate(database_url: &str) -> Result<(), sea_orm::DbErr> {
    nds_common::db::connect_and_migrate::<migration::Migrator>(database_url).await.map(|_| ())
}

/// The service over its (already migrated) database, with a signing key.
pub async fn connect_service(runtime: &Runtime) -> Result<IdentityService, IdentityError> {
    let database = nds_common::db::connect(&runtime.database_url(ServiceName::Identity)).await?;
    let service = IdentityService::new(database, runtime)?;
    service.keys.ensure_signing_key().await?;
    Ok(service)
}

/// Builds the gRPC server value: connects the database, makes sure a signing key
/// exists, starts maintenance (stopping on shutdown).
///
/// Identity verifies incoming tokens from its own key table rather than through
/// `runtime.authenticator`, which would call identity over gRPC.
pub async fn build(runtime: &Runtime) -> Result<IdentityServiceServer<IdentityGrpc>, IdentityError> {
    let service = Arc::new(connect_service(runtime).await?);
    // The deployment's internal service account (NDS_SERVICE_CLIENT_ID/SECRET): the
    // same Secret configures identity and the processes that call on their own behalf.
    if let Some(credentials) = &runtime.config.service_credentials {
        let scopes: Vec<&str> = credentials.scopes.iter().map(String::as_str).collect();
        service.ensure_service_account_with_secret(&credentials.client_id, &scopes, &credentials.client_secret).await?;
    }
    // Build the timing-equaliser hash now, not during the first unknown-email log-in.
    service::blocking(|| std::sync::LazyLock::force(&domain::password::DUMMY_HASH).len()).await?;
    let verifier = JwtVerifier::new(
        Arc::new(service::tokens::LocalJwks(service.keys.clone())),
        runtime.config.jwt_issuer.clone(),
        runtime.config.jwt_audience.clone(),
    );
    spawn_maintenance(service.clone(), runtime.shutdown.clone());
    Ok(IdentityServiceServer::new(IdentityGrpc::new(service, Authenticator::new(Arc::new(verifier)))))
}

fn spawn_maintenance(service: Arc<IdentityService>, shutdown: nds_common::Shutdown) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(MAINTENANCE_INTERVAL);
        ticker.tick().await;
        loop {
            tokio::select! {
                _ = shutdown.wait() => return,
                _ = ticker.tick() => {}
            }
            for job in JOBS {
                match service.run_job(job).await {
                    Ok(report) => tracing::info!(job, report = %report, "identity maintenance"),
                    Err(error) => tracing::warn!(job, error = %error, "identity maintenance failed"),
                }
            }
        }
    });
}

/// Runs one identity job (`identity-rotate-signing-key`, `identity-prune-sessions`)
/// under its lock; returns a human report.
pub async fn run_job(runtime: &Runtime, name: &str) -> Result<String, IdentityError> {
    connect_service(runtime).await?.run_job(name).await
}

/// Rotates the signing key now, whatever its age (operators after a suspected
/// key leak; tests). Tokens signed by the old key keep verifying until expiry.
pub async fn rotate_signing_key(runtime: &Runtime) -> Result<String, IdentityError> {
    connect_service(runtime).await?.keys.rotate().await
}

/// Demo organisations and accounts for `nds dev`; `Ok(None)` if any user exists.
pub async fn seed_demo(runtime: &Runtime) -> Result<Option<DemoIdentity>, IdentityError> {
    connect_service(runtime).await?.seed_demo().await
}

/// Creates the first platform admin (or grants the role to an existing account).
pub async fn bootstrap_platform_admin(runtime: &Runtime, email: &str, password: &str) -> Result<Uuid, IdentityError> {
    connect_service(runtime).await?.bootstrap_platform_admin(email, password).await
}

/// Creates a service account (or replaces its secret) and returns the secret once.
/// Scope `internal` lets it act as the platform.
pub async fn ensure_service_account(
    runtime: &Runtime,
    client_id: &str,
    scopes: &[&str],
) -> Result<Secret<String>, IdentityError> {
    connect_service(runtime).await?.ensure_service_account(client_id, scopes).await
}
