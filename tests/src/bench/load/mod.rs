//! The load test of the production shape (`nds-bench load`): every service its own
//! process on PostgreSQL and Redis, a catalogue of a million listings, and Goose
//! driving buyers and staff at steps of offered load until the latency bends.
//! Reports each step (throughput, p50/p99, errors, publish → searchable lag, the
//! cores each process used) and the knee: the most load sustained at p99 ≤ 100 ms.
//!
//! Bounded: a fixed list of steps of fixed length, stopped once saturated; loopback only.

mod catalogue;
pub mod curve;
mod lag;
mod mix;
mod people;
mod shape;

use std::time::{Duration, Instant};

use goose::config::GooseConfiguration;
use goose::prelude::*;
use goose::test_plan::TestPlanStepAction;

use curve::{RequestSummary, Step};
use people::{People, Signed};
use shape::ProductionShape;

/// What one run does; `from_env` reads the `NDS_LOAD_*` overrides.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    pub listings: usize,
    /// Offered requests per second, one step each, in order.
    pub steps: Vec<usize>,
    pub step_length: Duration,
    /// Concurrent Goose users (enough that the throttle, not the users, sets the load).
    pub users: usize,
}

impl LoadOptions {
    pub fn from_env() -> anyhow::Result<LoadOptions> {
        let number = |name: &str, default: usize| -> anyhow::Result<usize> {
            std::env::var(name)
                .ok()
                .map(|value| value.parse())
                .transpose()
                .map(|value| value.unwrap_or(default))
                .map_err(|error| anyhow::anyhow!("{name}: {error}"))
        };
        let steps = match std::env::var("NDS_LOAD_STEPS") {
            Ok(list) => list.split(',').map(|step| step.trim().parse()).collect::<Result<Vec<usize>, _>>()?,
            Err(_) => vec![25, 50, 100, 150, 200, 250, 300, 400, 500],
        };
        Ok(LoadOptions {
            listings: number("NDS_LOAD_LISTINGS", 1_000_000)?,
            steps,
            step_length: Duration::from_secs(number("NDS_LOAD_STEP_SECS", 20)? as u64),
            users: number("NDS_LOAD_USERS", 64)?,
        })
    }
}

pub async fn run(options: LoadOptions) -> anyhow::Result<String> {
    let started = Instant::now();
    let shape = ProductionShape::start(options.listings).await?;
    let mut report = format!(
        "load test of the production shape ({} listings; each service, the edge, PostgreSQL and Redis their own \
         processes; Goose, {} users, {} s per step):\n{}",
        options.listings,
        options.users,
        options.step_length.as_secs(),
        shape.seeding
    );
    eprintln!(
        "load: shape ready after {:.0} s; logs in {} until the end",
        started.elapsed().as_secs_f64(),
        shape.logs().display()
    );
    let result = run_steps(&shape, &options).await;
    shape.stop().await?;
    let steps = result?;

    report.push_str(&curve::table(&steps));
    match curve::knee(&steps) {
        Some(knee) => report.push_str(&format!(
            "sustained at p99 ≤ {} ms: {:.1} req/s (offered {}); its requests:\n{}",
            curve::P99_TARGET_MS,
            knee.achieved_rps,
            knee.offered_rps,
            curve::requests_table(knee)
        )),
        None => report.push_str(&format!("no step sustained p99 ≤ {} ms\n", curve::P99_TARGET_MS)),
    }
    if let Some(bent) = steps.iter().find(|step| !step.sustained()) {
        report.push_str(&format!("the first step past the knee (offered {}):\n", bent.offered_rps));
        report.push_str(&curve::requests_table(bent));
    }
    for step in steps.iter().filter(|step| !step.error_kinds.is_empty()) {
        let kinds: Vec<String> = step.error_kinds.iter().map(|(kind, count)| format!("{count} × {kind}")).collect();
        report.push_str(&format!("errors at offered {}: {}\n", step.offered_rps, kinds.join(", ")));
    }
    Ok(report)
}

/// A step at the first load, unreported: caches, connection pools and the index's
/// pages warm up, as they are in a service that has been running.
const WARM_UP: Duration = Duration::from_secs(10);

async fn run_steps(shape: &ProductionShape, options: &LoadOptions) -> anyhow::Result<Vec<Step>> {
    let samples = Samples::take(shape).await?;
    let (people, mut signed) = People::sign_up(shape).await?;
    mix::install(samples.mix(&signed))?;
    let warm_up = LoadOptions { step_length: WARM_UP, ..options.clone() };
    attack(&shape.edge_url, options.steps.first().copied().unwrap_or(20), &warm_up).await?;
    let mut steps = Vec::new();
    for &offered in &options.steps {
        if !signed.fresh() {
            signed = people.sign_in(&shape.edge_url).await?;
            mix::install(samples.mix(&signed))?;
        }
        let prober = signed.managers.first().map(|(token, _)| token.clone()).unwrap_or_default();
        let cpu_before = shape.cpu();
        let wall = Instant::now();
        let probe = lag::Probe::start(&shape.edge_url, &prober);
        let metrics = attack(&shape.edge_url, offered, options).await?;
        let lags_ms = probe.stop().await?;
        let cores = shape.cpu().cores_since(&cpu_before, wall.elapsed());
        let step = step_from(offered, &metrics, cores, lags_ms);
        eprintln!(
            "load: offered {offered} req/s → {:.1} req/s, p50 {} ms, p99 {} ms, {} errors",
            step.achieved_rps, step.p50_ms, step.p99_ms, step.errors
        );
        let saturated = step.saturated();
        steps.push(step);
        if saturated {
            break;
        }
    }
    Ok(steps)
}

