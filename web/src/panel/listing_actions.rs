//! A listing's status changes from the editor: publish (`publishListing`), mark sold
//! (`markListingSold`) and archive (`archiveListing`), each a POST with the CSRF token.
//! Selling and archiving take the car off the site and the API has no way back, so
//! both ask first on a page of their own (a GET), which works with JavaScript off.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use nds_common::error::ErrorCode;

use super::inventory::edit_path;
use super::listing_editor::{car_title, load};
use crate::edge::EdgeError;
use crate::edge::operations::{self, panel_archive_listing, panel_mark_listing_sold, panel_publish_listing};
use crate::error::PageError;
use crate::posted::{NoFields, Posted};
use crate::state::SharedState;
use crate::views::form::csrf_field;
use crate::views::{self, Page};
use crate::visitor::Visitor;

/// The editor again, with what happened. A CONFLICT is a change catalog no longer
/// allows from the current status (someone changed it meanwhile), or, on publishing,
/// a VIN another published car carries: the editor says which.
fn back_to_editor(id: &str, outcome: Result<(), EdgeError>, done: &str) -> Result<Response, PageError> {
    let done = match outcome {
        Ok(()) => done,
        Err(error) if super::listing_form::is_duplicate_vin(&error) => "vin_taken",
        Err(error) if error.is(ErrorCode::Conflict) => "refused",
        Err(error) => return Err(error.into()),
    };
    Ok(Redirect::to(&format!("{}?done={done}", edit_path(id))).into_response())
}

pub async fn publish(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Posted(_): Posted<NoFields>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    let variables = panel_publish_listing::Variables { id: id.clone() };
    let outcome = state.edge.run::<operations::PanelPublishListing>(visitor.caller(), variables).await.map(|_| ());
    back_to_editor(&id, outcome, "published")
}

pub async fn mark_sold(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Posted(_): Posted<NoFields>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    let variables = panel_mark_listing_sold::Variables { id: id.clone() };
    let outcome = state.edge.run::<operations::PanelMarkListingSold>(visitor.caller(), variables).await.map(|_| ());
    back_to_editor(&id, outcome, "sold")
}

pub async fn archive(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Posted(_): Posted<NoFields>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    let variables = panel_archive_listing::Variables { id: id.clone() };
    let outcome = state.edge.run::<operations::PanelArchiveListing>(visitor.caller(), variables).await.map(|_| ());
    back_to_editor(&id, outcome, "archived")
}

pub async fn confirm_sold(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let text = &visitor.text().panel.editor;
    let question =
        Question { action: "sold", ask: text.sold_question, consequence: text.sold_consequence, yes: text.sold_yes };
    confirmation(&state, &visitor, &id, &question).await
}

pub async fn confirm_archive(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let text = &visitor.text().panel.editor;
    let question = Question {
        action: "archive",
        ask: text.archive_question,
        consequence: text.archive_consequence,
        yes: text.archive_yes,
    };
    confirmation(&state, &visitor, &id, &question).await
}

/// What a confirmation page asks, in the person's language.
struct Question {
    /// The path's last segment, which the form posts to.
    action: &'static str,
    ask: fn(&str) -> String,
    consequence: &'static str,
    yes: &'static str,
}

async fn confirmation(
    state: &SharedState,
    visitor: &Visitor,
    id: &str,
    question: &Question,
) -> Result<Response, PageError> {
    let listing = load(state, visitor, id).await?;
    let text = &visitor.text().panel.editor;
    let ask = (question.ask)(&car_title(&listing));
    let content = html! {
        section.confirm.panel-box {
            h1 { (ask) }
            p { (question.consequence) }
            div.actions {
                form method="post" action=(format!("/listings/{id}/{}", question.action)) {
                    (csrf_field(&visitor.csrf))
                    button.danger type="submit" { (question.yes) }
                }
                a.button.secondary href=(edit_path(id)) { (text.cancel) }
            }
        }
    };
    let mut page = Page::new(ask, content);
    page.header_search = false;
    Ok(views::render(state, visitor, page))
}
