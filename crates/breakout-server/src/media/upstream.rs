//! One publisher's track as received by the server, and the task that reads
//! it. The reader never waits on anyone: each packet is offered to every
//! subscribed slot with `try_send`, and a full queue counts a drop on that
//! subscriber instead of slowing the publisher's other listeners.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use breakout_core::ParticipantId;
use breakout_protocol::media::{Layer, MediaKind};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use webrtc::rtp::packet::Packet;
use webrtc::track::track_remote::TrackRemote;

use super::rewrite::{audio_level, vp8_keyframe_size, vp8_keyframe_start};
use super::stats::{PeerStats, bump};

/// At most one keyframe request per source this often: a switch of many
/// subscribers at once (gather, round robin) happens within a few ms and
/// needs a single keyframe.
const KEYFRAME_REQUEST_INTERVAL_MS: u64 = 30;
/// A talker counts as active while its audio level is at or above this
/// (dBov below full scale; 127 is silence).
const VOICE_LEVEL: u8 = 70;
/// Voice this recent counts as speaking on the hosts' dashboard.
const SPEAKING_WINDOW_MS: u64 = 1_000;
/// Bitrates are measured over windows this long.
const METER_WINDOW_MS: u64 = 1_000;

/// Tells apart every upstream of the process, so a slot can tell a
/// publisher's layers apart and drop what was queued for another.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A packet on its way to one subscriber's slot.
pub struct DownPacket {
    pub slot: usize,
    /// The [`Upstream::id`] it came from.
    pub source: u64,
    pub packet: Packet,
    /// Video: starts a keyframe (a slot waiting for one may begin here).
    pub keyframe: bool,
}

/// A packet on its way to a room's recorder (see `recording`).
pub enum Tapped {
    /// An Opus packet of a voice the room hears.
    Voice {
        from: ParticipantId,
        payload: bytes::Bytes,
    },
    /// An RTP packet of the video the recording shows.
    Picture { source: u64, packet: Packet },
}

/// One subscriber slot fed by an upstream track.
pub struct Sink {
    pub subscriber: ParticipantId,
    pub slot: usize,
    pub tx: mpsc::Sender<DownPacket>,
    pub stats: Arc<PeerStats>,
}

pub struct Upstream {
    pub id: u64,
    pub publisher: ParticipantId,
    pub kind: MediaKind,
    /// The simulcast layer; `None` for audio and a camera without simulcast.
    pub layer: Option<Layer>,
    pub ssrc: u32,
    sinks: RwLock<Vec<Sink>>,
    /// The recorders this source goes to. Audio: its room's while the room
    /// is recorded, and every recorded room's while it speaks to all rooms.
    /// Video: the recorder of the room whose recording shows it.
    taps: RwLock<Vec<mpsc::Sender<Tapped>>>,
    /// Whether `taps` has any: the packet path reads this, not the lock.
    tapped: AtomicBool,
    /// Keyframe requests go to the publisher's RTCP writer task.
    keyframes: mpsc::Sender<u32>,
    last_keyframe_request_ms: AtomicU64,
    /// When this source last carried voice, in ms since `epoch`.
    last_voice_ms: AtomicU64,
    /// Smoothed RFC 6464 level ×16 (lower is louder).
    level_x16: AtomicU64,
    /// When the last packet arrived, in ms since `epoch`; 0 before one.
    last_packet_ms: AtomicU64,
    /// Video: `width << 32 | height` of the last keyframe; 0 before one.
    size: AtomicU64,
    /// Bit/s over the last full window with packets; 0 before one. A paused
    /// layer keeps what it cost when it last ran.
    bitrate: AtomicU64,
    epoch: Instant,
}

impl Upstream {
    pub fn new(
        publisher: ParticipantId,
        kind: MediaKind,
        layer: Option<Layer>,
        ssrc: u32,
        keyframes: mpsc::Sender<u32>,
        epoch: Instant,
    ) -> Self {
        Upstream {
            id: NEXT_ID.fetch_add(1, Relaxed),
            publisher,
            kind,
            layer,
            ssrc,
            sinks: RwLock::new(Vec::new()),
            taps: RwLock::new(Vec::new()),
            tapped: AtomicBool::new(false),
            keyframes,
            last_keyframe_request_ms: AtomicU64::new(0),
            last_voice_ms: AtomicU64::new(0),
            level_x16: AtomicU64::new(127 * 16),
            last_packet_ms: AtomicU64::new(0),
            size: AtomicU64::new(0),
            bitrate: AtomicU64::new(0),
            epoch,
        }
    }

