//! View counters: one cache increment per view, flushed to the database by the
//! `flush-view-counters` job. `take_counter` reads and clears atomically, so two
//! overlapping or repeated runs never add the same views twice.

use nds_common::auth::Principal;
use uuid::Uuid;

use super::CatalogService;
use crate::error::CatalogError;

/// Listing ids read per step while flushing.
const FLUSH_PAGE: u64 = 500;

pub fn views_key(id: Uuid) -> String {
    format!("views:{id}")
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlushReport {
    pub listings: u64,
    pub views: i64,
}

impl CatalogService {
    /// Counts a view of a published listing. Views of private listings (staff
    /// looking at drafts) are allowed but not counted; invisible ones are NOT_FOUND.
    pub async fn record_view(&self, caller: Option<&Principal>, id: Uuid) -> Result<bool, CatalogError> {
        let listing = self.get_listing(caller, id).await?;
        if !listing.status.is_public() {
            return Ok(false);
        }
        // Cache down: the view is lost, the request still succeeds (views are a metric).
        Ok(self.cache.increment(&views_key(id), 1).await.is_some())
    }

    /// Moves every pending counter into `listings.view_count`.
    pub async fn flush_view_counters(&self) -> Result<FlushReport, CatalogError> {
        let mut report = FlushReport::default();
        let mut after = None;
        loop {
            let ids = self.store.listing_ids_after(after, FLUSH_PAGE).await?;
            let Some(last) = ids.last().copied() else {
                return Ok(report);
            };
            for id in ids {
                let Some(views) = self.cache.take_counter(&views_key(id)).await.filter(|views| *views > 0) else {
                    continue;
                };
                if let Err(error) = self.store.add_views(id, views).await {
                    // Put them back so the next run adds them.
                    self.cache.increment(&views_key(id), views).await;
                    return Err(error);
                }
                self.invalidate_listing(id).await;
                report.listings += 1;
                report.views += views;
            }
            after = Some(last);
        }
    }
}
