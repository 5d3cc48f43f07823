//! One lead (`/leads/{id}`): the messages, a reply, the status (OPEN, WON,
//! LOST) and, for the agency's managers, the salesperson in charge. Opening it
//! marks it read. New messages arrive without reload through the thread's live
//! stream (`crate::thread`, shared with the site); with JavaScript off a reload
//! shows them. Another agency's lead is the API's null, so the 404 page.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderMap, StatusCode};
use maud::{Markup, html};
use nds_common::error::ErrorCode;

use super::leads::{buyer_reference, lead_path, status_badge};
use crate::edge::operations::{
    self, mark_conversation_read, panel_agency_staff, panel_assign_lead, panel_lead, panel_set_lead_status,
    send_message,
};
use crate::edge::wire_name;
use crate::error::{PageError, path_id};
use crate::i18n::format;
use crate::names::car_name;
use crate::posted::Posted;
use crate::state::SharedState;
use crate::thread::{Reader, message_item};
use crate::validate;
use crate::views::components::{NoticeKind, notice};
use crate::views::form::{Field, FormErrors, InputKind, Select, csrf_field, form_summary};
use crate::views::{self, Page};
use crate::visitor::Visitor;

/// The statuses staff set by hand (NEW ends with the agency's first answer).
const SETTABLE: [&str; 3] = ["OPEN", "WON", "LOST"];

type Staff = panel_agency_staff::PanelAgencyStaffAgencyStaff;

#[derive(serde::Deserialize, Default)]
pub struct LeadQuery {
    /// What just happened: `sent`, `status`, `assigned`.
    done: Option<String>,
}

/// What a failed form sends back to the page: its errors and what was typed.
#[derive(Default)]
struct Retry<'a> {
    errors: FormErrors,
    reply: &'a str,
}

pub async fn lead_page(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(raw_id): Path<String>,
    Query(query): Query<LeadQuery>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    // Leads are the staff's: a buyer reads their own conversation on the site.
    if super::staff_agencies(&visitor).is_empty() && !super::is_platform_admin(&visitor) {
        return Err(PageError::Forbidden);
    }
    let id = path_id(&raw_id)?;
    let text = &visitor.text().panel.leads;
    let note = match query.done.as_deref() {
        Some("sent") => Some(text.sent),
        Some("status") => Some(text.status_saved),
        Some("assigned") => Some(text.assigned),
        _ => None,
    };
    render(&state, &visitor, &id, note, Retry::default()).await
}

/// Whether the person manages the lead's agency: only they get the assign form
/// (chat decides in the end).
fn manages(visitor: &Visitor, agency_id: &str) -> bool {
    visitor.has_membership(|membership| {
        membership.role == "AGENCY_MANAGER" && membership.agency_id.as_deref() == Some(agency_id)
    })
}

/// The agency's salespeople, by name (identity's staff list).
fn salespeople<'a>(staff: &'a [Staff], agency_id: &str) -> Vec<&'a Staff> {
    staff
        .iter()
        .filter(|person| {
            person.memberships.iter().any(|membership| {
                wire_name(&membership.role) == "SALESPERSON" && membership.agency_id.as_deref() == Some(agency_id)
            })
        })
        .collect()
}

