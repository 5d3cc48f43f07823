//! Log-in throttling: every guess is counted before its password is verified, so
//! a burst of concurrent guesses cannot slip through while the counters are low.
//!
//! Three counters, per fixed window:
//! - per account and address together, a hard limit ([`PAIR_LIMIT`]): only the
//!   address that guessed is refused, never the account's owner elsewhere;
//! - per address, a hard limit across accounts ([`ADDRESS_LIMIT`]) against spraying;
//! - per account, from anywhere, [`ACCOUNT_FREE_ATTEMPTS`] checks, then growing
//!   delays: after each failure the account's next check waits twice as long
//!   ([`FIRST_DELAY`] up to [`MAX_DELAY`]) and only one guess takes that turn. Nobody
//!   can lock an account; a distributed guesser gets about one try per minute.
//!
//! A counter holds the guesses that were let through and did not succeed (those
//! being checked included): a refused guess gives its reservations back.
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

/// Guesses are counted per fixed window.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failed guesses at one account from one address per window; beyond, that
/// address is refused for that account until the window ends.
pub const PAIR_LIMIT: i64 = 10;
/// Failed guesses from one address per window, all accounts together (offices
/// share addresses: looser).
pub const ADDRESS_LIMIT: i64 = 30;
/// Guesses at one account, from anywhere, checked without delay per window.
pub const ACCOUNT_FREE_ATTEMPTS: i64 = 5;
/// The wait after the last free failure; each further failure doubles it…
pub const FIRST_DELAY: Duration = Duration::from_secs(2);
/// …up to this.
pub const MAX_DELAY: Duration = Duration::from_secs(60);
/// In-process counters kept at most (memory bound under a spray of addresses).
const LOCAL_CAPACITY: u64 = 100_000;
/// Shared counters outlive their window a little, then expire.
const KEPT: Duration = Duration::from_secs(2 * 15 * 60);

/// Milliseconds since the epoch; tests drive their own.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

fn system_clock() -> Clock {
    Arc::new(nds_common::clock::now_unix_ms)
}

/// Why a guess is not checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// This address used up its guesses (at this account or overall) for the window.
    TooMany,
    /// The account is being guessed at: its next check is open in this many seconds.
    Wait { seconds: u64 },
}

/// The counters one guess touches.
#[derive(Clone, Debug)]
pub struct AttemptKeys {
    account: String,
    pair: Option<String>,
    address: Option<String>,
}

impl AttemptKeys {
    /// Keys are hashed: raw emails and addresses never sit in Redis. Without an
    /// address (an internal caller) only the account's counter applies.
    pub fn new(email: &str, client_address: &str) -> AttemptKeys {
        let digest = |kind: &str, value: &str| {
            let hash = hex::encode(Sha256::digest(format!("{kind}:{value}").as_bytes()));
            format!("identity:login:{kind}:{}", &hash[..32])
        };
        let account = email.trim().to_lowercase();
        let address = client_address.trim();
        let known = !address.is_empty();
        AttemptKeys {
            pair: known.then(|| digest("pair", &format!("{account}\n{address}"))),
            address: known.then(|| digest("address", address)),
            account: digest("account", &account),
        }
    }
}

/// A guess let through: its reservations, in the window they were made in. Hand it
/// back with [`LoginThrottle::failed`], [`LoginThrottle::succeeded`] or, when the
/// password could not be checked at all, [`LoginThrottle::release`].
#[derive(Debug)]
#[must_use = "a permit must be handed back, or its reservation counts as a failure"]
pub struct Permit {
    account: String,
    pair: Option<String>,
    address: Option<String>,
}

impl Permit {
    fn failures(&self) -> String {
        format!("{}:failures", self.account)
    }

    /// "<failures>:<unix ms>" of the account's latest failure in the window.
    fn last_failure(&self) -> String {
        format!("{}:last-failure", self.account)
    }
}

pub fn delay_after(failures: i64) -> Duration {
    let doublings = u32::try_from(failures.saturating_sub(ACCOUNT_FREE_ATTEMPTS)).unwrap_or(0).min(16);
    (FIRST_DELAY * 2u32.pow(doublings)).min(MAX_DELAY)
}

