//! Wire (protobuf) ↔ domain conversions, and the first line of input checks:
//! ids that are not UUIDs and enum values outside the contract are rejected here
//! with the offending field named.

use nds_common::vehicle;
use nds_proto::catalog::v1 as wire;
use nds_proto::common::v1 as common;
use uuid::Uuid;

use crate::domain::paging::{Page, PageOf, page};
use crate::domain::photos::PhotoFormat;
use crate::domain::photos::gallery::{Photo, PhotoStatus};
use crate::domain::saved_search::SavedSearch;
use crate::domain::sitemap::{SitemapPage, sitemap_page};
use crate::domain::validation::{ListingInput, ListingPatch};
use crate::domain::{ChangeKind, Listing, ListingChange, ListingStatus, Money, PricePoint};
use crate::error::CatalogError;
use crate::service::photos::{ListingGallery, UploadReservation};

/// Ids from callers are parsed by the one parser every service uses.
pub fn parse_id(raw: &str, field: &'static str) -> Result<Uuid, CatalogError> {
    Ok(nds_common::convert::parse_id(raw, field)?)
}

pub fn parse_optional_id(raw: &str, field: &'static str) -> Result<Option<Uuid>, CatalogError> {
    if raw.trim().is_empty() { Ok(None) } else { parse_id(raw, field).map(Some) }
}

/// Maps one vocabulary enum between the wire (`BODY_TYPE_SUV`) and the domain
/// (`SUV`) by name, so the two can never drift apart silently.
macro_rules! vocabulary_conversion {
    ($from_wire:ident, $to_wire:ident, $wire:ty, $domain:ty, $prefix:literal) => {
        /// `Ok(None)` for UNSPECIFIED; an error for numbers outside the enum.
        pub fn $from_wire(value: i32, field: &'static str) -> Result<Option<$domain>, CatalogError> {
            let unknown = || CatalogError::invalid(field, format!("unknown {field} value {value}"));
            let wire_value = <$wire>::try_from(value).map_err(|_| unknown())?;
            let name = wire_value.as_str_name().strip_prefix($prefix).ok_or_else(unknown)?;
            if name == "UNSPECIFIED" {
                return Ok(None);
            }
            name.parse::<$domain>().map(Some).map_err(|_| unknown())
        }

        pub fn $to_wire(value: $domain) -> i32 {
            <$wire>::from_str_name(&format!("{}{}", $prefix, value.as_str())).map_or(0, |wire_value| wire_value as i32)
        }
    };
}

vocabulary_conversion!(body_type_from_wire, body_type_to_wire, common::BodyType, vehicle::BodyType, "BODY_TYPE_");
vocabulary_conversion!(fuel_from_wire, fuel_to_wire, common::Fuel, vehicle::Fuel, "FUEL_");
vocabulary_conversion!(
    transmission_from_wire,
    transmission_to_wire,
    common::Transmission,
    vehicle::Transmission,
    "TRANSMISSION_"
);
vocabulary_conversion!(condition_from_wire, condition_to_wire, common::Condition, vehicle::Condition, "CONDITION_");
vocabulary_conversion!(status_from_wire, status_to_wire, wire::ListingStatus, ListingStatus, "LISTING_STATUS_");

fn money_from_wire(money: Option<common::Money>) -> Option<Money> {
    money.map(|money| Money { amount_minor: money.amount_minor, currency: money.currency })
}

fn money_to_wire(money: &Money) -> common::Money {
    common::Money { amount_minor: money.amount_minor, currency: money.currency.clone() }
}

pub fn listing_input_from_wire(input: wire::ListingInput) -> Result<ListingInput, CatalogError> {
    Ok(ListingInput {
        body_type: body_type_from_wire(input.body_type, "bodyType")?,
        fuel: fuel_from_wire(input.fuel, "fuel")?,
        transmission: transmission_from_wire(input.transmission, "transmission")?,
        condition: condition_from_wire(input.condition, "condition")?,
        make: input.make,
        model: input.model,
        year: input.year,
        trim: input.trim,
        vin: input.vin,
        price: money_from_wire(input.price),
        mileage_km: input.mileage_km,
        color: input.color,
        city: input.city,
        state: input.state,
        description: input.description,
        photos: input.photos,
        attributes_json: input.attributes_json,
    })
}

pub fn listing_patch_from_wire(patch: wire::ListingPatch) -> Result<ListingPatch, CatalogError> {
    Ok(ListingPatch {
        body_type: body_type_from_wire(patch.body_type, "bodyType")?,
        fuel: fuel_from_wire(patch.fuel, "fuel")?,
        transmission: transmission_from_wire(patch.transmission, "transmission")?,
        condition: condition_from_wire(patch.condition, "condition")?,
        photos: patch.replace_photos.then_some(patch.photos),
        make: patch.make,
        model: patch.model,
        year: patch.year,
        trim: patch.trim,
        vin: patch.vin,
        price: money_from_wire(patch.price),
        mileage_km: patch.mileage_km,
        color: patch.color,
        city: patch.city,
        state: patch.state,
        description: patch.description,
        attributes_json: patch.attributes_json,
    })
}

