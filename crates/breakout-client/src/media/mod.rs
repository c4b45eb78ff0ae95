//! The client's media plane: capture, codecs, one WebRTC connection to the
//! SFU for the whole meeting, jitter buffering, mixing and playout.
//!
//! # Shape
//!
//! ```text
//! mic (cpal) or tone ─► Opus 20 ms + FEC ─┐                 ┌─► 4 audio slots ─► jitter ─► Opus ─► mix ─► speaker (cpal) / events
//!                                          ├─► one PeerConnection ─► SFU ─┤
//! camera (nokhwa) or pattern ─► VP8 rt ───┘                 └─► 9 video slots ─► assemble ─► VP8 ─► events (frames per slot)
//! ```
//!
//! - [`MediaSession`] negotiates exactly what `breakout_protocol::media`
//!   asks for, once: sendonly mic + camera, then recvonly slots. A room
//!   switch is only a new [`SlotMap`](breakout_protocol::media::SlotMap)
//!   applied with [`MediaSession::apply_slots`]; nothing is renegotiated.
//! - Mic and camera state belong to the participant:
//!   [`MediaSession::set_mic`] / [`MediaSession::set_camera`] stop (or
//!   resume) sending and tell the meeting with `SetMedia`; nothing else
//!   touches them, so they survive every switch.
//! - Sources are chosen explicitly ([`AudioSource`], [`VideoSource`]). A
//!   missing device is an error the caller sees ([`MediaError::NoDevice`]),
//!   never a silent switch to a synthetic source; without a camera the
//!   session carries on audio-only. A device picked mid-meeting replaces
//!   its pipeline on the same track ([`MediaSession::replace_audio_source`]
//!   and friends, see `sources.rs`): the connection stays up.
//! - Synthetic sources ([`synthetic`]) carry their identity in the content:
//!   a tone whose frequency names the participant, a test pattern whose
//!   blocks encode participant, frame counter and capture time. Tests and
//!   `breakout-bot` check what they *decoded*, not packet counts.
//! - The camera's encoder follows the uplink's bandwidth estimate ([`bwe`],
//!   from the SFU's transport-wide feedback): audio keeps its share, video
//!   gives up bitrate, then frame rate, then resolution
//!   ([`MediaSession::uplink`]).
//! - With [`MediaConfig::simulcast`], a camera of 640×360 or more is sent
//!   as three layers (full, half, quarter; `simulcast.rs` says why those),
//!   one encoder each, so the SFU can send each subscriber the one that
//!   fits its tile. The estimate is shared lowest layer first, and a layer
//!   the SFU says nobody receives is not encoded at all
//!   ([`MediaSession::camera_encodings`]).
//! - The pure parts (jitter buffer and its arrival statistics, VP8 frame
//!   assembly and a video slot's receive path, the mic's expected loss,
//!   mixer, pattern and tone codecs, bandwidth estimator, rate ladder) do no
//!   I/O and no clock: times come in as arguments, and they are tested alone
//!   with simulated ones.

pub mod analysis;
mod arrival;
mod assemble;
mod audio;
/// The uplink's estimator: the `breakout-bwe` crate, which the SFU uses for
/// its subscribers' downlinks.
pub use breakout_bwe as bwe;
#[cfg(feature = "camera")]
mod camera;
mod config;
mod device_info;
pub mod devices;
mod encodings;
mod error;
mod events;
mod frame;
mod jitter;
mod ladder;
mod mixer;
mod peer;
mod probe_guard;
mod receive;
mod scale;
pub mod screen;
mod send;
mod send_video;
mod session;
mod simulcast;
mod sources;
mod start;
pub mod synthetic;
mod tunnel;
mod video;
mod video_layers;
mod video_playout;
mod video_rate;
mod video_receive;

pub use audio::{OpusDecoder, OpusEncoder, SAMPLE_RATE, SAMPLES_PER_FRAME};
pub use bwe::{Estimate, UplinkStats, VideoSendStats};
pub use config::{
    AudioOutput, AudioSource, MediaConfig, MediaTransport, SIMULCAST_PATTERN, VideoSource,
};
pub use device_info::{AudioDevice, CameraDevice, DeviceList};
pub use encodings::EncodingStats;
pub use error::MediaError;
pub use events::{JitterCounters, MediaEvent, SlotCounters, Transport};
pub use frame::{AudioFrame, VideoFrame};
pub use jitter::{JitterBuffer, JitterStats, Playout as JitterOutput};
pub use mixer::mix;
pub use screen::{ScreenSource, ScreenTarget};
pub use send::{encode_pattern_clip, encode_tone_clip};
pub use session::MediaSession;
pub use video::{Vp8Decoder, Vp8Encoder};
