//! Everything that can be asked of a meeting.

use serde::{Deserialize, Serialize};

use crate::{BreakoutConfig, ParticipantId, PollId, Preset, Role, RoomId};

/// Who sends a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The server itself, acting for an authenticated administrator.
    System,
    Participant(ParticipantId),
}

/// Which roles a broadcast reaches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    #[default]
    Everyone,
    Participants,
    Presenters,
    Cohosts,
}

impl Audience {
    pub(crate) fn includes(self, role: Role) -> bool {
        match self {
            Audience::Everyone => true,
            Audience::Participants => role == Role::Participant,
            Audience::Presenters => role == Role::Presenter,
            Audience::Cohosts => matches!(role, Role::Cohost | Role::Host),
        }
    }
}

/// A request to change the meeting. Serialised into the journal, so variants
/// carry everything needed to replay them (including shuffle seeds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    // Membership: issued by the server for administrators and connections.
    AddParticipant {
        participant: ParticipantId,
        name: String,
        #[serde(default)]
        email: Option<String>,
        preset: String,
    },
    /// [`Command::AddParticipant`] for someone letting themselves in with
    /// an invite: refused while the meeting is locked or at its capacity.
    JoinByInvite {
        participant: ParticipantId,
        name: String,
        #[serde(default)]
        email: Option<String>,
        preset: String,
    },
    RemoveParticipant {
        participant: ParticipantId,
    },
    SetConnected {
        participant: ParticipantId,
        connected: bool,
    },
    DefinePreset {
        preset: Preset,
    },

    // Admission (see `admission.rs`).
    /// How many people invites may fill the meeting up to.
    SetCapacity {
        capacity: u32,
    },
    /// While locked, invites admit no one.
    SetLocked {
        locked: bool,
    },

    // Room layout.
    Configure {
        config: BreakoutConfig,
    },
    /// Replace all breakout rooms with `count` new ones (recreate for a new round).
    CreateRooms {
        count: u16,
        #[serde(default)]
        names: Vec<String>,
    },
    AddRoom {
        #[serde(default)]
        title: Option<String>,
        #[serde(default = "yes")]
        open: bool,
    },
    RenameRoom {
        room: RoomId,
        title: String,
    },
    SetRoomOpen {
        room: RoomId,
        open: bool,
    },
    DeleteRoom {
        room: RoomId,
    },
    ClearRooms,

    // Assignment.
    /// Assign to a room (`None` or main: unassign). While running, also moves.
    Assign {
        participant: ParticipantId,
        room: Option<RoomId>,
    },
    /// Spread everyone who is not a host or cohost evenly over the rooms.
    AutoAssign {
        seed: u64,
        #[serde(default)]
        minimise_repeats: bool,
    },
    ImportAssignments {
        csv: String,
    },
    KeepTogether {
        participants: Vec<ParticipantId>,
    },
    KeepApart {
        participants: Vec<ParticipantId>,
    },
    ClearConstraints,

    // Running breakouts.
    Start,
    /// Everyone who does not manage breakouts to a new room; with
    /// `minimise_repeats`, the next round of the rotation.
    Shuffle {
        seed: u64,
        #[serde(default)]
        minimise_repeats: bool,
    },
    /// Plans `rounds` rounds that avoid repeat pairings and assigns the
    /// first; `shuffle` or `auto_assign` with `minimise_repeats` hand out
    /// the next ones.
    PlanRotation {
        rounds: u16,
        seed: u64,
    },
    RoundRobin,
    /// Everyone to main; rooms stay open and the timer keeps running.
    Gather,
    /// Everyone back to their assigned room after a gather.
    SendToRooms,
    AskAllToReturn,
    AddTime {
        minutes: u32,
    },
    CancelAutoEnd,
    End,
    Broadcast {
        text: String,
        #[serde(default)]
        room: Option<RoomId>,
        #[serde(default)]
        audience: Audience,
    },
    Visit {
        room: RoomId,
    },
    DismissHelp {
        participant: ParticipantId,
    },
    MuteParticipant {
        participant: ParticipantId,
    },
    /// Hear `room` without entering it and without being heard there
    /// (`None`: stop). Your own room, mic and camera stay as they are.
    ListenIn {
        room: Option<RoomId>,
    },
    /// While `active`, your microphone is heard in every room.
    SpeakToAll {
        active: bool,
    },
    /// Starts (`active`) or stops recording `room`, or every room when
    /// `room` is absent. Whoever is in a recorded room is recorded.
    Record {
        #[serde(default)]
        room: Option<RoomId>,
        active: bool,
    },

    // Anyone, within their preset.
    JoinRoom {
        room: RoomId,
    },
    LeaveToMain,
    RequestHelp,
    /// Starts (`active`) or stops showing your screen to your room; the
    /// media itself goes on the connection's screen track.
    ShareScreen {
        active: bool,
    },
    SetMedia {
        #[serde(default)]
        mic: Option<bool>,
        #[serde(default)]
        camera: Option<bool>,
    },
    Chat {
        text: String,
    },
    CreatePoll {
        question: String,
        options: Vec<String>,
    },
    Vote {
        poll: PollId,
        option: u32,
    },
    ClosePoll {
        poll: PollId,
    },
}

