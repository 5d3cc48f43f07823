//! Who is asking: the language, the browser's address, the session (refreshed
//! when due), the CSRF token and this response's CSP nonce. A middleware builds
//! it once per request, hands it to the handler, then finishes the response:
//! cookies it owes, security headers, and the error page for a [`PageError`].

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use http::{HeaderValue, header};
use rand::RngCore;
use std::net::{IpAddr, SocketAddr};

use crate::edge::Caller;
use crate::error::{PageError, render_error};
use crate::i18n::Lang;
use crate::session::{ActiveSession, Membership, SESSION_TTL, cookies};
use crate::state::SharedState;

/// A year: the language and CSRF cookies outlive sessions.
const LONG_COOKIE: std::time::Duration = std::time::Duration::from_secs(365 * 24 * 3600);

#[derive(Clone, Debug)]
pub struct Visitor {
    pub lang: Lang,
    /// The browser's address (through trusted proxies only), forwarded to the edge.
    pub address: IpAddr,
    pub session: Option<ActiveSession>,
    /// The token every form of this page carries.
    pub csrf: String,
    /// The nonce of this response's Content-Security-Policy.
    pub nonce: String,
    /// The requested path and query, for "come back here" links.
    pub here: String,
    /// True when htmx asked for a fragment.
    pub htmx: bool,
    /// The `Host` the browser used (same-site checks).
    pub host: Option<String>,
}

impl Visitor {
    pub fn caller(&self) -> Caller<'_> {
        Caller { token: self.session.as_ref().map(|session| session.data.access_token.as_str()), address: self.address }
    }

    pub fn anonymous_caller(&self) -> Caller<'_> {
        Caller { token: None, address: self.address }
    }

    pub fn text(&self) -> &'static crate::i18n::Text {
        self.lang.text()
    }

    pub fn signed_in(&self) -> bool {
        self.session.is_some()
    }

    /// The session, or the page that asks to sign in and comes back here.
    pub fn require_session(&self) -> Result<&ActiveSession, PageError> {
        self.session.as_ref().ok_or_else(|| PageError::SignInRequired(self.here.clone()))
    }

    /// The signed-in person's roles as read at sign-in (none when signed out). Pages
    /// use them only to choose what to offer: the services decide.
    pub fn memberships(&self) -> &[Membership] {
        self.session.as_ref().map(|session| session.data.user.memberships.as_slice()).unwrap_or_default()
    }

    /// Whether any of the person's roles passes `test`.
    pub fn has_membership(&self, test: impl Fn(&Membership) -> bool) -> bool {
        self.memberships().iter().any(test)
    }
}

fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buffer)
}

/// The strict policy of every HTML page: scripts only with this response's nonce,
/// styles and images from the site (plus https images and the media origin), no
/// framing, forms to the site only.
pub fn content_security_policy(nonce: &str, allow_stripe: bool, media_origin: Option<&str>) -> String {
    let media = media_origin.map(|origin| format!(" {origin}")).unwrap_or_default();
    // Stripe's Payment Element: its script, its frames and its API, on the pages that pay.
    let (stripe_script, frames, stripe_connect) = if allow_stripe {
        (" https://js.stripe.com", "https://js.stripe.com https://hooks.stripe.com", " https://api.stripe.com")
    } else {
        ("", "'none'", "")
    };
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}'{stripe_script}; style-src 'self'; img-src 'self' https: data:{media}; \
         connect-src 'self'{stripe_connect}; frame-src {frames}; frame-ancestors 'none'; base-uri 'none'; \
         form-action 'self'; object-src 'none'"
    )
}

/// Marks a response whose page loads Stripe.js (the CSP then allows it).
#[derive(Clone, Copy, Debug)]
pub struct UsesStripe;

