//! The indexer: follows catalog's change feed into the index.
//!
//! - Starts from the saved cursor of this index lineage; with no cursor, an
//!   empty index under a saved cursor, or a cursor that names a physical index
//!   never swapped in, it rebuilds from `ScanListings` first.
//! - Every rebuild (the indexer's own and the reindex job's) holds the lineage's
//!   rebuild lock from its scan to its swap. A cursor naming another index while
//!   that lock is held is a swap about to land: waited for. While it is free, the
//!   cursor is an orphan of a rebuild that died between saving it and swapping:
//!   repaired at once.
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
use tracing::Instrument;

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
    /// How often the lease is checked while following.
    pub lease_check_interval: Duration,
    /// The least time between two progress lines of a rebuild (a million listings
    /// are thousands of scan pages: a line per page buried the job's log).
    pub progress_interval: Duration,
}

impl Default for IndexerSettings {
    fn default() -> Self {
        Self {
            commit_interval: Duration::from_millis(200),
            max_batch: 1000,
            scan_page_size: 500,
            max_backoff: Duration::from_secs(5),
            lease_check_interval: Duration::from_secs(10),
            progress_interval: Duration::from_secs(5),
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

/// How often a rebuild running elsewhere is checked for its swap.
const SWAP_POLL: Duration = Duration::from_millis(100);

/// The lock every rebuild of the lineage `consumer` holds from its scan to its swap.
pub fn rebuild_lock_name(consumer: &str) -> String {
    format!("reindex:{consumer}")
}

/// Where following starts: the saved cursor, or a rebuild first (and why).
enum Start {
    Follow(FeedPosition),
    Rebuild(&'static str),
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
            while !shutdown.is_triggered() {
                if !lease.is_held().await {
                    tracing::warn!("indexer lease lost; re-acquiring");
                    break;
                }
                match self.follow(&shutdown, &lease).await {
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

    async fn follow(&self, shutdown: &Shutdown, lease: &AdvisoryLock) -> Result<FollowEnd, SearchError> {
        let consumer = self.index.consumer_name();
        let position = match self.starting_point().await? {
            Start::Follow(position) => position,
            Start::Rebuild(_) => return self.rebuild_exclusively(shutdown).await,
        };
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

    /// The saved cursor if the index it names is the one served and holds what
    /// the cursor says; otherwise why a rebuild comes first.
    async fn starting_point(&self) -> Result<Start, SearchError> {
        let physical = self.index.physical_name().await?;
        Ok(match feed_cursor::load(&self.database, &self.index.consumer_name()).await? {
            None => Start::Rebuild("no feed cursor; building the index from catalog"),
            Some(position) if position.index_name != physical => {
                Start::Rebuild("the cursor names an index that was never swapped in; rebuilding")
            }
            Some(position) if position.sequence > 0 && self.index.count_all().await? == 0 => {
                Start::Rebuild("the index is empty but a cursor is saved; rebuilding")
            }
            Some(position) => Start::Follow(position),
        })
    }

    /// Rebuilds under the lineage's rebuild lock. When a reindex job holds it,
    /// that job's swap (and the cursor saved with it) is awaited instead.
    async fn rebuild_exclusively(&self, shutdown: &Shutdown) -> Result<FollowEnd, SearchError> {
        let lock_name = rebuild_lock_name(&self.index.consumer_name());
        let Some(lock) = AdvisoryLock::try_acquire(&self.database, &lock_name).await? else {
            tracing::debug!(lock = %lock_name, "a rebuild is running elsewhere; waiting for its swap");
            sleep_or_stop(shutdown, SWAP_POLL).await;
            return Ok(FollowEnd::Restart);
        };
        // Judged again under the lock: a rebuild that has just released it swapped in.
        let outcome = match self.starting_point().await {
            Ok(Start::Rebuild(reason)) => {
                tracing::info!(consumer = %self.index.consumer_name(), "{reason}");
                self.rebuild(&mut |line| tracing::info!(progress = %line, "rebuild")).await.map(|_| ())
            }
            Ok(Start::Follow(_)) => Ok(()),
            Err(error) => Err(error),
        };
        lock.release().await;
        outcome.map(|()| FollowEnd::Restart)
    }

    /// Applies and commits the batch, then saves the cursor. `false`: the cursor
    /// now belongs to another physical index (a rebuild swapped in); restart.
    async fn flush(&self, consumer: &str, batch: &mut Batch) -> Result<bool, SearchError> {
        if batch.is_empty() {
            return Ok(true);
        }
        let changes = std::mem::take(&mut batch.changes);
        let span = batch_span(&std::mem::take(&mut batch.traceparents), changes.len());
        let outcome = async {
            let outcome = self.index.apply(changes).await?;
            self.index.commit().await?;
            self.bump_cache_generation().await;
            Ok::<_, SearchError>(outcome)
        }
        .instrument(span)
        .await?;
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
    /// The caller holds the rebuild lock ([`rebuild_lock_name`]).
    pub async fn rebuild(&self, progress: &mut (dyn FnMut(String) + Send)) -> Result<RebuildReport, SearchError> {
        let started = Instant::now();
        let mut rebuild = self.index.begin_rebuild().await?;
        let mut after = String::new();
        let mut scanned: u64 = 0;
        let mut feed_sequence: Option<i64> = None;
        let mut last_progress = started;
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
            let page_info = page.page_info.unwrap_or_default();
            let last = !page_info.has_next_page || page_info.end_cursor.is_empty() || page.listings.is_empty();
            if last || last_progress.elapsed() >= self.settings.progress_interval {
                progress(format!("scanned {scanned} listings in {:.1} s", started.elapsed().as_secs_f64()));
                last_progress = Instant::now();
            }
            if last {
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

/// The most traces one indexed batch joins (the first as parent, the rest as links).
const MAX_TRACES_PER_BATCH: usize = 32;

/// The span of one indexed batch: it continues the trace of the batch's first change
/// (usually the only one: a publish indexed alone), and links the others'.
fn batch_span(traceparents: &[String], changes: usize) -> tracing::Span {
    if !nds_common::trace::enabled() {
        return tracing::Span::none();
    }
    let span = tracing::info_span!("search.index_batch", changes, trace_id = tracing::field::Empty);
    nds_common::trace::propagation::continue_stored_traces(&span, traceparents.iter().map(String::as_str));
    span
}

struct Batch {
    position: FeedPosition,
    changes: Vec<IndexChange>,
    /// The traces of the batch's changes that carried one.
    traceparents: Vec<String>,
    last_sequence: i64,
    first_at: Option<Instant>,
}

impl Batch {
    fn new(position: FeedPosition) -> Self {
        let last_sequence = position.sequence;
        Self { position, changes: Vec::new(), traceparents: Vec::new(), last_sequence, first_at: None }
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
        if !change.traceparent.is_empty() && self.traceparents.len() < MAX_TRACES_PER_BATCH {
            self.traceparents.push(change.traceparent);
        }
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
