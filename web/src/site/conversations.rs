//! A buyer's conversations with agencies: the inbox with unread counts, a
//! thread, replies, and the first message from a listing's page. An open thread
//! shows the agency's answer within moments (`crate::thread`: the live stream the
//! panel's lead page shares).

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::HeaderMap;
use maud::html;

use super::cards::wire_name;
use super::listing::render_listing;
use crate::edge::operations;
use crate::error::{PageError, path_id};
use crate::i18n::{Lang, format};
use crate::names::car_name;
use crate::posted::Posted;
use crate::state::SharedState;
use crate::thread::{Reader, message_item};
use crate::validate;
use crate::views::components::{empty_state, pager};
use crate::views::form::{Field, FormErrors, InputKind, csrf_field, form_summary};
use crate::views::{self, Page};
use crate::visitor::Visitor;

/// Staff answer leads in the panel; a mailed thread link sends them to the
/// same conversation there (`/conversations/{id}` is the panel's `/leads/{id}`).
fn staff_redirect(state: &SharedState, visitor: &Visitor) -> Option<Response> {
    let session = visitor.session.as_ref()?;
    if !session.data.user.is_staff() {
        return None;
    }
    let rest = visitor.here.strip_prefix("/conversations").unwrap_or_default();
    Some(Redirect::to(&format!("{}/leads{rest}", state.settings.panel_url)).into_response())
}

#[derive(serde::Deserialize)]
pub struct After {
    after: Option<String>,
}

pub async fn inbox(
    State(state): State<SharedState>,
    visitor: Visitor,
    Query(query): Query<After>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    if let Some(redirect) = staff_redirect(&state, &visitor) {
        return Ok(redirect);
    }
    let lang = visitor.lang;
    let text = lang.text();
    let variables = operations::inbox::Variables { after: query.after.clone() };
    let response = state.edge.run::<operations::Inbox>(visitor.caller(), variables).await?;
    let now = chrono::Utc::now();
    let connection = response.conversations;
    let next =
        connection.page_info.end_cursor.filter(|_| connection.page_info.has_next_page).map(|cursor| {
            (text.search.next_page, format!("/conversations?after={}", crate::error::url_escape(&cursor)))
        });
    let first = query.after.as_ref().map(|_| (text.search.first_page, "/conversations".to_string()));
    let content = html! {
        h1 { (text.conversations.inbox_title) }
        @if connection.edges.is_empty() {
            (empty_state(text.conversations.inbox_empty, Some((text.search.heading, "/"))))
        } @else {
            ul.inbox {
                @for edge in &connection.edges {
                    @let conversation = &edge.node;
                    li {
                        a href=(format!("/conversations/{}", conversation.id)) {
                            span {
                                strong {
                                    @match &conversation.listing {
                                        Some(listing) => { (car_name(&listing.make, &listing.model)) " " (listing.year) }
                                        None => { (text.conversations.listing_unavailable) }
                                    }
                                }
                                br;
                                span.small {
                                    @if let Some(listing) = &conversation.listing { (listing.agency.name) " · " }
                                    (status_label(lang, &wire_name(&conversation.status))) " · "
                                    ((text.conversations.message_count)(conversation.message_count))
                                    @if let Some(moment) = format::parse_api_time(conversation.last_message_at.as_deref()) {
                                        " · " (format::relative(moment, now, lang))
                                    }
                                }
                            }
                            @if conversation.unread_count > 0 {
                                span.unread { ((text.conversations.unread)(conversation.unread_count)) }
                            }
                        }
                    }
                }
            }
            (pager(text.search.pagination, first, next))
        }
    };
    Ok(views::render(&state, &visitor, Page::new(text.conversations.inbox_title.to_string(), content)))
}

pub fn status_label(lang: Lang, status: &str) -> &'static str {
    let text = &lang.text().conversations;
    match status {
        "NEW" => text.status_new,
        "OPEN" => text.status_open,
        "WON" => text.status_won,
        _ => text.status_lost,
    }
}

pub async fn thread(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(raw_id): Path<String>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    if let Some(redirect) = staff_redirect(&state, &visitor) {
        return Ok(redirect);
    }
    let id = path_id(&raw_id)?;
    render_thread(&state, &visitor, &id, &FormErrors::default(), "").await
}

