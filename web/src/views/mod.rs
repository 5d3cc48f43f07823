//! HTML. One layout per app, and components (`components`) that every page
//! reuses: a listing card, a price, a chip, a form field with its error, an
//! empty state, a pager. maud escapes everything it interpolates.

pub mod chart;
pub mod components;
pub mod form;

use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::state::SharedState;
use crate::visitor::{UsesStripe, Visitor};

/// Which scripts a page loads (each with the response's nonce).
#[derive(Clone, Copy, Debug, Default)]
pub struct Scripts {
    /// htmx and the site's own small script.
    pub enhance: bool,
    /// Stripe.js for the Payment Element.
    pub stripe: bool,
}

/// One page: its head, its content, its status.
pub struct Page {
    pub title: String,
    pub description: Option<String>,
    pub canonical: Option<String>,
    /// Open Graph tags, JSON-LD and the like.
    pub head: Option<Markup>,
    pub content: Markup,
    /// The text shown in the header's search box.
    pub search_text: String,
    /// False on pages that have a search box of their own.
    pub header_search: bool,
    pub scripts: Scripts,
    pub status: StatusCode,
    /// `noindex` for pages that are no one's to find (accounts, forms, errors).
    pub indexable: bool,
}

impl Page {
    pub fn new(title: String, content: Markup) -> Page {
        Page {
            title,
            description: None,
            canonical: None,
            head: None,
            content,
            search_text: String::new(),
            header_search: true,
            scripts: Scripts { enhance: true, stripe: false },
            status: StatusCode::OK,
            indexable: false,
        }
    }

    pub fn status(mut self, status: StatusCode) -> Page {
        self.status = status;
        self
    }

    pub fn describe(mut self, description: String, canonical: String) -> Page {
        self.description = Some(description);
        self.canonical = Some(canonical);
        self.indexable = true;
        self
    }
}

/// The site's whole document around a page's content.
pub fn render(state: &SharedState, visitor: &Visitor, page: Page) -> Response {
    let text = visitor.text();
    let layout = &text.layout;
    let assets = &state.assets;
    let panel = state.app == crate::state::App::Panel;
    let title = if page.title.is_empty() {
        text.site_name.to_string()
    } else {
        format!("{} · {}", page.title, text.site_name)
    };
    let markup = html! {
        (DOCTYPE)
        html lang=(visitor.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                @if let Some(description) = &page.description {
                    meta name="description" content=(description);
                }
                @if let Some(canonical) = &page.canonical {
                    link rel="canonical" href=(canonical);
                }
                @if !page.indexable {
                    meta name="robots" content="noindex";
                }
                meta name="htmx-config" content=r#"{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false}"#;
                link rel="stylesheet" href=(assets.url("site.css"));
                link rel="icon" href=(assets.url("favicon.svg")) type="image/svg+xml";
                @if let Some(head) = &page.head { (head) }
            }
            body {
                a.skip href="#main" { (layout.skip_to_content) }
                header.site-header {
                    div.bar {
                        a.brand href="/" { (PreEscaped(components::LOGO)) span { (if panel { text.panel.name } else { text.site_name }) } }
                        @if page.header_search && !panel {
                        form.header-search role="search" method="get" action="/" {
                            label.visually-hidden for="header-q" { (layout.search_label) }
                            input #header-q type="search" name="q" value=(page.search_text)
                                placeholder=(layout.search_placeholder) maxlength="200" autocomplete="off";
                            button type="submit" { (layout.search_button) }
                        }
                        }
                        nav aria-label=(layout.main_navigation) {
                            ul {
                                @if panel {
                                    @if let Some(session) = &visitor.session {
                                        li { a href="/" { (text.panel.home_title) } }
                                        @if crate::panel::is_platform_admin(visitor) {
                                            li { a href="/applications" { (text.panel.applications) } }
                                            li { a href="/users" { (text.panel.admin.users_nav) } }
                                            li { a href="/agencies" { (text.panel.admin.agencies_nav) } }
                                            li { a href="/audit" { (text.panel.admin.audit_nav) } }
                                        }
                                        @if !crate::panel::staff_agencies(visitor).is_empty() {
                                            li { a href="/inventory" { (text.panel.inventory.title) } }
                                            li { a href="/leads" { (text.panel.leads.nav) } }
                                        }
                                        @if let Some(agency_id) = crate::panel::managed_agency(visitor) {
                                            li { a href=(crate::panel::staff_path(&agency_id)) { (text.panel.staff.nav) } }
                                            li { a href=(crate::panel::billing_path(&agency_id)) { (text.panel.billing.nav) } }
                                        }
                                        @if let Some(path) = crate::panel::metrics_path(visitor) {
                                            li { a href=(path) { (text.panel.metrics.nav) } }
                                        }
                                        li { a href=(format!("{}/", state.settings.public_url)) { (text.panel.to_site) } }
                                        li { span title=(session.data.user.email) { (session.data.user.name) } }
                                        li {
                                            form.inline method="post" action="/logout" {
                                                input type="hidden" name="csrf" value=(visitor.csrf);
                                                button.link type="submit" { (layout.log_out) }
                                            }
                                        }
                                    } @else {
                                        li { a href=(format!("{}/", state.settings.public_url)) { (text.panel.to_site) } }
                                        li { a href=(format!("/login?next={}", crate::error::url_escape(&visitor.here))) { (layout.log_in) } }
                                    }
                                } @else if let Some(session) = &visitor.session {
                                    li { a href="/favourites" { (layout.favourites) } }
                                    li { a href="/conversations" { (layout.messages) } }
                                    li { a href="/account" title=(session.data.user.email) { (layout.account) } }
                                    li {
                                        form.inline method="post" action="/logout" {
                                            input type="hidden" name="csrf" value=(visitor.csrf);
                                            button.link type="submit" { (layout.log_out) }
                                        }
                                    }
                                } @else {
                                    li { a href=(format!("/login?next={}", crate::error::url_escape(&visitor.here))) { (layout.log_in) } }
                                    li { a.button.small href="/signup" { (layout.sign_up) } }
                                }
                                li {
                                    a href=(format!("/lang/{}?back={}", visitor.lang.other().code(), crate::error::url_escape(&visitor.here)))
                                        lang=(visitor.lang.other().code()) aria-label=(layout.switch_language_label) {
                                        (layout.switch_language)
                                    }
                                }
                            }
                        }
                    }
                }
                main #main { (page.content) }
                footer.site-footer {
                    @if panel {
                        p { a href=(format!("{}/", state.settings.public_url)) { (text.site_name) } " · " (text.tagline) }
                    } @else {
                        p { a href="/sell" { (layout.sell) } " · " (text.tagline) }
                    }
                    p.small { (layout.footer_note) }
                }
                @if page.scripts.enhance {
                    script nonce=(visitor.nonce) src=(assets.url("htmx.min.js")) defer {}
                    script nonce=(visitor.nonce) src=(assets.url("site.js")) defer {}
                }
                @if page.scripts.stripe {
                    script nonce=(visitor.nonce) src="https://js.stripe.com/v3/" {}
                }
            }
        }
    };
    let mut response = (page.status, Html(markup.into_string())).into_response();
    if page.scripts.stripe {
        response.extensions_mut().insert(UsesStripe);
    }
    response
}

/// A fragment for htmx (no layout), with the page's status.
pub fn fragment(markup: Markup) -> Response {
    Html(markup.into_string()).into_response()
}
