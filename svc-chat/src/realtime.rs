//! Live delivery of messages: every replica keeps one in-process broadcast that
//! its open `StreamMessages` calls read from. With Redis configured, a message is
//! also published on one pub/sub channel and every other replica's subscriber
//! task re-broadcasts it locally, so a buyer connected to replica A hears an
//! answer sent through replica B. Messages are stored before they are published:
//! a subscriber that misses one (Redis down, lagging) finds it in the history.

use std::sync::Arc;
use std::time::Duration;

use bb8_redis::redis;
use futures::StreamExt;
use nds_common::Shutdown;
use nds_common::cache::SharedCache;
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, broadcast};
use uuid::Uuid;

use crate::error::ChatError;

/// How many live messages a slow stream may fall behind before it skips some.
const LOCAL_CAPACITY: usize = 1024;
const REDIS_TIMEOUT: Duration = Duration::from_millis(500);
const RESUBSCRIBE_PAUSE: Duration = Duration::from_secs(1);

/// A stored message as it travels to live subscribers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveMessage {
    pub id: String,
    pub conversation_id: String,
    pub sender_id: String,
    pub sender_side: String,
    pub body: String,
    pub sent_at_unix: i64,
    pub sequence: i64,
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    /// The replica that published it (it already delivered locally).
    origin: Uuid,
    message: LiveMessage,
}

struct RedisFanout {
    client: redis::Client,
    channel: String,
    publisher: Mutex<Option<redis::aio::MultiplexedConnection>>,
}

pub struct MessageHub {
    replica: Uuid,
    local: broadcast::Sender<Arc<LiveMessage>>,
    redis: Option<RedisFanout>,
}

impl MessageHub {
    /// In-process only (`nds dev`, one replica).
    pub fn local() -> Arc<MessageHub> {
        let (local, _) = broadcast::channel(LOCAL_CAPACITY);
        Arc::new(MessageHub { replica: Uuid::new_v4(), local, redis: None })
    }

    /// Fan-out through Redis pub/sub on `channel`; starts the subscriber task,
    /// which reconnects until `shutdown`.
    pub fn with_redis(url: &str, channel: String, shutdown: Shutdown) -> Result<Arc<MessageHub>, ChatError> {
        let client = redis::Client::open(url).map_err(|error| ChatError::Redis(error.to_string()))?;
        let (local, _) = broadcast::channel(LOCAL_CAPACITY);
        let hub = Arc::new(MessageHub {
            replica: Uuid::new_v4(),
            local,
            redis: Some(RedisFanout { client, channel, publisher: Mutex::new(None) }),
        });
        tokio::spawn(run_subscriber(hub.clone(), shutdown));
        Ok(hub)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveMessage>> {
        self.local.subscribe()
    }

    /// Delivers to this replica's streams now and to the others through Redis.
    pub async fn publish(&self, message: LiveMessage) {
        // No receiver is not an error: nobody is watching right now.
        let _no_receivers_is_fine = self.local.send(Arc::new(message.clone()));
        let Some(fanout) = &self.redis else {
            return;
        };
        let Ok(payload) = serde_json::to_string(&Envelope { origin: self.replica, message }) else {
            return;
        };
        if let Err(error) = publish_to_redis(fanout, payload).await {
            tracing::warn!(error = %error, "chat fan-out publish failed; other replicas miss this live message");
        }
    }
}

async fn publish_to_redis(fanout: &RedisFanout, payload: String) -> Result<(), String> {
    let mut publisher = fanout.publisher.lock().await;
    if publisher.is_none() {
        let connection = tokio::time::timeout(REDIS_TIMEOUT, fanout.client.get_multiplexed_async_connection())
            .await
            .map_err(|_| "connect timed out".to_string())?
            .map_err(|error| error.to_string())?;
        *publisher = Some(connection);
    }
    let Some(connection) = publisher.as_mut() else {
        return Err("no connection".to_string());
    };
    let sent = tokio::time::timeout(
        REDIS_TIMEOUT,
        redis::cmd("PUBLISH").arg(&fanout.channel).arg(payload).query_async::<i64>(connection),
    )
    .await;
    match sent {
        Ok(Ok(_receivers)) => Ok(()),
        Ok(Err(error)) => {
            *publisher = None;
            Err(error.to_string())
        }
        Err(_) => {
            *publisher = None;
            Err("publish timed out".to_string())
        }
    }
}

async fn run_subscriber(hub: Arc<MessageHub>, shutdown: Shutdown) {
    let Some(fanout) = &hub.redis else {
        return;
    };
    while !shutdown.is_triggered() {
        tokio::select! {
            outcome = subscribe_once(&hub, fanout) => {
                if let Err(error) = outcome {
                    tracing::warn!(error = %error, "chat fan-out subscription lost; resubscribing");
                }
            }
            () = shutdown.wait() => return,
        }
        tokio::select! {
            () = tokio::time::sleep(RESUBSCRIBE_PAUSE) => {}
            () = shutdown.wait() => return,
        }
    }
}

/// One pub/sub connection (pub/sub needs its own): rebroadcasts until it breaks.
async fn subscribe_once(hub: &MessageHub, fanout: &RedisFanout) -> Result<(), String> {
    let mut pubsub = tokio::time::timeout(REDIS_TIMEOUT, fanout.client.get_async_pubsub())
        .await
        .map_err(|_| "connect timed out".to_string())?
        .map_err(|error| error.to_string())?;
    pubsub.subscribe(&fanout.channel).await.map_err(|error| error.to_string())?;
    tracing::debug!(channel = %fanout.channel, "chat fan-out subscribed");
    let mut messages = pubsub.into_on_message();
    while let Some(message) = messages.next().await {
        let Ok(payload) = message.get_payload::<String>() else {
            continue;
        };
        let Ok(envelope) = serde_json::from_str::<Envelope>(&payload) else {
            tracing::warn!("chat fan-out: unreadable payload skipped");
            continue;
        };
        if envelope.origin == hub.replica {
            continue;
        }
        let _no_receivers_is_fine = hub.local.send(Arc::new(envelope.message));
    }
    Err("subscription stream ended".to_string())
}

/// Who is watching a conversation right now (their `StreamMessages` is open), in
/// the shared cache so every replica knows; expires on its own if a replica dies.
#[derive(Clone)]
pub struct Presence {
    cache: SharedCache,
}

const PRESENCE_TTL: Duration = Duration::from_secs(60);
const PRESENCE_REFRESH: Duration = Duration::from_secs(20);

fn presence_key(conversation_id: &str, user_id: &str) -> String {
    format!("chat:presence:{conversation_id}:{user_id}")
}

impl Presence {
    pub fn new(cache: SharedCache) -> Self {
        Self { cache }
    }

