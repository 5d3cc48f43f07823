//! Creating and editing a listing in the panel (`createListing`, `updateListing`).
//!
//! The edit form carries the version it was read at, sent as `expectedVersion`: when
//! someone else saved in between, catalog answers CONFLICT and nothing is written.
//! The page then shows what the person typed beside what is saved now, and carries
//! the saved version, so saving again is a deliberate overwrite, never a silent one.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Datelike;
use http::StatusCode;
use maud::{Markup, html};
use nds_common::error::ErrorCode;

use super::inventory::{edit_path, status_badge};
use super::listing_form::{self, Difference, FormView, Listing, ListingForm};
use crate::edge::operations::{self, panel_create_listing, panel_listing_editor, panel_update_listing};
use crate::edge::{reshape, wire_name};
use crate::error::PageError;
use crate::i18n::format;
use crate::names::car_name;
use crate::posted::Posted;
use crate::state::SharedState;
use crate::views::components::{NoticeKind, notice};
use crate::views::form::{FormErrors, csrf_field};
use crate::views::{self, Page};
use crate::visitor::Visitor;

fn current_year() -> i64 {
    i64::from(chrono::Utc::now().year())
}

/// The listing as its agency's staff see it. Another agency's car is the not-found
/// page here even when it is published (and so readable): the editor is for the
/// person's own inventory, and catalog would refuse every change to it anyway.
pub async fn load(state: &SharedState, visitor: &Visitor, id: &str) -> Result<Listing, PageError> {
    visitor.require_session()?;
    let variables = panel_listing_editor::Variables { id: id.to_string() };
    let listing = state.edge.run::<operations::PanelListingEditor>(visitor.caller(), variables).await?.listing;
    let listing = listing.ok_or(PageError::NotFound)?;
    super::require_works_on(visitor, &listing.agency.id, &listing.agency.group_id)?;
    Ok(listing)
}

pub fn car_title(listing: &Listing) -> String {
    format!("{} {}", car_name(&listing.make, &listing.model), listing.year)
}

/// Catalog edits drafts and published cars only.
fn editable(status: &str) -> bool {
    matches!(status, "DRAFT" | "PUBLISHED")
}

#[derive(serde::Deserialize, Default)]
pub struct NewQuery {
    agency: Option<String>,
}

pub async fn new_page(
    State(state): State<SharedState>,
    visitor: Visitor,
    Query(query): Query<NewQuery>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    let agency = super::current_agency(&visitor, query.agency.as_deref()).ok_or(PageError::Forbidden)?;
    Ok(render_new(&state, &visitor, &ListingForm::blank(agency), &FormErrors::default(), StatusCode::OK))
}

fn render_new(
    state: &SharedState,
    visitor: &Visitor,
    form: &ListingForm,
    errors: &FormErrors,
    code: StatusCode,
) -> Response {
    let text = &visitor.text().panel.editor;
    let view = FormView { action: "/listings/new", submit: text.create, editable: true };
    let content = html! {
        div.editor {
            p.back { a href="/inventory" { "← " (text.back_to_inventory) } }
            h1 { (text.new_title) }
            p { (text.new_intro) }
            (listing_form::render(visitor, form, errors, &view))
        }
    };
    let mut page = Page::new(text.new_title.to_string(), content).status(code);
    page.header_search = false;
    views::render(state, visitor, page)
}

