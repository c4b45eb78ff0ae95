//! Roles and what each preset allows.

use serde::{Deserialize, Serialize};

/// The role a preset gives; broadcasts can target roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Host,
    Cohost,
    Presenter,
    Participant,
}

impl Role {
    /// Standing in the meeting: a host over a cohost over a presenter over
    /// a participant. Custom presets rank by the role they give.
    pub fn rank(self) -> u8 {
        match self {
            Role::Host => 3,
            Role::Cohost => 2,
            Role::Presenter => 1,
            Role::Participant => 0,
        }
    }

    /// Whether someone of this role stands above someone of `other`.
    pub fn outranks(self, other: Role) -> bool {
        self.rank() > other.rank()
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Host => "host",
            Role::Cohost => "cohost",
            Role::Presenter => "presenter",
            Role::Participant => "participant",
        }
    }
}

/// What the holder of a preset may do. Checked by the meeting on every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Permissions {
    /// Create, configure, start and end breakouts; move anyone; broadcast.
    pub manage_breakouts: bool,
    /// Enter any room without being assigned (host and cohost visits).
    pub visit_any_room: bool,
    /// Choose or move between rooms on one's own.
    pub switch_rooms: bool,
    /// Go back to the main room on one's own.
    pub return_to_main: bool,
    pub publish_audio: bool,
    pub publish_video: bool,
    pub chat: bool,
    pub create_polls: bool,
    /// Share a screen or window with one's room. Absent from presets made
    /// before screen sharing existed, which then share nothing until
    /// redefined (the meeting's `participants_may_share` still applies).
    #[serde(default)]
    pub share_screen: bool,
}

/// A named bundle of a role and its permissions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Preset {
    pub name: String,
    pub role: Role,
    pub permissions: Permissions,
}

impl Preset {
    pub fn host() -> Self {
        Self::full("host", Role::Host)
    }

    pub fn cohost() -> Self {
        Self::full("cohost", Role::Cohost)
    }

    pub fn presenter() -> Self {
        Preset {
            name: "presenter".into(),
            role: Role::Presenter,
            permissions: Permissions {
                create_polls: true,
                share_screen: true,
                ..Permissions::attendee()
            },
        }
    }

    pub fn participant() -> Self {
        Preset {
            name: "participant".into(),
            role: Role::Participant,
            permissions: Permissions::attendee(),
        }
    }

    /// The presets every meeting starts with.
    pub fn builtin() -> Vec<Preset> {
        vec![
            Self::host(),
            Self::cohost(),
            Self::presenter(),
            Self::participant(),
        ]
    }

    fn full(name: &str, role: Role) -> Self {
        Preset {
            name: name.into(),
            role,
            permissions: Permissions {
                manage_breakouts: true,
                visit_any_room: true,
                switch_rooms: true,
                return_to_main: true,
                publish_audio: true,
                publish_video: true,
                chat: true,
                create_polls: true,
                share_screen: true,
            },
        }
    }
}

impl Permissions {
    fn attendee() -> Self {
        Permissions {
            manage_breakouts: false,
            visit_any_room: false,
            switch_rooms: false,
            return_to_main: true,
            publish_audio: true,
            publish_video: true,
            chat: true,
            create_polls: false,
            share_screen: false,
        }
    }
}
