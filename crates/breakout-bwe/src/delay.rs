//! The delay-based detector of GCC (draft-ietf-rmcat-gcc-02 §5): packets
//! grouped by send burst, the delay variation between groups, a trendline
//! over it, and an over-use detector with an adaptive threshold.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Packets sent within this span of a group's first belong to the group:
/// a frame leaves as a burst and is judged as one.
const BURST: Duration = Duration::from_millis(5);
/// Points in the trendline's regression.
const WINDOW: usize = 20;
/// Smoothing of the accumulated delay before the regression.
const SMOOTHING: f64 = 0.9;
/// Scales the slope into the range the threshold is tuned for.
const TREND_GAIN: f64 = 4.0;
/// More samples weigh a slope up to this many.
const MAX_SAMPLES: f64 = 60.0;
const INITIAL_THRESHOLD_MS: f64 = 12.5;
const THRESHOLD_RANGE_MS: (f64, f64) = (6.0, 600.0);
/// The threshold grows slowly towards large trends and shrinks fast below
/// them, so a queue built by a competing flow is not mistaken for ours for
/// long (the draft's K_u and K_d).
const K_UP: f64 = 0.0087;
const K_DOWN: f64 = 0.039;
/// A trend this far above the threshold is a spike the threshold ignores.
const SPIKE_MS: f64 = 15.0;
/// The trend must stay above the threshold this long to be over-use.
const OVERUSE_TIME_MS: f64 = 10.0;

/// What the delay trend says about the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Usage {
    #[default]
    Normal,
    /// A queue is building: send less.
    Over,
    /// A queue is draining: hold, it will be empty soon.
    Under,
}

#[derive(Debug, Clone, Copy)]
struct Group {
    first_sent: Instant,
    last_sent: Instant,
    arrival_us: i64,
}

/// Feeds acknowledged packets in send order; says how the path is used.
#[derive(Debug, Default)]
pub struct DelayDetector {
    current: Option<Group>,
    previous: Option<Group>,
    trend: Trendline,
    overuse: OveruseDetector,
}

impl DelayDetector {
    /// One packet that was sent at `sent` and arrived at `arrival_us`
    /// (receiver's clock). Returns the usage whenever a group completes.
    pub fn on_packet(&mut self, sent: Instant, arrival_us: i64) -> Option<Usage> {
        let Some(group) = &mut self.current else {
            self.current = Some(Group {
                first_sent: sent,
                last_sent: sent,
                arrival_us,
            });
            return None;
        };
        if sent < group.first_sent {
            return None; // belongs to a group already judged
        }
        if sent - group.first_sent <= BURST {
            group.last_sent = group.last_sent.max(sent);
            group.arrival_us = group.arrival_us.max(arrival_us);
            return None;
        }
        let done = *group;
        self.current = Some(Group {
            first_sent: sent,
            last_sent: sent,
            arrival_us,
        });
        let previous = self.previous.replace(done)?;
        let send_delta_ms = (done.last_sent - previous.last_sent).as_secs_f64() * 1e3;
        let arrival_delta_ms = (done.arrival_us - previous.arrival_us) as f64 / 1e3;
        if arrival_delta_ms < 0.0 {
            return None; // reordered on the way: no delay to learn from
        }
        let trend = self
            .trend
            .update(arrival_delta_ms - send_delta_ms, done.arrival_us);
        Some(self.overuse.detect(trend, send_delta_ms, done.arrival_us))
    }

    /// The latest verdict.
    pub fn usage(&self) -> Usage {
        self.overuse.usage
    }
}

/// Least-squares slope of the smoothed accumulated delay over arrival time.
#[derive(Debug, Default)]
struct Trendline {
    accumulated_ms: f64,
    smoothed_ms: f64,
    first_arrival_us: Option<i64>,
    samples: usize,
    points: VecDeque<(f64, f64)>,
}

impl Trendline {
    /// Adds one inter-group delay variation; the modified trend (ms), 0
    /// until the window is full.
    fn update(&mut self, delta_ms: f64, arrival_us: i64) -> f64 {
        self.samples += 1;
        self.accumulated_ms += delta_ms;
        self.smoothed_ms = SMOOTHING * self.smoothed_ms + (1.0 - SMOOTHING) * self.accumulated_ms;
        let first = *self.first_arrival_us.get_or_insert(arrival_us);
        let x = (arrival_us - first) as f64 / 1e3;
        self.points.push_back((x, self.smoothed_ms));
        if self.points.len() > WINDOW {
            self.points.pop_front();
        }
        if self.points.len() < WINDOW {
            return 0.0;
        }
        let slope = slope(&self.points).unwrap_or(0.0);
        slope * (self.samples as f64).min(MAX_SAMPLES) * TREND_GAIN
    }
}

