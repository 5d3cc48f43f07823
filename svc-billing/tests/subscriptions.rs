//! The agency subscription's life cycle against the Stripe stand-in: one live
//! subscription per agency at a time, events matched to the subscription they are
//! about, cancellation final for that subscription only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod support;

use std::collections::BTreeSet;

use nds_common::error::{ApiError, ErrorCode};
use nds_common::testing::TestDatabase;
use nds_proto::billing::v1::*;
use serde_json::json;
use support::*;

async fn subscribe(harness: &Harness, agency: &Agency) -> Result<Checkout, tonic::Status> {
    harness
        .client
        .clone()
        .subscribe_agency(authorized(
            SubscribeAgencyRequest { agency_id: agency.agency_id.to_string() },
            &agency.manager,
        ))
        .await
        .map(tonic::Response::into_inner)
}

async fn status(harness: &Harness, agency: &Agency) -> i32 {
    harness
        .client
        .clone()
        .get_billing_status(authorized(
            GetBillingStatusRequest { agency_id: agency.agency_id.to_string() },
            &agency.manager,
        ))
        .await
        .unwrap()
        .into_inner()
        .subscription
}

fn subscription_object(subscription_id: &str, customer: &str, status: &str) -> serde_json::Value {
    json!({"id": subscription_id, "object": "subscription", "customer": customer, "status": status})
}

/// An invoice of `subscription_id` as Stripe's current API shapes it (`parent.subscription_details`).
fn invoice_object(invoice_id: &str, subscription_id: &str, customer: &str) -> serde_json::Value {
    json!({
        "id": invoice_id, "object": "invoice", "customer": customer, "amount_paid": 9_900, "currency": "mxn",
        "parent": {"type": "subscription_details", "subscription_details": {"subscription": subscription_id}},
    })
}

async fn event_status(harness: &Harness, event_id: &str) -> String {
    svc_billing::store::events::find(&harness.parts.billing.database, event_id).await.unwrap().unwrap().status
}

#[tokio::test]
async fn resubscribing_after_a_cancellation_is_seen_and_old_subscription_events_change_nothing() {
    let harness = harness(TestDatabase::postgres().await, HarnessOptions::default()).await;
    let agency = harness.onboard_agency("Autos Reforma", None).await;
    let webhook = &harness.parts.webhook;
    let now = chrono::Utc::now().timestamp();

    let first = subscribe(&harness, &agency).await.unwrap().reference_id;
    let customer = harness.stripe.requests_to("subscriptions")[0].form["customer"].clone();
    assert_eq!(status(&harness, &agency).await, SubscriptionStatus::Active as i32);
    let cancelled = subscription_object(&first, &customer, "canceled");
    deliver_signed(webhook, event("evt_first_deleted", "customer.subscription.deleted", now, cancelled.clone())).await;
    settle(&harness).await;
    assert_eq!(status(&harness, &agency).await, SubscriptionStatus::Cancelled as i32);

    // The agency subscribes again: a new Stripe subscription, and NDS shows it live.
    let second = subscribe(&harness, &agency).await.unwrap().reference_id;
    assert_ne!(second, first);
    assert_eq!(status(&harness, &agency).await, SubscriptionStatus::Active as i32, "the new subscription is seen");
    // So a further subscribe is refused rather than charging the agency twice.
    let refused = subscribe(&harness, &agency).await.unwrap_err();
    assert_eq!(ApiError::from_status(&refused).code, ErrorCode::Conflict);
    let created: BTreeSet<String> = harness
        .stripe
        .requests_to("subscriptions")
        .iter()
        .filter_map(|request| request.idempotency_key.clone())
        .collect();
    assert_eq!(created.len(), 2, "one Stripe subscription per subscribe that was allowed: {created:?}");

    // Late events of the old subscription (a redelivered deletion, a failed invoice) change nothing.
    deliver_signed(webhook, event("evt_first_deleted_late", "customer.subscription.deleted", now + 10, cancelled))
        .await;
    let old_invoice = invoice_object("in_old", &first, &customer);
    deliver_signed(webhook, event("evt_first_invoice_failed", "invoice.payment_failed", now + 11, old_invoice)).await;
    settle(&harness).await;
    assert_eq!(status(&harness, &agency).await, SubscriptionStatus::Active as i32);
    assert_eq!(event_status(&harness, "evt_first_deleted_late").await, "ignored");
    assert_eq!(event_status(&harness, "evt_first_invoice_failed").await, "ignored");

    // The new subscription's own events drive the status; its cancellation is final for it.
    let new_invoice = invoice_object("in_new_1", &second, &customer);
    deliver_signed(webhook, event("evt_second_failed", "invoice.payment_failed", now + 20, new_invoice)).await;
    settle(&harness).await;
    assert_eq!(status(&harness, &agency).await, SubscriptionStatus::PastDue as i32);
    let second_cancelled = subscription_object(&second, &customer, "canceled");
    deliver_signed(webhook, event("evt_second_deleted", "customer.subscription.deleted", now + 30, second_cancelled))
        .await;
    let late_paid = invoice_object("in_new_2", &second, &customer);
    deliver_signed(webhook, event("evt_second_paid_late", "invoice.paid", now + 40, late_paid)).await;
    settle(&harness).await;
    assert_eq!(status(&harness, &agency).await, SubscriptionStatus::Cancelled as i32);
}

