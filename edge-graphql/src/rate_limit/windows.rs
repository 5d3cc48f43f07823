//! Requests per caller in fixed one-minute windows, counted in this process. Each
//! count also carries what the shared cache last reported for the caller, so the
//! requests other replicas served are part of the decision once a sync brings them.

use std::collections::HashMap;
use std::net::IpAddr;

/// Who a limit applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Caller {
    /// A client address.
    Client(IpAddr),
    /// A bearer token, by a digest prefix: the token itself is never kept.
    Token([u8; 16]),
    /// Every caller first seen after the window's table filled up, as one.
    Overflow,
}

impl Caller {
    /// The counter's key in the shared cache, the same on every replica.
    pub fn shared_key(&self, window: u64) -> String {
        match self {
            Caller::Client(address) => format!("ratelimit:client:{address}:{window}"),
            Caller::Token(digest) => {
                let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
                format!("ratelimit:token:{hex}:{window}")
            }
            Caller::Overflow => format!("ratelimit:overflow:{window}"),
        }
    }
}

/// One caller's requests in the current window.
#[derive(Debug, Default)]
struct Count {
    /// The shared total at the last sync, this replica's sent requests included.
    synced: i64,
    /// Requests being sent to the shared cache right now.
    in_flight: i64,
    /// Requests counted here and not sent yet.
    pending: i64,
}

impl Count {
    fn total(&self) -> i64 {
        self.synced + self.in_flight + self.pending
    }
}

/// Requests not yet shared, taken for one sync.
pub struct Batch {
    pub window: u64,
    pub increments: Vec<(Caller, i64)>,
}

pub struct Windows {
    window: u64,
    counts: HashMap<Caller, Count>,
    /// Callers per window before new ones are counted as [`Caller::Overflow`]:
    /// a flood of distinct addresses cannot grow the table without bound.
    capacity: usize,
}

impl Windows {
    pub fn new(capacity: usize) -> Self {
        Self { window: 0, counts: HashMap::new(), capacity }
    }

    /// Counts one request of `caller` in `window` and returns the caller's total
    /// in it, as far as this replica knows.
    pub fn count(&mut self, caller: Caller, window: u64) -> i64 {
        self.enter(window);
        let caller = if self.counts.len() >= self.capacity && !self.counts.contains_key(&caller) {
            Caller::Overflow
        } else {
            caller
        };
        let count = self.counts.entry(caller).or_default();
        count.pending += 1;
        count.total()
    }

    /// A new window starts every count from zero.
    fn enter(&mut self, window: u64) {
        if window != self.window {
            self.window = window;
            self.counts.clear();
        }
    }

    /// Takes the requests not shared yet; they stay counted, as in flight, until
    /// [`Windows::settle`].
    pub fn take_pending(&mut self) -> Batch {
        let mut increments = Vec::new();
        for (caller, count) in &mut self.counts {
            if count.pending > 0 {
                increments.push((*caller, count.pending));
                count.in_flight += count.pending;
                count.pending = 0;
            }
        }
        Batch { window: self.window, increments }
    }

    /// Folds in a sync's answer: the shared totals in the batch's order, or None
    /// when the shared cache is down, and then the requests stay counted here alone.
    pub fn settle(&mut self, batch: &Batch, totals: Option<&[i64]>) {
        if batch.window != self.window {
            return;
        }
        for (index, (caller, sent)) in batch.increments.iter().enumerate() {
            let Some(count) = self.counts.get_mut(caller) else {
                continue;
            };
            count.in_flight -= sent;
            match totals.and_then(|totals| totals.get(index)) {
                // Never below what this replica has seen: a shared counter that
                // expired or was lost must not hand out the window a second time.
                Some(total) => count.synced = (*total).max(count.synced + sent),
                None => count.synced += sent,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(last: u8) -> Caller {
        Caller::Client(IpAddr::from([10, 0, 0, last]))
    }

    #[test]
    fn each_caller_counts_up_within_a_window_and_restarts_in_the_next() {
        let mut windows = Windows::new(100);
        assert_eq!(windows.count(client(1), 7), 1);
        assert_eq!(windows.count(client(1), 7), 2);
        assert_eq!(windows.count(client(2), 7), 1, "callers count apart");
        assert_eq!(windows.count(client(1), 8), 1, "a new window starts from zero");
    }

    #[test]
    fn what_other_replicas_counted_joins_the_total_at_a_sync() {
        let mut windows = Windows::new(100);
        windows.count(client(1), 7);
        windows.count(client(1), 7);
        let batch = windows.take_pending();
        assert_eq!(batch.increments, vec![(client(1), 2)]);
        assert_eq!(windows.count(client(1), 7), 3, "requests in flight still count");
        // The shared counter says 10: 8 requests came through other replicas.
        windows.settle(&batch, Some(&[10]));
        assert_eq!(windows.count(client(1), 7), 12, "10 shared, the one counted during the sync, this one");
        let next = windows.take_pending();
        assert_eq!(next.increments, vec![(client(1), 2)], "only what was not sent yet");
    }

    #[test]
    fn a_failed_sync_keeps_the_requests_counted_here() {
        let mut windows = Windows::new(100);
        windows.count(client(1), 7);
        let batch = windows.take_pending();
        windows.settle(&batch, None);
        assert_eq!(windows.count(client(1), 7), 2);
        assert!(windows.take_pending().increments == vec![(client(1), 1)], "a failed sync is not sent again");
    }

    #[test]
    fn a_shared_total_below_what_was_seen_here_does_not_lower_the_count() {
        let mut windows = Windows::new(100);
        for _ in 0..5 {
            windows.count(client(1), 7);
        }
        let batch = windows.take_pending();
        windows.settle(&batch, Some(&[1]));
        assert_eq!(windows.count(client(1), 7), 6);
    }

    #[test]
    fn a_sync_of_a_past_window_is_ignored() {
        let mut windows = Windows::new(100);
        windows.count(client(1), 7);
        let batch = windows.take_pending();
        windows.count(client(1), 8);
        windows.settle(&batch, Some(&[50]));
        assert_eq!(windows.count(client(1), 8), 2);
    }

    #[test]
    fn callers_past_the_capacity_share_one_count() {
        let mut windows = Windows::new(2);
        windows.count(client(1), 7);
        windows.count(client(2), 7);
        assert_eq!(windows.count(client(3), 7), 1);
        assert_eq!(windows.count(client(4), 7), 2, "the third and fourth caller count together");
        assert_eq!(windows.count(client(1), 7), 2, "callers already known keep their own count");
    }

    #[test]
    fn shared_keys_name_the_caller_and_the_window() {
        assert_eq!(client(9).shared_key(3), "ratelimit:client:10.0.0.9:3");
        let mut digest = [0u8; 16];
        digest[0] = 0xab;
        assert_eq!(Caller::Token(digest).shared_key(3), format!("ratelimit:token:ab{}:3", "00".repeat(15)));
    }
}
