//! Live delivery across replicas through real Redis pub/sub, presence, and the
//! message rate limit (shared cache, and in-process when Redis is down).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

use std::time::Duration;

use nds_common::Shutdown;
use nds_common::cache::{MemoryCache, RedisCache, SharedCache};
use nds_common::testing::{redis_prefix, redis_url};
use svc_chat::realtime::{LiveMessage, MessageHub, Presence, RateLimiter};
use tokio::sync::broadcast::error::TryRecvError;
use uuid::Uuid;

fn message(conversation_id: &str, body: &str) -> LiveMessage {
    LiveMessage {
        id: Uuid::new_v4().to_string(),
        conversation_id: conversation_id.to_string(),
        sender_id: Uuid::new_v4().to_string(),
        sender_side: "AGENCY".to_string(),
        body: body.to_string(),
        sent_at_unix: 1,
        sequence: 1,
    }
}

#[tokio::test]
async fn a_message_published_on_one_replica_reaches_the_other_once() {
    let shutdown = Shutdown::new();
    let channel = format!("{}chat:messages", redis_prefix());
    let replica_a = MessageHub::with_redis(&redis_url(), channel.clone(), shutdown.clone()).unwrap();
    let replica_b = MessageHub::with_redis(&redis_url(), channel, shutdown.clone()).unwrap();
    let mut on_a = replica_a.subscribe();
    let mut on_b = replica_b.subscribe();

    // The subscriber tasks connect in the background: publish until B hears one.
    let conversation = Uuid::new_v4().to_string();
    let mut received = None;
    for attempt in 0..50 {
        replica_a.publish(message(&conversation, &format!("hola {attempt}"))).await;
        if let Ok(Ok(live)) = tokio::time::timeout(Duration::from_millis(100), on_b.recv()).await {
            received = Some(live);
            break;
        }
    }
    let received = received.expect("replica B hears replica A through Redis");
    assert_eq!(received.conversation_id, conversation);
    assert!(received.body.starts_with("hola "));

    // Replica A delivered its own messages locally, once each (not again from Redis).
    let mut local = 0;
    while let Ok(live) = on_a.try_recv() {
        assert_eq!(live.conversation_id, conversation);
        local += 1;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(matches!(on_a.try_recv(), Err(TryRecvError::Empty)), "no echo from Redis");
    assert!(local >= 1);
    shutdown.trigger();
}

#[tokio::test]
async fn without_redis_the_hub_delivers_in_process() {
    let hub = MessageHub::local();
    let mut receiver = hub.subscribe();
    hub.publish(message("c1", "hola")).await;
    assert_eq!(receiver.recv().await.unwrap().body, "hola");
}

#[tokio::test]
async fn presence_lasts_while_the_guard_lives() {
    let cache: SharedCache = RedisCache::connect_lazy(&redis_url(), redis_prefix()).map(std::sync::Arc::new).unwrap();
    let presence = Presence::new(cache);
    assert!(!presence.is_connected("c", "u").await);
    let guard = presence.enter("c", "u").await;
    assert!(presence.is_connected("c", "u").await);
    assert!(!presence.is_connected("c", "someone-else").await);
    drop(guard);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!presence.is_connected("c", "u").await);
}

#[tokio::test]
async fn the_rate_limit_holds_in_redis_and_in_process_when_redis_is_down() {
    let shared: SharedCache = RedisCache::connect_lazy(&redis_url(), redis_prefix()).map(std::sync::Arc::new).unwrap();
    let dead: SharedCache =
        RedisCache::connect_lazy("redis://127.0.0.1:1", redis_prefix()).map(std::sync::Arc::new).unwrap();
    for cache in [shared, dead, MemoryCache::shared(100)] {
        let backend = cache.backend_name();
        let limiter = RateLimiter::new(cache, 3);
        let (user, other) = (Uuid::new_v4(), Uuid::new_v4());
        for _ in 0..3 {
            assert!(limiter.allow(user).await, "{backend}");
        }
        assert!(!limiter.allow(user).await, "{backend}: the fourth message in a minute is refused");
        assert!(limiter.allow(other).await, "{backend}: per user");
    }
}
