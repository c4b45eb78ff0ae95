//! What a meeting reports, and to whom.

use serde::{Deserialize, Serialize};

use crate::{
    Audience, BreakoutConfig, ChatMessage, MemberView, ParticipantId, PollView, RoomId, Timestamp,
};

/// Who must receive an event. Resolved when the event is made, so a room's
/// occupants are the ones present at that moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipients {
    Everyone,
    /// Everyone whose preset may manage breakouts.
    Managers,
    One(ParticipantId),
    Many(Vec<ParticipantId>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub to: Recipients,
    pub body: EventBody,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    ParticipantJoined {
        member: MemberView,
    },
    ParticipantLeft {
        participant: ParticipantId,
    },
    ConnectionChanged {
        participant: ParticipantId,
        connected: bool,
    },
    ConfigChanged {
        config: BreakoutConfig,
    },
    /// Rooms were created, renamed, opened/closed or deleted.
    RoomsChanged,
    /// These rooms were just made (by `create_rooms` or `add_room`), in
    /// order; sent to those who manage breakouts, and the answer to the
    /// command that made them.
    RoomsCreated {
        rooms: Vec<RoomId>,
    },
    /// Assignments changed (seen by managers, and by each person for their own).
    AssignmentChanged {
        participant: ParticipantId,
        room: Option<RoomId>,
    },
    /// What an assignment could not honour as asked, or relaxed as
    /// documented (sent to managers).
    AssignmentNotes {
        notes: Vec<String>,
    },
    /// A rotation plan was made; `repeats` pairs meet more than once over it.
    RotationPlanned {
        rounds: u32,
        repeats: u32,
    },
    BreakoutsStarted {
        ends_at: Option<Timestamp>,
    },
    /// You are invited to enter a room (offered rather than forced).
    Invited {
        room: RoomId,
    },
    /// You will be moved to `room` at `at`.
    ChangingMeeting {
        room: RoomId,
        at: Timestamp,
    },
    /// `participant` is now in `room`.
    MeetingChanged {
        participant: ParticipantId,
        from: RoomId,
        room: RoomId,
    },
    /// Someone entered `room` (sent to the others there and to managers).
    MemberEntered {
        room: RoomId,
        member: MemberView,
    },
    MemberLeft {
        room: RoomId,
        participant: ParticipantId,
    },
    /// The full member list of `room`.
    MembersUpdate {
        room: RoomId,
        members: Vec<MemberView>,
    },
    Message {
        from: ParticipantId,
        text: String,
        room: Option<RoomId>,
        audience: Audience,
    },
    ReturnRequested,
    TimeChanged {
        ends_at: Option<Timestamp>,
    },
    /// Breakouts are ending; everyone returns to main at `at`.
    Closing {
        at: Timestamp,
    },
    BreakoutsEnded,
    HelpRequested {
        participant: ParticipantId,
        room: RoomId,
    },
    HelpDismissed {
        participant: ParticipantId,
    },
    MediaChanged {
        participant: ParticipantId,
        mic: bool,
        camera: bool,
    },
    Chat {
        message: ChatMessage,
    },
    PollCreated {
        poll: PollView,
    },
    PollUpdated {
        poll: PollView,
    },
    PollClosed {
        poll: PollView,
    },
    /// The meeting's capacity or lock changed (sent to managers).
    AdmissionChanged {
        capacity: u32,
        locked: bool,
    },
}
