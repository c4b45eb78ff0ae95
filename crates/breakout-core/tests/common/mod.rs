//! A small driver for meetings in tests: simulated time, commands that must
//! succeed or must be refused (and then leave the meeting untouched), and
//! helpers to read events.

#![allow(dead_code)] // each test file uses a different part of this module

use std::collections::BTreeSet;

use breakout_core::{
    Actor, BreakoutConfig, Command, Event, EventBody, Meeting, ParticipantId, Recipients, Refusal,
    RoomId, Timestamp,
};

/// An arbitrary wall-clock start, far from 0 so that arithmetic bugs show.
pub const T0: Timestamp = Timestamp(1_700_000_000_000);

pub const HOST: ParticipantId = ParticipantId(1);
pub const COHOST: ParticipantId = ParticipantId(2);
pub const PRESENTER: ParticipantId = ParticipantId(3);

/// The `i`-th ordinary participant (1-based).
pub fn p(i: u64) -> ParticipantId {
    ParticipantId(100 + i)
}

pub fn who(id: ParticipantId) -> Actor {
    Actor::Participant(id)
}

pub fn at_secs(secs: u64) -> Timestamp {
    Timestamp(T0.0 + secs * 1_000)
}

/// Breakouts that move people at once, end only when told, and close at once:
/// the simplest setting for rules that are not about time.
pub fn instant_config() -> BreakoutConfig {
    BreakoutConfig {
        move_countdown_secs: 0,
        closing_countdown_secs: 0,
        auto_end_mins: None,
        ..BreakoutConfig::default()
    }
}

/// A meeting driven through time: every command is preceded by `tick(now)`,
/// as the server does.
#[derive(Debug, Clone)]
pub struct Sim {
    pub m: Meeting,
    pub now: Timestamp,
}

impl Default for Sim {
    fn default() -> Self {
        Self::new()
    }
}

impl Sim {
    pub fn new() -> Self {
        Sim {
            m: Meeting::new(),
            now: T0,
        }
    }

    /// A host, `participants` ordinary participants and `rooms` breakout rooms.
    pub fn with(participants: u64, rooms: u16, config: BreakoutConfig) -> Self {
        let mut sim = Sim::new();
        sim.add(HOST, "host");
        for i in 1..=participants {
            sim.add(p(i), "participant");
        }
        sim.system(Command::Configure { config });
        if rooms > 0 {
            sim.system(Command::CreateRooms {
                count: rooms,
                names: vec![],
            });
        }
        sim
    }

    pub fn add(&mut self, id: ParticipantId, preset: &str) -> Vec<Event> {
        self.system(Command::AddParticipant {
            participant: id,
            name: format!("P{}", id.0),
            email: Some(format!("p{}@example.com", id.0)),
            preset: preset.into(),
        })
    }

    pub fn try_cmd(&mut self, actor: Actor, command: Command) -> Result<Vec<Event>, Refusal> {
        let mut events = self.m.tick(self.now);
        let result = self.m.apply(actor, command, self.now);
        self.m.check_invariants().expect("invariants hold");
        result.map(|more| {
            events.extend(more);
            events
        })
    }

    /// Applies a command that must succeed; returns the tick's and the command's events.
    #[track_caller]
    pub fn cmd(&mut self, actor: Actor, command: Command) -> Vec<Event> {
        let name = command.name();
        self.try_cmd(actor, command)
            .unwrap_or_else(|r| panic!("{name} refused: {r}"))
    }

    #[track_caller]
    pub fn host(&mut self, command: Command) -> Vec<Event> {
        self.cmd(who(HOST), command)
    }

    #[track_caller]
    pub fn system(&mut self, command: Command) -> Vec<Event> {
        self.cmd(Actor::System, command)
    }

    /// Applies a command that must be refused, and checks that the refusal
    /// left the meeting exactly as it was.
    #[track_caller]
    pub fn refuse(&mut self, actor: Actor, command: Command) -> Refusal {
        let _ = self.m.tick(self.now);
        let before = self.m.clone();
        let name = command.name();
        let refusal = match self.m.apply(actor, command, self.now) {
            Ok(events) => panic!("{name} was accepted: {events:?}"),
            Err(refusal) => refusal,
        };
        assert_eq!(self.m, before, "refused {name} changed the meeting");
        refusal
    }

    /// Lets `secs` seconds pass; returns what happened on the way.
    pub fn advance(&mut self, secs: u64) -> Vec<Event> {
        self.advance_ms(secs * 1_000)
    }

