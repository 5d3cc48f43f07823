//! Edge overhead: an axum hello-world (the floor of HTTP on this stack) against
//! `{ __typename }` through the edge, in the same process and run, sequentially
//! over one keep-alive connection each, with CPU per request.

use std::net::SocketAddr;
use std::time::Instant;

use super::{Stats, process_cpu_time, ratio};
use crate::TestSystem;

struct Measured {
    stats: Stats,
    cpu_per_request_micros: f64,
}

async fn measure(
    client: &reqwest::Client,
    requests: usize,
    send: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
) -> anyhow::Result<Measured> {
    for _ in 0..requests.min(200) {
        send(client).send().await?.bytes().await?;
    }
    let cpu_before = process_cpu_time().unwrap_or_default();
    let started = Instant::now();
    let mut samples = Vec::with_capacity(requests);
    for _ in 0..requests {
        let request_started = Instant::now();
        let response = send(client).send().await?;
        anyhow::ensure!(response.status().is_success(), "status {}", response.status());
        response.bytes().await?;
        samples.push(request_started.elapsed());
    }
    let wall = started.elapsed();
    let cpu = process_cpu_time().unwrap_or_default().saturating_sub(cpu_before);
    Ok(Measured {
        stats: Stats::from_samples(samples, wall),
        cpu_per_request_micros: cpu.as_secs_f64() * 1e6 / requests as f64,
    })
}

async fn hello_world_server() -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let router = axum::Router::new().route("/", axum::routing::get(|| async { "hello" }));
    let listener = axum::serve::ListenerExt::tap_io(listener, |stream: &mut tokio::net::TcpStream| {
        stream.set_nodelay(true).ok();
    });
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(address)
}

/// A listing detail (a catalog cache hit after the first read) through the edge,
/// and a 50-listing page with each listing's agency resolved through the
/// DataLoader, against the same data fetched by hand in two batched gRPC calls.
async fn listing_reads(requests: usize) -> anyhow::Result<String> {
    use nds_proto::catalog::v1::{ListListingsRequest, catalog_service_client::CatalogServiceClient};
    use nds_proto::identity::v1::{GetAgenciesRequest, identity_service_client::IdentityServiceClient};

    let system = TestSystem::start(&[("NDS_RATE_LIMIT_PER_CLIENT", "100000000")]).await?;
    let runtime =
        system.running.as_ref().map(|running| running.runtime.clone()).ok_or_else(|| anyhow::anyhow!("no system"))?;
    crate::demo_load(&runtime).await?;
    let page = system.graphql("{ listings(first: 50) { edges { node { id } } } }", serde_json::json!({}), None).await?;
    let listing_id = page["data"]["listings"]["edges"][0]["node"]["id"].as_str().unwrap_or_default().to_string();
    let client = reqwest::Client::new();
    let graphql_url = system.http_url("/graphql");

    let detail_query =
        serde_json::json!({ "query": format!("{{ listing(id: \"{listing_id}\") {{ id make model price }} }}") });
    let detail = measure(&client, requests, |client| client.post(&graphql_url).json(&detail_query)).await?;

    let page_query = serde_json::json!({ "query": "{ listings(first: 50) { edges { node { id make price agency { name city } } } } }" });
    let rounds = (requests / 10).max(50);
    let through_loader = measure(&client, rounds, |client| client.post(&graphql_url).json(&page_query)).await?;

    let mut catalog = CatalogServiceClient::new(runtime.channels.catalog.clone());
    let mut identity = IdentityServiceClient::new(runtime.channels.identity.clone());
    let mut samples = Vec::with_capacity(rounds);
    let cpu_before = process_cpu_time().unwrap_or_default();
    let started = Instant::now();
    for _ in 0..rounds {
        let call_started = Instant::now();
        let context = nds_common::grpc::CallContext::new(std::time::Duration::from_secs(5));
        let request = ListListingsRequest {
            page: Some(nds_proto::common::v1::PageRequest { first: 50, after: String::new() }),
            ..Default::default()
        };
        let listings = catalog.list_listings(context.request(request)).await?.into_inner().listings;
        let mut agency_ids: Vec<String> = listings.iter().map(|listing| listing.agency_id.clone()).collect();
        agency_ids.sort();
        agency_ids.dedup();
        identity.get_agencies(context.request(GetAgenciesRequest { ids: agency_ids })).await?;
        samples.push(call_started.elapsed());
    }
    let hand_wall = started.elapsed();
    let hand_cpu = process_cpu_time().unwrap_or_default().saturating_sub(cpu_before);
    let hand = Stats::from_samples(samples, hand_wall);
    system.stop().await?;

    let detail_per_core_second = 1e6 / detail.cpu_per_request_micros.max(f64::EPSILON);
    let mut report = format!(
        "edge reads on the demo catalogue ({requests} detail reads, {rounds} pages):
"
    );
    report.push_str(&format!(
        "  listing detail (cache hit)  p50 {:>8.1} µs  p99 {:>8.1} µs  {:>8.0} req/s  ≈{:>6.0} req per core-second (whole process; target ≥ 5000, p99 ≤ 3 ms)\n",
        detail.stats.p50_micros, detail.stats.p99_micros, detail.stats.per_second, detail_per_core_second
    ));
    report.push_str(&format!(
        "  50 listings + agency, DataLoader  p50 {:>8.1} µs  {:>7.0} pages/s  cpu {:>7.0} µs/page\n",
        through_loader.stats.p50_micros, through_loader.stats.per_second, through_loader.cpu_per_request_micros
    ));
    report.push_str(&format!(
        "  50 listings + agency, by hand     p50 {:>8.1} µs  {:>7.0} pages/s  cpu {:>7.0} µs/page (two batched gRPC calls)\n",
        hand.p50_micros,
        hand.per_second,
        hand_cpu.as_secs_f64() * 1e6 / rounds as f64
    ));
    let share = ratio(through_loader.stats.per_second, hand.per_second);
    report.push_str(&format!(
        "  DataLoader throughput / hand-batched: {:.0}% (target ≥ 50%: {})\n",
        share * 100.0,
        if share >= 0.5 { "met" } else { "NOT met" }
    ));
    Ok(report)
}

