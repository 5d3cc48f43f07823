//! Failed-log-in throttling per account and per client address.
//!
//! Counters live in the shared cache (Redis in production) so every replica sees
//! them; that cache fails open, so each process also keeps its own bounded,
//! expiring counters and the stricter of the two decides: Redis down means a
//! per-process limit, never no limit.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use nds_common::cache::SharedCache;
use sha2::{Digest, Sha256};

/// Failures counted per fixed window.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failed attempts on one account per window before it is refused.
pub const ACCOUNT_LIMIT: i64 = 5;
/// Failed attempts from one address per window (offices share addresses: looser).
pub const ADDRESS_LIMIT: i64 = 30;
/// In-process counters kept at most (memory bound under a spray of addresses).
const LOCAL_CAPACITY: u64 = 100_000;

pub struct LoginThrottle {
    cache: SharedCache,
    local: moka::future::Cache<String, Arc<AtomicI64>>,
}

/// The two counters an attempt touches.
#[derive(Clone, Debug)]
pub struct AttemptKeys {
    account: String,
    address: Option<String>,
}

impl AttemptKeys {
    /// Keys are hashed: raw emails and addresses never sit in Redis.
    pub fn new(email: &str, client_address: &str) -> AttemptKeys {
        let digest = |kind: &str, value: &str| {
            let hash = hex::encode(Sha256::digest(format!("{kind}:{value}").as_bytes()));
            format!("identity:login-failures:{kind}:{}", &hash[..32])
        };
        let address = client_address.trim();
        AttemptKeys {
            account: digest("account", &email.trim().to_lowercase()),
            // Internal callers send no address: only the account counter applies.
            address: (!address.is_empty()).then(|| digest("address", address)),
        }
    }

    fn with_limits(&self) -> impl Iterator<Item = (&str, i64)> {
        std::iter::once((self.account.as_str(), ACCOUNT_LIMIT))
            .chain(self.address.as_deref().map(|address| (address, ADDRESS_LIMIT)))
    }
}

fn window_index() -> i64 {
    chrono::Utc::now().timestamp() / WINDOW.as_secs() as i64
}

/// Shared counters are per window (the window is part of the key); they expire
/// shortly after their window so finished windows don't pile up in Redis.
fn shared_key(key: &str) -> String {
    format!("{key}:{}", window_index())
}

impl LoginThrottle {
    pub fn new(cache: SharedCache) -> LoginThrottle {
        let local = moka::future::Cache::builder().max_capacity(LOCAL_CAPACITY).time_to_live(WINDOW).build();
        LoginThrottle { cache, local }
    }

    async fn failures(&self, key: &str) -> i64 {
        let shared = self.cache.increment_expiring(&shared_key(key), 0, WINDOW * 2).await.unwrap_or(0);
        let local = self.local.get(key).await.map(|counter| counter.load(Ordering::SeqCst)).unwrap_or(0);
        shared.max(local)
    }

    /// False when the account or the address used up its failures for now.
    pub async fn allows(&self, keys: &AttemptKeys) -> bool {
        for (key, limit) in keys.with_limits() {
            if self.failures(key).await >= limit {
                return false;
            }
        }
        true
    }

    pub async fn record_failure(&self, keys: &AttemptKeys) {
        for (key, _) in keys.with_limits() {
            self.cache.increment_expiring(&shared_key(key), 1, WINDOW * 2).await;
            let counter = self.local.get_with(key.to_string(), async { Arc::new(AtomicI64::new(0)) }).await;
            counter.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A successful log-in clears the account's failures (not the address's:
    /// one good password must not unlock spraying from the same address).
    pub async fn record_success(&self, keys: &AttemptKeys) {
        self.cache.take_counter(&shared_key(&keys.account)).await;
        self.local.invalidate(&keys.account).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nds_common::cache::{MemoryCache, RedisCache};

    #[tokio::test]
    async fn an_account_is_refused_after_its_limit_and_cleared_by_success() {
        let throttle = LoginThrottle::new(MemoryCache::shared(100));
        let keys = AttemptKeys::new("ana@example.com", "10.0.0.1");
        for _ in 0..ACCOUNT_LIMIT {
            assert!(throttle.allows(&keys).await);
            throttle.record_failure(&keys).await;
        }
        assert!(!throttle.allows(&keys).await);
        // The same account from elsewhere is refused too; another account is not.
        assert!(!throttle.allows(&AttemptKeys::new("ANA@example.com ", "10.0.0.2")).await);
        assert!(throttle.allows(&AttemptKeys::new("bea@example.com", "10.0.0.1")).await);
        throttle.record_success(&keys).await;
        assert!(throttle.allows(&keys).await);
    }

    #[tokio::test]
    async fn an_address_is_refused_after_spraying_many_accounts() {
        let throttle = LoginThrottle::new(MemoryCache::shared(100));
        for attempt in 0..ADDRESS_LIMIT {
            throttle.record_failure(&AttemptKeys::new(&format!("user{attempt}@example.com"), "10.9.9.9")).await;
        }
        assert!(!throttle.allows(&AttemptKeys::new("fresh@example.com", "10.9.9.9")).await);
        assert!(throttle.allows(&AttemptKeys::new("fresh@example.com", "10.9.9.8")).await);
    }

    #[tokio::test]
    async fn a_dead_redis_still_throttles_in_process() {
        let dead = RedisCache::connect_lazy("redis://127.0.0.1:1", "dead:").unwrap();
        let throttle = LoginThrottle::new(Arc::new(dead));
        let keys = AttemptKeys::new("ana@example.com", "");
        for _ in 0..ACCOUNT_LIMIT {
            throttle.record_failure(&keys).await;
        }
        assert!(!throttle.allows(&keys).await);
    }

    #[tokio::test]
    async fn redis_counters_are_shared_between_processes() {
        let prefix = nds_common::testing::redis_prefix();
        let url = nds_common::testing::redis_url();
        let first = LoginThrottle::new(Arc::new(RedisCache::connect_lazy(&url, prefix.clone()).unwrap()));
        let second = LoginThrottle::new(Arc::new(RedisCache::connect_lazy(&url, prefix).unwrap()));
        let keys = AttemptKeys::new("ana@example.com", "10.0.0.1");
        for _ in 0..ACCOUNT_LIMIT {
            first.record_failure(&keys).await;
        }
        assert!(!second.allows(&keys).await, "a second replica must see the first one's failures");
    }
}
