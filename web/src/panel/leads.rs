//! The lead inbox (`/leads`): buyers' conversations with the agency, 50 a page
//! on the API's cursor. `conversations` scopes them (a manager sees the agency's,
//! a salesperson theirs and the unassigned ones) and orders them by latest
//! activity; it takes no status filter and no order of its own, so unassigned
//! leads come first only within each page, and there is no status filter yet.
//! The pager is links, so the inbox works with JavaScript off; with htmx the
//! table asks again every few seconds, so a new lead or message shows without
//! reload (the API has no agency-wide subscription to push it).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use maud::{Markup, html};

use crate::edge::operations::{self, panel_leads};
use crate::edge::wire_name;
use crate::error::{PageError, url_escape};
use crate::i18n::format;
use crate::names::car_name;
use crate::state::SharedState;
use crate::views::components::{data_table, empty_state, pager};
use crate::views::{self, Page};
use crate::visitor::Visitor;

const PAGE_SIZE: i64 = 50;
/// How often an open inbox asks for news (htmx), in seconds.
const REFRESH_SECONDS: u32 = 5;

type Lead = panel_leads::PanelLeadsConversationsEdgesNode;

#[derive(serde::Deserialize, Default)]
pub struct LeadsQuery {
    after: Option<String>,
    /// For staff of several agencies: whose staff names the assignees.
    agency: Option<String>,
}

pub fn lead_path(id: &str) -> String {
    format!("/leads/{id}")
}

/// The API names no buyer to staff: the id's first characters tell two apart.
pub fn buyer_reference(buyer_id: &str) -> String {
    buyer_id.chars().filter(char::is_ascii_alphanumeric).take(6).collect::<String>().to_ascii_uppercase()
}

/// How many of the latest 50 leads have something unread (the home page's
/// count; the API gives no agency-wide total, and one page is cheap).
pub async fn recent_unread_leads(state: &SharedState, visitor: &Visitor) -> Result<usize, PageError> {
    let variables = operations::panel_recent_unread_leads::Variables { first: PAGE_SIZE };
    let response = state.edge.run::<operations::PanelRecentUnreadLeads>(visitor.caller(), variables).await?;
    Ok(response.conversations.edges.iter().filter(|edge| edge.node.unread_count > 0).count())
}

/// The status badge, coloured per status by site.css.
pub fn status_badge(visitor: &Visitor, status: &str) -> Markup {
    let label = (visitor.text().panel.leads.status)(status);
    html! { span class=(format!("badge lead-{}", status.to_ascii_lowercase())) { (label) } }
}

/// Unassigned leads first, each group keeping the API's order (latest activity first).
fn unassigned_first(leads: &mut [&Lead]) {
    leads.sort_by_key(|lead| lead.assignee_id.is_some());
}

