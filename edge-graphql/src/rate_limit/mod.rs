//! Rate limits per client address and per bearer token, in fixed one-minute
//! windows. Every replica counts in process and, when the cache is shared (Redis in
//! production), adds its counts to the shared counters a few times a second and
//! learns the others' in return. So a request costs no round trip, a caller that
//! spreads over replicas is caught within one sync, and a Redis outage loosens the
//! limit to per replica: it never removes it.

mod windows;

use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nds_common::cache::SharedCache;
use nds_common::error::ErrorCode;
use sha2::{Digest, Sha256};

use windows::{Caller, Windows};

/// Limits count per fixed window of this length, aligned to the epoch.
pub const WINDOW: Duration = Duration::from_secs(60);
/// How often counts meet the shared cache: a caller spread over N replicas can
/// overshoot its limit by what N-1 replicas serve it in this time.
const SYNC_EVERY: Duration = Duration::from_millis(250);
/// Counters per sync round trip.
const SYNC_BATCH: usize = 1_000;
/// Distinct callers one replica tracks per window.
const MAX_CALLERS: usize = 200_000;

pub struct RateLimiter {
    windows: Arc<Mutex<Windows>>,
    per_client: i64,
    per_user: i64,
}

impl RateLimiter {
    /// Starts the sync with `shared` when it spans replicas: call from within the
    /// runtime. The sync ends when the limiter is dropped.
    pub fn new(shared: SharedCache, per_client: u32, per_user: u32) -> Self {
        let limiter = Self::unsynced(per_client, per_user);
        if !shared.is_in_process() {
            tokio::spawn(sync_forever(Arc::downgrade(&limiter.windows), shared));
        }
        limiter
    }

    /// Counting in this process only.
    fn unsynced(per_client: u32, per_user: u32) -> Self {
        Self {
            windows: Arc::new(Mutex::new(Windows::new(MAX_CALLERS))),
            per_client: i64::from(per_client),
            per_user: i64::from(per_user),
        }
    }

    /// True when this request stays within both limits; counts it.
    pub fn allow(&self, client: IpAddr, bearer_token: Option<&str>) -> bool {
        self.allow_in(current_window(), client, bearer_token)
    }

    /// [`RateLimiter::allow`] in a given window: tests pin it, so a minute turning
    /// over mid-test cannot reset the counts they assert.
    fn allow_in(&self, window: u64, client: IpAddr, bearer_token: Option<&str>) -> bool {
        // Hashed before the lock is taken.
        let token = bearer_token.map(token_caller);
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.count(Caller::Client(client), window) > self.per_client {
            return false;
        }
        match token {
            Some(token) => windows.count(token, window) <= self.per_user,
            None => true,
        }
    }
}

fn current_window() -> u64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    now.as_secs() / WINDOW.as_secs()
}

fn token_caller(token: &str) -> Caller {
    let digest = Sha256::digest(token.as_bytes());
    let mut prefix = [0u8; 16];
    prefix.copy_from_slice(&digest[..16]);
    Caller::Token(prefix)
}

async fn sync_forever(windows: Weak<Mutex<Windows>>, shared: SharedCache) {
    let mut ticks = tokio::time::interval(SYNC_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(windows) = windows.upgrade() else {
            return;
        };
        sync(&windows, shared.as_ref()).await;
    }
}

/// Sends the requests counted since the last sync and folds in the shared totals.
async fn sync(windows: &Mutex<Windows>, shared: &dyn nds_common::cache::Cache) {
    let batch = windows.lock().unwrap_or_else(PoisonError::into_inner).take_pending();
    let mut totals = Vec::with_capacity(batch.increments.len());
    let mut failed = false;
    for chunk in batch.increments.chunks(SYNC_BATCH) {
        let increments: Vec<(String, i64)> =
            chunk.iter().map(|(caller, by)| (caller.shared_key(batch.window), *by)).collect();
        // Keys live two windows: long enough for a replica whose clock is behind.
        match shared.increment_expiring_many(&increments, WINDOW * 2).await {
            Some(chunk_totals) if chunk_totals.len() == chunk.len() => totals.extend(chunk_totals),
            _ => {
                failed = true;
                break;
            }
        }
    }
    // A failed chunk settles what was sent before it too: as counted here alone.
    let totals = if failed { None } else { Some(totals.as_slice()) };
    windows.lock().unwrap_or_else(PoisonError::into_inner).settle(&batch, totals);
}

