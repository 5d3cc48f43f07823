//! Listing use cases: create, edit, lifecycle, reads, lists, promotions, scans.

use nds_common::auth::principal::require_principal;
use nds_common::auth::{Principal, Role};
use uuid::Uuid;

use super::{CatalogService, current_year, now_unix};
use crate::domain::access::{can_manage, can_read_private, can_see, is_internal, is_publicly_retired, redact_for};
use crate::domain::inventory_order::InventoryPage;
use crate::domain::inventory_search::InventorySearch;
use crate::domain::lifecycle::{Transition, is_editable};
use crate::domain::paging::{Page, PageOf};
use crate::domain::validation::{ListingInput, ListingPatch, apply_patch, validate_listing};
use crate::domain::{ChangeKind, Listing, ListingFields, ListingStatus, Owner, PricePoint, Promotion};
use crate::error::CatalogError;
use crate::store::listings::{ListingFilter, Order};

/// Which listings a list asks for; what the caller may see narrows it further.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListingsQuery {
    pub agency_id: Option<Uuid>,
    pub status: Option<ListingStatus>,
    pub search: InventorySearch,
}

/// Batch reads are for DataLoaders: a page of ids, not a table dump. The number is
/// the contract's, so the edge's loader splits its batches at the same size.
pub const MAX_BATCH_IDS: usize = nds_proto::catalog::v1::GET_LISTINGS_MAX_IDS;
pub const MAX_PROMOTION_RANK: i32 = 1_000;
/// A promotion write races edits only on `version`; a few re-reads settle it.
const PROMOTION_ATTEMPTS: usize = 3;

/// The agency a new listing belongs to: one the caller is staff of, with the group
/// from the caller's own membership (never from the request).
///
/// Platform admins who are not staff of the agency are refused: the catalog has no
/// agency table, and trusting a group id sent by the caller would let a listing
/// claim the wrong tenant. Internal tools create listings through `seed_demo` or an
/// agency account.
pub fn owner_for_new_listing(principal: &Principal, requested: Option<Uuid>) -> Result<Owner, CatalogError> {
    let staff: Vec<Owner> = principal
        .memberships
        .iter()
        .filter(|membership| matches!(membership.role, Role::AgencyManager | Role::Salesperson))
        .filter_map(|membership| Some(Owner { agency_id: membership.agency_id?, group_id: membership.group_id? }))
        .collect();
    match requested {
        Some(agency_id) => staff
            .into_iter()
            .find(|owner| owner.agency_id == agency_id)
            .ok_or_else(|| CatalogError::Forbidden("only staff of an agency create its listings".into())),
        None => {
            let mut agencies: Vec<Owner> = staff;
            agencies.sort_by_key(|owner| owner.agency_id);
            agencies.dedup_by_key(|owner| owner.agency_id);
            match agencies.as_slice() {
                [only] => Ok(*only),
                [] => Err(CatalogError::Forbidden("only agency staff create listings".into())),
                _ => Err(CatalogError::invalid("agencyId", "you work for several agencies: say which one")),
            }
        }
    }
}

/// NOT_FOUND for listings the caller cannot see (existence does not leak),
/// FORBIDDEN for listings they can see but not manage.
pub(super) fn authorize_manage(caller: Option<&Principal>, listing: &Listing) -> Result<(), CatalogError> {
    if !can_see(caller, listing) {
        return Err(CatalogError::NotFound("listing"));
    }
    require_principal(caller)?;
    if !can_manage(caller, listing.owner) {
        return Err(CatalogError::Forbidden("only staff of the listing's agency manage it".into()));
    }
    Ok(())
}

fn check_version(listing: &Listing, expected_version: i64) -> Result<(), CatalogError> {
    if expected_version < 0 {
        return Err(CatalogError::invalid("expectedVersion", "versions are positive"));
    }
    if expected_version != 0 && expected_version != listing.version {
        return Err(CatalogError::StaleVersion { expected: expected_version, actual: listing.version });
    }
    Ok(())
}

pub(super) fn require_internal(caller: Option<&Principal>) -> Result<(), CatalogError> {
    let principal = require_principal(caller)?;
    principal.require_platform_admin()?;
    Ok(())
}

impl CatalogService {
    /// Creates a DRAFT for the caller's agency.
    pub async fn create_listing(
        &self,
        caller: Option<&Principal>,
        agency_id: Option<Uuid>,
        input: &ListingInput,
    ) -> Result<Listing, CatalogError> {
        let principal = require_principal(caller)?;
        let owner = owner_for_new_listing(principal, agency_id)?;
        let fields = validate_listing(input, current_year())?;
        let listing = self.insert_new_listing(owner, fields).await?;
        self.queue_photo_urls(&listing);
        Ok(listing)
    }