fn slope(points: &VecDeque<(f64, f64)>) -> Option<f64> {
    let n = points.len() as f64;
    let (sx, sy) = points
        .iter()
        .fold((0.0, 0.0), |(sx, sy), (x, y)| (sx + x, sy + y));
    let (mx, my) = (sx / n, sy / n);
    let (num, den) = points.iter().fold((0.0, 0.0), |(num, den), (x, y)| {
        (num + (x - mx) * (y - my), den + (x - mx) * (x - mx))
    });
    (den > 0.0).then(|| num / den)
}

#[derive(Debug)]
struct OveruseDetector {
    threshold: f64,
    /// Receiver's clock (µs) of the last adaptation.
    last_update_us: Option<i64>,
    /// How long the trend has been over the threshold (ms); negative: not.
    time_over_ms: f64,
    over_count: u32,
    previous_trend: f64,
    usage: Usage,
}

impl Default for OveruseDetector {
    fn default() -> Self {
        OveruseDetector {
            threshold: INITIAL_THRESHOLD_MS,
            last_update_us: None,
            time_over_ms: -1.0,
            over_count: 0,
            previous_trend: 0.0,
            usage: Usage::Normal,
        }
    }
}

impl OveruseDetector {
    /// `at_us`: when the group arrived, on the receiver's clock.
    fn detect(&mut self, trend: f64, send_delta_ms: f64, at_us: i64) -> Usage {
        if trend > self.threshold {
            if self.time_over_ms < 0.0 {
                // Assume the trend crossed halfway through the last gap.
                self.time_over_ms = send_delta_ms / 2.0;
            } else {
                self.time_over_ms += send_delta_ms;
            }
            self.over_count += 1;
            if self.time_over_ms > OVERUSE_TIME_MS
                && self.over_count > 1
                && trend >= self.previous_trend
            {
                self.time_over_ms = 0.0;
                self.over_count = 0;
                self.usage = Usage::Over;
            }
        } else {
            self.time_over_ms = -1.0;
            self.over_count = 0;
            self.usage = if trend < -self.threshold {
                Usage::Under
            } else {
                Usage::Normal
            };
        }
        self.previous_trend = trend;
        self.adapt(trend, at_us);
        self.usage
    }

    fn adapt(&mut self, trend: f64, at_us: i64) {
        let Some(last) = self.last_update_us.replace(at_us) else {
            return;
        };
        let magnitude = trend.abs();
        if magnitude > self.threshold + SPIKE_MS {
            return;
        }
        let k = if magnitude < self.threshold {
            K_DOWN
        } else {
            K_UP
        };
        let dt_ms = ((at_us - last) as f64 / 1e3).clamp(0.0, 100.0);
        self.threshold = (self.threshold + k * (magnitude - self.threshold) * dt_ms)
            .clamp(THRESHOLD_RANGE_MS.0, THRESHOLD_RANGE_MS.1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Groups every 20 ms whose one-way delay grows by `growth_ms` each.
    fn run(growth_ms: f64, groups: u32) -> Vec<Usage> {
        let t0 = Instant::now();
        let mut detector = DelayDetector::default();
        let mut seen = Vec::new();
        for i in 0..groups {
            let sent = t0 + Duration::from_millis(20) * i;
            let delay_us = 30_000 + (growth_ms * 1e3 * f64::from(i)) as i64;
            let arrival = 20_000 * i64::from(i) + delay_us;
            seen.extend(detector.on_packet(sent, arrival));
        }
        seen
    }

    #[test]
    fn a_steady_delay_is_normal_use() {
        let usage = run(0.0, 200);
        assert!(usage.iter().all(|u| *u == Usage::Normal), "{usage:?}");
    }

    #[test]
    fn a_growing_queue_is_over_use() {
        assert_eq!(run(2.0, 60).last(), Some(&Usage::Over));
    }

    #[test]
    fn a_draining_queue_is_under_use() {
        assert_eq!(run(-2.0, 60).last(), Some(&Usage::Under));
    }

    #[test]
    fn packets_of_one_burst_are_one_group() {
        let t0 = Instant::now();
        let mut detector = DelayDetector::default();
        // Ten groups of three packets 1 ms apart, arrivals spread by a slow
        // link: only group boundaries produce a verdict.
        let mut verdicts = 0;
        for group in 0..10u32 {
            for p in 0..3u32 {
                let sent = t0 + Duration::from_millis(u64::from(group * 33 + p));
                let arrival = i64::from(group * 33_000 + p * 4_000);
                verdicts += detector.on_packet(sent, arrival).iter().count();
            }
        }
        // The first group opens, the second has nothing to compare with.
        assert_eq!(verdicts, 8);
    }

    #[test]
    fn the_threshold_adapts_within_its_range() {
        let mut detector = OveruseDetector::default();
        for i in 0..1_000 {
            detector.detect(0.0, 20.0, 20_000 * i);
        }
        assert_eq!(detector.threshold, THRESHOLD_RANGE_MS.0);
        for i in 1_000..3_000 {
            detector.detect(20.0, 20.0, 20_000 * i);
        }
        assert!(detector.threshold > 15.0, "{}", detector.threshold);
    }
}
