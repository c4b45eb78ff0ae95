//! How unevenly a slot's packets arrive, and so how long the jitter buffer
//! has to hold them. No I/O and no clock: times are passed in.
//!
//! A packet's relative delay is its arrival time minus its media time (its
//! RTP timestamp). Whatever delays packets unevenly (the network, a busy
//! sender or receiver) spreads those delays; a buffer that starts playing a
//! run `d` after its first packet arrived plays every packet on time whose
//! delay is at most `d` above the fastest one. So the delay asked for is a
//! high percentile of each packet's delay above the fastest packet of its
//! run, over the last few seconds (NetEQ's "relative arrival delay").
//!
//! A run ends where the buffer restarts (after silence, a stall, a muted
//! sender whose timestamps stood still): the pause between two runs is not
//! jitter. Runs are compared with nothing but themselves, and the history
//! spans them, so what was learnt about the link outlives a change of
//! source.

use std::collections::VecDeque;
use std::time::Duration;

/// Packets remembered: five seconds of 20 ms frames.
const WINDOW: usize = 250;
/// Share of the remembered packets that the delay covers.
const QUANTILE: f64 = 0.95;

#[derive(Debug, Clone, Default)]
pub struct ArrivalDelay {
    /// `(run, relative delay in µs)`, oldest first; runs are contiguous.
    samples: VecDeque<(u32, i64)>,
    run: u32,
}

impl ArrivalDelay {
    /// The packets that follow start a new run.
    pub fn restart(&mut self) {
        self.run = self.run.wrapping_add(1);
    }

    /// A packet of media time `media` (since any fixed origin of the
    /// stream's) arrived at `at`.
    pub fn observe(&mut self, media: Duration, at: Duration) {
        let relative = at.as_micros() as i64 - media.as_micros() as i64;
        if self.samples.len() == WINDOW {
            self.samples.pop_front();
        }
        self.samples.push_back((self.run, relative));
    }

    /// How long to hold a run's first packet so that [`QUANTILE`] of the
    /// remembered packets would have been on time; zero with no history.
    pub fn needed(&self) -> Duration {
        let samples: Vec<(u32, i64)> = self.samples.iter().copied().collect();
        let mut above: Vec<i64> = Vec::with_capacity(samples.len());
        for run in samples.chunk_by(|a, b| a.0 == b.0) {
            let fastest = run.iter().map(|s| s.1).min().unwrap_or(0);
            above.extend(run.iter().map(|s| s.1 - fastest));
        }
        if above.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((above.len() as f64 * QUANTILE).ceil() as usize).clamp(1, above.len()) - 1;
        let (_, at_rank, _) = above.select_nth_unstable(rank);
        Duration::from_micros(*at_rank as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Packet `i` of a 20 ms stream sent at `20 i` ms, arriving `transit`
    /// ms later.
    fn feed(delay: &mut ArrivalDelay, first: u64, transits: &[u64]) {
        for (i, transit) in transits.iter().enumerate() {
            let sent = 20 * (first + i as u64);
            delay.observe(ms(sent), ms(1_000 + sent + transit));
        }
    }

    #[test]
    fn an_even_stream_needs_nothing_and_a_constant_transit_is_not_jitter() {
        let mut delay = ArrivalDelay::default();
        assert_eq!(delay.needed(), Duration::ZERO);
        feed(&mut delay, 0, &[35; 100]);
        assert_eq!(delay.needed(), Duration::ZERO);
    }

    #[test]
    fn the_delay_covers_all_but_the_rarest_late_packets() {
        let mut delay = ArrivalDelay::default();
        // 10 % of the packets 30 ms late, 4 % 80 ms late.
        let transits: Vec<u64> = (0..100)
            .map(|i| match i % 50 {
                0 | 25 => 90,
                1..=5 => 40,
                _ => 10,
            })
            .collect();
        feed(&mut delay, 0, &transits);
        assert_eq!(delay.needed(), ms(30));
    }

    #[test]
    fn a_queue_building_up_counts_in_full() {
        // Each packet 10 ms later than the one before, then a release: the
        // last one needed 50 ms, though no two neighbours differ by more
        // than 10.
        let mut delay = ArrivalDelay::default();
        let transits: Vec<u64> = (0..40)
            .map(|i| [0, 10, 20, 30, 40, 50, 0, 0][i % 8])
            .collect();
        feed(&mut delay, 0, &transits);
        assert_eq!(delay.needed(), ms(50));
    }

    #[test]
    fn the_pause_between_runs_is_not_jitter() {
        let mut delay = ArrivalDelay::default();
        feed(&mut delay, 0, &[5; 50]);
        // The sender was muted for two seconds and its timestamps stood
        // still: the next run arrives 2 s "late", evenly.
        delay.restart();
        feed(&mut delay, 50, &[2_005; 50]);
        assert_eq!(delay.needed(), Duration::ZERO);
    }

    #[test]
    fn old_jitter_is_forgotten() {
        let mut delay = ArrivalDelay::default();
        feed(&mut delay, 0, &[0, 60].repeat(50));
        assert_eq!(delay.needed(), ms(60));
        feed(&mut delay, 100, &[0; WINDOW]);
        assert_eq!(delay.needed(), Duration::ZERO);
    }
}
