//! The platform admins' queue of agency applications (`agencyApplications`):
//! pending first, a filter by status in the URL, 50 rows a page, and the review
//! (`reviewAgencyApplication`). A rejection needs a reason, which identity checks
//! and the applicant receives; the panel shows identity's refusal next to the field.
//! Rejecting is a second step (the reason box opens first), so it works and asks
//! for confirmation with JavaScript off.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use nds_common::error::ErrorCode;

use crate::edge::operations::{self, panel_applications, panel_review_application};
use crate::error::{PageError, url_escape};
use crate::i18n::format;
use crate::posted::Posted;
use crate::state::SharedState;
use crate::validate;
use crate::views::form::{FormErrors, csrf_field};
use crate::views::{self, Page};
use crate::visitor::Visitor;

const PAGE_SIZE: i64 = 50;

use panel_applications::ApplicationStatus;

/// `?status=` as the URL spells it.
fn status_from_query(raw: Option<&str>) -> Option<ApplicationStatus> {
    match raw.unwrap_or("pending") {
        "approved" => Some(ApplicationStatus::APPROVED),
        "rejected" => Some(ApplicationStatus::REJECTED),
        "all" => None,
        _ => Some(ApplicationStatus::PENDING),
    }
}

fn status_to_query(status: &Option<ApplicationStatus>) -> &'static str {
    match status {
        Some(ApplicationStatus::APPROVED) => "approved",
        Some(ApplicationStatus::REJECTED) => "rejected",
        None => "all",
        Some(_) => "pending",
    }
}

#[derive(serde::Deserialize, Default)]
pub struct QueueQuery {
    status: Option<String>,
    after: Option<String>,
    /// The application just reviewed, highlighted with a note.
    reviewed: Option<String>,
}

/// What the page shows besides the list: a note, or one row's refused review.
#[derive(Default)]
struct Outcome {
    reviewed: Option<String>,
    refused: Option<(String, FormErrors, String)>,
}

pub async fn queue_page(
    State(state): State<SharedState>,
    visitor: Visitor,
    Query(query): Query<QueueQuery>,
) -> Result<Response, PageError> {
    let status = status_from_query(query.status.as_deref());
    let outcome = Outcome { reviewed: query.reviewed, refused: None };
    render_queue(&state, &visitor, status, query.after, outcome, http::StatusCode::OK).await
}

async fn render_queue(
    state: &SharedState,
    visitor: &Visitor,
    status: Option<ApplicationStatus>,
    after: Option<String>,
    outcome: Outcome,
    code: http::StatusCode,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    if !super::is_platform_admin(visitor) {
        return Err(PageError::Forbidden);
    }
    let variables =
        panel_applications::Variables { status: status.clone(), first: Some(PAGE_SIZE), after: after.clone() };
    let response = state.edge.run::<operations::PanelApplications>(visitor.caller(), variables).await?;
    let applications = response.agency_applications;
    let text = &visitor.text().panel;
    let here = status_to_query(&status);
    let filters = [
        ("pending", text.status_pending),
        ("approved", text.status_approved),
        ("rejected", text.status_rejected),
        ("all", text.status_all),
    ];
    let content = html! {
        h1 { (text.applications) }
        p { (text.applications_intro) }
        nav.filters aria-label=(text.filter_label) {
            span { (text.filter_label) ": " }
            @for (value, label) in filters {
                @if value == here {
                    strong aria-current="page" { (label) }
                } @else {
                    a href=(format!("/applications?status={value}")) { (label) }
                }
                " "
            }
        }
        p.small { ((text.count)(applications.total_count)) }
        @if applications.edges.is_empty() {
            p { (text.none_found) }
        }
        @for edge in &applications.edges {
            (application_card(visitor, &edge.node, here, &outcome))
        }
        nav.pager {
            @if after.is_some() {
                a href=(format!("/applications?status={here}")) { (text.first_page) }
                " "
            }
            @if let (true, Some(cursor)) = (applications.page_info.has_next_page, &applications.page_info.end_cursor) {
                a href=(format!("/applications?status={here}&after={}", url_escape(cursor))) { (text.next_page) }
            }
        }
    };
    let mut page = Page::new(text.applications.to_string(), content).status(code);
    page.indexable = false;
    page.header_search = false;
    Ok(views::render(state, visitor, page))
}

fn status_label(visitor: &Visitor, status: &ApplicationStatus) -> &'static str {
    let wire = match status {
        ApplicationStatus::APPROVED => "APPROVED",
        ApplicationStatus::REJECTED => "REJECTED",
        _ => "PENDING",
    };
    (visitor.text().panel.badge)(wire)
}

