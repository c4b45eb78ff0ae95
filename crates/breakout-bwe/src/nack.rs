//! Asking the sender to resend lost video packets (RTCP NACK, RFC 4585):
//! the client asks the SFU, the SFU asks a publisher.
//!
//! A lost packet costs a frozen picture until it is resent or a keyframe
//! replaces everything it belonged to, so the request goes out as soon as
//! a later packet shows the gap (within one [`TICK`]) and again only when a
//! round trip has passed without it. The stack's own generator asks for
//! every missing packet on a fixed 100 ms timer: a loss waits up to 100 ms
//! before it is even reported, and a short timer would have every packet
//! resent several times per round trip. The round trip is learned here, from
//! how long requested packets take to arrive.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::task::JoinHandle;
use webrtc::interceptor::stream_info::StreamInfo;
use webrtc::interceptor::{
    Attributes, Interceptor, InterceptorBuilder, RTCPReader, RTCPWriter, RTPReader, RTPWriter,
};
use webrtc::rtcp::transport_feedbacks::transport_layer_nack::{
    TransportLayerNack, nack_pairs_from_sequence_numbers,
};

/// How often due requests are sent.
pub const TICK: Duration = Duration::from_millis(10);
/// Round trip assumed before one is measured.
const INITIAL_RTT: Duration = Duration::from_millis(100);
/// Bounds of the wait before asking again: a measured round trip can be
/// tiny on a LAN, and beyond half a second a resent packet is too late to
/// show anyway.
const MIN_RETRY: Duration = Duration::from_millis(20);
const MAX_RETRY: Duration = Duration::from_millis(500);
/// Asks for one packet at most this often.
const MAX_TRIES: u8 = 4;
/// A packet missing longer than this is given up on: the receiver has asked
/// for a keyframe by then.
const MAX_AGE: Duration = Duration::from_millis(1_000);
/// A jump ahead by more than this many sequence numbers is a new source or
/// a restart, not loss.
const MAX_GAP: u64 = 512;
/// The requests' sender SSRC: this side sends no media it could name on
/// these connections' receive path, and the SFU reads only the media SSRC.
const SENDER_SSRC: u32 = 1;

#[derive(Debug, Clone, Copy)]
struct Missing {
    noticed: Instant,
    asked: Option<Instant>,
    tries: u8,
}

/// The missing packets of one received stream.
#[derive(Debug, Default)]
pub struct LossLog {
    highest: Option<u64>,
    missing: BTreeMap<u64, Missing>,
}

impl LossLog {
    /// A packet arrived; returns how long after it was asked for, if it was
    /// asked for once: after a second request there is no telling which
    /// one it answers (Karn's rule), and a short sample would shorten the
    /// wait before the next second request, and so on down.
    pub fn received(&mut self, sequence: u16, now: Instant) -> Option<Duration> {
        let seq = extend(self.highest, sequence);
        let Some(highest) = self.highest else {
            self.highest = Some(seq);
            return None;
        };
        if seq > highest {
            if seq - highest > MAX_GAP {
                self.missing.clear();
            } else {
                for lost in highest + 1..seq {
                    self.missing.insert(
                        lost,
                        Missing {
                            noticed: now,
                            asked: None,
                            tries: 0,
                        },
                    );
                }
            }
            self.highest = Some(seq);
            return None;
        }
        let found = self.missing.remove(&seq)?;
        let asked = found.asked.filter(|_| found.tries == 1)?;
        Some(now.saturating_duration_since(asked))
    }

    /// Sequence numbers to ask for now: never asked, or asked longer than
    /// `retry` ago. Gives up on packets asked for too often or missing too
    /// long.
    pub fn due(&mut self, now: Instant, retry: Duration) -> Vec<u16> {
        self.missing.retain(|_, missing| {
            missing.tries < MAX_TRIES && now.saturating_duration_since(missing.noticed) < MAX_AGE
        });
        let mut due = Vec::new();
        for (seq, missing) in &mut self.missing {
            let ready = missing
                .asked
                .is_none_or(|asked| now.saturating_duration_since(asked) >= retry);
            if ready {
                missing.asked = Some(now);
                missing.tries += 1;
                due.push(*seq as u16);
            }
        }
        due
    }
}

