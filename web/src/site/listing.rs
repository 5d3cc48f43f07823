//! A listing's page: photos, price, kilometres, specifications, the agency, a
//! favourite button, a message to the agency, and what search engines read
//! (title, description, canonical URL, Open Graph, schema.org `Car` + `Offer`).
//! Each view is recorded through `recordListingView`.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, PreEscaped, html};
use serde_json::json;

use super::cards::wire_name;
use crate::edge::operations::{self, listing_page};
use crate::error::{PageError, path_id};
use crate::i18n::{Lang, VocabText, format};
use crate::names::car_name;
use crate::posted::Posted;
use crate::state::SharedState;
use crate::validate;
use crate::views::components::{GALLERY_SIZES, HEART, PhotoView, icon, listing_path, price, responsive_photo};
use crate::views::form::{FormErrors, csrf_field};
use crate::views::{self, Page};
use crate::visitor::Visitor;

/// Only UUIDs are listing ids: anything else is 404 without asking the edge.
pub async fn listing_page(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(raw_id): Path<String>,
) -> Result<Response, PageError> {
    let id = path_id(&raw_id)?;
    render_listing(&state, &visitor, &id, &FormErrors::default(), None).await
}

/// The page, with the contact form's errors and text when a message was refused.
pub async fn render_listing(
    state: &SharedState,
    visitor: &Visitor,
    id: &str,
    errors: &FormErrors,
    typed_message: Option<&str>,
) -> Result<Response, PageError> {
    let variables = listing_page::Variables { id: id.to_string() };
    let (listing, favourite) = tokio::join!(
        state.edge.run::<operations::ListingPage>(visitor.caller(), variables),
        is_favourite(state, visitor, id),
    );
    let Some(listing) = listing?.listing.filter(|listing| wire_name(&listing.status) == "PUBLISHED") else {
        // Staff may open their drafts and sold cars through the API; here a car that
        // was sold or withdrawn is gone (410, with cars like it), anything else unknown.
        return super::retired::gone_page(state, visitor, id).await;
    };
    record_view(state, visitor, id);
    let lang = visitor.lang;
    let text = lang.text();
    let name = car_name(&listing.make, &listing.model);
    let title = (text.listing.title)(&name, listing.year, &listing.city);
    let price_text = format::price(listing.price, &listing.currency, lang);
    let description = (text.listing.description)(
        &name,
        listing.year,
        &price_text,
        &format::kilometres(listing.mileage_km),
        &listing.city,
    );
    let canonical = format!("{}{}", state.settings.public_url, listing_path(&listing.id));
    let head = seo_head(&listing, &name, &title, &description, &canonical, lang);
    let content = listing_body(visitor, &listing, &name, favourite, errors, typed_message);
    let mut page = Page::new(title, content).describe(description, canonical);
    page.head = Some(head);
    Ok(views::render(state, visitor, page))
}

/// Fire and forget: a page is not slower because the view counter is.
fn record_view(state: &SharedState, visitor: &Visitor, id: &str) {
    let edge = state.edge.clone();
    let address = visitor.address;
    let token = visitor.session.as_ref().map(|session| session.data.access_token.clone());
    let id = id.to_string();
    tokio::spawn(async move {
        let caller = crate::edge::Caller { token: token.as_deref(), address };
        let variables = operations::record_listing_view::Variables { id };
        if let Err(error) = edge.run::<operations::RecordListingView>(caller, variables).await {
            tracing::debug!(error = %error, "listing view not recorded");
        }
    });
}

async fn is_favourite(state: &SharedState, visitor: &Visitor, id: &str) -> bool {
    if !visitor.signed_in() {
        return false;
    }
    match state.edge.run::<operations::FavouriteIds>(visitor.caller(), operations::favourite_ids::Variables {}).await {
        Ok(response) => response.favourites.edges.iter().any(|edge| edge.node.id == id),
        Err(_) => false,
    }
}

