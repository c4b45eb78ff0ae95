//! A sender that follows the estimate, a bottleneck queue and a receiver
//! that reports with the TWCC recorder the server runs, in simulated time:
//! how the estimator behaves on a link, faster than real time and the same
//! every run (its tests, and the `bwe_converge_ms` figure).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use webrtc::interceptor::twcc::Recorder;
use webrtc::rtcp::transport_feedbacks::transport_layer_cc::TransportLayerCc;

use super::{BandwidthEstimator, BweConfig, Estimate};

const STEP: Duration = Duration::from_millis(1);
const FEEDBACK_INTERVAL: Duration = Duration::from_millis(100);
const AUDIO_BYTES: usize = 200;
const MTU: usize = 1_200;

/// A FIFO that drains at `capacity_bps` and drops what does not fit.
pub struct Path {
    pub capacity_bps: f64,
    /// Longest queue, as time to drain it.
    pub buffer: Duration,
    pub one_way: Duration,
    /// Drops every n-th packet on top of the queue's drops.
    pub drop_every: Option<u64>,
    /// Up to this much extra delay per packet, at random (order is kept):
    /// a busy receiver or a noisy radio, not a queue.
    pub jitter: Duration,
    /// The receiver is not scheduled for `.1` out of every `.0`: what
    /// arrives meanwhile is read, stamped and reported when it runs again.
    /// A process short of CPU, not a queue on the link.
    pub stalls: Option<(Duration, Duration)>,
}

impl Path {
    pub fn capped(capacity_bps: f64) -> Path {
        Path {
            capacity_bps,
            buffer: Duration::from_millis(100),
            one_way: Duration::from_millis(20),
            drop_every: None,
            jitter: Duration::ZERO,
            stalls: None,
        }
    }
}

/// The estimate every 100 ms of simulated time.
pub struct Trace {
    pub points: Vec<(Duration, Estimate)>,
}

impl Trace {
    /// When the target first came within `tolerance` of `bps`.
    pub fn first_within(&self, bps: f64, tolerance: f64) -> Option<Duration> {
        self.points
            .iter()
            .find(|(_, e)| within(e.target_bps, bps, tolerance))
            .map(|(t, _)| *t)
    }

    /// The targets from `from` on.
    pub fn targets_after(&self, from: Duration) -> Vec<u64> {
        self.points
            .iter()
            .filter(|(t, _)| *t >= from)
            .map(|(_, e)| e.target_bps)
            .collect()
    }

    pub fn last(&self) -> Estimate {
        self.points.last().map(|(_, e)| *e).unwrap_or_default()
    }
}

pub fn within(value: u64, around: f64, tolerance: f64) -> bool {
    (value as f64 - around).abs() <= around * tolerance
}

