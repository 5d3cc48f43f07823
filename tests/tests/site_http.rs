//! The buyer site over plain HTTP: what a browser's address means behind a proxy,
//! and what the site answers without a browser in the way (robots, sitemaps, 404
//! and 410).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use nds_tests::TestSystem;
use nds_tests::client::data;
use nds_tests::inventory::{CARS, Inventory};
use serde_json::json;

/// Loads distinct search pages (no cached fragment answers them) as `client`
/// behind the proxy at 127.0.0.1; the statuses in order.
async fn searches(system: &TestSystem, client: &str, count: usize, from: usize) -> Vec<u16> {
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    for round in from..from + count {
        let response = http
            .get(system.site_url(&format!("/?q=sedan+{round}")))
            .header("x-forwarded-for", client)
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    statuses
}

/// These tests count up to the edge's per-minute limit: the count must not restart
/// half-way because the minute turned.
async fn clear_of_a_limit_window_turn() {
    nds_common::testing::leave_room_in_window(edge_graphql::rate_limit::WINDOW, Duration::from_secs(20)).await;
}

#[tokio::test]
async fn each_browser_behind_a_trusted_proxy_has_its_own_limit_at_the_edge() {
    // The test client is the proxy (loopback); the edge trusts the site the same way.
    clear_of_a_limit_window_turn().await;
    let system = TestSystem::start(&[("NDS_TRUSTED_PROXIES", "127.0.0.1/32"), ("NDS_RATE_LIMIT_PER_CLIENT", "5")])
        .await
        .unwrap();
    let first = searches(&system, "203.0.113.7", 6, 0).await;
    assert_eq!(&first[..5], &[200; 5], "{first:?}");
    assert_eq!(first[5], 429, "the sixth page of one browser is refused: {first:?}");
    let other = searches(&system, "198.51.100.23", 3, 100).await;
    assert_eq!(other, vec![200, 200, 200], "another browser behind the same proxy is not refused");
    system.stop().await.unwrap();
}

#[tokio::test]
async fn a_forged_forwarded_address_from_an_untrusted_peer_changes_nothing() {
    clear_of_a_limit_window_turn().await;
    let system = TestSystem::start(&[("NDS_RATE_LIMIT_PER_CLIENT", "5")]).await.unwrap();
    let first = searches(&system, "203.0.113.7", 5, 0).await;
    assert_eq!(first, vec![200; 5]);
    let forged = searches(&system, "198.51.100.23", 1, 100).await;
    assert_eq!(forged, vec![429], "a new X-Forwarded-For from an untrusted peer is still the same client");
    let body = reqwest::Client::new()
        .get(system.site_url("/?q=sedan+again"))
        .header("x-forwarded-for", "192.0.2.1")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("Demasiadas solicitudes"), "the refusal is a page in words");
    system.stop().await.unwrap();
}

#[tokio::test]
async fn robots_names_the_sitemap_and_unknown_pages_are_404_pages() {
    let system = TestSystem::start(&[]).await.unwrap();
    let robots = reqwest::get(system.site_url("/robots.txt")).await.unwrap().text().await.unwrap();
    assert!(robots.contains("Sitemap: ") && robots.contains("/sitemap.xml"), "{robots}");
    let missing = reqwest::get(system.site_url("/no-such-page")).await.unwrap();
    assert_eq!(missing.status(), 404);
    let page = missing.text().await.unwrap();
    assert!(page.contains("<html lang=\"es-MX\"") && page.contains("No encontramos esta página"), "{page}");
    let english = reqwest::Client::new()
        .get(system.site_url("/no-such-page"))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("We could not find this page"), "{english}");
    system.stop().await.unwrap();
}

#[tokio::test]
async fn the_sitemap_lists_every_published_car_and_a_sold_one_is_gone_with_similar_cars() {
    let system = TestSystem::start(&[]).await.unwrap();
    let inventory = Inventory::publish_all(&system).await;
    let sold = &inventory.listing_ids[0];
    let marked = system
        .graphql(
            "mutation($id: ID!) { markListingSold(id: $id) { status } }",
            json!({ "id": sold }),
            Some(&inventory.agency.manager_token),
        )
        .await
        .unwrap();
    assert_eq!(data(&marked, "markListingSold")["status"], "SOLD");

    // The index names one file; that file names the home page and every published car.
    let index = reqwest::get(system.site_url("/sitemap.xml")).await.unwrap();
    assert_eq!(index.headers()["content-type"], "application/xml; charset=utf-8");
    let index = index.text().await.unwrap();
    assert!(index.contains("<sitemapindex"), "{index}");
    let files: Vec<&str> = index.split("<loc>").skip(1).filter_map(|rest| rest.split("</loc>").next()).collect();
    assert_eq!(files.len(), 1, "{index}");
    let path = files[0].split_once("://").and_then(|(_, rest)| rest.split_once('/')).map(|(_, path)| path).unwrap();
    let file = reqwest::get(system.site_url(&format!("/{path}"))).await.unwrap().text().await.unwrap();
    assert!(file.contains("<urlset"), "{file}");
    for id in &inventory.listing_ids[1..] {
        assert!(file.contains(&format!("/autos/{id}</loc><lastmod>")), "{id} missing from {file}");
    }
    assert!(!file.contains(&format!("/autos/{sold}<")), "the sold car is not in the sitemap");

    // The sold car's page is gone, says so, and offers cars like it.
    let gone = reqwest::get(system.site_url(&format!("/autos/{sold}"))).await.unwrap();
    assert_eq!(gone.status(), 410);
    let gone = gone.text().await.unwrap();
    assert!(gone.contains("Este auto ya se vendió") && gone.contains("Autos parecidos"), "{gone}");
    assert!(gone.contains("href=\"/autos/"), "similar cars link to their pages: {gone}");
    assert!(!gone.contains(&format!("href=\"/autos/{sold}\"")), "not to itself");

    // A draft is not found, like an id that never existed.
    let draft = nds_tests::inventory::create_listing(&system, &inventory.agency.manager_token, &CARS[1]).await;
    assert_eq!(reqwest::get(system.site_url(&format!("/autos/{draft}"))).await.unwrap().status(), 404);
    system.stop().await.unwrap();
}
