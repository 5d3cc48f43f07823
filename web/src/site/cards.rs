//! Listing cards from whichever operation fetched them: each operation's
//! fragment is its own generated type, all with the card's fields.

use crate::edge::operations;
use crate::views::components::{CardView, PhotoView};

pub use crate::edge::wire_name;

macro_rules! card_from {
    ($($fragment:path),+ $(,)?) => {$(
        impl From<$fragment> for CardView {
            fn from(card: $fragment) -> CardView {
                CardView {
                    promoted: card.promoted_until.is_some(),
                    transmission: wire_name(&card.transmission),
                    fuel: wire_name(&card.fuel),
                    photo: card.cover.map(PhotoView::from).or_else(|| card.photos.into_iter().next().map(PhotoView::bare)),
                    agency_name: card.agency.name,
                    id: card.id,
                    make: card.make,
                    model: card.model,
                    year: card.year,
                    trim: card.trim,
                    price_minor: card.price,
                    currency: card.currency,
                    mileage_km: card.mileage_km,
                    city: card.city,
                }
            }
        }
    )+};
}

/// The `Picture` fragment, generated once per operation document.
macro_rules! picture_from {
    ($($fragment:path),+ $(,)?) => {$(
        impl From<$fragment> for PhotoView {
            fn from(picture: $fragment) -> PhotoView {
                PhotoView {
                    src: picture.src.unwrap_or_default(),
                    srcset_webp: picture.srcset_webp,
                    srcset_jpeg: picture.srcset_jpeg,
                    width: picture.width,
                    height: picture.height,
                }
            }
        }
    )+};
}

picture_from!(
    operations::search_page::Picture,
    operations::similar_cars::Picture,
    operations::favourites::Picture,
    operations::listing_page::Picture,
);

card_from!(
    operations::search_page::SearchCard,
    operations::similar_cars::SimilarCard,
    operations::favourites::FavouriteCard,
);
