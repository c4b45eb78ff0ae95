//! One placement of people over the breakout rooms, around those already
//! placed by hand, as even as the keep-together and keep-apart groups allow.
//!
//! Relaxations, each reported to the host in an `AssignmentNotes` event:
//! - a keep-together group larger than an even share of the room makes its
//!   room larger than the others (the rest stay as even as possible);
//! - the rest of a keep-together group follows a member placed by hand; if
//!   members were placed by hand in different rooms, it follows the first,
//!   and if someone in that room must be kept apart from them, they are
//!   placed like everyone else.

use std::collections::{BTreeMap, BTreeSet};

use super::Plan;
use super::balance::{self, Problem};
use super::units::Unit;
use crate::rng::SplitMix64;
use crate::{Meeting, ParticipantId, Refusal, RoomId};

/// A placement and what the host should know about it.
#[derive(Debug, Default)]
pub(crate) struct Placement {
    pub(crate) plan: Plan,
    pub(crate) notes: Vec<String>,
}

impl Meeting {
    /// Places `people` over the breakout rooms, on top of `base` (people
    /// already placed per room). Refuses when a keep-apart group cannot be
    /// honoured.
    pub(crate) fn plan(
        &self,
        people: Vec<ParticipantId>,
        base: &BTreeMap<RoomId, Vec<ParticipantId>>,
        seed: u64,
    ) -> Result<Placement, Refusal> {
        let rooms: Vec<RoomId> = self.breakout_rooms().map(|r| r.id).collect();
        if rooms.is_empty() {
            return Err(Refusal::NoRooms);
        }
        let index: BTreeMap<RoomId, usize> =
            rooms.iter().enumerate().map(|(i, r)| (*r, i)).collect();
        let apart = self.apart_groups();
        let groups_of = |p: &ParticipantId| apart.get(p).map_or(&[][..], Vec::as_slice);
        let mut loads = vec![0; rooms.len()];
        let mut present: Vec<Vec<u32>> = vec![Vec::new(); rooms.len()];
        let mut placed_in: BTreeMap<ParticipantId, usize> = BTreeMap::new();
        for (room, members) in base {
            let Some(&r) = index.get(room) else { continue };
            for p in members {
                loads[r] += 1;
                present[r].extend(groups_of(p));
                placed_in.insert(*p, r);
            }
        }
        let wanted: BTreeSet<ParticipantId> = people.iter().copied().collect();
        let everyone: Vec<ParticipantId> = wanted
            .iter()
            .chain(placed_in.keys())
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut placement = Placement::default();
        let mut free_units = Vec::new();
        for unit in self.units(&everyone) {
            let rest: Vec<ParticipantId> = unit
                .iter()
                .filter(|p| wanted.contains(p) && !placed_in.contains_key(p))
                .collect();
            if rest.is_empty() {
                continue;
            }
            let by_hand: BTreeSet<usize> = unit
                .iter()
                .filter_map(|p| placed_in.get(&p).copied())
                .collect();
            let Some(&target) = unit.iter().find_map(|p| placed_in.get(&p)) else {
                free_units.push(unit);
                continue;
            };
            let group = self.names(unit.iter());
            if by_hand.len() > 1 {
                let titles: Vec<String> =
                    by_hand.iter().map(|&r| self.title_of(rooms[r])).collect();
                placement.notes.push(format!(
                    "the keep-together group {group} was placed by hand in different rooms ({}); the others join {}",
                    titles.join(", "),
                    self.title_of(rooms[target])
                ));
            }
            let blocked = rest
                .iter()
                .flat_map(groups_of)
                .any(|g| present[target].contains(g));
            if blocked {
                placement.notes.push(format!(
                    "the keep-together group {group} cannot all join {}: someone there must be kept apart from them",
                    self.title_of(rooms[target])
                ));
                free_units.push(Unit::group(rest));
                continue;
            }
            loads[target] += rest.len();
            present[target].extend(rest.iter().flat_map(groups_of));
            placement
                .plan
                .extend(rest.into_iter().map(|p| (p, rooms[target])));
        }

        let mut unit_groups = Vec::with_capacity(free_units.len());
        for unit in &free_units {
            let mut groups: Vec<u32> = unit
                .iter()
                .flat_map(|p| groups_of(&p).iter().copied())
                .collect();
            groups.sort_unstable();
            let before = groups.len();
            groups.dedup();
            if groups.len() != before {
                return Err(Refusal::ConstraintConflict {
                    reason: format!(
                        "{} must be kept together and also apart",
                        self.names(unit.iter())
                    ),
                });
            }
            unit_groups.push(groups);
        }
        let problem = Problem {
            loads,
            present,
            units: &free_units,
            groups_of: unit_groups,
            group_count: self.apart.len(),
        };
        let share = (everyone.len()).div_ceil(rooms.len());
        for unit in free_units.iter().filter(|u| u.len() > share) {
            placement
                .notes
                .push(self.too_large_note(unit.iter(), unit.len(), share));
        }
        let mut rng = SplitMix64::new(seed);
        let Some(room_of) = balance::place(&problem, &mut rng) else {
            return Err(Refusal::ConstraintConflict {
                reason: "there are not enough rooms to keep everyone apart as asked".into(),
            });
        };
        for (unit, r) in free_units.iter().zip(room_of) {
            placement.plan.extend(unit.iter().map(|p| (p, rooms[r])));
        }
        Ok(placement)
    }

    pub(crate) fn too_large_note(
        &self,
        group: impl Iterator<Item = ParticipantId>,
        size: usize,
        share: usize,
    ) -> String {
        format!(
            "the keep-together group {} has {size} people, more than an even share of {share} per room: its room gets {size} and the others stay as even as possible",
            self.names(group)
        )
    }

    /// The keep-apart groups (indices into `apart`) of everyone in one.
    pub(crate) fn apart_groups(&self) -> BTreeMap<ParticipantId, Vec<u32>> {
        let mut index: BTreeMap<ParticipantId, Vec<u32>> = BTreeMap::new();
        for (i, group) in self.apart.iter().enumerate() {
            for p in group {
                index.entry(*p).or_default().push(i as u32);
            }
        }
        index
    }

    /// "Ann, Bob and Cy", for sentences to the host.
    pub(crate) fn names(&self, people: impl Iterator<Item = ParticipantId>) -> String {
        let names: Vec<String> = people
            .map(|p| {
                self.participants
                    .get(&p)
                    .map_or_else(|| p.to_string(), |p| p.name.clone())
            })
            .collect();
        match names.split_last() {
            None => String::new(),
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        }
    }

    pub(crate) fn title_of(&self, room: RoomId) -> String {
        self.rooms
            .get(&room)
            .map_or_else(|| room.to_string(), |r| r.title.clone())
    }
}
