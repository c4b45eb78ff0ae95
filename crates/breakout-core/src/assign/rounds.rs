//! Rotation plans: several rounds chosen up front so that people meet as
//! many new people as possible, handed out one round at a time by
//! `plan_rotation` (the first) and then by `auto_assign` or `shuffle` with
//! `minimise_repeats` (the next ones). When the people or rooms changed
//! since the plan was made, or it is used up, those plan one round on the
//! spot with the same search, against everyone's history.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::balance::Problem;
use super::placement::Placement;
use super::rotation::{self, Request};
use crate::meeting::Out;
use crate::rng::SplitMix64;
use crate::{
    Actor, Event, EventBody, Meeting, ParticipantId, Recipients, Refusal, RoomId, Timestamp,
};

/// A plan of rounds for the people and rooms of the moment it was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Rotation {
    people: Vec<ParticipantId>,
    rooms: Vec<RoomId>,
    /// Each person's room (in `people` order), round by round.
    rounds: Vec<Vec<RoomId>>,
    /// Rounds already handed out.
    next: usize,
    /// Pairs who meet more than once over the plan, history included.
    repeats: u32,
    notes: Vec<String>,
}

/// Where a rotation plan stands, for the host's dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RotationView {
    pub rounds: u32,
    /// The round the next `shuffle` or `auto_assign` with `minimise_repeats`
    /// hands out (1-based), if any is left and the plan still fits.
    pub next_round: Option<u32>,
    /// Pairs in that round who already shared a room.
    pub next_round_repeats: Option<u32>,
    /// Pairs who meet more than once over the whole plan, history included.
    pub planned_repeats: u32,
}

impl Meeting {
    pub const MAX_ROTATION_ROUNDS: u16 = 20;