pub fn listing_to_wire(listing: &Listing) -> wire::Listing {
    let fields = &listing.fields;
    wire::Listing {
        id: listing.id.to_string(),
        agency_id: listing.owner.agency_id.to_string(),
        group_id: listing.owner.group_id.to_string(),
        status: status_to_wire(listing.status),
        version: listing.version,
        make: fields.make.clone(),
        model: fields.model.clone(),
        year: fields.year,
        trim: fields.trim.clone().unwrap_or_default(),
        vin: fields.vin.as_ref().map(|vin| vin.as_str().to_string()).unwrap_or_default(),
        price: Some(money_to_wire(&fields.price)),
        mileage_km: fields.mileage_km,
        body_type: body_type_to_wire(fields.body_type),
        fuel: fuel_to_wire(fields.fuel),
        transmission: transmission_to_wire(fields.transmission),
        color: fields.color.clone(),
        condition: condition_to_wire(fields.condition),
        city: fields.city.clone(),
        state: fields.state.clone().unwrap_or_default(),
        description: fields.description.clone().unwrap_or_default(),
        photos: fields.photos.clone(),
        attributes_json: serde_json::Value::Object(fields.attributes.clone()).to_string(),
        promoted_until_unix: listing.promotion.as_ref().map(|promotion| promotion.until_unix),
        promotion_rank: listing.promotion.as_ref().map_or(0, |promotion| promotion.rank),
        created_at_unix: listing.created_at_unix,
        updated_at_unix: listing.updated_at_unix,
        published_at_unix: listing.published_at_unix.unwrap_or(0),
        view_count: u64::try_from(listing.view_count).unwrap_or(0),
        agency_suspended: listing.agency_suspended,
    }
}

/// Only what the listing's card showed everyone while it was on sale.
pub fn retired_listing_to_wire(listing: &Listing) -> wire::RetiredListing {
    let fields = &listing.fields;
    wire::RetiredListing {
        id: listing.id.to_string(),
        agency_id: listing.owner.agency_id.to_string(),
        status: status_to_wire(listing.status),
        make: fields.make.clone(),
        model: fields.model.clone(),
        year: fields.year,
        body_type: body_type_to_wire(fields.body_type),
        price: Some(money_to_wire(&fields.price)),
    }
}

pub fn sitemap_page_from_wire(request: &wire::ListSitemapRequest) -> Result<Page, CatalogError> {
    Ok(sitemap_page(request.first, &request.after)?)
}

pub fn sitemap_page_to_wire(page: SitemapPage) -> wire::ListSitemapResponse {
    wire::ListSitemapResponse {
        entries: page
            .entries
            .iter()
            .map(|entry| wire::SitemapEntry { id: entry.id.to_string(), updated_at_unix: entry.updated_at_unix })
            .collect(),
        has_next_page: page.has_next_page,
        end_cursor: page.end_cursor.unwrap_or_default(),
        total_count: page.total_count,
    }
}

pub fn change_kind_to_wire(kind: ChangeKind) -> i32 {
    let wire_kind = match kind {
        ChangeKind::Created => wire::ChangeKind::Created,
        ChangeKind::Updated => wire::ChangeKind::Updated,
        ChangeKind::StatusChanged => wire::ChangeKind::StatusChanged,
        ChangeKind::PromotionChanged => wire::ChangeKind::PromotionChanged,
    };
    wire_kind as i32
}

pub fn change_to_wire(change: &ListingChange) -> wire::ListingChange {
    wire::ListingChange {
        sequence: change.sequence,
        kind: change_kind_to_wire(change.kind),
        listing: Some(listing_to_wire(&change.listing)),
        changed_at_unix: change.changed_at_unix,
        traceparent: change.traceparent.clone().unwrap_or_default(),
    }
}

pub fn page_from_wire(request: Option<common::PageRequest>) -> Result<Page, CatalogError> {
    let request = request.unwrap_or_default();
    Ok(page(request.first, &request.after)?)
}

pub fn listings_page_to_wire(page: PageOf<Listing>) -> wire::ListListingsResponse {
    wire::ListListingsResponse {
        listings: page.items.iter().map(listing_to_wire).collect(),
        page_info: Some(common::PageInfo {
            has_next_page: page.has_next_page,
            end_cursor: page.end_cursor.unwrap_or_default(),
            total_count: page.total_count,
        }),
    }
}

pub fn price_point_to_wire(point: &PricePoint) -> wire::PricePoint {
    wire::PricePoint { price: Some(money_to_wire(&point.price)), changed_at_unix: point.changed_at_unix }
}

/// Saved-search filters use the conversion every service shares.
pub fn search_filters_from_wire(filters: common::SearchFilters) -> Result<vehicle::SearchFilters, CatalogError> {
    nds_common::convert::filters_from_wire(&filters).map_err(|error| CatalogError::invalid("filters", error.message))
}

