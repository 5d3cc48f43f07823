//! sea-orm entities of the catalog's tables (schema in `crate::migration`).

pub mod favourite;
pub mod listing;
pub mod listing_change;
pub mod listing_photo;
pub mod photo_upload;
pub mod price_history;
pub mod saved_search;
