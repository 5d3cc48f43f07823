//! The pieces every page is made of. A second copy of any of these is a defect:
//! change it here and every page follows.

use maud::{Markup, PreEscaped, html};

use crate::i18n::{Lang, VocabText, format};
use crate::names::car_name;

/// The logo, inline (no request, no icon font).
pub const LOGO: &str = r#"<svg aria-hidden="true" width="28" height="28" viewBox="0 0 24 24"><path fill="currentColor" d="M5 11l1.5-4.5A2 2 0 0 1 8.4 5h7.2a2 2 0 0 1 1.9 1.5L19 11a2 2 0 0 1 2 2v4a1 1 0 0 1-1 1h-1a2 2 0 0 1-4 0H9a2 2 0 0 1-4 0H4a1 1 0 0 1-1-1v-4a2 2 0 0 1 2-2zm2.1 0h9.8l-1.2-3.7a.5.5 0 0 0-.5-.3H8.8a.5.5 0 0 0-.5.3L7.1 11zM7 15.5a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zm10 0a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3z"/></svg>"#;

pub const HEART: &str = r#"<svg aria-hidden="true" width="20" height="20" viewBox="0 0 24 24"><path fill="currentColor" d="M12 21s-7.5-4.6-9.6-9.3C.9 8.2 3 4.5 6.7 4.5c2.1 0 3.6 1.1 4.4 2.4h1.8c.8-1.3 2.3-2.4 4.4-2.4 3.7 0 5.8 3.7 4.3 7.2C19.5 16.4 12 21 12 21z"/></svg>"#;

/// What a listing card shows, whichever operation fetched it.
#[derive(Clone, Debug, PartialEq)]
pub struct CardView {
    pub id: String,
    pub make: String,
    pub model: String,
    pub year: i64,
    pub trim: Option<String>,
    pub price_minor: i64,
    pub currency: String,
    pub mileage_km: i64,
    pub transmission: String,
    pub fuel: String,
    pub city: String,
    pub photo: Option<PhotoView>,
    pub promoted: bool,
    pub agency_name: String,
}

/// A photo as a page draws it: processed sizes a browser picks from (WebP where it
/// can, JPEG otherwise), or a bare URL an integration sent that is not processed yet.
#[derive(Clone, Debug, PartialEq)]
pub struct PhotoView {
    /// A plain `src`: the 640 px JPEG, or the bare URL.
    pub src: String,
    /// `"<url> 320w, <url> 640w, …"`; empty for a bare URL.
    pub srcset_webp: String,
    pub srcset_jpeg: String,
    /// The shape, so the page does not jump when the image arrives (4:3 when unknown).
    pub width: i64,
    pub height: i64,
}

impl PhotoView {
    /// A photo known only by its URL.
    pub fn bare(url: String) -> PhotoView {
        PhotoView { src: url, srcset_webp: String::new(), srcset_jpeg: String::new(), width: 1280, height: 960 }
    }
}

/// How wide a card's photo is drawn: one column on a phone, two on a tablet,
/// three from 960 px (the grid in site.css).
pub const CARD_SIZES: &str = "(min-width: 960px) 33vw, (min-width: 600px) 50vw, 100vw";
/// The listing page's gallery: two thirds of a wide screen, all of a phone's.
pub const GALLERY_SIZES: &str = "(min-width: 960px) 66vw, 100vw";

/// `<picture>` with a WebP source and a JPEG fallback, sized by `sizes`, lazy
/// unless `eager` (what is on screen first). The box keeps the photo's shape and
/// the stylesheet's neutral background while it loads: the API's placeholder
/// colour would need an inline style, which the pages' CSP forbids.
pub fn responsive_photo(photo: &PhotoView, alt: &str, sizes: &str, eager: bool) -> Markup {
    let loading = if eager { "eager" } else { "lazy" };
    html! {
        picture {
            @if !photo.srcset_webp.is_empty() {
                source type="image/webp" srcset=(photo.srcset_webp) sizes=(sizes);
            }
            img src=(photo.src) srcset=[(!photo.srcset_jpeg.is_empty()).then_some(&photo.srcset_jpeg)]
                sizes=[(!photo.srcset_jpeg.is_empty()).then_some(sizes)] alt=(alt)
                width=(photo.width) height=(photo.height) loading=(loading) decoding="async";
        }
    }
}

impl CardView {
    pub fn name(&self) -> String {
        car_name(&self.make, &self.model)
    }

    pub fn path(&self) -> String {
        listing_path(&self.id)
    }
}

pub fn listing_path(id: &str) -> String {
    format!("/autos/{id}")
}

