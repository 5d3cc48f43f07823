//! The staff panel (`nds serve panel`): the Admin Dashboard of the architecture.
//!
//! Same foundation as the site (sessions, CSRF, language, error pages, the edge
//! client); its own address, so its session cookie is its own. The tenant rules
//! stay in the services: a page the role may not use is answered by the API's
//! own refusal, rendered as the 403 or 404 page.
//!
//! So far: signing in and out; a home page with the person's roles; the platform
//! admins' queue of agency applications with approval and rejection; and, for an
//! agency's staff, the inventory table (`inventory`: filter by status in the URL,
//! 50 rows a page), the listing form for creating and editing a car (`listing_form`,
//! `listing_editor`: inline checks, the API's field errors, and a conflict page with
//! both versions when someone else saved first), publishing, marking sold and
//! archiving with a confirmation page (`listing_actions`), and a listing's photos
//! (upload, cover, order, deletion); an agency's billing (`billing`: the
//! subscription and the listings it bills this month, promotions running, and
//! the payout account with Stripe's onboarding and its two return pages); the
//! lead inbox (`leads`: 50 a page, unassigned first within the page, refreshed by
//! htmx) and one lead (`lead`: messages that arrive live, reply, status, and the
//! assignment for managers); and the platform admins' people and agencies
//! (`admin_users`: accounts by e-mail with roles and state; `admin_agencies`:
//! groups with their agencies), suspending either after a confirmation page and
//! reinstating in one step (`admin` holds the role check and the question page),
//! and the audit log filtered by action in the URL (`admin_audit`); and the
//! metrics of the platform, a group or an agency with bar charts drawn on the
//! server (`metrics`).
//!
//! Finding cars by make, model or VIN and sorting the inventory wait for the API:
//! `listings` takes only an agency, a status and a cursor.

mod admin;
mod admin_agencies;
mod admin_audit;
mod admin_users;
mod applications;
mod billing;
mod group_agencies;
mod home;
mod inventory;
mod lead;
mod leads;
mod listing_actions;
mod listing_editor;
mod listing_form;
pub mod metrics;
mod photos;
mod promote;
mod staff;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use tower_http::compression::CompressionLayer;

pub(crate) use billing::{billing_path, managed_agency};
pub(crate) use metrics::metrics_path;
pub(crate) use staff::staff_path;

use crate::state::SharedState;
use crate::visitor::visitor_layer;