fn application_card(
    visitor: &Visitor,
    application: &panel_applications::PanelApplicationsAgencyApplicationsEdgesNode,
    here: &str,
    outcome: &Outcome,
) -> Markup {
    let text = &visitor.text().panel;
    let sell = &visitor.text().sell;
    let id = &application.id;
    let refused = outcome.refused.as_ref().filter(|(refused_id, _, _)| refused_id == id);
    let just_reviewed = outcome.reviewed.as_deref() == Some(id.as_str());
    html! {
        article.application id=(format!("application-{id}")) {
            h2 { (application.company_name) " " span.badge { (status_label(visitor, &application.status)) } }
            @if just_reviewed {
                p.note.notice.notice-success role="status" {
                    @if application.status == ApplicationStatus::REJECTED {
                        ((text.rejected_note)(&application.company_name))
                    } @else {
                        ((text.approved_note)(&application.company_name))
                    }
                }
            }
            dl {
                dt { (text.contact) }
                dd { (application.contact_name) " · " a href=(format!("mailto:{}", application.contact_email)) { (application.contact_email) }
                     @if !application.contact_phone.is_empty() { " · " (application.contact_phone) } }
                dt { (text.tax_id) } dd { (application.tax_id) }
                dt { (sell.address) } dd { (application.address) ", " (application.city) ", " (application.state) }
                @if !application.group_name.is_empty() { dt { (text.group) } dd { (application.group_name) } }
                dt { (text.expected_listings) } dd { (application.expected_listings) }
                dt { (text.received) } dd { (format::api_date(application.created_at.as_deref(), visitor.lang)) }
                @if let Some(reason) = &application.rejection_reason { dt { (text.reject_reason) } dd { (reason) } }
            }
            @if application.status == ApplicationStatus::PENDING {
                div.actions {
                    form method="post" action=(format!("/applications/{id}/review")) {
                        (csrf_field(&visitor.csrf))
                        input type="hidden" name="decision" value="approve";
                        input type="hidden" name="status" value=(here);
                        button type="submit" title=(text.approve_confirm) { (text.approve) }
                    }
                    details open[refused.is_some()] {
                        summary { (text.reject) "…" }
                        form method="post" action=(format!("/applications/{id}/review")) novalidate {
                            (csrf_field(&visitor.csrf))
                            input type="hidden" name="decision" value="reject";
                            input type="hidden" name="status" value=(here);
                            @let error = refused.and_then(|(_, errors, _)| errors.get("reason"));
                            @let field_id = format!("reason-{id}");
                            label for=(field_id) { (text.reject_reason) }
                            p.hint id=(format!("{field_id}-hint")) { (text.reject_reason_hint) }
                            @if let Some(error) = error {
                                p.field-error id=(format!("{field_id}-error")) { (error) }
                            }
                            textarea id=(field_id) name="reason" rows="3" maxlength="2000"
                                aria-invalid=[error.map(|_| "true")]
                                aria-describedby=(if error.is_some() { format!("{field_id}-hint {field_id}-error") } else { format!("{field_id}-hint") }) {
                                (refused.map(|(_, _, reason)| reason.as_str()).unwrap_or_default())
                            }
                            p.small { (text.reject_confirm) }
                            button.danger type="submit" { (text.reject) }
                        }
                    }
                }
            }
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub struct ReviewForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    status: String,
}

pub async fn review(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Posted(form): Posted<ReviewForm>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    let approve = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(PageError::BadRequest),
    };
    let status = status_from_query(Some(form.status.as_str()));
    let reason = form.reason.trim().to_string();
    let variables =
        panel_review_application::Variables { id: id.clone(), approve, reason: (!approve).then(|| reason.clone()) };
    match state.edge.run::<operations::PanelReviewApplication>(visitor.caller(), variables).await {
        Ok(reviewed) => {
            let landed = if approve { "approved" } else { "rejected" };
            let id = reviewed.review_agency_application.id;
            Ok(Redirect::to(&format!("/applications?status={landed}&reviewed={}", url_escape(&id))).into_response())
        }
        Err(error) if error.is(ErrorCode::BadUserInput) => {
            let mut errors = FormErrors::default();
            validate::field_errors(&error, visitor.lang, &[("reason", "reason")], &mut errors);
            if errors.get("reason").is_none() {
                return Err(PageError::BadRequest);
            }
            let outcome = Outcome { reviewed: None, refused: Some((id, errors, reason)) };
            render_queue(&state, &visitor, status, None, outcome, http::StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(error) => Err(error.into()),
    }
}