pub fn search_filters_to_wire(filters: &vehicle::SearchFilters) -> common::SearchFilters {
    nds_common::convert::filters_to_wire(filters)
}

pub fn saved_search_to_wire(search: &SavedSearch) -> wire::SavedSearch {
    wire::SavedSearch {
        id: search.id.to_string(),
        name: search.name.clone(),
        text: search.text.clone(),
        filters: Some(search_filters_to_wire(&search.filters)),
        created_at_unix: search.created_at_unix,
    }
}

fn photo_status_to_wire(status: PhotoStatus) -> i32 {
    match status {
        PhotoStatus::Processing => wire::PhotoStatus::Processing as i32,
        PhotoStatus::Ready => wire::PhotoStatus::Ready as i32,
        PhotoStatus::Failed => wire::PhotoStatus::Failed as i32,
    }
}

fn photo_to_wire(photo: &Photo, cover: bool) -> wire::ListingPhoto {
    let failure = photo.failure.clone().unwrap_or_default();
    wire::ListingPhoto {
        id: photo.id.to_string(),
        listing_id: photo.listing_id.to_string(),
        position: photo.position,
        cover,
        status: photo_status_to_wire(photo.status),
        failure_code: failure.code,
        failure_reason: failure.reason,
        width: photo.width,
        height: photo.height,
        placeholder: photo.placeholder.clone(),
        variants: photo
            .variants
            .iter()
            .map(|variant| wire::PhotoVariant {
                width: variant.width,
                height: variant.height,
                format: variant.format.as_str().to_string(),
                path: variant.key.clone(),
                bytes: variant.bytes,
            })
            .collect(),
    }
}

/// The cover is the first ready photo in the order.
pub fn gallery_to_wire(gallery: &ListingGallery) -> wire::ListingPhotos {
    let cover = gallery.photos.iter().find(|photo| photo.status == PhotoStatus::Ready).map(|photo| photo.id);
    wire::ListingPhotos {
        listing_id: gallery.listing_id.to_string(),
        photos: gallery.photos.iter().map(|photo| photo_to_wire(photo, Some(photo.id) == cover)).collect(),
    }
}

pub fn upload_reservation_to_wire(reservation: UploadReservation) -> wire::ReservePhotoUploadsResponse {
    wire::ReservePhotoUploadsResponse {
        uploads: reservation
            .uploads
            .into_iter()
            .map(|upload| wire::PhotoUpload {
                path: format!("uploads/{}", upload.token),
                token: upload.token,
                expires_at_unix: upload.expires_at_unix,
            })
            .collect(),
        max_bytes: reservation.max_bytes as u64,
        accepted_types: PhotoFormat::ALL.iter().map(|format| format.mime().to_string()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sitemap::SitemapEntry;

    #[test]
    fn every_vocabulary_value_round_trips_through_the_wire() {
        for value in vehicle::BodyType::ALL {
            assert_eq!(body_type_from_wire(body_type_to_wire(*value), "bodyType").unwrap(), Some(*value));
        }
        for value in vehicle::Fuel::ALL {
            assert_eq!(fuel_from_wire(fuel_to_wire(*value), "fuel").unwrap(), Some(*value));
        }
        for value in vehicle::Transmission::ALL {
            assert_eq!(transmission_from_wire(transmission_to_wire(*value), "t").unwrap(), Some(*value));
        }
        for value in vehicle::Condition::ALL {
            assert_eq!(condition_from_wire(condition_to_wire(*value), "c").unwrap(), Some(*value));
        }
        for value in ListingStatus::ALL {
            assert_eq!(status_from_wire(status_to_wire(value), "status").unwrap(), Some(value));
        }
    }

    #[test]
    fn a_full_sitemap_page_fits_in_one_grpc_message() {
        use nds_proto::prost::Message;
        // The largest an entry can be: a UUID and a ten-byte varint.
        let entry = SitemapEntry { id: Uuid::max(), updated_at_unix: i64::MAX };
        let page = SitemapPage {
            entries: vec![entry; crate::domain::sitemap::MAX_SITEMAP_PAGE as usize],
            has_next_page: true,
            end_cursor: Some(crate::domain::paging::encode_cursor(Uuid::max())),
            total_count: Some(u64::MAX),
        };
        // tonic's default limit on a decoded message, which the edge's clients keep.
        const TONIC_MAX_DECODING_BYTES: usize = 4 * 1024 * 1024;
        assert!(sitemap_page_to_wire(page).encoded_len() < TONIC_MAX_DECODING_BYTES);
    }

    #[test]
    fn unspecified_is_none_and_unknown_numbers_name_the_field() {
        assert_eq!(body_type_from_wire(0, "bodyType").unwrap(), None);
        let error = body_type_from_wire(99, "bodyType").unwrap_err();
        assert!(matches!(error, CatalogError::InvalidInput { field: "bodyType", .. }));
        assert!(fuel_from_wire(-1, "fuel").is_err());
    }
}
