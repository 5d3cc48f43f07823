//! For the lead's benchmark harness: signed events and durable ingest of N events
//! with duplicates, through the same code the webhook route runs.

use std::time::{Duration, Instant};

use crate::domain::signature::sign_header;
use crate::service::webhooks::{Ingested, ingest};
use crate::store::now_unix;

/// A minimal Stripe event body of `event_type` about `object`.
pub fn event_body(event_id: &str, event_type: &str, created: i64, object: serde_json::Value) -> Vec<u8> {
    serde_json::json!({
        "id": event_id,
        "object": "event",
        "api_version": "2025-10-29.clover",
        "created": created,
        "livemode": false,
        "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null},
        "type": event_type,
        "data": {"object": object},
    })
    .to_string()
    .into_bytes()
}

/// The `Stripe-Signature` header for `body`, signed now with `secret`.
pub fn signature_header(secret: &str, body: &[u8]) -> String {
    sign_header(secret, now_unix(), body)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestReport {
    pub deliveries: usize,
    pub stored: usize,
    pub duplicates: usize,
    pub elapsed: Duration,
}

impl IngestReport {
    pub fn events_per_second(&self) -> f64 {
        self.deliveries as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }
}

/// Delivers `events` distinct events, each `copies` times, `concurrency` at a time,
/// into a migrated billing database at `database_url`; verification included.
pub async fn ingest_events(
    database_url: &str,
    events: usize,
    copies: usize,
    concurrency: usize,
) -> Result<IngestReport, sea_orm::DbErr> {
    use futures::StreamExt;
    let database = nds_common::db::connect(database_url).await?;
    let secret = "whsec_bench";
    let run = uuid::Uuid::now_v7().simple().to_string();
    let mut deliveries = Vec::with_capacity(events * copies);
    for index in 0..events {
        let object =
            serde_json::json!({"id": format!("pi_bench_{run}_{index}"), "object": "payment_intent", "metadata": {}});
        let body = event_body(&format!("evt_bench_{run}_{index}"), "payment_intent.created", now_unix(), object);
        for _ in 0..copies.max(1) {
            deliveries.push(body.clone());
        }
    }
    let started = Instant::now();
    let results: Vec<Result<Ingested, crate::service::webhooks::IngestError>> = futures::stream::iter(deliveries)
        .map(|body| {
            let database = database.clone();
            async move {
                let header = signature_header(secret, &body);
                ingest(&database, &[secret], Some(&header), &body, now_unix()).await
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let elapsed = started.elapsed();
    let mut report = IngestReport { deliveries: results.len(), stored: 0, duplicates: 0, elapsed };
    for result in results {
        match result {
            Ok(Ingested::Stored) => report.stored += 1,
            Ok(Ingested::Duplicate) => report.duplicates += 1,
            Err(error) => return Err(sea_orm::DbErr::Custom(error.to_string())),
        }
    }
    Ok(report)
}