    pub(crate) fn plan_rotation(
        &mut self,
        actor: Actor,
        rounds: u16,
        seed: u64,
        now: Timestamp,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "plan rotations")?;
        if matches!(self.phase, crate::Phase::Closing { .. }) {
            return Err(Refusal::Closing);
        }
        if !(1..=Self::MAX_ROTATION_ROUNDS).contains(&rounds) {
            return Err(Refusal::InvalidInput {
                reason: format!("a rotation has 1 to {} rounds", Self::MAX_ROTATION_ROUNDS),
            });
        }
        let rotation = self.make_rotation(rounds.into(), seed)?;
        out.push(Event {
            to: Recipients::Managers,
            body: EventBody::RotationPlanned {
                rounds: rounds.into(),
                repeats: rotation.repeats,
            },
        });
        self.rotation = Some(rotation);
        let first = self.next_planned_round().ok_or(Refusal::NoRooms)?;
        self.apply_placement(first, now, out);
        Ok(())
    }

    /// The next round of the rotation plan, or one planned now.
    pub(crate) fn rotation_round(&mut self, seed: u64) -> Result<Placement, Refusal> {
        if let Some(round) = self.next_planned_round() {
            return Ok(round);
        }
        let mut single = self.make_rotation(1, seed)?;
        single.next = 1;
        Ok(Placement {
            plan: single
                .people
                .iter()
                .copied()
                .zip(single.rounds.swap_remove(0))
                .collect(),
            notes: single.notes,
        })
    }

    fn next_planned_round(&mut self) -> Option<Placement> {
        let fits = self.rotation_fits();
        let rotation = self.rotation.as_mut().filter(|_| fits)?;
        let round = rotation.rounds.get(rotation.next)?;
        let plan = rotation
            .people
            .iter()
            .copied()
            .zip(round.iter().copied())
            .collect();
        rotation.next += 1;
        // Notes about the plan as a whole are told once, with its first round.
        let notes = if rotation.next == 1 {
            rotation.notes.clone()
        } else {
            Vec::new()
        };
        Some(Placement { plan, notes })
    }

    fn rotation_fits(&self) -> bool {
        self.rotation.as_ref().is_some_and(|r| {
            r.people == self.eligible()
                && r.rooms
                    .iter()
                    .copied()
                    .eq(self.breakout_rooms().map(|r| r.id))
        })
    }

    pub(crate) fn rotation_view(&self) -> Option<RotationView> {
        let rotation = self.rotation.as_ref()?;
        let next = rotation
            .rounds
            .get(rotation.next)
            .filter(|_| self.rotation_fits());
        Some(RotationView {
            rounds: rotation.rounds.len() as u32,
            next_round: next.map(|_| rotation.next as u32 + 1),
            next_round_repeats: next.map(|round| {
                self.repeats_in(rotation.people.iter().copied().zip(round.iter().copied()))
            }),
            planned_repeats: rotation.repeats,
        })
    }

    /// Pairs placed together by `placement` who already shared a room.
    pub(crate) fn repeats_in(
        &self,
        placement: impl Iterator<Item = (ParticipantId, RoomId)>,
    ) -> u32 {
        let mut by_room: BTreeMap<RoomId, Vec<ParticipantId>> = BTreeMap::new();
        for (p, r) in placement {
            by_room.entry(r).or_default().push(p);
        }
        let mut repeats = 0;
        for people in by_room.values() {
            for (i, a) in people.iter().enumerate() {
                repeats += people[i + 1..]
                    .iter()
                    .filter(|b| self.met.contains(*a, **b))
                    .count() as u32;
            }
        }
        repeats
    }

    fn make_rotation(&self, rounds: usize, seed: u64) -> Result<Rotation, Refusal> {
        let people = self.eligible();
        let rooms: Vec<RoomId> = self.breakout_rooms().map(|r| r.id).collect();
        if rooms.is_empty() {
            return Err(Refusal::NoRooms);
        }
        let index: BTreeMap<ParticipantId, usize> =
            people.iter().enumerate().map(|(i, p)| (*p, i)).collect();
        let units = self.units(&people);
        let apart = self.apart_groups();
        let groups: Vec<Vec<u32>> = people
            .iter()
            .map(|p| apart.get(p).cloned().unwrap_or_default())
            .collect();
        let mut groups_of = Vec::with_capacity(units.len());
        let mut notes = Vec::new();
        let share = people.len().div_ceil(rooms.len());
        for unit in &units {
            let mut unit_groups: Vec<u32> = unit
                .iter()
                .flat_map(|p| groups[index[&p]].iter().copied())
                .collect();
            let before = unit_groups.len();
            unit_groups.sort_unstable();
            unit_groups.dedup();
            if unit_groups.len() != before {
                return Err(Refusal::ConstraintConflict {
                    reason: format!(
                        "{} must be kept together and also apart",
                        self.names(unit.iter())
                    ),
                });
            }
            groups_of.push(unit_groups);
            if unit.len() > share {
                notes.push(self.too_large_note(unit.iter(), unit.len(), share));
            }
        }
        let history = self
            .met
            .iter()
            .filter_map(|(a, b)| Some((*index.get(&a)?, *index.get(&b)?)))
            .map(|(a, b)| (a.min(b), a.max(b)))
            .collect();
        let request = Request {
            balance: Problem {
                loads: vec![0; rooms.len()],
                present: vec![Vec::new(); rooms.len()],
                units: &units,
                groups_of,
                group_count: self.apart.len(),
            },
            members: units
                .iter()
                .map(|u| u.iter().map(|p| index[&p]).collect())
                .collect(),
            people: people.len(),
            groups,
            history,
        };
        let mut rng = SplitMix64::new(seed);
        let schedule = rotation::plan(&request, rounds, &mut rng).ok_or_else(|| {
            Refusal::ConstraintConflict {
                reason: "there are not enough rooms to keep everyone apart as asked".into(),
            }
        })?;
        Ok(Rotation {
            rounds: schedule
                .rounds
                .into_iter()
                .map(|round| round.into_iter().map(|r| rooms[r]).collect())
                .collect(),
            people,
            rooms,
            next: 0,
            repeats: schedule.repeats as u32,
            notes,
        })
    }
}
