//! The search database's schema: only the feed cursor (the index itself is
//! rebuildable from catalog at any time).

use sea_orm_migration::prelude::*;

mod m20261125_000001_feed_cursor;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20261125_000001_feed_cursor::Migration)]
    }
}