    /// The write path of every new listing (also the demo seeder's).
    pub(crate) async fn insert_new_listing(
        &self,
        owner: Owner,
        fields: ListingFields,
    ) -> Result<Listing, CatalogError> {
        let now = now_unix();
        let listing = Listing {
            id: Uuid::now_v7(),
            owner,
            status: ListingStatus::Draft,
            version: 1,
            fields,
            promotion: None,
            created_at_unix: now,
            updated_at_unix: now,
            published_at_unix: None,
            view_count: 0,
            agency_suspended: false,
        };
        self.store.insert_listing(&listing, now).await?;
        self.notifier.notify();
        tracing::debug!(listing_id = %listing.id, agency_id = %owner.agency_id, "listing created");
        Ok(listing)
    }

    /// Applies a patch if the caller still holds the current version (when they send one).
    pub async fn update_listing(
        &self,
        caller: Option<&Principal>,
        id: Uuid,
        expected_version: i64,
        patch: &ListingPatch,
    ) -> Result<Listing, CatalogError> {
        let current = self.store.get_listing(id).await?.ok_or(CatalogError::NotFound("listing"))?;
        authorize_manage(caller, &current)?;
        // 0 = the caller did not say (the edge's `expectedVersion` is optional): no
        // check against what they read, but a write racing this call is still a CONFLICT.
        check_version(&current, expected_version)?;
        if !is_editable(current.status) {
            return Err(CatalogError::NotEditable(current.status));
        }
        let fields = apply_patch(&current.fields, patch, current_year())?;
        if fields == current.fields {
            // Nothing changes: no new version, no change row.
            return Ok(redact_for(caller, current));
        }
        let now = now_unix();
        let price_changed = fields.price != current.fields.price;
        let updated = Listing { fields, version: current.version + 1, updated_at_unix: now, ..current.clone() };
        self.commit_update(&updated, current.version, ChangeKind::Updated, price_changed, now).await?;
        if updated.fields.photos != current.fields.photos {
            self.queue_photo_urls(&updated);
        }
        Ok(redact_for(caller, updated))
    }

    pub async fn transition_listing(
        &self,
        caller: Option<&Principal>,
        id: Uuid,
        expected_version: i64,
        transition: Transition,
    ) -> Result<Listing, CatalogError> {
        let current = self.store.get_listing(id).await?.ok_or(CatalogError::NotFound("listing"))?;
        authorize_manage(caller, &current)?;
        check_version(&current, expected_version)?;
        let updated = self.apply_transition(current, transition).await?;
        Ok(redact_for(caller, updated))
    }

    /// The write path of every status change (also the demo seeder's).
    pub(crate) async fn apply_transition(
        &self,
        current: Listing,
        transition: Transition,
    ) -> Result<Listing, CatalogError> {
        let target = transition
            .target(current.status)
            .ok_or(CatalogError::InvalidTransition { action: transition.as_str(), from: current.status })?;
        let now = now_unix();
        let published_at_unix = if target == ListingStatus::Published { Some(now) } else { current.published_at_unix };
        let updated = Listing {
            status: target,
            version: current.version + 1,
            updated_at_unix: now,
            published_at_unix,
            ..current.clone()
        };
        self.commit_update(&updated, current.version, ChangeKind::StatusChanged, false, now).await?;
        tracing::debug!(listing_id = %updated.id, status = %target, "listing status changed");
        Ok(updated)
    }

    pub(super) async fn commit_update(
        &self,
        updated: &Listing,
        expected_version: i64,
        kind: ChangeKind,
        price_changed: bool,
        now: i64,
    ) -> Result<i64, CatalogError> {
        let sequence = self.store.update_listing(updated, expected_version, kind, price_changed, now).await?;
        self.invalidate_listing(updated.id).await;
        self.notifier.notify();
        Ok(sequence)
    }

    pub async fn get_listing(&self, caller: Option<&Principal>, id: Uuid) -> Result<Listing, CatalogError> {
        let listing = self.load_listing(id).await?.ok_or(CatalogError::NotFound("listing"))?;
        if !can_see(caller, &listing) {
            return Err(CatalogError::NotFound("listing"));
        }
        Ok(redact_for(caller, listing))
    }

    /// A sold or archived listing for its 410 page, to anyone: one cached or
    /// primary-key read. Everything else is NOT_FOUND, drafts above all.
    pub async fn get_retired_listing(&self, id: Uuid) -> Result<Listing, CatalogError> {
        self.load_listing(id).await?.filter(is_publicly_retired).ok_or(CatalogError::NotFound("listing"))
    }

    /// Visible listings among `ids`, in their order; the rest are simply absent.
    pub async fn get_listings(&self, caller: Option<&Principal>, ids: &[Uuid]) -> Result<Vec<Listing>, CatalogError> {
        if ids.len() > MAX_BATCH_IDS {
            return Err(CatalogError::invalid("ids", format!("at most {MAX_BATCH_IDS} ids per call")));
        }
        let listings = self.load_listings(ids).await?;
        Ok(listings
            .into_iter()
            .filter(|listing| can_see(caller, listing))
            .map(|listing| redact_for(caller, listing))
            .collect())
    }

