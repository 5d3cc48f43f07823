//! The staff panel (`nds serve panel`): the Admin Dashboard of the architecture.
//!
//! Same foundation as the site (sessions, CSRF, language, error pages, the edge
//! client); its own address, so its session cookie is its own. The tenant rules
//! stay in the services: a page the role may not use is answered by the API's
//! own refusal, rendered as the 403 or 404 page.
//!
//! So far: signing in and out, a home page with the person's roles, and the
//! platform admins' queue of agency applications with approval and rejection, and
//! a listing's photos (upload, cover, order, deletion) for its agency's staff.

mod applications;
mod home;
mod photos;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use tower_http::compression::CompressionLayer;

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
        .route("/listings/{id}/photos/order", post(photos::reorder))
        .route("/listings/{id}/photos/{photo}/delete", post(photos::delete))
        .fallback(crate::site::misc::not_found)
        .layer(from_fn_with_state(state.clone(), visitor_layer));
    Router::new()
        .merge(pages)
        .route("/static/{name}", get(crate::assets::serve_static))
        .route("/healthz", get(|| async { "ok" }))
        .route("/robots.txt", get(|| async { "User-agent: *\nDisallow: /\n" }))
        .layer(CompressionLayer::new())
        .with_state(state)
}

/// Whether the signed-in person is a platform admin (their session's memberships).
pub(crate) fn is_platform_admin(visitor: &crate::visitor::Visitor) -> bool {
    visitor.session.as_ref().is_some_and(|session| {
        session.data.user.memberships.iter().any(|membership| membership.role == "PLATFORM_ADMIN")
    })
}