pub async fn leads_page(
    State(state): State<SharedState>,
    visitor: Visitor,
    Query(query): Query<LeadsQuery>,
) -> Result<Response, PageError> {
    let session = visitor.require_session()?;
    // Only an agency's staff have leads; the API scopes the rows.
    let agency_id = super::current_agency(&visitor, query.agency.as_deref()).ok_or(PageError::Forbidden)?;
    let after = query.after.filter(|cursor| !cursor.is_empty());
    let variables = panel_leads::Variables { agency_id: agency_id.clone(), first: PAGE_SIZE, after: after.clone() };
    let response = state.edge.run::<operations::PanelLeads>(visitor.caller(), variables).await?;
    let names: HashMap<&str, &str> =
        response.agency_staff.iter().map(|person| (person.id.as_str(), person.name.as_str())).collect();
    let connection = &response.conversations;
    let mut leads: Vec<&Lead> = connection.edges.iter().map(|edge| &edge.node).collect();
    unassigned_first(&mut leads);

    let text = &visitor.text().panel.leads;
    let agency_param = query.agency.as_ref().map(|_| format!("agency={}", url_escape(&agency_id)));
    let href = |cursor: Option<&str>| {
        let pairs: Vec<String> = [agency_param.clone(), cursor.map(|cursor| format!("after={}", url_escape(cursor)))]
            .into_iter()
            .flatten()
            .collect();
        if pairs.is_empty() { "/leads".to_string() } else { format!("/leads?{}", pairs.join("&")) }
    };
    let here = href(after.as_deref());
    let first = after.is_some().then(|| (text.first_page, href(None)));
    let next = match (connection.page_info.has_next_page, connection.page_info.end_cursor.as_deref()) {
        (true, Some(cursor)) => Some((text.next_page, href(Some(cursor)))),
        _ => None,
    };
    let headings = [
        text.column_buyer,
        text.column_car,
        text.column_status,
        text.column_assignee,
        text.column_unread,
        text.column_activity,
    ];
    let me = session.data.user.id.as_str();
    let now = chrono::Utc::now();
    let content = html! {
        h1 { (text.title) }
        p { (text.intro) }
        // Asks for itself again (htmx) and swaps only this region; the URL keeps the page.
        div.leads #leads hx-get=(here) hx-trigger=(format!("every {REFRESH_SECONDS}s")) hx-select="#leads"
            hx-target="this" hx-swap="outerHTML" {
            p.small { ((text.count)(connection.total_count)) }
            @if leads.is_empty() {
                (empty_state(text.empty, None))
            } @else {
                (data_table(text.caption, &headings, html! {
                    @for lead in &leads { (row(&visitor, lead, &names, me, now)) }
                }))
            }
            noscript { p.small { a href=(here) { (text.refresh) } } }
            (pager(text.pages, first.clone(), next.clone()))
        }
    };
    let mut page = Page::new(text.title.to_string(), content);
    page.header_search = false;
    Ok(views::render(&state, &visitor, page))
}

fn row(
    visitor: &Visitor,
    lead: &Lead,
    names: &HashMap<&str, &str>,
    me: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Markup {
    let text = &visitor.text().panel.leads;
    let car = match &lead.listing {
        Some(listing) => format!("{} {}", car_name(&listing.make, &listing.model), listing.year),
        None => text.car_unavailable.to_string(),
    };
    let assignee = match lead.assignee_id.as_deref() {
        None => text.unassigned,
        Some(id) if id == me => text.assigned_to_you,
        Some(id) => names.get(id).copied().unwrap_or(text.assigned_unknown),
    };
    let activity = format::parse_api_time(lead.last_message_at.as_deref())
        .map(|moment| format::relative(moment, now, visitor.lang))
        .unwrap_or_default();
    html! {
        tr id=(format!("lead-{}", lead.id)) .has-unread[lead.unread_count > 0] {
            td.buyer { a href=(lead_path(&lead.id)) { ((text.buyer_ref)(&buyer_reference(&lead.buyer_id))) } }
            td.car data-label=(text.column_car) { (car) }
            td.status { (status_badge(visitor, &wire_name(&lead.status))) }
            td.assignee data-label=(text.column_assignee) {
                @if lead.assignee_id.is_none() { strong { (assignee) } } @else { (assignee) }
            }
            td.unread-count data-label=(text.column_unread) {
                @if lead.unread_count > 0 {
                    span.unread { ((text.unread)(lead.unread_count)) }
                } @else { "0" }
            }
            td.activity data-label=(text.column_activity) { (activity) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead(id: &str, assignee: Option<&str>) -> Lead {
        Lead {
            id: id.into(),
            agency_id: "a".into(),
            buyer_id: "b".into(),
            status: panel_leads::ConversationStatus::NEW,
            assignee_id: assignee.map(str::to_string),
            unread_count: 0,
            last_message_at: None,
            listing: None,
        }
    }

    #[test]
    fn unassigned_leads_come_first_and_each_group_keeps_its_order() {
        let (one, two, three, four) = (lead("1", Some("s")), lead("2", None), lead("3", Some("s")), lead("4", None));
        let mut leads = vec![&one, &two, &three, &four];
        unassigned_first(&mut leads);
        let order: Vec<&str> = leads.iter().map(|lead| lead.id.as_str()).collect();
        assert_eq!(order, ["2", "4", "1", "3"]);
    }

    #[test]
    fn a_buyer_reference_is_six_letters_of_the_id() {
        assert_eq!(buyer_reference("0b8f4f9e-3b1c-4f0e-9a57-8d5f1c2a7e10"), "0B8F4F");
    }
}