    /// Staff: their agencies' listings in any status. Platform admins: everything.
    /// Group admins: an agency of their group in any status. Anyone else: published only.
    /// The search narrows whichever of these the caller may see.
    pub async fn list_listings(
        &self,
        caller: Option<&Principal>,
        query: ListingsQuery,
        page: InventoryPage,
    ) -> Result<PageOf<Listing>, CatalogError> {
        let ListingsQuery { agency_id, status, search } = query;
        let private = match agency_id {
            Some(agency_id) => self.can_read_agency(caller, agency_id).await?,
            None => is_internal(caller) || caller.is_some_and(|principal| principal.staff_agencies().next().is_some()),
        };
        let agencies = match (agency_id, caller) {
            (Some(agency_id), _) => Some(vec![agency_id]),
            (None, Some(principal)) if private && !principal.is_platform_admin() => {
                Some(principal.staff_agencies().collect())
            }
            (None, _) => None,
        };
        let statuses = match (private, status) {
            (true, status) => status.map(|status| vec![status]),
            (false, None | Some(ListingStatus::Published)) => Some(vec![ListingStatus::Published]),
            (false, Some(_)) => {
                // The public never sees other statuses: an empty page, not an error.
                return Ok(PageOf { items: Vec::new(), has_next_page: false, end_cursor: None, total_count: 0 });
            }
        };
        let filter = ListingFilter { agencies, statuses, public_only: !private, search };
        let page = match page {
            InventoryPage::Newest(page) => self.store.list_listings(&filter, page, Order::NewestFirst).await?,
            InventoryPage::Sorted { order, first, after } => {
                self.store.list_listings_sorted(&filter, order, first, after).await?
            }
        };
        Ok(PageOf { items: page.items.into_iter().map(|listing| redact_for(caller, listing)).collect(), ..page })
    }

    /// May the caller read this agency's private listings? Its group comes from the
    /// caller's own membership or from the agency's stored listings.
    pub(crate) async fn can_read_agency(
        &self,
        caller: Option<&Principal>,
        agency_id: Uuid,
    ) -> Result<bool, CatalogError> {
        let Some(principal) = caller else {
            return Ok(false);
        };
        if principal.is_platform_admin() || principal.staff_agencies().any(|staff_of| staff_of == agency_id) {
            return Ok(true);
        }
        Ok(match self.store.owner_of_agency(agency_id).await? {
            Some(owner) => can_read_private(caller, owner),
            None => false,
        })
    }

    pub async fn price_history(&self, caller: Option<&Principal>, id: Uuid) -> Result<Vec<PricePoint>, CatalogError> {
        self.get_listing(caller, id).await?;
        self.store.price_history(id).await
    }

    /// Billing's call: sets (or clears, with `None`) a listing's promotion.
    pub async fn set_promotion(
        &self,
        caller: Option<&Principal>,
        id: Uuid,
        until_unix: Option<i64>,
        rank: i32,
    ) -> Result<Listing, CatalogError> {
        require_internal(caller)?;
        if !(0..=MAX_PROMOTION_RANK).contains(&rank) {
            return Err(CatalogError::invalid("rank", format!("rank must be between 0 and {MAX_PROMOTION_RANK}")));
        }
        if until_unix.is_some_and(|until| until <= 0) {
            return Err(CatalogError::invalid("promotedUntil", "promotion end must be a unix time"));
        }
        let promotion = until_unix.map(|until_unix| Promotion { until_unix, rank });
        let mut attempt = 0;
        loop {
            attempt += 1;
            let current = self.store.get_listing(id).await?.ok_or(CatalogError::NotFound("listing"))?;
            if current.promotion == promotion {
                return Ok(current);
            }
            let now = now_unix();
            let updated = Listing {
                promotion: promotion.clone(),
                version: current.version + 1,
                updated_at_unix: now,
                ..current.clone()
            };
            match self.commit_update(&updated, current.version, ChangeKind::PromotionChanged, false, now).await {
                Ok(_) => return Ok(updated),
                Err(CatalogError::StaleVersion { .. }) if attempt < PROMOTION_ATTEMPTS => continue,
                Err(error) => return Err(error),
            }
        }
    }

    /// Every listing (optionally of one status), oldest first, for a full reindex.
    /// The feed position is read before the page: streaming from it afterwards
    /// misses nothing (consumers apply changes idempotently by version).
    pub async fn scan_listings(
        &self,
        caller: Option<&Principal>,
        status: Option<ListingStatus>,
        page: Page,
    ) -> Result<(PageOf<Listing>, i64), CatalogError> {
        require_internal(caller)?;
        let feed_sequence = self.store.current_sequence().await?;
        // Suspended agencies' listings too: search removes them by their flag.
        let filter = ListingFilter { statuses: status.map(|status| vec![status]), ..ListingFilter::default() };
        // Uncounted: a scan reads every page, and a count per page is quadratic.
        let listings = self.store.uncounted_page(&filter, page, Order::OldestFirst).await?;
        Ok((listings, feed_sequence))
    }
}
