//! Billing end to end, as issue 8's "Done when" describes it, against the whole
//! system started as `nds dev` starts it and the local Stripe stand-in (Stripe is
//! the only part not run for real): promote → signed `payment_intent.succeeded`
//! on `/webhooks/stripe` → the listing is promoted in catalog and in search →
//! `expire-promotions` ends it, clears it in catalog and search, and mails the
//! agency's manager.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use nds_common::config::ServiceName;
use nds_tests::TestSystem;
use nds_tests::client::data;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use svc_billing::store::entities::promotion;
use svc_billing::testing::StripeStandIn;

const STRIPE_KEY: &str = "sk_test_e2e_billing";
const WEBHOOK_SECRET: &str = "whsec_e2e_billing";

async fn promoted_until(system: &TestSystem, listing_id: &str, token: &str) -> Value {
    let response = system
        .graphql("query($id: ID!) { listing(id: $id) { promotedUntil } }", json!({ "id": listing_id }), Some(token))
        .await
        .unwrap();
    data(&response, "listing")["promotedUntil"].clone()
}

const SEARCH: &str = "query { search(input: { text: \"mazda cx-5\" }) { promoted { id } results { totalCount } } }";

/// Polls until the listing is (or is not) among the search's promoted listings.
async fn wait_for_promoted_in_search(system: &TestSystem, listing_id: &str, token: &str, expected: bool) -> Duration {
    let started = Instant::now();
    let mut last = Value::Null;
    while started.elapsed() < Duration::from_secs(10) {
        let response = system.graphql(SEARCH, json!({}), Some(token)).await.unwrap();
        last = data(&response, "search").clone();
        let promoted = last["promoted"].as_array().unwrap().iter().any(|listing| listing["id"] == listing_id);
        if promoted == expected {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("listing {listing_id} promoted in search should be {expected}; last result: {last}");
}

#[tokio::test]
async fn a_paid_promotion_reaches_catalog_and_search_and_its_expiry_mails_the_manager() {
    let stripe = StripeStandIn::start(STRIPE_KEY).await.unwrap();
    let stripe_url = stripe.url();
    let system = TestSystem::start(&[
        ("NDS_STRIPE_SECRET_KEY", STRIPE_KEY),
        ("NDS_STRIPE_WEBHOOK_SECRETS", WEBHOOK_SECRET),
        ("NDS_STRIPE_API_BASE", &stripe_url),
    ])
    .await
    .unwrap();
    let manager_email = "marta@autosinsurgentes.mx";
    let manager = system.onboard_agency("Autos Insurgentes", "AIN010101AB1", manager_email).await.manager_token;

    let created = system
        .graphql(
            "mutation($input: ListingInput!) { createListing(input: $input) { id } }",
            json!({ "input": {
                "make": "Mazda", "model": "CX-5", "year": 2022, "price": 52_900_000, "mileageKm": 28_000,
                "bodyType": "SUV", "fuel": "GASOLINE", "transmission": "AUTOMATIC", "color": "Gris",
                "condition": "USED", "city": "Ciudad de México", "state": "CDMX",
                "description": "Factura original, un dueño" } }),
            Some(&manager),
        )
        .await
        .unwrap();
    let listing_id = data(&created, "createListing")["id"].as_str().unwrap().to_string();
    let published = system
        .graphql(
            "mutation($id: ID!) { publishListing(id: $id) { status } }",
            json!({ "id": listing_id }),
            Some(&manager),
        )
        .await
        .unwrap();
    assert_eq!(data(&published, "publishListing")["status"], "PUBLISHED");
    assert_eq!(promoted_until(&system, &listing_id, &manager).await, Value::Null, "not promoted before paying");
    // Indexed, among the ordinary results, not promoted.
    let started = Instant::now();
    loop {
        let response = system.graphql(SEARCH, json!({}), Some(&manager)).await.unwrap();
        let search = data(&response, "search");
        if search["results"]["totalCount"] == 1 {
            assert_eq!(search["promoted"], json!([]), "nothing is promoted yet: {search}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the listing never reached search: {search}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // promoteListing: a PaymentIntent at Stripe (the stand-in), with the listing in its metadata.
    let checkout = system
        .graphql(
            "mutation($id: ID!) { promoteListing(listingId: $id) { clientSecret paymentIntentId amount currency kind status } }",
            json!({ "id": listing_id }),
            Some(&manager),
        )
        .await
        .unwrap();
    let checkout = data(&checkout, "promoteListing").clone();
    assert_eq!(checkout["kind"], "promotion");
    let payment_intent_id = checkout["paymentIntentId"].as_str().unwrap().to_string();
    assert!(checkout["clientSecret"].as_str().unwrap().starts_with(&payment_intent_id));
    let intents = stripe.requests_to("payment_intents");
    assert_eq!(intents.len(), 1);
    assert_eq!(intents[0].form.get("metadata[listing_id]"), Some(&listing_id));
    assert_eq!(promoted_until(&system, &listing_id, &manager).await, Value::Null, "not promoted before payment");

    // Stripe reports the payment: the event carries the PaymentIntent as Stripe holds it, now succeeded.
    let (body, paid_at) = nds_tests::stripe::payment_succeeded_event(&stripe, &payment_intent_id);
    let forged = nds_tests::stripe::deliver_signed(&system, &body, paid_at, "whsec_forged").await;
    assert_eq!(forged, 400, "a forged signature is refused");
    assert_eq!(nds_tests::stripe::deliver_signed(&system, &body, paid_at, WEBHOOK_SECRET).await, 200);

    // Catalog gets the promotion's end (30 days), search ranks it among the promoted within about a second.
    let started = Instant::now();
    let until = loop {
        let until = promoted_until(&system, &listing_id, &manager).await;
        if !until.is_null() {
            break until;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "catalog never got the promotion");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let until = chrono::DateTime::parse_from_rfc3339(until.as_str().unwrap()).unwrap().timestamp();
    assert!((until - paid_at - 30 * 86_400).abs() < 120, "30 days from payment: {until} vs {paid_at}");
    let waited = wait_for_promoted_in_search(&system, &listing_id, &manager, true).await;
    assert!(started.elapsed() < Duration::from_secs(5), "promoted in search after {waited:?}");

    // The platform's audit log names the buyer of the promotion and the car, beside
    // identity's own lines (the agency's approval), newest first.
    let admin = system.admin_token().await;
    let log = system
        .graphql(
            "{ auditLog(first: 50) { totalCount edges { node { action actorEmail targetType targetLabel detailJson } } } }",
            json!({}),
            Some(&admin),
        )
        .await
        .unwrap();
    let log = data(&log, "auditLog");
    let edges = log["edges"].as_array().unwrap();
    let purchase = &edges[0]["node"];
    assert_eq!(purchase["action"], "promotion.purchased", "{log}");
    assert_eq!(purchase["actorEmail"], manager_email);
    assert_eq!(purchase["targetType"], "listing");
    assert_eq!(purchase["targetLabel"], "mazda cx-5 2022", "catalog's canonical words");
    let detail: Value = serde_json::from_str(purchase["detailJson"].as_str().unwrap()).unwrap();
    assert_eq!(detail["amount_minor"], checkout["amount"]);
    assert!(edges.iter().any(|edge| edge["node"]["action"] == "application.approved"), "{log}");
    assert_eq!(log["totalCount"].as_i64().unwrap(), edges.len() as i64);
    let purchases = system
        .graphql(
            "{ auditLog(action: \"promotion.purchased\") { totalCount edges { node { action } } } }",
            json!({}),
            Some(&admin),
        )
        .await
        .unwrap();
    assert_eq!(data(&purchases, "auditLog")["totalCount"], 1);

    let runtime = &system.running.as_ref().unwrap().runtime;
    let options = nds::system::billing_options(runtime);
    // Not due yet: the job ends nothing.
    let report = svc_billing::run_job_with(runtime, "expire-promotions", &options).await.unwrap();
    assert!(report.contains("0 promotions ended"), "{report}");
    assert!(!promoted_until(&system, &listing_id, &manager).await.is_null());

    // Thirty days cannot pass in a test: this test-only write to billing's own
    // database moves the promotion's end to a second ago, as if the time had come.
    // Everything after it is the production job.
    let billing_database = nds_common::db::connect(&runtime.database_url(ServiceName::Billing)).await.unwrap();
    let moved = promotion::Entity::update_many()
        .col_expr(promotion::Column::EndsAtUnix, Expr::value(chrono::Utc::now().timestamp() - 1))
        .filter(promotion::Column::ListingId.eq(listing_id.as_str()))
        .filter(promotion::Column::Status.eq("active"))
        .exec(&billing_database)
        .await
        .unwrap();
    assert_eq!(moved.rows_affected, 1, "exactly one active promotion for the listing");

    let report = svc_billing::run_job_with(runtime, "expire-promotions", &options).await.unwrap();
    assert!(report.contains("1 promotions ended"), "{report}");
    assert!(report.contains("1 agencies mailed"), "{report}");
    // Twice is harmless: nothing more ends, nobody is mailed again.
    let again = svc_billing::run_job_with(runtime, "expire-promotions", &options).await.unwrap();
    assert!(again.contains("0 promotions ended") && again.contains("0 agencies mailed"), "{again}");

    assert_eq!(promoted_until(&system, &listing_id, &manager).await, Value::Null, "catalog cleared the promotion");
    wait_for_promoted_in_search(&system, &listing_id, &manager, false).await;
    let search = system.graphql(SEARCH, json!({}), Some(&manager)).await.unwrap();
    assert_eq!(data(&search, "search")["results"]["totalCount"], 1, "still found, just not promoted");

    let expiry_mails: Vec<String> =
        system.mails().into_iter().filter(|mail| mail.contains(&listing_id) && mail.contains(manager_email)).collect();
    assert_eq!(expiry_mails.len(), 1, "one expiry mail to the manager: {expiry_mails:?}");
    assert!(expiry_mails[0].to_lowercase().contains("promo"), "{}", expiry_mails[0]);
    system.stop().await.unwrap();
}
