//! Search: the tantivy engine in-process at scale (build/reindex time, query mix,
//! facets), then the same kind of query in-process, over gRPC and through the edge
//! on the demo catalogue, and the create-to-searchable lag, all in one run.

use std::time::{Duration, Instant};

use nds_proto::common::v1 as wire;
use nds_proto::search::v1::SearchRequest;
use nds_proto::search::v1::search_service_client::SearchServiceClient;
use serde_json::json;
use svc_search::bench_support::{build_tantivy_index, query_mix, run_query_mix, synthetic_listings};

use super::{Stats, ratio};
use crate::TestSystem;

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

async fn engine_at_scale(count: usize, report: &mut String) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    for size in [count / 10, count] {
        let directory = std::env::temp_dir().join(format!("nds-bench-search-{}", uuid::Uuid::new_v4().simple()));
        let listings = synthetic_listings(size, 7);
        let (index, build_time) = build_tantivy_index(&directory, listings).await?;
        let latencies = run_query_mix(&index, &query_mix(), 20).await?;
        rows.push((size, build_time, latencies));
        drop(index);
        std::fs::remove_dir_all(&directory).ok();
    }
    report.push_str("search engine (tantivy, in-process, query mix incl. facets and promoted slots):\n");
    for (size, build_time, latencies) in &rows {
        report.push_str(&format!(
            "  {size:>9} listings: full build {:>6.1} s ({:>7.0} docs/s)  query p50 {:>8.0} µs  p99 {:>8.0} µs\n",
            build_time.as_secs_f64(),
            *size as f64 / build_time.as_secs_f64(),
            micros(latencies.p50),
            micros(latencies.p99)
        ));
    }
    if let [(small, small_build, small_latency), (large, large_build, large_latency)] = rows.as_slice() {
        report.push_str(&format!(
            "  x{} listings cost x{:.1} build time and x{:.1} query p50\n",
            large / small.max(&1),
            ratio(large_build.as_secs_f64(), small_build.as_secs_f64()),
            ratio(micros(large_latency.p50), micros(small_latency.p50)),
        ));
        let projected = large_build.as_secs_f64() * 1_000_000.0 / *large as f64;
        report.push_str(&format!("  projected full reindex of 1M listings: {projected:.0} s (target under 180 s)\n"));
    }
    Ok(())
}

async fn log_in(system: &TestSystem, email: &str, password: &str) -> anyhow::Result<String> {
    let response = system
        .graphql(
            "mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { accessToken } }",
            json!({ "e": email, "p": password }),
            None,
        )
        .await?;
    response["data"]["logIn"]["accessToken"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("log-in failed: {response}"))
}

async fn end_to_end(rounds: usize, report: &mut String) -> anyhow::Result<()> {
    let system = TestSystem::start(&[("NDS_RATE_LIMIT_PER_CLIENT", "1000000")]).await?;
    let runtime =
        system.running.as_ref().map(|running| running.runtime.clone()).ok_or_else(|| anyhow::anyhow!("no system"))?;
    nds::demo::load(&runtime).await?;
    let query = "{ search(input: { filters: { makes: [\"toyota\"] } }) { results { totalCount edges { node { id price } } } } }";
    // Wait for the demo catalogue to be indexed.
    for _ in 0..100 {
        let response = system.graphql(query, json!({}), None).await?;
        if response["data"]["search"]["results"]["totalCount"].as_i64().unwrap_or(0) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let mut grpc = SearchServiceClient::new(runtime.channels.search.clone());
    let request = || SearchRequest {
        filters: Some(wire::SearchFilters { makes: vec!["toyota".into()], ..Default::default() }),
        page: Some(wire::PageRequest { first: 20, after: String::new() }),
        ..Default::default()
    };
    let mut grpc_samples = Vec::with_capacity(rounds);
    let started = Instant::now();
    for _ in 0..rounds {
        let call_started = Instant::now();
        grpc.search(nds_common::grpc::CallContext::new(Duration::from_secs(5)).request(request())).await?;
        grpc_samples.push(call_started.elapsed());
    }
    let grpc_stats = Stats::from_samples(grpc_samples, started.elapsed());

    let mut edge_samples = Vec::with_capacity(rounds);
    let started = Instant::now();
    for _ in 0..rounds {
        let call_started = Instant::now();
        system.graphql(query, json!({}), None).await?;
        edge_samples.push(call_started.elapsed());
    }
    let edge_stats = Stats::from_samples(edge_samples, started.elapsed());

    // Create-to-searchable: a manager publishes, a buyer's search sees it.
    let token = log_in(&system, "gerente@polanco.demo.nds.mx", "demo-manager-2026").await?;
    let mut lags = Vec::new();
    for attempt in 0..10 {
        let created = system
            .graphql(
                "mutation($input: ListingInput!) { createListing(input: $input) { id } }",
                json!({ "input": {
                    "make": "Tesla", "model": "Model 3", "year": 2024, "price": 79_900_000 + attempt, "mileageKm": 1000,
                    "bodyType": "SEDAN", "fuel": "ELECTRIC", "transmission": "AUTOMATIC", "color": "blanco",
                    "condition": "USED", "city": "Ciudad de México" } }),
                Some(&token),
            )
            .await?;
        let id = created["data"]["createListing"]["id"].as_str().unwrap_or_default().to_string();
        let published_at = Instant::now();
        system
            .graphql("mutation($id: ID!) { publishListing(id: $id) { id } }", json!({ "id": id }), Some(&token))
            .await?;
        loop {
            let found = system
                .graphql("{ search(input: { filters: { makes: [\"tesla\"] }, first: 50 }) { results { edges { node { id } } } } }", json!({}), None)
                .await?;
            let edges = found["data"]["search"]["results"]["edges"].as_array().cloned().unwrap_or_default();
            if edges.iter().any(|edge| edge["node"]["id"] == id.as_str()) {
                lags.push(published_at.elapsed());
                break;
            }
            anyhow::ensure!(published_at.elapsed() < Duration::from_secs(10), "listing not searchable after 10 s");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let lag = Stats::from_samples(lags, Duration::ZERO);
    system.stop().await?;

    report.push_str(&format!("search on the demo catalogue, {rounds} sequential queries (makes: toyota):\n"));
    report.push_str(&format!(
        "  gRPC SearchService.Search  p50 {:>8.0} µs  p99 {:>8.0} µs\n",
        grpc_stats.p50_micros, grpc_stats.p99_micros
    ));
    report.push_str(&format!(
        "  edge GraphQL search        p50 {:>8.0} µs  p99 {:>8.0} µs  (+ listing hydration through catalog)\n",
        edge_stats.p50_micros, edge_stats.p99_micros
    ));
    report.push_str(&format!(
        "  edge − gRPC at p50: {:.2} ms (target within 1 ms of the engine)\n",
        (edge_stats.p50_micros - grpc_stats.p50_micros) / 1000.0
    ));
    report.push_str(&format!(
        "  publish → searchable: p50 {:.0} ms, p99 {:.0} ms over 10 listings (target under 1 s)\n",
        lag.p50_micros / 1000.0,
        lag.p99_micros / 1000.0
    ));
    Ok(())
}

pub async fn run(listings: usize, rounds: usize) -> anyhow::Result<String> {
    let mut report = String::new();
    engine_at_scale(listings, &mut report).await?;
    end_to_end(rounds, &mut report).await?;
    Ok(report)
}
