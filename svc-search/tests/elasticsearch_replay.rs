//! The Elasticsearch backend against recorded exchanges (see `tests/recordings`):
//! the requests it sends are Elastic's wire format for our semantics, and it
//! reads Elastic's replies (including version conflicts and aggregations).

// Test code: panicking on a broken fixture is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use nds_common::vehicle::{SearchFilters, SearchSort};
use nds_proto::catalog::v1::Listing;
use prost::Message;
use support::replay::{Replay, glob, json_matches, recording};
use support::{NOW, doc, id};
use svc_search::domain::{IndexChange, IndexQuery, ListingCard};
use svc_search::error::SearchError;
use svc_search::index::SearchIndex;
use svc_search::index::elasticsearch::{DEFAULT_ALIAS, ElasticsearchIndex};

async fn replaying(name: &str) -> (Replay, ElasticsearchIndex) {
    let replay = Replay::start(recording(name)).await;
    let index = ElasticsearchIndex::connect(&replay.url, DEFAULT_ALIAS).unwrap();
    (replay, index)
}

#[tokio::test]
async fn ensure_ready_installs_the_template_and_a_first_aliased_index() {
    let (replay, index) = replaying("ensure_ready").await;
    index.ensure_ready().await.unwrap();
    replay.assert_complete();
}

/// An index made before a field existed gets it in place: the template only shapes new indices.
#[tokio::test]
async fn ensure_ready_adds_new_fields_to_an_existing_index() {
    let (replay, index) = replaying("ensure_ready_existing_index").await;
    index.ensure_ready().await.unwrap();
    replay.assert_complete();
}

/// A listing card, as catalog encodes one (id, make, model).
const CARD: &str = "CiQwMDAwMDAwMC0wMDVlLWEyYzQtMDAwMC0wMDAwMDAwMDAwMDEyBnRveW90YToHY29yb2xsYQ==";

#[tokio::test]
async fn bulk_uses_external_versions_and_counts_conflicts_as_stale() {
    let (replay, index) = replaying("bulk_external_versions").await;
    let mut listing = doc(1, "toyota", "corolla", 250_000);
    listing.version = 2;
    listing.card = ListingCard::from_base64(CARD).unwrap();
    let generation = index.generation();
    let outcome =
        index.apply(vec![IndexChange::Upsert(listing), IndexChange::Remove { id: id(2), version: 5 }]).await.unwrap();
    assert_eq!((outcome.applied, outcome.stale), (1, 1));
    index.commit().await.unwrap();
    assert!(index.generation() > generation);
    replay.assert_complete();
}

#[tokio::test]
async fn a_failed_bulk_item_other_than_a_conflict_fails_the_batch() {
    let (replay, index) = replaying("bulk_item_error").await;
    let error = index.apply(vec![IndexChange::Upsert(doc(1, "toyota", "corolla", 250_000))]).await.unwrap_err();
    assert!(matches!(error, SearchError::Index(ref message) if message.contains("400")), "{error}");
    replay.assert_complete();
}

#[tokio::test]
async fn search_sends_filters_keywords_exclusions_and_aggregations_and_reads_the_reply() {
    let (replay, index) = replaying("search_two_passes").await;
    let filters =
        SearchFilters { makes: vec!["Toyota".into()], keywords: vec!["quemacocos".into()], ..SearchFilters::default() };
    let promoted = index.search(&IndexQuery::promoted(filters.clone(), NOW, 2)).await.unwrap();
    assert_eq!(promoted.total, 1);
    assert_eq!(promoted.hits[0].id, id(1));
    assert!((promoted.hits[0].score - 1.386_294_2).abs() < 1e-5);
    // The card comes back from `_source`, as catalog encoded it.
    let card = Listing::decode(promoted.hits[0].card.as_bytes()).unwrap();
    assert_eq!((card.id.as_str(), card.model.as_str()), (id(1).to_string().as_str(), "corolla"));

    let mut results = IndexQuery::results(filters, SearchSort::PriceAsc, 0, 20);
    results.exclude_ids = vec![id(1)];
    results.with_facets = true;
    let page = index.search(&results).await.unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(page.hits.iter().map(|hit| hit.id).collect::<Vec<_>>(), vec![id(3), id(2)]);
    assert!(page.hits[0].card.is_empty(), "a document indexed before cards has none");
    assert_eq!(Listing::decode(page.hits[1].card.as_bytes()).unwrap().model, "camry");
    let facet = |field: &str| -> Vec<(String, u64)> {
        let facet = page.facets.iter().find(|facet| facet.field == field).unwrap();
        facet.values.iter().map(|value| (value.value.clone(), value.count)).collect()
    };
    assert_eq!(facet("make"), vec![("toyota".into(), 3)]);
    assert_eq!(facet("body_type"), vec![("SEDAN".into(), 2), ("SUV".into(), 1)]);
    assert_eq!(facet("price_band").len(), 6);
    assert_eq!(facet("price_band")[1], ("100000-200000".into(), 1));
    replay.assert_complete();
}

#[tokio::test]
async fn a_rebuild_fills_a_new_index_and_moves_the_alias_in_one_request() {
    let (replay, index) = replaying("rebuild_swap").await;
    let mut rebuild = index.begin_rebuild().await.unwrap();
    assert!(glob("nds-listings-*", &rebuild.physical_name()));
    rebuild.add(vec![doc(1, "toyota", "corolla", 250_000), doc(2, "kia", "rio", 150_000)]).await.unwrap();
    assert_eq!(rebuild.swap_in().await.unwrap(), 2);
    replay.assert_complete();
}

#[tokio::test]
async fn an_unreachable_cluster_is_unavailable_not_internal() {
    // Bind then drop a listener: the port is closed, so connections are refused.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let index = ElasticsearchIndex::connect(&format!("http://{address}"), DEFAULT_ALIAS).unwrap();
    let error = index.count().await.unwrap_err();
    assert!(matches!(error, SearchError::Unavailable(_)), "{error}");
}

#[test]
fn the_replay_matcher_accepts_subsets_and_globs_and_rejects_differences() {
    let expected = serde_json::json!({ "a": [1, "x-*"], "b": { "c": true } });
    assert!(json_matches(&expected, &serde_json::json!({ "a": [1.0, "x-42"], "b": { "c": true, "d": 0 }, "e": 1 })));
    assert!(!json_matches(&expected, &serde_json::json!({ "a": [1, "y-42"], "b": { "c": true } })));
    assert!(!json_matches(&expected, &serde_json::json!({ "a": [1, "x-1", 2], "b": { "c": true } })));
    assert!(!json_matches(&expected, &serde_json::json!({ "a": [1, "x-1"] })));
}
