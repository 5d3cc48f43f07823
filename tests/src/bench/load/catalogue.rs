//! A catalogue of production size from the demo's: copies of the demo listings
//! written in SQL, each a little different (price, mileage, dates), so a million
//! rows take a minute instead of a million calls. Copies have no VIN (one
//! published listing per VIN) and no feed entries: the reindex scans catalog.

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

/// Copies made per statement: one statement per batch keeps each transaction small.
const COPIES_PER_BATCH: i64 = 100;

/// Grows the catalogue by copies of the listings it holds to about `target`
/// listings (whole copies of the originals); returns the count reached.
pub async fn multiply(database: &DatabaseConnection, target: usize) -> anyhow::Result<usize> {
    let originals = count(database, "SELECT COUNT(*) AS n FROM listings").await?;
    anyhow::ensure!(originals > 0, "nothing to copy: seed the demo catalogue first");
    let copies = (target as i64 - originals).max(0) / originals;
    execute(database, "CREATE TABLE load_originals AS SELECT * FROM listings").await?;
    let mut first = 1;
    while first <= copies {
        let last = (first + COPIES_PER_BATCH - 1).min(copies);
        execute(database, &copy_statement(first, last)).await.with_context(|| format!("copies {first}..={last}"))?;
        first = last + 1;
    }
    execute(database, "DROP TABLE load_originals").await?;
    execute(database, "ANALYZE listings").await?;
    Ok(count(database, "SELECT COUNT(*) AS n FROM listings").await? as usize)
}

/// Copies `first..=last` of every original: prices spread over ±20,000 MXN and
/// mileage over 40,000 km around the original's, dates a few seconds older.
fn copy_statement(first: i64, last: i64) -> String {
    format!(
        "INSERT INTO listings (id, agency_id, group_id, status, version, make, model, year, trim, vin, price_minor, \
         currency, mileage_km, body_type, fuel, transmission, color, condition, city, state, description, photos, \
         attributes, promoted_until, promotion_rank, created_at, updated_at, published_at, view_count) \
         SELECT gen_random_uuid(), agency_id, group_id, status, 1, make, model, year, trim, NULL, \
         GREATEST(price_minor + ((copy * 7919 + year) % 41 - 20) * 100000, 1000000), currency, \
         mileage_km + (copy * 131) % 40000, body_type, fuel, transmission, color, condition, city, state, \
         description, photos, attributes, NULL, 0, created_at - copy, updated_at - copy, published_at - copy, 0 \
         FROM load_originals CROSS JOIN generate_series({first}, {last}) AS copy"
    )
}

async fn execute(database: &DatabaseConnection, sql: &str) -> anyhow::Result<()> {
    database.execute_raw(Statement::from_string(DbBackend::Postgres, sql)).await?;
    Ok(())
}

async fn count(database: &DatabaseConnection, sql: &str) -> anyhow::Result<i64> {
    let row =
        database.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await?.context("a count has a row")?;
    Ok(row.try_get("", "n")?)
}

/// Ids of up to `limit` listings in `status`, of one agency or of all, in random order.
pub async fn sample_ids(
    database: &DatabaseConnection,
    status: &str,
    agency: Option<uuid::Uuid>,
    limit: usize,
) -> anyhow::Result<Vec<String>> {
    let agency_condition = agency.map(|id| format!(" AND agency_id = '{id}'")).unwrap_or_default();
    let sql = format!(
        "SELECT id::text AS id FROM listings WHERE status = '{status}'{agency_condition} ORDER BY random() LIMIT {limit}"
    );
    let rows = database.query_all_raw(Statement::from_string(DbBackend::Postgres, sql)).await?;
    rows.iter().map(|row| Ok(row.try_get::<String>("", "id")?)).collect()
}