    pub fn advance_ms(&mut self, ms: u64) -> Vec<Event> {
        self.now = Timestamp(self.now.0 + ms);
        let events = self.m.tick(self.now);
        self.m.check_invariants().expect("invariants hold");
        events
    }

    /// Jumps to the exact time `at` and ticks.
    pub fn advance_to(&mut self, at: Timestamp) -> Vec<Event> {
        assert!(at >= self.now, "time does not go back");
        self.advance_ms(at.0 - self.now.0)
    }

    pub fn room_of(&self, id: ParticipantId) -> RoomId {
        self.m.participant(id).expect("known participant").room
    }

    pub fn rooms(&self) -> Vec<RoomId> {
        self.m.breakout_rooms().map(|r| r.id).collect()
    }

    pub fn room(&self, index: usize) -> RoomId {
        self.rooms()[index]
    }

    pub fn everyone(&self) -> BTreeSet<ParticipantId> {
        self.m.participants().map(|p| p.id).collect()
    }

    pub fn in_room(&self, room: RoomId) -> BTreeSet<ParticipantId> {
        self.m.occupants(room).collect()
    }

    pub fn all_in_main(&self) -> bool {
        self.m.participants().all(|p| p.room.is_main())
    }

    pub fn assign(&mut self, id: ParticipantId, room: RoomId) -> Vec<Event> {
        self.host(Command::Assign {
            participant: id,
            room: Some(room),
        })
    }
}

/// Who an event reaches, resolved against the meeting as it is now.
pub fn recipients(m: &Meeting, to: &Recipients) -> BTreeSet<ParticipantId> {
    match to {
        Recipients::Everyone => m.participants().map(|p| p.id).collect(),
        Recipients::Managers => m
            .participants()
            .map(|p| p.id)
            .filter(|id| m.is_manager(*id))
            .collect(),
        Recipients::One(id) => BTreeSet::from([*id]),
        Recipients::Many(ids) => ids.iter().copied().collect(),
    }
}

pub fn bodies(events: &[Event]) -> Vec<&EventBody> {
    events.iter().map(|e| &e.body).collect()
}

pub fn count(events: &[Event], matches: impl Fn(&EventBody) -> bool) -> usize {
    events.iter().filter(|e| matches(&e.body)).count()
}

/// The events whose body matches, with their recipients resolved.
pub fn sent<'a>(
    m: &Meeting,
    events: &'a [Event],
    matches: impl Fn(&EventBody) -> bool,
) -> Vec<(BTreeSet<ParticipantId>, &'a EventBody)> {
    events
        .iter()
        .filter(|e| matches(&e.body))
        .map(|e| (recipients(m, &e.to), &e.body))
        .collect()
}

/// Where each `MeetingChanged` took someone, in order.
pub fn moves(events: &[Event]) -> Vec<(ParticipantId, RoomId, RoomId)> {
    events
        .iter()
        .filter_map(|e| match e.body {
            EventBody::MeetingChanged {
                participant,
                from,
                room,
            } => Some((participant, from, room)),
            _ => None,
        })
        .collect()
}

/// The room an event is about, if it may only be seen from inside that room.
pub fn scope_of(body: &EventBody) -> Option<RoomId> {
    match body {
        EventBody::Chat { message } => Some(message.room),
        EventBody::PollCreated { poll }
        | EventBody::PollUpdated { poll }
        | EventBody::PollClosed { poll } => Some(poll.room),
        EventBody::MembersUpdate { room, .. }
        | EventBody::MemberEntered { room, .. }
        | EventBody::MemberLeft { room, .. } => Some(*room),
        _ => None,
    }
}

