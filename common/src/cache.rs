//! The cache: Redis in production, in-process otherwise. Never the source of truth:
//! every operation fails open (a miss, a skipped write) and a dead Redis costs
//! milliseconds, not bb8's default 30-second connection timeout.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bb8_redis::RedisConnectionManager;
use bb8_redis::bb8::Pool;
use bb8_redis::redis::AsyncCommands;

use crate::breaker::Breaker;

/// Waiting for a pooled Redis connection longer than this means Redis is down.
pub const REDIS_CONNECTION_TIMEOUT: Duration = Duration::from_millis(250);
/// One command longer than this is treated as a failure.
pub const REDIS_COMMAND_TIMEOUT: Duration = Duration::from_millis(150);

#[async_trait]
pub trait Cache: Send + Sync + 'static {
    async fn get(&self, key: &str) -> Option<Vec<u8>>;
    async fn set(&self, key: &str, value: &[u8], ttl: Duration);
    async fn delete(&self, key: &str);
    /// Adds `by` to a counter and returns the new value (None if the cache is down).
    async fn increment(&self, key: &str, by: i64) -> Option<i64>;
    /// Atomically reads and removes a counter (for flushing to the database).
    async fn take_counter(&self, key: &str) -> Option<i64>;
    /// Adds `by` to a counter that expires `ttl` after its last increment (rate
    /// limits, throttles); None if the cache is down.
    async fn increment_expiring(&self, key: &str, by: i64, ttl: Duration) -> Option<i64>;
    /// [`Cache::increment_expiring`] for many counters at once (one round trip to
    /// Redis); the new values in the order given, None if the cache is down.
    async fn increment_expiring_many(&self, increments: &[(String, i64)], ttl: Duration) -> Option<Vec<i64>> {
        let mut values = Vec::with_capacity(increments.len());
        for (key, by) in increments {
            values.push(self.increment_expiring(key, *by, ttl).await?);
        }
        Some(values)
    }
    /// True when the cache lives in this process, so nothing it holds is shared
    /// with other replicas.
    fn is_in_process(&self) -> bool {
        false
    }
    fn backend_name(&self) -> &'static str;
}

pub type SharedCache = Arc<dyn Cache>;

/// In-process cache for `nds dev` and single-process set-ups.
pub struct MemoryCache {
    entries: moka::future::Cache<String, (Arc<Vec<u8>>, std::time::Instant)>,
    counters: moka::future::Cache<String, Arc<std::sync::atomic::AtomicI64>>,
    /// Counters with an expiry, as (count, expires at).
    expiring: moka::future::Cache<String, Arc<std::sync::Mutex<(i64, std::time::Instant)>>>,
}

impl MemoryCache {
    pub fn new(max_entries: u64) -> Self {
        Self {
            entries: moka::future::Cache::builder().max_capacity(max_entries).build(),
            counters: moka::future::Cache::builder().build(),
            expiring: moka::future::Cache::builder().max_capacity(max_entries).build(),
        }
    }

    pub fn shared(max_entries: u64) -> SharedCache {
        Arc::new(MemoryCache::new(max_entries))
    }
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Option<Vec<u8>> {
        let (value, expires_at) = self.entries.get(key).await?;
        if std::time::Instant::now() >= expires_at {
            self.entries.invalidate(key).await;
            return None;
        }
        Some(value.as_ref().clone())
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) {
        let expires_at = std::time::Instant::now() + ttl;
        self.entries.insert(key.to_string(), (Arc::new(value.to_vec()), expires_at)).await;
    }

    async fn delete(&self, key: &str) {
        self.entries.invalidate(key).await;
    }

    async fn increment(&self, key: &str, by: i64) -> Option<i64> {
        let counter = self.counters.get_with(key.to_string(), async { Arc::new(Default::default()) }).await;
        Some(counter.fetch_add(by, std::sync::atomic::Ordering::SeqCst) + by)
    }

    async fn take_counter(&self, key: &str) -> Option<i64> {
        // One key is one counter whichever increment made it (as in Redis).
        if let Some(expiring) = self.expiring.remove(key).await {
            let (count, expires_at) = *expiring.lock().ok()?;
            return Some(if std::time::Instant::now() < expires_at { count } else { 0 });
        }
        let counter = self.counters.get(key).await?;
        Some(counter.swap(0, std::sync::atomic::Ordering::SeqCst))
    }

    async fn increment_expiring(&self, key: &str, by: i64, ttl: Duration) -> Option<i64> {
        let now = std::time::Instant::now();
        let counter = self
            .expiring
            .get_with(key.to_string(), async move { Arc::new(std::sync::Mutex::new((0, now + ttl))) })
            .await;
        let mut state = counter.lock().ok()?;
        if now >= state.1 {
            *state = (0, now + ttl);
        }
        state.0 += by;
        state.1 = now + ttl;
        Some(state.0)
    }

