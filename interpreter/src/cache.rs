//! The interpreted-query cache: a trait the service depends on, and an
//! in-process implementation (the embedded default; production adapts the
//! shared Redis cache to the same trait).

use async_trait::async_trait;
use std::time::Duration;

/// A string cache for interpreted queries. Values are the JSON of
/// `SearchFilters`; a cache is never the source of truth, so an
/// implementation swallows its own errors (a failed `get` is a miss, a failed
/// `put` is dropped) and logs them itself.
#[async_trait]
pub trait InterpretCache: Send + Sync {
    async fn get(&self, key: &str) -> Option<String>;
    async fn put(&self, key: &str, value: String);
}

/// Bounded, time-limited in-process cache on `moka::future::Cache`.
#[derive(Clone)]
pub struct InProcessInterpretCache {
    entries: moka::future::Cache<String, String>,
}

impl InProcessInterpretCache {
    pub fn new(max_entries: u64, time_to_live: Duration) -> Self {
        InProcessInterpretCache {
            entries: moka::future::Cache::builder().max_capacity(max_entries).time_to_live(time_to_live).build(),
        }
    }
}

#[async_trait]
impl InterpretCache for InProcessInterpretCache {
    async fn get(&self, key: &str) -> Option<String> {
        self.entries.get(key).await
    }

    async fn put(&self, key: &str, value: String) {
        self.entries.insert(key.to_owned(), value).await;
    }
}

/// A cache that never holds anything, for callers that want none.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoInterpretCache;

#[async_trait]
impl InterpretCache for NoInterpretCache {
    async fn get(&self, _key: &str) -> Option<String> {
        None
    }

    async fn put(&self, _key: &str, _value: String) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn in_process_cache_returns_what_was_put() {
        let cache = InProcessInterpretCache::new(10, Duration::from_secs(60));
        assert_eq!(cache.get("k").await, None);
        cache.put("k", "v".to_owned()).await;
        assert_eq!(cache.get("k").await.as_deref(), Some("v"));
        assert_eq!(NoInterpretCache.get("k").await, None);
    }
}
