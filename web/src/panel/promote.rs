//! Promoting one of the agency's cars (`promoteListing`): a page that says what a
//! promotion is, a POST that asks billing for a PaymentIntent, then Stripe's
//! Payment Element with its client secret. Stripe's webhook, not this page, makes
//! the car promoted; the editor then shows "promoted until …".

use axum::extract::{Path, State};
use axum::response::Response;
use maud::html;
use nds_common::error::ErrorCode;

use super::inventory::edit_path;
use crate::edge::operations::{self, panel_promote, panel_promote_listing};
use crate::edge::wire_name;
use crate::error::PageError;
use crate::i18n::format;
use crate::names::car_name;
use crate::posted::{NoFields, Posted};
use crate::state::SharedState;
use crate::views::components::{NoticeKind, notice, payment_form};
use crate::views::form::csrf_field;
use crate::views::{self, Page};
use crate::visitor::Visitor;

pub fn promote_path(id: &str) -> String {
    format!("/listings/{id}/promote")
}

struct Car {
    id: String,
    name: String,
    published: bool,
}

/// One of the person's agencies' cars (`require_works_on`), as in the editor.
async fn car(state: &SharedState, visitor: &Visitor, id: &str) -> Result<Car, PageError> {
    visitor.require_session()?;
    let variables = panel_promote_listing::Variables { id: id.to_string() };
    let listing = state.edge.run::<operations::PanelPromoteListing>(visitor.caller(), variables).await?.listing;
    let listing = listing.ok_or(PageError::NotFound)?;
    super::require_works_on(visitor, &listing.agency.id, &listing.agency.group_id)?;
    Ok(Car {
        name: format!("{} {}", car_name(&listing.make, &listing.model), listing.year),
        published: wire_name(&listing.status) == "PUBLISHED",
        id: listing.id,
    })
}

pub async fn promote_page(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let car = car(&state, &visitor, &id).await?;
    Ok(intro(&state, &visitor, &car, None))
}

fn intro(state: &SharedState, visitor: &Visitor, car: &Car, refusal: Option<&str>) -> Response {
    let text = &visitor.text().panel.billing.promote;
    let configured = state.settings.stripe_publishable_key.is_some();
    let content = html! {
        div.form {
            h1 { ((text.title)(&car.name)) }
            p { (text.intro) }
            @if let Some(refusal) = refusal { (notice(refusal, NoticeKind::Error)) }
            @if !configured {
                (notice(visitor.text().panel.billing.not_configured, NoticeKind::Info))
            } @else if !car.published {
                (notice(text.only_published, NoticeKind::Info))
            } @else {
                form method="post" action=(promote_path(&car.id)) {
                    (csrf_field(&visitor.csrf))
                    button type="submit" { (text.continue_button) }
                }
            }
            p { a href=(edit_path(&car.id)) { "← " (text.back_to_car) } }
        }
    };
    let status = if refusal.is_some() { http::StatusCode::CONFLICT } else { http::StatusCode::OK };
    let mut page = Page::new((text.title)(&car.name), content).status(status);
    page.header_search = false;
    views::render(state, visitor, page)
}

/// Asks billing for the PaymentIntent and shows the Payment Element for it.
pub async fn start_payment(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Posted(_): Posted<NoFields>,
) -> Result<Response, PageError> {
    let car = car(&state, &visitor, &id).await?;
    let text = &visitor.text().panel.billing.promote;
    let Some(key) = state.settings.stripe_publishable_key.clone() else {
        return Ok(intro(&state, &visitor, &car, None));
    };
    let variables = panel_promote::Variables { id: car.id.clone() };
    let checkout = match state.edge.run::<operations::PanelPromote>(visitor.caller(), variables).await {
        Ok(response) => response.promote_listing,
        Err(error) if error.is(ErrorCode::PaymentNotConfigured) => {
            return Ok(intro(&state, &visitor, &car, Some(visitor.text().panel.billing.not_configured)));
        }
        Err(error) if error.is(ErrorCode::BadUserInput) => {
            return Ok(intro(&state, &visitor, &car, Some(text.only_published)));
        }
        Err(error) => return Err(error.into()),
    };
    let amount = format::money_exact(checkout.amount, &checkout.currency, visitor.lang);
    let return_url = format!("{}{}/done", state.settings.panel_url, promote_path(&car.id));
    let content = html! {
        div.form {
            h1 { ((text.pay_heading)(&amount)) }
            p { ((text.title)(&car.name)) }
            (payment_form(&key, &checkout.client_secret, &return_url, text.needs_javascript, text.pay_button))
        }
    };
    let mut page = Page::new((text.title)(&car.name), content);
    page.scripts.stripe = true;
    page.header_search = false;
    Ok(views::render(&state, &visitor, page))
}

/// Where Stripe sends the person after paying: the promotion starts with the webhook.
pub async fn payment_done(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let car = car(&state, &visitor, &id).await?;
    let text = &visitor.text().panel.billing.promote;
    let content = html! {
        section.notice.notice-success role="status" {
            h1 { (text.done_title) }
            p { (text.done_body) }
        }
        p { a href=(edit_path(&car.id)) { "← " (text.back_to_car) } }
    };
    let mut page = Page::new(text.done_title.to_string(), content);
    page.header_search = false;
    Ok(views::render(&state, &visitor, page))
}
