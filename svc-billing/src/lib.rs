//! svc-billing: paid promotions, the per-listing monthly subscription (Billing
//! Meters), Connect deposits with the platform's fee, the ledger, and the Stripe
//! webhook. See `service` for the use cases and `webhook` for the HTTP side.

/// The benchmark harness's side (webhook ingest at volume): not in production builds.
#[cfg(feature = "bench")]
pub mod bench_support;
pub mod clients;
pub mod convert;
pub mod domain;
pub mod error;
pub mod grpc;
pub mod migration;
pub mod service;
pub mod store;
/// Test support shared with the end-to-end tests: the local Stripe stand-in.
#[cfg(feature = "testing")]
pub mod testing;
pub mod webhook;

use std::sync::Arc;

use nds_common::config::ServiceName;
use nds_common::runtime::Runtime;
use nds_proto::billing::v1::billing_service_server::BillingServiceServer;
use tokio::sync::Notify;

use crate::clients::ServiceCredentials;
use crate::clients::catalog::GrpcCatalog;
use crate::clients::identity::GrpcDirectory;
use crate::clients::stripe_api::StripeApi;
pub use crate::error::BillingError;
pub use crate::grpc::BillingGrpc;
use crate::service::workers::{WorkerHealth, supervise};
use crate::service::{Billing, BillingSettings};

/// The first pause before a dead worker is restarted (it doubles up to a minute).
const RESTART_PAUSE: std::time::Duration = std::time::Duration::from_secs(1);
pub use crate::webhook::webhook_router;

/// Monthly price of one published listing when nothing else is configured (MXN 99.00).
pub const DEFAULT_LISTING_PRICE_MINOR: i64 = 9_900;

/// What `build` returns: the gRPC service and the webhook routes (billing's own
/// HTTP listener; `nds dev` may also mount them on the edge's port).
pub struct BillingParts {
    pub grpc: BillingServiceServer<BillingGrpc>,
    pub webhook: axum::Router,
    /// The use cases, for jobs and in-process callers.
    pub billing: Billing,
    /// Whether the background workers run (see `service::workers`).
    pub workers: WorkerHealth,
}

/// What `build` cannot decide from `Runtime` alone.
#[derive(Clone, Default)]
pub struct BillingOptions {
    /// Billing's service token (scope `internal`) for calls on its own behalf:
    /// catalog `SetPromotion`/`StreamChanges`, identity `ListAgencyStaff`.
    pub service_credentials: ServiceCredentials,
    /// Monthly price per published listing; `None` = [`DEFAULT_LISTING_PRICE_MINOR`].
    pub listing_price_minor: Option<i64>,
    /// Don't start the catalog feed consumer (tests drive it themselves).
    pub without_feed_consumer: bool,
}

pub async fn migrate(database_url: &str) -> Result<(), sea_orm::DbErr> {
    nds_common::db::connect_and_migrate::<migration::Migrator>(database_url).await.map(|_| ())
}

/// The use cases over a connected database (no background tasks).
pub async fn billing(runtime: &Runtime, options: &BillingOptions) -> Result<Billing, BillingError> {
    let database = nds_common::db::connect(&runtime.database_url(ServiceName::Billing)).await?;
    let stripe_settings = &runtime.config.stripe;
    let stripe = StripeApi::new(
        stripe_settings.secret_key.as_ref().map(|key| key.expose().as_str()),
        &stripe_settings.api_base,
    )?;
    let budget = runtime.config.default_deadline;
    let catalog = GrpcCatalog::new(runtime.channels.catalog.clone(), options.service_credentials.clone(), budget);
    let directory = GrpcDirectory::new(runtime.channels.identity.clone(), options.service_credentials.clone(), budget);
    Ok(Billing {
        database,
        stripe,
        catalog,
        directory,
        agencies: nds_common::auth::AgencyGroups::new(runtime.channels.identity.clone()),
        mailer: runtime.mailer.clone(),
        settings: BillingSettings {
            promotion_price_minor: stripe_settings.promotion_price_minor,
            currency: stripe_settings.currency.clone(),
            platform_fee_percent: stripe_settings.platform_fee_percent,
            listing_price_minor: options.listing_price_minor.unwrap_or(DEFAULT_LISTING_PRICE_MINOR),
            panel_url: runtime.config.web.panel_url.clone(),
        },
        wake: Arc::new(Notify::new()),
    })
}

pub async fn build(runtime: &Runtime) -> Result<BillingParts, BillingError> {
    build_with(runtime, BillingOptions::default()).await
}

/// Connects (no migrating), starts the webhook worker and the feed consumer
/// (both stop on shutdown), and returns the gRPC server and webhook routes.
pub async fn build_with(runtime: &Runtime, options: BillingOptions) -> Result<BillingParts, BillingError> {
    let billing = billing(runtime, &options).await?;
    let workers = WorkerHealth::default();
    let shutdown = runtime.shutdown.clone();
    let event_worker = {
        let (billing, shutdown) = (billing.clone(), shutdown.clone());
        move || webhook::run_event_worker(billing.clone(), shutdown.clone())
    };
    tokio::spawn(supervise("stripe-events", workers.clone(), shutdown.clone(), RESTART_PAUSE, event_worker));
    if !options.without_feed_consumer {
        let feed_consumer = {
            let (billing, shutdown) = (billing.clone(), shutdown.clone());
            move || service::feed::run_feed_consumer(billing.clone(), shutdown.clone())
        };
        tokio::spawn(supervise("catalog-feed", workers.clone(), shutdown, RESTART_PAUSE, feed_consumer));
    }
    let webhook = webhook_router(billing.clone(), runtime.config.stripe.webhook_secrets.clone());
    let grpc = BillingServiceServer::new(BillingGrpc::new(billing.clone(), runtime.clone()));
    Ok(BillingParts { grpc, webhook, billing, workers })
}

/// `nds job expire-promotions` / `nds job start-usage-new-month`.
pub async fn run_job(runtime: &Runtime, name: &str) -> Result<String, BillingError> {
    run_job_with(runtime, name, &BillingOptions::default()).await
}

pub async fn run_job_with(runtime: &Runtime, name: &str, options: &BillingOptions) -> Result<String, BillingError> {
    billing(runtime, options).await?.run_job(name).await
}
