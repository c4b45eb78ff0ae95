//! AIMD rate control of GCC (draft-ietf-rmcat-gcc-02 §5.5): the delay-based
//! estimate rises while the path is used normally and drops below what
//! actually got through when a queue builds.

use std::time::{Duration, Instant};

use super::delay::Usage;

/// Cut on over-use, applied to the rate that got through (the draft's β).
const BETA: f64 = 0.85;
/// Multiplicative increase per second once the link's capacity is known.
const GROWTH_PER_S: f64 = 1.08;
/// Until the first over-use there is no capacity to be careful around:
/// find it within seconds rather than half a minute.
const STARTUP_GROWTH_PER_S: f64 = 1.5;
/// The estimate stays within a factor of what got through (plus a little,
/// see [`crate::BweConfig::acked_headroom`]), so a sender that sends less
/// does not grow it without limit.
const ACKED_SLACK_BPS: f64 = 10_000.0;
/// Packet size assumed for the additive increase (bits).
const PACKET_BITS: f64 = 1_200.0 * 8.0;
const MIN_ADDITIVE_BPS_PER_S: f64 = 4_000.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Hold,
    Increase,
    Decrease,
}

/// The delay-based estimate.
#[derive(Debug)]
pub struct AimdRate {
    estimate: f64,
    range: (f64, f64),
    acked_headroom: f64,
    state: State,
    last_update: Option<Instant>,
    last_decrease: Option<Instant>,
    cuts: u64,
    /// Mean and normalised variance (kbit/s) of the rate that got through
    /// at each over-use: where the link's capacity is believed to be.
    link_capacity: Option<(f64, f64)>,
}

impl AimdRate {
    pub fn new(start_bps: f64, min_bps: f64, max_bps: f64, acked_headroom: f64) -> Self {
        AimdRate {
            estimate: start_bps.clamp(min_bps, max_bps),
            range: (min_bps, max_bps),
            acked_headroom,
            state: State::Hold,
            last_update: None,
            last_decrease: None,
            cuts: 0,
            link_capacity: None,
        }
    }

    /// How many times congestion cut the estimate.
    pub fn cuts(&self) -> u64 {
        self.cuts
    }

    pub fn estimate(&self) -> f64 {
        self.estimate
    }

    /// One feedback's worth: the detector's verdict, the rate that got
    /// through (`acked_bps`, when known) and the round trip.
    pub fn update(
        &mut self,
        usage: Usage,
        acked_bps: Option<f64>,
        rtt: Duration,
        now: Instant,
    ) -> f64 {
        self.state = match (usage, self.state) {
            (Usage::Over, _) => State::Decrease,
            (Usage::Under, _) => State::Hold,
            (Usage::Normal, State::Hold) => State::Increase,
            (Usage::Normal, state) => state,
        };
        let dt = self
            .last_update
            .map_or(Duration::ZERO, |last| now.saturating_duration_since(last))
            .min(Duration::from_secs(1));
        self.last_update = Some(now);
        match self.state {
            State::Hold => {}
            State::Increase => self.increase(acked_bps, rtt, dt),
            State::Decrease => self.decrease(acked_bps, rtt, now),
        }
        self.estimate = self.estimate.clamp(self.range.0, self.range.1);
        self.estimate
    }

    fn increase(&mut self, acked_bps: Option<f64>, rtt: Duration, dt: Duration) {
        if let (Some(acked), Some((mean, var))) = (acked_bps, self.link_capacity) {
            // Well above where the link used to saturate: it changed.
            if acked / 1e3 > mean + 3.0 * (var * mean).sqrt() {
                self.link_capacity = None;
            }
        }
        let dt_s = dt.as_secs_f64();
        let grown = match self.link_capacity {
            // Near the known capacity: about a packet more per round trip.
            Some(_) => {
                let response_s = (rtt + Duration::from_millis(100)).as_secs_f64();
                let frame_bits = self.estimate / 30.0;
                let packets = (frame_bits / PACKET_BITS).ceil().max(1.0);
                let per_s = (frame_bits / packets / response_s).max(MIN_ADDITIVE_BPS_PER_S);
                self.estimate + per_s * dt_s
            }
            None if self.last_decrease.is_none() => self.estimate * STARTUP_GROWTH_PER_S.powf(dt_s),
            None => self.estimate * GROWTH_PER_S.powf(dt_s),
        };
        let limit = acked_bps.map_or(f64::MAX, |a| self.acked_headroom * a + ACKED_SLACK_BPS);
        // Never pull the estimate down here: only an over-use does that.
        self.estimate = grown.min(limit).max(self.estimate);
    }

