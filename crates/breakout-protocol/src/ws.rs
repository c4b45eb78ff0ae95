//! Messages on `/v1/ws`.
//!
//! ```json
//! → {"id": 7, "request": {"type": "command", "command": {"type": "start"}}}
//! ← {"type": "reply", "id": 7, "result": {"kind": "ok"}}
//! ← {"type": "event", "event": {"type": "breakouts_started", "ends_at": 1700000000000}}
//! ```

use serde::{Deserialize, Serialize};

use crate::media::{IceCandidate, Layer, MediaStats, RoomSpeaking, SlotMap, TileSize};
use crate::{
    ApiError, ChatMessage, Command, EventBody, MeetingView, ParticipantId, RoomId, Timestamp,
};

/// One request from a client; `id` is echoed in the reply or error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct ClientMessage {
    pub id: u64,
    pub request: Request,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Apply a meeting command as the connection's participant.
    Command {
        command: Command,
    },
    /// The current view, as a `state` reply.
    GetState,
    /// Chat history of a room (default: the room you are in).
    GetChat {
        #[serde(default)]
        room: Option<RoomId>,
    },
    /// The assignments as CSV (managers only).
    ExportAssignments,
    Ping,
    /// Start media: the one SDP offer of this connection (see [`crate::media`]).
    MediaOffer {
        sdp: String,
        /// Replaces the media connection this socket already negotiated
        /// with a new one (the first never connected, see
        /// [`crate::media`]'s "When UDP is blocked"). Slots and mic/camera
        /// state carry over.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        restart: bool,
        /// How many of the offer's last recvonly audio m-lines (before the
        /// all-rooms one) are listening slots (see [`crate::media`]'s
        /// "Listening in and speaking to all rooms"); 0 for older clients.
        #[serde(default, skip_serializing_if = "is_zero")]
        listen_slots: u8,
        /// Whether the offer's last recvonly audio m-line is the all-rooms
        /// slot.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        all_rooms_slot: bool,
        /// The `mid` of the sendonly video m-line that carries the
        /// client's shared screen (see [`crate::media`]'s "Screen sharing").
        #[serde(default, skip_serializing_if = "Option::is_none")]
        screen_track: Option<String>,
        /// Whether the offer's last recvonly video m-line is the screen slot.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        screen_slot: bool,
    },
    /// A trickled ICE candidate of the client.
    MediaCandidate {
        candidate: IceCandidate,
    },
    /// Ask the source of a video slot for a keyframe (a decoder lost sync).
    RequestKeyframe {
        mid: String,
    },
    /// The server's counters for this participant's media connection.
    GetMediaStats,
    /// The pixel size of the tiles that show the video slots (see
    /// [`crate::media`]'s "Simulcast and tile sizes"); slots not named keep
    /// what was declared before. A size for the screen slot is accepted and
    /// changes nothing: a screen has one layer.
    SetTileSizes {
        tiles: Vec<TileSize>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// First message on every connection (also after a resume).
    Welcome {
        protocol: u32,
        meeting: String,
        participant: ParticipantId,
        server_time: Timestamp,
        view: Box<MeetingView>,
        /// STUN/TURN servers to gather candidates with, besides the
        /// server's own addresses (none on a LAN).
        #[serde(default)]
        ice_servers: Vec<crate::media::IceServer>,
    },
    Reply {
        id: u64,
        result: Reply,
    },
    /// A request failed (`id` set) or the connection misbehaved (`id` absent).
    Error {
        id: Option<u64>,
        #[serde(flatten)]
        error: ApiError,
    },
    Event {
        event: EventBody,
    },
    /// The authoritative view changed; sent coalesced, at most every few ms.
    /// Member lists that member events keep current are left out (`None`):
    /// rooms other than your own, and your own room when it is crowded. Keep
    /// the lists you hold for those; welcome and `get_state` carry them all.
    State {
        view: Box<MeetingView>,
    },
    /// A trickled ICE candidate of the server.
    MediaCandidate {
        candidate: IceCandidate,
    },
    /// The downstream slots now show these participants.
    Slots {
        slots: SlotMap,
    },
    /// To a simulcast publisher: the layers of its camera anyone receives or
    /// waits for, lowest first; the others may be paused until listed again.
    CameraLayers {
        wanted: Vec<Layer>,
    },
    /// To hosts and cohosts: who speaks in each occupied room. Sent when it
    /// changes, at most once a second.
    Speaking {
        rooms: Vec<RoomSpeaking>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reply {
    Ok,
    /// The answer to `create_rooms` and `add_room`: the new rooms' ids, in
    /// the order of the names given.
    RoomsCreated {
        rooms: Vec<RoomId>,
    },
    State {
        view: Box<MeetingView>,
    },
    Chat {
        messages: Vec<ChatMessage>,
    },
    Csv {
        csv: String,
    },
    Pong {
        server_time: Timestamp,
    },
    MediaAnswer {
        sdp: String,
        slots: SlotMap,
    },
    MediaStats {
        stats: Box<MediaStats>,
    },
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}
