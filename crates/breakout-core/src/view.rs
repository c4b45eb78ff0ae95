//! What one person may see of the meeting.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::meeting::MediaState;
use crate::{
    AssignmentMethod, BreakoutConfig, Meeting, ParticipantId, Permissions, Phase, PollId, Role,
    RoomId, Timestamp,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MemberView {
    pub id: ParticipantId,
    pub name: String,
    pub role: Role,
    pub mic: bool,
    pub camera: bool,
    pub connected: bool,
    pub help_requested: bool,
}

/// How this person stands towards breakouts (the flags hosts see in other
/// products: assigned, forced, allowed to choose, requested to join).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SelfFlags {
    pub assigned: bool,
    /// Will be moved automatically rather than invited.
    pub forced: bool,
    /// May choose a room on their own.
    pub allowed: bool,
    /// Has an open invitation to enter a room.
    pub requested: bool,
    /// The host asked everyone to come back to main.
    pub return_requested: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PendingMoveView {
    pub room: RoomId,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SelfView {
    pub id: ParticipantId,
    pub name: String,
    pub role: Role,
    pub permissions: Permissions,
    pub room: RoomId,
    pub assigned: Option<RoomId>,
    pub invited: Option<RoomId>,
    pub media: MediaState,
    pub flags: SelfFlags,
    pub pending_move: Option<PendingMoveView>,
    pub help_requested: bool,
    /// When asking for help is possible again, if still cooling down.
    pub help_available_at: Option<Timestamp>,
    pub may_return_to_main: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RoomView {
    pub id: RoomId,
    pub title: String,
    pub open: bool,
    pub member_count: u32,
    /// Present for your own room, and for every room if you manage breakouts.
    pub members: Option<Vec<MemberView>>,
    /// Who is assigned here; only for those who manage breakouts.
    pub assigned: Option<Vec<ParticipantId>>,
    /// Whether you may enter it now on your own.
    pub can_join: bool,
    /// Hosts and cohosts listening in from elsewhere: every room's for
    /// those who manage breakouts; your own room's when the meeting
    /// announces listeners (empty otherwise).
    pub listeners: Vec<ParticipantId>,
    /// The server is recording this room: everyone who sees the room sees it.
    pub recording: bool,
    /// Whose screen the room sees, if anyone shares.
    pub sharing: Option<ParticipantId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HelpView {
    pub participant: ParticipantId,
    pub name: String,
    pub room: RoomId,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PollView {
    pub id: PollId,
    pub room: RoomId,
    pub question: String,
    pub options: Vec<String>,
    pub counts: Vec<u32>,
    pub closed: bool,
    /// Your own vote; only in views, never in events.
    pub your_vote: Option<u32>,
}

/// The authoritative state as one person may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MeetingView {
    pub revision: u64,
    pub you: SelfView,
    pub phase: Phase,
    pub config: BreakoutConfig,
    pub rooms: Vec<RoomView>,
    /// Open help requests; only for those who manage breakouts.
    pub help_requests: Vec<HelpView>,
    /// Polls of your current room.
    pub polls: Vec<PollView>,
    /// Assignment constraints, what breaks them and the rotation plan;
    /// only for those who manage breakouts.
    pub assignment: Option<crate::AssignmentView>,
    /// Whose voice every room hears now (hold-to-talk from the dashboard).
    pub speaking_to_all: Option<MemberView>,
}

impl Meeting {
    /// The view for `viewer`, or `None` if they are not in the meeting.
    pub fn view_for(&self, viewer: ParticipantId, now: Timestamp) -> Option<MeetingView> {
        self.view_with_members_up_to(viewer, now, usize::MAX)
    }

    /// [`Meeting::view_for`], except that someone who does not manage
    /// breakouts gets their own room's member list only while the room has
    /// at most `max_members` people (a server keeps bigger lists current
    /// with member events). The list is then never built, which matters
    /// when a crowded main room's view goes to everyone in it.
    pub fn view_with_members_up_to(
        &self,
        viewer: ParticipantId,
        now: Timestamp,
        max_members: usize,
    ) -> Option<MeetingView> {
        let person = self.participants.get(&viewer)?;
        let preset = self.presets.get(&person.preset)?;
        let permissions = preset.permissions;
        let manager = permissions.manage_breakouts;
        let running = self.is_running();
        let may_choose = running
            && (permissions.switch_rooms || self.config.assignment == AssignmentMethod::Choose);
        // Grouped in one pass: scanning everyone once per room is quadratic.
        let mut assigned: BTreeMap<RoomId, Vec<ParticipantId>> = BTreeMap::new();
        if manager {
            for p in self.participants.values() {
                if let Some(room) = p.assigned {
                    assigned.entry(room).or_default().push(p.id);
                }
            }
        }
        let rooms = self
            .rooms
            .values()
            .filter(|room| {
                manager
                    || room.id.is_main()
                    || room.id == person.room
                    || Some(room.id) == person.assigned
                    || Some(room.id) == person.invited
                    || (may_choose && room.open)
            })
            .map(|room| {
                let own = room.id == person.room;
                let can_join = !own && self.may_join(viewer, room.id).is_ok();
                let listeners = if manager || (own && self.config.announce_listeners) {
                    self.listeners(room.id)
                } else {
                    Vec::new()
                };
                RoomView {
                    id: room.id,
                    title: room.title.clone(),
                    open: room.open,
                    member_count: room.members.len() as u32,
                    members: (manager || (own && room.members.len() <= max_members))
                        .then(|| self.members_of(room.id)),
                    assigned: manager.then(|| assigned.remove(&room.id).unwrap_or_default()),
                    can_join,
                    listeners,
                    recording: room.recording,
                    sharing: room.sharing,
                }
            })
            .collect();
        let help_requests = if manager {
            self.participants
                .values()
                .filter_map(|p| {
                    p.help_requested_at.map(|at| HelpView {
                        participant: p.id,
                        name: p.name.clone(),
                        room: p.room,
                        at,
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        let polls = self
            .polls
            .values()
            .filter(|poll| poll.room == person.room)
            .map(|poll| self.poll_view(poll.id, Some(viewer)))
            .collect::<Option<Vec<_>>>()
            .unwrap_or_default();
        let help_available_at = person
            .last_help_at
            .map(|t| t.plus_secs(Self::HELP_COOLDOWN_SECS))
            .filter(|t| *t > now);
        Some(MeetingView {
            revision: self.revision,
            you: SelfView {
                id: viewer,
                name: person.name.clone(),
                role: preset.role,
                permissions,
                room: person.room,
                assigned: person.assigned,
                invited: person.invited,
                media: person.media,
                flags: SelfFlags {
                    assigned: person.assigned.is_some(),
                    forced: person.assigned.is_some() && self.config.auto_move,
                    allowed: may_choose,
                    requested: person.invited.is_some(),
                    return_requested: person.return_requested,
                },
                pending_move: person.pending_move.map(|m| PendingMoveView {
                    room: m.room,
                    at: m.at,
                }),
                help_requested: person.help_requested_at.is_some(),
                help_available_at,
                may_return_to_main: self.may_return(viewer),
            },
            phase: self.phase,
            config: self.config.clone(),
            rooms,
            help_requests,
            polls,
            assignment: manager.then(|| self.assignment_view()),
            speaking_to_all: self.speaking_to_all.and_then(|id| self.member_view(id)),
        })
    }

    pub(crate) fn member_view(&self, id: ParticipantId) -> Option<MemberView> {
        let p = self.participants.get(&id)?;
        let role = self
            .presets
            .get(&p.preset)
            .map_or(Role::Participant, |p| p.role);
        Some(MemberView {
            id,
            name: p.name.clone(),
            role,
            mic: p.media.mic,
            camera: p.media.camera,
            connected: p.connected,
            help_requested: p.help_requested_at.is_some(),
        })
    }

    /// Whether `who` may go back to main on their own right now.
    pub(crate) fn may_return(&self, who: ParticipantId) -> bool {
        let Some(person) = self.participants.get(&who) else {
            return false;
        };
        let Some(preset) = self.presets.get(&person.preset) else {
            return false;
        };
        !person.room.is_main()
            && (preset.permissions.manage_breakouts
                || person.return_requested
                || (preset.permissions.return_to_main && self.config.allow_return_to_main))
    }
}