pub async fn run(requests: usize) -> anyhow::Result<String> {
    let floor_address = hello_world_server().await?;
    // The benchmark is one client hammering on purpose: lift the per-client limit.
    let system = TestSystem::start(&[("NDS_RATE_LIMIT_PER_CLIENT", "100000000")]).await?;
    let client = reqwest::Client::new();
    let floor_url = format!("http://{floor_address}/");
    let graphql_url = system.http_url("/graphql");
    let floor = measure(&client, requests, |client| client.get(&floor_url)).await?;
    let edge = measure(&client, requests, |client| {
        client.post(&graphql_url).json(&serde_json::json!({ "query": "{ __typename }" }))
    })
    .await?;
    system.stop().await?;

    let mut report = format!("edge: {requests} sequential requests each, client and servers in one process\n");
    for (name, measured) in [("axum hello-world (floor)", &floor), ("edge { __typename }", &edge)] {
        report.push_str(&format!(
            "  {name:<26} p50 {:>8.1} µs  p99 {:>8.1} µs  {:>8.0} req/s  cpu {:>6.1} µs/req (client included)\n",
            measured.stats.p50_micros,
            measured.stats.p99_micros,
            measured.stats.per_second,
            measured.cpu_per_request_micros
        ));
    }
    let cpu_ratio = ratio(edge.cpu_per_request_micros, floor.cpu_per_request_micros);
    report.push_str(&format!(
        "  ratio edge/floor: p50 x{:.2}, cpu per request x{:.2} (target ≤ 2x: {})\n",
        ratio(edge.stats.p50_micros, floor.stats.p50_micros),
        cpu_ratio,
        if cpu_ratio <= 2.0 { "met" } else { "NOT met" }
    ));
    report.push_str(&listing_reads(requests).await?);
    Ok(report)
}