/// Checks that one step's events (from `before` to `after`) never tell a
/// room's business to a non-manager outside that room, at the moment each
/// event was made. Where people are at that moment is replayed from the
/// `MeetingChanged` events, which are emitted as each move happens.
pub fn check_recipients(before: &Meeting, after: &Meeting, events: &[Event]) -> Result<(), String> {
    use std::collections::BTreeMap;
    let mut place: BTreeMap<ParticipantId, RoomId> =
        before.participants().map(|p| (p.id, p.room)).collect();
    // Whoever is new was added to main.
    for p in after.participants() {
        place.entry(p.id).or_insert(RoomId::MAIN);
    }
    let manager = |id: ParticipantId| {
        if after.participant(id).is_some() {
            after.is_manager(id)
        } else {
            before.is_manager(id)
        }
    };
    let occupants = |place: &BTreeMap<ParticipantId, RoomId>, room: RoomId| -> BTreeSet<_> {
        place
            .iter()
            .filter(|(id, r)| **r == room && after.participant(**id).is_some())
            .map(|(id, _)| *id)
            .collect()
    };
    for event in events {
        if let EventBody::MeetingChanged {
            participant,
            from,
            room,
        } = event.body
        {
            let here = place.get(&participant).copied();
            if here != Some(from) {
                return Err(format!(
                    "{participant} moved from {from} but was in {here:?}"
                ));
            }
            place.insert(participant, room);
            continue;
        }
        // News about one person goes to the people in that person's room.
        let about = match event.body {
            EventBody::MediaChanged { participant, .. }
            | EventBody::ConnectionChanged { participant, .. } => place.get(&participant).copied(),
            EventBody::HelpRequested { room, .. } => Some(room),
            EventBody::Message { room, .. } => room,
            _ => None,
        };
        let Some(room) = scope_of(&event.body).or(about) else {
            continue;
        };
        for id in recipients(after, &event.to) {
            let Some(here) = place.get(&id) else {
                return Err(format!("{event:?} sent to unknown {id}"));
            };
            if *here != room && !manager(id) {
                return Err(format!("{event:?} sent to {id} in {here}"));
            }
        }
        match &event.body {
            EventBody::MembersUpdate { members, .. } => {
                let listed: BTreeSet<_> = members.iter().map(|m| m.id).collect();
                let present = occupants(&place, room);
                if listed != present {
                    return Err(format!("{event:?}: {room} holds {present:?}"));
                }
            }
            EventBody::MemberEntered { member, .. } if place.get(&member.id) != Some(&room) => {
                return Err(format!("{event:?} but {} is elsewhere", member.id));
            }
            // A removed person's entry is stale: only those still here count.
            EventBody::MemberLeft { participant, .. }
                if place.get(participant) == Some(&room)
                    && after.participant(*participant).is_some() =>
            {
                return Err(format!("{event:?} but {participant} is still there"));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Checks what `viewer` is shown against what its role allows.
pub fn check_view(m: &Meeting, viewer: ParticipantId, now: Timestamp) -> Result<(), String> {
    use breakout_core::{AssignmentMethod, Phase};
    let view = m.view_for(viewer, now).ok_or("no view")?;
    let person = m.participant(viewer).ok_or("unknown")?;
    let permissions = m.preset_of(viewer).ok_or("no preset")?.permissions;
    let manager = permissions.manage_breakouts;
    let running = matches!(m.phase(), Phase::Running { .. });
    let may_choose =
        running && (permissions.switch_rooms || m.config().assignment == AssignmentMethod::Choose);
    if view.you.room != person.room {
        return Err("wrong own room".into());
    }
    let shown: BTreeSet<RoomId> = view.rooms.iter().map(|r| r.id).collect();
    let all: BTreeSet<RoomId> = std::iter::once(RoomId::MAIN)
        .chain(m.breakout_rooms().map(|r| r.id))
        .collect();
    if manager && shown != all {
        return Err(format!("a manager sees {shown:?} of {all:?}"));
    }
    if !shown.contains(&person.room) || !shown.contains(&RoomId::MAIN) {
        return Err("own room or main missing".into());
    }
    for room in &view.rooms {
        let members: BTreeSet<ParticipantId> = m.occupants(room.id).collect();
        if room.member_count as usize != members.len() {
            return Err(format!("{} count", room.id));
        }
        if manager {
            let listed = room.members.as_ref().ok_or("manager without members")?;
            if listed.iter().map(|v| v.id).collect::<BTreeSet<_>>() != members {
                return Err(format!("{} members", room.id));
            }
            continue;
        }
        let entitled = room.id.is_main()
            || room.id == person.room
            || Some(room.id) == person.assigned
            || view.you.invited == Some(room.id)
            || (may_choose && room.open);
        if !entitled {
            return Err(format!("{viewer} may not see {}", room.id));
        }
        if room.members.is_some() != (room.id == person.room) {
            return Err(format!("{viewer} sees the members of {}", room.id));
        }
        if room.assigned.is_some() {
            return Err(format!("{viewer} sees assignments of {}", room.id));
        }
    }
    if !manager && !view.help_requests.is_empty() {
        return Err(format!("{viewer} sees help requests"));
    }
    if view.polls.iter().any(|p| p.room != person.room) {
        return Err(format!("{viewer} sees a poll of another room"));
    }
    Ok(())
}
