//! Typed identifiers and the meeting's notion of time.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A person in one meeting. Allocated by whoever adds them (the server).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(transparent)]
pub struct ParticipantId(pub u64);

/// A room of one meeting. [`RoomId::MAIN`] is the main room and always exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(transparent)]
pub struct RoomId(pub u32);

impl RoomId {
    pub const MAIN: RoomId = RoomId(0);

    pub fn is_main(self) -> bool {
        self == Self::MAIN
    }
}

/// A poll, unique within its meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(transparent)]
pub struct PollId(pub u32);

/// Milliseconds since the Unix epoch, supplied by the caller. Wall-clock based
/// so that deadlines survive a server restart with the right remaining time.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(transparent)]
pub struct Timestamp(pub u64);

impl Timestamp {
    pub fn plus_secs(self, secs: u32) -> Timestamp {
        Timestamp(self.0.saturating_add(u64::from(secs) * 1_000))
    }

    pub fn plus_mins(self, mins: u32) -> Timestamp {
        self.plus_secs(mins.saturating_mul(60))
    }
}

impl fmt::Display for ParticipantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p{}", self.0)
    }
}

impl fmt::Display for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_main() {
            f.write_str("main")
        } else {
            write!(f, "room {}", self.0)
        }
    }
}

impl fmt::Display for PollId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "poll {}", self.0)
    }
}
