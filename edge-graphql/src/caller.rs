//! Who sent a request: the client's address and bearer token, read once the
//! request passed the rate limits. Every GraphQL route (WebSocket upgrades too)
//! takes a [`Caller`], so the limits are an extractor rather than a middleware
//! layer: axum boxes and clones a layered route on every request, and this check
//! needs none of that. The address follows the trusted-proxy rule of
//! [`crate::client_address`].

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::EdgeState;

pub struct Caller {
    pub address: IpAddr,
    pub bearer_token: Option<String>,
}

/// The token of an `Authorization: Bearer …` header.
fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")).map(str::trim)
}

impl FromRequestParts<Arc<EdgeState>> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<EdgeState>) -> Result<Self, Response> {
        let ConnectInfo(peer) =
            ConnectInfo::<SocketAddr>::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        let address = state.trusted_proxies.client_address(peer.ip(), &parts.headers);
        let bearer_token = bearer_token(parts);
        if !state.rate_limiter.allow(address, bearer_token) {
            return Err(crate::rate_limit::too_many_requests());
        }
        Ok(Caller { address, bearer_token: bearer_token.map(str::to_string) })
    }
}