/// Shared counters with an in-process copy of each.
struct Counters {
    cache: SharedCache,
    local: moka::future::Cache<String, Arc<AtomicI64>>,
    markers: moka::future::Cache<String, String>,
}

impl Counters {
    async fn add(&self, key: &str, by: i64) -> i64 {
        let shared = self.cache.increment_expiring(key, by, KEPT).await;
        let counter = self.local.get_with(key.to_string(), async { Arc::new(AtomicI64::new(0)) }).await;
        let local = counter.fetch_add(by, Ordering::SeqCst) + by;
        shared.map_or(local, |shared| shared.max(local))
    }

    async fn reset(&self, key: &str) {
        self.cache.take_counter(key).await;
        self.local.invalidate(key).await;
    }

    async fn set_marker(&self, key: &str, value: String) {
        self.cache.set(key, value.as_bytes(), KEPT).await;
        self.markers.insert(key.to_string(), value).await;
    }

    async fn marker(&self, key: &str) -> Option<String> {
        match self.cache.get(key).await.and_then(|bytes| String::from_utf8(bytes).ok()) {
            Some(shared) => Some(shared),
            None => self.markers.get(key).await,
        }
    }

    async fn forget_marker(&self, key: &str) {
        self.cache.delete(key).await;
        self.markers.invalidate(key).await;
    }
}

pub struct LoginThrottle {
    counters: Counters,
    clock: Clock,
}

impl LoginThrottle {
    pub fn new(cache: SharedCache) -> LoginThrottle {
        LoginThrottle::with_clock(cache, system_clock())
    }

    pub fn with_clock(cache: SharedCache, clock: Clock) -> LoginThrottle {
        let local = moka::future::Cache::builder().max_capacity(LOCAL_CAPACITY).time_to_live(KEPT).build();
        let markers = moka::future::Cache::builder().max_capacity(LOCAL_CAPACITY).time_to_live(KEPT).build();
        LoginThrottle { counters: Counters { cache, local, markers }, clock }
    }

    /// Counts a guess and lets it be checked, or refuses it (giving back what it counted).
    pub async fn admit(&self, keys: &AttemptKeys) -> Result<Permit, Refusal> {
        let now = (self.clock)();
        let window = now / WINDOW.as_millis() as i64;
        let windowed = |key: &str| format!("{key}:{window}");
        let permit = Permit {
            account: windowed(&keys.account),
            pair: keys.pair.as_deref().map(windowed),
            address: keys.address.as_deref().map(windowed),
        };
        if let Some(address) = &permit.address
            && self.counters.add(address, 1).await > ADDRESS_LIMIT
        {
            self.counters.add(address, -1).await;
            return Err(Refusal::TooMany);
        }
        if let Some(pair) = &permit.pair
            && self.counters.add(pair, 1).await > PAIR_LIMIT
        {
            self.counters.add(pair, -1).await;
            if let Some(address) = &permit.address {
                self.counters.add(address, -1).await;
            }
            return Err(Refusal::TooMany);
        }
        let attempts = self.counters.add(&permit.account, 1).await;
        if attempts > ACCOUNT_FREE_ATTEMPTS
            && let Err(refusal) = self.take_turn(&permit, now).await
        {
            self.release(permit).await;
            return Err(refusal);
        }
        Ok(permit)
    }

    /// Past its free attempts an account is checked once per failure, a delay
    /// after that failure: the first guess to claim the turn gets it.
    async fn take_turn(&self, permit: &Permit, now: i64) -> Result<(), Refusal> {
        // Whole seconds, rounded up: "try again in 0 s" would be a lie.
        let wait = |delay: Duration| Refusal::Wait { seconds: delay.as_millis().div_ceil(1000).max(1) as u64 };
        let last = self.counters.marker(&permit.last_failure()).await;
        let Some((failures, at)) = last.as_deref().and_then(parse_marker) else {
            // The free guesses are still being checked: none has failed yet.
            return Err(wait(FIRST_DELAY));
        };
        if failures < ACCOUNT_FREE_ATTEMPTS {
            return Err(wait(FIRST_DELAY));
        }
        let open_at = at.saturating_add(delay_after(failures).as_millis() as i64);
        if now < open_at {
            return Err(wait(Duration::from_millis(u64::try_from(open_at - now).unwrap_or(0))));
        }
        let turn = format!("{}:turn:{failures}:{at}", permit.account);
        if self.counters.add(&turn, 1).await != 1 {
            return Err(wait(delay_after(failures + 1)));
        }
        Ok(())
    }

