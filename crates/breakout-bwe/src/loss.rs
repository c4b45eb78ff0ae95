//! The loss-based controller of GCC (draft-ietf-rmcat-gcc-02 §6): a path
//! that drops more than a tenth of the packets gets less, one that drops
//! almost none may get more.

use std::time::{Duration, Instant};

/// Fewer packets than this say little about a loss rate: wait for more.
const MIN_PACKETS: u32 = 20;
const HIGH_LOSS: f64 = 0.10;
const LOW_LOSS: f64 = 0.02;
/// Growth per report while loss is low...
const GROWTH: f64 = 1.05;
/// ...up to this much above the rate in use.
const HEADROOM: f64 = 1.5;
/// One cut per this (plus a round trip): the loss in the next reports is
/// the same burst answered already.
const CUT_INTERVAL: Duration = Duration::from_millis(300);

#[derive(Debug)]
pub struct LossBased {
    estimate: f64,
    range: (f64, f64),
    received: u32,
    lost: u32,
    last_fraction: f64,
    last_cut: Option<Instant>,
    cuts: u64,
}

impl LossBased {
    pub fn new(start_bps: f64, min_bps: f64, max_bps: f64) -> Self {
        LossBased {
            estimate: start_bps.clamp(min_bps, max_bps),
            range: (min_bps, max_bps),
            received: 0,
            lost: 0,
            last_fraction: 0.0,
            last_cut: None,
            cuts: 0,
        }
    }

    /// How many times congestion cut the estimate.
    pub fn cuts(&self) -> u64 {
        self.cuts
    }

    pub fn estimate(&self) -> f64 {
        self.estimate
    }

    /// Until loss has ever cut it, and while the path loses almost nothing,
    /// this estimate does not hold back a higher delay-based one: at the
    /// start its 5 % per batch of packets would take seconds to find a
    /// link the delay-based estimate finds at once.
    pub fn follow(&mut self, delay_based_bps: f64) {
        if self.cuts == 0 && self.last_fraction < LOW_LOSS {
            self.estimate = self
                .estimate
                .max(delay_based_bps)
                .clamp(self.range.0, self.range.1);
        }
    }

    /// The loss fraction of the last judged batch of packets.
    pub fn loss_fraction(&self) -> f64 {
        self.last_fraction
    }

    /// One feedback's counts; `current_bps` is what is being sent for now
    /// (the lower of both estimates), the rate a cut starts from.
    pub fn update(
        &mut self,
        received: u32,
        lost: u32,
        current_bps: f64,
        rtt: Duration,
        now: Instant,
    ) -> f64 {
        self.received += received;
        self.lost += lost;
        let total = self.received + self.lost;
        if total < MIN_PACKETS {
            return self.estimate;
        }
        let fraction = f64::from(self.lost) / f64::from(total);
        self.received = 0;
        self.lost = 0;
        self.last_fraction = fraction;
        if fraction > HIGH_LOSS {
            let settled = self
                .last_cut
                .is_none_or(|last| now.saturating_duration_since(last) >= CUT_INTERVAL + rtt);
            if settled {
                self.estimate = self.estimate.min(current_bps) * (1.0 - 0.5 * fraction);
                self.last_cut = Some(now);
                self.cuts += 1;
            }
        } else if fraction < LOW_LOSS {
            // Towards more than is in use, not without bound while the
            // delay-based estimate holds the rate down.
            self.estimate = (self.estimate * GROWTH).min(HEADROOM * current_bps);
        }
        self.estimate = self.estimate.clamp(self.range.0, self.range.1);
        self.estimate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RTT: Duration = Duration::from_millis(50);

    #[test]
    fn heavy_loss_cuts_light_loss_holds_none_grows() {
        let t0 = Instant::now();
        let mut loss = LossBased::new(1_000_000.0, 50_000.0, 5_000_000.0);
        // 20 % loss: cut by a tenth.
        let cut = loss.update(80, 20, 1_000_000.0, RTT, t0);
        assert!((cut - 900_000.0).abs() < 1.0, "{cut}");
        // 5 %: hold.
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(loss.update(95, 5, cut, RTT, t1), cut);
        // None: grow, but not far past the rate in use.
        assert!(loss.update(100, 0, cut, RTT, t1) > cut);
        for _ in 0..100 {
            loss.update(100, 0, 200_000.0, RTT, t1);
        }
        assert_eq!(loss.estimate(), 300_000.0);
    }

    #[test]
    fn it_follows_the_delay_based_estimate_only_until_loss_first_cuts() {
        let t0 = Instant::now();
        let mut loss = LossBased::new(300_000.0, 50_000.0, 5_000_000.0);
        loss.follow(600_000.0);
        assert_eq!(loss.estimate(), 600_000.0);
        let cut = loss.update(80, 20, 600_000.0, RTT, t0);
        assert!(cut < 600_000.0);
        loss.update(100, 0, cut, RTT, t0 + Duration::from_secs(1));
        let before = loss.estimate();
        loss.follow(2_000_000.0);
        assert_eq!(loss.estimate(), before);
    }

    #[test]
    fn counts_accumulate_until_there_are_enough() {
        let t0 = Instant::now();
        let mut loss = LossBased::new(1_000_000.0, 50_000.0, 5_000_000.0);
        assert_eq!(loss.update(5, 5, 1_000_000.0, RTT, t0), 1_000_000.0);
        let cut = loss.update(10, 0, 1_000_000.0, RTT, t0);
        assert!((cut - 875_000.0).abs() < 1.0, "{cut}");
    }

    #[test]
    fn a_cut_starts_from_the_rate_in_use_and_waits_before_the_next() {
        let t0 = Instant::now();
        let mut loss = LossBased::new(5_000_000.0, 50_000.0, 5_000_000.0);
        let cut = loss.update(50, 50, 400_000.0, RTT, t0);
        assert!((cut - 300_000.0).abs() < 1.0, "{cut}");
        let soon = t0 + Duration::from_millis(100);
        assert_eq!(loss.update(50, 50, cut, RTT, soon), cut);
    }
}