    fn decrease(&mut self, acked_bps: Option<f64>, rtt: Duration, now: Instant) {
        let acked = acked_bps.unwrap_or(self.estimate);
        // One cut per round trip: the queue we saw may be one we already
        // answered. A much lower throughput cuts again at once.
        let interval = rtt.clamp(Duration::from_millis(10), Duration::from_millis(200));
        let recent = self
            .last_decrease
            .is_some_and(|last| now.saturating_duration_since(last) < interval);
        if recent && acked >= self.estimate / 2.0 {
            self.state = State::Hold;
            return;
        }
        let target = (BETA * acked).min(self.estimate);
        self.note_capacity(acked);
        self.estimate = target;
        self.last_decrease = Some(now);
        self.cuts += 1;
        self.state = State::Hold;
    }

    fn note_capacity(&mut self, acked_bps: f64) {
        const ALPHA: f64 = 0.05;
        let kbps = acked_bps / 1e3;
        let (mean, var) = match self.link_capacity {
            Some((mean, var)) if kbps >= mean - 3.0 * (var * mean).sqrt() => {
                let mean = (1.0 - ALPHA) * mean + ALPHA * kbps;
                let norm = mean.max(1.0);
                let var = (1.0 - ALPHA) * var + ALPHA * (mean - kbps).powi(2) / norm;
                (mean, var.clamp(0.4, 2.5))
            }
            // Far below where it used to saturate: the link changed.
            _ => (kbps, 0.4),
        };
        self.link_capacity = Some((mean, var));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RTT: Duration = Duration::from_millis(50);

    #[test]
    fn normal_use_grows_and_over_use_cuts_below_the_throughput() {
        let t0 = Instant::now();
        let mut rate = AimdRate::new(500_000.0, 50_000.0, 5_000_000.0, 1.5);
        let at = |s: f64| t0 + Duration::from_secs_f64(s);
        rate.update(Usage::Normal, None, RTT, at(0.0));
        let grown = rate.update(Usage::Normal, None, RTT, at(1.0));
        assert!((grown - 750_000.0).abs() < 1.0, "{grown}");
        let cut = rate.update(Usage::Over, Some(700_000.0), RTT, at(1.1));
        assert!((cut - 0.85 * 700_000.0).abs() < 1.0, "{cut}");
        // After the cut, growth is careful: about a packet a round trip.
        rate.update(Usage::Normal, Some(600_000.0), RTT, at(1.2));
        let later = rate.update(Usage::Normal, Some(600_000.0), RTT, at(2.2));
        assert!(later > cut && later < cut * 1.1, "{cut} -> {later}");
    }

    #[test]
    fn the_estimate_stays_near_what_gets_through() {
        let t0 = Instant::now();
        let mut rate = AimdRate::new(500_000.0, 50_000.0, 5_000_000.0, 1.5);
        for i in 0..100u32 {
            rate.update(
                Usage::Normal,
                Some(200_000.0),
                RTT,
                t0 + Duration::from_millis(100) * i,
            );
        }
        assert!(rate.estimate() <= 500_000.0, "{}", rate.estimate());
    }

    #[test]
    fn a_second_over_use_within_a_round_trip_is_the_same_queue() {
        let t0 = Instant::now();
        let mut rate = AimdRate::new(1_000_000.0, 50_000.0, 5_000_000.0, 1.5);
        let first = rate.update(Usage::Over, Some(900_000.0), RTT, t0);
        let again = rate.update(
            Usage::Over,
            Some(850_000.0),
            RTT,
            t0 + Duration::from_millis(20),
        );
        assert_eq!(first, again);
        let later = rate.update(
            Usage::Over,
            Some(850_000.0),
            RTT,
            t0 + Duration::from_millis(120),
        );
        assert!(later < first);
    }

    #[test]
    fn under_use_holds() {
        let t0 = Instant::now();
        let mut rate = AimdRate::new(500_000.0, 50_000.0, 5_000_000.0, 1.5);
        rate.update(Usage::Under, None, RTT, t0);
        let held = rate.update(Usage::Under, None, RTT, t0 + Duration::from_secs(1));
        assert_eq!(held, 500_000.0);
    }
}
