//! `Posted<T>`: a form body, accepted only with the visitor's CSRF token from
//! the same site; anything else is the "form expired" page and changes nothing.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::error::PageError;
use crate::session::{cookies, csrf};

/// Forms are small; a bigger body is not a person typing.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

pub struct Posted<T>(pub T);

/// A form that carries only its CSRF token (a button: sign out, subscribe…).
#[derive(serde::Deserialize)]
pub struct NoFields {}

#[derive(serde::Deserialize)]
struct Token {
    #[serde(default)]
    csrf: String,
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Posted<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let headers = request.headers().clone();
        let body = axum::body::to_bytes(request.into_body(), MAX_FORM_BYTES)
            .await
            .map_err(|_| PageError::BadRequest.into_response())?;
        let _ = state;
        let token: Token = serde_urlencoded::from_bytes(&body).unwrap_or(Token { csrf: String::new() });
        let host = headers.get(http::header::HOST).and_then(|value| value.to_str().ok());
        if !csrf::accepts(&headers, cookies::read(&headers, cookies::CSRF), &token.csrf, host) {
            return Err(PageError::ExpiredForm.into_response());
        }
        parse(&body).map(Posted).map_err(IntoResponse::into_response)
    }
}

fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, PageError> {
    serde_urlencoded::from_bytes(body).map_err(|error| {
        tracing::debug!(error = %error, "unreadable form");
        PageError::BadRequest
    })
}
