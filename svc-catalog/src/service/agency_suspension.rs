//! An agency's suspension as catalog applies it. Identity decides and audits it;
//! the edge then tells catalog, which flags each of the agency's listings so they
//! leave the public (search follows the feed: a flagged listing is removed from the
//! index, and indexed again when the flag clears).

use nds_common::auth::Principal;
use uuid::Uuid;

use super::listings::require_internal;
use super::{CatalogService, now_unix};
use crate::domain::{ChangeKind, Listing};
use crate::error::CatalogError;

/// A flag write races edits only on `version`; a few re-reads settle it.
const ATTEMPTS: usize = 3;

impl CatalogService {
    /// Flags (or clears) every listing of the agency; returns how many changed.
    /// Idempotent: listings already in the wanted state are left as they are, so a
    /// repeated call (after a lost answer, or a failure half-way) completes the job.
    pub async fn set_agency_suspended(
        &self,
        caller: Option<&Principal>,
        agency_id: Uuid,
        suspended: bool,
    ) -> Result<u32, CatalogError> {
        require_internal(caller)?;
        let mut changed = 0;
        for id in self.store.listing_ids_of_agency(agency_id).await? {
            if self.flag_listing(id, suspended).await? {
                changed += 1;
            }
        }
        tracing::info!(agency_id = %agency_id, suspended, changed, "agency suspension applied to its listings");
        Ok(changed)
    }

    async fn flag_listing(&self, id: Uuid, suspended: bool) -> Result<bool, CatalogError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let Some(current) = self.store.get_listing(id).await? else {
                return Ok(false);
            };
            if current.agency_suspended == suspended {
                return Ok(false);
            }
            let now = now_unix();
            let updated = Listing {
                agency_suspended: suspended,
                version: current.version + 1,
                updated_at_unix: now,
                ..current.clone()
            };
            match self.commit_update(&updated, current.version, ChangeKind::Updated, false, now).await {
                Ok(_) => return Ok(true),
                Err(CatalogError::StaleVersion { .. }) if attempt < ATTEMPTS => continue,
                Err(error) => return Err(error),
            }
        }
    }
}
