//! Rate limits per client address and per bearer token, in fixed one-minute
//! windows counted in the shared cache (Redis in production, so every edge replica
//! counts together). When the cache is down the edge counts in-process: a Redis
//! outage loosens the limit to per replica, it never removes it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use nds_common::cache::{Cache, MemoryCache, SharedCache};
use sha2::{Digest, Sha256};

const WINDOW: Duration = Duration::from_secs(60);

pub struct RateLimiter {
    shared: SharedCache,
    local: MemoryCache,
    per_client: i64,
    per_user: i64,
}

impl RateLimiter {
    pub fn new(shared: SharedCache, per_client: u32, per_user: u32) -> Self {
        Self {
            shared,
            local: MemoryCache::new(100_000),
            per_client: i64::from(per_client),
            per_user: i64::from(per_user),
        }
    }

    async fn count(&self, key: &str) -> i64 {
        match self.shared.increment_expiring(key, 1, WINDOW).await {
            Some(count) => count,
            None => self.local.increment_expiring(key, 1, WINDOW).await.unwrap_or(i64::MAX),
        }
    }

    /// True when this request stays within both limits.
    pub async fn allow(&self, client: &str, bearer_token: Option<&str>) -> bool {
        let window = chrono::Utc::now().timestamp() / WINDOW.as_secs() as i64;
        if self.count(&format!("ratelimit:client:{client}:{window}")).await > self.per_client {
            return false;
        }
        if let Some(token) = bearer_token {
            // Keyed by a digest: the token itself never lands in the cache.
            let digest = Sha256::digest(token.as_bytes());
            let key = format!("ratelimit:token:{}:{window}", hex_prefix(&digest));
            if self.count(&key).await > self.per_user {
                return false;
            }
        }
        true
    }
}

fn hex_prefix(bytes: &[u8]) -> String {
    bytes.iter().take(16).map(|byte| format!("{byte:02x}")).collect()
}

pub async fn enforce(
    State(limiter): State<Arc<RateLimiter>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::to_string);
    if limiter.allow(&peer.ip().to_string(), bearer.as_deref()).await {
        return next.run(request).await;
    }
    let body = serde_json::json!({
        "errors": [{ "message": "too many requests; slow down", "extensions": { "code": "UNAVAILABLE" } }]
    });
    let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn clients_and_tokens_are_limited_separately() {
        let limiter = RateLimiter::new(MemoryCache::shared(100), 3, 2);
        for _ in 0..3 {
            assert!(limiter.allow("10.0.0.1", None).await);
        }
        assert!(!limiter.allow("10.0.0.1", None).await, "fourth request of the client is refused");
        assert!(limiter.allow("10.0.0.2", Some("token-a")).await);
        assert!(limiter.allow("10.0.0.3", Some("token-a")).await);
        assert!(!limiter.allow("10.0.0.4", Some("token-a")).await, "a token is limited across addresses");
        assert!(limiter.allow("10.0.0.4", Some("token-b")).await);
    }

    #[tokio::test]
    async fn a_dead_redis_falls_back_to_counting_in_process() {
        let dead = nds_common::cache::RedisCache::connect_lazy("redis://127.0.0.1:1", "dead:").unwrap();
        let limiter = RateLimiter::new(Arc::new(dead), 2, 100);
        assert!(limiter.allow("10.0.0.9", None).await);
        assert!(limiter.allow("10.0.0.9", None).await);
        assert!(!limiter.allow("10.0.0.9", None).await, "Redis down must not mean no limit");
    }
}
