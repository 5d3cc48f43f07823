//! Edge overhead: an axum hello-world (the floor of HTTP on this stack) against
//! `{ __typename }` through the edge, then listing reads through the edge. Each
//! server runs on threads of its own (the edge as `nds serve edge` would, talking
//! to the services over gRPC), so the CPU per request is the server's alone: the
//! client and the services behind the edge are not counted.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::isolated::{IsolatedRuntime, SplitSystem};
use super::{Stats, process_cpu_time, ratio};

struct Measured {
    stats: Stats,
    server_cpu_per_request_micros: f64,
}

impl Measured {
    fn per_core_second(&self) -> f64 {
        1e6 / self.server_cpu_per_request_micros.max(f64::EPSILON)
    }
}

/// `requests` sequential requests over one keep-alive connection, after a warm-up,
/// with the CPU that `server_cpu` counts.
async fn measure(
    client: &reqwest::Client,
    requests: usize,
    server_cpu: impl Fn() -> Duration,
    send: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
) -> anyhow::Result<Measured> {
    for _ in 0..requests.min(200) {
        send(client).send().await?.bytes().await?;
    }
    let mut totals = Totals::default();
    totals.add_block(client, requests, &server_cpu, &send).await?;
    Ok(totals.measured(requests))
}

/// Samples, wall time and server CPU summed over blocks of requests.
#[derive(Default)]
struct Totals {
    samples: Vec<Duration>,
    wall: Duration,
    cpu: Duration,
}