/// The answer to a request over a limit: 429, in GraphQL's error shape.
pub fn too_many_requests() -> Response {
    let body = serde_json::json!({
        "errors": [{
            "message": "too many requests; slow down",
            "extensions": { "code": ErrorCode::Unavailable.as_str() },
        }]
    });
    let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    response
}

#[cfg(test)]
mod tests {
    use nds_common::cache::{MemoryCache, RedisCache};

    use super::*;

    fn address(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    /// Every test counts in one fixed window, whatever the clock says.
    const PINNED_WINDOW: u64 = 29_000_000;

    impl RateLimiter {
        fn allow_pinned(&self, client: IpAddr, bearer_token: Option<&str>) -> bool {
            self.allow_in(PINNED_WINDOW, client, bearer_token)
        }
    }

    #[tokio::test]
    async fn clients_and_tokens_are_limited_separately() {
        let limiter = RateLimiter::new(MemoryCache::shared(100), 3, 2);
        for _ in 0..3 {
            assert!(limiter.allow_pinned(address(1), None));
        }
        assert!(!limiter.allow_pinned(address(1), None), "fourth request of the client is refused");
        assert!(limiter.allow_pinned(address(2), Some("token-a")));
        assert!(limiter.allow_pinned(address(3), Some("token-a")));
        assert!(!limiter.allow_pinned(address(4), Some("token-a")), "a token is limited across addresses");
        assert!(limiter.allow_pinned(address(4), Some("token-b")));
    }

    #[tokio::test]
    async fn a_dead_redis_leaves_the_limit_counted_in_process() {
        let dead: SharedCache = Arc::new(RedisCache::connect_lazy("redis://127.0.0.1:1", "dead:").unwrap());
        let limiter = RateLimiter::unsynced(2, 100);
        assert!(limiter.allow_pinned(address(9), None));
        sync(&limiter.windows, dead.as_ref()).await;
        assert!(limiter.allow_pinned(address(9), None));
        assert!(!limiter.allow_pinned(address(9), None), "Redis down must not mean no limit");
    }

    #[tokio::test]
    async fn replicas_sharing_redis_see_each_others_requests_after_a_sync() {
        let redis = || -> SharedCache {
            let prefix = nds_common::testing::redis_prefix();
            Arc::new(RedisCache::connect_lazy(&nds_common::testing::redis_url(), prefix).unwrap())
        };
        let shared = redis();
        // Synced by hand: a background sync in flight would blur the counts asserted.
        let (first, second) = (RateLimiter::unsynced(4, 100), RateLimiter::unsynced(4, 100));
        for _ in 0..3 {
            assert!(first.allow_pinned(address(5), None));
        }
        assert!(second.allow_pinned(address(5), None), "the second replica knows nothing yet");
        sync(&first.windows, shared.as_ref()).await;
        sync(&second.windows, shared.as_ref()).await;
        assert!(!second.allow_pinned(address(5), None), "four requests in all: the fifth is refused");
        assert!(second.allow_pinned(address(6), None), "other clients are untouched");

        // A replica on another Redis prefix (another deployment) counts apart.
        let apart = redis();
        let third = RateLimiter::unsynced(4, 100);
        sync(&third.windows, apart.as_ref()).await;
        assert!(third.allow_pinned(address(5), None));
    }

    #[tokio::test]
    async fn the_background_sync_shares_counts_without_being_asked() {
        let shared: SharedCache = Arc::new(
            RedisCache::connect_lazy(&nds_common::testing::redis_url(), nds_common::testing::redis_prefix()).unwrap(),
        );
        // The first replica uses up the limit. The second polls far fewer times than
        // the limit within the timeout, so only the synced count can refuse it.
        const LIMIT: u32 = 1_000;
        let (first, second) =
            (RateLimiter::new(shared.clone(), LIMIT, 100), RateLimiter::new(shared.clone(), LIMIT, 100));
        for _ in 0..LIMIT {
            assert!(first.allow_pinned(address(7), None));
        }
        assert!(second.allow_pinned(address(7), None), "the second replica knows nothing yet");
        let refused = async {
            while second.allow_pinned(address(7), None) {
                tokio::time::sleep(SYNC_EVERY / 5).await;
            }
        };
        // At most 200 polls of the second replica in this time.
        tokio::time::timeout(Duration::from_secs(10), refused).await.expect("the second replica learns the count");
    }
}