fn yes() -> bool {
    true
}

impl Command {
    /// The person this command acts on with force, and the verb for a
    /// refusal. The rank rule (see [`crate::Meeting::may_act_on`]) is checked
    /// against it before any command runs, so a new command that targets
    /// someone only has to be listed here.
    pub fn forced_target(&self) -> Option<(ParticipantId, &'static str)> {
        match self {
            Command::RemoveParticipant { participant } => Some((*participant, "remove")),
            Command::MuteParticipant { participant } => Some((*participant, "mute")),
            Command::Assign { participant, .. } => Some((*participant, "move")),
            _ => None,
        }
    }

    /// A short verb for logs and refusals.
    pub fn name(&self) -> &'static str {
        match self {
            Command::AddParticipant { .. } => "add_participant",
            Command::JoinByInvite { .. } => "join_by_invite",
            Command::SetCapacity { .. } => "set_capacity",
            Command::SetLocked { .. } => "set_locked",
            Command::RemoveParticipant { .. } => "remove_participant",
            Command::SetConnected { .. } => "set_connected",
            Command::DefinePreset { .. } => "define_preset",
            Command::Configure { .. } => "configure",
            Command::CreateRooms { .. } => "create_rooms",
            Command::AddRoom { .. } => "add_room",
            Command::RenameRoom { .. } => "rename_room",
            Command::SetRoomOpen { .. } => "set_room_open",
            Command::DeleteRoom { .. } => "delete_room",
            Command::ClearRooms => "clear_rooms",
            Command::Assign { .. } => "assign",
            Command::AutoAssign { .. } => "auto_assign",
            Command::ImportAssignments { .. } => "import_assignments",
            Command::KeepTogether { .. } => "keep_together",
            Command::KeepApart { .. } => "keep_apart",
            Command::ClearConstraints => "clear_constraints",
            Command::Start => "start",
            Command::Shuffle { .. } => "shuffle",
            Command::PlanRotation { .. } => "plan_rotation",
            Command::RoundRobin => "round_robin",
            Command::Gather => "gather",
            Command::SendToRooms => "send_to_rooms",
            Command::AskAllToReturn => "ask_all_to_return",
            Command::AddTime { .. } => "add_time",
            Command::CancelAutoEnd => "cancel_auto_end",
            Command::End => "end",
            Command::Broadcast { .. } => "broadcast",
            Command::Visit { .. } => "visit",
            Command::DismissHelp { .. } => "dismiss_help",
            Command::MuteParticipant { .. } => "mute_participant",
            Command::ListenIn { .. } => "listen_in",
            Command::SpeakToAll { .. } => "speak_to_all",
            Command::Record { .. } => "record",
            Command::JoinRoom { .. } => "join_room",
            Command::LeaveToMain => "leave_to_main",
            Command::RequestHelp => "request_help",
            Command::SetMedia { .. } => "set_media",
            Command::ShareScreen { .. } => "share_screen",
            Command::Chat { .. } => "chat",
            Command::CreatePoll { .. } => "create_poll",
            Command::Vote { .. } => "vote",
            Command::ClosePoll { .. } => "close_poll",
        }
    }
}
