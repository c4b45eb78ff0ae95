//! The breakout meeting as a pure state machine.
//!
//! A [`Meeting`] is a value: feed it commands with [`Meeting::apply`] and the
//! passage of time with [`Meeting::tick`], read the [`Event`]s it returns and
//! ask [`Meeting::next_deadline`] when to come back. It never reads a clock,
//! touches a socket or draws randomness of its own (shuffles take a seed), so
//! the server can journal commands and replay them to the same state.
//!
//! Every command is authorised against the sender's [`Preset`] before it
//! touches anything; a refusal is a [`Refusal`] and leaves the meeting as it
//! was.

mod access;
mod admission;
mod assign;
mod chat;
mod command;
mod config;
mod csv_io;
mod ears;
mod event;
mod ids;
mod meeting;
mod met;
mod names;
mod people;
mod polls;
mod preset;
mod recording;
mod refusal;
mod rng;
mod rooms;
mod running;
mod screen;
mod view;

pub use assign::{AssignmentView, RotationView};
pub use command::{Actor, Audience, Command};
pub use config::{AssignmentMethod, BreakoutConfig, SecondSharer};
pub use csv_io::{CsvChange, CsvPreview};
pub use event::{Event, EventBody, Recipients};
pub use ids::{ParticipantId, PollId, RoomId, Timestamp};
pub use meeting::{ChatMessage, MediaState, Meeting, Participant, Phase, Poll, Room};
pub use preset::{Permissions, Preset, Role};
pub use refusal::Refusal;
pub use view::{
    HelpView, MeetingView, MemberView, PendingMoveView, PollView, RoomView, SelfFlags, SelfView,
};
