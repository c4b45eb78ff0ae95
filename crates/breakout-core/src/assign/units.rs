//! Keep-together groups as units of placement, and the check that a set of
//! keep-together groups does not contradict the keep-apart groups.

use std::collections::{BTreeMap, BTreeSet};

use crate::ParticipantId;

/// People who must share a room. Nearly always one person, who is kept
/// inline: a shuffle of 1,000 then allocates nothing per person.
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    first: ParticipantId,
    rest: Vec<ParticipantId>,
}

impl Unit {
    pub(crate) fn one(person: ParticipantId) -> Self {
        Unit {
            first: person,
            rest: Vec::new(),
        }
    }

    /// `group` is never empty: it holds at least the person it was made for.
    pub(crate) fn group(mut group: Vec<ParticipantId>) -> Self {
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
pub(crate) fn units_of(people: &[ParticipantId], together: &[&[ParticipantId]]) -> Vec<Unit> {
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
pub(crate) fn contradicts(together: &[&[ParticipantId]], apart: &[Vec<ParticipantId>]) -> bool {
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
