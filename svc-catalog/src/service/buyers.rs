//! Favourites and saved searches: a signed-in user's own data.

use nds_common::auth::Principal;
use nds_common::auth::principal::require_principal;
use nds_common::vehicle::SearchFilters;
use uuid::Uuid;

use super::{CatalogService, now_unix};
use crate::domain::Listing;
use crate::domain::access::redact_for;
use crate::domain::paging::{Page, PageOf};
use crate::domain::saved_search::{MAX_SAVED_SEARCHES_PER_USER, SavedSearch, validate_saved_search};
use crate::error::CatalogError;

fn require_user(caller: Option<&Principal>) -> Result<Uuid, CatalogError> {
    Ok(require_principal(caller)?.require_user_id()?)
}

impl CatalogService {
    /// Favourites a listing the caller can see; true when it was not a favourite yet.
    pub async fn add_favourite(&self, caller: Option<&Principal>, listing_id: Uuid) -> Result<bool, CatalogError> {
        let user_id = require_user(caller)?;
        let listing = self.get_listing(caller, listing_id).await?;
        if !listing.status.is_public() {
            return Err(CatalogError::invalid("listingId", "only published listings can be favourited"));
        }
        self.store.add_favourite(user_id, listing_id, now_unix()).await
    }

    pub async fn remove_favourite(&self, caller: Option<&Principal>, listing_id: Uuid) -> Result<bool, CatalogError> {
        let user_id = require_user(caller)?;
        self.store.remove_favourite(user_id, listing_id).await
    }

    pub async fn list_favourites(
        &self,
        caller: Option<&Principal>,
        page: Page,
    ) -> Result<PageOf<Listing>, CatalogError> {
        let user_id = require_user(caller)?;
        let page = self.store.list_favourites(user_id, page).await?;
        Ok(PageOf { items: page.items.into_iter().map(|listing| redact_for(caller, listing)).collect(), ..page })
    }

    pub async fn save_search(
        &self,
        caller: Option<&Principal>,
        name: &str,
        text: &str,
        filters: SearchFilters,
    ) -> Result<SavedSearch, CatalogError> {
        let user_id = require_user(caller)?;
        let (name, text) = validate_saved_search(name, text, &filters)?;
        if self.store.count_saved_searches(user_id).await? >= MAX_SAVED_SEARCHES_PER_USER {
            return Err(CatalogError::invalid(
                "name",
                format!("at most {MAX_SAVED_SEARCHES_PER_USER} saved searches; delete one first"),
            ));
        }
        let search = SavedSearch { id: Uuid::now_v7(), user_id, name, text, filters, created_at_unix: now_unix() };
        self.store.insert_saved_search(&search).await?;
        Ok(search)
    }

    pub async fn list_saved_searches(&self, caller: Option<&Principal>) -> Result<Vec<SavedSearch>, CatalogError> {
        let user_id = require_user(caller)?;
        self.store.list_saved_searches(user_id).await
    }

    /// The owner comes from the token, never from the request: someone else's id is
    /// NOT_FOUND, exactly like an id that never existed, and nothing is deleted.
    pub async fn delete_saved_search(&self, caller: Option<&Principal>, id: Uuid) -> Result<(), CatalogError> {
        let user_id = require_user(caller)?;
        if self.store.delete_saved_search(user_id, id).await? {
            Ok(())
        } else {
            Err(CatalogError::NotFound("saved search"))
        }
    }
}
