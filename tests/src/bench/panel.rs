//! The staff panel (issue 17): the inventory page of 50 cars and the agency's
//! metrics page with its charts, rendered through panel → edge → services,
//! against the same GraphQL operations sent to the edge directly with the same
//! manager's token, in alternating blocks of one run. The panel and the edge each
//! run on threads of their own, so "panel CPU" is the panel's alone: rendering,
//! the session, and its own HTTP.

use std::time::Instant;

use chrono::Utc;
use nds_web::edge::operations::{PanelInventory, PanelMetrics, panel_inventory, panel_metrics};
use nds_web::panel::metrics::metrics_variables;

use super::isolated::{IsolatedRuntime, SplitSystem};
use super::{Series, ratio};
use crate::inventory::{CARS, create_listing, publish};

const MANAGER_EMAIL: &str = "gerente@autosmedidos.mx";
const MANAGER_PASSWORD: &str = "gerencia-2026-segura";
const INVENTORY_ROWS: usize = 50;

/// One page the panel serves and the GraphQL request behind it.
struct Subject {
    name: &'static str,
    path: String,
    /// What the page must contain (a page that rendered an error does not count).
    expect: &'static str,
    body: serde_json::Value,
    panel: Series,
    edge: Series,
}

/// The value a response sets for `name` (`Set-Cookie: name=value; …`).
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response.headers().get_all(reqwest::header::SET_COOKIE).iter().find_map(|header| {
        let pair = header.to_str().ok()?.split(';').next()?;
        let (key, value) = pair.split_once('=')?;
        (key.trim() == name).then(|| value.to_string())
    })
}

/// Signs in through the panel's own form, as a browser does; returns the cookies.
async fn sign_in(http: &reqwest::Client, panel: &str) -> anyhow::Result<String> {
    let form = http.get(format!("{panel}/login")).send().await?;
    let csrf = set_cookie(&form, "nds_csrf").ok_or_else(|| anyhow::anyhow!("no CSRF cookie on /login"))?;
    let fields = [("csrf", csrf.as_str()), ("email", MANAGER_EMAIL), ("password", MANAGER_PASSWORD), ("next", "/")];
    let signed_in =
        http.post(format!("{panel}/login")).header("cookie", format!("nds_csrf={csrf}")).form(&fields).send().await?;
    let session = set_cookie(&signed_in, "nds_session")
        .ok_or_else(|| anyhow::anyhow!("log-in refused: {}", signed_in.status()))?;
    Ok(format!("nds_csrf={csrf}; nds_session={session}"))
}

async fn panel_block(
    http: &reqwest::Client,
    url: &str,
    cookies: &str,
    expect: &str,
    runtime: &IsolatedRuntime,
    calls: usize,
    series: &mut Series,
) -> anyhow::Result<()> {
    let cpu_before = runtime.cpu_time();
    let started = Instant::now();
    for _ in 0..calls {
        let call_started = Instant::now();
        let response = http.get(url).header("cookie", cookies).send().await?;
        anyhow::ensure!(response.status().is_success(), "{url}: {}", response.status());
        let html = response.text().await?;
        anyhow::ensure!(html.contains(expect), "{url}: no {expect:?}");
        series.samples.push(call_started.elapsed());
    }
    series.wall += started.elapsed();
    series.cpu += runtime.cpu_time().saturating_sub(cpu_before);
    Ok(())
}

async fn edge_block(
    http: &reqwest::Client,
    graphql_url: &str,
    token: &str,
    body: &serde_json::Value,
    calls: usize,
    series: &mut Series,
) -> anyhow::Result<()> {
    let started = Instant::now();
    for _ in 0..calls {
        let call_started = Instant::now();
        let response: serde_json::Value =
            http.post(graphql_url).bearer_auth(token).json(body).send().await?.json().await?;
        anyhow::ensure!(response.get("errors").is_none(), "{response}");
        series.samples.push(call_started.elapsed());
    }
    series.wall += started.elapsed();
    Ok(())
}

/// The metrics page's question as it was asked before `metrics` had series: the
/// last 30 days and each of the six months as its own range, seven `metrics` in one
/// document. Sent to the edge beside the series, in the same run, to say what the
/// series saves.
fn seven_ranges_body(agency_id: &str, now: chrono::DateTime<Utc>) -> serde_json::Value {
    use chrono::Datelike;
    let month_start = |back: i32| {
        let index = now.year() * 12 + now.month0() as i32 - back;
        let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
        format!("{year:04}-{month:02}-01T00:00:00Z")
    };
    let values = "values { source name label value }";
    let mut ranges = vec![format!("last30: metrics(scope: $scope, from: $from30, to: $to) {{ {values} }}")];
    for back in 0..6 {
        let (from, to) = (month_start(5 - back), month_start(4 - back));
        ranges.push(format!("m{back}: metrics(scope: $scope, from: \"{from}\", to: \"{to}\") {{ {values} }}"));
    }
    let query = format!(
        "query SevenRanges($scope: MetricsScopeInput!, $from30: DateTime!, $to: DateTime!) {{ {} }}",
        ranges.join(" ")
    );
    let wire = |moment: chrono::DateTime<Utc>| moment.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    serde_json::json!({
        "query": query,
        "variables": {
            "scope": { "agencyId": agency_id },
            "from30": wire(now - chrono::Duration::days(30)),
            "to": wire(now + chrono::Duration::seconds(1)),
        },
    })
}