pub fn panel_router(state: SharedState) -> Router {
    let pages = Router::new()
        .route("/", get(home::home_page))
        .route("/login", get(crate::site::account::log_in_page).post(crate::site::account::log_in))
        .route("/logout", post(crate::site::account::log_out))
        .route("/lang/{lang}", get(crate::site::misc::switch_language))
        .route("/password/forgot", get(crate::site::password::forgot_page).post(crate::site::password::request_reset))
        .route("/applications", get(applications::queue_page))
        .route("/applications/{id}/review", post(applications::review))
        .route(
            "/listings/{id}/photos",
            get(photos::photos_page)
                .post(photos::upload)
                .layer(axum::extract::DefaultBodyLimit::max(photos::MAX_UPLOAD_FORM_BYTES)),
        )
        .route("/inventory", get(inventory::inventory_page))
        .route("/listings/new", get(listing_editor::new_page).post(listing_editor::create))
        .route("/listings/{id}/edit", get(listing_editor::edit_page).post(listing_editor::update))
        .route("/listings/{id}/publish", post(listing_actions::publish))
        .route("/listings/{id}/sold", get(listing_actions::confirm_sold).post(listing_actions::mark_sold))
        .route("/listings/{id}/archive", get(listing_actions::confirm_archive).post(listing_actions::archive))
        .route("/listings/{id}/promote", get(promote::promote_page).post(promote::start_payment))
        .route("/listings/{id}/promote/done", get(promote::payment_done))
        .route("/agencies/{id}/staff", get(staff::staff_page).post(staff::invite))
        .route("/agencies/{id}/billing", get(billing::billing_page))
        .route("/agencies/{id}/billing/subscribe", post(billing::subscribe))
        .route("/agencies/{id}/payouts/start", get(billing::start_payouts))
        .route("/agencies/{id}/payouts/refresh", get(billing::start_payouts))
        .route("/agencies/{id}/payouts/done", get(billing::payouts_done))
        .route("/listings/{id}/photos/order", post(photos::reorder))
        .route("/listings/{id}/photos/{photo}/delete", post(photos::delete))
        // The lead inbox and one lead (leads, lead).
        .route("/leads", get(leads::leads_page))
        .route("/leads/{id}", get(lead::lead_page))
        .route("/leads/{id}/reply", post(lead::reply))
        .route("/leads/{id}/status", post(lead::set_status))
        .route("/leads/{id}/assign", post(lead::assign))
        .route("/leads/{id}/events", get(lead::events))
        // Platform admins: people, agencies, suspensions and the audit log.
        .route("/users", get(admin_users::users_page))
        .route("/users/{id}/suspend", get(admin_users::confirm_suspend).post(admin_users::suspend))
        .route("/users/{id}/reinstate", post(admin_users::reinstate))
        .route("/agencies", get(admin_agencies::agencies_page))
        .route("/agencies/{id}/suspend", get(admin_agencies::confirm_suspend).post(admin_agencies::suspend))
        .route("/agencies/{id}/reinstate", post(admin_agencies::reinstate))
        .route("/audit", get(admin_audit::audit_page))
        // Metrics with charts for the platform, a group or an agency (metrics).
        .route("/metrics", get(metrics::metrics_page))
        .fallback(crate::site::misc::not_found)
        .layer(from_fn_with_state(state.clone(), visitor_layer));
    Router::new()
        .merge(pages)
        .route("/static/{name}", get(crate::assets::serve_static))
        .route("/healthz", get(|| async { "ok" }))
        .route("/robots.txt", get(|| async { "User-agent: *\nDisallow: /\n" }))
        .layer(CompressionLayer::new())
        .layer(nds_common::trace::TraceLayer::http())
        .with_state(state)
}

/// Whether the signed-in person is a platform admin (their session's memberships).
pub(crate) fn is_platform_admin(visitor: &crate::visitor::Visitor) -> bool {
    visitor.has_membership(|membership| membership.role == "PLATFORM_ADMIN")
}

/// Group and platform admins oversee agencies they are not staff of: they may
/// open those agencies' pages read-only (the API decides which).
pub(crate) fn oversees_agencies(visitor: &crate::visitor::Visitor) -> bool {
    visitor.has_membership(|membership| matches!(membership.role.as_str(), "PLATFORM_ADMIN" | "GROUP_ADMIN"))
}

/// Whether the person works on this agency's cars in the panel: its staff and
/// platform admins. A group admin of its group may only read them (the 403 page);
/// to anyone else the car is another tenant's (the 404 page), as the API has it.
pub(crate) fn require_works_on(
    visitor: &crate::visitor::Visitor,
    agency_id: &str,
    group_id: &str,
) -> Result<(), crate::error::PageError> {
    if staff_agencies(visitor).contains(&agency_id) || is_platform_admin(visitor) {
        return Ok(());
    }
    let reads_it = visitor.has_membership(|membership| {
        membership.role == "GROUP_ADMIN" && membership.group_id.as_deref() == Some(group_id)
    });
    Err(if reads_it { crate::error::PageError::Forbidden } else { crate::error::PageError::NotFound })
}

/// The agency a page works on: the one the URL names (`?agency=`; `None` when the
/// person is not its staff: the page refuses, never shows another agency), else
/// their first. Staff of several agencies name it in the URL.
pub(crate) fn current_agency(visitor: &crate::visitor::Visitor, requested: Option<&str>) -> Option<String> {
    let agencies = staff_agencies(visitor);
    match requested {
        Some(id) => agencies.contains(&id).then(|| id.to_string()),
        None => agencies.first().map(|id| id.to_string()),
    }
}

/// The agencies whose cars the person works on (as manager or salesperson).
pub(crate) fn staff_agencies(visitor: &crate::visitor::Visitor) -> Vec<&str> {
    visitor
        .memberships()
        .iter()
        .filter(|membership| matches!(membership.role.as_str(), "AGENCY_MANAGER" | "SALESPERSON"))
        .filter_map(|membership| membership.agency_id.as_deref())
        .collect()
}
