//! A group's agencies side by side, on the group's metrics page
//! (`/metrics?group=<id>`): each agency with its last 30 days (cars published
//! now, views, new leads, median first response, revenue) and links to its
//! read-only inventory and its own metrics. The agencies come from `groups`
//! (a group admin lists their own groups, a platform admin every group); the
//! numbers from one `metrics` per agency, asked at once. The API decides who
//! sees what: a group this person may not list has no table.

use chrono::{DateTime, Duration, Utc};
use futures::future::try_join_all;
use maud::{Markup, html};

use super::metrics::{Number, count, labelled, pesos, total, wire};
use crate::edge::operations::{self, panel_agency_numbers, panel_groups};
use crate::error::{PageError, url_escape};
use crate::state::SharedState;
use crate::views::components::data_table;
use crate::visitor::Visitor;

type Agency = panel_groups::PanelGroupsGroupsEdgesNodeAgencies;
/// More groups than anyone administers; a platform admin's group further down the
/// list gets no table (its numbers still show).
const GROUPS_LOOKED_AT: i64 = 100;

/// The table for this group, or nothing when the person may not list it.
pub(super) async fn side_by_side(
    state: &SharedState,
    visitor: &Visitor,
    group_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<Markup>, PageError> {
    let variables = panel_groups::Variables { first: Some(GROUPS_LOOKED_AT), after: None };
    let groups = match state.edge.run::<operations::PanelGroups>(visitor.caller(), variables).await {
        Ok(data) => data.groups.edges,
        // A manager may read the group's metrics through their agency but not list
        // the group: the page keeps its numbers and shows no table.
        Err(error) if error.is(nds_common::ErrorCode::Forbidden) => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    let Some(group) = groups.into_iter().map(|edge| edge.node).find(|group| group.id == group_id) else {
        return Ok(None);
    };
    let (from, to) = (wire(now - Duration::days(30)), wire(now + Duration::seconds(1)));
    let numbers = try_join_all(group.agencies.iter().map(|agency| {
        let variables =
            panel_agency_numbers::Variables { agency_id: agency.id.clone(), from: from.clone(), to: to.clone() };
        async move {
            let data = state.edge.run::<operations::PanelAgencyNumbers>(visitor.caller(), variables).await?;
            Ok::<_, PageError>(data.metrics.values.iter().map(Number::from).collect::<Vec<_>>())
        }
    }))
    .await?;
    Ok(Some(table(visitor, &group.name, &group.agencies, &numbers)))
}

fn table(visitor: &Visitor, group_name: &str, agencies: &[Agency], numbers: &[Vec<Number>]) -> Markup {
    let text = &visitor.text().panel.metrics;
    let headings = [
        text.column_agency,
        text.published_now,
        text.views,
        text.leads,
        text.first_response,
        text.revenue,
        text.column_links,
    ];
    html! {
        section aria-labelledby="side-by-side" {
            h2 #side-by-side { (text.side_by_side_heading) }
            p { ((text.side_by_side_intro)(group_name)) }
            @if agencies.is_empty() {
                p { (text.no_agencies) }
            } @else {
                (data_table(text.side_by_side_heading, &headings, html! {
                    @for (agency, values) in agencies.iter().zip(numbers) {
                        (row(visitor, agency, values))
                    }
                }))
            }
        }
    }
}

fn row(visitor: &Visitor, agency: &Agency, values: &[Number]) -> Markup {
    let text = &visitor.text().panel.metrics;
    let answered = total(values, "chat", "conversations_answered");
    let first_response = if answered > 0.0 {
        (text.duration)(total(values, "chat", "median_first_response_seconds").round() as i64)
    } else {
        text.no_answers.to_string()
    };
    let agency_param = url_escape(&agency.id);
    html! {
        tr data-agency-row=(agency.id) {
            td.car {
                strong { (agency.name) }
                @if !agency.city.is_empty() { " · " (agency.city) }
                @if agency.suspended { " " span.badge.status-archived { (text.suspended) } }
            }
            td data-label=(text.published_now) data-metric="published" {
                (count(labelled(values, "catalog", "listings", "PUBLISHED")))
            }
            td data-label=(text.views) data-metric="views" { (count(total(values, "catalog", "views"))) }
            td data-label=(text.leads) data-metric="leads" { (count(total(values, "chat", "conversations_started"))) }
            td data-label=(text.first_response) data-metric="first-response" { (first_response) }
            td data-label=(text.revenue) data-metric="revenue" {
                (pesos(total(values, "billing", "billing_revenue_minor"), visitor.lang))
            }
            td.row-actions {
                a href=(format!("/inventory?agency={agency_param}")) { (text.inventory_link) }
                " · "
                a href=(format!("/metrics?agency={agency_param}")) { (text.metrics_link) }
            }
        }
    }
}
