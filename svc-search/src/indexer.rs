//! The indexer: follows catalog's change feed into the index.
//!
//! - Starts from the saved cursor of this index lineage; with no cursor, an
//!   empty index under a saved cursor, or a cursor that belongs to another
//!   physical index for too long, it rebuilds from `ScanListings` first.
//! - Applies changes in batches, commits at most every `commit_interval`
//!   (a change is searchable well within a second), and saves the cursor only
//!   after the commit: a crash replays, and replays are idempotent by
//!   (listing, version).
//! - One writer per index lineage: a lease (PostgreSQL advisory lock).
//! - Stream errors reconnect with jittered exponential backoff; shutdown stops it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use nds_common::Shutdown;
use nds_common::cache::SharedCache;
use sea_orm::DatabaseConnection;

use crate::convert::change_from_listing;
use crate::domain::{IndexChange, ListingDoc};
use crate::error::SearchError;
use crate::feed::FeedSource;
use crate::index::SharedIndex;
use crate::store::feed_cursor::{self, FeedPosition};
use nds_common::backoff::Backoff;
use nds_common::job_lock::AdvisoryLock;

/// The cache counter every commit bumps, so cached results of older index states miss.
pub const GENERATION_CACHE_KEY: &str = "search:index-generation";

#[derive(Clone, Debug)]
pub struct IndexerSettings {
    /// The longest a change waits in the batch before the commit that makes it searchable.
    pub commit_interval: Duration,
    pub max_batch: usize,
    pub scan_page_size: u32,
    pub max_backoff: Duration,
    /// How long a cursor may name another physical index (a rebuild being swapped in) before we rebuild ourselves.
    pub foreign_cursor_patience: Duration,
    /// How often the lease is checked while following.
    pub lease_check_interval: Duration,
}

impl Default for IndexerSettings {
    fn default() -> Self {
        Self {
            commit_interval: Duration::from_millis(200),
            max_batch: 1000,
            scan_page_size: 500,
            max_backoff: Duration::from_secs(5),
            foreign_cursor_patience: Duration::from_secs(30),
            lease_check_interval: Duration::from_secs(10),
        }
    }
}

/// What a full rebuild did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RebuildReport {
    pub scanned: u64,
    pub documents: u64,
    pub feed_sequence: i64,
    pub physical_name: String,
}

/// Why following stopped without an error.
enum FollowEnd {
    /// Shutdown was requested.
    Stopped,
    /// The cursor moved under us (rebuild) or was just set: start over from it.
    Restart,
}

#[derive(Clone)]
pub struct Indexer {
    index: SharedIndex,
    database: DatabaseConnection,
    feed: Arc<dyn FeedSource>,
    cache: Option<SharedCache>,
    settings: IndexerSettings,
}

impl Indexer {
    pub fn new(
        index: SharedIndex,
        database: DatabaseConnection,
        feed: Arc<dyn FeedSource>,
        cache: Option<SharedCache>,
        settings: IndexerSettings,
    ) -> Self {
        Self { index, database, feed, cache, settings }
    }

    fn lease_name(&self) -> String {
        format!("indexer:{}", self.index.consumer_name())
    }

    /// Runs until `shutdown`: takes the lease, follows the feed, recovers from errors.
    pub async fn run(self, shutdown: Shutdown) {
        let mut backoff = Backoff::new(self.settings.max_backoff);
        while !shutdown.is_triggered() {
            let lease = match AdvisoryLock::try_acquire(&self.database, &self.lease_name()).await {
                Ok(Some(lease)) => lease,
                Ok(None) => {
                    tracing::debug!(lease = %self.lease_name(), "another indexer holds the lease; waiting");
                    sleep_or_stop(&shutdown, Duration::from_secs(5)).await;
                    continue;
                }
                Err(error) => {
                    tracing::warn!(error = %error, "cannot take the indexer lease");
                    sleep_or_stop(&shutdown, backoff.next_delay()).await;
                    continue;
                }
            };
            tracing::info!(consumer = %self.index.consumer_name(), "indexer lease taken");
            let mut foreign_since: Option<Instant> = None;
            while !shutdown.is_triggered() {
                if !lease.is_held().await {
                    tracing::warn!("indexer lease lost; re-acquiring");
                    break;
                }
                match self.follow(&shutdown, &lease, &mut foreign_since).await {
                    Ok(FollowEnd::Stopped) => break,
                    Ok(FollowEnd::Restart) => backoff.reset(),
                    Err(error) => {
                        let delay = backoff.next_delay();
                        tracing::warn!(error = %error, delay_ms = delay.as_millis() as u64, "indexer interrupted; retrying");
                        sleep_or_stop(&shutdown, delay).await;
                    }
                }
            }
            lease.release().await;
        }
        tracing::info!("indexer stopped");
    }

