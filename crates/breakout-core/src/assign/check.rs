//! The constraints as the host sees them, and the sentences that say which
//! of them today's assignments break.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::rounds::RotationView;
use crate::{AssignmentMethod, Meeting, ParticipantId, RoomId};

/// Assignment constraints and their state; only for those who manage breakouts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AssignmentView {
    /// Keep-together groups as set (overlapping groups act as one).
    pub keep_together: Vec<Vec<ParticipantId>>,
    pub keep_apart: Vec<Vec<ParticipantId>>,
    /// One sentence per constraint the current assignments break.
    pub violations: Vec<String>,
    /// Pairs assigned to the same room who already shared one.
    pub repeats: u32,
    pub rotation: Option<RotationView>,
}

impl Meeting {
    pub(crate) fn assignment_view(&self) -> AssignmentView {
        AssignmentView {
            keep_together: self.together.clone(),
            keep_apart: self.apart.clone(),
            violations: self.violations(),
            repeats: self.repeats_in(
                self.participants
                    .values()
                    .filter_map(|p| p.assigned.map(|r| (p.id, r))),
            ),
            rotation: self.rotation_view(),
        }
    }

    /// Constraints the current assignments break, in words.
    pub(crate) fn violations(&self) -> Vec<String> {
        let mut found = Vec::new();
        let assigned = |p: &ParticipantId| self.participants.get(p).and_then(|p| p.assigned);
        let named: Vec<ParticipantId> = self
            .together
            .iter()
            .flatten()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        // At start the automatic method brings the unassigned to their group.
        let followed = self.config.assignment == AssignmentMethod::Auto;
        for unit in self.units(&named).iter().filter(|u| u.len() > 1) {
            let rooms: BTreeSet<Option<RoomId>> = unit.iter().map(|p| assigned(&p)).collect();
            let placed: BTreeSet<RoomId> = rooms.iter().flatten().copied().collect();
            let split = placed.len() > 1 || (!followed && placed.len() == 1 && rooms.len() > 1);
            if split {
                let titles: Vec<String> = rooms
                    .iter()
                    .map(|r| r.map_or_else(|| "no room".into(), |r| self.title_of(r)))
                    .collect();
                found.push(format!(
                    "{} must be kept together but are assigned to {}",
                    self.names(unit.iter()),
                    titles.join(" and ")
                ));
            }
        }
        let rooms = self.breakout_rooms().count();
        for group in &self.apart {
            if group.len() > rooms {
                found.push(format!(
                    "the keep-apart group {} needs {} rooms, and there are {rooms}",
                    self.names(group.iter().copied()),
                    group.len()
                ));
            }
            let mut by_room: BTreeMap<RoomId, Vec<ParticipantId>> = BTreeMap::new();
            for p in group {
                if let Some(r) = assigned(p) {
                    by_room.entry(r).or_default().push(*p);
                }
            }
            for (room, people) in by_room.into_iter().filter(|(_, p)| p.len() > 1) {
                found.push(format!(
                    "{} must be kept apart but are all assigned to {}",
                    self.names(people.into_iter()),
                    self.title_of(room)
                ));
            }
        }
        found
    }
}
