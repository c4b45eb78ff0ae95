//! Send-side bandwidth estimation in the spirit of Google Congestion Control
//! (draft-ietf-rmcat-gcc-02), from transport-wide feedback: the client's
//! uplink from the SFU's feedback, and the SFU's downlink to each subscriber
//! from that subscriber's.
//!
//! ```text
//! sent packet (seq, size, time) ─► history ─┐ matched by sequence number
//! TransportLayerCc ─► arrivals ─────────────┤
//!   ┌───────────────────────────────────────┘
//!   ├─► send groups ─► trendline ─► over-use detector ─► AIMD ──┐
//!   ├─► rate that got through (bounds AIMD's rises, sets its cuts) │
//!   └─► loss per report ─► loss-based ──────────────────────────┴─► min ─► estimate
//! ```
//!
//! [`BandwidthEstimator`] does no I/O and reads no clock: the send times and
//! the time each feedback arrived are passed in, so it runs as well against a
//! simulated bottleneck ([`sim`]) as behind the interceptor (`interceptor.rs`)
//! that feeds it from the real connection. No crate offers GCC for the
//! webrtc 0.17 interceptor chain (webrtc-rs added one only to its sans-IO
//! rewrite), hence this one.

mod delay;
mod feedback;
mod interceptor;
mod loss;
pub mod nack;
mod rate;
pub mod sim;

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use webrtc::rtcp::transport_feedbacks::transport_layer_cc::TransportLayerCc;

pub use delay::Usage;
pub use feedback::{Arrival, arrivals};
pub use interceptor::{BweInterceptorBuilder, Uplink, UplinkStats, VideoSendStats, WIRE_OVERHEAD};

use delay::DelayDetector;
use feedback::Unwrapper;
use loss::LossBased;
use rate::AimdRate;

/// Where the estimate starts and the range it stays in (bit/s).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BweConfig {
    pub start_bps: u64,
    pub min_bps: u64,
    pub max_bps: u64,
    /// How far above what got through the estimate may rise. A sender that
    /// scales its own rate (a camera) wants little; one that chooses among
    /// fixed steps (an SFU picking simulcast layers) needs the next step
    /// within reach, or it never tries it.
    pub acked_headroom: f64,
    /// How far the round trip must have grown above the least seen lately
    /// before a delay-based over-use cuts the estimate. Zero trusts the
    /// trend alone, as GCC does; a sender on a busy machine (an SFU beside
    /// its subscribers) sees arrival times jitter by milliseconds without
    /// any queue, and a trend over them is no reason to give up layers.
    pub overuse_min_queue: Duration,
}

impl Default for BweConfig {
    /// Starts where WebRTC starts: a narrow uplink is not flooded before the
    /// first feedback, and the startup growth finds a wide one within
    /// seconds. The top is what the encoder ever asks for plus audio.
    fn default() -> Self {
        BweConfig {
            start_bps: 300_000,
            min_bps: 80_000,
            max_bps: 2_600_000,
            acked_headroom: 1.5,
            overuse_min_queue: Duration::ZERO,
        }
    }
}

/// The estimate and what it is made of.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Estimate {
    /// What may be sent (bit/s): the lower of the two below.
    pub target_bps: u64,
    pub delay_based_bps: u64,
    pub loss_based_bps: u64,
    /// What the receiver got in the last half second (bit/s).
    pub acked_bps: Option<u64>,
    /// Loss of the last judged batch of packets (0–1).
    pub loss_fraction: f64,
    pub usage: Usage,
    /// From sending the newest packet a feedback reports on to receiving
    /// that feedback, smoothed: about a round trip.
    pub feedback_delay_ms: Option<u64>,
    /// Feedback packets taken in.
    pub reports: u64,
    /// How many times congestion (a queue or loss) cut the estimate: until
    /// the first, it is only where it started or grew to, not a limit the
    /// path has shown.
    pub cuts: u64,
}

#[derive(Debug, Clone, Copy)]
struct Sent {
    bytes: usize,
    at: Instant,
}

/// The send-side estimator: see the [module docs](self).
#[derive(Debug)]
pub struct BandwidthEstimator {
    config: BweConfig,
    sent_seqs: Unwrapper,
    history: BTreeMap<u64, Sent>,
    /// Highest sequence number any feedback reported on.
    reported_up_to: Option<u64>,
    /// Highest sequence number given to the delay detector.
    delay_up_to: Option<u64>,
    delay: DelayDetector,
    rate: AimdRate,
    loss: LossBased,
    acked: AckedRate,
    feedback_delay: Option<Duration>,
    base_delay: WindowedMin,
    /// The feedback packet count of the last report taken in.
    feedback_count: Option<u8>,
    reports: u64,
}

/// Sent packets are forgotten after this long without feedback.
const HISTORY: Duration = Duration::from_secs(2);