    fn is_in_process(&self) -> bool {
        true
    }

    fn backend_name(&self) -> &'static str {
        "memory"
    }
}

/// Redis through a bb8 pool, every key under a prefix (per deployment, per test).
pub struct RedisCache {
    pool: Pool<RedisConnectionManager>,
    prefix: String,
    /// Open when Redis failed: every operation is a miss at once instead of each
    /// one waiting out the connection timeout (a read made three of them, 0.75 s,
    /// in the Redis outage test).
    breaker: Breaker,
}

/// How long a failed Redis is skipped before one operation tries it again.
const REDIS_RETRY_AFTER: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
#[error("redis: {0}")]
pub struct RedisSetupError(String);

impl RedisCache {
    /// Builds the pool without connecting: a Redis that is down at start-up only
    /// means cache misses until it comes back.
    pub fn connect_lazy(url: &str, prefix: impl Into<String>) -> Result<Self, RedisSetupError> {
        let manager = RedisConnectionManager::new(url).map_err(|error| RedisSetupError(error.to_string()))?;
        let pool = Pool::builder()
            .max_size(16)
            .connection_timeout(REDIS_CONNECTION_TIMEOUT)
            .retry_connection(false)
            .build_unchecked(manager);
        Ok(Self { pool, prefix: prefix.into(), breaker: Breaker::new(REDIS_RETRY_AFTER) })
    }

    pub fn pool(&self) -> &Pool<RedisConnectionManager> {
        &self.pool
    }