pub async fn visitor_layer(State(state): State<SharedState>, mut request: Request, next: Next) -> Response {
    let headers = request.headers();
    let lang = Lang::negotiate(
        cookies::read(headers, cookies::LANG),
        headers.get(header::ACCEPT_LANGUAGE).and_then(|value| value.to_str().ok()),
    );
    // Behind the ingress the peer is the controller: the browser is named in
    // X-Forwarded-For, believed only from a trusted proxy (the edge's rule).
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let address = state.trusted_proxies.client_address(peer, headers);
    let existing_csrf = cookies::read(headers, cookies::CSRF).map(str::to_string);
    let session_id = cookies::read(headers, cookies::SESSION).map(str::to_string);
    let htmx = headers.contains_key("hx-request");
    let host = headers.get(header::HOST).and_then(|value| value.to_str().ok()).map(str::to_string);
    let here = request.uri().path_and_query().map(|value| value.as_str().to_string()).unwrap_or_else(|| "/".into());

    let mut session = None;
    let mut clear_session = false;
    if let Some(id) = session_id {
        match state.sessions.current(&id, address).await {
            Some(data) => session = Some(ActiveSession { id, data }),
            None => clear_session = true,
        }
    }
    let csrf = existing_csrf.clone().unwrap_or_else(|| random_token(32));
    let visitor = Visitor { lang, address, session, csrf: csrf.clone(), nonce: random_token(16), here, htmx, host };
    request.extensions_mut().insert(visitor.clone());

    let mut response = next.run(request).await;
    if let Some(error) = response.extensions().get::<PageError>().cloned() {
        // A signed-in person asked to sign in: the edge refused their token (they
        // were suspended, or their session was revoked). The session ends here, or
        // the login page would send them straight back with it.
        if let (PageError::SignInRequired(_), Some(session)) = (&error, &visitor.session) {
            state.sessions.delete(&session.id).await;
            clear_session = true;
        }
        response = render_error(&state, &visitor, &error);
    }
    finish(&state, &visitor, existing_csrf.is_none(), clear_session, response)
}

fn finish(
    state: &SharedState,
    visitor: &Visitor,
    new_csrf: bool,
    clear_session: bool,
    mut response: Response,
) -> Response {
    let secure = state.settings.secure_cookies;
    let already_set_csrf = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|value| value.to_str().is_ok_and(|value| value.starts_with(cookies::CSRF)));
    let headers = response.headers_mut();
    if new_csrf && !already_set_csrf {
        append_cookie(headers, &cookies::set(cookies::CSRF, &visitor.csrf, LONG_COOKIE, secure));
    }
    if clear_session {
        append_cookie(headers, &cookies::clear(cookies::SESSION, secure));
    }
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if is_html {
        let uses_stripe = response.extensions().get::<UsesStripe>().is_some();
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&content_security_policy(
            &visitor.nonce,
            uses_stripe,
            state.settings.media_origin.as_deref(),
        )) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
        // Pages carry per-visitor tokens: never stored by shared caches.
        headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("private, no-cache"));
        headers.insert(header::VARY, HeaderValue::from_static("Cookie, Accept-Language, HX-Request"));
    }
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    response
}

pub fn append_cookie(headers: &mut http::HeaderMap, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.append(header::SET_COOKIE, value);
    }
}

/// Sets the cookies of a new session (and a new CSRF token, so a token seen
/// before signing in is useless after).
pub fn signed_in_response(state: &SharedState, session_id: &str, mut response: Response) -> Response {
    let secure = state.settings.secure_cookies;
    let headers = response.headers_mut();
    append_cookie(headers, &cookies::set(cookies::SESSION, session_id, SESSION_TTL, secure));
    append_cookie(headers, &cookies::set(cookies::CSRF, &random_token(32), LONG_COOKIE, secure));
    response
}

/// Ends the session cookie.
pub fn signed_out_response(state: &SharedState, mut response: Response) -> Response {
    append_cookie(response.headers_mut(), &cookies::clear(cookies::SESSION, state.settings.secure_cookies));
    response
}

/// Remembers the chosen language.
pub fn with_language_cookie(state: &SharedState, lang: Lang, mut response: Response) -> Response {
    append_cookie(
        response.headers_mut(),
        &cookies::set(cookies::LANG, lang.code(), LONG_COOKIE, state.settings.secure_cookies),
    );
    response
}

/// The visitor a handler receives (inserted by [`visitor_layer`]).
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut http::request::Parts, _state: &S) -> Result<Self, Response> {
        parts
            .extensions
            .get::<Visitor>()
            .cloned()
            .ok_or_else(|| PageError::Internal("the visitor layer is missing".into()).into_response())
    }
}