impl BandwidthEstimator {
    pub fn new(config: BweConfig) -> Self {
        let (start, min, max) = (
            config.start_bps as f64,
            config.min_bps as f64,
            config.max_bps as f64,
        );
        BandwidthEstimator {
            config,
            sent_seqs: Unwrapper::default(),
            history: BTreeMap::new(),
            reported_up_to: None,
            delay_up_to: None,
            delay: DelayDetector::default(),
            rate: AimdRate::new(start, min, max, config.acked_headroom),
            loss: LossBased::new(start, min, max),
            acked: AckedRate::default(),
            feedback_delay: None,
            base_delay: WindowedMin::default(),
            feedback_count: None,
            reports: 0,
        }
    }

    /// A packet carrying transport sequence number `seq` left at `at` with
    /// `bytes` on the wire. A number seen before (a retransmission that
    /// kept its extension) keeps its first send.
    pub fn on_packet_sent(&mut self, seq: u16, bytes: usize, at: Instant) {
        let seq = self.sent_seqs.unwrap(seq);
        self.history.entry(seq).or_insert(Sent { bytes, at });
        while let Some(entry) = self.history.first_entry() {
            if at.saturating_duration_since(entry.get().at) <= HISTORY {
                break;
            }
            entry.remove();
        }
    }

    /// A feedback packet that arrived at `now`.
    pub fn on_feedback(&mut self, feedback: &TransportLayerCc, now: Instant) {
        let count = feedback.fb_pkt_count;
        let follows = self
            .feedback_count
            .is_none_or(|last| last.wrapping_add(1) == count);
        self.feedback_count = Some(count);
        self.on_arrivals(&arrivals(feedback), follows, now);
    }

    /// What one feedback packet reported, in sequence order; `follows` when
    /// it is the next report after the last one taken in. A report starts
    /// at the first packet that arrived since the one before, so packets
    /// between two consecutive reports were lost; after a report that was
    /// itself lost, they are unknown.
    pub fn on_arrivals(&mut self, reported: &[Arrival], follows: bool, now: Instant) {
        let reported: Vec<(u64, Option<i64>)> = reported
            .iter()
            .map(|a| (self.sent_seqs.peek(a.seq), a.at_us))
            .collect();
        let mut received_seqs = reported
            .iter()
            .filter(|(_, at)| at.is_some())
            .map(|(seq, _)| *seq);
        let Some(oldest) = received_seqs.next() else {
            return;
        };
        let newest = received_seqs.next_back().unwrap_or(oldest);
        self.reports += 1;
        if let Some(sent) = self.history.get(&newest) {
            let sample = now.saturating_duration_since(sent.at);
            self.feedback_delay = Some(match self.feedback_delay {
                Some(old) => old.mul_f64(0.9) + sample.mul_f64(0.1),
                None => sample,
            });
            self.base_delay.add(sample, now);
        }

        // Loss: the packets sent since the last report up to the newest one
        // reported that did not arrive. After a lost report only what this
        // one covers: on a link losing 5 % each way, counting the lost
        // report's packets too doubled the loss and cut the estimate to its
        // floor. Before the first report, only what it covers (the receiver
        // may have started late).
        let first_covered = reported.first().map_or(oldest, |(seq, _)| *seq);
        let from = match self.reported_up_to {
            Some(up_to) if follows => up_to + 1,
            Some(up_to) => (up_to + 1).max(first_covered),
            None => first_covered,
        };
        let (mut received, mut lost) = (0u32, 0u32);
        if newest >= from {
            for (seq, _) in self.history.range(from..=newest) {
                let arrived = reported
                    .binary_search_by_key(seq, |(s, _)| *s)
                    .is_ok_and(|i| reported[i].1.is_some());
                if arrived {
                    received += 1;
                } else {
                    lost += 1;
                }
            }
            self.reported_up_to = Some(newest);
        }

        // Delay: received packets in send order, each once.
        let mut usage = None;
        for &(seq, at_us) in &reported {
            let (Some(at_us), Some(sent)) = (at_us, self.history.get(&seq)) else {
                continue;
            };
            if self.delay_up_to.is_some_and(|up_to| seq <= up_to) {
                continue;
            }
            self.delay_up_to = Some(seq);
            self.acked.add(at_us, sent.bytes);
            if let Some(verdict) = self.delay.on_packet(sent.at, at_us) {
                // An over-use anywhere in the report counts.
                if usage != Some(Usage::Over) {
                    usage = Some(verdict);
                }
            }
        }

        let rtt = self.feedback_delay.unwrap_or(Duration::from_millis(100));
        let acked = self.acked.bps();
        let mut usage = usage.unwrap_or(self.delay.usage());
        if usage == Usage::Over && self.queue() < self.config.overuse_min_queue {
            usage = Usage::Normal;
        }
        let delay_based = self.rate.update(usage, acked, rtt, now);
        let current = delay_based.min(self.loss.estimate());
        self.loss.update(received, lost, current, rtt, now);
        self.loss.follow(delay_based);
    }

