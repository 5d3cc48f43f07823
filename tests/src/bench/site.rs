//! The buyer site: a search page of 20 cards rendered through site → edge →
//! services, against the same GraphQL search sent to the edge directly, in
//! alternating blocks of one run. The site and the edge each run on threads of
//! their own, so "site CPU" is the site's alone. Also the page's weight: its HTML
//! before and after compression, and the JavaScript it loads, compressed.

use std::time::{Duration, Instant};

use nds_web::edge::operations::SearchPage;
use nds_web::site::search::{PAGE_SIZE, search_input};
use nds_web::site::search_params::SearchParams;

use super::isolated::{IsolatedRuntime, SplitSystem};
use super::{Series, ratio};

/// The search of round `round`: Toyotas under a price that changes every round,
/// so neither the site's fragment cache nor the edge's result cache answers.
fn params(round: usize) -> SearchParams {
    SearchParams { makes: vec!["toyota".into()], price_max: Some(20_000_000 - round as i64), ..SearchParams::default() }
}

async fn site_block(
    http: &reqwest::Client,
    site: &str,
    site_runtime: &IsolatedRuntime,
    rounds: std::ops::Range<usize>,
    series: &mut Series,
) -> anyhow::Result<()> {
    let cpu_before = site_runtime.cpu_time();
    let started = Instant::now();
    for round in rounds {
        let url = format!("{site}{}", params(round).href());
        let call_started = Instant::now();
        let response = http.get(&url).send().await?;
        anyhow::ensure!(response.status().is_success(), "{url}: {}", response.status());
        let html = response.text().await?;
        anyhow::ensure!(html.contains("class=\"card"), "{url}: no cards");
        series.samples.push(call_started.elapsed());
    }
    series.wall += started.elapsed();
    series.cpu += site_runtime.cpu_time().saturating_sub(cpu_before);
    Ok(())
}

async fn edge_block(
    http: &reqwest::Client,
    graphql_url: &str,
    rounds: std::ops::Range<usize>,
    series: &mut Series,
) -> anyhow::Result<()> {
    let started = Instant::now();
    for round in rounds {
        let body = nds_web::edge::request_body::<SearchPage>(nds_web::edge::operations::search_page::Variables {
            input: search_input(&params(round), PAGE_SIZE),
        });
        let call_started = Instant::now();
        let response: serde_json::Value = http.post(graphql_url).json(&body).send().await?.json().await?;
        anyhow::ensure!(response.get("errors").is_none(), "{response}");
        series.samples.push(call_started.elapsed());
    }
    series.wall += started.elapsed();
    Ok(())
}

/// Bytes of `url` as a browser receives it: plain, and gzip-compressed.
async fn weight(url: &str) -> anyhow::Result<(usize, usize)> {
    let plain = reqwest::Client::new().get(url).send().await?.bytes().await?.len();
    // Another crate in the tree turns on reqwest's gzip feature, which would decode
    // the body: `no_gzip` keeps it as it travels.
    let client = reqwest::Client::builder().no_gzip().build()?;
    let compressed = client.get(url).header("accept-encoding", "gzip").send().await?.bytes().await?.len();
    Ok((plain, compressed))
}

pub async fn run(rounds: usize) -> anyhow::Result<String> {
    let system = SplitSystem::start().await?;
    let runtime = system.services_runtime()?;
    nds::demo::load(&runtime).await?;
    let site_runtime = IsolatedRuntime::new("nds-site", 1)?;
    let edge_url = system.graphql_url.trim_end_matches("/graphql").to_string();
    let mut config = runtime.config.as_ref().clone();
    config.web.edge_url = edge_url;
    let cache = runtime.cache.clone();
    let shutdown = runtime.shutdown.clone();
    let site_addr = site_runtime
        .run(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let address = listener.local_addr()?;
            let state = nds_web::WebState::new(&config, cache, shutdown)?;
            let router = nds_web::site_router(state);
            tokio::spawn(async move {
                axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.ok();
            });
            anyhow::Ok(address)
        })
        .await??;
    let site = format!("http://{site_addr}");
    let http = reqwest::Client::new();
    // Wait for the demo catalogue to be indexed, and warm both paths up.
    for _ in 0..100 {
        let html = http.get(format!("{site}/?make=toyota")).send().await?.text().await?;
        if html.contains("class=\"card") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut site_series = Series::default();
    let mut edge_series = Series::default();
    site_block(&http, &site, &site_runtime, 0..50, &mut Series::default()).await?;
    edge_block(&http, &system.graphql_url, 50..100, &mut Series::default()).await?;
    let block = 25;
    let mut round = 1_000;
    while site_series.samples.len() < rounds {
        site_block(&http, &site, &site_runtime, round..round + block, &mut site_series).await?;
        round += block;
        edge_block(&http, &system.graphql_url, round..round + block, &mut edge_series).await?;
        round += block;
    }
    let site_stats = site_series.stats();
    let edge_stats = edge_series.stats();
    let (html_plain, html_compressed) = weight(&format!("{site}/?make=toyota")).await?;
    let mut javascript = 0;
    for script in ["/static/htmx.min.js", "/static/site.js"] {
        javascript += weight(&format!("{site}{script}")).await?.1;
    }
    let (_, css) = weight(&format!("{site}/static/site.css")).await?;
    let mut report = String::from("buyer site (search page of 20 cards, site → edge → services; distinct searches):\n");
    report.push_str(&format!(
        "  site page      p50 {:>7.0} µs  p99 {:>7.0} µs  site CPU {:>5.0} µs/page\n",
        site_stats.p50_micros,
        site_stats.p99_micros,
        site_series.cpu_per_call_micros()
    ));
    report.push_str(&format!(
        "  edge directly  p50 {:>7.0} µs  p99 {:>7.0} µs  (the same GraphQL search, same run)\n",
        edge_stats.p50_micros, edge_stats.p99_micros
    ));
    report.push_str(&format!(
        "  the site adds {:+.2} ms p50 (x{:.2}; target ≤ +1.5 ms) and {:.2} ms CPU per page (target ≤ 0.5 ms)\n",
        (site_stats.p50_micros - edge_stats.p50_micros) / 1000.0,
        ratio(site_stats.p50_micros, edge_stats.p50_micros),
        site_series.cpu_per_call_micros() / 1000.0
    ));
    report.push_str(&format!(
        "  page weight: HTML {:.1} KB ({:.1} KB gzip; target ≤ 60 KB before compression), JS {:.1} KB gzip (target ≤ 25 KB), CSS {:.1} KB gzip\n",
        html_plain as f64 / 1024.0,
        html_compressed as f64 / 1024.0,
        javascript as f64 / 1024.0,
        css as f64 / 1024.0
    ));
    system.stop().await?;
    Ok(report)
}
