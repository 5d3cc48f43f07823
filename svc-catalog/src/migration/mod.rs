//! The catalog's schema, portable across PostgreSQL and SQLite.

use sea_orm_migration::prelude::*;

mod m0001_initial;
mod m20261206_000001_listing_photos;
mod m20261206_000002_agency_suspension;
mod m20261207_000001_change_traceparent;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_initial::Migration),
            Box::new(m20261206_000001_listing_photos::Migration),
            Box::new(m20261206_000002_agency_suspension::Migration),
            Box::new(m20261207_000001_change_traceparent::Migration),
        ]
    }
}