async fn render_thread(
    state: &SharedState,
    visitor: &Visitor,
    id: &str,
    errors: &FormErrors,
    typed: &str,
) -> Result<Response, PageError> {
    let lang = visitor.lang;
    let text = lang.text();
    let variables = operations::thread::Variables { id: id.to_string() };
    let Some(conversation) = state.edge.run::<operations::Thread>(visitor.caller(), variables).await?.conversation
    else {
        return Err(PageError::NotFound);
    };
    // Reading the thread reads its messages (unread counts follow).
    let read = operations::mark_conversation_read::Variables { conversation_id: id.to_string() };
    if let Err(error) = state.edge.run::<operations::MarkConversationRead>(visitor.caller(), read).await {
        tracing::debug!(error = %error, "conversation not marked read");
    }
    let mut messages = conversation.messages.edges;
    messages.reverse();
    let title = match &conversation.listing {
        Some(listing) => format!("{} {}", car_name(&listing.make, &listing.model), listing.year),
        None => text.conversations.thread_title.to_string(),
    };
    let content = html! {
        p { a href="/conversations" { "← " (text.conversations.inbox_title) } }
        h1 { (title) }
        @if let Some(listing) = &conversation.listing {
            p.small {
                (listing.agency.name) " · " (format::price(listing.price, &listing.currency, lang)) " · "
                a href=(format!("/autos/{}", listing.id)) { (text.conversations.about_listing) " " (title) }
            }
        }
        ol.thread data-live-thread=(format!("/conversations/{id}/events")) aria-live="polite" {
            @for edge in &messages {
                @let message = &edge.node;
                (message_item(lang, Reader::Buyer, &message.id, &wire_name(&message.sender), &message.body, message.sent_at.as_deref()))
            }
        }
        p.small data-live-hint hidden { (text.conversations.live_hint) }
        noscript { p.small { a href=(format!("/conversations/{id}")) { (text.conversations.refresh) } } }
        form.form method="post" action=(format!("/conversations/{id}")) novalidate {
            (form_summary(errors, text.errors.form_has_errors))
            (csrf_field(&visitor.csrf))
            (Field::new("body", text.conversations.reply_label, InputKind::TextArea, typed).max_length(validate::MAX_MESSAGE).render(errors))
            button type="submit" { (text.conversations.reply_button) }
        }
    };
    Ok(views::render(state, visitor, Page::new(title, content)))
}

pub async fn reply(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(raw_id): Path<String>,
    Posted(form): Posted<crate::thread::ReplyForm>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    let id = path_id(&raw_id)?;
    let mut errors = FormErrors::default();
    let body = validate::required(&mut errors, visitor.lang, "body", &form.body, validate::MAX_MESSAGE);
    if errors.is_empty() {
        let variables = operations::send_message::Variables { conversation_id: id.clone(), body };
        match state.edge.run::<operations::SendMessage>(visitor.caller(), variables).await {
            Ok(_) => return Ok(Redirect::to(&format!("/conversations/{id}")).into_response()),
            Err(error) if error.is(nds_common::error::ErrorCode::BadUserInput) => {
                validate::field_errors(&error, visitor.lang, &[("body", "body")], &mut errors);
            }
            Err(error) => return Err(error.into()),
        }
    }
    let mut response = render_thread(&state, &visitor, &id, &errors, &form.body).await?;
    *response.status_mut() = http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

#[derive(serde::Deserialize)]
pub struct Contact {
    #[serde(default)]
    message: String,
}

/// The first message to the agency, from the listing's page.
pub async fn contact(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(raw_id): Path<String>,
    Posted(form): Posted<Contact>,
) -> Result<Response, PageError> {
    let listing = path_id(&raw_id)?;
    if visitor.session.is_none() {
        return Err(PageError::SignInRequired(format!("/autos/{listing}#contact")));
    }
    let mut errors = FormErrors::default();
    let message = validate::required(&mut errors, visitor.lang, "message", &form.message, validate::MAX_MESSAGE);
    if errors.is_empty() {
        let variables = operations::start_conversation::Variables { listing_id: listing.clone(), message };
        match state.edge.run::<operations::StartConversation>(visitor.caller(), variables).await {
            Ok(response) => {
                return Ok(Redirect::to(&format!("/conversations/{}", response.start_conversation.id)).into_response());
            }
            Err(error) if error.is(nds_common::error::ErrorCode::BadUserInput) => {
                validate::field_errors(&error, visitor.lang, &[("message", "message")], &mut errors);
            }
            Err(error) => return Err(error.into()),
        }
    }
    let mut response = render_listing(&state, &visitor, &listing, &errors, Some(&form.message)).await?;
    *response.status_mut() = http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

/// Server-sent events of a thread: each new message, rendered for the buyer.
pub async fn events(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(raw_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    crate::thread::events(&state, &visitor, &raw_id, &headers, Reader::Buyer).await
}
