//! The meeting value: its state, the command dispatcher and the clock-driven
//! transitions.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

use crate::met::Met;

use crate::{
    Actor, BreakoutConfig, Command, Event, EventBody, ParticipantId, Permissions, PollId, Preset,
    Recipients, Refusal, Role, RoomId, Timestamp,
};

/// Where breakouts are in their lifecycle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Phase {
    /// Everyone is in main; rooms can be arranged.
    #[default]
    Idle,
    Running {
        started_at: Timestamp,
        ends_at: Option<Timestamp>,
    },
    /// Ending: everyone returns to main at `returns_at`.
    Closing { returns_at: Timestamp },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MediaState {
    pub mic: bool,
    pub camera: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PendingMove {
    pub(crate) room: RoomId,
    pub(crate) at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub id: ParticipantId,
    pub name: String,
    pub email: Option<String>,
    pub preset: String,
    /// The one room this person is in. Always an existing room.
    pub room: RoomId,
    pub assigned: Option<RoomId>,
    pub media: MediaState,
    pub connected: bool,
    pub joined_at: Timestamp,
    // Round state is mostly unset; leaving it out of snapshots makes a
    // 1,000-person snapshot a third smaller and faster to write and read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pending_move: Option<PendingMove>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) invited: Option<RoomId>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) return_requested: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) help_requested_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) last_help_at: Option<Timestamp>,
    /// The room a host or cohost listens to from afar (see `ears.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listening: Option<RoomId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChatMessage {
    pub id: u64,
    pub room: RoomId,
    pub from: ParticipantId,
    pub name: String,
    pub text: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Room {
    pub id: RoomId,
    pub title: String,
    /// Anyone allowed to choose may enter, not only those assigned.
    pub open: bool,
    pub(crate) members: BTreeSet<ParticipantId>,
    pub(crate) chat: Vec<ChatMessage>,
    /// The server records this room (see `recording.rs`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recording: bool,
    /// Whose screen the room sees (see `screen.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharing: Option<ParticipantId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Poll {
    pub id: PollId,
    pub room: RoomId,
    pub creator: ParticipantId,
    pub question: String,
    pub options: Vec<String>,
    pub(crate) votes: BTreeMap<ParticipantId, u32>,
    pub closed: bool,
}

/// One meeting: main room, breakout rooms, people and the breakout round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meeting {
    pub(crate) presets: BTreeMap<String, Preset>,
    pub(crate) participants: BTreeMap<ParticipantId, Participant>,
    pub(crate) rooms: BTreeMap<RoomId, Room>,
    pub(crate) config: BreakoutConfig,
    pub(crate) phase: Phase,
    pub(crate) together: Vec<Vec<ParticipantId>>,
    pub(crate) apart: Vec<Vec<ParticipantId>>,
    /// Rounds planned ahead to avoid repeat pairings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rotation: Option<crate::assign::Rotation>,
    /// Pairs (smaller id first) who already shared a room in an earlier round.
    pub(crate) met: Met,
    pub(crate) polls: BTreeMap<PollId, Poll>,
    /// Everyone whose preset manages breakouts; derived from presets, kept
    /// because nearly every event goes to them.
    pub(crate) managers: BTreeSet<ParticipantId>,
    /// Index of pending moves by due time; mirrors `Participant::pending_move`.
    pub(crate) pending: BTreeSet<(Timestamp, ParticipantId)>,
    pub(crate) next_room: u32,
    pub(crate) next_poll: u32,
    pub(crate) next_chat: u64,
    /// Bytes of chat history held over all rooms; see `crate::chat`.
    #[serde(default)]
    pub(crate) chat_bytes: usize,
    pub(crate) revision: u64,
    /// See `admission.rs`; absent from snapshots taken before it existed.
    #[serde(default = "crate::admission::default_capacity")]
    pub(crate) capacity: u32,
    #[serde(default)]
    pub(crate) locked: bool,
    /// Whose microphone every room hears now (see `ears.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) speaking_to_all: Option<ParticipantId>,
}

pub(crate) type Out = Vec<Event>;

impl Default for Meeting {
    fn default() -> Self {
        Self::new()
    }
}

impl Meeting {
    pub const MAIN_TITLE: &'static str = "Main room";
    pub const HELP_COOLDOWN_SECS: u32 = 10;
    pub const MAX_TEXT_CHARS: usize = 2_000;
    pub const MAX_NAME_CHARS: usize = 100;
    pub const MAX_ROOMS: usize = 500;
    pub const MAX_PARTICIPANTS: usize = 10_000;

    pub fn new() -> Self {
        let main = Room {
            id: RoomId::MAIN,
            title: Self::MAIN_TITLE.into(),
            open: true,
            members: BTreeSet::new(),
            chat: Vec::new(),
            recording: false,
            sharing: None,
        };
        Meeting {
            presets: Preset::builtin()
                .into_iter()
                .map(|p| (p.name.clone(), p))
                .collect(),
            participants: BTreeMap::new(),
            rooms: BTreeMap::from([(RoomId::MAIN, main)]),
            config: BreakoutConfig::default(),
            phase: Phase::Idle,
            together: Vec::new(),
            apart: Vec::new(),
            rotation: None,
            met: Met::default(),
            polls: BTreeMap::new(),
            managers: BTreeSet::new(),
            pending: BTreeSet::new(),
            next_room: 1,
            next_poll: 1,
            next_chat: 1,
            chat_bytes: 0,
            revision: 0,
            capacity: Self::DEFAULT_CAPACITY,
            locked: false,
            speaking_to_all: None,
        }
    }

    /// Applies one command from `actor` at time `now`.
    ///
    /// Call [`Meeting::tick`] with the same `now` first so that due deadlines
    /// are processed before the command. On refusal nothing has changed.
    pub fn apply(
        &mut self,
        actor: Actor,
        command: Command,
        now: Timestamp,
    ) -> Result<Vec<Event>, Refusal> {
        self.check_rank(actor, &command)?;
        let mut out = Vec::new();
        use Command as C;
        match command {
            C::AddParticipant {
                participant,
                name,
                email,
                preset,
            } => self.add_participant(actor, participant, name, email, preset, now, &mut out),
            C::JoinByInvite {
                participant,
                name,
                email,
                preset,
            } => self.join_by_invite(actor, participant, name, email, preset, now, &mut out),
            C::SetCapacity { capacity } => self.set_capacity(actor, capacity, &mut out),
            C::SetLocked { locked } => self.set_locked(actor, locked, &mut out),
            C::RemoveParticipant { participant } => {
                self.remove_participant(actor, participant, &mut out)
            }
            C::SetConnected {
                participant,
                connected,
            } => self.set_connected(actor, participant, connected, now, &mut out),
            C::DefinePreset { preset } => self.define_preset(actor, preset),
            C::Configure { config } => self.configure(actor, config, &mut out),
            C::CreateRooms { count, names } => self.create_rooms(actor, count, names, &mut out),
            C::AddRoom { title, open } => self.add_room(actor, title, open, &mut out),
            C::RenameRoom { room, title } => self.rename_room(actor, room, title, &mut out),
            C::SetRoomOpen { room, open } => self.set_room_open(actor, room, open, &mut out),
            C::DeleteRoom { room } => self.delete_room(actor, room, now, &mut out),
            C::ClearRooms => self.clear_rooms(actor, now, &mut out),
            C::Assign { participant, room } => self.assign(actor, participant, room, now, &mut out),
            C::AutoAssign {
                seed,
                minimise_repeats,
            } => self.auto_assign(actor, seed, minimise_repeats, now, &mut out),
            C::ImportAssignments { csv } => self.import_assignments(actor, &csv, now, &mut out),
            C::KeepTogether { participants } => self.keep_together(actor, participants, &mut out),
            C::KeepApart { participants } => self.keep_apart(actor, participants),
            C::ClearConstraints => self.clear_constraints(actor),
            C::Start => self.start(actor, now, &mut out),
            C::Shuffle {
                seed,
                minimise_repeats,
            } => self.shuffle(actor, seed, minimise_repeats, now, &mut out),
            C::PlanRotation { rounds, seed } => {
                self.plan_rotation(actor, rounds, seed, now, &mut out)
            }
            C::RoundRobin => self.round_robin(actor, now, &mut out),
            C::Gather => self.gather(actor, now, &mut out),
            C::SendToRooms => self.send_to_rooms(actor, now, &mut out),
            C::AskAllToReturn => self.ask_all_to_return(actor, &mut out),
            C::AddTime { minutes } => self.add_time(actor, minutes, &mut out),
            C::CancelAutoEnd => self.cancel_auto_end(actor, &mut out),
            C::End => self.end(actor, now, &mut out),
            C::Broadcast {
                text,
                room,
                audience,
            } => self.broadcast(actor, text, room, audience, &mut out),
            C::Visit { room } => self.visit(actor, room, &mut out),
            C::DismissHelp { participant } => self.dismiss_help(actor, participant, &mut out),
            C::MuteParticipant { participant } => {
                self.mute_participant(actor, participant, &mut out)
            }
            C::ListenIn { room } => self.listen_in(actor, room, &mut out),
            C::SpeakToAll { active } => self.speak_to_all(actor, active, &mut out),
            C::Record { room, active } => self.set_recording(actor, room, active, &mut out),
            C::ShareScreen { active } => self.share_screen(actor, active, &mut out),
            C::JoinRoom { room } => self.join_room(actor, room, &mut out),
            C::LeaveToMain => self.leave_to_main(actor, &mut out),
            C::RequestHelp => self.request_help(actor, now, &mut out),
            C::SetMedia { mic, camera } => self.set_media(actor, mic, camera, &mut out),
            C::Chat { text } => self.chat(actor, text, now, &mut out),
            C::CreatePoll { question, options } => {
                self.create_poll(actor, question, options, &mut out)
            }
            C::Vote { poll, option } => self.vote(actor, poll, option, &mut out),
            C::ClosePoll { poll } => self.close_poll(actor, poll, &mut out),
        }?;
        self.revision += 1;
        Ok(out)
    }

    /// The earliest moment something happens by itself: a scheduled move,
    /// the automatic end, or the return after the closing countdown.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        let phase = match self.phase {
            Phase::Idle => None,
            Phase::Running { ends_at, .. } => ends_at,
            Phase::Closing { returns_at } => Some(returns_at),
        };
        let moves = self.pending.first().map(|(at, _)| *at);
        match (phase, moves) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Processes every deadline due at or before `now`, in time order. Each
    /// fires once, at its own time rather than at `now`.
    ///
    /// The revision counts deadlines, not calls: one late tick and a tick
    /// at every deadline end at the same revision, so a meeting replayed
    /// from its journal (ticked once per entry) reaches the revision the
    /// live meeting had, and a client that saw a later one saw lost events.
    pub fn tick(&mut self, now: Timestamp) -> Vec<Event> {
        let mut out = Vec::new();
        while let Some(due) = self.next_deadline().filter(|due| *due <= now) {
            self.revision += 1;
            if self.pending.first().is_some_and(|(at, _)| *at == due) {
                self.complete_pending_moves(due, &mut out);
                continue;
            }
            match self.phase {
                Phase::Running { .. } => self.begin_closing(due, &mut out),
                Phase::Closing { .. } => self.finish_closing(&mut out),
                Phase::Idle => unreachable!("an idle meeting has no phase deadline"),
            }
        }
        out
    }

    // ----- queries -----

    pub fn phase(&self) -> Phase {
        self.phase
    }

    pub fn config(&self) -> &BreakoutConfig {
        &self.config
    }

    /// Increases on every change; a cheap way to know a view may be stale.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub fn participant(&self, id: ParticipantId) -> Option<&Participant> {
        self.participants.get(&id)
    }

    pub fn participants(&self) -> impl Iterator<Item = &Participant> {
        self.participants.values()
    }

    pub fn room(&self, id: RoomId) -> Option<&Room> {
        self.rooms.get(&id)
    }

    /// Breakout rooms, without main, in id order.
    pub fn breakout_rooms(&self) -> impl Iterator<Item = &Room> {
        self.rooms.values().filter(|r| !r.id.is_main())
    }

    pub fn occupants(&self, room: RoomId) -> impl Iterator<Item = ParticipantId> + '_ {
        self.rooms
            .get(&room)
            .into_iter()
            .flat_map(|r| r.members.iter().copied())
    }

    pub fn presets(&self) -> impl Iterator<Item = &Preset> {
        self.presets.values()
    }

    pub fn preset_of(&self, id: ParticipantId) -> Option<&Preset> {
        self.participants
            .get(&id)
            .and_then(|p| self.presets.get(&p.preset))
    }

    pub fn is_manager(&self, id: ParticipantId) -> bool {
        self.preset_of(id)
            .is_some_and(|p| p.permissions.manage_breakouts)
    }

    /// Checks the structural invariants; used by tests and after restore.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut seen = BTreeSet::new();
        for room in self.rooms.values() {
            for id in &room.members {
                let p = self
                    .participants
                    .get(id)
                    .ok_or(format!("{id} listed in {} but unknown", room.id))?;
                if p.room != room.id {
                    return Err(format!("{id} listed in {} but is in {}", room.id, p.room));
                }
                if !seen.insert(*id) {
                    return Err(format!("{id} is in two rooms"));
                }
            }
            if let Some(sharer) = room.sharing
                && !room.members.contains(&sharer)
            {
                return Err(format!("{sharer} shares in {} from elsewhere", room.id));
            }
        }
        if seen.len() != self.participants.len() {
            return Err("someone is in no room".into());
        }
        for p in self.participants.values() {
            if let Some(r) = p.assigned
                && !self.rooms.contains_key(&r)
            {
                return Err(format!("{} assigned to missing {r}", p.id));
            }
            let indexed = p.pending_move.map(|m| (m.at, p.id));
            if let Some(entry) = indexed
                && !self.pending.contains(&entry)
            {
                return Err(format!("pending move of {} not indexed", p.id));
            }
        }
        let managers: BTreeSet<ParticipantId> = self
            .participants
            .keys()
            .copied()
            .filter(|id| self.is_manager(*id))
            .collect();
        if managers != self.managers {
            return Err("manager index out of sync".into());
        }
        if self.pending.len()
            != self
                .participants
                .values()
                .filter(|p| p.pending_move.is_some())
                .count()
        {
            return Err("pending index out of sync".into());
        }
        Ok(())
    }

    // ----- shared mechanics for the command modules -----

    /// The sender's permissions; the system may do anything.
    pub(crate) fn permissions(&self, actor: Actor) -> Result<Permissions, Refusal> {
        match actor {
            Actor::System => Ok(Preset::host().permissions),
            Actor::Participant(id) => self
                .preset_of(id)
                .map(|p| p.permissions)
                .ok_or(Refusal::UnknownParticipant(id)),
        }
    }

    /// First step of every command: is the sender allowed to do `action`?
    pub(crate) fn authorize(
        &self,
        actor: Actor,
        action: &'static str,
        allowed: impl Fn(&Permissions) -> bool,
    ) -> Result<Permissions, Refusal> {
        let permissions = self.permissions(actor)?;
        if allowed(&permissions) {
            Ok(permissions)
        } else {
            Err(Refusal::PermissionDenied { action })
        }
    }

    pub(crate) fn require_manager(
        &self,
        actor: Actor,
        action: &'static str,
    ) -> Result<(), Refusal> {
        self.authorize(actor, action, |p| p.manage_breakouts)
            .map(|_| ())
    }

    /// The sending participant; system-sent commands that need a person are refused.
    pub(crate) fn sender(&self, actor: Actor) -> Result<&Participant, Refusal> {
        match actor {
            Actor::System => Err(Refusal::InvalidInput {
                reason: "this command must come from a participant".into(),
            }),
            Actor::Participant(id) => self
                .participants
                .get(&id)
                .ok_or(Refusal::UnknownParticipant(id)),
        }
    }

    pub(crate) fn person(&self, id: ParticipantId) -> Result<&Participant, Refusal> {
        self.participants
            .get(&id)
            .ok_or(Refusal::UnknownParticipant(id))
    }

    pub(crate) fn role_of(&self, id: ParticipantId) -> Role {
        self.preset_of(id).map_or(Role::Participant, |p| p.role)
    }

    pub(crate) fn require_room(&self, room: RoomId) -> Result<&Room, Refusal> {
        self.rooms.get(&room).ok_or(Refusal::RoomNotFound(room))
    }

    pub(crate) fn is_running(&self) -> bool {
        matches!(self.phase, Phase::Running { .. })
    }

    pub(crate) fn require_running(&self) -> Result<(), Refusal> {
        match self.phase {
            Phase::Running { .. } => Ok(()),
            Phase::Closing { .. } => Err(Refusal::Closing),
            Phase::Idle => Err(Refusal::NotRunning),
        }
    }

    pub(crate) fn require_idle(&self) -> Result<(), Refusal> {
        match self.phase {
            Phase::Idle => Ok(()),
            _ => Err(Refusal::NotWhileRunning),
        }
    }

    pub(crate) fn managers(&self) -> impl Iterator<Item = ParticipantId> + '_ {
        self.managers.iter().copied()
    }

    pub(crate) fn refresh_managers(&mut self) {
        self.managers = self
            .participants
            .keys()
            .copied()
            .filter(|id| self.is_manager(*id))
            .collect();
    }

    /// Occupants of `room` plus every manager, without duplicates.
    pub(crate) fn room_and_managers(&self, room: RoomId) -> Recipients {
        Recipients::Many(sorted_union(
            self.members(room).iter().copied(),
            self.managers(),
        ))
    }

    /// Moves `who` now, without any announcement to others. Returns the room
    /// they left, or `None` if they were already there (or unknown). Cancels
    /// any pending move and clears what belonged to the old room.
    fn relocate_quietly(
        &mut self,
        who: ParticipantId,
        to: RoomId,
        out: &mut Out,
    ) -> Option<RoomId> {
        let person = self.participants.get_mut(&who)?;
        if let Some(pending) = person.pending_move.take() {
            self.pending.remove(&(pending.at, who));
        }
        let from = person.room;
        if from == to {
            return None;
        }
        person.room = to;
        if person.invited == Some(to) {
            person.invited = None;
        }
        // In the room one listened to, one hears it anyway.
        if person.listening == Some(to) {
            person.listening = None;
        }
        if to.is_main() {
            person.return_requested = false;
        }
        let dismissed = person.help_requested_at.take().is_some();
        if let Some(room) = self.rooms.get_mut(&from) {
            room.members.remove(&who);
        }
        self.carry_share(who, from, to, out);
        self.rooms
            .get_mut(&to)
            .expect("relocation targets an existing room")
            .members
            .insert(who);
        if dismissed {
            out.push(Event {
                to: Recipients::Managers,
                body: EventBody::HelpDismissed { participant: who },
            });
        }
        out.push(Event {
            to: Recipients::One(who),
            body: EventBody::MeetingChanged {
                participant: who,
                from,
                room: to,
            },
        });
        Some(from)
    }

    /// Moves one person now. The others in both rooms get a delta; the mover
    /// gets the full member list of the room it entered.
    pub(crate) fn relocate(&mut self, who: ParticipantId, to: RoomId, out: &mut Out) {
        let Some(from) = self.relocate_quietly(who, to, out) else {
            return;
        };
        out.push(Event {
            to: self.room_and_managers_except(from, who),
            body: EventBody::MemberLeft {
                room: from,
                participant: who,
            },
        });
        if let Some(member) = self.member_view(who) {
            out.push(Event {
                to: self.room_and_managers_except(to, who),
                body: EventBody::MemberEntered { room: to, member },
            });
        }
        out.push(Event {
            to: Recipients::One(who),
            body: EventBody::MembersUpdate {
                room: to,
                members: self.members_of(to),
            },
        });
    }

    /// Moves several people, then reports each touched room's members once
    /// (a full list beats one delta per move when many move together).
    pub(crate) fn relocate_many(
        &mut self,
        moves: impl IntoIterator<Item = (ParticipantId, RoomId)>,
        out: &mut Out,
    ) {
        let moves = moves.into_iter();
        // A moved event each, and a member list for at most every room.
        out.reserve(moves.size_hint().0 + self.rooms.len());
        // Room ids are small and dense: a flag per id beats an ordered set
        // updated twice per move.
        let mut seen = vec![false; self.next_room as usize];
        let mut touched = Vec::new();
        for (who, to) in moves {
            if let Some(from) = self.relocate_quietly(who, to, out) {
                for room in [from, to] {
                    let index = room.0 as usize;
                    if index >= seen.len() {
                        seen.resize(index + 1, false);
                    }
                    if !std::mem::replace(&mut seen[index], true) {
                        touched.push(room);
                    }
                }
            }
        }
        touched.sort_unstable();
        for room in touched {
            out.push(Event {
                to: self.room_and_managers(room),
                body: EventBody::MembersUpdate {
                    room,
                    members: self.members_of(room),
                },
            });
        }
    }

    pub(crate) fn members_of(&self, room: RoomId) -> Vec<crate::MemberView> {
        let ids = self.members(room);
        let mut members = Vec::with_capacity(ids.len());
        members.extend(ids.iter().filter_map(|id| self.member_view(*id)));
        members
    }

    /// The occupants of `room` as a set (empty for a missing room); unlike
    /// [`Meeting::occupants`] its iterator knows its length, so lists built
    /// from it are allocated once.
    fn members(&self, room: RoomId) -> &BTreeSet<ParticipantId> {
        static NOBODY: BTreeSet<ParticipantId> = BTreeSet::new();
        self.rooms.get(&room).map_or(&NOBODY, |r| &r.members)
    }

    pub(crate) fn room_and_managers_except(
        &self,
        room: RoomId,
        except: ParticipantId,
    ) -> Recipients {
        let mut ids = sorted_union(self.members(room).iter().copied(), self.managers());
        ids.retain(|id| *id != except);
        Recipients::Many(ids)
    }

    /// Moves `who` to `room` after the move countdown (or at once if it is 0).
    fn schedule_move(&mut self, who: ParticipantId, room: RoomId, now: Timestamp, out: &mut Out) {
        let countdown = self.config.move_countdown_secs;
        if countdown == 0 {
            self.relocate(who, room, out);
            return;
        }
        self.cancel_pending_move(who);
        let Some(person) = self.participants.get_mut(&who) else {
            return;
        };
        if person.room == room {
            return;
        }
        let at = now.plus_secs(countdown);
        person.pending_move = Some(PendingMove { room, at });
        self.pending.insert((at, who));
        out.push(Event {
            to: Recipients::One(who),
            body: EventBody::ChangingMeeting { room, at },
        });
    }

    pub(crate) fn cancel_pending_move(&mut self, who: ParticipantId) {
        if let Some(person) = self.participants.get_mut(&who)
            && let Some(pending) = person.pending_move.take()
        {
            self.pending.remove(&(pending.at, who));
        }
    }

    pub(crate) fn cancel_all_pending_moves(&mut self) {
        for (_, who) in std::mem::take(&mut self.pending) {
            if let Some(person) = self.participants.get_mut(&who) {
                person.pending_move = None;
            }
        }
    }

    /// Completes every move due at `due` as one batch.
    fn complete_pending_moves(&mut self, due: Timestamp, out: &mut Out) {
        let mut moves = Vec::new();
        while let Some(&(at, who)) = self.pending.first() {
            if at != due {
                break;
            }
            let target = self.participants.get(&who).and_then(|p| p.pending_move);
            self.cancel_pending_move(who);
            if let Some(target) = target {
                // The room may have vanished meanwhile; nobody is left in limbo.
                let room = if self.rooms.contains_key(&target.room) {
                    target.room
                } else {
                    RoomId::MAIN
                };
                moves.push((who, room));
            }
        }
        self.move_now(moves, out);
    }

    /// Moves people at once: deltas for one person, full lists for a batch.
    pub(crate) fn move_now(&mut self, moves: Vec<(ParticipantId, RoomId)>, out: &mut Out) {
        match moves.as_slice() {
            [] => {}
            [(who, room)] => self.relocate(*who, *room, out),
            _ => self.relocate_many(moves, out),
        }
    }

    /// Host-initiated moves: announced with the move countdown, or at once if it is 0.
    pub(crate) fn schedule_moves(
        &mut self,
        moves: Vec<(ParticipantId, RoomId)>,
        now: Timestamp,
        out: &mut Out,
    ) {
        if self.config.move_countdown_secs == 0 {
            self.move_now(moves, out);
        } else {
            for (who, room) in moves {
                self.schedule_move(who, room, now, out);
            }
        }
    }

    pub(crate) fn valid_text(text: &str, what: &str, max: usize) -> Result<String, Refusal> {
        let text = text.trim();
        if text.is_empty() {
            return Err(Refusal::InvalidInput {
                reason: format!("{what} is empty"),
            });
        }
        if text.chars().count() > max {
            return Err(Refusal::InvalidInput {
                reason: format!("{what} is longer than {max} characters"),
            });
        }
        Ok(text.to_string())
    }
}

/// Two ascending id sequences as one ascending list without duplicates.
/// Recipient lists are built for nearly every event; merging the already
/// sorted sets beats collecting them into a fresh tree.
pub(crate) fn sorted_union(
    a: impl IntoIterator<Item = ParticipantId>,
    b: impl IntoIterator<Item = ParticipantId>,
) -> Vec<ParticipantId> {
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    let mut out = Vec::with_capacity(a.size_hint().0 + b.size_hint().0);
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if x < y => a.next(),
            (Some(x), Some(y)) if x > y => b.next(),
            (Some(_), Some(_)) => {
                b.next();
                a.next()
            }
            (Some(_), None) => a.next(),
            (None, Some(_)) => b.next(),
            (None, None) => return out,
        };
        out.extend(next);
    }
}
