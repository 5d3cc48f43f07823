//! The benchmark harness: `nds-bench <all|interpret|edge|search|site|panel|webhook|load|tracing>`. Each benchmark prints its
//! subject and its same-run baseline with the ratio. Build with `--release`.

/// The same allocator as the `nds` binary, so the benchmark measures what runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let which = std::env::args().nth(1).unwrap_or_else(|| "all".to_string());
    let wants = |name: &str| which == "all" || which == name;
    let known = ["all", "interpret", "edge", "search", "site", "panel", "webhook", "load", "tracing"];
    anyhow::ensure!(known.contains(&which.as_str()), "unknown benchmark {which:?}; one of {known:?}");
    if wants("interpret") {
        print!("{}", nds_tests::bench::interpret::run(200));
    }
    if wants("edge") {
        // NDS_BENCH_REQUESTS raises the count, e.g. to profile one series for longer.
        let requests = std::env::var("NDS_BENCH_REQUESTS").ok().and_then(|value| value.parse().ok()).unwrap_or(5_000);
        print!("{}", nds_tests::bench::edge::run(requests).await?);
    }
    if wants("search") {
        // NDS_BENCH_LISTINGS=1000000 for the full run.
        let listings = std::env::var("NDS_BENCH_LISTINGS").ok().and_then(|value| value.parse().ok()).unwrap_or(100_000);
        print!("{}", nds_tests::bench::search::run(listings, 500).await?);
    }
    if wants("site") {
        print!("{}", nds_tests::bench::site::run(500).await?);
    }
    if wants("panel") {
        print!("{}", nds_tests::bench::panel::run(300).await?);
    }
    if wants("webhook") {
        print!("{}", nds_tests::bench::webhook::run(2_000).await?);
    }
    // The production shape: needs the `nds` binary built beside this one (NDS_LOAD_* override its size).
    if wants("load") {
        print!("{}", nds_tests::bench::load::run(nds_tests::bench::load::LoadOptions::from_env()?).await?);
    }
    // Last: it installs the process's trace export, which the others must not carry.
    if wants("tracing") {
        print!("{}", nds_tests::bench::edge::tracing_cost(2_000).await?);
    }
    Ok(())
}
