//! `/audit?action=&after=`: the platform admins' audit log (`auditLog`), newest
//! first, 50 rows a page on the API's cursor, filtered by one action; the filter
//! is a GET form and the pages are links, so the URL holds both.

use axum::extract::{Query, State};
use axum::response::Response;
use chrono::Timelike;
use maud::{Markup, html};

use super::admin::require_platform_admin;
use crate::edge::operations::{self, panel_audit_log};
use crate::error::{PageError, url_escape};
use crate::i18n::{Lang, format};
use crate::state::SharedState;
use crate::views::components::{data_table, empty_state, pager};
use crate::views::{self, Page};
use crate::visitor::Visitor;

const PAGE_SIZE: i64 = 50;

/// The actions identity and billing record, in the filter's order.
const ACTIONS: [&str; 12] = [
    "user.suspended",
    "user.reinstated",
    "agency.suspended",
    "agency.reinstated",
    "application.approved",
    "application.rejected",
    "membership.granted",
    "invitation.created",
    "password.reset",
    "password.changed",
    "promotion.purchased",
    "deposit.refunded",
];

#[derive(serde::Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    action: String,
    after: Option<String>,
}

fn audit_path(action: &str, after: Option<&str>) -> String {
    let mut path = "/audit".to_string();
    let mut separator = '?';
    if !action.is_empty() {
        path.push_str(&format!("{separator}action={}", url_escape(action)));
        separator = '&';
    }
    if let Some(after) = after {
        path.push_str(&format!("{separator}after={}", url_escape(after)));
    }
    path
}

pub async fn audit_page(
    State(state): State<SharedState>,
    visitor: Visitor,
    Query(query): Query<AuditQuery>,
) -> Result<Response, PageError> {
    require_platform_admin(&visitor)?;
    let action = query.action.trim();
    // A URL naming no action we know is a mistake, not an empty log.
    if !action.is_empty() && !ACTIONS.contains(&action) {
        return Err(PageError::BadRequest);
    }
    let variables = panel_audit_log::Variables {
        action: (!action.is_empty()).then(|| action.to_string()),
        first: Some(PAGE_SIZE),
        after: query.after.clone(),
    };
    let log = state.edge.run::<operations::PanelAuditLog>(visitor.caller(), variables).await?.audit_log;
    let text = &visitor.text().panel.admin;
    let first = query.after.is_some().then(|| (visitor.text().panel.first_page, audit_path(action, None)));
    let next = match (log.page_info.has_next_page, &log.page_info.end_cursor) {
        (true, Some(cursor)) => Some((visitor.text().panel.next_page, audit_path(action, Some(cursor)))),
        _ => None,
    };
    let content = html! {
        h1 { (text.audit_title) }
        p { (text.audit_intro) }
        form.audit-filter method="get" action="/audit" {
            div.field {
                label for="field-action" { (text.action_label) }
                select id="field-action" name="action" {
                    option value="" selected[action.is_empty()] { (text.all_actions) }
                    @for known in ACTIONS {
                        option value=(known) selected[known == action] { ((text.action_name)(known)) }
                    }
                }
            }
            button type="submit" { (text.filter) }
        }
        p.small role="status" { ((text.entries_count)(log.total_count)) }
        @if log.edges.is_empty() {
            (empty_state(text.no_entries, None))
        } @else {
            (data_table(text.audit_caption, &[text.column_when, text.column_who, text.column_action, text.column_target], html! {
                @for edge in &log.edges { (row(&visitor, &edge.node)) }
            }))
        }
        (pager(text.pages, first, next))
    };
    let mut page = Page::new(text.audit_title.to_string(), content);
    page.indexable = false;
    page.header_search = false;
    Ok(views::render(&state, &visitor, page))
}

/// `5 dic 2026, 14:03 UTC`: the log is read across time zones, so it says which.
fn when(raw: Option<&str>, lang: Lang) -> String {
    match format::parse_api_time(raw) {
        Some(moment) => format!("{}, {:02}:{:02} UTC", format::date(moment, lang), moment.hour(), moment.minute()),
        None => String::new(),
    }
}

/// The money of a billing action (a promotion's price, a refund's amount), from
/// its details.
fn amount_of(detail_json: &str, lang: Lang) -> Option<String> {
    let detail: serde_json::Value = serde_json::from_str(detail_json).ok()?;
    let minor = detail.get("amount_minor")?.as_i64()?;
    let currency = detail.get("currency")?.as_str()?;
    Some(format::money_exact(minor, currency, lang))
}

fn row(visitor: &Visitor, entry: &panel_audit_log::PanelAuditLogAuditLogEdgesNode) -> Markup {
    let text = &visitor.text().panel.admin;
    let who = match (&entry.actor_email, entry.actor.as_str()) {
        (Some(email), _) => email.clone(),
        (None, "system") => text.system_actor.to_string(),
        (None, "stripe") => "Stripe".to_string(),
        (None, actor) => actor.to_string(),
    };
    let target = match (&entry.target_label, entry.target_type.as_str()) {
        (Some(car), "listing") => crate::names::display_name(car),
        (Some(label), _) => label.clone(),
        (None, target_type) => format!("{target_type} {}", entry.target_id),
    };
    let amount = amount_of(&entry.detail_json, visitor.lang);
    html! {
        tr {
            td data-label=(text.column_when) { time datetime=(entry.created_at.as_deref().unwrap_or_default()) { (when(entry.created_at.as_deref(), visitor.lang)) } }
            td data-label=(text.column_who) { (who) }
            td data-label=(text.column_action) { ((text.action_name)(&entry.action)) }
            td data-label=(text.column_target) {
                @if entry.target_type == "user" && entry.target_label.is_some() {
                    a href=(super::admin_users::users_path(&target)) { (target) }
                } @else {
                    (target)
                }
                @if let Some(amount) = amount {
                    " · " (amount)
                }
            }
        }
    }
}
