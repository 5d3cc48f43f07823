//! The edge's DataLoaders batch: a page of listings whose cards name their agency
//! costs identity one `GetAgencies` call, however many agencies the page holds,
//! counted on the services' own request metrics.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;

use nds_tests::TestSystem;

const GET_AGENCIES: &str = "/nds.identity.v1.IdentityService/GetAgencies";

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
    system.stop().await.unwrap();
}
