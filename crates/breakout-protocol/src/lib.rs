//! Wire types shared by `breakout-server`, `breakout-client` and the UI.
//!
//! Two surfaces:
//! - [`rest`]: administration over HTTP under `/v1` (admin key), documented
//!   by the OpenAPI document at `/v1/openapi.json`.
//! - [`ws`]: one WebSocket per participant at `/v1/ws` (participant token):
//!   requests with ids, replies, errors with a stable code, pushed events.
//! - [`media`]: the WebRTC signaling carried on that socket (one offer per
//!   connection, slot maps, media stats) and the codecs every peer uses.
//! - [`link`]: the `breakout://join?…` links the server writes and the app
//!   opens.
//!
//! Meeting semantics (commands, events, views) are `breakout-core`'s types,
//! re-exported here so every party speaks the same ones.

pub mod link;
pub mod media;
pub mod rest;
pub mod ws;

pub use breakout_core::{
    AssignmentMethod, Audience, BreakoutConfig, ChatMessage, Command, EventBody, HelpView,
    MediaState, MeetingView, MemberView, ParticipantId, Permissions, Phase, PollId, PollView,
    Preset, Role, RoomId, RoomView, SelfFlags, SelfView, Timestamp,
};

/// Path of the WebSocket endpoint.
pub const WS_PATH: &str = "/v1/ws";
/// Largest WebSocket frame the server accepts, in bytes.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Protocol version announced in the welcome message.
pub const PROTOCOL_VERSION: u32 = 1;

/// A machine-readable code plus a sentence for people; the shape of every
/// error, on REST and on the WebSocket.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            code: code.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for ApiError {}

impl From<breakout_core::Refusal> for ApiError {
    fn from(refusal: breakout_core::Refusal) -> Self {
        ApiError::new(refusal.code(), refusal.to_string())
    }
}