    pub async fn is_connected(&self, conversation_id: &str, user_id: &str) -> bool {
        self.cache.get(&presence_key(conversation_id, user_id)).await.is_some()
    }

    /// Marks the user present until the guard is dropped.
    pub async fn enter(&self, conversation_id: &str, user_id: &str) -> PresenceGuard {
        let key = presence_key(conversation_id, user_id);
        self.cache.set(&key, b"1", PRESENCE_TTL).await;
        let cache = self.cache.clone();
        let refresh_key = key.clone();
        let refresher = tokio::spawn(async move {
            loop {
                tokio::time::sleep(PRESENCE_REFRESH).await;
                cache.set(&refresh_key, b"1", PRESENCE_TTL).await;
            }
        });
        PresenceGuard { cache: self.cache.clone(), key, refresher }
    }
}

pub struct PresenceGuard {
    cache: SharedCache,
    key: String,
    refresher: tokio::task::JoinHandle<()>,
}

impl Drop for PresenceGuard {
    fn drop(&mut self) {
        self.refresher.abort();
        let cache = self.cache.clone();
        let key = std::mem::take(&mut self.key);
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move { cache.delete(&key).await });
        }
    }
}

/// Messages per user per minute: counted in the shared cache (all replicas), or
/// in this process when the cache is down — never no limit.
pub struct RateLimiter {
    cache: SharedCache,
    per_minute: i64,
    local: std::sync::Mutex<std::collections::HashMap<Uuid, (i64, i64)>>,
}

impl RateLimiter {
    pub fn new(cache: SharedCache, per_minute: i64) -> Self {
        Self { cache, per_minute, local: std::sync::Mutex::new(std::collections::HashMap::new()) }
    }

    /// Counts one message; false when the user is over the limit.
    pub async fn allow(&self, user_id: Uuid) -> bool {
        let minute = nds_common::clock::now_unix() / 60;
        let key = format!("chat:rate:{user_id}:{minute}");
        // The window is in the key; the expiry only cleans finished windows up.
        let count = match self.cache.increment_expiring(&key, 1, std::time::Duration::from_secs(120)).await {
            Some(count) => count,
            None => self.count_locally(user_id, minute),
        };
        count <= self.per_minute
    }

    fn count_locally(&self, user_id: Uuid, minute: i64) -> i64 {
        // A poisoned lock only means another request panicked mid-count: keep counting.
        let mut counts = self.local.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if counts.len() > 100_000 {
            counts.retain(|_, (bucket, _)| *bucket == minute);
        }
        let entry = counts.entry(user_id).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        entry.1 += 1;
        entry.1
    }
}
