//! Who may see and do what with a listing. The rules in one place:
//!
//! - Published listings are public (anonymous callers included).
//! - Listings of a suspended agency are as private as drafts until it is reinstated.
//! - Drafts, sold and archived listings and internal fields (view counts) are
//!   private: the listing's agency staff, group admins of its group and platform
//!   admins read them. Anyone else gets NOT_FOUND, so existence does not leak.
//! - Managing (edit, status changes) needs `ManageListings` on the agency: staff of
//!   the agency and platform admins. Group admins read but do not manage. A caller
//!   who can see the listing but not manage it gets FORBIDDEN.
//! - Promotions and the change feed are for internal services and platform admins.

use nds_common::auth::{AgencyAction, AgencyRef, Principal};

use super::listing::{Listing, ListingStatus, Owner};

pub fn agency_ref(owner: Owner) -> AgencyRef {
    AgencyRef { agency_id: owner.agency_id, group_id: owner.group_id }
}

pub fn can_read_private(caller: Option<&Principal>, owner: Owner) -> bool {
    caller.is_some_and(|principal| principal.can_on_agency(agency_ref(owner), AgencyAction::ReadPrivate))
}

pub fn can_manage(caller: Option<&Principal>, owner: Owner) -> bool {
    caller.is_some_and(|principal| principal.can_on_agency(agency_ref(owner), AgencyAction::ManageListings))
}

pub fn can_see(caller: Option<&Principal>, listing: &Listing) -> bool {
    is_public(listing) || can_read_private(caller, listing.owner)
}

/// Published, and its agency not suspended.
pub fn is_public(listing: &Listing) -> bool {
    listing.status.is_public() && !listing.agency_suspended
}

/// The listing as this caller may see it: internal fields blanked for the public.
pub fn redact_for(caller: Option<&Principal>, mut listing: Listing) -> Listing {
    if !can_read_private(caller, listing.owner) {
        listing.view_count = 0;
    }
    listing
}

/// Sold and archived listings that were once published may still be named on their
/// "no longer available" page; a draft archived before it was ever published stays as
/// private as any draft.
pub fn is_publicly_retired(listing: &Listing) -> bool {
    matches!(listing.status, ListingStatus::Sold | ListingStatus::Archived)
        && listing.published_at_unix.is_some()
        && !listing.agency_suspended
}

pub fn is_internal(caller: Option<&Principal>) -> bool {
    caller.is_some_and(Principal::is_platform_admin)
}
