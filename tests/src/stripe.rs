//! Stripe's side of a payment in the end-to-end tests: the signed webhook delivery
//! Stripe would send once a PaymentIntent held by the stand-in succeeds.

// Test support: a failed expectation here is a failed test, said loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use svc_billing::testing::{StripeStandIn, load_fixtures};

use crate::TestSystem;

/// A `payment_intent.succeeded` event (Stripe's fixture) for `payment_intent_id` as
/// the stand-in holds it, now succeeded: the body and its `created` time.
pub fn payment_succeeded_event(stripe: &StripeStandIn, payment_intent_id: &str) -> (String, i64) {
    let mut intent = stripe.object(payment_intent_id).expect("the stand-in holds the PaymentIntent");
    intent["status"] = "succeeded".into();
    let paid_at = chrono::Utc::now().timestamp();
    let mut event = load_fixtures().unwrap()["event"].clone();
    event["id"] = format!("evt_e2e_{}", uuid::Uuid::new_v4().simple()).into();
    event["type"] = "payment_intent.succeeded".into();
    event["created"] = paid_at.into();
    event["data"]["object"] = intent;
    (event.to_string(), paid_at)
}

/// Posts `body` to `/webhooks/stripe` signed with `secret` at `signed_at`, as Stripe
/// does; returns the HTTP status billing answered.
pub async fn deliver_signed(system: &TestSystem, body: &str, signed_at: i64, secret: &str) -> reqwest::StatusCode {
    let signature = svc_billing::domain::signature::sign_header(secret, signed_at, body.as_bytes());
    reqwest::Client::new()
        .post(system.http_url("/webhooks/stripe"))
        .header("content-type", "application/json")
        .header("stripe-signature", signature)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
}

/// Delivers `payment_intent.succeeded` for `payment_intent_id`, signed with
/// `webhook_secret`; returns the HTTP status billing answered.
pub async fn deliver_payment_succeeded(
    system: &TestSystem,
    stripe: &StripeStandIn,
    payment_intent_id: &str,
    webhook_secret: &str,
) -> reqwest::StatusCode {
    let (body, paid_at) = payment_succeeded_event(stripe, payment_intent_id);
    deliver_signed(system, &body, paid_at, webhook_secret).await
}
