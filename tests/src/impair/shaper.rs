//! What one direction of an impaired link does to each packet, as a pure
//! decision: time comes in, "drop" or "leave at" comes out. The relay
//! ([`super::relay`]) does the I/O around it.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// One direction of a link.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Direction {
    /// Datagrams lost at random, in percent.
    pub loss_pct: f64,
    /// One-way delay every packet gets.
    pub delay_ms: u32,
    /// Each datagram's delay is drawn uniformly from
    /// `delay_ms ± jitter_ms` (never below zero), netem's meaning.
    pub jitter_ms: u32,
}

/// What one direction has done so far. Datagrams are the UDP packets the
/// impairment is about; stream chunks (TCP through the relay) only count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectionStats {
    pub datagrams: u64,
    pub dropped: u64,
    pub forwarded: u64,
    /// Forwarded datagrams held for at least a millisecond.
    pub delayed: u64,
    /// Shortest and longest hold of a forwarded datagram.
    pub delay_ms_min: Option<u64>,
    pub delay_ms_max: u64,
    /// Sum of the holds, for the mean.
    pub delay_ms_total: u64,
    pub stream_chunks: u64,
}

/// SplitMix64: tiny, seedable, good enough to decide losses, and the same
/// sequence on every run and machine.
#[derive(Debug, Clone)]
pub struct SeededRng(u64);

impl SeededRng {
    pub fn new(seed: u64) -> SeededRng {
        SeededRng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One direction's queue. Jitter never reorders: a link is one queue, so
/// a packet whose draw would overtake the one before it leaves right after
/// it instead (bursts share the delay of their first packet, which puts
/// the mean hold somewhat above `delay_ms`; `delay_ms_total` shows by how
/// much).
#[derive(Debug, Clone)]
pub struct Shaper {
    params: Direction,
    rng: SeededRng,
    last_departure: Option<Instant>,
    stats: DirectionStats,
}

impl Shaper {
    pub fn new(params: Direction, seed: u64) -> Shaper {
        Shaper {
            params,
            rng: SeededRng::new(seed),
            last_departure: None,
            stats: DirectionStats::default(),
        }
    }

    pub fn set(&mut self, params: Direction) {
        self.params = params;
    }

    pub fn stats(&self) -> DirectionStats {
        self.stats
    }

    /// A datagram arrives at `now`: `None` if it is lost, else when it
    /// leaves. Two draws per datagram whatever the settings, so a seed
    /// gives the same decisions for the same packet sequence.
    pub fn datagram(&mut self, now: Instant) -> Option<Instant> {
        self.stats.datagrams += 1;
        let lost = self.rng.unit() * 100.0 < self.params.loss_pct;
        let spread = 2.0 * self.rng.unit() - 1.0;
        if lost {
            self.stats.dropped += 1;
            return None;
        }
        let jitter = f64::from(self.params.jitter_ms) * spread;
        let delay_ms = (f64::from(self.params.delay_ms) + jitter).max(0.0);
        let at = self.queue(now + Duration::from_secs_f64(delay_ms / 1_000.0));
        let held = (at - now).as_millis() as u64;
        let s = &mut self.stats;
        s.forwarded += 1;
        s.delayed += u64::from(held >= 1);
        s.delay_ms_min = Some(s.delay_ms_min.map_or(held, |m| m.min(held)));
        s.delay_ms_max = s.delay_ms_max.max(held);
        s.delay_ms_total += held;
        Some(at)
    }

    /// A piece of a TCP stream arrives at `now`: it is never lost (TCP
    /// would resend it) and gets the base delay without jitter (its
    /// bytes keep their order anyway); returns when it leaves.
    pub fn stream_chunk(&mut self, now: Instant) -> Instant {
        self.stats.stream_chunks += 1;
        self.queue(now + Duration::from_millis(u64::from(self.params.delay_ms)))
    }

    fn queue(&mut self, wanted: Instant) -> Instant {
        let at = self.last_departure.map_or(wanted, |last| wanted.max(last));
        self.last_departure = Some(at);
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOSSY: Direction = Direction {
        loss_pct: 5.0,
        delay_ms: 50,
        jitter_ms: 30,
    };

    /// Datagrams every 5 ms through a fresh shaper: the departures.
    fn run(params: Direction, seed: u64, n: u32) -> (Vec<Option<Instant>>, Instant) {
        let t0 = Instant::now();
        let mut shaper = Shaper::new(params, seed);
        let out = (0..n)
            .map(|i| shaper.datagram(t0 + Duration::from_millis(5 * u64::from(i))))
            .collect();
        (out, t0)
    }

    #[test]
    fn the_same_seed_makes_the_same_decisions() {
        let (a, t_a) = run(LOSSY, 11, 1_000);
        let (b, t_b) = run(LOSSY, 11, 1_000);
        let offsets = |v: &[Option<Instant>], t0: Instant| -> Vec<Option<Duration>> {
            v.iter().map(|at| at.map(|at| at - t0)).collect()
        };
        assert_eq!(offsets(&a, t_a), offsets(&b, t_b));
        let (c, t_c) = run(LOSSY, 12, 1_000);
        assert_ne!(offsets(&a, t_a), offsets(&c, t_c));
    }

    #[test]
    fn about_the_asked_share_is_lost() {
        let (out, _) = run(LOSSY, 7, 20_000);
        let lost = out.iter().filter(|at| at.is_none()).count();
        // 5 % of 20 000 is 1 000; a binomial's spread is about 31.
        assert!((850..1_150).contains(&lost), "{lost} lost");
    }

    #[test]
    fn jitter_stays_within_bounds_and_never_reorders() {
        let mut shaper = Shaper::new(LOSSY, 3);
        let t0 = Instant::now();
        let mut last = t0;
        for i in 0..5_000u64 {
            let now = t0 + Duration::from_millis(20 * i);
            let Some(at) = shaper.datagram(now) else {
                continue;
            };
            assert!(at >= last, "packet {i} overtook the one before it");
            // 20 ms apart and at most 60 ms of spread: the queue can hold a
            // packet past its own draw, but never past the previous one's.
            assert!(at - now >= Duration::from_millis(20), "{:?}", at - now);
            assert!(at - now <= Duration::from_millis(80), "{:?}", at - now);
            last = at;
        }
        let stats = shaper.stats();
        assert_eq!(stats.forwarded + stats.dropped, stats.datagrams);
        assert!(stats.delay_ms_max > stats.delay_ms_min.unwrap());
    }

    #[test]
    fn an_unimpaired_direction_passes_everything_at_once() {
        let (out, t0) = run(Direction::default(), 1, 100);
        for (i, at) in out.iter().enumerate() {
            assert_eq!(*at, Some(t0 + Duration::from_millis(5 * i as u64)));
        }
    }

    #[test]
    fn stream_chunks_are_never_lost_and_keep_behind_datagrams() {
        let everything = Direction {
            loss_pct: 100.0,
            delay_ms: 10,
            jitter_ms: 0,
        };
        let mut shaper = Shaper::new(everything, 1);
        let t0 = Instant::now();
        assert_eq!(shaper.datagram(t0), None);
        assert_eq!(shaper.stream_chunk(t0), t0 + Duration::from_millis(10));
        assert_eq!(shaper.stats().stream_chunks, 1);
    }
}
