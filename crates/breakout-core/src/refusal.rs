//! Why a command was not applied.

use crate::{ParticipantId, PollId, Role, RoomId, Timestamp};

/// A refused command. The meeting is exactly as it was before the command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The sender's preset does not allow this action.
    #[error("your role does not allow you to {action}")]
    PermissionDenied { action: &'static str },
    /// The target stands above the sender: nobody acts with force on a
    /// higher role.
    #[error("you may not {action} {target}: a {theirs} stands above a {yours}", theirs = .theirs.label(), yours = .yours.label())]
    Outranked {
        action: &'static str,
        target: ParticipantId,
        theirs: Role,
        yours: Role,
    },
    /// The sender or target is not in this meeting.
    #[error("{0} is not in this meeting")]
    UnknownParticipant(ParticipantId),
    /// A participant with this id was already added.
    #[error("{0} is already in this meeting")]
    DuplicateParticipant(ParticipantId),
    #[error("there is no preset named {0:?}")]
    UnknownPreset(String),
    #[error("{0} does not exist")]
    RoomNotFound(RoomId),
    #[error("the main room cannot be renamed or deleted")]
    MainRoomIsFixed,
    /// Room layout changes that would strand people are refused mid-round.
    #[error("this cannot be done while breakouts are running")]
    NotWhileRunning,
    #[error("breakouts are not running")]
    NotRunning,
    #[error("breakouts are closing; everyone is about to return to the main room")]
    Closing,
    #[error("there are no breakout rooms")]
    NoRooms,
    #[error("invalid configuration: {reason}")]
    InvalidConfig { reason: String },
    #[error("invalid input: {reason}")]
    InvalidInput { reason: String },
    /// A display name or title that cannot be shown safely.
    #[error("{what} {reason}")]
    InvalidName { what: &'static str, reason: String },
    #[error("you may not join {0}")]
    JoinNotAllowed(RoomId),
    #[error("returning to the main room is not allowed in this meeting")]
    ReturnNotAllowed,
    #[error("you are not in a breakout room")]
    NotInBreakout,
    #[error("you already asked for help; you can ask again in {wait_secs} s")]
    HelpCooldown { retry_at: Timestamp, wait_secs: u64 },
    #[error("{0} has not asked for help")]
    NoHelpRequest(ParticipantId),
    #[error("breakouts have no automatic end to extend")]
    NoAutomaticEnd,
    #[error("{0} does not exist")]
    PollNotFound(PollId),
    #[error("{0} is closed")]
    PollClosed(PollId),
    #[error("you already voted in {0}")]
    AlreadyVoted(PollId),
    #[error("{0} belongs to another room")]
    PollInOtherRoom(PollId),
    #[error("the assignment constraints cannot be met: {reason}")]
    ConstraintConflict { reason: String },
    #[error("CSV line {line}: {reason}")]
    InvalidCsv { line: u64, reason: String },
    #[error("the meeting is full ({capacity} people); ask the host to make room")]
    MeetingFull { capacity: u32 },
    #[error("the host has locked this meeting; no one new can join with an invite")]
    MeetingLocked,
    /// One voice at a time is heard in every room.
    #[error("{name} is speaking to all rooms; wait until they finish")]
    SpeakToAllTaken { name: String },
    /// One screen per room, and the meeting refuses a second sharer.
    #[error("{name} is sharing their screen in this room; ask them to stop first")]
    ScreenShareTaken { name: String },
    /// Listening in is for rooms one is not in.
    #[error("you are in {0}; listening in is for the other rooms")]
    ListenToOwnRoom(RoomId),
}

impl Refusal {
    /// A stable machine-readable code, used on the wire.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::PermissionDenied { .. } | Refusal::Outranked { .. } => "permission_denied",
            Refusal::UnknownParticipant(_) => "unknown_participant",
            Refusal::DuplicateParticipant(_) => "duplicate_participant",
            Refusal::UnknownPreset(_) => "unknown_preset",
            Refusal::RoomNotFound(_) => "room_not_found",
            Refusal::MainRoomIsFixed => "main_room_is_fixed",
            Refusal::NotWhileRunning => "not_while_running",
            Refusal::NotRunning => "not_running",
            Refusal::Closing => "closing",
            Refusal::NoRooms => "no_rooms",
            Refusal::InvalidConfig { .. } => "invalid_config",
            Refusal::InvalidInput { .. } => "invalid_input",
            Refusal::InvalidName { .. } => "invalid_name",
            Refusal::JoinNotAllowed(_) => "join_not_allowed",
            Refusal::ReturnNotAllowed => "return_not_allowed",
            Refusal::NotInBreakout => "not_in_breakout",
            Refusal::HelpCooldown { .. } => "help_cooldown",
            Refusal::NoHelpRequest(_) => "no_help_request",
            Refusal::NoAutomaticEnd => "no_automatic_end",
            Refusal::PollNotFound(_) => "poll_not_found",
            Refusal::PollClosed(_) => "poll_closed",
            Refusal::AlreadyVoted(_) => "already_voted",
            Refusal::PollInOtherRoom(_) => "poll_in_other_room",
            Refusal::ConstraintConflict { .. } => "constraint_conflict",
            Refusal::InvalidCsv { .. } => "invalid_csv",
            Refusal::MeetingFull { .. } => "meeting_full",
            Refusal::MeetingLocked => "meeting_locked",
            Refusal::SpeakToAllTaken { .. } => "speak_to_all_taken",
            Refusal::ScreenShareTaken { .. } => "screen_share_taken",
            Refusal::ListenToOwnRoom(_) => "listen_to_own_room",
        }
    }
}
