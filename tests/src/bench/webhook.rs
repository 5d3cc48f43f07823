//! Stripe webhook ingest: signature check plus a durable PostgreSQL insert per
//! delivery, with every event delivered twice (Stripe delivers at least once),
//! against the same run without duplicates as the baseline.

use svc_billing::bench_support::ingest_events;

use super::ratio;

pub async fn run(events: usize) -> anyhow::Result<String> {
    let database = nds_common::testing::TestDatabase::postgres().await;
    svc_billing::migrate(database.url()).await?;
    let unique = ingest_events(database.url(), events, 1, 16).await?;
    let duplicated = ingest_events(database.url(), events, 2, 16).await?;
    anyhow::ensure!(duplicated.stored == events && duplicated.duplicates == events, "duplicates were stored twice");
    Ok(format!(
        "webhook ingest (PostgreSQL, 16 concurrent deliveries, signature + durable insert):\n  \
         {events} unique events          {:>8.0} deliveries/s\n  \
         {events} events x2 (duplicates) {:>8.0} deliveries/s, {} stored, {} answered as duplicates\n  \
         ratio with/without duplicates: x{:.2}\n",
        unique.events_per_second(),
        duplicated.events_per_second(),
        duplicated.stored,
        duplicated.duplicates,
        ratio(duplicated.events_per_second(), unique.events_per_second()),
    ))
}
