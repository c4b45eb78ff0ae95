//! What the windows show besides the meeting view: the room's chat, banners,
//! refusals, the connection and the server's clock. Kept by the
//! [`Session`](super::Session) next to the view, so one reducer decides all
//! of it and [`ClientView`] carries it whole.

use breakout_protocol::media::RoomSpeaking;
use breakout_protocol::{Audience, ChatMessage, MeetingView, RoomId};
use serde::{Deserialize, Serialize};

/// Banners kept at once; the oldest goes first.
pub const MAX_BANNERS: usize = 3;
/// Toasts kept at once; the oldest goes first.
pub const MAX_TOASTS: usize = 4;

/// Whether the meeting's socket is open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    #[default]
    Connected,
    Reconnecting,
    /// The server refused to resume us; nothing more will arrive.
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum BannerKind {
    /// A manager's broadcast message.
    Broadcast,
    /// The host asks everyone back to the main room.
    Return,
}

/// A notice across the top of the meeting until dismissed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Banner {
    pub id: u64,
    pub kind: BannerKind,
    pub text: String,
    /// The sender's display name, when the view names them.
    pub from: Option<String>,
    pub room: Option<RoomId>,
    pub audience: Audience,
}

/// A refusal from the server, shown briefly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Toast {
    pub id: u64,
    pub code: String,
    pub message: String,
}

/// Everything a window shows of the meeting, pushed whole after each change.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClientView {
    /// The meeting's id, from the welcome.
    pub meeting: Option<String>,
    pub view: Option<MeetingView>,
    /// Server clock minus local clock, in ms, measured at the welcome.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub clock_offset_ms: i64,
    /// The chat of the room you are in, oldest first.
    pub chat: Vec<ChatMessage>,
    pub banners: Vec<Banner>,
    pub toasts: Vec<Toast>,
    pub connection: ConnectionState,
    /// Why the connection is not `connected`, as a sentence.
    pub connection_reason: Option<String>,
    /// The invitation you chose to answer later; cleared when the view
    /// invites you elsewhere or no longer.
    pub invitation_deferred: Option<RoomId>,
    /// Who speaks in each occupied room (hosts and cohosts only), as the
    /// server last summarised it.
    pub speaking: Vec<RoomSpeaking>,
}

/// The parts of [`ClientView`] that are not the meeting view.
#[derive(Debug, Clone, Default)]
pub(super) struct Notices {
    pub chat: Vec<ChatMessage>,
    pub banners: Vec<Banner>,
    pub toasts: Vec<Toast>,
    pub clock_offset_ms: i64,
    pub connection: ConnectionState,
    pub connection_reason: Option<String>,
    pub invitation_deferred: Option<RoomId>,
    pub speaking: Vec<RoomSpeaking>,
    next_id: u64,
}

impl Notices {
    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn banner(
        &mut self,
        kind: BannerKind,
        text: String,
        from: Option<String>,
        room: Option<RoomId>,
        audience: Audience,
    ) {
        let id = self.next_id();
        self.banners.push(Banner {
            id,
            kind,
            text,
            from,
            room,
            audience,
        });
        keep_last(&mut self.banners, MAX_BANNERS);
    }

    pub fn toast(&mut self, code: String, message: String) -> u64 {
        let id = self.next_id();
        self.toasts.push(Toast { id, code, message });
        keep_last(&mut self.toasts, MAX_TOASTS);
        id
    }

    /// Adds chat lines of `room` not held yet; lines of other rooms are
    /// dropped (chat is per room, and only your own room's is shown).
    pub fn chat(&mut self, room: RoomId, lines: impl IntoIterator<Item = ChatMessage>) {
        for line in lines {
            if line.room == room && !self.chat.iter().any(|m| m.id == line.id) {
                self.chat.push(line);
            }
        }
        // History and live lines may interleave; ids grow in sending order.
        self.chat.sort_by_key(|m| m.id);
    }

    /// A deferral holds only while the view still invites to that room.
    pub fn follow_invitation(&mut self, view: &MeetingView) {
        if self.invitation_deferred != view.you.invited {
            self.invitation_deferred = None;
        }
    }
}

fn keep_last<T>(list: &mut Vec<T>, max: usize) {
    let excess = list.len().saturating_sub(max);
    list.drain(..excess);
}
