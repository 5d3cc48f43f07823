//! Errors as pages: every failure a person can meet becomes words they
//! understand, with the right status; never a code, a stack trace or JSON.
//! Handlers return a [`PageError`]; the visitor layer renders it in the
//! visitor's language (it knows the language and the CSP nonce).

use axum::response::{IntoResponse, Redirect, Response};
use http::StatusCode;
use maud::html;
use nds_common::error::ErrorCode;

use crate::edge::EdgeError;
use crate::state::SharedState;
use crate::views::{self, Page};
use crate::visitor::Visitor;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageError {
    NotFound,
    Forbidden,
    Unavailable,
    RateLimited,
    /// Input the page cannot take (beyond what forms show next to their fields).
    BadRequest,
    /// A form without a valid CSRF token.
    ExpiredForm,
    /// Sign in, then come back to this path.
    SignInRequired(String),
    Internal(String),
}

impl PageError {
    fn status(&self) -> StatusCode {
        match self {
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::Forbidden | PageError::ExpiredForm => StatusCode::FORBIDDEN,
            PageError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            PageError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            PageError::BadRequest => StatusCode::BAD_REQUEST,
            PageError::SignInRequired(_) => StatusCode::SEE_OTHER,
            PageError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<EdgeError> for PageError {
    fn from(error: EdgeError) -> PageError {
        match &error {
            EdgeError::RateLimited => return PageError::RateLimited,
            EdgeError::Unavailable(reason) => {
                tracing::warn!(reason = %reason, "edge unavailable");
                return PageError::Unavailable;
            }
            EdgeError::Api(_) => {}
        }
        match error.code() {
            ErrorCode::NotFound => PageError::NotFound,
            ErrorCode::Forbidden => PageError::Forbidden,
            // The session ended between the layer's check and this call.
            ErrorCode::Unauthenticated => PageError::SignInRequired("/".into()),
            ErrorCode::Unavailable => PageError::Unavailable,
            ErrorCode::BadUserInput | ErrorCode::Conflict | ErrorCode::PaymentNotConfigured => PageError::BadRequest,
            ErrorCode::Internal => PageError::Internal(error.to_string()),
        }
    }
}

/// The handler's side: a bare response that carries the error for the layer.
impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// The layer's side: the page, in the visitor's language.
pub fn render_error(state: &SharedState, visitor: &Visitor, error: &PageError) -> Response {
    let text = &visitor.text().errors;
    let (title, body) = match error {
        PageError::SignInRequired(next) => {
            let next = if next == "/" { visitor.here.as_str() } else { next.as_str() };
            return Redirect::to(&format!("/login?next={}", url_escape(next))).into_response();
        }
        PageError::NotFound => (text.not_found_title, text.not_found_body),
        PageError::Forbidden => (text.forbidden_title, text.forbidden_body),
        PageError::Unavailable => (text.unavailable_title, text.unavailable_body),
        PageError::RateLimited => (text.too_many_title, text.too_many_body),
        PageError::BadRequest => (text.bad_request_title, text.bad_request_body),
        PageError::ExpiredForm => (text.bad_request_title, text.expired_form),
        PageError::Internal(reason) => {
            tracing::error!(reason = %reason, path = %visitor.here, "page failed");
            (text.internal_title, text.internal_body)
        }
    };
    let retry = matches!(error, PageError::Unavailable | PageError::RateLimited | PageError::Internal(_));
    let content = html! {
        section.notice.notice-error role="alert" {
            h1 { (title) }
            p { (body) }
            p.actions {
                @if retry { a.button href=(visitor.here) { (text.try_again) } " " }
                a href="/" { (text.go_home) }
            }
        }
    };
    let mut response = views::render(state, visitor, Page::new(title.to_string(), content).status(error.status()));
    if matches!(error, PageError::RateLimited | PageError::Unavailable) {
        response.headers_mut().insert(http::header::RETRY_AFTER, http::HeaderValue::from_static("30"));
    }
    response
}

/// Percent-encodes a path for a query value.
/// An id from a URL path: ids are UUIDs, so anything else is a page that does not exist.
pub fn path_id(raw: &str) -> Result<String, PageError> {
    uuid::Uuid::parse_str(raw).map(|id| id.to_string()).map_err(|_| PageError::NotFound)
}

pub fn url_escape(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A local path to come back to after signing in; anything else (another host,
/// `//evil`, a scheme) becomes the home page, so the login form is no open redirect.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => path.to_string(),
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_always_a_local_path() {
        assert_eq!(safe_next(Some("/autos/1?x=2")), "/autos/1?x=2");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn edge_errors_become_page_errors() {
        use crate::edge::ApiFailure;
        let api = |code| EdgeError::Api(vec![ApiFailure { code, message: "m".into(), field: None }]);
        assert_eq!(PageError::from(api(ErrorCode::NotFound)), PageError::NotFound);
        assert_eq!(PageError::from(api(ErrorCode::Forbidden)), PageError::Forbidden);
        assert_eq!(PageError::from(api(ErrorCode::Unavailable)), PageError::Unavailable);
        assert_eq!(PageError::from(EdgeError::RateLimited), PageError::RateLimited);
        assert_eq!(PageError::from(EdgeError::Unavailable("refused".into())), PageError::Unavailable);
    }
}
