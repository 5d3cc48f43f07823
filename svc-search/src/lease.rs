//! The single-writer lease of the indexer. PostgreSQL: a transaction-scoped
//! advisory lock held by an open transaction for as long as the indexer runs
//! (the lock dies with the connection, so a crashed replica frees it). SQLite:
//! one process by construction, so an in-process lock suffices.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement, TransactionTrait,
};
use sha2::{Digest, Sha256};

fn local_holders() -> &'static Mutex<HashSet<String>> {
    static HOLDERS: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    HOLDERS.get_or_init(|| Mutex::new(HashSet::new()))
}

/// A stable 64-bit advisory lock key for a name.
pub fn lock_key(name: &str) -> i64 {
    let digest = Sha256::digest(format!("nds-search-lease:{name}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

pub struct Lease {
    name: String,
    transaction: Option<DatabaseTransaction>,
}

impl Lease {
    /// `None` when another indexer holds it.
    pub async fn try_acquire(database: &DatabaseConnection, name: &str) -> Result<Option<Lease>, DbErr> {
        if database.get_database_backend() != DbBackend::Postgres {
            let mut holders = local_holders().lock().map_err(|_| DbErr::Custom("lease registry poisoned".into()))?;
            if !holders.insert(name.to_string()) {
                return Ok(None);
            }
            return Ok(Some(Lease { name: name.to_string(), transaction: None }));
        }
        let transaction = database.begin().await?;
        let row = transaction
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_try_advisory_xact_lock($1) AS locked",
                [lock_key(name).into()],
            ))
            .await?;
        let locked = row.map(|row| row.try_get::<bool>("", "locked")).transpose()?.unwrap_or(false);
        if !locked {
            transaction.rollback().await?;
            return Ok(None);
        }
        Ok(Some(Lease { name: name.to_string(), transaction: Some(transaction) }))
    }

    /// False once the connection holding the lock is gone.
    pub async fn is_held(&self) -> bool {
        match &self.transaction {
            None => true,
            Some(transaction) => {
                transaction.execute_raw(Statement::from_string(DbBackend::Postgres, "SELECT 1")).await.is_ok()
            }
        }
    }

    pub async fn release(mut self) {
        if let Some(transaction) = self.transaction.take() {
            transaction.rollback().await.ok();
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if self.transaction.is_none()
            && let Ok(mut holders) = local_holders().lock()
        {
            holders.remove(&self.name);
        }
        // A PostgreSQL transaction dropped without commit rolls back, releasing the lock.
    }
}
