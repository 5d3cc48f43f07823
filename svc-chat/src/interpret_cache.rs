//! The interpreter's cache on the shared cache (Redis in production, in-process
//! otherwise): interpretations are deterministic for a rules version, so an hour
//! is safe and keeps popular phrasings off the language model.

use std::time::Duration;

use async_trait::async_trait;
use nds_common::cache::SharedCache;

use nds_interpreter::InterpretCache;

const TIME_TO_LIVE: Duration = Duration::from_secs(3600);

pub struct SharedInterpretCache {
    cache: SharedCache,
}

impl SharedInterpretCache {
    pub fn new(cache: SharedCache) -> Self {
        Self { cache }
    }
}

#[async_trait]
impl InterpretCache for SharedInterpretCache {
    async fn get(&self, key: &str) -> Option<String> {
        let bytes = self.cache.get(key).await?;
        String::from_utf8(bytes).ok()
    }

    async fn put(&self, key: &str, value: String) {
        self.cache.set(key, value.as_bytes(), TIME_TO_LIVE).await;
    }
}
