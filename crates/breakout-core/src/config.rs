//! How breakouts behave; set by the host before or between rounds.

use serde::{Deserialize, Serialize};

use crate::Refusal;

/// How people get into rooms when breakouts start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AssignmentMethod {
    /// Whoever is unassigned at start is spread evenly over the rooms.
    Auto,
    /// Only the host's assignments count.
    #[default]
    Manual,
    /// Participants pick an open room themselves.
    Choose,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default, deny_unknown_fields)]
pub struct BreakoutConfig {
    pub assignment: AssignmentMethod,
    /// Move assigned people automatically (forced) or only invite them (offered).
    pub auto_move: bool,
    pub allow_return_to_main: bool,
    /// People who arrive after the start may still enter their room.
    pub allow_join_later: bool,
    /// Seconds between the announcement of a move and the move; 0 moves at once.
    pub move_countdown_secs: u32,
    /// Seconds between ending breakouts and everyone being back in main; 0 is immediate.
    pub closing_countdown_secs: u32,
    /// Breakouts end by themselves after this many minutes (at least 5), or never.
    pub auto_end_mins: Option<u32>,
    /// A room's members see that a host or cohost is listening in.
    pub announce_listeners: bool,
    /// Participants may share a screen, not only the presets that allow it
    /// (hosts, cohosts and presenters by default).
    pub participants_may_share: bool,
    /// What happens when someone starts sharing in a room where someone
    /// else already shares.
    pub second_sharer: SecondSharer,
}

/// One screen is shared per room; what a second sharer's start does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SecondSharer {
    /// The new share takes over; the first sharer is told it ended.
    #[default]
    Replaces,
    /// The new share is refused while the first goes on.
    IsRefused,
}

impl BreakoutConfig {
    pub const MIN_AUTO_END_MINS: u32 = 5;
    pub const MAX_COUNTDOWN_SECS: u32 = 600;
    pub const MAX_AUTO_END_MINS: u32 = 24 * 60;

    pub(crate) fn validate(&self) -> Result<(), Refusal> {
        if let Some(mins) = self.auto_end_mins
            && !(Self::MIN_AUTO_END_MINS..=Self::MAX_AUTO_END_MINS).contains(&mins)
        {
            return Err(Refusal::InvalidConfig {
                reason: format!(
                    "automatic end must be between {} and {} minutes",
                    Self::MIN_AUTO_END_MINS,
                    Self::MAX_AUTO_END_MINS
                ),
            });
        }
        for (name, secs) in [
            ("move countdown", self.move_countdown_secs),
            ("closing countdown", self.closing_countdown_secs),
        ] {
            if secs > Self::MAX_COUNTDOWN_SECS {
                return Err(Refusal::InvalidConfig {
                    reason: format!(
                        "{name} must be at most {} seconds",
                        Self::MAX_COUNTDOWN_SECS
                    ),
                });
            }
        }
        Ok(())
    }
}

impl Default for BreakoutConfig {
    fn default() -> Self {
        BreakoutConfig {
            assignment: AssignmentMethod::Manual,
            auto_move: true,
            allow_return_to_main: true,
            allow_join_later: true,
            move_countdown_secs: 5,
            closing_countdown_secs: 60,
            auto_end_mins: Some(30),
            announce_listeners: true,
            participants_may_share: false,
            second_sharer: SecondSharer::Replaces,
        }
    }
}
