//! `/agencies`: platform admins see every automobile group with its agencies
//! (`groups`, 50 groups a page), each agency's state, and suspend one after a
//! confirmation page or reinstate it in one step (`suspendAgency`: identity
//! records it, catalog takes the agency's cars out of search or puts them back).

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::admin::{Confirmation, confirmation_page, require_platform_admin};
use crate::edge::operations::{self, panel_admin_agency, panel_groups, panel_suspend_agency};
use crate::error::{PageError, url_escape};
use crate::posted::{NoFields, Posted};
use crate::state::SharedState;
use crate::views::components::{NoticeKind, data_table, empty_state, notice, pager};
use crate::views::form::csrf_field;
use crate::views::{self, Page};
use crate::visitor::Visitor;

const PAGE_SIZE: i64 = 50;

#[derive(serde::Deserialize, Default)]
pub struct AgenciesQuery {
    after: Option<String>,
    /// `suspended` or `reinstated`, after a change, with the agency's id.
    done: Option<String>,
    agency: Option<String>,
}

pub async fn agencies_page(
    State(state): State<SharedState>,
    visitor: Visitor,
    Query(query): Query<AgenciesQuery>,
) -> Result<Response, PageError> {
    require_platform_admin(&visitor)?;
    let text = &visitor.text().panel.admin;
    let variables = panel_groups::Variables { first: Some(PAGE_SIZE), after: query.after.clone() };
    let groups = state.edge.run::<operations::PanelGroups>(visitor.caller(), variables).await?.groups;
    let note = match (&query.done, &query.agency) {
        (Some(done), Some(id)) => note(&state, &visitor, done, id).await?,
        _ => None,
    };
    let first = query.after.is_some().then(|| (visitor.text().panel.first_page, "/agencies".to_string()));
    let next = match (groups.page_info.has_next_page, &groups.page_info.end_cursor) {
        (true, Some(cursor)) => {
            Some((visitor.text().panel.next_page, format!("/agencies?after={}", url_escape(cursor))))
        }
        _ => None,
    };
    let content = html! {
        h1 { (text.agencies_title) }
        p { (text.agencies_intro) }
        @if let Some(markup) = note { (markup) }
        p.small { ((text.groups_count)(groups.total_count)) }
        @if groups.edges.is_empty() { (empty_state(text.no_groups, None)) }
        @for edge in &groups.edges { (group_section(&visitor, &edge.node)) }
        (pager(text.pages, first, next))
    };
    let mut page = Page::new(text.agencies_title.to_string(), content);
    page.indexable = false;
    page.header_search = false;
    Ok(views::render(&state, &visitor, page))
}

/// What just happened, named from the agency as identity has it now.
async fn note(state: &SharedState, visitor: &Visitor, done: &str, id: &str) -> Result<Option<Markup>, PageError> {
    let text = &visitor.text().panel.admin;
    let Some(agency) = load(state, visitor, id).await? else {
        return Ok(None);
    };
    let words = match done {
        "suspended" if agency.suspended => (text.agency_suspended)(&agency.name),
        "reinstated" if !agency.suspended => (text.agency_reinstated)(&agency.name),
        _ => return Ok(None),
    };
    Ok(Some(notice(&words, NoticeKind::Success)))
}

async fn load(
    state: &SharedState,
    visitor: &Visitor,
    id: &str,
) -> Result<Option<panel_admin_agency::PanelAdminAgencyAgency>, PageError> {
    let variables = panel_admin_agency::Variables { id: id.to_string() };
    match state.edge.run::<operations::PanelAdminAgency>(visitor.caller(), variables).await {
        Ok(response) => Ok(response.agency),
        // A malformed id names no agency.
        Err(error) if error.is(nds_common::error::ErrorCode::BadUserInput) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

fn group_section(visitor: &Visitor, group: &panel_groups::PanelGroupsGroupsEdgesNode) -> Markup {
    let text = &visitor.text().panel.admin;
    html! {
        section.group id=(format!("group-{}", group.id)) {
            h2 { (group.name) }
            @if group.agencies.is_empty() {
                p.small { (text.no_agencies) }
            } @else {
                (data_table(&(text.agencies_caption)(&group.name), &[text.column_agency, text.column_city, text.column_state, text.column_actions], html! {
                    @for agency in &group.agencies {
                        tr id=(format!("agency-{}", agency.id)) {
                            th scope="row" data-label=(text.column_agency) { (agency.name) }
                            td data-label=(text.column_city) { (agency.city) ", " (agency.state) }
                            td data-label=(text.column_state) {
                                @if agency.suspended { span.badge.badge-danger { (text.state_suspended) } } @else { (text.state_active) }
                            }
                            td.row-actions {
                                @if agency.suspended {
                                    form.inline method="post" action=(format!("/agencies/{}/reinstate", agency.id)) {
                                        (csrf_field(&visitor.csrf))
                                        button.secondary type="submit" { (text.reinstate) }
                                    }
                                } @else {
                                    a href=(format!("/agencies/{}/suspend", agency.id)) { (text.suspend) }
                                }
                            }
                        }
                    }
                }))
            }
        }
    }
}

/// The question before suspending, about the agency as identity has it.
pub async fn confirm_suspend(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require_platform_admin(&visitor)?;
    let agency = load(&state, &visitor, &id).await?.ok_or(PageError::NotFound)?;
    let text = &visitor.text().panel.admin;
    let confirmation = Confirmation {
        question: (text.agency_question)(&agency.name),
        consequence: text.agency_consequence,
        yes: text.agency_yes,
        action: format!("/agencies/{}/suspend", agency.id),
        carry: Vec::new(),
        back: format!("/agencies#agency-{}", agency.id),
    };
    Ok(confirmation_page(&state, &visitor, confirmation))
}

pub async fn suspend(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Posted(_): Posted<NoFields>,
) -> Result<Response, PageError> {
    set_suspended(&state, &visitor, id, true).await
}

pub async fn reinstate(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Posted(_): Posted<NoFields>,
) -> Result<Response, PageError> {
    set_suspended(&state, &visitor, id, false).await
}

async fn set_suspended(
    state: &SharedState,
    visitor: &Visitor,
    id: String,
    suspended: bool,
) -> Result<Response, PageError> {
    require_platform_admin(visitor)?;
    let variables = panel_suspend_agency::Variables { agency_id: id, suspended };
    let agency = state.edge.run::<operations::PanelSuspendAgency>(visitor.caller(), variables).await?.suspend_agency;
    let done = if suspended { "suspended" } else { "reinstated" };
    let id = url_escape(&agency.id);
    Ok(Redirect::to(&format!("/agencies?done={done}&agency={id}#agency-{id}")).into_response())
}