async fn render(
    state: &SharedState,
    visitor: &Visitor,
    id: &str,
    note: Option<&str>,
    retry: Retry<'_>,
) -> Result<Response, PageError> {
    let variables = panel_lead::Variables { id: id.to_string() };
    let lead = state
        .edge
        .run::<operations::PanelLead>(visitor.caller(), variables)
        .await?
        .conversation
        .ok_or(PageError::NotFound)?;
    // Opening a lead reads it (unread counts follow); a failure here is not the page's.
    let read = mark_conversation_read::Variables { conversation_id: id.to_string() };
    if let Err(error) = state.edge.run::<operations::MarkConversationRead>(visitor.caller(), read).await {
        tracing::debug!(error = %error, "lead not marked read");
    }
    // Names for the assignee and the assign form; without them the page still works.
    let variables = panel_agency_staff::Variables { agency_id: lead.agency_id.clone() };
    let staff = match state.edge.run::<operations::PanelAgencyStaff>(visitor.caller(), variables).await {
        Ok(response) => response.agency_staff,
        Err(error) => {
            tracing::debug!(error = %error, "agency staff not read");
            Vec::new()
        }
    };

    let lang = visitor.lang;
    let text = &visitor.text().panel.leads;
    let errors = &retry.errors;
    let car =
        lead.listing.as_ref().map(|listing| format!("{} {}", car_name(&listing.make, &listing.model), listing.year));
    let title = (text.lead_title)(car.as_deref().unwrap_or(text.car_unavailable));
    let status = wire_name(&lead.status);
    let me = visitor.session.as_ref().map(|session| session.data.user.id.as_str()).unwrap_or_default();
    let assignee = lead.assignee_id.as_deref().map(|assignee| {
        if assignee == me {
            text.assigned_to_you
        } else {
            staff
                .iter()
                .find(|person| person.id == assignee)
                .map(|person| person.name.as_str())
                .unwrap_or(text.assigned_unknown)
        }
    });
    let mut messages = lead.messages.edges.iter().map(|edge| &edge.node).collect::<Vec<_>>();
    messages.reverse();
    let started = format::api_date(lead.created_at.as_deref(), lang);
    let content = html! {
        p { a href="/leads" { "← " (text.title) } }
        h1 { (title) }
        @if let Some(message) = note { (notice(message, NoticeKind::Success)) }
        ul.lead-facts {
            li { (text.column_buyer) ": " strong { (buyer_reference(&lead.buyer_id)) } }
            li.lead-status { (text.column_status) ": " (status_badge(visitor, &status)) }
            li { (text.column_assignee) ": " (assignee.unwrap_or(text.unassigned)) }
            @if let Some(listing) = &lead.listing {
                li {
                    (text.column_car) ": "
                    a href=(format!("{}/autos/{}", state.settings.public_url, listing.id)) { (car.as_deref().unwrap_or_default()) }
                    " · " (format::price(listing.price, &listing.currency, lang))
                }
            }
        }
        @if !started.is_empty() { p.small { ((text.started)(&started)) } }
        div.lead {
            section.lead-thread aria-labelledby="messages" {
                h2 #messages { (text.messages_heading) }
                ol.thread data-live-thread=(format!("{}/events", lead_path(id))) aria-live="polite" {
                    @for message in &messages {
                        (message_item(lang, Reader::Agency, &message.id, &wire_name(&message.sender), &message.body, message.sent_at.as_deref()))
                    }
                }
                p.small data-live-hint hidden { (text.thread_live_hint) }
                noscript { p.small { a href=(lead_path(id)) { (text.refresh) } } }
                (reply_form(visitor, id, errors, retry.reply))
            }
            aside.lead-actions {
                (status_form(visitor, id, &status, errors))
                @if manages(visitor, &lead.agency_id) {
                    (assign_form(visitor, id, lead.assignee_id.as_deref(), &salespeople(&staff, &lead.agency_id), errors))
                }
            }
        }
    };
    let mut page = Page::new(title.clone(), content);
    page.header_search = false;
    if !errors.is_empty() {
        page = page.status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    Ok(views::render(state, visitor, page))
}

fn reply_form(visitor: &Visitor, id: &str, errors: &FormErrors, typed: &str) -> Markup {
    let text = &visitor.text().panel.leads;
    html! {
        form.form.reply method="post" action=(format!("{}/reply", lead_path(id))) novalidate {
            @if errors.get("body").is_some() { (form_summary(errors, visitor.text().errors.form_has_errors)) }
            (csrf_field(&visitor.csrf))
            (Field::new("body", text.reply_label, InputKind::TextArea, typed).max_length(validate::MAX_MESSAGE).render(errors))
            button type="submit" { (text.reply_button) }
        }
    }
}

fn status_form(visitor: &Visitor, id: &str, status: &str, errors: &FormErrors) -> Markup {
    let text = &visitor.text().panel.leads;
    let options = SETTABLE.iter().map(|choice| (*choice, (text.status)(choice))).collect();
    let selected = if SETTABLE.contains(&status) { status } else { "" };
    html! {
        section {
            h2 { (text.status_heading) }
            form.form method="post" action=(format!("{}/status", lead_path(id))) {
                (csrf_field(&visitor.csrf))
                (Select::new("status", text.status_label, options, selected).placeholder((text.status)("NEW")).render(errors))
                button type="submit" { (text.status_button) }
            }
        }
    }
}

fn assign_form(
    visitor: &Visitor,
    id: &str,
    current: Option<&str>,
    salespeople: &[&Staff],
    errors: &FormErrors,
) -> Markup {
    let text = &visitor.text().panel.leads;
    let options = salespeople.iter().map(|person| (person.id.as_str(), person.name.as_str())).collect();
    html! {
        section {
            h2 { (text.assign_heading) }
            @if salespeople.is_empty() {
                p.small { (text.no_salespeople) }
            } @else {
                form.form method="post" action=(format!("{}/assign", lead_path(id))) {
                    (csrf_field(&visitor.csrf))
                    (Select::new("salesperson", text.assign_label, options, current.unwrap_or_default())
                        .placeholder(text.choose_salesperson).render(errors))
                    button type="submit" { (text.assign_button) }
                }
            }
        }
    }
}

/// Back to the lead with a note, or the page again with the refusal next to its field.
async fn after_action(
    state: &SharedState,
    visitor: &Visitor,
    id: &str,
    outcome: Result<(), crate::edge::EdgeError>,
    done: &str,
    fields: &[(&str, &str)],
    mut retry: Retry<'_>,
) -> Result<Response, PageError> {
    if retry.errors.is_empty() {
        match outcome {
            Ok(()) => return Ok(Redirect::to(&format!("{}?done={done}", lead_path(id))).into_response()),
            Err(error) if error.is(ErrorCode::BadUserInput) => {
                validate::field_errors(&error, visitor.lang, fields, &mut retry.errors);
            }
            Err(error) => return Err(error.into()),
        }
    }
    render(state, visitor, id, None, retry).await
}

pub async fn reply(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(raw_id): Path<String>,
    Posted(form): Posted<crate::thread::ReplyForm>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    let id = path_id(&raw_id)?;
    let mut retry = Retry { reply: &form.body, ..Retry::default() };
    let body = validate::required(&mut retry.errors, visitor.lang, "body", &form.body, validate::MAX_MESSAGE);
    let outcome = if retry.errors.is_empty() {
        let variables = send_message::Variables { conversation_id: id.clone(), body };
        state.edge.run::<operations::SendMessage>(visitor.caller(), variables).await.map(drop)
    } else {
        Ok(())
    };
    after_action(&state, &visitor, &id, outcome, "sent", &[("body", "body")], retry).await
}

#[derive(serde::Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
}