/// `sequence` as a 64-bit number nearest to `highest`, so wrapping at
/// 65,535 keeps the order.
fn extend(highest: Option<u64>, sequence: u16) -> u64 {
    let Some(highest) = highest else {
        return (1 << 20) + u64::from(sequence);
    };
    let base = highest & !0xFFFF;
    [base.wrapping_sub(0x1_0000), base, base + 0x1_0000]
        .into_iter()
        .map(|b| b + u64::from(sequence))
        .min_by_key(|s| s.abs_diff(highest))
        .expect("three candidates")
}

/// Smoothed time from a request to the packet it asked for.
#[derive(Debug)]
struct RoundTrip(Duration);

impl RoundTrip {
    fn sample(&mut self, sample: Duration) {
        self.0 = (self.0 * 7 + sample) / 8;
    }

    /// How long to wait for a requested packet before asking again: a
    /// round trip and a quarter, for jitter (a duplicate resend costs one
    /// packet; a late second request can cost a keyframe).
    fn retry(&self) -> Duration {
        (self.0 * 5 / 4).clamp(MIN_RETRY, MAX_RETRY)
    }
}

#[derive(Debug)]
struct State {
    streams: HashMap<u32, LossLog>,
    rtt: RoundTrip,
}

/// The connection's NACK generator, one per PeerConnection.
pub struct NackGeneratorBuilder;

impl InterceptorBuilder for NackGeneratorBuilder {
    fn build(
        &self,
        _id: &str,
    ) -> Result<Arc<dyn Interceptor + Send + Sync>, webrtc::interceptor::Error> {
        Ok(Arc::new(NackGenerator {
            state: Arc::new(Mutex::new(State {
                streams: HashMap::new(),
                rtt: RoundTrip(INITIAL_RTT),
            })),
            ticker: Mutex::new(None),
        }))
    }
}

struct NackGenerator {
    state: Arc<Mutex<State>>,
    ticker: Mutex<Option<JoinHandle<()>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The requests due on every stream now.
fn due_requests(state: &Mutex<State>) -> Vec<TransportLayerNack> {
    let now = Instant::now();
    let mut state = lock(state);
    let retry = state.rtt.retry();
    state
        .streams
        .iter_mut()
        .filter_map(|(ssrc, log)| {
            let due = log.due(now, retry);
            (!due.is_empty()).then(|| TransportLayerNack {
                sender_ssrc: SENDER_SSRC,
                media_ssrc: *ssrc,
                nacks: nack_pairs_from_sequence_numbers(&due),
            })
        })
        .collect()
}

struct ReceiveTap {
    inner: Arc<dyn RTPReader + Send + Sync>,
    ssrc: u32,
    state: Arc<Mutex<State>>,
}

#[async_trait]
impl RTPReader for ReceiveTap {
    async fn read(
        &self,
        buf: &mut [u8],
        attributes: &Attributes,
    ) -> Result<(webrtc::rtp::packet::Packet, Attributes), webrtc::interceptor::Error> {
        let (packet, attributes) = self.inner.read(buf, attributes).await?;
        let now = Instant::now();
        let mut state = lock(&self.state);
        let waited = state
            .streams
            .get_mut(&self.ssrc)
            .and_then(|log| log.received(packet.header.sequence_number, now));
        if let Some(waited) = waited {
            state.rtt.sample(waited);
        }
        Ok((packet, attributes))
    }
}

#[async_trait]
impl Interceptor for NackGenerator {
    async fn bind_rtcp_reader(
        &self,
        reader: Arc<dyn RTCPReader + Send + Sync>,
    ) -> Arc<dyn RTCPReader + Send + Sync> {
        reader
    }

    async fn bind_rtcp_writer(
        &self,
        writer: Arc<dyn RTCPWriter + Send + Sync>,
    ) -> Arc<dyn RTCPWriter + Send + Sync> {
        let state = self.state.clone();
        let rtcp = writer.clone();
        let ticker = tokio::spawn(async move {
            let mut tick = tokio::time::interval(TICK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                for nack in due_requests(&state) {
                    if let Err(e) = rtcp.write(&[Box::new(nack)], &Attributes::new()).await {
                        tracing::debug!(error = %e, "sending a NACK");
                    }
                }
            }
        });
        if let Some(old) = lock(&self.ticker).replace(ticker) {
            old.abort();
        }
        writer
    }

