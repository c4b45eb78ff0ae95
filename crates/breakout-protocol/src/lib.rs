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
//!
//! # Writing a client (a browser, or anything else)
//!
//! What a client must know that the types alone do not say:
//!
//! 1. **Authentication on the socket.** The participant token goes in the
//!    query string: `wss://HOST/v1/ws?token=TOKEN`. Browsers cannot set
//!    headers on a WebSocket, so the query is the one way every client uses;
//!    the server never logs it.
//! 2. **Nothing is forwarded until you say so.** A participant joins with mic
//!    and camera off. The SFU forwards a participant's upstream only after
//!    `{"type": "command", "command": {"type": "set_media", "mic": true,
//!    "camera": true}}`; until then their tiles stay empty for everyone, even
//!    with RTP flowing.
//! 3. **A pushed slot map can arrive before the answer.** Slot maps carry a
//!    `version`; a `slots` message may precede the `media_answer` reply whose
//!    map is older. Keep the map with the highest version, whatever the order
//!    of arrival (see [`media::SlotMap`]).
//! 4. **`create_rooms` answers with the new rooms.** The reply lists the ids
//!    of the rooms it created, in order, so a script can assign people to
//!    them without reading the whole view again.
//! 5. **Errors are data.** Every refusal is `{"code", "message"}`
//!    ([`ApiError`]): branch on `code`, show `message` to people.
//! 6. **Say how big your tiles are.** With `set_tile_sizes` after the media
//!    answer, and again whenever the grid changes, the server sends each
//!    video slot the simulcast layer that fits (see [`media`]); a slot never
//!    declared gets the largest.
//! 7. **A cluster has one address; a meeting has one node.** Servers on one
//!    database (a cluster) all answer REST, but a meeting lives on one node.
//!    A request about a meeting another node serves, the WebSocket
//!    handshake included, is answered `421 Misdirected Request` with code
//!    [`MEETING_ELSEWHERE`], the owner's base URL in the `Location` header
//!    (and in the sentence): send the same request there. Keep the address
//!    you started from: when your node goes away (the socket closes with
//!    the reason [`MEETING_MOVED_REASON`], or the node is unreachable),
//!    reconnect through it with the same token and the resume revision;
//!    once the old node's lease has run out (a few seconds) a node takes
//!    the meeting over and welcomes you as the same participant, in the
//!    same room, with the same mic and camera state. A media connection
//!    does not move: open a new one with the new node. The 421 says when
//!    the owner's lease runs out ([`LEASE_ENDS_IN_HEADER`]): if the owner
//!    does not answer, ask the address you started from again then, not
//!    sooner (it would point at the dead owner again) and not later.
//! 8. **Offer the extra audio slots once, at join.** Listening in on a room
//!    and hearing whoever speaks to all rooms use audio slots declared in
//!    the offer (`listen_slots`, `all_rooms_slot`; see [`media`]); a client
//!    that offers none still hears the voice to all rooms, in one of its
//!    room's slots. Hosts and cohosts also get `speaking` summaries
//!    unasked, about once a second while anything changes.

pub mod admin;
pub mod fingerprint;
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
/// Path of the media tunnel: a WebSocket carrying the media connection's
/// datagrams when UDP cannot reach the server (see [`media`]).
pub const MEDIA_TUNNEL_PATH: &str = "/v1/media-tunnel";
/// Optional query parameter of [`WS_PATH`] on a resume: the newest
/// `MeetingView::revision` the client has seen, e.g.
/// `/v1/ws?token=...&revision=42`. A server that restored an older revision
/// knows acknowledged events were lost and reports it to its operator.
pub const RESUME_REVISION_PARAM: &str = "revision";
/// The error code of a request about a meeting another node of the
/// cluster serves (HTTP 421, its base URL in `Location`).
pub const MEETING_ELSEWHERE: &str = "meeting_elsewhere";
/// Header of a [`MEETING_ELSEWHERE`] answer: milliseconds until the owner's
/// lease runs out unless it renews it. A node that stopped renewing (it
/// died) can be replaced by any node asked after that.
pub const LEASE_ENDS_IN_HEADER: &str = "breakout-lease-ends-in-ms";
/// The error code of a request a node answered after another node took
/// its meeting over: reconnect through the address you started from.
pub const MEETING_MOVED: &str = "meeting_moved";
/// The close reason of the sockets of a meeting that moved to another node.
pub const MEETING_MOVED_REASON: &str =
    "the meeting moved to another server; reconnect to continue where you were";
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
