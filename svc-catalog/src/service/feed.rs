//! Streaming the change feed.
//!
//! The cursor is the truth: a stream reads committed changes after its cursor,
//! sends them, and only then waits. Waking up is cheap and lossy-tolerant:
//! - in-process writers bump a `watch` counter after commit ([`FeedNotifier`]);
//! - on PostgreSQL a LISTEN task turns other processes' NOTIFYs into the same bump;
//! - a slow periodic re-check covers anything both missed (a dropped LISTEN
//!   connection, a notification sent while reconnecting).
//!
//! A `watch` receiver remembers what it has seen, so a bump between "query
//! returned nothing" and "start waiting" is never lost.

use std::sync::Arc;
use std::time::Duration;

use nds_common::Shutdown;
use nds_common::auth::Principal;
use nds_common::auth::principal::require_principal;
use sea_orm::DatabaseConnection;
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;

use super::CatalogService;
use crate::domain::ListingChange;
use crate::error::CatalogError;
use crate::store::feed::CHANGES_CHANNEL;

/// Safety net when no wake-up arrives.
pub const RECHECK_INTERVAL: Duration = Duration::from_secs(5);
/// Changes read per query while catching up.
pub const BATCH_SIZE: u64 = 256;
/// Changes buffered per stream before a slow consumer holds the reader back.
const STREAM_BUFFER: usize = 64;
const LISTENER_RETRY: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct FeedNotifier {
    sender: Arc<watch::Sender<u64>>,
}

impl Default for FeedNotifier {
    fn default() -> Self {
        Self::new()
    }
}

impl FeedNotifier {
    pub fn new() -> Self {
        let (sender, _) = watch::channel(0);
        Self { sender: Arc::new(sender) }
    }

    /// Something committed: wake every waiting stream.
    pub fn notify(&self) {
        self.sender.send_modify(|generation| *generation = generation.wrapping_add(1));
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.sender.subscribe()
    }
}

/// Relays PostgreSQL NOTIFYs (changes committed by other catalog processes) to the
/// local notifier until shutdown. Reconnects on error; never the source of truth.
pub fn spawn_postgres_listener(database: &DatabaseConnection, notifier: FeedNotifier, shutdown: Shutdown) {
    let pool = database.get_postgres_connection_pool().clone();
    tokio::spawn(async move {
        loop {
            let session = relay_notifications(&pool, &notifier);
            tokio::select! {
                _ = shutdown.wait() => return,
                result = session => {
                    let Err(error) = result;
                    tracing::warn!(error = %error, "change feed listener lost; reconnecting");
                }
            }
            tokio::select! {
                _ = shutdown.wait() => return,
                _ = tokio::time::sleep(LISTENER_RETRY) => {}
            }
        }
    });
}

async fn relay_notifications(
    pool: &sea_orm::sqlx::PgPool,
    notifier: &FeedNotifier,
) -> Result<std::convert::Infallible, sea_orm::sqlx::Error> {
    let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen(CHANGES_CHANNEL).await?;
    // Anything committed while we were not listening: wake streams to re-read.
    notifier.notify();
    loop {
        listener.recv().await?;
        notifier.notify();
    }
}

impl CatalogService {
    /// Every committed change after `after_sequence`, in order, then new ones as they
    /// commit, until the client goes away or `shutdown` triggers. Internal callers only:
    /// changes include drafts.
    pub async fn stream_changes(
        &self,
        caller: Option<&Principal>,
        after_sequence: i64,
        shutdown: Shutdown,
    ) -> Result<ReceiverStream<Result<ListingChange, CatalogError>>, CatalogError> {
        require_principal(caller)?.require_platform_admin()?;
        if after_sequence < 0 {
            return Err(CatalogError::invalid("afterSequence", "the cursor cannot be negative"));
        }
        let (sender, receiver) = mpsc::channel(STREAM_BUFFER);
        let store = self.store.clone();
        let mut wake = self.notifier.subscribe();
        tokio::spawn(async move {
            let mut cursor = after_sequence;
            loop {
                // Mark wake-ups seen *before* reading, so one arriving during the read counts.
                wake.borrow_and_update();
                let batch = match store.changes_after(cursor, BATCH_SIZE).await {
                    Ok(batch) => batch,
                    Err(error) => {
                        tracing::warn!(error = %error, cursor, "change feed read failed; ending stream");
                        let _ = sender.send(Err(error)).await;
                        return;
                    }
                };
                let caught_up = (batch.len() as u64) < BATCH_SIZE;
                for change in batch {
                    cursor = change.sequence;
                    if sender.send(Ok(change)).await.is_err() {
                        return;
                    }
                }
                if !caught_up {
                    continue;
                }
                tokio::select! {
                    _ = shutdown.wait() => return,
                    _ = sender.closed() => return,
                    changed = wake.changed() => {
                        if changed.is_err() {
                            // The notifier is gone (service dropped): fall back to re-checking.
                            tokio::time::sleep(RECHECK_INTERVAL).await;
                        }
                    }
                    _ = tokio::time::sleep(RECHECK_INTERVAL) => {}
                }
            }
        });
        Ok(ReceiverStream::new(receiver))
    }
}
