//! Token buckets, alone or one per key (participant, invite, address).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use breakout_core::ParticipantId;

use crate::limits::{Limits, Rate};

/// The server's keyed limiters, one per kind of limit in [`Limits`].
pub struct Rates {
    pub participant_requests: KeyedLimiter<(Arc<str>, ParticipantId)>,
    pub meeting_commands: KeyedLimiter<Arc<str>>,
    /// Keyed by the invite code's hash.
    pub invite_joins: KeyedLimiter<[u8; 32]>,
    pub address_joins: KeyedLimiter<IpAddr>,
}

impl Rates {
    pub fn new(limits: &Limits) -> Self {
        Rates {
            participant_requests: KeyedLimiter::new(limits.participant_requests),
            meeting_commands: KeyedLimiter::new(limits.meeting_commands),
            invite_joins: KeyedLimiter::new(limits.invite_joins),
            address_joins: KeyedLimiter::new(limits.address_joins),
        }
    }
}

/// `rate.per_second` sustained, `rate.burst` at once.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn full(rate: Rate, now: Instant) -> Self {
        TokenBucket {
            tokens: rate.burst,
            last: now,
        }
    }

    fn refill(&mut self, rate: Rate, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * rate.per_second).min(rate.burst);
    }

    /// Takes one token if there is one.
    pub fn allow(&mut self, rate: Rate, now: Instant) -> bool {
        self.refill(rate, now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn is_full(&mut self, rate: Rate, now: Instant) -> bool {
        self.refill(rate, now);
        self.tokens >= rate.burst
    }
}

/// Buckets that outlive the thing asking (a connection, a request), keyed by
/// who is limited. Full buckets are forgotten now and then: a full bucket
/// and a missing one mean the same.
pub struct KeyedLimiter<K> {
    rate: Rate,
    buckets: Mutex<Buckets<K>>,
}

struct Buckets<K> {
    map: HashMap<K, TokenBucket>,
    /// Size at which to look for full buckets to drop next.
    prune_at: usize,
}

const FIRST_PRUNE: usize = 1024;

impl<K: Hash + Eq> KeyedLimiter<K> {
    pub fn new(rate: Rate) -> Self {
        KeyedLimiter {
            rate,
            buckets: Mutex::new(Buckets {
                map: HashMap::new(),
                prune_at: FIRST_PRUNE,
            }),
        }
    }

    /// Takes one token from `key`'s bucket if there is one.
    pub fn allow(&self, key: K) -> bool {
        let now = Instant::now();
        let rate = self.rate;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.map.len() >= buckets.prune_at {
            buckets.map.retain(|_, bucket| !bucket.is_full(rate, now));
            buckets.prune_at = (buckets.map.len() * 2).max(FIRST_PRUNE);
        }
        buckets
            .map
            .entry(key)
            .or_insert_with(|| TokenBucket::full(rate, now))
            .allow(rate, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let rate = Rate::new(10.0, 3.0);
        let start = Instant::now();
        let mut bucket = TokenBucket::full(rate, start);
        assert!((0..3).all(|_| bucket.allow(rate, start)));
        assert!(!bucket.allow(rate, start));
        assert!(bucket.allow(rate, start + Duration::from_millis(100)));
        assert!(!bucket.allow(rate, start + Duration::from_millis(100)));
    }

    #[test]
    fn keys_have_their_own_buckets_and_full_ones_are_pruned() {
        let slow = KeyedLimiter::new(Rate::new(0.001, 1.0));
        assert!(slow.allow(1));
        assert!(!slow.allow(1));
        assert!(slow.allow(2));
        // Refilled at once, so every bucket is full again when pruning.
        let limiter = KeyedLimiter::new(Rate::new(1e12, 1.0));
        for key in 0..5_000 {
            limiter.allow(key);
        }
        let size = limiter.buckets.lock().unwrap().map.len();
        assert!(size < 5_000, "full buckets are dropped, {size} kept");
    }
}
