//! Identity's schema. Portable across PostgreSQL and SQLite: times are unix
//! seconds (BIGINT) so comparisons are numeric on both backends.

use sea_orm_migration::{MigrationTrait, MigratorTrait};

mod m20261125_000001_identity_schema;
mod m20261206_000001_password_resets;
mod m20261206_000002_sealed_signing_keys;
mod m20261206_000003_audit_action_index;

pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_identity_schema::Migration),
            Box::new(m20261206_000001_password_resets::Migration),
            Box::new(m20261206_000002_sealed_signing_keys::Migration),
            Box::new(m20261206_000003_audit_action_index::Migration),
        ]
    }

    // Every service shares the migration-table name convention per database; each
    // service has its own database, so the default table name is fine.
}
