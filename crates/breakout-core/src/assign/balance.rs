//! Room sizes as even as keep-together and keep-apart groups allow.
//!
//! "As even as possible" has a precise meaning here: the sum of the squared
//! room sizes is the smallest that any placement honouring every group
//! reaches (for a fixed number of people that is the smallest variance, and
//! 4/4/4 beats 3/4/5). People in no group can go anywhere, so once the
//! constrained units are placed, adding each free person to a smallest room
//! is optimal; only the constrained units need a search. A branch and bound
//! places them largest first, emptiest room first, so its first leaf is the
//! greedy placement; its bound pours everyone still to place into the
//! emptiest rooms as if people could be split. The search ends at the first
//! placement that meets the bound of the root, or at a work budget, keeping
//! the best placement found.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::units::Unit;
use crate::rng::SplitMix64;

/// Search nodes times rooms for one placement: enough to prove the optimum
/// for the groups a host sets by hand, bounded for thousands of them.
const BUDGET: usize = 2_000_000;

/// Units to place over rooms that may already hold people.
pub(crate) struct Problem<'a> {
    /// People already in each room.
    pub(crate) loads: Vec<usize>,
    /// Keep-apart groups already represented in each room.
    pub(crate) present: Vec<Vec<u32>>,
    pub(crate) units: &'a [Unit],
    /// Keep-apart groups of each unit's members.
    pub(crate) groups_of: Vec<Vec<u32>>,
    pub(crate) group_count: usize,
}

/// The sum of squared sizes when `extra` people join rooms of `loads`
/// one by one, each into a smallest room (the best any placement can do).
pub(crate) fn waterfill(loads: &[usize], extra: usize) -> u64 {
    let mut sorted = loads.to_vec();
    sorted.sort_unstable();
    let Some(&first) = sorted.first() else {
        return 0;
    };
    let (mut raised, mut sum) = (1, first);
    while raised < sorted.len() && sorted[raised] * raised - sum <= extra {
        sum += sorted[raised];
        raised += 1;
    }
    let total = sum + extra;
    let (level, above) = ((total / raised) as u64, (total % raised) as u64);
    let below = raised as u64 - above;
    let rest: u64 = sorted[raised..].iter().map(|&x| (x * x) as u64).sum();
    below * level * level + above * (level + 1) * (level + 1) + rest
}

/// A room index for each unit with the most even sizes found, or `None`
/// when no placement keeps every keep-apart group apart.
pub(crate) fn place(problem: &Problem, rng: &mut SplitMix64) -> Option<Vec<usize>> {
    let rooms = problem.loads.len();
    let rank: Vec<u64> = (0..rooms).map(|_| rng.next_u64()).collect();
    let mut order: Vec<usize> = (0..problem.units.len()).collect();
    rng.shuffle(&mut order);
    let (mut constrained, free): (Vec<usize>, Vec<usize>) = order
        .into_iter()
        .partition(|&u| problem.units[u].len() > 1 || !problem.groups_of[u].is_empty());
    // Units in keep-apart groups are the hardest to fit, then the largest.
    constrained.sort_by_key(|&u| {
        (
            Reverse(problem.groups_of[u].len()),
            Reverse(problem.units[u].len()),
        )
    });
    let people: usize = problem.units.iter().map(Unit::len).sum();
    let mut present = vec![0u16; rooms * problem.group_count];
    for (r, groups) in problem.present.iter().enumerate() {
        for &g in groups {
            present[r * problem.group_count + g as usize] += 1;
        }
    }
    let mut search = Search {
        problem,
        order: &constrained,
        rank: &rank,
        loads: problem.loads.clone(),
        present,
        remaining: people,
        chosen: Vec::with_capacity(constrained.len()),
        best: None,
        floor: waterfill(&problem.loads, people),
        nodes: 0,
        budget: BUDGET / rooms.max(1),
    };
    search.descend(0);
    let (_, best) = search.best?;

    let mut room_of = vec![0; problem.units.len()];
    let mut loads = problem.loads.clone();
    for (&u, &r) in constrained.iter().zip(&best) {
        room_of[u] = r;
        loads[r] += problem.units[u].len();
    }
    let mut heap: BinaryHeap<Reverse<(usize, u64, usize)>> = (0..rooms)
        .map(|r| Reverse((loads[r], rank[r], r)))
        .collect();
    for u in free {
        let Reverse((load, tie, r)) = heap.pop()?;
        room_of[u] = r;
        heap.push(Reverse((load + 1, tie, r)));
    }
    Some(room_of)
}

