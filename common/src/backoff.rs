//! Jittered exponential backoff for loops that reconnect (the change-feed
//! consumers of search and billing): 100 ms, doubling up to a ceiling, each delay
//! drawn from 75–125 % so replicas that failed together do not retry together.

use std::time::Duration;

use rand::Rng;

const FIRST: Duration = Duration::from_millis(100);

pub struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    pub fn new(max: Duration) -> Backoff {
        Backoff { next: FIRST.min(max), max }
    }

    /// After a success: the next failure waits the shortest delay again.
    pub fn reset(&mut self) {
        self.next = FIRST.min(self.max);
    }

    /// The delay before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        let base = self.next;
        self.next = (self.next * 2).min(self.max);
        base.mul_f64(rand::rng().random_range(0.75..=1.25))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_ceiling_with_jitter_and_reset() {
        let mut backoff = Backoff::new(Duration::from_secs(1));
        let delays: Vec<Duration> = (0..6).map(|_| backoff.next_delay()).collect();
        let bases = [100, 200, 400, 800, 1000, 1000];
        for (delay, base) in delays.iter().zip(bases) {
            let base = Duration::from_millis(base);
            assert!(*delay >= base.mul_f64(0.75) && *delay <= base.mul_f64(1.25), "{delay:?} around {base:?}");
        }
        backoff.reset();
        assert!(backoff.next_delay() <= Duration::from_millis(125));
    }
}
