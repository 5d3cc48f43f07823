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

pub async fn run(requests: usize) -> anyhow::Result<String> {
    let floor_address = hello_world_server().await?;
    let system = TestSystem::start(&[]).await?;
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
    Ok(report)
}
