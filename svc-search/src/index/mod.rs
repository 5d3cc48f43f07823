//! The search index behind one trait: tantivy on disk (embedded default, every
//! test) and Elasticsearch (production). Both keep documents idempotent by
//! (listing id, version): removals are kept as tombstones carrying their
//! version, so an older replay can never bring back or overwrite a newer state.

pub mod elasticsearch;
pub mod tantivy;

use async_trait::async_trait;

use crate::domain::{IndexChange, IndexPage, IndexQuery, ListingDoc};
use crate::error::SearchError;

/// What one `apply` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplyOutcome {
    pub applied: usize,
    /// Changes older than (or equal to) what the index holds: ignored.
    pub stale: usize,
}

#[async_trait]
pub trait SearchIndex: Send + Sync + 'static {
    /// "tantivy" or "elasticsearch".
    fn backend_name(&self) -> &'static str;

    /// Names this index's lineage (survives rebuilds); the feed cursor is stored under it.
    fn consumer_name(&self) -> String;

    /// The physical index currently served (changes on every rebuild swap).
    async fn physical_name(&self) -> Result<String, SearchError>;

    /// Applies changes in order; a change whose version is not newer than the
    /// document's is ignored. Visible to queries after [`commit`](Self::commit).
    async fn apply(&self, changes: Vec<IndexChange>) -> Result<ApplyOutcome, SearchError>;

    /// Makes applied changes durable and searchable; bumps [`generation`](Self::generation).
    async fn commit(&self) -> Result<(), SearchError>;

    async fn search(&self, query: &IndexQuery) -> Result<IndexPage, SearchError>;

    /// Public (non-tombstone) documents.
    async fn count(&self) -> Result<u64, SearchError>;

    /// Documents including tombstones: zero means the index is brand new or was wiped.
    async fn count_all(&self) -> Result<u64, SearchError>;

    /// Bumps on every commit and swap in this process (cache invalidation).
    fn generation(&self) -> u64;

    /// Starts a full rebuild into a fresh physical index, invisible until swapped in.
    async fn begin_rebuild(&self) -> Result<Box<dyn IndexRebuild + '_>, SearchError>;
}

#[async_trait]
pub trait IndexRebuild: Send {
    /// The physical name the rebuild will serve under once swapped in.
    fn physical_name(&self) -> String;

    async fn add(&mut self, docs: Vec<ListingDoc>) -> Result<(), SearchError>;

    /// Commits the new index and atomically makes it the served one; returns its document count.
    async fn swap_in(self: Box<Self>) -> Result<u64, SearchError>;
}

pub type SharedIndex = std::sync::Arc<dyn SearchIndex>;
