//! One trace per request across the mesh (issue 19, part 2): the whole system as
//! `nds dev` runs it, exporting over OTLP/gRPC to a collector in this process.
//! A search through the edge is one trace with spans from the edge, search and
//! chat; a Stripe webhook is one trace through billing, catalog and, through the
//! change feed, search's indexer. No span carries a token, a password or what was typed.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use nds_tests::TestSystem;
use nds_tests::client::data;
use nds_tests::inventory::{CARS, create_listing, publish, wait_until_searchable};
use nds_tests::otlp::{Collector, ReceivedSpan, trace_of};
use serde_json::json;

const BUDGET: Duration = Duration::from_secs(20);
const PASSWORD: &str = "contraseña-de-prueba-9";

/// The first span of `spans` that `matches`.
fn find<'a>(spans: &[&'a ReceivedSpan], what: &str, matches: impl Fn(&ReceivedSpan) -> bool) -> &'a ReceivedSpan {
    spans.iter().copied().find(|span| matches(span)).unwrap_or_else(|| {
        let names: Vec<String> = spans.iter().map(|span| format!("{} {:?}", span.name, span.attributes)).collect();
        panic!("no span for {what} among:\n{}", names.join("\n"))
    })
}

fn grpc_server_of<'a>(trace: &[&'a ReceivedSpan], service: &str) -> &'a ReceivedSpan {
    find(trace, service, |span| span.name.starts_with(service) && span.attribute("rpc.service") == Some(service))
}

/// Whether `ancestor` is `span`'s parent, or its parent's, and so on.
fn descends_from(trace: &[&ReceivedSpan], span: &ReceivedSpan, ancestor: &ReceivedSpan) -> bool {
    let mut parent = span.parent_span_id.clone();
    while !parent.is_empty() {
        if parent == ancestor.span_id {
            return true;
        }
        parent = trace
            .iter()
            .find(|candidate| candidate.span_id == parent)
            .map(|found| found.parent_span_id.clone())
            .unwrap_or_default();
    }
    false
}

/// One root, every other span's parent in the trace, and the trace id on the spans
/// log lines print it from.
fn assert_well_formed(trace: &[&ReceivedSpan]) {
    let roots: Vec<&&ReceivedSpan> = trace.iter().filter(|span| span.parent_span_id.is_empty()).collect();
    assert_eq!(roots.len(), 1, "one root: {roots:#?}");
    for span in trace {
        if !span.parent_span_id.is_empty() {
            assert!(
                trace.iter().any(|parent| parent.span_id == span.parent_span_id),
                "{} has a parent outside its trace",
                span.name
            );
        }
    }
    let servers = trace.iter().filter(|span| {
        span.attributes.contains_key("rpc.system") || span.attributes.contains_key("http.request.method")
    });
    for server in servers {
        assert_eq!(server.attribute("trace_id"), Some(server.trace_id.as_str()), "{} logs its trace id", server.name);
    }
}

