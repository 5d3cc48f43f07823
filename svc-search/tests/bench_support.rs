//! The benchmark helpers the harness calls work at small scale (the harness
//! runs them at 1M): synthetic listings are deterministic and realistic, the
//! index builds through the rebuild path, the query mix runs and is timed.

// Test code: panicking on a broken fixture is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use support::TempDir;
use svc_search::bench_support::{build_tantivy_index, latencies, query_mix, run_query_mix, synthetic_listings};
use svc_search::index::SearchIndex;

#[test]
fn synthetic_listings_are_deterministic_and_varied() {
    let first = synthetic_listings(500, 7);
    assert_eq!(first, synthetic_listings(500, 7));
    assert_ne!(first, synthetic_listings(500, 8));
    let makes: std::collections::HashSet<&str> = first.iter().map(|listing| listing.make.as_str()).collect();
    assert!(makes.len() >= 6);
    assert!(first.iter().any(|listing| listing.promoted_until_unix.is_some()));
    let mut ids: Vec<_> = first.iter().map(|listing| listing.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 500);
}

#[tokio::test]
async fn a_built_index_answers_the_query_mix_and_reports_latencies() {
    let directory = TempDir::new("bench");
    let (index, build_time) =
        build_tantivy_index(&directory.path().join("search"), synthetic_listings(3_000, 1)).await.unwrap();
    assert_eq!(index.count().await.unwrap(), 3_000);
    assert!(build_time > Duration::ZERO);
    let queries = query_mix();
    for query in &queries {
        let page = index.search(query).await.unwrap();
        assert!(page.total > 0, "every query of the mix matches something: {query:?}");
    }
    let measured = run_query_mix(&index, &queries, 3).await.unwrap();
    assert_eq!(measured.queries, queries.len() * 3);
    assert!(measured.p50 <= measured.p99);
    assert!(measured.p99 > Duration::ZERO);
}

#[test]
fn percentiles_pick_the_right_samples() {
    let samples: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
    let measured = latencies(samples);
    assert_eq!(measured.p50, Duration::from_millis(51));
    assert_eq!(measured.p99, Duration::from_millis(99));
    assert_eq!(latencies(Vec::new()).p50, Duration::ZERO);
}

/// A measurement, not a check: `cargo test -p svc-search --test bench_support -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "a measurement, not a check: run by `tests/run --bench`"]
async fn measure_index_build_and_query_mix_at_100k() {
    let directory = TempDir::new("bench-100k");
    let listings = synthetic_listings(100_000, 42);
    let (index, build_time) = build_tantivy_index(&directory.path().join("search"), listings).await.unwrap();
    let queries = query_mix();
    let measured = run_query_mix(&index, &queries, 20).await.unwrap();
    let mut facets_only =
        svc_search::domain::IndexQuery::results(Default::default(), nds_common::vehicle::SearchSort::Relevance, 0, 0);
    facets_only.with_facets = true;
    let facet_runs = run_query_mix(&index, &[facets_only], 20).await.unwrap();
    eprintln!("100k listings: build {build_time:?}; query mix {measured:?}; facets over all {facet_runs:?}");
}
