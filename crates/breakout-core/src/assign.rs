//! Who goes to which room: manual assignment, balanced automatic assignment
//! with keep-together / keep-apart constraints, and rotation rounds that
//! avoid pairing people who already met.

mod balance;
mod check;
mod placement;
mod rotation;
mod rounds;
mod units;

use std::collections::{BTreeMap, BTreeSet};

use crate::meeting::Out;
use crate::met::pairs;
use crate::{
    Actor, Event, EventBody, Meeting, ParticipantId, Recipients, Refusal, RoomId, Timestamp,
};

pub use check::AssignmentView;
pub(crate) use placement::Placement;
pub(crate) use rounds::Rotation;
pub use rounds::RotationView;
use units::{Unit, contradicts, units_of};

/// A placement: each person's room.
pub(crate) type Plan = Vec<(ParticipantId, RoomId)>;

impl Meeting {
    pub(crate) fn assign(
        &mut self,
        actor: Actor,
        who: ParticipantId,
        room: Option<RoomId>,
        now: Timestamp,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "assign people to rooms")?;
        self.person(who)?;
        let room = room.filter(|r| !r.is_main());
        if let Some(r) = room {
            self.require_room(r)?;
        }
        if matches!(self.phase, crate::Phase::Closing { .. }) {
            return Err(Refusal::Closing);
        }
        self.set_assignment(who, room, out);
        if self.is_running() {
            self.schedule_moves(vec![(who, room.unwrap_or(RoomId::MAIN))], now, out);
        }
        Ok(())
    }

    pub(crate) fn auto_assign(
        &mut self,
        actor: Actor,
        seed: u64,
        minimise_repeats: bool,
        now: Timestamp,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "assign people to rooms")?;
        if matches!(self.phase, crate::Phase::Closing { .. }) {
            return Err(Refusal::Closing);
        }
        self.place_everyone(seed, minimise_repeats, now, out)
    }

    pub(crate) fn shuffle(
        &mut self,
        actor: Actor,
        seed: u64,
        minimise_repeats: bool,
        now: Timestamp,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "shuffle rooms")?;
        self.require_running()?;
        self.place_everyone(seed, minimise_repeats, now, out)
    }

    /// Everyone who does not manage breakouts, placed anew: as a round of
    /// the rotation when repeats should be avoided, else just evenly.
    fn place_everyone(
        &mut self,
        seed: u64,
        minimise_repeats: bool,
        now: Timestamp,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        let placement = if minimise_repeats {
            self.rotation_round(seed)?
        } else {
            self.plan(self.eligible(), &BTreeMap::new(), seed)?
        };
        self.apply_placement(placement, now, out);
        Ok(())
    }

    /// Applies a placement and tells the managers what it had to relax.
    pub(crate) fn apply_placement(&mut self, placement: Placement, now: Timestamp, out: &mut Out) {
        self.notify_notes(placement.notes, out);
        self.apply_plan(placement.plan, now, out);
    }

    pub(crate) fn notify_notes(&self, notes: Vec<String>, out: &mut Out) {
        if !notes.is_empty() {
            out.push(Event {
                to: Recipients::Managers,
                body: EventBody::AssignmentNotes { notes },
            });
        }
    }

    pub(crate) fn keep_together(
        &mut self,
        actor: Actor,
        people: Vec<ParticipantId>,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "set assignment constraints")?;
        let group = self.constraint_group(people)?;
        // The new group merges with existing ones that share someone, so the
        // whole merged group must respect every keep-apart group.
        let together: Vec<&[ParticipantId]> = self
            .together
            .iter()
            .map(Vec::as_slice)
            .chain([group.as_slice()])
            .collect();
        if contradicts(&together, &self.apart) {
            return Err(Refusal::ConstraintConflict {
                reason: "some of these people must be kept apart".into(),
            });
        }
        self.together.push(group);
        self.rotation = None;
        self.note_large_groups(out);
        Ok(())
    }

    pub(crate) fn keep_apart(
        &mut self,
        actor: Actor,
        people: Vec<ParticipantId>,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "set assignment constraints")?;
        let group = self.constraint_group(people)?;
        let rooms = self.breakout_rooms().count();
        if group.len() > rooms {
            return Err(Refusal::ConstraintConflict {
                reason: format!(
                    "keeping {} people apart needs at least {} breakout rooms, and there are {rooms}",
                    group.len(),
                    group.len()
                ),
            });
        }
        let together: Vec<&[ParticipantId]> = self.together.iter().map(Vec::as_slice).collect();
        if contradicts(&together, std::slice::from_ref(&group)) {
            return Err(Refusal::ConstraintConflict {
                reason: "some of these people must be kept together".into(),
            });
        }
        self.apart.push(group);
        self.rotation = None;
        Ok(())
    }

    pub(crate) fn clear_constraints(&mut self, actor: Actor) -> Result<(), Refusal> {
        self.require_manager(actor, "set assignment constraints")?;
        self.together.clear();
        self.apart.clear();
        self.rotation = None;
        Ok(())
    }

    /// People placed automatically: everyone who does not manage breakouts.
    pub(crate) fn eligible(&self) -> Vec<ParticipantId> {
        self.participants
            .keys()
            .copied()
            .filter(|id| !self.managers.contains(id))
            .collect()
    }

    pub(crate) fn set_assignment(
        &mut self,
        who: ParticipantId,
        room: Option<RoomId>,
        out: &mut Out,
    ) {
        let Some(person) = self.participants.get_mut(&who) else {
            return;
        };
        if person.assigned == room {
            return;
        }
        person.assigned = room;
        out.push(Event {
            to: self.managers_and(who),
            body: EventBody::AssignmentChanged {
                participant: who,
                room,
            },
        });
    }

    /// Records the plan as assignments; while running, also moves people.
    pub(crate) fn apply_plan(&mut self, plan: Plan, now: Timestamp, out: &mut Out) {
        out.reserve(plan.len());
        for &(who, room) in &plan {
            self.set_assignment(who, Some(room), out);
        }
        if self.is_running() {
            self.record_meetings();
            // Someone already in their new room may still be on the way
            // elsewhere; scheduling the move to where they are cancels that.
            let moves = plan
                .into_iter()
                .filter(|(who, room)| {
                    let person = &self.participants[who];
                    person.room != *room || person.pending_move.is_some()
                })
                .collect();
            self.schedule_moves(moves, now, out);
        }
    }

    /// Remembers who shares a room in this round, for later rotations.
    pub(crate) fn record_meetings(&mut self) {
        // Room ids are small and dense, so a counting sort groups everyone
        // by assigned room in two passes, with no vector per room to grow.
        let rooms = self.next_room as usize;
        let room_of = |p: &crate::Participant| p.assigned.filter(|r| (r.0 as usize) < rooms);
        let mut starts = vec![0usize; rooms + 1];
        for room in self.participants.values().filter_map(room_of) {
            starts[room.0 as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut next = starts.clone();
        let mut people = vec![ParticipantId(0); *starts.last().unwrap_or(&0)];
        for p in self.participants.values() {
            if let Some(room) = room_of(p) {
                let slot = &mut next[room.0 as usize];
                people[*slot] = p.id;
                *slot += 1;
            }
        }
        let rooms: Vec<_> = starts.windows(2).map(|w| w[0]..w[1]).collect();
        self.met.reserve(rooms.iter().map(|r| pairs(r.len())).sum());
        for room in rooms {
            self.met.record(&people[room]);
        }
    }

    /// Tells the managers about keep-together groups larger than an even
    /// share of the rooms: the documented relaxation is that their room
    /// gets bigger than the others.
    fn note_large_groups(&self, out: &mut Out) {
        let rooms = self.breakout_rooms().count();
        if rooms == 0 {
            return;
        }
        let eligible = self.eligible();
        let share = eligible.len().div_ceil(rooms);
        let notes = self
            .units(&eligible)
            .iter()
            .filter(|u| u.len() > share)
            .map(|u| self.too_large_note(u.iter(), u.len(), share))
            .collect();
        self.notify_notes(notes, out);
    }

    /// Splits `people` into groups that must share a room (keep-together
    /// groups merged transitively); everyone else is a group of one.
    pub(crate) fn units(&self, people: &[ParticipantId]) -> Vec<Unit> {
        let together: Vec<&[ParticipantId]> = self.together.iter().map(Vec::as_slice).collect();
        units_of(people, &together)
    }

    fn constraint_group(&self, people: Vec<ParticipantId>) -> Result<Vec<ParticipantId>, Refusal> {
        let group: BTreeSet<ParticipantId> = people.into_iter().collect();
        if group.len() < 2 {
            return Err(Refusal::InvalidInput {
                reason: "a constraint needs at least two different people".into(),
            });
        }
        for p in &group {
            self.person(*p)?;
        }
        Ok(group.into_iter().collect())
    }
}