    async fn follow(
        &self,
        shutdown: &Shutdown,
        lease: &AdvisoryLock,
        foreign_since: &mut Option<Instant>,
    ) -> Result<FollowEnd, SearchError> {
        let consumer = self.index.consumer_name();
        let physical = self.index.physical_name().await?;
        let saved = feed_cursor::load(&self.database, &consumer).await?;
        let position = match saved {
            None => {
                tracing::info!(consumer = %consumer, "no feed cursor; building the index from catalog");
                self.rebuild(&mut |line| tracing::info!(progress = %line, "rebuild")).await?;
                return Ok(FollowEnd::Restart);
            }
            Some(position) if position.index_name != physical => {
                // A rebuild writes its cursor just before its swap; give it time to land.
                let since = *foreign_since.get_or_insert_with(Instant::now);
                if since.elapsed() < self.settings.foreign_cursor_patience {
                    sleep_or_stop(shutdown, Duration::from_millis(100)).await;
                    return Ok(FollowEnd::Restart);
                }
                tracing::warn!(cursor_index = %position.index_name, served = %physical, "cursor belongs to another index; rebuilding");
                *foreign_since = None;
                self.rebuild(&mut |line| tracing::info!(progress = %line, "rebuild")).await?;
                return Ok(FollowEnd::Restart);
            }
            Some(position) => position,
        };
        *foreign_since = None;
        if position.sequence > 0 && self.index.count_all().await? == 0 {
            tracing::warn!(sequence = position.sequence, "index is empty but a cursor is saved; rebuilding");
            self.rebuild(&mut |line| tracing::info!(progress = %line, "rebuild")).await?;
            return Ok(FollowEnd::Restart);
        }
        let mut stream = self.feed.changes_after(position.sequence).await?;
        let mut batch = Batch::new(position);
        let mut lease_check = tokio::time::interval(self.settings.lease_check_interval);
        lease_check.tick().await;
        loop {
            let flush_at =
                batch.first_at.map(|first| tokio::time::Instant::from_std(first + self.settings.commit_interval));
            tokio::select! {
                _ = shutdown.wait() => {
                    self.flush(&consumer, &mut batch).await?;
                    return Ok(FollowEnd::Stopped);
                }
                _ = lease_check.tick() => {
                    if !lease.is_held().await {
                        return Err(SearchError::Unavailable("indexer lease lost".into()));
                    }
                }
                _ = sleep_until_or_never(flush_at) => {
                    if !self.flush(&consumer, &mut batch).await? {
                        return Ok(FollowEnd::Restart);
                    }
                }
                item = stream.next() => match item {
                    Some(Ok(change)) => {
                        batch.push(change);
                        if batch.changes.len() >= self.settings.max_batch && !self.flush(&consumer, &mut batch).await? {
                            return Ok(FollowEnd::Restart);
                        }
                    }
                    Some(Err(error)) => {
                        self.flush(&consumer, &mut batch).await?;
                        return Err(error);
                    }
                    None => {
                        self.flush(&consumer, &mut batch).await?;
                        return Err(SearchError::Feed("the change stream ended".into()));
                    }
                },
            }
        }
    }

    /// Applies and commits the batch, then saves the cursor. `false`: the cursor
    /// now belongs to another physical index (a rebuild swapped in); restart.
    async fn flush(&self, consumer: &str, batch: &mut Batch) -> Result<bool, SearchError> {
        if batch.is_empty() {
            return Ok(true);
        }
        let changes = std::mem::take(&mut batch.changes);
        let outcome = self.index.apply(changes).await?;
        self.index.commit().await?;
        self.bump_cache_generation().await;
        batch.position.sequence = batch.last_sequence;
        batch.first_at = None;
        let advanced = feed_cursor::advance(&self.database, consumer, &batch.position).await?;
        tracing::debug!(
            sequence = batch.position.sequence,
            applied = outcome.applied,
            stale = outcome.stale,
            "index committed"
        );
        Ok(advanced)
    }