    /// The password was wrong (or the account unknown): the reservations stay as
    /// failures, and the account's next turn is a longer delay away.
    pub async fn failed(&self, permit: Permit) {
        let failures = self.counters.add(&permit.failures(), 1).await;
        let now = (self.clock)();
        self.counters.set_marker(&permit.last_failure(), format!("{failures}:{now}")).await;
    }

    /// A successful log-in clears the account's failures and this address's at
    /// the account, but not the address's overall count: one good password must
    /// not unlock spraying from the same address.
    pub async fn succeeded(&self, permit: Permit) {
        self.counters.reset(&permit.account).await;
        self.counters.reset(&permit.failures()).await;
        self.counters.forget_marker(&permit.last_failure()).await;
        if let Some(pair) = &permit.pair {
            self.counters.reset(pair).await;
        }
        if let Some(address) = &permit.address {
            self.counters.add(address, -1).await;
        }
    }

    /// The password was never checked (an internal error): nothing is counted.
    pub async fn release(&self, permit: Permit) {
        for key in [Some(&permit.account), permit.pair.as_ref(), permit.address.as_ref()].into_iter().flatten() {
            self.counters.add(key, -1).await;
        }
    }
}

fn parse_marker(marker: &str) -> Option<(i64, i64)> {
    let (failures, at) = marker.split_once(':')?;
    Some((failures.parse().ok()?, at.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nds_common::cache::{MemoryCache, RedisCache};

    /// A throttle on a clock that moves only when told to.
    fn throttle_at(cache: SharedCache) -> (LoginThrottle, Arc<AtomicI64>) {
        let now = Arc::new(AtomicI64::new(1_800_000_000_000));
        let clock = now.clone();
        (LoginThrottle::with_clock(cache, Arc::new(move || clock.load(Ordering::SeqCst))), now)
    }

    fn advance(now: &AtomicI64, by: Duration) {
        now.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }

    async fn fail(throttle: &LoginThrottle, keys: &AttemptKeys) {
        let permit = throttle.admit(keys).await.expect("the guess should have been let through");
        throttle.failed(permit).await;
    }

    #[tokio::test]
    async fn concurrent_guesses_are_counted_before_any_is_checked() {
        let (throttle, _) = throttle_at(MemoryCache::shared(1000));
        let throttle = Arc::new(throttle);
        let admitted: Vec<_> = (0..50)
            .map(|attempt| {
                let throttle = throttle.clone();
                let keys = AttemptKeys::new("ana@example.com", &format!("10.0.0.{attempt}"));
                tokio::spawn(async move { throttle.admit(&keys).await.is_ok() })
            })
            .collect();
        let mut let_through = 0;
        for admitted in admitted {
            let_through += i64::from(admitted.await.unwrap());
        }
        assert_eq!(let_through, ACCOUNT_FREE_ATTEMPTS);
    }

    #[tokio::test]
    async fn past_the_free_attempts_each_failure_doubles_the_wait_up_to_the_cap() {
        let (throttle, now) = throttle_at(MemoryCache::shared(1000));
        for _ in 0..ACCOUNT_FREE_ATTEMPTS {
            fail(&throttle, &AttemptKeys::new("ana@example.com", "10.0.0.1")).await;
        }
        let mut waits = Vec::new();
        for attempt in 0..8 {
            // A different address each time: only the account's delay applies.
            let keys = AttemptKeys::new("ana@example.com", &format!("10.0.1.{attempt}"));
            let Err(Refusal::Wait { seconds }) = throttle.admit(&keys).await else {
                panic!("a guess right after a failure must wait");
            };
            waits.push(seconds);
            advance(&now, Duration::from_secs(seconds));
            fail(&throttle, &keys).await;
        }
        assert_eq!(waits, [2, 4, 8, 16, 32, 60, 60, 60]);
    }

    #[tokio::test]
    async fn one_guess_takes_each_turn() {
        let (throttle, now) = throttle_at(MemoryCache::shared(1000));
        for _ in 0..ACCOUNT_FREE_ATTEMPTS {
            fail(&throttle, &AttemptKeys::new("ana@example.com", "10.0.0.1")).await;
        }
        advance(&now, FIRST_DELAY);
        let first = throttle.admit(&AttemptKeys::new("ana@example.com", "10.0.0.2")).await;
        let second = throttle.admit(&AttemptKeys::new("ana@example.com", "10.0.0.3")).await;
        assert!(first.is_ok());
        assert!(matches!(second, Err(Refusal::Wait { .. })), "{second:?}");
    }

    #[tokio::test]
    async fn a_guessing_address_is_refused_for_the_account_while_its_owner_is_only_slowed() {
        let (throttle, now) = throttle_at(MemoryCache::shared(1000));
        let guesser = AttemptKeys::new("ana@example.com", "10.6.6.6");
        for _ in 0..PAIR_LIMIT {
            loop {
                match throttle.admit(&guesser).await {
                    Ok(permit) => break throttle.failed(permit).await,
                    Err(Refusal::Wait { seconds }) => advance(&now, Duration::from_secs(seconds)),
                    Err(Refusal::TooMany) => panic!("refused before its limit"),
                }
            }
        }
        advance(&now, MAX_DELAY);
        assert_eq!(throttle.admit(&guesser).await.unwrap_err(), Refusal::TooMany);
        let owner = AttemptKeys::new(" ANA@example.com", "10.0.0.1");
        let permit = throttle.admit(&owner).await.expect("the owner is never locked out");
        throttle.succeeded(permit).await;
        // Success clears the account's delay.
        let permit = throttle.admit(&AttemptKeys::new("ana@example.com", "10.0.0.9")).await.unwrap();
        throttle.release(permit).await;
        // Another account from the guessing address is fine.
        let permit = throttle.admit(&AttemptKeys::new("bea@example.com", "10.6.6.6")).await.unwrap();
        throttle.release(permit).await;
    }

    #[tokio::test]
    async fn an_address_is_refused_after_spraying_many_accounts() {
        let (throttle, _) = throttle_at(MemoryCache::shared(1000));
        for attempt in 0..ADDRESS_LIMIT {
            fail(&throttle, &AttemptKeys::new(&format!("user{attempt}@example.com"), "10.9.9.9")).await;
        }
        let fresh = AttemptKeys::new("fresh@example.com", "10.9.9.9");
        assert_eq!(throttle.admit(&fresh).await.unwrap_err(), Refusal::TooMany);
        assert!(throttle.admit(&AttemptKeys::new("fresh@example.com", "10.9.9.8")).await.is_ok());
    }

    #[tokio::test]
    async fn refused_and_released_guesses_count_for_nothing() {
        let (throttle, _) = throttle_at(MemoryCache::shared(1000));
        let keys = AttemptKeys::new("ana@example.com", "10.0.0.1");
        for _ in 0..100 {
            let permit = throttle.admit(&keys).await.unwrap();
            throttle.release(permit).await;
        }
        fail(&throttle, &keys).await;
    }

    #[tokio::test]
    async fn a_dead_redis_still_throttles_in_process() {
        let dead = RedisCache::connect_lazy("redis://127.0.0.1:1", "dead:").unwrap();
        let (throttle, _) = throttle_at(Arc::new(dead));
        let keys = AttemptKeys::new("ana@example.com", "");
        for _ in 0..ACCOUNT_FREE_ATTEMPTS {
            fail(&throttle, &keys).await;
        }
        assert!(matches!(throttle.admit(&keys).await, Err(Refusal::Wait { .. })));
    }

    #[tokio::test]
    async fn redis_counters_are_shared_between_processes() {
        let prefix = nds_common::testing::redis_prefix();
        let url = nds_common::testing::redis_url();
        let (first, _) = throttle_at(Arc::new(RedisCache::connect_lazy(&url, prefix.clone()).unwrap()));
        let (second, _) = throttle_at(Arc::new(RedisCache::connect_lazy(&url, prefix).unwrap()));
        let keys = AttemptKeys::new("ana@example.com", "10.0.0.1");
        for _ in 0..ACCOUNT_FREE_ATTEMPTS {
            fail(&first, &keys).await;
        }
        let refused = second.admit(&keys).await;
        assert!(matches!(refused, Err(Refusal::Wait { .. })), "a second replica must see the first one's failures");
    }
}
