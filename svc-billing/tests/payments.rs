//! Money paid and returned: partial refunds recorded once per refund, the ledger
//! balanced to the cent, and concurrent promotion payments of one listing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod support;

use nds_common::testing::TestDatabase;
use nds_proto::billing::v1::*;
use support::*;

async fn ledger_of(harness: &Harness, agency: &Agency) -> Vec<(String, String, i64)> {
    let ledger = harness
        .client
        .clone()
        .list_ledger(authorized(
            ListLedgerRequest { agency_id: agency.agency_id.to_string(), page: None },
            &agency.manager,
        ))
        .await
        .unwrap()
        .into_inner();
    let mut rows: Vec<(String, String, i64)> = ledger
        .entries
        .iter()
        .map(|entry| (entry.kind.clone(), entry.stripe_object_id.clone(), entry.amount.as_ref().unwrap().amount_minor))
        .collect();
    rows.sort();
    rows
}

async fn deposit_status(harness: &Harness, deposit_id: &str) -> String {
    svc_billing::store::accounts::deposits::by_id(&harness.parts.billing.database, deposit_id)
        .await
        .unwrap()
        .unwrap()
        .status
}

#[tokio::test]
async fn partial_refunds_are_recorded_once_per_refund_and_the_ledger_balances_to_the_cent() {
    let harness = harness(TestDatabase::postgres().await, HarnessOptions::default()).await;
    let agency = harness.onboard_agency("Autos Reforma", None).await;
    let checkout = paid_deposit(&harness, &agency).await;
    let pi = checkout.payment_intent_id.as_str();
    let now = chrono::Utc::now().timestamp();
    let webhook = &harness.parts.webhook;

    // MXN 3,000.00 of 10,000.00 refunded, delivered twice under two event ids.
    let partial = refunded_charge(pi, &[("re_a", 300_000)]);
    deliver_signed(webhook, event("evt_refund_a", "charge.refunded", now + 1, partial.clone())).await;
    deliver_signed(webhook, event("evt_refund_a_again", "charge.refunded", now + 2, partial)).await;
    settle(&harness).await;
    assert_eq!(
        ledger_of(&harness, &agency).await,
        vec![
            ("deposit".into(), pi.into(), 1_000_000),
            ("fee".into(), pi.into(), 50_000),
            ("fee_reversal".into(), "re_a".into(), -15_000),
            ("refund".into(), "re_a".into(), -300_000),
        ]
    );
    assert_eq!(deposit_status(&harness, &checkout.reference_id).await, "succeeded", "still partly held");

    // The rest (MXN 7,000.00): both refunds listed; only the new one is recorded.
    let full = refunded_charge(pi, &[("re_b", 700_000), ("re_a", 300_000)]);
    deliver_signed(webhook, event("evt_refund_b", "charge.refunded", now + 3, full)).await;
    settle(&harness).await;
    let ledger = ledger_of(&harness, &agency).await;
    assert_eq!(ledger.len(), 6, "{ledger:?}");
    let sum = |kinds: &[&str]| -> i64 {
        ledger.iter().filter(|(kind, _, _)| kinds.contains(&kind.as_str())).map(|(_, _, amount)| amount).sum()
    };
    assert_eq!(sum(&["deposit", "refund"]), 0, "{ledger:?}");
    assert_eq!(sum(&["fee", "fee_reversal"]), 0, "{ledger:?}");
    assert_eq!(deposit_status(&harness, &checkout.reference_id).await, "refunded");
}

#[tokio::test]
async fn a_refund_through_billing_then_its_webhook_reverse_the_deposit_once() {
    let harness = harness(TestDatabase::postgres().await, HarnessOptions::default()).await;
    let agency = harness.onboard_agency("Autos Reforma", None).await;
    let checkout = paid_deposit(&harness, &agency).await;
    let refunded = harness
        .client
        .clone()
        .refund_deposit(authorized(RefundDepositRequest { deposit_id: checkout.reference_id.clone() }, &agency.manager))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(refunded.status, "refunded");
    let refund_id = harness.stripe.requests_to("refunds").len();
    assert_eq!(refund_id, 1);
    // Stripe's webhook lists the same refund (its id from Stripe's answer).
    let ledger = ledger_of(&harness, &agency).await;
    let (_, stripe_refund, _) = ledger.iter().find(|(kind, _, _)| kind == "refund").unwrap().clone();
    let charge = refunded_charge(&checkout.payment_intent_id, &[(&stripe_refund, 1_000_000)]);
    deliver_signed(
        &harness.parts.webhook,
        event("evt_refunded", "charge.refunded", chrono::Utc::now().timestamp() + 5, charge),
    )
    .await;
    settle(&harness).await;
    let ledger = ledger_of(&harness, &agency).await;
    assert_eq!(ledger.len(), 4, "{ledger:?}");
    assert_eq!(ledger.iter().map(|(_, _, amount)| amount).sum::<i64>(), 0, "{ledger:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_payments_for_one_listing_each_buy_a_window_of_their_own() {
    use svc_billing::domain::promotion::PROMOTION_SECONDS;
    let harness = harness(TestDatabase::postgres().await, HarnessOptions::default()).await;
    let agency = harness.onboard_agency("Autos Reforma", None).await;
    let billing = harness.parts.billing.clone();
    let mut listings = Vec::new();
    let mut rows = Vec::new();
    for listing_index in 0..4 {
        let listing = harness.listing_id(&agency, true).await;
        listings.push(listing);
        for payment in 0..2 {
            let (checkout, object) = promotion_checkout(&harness, &agency, listing).await;
            let now = chrono::Utc::now().timestamp();
            let body = event(&format!("evt_pay_{listing_index}_{payment}"), "payment_intent.succeeded", now, object);
            // The stored row a worker claimed (kept out of the table, so the service's
            // own worker does not process these one by one first).
            rows.push(svc_billing::store::entities::webhook_event::Model {
                id: format!("evt_pay_{listing_index}_{payment}"),
                event_type: "payment_intent.succeeded".into(),
                created_unix: now,
                object_id: checkout.payment_intent_id.clone(),
                payload: String::from_utf8(body).unwrap(),
                status: "processing".into(),
                attempts: 1,
                claimed_at_unix: Some(now),
                next_attempt_at_unix: now,
                received_at_unix: now,
                processed_at_unix: None,
                outcome: None,
                traceparent: None,
            });
        }
    }
    // Every payment processed at once, as by two replicas' workers.
    let tasks: Vec<_> = rows
        .into_iter()
        .map(|row| {
            let billing = billing.clone();
            tokio::spawn(async move { billing.process_event(&row).await.unwrap() })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    for listing in listings {
        let promotions =
            svc_billing::store::promotions::all_for_listing(&billing.database, &listing.to_string()).await.unwrap();
        let mut windows: Vec<(i64, i64)> = promotions
            .iter()
            .map(|promotion| (promotion.starts_at_unix.unwrap(), promotion.ends_at_unix.unwrap()))
            .collect();
        windows.sort();
        assert_eq!(windows.len(), 2);
        assert_eq!(windows[1].0, windows[0].1, "the second payment starts where the first ends: {windows:?}");
        assert_eq!(windows[1].1 - windows[0].0, 2 * PROMOTION_SECONDS, "{windows:?}");
    }
}