fn seo_head(
    listing: &listing_page::ListingPageListing,
    name: &str,
    title: &str,
    description: &str,
    canonical: &str,
    lang: Lang,
) -> Markup {
    let mut car = json!({
        "@context": "https://schema.org",
        "@type": "Car",
        "name": format!("{name} {}", listing.year),
        "brand": { "@type": "Brand", "name": crate::names::display_name(&listing.make) },
        "model": crate::names::display_name(&listing.model),
        "vehicleModelDate": listing.year.to_string(),
        "mileageFromOdometer": { "@type": "QuantitativeValue", "value": listing.mileage_km, "unitCode": "KMT" },
        "vehicleTransmission": wire_name(&listing.transmission),
        "fuelType": wire_name(&listing.fuel),
        "bodyType": wire_name(&listing.body_type),
        "color": listing.color,
        "itemCondition": match wire_name(&listing.condition).as_str() {
            "NEW" => "https://schema.org/NewCondition",
            _ => "https://schema.org/UsedCondition",
        },
        "url": canonical,
        "description": description,
        "offers": {
            "@type": "Offer",
            "price": listing.price / 100,
            "priceCurrency": listing.currency,
            "availability": "https://schema.org/InStock",
            "url": canonical,
            "seller": { "@type": "AutoDealer", "name": listing.agency.name },
        },
    });
    if let Some(vin) = listing.vin.as_deref().filter(|vin| !vin.is_empty()) {
        car["vehicleIdentificationNumber"] = json!(vin);
    }
    let images: Vec<String> = page_photos(listing).into_iter().map(|photo| photo.src).collect();
    if !images.is_empty() {
        car["image"] = json!(images);
    }
    // `</` cannot appear inside the script element.
    let json_ld = car.to_string().replace("</", "<\\/");
    html! {
        meta property="og:type" content="product";
        meta property="og:title" content=(title);
        meta property="og:description" content=(description);
        meta property="og:url" content=(canonical);
        meta property="og:locale" content=(if lang == Lang::Es { "es_MX" } else { "en_US" });
        @if let Some(photo) = images.first() { meta property="og:image" content=(photo); }
        script type="application/ld+json" { (PreEscaped(json_ld)) }
    }
}

/// The photos the page shows: the processed gallery (ready ones, in the dealer's
/// order), or the URLs an integration sent while none is processed yet.
fn page_photos(listing: &listing_page::ListingPageListing) -> Vec<PhotoView> {
    let ready: Vec<PhotoView> = listing
        .gallery
        .iter()
        .filter(|photo| matches!(photo.status, listing_page::PhotoStatus::READY))
        .map(|photo| PhotoView::from(photo.picture.clone()))
        .collect();
    if !ready.is_empty() {
        return ready;
    }
    listing.photos.iter().cloned().map(PhotoView::bare).collect()
}

