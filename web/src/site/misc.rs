//! Small routes: the language switch, robots.txt, the 404 fallback.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};

use crate::error::{PageError, safe_next};
use crate::i18n::Lang;
use crate::state::SharedState;
use crate::visitor::with_language_cookie;

#[derive(serde::Deserialize)]
pub struct Back {
    back: Option<String>,
}

/// `/lang/en?back=/autos/…`: remembers the choice and returns to the page.
pub async fn switch_language(
    State(state): State<SharedState>,
    Path(lang): Path<String>,
    Query(query): Query<Back>,
) -> Response {
    let back = safe_next(query.back.as_deref());
    match Lang::parse(&lang) {
        Some(lang) => with_language_cookie(&state, lang, Redirect::to(&back).into_response()),
        None => Redirect::to(&back).into_response(),
    }
}

pub async fn robots(State(state): State<SharedState>) -> String {
    format!(
        "User-agent: *\nDisallow: /account\nDisallow: /conversations\nDisallow: /favourites\nDisallow: /saved-searches\n\
         Disallow: /login\nDisallow: /signup\nDisallow: /password/\nDisallow: /invitations/\n\nSitemap: {}/sitemap.xml\n",
        state.settings.public_url
    )
}

pub async fn not_found() -> PageError {
    PageError::NotFound
}