    pub fn subscribe(&self, sink: Sink) {
        let mut sinks = self.sinks.write().unwrap_or_else(|e| e.into_inner());
        sinks.retain(|s| !(s.subscriber == sink.subscriber && s.slot == sink.slot));
        sinks.push(sink);
    }

    pub fn unsubscribe(&self, subscriber: ParticipantId, slot: usize) {
        let mut sinks = self.sinks.write().unwrap_or_else(|e| e.into_inner());
        sinks.retain(|s| !(s.subscriber == subscriber && s.slot == slot));
    }

    /// Sends this source's packets to these recorders too (none: to no
    /// recorder).
    pub fn set_taps(&self, taps: Vec<mpsc::Sender<Tapped>>) {
        let mut current = self.taps.write().unwrap_or_else(|e| e.into_inner());
        let same = current.len() == taps.len()
            && current.iter().zip(&taps).all(|(a, b)| a.same_channel(b));
        if !same {
            self.tapped.store(!taps.is_empty(), Relaxed);
            *current = taps;
        }
    }

    /// Offers a packet to the recorders, never waiting: a recorder that
    /// falls behind loses packets, not the room its media.
    fn record(&self, packet: &Packet) {
        if !self.tapped.load(Relaxed) {
            return;
        }
        let taps = self.taps.read().unwrap_or_else(|e| e.into_inner());
        for tx in taps.iter() {
            let tapped = match self.kind {
                MediaKind::Audio => Tapped::Voice {
                    from: self.publisher,
                    payload: packet.payload.clone(),
                },
                MediaKind::Video => Tapped::Picture {
                    source: self.id,
                    packet: packet.clone(),
                },
            };
            let _ = tx.try_send(tapped);
        }
    }

    /// Asks the publisher for a keyframe (video only, rate limited).
    pub fn request_keyframe(&self) {
        if self.kind != MediaKind::Video {
            return;
        }
        let now = self.millis();
        let last = self.last_keyframe_request_ms.load(Relaxed);
        if last != 0 && now.saturating_sub(last) < KEYFRAME_REQUEST_INTERVAL_MS {
            return;
        }
        self.last_keyframe_request_ms.store(now.max(1), Relaxed);
        // A full queue already holds a request for this publisher.
        let _ = self.keyframes.try_send(self.ssrc);
    }

    /// Ranking for audio slots: recent voice first, then loudness.
    pub fn loudness(&self) -> (bool, u64) {
        let recent = self
            .millis()
            .saturating_sub(self.last_voice_ms.load(Relaxed))
            < 2_000
            && self.last_voice_ms.load(Relaxed) != 0;
        (
            recent,
            127 * 16 - self.level_x16.load(Relaxed).min(127 * 16),
        )
    }

    /// Whether this mic carried voice within the last second (what the
    /// hosts' dashboard shows as speaking).
    pub fn speaking(&self) -> bool {
        let last = self.last_voice_ms.load(Relaxed);
        last != 0 && self.millis().saturating_sub(last) < SPEAKING_WINDOW_MS
    }

    /// Whether a packet arrived within the last second (a simulcast layer
    /// the publisher paused has not).
    pub fn flowing(&self) -> bool {
        let last = self.last_packet_ms.load(Relaxed);
        last != 0 && self.millis().saturating_sub(last) < 1_000
    }

    /// The resolution of the last keyframe, once one was seen.
    pub fn size(&self) -> Option<(u32, u32)> {
        let packed = self.size.load(Relaxed);
        (packed != 0).then_some(((packed >> 32) as u32, packed as u32))
    }

    /// The measured bitrate as forwarded (on the wire, in the units of a
    /// subscriber's downlink estimate), once a window was measured.
    pub fn bitrate(&self) -> Option<u64> {
        Some(self.bitrate.load(Relaxed)).filter(|&b| b != 0)
    }