#[tokio::test]
async fn concurrent_subscribes_of_one_agency_create_at_most_one_stripe_subscription() {
    let harness = harness(TestDatabase::postgres().await, HarnessOptions::default()).await;
    let agency = harness.onboard_agency("Autos Reforma", None).await;
    for round in 0..2 {
        let results = futures::future::join_all((0..6).map(|_| subscribe(&harness, &agency))).await;
        let subscriptions: BTreeSet<String> = results
            .iter()
            .filter_map(|result| result.as_ref().ok())
            .map(|checkout| checkout.reference_id.clone())
            .collect();
        assert_eq!(subscriptions.len(), 1, "round {round}: {results:?}");
        for result in &results {
            if let Err(refused) = result {
                assert_eq!(ApiError::from_status(refused).code, ErrorCode::Conflict, "{refused:?}");
            }
        }
        assert_eq!(status(&harness, &agency).await, SubscriptionStatus::Active as i32);
        // Cancel it so the next round subscribes again.
        let subscription_id = subscriptions.into_iter().next().unwrap();
        let customer = harness.stripe.requests_to("subscriptions")[0].form["customer"].clone();
        deliver_signed(
            &harness.parts.webhook,
            event(
                &format!("evt_cancel_{round}"),
                "customer.subscription.deleted",
                chrono::Utc::now().timestamp(),
                subscription_object(&subscription_id, &customer, "canceled"),
            ),
        )
        .await;
        settle(&harness).await;
        assert_eq!(status(&harness, &agency).await, SubscriptionStatus::Cancelled as i32);
    }
    let keys: BTreeSet<String> = harness
        .stripe
        .requests_to("subscriptions")
        .iter()
        .filter_map(|request| request.idempotency_key.clone())
        .collect();
    assert_eq!(keys.len(), 2, "one Stripe subscription per round: {keys:?}");
}

// ---------------------------------------------------------------- usage

fn previous_month(now: i64) -> String {
    svc_billing::domain::period::month_of(now - 40 * 86_400)
}

async fn meter_rows_of(harness: &Harness, agency_id: &str) -> Vec<String> {
    svc_billing::store::usage::meter_events(&harness.parts.billing.database)
        .await
        .unwrap()
        .into_iter()
        .filter(|row| row.agency_id == agency_id)
        .map(|row| row.identifier)
        .collect()
}

