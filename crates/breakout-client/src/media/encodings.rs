//! The camera's encodings (one, or one per simulcast layer): each one's
//! track and counters, the keyframes they owe, a picture on its way to
//! one's encoder. The camera task, its RTCP readers, the simulcast encoders
//! and the session all share them; here, none of those depends on another
//! for them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use breakout_protocol::media::Layer;
use serde::Serialize;
use webrtc::track::track_local::track_local_static_sample::TrackLocalStaticSample;

use super::frame::VideoFrame;
use super::video::{EncodedFrame, Vp8Encoder};

/// One encoding of the camera: its layer (`None`: the one picture of a
/// camera without simulcast), its track and what went through it.
pub struct Encoding {
    pub layer: Option<Layer>,
    pub track: Arc<TrackLocalStaticSample>,
    pub counters: EncodingCounters,
}

impl Encoding {
    pub fn new(layer: Option<Layer>, track: Arc<TrackLocalStaticSample>) -> Encoding {
        Encoding {
            layer,
            track,
            counters: EncodingCounters::default(),
        }
    }

    pub fn stats(&self) -> EncodingStats {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let get32 = |a: &AtomicU32| a.load(Ordering::Relaxed);
        EncodingStats {
            layer: self.layer,
            sending: c.sending.load(Ordering::Relaxed),
            width: get32(&c.width),
            height: get32(&c.height),
            target_kbps: get32(&c.target_kbps),
            frames_encoded: get(&c.frames),
            keyframes_encoded: get(&c.keyframes),
            bytes: get(&c.bytes),
            keyframe_requests: get(&c.keyframe_requests),
        }
    }
}

/// Counters of one encoding, written by the camera task and its RTCP reader.
#[derive(Debug, Default)]
pub struct EncodingCounters {
    pub frames: AtomicU64,
    pub keyframes: AtomicU64,
    pub bytes: AtomicU64,
    pub keyframe_requests: AtomicU64,
    pub sending: AtomicBool,
    pub width: AtomicU32,
    pub height: AtomicU32,
    pub target_kbps: AtomicU32,
}

impl EncodingCounters {
    /// What the encoder is set to for the picture it is given now.
    pub fn set_target(&self, picture: &VideoFrame, kbps: u32) {
        self.sending.store(true, Ordering::Relaxed);
        self.width.store(picture.width, Ordering::Relaxed);
        self.height.store(picture.height, Ordering::Relaxed);
        self.target_kbps.store(kbps, Ordering::Relaxed);
    }

    pub fn count(&self, frames: &[EncodedFrame]) {
        for frame in frames {
            self.frames.fetch_add(1, Ordering::Relaxed);
            self.keyframes
                .fetch_add(u64::from(frame.keyframe), Ordering::Relaxed);
            self.bytes
                .fetch_add(frame.data.len() as u64, Ordering::Relaxed);
        }
    }
}

/// What one encoding of the camera sends, for tests and reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EncodingStats {
    /// The simulcast layer; `None` for a camera sent without simulcast.
    pub layer: Option<Layer>,
    /// Whether its pictures are encoded now (not paused because nobody
    /// receives the layer or the uplink cannot carry it, camera on).
    pub sending: bool,
    /// The picture and the encoder's target when it last encoded one.
    pub width: u32,
    pub height: u32,
    pub target_kbps: u32,
    pub frames_encoded: u64,
    pub keyframes_encoded: u64,
    pub bytes: u64,
    /// PLI/FIR received on its stream.
    pub keyframe_requests: u64,
}

/// One picture for the encoder of encoding `encoding`.
pub struct Job {
    pub encoding: usize,
    pub encoder: Vp8Encoder,
    pub picture: VideoFrame,
    /// Since that encoder's last picture.
    pub gap: Duration,
    pub keyframe: bool,
}

/// Keyframe requests, one bit per camera encoding (the index of its
/// track): a PLI names one layer's stream, turning the camera on or a new
/// source concerns them all.
#[derive(Debug, Default)]
pub struct Keyframes(AtomicU8);

impl Keyframes {
    pub fn request(&self, encoding: usize) {
        self.0.fetch_or(bit(encoding), Ordering::Relaxed);
    }

    pub fn request_all(&self) {
        self.0.store(u8::MAX, Ordering::Relaxed);
    }

    /// Whether `encoding` owes a keyframe; the request is taken.
    pub fn take(&self, encoding: usize) -> bool {
        self.0.fetch_and(!bit(encoding), Ordering::Relaxed) & bit(encoding) != 0
    }
}

fn bit(encoding: usize) -> u8 {
    1u8.checked_shl(encoding as u32).unwrap_or(0)
}