    pub fn key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    async fn run<T, F, Fut>(&self, operation: &'static str, command: F) -> Option<T>
    where
        F: FnOnce(bb8_redis::bb8::PooledConnection<'static, RedisConnectionManager>) -> Fut,
        Fut: std::future::Future<Output = bb8_redis::redis::RedisResult<T>>,
    {
        if self.skipping() {
            return None;
        }
        let attempt = async {
            let connection = self.pool.get_owned().await.map_err(|error| error.to_string())?;
            command(connection).await.map_err(|error| error.to_string())
        };
        let error = match tokio::time::timeout(REDIS_COMMAND_TIMEOUT + REDIS_CONNECTION_TIMEOUT, attempt).await {
            Ok(Ok(value)) => return Some(value),
            Ok(Err(error)) => error,
            Err(_) => "timed out".to_string(),
        };
        tracing::warn!(operation, error = %error, "redis failed; continuing without cache for {REDIS_RETRY_AFTER:?}");
        self.breaker.record_failure();
        None
    }

    /// True while a recent failure has Redis skipped.
    fn skipping(&self) -> bool {
        self.breaker.is_open()
    }
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Option<Vec<u8>> {
        let key = self.key(key);
        self.run("get", |mut connection| async move { connection.get::<_, Option<Vec<u8>>>(key).await }).await.flatten()
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) {
        let key = self.key(key);
        let seconds = ttl.as_secs().max(1);
        let value = value.to_vec();
        self.run("set", |mut connection| async move { connection.set_ex::<_, _, ()>(key, value, seconds).await }).await;
    }

    async fn delete(&self, key: &str) {
        let key = self.key(key);
        self.run("delete", |mut connection| async move { connection.del::<_, ()>(key).await }).await;
    }

    async fn increment(&self, key: &str, by: i64) -> Option<i64> {
        let key = self.key(key);
        self.run("incr", |mut connection| async move { connection.incr::<_, _, i64>(key, by).await }).await
    }

    async fn take_counter(&self, key: &str) -> Option<i64> {
        let key = self.key(key);
        self.run("getdel", |mut connection| async move { connection.get_del::<_, Option<i64>>(key).await })
            .await
            .flatten()
    }

    async fn increment_expiring(&self, key: &str, by: i64, ttl: Duration) -> Option<i64> {
        let key = self.key(key);
        let seconds = i64::try_from(ttl.as_secs().max(1)).unwrap_or(i64::MAX);
        self.run("incr_expire", |mut connection| async move {
            let (count,): (i64,) = bb8_redis::redis::pipe()
                .atomic()
                .incr(&key, by)
                .expire(&key, seconds)
                .ignore()
                .query_async(&mut *connection)
                .await?;
            Ok(count)
        })
        .await
    }

    async fn increment_expiring_many(&self, increments: &[(String, i64)], ttl: Duration) -> Option<Vec<i64>> {
        if increments.is_empty() {
            return Some(Vec::new());
        }
        let seconds = i64::try_from(ttl.as_secs().max(1)).unwrap_or(i64::MAX);
        let mut pipeline = bb8_redis::redis::pipe();
        for (key, by) in increments {
            pipeline.incr(self.key(key), *by).expire(self.key(key), seconds).ignore();
        }
        self.run("incr_expire_many", |mut connection| async move {
            pipeline.query_async::<Vec<i64>>(&mut *connection).await
        })
        .await
    }

    fn backend_name(&self) -> &'static str {
        "redis"
    }
}

/// Redis when a URL is configured, the in-process cache otherwise.
pub fn from_config(redis_url: Option<&str>, prefix: &str) -> Result<SharedCache, RedisSetupError> {
    match redis_url {
        Some(url) => Ok(Arc::new(RedisCache::connect_lazy(url, prefix)?)),
        None => Ok(MemoryCache::shared(100_000)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn behaves_like_a_cache(cache: &dyn Cache, prefix: &str) {
        let key = format!("{prefix}:k");
        assert_eq!(cache.get(&key).await, None);
        cache.set(&key, b"v1", Duration::from_secs(30)).await;
        assert_eq!(cache.get(&key).await.as_deref(), Some(&b"v1"[..]));
        cache.delete(&key).await;
        assert_eq!(cache.get(&key).await, None);

        let counter = format!("{prefix}:views");
        assert_eq!(cache.increment(&counter, 2).await, Some(2));
        assert_eq!(cache.increment(&counter, 3).await, Some(5));
        assert_eq!(cache.take_counter(&counter).await, Some(5));
        assert!(matches!(cache.take_counter(&counter).await, None | Some(0)));

        let window = format!("{prefix}:window");
        assert_eq!(cache.increment_expiring(&window, 1, Duration::from_secs(1)).await, Some(1));
        assert_eq!(cache.increment_expiring(&window, 1, Duration::from_secs(1)).await, Some(2));
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert_eq!(
            cache.increment_expiring(&window, 1, Duration::from_secs(1)).await,
            Some(1),
            "expired counters restart"
        );

        let many = [(format!("{prefix}:a"), 2), (format!("{prefix}:b"), 5), (format!("{prefix}:a"), 1)];
        assert_eq!(cache.increment_expiring_many(&many, Duration::from_secs(30)).await, Some(vec![2, 5, 3]));
        assert_eq!(cache.increment_expiring(&many[1].0, 1, Duration::from_secs(30)).await, Some(6));
        assert_eq!(cache.increment_expiring_many(&[], Duration::from_secs(30)).await, Some(vec![]));
    }

    #[tokio::test]
    async fn memory_cache_behaves_like_a_cache() {
        behaves_like_a_cache(&MemoryCache::new(100), "memory").await;
    }

    #[tokio::test]
    async fn memory_cache_expires_entries() {
        let cache = MemoryCache::new(10);
        cache.set("k", b"v", Duration::from_millis(1)).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(cache.get("k").await, None);
    }

    #[tokio::test]
    async fn redis_cache_behaves_like_a_cache() {
        let prefix = crate::testing::redis_prefix();
        let cache = RedisCache::connect_lazy(&crate::testing::redis_url(), prefix.clone()).unwrap();
        behaves_like_a_cache(&cache, "t").await;
    }

    #[tokio::test]
    async fn a_dead_redis_fails_open_quickly() {
        // Nothing listens on port 1: every call must degrade to a miss, not an error or a hang.
        let cache = RedisCache::connect_lazy("redis://127.0.0.1:1", "dead:").unwrap();
        assert_eq!(cache.get("k").await, None);
        cache.set("k", b"v", Duration::from_secs(1)).await;
        assert_eq!(cache.increment("c", 1).await, None);
        assert_eq!(cache.increment_expiring_many(&[("c".into(), 1)], Duration::from_secs(1)).await, None);
    }

    #[tokio::test]
    async fn a_failed_redis_is_skipped_for_a_while_and_a_live_one_never() {
        let dead = RedisCache::connect_lazy("redis://127.0.0.1:1", "dead:").unwrap();
        assert!(!dead.skipping(), "nothing failed yet");
        assert_eq!(dead.get("k").await, None);
        assert!(dead.skipping(), "after a failure the next operations do not wait for Redis");

        let live = RedisCache::connect_lazy(&crate::testing::redis_url(), crate::testing::redis_prefix()).unwrap();
        live.set("k", b"v", Duration::from_secs(5)).await;
        assert_eq!(live.get("k").await.as_deref(), Some(&b"v"[..]));
        assert!(!live.skipping());
    }
}
