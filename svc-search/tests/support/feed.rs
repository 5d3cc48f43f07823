//! A recorded change feed: catalog's `StreamChanges`/`ScanListings` contract
//! (ordered sequences, "the listing right after the change", scan pages with
//! the feed position at scan start) over an in-memory log the test appends to.
//! svc-catalog's crate is not available to these tests yet; this replays the
//! contract, not catalog's implementation.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use nds_proto::catalog::v1::{ListingChange, ListingStatus, ScanListingsResponse};
use nds_proto::common::v1::PageInfo;
use svc_search::domain::ListingDoc;
use svc_search::error::SearchError;
use svc_search::feed::{ChangeStream, FeedSource};

use super::change;

#[derive(Clone, Default)]
pub struct RecordedFeed {
    log: Arc<Mutex<Vec<ListingChange>>>,
    /// When set, a stream fails after delivering this many changes (a dropped connection).
    fail_after: Arc<Mutex<Option<usize>>>,
}

impl RecordedFeed {
    /// Appends a change for `doc` in `status`; returns its sequence.
    pub fn push(&self, doc: &ListingDoc, status: ListingStatus) -> i64 {
        let mut log = self.log.lock().unwrap();
        let sequence = log.last().map_or(1, |last| last.sequence + 1);
        log.push(change(sequence, doc, status));
        sequence
    }

    /// Re-delivers an old change with a new sequence (a replay catalog would never send, search must survive).
    pub fn push_raw(&self, change: ListingChange) {
        self.log.lock().unwrap().push(change);
    }

    pub fn last_sequence(&self) -> i64 {
        self.log.lock().unwrap().last().map_or(0, |last| last.sequence)
    }

    pub fn fail_streams_after(&self, changes: Option<usize>) {
        *self.fail_after.lock().unwrap() = changes;
    }
}

#[async_trait]
impl FeedSource for RecordedFeed {
    async fn changes_after(&self, after: i64) -> Result<ChangeStream, SearchError> {
        let log = self.log.clone();
        let fail_after = self.fail_after.clone();
        let stream = futures::stream::unfold((log, after, 0usize), move |(log, after, delivered)| {
            let fail_after = *fail_after.lock().unwrap();
            async move {
                if fail_after.is_some_and(|limit| delivered >= limit) {
                    return Some((Err(SearchError::Feed("connection reset".into())), (log, i64::MAX, delivered)));
                }
                if after == i64::MAX {
                    return None;
                }
                loop {
                    let next = log.lock().unwrap().iter().find(|change| change.sequence > after).cloned();
                    if let Some(change) = next {
                        let sequence = change.sequence;
                        return Some((Ok(change), (log, sequence, delivered + 1)));
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        });
        Ok(stream.boxed())
    }

    async fn scan_published(&self, after: &str, first: u32) -> Result<ScanListingsResponse, SearchError> {
        let log = self.log.lock().unwrap().clone();
        let feed_sequence = log.last().map_or(0, |last| last.sequence);
        // Latest state per listing, as catalog's table would hold it.
        let mut latest: std::collections::BTreeMap<String, nds_proto::catalog::v1::Listing> = Default::default();
        for change in log {
            let listing = change.listing.unwrap();
            let newer = latest.get(&listing.id).is_none_or(|known| known.version < listing.version);
            if newer {
                latest.insert(listing.id.clone(), listing);
            }
        }
        let published: Vec<_> =
            latest.into_values().filter(|listing| listing.status == ListingStatus::Published as i32).collect();
        let offset: usize = if after.is_empty() { 0 } else { after.parse().unwrap() };
        let page: Vec<_> = published.iter().skip(offset).take(first as usize).cloned().collect();
        let end = offset + page.len();
        Ok(ScanListingsResponse {
            listings: page,
            page_info: Some(PageInfo {
                has_next_page: end < published.len(),
                end_cursor: end.to_string(),
                total_count: published.len() as u64,
            }),
            feed_sequence,
        })
    }
}