pub async fn set_status(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(raw_id): Path<String>,
    Posted(form): Posted<StatusForm>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    let id = path_id(&raw_id)?;
    let mut retry = Retry::default();
    let outcome = match SETTABLE.iter().find(|choice| **choice == form.status) {
        Some(status) => {
            let variables = panel_set_lead_status::Variables {
                conversation_id: id.clone(),
                status: panel_set_lead_status::ConversationStatus::Other(status.to_string()),
            };
            state.edge.run::<operations::PanelSetLeadStatus>(visitor.caller(), variables).await.map(drop)
        }
        None => {
            retry.errors.field("status", visitor.text().panel.leads.status_unknown);
            Ok(())
        }
    };
    after_action(&state, &visitor, &id, outcome, "status", &[("status", "status")], retry).await
}

#[derive(serde::Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    salesperson: String,
}

pub async fn assign(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(raw_id): Path<String>,
    Posted(form): Posted<AssignForm>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    let id = path_id(&raw_id)?;
    let mut retry = Retry::default();
    let outcome = match uuid::Uuid::parse_str(form.salesperson.trim()) {
        Ok(salesperson) => {
            let variables =
                panel_assign_lead::Variables { conversation_id: id.clone(), salesperson_id: salesperson.to_string() };
            state.edge.run::<operations::PanelAssignLead>(visitor.caller(), variables).await.map(drop)
        }
        Err(_) => {
            retry.errors.field("salesperson", visitor.text().panel.leads.choose_salesperson);
            Ok(())
        }
    };
    after_action(&state, &visitor, &id, outcome, "assigned", &[("salespersonId", "salesperson")], retry).await
}

/// The lead's new messages as server-sent events, rendered for the agency.
pub async fn events(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(raw_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    crate::thread::events(&state, &visitor, &raw_id, &headers, Reader::Agency).await
}