    /// How far the smoothed round trip is above the least seen lately: the
    /// queue our packets wait in, as far as the round trip can tell.
    fn queue(&self) -> Duration {
        match (self.feedback_delay, self.base_delay.min()) {
            (Some(smoothed), Some(base)) => smoothed.saturating_sub(base),
            _ => Duration::ZERO,
        }
    }

    pub fn estimate(&self) -> Estimate {
        let delay_based = self.rate.estimate();
        let loss_based = self.loss.estimate();
        let target = delay_based
            .min(loss_based)
            .clamp(self.config.min_bps as f64, self.config.max_bps as f64);
        Estimate {
            target_bps: target as u64,
            delay_based_bps: delay_based as u64,
            loss_based_bps: loss_based as u64,
            acked_bps: self.acked.bps().map(|b| b as u64),
            loss_fraction: self.loss.loss_fraction(),
            usage: self.delay.usage(),
            feedback_delay_ms: self.feedback_delay.map(|d| d.as_millis() as u64),
            reports: self.reports,
            cuts: self.rate.cuts() + self.loss.cuts(),
        }
    }
}

/// The least of the samples of the last [`WindowedMin::WINDOW`]: the round
/// trip with no queue, as long as the path sometimes drains.
#[derive(Debug, Default)]
struct WindowedMin {
    /// Ascending in both time and value: a sample makes every larger one
    /// before it irrelevant.
    samples: VecDeque<(Instant, Duration)>,
}

impl WindowedMin {
    const WINDOW: Duration = Duration::from_secs(10);

    fn add(&mut self, sample: Duration, now: Instant) {
        while self.samples.back().is_some_and(|&(_, s)| s >= sample) {
            self.samples.pop_back();
        }
        self.samples.push_back((now, sample));
        while self
            .samples
            .front()
            .is_some_and(|&(at, _)| now.saturating_duration_since(at) > Self::WINDOW)
        {
            self.samples.pop_front();
        }
    }

    fn min(&self) -> Option<Duration> {
        self.samples.front().map(|&(_, s)| s)
    }
}

/// The rate at which acknowledged packets arrived, over the last
/// [`AckedRate::WINDOW_US`] of the receiver's clock.
#[derive(Debug, Default)]
struct AckedRate {
    packets: VecDeque<(i64, usize)>,
    bytes: usize,
    newest_us: i64,
}

impl AckedRate {
    const WINDOW_US: i64 = 500_000;
    /// Less than this span is too short to call a rate.
    const MIN_SPAN_US: i64 = 100_000;

    fn add(&mut self, at_us: i64, bytes: usize) {
        self.packets.push_back((at_us, bytes));
        self.bytes += bytes;
        self.newest_us = match self.packets.len() {
            1 => at_us,
            _ => self.newest_us.max(at_us),
        };
        while let Some(&(at, b)) = self.packets.front() {
            if self.newest_us - at <= Self::WINDOW_US {
                break;
            }
            self.packets.pop_front();
            self.bytes -= b;
        }
    }

    fn bps(&self) -> Option<f64> {
        let (first, _) = self.packets.front()?;
        let (last, _) = self.packets.back()?;
        let span = last - first;
        if span < Self::MIN_SPAN_US {
            return None;
        }
        // The first packet's bytes arrived before the span began.
        let bytes = self.bytes - self.packets.front().map_or(0, |(_, b)| *b);
        Some(bytes as f64 * 8.0 / (span as f64 / 1e6))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Packets `seqs` as one report: every `lost_every`-th not received.
    fn report(seqs: std::ops::Range<u16>, lost_every: Option<u16>) -> Vec<Arrival> {
        seqs.map(|seq| Arrival {
            seq,
            at_us: match lost_every {
                Some(n) if seq % n == 0 => None,
                _ => Some(i64::from(seq) * 1_000),
            },
        })
        .collect()
    }

    #[test]
    fn packets_of_a_lost_report_are_not_losses_and_those_between_reports_are() {
        let t0 = Instant::now();
        let mut bwe = BandwidthEstimator::new(BweConfig::default());
        for seq in 0..200u16 {
            bwe.on_packet_sent(seq, 1_000, t0 + Duration::from_millis(u64::from(seq)));
        }
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        bwe.on_arrivals(&report(0..50, None), true, at(60));
        // The report on 50..75 was lost on its way back.
        bwe.on_arrivals(&report(75..100, None), false, at(110));
        assert_eq!(bwe.estimate().loss_fraction, 0.0);
        // The next report: 100..110 never arrived, and every fourth after.
        bwe.on_arrivals(&report(110..140, Some(4)), true, at(150));
        let lost = 10 + (110..140).filter(|seq| seq % 4 == 0).count();
        assert_eq!(bwe.estimate().loss_fraction, lost as f64 / 40.0);
    }
}
