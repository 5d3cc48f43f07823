//! The webhook's contract with Stripe under abuse: signatures, timestamps, bodies,
//! duplicates (also concurrent), missing secrets, and durable processing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod support;

use nds_common::testing::TestDatabase;
use serde_json::json;
use support::*;

fn body(event_id: &str) -> Vec<u8> {
    event(event_id, "plan.created", chrono::Utc::now().timestamp(), json!({"id": "plan_1", "object": "plan"}))
}

#[tokio::test]
async fn forged_stale_future_and_malformed_deliveries_are_refused_and_not_stored() {
    let harness = harness(TestDatabase::postgres().await, HarnessOptions::default()).await;
    let router = &harness.parts.webhook;
    let now = chrono::Utc::now().timestamp();
    let payload = body("evt_abuse");
    assert_eq!(deliver(router, Some(signed("whsec_forged", now, &payload)), payload.clone()).await, 400);
    assert_eq!(deliver(router, Some(signed(WEBHOOK_SECRET, now - 301, &payload)), payload.clone()).await, 400);
    assert_eq!(deliver(router, Some(signed(WEBHOOK_SECRET, now + 301, &payload)), payload.clone()).await, 400);
    assert_eq!(deliver(router, None, payload.clone()).await, 400);
    assert_eq!(deliver(router, Some("t=abc,v1=zz".into()), payload.clone()).await, 400);
    let malformed = b"{\"id\": \"evt_x\", \"type\": ".to_vec();
    assert_eq!(deliver(router, Some(signed(WEBHOOK_SECRET, now, &malformed)), malformed).await, 400);
    let no_object = br#"{"id":"evt_y","type":"x","created":1}"#.to_vec();
    assert_eq!(deliver(router, Some(signed(WEBHOOK_SECRET, now, &no_object)), no_object).await, 400);
    assert_eq!(svc_billing::store::events::count(&harness.parts.billing.database).await.unwrap(), 0);
    // The old secret still verifies during rotation; unknown types are 200 and recorded.
    assert_eq!(deliver(router, Some(signed("whsec_test_old", now, &payload)), payload).await, 200);
    settle(&harness).await;
    let stored = svc_billing::store::events::find(&harness.parts.billing.database, "evt_abuse").await.unwrap().unwrap();
    assert_eq!(stored.status, "ignored");
}

#[tokio::test]
async fn without_a_webhook_secret_every_delivery_gets_503() {
    let harness = harness(
        TestDatabase::postgres().await,
        HarnessOptions { webhook_secrets: vec![], ..HarnessOptions::default() },
    )
    .await;
    let payload = body("evt_unconfigured");
    let status = deliver(
        &harness.parts.webhook,
        Some(signed(WEBHOOK_SECRET, chrono::Utc::now().timestamp(), &payload)),
        payload,
    )
    .await;
    assert_eq!(status, 503);
}

#[tokio::test]
async fn concurrent_duplicate_deliveries_store_one_row_and_all_get_200() {
    let harness = harness(TestDatabase::postgres().await, HarnessOptions::default()).await;
    let payload = body("evt_concurrent");
    let deliveries = (0..16).map(|_| deliver_signed(&harness.parts.webhook, payload.clone()));
    let statuses = futures::future::join_all(deliveries).await;
    assert!(statuses.iter().all(|status| *status == 200), "{statuses:?}");
    assert_eq!(svc_billing::store::events::count(&harness.parts.billing.database).await.unwrap(), 1);
}