/// Runs a sender for `length` over `path`, whose capacity `change` may
/// alter along the way.
pub fn run(
    config: BweConfig,
    path: &mut Path,
    length: Duration,
    change: impl Fn(Duration, &mut Path),
) -> Trace {
    let t0 = Instant::now();
    let mut estimator = BandwidthEstimator::new(config);
    let mut recorder = Recorder::new(1);
    let mut seq: u16 = 0;
    let mut sent_count: u64 = 0;
    let mut busy_until = Duration::ZERO;
    let mut last_arrival = Duration::ZERO;
    let mut noise: u32 = 1;
    // Packets on their way to the receiver, and feedback on its way back.
    let mut to_receiver: VecDeque<(Duration, u16)> = VecDeque::new();
    let mut to_sender: VecDeque<(Duration, TransportLayerCc)> = VecDeque::new();
    let mut trace = Trace { points: Vec::new() };
    let mut now = Duration::ZERO;
    while now < length {
        change(now, path);
        let ms = now.as_millis() as u64;
        let mut packets = Vec::new();
        if ms.is_multiple_of(20) {
            packets.push(AUDIO_BYTES);
        }
        if ms.is_multiple_of(33) {
            let target = estimator.estimate().target_bps as f64;
            let audio_bps = (AUDIO_BYTES * 8 * 50) as f64;
            let frame = ((target - audio_bps).max(30_000.0) / 30.0 / 8.0) as usize;
            let count = frame.div_ceil(MTU);
            packets.extend(std::iter::repeat_n(frame.div_ceil(count.max(1)), count));
        }
        for bytes in packets {
            estimator.on_packet_sent(seq, bytes, t0 + now);
            sent_count += 1;
            let queued = busy_until.saturating_sub(now);
            let dropped = path
                .drop_every
                .is_some_and(|n| sent_count.is_multiple_of(n));
            if queued <= path.buffer && !dropped {
                let serialise = Duration::from_secs_f64(bytes as f64 * 8.0 / path.capacity_bps);
                busy_until = busy_until.max(now) + serialise;
                noise = noise.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let extra = path
                    .jitter
                    .mul_f64(f64::from(noise >> 8) / f64::from(1u32 << 24));
                last_arrival = last_arrival.max(busy_until + path.one_way + extra);
                to_receiver.push_back((last_arrival, seq));
            }
            seq = seq.wrapping_add(1);
        }
        let stalled = path.stalls.is_some_and(|(every, length)| {
            Duration::from_nanos((now.as_nanos() % every.as_nanos()) as u64) < length
        });
        while let Some(&(at, s)) = to_receiver.front() {
            if at > now || stalled {
                break;
            }
            // Read late after a stall: stamped when read.
            let read = if at + STEP > now { at } else { now };
            recorder.record(2, s, read.as_micros() as i64);
            to_receiver.pop_front();
        }
        if now
            .as_millis()
            .is_multiple_of(FEEDBACK_INTERVAL.as_millis())
            && !stalled
        {
            for packet in recorder.build_feedback_packet() {
                // Through the wire format, as the client reads it.
                let bytes = packet.marshal().expect("marshal");
                let mut buf = &bytes[..];
                for p in webrtc::rtcp::packet::unmarshal(&mut buf).expect("unmarshal") {
                    if let Some(fb) = p.as_any().downcast_ref::<TransportLayerCc>() {
                        to_sender.push_back((now + path.one_way, fb.clone()));
                    }
                }
            }
            trace.points.push((now, estimator.estimate()));
        }
        while let Some((at, _)) = to_sender.front() {
            if *at > now {
                break;
            }
            let (_, fb) = to_sender.pop_front().expect("front");
            estimator.on_feedback(&fb, t0 + now);
        }
        now += STEP;
    }
    trace
}

#[cfg(test)]
mod tests {
    use super::*;

    const MBIT: f64 = 1_000_000.0;

    #[test]
    fn the_estimate_converges_to_a_1_mbit_bottleneck() {
        let mut path = Path::capped(MBIT);
        let trace = run(
            BweConfig::default(),
            &mut path,
            Duration::from_secs(30),
            |_, _| {},
        );
        let first = trace
            .first_within(MBIT, 0.2)
            .expect("within 20 % at some point");
        assert!(
            first <= Duration::from_secs(5),
            "first within 20 % at {first:?}"
        );
        let settled = trace.targets_after(Duration::from_secs(10));
        let mean = settled.iter().sum::<u64>() as f64 / settled.len() as f64;
        assert!(within(mean as u64, MBIT, 0.2), "mean {mean} after 10 s");
        let low = settled.iter().min().copied().unwrap_or_default();
        assert!(low as f64 >= 0.6 * MBIT, "dipped to {low}");
    }

    #[test]
    fn the_estimate_starts_low_and_finds_a_faster_link() {
        let trace = run(
            BweConfig::default(),
            &mut Path::capped(2.0 * MBIT),
            Duration::from_secs(30),
            |_, _| {},
        );
        let first = trace.first_within(2.0 * MBIT, 0.2).expect("finds 2 Mbit/s");
        assert!(first <= Duration::from_secs(10), "{first:?}");
    }

