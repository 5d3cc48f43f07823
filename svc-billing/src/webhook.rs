//! `POST /webhooks/stripe`: verify on the raw bytes, store once, answer fast.
//! The worker (below) processes stored events; a crash between the two leaves the
//! event pending, and the next worker run processes it.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use nds_common::Secret;

use crate::service::Billing;
use crate::service::webhooks::{IngestError, Ingested, ingest};
use crate::store::now_unix;

/// Stripe events are small; anything bigger is not from Stripe.
pub const MAX_BODY_BYTES: usize = 512 * 1024;

#[derive(Clone)]
struct WebhookState {
    billing: Billing,
    secrets: Arc<Vec<Secret<String>>>,
}

/// The webhook route. `secrets`: every configured signing secret (rotation);
/// empty → every delivery gets 503 so Stripe keeps retrying until one is set.
pub fn webhook_router(billing: Billing, secrets: Vec<Secret<String>>) -> Router {
    Router::new()
        .route("/webhooks/stripe", post(receive))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(WebhookState { billing, secrets: Arc::new(secrets) })
}

async fn receive(State(state): State<WebhookState>, headers: HeaderMap, body: Bytes) -> (StatusCode, &'static str) {
    let secrets: Vec<&str> = state.secrets.iter().map(|secret| secret.expose().as_str()).collect();
    let signature = headers.get("stripe-signature").and_then(|value| value.to_str().ok());
    match ingest(&state.billing.database, &secrets, signature, &body, now_unix()).await {
        Ok(Ingested::Stored) => {
            state.billing.wake.notify_one();
            (StatusCode::OK, "stored")
        }
        Ok(Ingested::Duplicate) => (StatusCode::OK, "duplicate"),
        Err(IngestError::NotConfigured) => {
            tracing::error!("stripe webhook received but no signing secret is configured");
            (StatusCode::SERVICE_UNAVAILABLE, "webhook secret not configured")
        }
        Err(IngestError::Signature(error)) => {
            tracing::warn!(error = %error, "stripe webhook signature refused");
            (StatusCode::BAD_REQUEST, "invalid signature")
        }
        Err(IngestError::Malformed(error)) => {
            tracing::warn!(error = %error, "malformed stripe event");
            (StatusCode::BAD_REQUEST, "malformed event")
        }
        Err(IngestError::Storage(error)) => {
            tracing::error!(error = %error, "cannot store stripe event");
            (StatusCode::INTERNAL_SERVER_ERROR, "storage unavailable")
        }
    }
}

/// The worker: processes stored events when woken, and every few seconds anyway
/// (retries, events left by a crash, catalog syncs that failed).
pub async fn run_event_worker(billing: Billing, shutdown: nds_common::Shutdown) {
    loop {
        if let Err(error) = billing.process_pending_events().await {
            tracing::warn!(error = %error, "stripe event worker pass failed");
        }
        tokio::select! {
            _ = shutdown.wait() => return,
            _ = billing.wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
    }
}