    async fn bump_cache_generation(&self) {
        if let Some(cache) = &self.cache {
            cache.increment(GENERATION_CACHE_KEY, 1).await;
        }
    }

    /// Rebuilds the whole index from catalog's published listings, sets the
    /// cursor to the feed position at scan start, and swaps the new index in.
    /// Changes during the scan are replayed from that position (idempotently).
    pub async fn rebuild(&self, progress: &mut (dyn FnMut(String) + Send)) -> Result<RebuildReport, SearchError> {
        let started = Instant::now();
        let mut rebuild = self.index.begin_rebuild().await?;
        let mut after = String::new();
        let mut scanned: u64 = 0;
        let mut feed_sequence: Option<i64> = None;
        loop {
            let page = self.feed.scan_published(&after, self.settings.scan_page_size).await?;
            // The earliest scan-start position covers every page's view.
            feed_sequence = Some(feed_sequence.map_or(page.feed_sequence, |known| known.min(page.feed_sequence)));
            let mut docs: Vec<ListingDoc> = Vec::with_capacity(page.listings.len());
            for listing in &page.listings {
                match change_from_listing(listing) {
                    Ok(IndexChange::Upsert(doc)) => docs.push(doc),
                    Ok(IndexChange::Remove { .. }) => {}
                    Err(error) => tracing::warn!(error = %error, "skipping a listing that cannot be indexed"),
                }
            }
            scanned += page.listings.len() as u64;
            rebuild.add(docs).await?;
            progress(format!("scanned {scanned} listings in {:.1} s", started.elapsed().as_secs_f64()));
            let page_info = page.page_info.unwrap_or_default();
            if !page_info.has_next_page || page_info.end_cursor.is_empty() || page.listings.is_empty() {
                break;
            }
            after = page_info.end_cursor;
        }
        let physical_name = rebuild.physical_name();
        let feed_sequence = feed_sequence.unwrap_or(0);
        let position = FeedPosition { sequence: feed_sequence, index_name: physical_name.clone() };
        feed_cursor::reset(&self.database, &self.index.consumer_name(), &position).await?;
        let documents = rebuild.swap_in().await?;
        self.bump_cache_generation().await;
        progress(format!(
            "swapped in {physical_name}: {documents} documents, feed resumes after {feed_sequence}, took {:.1} s",
            started.elapsed().as_secs_f64()
        ));
        Ok(RebuildReport { scanned, documents, feed_sequence, physical_name })
    }
}

struct Batch {
    position: FeedPosition,
    changes: Vec<IndexChange>,
    last_sequence: i64,
    first_at: Option<Instant>,
}

impl Batch {
    fn new(position: FeedPosition) -> Self {
        let last_sequence = position.sequence;
        Self { position, changes: Vec::new(), last_sequence, first_at: None }
    }

    fn is_empty(&self) -> bool {
        self.last_sequence == self.position.sequence
    }

    fn push(&mut self, change: nds_proto::catalog::v1::ListingChange) {
        // A redelivered change (at or before what we hold) is already in.
        if change.sequence <= self.last_sequence {
            return;
        }
        self.last_sequence = change.sequence;
        self.first_at.get_or_insert_with(Instant::now);
        let Some(listing) = change.listing else {
            tracing::warn!(sequence = change.sequence, "change without a listing; skipped");
            return;
        };
        match change_from_listing(&listing) {
            Ok(index_change) => self.changes.push(index_change),
            Err(error) => {
                tracing::warn!(sequence = change.sequence, error = %error, "change cannot be indexed; skipped")
            }
        }
    }
}

async fn sleep_until_or_never(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

async fn sleep_or_stop(shutdown: &Shutdown, delay: Duration) {
    tokio::select! {
        _ = shutdown.wait() => {}
        _ = tokio::time::sleep(delay) => {}
    }
}
