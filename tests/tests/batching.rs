//! What a page costs the services behind the edge, counted on their own request
//! metrics: a page of listings whose cards name their agency costs identity one
//! `GetAgencies` call, however many agencies it holds (DataLoader batching), and
//! none while the edge still holds those agencies' cards; a search page comes with
//! its cards and costs catalog nothing.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::time::Duration;

use nds_proto::catalog::v1::catalog_service_client::CatalogServiceClient;
use nds_proto::catalog::v1::{RecordViewRequest, SetPromotionRequest};
use nds_tests::TestSystem;
use nds_tests::client::data;
use serde_json::{Value, json};

const GET_AGENCIES: &str = "/nds.identity.v1.IdentityService/GetAgencies";
const GET_LISTINGS: &str = "/nds.catalog.v1.CatalogService/GetListings";

/// Successful calls of one gRPC method so far, from the process's /metrics.
async fn calls_of(system: &TestSystem, method: &str) -> u64 {
    let metrics = reqwest::get(system.http_url("/metrics")).await.unwrap().text().await.unwrap();
    metrics
        .lines()
        .filter(|line| {
            line.starts_with("nds_requests_total") && line.contains(method) && line.contains("surface=\"grpc\"")
        })
        .map(|line| line.rsplit(' ').next().unwrap().parse::<f64>().unwrap() as u64)
        .sum()
}

#[tokio::test]
async fn a_page_of_cards_resolves_every_agency_in_one_call() {
    let system = TestSystem::start(&[]).await.unwrap();
    let runtime = system.running.as_ref().unwrap().runtime.clone();
    nds::demo::load(&runtime).await.unwrap();
    let query = "{ listings(first: 50) { edges { node { id agency { id name } } } } }";

    let before = calls_of(&system, GET_AGENCIES).await;
    let page = system.graphql(query, serde_json::json!({}), None).await.unwrap();
    let after = calls_of(&system, GET_AGENCIES).await;

    let edges = nds_tests::client::data(&page, "listings")["edges"].as_array().unwrap().clone();
    let agencies: HashSet<&str> = edges.iter().map(|edge| edge["node"]["agency"]["id"].as_str().unwrap()).collect();
    assert!(edges.len() > agencies.len() && agencies.len() > 1, "the demo page must repeat several agencies");
    assert_eq!(
        after - before,
        1,
        "{} cards of {} agencies took {} GetAgencies calls",
        edges.len(),
        agencies.len(),
        after - before
    );

    // The same page again: the agencies' cards are still at the edge.
    let before = calls_of(&system, GET_AGENCIES).await;
    system.graphql(query, serde_json::json!({}), None).await.unwrap();
    assert_eq!(calls_of(&system, GET_AGENCIES).await - before, 0, "the agencies' cards were fetched again");
    // An agency asked for by itself is identity's current answer.
    let one = agencies.iter().next().unwrap();
    let before = calls_of(&system, GET_AGENCIES).await;
    let agency =
        system.graphql("query($id: ID!) { agency(id: $id) { id } }", json!({ "id": one }), None).await.unwrap();
    assert_eq!(data(&agency, "agency")["id"], *one);
    assert_eq!(calls_of(&system, GET_AGENCIES).await - before, 1, "agency(id) must not answer from the cards");
    system.stop().await.unwrap();
}

