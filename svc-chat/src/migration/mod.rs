//! Chat's schema: conversations (leads), their messages, per-participant read
//! markers and mail throttles, and each agency's round-robin position.

use sea_orm_migration::{MigrationTrait, MigratorTrait};

mod m0001_conversations;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m0001_conversations::Migration)]
    }
}
