//! Named advisory locks: one process at a time runs a scheduled job (a CronJob
//! retry or a manual run may overlap) or holds a lease (search's single indexer).
//!
//! PostgreSQL: a transaction-scoped advisory lock held by an open transaction,
//! released by commit, rollback or a dropped connection, so a killed process never
//! leaves it stuck. SQLite is the single-process embedded mode: an in-process lock
//! is enough there.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{LazyLock, Mutex};

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement, TransactionTrait,
};

#[derive(Debug, PartialEq, Eq)]
pub enum JobRun<T> {
    Ran(T),
    /// Another run holds the lock; nothing was done.
    Skipped,
}

/// Names held in this process (the SQLite mode).
static LOCAL_LOCKS: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(|| Mutex::new(HashSet::new()));

/// A stable 64-bit key for a lock name (FNV-1a: advisory locks take a bigint).
fn lock_key(name: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}

/// A held lock: released by [`release`](AdvisoryLock::release) or on drop.
pub struct AdvisoryLock {
    name: String,
    /// PostgreSQL: the transaction holding the lock. `None`: held in this process.
    transaction: Option<DatabaseTransaction>,
}

impl AdvisoryLock {
    /// The lock of `name`, or `None` when another holder has it.
    pub async fn try_acquire(database: &DatabaseConnection, name: &str) -> Result<Option<AdvisoryLock>, DbErr> {
        if database.get_database_backend() != DbBackend::Postgres {
            let mut held = LOCAL_LOCKS.lock().map_err(|_| DbErr::Custom("lock registry poisoned".into()))?;
            if !held.insert(name.to_string()) {
                return Ok(None);
            }
            return Ok(Some(AdvisoryLock { name: name.to_string(), transaction: None }));
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
        Ok(Some(AdvisoryLock { name: name.to_string(), transaction: Some(transaction) }))
    }

    /// False once the connection holding the lock is gone (a long holder checks this).
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
            // Commit or roll back, the lock goes with the transaction.
            transaction.rollback().await.ok();
        }
    }
}

impl Drop for AdvisoryLock {
    fn drop(&mut self) {
        if self.transaction.is_none()
            && let Ok(mut held) = LOCAL_LOCKS.lock()
        {
            held.remove(&self.name);
        }
        // A PostgreSQL transaction dropped without commit rolls back, releasing the lock.
    }
}

/// Runs `job` only if no other run of `name` holds the lock.
pub async fn run_exclusively<T, E, F, Fut>(database: &DatabaseConnection, name: &str, job: F) -> Result<JobRun<T>, E>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: From<DbErr>,
{
    let Some(lock) = AdvisoryLock::try_acquire(database, name).await? else {
        tracing::info!(job = name, "another run holds the lock; skipping");
        return Ok(JobRun::Skipped);
    };
    let result = job().await;
    lock.release().await;
    result.map(JobRun::Ran)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Backend, TestDatabase};
    use std::time::Duration;

    async fn overlapping_runs_skip(backend: Backend) {
        let database = TestDatabase::new(backend).await;
        let connection = crate::db::connect(database.url()).await.unwrap();
        let name = format!("job-{}", uuid::Uuid::new_v4());
        let (started_sender, started) = tokio::sync::oneshot::channel();
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let first = tokio::spawn({
            let connection = connection.clone();
            let name = name.clone();
            async move {
                run_exclusively::<_, DbErr, _, _>(&connection, &name, || async move {
                    started_sender.send(()).ok();
                    released.await.ok();
                    Ok(1)
                })
                .await
            }
        });
        started.await.unwrap();
        let second = run_exclusively::<_, DbErr, _, _>(&connection, &name, || async { Ok(2) }).await.unwrap();
        assert_eq!(second, JobRun::Skipped);
        release.send(()).unwrap();
        assert_eq!(first.await.unwrap().unwrap(), JobRun::Ran(1));
        // Released: the next run goes ahead.
        let third = tokio::time::timeout(
            Duration::from_secs(5),
            run_exclusively::<_, DbErr, _, _>(&connection, &name, || async { Ok(3) }),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(third, JobRun::Ran(3));
    }

    #[tokio::test]
    async fn overlapping_runs_skip_on_postgres() {
        overlapping_runs_skip(Backend::Postgres).await;
    }

    #[tokio::test]
    async fn overlapping_runs_skip_on_sqlite() {
        overlapping_runs_skip(Backend::Sqlite).await;
    }

    #[test]
    fn lock_keys_are_stable_and_distinct() {
        assert_eq!(lock_key("expire-promotions"), lock_key("expire-promotions"));
        assert_ne!(lock_key("expire-promotions"), lock_key("start-usage-new-month"));
    }
}
