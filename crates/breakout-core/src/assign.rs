//! Who goes to which room: manual assignment, balanced automatic assignment
//! with keep-together / keep-apart constraints, and rotation rounds that
//! avoid pairing people who already met.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use crate::meeting::Out;
use crate::met::pairs;
use crate::rng::SplitMix64;
use crate::{Actor, Event, EventBody, Meeting, ParticipantId, Refusal, RoomId, Timestamp};

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
        let plan = self.plan(self.eligible(), &BTreeMap::new(), seed, minimise_repeats)?;
        self.apply_plan(plan, now, out);
        Ok(())
    }

    pub(crate) fn shuffle(
        &mut self,
        actor: Actor,
        seed: u64,
        now: Timestamp,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "shuffle rooms")?;
        self.require_running()?;
        let plan = self.plan(self.eligible(), &BTreeMap::new(), seed, false)?;
        self.apply_plan(plan, now, out);
        Ok(())
    }

    pub(crate) fn keep_together(
        &mut self,
        actor: Actor,
        people: Vec<ParticipantId>,
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
        Ok(())
    }

    pub(crate) fn keep_apart(
        &mut self,
        actor: Actor,
        people: Vec<ParticipantId>,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "set assignment constraints")?;
        let group = self.constraint_group(people)?;
        let together: Vec<&[ParticipantId]> = self.together.iter().map(Vec::as_slice).collect();
        if contradicts(&together, std::slice::from_ref(&group)) {
            return Err(Refusal::ConstraintConflict {
                reason: "some of these people must be kept together".into(),
            });
        }
        self.apart.push(group);
        Ok(())
    }

    pub(crate) fn clear_constraints(&mut self, actor: Actor) -> Result<(), Refusal> {
        self.require_manager(actor, "set assignment constraints")?;
        self.together.clear();
        self.apart.clear();
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

    /// Places `people` over the breakout rooms, on top of `base` (people
    /// already placed per room), keeping sizes as even as the constraints
    /// allow. Refuses when a keep-apart group cannot be honoured.
    pub(crate) fn plan(
        &self,
        people: Vec<ParticipantId>,
        base: &BTreeMap<RoomId, Vec<ParticipantId>>,
        seed: u64,
        minimise_repeats: bool,
    ) -> Result<Plan, Refusal> {
        let rooms: Vec<RoomId> = self.breakout_rooms().map(|r| r.id).collect();
        if rooms.is_empty() {
            return Err(Refusal::NoRooms);
        }
        let mut rng = SplitMix64::new(seed);
        let mut units = self.units(&people);
        rng.shuffle(&mut units);
        // Larger groups first, so they still find room when sizes even out.
        units.sort_by_key(|u| Reverse(u.len()));

        let apart_of = self.apart_index();
        // Sized for an even share, so filling the rooms does not reallocate.
        let share = people.len() / rooms.len() + 2;
        let mut members: Vec<Vec<ParticipantId>> = rooms
            .iter()
            .map(|r| {
                let mut members = Vec::with_capacity(share);
                members.extend(base.get(r).into_iter().flatten().copied());
                members
            })
            .collect();
        // Random tie-break per room so equal rooms fill in random order.
        let tiebreak: Vec<u64> = rooms.iter().map(|_| rng.next_u64()).collect();
        let mut heap: BinaryHeap<Reverse<(usize, u64, usize)>> = (0..rooms.len())
            .map(|i| Reverse((members[i].len(), tiebreak[i], i)))
            .collect();

        let mut plan = Vec::with_capacity(people.len());
        for unit in units {
            let conflicts = |room: &[ParticipantId]| {
                unit.iter().any(|p| {
                    apart_of.get(&p).is_some_and(|groups| {
                        room.iter()
                            .any(|m| apart_of.get(m).is_some_and(|g| !g.is_disjoint(groups)))
                    })
                })
            };
            let mut skipped = Vec::new();
            let mut chosen = None;
            let mut best_cost = usize::MAX;
            let mut smallest = None;
            while let Some(Reverse((size, tb, i))) = heap.pop() {
                if smallest.is_some_and(|s| size > s) && chosen.is_some() {
                    heap.push(Reverse((size, tb, i)));
                    break;
                }
                if conflicts(&members[i]) {
                    skipped.push(Reverse((size, tb, i)));
                    continue;
                }
                smallest.get_or_insert(size);
                let cost = if minimise_repeats {
                    self.repeat_cost(&unit, &members[i])
                } else {
                    0
                };
                if cost < best_cost {
                    if let Some(previous) = chosen.replace(Reverse((size, tb, i))) {
                        skipped.push(previous);
                    }
                    best_cost = cost;
                } else {
                    skipped.push(Reverse((size, tb, i)));
                }
                if !minimise_repeats || best_cost == 0 {
                    break;
                }
            }
            heap.extend(skipped);
            let Some(Reverse((_, tb, i))) = chosen else {
                return Err(Refusal::ConstraintConflict {
                    reason: "not enough rooms to keep everyone apart as asked".into(),
                });
            };
            members[i].extend(unit.iter());
            plan.extend(unit.iter().map(|p| (p, rooms[i])));
            heap.push(Reverse((members[i].len(), tb, i)));
        }
        Ok(plan)
    }

    fn repeat_cost(&self, unit: &Unit, room: &[ParticipantId]) -> usize {
        unit.iter()
            .map(|a| room.iter().filter(|b| self.met.contains(a, **b)).count())
            .sum()
    }

    /// Splits `people` into groups that must share a room (keep-together
    /// groups merged transitively); everyone else is a group of one.
    pub(crate) fn units(&self, people: &[ParticipantId]) -> Vec<Unit> {
        let together: Vec<&[ParticipantId]> = self.together.iter().map(Vec::as_slice).collect();
        units_of(people, &together)
    }

    fn apart_index(&self) -> BTreeMap<ParticipantId, BTreeSet<usize>> {
        let mut index: BTreeMap<ParticipantId, BTreeSet<usize>> = BTreeMap::new();
        for (i, group) in self.apart.iter().enumerate() {
            for p in group {
                index.entry(*p).or_default().insert(i);
            }
        }
        index
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

/// People who must share a room. Nearly always one person, who is kept
/// inline: a shuffle of 1,000 then allocates nothing per person.
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    first: ParticipantId,
    rest: Vec<ParticipantId>,
}

impl Unit {
    fn one(person: ParticipantId) -> Self {
        Unit {
            first: person,
            rest: Vec::new(),
        }
    }

    /// `group` is never empty: it holds at least the person it was made for.
    fn group(mut group: Vec<ParticipantId>) -> Self {
        let first = group.remove(0);
        Unit { first, rest: group }
    }

    pub(crate) fn len(&self) -> usize {
        1 + self.rest.len()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = ParticipantId> + '_ {
        std::iter::once(self.first).chain(self.rest.iter().copied())
    }
}

/// Groups `people` by the keep-together groups, merged transitively, in
/// order of each group's smallest id. Only people named in some group take
/// part in the union-find; everyone else is a group of one, cheaply.
fn units_of(people: &[ParticipantId], together: &[&[ParticipantId]]) -> Vec<Unit> {
    let named: BTreeSet<ParticipantId> = together.iter().flat_map(|g| g.iter().copied()).collect();
    let wanted: BTreeSet<ParticipantId> = people
        .iter()
        .copied()
        .filter(|p| named.contains(p))
        .collect();
    let mut leader: BTreeMap<ParticipantId, ParticipantId> =
        wanted.iter().map(|p| (*p, *p)).collect();
    fn find(
        leader: &mut BTreeMap<ParticipantId, ParticipantId>,
        p: ParticipantId,
    ) -> ParticipantId {
        let parent = leader[&p];
        if parent == p {
            return p;
        }
        let root = find(leader, parent);
        leader.insert(p, root);
        root
    }
    for group in together {
        let inside: Vec<ParticipantId> = group
            .iter()
            .copied()
            .filter(|p| wanted.contains(p))
            .collect();
        for pair in inside.windows(2) {
            let (a, b) = (find(&mut leader, pair[0]), find(&mut leader, pair[1]));
            if a != b {
                leader.insert(a.max(b), a.min(b));
            }
        }
    }
    let mut groups: BTreeMap<ParticipantId, Vec<ParticipantId>> = BTreeMap::new();
    let mut units: Vec<(ParticipantId, Unit)> = Vec::with_capacity(people.len());
    for p in people {
        if wanted.contains(p) {
            groups.entry(find(&mut leader, *p)).or_default().push(*p);
        } else {
            units.push((*p, Unit::one(*p)));
        }
    }
    // A root is its group's smallest id.
    units.extend(
        groups
            .into_iter()
            .map(|(root, group)| (root, Unit::group(group))),
    );
    units.sort_unstable_by_key(|(root, _)| *root);
    units.into_iter().map(|(_, unit)| unit).collect()
}

/// Whether some keep-apart group has two people who must share a room.
fn contradicts(together: &[&[ParticipantId]], apart: &[Vec<ParticipantId>]) -> bool {
    let people: Vec<ParticipantId> = together
        .iter()
        .flat_map(|g| g.iter().copied())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut unit_of: BTreeMap<ParticipantId, usize> = BTreeMap::new();
    for (i, unit) in units_of(&people, together).iter().enumerate() {
        unit_of.extend(unit.iter().map(|p| (p, i)));
    }
    apart.iter().any(|group| {
        let mut units = BTreeSet::new();
        group
            .iter()
            .filter_map(|p| unit_of.get(p))
            .any(|unit| !units.insert(*unit))
    })
}