pub async fn create(
    State(state): State<SharedState>,
    visitor: Visitor,
    Posted(form): Posted<ListingForm>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    let year = current_year();
    let (mut input, mut errors) = form.check(visitor.lang, year);
    if !errors.is_empty() {
        return Ok(render_new(&state, &visitor, &form, &errors, StatusCode::UNPROCESSABLE_ENTITY));
    }
    // Which agency is the API's to check; the panel only passes on the choice.
    if !form.agency_id.is_empty() {
        input.insert("agencyId".into(), form.agency_id.clone().into());
    }
    let variables = panel_create_listing::Variables { input: reshape(input)? };
    match state.edge.run::<operations::PanelCreateListing>(visitor.caller(), variables).await {
        Ok(created) => {
            let path = format!("{}?done=created", edit_path(&created.create_listing.id));
            Ok(Redirect::to(&path).into_response())
        }
        Err(error) if error.is(ErrorCode::BadUserInput) || listing_form::is_duplicate_vin(&error) => {
            refused_fields(&error, &visitor, year, &mut errors);
            Ok(render_new(&state, &visitor, &form, &errors, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(error) => Err(error.into()),
    }
}

/// The API's refusals next to their fields.
fn refused_fields(error: &crate::edge::EdgeError, visitor: &Visitor, year: i64, errors: &mut FormErrors) {
    if listing_form::is_duplicate_vin(error) {
        errors.field("vin", visitor.text().panel.editor.vin_taken);
    } else {
        listing_form::api_errors(error, visitor.lang, year, errors);
    }
}

#[derive(serde::Deserialize, Default)]
pub struct EditQuery {
    /// What was just done: created, saved, published, sold, archived, refused.
    done: Option<String>,
}

pub async fn edit_page(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(query): Query<EditQuery>,
) -> Result<Response, PageError> {
    let listing = load(&state, &visitor, &id).await?;
    let form = ListingForm::from_listing(&listing, visitor.lang);
    let editor = Editor { listing: &listing, form: &form, errors: &FormErrors::default(), conflict: None };
    Ok(render_edit(&state, &visitor, &editor, done_note(&visitor, query.done.as_deref()), StatusCode::OK))
}

/// The note above the editor after an action.
fn done_note(visitor: &Visitor, done: Option<&str>) -> Option<Markup> {
    let text = &visitor.text().panel.editor;
    let (words, kind) = match done? {
        "created" => (text.created, NoticeKind::Success),
        "saved" => (text.saved, NoticeKind::Success),
        "published" => (text.published, NoticeKind::Success),
        "sold" => (text.sold, NoticeKind::Success),
        "archived" => (text.archived, NoticeKind::Success),
        "refused" => (text.transition_refused, NoticeKind::Error),
        "vin_taken" => (text.vin_taken, NoticeKind::Error),
        _ => return None,
    };
    Some(notice(words, kind))
}

/// What the edit page shows: the saved listing (status, actions), the form's values
/// and errors, and a conflict's differences with the saved version's number.
struct Editor<'a> {
    listing: &'a Listing,
    form: &'a ListingForm,
    errors: &'a FormErrors,
    conflict: Option<Vec<Difference>>,
}

fn render_edit(
    state: &SharedState,
    visitor: &Visitor,
    editor: &Editor,
    note: Option<Markup>,
    code: StatusCode,
) -> Response {
    let text = &visitor.text().panel.editor;
    let listing = editor.listing;
    let title = (text.edit_title)(&car_title(listing));
    let status = wire_name(&listing.status);
    let action = edit_path(&listing.id);
    let view = FormView { action: &action, submit: text.save, editable: editable(&status) };
    let content = html! {
        div.editor {
            p.back { a href="/inventory" { "← " (text.back_to_inventory) } }
            h1 { (title) }
            @if let Some(note) = note { (note) }
            // First on the page: nothing was saved, and this is why.
            @if let Some(differences) = &editor.conflict {
                section.conflict.notice.notice-error role="alert" aria-labelledby="conflict-title" {
                    h2 #conflict-title { (text.conflict_title) }
                    p { (text.conflict_body) }
                    (listing_form::render_differences(visitor, differences, listing.version))
                }
            }
            (status_box(state, visitor, listing, &status))
            @if !view.editable { (notice(text.not_editable, NoticeKind::Info)) }
            (listing_form::render(visitor, editor.form, editor.errors, &view))
        }
    };
    let mut page = Page::new(title, content).status(code);
    page.header_search = false;
    views::render(state, visitor, page)
}

/// The status, when it last changed, and the status changes catalog allows from it.
/// Publishing is one step; selling and archiving open a confirmation page first.
fn status_box(state: &SharedState, visitor: &Visitor, listing: &Listing, status: &str) -> Markup {
    let text = &visitor.text().panel.editor;
    let promote = &visitor.text().panel.billing.promote;
    let id = &listing.id;
    let updated = format::api_date(Some(&listing.updated_at), visitor.lang);
    html! {
        section.panel-box.status-box aria-labelledby="status-title" {
            h2 #status-title { (text.status_heading) }
            p.status-now { (status_badge(visitor, status)) " " span.small { ((text.version)(listing.version, &updated)) } }
            @if let Some(until) = format::parse_api_time(listing.promoted_until.as_deref()).filter(|until| *until > chrono::Utc::now()) {
                p.promoted-until { ((promote.promoted_until)(&format::date(until, visitor.lang))) }
            }
            div.actions {
                @if status == "DRAFT" {
                    form method="post" action=(format!("/listings/{id}/publish")) {
                        (csrf_field(&visitor.csrf))
                        button type="submit" aria-describedby="publish-hint" { (text.publish) }
                    }
                }
                @if status == "PUBLISHED" {
                    a.button href=(super::promote::promote_path(id)) { (promote.link) }
                    a.button.secondary href=(format!("/listings/{id}/sold")) { (text.mark_sold) "…" }
                }
                @if editable(status) {
                    a.button.secondary.danger-outline href=(format!("/listings/{id}/archive")) { (text.archive) "…" }
                }
            }
            @if status == "DRAFT" { p.small #publish-hint { (text.publish_hint) } }
            @if !editable(status) { p.small { (text.no_actions) } }
            p.links {
                a href=(format!("/listings/{id}/photos")) { (text.photos_link) }
                @if status == "PUBLISHED" {
                    " · " a href=(format!("{}/autos/{id}", state.settings.public_url)) { (text.view_on_site) }
                }
            }
        }
    }
}

pub async fn update(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Posted(form): Posted<ListingForm>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    // Without the version read there is no way to tell an overwrite from an edit.
    let expected: i64 = form.version.trim().parse().map_err(|_| PageError::BadRequest)?;
    let year = current_year();
    let (mut input, mut errors) = form.check(visitor.lang, year);
    if errors.is_empty() {
        input.insert("expectedVersion".into(), expected.into());
        let variables = panel_update_listing::Variables { id: id.clone(), input: reshape(input)? };
        match state.edge.run::<operations::PanelUpdateListing>(visitor.caller(), variables).await {
            Ok(_) => return Ok(Redirect::to(&format!("{}?done=saved", edit_path(&id))).into_response()),
            Err(error) if error.is(ErrorCode::BadUserInput) || listing_form::is_duplicate_vin(&error) => {
                refused_fields(&error, &visitor, year, &mut errors);
            }
            Err(error) if error.is(ErrorCode::Conflict) => {
                return conflict(&state, &visitor, &id, &form, expected).await;
            }
            Err(error) => return Err(error.into()),
        }
    }
    let listing = load(&state, &visitor, &id).await?;
    let editor = Editor { listing: &listing, form: &form, errors: &errors, conflict: None };
    Ok(render_edit(&state, &visitor, &editor, None, StatusCode::UNPROCESSABLE_ENTITY))
}

/// Catalog refused the save as a CONFLICT: someone saved a newer version, or the car
/// was sold or archived meanwhile. Nothing was written; the person's values stay in
/// the form, beside what is saved now.
async fn conflict(
    state: &SharedState,
    visitor: &Visitor,
    id: &str,
    typed: &ListingForm,
    expected: i64,
) -> Result<Response, PageError> {
    let listing = load(state, visitor, id).await?;
    let saved = ListingForm::from_listing(&listing, visitor.lang);
    // The next save names the version now saved: a deliberate overwrite.
    let form = ListingForm { version: listing.version.to_string(), ..typed.clone() };
    let differences = (listing.version != expected).then(|| listing_form::differences(typed, &saved, visitor.lang));
    let editor = Editor { listing: &listing, form: &form, errors: &FormErrors::default(), conflict: differences };
    Ok(render_edit(state, visitor, &editor, None, StatusCode::CONFLICT))
}
