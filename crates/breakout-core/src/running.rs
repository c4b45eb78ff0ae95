//! A breakout round: start, the moves while it runs, time, and the end.

use std::collections::BTreeMap;

use crate::meeting::Out;
use crate::{
    Actor, AssignmentMethod, Audience, Event, EventBody, Meeting, ParticipantId, Phase, Recipients,
    Refusal, RoomId, Timestamp,
};

impl Meeting {
    pub const MAX_ADD_MINUTES: u32 = 600;

    pub(crate) fn start(
        &mut self,
        actor: Actor,
        now: Timestamp,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "start breakouts")?;
        self.require_idle()?;
        if self.breakout_rooms().next().is_none() {
            return Err(Refusal::NoRooms);
        }
        let auto_plan = if self.config.assignment == AssignmentMethod::Auto {
            let mut base: BTreeMap<RoomId, Vec<ParticipantId>> = BTreeMap::new();
            for p in self.participants.values() {
                if let Some(room) = p.assigned {
                    base.entry(room).or_default().push(p.id);
                }
            }
            let unassigned = self
                .eligible()
                .into_iter()
                .filter(|p| self.participants[p].assigned.is_none())
                .collect();
            Some(self.plan(unassigned, &base, now.0)?)
        } else {
            None
        };
        let mut notes = Vec::new();
        if let Some(placement) = auto_plan {
            notes = placement.notes;
            for (who, room) in placement.plan {
                self.set_assignment(who, Some(room), out);
            }
        }
        // Manual assignments may break constraints; the host hears of it
        // before people move.
        notes.extend(self.violations());
        self.notify_notes(notes, out);
        let ends_at = self.config.auto_end_mins.map(|m| now.plus_mins(m));
        self.phase = Phase::Running {
            started_at: now,
            ends_at,
        };
        self.record_meetings();
        out.push(Event {
            to: Recipients::Everyone,
            body: EventBody::BreakoutsStarted { ends_at },
        });
        let assigned: Vec<(ParticipantId, RoomId)> = self
            .participants
            .values()
            .filter_map(|p| p.assigned.map(|room| (p.id, room)))
            .collect();
        if self.config.auto_move {
            self.schedule_moves(assigned, now, out);
        } else {
            for (who, room) in assigned {
                self.participants.get_mut(&who).expect("listed").invited = Some(room);
                out.push(Event {
                    to: Recipients::One(who),
                    body: EventBody::Invited { room },
                });
            }
        }
        Ok(())
    }

    /// Everyone in a breakout room moves on to the next room (the last to the first).
    pub(crate) fn round_robin(
        &mut self,
        actor: Actor,
        now: Timestamp,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "rotate rooms")?;
        self.require_running()?;
        let rooms: Vec<RoomId> = self.breakout_rooms().map(|r| r.id).collect();
        if rooms.is_empty() {
            return Err(Refusal::NoRooms);
        }
        // Indexed by room id (ids are small and dense): a search of the
        // room list per person would be rooms x people.
        let mut next = vec![None; self.next_room as usize];
        for (i, room) in rooms.iter().enumerate() {
            next[room.0 as usize] = Some(rooms[(i + 1) % rooms.len()]);
        }
        let next_of = |room: RoomId| next.get(room.0 as usize).copied().flatten();
        let mut moves = Vec::new();
        for who in self.eligible() {
            let person = &self.participants[&who];
            let inside = !person.room.is_main();
            // People still on their way to a room rotate from that room.
            let heading = person.pending_move.map(|m| m.room).filter(|r| !r.is_main());
            let current = heading
                .or(inside.then_some(person.room))
                .or(person.assigned);
            if let Some(next) = current.and_then(next_of) {
                self.set_assignment(who, Some(next), out);
                if inside || heading.is_some() {
                    moves.push((who, next));
                }
            }
        }
        self.record_meetings();
        self.schedule_moves(moves, now, out);
        Ok(())
    }

    /// Everyone back to main, but the round goes on.
    pub(crate) fn gather(
        &mut self,
        actor: Actor,
        now: Timestamp,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "gather everyone")?;
        self.require_running()?;
        let moves = self
            .participants
            .values()
            .filter(|p| !p.room.is_main() || p.pending_move.is_some())
            .map(|p| (p.id, RoomId::MAIN))
            .collect();
        self.schedule_moves(moves, now, out);
        Ok(())
    }

    pub(crate) fn send_to_rooms(
        &mut self,
        actor: Actor,
        now: Timestamp,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "send people to their rooms")?;
        self.require_running()?;
        let moves = self
            .participants
            .values()
            // Those already in their room may be counting down to leave it
            // (a gather); a move to where they are cancels that.
            .filter_map(|p| {
                p.assigned
                    .filter(|r| *r != p.room || p.pending_move.is_some())
                    .map(|r| (p.id, r))
            })
            .collect();
        self.schedule_moves(moves, now, out);
        Ok(())
    }

    /// Asks (does not force) everyone in a breakout room to come back.
    pub(crate) fn ask_all_to_return(&mut self, actor: Actor, out: &mut Out) -> Result<(), Refusal> {
        self.require_manager(actor, "ask everyone to return")?;
        self.require_running()?;
        let asked: Vec<ParticipantId> = self
            .participants
            .values_mut()
            .filter(|p| !p.room.is_main())
            .map(|p| {
                p.return_requested = true;
                p.id
            })
            .collect();
        out.push(Event {
            to: Recipients::Many(asked),
            body: EventBody::ReturnRequested,
        });
        Ok(())
    }

    pub(crate) fn add_time(
        &mut self,
        actor: Actor,
        minutes: u32,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "add time")?;
        self.require_running()?;
        if !(1..=Self::MAX_ADD_MINUTES).contains(&minutes) {
            return Err(Refusal::InvalidInput {
                reason: format!("added time must be 1 to {} minutes", Self::MAX_ADD_MINUTES),
            });
        }
        let Phase::Running {
            started_at,
            ends_at: Some(ends_at),
        } = self.phase
        else {
            return Err(Refusal::NoAutomaticEnd);
        };
        let ends_at = Some(ends_at.plus_mins(minutes));
        self.phase = Phase::Running {
            started_at,
            ends_at,
        };
        out.push(Event {
            to: Recipients::Everyone,
            body: EventBody::TimeChanged { ends_at },
        });
        Ok(())
    }

    pub(crate) fn cancel_auto_end(&mut self, actor: Actor, out: &mut Out) -> Result<(), Refusal> {
        self.require_manager(actor, "cancel the automatic end")?;
        self.require_running()?;
        let Phase::Running {
            started_at,
            ends_at: Some(_),
        } = self.phase
        else {
            return Err(Refusal::NoAutomaticEnd);
        };
        self.phase = Phase::Running {
            started_at,
            ends_at: None,
        };
        out.push(Event {
            to: Recipients::Everyone,
            body: EventBody::TimeChanged { ends_at: None },
        });
        Ok(())
    }

    pub(crate) fn end(
        &mut self,
        actor: Actor,
        now: Timestamp,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "end breakouts")?;
        self.require_running()?;
        self.begin_closing(now, out);
        Ok(())
    }

    pub(crate) fn broadcast(
        &mut self,
        actor: Actor,
        text: String,
        room: Option<RoomId>,
        audience: Audience,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "broadcast messages")?;
        let text = Self::valid_text(&text, "the message", Self::MAX_TEXT_CHARS)?;
        if let Some(r) = room {
            self.require_room(r)?;
        }
        let from = match actor {
            Actor::Participant(id) => id,
            Actor::System => ParticipantId(0),
        };
        let mut to: std::collections::BTreeSet<ParticipantId> = self
            .participants
            .values()
            .filter(|p| room.is_none_or(|r| p.room == r))
            .filter(|p| audience.includes(self.role_of(p.id)))
            .map(|p| p.id)
            .collect();
        to.extend(self.managers());
        out.push(Event {
            to: Recipients::Many(to.into_iter().collect()),
            body: EventBody::Message {
                from,
                text,
                room,
                audience,
            },
        });
        Ok(())
    }

    /// The round ends at `at` (a command or the automatic end): closing
    /// countdown, or straight back to main if it is 0.
    pub(crate) fn begin_closing(&mut self, at: Timestamp, out: &mut Out) {
        self.cancel_all_pending_moves();
        let countdown = self.config.closing_countdown_secs;
        if countdown == 0 {
            self.finish_closing(out);
            return;
        }
        let returns_at = at.plus_secs(countdown);
        self.phase = Phase::Closing { returns_at };
        out.push(Event {
            to: Recipients::Everyone,
            body: EventBody::Closing { at: returns_at },
        });
    }

    /// Everyone is back in main; rooms and assignments stay for a next round.
    pub(crate) fn finish_closing(&mut self, out: &mut Out) {
        self.cancel_all_pending_moves();
        let moves: Vec<(ParticipantId, RoomId)> = self
            .participants
            .values()
            .filter(|p| !p.room.is_main())
            .map(|p| (p.id, RoomId::MAIN))
            .collect();
        self.relocate_many(moves, out);
        for person in self.participants.values_mut() {
            person.invited = None;
            person.return_requested = false;
            person.help_requested_at = None;
        }
        self.phase = Phase::Idle;
        out.push(Event {
            to: Recipients::Everyone,
            body: EventBody::BreakoutsEnded,
        });
    }
}
