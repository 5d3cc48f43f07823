//! Pure catalog logic: listings and their validation, the lifecycle, who may do
//! what, saved-search rules and cursors. No transport or storage types here.

pub mod access;
pub mod inventory_order;
pub mod inventory_search;
pub mod lifecycle;
pub mod listing;
pub mod paging;
pub mod photos;
pub mod saved_search;
pub mod sitemap;
pub mod validation;
pub mod vin;

pub use listing::{
    ChangeKind, Listing, ListingChange, ListingFields, ListingStatus, Money, Owner, PricePoint, Promotion,
};
