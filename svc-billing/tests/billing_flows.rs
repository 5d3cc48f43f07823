//! End-to-end flows through billing's real gRPC server and webhook route, with
//! real identity and catalog servers (see `support`), the local Stripe stand-in
//! and real PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod support;

use nds_common::error::{ApiError, ErrorCode};
use nds_common::testing::TestDatabase;
use nds_proto::billing::v1::*;
use nds_proto::common::v1::Money;
use serde_json::json;
use support::*;
use uuid::Uuid;

fn code(status: tonic::Status) -> ErrorCode {
    ApiError::from_status(&status).code
}

async fn ledger_len(harness: &Harness) -> usize {
    let response = harness
        .client
        .clone()
        .list_ledger(authorized(ListLedgerRequest { agency_id: String::new(), page: None }, &harness.admin))
        .await
        .unwrap()
        .into_inner();
    response.entries.len()
}

#[tokio::test]
async fn a_paid_promotion_is_activated_once_synced_to_catalog_and_expired_with_a_mail() {
    let harness = harness(TestDatabase::postgres().await, HarnessOptions::default()).await;
    let agency = harness.onboard_agency("Autos Reforma", None).await;
    let listing = harness.listing_id(&agency, true).await;
    let mut client = harness.client.clone();

    let checkout = client
        .promote_listing(authorized(PromoteListingRequest { listing_id: listing.to_string() }, &agency.manager))
        .await
        .unwrap()
        .into_inner();
    assert!(checkout.client_secret.starts_with(&checkout.payment_intent_id));
    assert_eq!(checkout.amount.as_ref().unwrap().amount_minor, 49_900);
    let created = harness.stripe.requests_to("payment_intents");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].idempotency_key.as_deref(), Some(format!("promotion-{}", checkout.reference_id).as_str()));
    assert_eq!(created[0].form.get("metadata[listing_id]"), Some(&listing.to_string()));

    let object = payment_intent_object(
        &checkout.payment_intent_id,
        json!({"promotion_id": checkout.reference_id, "listing_id": listing.to_string()}),
        "succeeded",
    );
    let now = chrono::Utc::now().timestamp();
    let body = event("evt_promo_ok", "payment_intent.succeeded", now, object.clone());
    assert_eq!(deliver_signed(&harness.parts.webhook, body.clone()).await, 200);
    // Duplicate delivery, and a second distinct event about the same object and type.
    assert_eq!(deliver_signed(&harness.parts.webhook, body).await, 200);
    assert_eq!(
        deliver_signed(&harness.parts.webhook, event("evt_promo_ok_again", "payment_intent.succeeded", now, object))
            .await,
        200
    );
    settle(&harness).await;

    let until = harness.promotion(listing).await.expect("catalog got the promotion");
    assert!((until - now - 30 * 86_400).abs() < 60, "{until}");
    assert_eq!(ledger_len(&harness).await, 1, "one ledger row for one payment");
    let status = client
        .get_billing_status(authorized(
            GetBillingStatusRequest { agency_id: agency.agency_id.to_string() },
            &agency.manager,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.active_promotions, 1);

    // Not due yet: nothing ends. Due: ends, catalog cleared, managers mailed; twice is harmless.
    let report = harness.parts.billing.expire_promotions(now).await.unwrap();
    assert!(report.contains("0 promotions ended"), "{report}");
    let later = until + 1;
    harness.parts.billing.expire_promotions(later).await.unwrap();
    harness.parts.billing.expire_promotions(later).await.unwrap();
    assert_eq!(harness.promotion(listing).await, None);
    let mails = nds_common::mail::read_mailbox(&harness.mail_dir);
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].contains(&listing.to_string()));
    // The recipient came from identity: the agency's manager.
    assert!(mails[0].contains(&agency.manager_email), "{}", mails[0]);
}

#[tokio::test]
async fn promoting_a_promoted_listing_extends_it() {
    let harness = harness(TestDatabase::postgres().await, HarnessOptions::default()).await;
    let agency = harness.onboard_agency("Autos Reforma", None).await;
    let listing = harness.listing_id(&agency, true).await;
    let mut ends = Vec::new();
    for round in 0..2 {
        let (_, object) = promotion_checkout(&harness, &agency, listing).await;
        deliver_signed(
            &harness.parts.webhook,
            event(&format!("evt_extend_{round}"), "payment_intent.succeeded", chrono::Utc::now().timestamp(), object),
        )
        .await;
        settle(&harness).await;
        ends.push(harness.promotion(listing).await.unwrap());
    }
    assert!((ends[1] - ends[0] - 30 * 86_400).abs() < 5, "{ends:?}");
}

