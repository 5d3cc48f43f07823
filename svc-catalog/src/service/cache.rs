//! Read-through cache of listings, invalidated on write.
//!
//! Key `listing:<id>`; the cached value is the full listing and visibility is
//! decided per caller after the read, so the cache never widens access. Writers
//! delete the key after commit. A reader that loaded the old row just before a
//! write may put it back; the short TTL bounds that window. Cache down: every
//! operation is a miss and reads go to the database.

use std::time::Duration;

use uuid::Uuid;

use super::CatalogService;
use crate::domain::Listing;
use crate::error::CatalogError;

pub const LISTING_TTL: Duration = Duration::from_secs(30);

pub fn listing_key(id: Uuid) -> String {
    format!("listing:{id}")
}

impl CatalogService {
    async fn cached_listing(&self, id: Uuid) -> Option<Listing> {
        let bytes = self.cache.get(&listing_key(id)).await?;
        match serde_json::from_slice(&bytes) {
            Ok(listing) => Some(listing),
            Err(error) => {
                tracing::warn!(listing_id = %id, error = %error, "unreadable cached listing; reading the database");
                None
            }
        }
    }

    async fn cache_listing(&self, listing: &Listing) {
        if let Ok(bytes) = serde_json::to_vec(listing) {
            self.cache.set(&listing_key(listing.id), &bytes, LISTING_TTL).await;
        }
    }

    pub(crate) async fn invalidate_listing(&self, id: Uuid) {
        self.cache.delete(&listing_key(id)).await;
    }

    /// Cache first, then the database (which then fills the cache).
    pub(crate) async fn load_listing(&self, id: Uuid) -> Result<Option<Listing>, CatalogError> {
        if let Some(listing) = self.cached_listing(id).await {
            return Ok(Some(listing));
        }
        let listing = self.store.get_listing(id).await?;
        if let Some(listing) = &listing {
            self.cache_listing(listing).await;
        }
        Ok(listing)
    }

    /// Batch version: cached ones from the cache, the rest in one query.
    pub(crate) async fn load_listings(&self, ids: &[Uuid]) -> Result<Vec<Listing>, CatalogError> {
        let cached = futures::future::join_all(ids.iter().map(|id| self.cached_listing(*id))).await;
        let mut found = Vec::with_capacity(ids.len());
        let mut missing = Vec::new();
        for (id, listing) in ids.iter().zip(cached) {
            match listing {
                Some(listing) => found.push(listing),
                None => missing.push(*id),
            }
        }
        for listing in self.store.get_listings(&missing).await? {
            self.cache_listing(&listing).await;
            found.push(listing);
        }
        // The caller's order, as DataLoaders expect.
        found.sort_by_key(|listing| ids.iter().position(|id| *id == listing.id));
        Ok(found)
    }
}