    fn millis(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    pub(super) fn note_audio(&self, level: Option<u8>) {
        match level {
            Some(level) => {
                let old = self.level_x16.load(Relaxed);
                // EWMA over ~8 packets (160 ms of Opus).
                let new = (old * 7 + u64::from(level) * 16) / 8;
                self.level_x16.store(new, Relaxed);
                if level <= VOICE_LEVEL {
                    self.last_voice_ms.store(self.millis().max(1), Relaxed);
                }
            }
            // Without levels, any packet is activity (Opus DTX sends
            // almost nothing in silence).
            None => self.last_voice_ms.store(self.millis().max(1), Relaxed),
        }
    }

    fn fan_out(&self, packet: Packet, keyframe: bool) {
        let sinks = self.sinks.read().unwrap_or_else(|e| e.into_inner());
        for sink in sinks.iter() {
            let down = DownPacket {
                slot: sink.slot,
                source: self.id,
                packet: packet.clone(),
                keyframe,
            };
            if let Err(TrySendError::Full(_)) = sink.tx.try_send(down) {
                bump(&sink.stats.dropped);
                crate::metrics::packet_dropped();
            }
        }
    }
}

/// Reads `track` until it ends, forwarding every packet.
pub async fn read_track(
    upstream: Arc<Upstream>,
    track: Arc<TrackRemote>,
    audio_level_id: Option<u8>,
    stats: Arc<PeerStats>,
) {
    let mut meter = Meter::default();
    loop {
        let mut packet = match track.read_rtp().await {
            Ok((packet, _)) => packet,
            Err(_) => break,
        };
        stats.received.add(packet.payload.len() + 12);
        let now_ms = upstream.millis().max(1);
        upstream.last_packet_ms.store(now_ms, Relaxed);
        if let Some(bitrate) = meter.add(forwarded_size(&packet), now_ms) {
            upstream.bitrate.store(bitrate.max(1), Relaxed);
        }
        let keyframe = match upstream.kind {
            MediaKind::Video => {
                let keyframe = vp8_keyframe_start(&packet.payload);
                if let Some((width, height)) = keyframe
                    .then(|| vp8_keyframe_size(&packet.payload))
                    .flatten()
                {
                    let packed = (u64::from(width) << 32) | u64::from(height);
                    upstream.size.store(packed, Relaxed);
                }
                keyframe
            }
            MediaKind::Audio => {
                let level = audio_level_id
                    .and_then(|id| packet.header.get_extension(id))
                    .and_then(|ext| audio_level(&ext));
                upstream.note_audio(level);
                false
            }
        };
        // Extension ids are negotiated per connection and transport-wide
        // ones are per hop: nothing of them is valid on the way out.
        // The padding the parser counted goes too: left behind, it makes a
        // header that gets an extension again (our own transport-wide
        // number) marshal shorter than it says, and the write fails.
        packet.header.extension = false;
        packet.header.extension_profile = 0;
        packet.header.extensions.clear();
        packet.header.extensions_padding = 0;
        upstream.record(&packet);
        upstream.fan_out(packet, keyframe);
    }
}

/// Bytes over fixed windows, in the reader task (no sharing needed).
#[derive(Debug, Default)]
struct Meter {
    window_start_ms: Option<u64>,
    bytes: u64,
}

impl Meter {
    /// Counts a packet; returns the bitrate of a window that just closed.
    /// A window much longer than planned spans a pause and says nothing of
    /// what the stream costs while it runs: it is dropped.
    fn add(&mut self, bytes: usize, now_ms: u64) -> Option<u64> {
        let start = *self.window_start_ms.get_or_insert(now_ms);
        let elapsed = now_ms.saturating_sub(start);
        let mut measured = None;
        if elapsed >= METER_WINDOW_MS {
            if elapsed < 2 * METER_WINDOW_MS {
                measured = Some(self.bytes * 8 * 1_000 / elapsed);
            }
            self.window_start_ms = Some(now_ms);
            self.bytes = 0;
        }
        self.bytes += bytes as u64;
        measured
    }
}

/// What `packet` takes on a subscriber's link once forwarded: its payload,
/// the RTP header with the transport-wide extension the SFU stamps, and
/// what SRTP, UDP and IP add.
fn forwarded_size(packet: &Packet) -> usize {
    const RTP_HEADER_WITH_TRANSPORT_SEQ: usize = 12 + 8;
    packet.payload.len() + RTP_HEADER_WITH_TRANSPORT_SEQ + breakout_bwe::WIRE_OVERHEAD
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_meter_measures_full_windows_and_skips_pauses() {
        let mut meter = Meter::default();
        // 100 packets of 1,250 bytes over a second: 1 Mbit/s.
        for ms in 0..100 {
            assert_eq!(meter.add(1_250, ms * 10), None);
        }
        assert_eq!(meter.add(1_250, 1_000), Some(1_000_000));
        // A five-second pause: that window is not a measurement.
        assert_eq!(meter.add(1_250, 6_000), None);
        assert_eq!(meter.add(1_250, 6_500), None);
        assert_eq!(meter.add(1_250, 7_000), Some(20_000));
    }
}