#[tokio::test]
async fn an_event_stored_before_a_crash_is_processed_exactly_once_after_restart() {
    let database = TestDatabase::postgres().await;
    let url = database.url().to_string();
    svc_billing::migrate(&url).await.unwrap();
    // "Before the crash": the route stored the event, nobody processed it.
    let connection = nds_common::db::connect(&url).await.unwrap();
    let payload = body("evt_survivor");
    let header = signed(WEBHOOK_SECRET, chrono::Utc::now().timestamp(), &payload);
    let stored = svc_billing::service::webhooks::ingest(
        &connection,
        &[WEBHOOK_SECRET],
        Some(&header),
        &payload,
        chrono::Utc::now().timestamp(),
    )
    .await
    .unwrap();
    assert_eq!(stored, svc_billing::service::webhooks::Ingested::Stored);
    drop(connection);
    // "After the restart": a fresh service picks it up once.
    let harness = harness(database, HarnessOptions::default()).await;
    settle(&harness).await;
    harness.parts.billing.process_pending_events().await.unwrap();
    let row = svc_billing::store::events::find(&harness.parts.billing.database, "evt_survivor").await.unwrap().unwrap();
    assert_eq!((row.status.as_str(), row.attempts), ("ignored", 1), "processed once");
}

#[tokio::test]
async fn database_down_answers_5xx_so_stripe_retries() {
    let harness = harness(TestDatabase::postgres().await, HarnessOptions::default()).await;
    harness.parts.billing.database.clone().close().await.ok();
    let status = deliver_signed(&harness.parts.webhook, body("evt_db_down")).await;
    assert!(status.is_server_error(), "{status}");
}

#[tokio::test]
async fn bench_ingest_stores_each_distinct_event_once_under_concurrent_duplicates() {
    let database = TestDatabase::postgres().await;
    svc_billing::migrate(database.url()).await.unwrap();
    let report = svc_billing::bench_support::ingest_events(database.url(), 500, 2, 16).await.unwrap();
    assert_eq!((report.stored, report.duplicates), (500, 500));
    eprintln!(
        "webhook ingest: {} deliveries in {:?} = {:.0} events/s",
        report.deliveries,
        report.elapsed,
        report.events_per_second()
    );
}

#[tokio::test]
async fn an_event_that_killed_its_worker_at_every_attempt_is_failed_and_counted_not_retried_forever() {
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use svc_billing::store::entities::webhook_event;
    use svc_billing::store::events::{CLAIM_TIMEOUT_SECONDS, MAX_ATTEMPTS};
    let harness = harness(TestDatabase::postgres().await, HarnessOptions::default()).await;
    let database = &harness.parts.billing.database;
    let payload = body("evt_poison");
    let now = chrono::Utc::now().timestamp();
    let header = signed(WEBHOOK_SECRET, now, &payload);
    svc_billing::service::webhooks::ingest(database, &[WEBHOOK_SECRET], Some(&header), &payload, now).await.unwrap();
    // What a worker that panicked or hung on it at every attempt leaves behind: claimed, never finished.
    webhook_event::Entity::update_many()
        .col_expr(webhook_event::Column::Status, Expr::value("processing"))
        .col_expr(webhook_event::Column::Attempts, Expr::value(MAX_ATTEMPTS))
        .col_expr(webhook_event::Column::ClaimedAtUnix, Expr::value(now - CLAIM_TIMEOUT_SECONDS - 1))
        .filter(webhook_event::Column::Id.eq("evt_poison"))
        .exec(database)
        .await
        .unwrap();
    harness.parts.billing.process_pending_events().await.unwrap();
    let row = svc_billing::store::events::find(database, "evt_poison").await.unwrap().unwrap();
    assert_eq!((row.status.as_str(), row.attempts), ("failed", MAX_ATTEMPTS), "not tried an 11th time");
    let metrics = harness
        .client
        .clone()
        .get_metrics(authorized(
            nds_proto::billing::v1::GetMetricsRequest {
                scope: Some(nds_proto::common::v1::MetricsScope {
                    scope: Some(nds_proto::common::v1::metrics_scope::Scope::Platform(true)),
                }),
                range: None,
                interval: 0,
            },
            &harness.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(
        metrics.metrics.iter().any(|metric| metric.name == "stripe_events_failed" && metric.value == 1.0),
        "{:?}",
        metrics.metrics
    );
}
