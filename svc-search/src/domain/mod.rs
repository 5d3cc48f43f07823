//! Pure search logic: the indexed document, the query both backends answer, the
//! facets, the page cursor. No tonic, no sea-orm, no backend types.

pub mod card;
pub mod cursor;
pub mod document;
pub mod facets;
pub mod query;

pub use card::ListingCard;
pub use cursor::PageCursor;
pub use document::{IndexChange, ListingDoc};
pub use facets::{Facet, FacetValue, PRICE_BANDS, PriceBand};
pub use query::{IndexHit, IndexPage, IndexQuery, QueryPass};