impl Totals {
    async fn add_block(
        &mut self,
        client: &reqwest::Client,
        requests: usize,
        server_cpu: &impl Fn() -> Duration,
        send: &impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> anyhow::Result<()> {
        let cpu_before = server_cpu();
        let started = Instant::now();
        for _ in 0..requests {
            let request_started = Instant::now();
            let response = send(client).send().await?;
            anyhow::ensure!(response.status().is_success(), "status {}", response.status());
            let body = response.bytes().await?;
            anyhow::ensure!(
                !body.windows(8).any(|window| window == b"\"errors\""),
                "{}",
                String::from_utf8_lossy(&body)
            );
            self.samples.push(request_started.elapsed());
        }
        self.wall += started.elapsed();
        self.cpu += server_cpu().saturating_sub(cpu_before);
        Ok(())
    }

    fn measured(self, requests: usize) -> Measured {
        Measured {
            server_cpu_per_request_micros: self.cpu.as_secs_f64() * 1e6 / requests.max(1) as f64,
            stats: Stats::from_samples(self.samples, self.wall),
        }
    }
}

/// Two servers measured in alternating blocks, so both see the same machine: on
/// a shared machine the CPU a request costs drifts by x2 within a minute, which
/// a measurement of one after the other would report as a ratio.
async fn measure_alternating(
    client: &reqwest::Client,
    requests: usize,
    first: (impl Fn() -> Duration, impl Fn(&reqwest::Client) -> reqwest::RequestBuilder),
    second: (impl Fn() -> Duration, impl Fn(&reqwest::Client) -> reqwest::RequestBuilder),
) -> anyhow::Result<(Measured, Measured)> {
    const BLOCK: usize = 250;
    for _ in 0..requests.min(200) {
        first.1(client).send().await?.bytes().await?;
        second.1(client).send().await?.bytes().await?;
    }
    let (mut first_totals, mut second_totals) = (Totals::default(), Totals::default());
    let mut done = 0;
    while done < requests {
        let block = BLOCK.min(requests - done);
        first_totals.add_block(client, block, &first.0, &first.1).await?;
        second_totals.add_block(client, block, &second.0, &second.1).await?;
        done += block;
    }
    Ok((first_totals.measured(requests), second_totals.measured(requests)))
}

/// The floor: axum's hello-world, on `runtime`'s threads.
async fn hello_world_server(runtime: &IsolatedRuntime) -> anyhow::Result<SocketAddr> {
    let listener = runtime.run(tokio::net::TcpListener::bind("127.0.0.1:0")).await??;
    let address = listener.local_addr()?;
    runtime
        .run(async move {
            let router = axum::Router::new().route("/", axum::routing::get(|| async { "hello" }));
            let listener = axum::serve::ListenerExt::tap_io(listener, |stream: &mut tokio::net::TcpStream| {
                stream.set_nodelay(true).ok();
            });
            tokio::spawn(async move { axum::serve(listener, router).await });
        })
        .await?;
    Ok(address)
}

/// A listing detail (a catalog cache hit after the first read) through the edge,
/// and a 50-listing page with each listing's agency resolved through the
/// DataLoader, against the same data fetched by hand in two batched gRPC calls.
async fn listing_reads(requests: usize) -> anyhow::Result<String> {
    use nds_proto::catalog::v1::{ListListingsRequest, catalog_service_client::CatalogServiceClient};
    use nds_proto::identity::v1::{GetAgenciesRequest, identity_service_client::IdentityServiceClient};

    let system = SplitSystem::start().await?;
    let runtime = system.services_runtime()?;
    crate::demo_load(&runtime).await?;
    let page = system
        .services
        .graphql("{ listings(first: 50) { edges { node { id } } } }", serde_json::json!({}), None)
        .await?;
    let listing_id = page["data"]["listings"]["edges"][0]["node"]["id"].as_str().unwrap_or_default().to_string();
    let client = reqwest::Client::new();
    let graphql_url = system.graphql_url.clone();
    let edge_cpu = || system.edge_cpu();

    let detail_query =
        serde_json::json!({ "query": format!("{{ listing(id: \"{listing_id}\") {{ id make model price }} }}") });
    let detail = measure(&client, requests, edge_cpu, |client| client.post(&graphql_url).json(&detail_query)).await?;

    let page_query = serde_json::json!({ "query": "{ listings(first: 50) { edges { node { id make price agency { name city } } } } }" });
    let rounds = (requests / 10).max(50);
    let through_loader =
        measure(&client, rounds, edge_cpu, |client| client.post(&graphql_url).json(&page_query)).await?;

    let mut catalog = CatalogServiceClient::new(runtime.channels.catalog.clone());
    let mut identity = IdentityServiceClient::new(runtime.channels.identity.clone());
    let mut samples = Vec::with_capacity(rounds);
    let cpu_before = process_cpu_time().unwrap_or_default();
    let started = Instant::now();
    for _ in 0..rounds {
        let call_started = Instant::now();
        let context = nds_common::grpc::CallContext::new(Duration::from_secs(5));
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

    let mut report = format!(
        "edge reads on the demo catalogue ({requests} detail reads, {rounds} pages; edge on its own thread, CPU is the edge's):\n"
    );
    let detail_met = detail.per_core_second() >= 5000.0 && detail.stats.p99_micros <= 3000.0;
    report.push_str(&format!(
        "  listing detail (cache hit)  p50 {:>8.1} µs  p99 {:>8.1} µs  {:>8.0} req/s  edge cpu {:>6.1} µs/req ≈{:>6.0} req per edge core-second (target ≥ 5000, p99 ≤ 3 ms: {})\n",
        detail.stats.p50_micros,
        detail.stats.p99_micros,
        detail.stats.per_second,
        detail.server_cpu_per_request_micros,
        detail.per_core_second(),
        if detail_met { "met" } else { "NOT met" }
    ));
    report.push_str(&format!(
        "  50 listings + agency, DataLoader  p50 {:>8.1} µs  {:>7.0} pages/s  edge cpu {:>7.0} µs/page\n",
        through_loader.stats.p50_micros, through_loader.stats.per_second, through_loader.server_cpu_per_request_micros
    ));
    report.push_str(&format!(
        "  50 listings + agency, by hand     p50 {:>8.1} µs  {:>7.0} pages/s  cpu {:>7.0} µs/page (two batched gRPC calls; whole process)\n",
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
    let floor_runtime = IsolatedRuntime::new("nds-floor", 1)?;
    let floor_address = hello_world_server(&floor_runtime).await?;
    let system = SplitSystem::start().await?;
    let client = reqwest::Client::new();
    let floor_url = format!("http://{floor_address}/");
    let (floor, edge) = measure_alternating(
        &client,
        requests,
        (|| floor_runtime.cpu_time(), |client: &reqwest::Client| client.get(&floor_url)),
        (
            || system.edge_cpu(),
            |client: &reqwest::Client| {
                client.post(&system.graphql_url).json(&serde_json::json!({ "query": "{ __typename }" }))
            },
        ),
    )
    .await?;
    system.stop().await?;
    drop(floor_runtime);

    let mut report = format!(
        "edge: {requests} sequential requests each, in alternating blocks of 250; each server on one thread of its own, CPU is the server's\n"
    );
    for (name, measured) in [("axum hello-world (floor)", &floor), ("edge { __typename }", &edge)] {
        report.push_str(&format!(
            "  {name:<26} p50 {:>8.1} µs  p99 {:>8.1} µs  {:>8.0} req/s  server cpu {:>6.1} µs/req\n",
            measured.stats.p50_micros,
            measured.stats.p99_micros,
            measured.stats.per_second,
            measured.server_cpu_per_request_micros
        ));
    }
    let cpu_ratio = ratio(edge.server_cpu_per_request_micros, floor.server_cpu_per_request_micros);
    report.push_str(&format!(
        "  ratio edge/floor: p50 x{:.2}, server cpu per request x{:.2} (target ≤ 2x: {})\n",
        ratio(edge.stats.p50_micros, floor.stats.p50_micros),
        cpu_ratio,
        if cpu_ratio <= 2.0 { "met" } else { "NOT met" }
    ));
    report.push_str(&listing_reads(requests).await?);
    Ok(report)
}

/// What tracing costs (issue 19): a text search through the edge (edge → search →
/// chat, two gRPC hops, database statements) with spans off and on, in alternating
/// blocks in one process, exporting over OTLP/gRPC to a collector on loopback.
/// CPU is the whole process's (edge, services, exporter thread and the client):
/// the client's share is the same in both, so the difference is tracing's.
pub async fn tracing_cost(requests: usize) -> anyhow::Result<String> {
    const BLOCK: usize = 100;
    let collector = crate::otlp::Collector::installed_switchable();
    let system = SplitSystem::start().await?;
    let runtime = system.services_runtime()?;
    crate::demo_load(&runtime).await?;
    let client = reqwest::Client::new();
    // A new text each time: neither search's results cache nor chat's interpretation
    // cache answers, so every request makes both hops.
    let counter = std::sync::atomic::AtomicUsize::new(0);
    let send = |client: &reqwest::Client| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let text = format!("toyota suv automática hasta {} mil pesos", 200 + n);
        client.post(&system.graphql_url).json(&serde_json::json!({
            "query": "query TracedSearch($text: String!) { search(input: { text: $text }) { results { totalCount edges { node { id } } } } }",
            "variables": { "text": text },
        }))
    };
    let process_cpu = || process_cpu_time().unwrap_or_default();
    for on in [false, true] {
        nds_common::trace::set_enabled(on);
        for _ in 0..requests.min(200) / 2 {
            send(&client).send().await?.bytes().await?;
        }
    }
    let spans_before = collector.received();
    let (mut off, mut on) = (Totals::default(), Totals::default());
    let mut done = 0;
    while done < requests {
        let block = BLOCK.min(requests - done);
        nds_common::trace::set_enabled(false);
        off.add_block(&client, block, &process_cpu, &send).await?;
        nds_common::trace::set_enabled(true);
        on.add_block(&client, block, &process_cpu, &send).await?;
        done += block;
    }
    // The export of the last block counts too: flushed while the clock of `on` is stopped,
    // its CPU would be missed, so it is measured and added.
    let flush_cpu_before = process_cpu();
    let spans = collector.spans().len().saturating_sub(spans_before);
    on.cpu += process_cpu().saturating_sub(flush_cpu_before);
    nds_common::trace::set_enabled(false);
    system.stop().await?;

    let (off, on) = (off.measured(requests), on.measured(requests));
    let mut report = format!(
        "tracing: a text search through the edge (edge → search → chat), {requests} requests each way in alternating blocks of {BLOCK}; CPU is the whole process's\n"
    );
    for (name, measured) in [("spans off", &off), ("spans on, OTLP export", &on)] {
        report.push_str(&format!(
            "  {name:<22} p50 {:>8.1} µs  p99 {:>8.1} µs  {:>7.0} req/s  process cpu {:>7.1} µs/req\n",
            measured.stats.p50_micros,
            measured.stats.p99_micros,
            measured.stats.per_second,
            measured.server_cpu_per_request_micros
        ));
    }
    report.push_str(&format!(
        "  on/off: p50 x{:.2}, cpu per request x{:.2}; {:.1} spans exported per request\n",
        ratio(on.stats.p50_micros, off.stats.p50_micros),
        ratio(on.server_cpu_per_request_micros, off.server_cpu_per_request_micros),
        spans as f64 / (requests + requests.min(200) / 2).max(1) as f64
    ));
    Ok(report)
}