#[tokio::test]
async fn out_of_order_and_stale_payment_events_have_no_effect_after_success() {
    let harness = harness(TestDatabase::postgres().await, HarnessOptions::default()).await;
    let agency = harness.onboard_agency("Autos Reforma", None).await;
    let listing = harness.listing_id(&agency, true).await;
    let checkout = harness
        .client
        .clone()
        .promote_listing(authorized(PromoteListingRequest { listing_id: listing.to_string() }, &agency.manager))
        .await
        .unwrap()
        .into_inner();
    let metadata = json!({"promotion_id": checkout.reference_id, "listing_id": listing.to_string()});
    let now = chrono::Utc::now().timestamp();
    // succeeded is processed first; then the older created and a failed event arrive.
    deliver_signed(
        &harness.parts.webhook,
        event(
            "evt_s",
            "payment_intent.succeeded",
            now,
            payment_intent_object(&checkout.payment_intent_id, metadata.clone(), "succeeded"),
        ),
    )
    .await;
    settle(&harness).await;
    deliver_signed(
        &harness.parts.webhook,
        event(
            "evt_c",
            "payment_intent.created",
            now - 10,
            payment_intent_object(&checkout.payment_intent_id, metadata.clone(), "requires_payment_method"),
        ),
    )
    .await;
    deliver_signed(
        &harness.parts.webhook,
        event(
            "evt_f",
            "payment_intent.payment_failed",
            now - 5,
            payment_intent_object(&checkout.payment_intent_id, metadata, "requires_payment_method"),
        ),
    )
    .await;
    settle(&harness).await;
    assert!(harness.promotion(listing).await.is_some());
    let status = harness
        .client
        .clone()
        .get_billing_status(authorized(
            GetBillingStatusRequest { agency_id: agency.agency_id.to_string() },
            &agency.manager,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.active_promotions, 1);
    let failed = svc_billing::store::events::find(&harness.parts.billing.database, "evt_f").await.unwrap().unwrap();
    assert_eq!(failed.status, "ignored");
    // An event for a listing billing never sold a promotion for: 2xx and ignored.
    let stranger = payment_intent_object(
        "pi_unknown",
        json!({"promotion_id": Uuid::new_v4().to_string(), "listing_id": Uuid::new_v4().to_string()}),
        "succeeded",
    );
    assert_eq!(
        deliver_signed(&harness.parts.webhook, event("evt_unknown", "payment_intent.succeeded", now, stranger)).await,
        200
    );
    settle(&harness).await;
    let unknown =
        svc_billing::store::events::find(&harness.parts.billing.database, "evt_unknown").await.unwrap().unwrap();
    assert_eq!(unknown.status, "ignored");
    assert_eq!(ledger_len(&harness).await, 1);
}

#[tokio::test]
async fn tenants_cannot_promote_or_read_each_others_billing_and_bad_input_changes_nothing() {
    let harness = harness(TestDatabase::postgres().await, HarnessOptions::default()).await;
    let agency = harness.onboard_agency("Autos Reforma", None).await;
    // Another agency of the same group.
    let other_agency = harness.onboard_agency("Autos Polanco", Some(agency.group_id)).await;
    assert_eq!(other_agency.group_id, agency.group_id);
    let listing = harness.listing_id(&agency, true).await;
    let draft = harness.listing_id(&agency, false).await;
    let mut client = harness.client.clone();
    let other = other_agency.manager.clone();
    let buyer = harness.buyer().await;

    let denied = client
        .promote_listing(authorized(PromoteListingRequest { listing_id: listing.to_string() }, &other))
        .await
        .unwrap_err();
    assert_eq!(code(denied), ErrorCode::Forbidden);
    let denied = client
        .promote_listing(authorized(PromoteListingRequest { listing_id: listing.to_string() }, &buyer))
        .await
        .unwrap_err();
    assert_eq!(code(denied), ErrorCode::Forbidden);
    let anonymous =
        client.promote_listing(PromoteListingRequest { listing_id: listing.to_string() }).await.unwrap_err();
    assert_eq!(code(anonymous), ErrorCode::Unauthenticated);
    let bad = client
        .promote_listing(authorized(PromoteListingRequest { listing_id: "nope".into() }, &other))
        .await
        .unwrap_err();
    assert_eq!(ApiError::from_status(&bad).field.as_deref(), Some("listingId"));
    let denied = client
        .get_billing_status(authorized(GetBillingStatusRequest { agency_id: agency.agency_id.to_string() }, &other))
        .await
        .unwrap_err();
    assert_eq!(code(denied), ErrorCode::Forbidden);
    let denied = client
        .list_ledger(authorized(ListLedgerRequest { agency_id: String::new(), page: None }, &other))
        .await
        .unwrap_err();
    assert_eq!(code(denied), ErrorCode::Forbidden);

    // Deposits: unpublished listing (answered like an unknown one), negative and zero amounts.
    for (listing_id, amount) in [(draft, 10_000), (Uuid::new_v4(), 10_000), (listing, -500), (listing, 0)] {
        let request = PayDepositRequest {
            listing_id: listing_id.to_string(),
            amount: Some(Money { amount_minor: amount, currency: "MXN".into() }),
        };
        let refused = client.pay_deposit(authorized(request, &buyer)).await.unwrap_err();
        assert_eq!(code(refused), ErrorCode::BadUserInput, "{listing_id} {amount}");
    }
    assert!(harness.stripe.requests().is_empty(), "nothing reached Stripe");
    assert_eq!(ledger_len(&harness).await, 0);
}

#[tokio::test]
async fn without_a_stripe_key_paid_actions_answer_payment_not_configured() {
    let harness =
        harness(TestDatabase::postgres().await, HarnessOptions { stripe_key: false, ..HarnessOptions::default() })
            .await;
    let agency = harness.onboard_agency("Autos Reforma", None).await;
    let listing = harness.listing_id(&agency, true).await;
    let mut client = harness.client.clone();
    let manager = agency.manager.clone();
    let refused = client
        .promote_listing(authorized(PromoteListingRequest { listing_id: listing.to_string() }, &manager))
        .await
        .unwrap_err();
    assert_eq!(code(refused), ErrorCode::PaymentNotConfigured);
    let refused = client
        .subscribe_agency(authorized(SubscribeAgencyRequest { agency_id: agency.agency_id.to_string() }, &manager))
        .await
        .unwrap_err();
    assert_eq!(code(refused), ErrorCode::PaymentNotConfigured);
    // The rest works.
    let status = client
        .get_billing_status(authorized(GetBillingStatusRequest { agency_id: agency.agency_id.to_string() }, &manager))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.subscription, SubscriptionStatus::None as i32);
}