    async fn bind_local_stream(
        &self,
        _info: &StreamInfo,
        writer: Arc<dyn RTPWriter + Send + Sync>,
    ) -> Arc<dyn RTPWriter + Send + Sync> {
        writer
    }

    async fn unbind_local_stream(&self, _info: &StreamInfo) {}

    async fn bind_remote_stream(
        &self,
        info: &StreamInfo,
        reader: Arc<dyn RTPReader + Send + Sync>,
    ) -> Arc<dyn RTPReader + Send + Sync> {
        let wants_nack = info
            .rtcp_feedback
            .iter()
            .any(|fb| fb.typ == "nack" && fb.parameter.is_empty());
        if !wants_nack {
            return reader;
        }
        lock(&self.state)
            .streams
            .insert(info.ssrc, LossLog::default());
        Arc::new(ReceiveTap {
            inner: reader,
            ssrc: info.ssrc,
            state: self.state.clone(),
        })
    }

    async fn unbind_remote_stream(&self, info: &StreamInfo) {
        lock(&self.state).streams.remove(&info.ssrc);
    }

    async fn close(&self) -> Result<(), webrtc::interceptor::Error> {
        if let Some(ticker) = lock(&self.ticker).take() {
            ticker.abort();
        }
        Ok(())
    }
}

impl Drop for NackGenerator {
    fn drop(&mut self) {
        if let Some(ticker) = lock(&self.ticker).take() {
            ticker.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_gap_is_asked_for_at_once_and_again_only_after_the_retry_wait() {
        let t0 = Instant::now();
        let mut log = LossLog::default();
        log.received(10, t0);
        log.received(13, t0 + ms(5));
        assert_eq!(log.due(t0 + ms(10), ms(150)), vec![11, 12]);
        assert!(log.due(t0 + ms(100), ms(150)).is_empty());
        // 11 arrives, 151 ms after it was asked for.
        assert_eq!(log.received(11, t0 + ms(161)), Some(ms(151)));
        assert_eq!(log.due(t0 + ms(161), ms(150)), vec![12]);
        // 12 was asked for twice: its arrival says nothing of the round trip.
        assert_eq!(log.received(12, t0 + ms(200)), None);
    }

    #[test]
    fn asks_at_most_max_tries_times_and_gives_up_on_old_losses() {
        let t0 = Instant::now();
        let mut log = LossLog::default();
        log.received(1, t0);
        log.received(3, t0);
        let mut asked = 0;
        for step in 0..100 {
            asked += log.due(t0 + ms(step * 30), ms(20)).len();
        }
        assert_eq!(asked, usize::from(MAX_TRIES));

        let mut log = LossLog::default();
        log.received(1, t0);
        log.received(3, t0);
        assert!(log.due(t0 + MAX_AGE, ms(20)).is_empty());
    }

    #[test]
    fn late_and_duplicate_packets_are_not_losses_and_wrapping_keeps_order() {
        let t0 = Instant::now();
        let mut log = LossLog::default();
        log.received(65_534, t0);
        log.received(65_535, t0);
        log.received(1, t0);
        assert_eq!(log.due(t0, ms(100)), vec![0]);
        assert_eq!(log.received(0, t0 + ms(40)), Some(ms(40)));
        assert_eq!(log.received(0, t0 + ms(41)), None);
        log.received(65_535, t0 + ms(42));
        assert!(log.due(t0 + ms(500), ms(100)).is_empty());
    }

    #[test]
    fn a_jump_of_a_new_source_is_not_a_loss() {
        let t0 = Instant::now();
        let mut log = LossLog::default();
        log.received(100, t0);
        log.received(30_000, t0);
        assert!(log.due(t0, ms(100)).is_empty());
    }

    #[test]
    fn the_retry_wait_follows_the_measured_round_trip_within_bounds() {
        let mut rtt = RoundTrip(INITIAL_RTT);
        assert_eq!(rtt.retry(), ms(125));
        for _ in 0..50 {
            rtt.sample(ms(2));
        }
        assert_eq!(rtt.retry(), MIN_RETRY);
        for _ in 0..50 {
            rtt.sample(ms(2_000));
        }
        assert_eq!(rtt.retry(), MAX_RETRY);
    }
}
