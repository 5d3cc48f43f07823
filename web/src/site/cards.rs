//! Listing cards from whichever operation fetched them: each operation's
//! fragment is its own generated type, all with the card's fields.

use crate::edge::operations;
use crate::views::components::CardView;

pub use crate::edge::wire_name;

macro_rules! card_from {
    ($($fragment:path),+ $(,)?) => {$(
        impl From<$fragment> for CardView {
            fn from(card: $fragment) -> CardView {
                CardView {
                    promoted: card.promoted_until.is_some(),
                    transmission: wire_name(&card.transmission),
                    fuel: wire_name(&card.fuel),
                    photo: card.photos.into_iter().next(),
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

card_from!(
    operations::search_page::SearchCard,
    operations::similar_cars::SimilarCard,
    operations::favourites::FavouriteCard,
);