fn sent_identifiers(harness: &Harness) -> BTreeSet<String> {
    harness
        .stripe
        .requests_to("billing/meter_events")
        .iter()
        .map(|request| request.form["identifier"].clone())
        .collect()
}

async fn published_copy(harness: &Harness, listing_id: &str, agency: &str, version: i64) {
    svc_billing::store::usage::upsert_listing(
        &harness.parts.billing.database,
        svc_billing::store::entities::listing_state::Model {
            listing_id: listing_id.to_string(),
            agency_id: agency.to_string(),
            group_id: uuid::Uuid::new_v4().to_string(),
            status: "published".into(),
            version,
            updated_at_unix: chrono::Utc::now().timestamp(),
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn billable_usage_is_sent_even_behind_600_unbillable_meter_events() {
    use sea_orm::{ActiveModelTrait, Set};
    use svc_billing::store::entities::meter_event;
    let harness = harness(TestDatabase::postgres().await, HarnessOptions::default()).await;
    let agency = harness.onboard_agency("Autos Reforma", None).await;
    subscribe(&harness, &agency).await.unwrap();
    let database = &harness.parts.billing.database;
    let month = svc_billing::domain::period::month_of(chrono::Utc::now().timestamp());
    // What an older build queued for agencies that never subscribed: older than anything billable.
    for index in 0..600 {
        let listing_id = uuid::Uuid::new_v4().to_string();
        meter_event::ActiveModel {
            identifier: Set(format!("{listing_id}:{month}")),
            listing_id: Set(listing_id),
            agency_id: Set(uuid::Uuid::new_v4().to_string()),
            period: Set(month.clone()),
            created_at_unix: Set(1_000 + index),
            sent_at_unix: Set(None),
            attempts: Set(0),
        }
        .insert(database)
        .await
        .unwrap();
    }
    let billable = uuid::Uuid::new_v4().to_string();
    let identifier = svc_billing::domain::period::meter_identifier(&billable, &month);
    svc_billing::store::usage::queue_meter_event(
        database,
        &identifier,
        &billable,
        &agency.agency_id.to_string(),
        &month,
    )
    .await
    .unwrap();
    harness.parts.billing.send_meter_events().await.unwrap();
    assert!(sent_identifiers(&harness).contains(&identifier), "the billable event was sent");
}

#[tokio::test]
async fn only_subscribed_agencies_usage_is_queued_and_a_late_subscriber_pays_from_its_first_month() {
    let harness = harness(TestDatabase::postgres().await, HarnessOptions::default()).await;
    let now = chrono::Utc::now().timestamp();
    let month = svc_billing::domain::period::month_of(now);
    let earlier = previous_month(now);
    let agency = harness.onboard_agency("Autos Reforma", None).await;
    let agency_key = agency.agency_id.to_string();
    let listing = uuid::Uuid::new_v4().to_string();
    published_copy(&harness, &listing, &agency_key, 1).await;
    // Last month's opening job ran while the agency had no subscription: nothing to bill.
    harness.parts.billing.start_usage_new_month(now - 40 * 86_400).await.unwrap();
    harness.parts.billing.start_usage_new_month(now).await.unwrap();
    assert_eq!(
        meter_rows_of(&harness, &agency_key).await,
        Vec::<String>::new(),
        "no usage queued without a subscription"
    );
    // Subscribing mid-month: the listings live now are billed for this month, once; earlier months never.
    subscribe(&harness, &agency).await.unwrap();
    harness.parts.billing.send_meter_events().await.unwrap();
    harness.parts.billing.start_usage_new_month(now).await.unwrap();
    let sent = sent_identifiers(&harness);
    let this_month = svc_billing::domain::period::meter_identifier(&listing, &month);
    assert!(sent.contains(&this_month), "{sent:?}");
    assert!(!sent.contains(&svc_billing::domain::period::meter_identifier(&listing, &earlier)), "{sent:?}");
    assert_eq!(harness.stripe.requests_to("billing/meter_events").len(), 1);
}