#[tokio::test]
async fn subscription_meters_each_published_listing_once_and_invoices_drive_the_status() {
    let harness = harness(TestDatabase::postgres().await, HarnessOptions::default()).await;
    let agency = harness.onboard_agency("Autos Reforma", None).await;
    let manager = agency.manager.clone();
    let mut client = harness.client.clone();
    let subscribed = client
        .subscribe_agency(authorized(SubscribeAgencyRequest { agency_id: agency.agency_id.to_string() }, &manager))
        .await;
    let paths: Vec<String> = harness.stripe.requests().iter().map(|request| request.path.clone()).collect();
    let subscription_id =
        subscribed.unwrap_or_else(|error| panic!("{error:?} after {paths:?}")).into_inner().reference_id;
    let conflict = client
        .subscribe_agency(authorized(SubscribeAgencyRequest { agency_id: agency.agency_id.to_string() }, &manager))
        .await
        .unwrap_err();
    assert_eq!(code(conflict), ErrorCode::Conflict);
    let subscription = harness.stripe.requests_to("subscriptions");
    assert_eq!(subscription.len(), 1);
    let customer = subscription[0].form["customer"].clone();
    assert_eq!(
        harness.stripe.requests_to("prices")[0].form.get("recurring[usage_type]").map(String::as_str),
        Some("metered")
    );

    // Two listings published, one of them changed again, and the feed replayed from scratch.
    let now = chrono::Utc::now().timestamp();
    let first = harness.listing(&agency, true).await;
    let second = harness.listing(&agency, true).await;
    let edited = harness
        .catalog
        .clone()
        .update_listing(authorized(
            nds_proto::catalog::v1::UpdateListingRequest {
                id: first.id.clone(),
                expected_version: first.version,
                patch: Some(nds_proto::catalog::v1::ListingPatch { mileage_km: Some(36_000), ..Default::default() }),
            },
            &manager,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(edited.version > first.version);
    let (first, second) = (Uuid::parse_str(&first.id).unwrap(), Uuid::parse_str(&second.id).unwrap());
    harness.catch_up_feed().await;
    // Every change of catalog's feed was applied: billing's copy has each listing's latest version.
    let copy = |listing_id: Uuid| {
        let database = harness.parts.billing.database.clone();
        async move { svc_billing::store::usage::listing(&database, &listing_id.to_string()).await.unwrap().unwrap() }
    };
    assert_eq!(copy(first).await.version, edited.version);
    assert_eq!(copy(second).await.version, harness.read_listing(second).await.version);
    assert_eq!(copy(first).await.status, "published");
    svc_billing::store::usage::save_cursor(&harness.parts.billing.database, 0).await.unwrap();
    harness.catch_up_feed().await;
    let meter_events = harness.stripe.requests_to("billing/meter_events");
    assert_eq!(meter_events.len(), 2, "{meter_events:?}");
    let month = svc_billing::domain::period::month_of(now);
    assert!(meter_events.iter().any(|request| request.form["identifier"] == format!("{first}:{month}")));
    assert_eq!(meter_events[0].form["payload[stripe_customer_id]"], customer);

    // The new-month job: one opening count per agency and month, twice is harmless.
    harness.parts.billing.start_usage_new_month(now).await.unwrap();
    harness.parts.billing.start_usage_new_month(now).await.unwrap();
    let openings = svc_billing::store::usage::openings(&harness.parts.billing.database, &month).await.unwrap();
    assert_eq!(openings.len(), 1);
    assert_eq!(openings[0].listing_count, 2);
    assert_eq!(harness.stripe.requests_to("billing/meter_events").len(), 2);

    // Invoices: failed → past due; an older paid event does not undo it; deleted → cancelled for good.
    let invoice = |id: &str| {
        json!({"id": id, "object": "invoice", "customer": customer, "amount_paid": 19_800, "currency": "mxn",
               "parent": {"type": "subscription_details", "subscription_details": {"subscription": subscription_id}}})
    };
    deliver_signed(&harness.parts.webhook, event("evt_inv_failed", "invoice.payment_failed", now, invoice("in_2")))
        .await;
    deliver_signed(&harness.parts.webhook, event("evt_inv_old_paid", "invoice.paid", now - 100, invoice("in_1"))).await;
    settle(&harness).await;
    let full_status = |mut client: billing_service_client::BillingServiceClient<tonic::transport::Channel>| {
        let request = authorized(GetBillingStatusRequest { agency_id: agency.agency_id.to_string() }, &manager);
        async move { client.get_billing_status(request).await.unwrap().into_inner() }
    };
    let status = |client| {
        let status = full_status(client);
        async move { status.await.subscription }
    };
    // The manager sees the period and the two listings billed in it.
    let billed = full_status(client.clone()).await;
    assert_eq!((billed.period.as_str(), billed.listings_billed_this_period), (month.as_str(), 2));
    assert_eq!(status(client.clone()).await, SubscriptionStatus::PastDue as i32);
    deliver_signed(&harness.parts.webhook, event("evt_inv_paid", "invoice.paid", now + 10, invoice("in_3"))).await;
    settle(&harness).await;
    assert_eq!(status(client.clone()).await, SubscriptionStatus::Active as i32);
    let deleted = json!({"id": subscription_id, "object": "subscription", "customer": customer, "status": "canceled"});
    deliver_signed(
        &harness.parts.webhook,
        event("evt_sub_deleted", "customer.subscription.deleted", now + 20, deleted),
    )
    .await;
    deliver_signed(&harness.parts.webhook, event("evt_inv_late", "invoice.paid", now + 30, invoice("in_4"))).await;
    settle(&harness).await;
    assert_eq!(status(client.clone()).await, SubscriptionStatus::Cancelled as i32);
    assert_eq!(full_status(client.clone()).await.listings_billed_this_period, 0, "nothing is billed once cancelled");
}

#[tokio::test]
async fn onboarding_then_a_deposit_takes_the_platform_fee_and_a_refund_reverses_both() {
    let harness = harness(TestDatabase::postgres().await, HarnessOptions::default()).await;
    let agency = harness.onboard_agency("Autos Reforma", None).await;
    let manager = agency.manager.clone();
    let listing = harness.listing_id(&agency, true).await;
    let buyer = harness.buyer().await;
    let mut client = harness.client.clone();
    let link = client
        .start_payout_onboarding(authorized(
            StartPayoutOnboardingRequest { agency_id: agency.agency_id.to_string() },
            &manager,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(link.url.contains(&link.account_id));
    let deposit = PayDepositRequest {
        listing_id: listing.to_string(),
        amount: Some(Money { amount_minor: 1_000_000, currency: "MXN".into() }),
    };
    let not_yet = client.pay_deposit(authorized(deposit.clone(), &buyer)).await.unwrap_err();
    assert_eq!(code(not_yet), ErrorCode::Conflict);

    let now = chrono::Utc::now().timestamp();
    let account = json!({"id": link.account_id, "object": "account", "charges_enabled": true, "payouts_enabled": true});
    deliver_signed(&harness.parts.webhook, event("evt_acct", "account.updated", now, account)).await;
    settle(&harness).await;

    let checkout = client.pay_deposit(authorized(deposit, &buyer)).await.unwrap().into_inner();
    let request = harness.stripe.requests_to("payment_intents").pop().unwrap();
    assert_eq!(request.form["application_fee_amount"], "50000");
    assert_eq!(request.form["transfer_data[destination]"], link.account_id);
    assert_eq!(request.idempotency_key.as_deref(), Some(format!("deposit-{}", checkout.reference_id).as_str()));

    let object = payment_intent_object(
        &checkout.payment_intent_id,
        json!({"deposit_id": checkout.reference_id, "listing_id": listing.to_string()}),
        "succeeded",
    );
    deliver_signed(&harness.parts.webhook, event("evt_dep", "payment_intent.succeeded", now, object)).await;
    settle(&harness).await;
    let refunded = client
        .refund_deposit(authorized(RefundDepositRequest { deposit_id: checkout.reference_id.clone() }, &manager))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(refunded.status, "refunded");
    let refund = harness.stripe.requests_to("refunds").pop().unwrap();
    assert_eq!(refund.form["reverse_transfer"], "true");
    assert_eq!(refund.form["refund_application_fee"], "true");
    // The charge.refunded webhook afterwards changes nothing more.
    let charge = json!({"id": "ch_1", "object": "charge", "payment_intent": checkout.payment_intent_id});
    deliver_signed(&harness.parts.webhook, event("evt_refunded", "charge.refunded", now + 5, charge)).await;
    settle(&harness).await;
    let ledger = client
        .list_ledger(authorized(ListLedgerRequest { agency_id: agency.agency_id.to_string(), page: None }, &manager))
        .await
        .unwrap()
        .into_inner();
    let mut amounts: Vec<(String, i64)> =
        ledger.entries.iter().map(|entry| (entry.kind.clone(), entry.amount.as_ref().unwrap().amount_minor)).collect();
    amounts.sort();
    assert_eq!(
        amounts,
        vec![
            ("deposit".into(), 1_000_000),
            ("fee".into(), 50_000),
            ("fee_reversal".into(), -50_000),
            ("refund".into(), -1_000_000)
        ]
    );
    let metrics = client
        .get_metrics(authorized(
            GetMetricsRequest {
                scope: Some(nds_proto::common::v1::MetricsScope {
                    scope: Some(nds_proto::common::v1::metrics_scope::Scope::AgencyId(agency.agency_id.to_string())),
                }),
                range: None,
                interval: 0,
            },
            &manager,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(
        metrics
            .metrics
            .iter()
            .any(|metric| metric.name == "billing_revenue_minor" && metric.label == "fee" && metric.value == 50_000.0)
    );
}
