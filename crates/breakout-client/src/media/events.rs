//! What the media plane reports: events on a channel that never blocks
//! the media tasks, and per-slot counters.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use breakout_protocol::ParticipantId;
use breakout_protocol::media::MediaKind;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::bwe::UplinkStats;
use super::frame::{AudioFrame, VideoFrame};
use super::jitter::JitterStats;

/// How the media connection reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// Datagrams over UDP, directly or through a TURN relay.
    Udp,
    /// Datagrams through the media tunnel (UDP blocked).
    Tunnel,
}

/// What the media plane tells its owner.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum MediaEvent {
    /// 20 ms decoded from an audio slot, as it was played out.
    Audio {
        mid: String,
        participant: Option<ParticipantId>,
        frame: AudioFrame,
    },
    /// A decoded picture from a video slot.
    Video {
        mid: String,
        participant: Option<ParticipantId>,
        frame: VideoFrame,
    },
    /// A picture from our own camera (or test pattern) as it goes to the
    /// encoder, for a self-view: only while the camera is on, and at most
    /// [`LOCAL_VIDEO_FPS`](super::send_video::LOCAL_VIDEO_FPS) a second whatever
    /// the capture rate. Replayed clips have no picture and send none.
    LocalVideo { frame: VideoFrame },
    /// A picture of our own shared screen as it goes to the encoder, for
    /// the sharer to see what others see.
    LocalScreen { frame: VideoFrame },
    /// Our share ended without us stopping it: someone else took over the
    /// room's screen, or we moved into a room whose screen is someone
    /// else's (see the meeting's `second_sharer`).
    ShareEnded { by: Option<ParticipantId> },
    /// A tone burst started (only with [`AudioSource::ToneBursts`]).
    Onset { at: Instant },
    /// The peer connection's state (`connected`, `failed`, …).
    Connection { state: String },
    /// A device stopped (unplugged); media goes on without it.
    DeviceLost { kind: &'static str, message: String },
    /// The camera changed frame rate or size to fit the uplink's bandwidth
    /// estimate (and once when it starts encoding).
    Uplink { stats: UplinkStats },
}

/// The sending half of the event channel: never blocks, counts drops.
#[derive(Clone)]
pub struct EventSink {
    tx: mpsc::Sender<MediaEvent>,
    dropped: Arc<AtomicU64>,
}

impl EventSink {
    pub fn new(capacity: usize) -> (Self, mpsc::Receiver<MediaEvent>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let sink = EventSink {
            tx,
            dropped: Arc::default(),
        };
        (sink, rx)
    }

    /// The drop counter, shared with whoever reports it.
    pub fn dropped(&self) -> Arc<AtomicU64> {
        self.dropped.clone()
    }

    pub fn send(&self, event: MediaEvent) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.tx.try_send(event) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Client-side counters of one slot.
#[derive(Debug, Clone, Serialize)]
pub struct SlotCounters {
    pub mid: String,
    pub kind: MediaKind,
    pub participant: Option<ParticipantId>,
    pub packets: u64,
    pub bytes: u64,
    pub frames_decoded: u64,
    pub keyframes_decoded: u64,
    pub keyframe_requests: u64,
    pub decode_errors: u64,
    pub frames_lost: u64,
    pub jitter: Option<JitterCounters>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct JitterCounters {
    pub played: u64,
    pub recovered: u64,
    pub concealed: u64,
    pub late: u64,
    pub skipped: u64,
    /// The delay the buffer holds a run's first packet now (it follows the
    /// measured jitter).
    pub target_ms: u64,
}

impl JitterCounters {
    pub fn new(s: JitterStats, target: Duration) -> Self {
        JitterCounters {
            played: s.played,
            recovered: s.recovered,
            concealed: s.concealed,
            late: s.late,
            skipped: s.skipped,
            target_ms: target.as_millis() as u64,
        }
    }
}