/// A price as the language writes it.
pub fn price(minor: i64, currency: &str, lang: Lang) -> Markup {
    html! { span.price { (format::price(minor, currency, lang)) } }
}

/// One listing in a grid of results. `eager` for the first cards on screen.
pub fn listing_card(card: &CardView, lang: Lang, eager: bool) -> Markup {
    let text = lang.text();
    let name = card.name();
    let vocab = &text.vocab;
    html! {
        article.card.promoted[card.promoted] {
            a.card-link href=(card.path()) {
                div.card-photo.empty[card.photo.is_none()] {
                    @if let Some(photo) = &card.photo {
                        (responsive_photo(photo, &name, CARD_SIZES, eager))
                    }
                }
                div.card-body {
                    @if card.promoted { span.badge { (text.search.promoted_label) } }
                    h3 { (name) " " span.year { (card.year) } }
                    @if let Some(trim) = card.trim.as_deref().filter(|trim| !trim.is_empty()) { p.trim { (trim) } }
                    p { (price(card.price_minor, &card.currency, lang)) }
                    p.meta {
                        (format::kilometres(card.mileage_km)) " · "
                        (VocabText::label(vocab.transmissions, &card.transmission)) " · "
                        (card.city)
                    }
                    p.seller { (card.agency_name) }
                }
            }
        }
    }
}

/// A grid of cards.
pub fn card_grid(cards: &[CardView], lang: Lang, eager_count: usize) -> Markup {
    html! {
        div.cards {
            @for (index, card) in cards.iter().enumerate() {
                (listing_card(card, lang, index < eager_count))
            }
        }
    }
}

/// A removable filter: its label and the link that removes it.
pub fn chip(label: &str, remove_href: &str, remove_label: &str) -> Markup {
    html! {
        li.chip {
            span { (label) }
            a href=(remove_href) aria-label=(remove_label) title=(remove_label) hx-boost="true" hx-target="#results" hx-select="#results" hx-swap="outerHTML" hx-push-url="true" {
                span aria-hidden="true" { "×" }
            }
        }
    }
}

/// What to do when a list is empty.
pub fn empty_state(message: &str, action: Option<(&str, &str)>) -> Markup {
    html! {
        div.empty {
            p { (message) }
            @if let Some((label, href)) = action { p { a.button href=(href) { (label) } } }
        }
    }
}

/// A short message above a page's content.
pub fn notice(message: &str, kind: NoticeKind) -> Markup {
    let class = match kind {
        NoticeKind::Success => "notice notice-success",
        NoticeKind::Error => "notice notice-error",
        NoticeKind::Info => "notice",
    };
    let role = if kind == NoticeKind::Error { "alert" } else { "status" };
    html! { div class=(class) role=(role) { p { (message) } } }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    Success,
    Error,
    Info,
}

/// Stripe's Payment Element for one PaymentIntent: site.js mounts it with the
/// publishable key and the client secret and confirms to `return_url`; without
/// JavaScript the page says that paying needs it. The page loads Stripe.js
/// (`page.scripts.stripe`), which also opens the CSP to Stripe.
pub fn payment_form(key: &str, client_secret: &str, return_url: &str, needs_javascript: &str, pay: &str) -> Markup {
    html! {
        form {
            div data-stripe-key=(key) data-client-secret=(client_secret) data-return-url=(return_url) {
                div data-payment-element {}
                p.field-error data-payment-error role="alert" {}
            }
            noscript { (notice(needs_javascript, NoticeKind::Info)) }
            button type="submit" { (pay) }
        }
    }
}

/// A table with its headings (the caption for screen readers). On a phone each
/// row reads as a card (site.css), so no column scrolls out of sight.
pub fn data_table(caption: &str, headings: &[&str], rows: Markup) -> Markup {
    html! {
        table.data-table {
            caption.visually-hidden { (caption) }
            thead { tr { @for heading in headings { th scope="col" { (heading) } } } }
            tbody { (rows) }
        }
    }
}

/// Next page and back to the first, for cursor-paged lists.
pub fn pager(label: &str, first: Option<(&str, String)>, next: Option<(&str, String)>) -> Markup {
    html! {
        @if first.is_some() || next.is_some() {
            nav.pager aria-label=(label) {
                @if let Some((text, href)) = &first { a href=(href) rel="first" { "← " (text) } }
                @if let Some((text, href)) = &next { a.button href=(href) rel="next" { (text) " →" } }
            }
        }
    }
}

/// An inline SVG, trusted because it is ours.
pub fn icon(svg: &'static str) -> PreEscaped<&'static str> {
    PreEscaped(svg)
}