fn assert_nothing_secret(spans: &[ReceivedSpan], secrets: &[&str]) {
    for span in spans {
        for (key, value) in &span.attributes {
            for secret in secrets {
                assert!(!value.contains(secret), "{}'s {key} carries {secret:?}: {value}", span.name);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_through_the_edge_is_one_trace_across_edge_search_and_chat() {
    let collector = Collector::installed();
    let system = TestSystem::start(&[]).await.unwrap();
    let buyer = system.sign_up_buyer("traza@example.mx", PASSWORD).await;
    let typed = "toyota rav4 automática barata";
    let response = system
        .graphql(
            "query TracedSearch($text: String!) { search(input: { text: $text }) { results { totalCount } } }",
            json!({ "text": typed }),
            Some(&buyer),
        )
        .await
        .unwrap();
    assert!(response.get("errors").is_none(), "{response}");

    let spans = collector
        .wait_for(BUDGET, "the search's spans from edge, search and chat", |spans| {
            spans.iter().find(|span| span.name == "query TracedSearch").is_some_and(|operation| {
                let trace = trace_of(spans, &operation.trace_id);
                ["nds.search.v1.SearchService", "nds.chat.v1.ChatService"]
                    .iter()
                    .all(|service| trace.iter().any(|span| span.attribute("rpc.service") == Some(service)))
            })
        })
        .await;
    let operation = spans.iter().find(|span| span.name == "query TracedSearch").unwrap();
    let trace = trace_of(&spans, &operation.trace_id);
    assert_well_formed(&trace);

    // The edge: its HTTP span is the root, the operation named by its name alone.
    let http = find(&trace, "the edge's HTTP span", |span| span.name == "POST /graphql");
    assert!(http.parent_span_id.is_empty(), "the edge starts the trace");
    assert_eq!(http.attribute("http.response.status_code"), Some("200"));
    assert_eq!(operation.parent_span_id, http.span_id);
    assert_eq!(operation.attribute("graphql.operation.name"), Some("TracedSearch"));
    assert_eq!(operation.attribute("graphql.operation.type"), Some("query"));
    // Search is called by the operation; chat, to understand the text, by search.
    let search = grpc_server_of(&trace, "nds.search.v1.SearchService");
    assert_eq!(search.parent_span_id, operation.span_id, "search is the operation's call");
    let chat = grpc_server_of(&trace, "nds.chat.v1.ChatService");
    assert_eq!(chat.attribute("rpc.method"), Some("InterpretQuery"));
    assert!(descends_from(&trace, chat, search), "chat is search's call");

    assert_nothing_secret(&spans, &[&buyer, PASSWORD, typed, "rav4"]);
}

const STRIPE_KEY: &str = "sk_test_e2e_traces";
const WEBHOOK_SECRET: &str = "whsec_e2e_traces";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stripe_webhook_is_one_trace_through_billing_catalog_and_the_indexer() {
    let collector = Collector::installed();
    let stripe = svc_billing::testing::StripeStandIn::start(STRIPE_KEY).await.unwrap();
    let stripe_url = stripe.url();
    let system = TestSystem::start(&[
        ("NDS_STRIPE_SECRET_KEY", STRIPE_KEY),
        ("NDS_STRIPE_WEBHOOK_SECRETS", WEBHOOK_SECRET),
        ("NDS_STRIPE_API_BASE", &stripe_url),
    ])
    .await
    .unwrap();
    let agency = system.onboard_agency("Autos Trazados", "ATR010101AB1", "gerente@autostrazados.mx").await;
    let listing_id = create_listing(&system, &agency.manager_token, &CARS[0]).await;
    publish(&system, &agency.manager_token, &listing_id).await;
    // Indexed first: the promotion's change is then a batch of its own, not one
    // committed with the create and publish (whose batch continues the first's trace).
    wait_until_searchable(&system, 1).await;

    // The checkout's call to Stripe is a client span of the mutation's trace.
    let checkout = system
        .graphql(
            "mutation TracedPromote($id: ID!) { promoteListing(listingId: $id) { clientSecret paymentIntentId } }",
            json!({ "id": listing_id }),
            Some(&agency.manager_token),
        )
        .await
        .unwrap();
    let checkout = data(&checkout, "promoteListing").clone();
    let payment_intent_id = checkout["paymentIntentId"].as_str().unwrap().to_string();
    let client_secret = checkout["clientSecret"].as_str().unwrap().to_string();
    let spans = collector
        .wait_for(BUDGET, "the checkout's call to Stripe", |spans| {
            spans.iter().any(|span| span.name == "stripe.create_payment_intent")
        })
        .await;
    let mutation = spans.iter().find(|span| span.name == "mutation TracedPromote").unwrap();
    let checkout_trace = trace_of(&spans, &mutation.trace_id);
    let to_stripe = find(&checkout_trace, "the call to Stripe", |span| span.name == "stripe.create_payment_intent");
    assert_eq!(to_stripe.attribute("peer.service"), Some("stripe"));
    assert!(descends_from(
        &checkout_trace,
        to_stripe,
        grpc_server_of(&checkout_trace, "nds.billing.v1.BillingService")
    ));
    assert!(
        checkout_trace
            .iter()
            .any(|span| span.attribute("db.operation").is_some() && span.attribute("db.system").is_some()),
        "database statements are spans of the trace"
    );

    let status =
        nds_tests::stripe::deliver_payment_succeeded(&system, &stripe, &payment_intent_id, WEBHOOK_SECRET).await;
    assert_eq!(status, 200);

    // The delivery is stored, processed later by billing's worker, which tells catalog;
    // catalog's change reaches search's indexer through the feed: one trace throughout.
    let spans = collector
        .wait_for(BUDGET, "the webhook's trace into catalog and the indexer", |spans| {
            spans.iter().find(|span| span.name == "POST /webhooks/stripe").is_some_and(|delivery| {
                let trace = trace_of(spans, &delivery.trace_id);
                trace.iter().any(|span| span.attribute("rpc.service") == Some("nds.catalog.v1.CatalogService"))
                    && trace.iter().any(|span| span.name == "search.index_batch")
            })
        })
        .await;
    let delivery = spans.iter().find(|span| span.name == "POST /webhooks/stripe").unwrap();
    let trace = trace_of(&spans, &delivery.trace_id);
    assert_well_formed(&trace);
    assert!(delivery.parent_span_id.is_empty(), "Stripe's delivery starts the trace");
    assert_eq!(delivery.attribute("http.route"), Some("/webhooks/stripe"));
    let pass = find(&trace, "the worker's pass", |span| span.name == "billing.process_events");
    assert_eq!(pass.parent_span_id, delivery.span_id, "the stored event's processing continues the delivery");
    let event = find(&trace, "the event's processing", |span| span.name == "billing.process_event");
    assert_eq!(event.attribute("stripe.event_type"), Some("payment_intent.succeeded"));
    let catalog = grpc_server_of(&trace, "nds.catalog.v1.CatalogService");
    assert_eq!(catalog.attribute("rpc.method"), Some("SetPromotion"));
    assert!(descends_from(&trace, catalog, pass), "catalog is told by the worker's pass");
    let indexed = find(&trace, "the indexer's batch", |span| span.name == "search.index_batch");
    assert!(descends_from(&trace, indexed, catalog), "the indexer continues the change's trace");

    // Background loops (the change feed's reads, the workers' polls) send no trace of
    // their own statements: a statement is exported inside a request's span only.
    let lone = spans.iter().filter(|span| span.name.starts_with("sea_orm") && span.parent_span_id.is_empty());
    assert_eq!(lone.count(), 0, "statements outside any request are not exported");
    assert_nothing_secret(&spans, &[&agency.manager_token, &client_secret, STRIPE_KEY, WEBHOOK_SECRET]);
}