/// Posts one of the web's operations to the edge outside Goose (sign-ups,
/// sign-ins, the lag probe) and returns its `data`; a GraphQL error is an error.
async fn post_operation<Q: graphql_client::GraphQLQuery>(
    http: &reqwest::Client,
    edge_url: &str,
    variables: Q::Variables,
    token: Option<&str>,
) -> anyhow::Result<serde_json::Value> {
    let body = nds_web::edge::request_body::<Q>(variables);
    let mut request = http.post(format!("{edge_url}/graphql")).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response: serde_json::Value = request.send().await?.json().await?;
    anyhow::ensure!(response.get("errors").is_none(), "{}: {response}", body.operation_name);
    Ok(response["data"].clone())
}

/// One step: the users all start at once, the throttle sets the offered load,
/// and Goose resets its counts once they are all running.
async fn attack(edge_url: &str, offered: usize, options: &LoadOptions) -> anyhow::Result<GooseMetrics> {
    let metrics = GooseAttack::initialize_with_config(GooseConfiguration::default())?
        .register_scenario(mix::buyers()?)
        .register_scenario(mix::staff()?)
        .set_default(GooseDefault::Host, edge_url)?
        .set_default(GooseDefault::Users, options.users)?
        .set_default(GooseDefault::HatchRate, options.users.to_string().as_str())?
        .set_default(GooseDefault::RunTime, options.step_length.as_secs() as usize)?
        .set_default(GooseDefault::ThrottleRequests, offered)?
        .set_default(GooseDefault::NoTelnet, true)?
        .set_default(GooseDefault::NoWebSocket, true)?
        .set_default(GooseDefault::NoPrintMetrics, true)?
        .set_default(GooseDefault::Quiet, 1)?
        .execute()
        .await?;
    Ok(metrics)
}

fn step_from(offered: usize, metrics: &GooseMetrics, cores: Vec<(String, f64)>, lags_ms: Vec<u64>) -> Step {
    let mut by_request: Vec<RequestSummary> = metrics
        .requests
        .values()
        .map(|request| RequestSummary {
            name: request.path.clone(),
            count: request.success_count + request.fail_count,
            errors: request.fail_count,
            p50_ms: curve::percentile_ms(&request.raw_data.times, 0.50).unwrap_or_default(),
            p99_ms: curve::percentile_ms(&request.raw_data.times, 0.99).unwrap_or_default(),
        })
        .collect();
    by_request.sort_by_key(|request| std::cmp::Reverse(request.count));
    let all = curve::merged(metrics.requests.values().map(|request| &request.raw_data.times));
    let mut error_kinds: Vec<(String, usize)> =
        metrics.errors.values().map(|error| (error.error.clone(), error.occurrences)).collect();
    error_kinds.sort_by_key(|(_, occurrences)| std::cmp::Reverse(*occurrences));
    let requests: usize = by_request.iter().map(|request| request.count).sum();
    Step {
        offered_rps: offered,
        achieved_rps: requests as f64 / measured_seconds(metrics),
        requests,
        errors: by_request.iter().map(|request| request.errors).sum(),
        p50_ms: curve::percentile_ms(&all, 0.50).unwrap_or_default(),
        p99_ms: curve::percentile_ms(&all, 0.99).unwrap_or_default(),
        by_request,
        error_kinds,
        cores,
        lags_ms,
    }
}

/// How long Goose counted: from the reset once every user runs to the users'
/// stop (its own `duration` is whole seconds and runs on into the shutdown).
fn measured_seconds(metrics: &GooseMetrics) -> f64 {
    let window = metrics
        .history
        .windows(2)
        .find(|pair| matches!(pair[0].action, TestPlanStepAction::Maintaining))
        .and_then(|pair| (pair[1].timestamp - pair[0].timestamp).to_std().ok());
    window.map(|window| window.as_secs_f64()).unwrap_or(metrics.duration as f64).max(1e-3)
}

/// The listings the mix acts on, sampled once: published ones for buyers, and
/// each agency's own for its manager.
struct Samples {
    published: Vec<String>,
    by_agency: std::collections::HashMap<uuid::Uuid, Vec<String>>,
}

impl Samples {
    async fn take(shape: &ProductionShape) -> anyhow::Result<Samples> {
        let catalog =
            nds_common::db::connect(&shape.runtime.database_url(nds_common::config::ServiceName::Catalog)).await?;
        let published = catalogue::sample_ids(&catalog, "PUBLISHED", None, 20_000).await?;
        let mut by_agency = std::collections::HashMap::new();
        for agency in &shape.agencies {
            let own = catalogue::sample_ids(&catalog, "PUBLISHED", Some(agency.agency_id), 2_000).await?;
            by_agency.insert(agency.agency_id, own);
        }
        catalog.close().await.ok();
        Ok(Samples { published, by_agency })
    }

    fn mix(&self, signed: &Signed) -> mix::MixData {
        mix::MixData {
            buyers: signed.buyers.clone(),
            staff: signed
                .managers
                .iter()
                .map(|(token, agency)| mix::StaffSeat {
                    token: token.clone(),
                    own_listings: self.by_agency.get(agency).cloned().unwrap_or_default(),
                })
                .collect(),
            published: self.published.clone(),
        }
    }
}