/// The search's result edges, once the demo catalogue is indexed.
async fn search_edges(system: &TestSystem, query: &str, token: Option<&str>) -> Vec<Value> {
    for _ in 0..100 {
        let page = system.graphql(query, json!({}), token).await.unwrap();
        let edges = data(&page, "search")["results"]["edges"].as_array().cloned().unwrap_or_default();
        if !edges.is_empty() {
            return edges;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the demo catalogue was not searchable within 10 s");
}

#[tokio::test]
async fn a_search_page_brings_its_cards_and_only_private_fields_cost_a_catalog_call() {
    let system = TestSystem::start(&[]).await.unwrap();
    let runtime = system.running.as_ref().unwrap().runtime.clone();
    nds::demo::load(&runtime).await.unwrap();
    let public_query = "{ search(input: { first: 40 }) { promoted { id make } \
        results { edges { node { id make model price photos agency { id name } } } } } }";
    search_edges(&system, public_query, None).await;

    let before = (calls_of(&system, GET_LISTINGS).await, calls_of(&system, GET_AGENCIES).await);
    let edges = search_edges(&system, public_query, None).await;
    let after = (calls_of(&system, GET_LISTINGS).await, calls_of(&system, GET_AGENCIES).await);
    assert!(edges.len() > 5, "{edges:?}");
    assert_eq!(after.0 - before.0, 0, "a search page asked catalog for its cards");
    assert!(after.1 - before.1 <= 1, "a search page's agencies took more than one call");
    // The card is the listing catalog serves.
    let first = &edges[0]["node"];
    let detail = system
        .graphql(
            "query($id: ID!) { listing(id: $id) { id make model price photos } }",
            json!({ "id": first["id"] }),
            None,
        )
        .await
        .unwrap();
    let detail = data(&detail, "listing");
    for field in ["id", "make", "model", "price", "photos"] {
        assert_eq!(first[field], detail[field], "{field} of the card differs from catalog's");
    }

    // A listing of the demo manager's agency gets views; only its agency may read them.
    let manager = system.access_token("gerente@polanco.demo.nds.mx", "demo-manager-2026").await;
    let private_query =
        "{ search(input: { first: 40 }) { results { edges { node { id viewCount agency { name } } } } } }";
    let own = search_edges(&system, private_query, Some(&manager)).await;
    let own = own.iter().find(|edge| edge["node"]["agency"]["name"].as_str().unwrap().contains("Polanco")).unwrap();
    let own_id = own["node"]["id"].as_str().unwrap().to_string();
    let mut catalog = CatalogServiceClient::new(runtime.channels.catalog.clone());
    for _ in 0..3 {
        catalog.record_view(RecordViewRequest { listing_id: own_id.clone() }).await.unwrap();
    }
    svc_catalog::run_job(&runtime, svc_catalog::FLUSH_VIEW_COUNTERS).await.unwrap();
    let views_seen_by = |edges: Vec<Value>| {
        edges.iter().find(|edge| edge["node"]["id"] == own_id.as_str()).map(|edge| edge["node"]["viewCount"].clone())
    };
    let before = calls_of(&system, GET_LISTINGS).await;
    assert_eq!(views_seen_by(search_edges(&system, private_query, Some(&manager)).await), Some(json!(3)));
    assert_eq!(calls_of(&system, GET_LISTINGS).await - before, 1, "private fields come from catalog, in one call");
    assert_eq!(views_seen_by(search_edges(&system, private_query, None).await), Some(json!(0)));
    system.stop().await.unwrap();
}

/// `count` published demo listings' ids, through the public connection.
async fn published_ids(system: &TestSystem, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    while ids.len() < count {
        let page = system
            .graphql(
                "query($after: String) { listings(first: 100, after: $after) { edges { node { id } } pageInfo { endCursor } } }",
                json!({ "after": after }),
                None,
            )
            .await
            .unwrap();
        let listings = data(&page, "listings");
        let edges = listings["edges"].as_array().unwrap();
        assert!(!edges.is_empty(), "the demo catalogue has fewer than {count} published listings");
        ids.extend(edges.iter().map(|edge| edge["node"]["id"].as_str().unwrap().to_string()));
        after = listings["pageInfo"]["endCursor"].as_str().map(str::to_string);
    }
    ids.truncate(count);
    ids
}

#[tokio::test]
async fn pages_needing_more_listings_than_one_catalog_call_takes_are_split() {
    use nds_proto::catalog::v1::GET_LISTINGS_MAX_IDS;
    let system = TestSystem::start(&[]).await.unwrap();
    let runtime = system.running.as_ref().unwrap().runtime.clone();
    nds::demo::load(&runtime).await.unwrap();
    let admin = system.admin_token().await;

    let ids = published_ids(&system, GET_LISTINGS_MAX_IDS + 50).await;

    // A search page of 100 results plus 2 promoted listings, with a private field: all
    // 102 cards come from catalog.
    let mut catalog = CatalogServiceClient::new(runtime.channels.catalog.clone());
    let until = chrono::Utc::now().timestamp() + 86_400;
    for id in &ids[..2] {
        let message = SetPromotionRequest { listing_id: id.clone(), promoted_until_unix: Some(until), rank: 1 };
        let context = nds_common::grpc::CallContext::new(Duration::from_secs(5)).with_bearer(&admin);
        catalog.set_promotion(context.request(message)).await.unwrap();
    }
    let query = "{ search(input: { first: 100 }) { promoted { id viewCount } \
        results { edges { node { id viewCount } } } } }";
    // Search learns the promotions from catalog's change feed.
    for _ in 0..100 {
        let page = system.graphql(query, json!({}), Some(&admin)).await.unwrap();
        if page["data"]["search"]["promoted"].as_array().is_some_and(|promoted| promoted.len() == 2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let before = calls_of(&system, GET_LISTINGS).await;
    let page = system.graphql(query, json!({}), Some(&admin)).await.unwrap();
    let search = data(&page, "search");
    assert_eq!(search["promoted"].as_array().unwrap().len(), 2, "{page}");
    assert_eq!(search["results"]["edges"].as_array().unwrap().len(), 100);
    assert_eq!(calls_of(&system, GET_LISTINGS).await - before, 2, "102 cards in two calls catalog accepts");

    // The listing DataLoader (conversations' listings) given more ids than catalog takes per call.
    let clients = edge_graphql::clients::Clients::new(runtime.channels.clone());
    let call = nds_common::grpc::CallContext::new(Duration::from_secs(10));
    let loaders = edge_graphql::loaders::Loaders::new(&clients, &call, &edge_graphql::loaders::AgencyCards::new());
    let found = loaders.listings().load_many(ids.clone()).await.unwrap();
    assert_eq!(found.len(), ids.len(), "every listing of the batch is found");
    system.stop().await.unwrap();
}
