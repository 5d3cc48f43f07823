//! A dependency that just failed is left alone for a while: callers answer
//! without it at once instead of each one waiting out its timeout, and the first
//! call after the pause tries it again.

use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Breaker {
    pause: Duration,
    skip_until: Mutex<Option<Instant>>,
}

impl Breaker {
    pub fn new(pause: Duration) -> Self {
        Self { pause, skip_until: Mutex::new(None) }
    }

    /// True while a recent failure has the dependency skipped. Once the pause is
    /// over this answers false again, so that call tries the dependency.
    pub fn is_open(&self) -> bool {
        let Ok(mut skip_until) = self.skip_until.lock() else {
            return false;
        };
        match *skip_until {
            Some(until) if Instant::now() < until => true,
            Some(_) => {
                *skip_until = None;
                false
            }
            None => false,
        }
    }

    /// Skips the dependency for the pause from now.
    pub fn record_failure(&self) {
        if let Ok(mut skip_until) = self.skip_until.lock() {
            *skip_until = Some(Instant::now() + self.pause);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_on_failure_and_closes_after_the_pause() {
        let breaker = Breaker::new(Duration::from_millis(30));
        assert!(!breaker.is_open());
        breaker.record_failure();
        assert!(breaker.is_open());
        std::thread::sleep(Duration::from_millis(40));
        assert!(!breaker.is_open(), "after the pause the next call tries again");
        assert!(!breaker.is_open());
    }
}
