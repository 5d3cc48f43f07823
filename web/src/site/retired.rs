//! A listing that was public and is no longer (sold or withdrawn) answers
//! 410 Gone, so search engines drop it, and shows the buyer cars like it
//! instead of a dead end. Drafts and unknown ids stay 404.

use axum::response::Response;
use maud::html;

use super::cards::wire_name;
use super::search::search_input;
use super::search_params::SearchParams;
use crate::edge::operations::{self, retired_listing, similar_cars};
use crate::edge::reshape;
use crate::error::PageError;
use crate::names::car_name;
use crate::state::SharedState;
use crate::views::components::{CardView, card_grid};
use crate::views::{self, Page};
use crate::visitor::Visitor;

/// Cars shown in place of the one that is gone.
const SIMILAR_COUNT: i64 = 4;

pub async fn gone_page(state: &SharedState, visitor: &Visitor, id: &str) -> Result<Response, PageError> {
    let variables = retired_listing::Variables { id: id.to_string() };
    let response = state.edge.run::<operations::RetiredListing>(visitor.anonymous_caller(), variables).await?;
    let Some(retired) = response.retired_listing else {
        return Err(PageError::NotFound);
    };
    let similar = similar_cars(state, visitor, &retired).await;
    let lang = visitor.lang;
    let text = lang.text();
    let name = format!("{} {}", car_name(&retired.make, &retired.model), retired.year);
    let why = if wire_name(&retired.status) == "SOLD" { text.listing.gone_sold } else { text.listing.gone_archived };
    let content = html! {
        div.gone {
            h1 { (text.listing.gone_title) }
            p { strong { (name) } " — " (why) }
        }
        @if !similar.is_empty() {
            section aria-labelledby="similar-heading" {
                h2 #similar-heading { (text.listing.similar_heading) }
                (card_grid(&similar, lang, 0))
            }
        }
    };
    let page = Page::new(format!("{name} · {}", text.listing.gone_title), content).status(http::StatusCode::GONE);
    Ok(views::render(state, visitor, page))
}

/// Published cars of the same make and body type; of the same body type when the
/// make has none left. A failure here costs only the suggestions.
async fn similar_cars(
    state: &SharedState,
    visitor: &Visitor,
    retired: &retired_listing::RetiredListingRetiredListing,
) -> Vec<CardView> {
    let body_types = vec![wire_name(&retired.body_type)];
    let same_make =
        SearchParams { makes: vec![retired.make.clone()], body_types: body_types.clone(), ..SearchParams::default() };
    let same_body = SearchParams { body_types, ..SearchParams::default() };
    for params in [same_make, same_body] {
        let Ok(input) = reshape(search_input(&params, SIMILAR_COUNT)) else {
            return Vec::new();
        };
        match state
            .edge
            .run::<operations::SimilarCars>(visitor.anonymous_caller(), similar_cars::Variables { input })
            .await
        {
            Ok(found) => {
                let cards: Vec<CardView> = found
                    .search
                    .results
                    .edges
                    .into_iter()
                    .map(|edge| CardView::from(edge.node))
                    .filter(|card| card.id != retired.id)
                    .collect();
                if !cards.is_empty() {
                    return cards;
                }
            }
            Err(error) => {
                tracing::warn!(error = %error, "similar cars for a retired listing failed");
                return Vec::new();
            }
        }
    }
    Vec::new()
}
