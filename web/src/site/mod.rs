//! The buyer site's routes.

pub(crate) mod account;
mod buyer;
mod cards;
mod conversations;
mod deposit;
mod invitations;
mod listing;
pub(crate) mod misc;
pub(crate) mod password;
mod retired;
pub mod search;
pub mod search_params;
mod sell;
mod sitemap;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use tower_http::compression::CompressionLayer;

use crate::state::SharedState;
use crate::visitor::visitor_layer;

pub fn site_router(state: SharedState) -> Router {
    let pages = Router::new()
        .route("/", get(search::search_page))
        .route("/autos/{id}", get(listing::listing_page))
        .route("/autos/{id}/favourite", post(listing::toggle_favourite))
        .route("/autos/{id}/contact", post(conversations::contact))
        .route("/favourites", get(buyer::favourites))
        .route("/saved-searches", get(buyer::saved_searches).post(buyer::save_search))
        .route("/saved-searches/{id}/delete", post(buyer::delete_saved_search))
        .route("/conversations", get(conversations::inbox))
        .route("/conversations/{id}", get(conversations::thread).post(conversations::reply))
        .route("/conversations/{id}/events", get(conversations::events))
        .route("/login", get(account::log_in_page).post(account::log_in))
        .route("/signup", get(account::sign_up_page).post(account::sign_up))
        .route("/logout", post(account::log_out))
        .route("/account", get(account::account_page))
        .route("/account/password", get(password::change_page).post(password::change))
        .route("/password/forgot", get(password::forgot_page).post(password::request_reset))
        .route("/password/reset", get(password::reset_page).post(password::reset))
        .route("/sell", get(sell::sell_page).post(sell::apply))
        .route("/invitations/accept", get(invitations::accept_page).post(invitations::accept))
        .route("/autos/{id}/deposit", get(deposit::deposit_page).post(deposit::start_deposit))
        .route("/autos/{id}/deposit/done", get(deposit::deposit_done))
        .route("/lang/{lang}", get(misc::switch_language))
        .route("/sitemap.xml", get(sitemap::index))
        .route("/sitemaps/listings.xml", get(sitemap::listings))
        .fallback(misc::not_found)
        .layer(from_fn_with_state(state.clone(), visitor_layer));
    Router::new()
        .merge(pages)
        .route("/static/{name}", get(crate::assets::serve_static))
        .route("/healthz", get(|| async { "ok" }))
        .route("/robots.txt", get(misc::robots))
        .layer(CompressionLayer::new())
        .layer(nds_common::trace::TraceLayer::http())
        .with_state(state)
}
