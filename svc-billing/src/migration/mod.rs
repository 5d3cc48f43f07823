//! Billing's schema. Portable across PostgreSQL and SQLite: ids are UUID strings
//! and times are unix seconds, so no backend-specific types are needed.

use sea_orm_migration::prelude::*;

mod m0001_billing_schema;
mod m0002_subscription_claims;
mod m0003_usage_billed_from;
mod m0004_partial_refunds;
mod m0005_audit_log;
mod m0006_webhook_traceparent;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_billing_schema::Migration),
            Box::new(m0002_subscription_claims::Migration),
            Box::new(m0003_usage_billed_from::Migration),
            Box::new(m0004_partial_refunds::Migration),
            Box::new(m0005_audit_log::Migration),
            Box::new(m0006_webhook_traceparent::Migration),
        ]
    }
}