    #[test]
    fn an_open_link_lets_it_ramp_up_to_the_max() {
        let config = BweConfig::default();
        let trace = run(
            config,
            &mut Path::capped(50.0 * MBIT),
            Duration::from_secs(15),
            |_, _| {},
        );
        assert_eq!(trace.last().target_bps, config.max_bps);
    }

    #[test]
    fn heavy_loss_drives_it_down_light_loss_does_not() {
        let config = BweConfig::default();
        let mut lossy = Path {
            drop_every: Some(5),
            ..Path::capped(50.0 * MBIT)
        };
        let trace = run(config, &mut lossy, Duration::from_secs(10), |_, _| {});
        let last = trace.last();
        assert!(last.loss_fraction > 0.15, "{last:?}");
        assert!(last.target_bps <= 200_000, "{last:?}");

        let mut light = Path {
            drop_every: Some(100),
            ..Path::capped(50.0 * MBIT)
        };
        let trace = run(config, &mut light, Duration::from_secs(15), |_, _| {});
        assert_eq!(trace.last().target_bps, config.max_bps);
    }

    #[test]
    fn delay_noise_without_a_queue_is_no_congestion() {
        let config = BweConfig::default();
        let mut noisy = Path {
            jitter: Duration::from_millis(15),
            ..Path::capped(50.0 * MBIT)
        };
        let trace = run(config, &mut noisy, Duration::from_secs(20), |_, _| {});
        assert_eq!(trace.last().target_bps, config.max_bps);
    }

    /// The SFU's downlink estimators: a delay-based cut needs the round
    /// trip to have grown.
    fn sfu_config() -> BweConfig {
        BweConfig {
            overuse_min_queue: Duration::from_millis(100),
            ..BweConfig::default()
        }
    }

    /// 100 ms without being scheduled, twice a second: what a subscriber
    /// beside six media processes on two cores went through.
    fn starved_receiver() -> Path {
        Path {
            stalls: Some((Duration::from_millis(500), Duration::from_millis(100))),
            ..Path::capped(50.0 * MBIT)
        }
    }

    #[test]
    fn a_receiver_short_of_cpu_is_no_congestion_when_a_queue_must_show() {
        let mut path = starved_receiver();
        // Trusting the trend alone, the estimate goes down step by step.
        let trusting = run(
            BweConfig::default(),
            &mut path,
            Duration::from_secs(20),
            |_, _| {},
        );
        assert!(trusting.last().cuts > 10, "{:?}", trusting.last());
        let trace = run(sfu_config(), &mut path, Duration::from_secs(20), |_, _| {});
        assert_eq!(trace.last().cuts, 0);
        assert_eq!(trace.last().target_bps, sfu_config().max_bps);
    }

    #[test]
    fn a_bottleneck_is_found_when_a_queue_must_show() {
        let mut path = Path::capped(MBIT);
        let trace = run(sfu_config(), &mut path, Duration::from_secs(30), |_, _| {});
        let settled = trace.targets_after(Duration::from_secs(10));
        let mean = settled.iter().sum::<u64>() as f64 / settled.len() as f64;
        assert!(within(mean as u64, MBIT, 0.25), "mean {mean} after 10 s");
    }

    #[test]
    fn a_link_that_narrows_is_followed_down() {
        let mut path = Path::capped(2.0 * MBIT);
        let trace = run(
            BweConfig::default(),
            &mut path,
            Duration::from_secs(30),
            |now, path| {
                if now >= Duration::from_secs(15) {
                    path.capacity_bps = 500_000.0;
                }
            },
        );
        let after = trace.targets_after(Duration::from_secs(18));
        let high = after.iter().max().copied().unwrap_or_default();
        assert!(high as f64 <= 1.3 * 500_000.0, "still {high} 3 s after");
        let low = after.iter().min().copied().unwrap_or_default();
        assert!(low as f64 >= 0.5 * 500_000.0, "fell to {low}");
    }
}
