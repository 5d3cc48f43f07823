//! Listings from catalog into index changes. Filters and enums convert with
//! the shared `nds_common::convert` (the edge uses the same functions).

use nds_common::convert::{body_type_from_wire, condition_from_wire, fuel_from_wire, transmission_from_wire};
use nds_proto::catalog::v1::{Listing, ListingStatus};
use prost::Message;
use uuid::Uuid;

use crate::domain::document::attributes_to_text;
use crate::domain::{IndexChange, ListingCard, ListingDoc};
use crate::error::SearchError;

/// A listing as catalog reports it, as the change search applies: published
/// listings are indexed; every other status, and a suspended agency's listings,
/// remove the listing.
pub fn change_from_listing(listing: &Listing) -> Result<IndexChange, SearchError> {
    let malformed =
        |reason: &str| SearchError::MalformedListing { listing_id: listing.id.clone(), reason: reason.to_string() };
    let id = Uuid::parse_str(&listing.id).map_err(|_| malformed("id is not a UUID"))?;
    if listing.status != ListingStatus::Published as i32 || listing.agency_suspended {
        return Ok(IndexChange::Remove { id, version: listing.version });
    }
    let agency_id = Uuid::parse_str(&listing.agency_id).map_err(|_| malformed("agency_id is not a UUID"))?;
    let price = listing.price.clone().unwrap_or_default();
    let doc = ListingDoc {
        id,
        version: listing.version,
        agency_id,
        make: listing.make.clone(),
        model: listing.model.clone(),
        year: listing.year,
        trim: listing.trim.clone(),
        description: listing.description.clone(),
        attributes_text: attributes_to_text(&listing.attributes_json),
        price_minor: price.amount_minor,
        currency: if price.currency.is_empty() { "MXN".to_string() } else { price.currency },
        mileage_km: listing.mileage_km,
        // Catalog validates these on write; an unset one just doesn't match enum filters.
        body_type: body_type_from_wire(listing.body_type, "body_type").ok(),
        fuel: fuel_from_wire(listing.fuel, "fuel").ok(),
        transmission: transmission_from_wire(listing.transmission, "transmission").ok(),
        condition: condition_from_wire(listing.condition, "condition").ok(),
        color: listing.color.clone(),
        city: listing.city.clone(),
        promoted_until_unix: listing.promoted_until_unix,
        promotion_rank: listing.promotion_rank,
        published_at_unix: if listing.published_at_unix > 0 {
            listing.published_at_unix
        } else {
            listing.updated_at_unix
        },
        card: public_card(listing),
    };
    Ok(IndexChange::Upsert(doc.normalised()))
}

/// The card a hit carries: the listing as anyone may see it. The view count is
/// private to the agency (catalog blanks it for the public the same way), and
/// would be stale here anyway: views do not move the feed.
pub fn public_card(listing: &Listing) -> ListingCard {
    ListingCard::from_bytes(Listing { view_count: 0, ..listing.clone() }.encode_to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn published() -> Listing {
        Listing {
            id: Uuid::now_v7().to_string(),
            agency_id: Uuid::now_v7().to_string(),
            status: ListingStatus::Published as i32,
            version: 4,
            make: "Mazda".into(),
            ..Listing::default()
        }
    }

    #[test]
    fn a_suspended_agencys_published_listing_is_removed_at_its_version() {
        let listing = Listing { agency_suspended: true, ..published() };
        let change = change_from_listing(&listing).unwrap();
        assert!(matches!(change, IndexChange::Remove { version: 4, .. }), "{change:?}");
        assert!(matches!(change_from_listing(&published()).unwrap(), IndexChange::Upsert(_)));
    }
}