pub async fn run(rounds: usize) -> anyhow::Result<String> {
    let system = SplitSystem::start().await?;
    let services = &system.services;
    let agency = services.onboard_agency("Autos Medidos", "AME010101AB1", MANAGER_EMAIL).await;
    let token = services.access_token(MANAGER_EMAIL, MANAGER_PASSWORD).await;
    for index in 0..INVENTORY_ROWS {
        let id = create_listing(services, &token, &CARS[index % CARS.len()]).await;
        if index % 2 == 0 {
            publish(services, &token, &id).await;
        }
    }

    let runtime = system.services_runtime()?;
    let panel_runtime = IsolatedRuntime::new("nds-panel", 1)?;
    let mut config = runtime.config.as_ref().clone();
    config.web.edge_url = system.graphql_url.trim_end_matches("/graphql").to_string();
    let (cache, shutdown) = (runtime.cache.clone(), runtime.shutdown.clone());
    let panel_addr = panel_runtime
        .run(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let address = listener.local_addr()?;
            let router = nds_web::panel_router(nds_web::WebState::new(&config, cache, shutdown)?);
            tokio::spawn(async move {
                axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.ok();
            });
            anyhow::Ok(address)
        })
        .await??;
    let panel = format!("http://{panel_addr}");
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let cookies = sign_in(&http, &panel).await?;

    let inventory = panel_inventory::Variables {
        agency_id: agency.id.clone(),
        status: None,
        search: None,
        sort: None,
        first: INVENTORY_ROWS as i64,
        after: None,
    };
    let scope = panel_metrics::MetricsScopeInput { platform: None, group_id: None, agency_id: Some(agency.id.clone()) };
    let mut subjects = [
        Subject {
            name: "inventory (50 cars)",
            path: "/inventory".to_string(),
            expect: "listing-",
            body: serde_json::to_value(nds_web::edge::request_body::<PanelInventory>(inventory))?,
            panel: Series::default(),
            edge: Series::default(),
        },
        Subject {
            name: "metrics (4 charts)",
            path: format!("/metrics?agency={}", agency.id),
            expect: "bar-chart",
            body: serde_json::to_value(nds_web::edge::request_body::<PanelMetrics>(metrics_variables(
                scope,
                Utc::now(),
            )))?,
            panel: Series::default(),
            edge: Series::default(),
        },
    ];
    let block = 25;
    for subject in &mut subjects {
        let url = format!("{panel}{}", subject.path);
        // Warm both paths up, then alternate blocks so drift hits both alike.
        panel_block(&http, &url, &cookies, subject.expect, &panel_runtime, 20, &mut Series::default()).await?;
        edge_block(&http, &system.graphql_url, &token, &subject.body, 20, &mut Series::default()).await?;
        while subject.panel.samples.len() < rounds {
            panel_block(&http, &url, &cookies, subject.expect, &panel_runtime, block, &mut subject.panel).await?;
            edge_block(&http, &system.graphql_url, &token, &subject.body, block, &mut subject.edge).await?;
        }
    }
    // The same months as seven ranges (before the series), against the series, both
    // sent to the edge directly in alternating blocks.
    let seven_ranges = seven_ranges_body(&agency.id, Utc::now());
    let (mut before, mut after) = (Series::default(), Series::default());
    edge_block(&http, &system.graphql_url, &token, &seven_ranges, 20, &mut Series::default()).await?;
    while before.samples.len() < rounds {
        edge_block(&http, &system.graphql_url, &token, &seven_ranges, block, &mut before).await?;
        edge_block(&http, &system.graphql_url, &token, &subjects[1].body, block, &mut after).await?;
    }

    let html = http.get(format!("{panel}/inventory")).header("cookie", &cookies).send().await?.text().await?;
    let rows = html.matches("<tr id=\"listing-").count();
    anyhow::ensure!(rows == INVENTORY_ROWS, "the inventory page shows {rows} rows, not {INVENTORY_ROWS}");

    let mut report = String::from(
        "staff panel (panel → edge → services, one manager's session; the same GraphQL sent to the edge directly):\n",
    );
    for subject in &subjects {
        let (panel_stats, edge_stats) = (subject.panel.stats(), subject.edge.stats());
        report.push_str(&format!(
            "  {:<20} panel p50 {:>7.0} µs p99 {:>7.0} µs, CPU {:>5.0} µs/page | edge directly p50 {:>7.0} µs p99 {:>7.0} µs | the panel adds {:+.2} ms p50 (x{:.2}; target ≤ +2 ms)\n",
            subject.name,
            panel_stats.p50_micros,
            panel_stats.p99_micros,
            subject.panel.cpu_per_call_micros(),
            edge_stats.p50_micros,
            edge_stats.p99_micros,
            (panel_stats.p50_micros - edge_stats.p50_micros) / 1000.0,
            ratio(panel_stats.p50_micros, edge_stats.p50_micros),
        ));
    }
    let (before_stats, after_stats) = (before.stats(), after.stats());
    report.push_str(&format!(
        "  metrics page at the edge: 30 days + the months as one series p50 {:>7.0} µs p99 {:>7.0} µs | 30 days + six monthly ranges (before) p50 {:>7.0} µs p99 {:>7.0} µs | x{:.2}\n",
        after_stats.p50_micros,
        after_stats.p99_micros,
        before_stats.p50_micros,
        before_stats.p99_micros,
        ratio(after_stats.p50_micros, before_stats.p50_micros),
    ));
    drop(panel_runtime);
    system.stop().await?;
    Ok(report)
}
