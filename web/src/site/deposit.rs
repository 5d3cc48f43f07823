//! A deposit on a car (`payDeposit`): an amount, then Stripe's Payment Element
//! with the PaymentIntent's client secret. Without a publishable key the page
//! says plainly that online payments are not available.

use axum::extract::{Path, State};
use axum::response::Response;
use maud::html;
use nds_common::error::ErrorCode;

use super::cards::wire_name;
use crate::edge::operations;
use crate::error::{PageError, path_id};
use crate::i18n::format;
use crate::names::car_name;
use crate::posted::Posted;
use crate::state::SharedState;
use crate::validate;
use crate::views::components::{NoticeKind, notice, payment_form};
use crate::views::form::{Field, FormErrors, InputKind, csrf_field, form_summary};
use crate::views::{self, Page};
use crate::visitor::Visitor;

/// Deposits the site offers, in pesos.
const MIN_DEPOSIT: i64 = 500;
const MAX_DEPOSIT: i64 = 100_000;
const DEFAULT_DEPOSIT: &str = "5000";

struct Car {
    id: String,
    name: String,
}

async fn car(state: &SharedState, visitor: &Visitor, raw_id: &str) -> Result<Car, PageError> {
    let id = path_id(raw_id)?;
    let variables = operations::deposit_listing::Variables { id };
    let listing = state.edge.run::<operations::DepositListing>(visitor.caller(), variables).await?.listing;
    let listing = listing.filter(|listing| wire_name(&listing.status) == "PUBLISHED").ok_or(PageError::NotFound)?;
    Ok(Car { name: format!("{} {}", car_name(&listing.make, &listing.model), listing.year), id: listing.id })
}

pub async fn deposit_page(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(raw_id): Path<String>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    let car = car(&state, &visitor, &raw_id).await?;
    Ok(amount_form(&state, &visitor, &car, DEFAULT_DEPOSIT, &FormErrors::default()))
}

fn amount_form(state: &SharedState, visitor: &Visitor, car: &Car, amount: &str, errors: &FormErrors) -> Response {
    let text = visitor.text();
    let configured = state.settings.stripe_publishable_key.is_some();
    let content = html! {
        div.form {
            h1 { (text.deposit.title) }
            p { ((text.deposit.intro)(&car.name)) }
            @if !configured {
                (notice(text.deposit.not_configured, NoticeKind::Info))
                p { a href=(format!("/autos/{}#contact", car.id)) { (text.listing.contact_heading) } }
            } @else {
                (form_summary(errors, text.errors.form_has_errors))
                form method="post" action=(format!("/autos/{}/deposit", car.id)) novalidate {
                    (csrf_field(&visitor.csrf))
                    (Field::new("amount", text.deposit.amount, InputKind::Number, amount).hint(text.deposit.amount_hint).max_length(7).render(errors))
                    button type="submit" { (text.deposit.continue_button) }
                }
            }
        }
    };
    let status = if errors.is_empty() { http::StatusCode::OK } else { http::StatusCode::UNPROCESSABLE_ENTITY };
    views::render(state, visitor, Page::new(text.deposit.title.to_string(), content).status(status))
}

#[derive(serde::Deserialize)]
pub struct AmountForm {
    #[serde(default)]
    amount: String,
}

pub async fn start_deposit(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(raw_id): Path<String>,
    Posted(form): Posted<AmountForm>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    let car = car(&state, &visitor, &raw_id).await?;
    let lang = visitor.lang;
    let text = lang.text();
    let mut errors = FormErrors::default();
    let pesos = validate::integer(&mut errors, lang, "amount", &form.amount, MIN_DEPOSIT..=MAX_DEPOSIT);
    let (Some(pesos), Some(key)) = (pesos, state.settings.stripe_publishable_key.clone()) else {
        return Ok(amount_form(&state, &visitor, &car, &form.amount, &errors));
    };
    let variables = operations::pay_deposit::Variables { listing_id: car.id.clone(), amount: pesos * 100 };
    let checkout = match state.edge.run::<operations::PayDeposit>(visitor.caller(), variables).await {
        Ok(response) => response.pay_deposit,
        Err(error) if error.is(ErrorCode::PaymentNotConfigured) => {
            errors.form = Some(text.deposit.not_configured.to_string());
            return Ok(amount_form(&state, &visitor, &car, &form.amount, &errors));
        }
        Err(error) if error.is(ErrorCode::Conflict) => {
            errors.form = Some(text.deposit.agency_cannot_take.to_string());
            return Ok(amount_form(&state, &visitor, &car, &form.amount, &errors));
        }
        Err(error) if error.is(ErrorCode::BadUserInput) => {
            validate::field_errors(&error, lang, &[("amount", "amount")], &mut errors);
            return Ok(amount_form(&state, &visitor, &car, &form.amount, &errors));
        }
        Err(error) => return Err(error.into()),
    };
    let amount = format::money_exact(checkout.amount, &checkout.currency, lang);
    let return_url = format!("{}/autos/{}/deposit/done", state.settings.public_url, car.id);
    let content = html! {
        div.form {
            h1 { ((text.deposit.pay_heading)(&amount)) }
            p { (car.name) }
            (payment_form(&key, &checkout.client_secret, &return_url, text.deposit.needs_javascript, text.deposit.pay_button))
        }
    };
    let mut page = Page::new(text.deposit.title.to_string(), content);
    page.scripts.stripe = true;
    Ok(views::render(&state, &visitor, page))
}

pub async fn deposit_done(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(raw_id): Path<String>,
) -> Result<Response, PageError> {
    let id = path_id(&raw_id)?;
    let text = visitor.text();
    let content = html! {
        section.notice.notice-success role="status" {
            h1 { (text.deposit.done_title) }
            p { (text.deposit.done_body) }
        }
        p { a href=(format!("/autos/{id}")) { "← " (text.listing.back_to_results) } }
    };
    Ok(views::render(&state, &visitor, Page::new(text.deposit.done_title.to_string(), content)))
}