struct Search<'a> {
    problem: &'a Problem<'a>,
    order: &'a [usize],
    rank: &'a [u64],
    loads: Vec<usize>,
    /// How many members of keep-apart group g are in room r, at r * groups + g.
    present: Vec<u16>,
    /// People not yet placed, free ones included.
    remaining: usize,
    chosen: Vec<usize>,
    best: Option<(u64, Vec<usize>)>,
    floor: u64,
    nodes: usize,
    budget: usize,
}

impl Search<'_> {
    /// Returns true when the search should stop.
    fn descend(&mut self, depth: usize) -> bool {
        self.nodes += 1;
        if depth == self.order.len() {
            let cost = waterfill(&self.loads, self.remaining);
            if self.best.as_ref().is_none_or(|(b, _)| cost < *b) {
                self.best = Some((cost, self.chosen.clone()));
            }
            return cost == self.floor;
        }
        // Past the budget the best so far stands; a search that found
        // nothing yet goes on a while longer before declaring it impossible.
        if self.nodes > self.budget && (self.best.is_some() || self.nodes > 10 * self.budget) {
            return true;
        }
        let unit = self.order[depth];
        let size = self.problem.units[unit].len();
        let mut candidates: Vec<usize> = (0..self.loads.len())
            .filter(|&r| self.fits(unit, r))
            .collect();
        candidates.sort_by_key(|&r| (self.loads[r], self.rank[r]));
        // Empty rooms are interchangeable: trying one is enough.
        let mut tried_empty = false;
        for r in candidates {
            if self.loads[r] == 0 {
                if tried_empty {
                    continue;
                }
                tried_empty = true;
            }
            self.put(unit, r, true);
            self.remaining -= size;
            let bound = waterfill(&self.loads, self.remaining);
            let promising = self.best.as_ref().is_none_or(|(b, _)| bound < *b);
            let mut stop = false;
            if promising {
                self.chosen.push(r);
                stop = self.descend(depth + 1);
                self.chosen.pop();
            }
            self.remaining += size;
            self.put(unit, r, false);
            if stop {
                return true;
            }
        }
        false
    }

    fn fits(&self, unit: usize, room: usize) -> bool {
        let base = room * self.problem.group_count;
        self.problem.groups_of[unit]
            .iter()
            .all(|&g| self.present[base + g as usize] == 0)
    }

    fn put(&mut self, unit: usize, room: usize, add: bool) {
        let size = self.problem.units[unit].len();
        let base = room * self.problem.group_count;
        for &g in &self.problem.groups_of[unit] {
            let slot = &mut self.present[base + g as usize];
            *slot = if add { *slot + 1 } else { *slot - 1 };
        }
        if add {
            self.loads[room] += size;
        } else {
            self.loads[room] -= size;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::waterfill;

    #[test]
    fn waterfill_raises_the_emptiest_rooms_first() {
        assert_eq!(waterfill(&[0, 0, 0], 12), 48);
        assert_eq!(waterfill(&[5, 0, 0], 7), 25 + 16 + 9);
        assert_eq!(waterfill(&[12, 0, 0], 0), 144);
        assert_eq!(waterfill(&[3, 1], 1), 9 + 4);
        assert_eq!(waterfill(&[3, 1], 4), 16 + 16);
    }
}