fn listing_body(
    visitor: &Visitor,
    listing: &listing_page::ListingPageListing,
    name: &str,
    favourite: bool,
    errors: &FormErrors,
    typed_message: Option<&str>,
) -> Markup {
    let lang = visitor.lang;
    let text = lang.text();
    let vocab = &text.vocab;
    let path = listing_path(&listing.id);
    let default_message = (text.listing.contact_default)(&format!("{name} {}", listing.year));
    let photos = page_photos(listing);
    html! {
        p { a href="/" { "← " (text.listing.back_to_results) } }
        div.listing {
            div.listing-top {
                h1 { (name) " " (listing.year) @if let Some(trim) = listing.trim.as_deref().filter(|trim| !trim.is_empty()) { " " span.small { (trim) } } }
                div.gallery {
                    @if photos.is_empty() {
                        div.empty { (text.listing.no_photos) }
                    }
                    @for (index, photo) in photos.iter().enumerate() {
                        (responsive_photo(photo, &(text.listing.photo_alt)(name, index + 1), GALLERY_SIZES, index == 0))
                    }
                }
            }
            aside.listing-side {
                section.panel-box {
                    p { (price(listing.price, &listing.currency, lang)) }
                    @if let Some(until) = &listing.promoted_until {
                        p.small { span.badge { (text.search.promoted_label) } " " (( text.listing.promoted_until)(&format::api_date(Some(until), lang))) }
                    }
                    p.small { (format::kilometres(listing.mileage_km)) " · " (listing.city) }
                    div.actions {
                        form method="post" action=(format!("{path}/favourite")) {
                            (csrf_field(&visitor.csrf))
                            input type="hidden" name="action" value=(if favourite { "remove" } else { "add" });
                            button.favourite.secondary type="submit" aria-pressed=(if favourite { "true" } else { "false" }) {
                                (icon(HEART)) (if favourite { text.listing.remove_favourite } else { text.listing.add_favourite })
                            }
                        }
                        a.button.secondary href=(format!("{path}/deposit")) { (text.listing.deposit_link) }
                    }
                }
                section.panel-box {
                    h2 { (text.listing.seller) }
                    p { strong { (listing.agency.name) } br; (listing.agency.city) ", " (listing.agency.state) }
                }
                section.panel-box #contact {
                    h2 { (text.listing.contact_heading) }
                    form method="post" action=(format!("{path}/contact")) novalidate {
                        (csrf_field(&visitor.csrf))
                        @let message = typed_message.unwrap_or(&default_message);
                        (crate::views::form::Field::new("message", text.fields.message, crate::views::form::InputKind::TextArea, message).max_length(validate::MAX_MESSAGE).render(errors))
                        button type="submit" { (if visitor.signed_in() { text.listing.contact_send } else { text.listing.contact_sign_in }) }
                    }
                }
            }
            div.listing-details {
                @if let Some(description) = listing.description.as_deref().filter(|text| !text.is_empty()) {
                    section.panel-box {
                        h2 { (text.listing.description_heading) }
                        p.prewrap { (description) }
                    }
                }
                section.panel-box {
                    h2 { (text.listing.specifications) }
                    dl.specs {
                        dt { (text.listing.year) } dd { (listing.year) }
                        dt { (text.listing.mileage) } dd { (format::kilometres(listing.mileage_km)) }
                        dt { (text.listing.transmission) } dd { (VocabText::label(vocab.transmissions, &wire_name(&listing.transmission))) }
                        dt { (text.listing.fuel) } dd { (VocabText::label(vocab.fuels, &wire_name(&listing.fuel))) }
                        dt { (text.listing.body_type) } dd { (VocabText::label(vocab.body_types, &wire_name(&listing.body_type))) }
                        dt { (text.listing.color) } dd { (VocabText::label(vocab.colors, &listing.color)) }
                        dt { (text.listing.condition) } dd { (VocabText::label(vocab.conditions, &wire_name(&listing.condition))) }
                        @if let Some(vin) = listing.vin.as_deref().filter(|vin| !vin.is_empty()) { dt { (text.listing.vin) } dd { (vin) } }
                        dt { (text.listing.location) } dd { (listing.city) @if let Some(state) = &listing.state { ", " (state) } }
                        dt { (text.listing.published) } dd { (format::api_date(Some(&listing.created_at), lang)) }
                    }
                }
            }
        }
    }
}

#[derive(serde::Deserialize)]
pub struct FavouriteForm {
    action: String,
}

pub async fn toggle_favourite(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(raw_id): Path<String>,
    Posted(form): Posted<FavouriteForm>,
) -> Result<Response, PageError> {
    let id = path_id(&raw_id)?;
    let path = listing_path(&id);
    if visitor.session.is_none() {
        return Err(PageError::SignInRequired(path));
    }
    let caller = visitor.caller();
    let result = match form.action.as_str() {
        "remove" => state
            .edge
            .run::<operations::RemoveFavourite>(caller, operations::remove_favourite::Variables { listing_id: id })
            .await
            .map(|_| ()),
        _ => state
            .edge
            .run::<operations::AddFavourite>(caller, operations::add_favourite::Variables { listing_id: id })
            .await
            .map(|_| ()),
    };
    result?;
    Ok(Redirect::to(&path).into_response())
}
