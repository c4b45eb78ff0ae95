//! The shell's side of the IPC contract in ui/src/lib/ipc.ts: the answers of
//! its commands and the payloads of its events. Wire types of the meeting
//! itself (commands, views, server messages) are breakout-protocol's and
//! cross unchanged.

use serde::{Deserialize, Serialize};

/// Event carrying the whole [`breakout_client::ClientView`] after each change.
pub const CLIENT_VIEW_EVENT: &str = "client-view";

/// The answer to `host_meeting` and `join_meeting`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Joined {
    pub meeting: String,
    pub participant: u64,
    /// The address others join at (for a hosted meeting, this computer's
    /// LAN address).
    pub server_url: String,
    /// Empty when the joiner was given no invite to pass on.
    pub invite_code: String,
    pub invite_link: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Device {
    pub id: String,
    pub label: String,
    pub default: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Devices {
    pub microphones: Vec<Device>,
    pub cameras: Vec<Device>,
    pub speakers: Vec<Device>,
    /// Why a list is empty or a backend unavailable, as sentences to show
    /// ("no camera found: you can join with audio only").
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    Microphone,
    Camera,
    Speaker,
}

pub use breakout_client::ConnectionState;

/// Event carrying [`MediaStatus`] whenever it changes.
pub const MEDIA_EVENT: &str = "media";
/// Event carrying [`SpeakingEvent`].
pub const SPEAKING_EVENT: &str = "speaking";

/// Payload of the `speaking` event: an audio level from 0 to 1, sent when
/// it changes noticeably, including back to 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SpeakingEvent {
    pub participant: u64,
    pub level: f32,
}

/// Where this app's media stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum MediaPhase {
    /// Not in a meeting, or between connections.
    #[default]
    Off,
    Starting,
    On,
    /// Media could not start; the meeting goes on without it (see `notes`).
    Failed,
}

/// Payload of the `media` event and answer to `get_media`: the media
/// engine's state, what it could not use and why, and which participant
/// each video slot shows (what the tiles pull from the `breakout-media`
/// scheme).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MediaStatus {
    pub phase: MediaPhase,
    /// Sentences to show as they are ("no camera found: …; continuing
    /// with audio only").
    pub notes: Vec<String>,
    /// Whether a microphone (or synthetic tone) is being captured.
    pub has_mic: bool,
    /// Whether a camera (or synthetic pattern) is being captured.
    pub has_camera: bool,
    /// Synthetic sources, asked for with `BREAKOUT_SYNTHETIC_MEDIA=1`.
    pub synthetic: bool,
    /// Video slots by `mid`, as the latest slot map has them (the screen
    /// slot not among them).
    pub video: Vec<breakout_client::protocol::media::Slot>,
    /// The screen slot: the screen shared in your room and who shares it.
    pub screen: Option<breakout_client::protocol::media::Slot>,
    /// Whether you share your screen now (its pictures are under
    /// `self-screen`).
    pub sharing: bool,
}
