//! The catalog's storage: sea-orm entities and the repository over them.
//!
//! Every listing write goes through [`CatalogStore`] and writes the listing row and
//! its change row in one transaction (see [`feed`] for how positions are handed out
//! in commit order). SQLite allows one writer at a time and fails a deferred
//! transaction that upgrades to a write while another writer committed, so writes
//! there queue on an in-process gate (SQLite is the single-process embedded mode).

pub mod buyers;
pub mod entities;
pub mod feed;
pub mod listings;
pub mod media;
pub mod metrics;
pub mod photos;
pub mod rows;

use std::sync::Arc;

use nds_common::db::is_postgres;
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};
use tokio::sync::{Mutex, MutexGuard};

use crate::error::CatalogError;

#[derive(Clone)]
pub struct CatalogStore {
    database: DatabaseConnection,
    sqlite_write_gate: Option<Arc<Mutex<()>>>,
}

/// A write transaction plus, on SQLite, the gate that keeps writers in line.
pub struct WriteTransaction<'a> {
    pub transaction: DatabaseTransaction,
    _gate: Option<MutexGuard<'a, ()>>,
}

impl CatalogStore {
    pub fn new(database: DatabaseConnection) -> Self {
        let sqlite_write_gate = if is_postgres(&database) { None } else { Some(Arc::new(Mutex::new(()))) };
        Self { database, sqlite_write_gate }
    }

    pub fn database(&self) -> &DatabaseConnection {
        &self.database
    }

    pub fn is_postgres(&self) -> bool {
        is_postgres(&self.database)
    }

    pub async fn begin_write(&self) -> Result<WriteTransaction<'_>, CatalogError> {
        let gate = match &self.sqlite_write_gate {
            Some(gate) => Some(gate.lock().await),
            None => None,
        };
        let transaction = self.database.begin().await?;
        Ok(WriteTransaction { transaction, _gate: gate })
    }
}
