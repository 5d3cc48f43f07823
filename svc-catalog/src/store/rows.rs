//! Database rows ↔ domain values. Stored enums are their contract names; a value
//! that does not parse means the row was written by something else: Corrupt.

use sea_orm::ActiveValue::Set;
use uuid::Uuid;

use super::entities::{listing, listing_change, price_history, saved_search};
use crate::domain::saved_search::SavedSearch;
use crate::domain::vin::Vin;
use crate::domain::{
    ChangeKind, Listing, ListingChange, ListingFields, ListingStatus, Money, Owner, PricePoint, Promotion,
};
use crate::error::CatalogError;

fn parse<T: std::str::FromStr>(column: &str, value: &str) -> Result<T, CatalogError>
where
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|error: T::Err| CatalogError::Corrupt(format!("{column}: {error}")))
}

pub fn listing_from_row(row: listing::Model) -> Result<Listing, CatalogError> {
    let photos: Vec<String> = serde_json::from_value(row.photos)
        .map_err(|error| CatalogError::Corrupt(format!("photos of {}: {error}", row.id)))?;
    let serde_json::Value::Object(attributes) = row.attributes else {
        return Err(CatalogError::Corrupt(format!("attributes of {} are not an object", row.id)));
    };
    let vin =
        row.vin.as_deref().map(Vin::parse).transpose().map_err(|error| CatalogError::Corrupt(error.to_string()))?;
    Ok(Listing {
        id: row.id,
        owner: Owner { agency_id: row.agency_id, group_id: row.group_id },
        status: parse("status", &row.status)?,
        version: row.version,
        fields: ListingFields {
            make: row.make,
            model: row.model,
            year: row.year,
            trim: row.trim,
            vin,
            price: Money { amount_minor: row.price_minor, currency: row.currency },
            mileage_km: row.mileage_km,
            body_type: parse("body_type", &row.body_type)?,
            fuel: parse("fuel", &row.fuel)?,
            transmission: parse("transmission", &row.transmission)?,
            color: row.color,
            condition: parse("condition", &row.condition)?,
            city: row.city,
            state: row.state,
            description: row.description,
            photos,
            attributes,
        },
        promotion: row.promoted_until.map(|until_unix| Promotion { until_unix, rank: row.promotion_rank }),
        created_at_unix: row.created_at,
        updated_at_unix: row.updated_at,
        published_at_unix: row.published_at,
        view_count: row.view_count,
        agency_suspended: row.agency_suspended,
    })
}

/// Every column set, for inserts and for whole-row conditional updates.
pub fn listing_to_row(listing: &Listing) -> listing::ActiveModel {
    let fields = &listing.fields;
    listing::ActiveModel {
        id: Set(listing.id),
        agency_id: Set(listing.owner.agency_id),
        group_id: Set(listing.owner.group_id),
        status: Set(listing.status.as_str().to_string()),
        version: Set(listing.version),
        make: Set(fields.make.clone()),
        model: Set(fields.model.clone()),
        year: Set(fields.year),
        trim: Set(fields.trim.clone()),
        vin: Set(fields.vin.as_ref().map(|vin| vin.as_str().to_string())),
        price_minor: Set(fields.price.amount_minor),
        currency: Set(fields.price.currency.clone()),
        mileage_km: Set(fields.mileage_km),
        body_type: Set(fields.body_type.as_str().to_string()),
        fuel: Set(fields.fuel.as_str().to_string()),
        transmission: Set(fields.transmission.as_str().to_string()),
        color: Set(fields.color.clone()),
        condition: Set(fields.condition.as_str().to_string()),
        city: Set(fields.city.clone()),
        state: Set(fields.state.clone()),
        description: Set(fields.description.clone()),
        photos: Set(serde_json::Value::from(fields.photos.clone())),
        attributes: Set(serde_json::Value::Object(fields.attributes.clone())),
        promoted_until: Set(listing.promotion.as_ref().map(|promotion| promotion.until_unix)),
        promotion_rank: Set(listing.promotion.as_ref().map_or(0, |promotion| promotion.rank)),
        created_at: Set(listing.created_at_unix),
        updated_at: Set(listing.updated_at_unix),
        published_at: Set(listing.published_at_unix),
        view_count: Set(listing.view_count),
        agency_suspended: Set(listing.agency_suspended),
    }
}

pub fn change_from_row(row: listing_change::Model) -> Result<ListingChange, CatalogError> {
    let listing: Listing = serde_json::from_str(&row.snapshot)
        .map_err(|error| CatalogError::Corrupt(format!("snapshot of change {}: {error}", row.sequence)))?;
    Ok(ListingChange {
        sequence: row.sequence,
        kind: parse::<ChangeKind>("kind", &row.kind)?,
        listing,
        changed_at_unix: row.changed_at,
        traceparent: row.traceparent,
    })
}

pub fn price_point_from_row(row: price_history::Model) -> PricePoint {
    PricePoint {
        price: Money { amount_minor: row.amount_minor, currency: row.currency },
        changed_at_unix: row.changed_at,
    }
}

pub fn price_point_row(listing_id: Uuid, price: &Money, now: i64) -> price_history::ActiveModel {
    price_history::ActiveModel {
        id: Set(Uuid::now_v7()),
        listing_id: Set(listing_id),
        amount_minor: Set(price.amount_minor),
        currency: Set(price.currency.clone()),
        changed_at: Set(now),
    }
}

pub fn saved_search_from_row(row: saved_search::Model) -> Result<SavedSearch, CatalogError> {
    let filters = serde_json::from_str(&row.filters)
        .map_err(|error| CatalogError::Corrupt(format!("filters of saved search {}: {error}", row.id)))?;
    Ok(SavedSearch {
        id: row.id,
        user_id: row.user_id,
        name: row.name,
        text: row.text,
        filters,
        created_at_unix: row.created_at,
    })
}

pub fn status_names(statuses: &[ListingStatus]) -> Vec<String> {
    statuses.iter().map(|status| status.as_str().to_string()).collect()
}
