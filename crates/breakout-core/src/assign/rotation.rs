//! Rotation rounds planned as a whole so that people meet as few of the same
//! people again as possible (the social golfer problem).
//!
//! Every round starts as an even placement that honours the keep-together
//! and keep-apart groups. When the meeting has the shape of an affine plane
//! (q² people in q rooms of q, q a prime or 4, no constraints) its parallel
//! classes give up to q + 1 rounds in which nobody meets anyone twice.
//! Then simulated annealing swaps two people of different rooms in one
//! round, mostly someone who meets an acquaintance again, taking every swap
//! that does not add repeats and a shrinking share of those that do. Swaps
//! keep room sizes and never break a group. All of it draws from the seeded
//! generator and counts work in swaps rather than time, so a plan replays
//! identically. (A tabu search weighing every swap of a round was tried: on
//! 100 people it cost forty times as much for a few percent fewer repeats.)

use super::balance::{self, Problem};
use crate::rng::SplitMix64;

/// Beyond this many people the pair table (people² bytes) is not built and
/// rounds are only balanced, not searched.
const MAX_SEARCHED: usize = 2_000;
/// Pair checks one plan may spend; tens of milliseconds when optimised.
const WORK: usize = 60_000_000;
/// The chance, in 65536ths, of taking a swap that adds one repeat, at first.
const ACCEPT_START: u64 = 6_000;

/// What to plan: everyone as units of person indices, and who met before.
pub(crate) struct Request<'a> {
    pub(crate) balance: Problem<'a>,
    /// Person indices (0..people) of each unit, in the units' order.
    pub(crate) members: Vec<Vec<usize>>,
    pub(crate) people: usize,
    /// Keep-apart groups of each person.
    pub(crate) groups: Vec<Vec<u32>>,
    /// Pairs of person indices who already shared a room.
    pub(crate) history: Vec<(usize, usize)>,
}

/// The room index of each person, round by round, and the number of pairs
/// who share a room more than once (history included, keep-together
/// partners excluded: they cannot help it).
pub(crate) struct Schedule {
    pub(crate) rounds: Vec<Vec<usize>>,
    pub(crate) repeats: usize,
}

pub(crate) fn plan(request: &Request, rounds: usize, rng: &mut SplitMix64) -> Option<Schedule> {
    let rooms = request.balance.loads.len();
    let mut schedule = affine(request, rounds, rng).unwrap_or_default();
    while schedule.len() < rounds {
        let placed = balance::place(&request.balance, rng)?;
        let mut round = vec![0; request.people];
        for (unit, room) in placed.into_iter().enumerate() {
            for &i in &request.members[unit] {
                round[i] = room;
            }
        }
        schedule.push(round);
    }
    let mut unit_of = vec![0; request.people];
    for (u, members) in request.members.iter().enumerate() {
        for &i in members {
            unit_of[i] = u;
        }
    }
    if request.people <= MAX_SEARCHED {
        let mut search = Search::new(request, &unit_of, schedule, rooms);
        search.run(rng);
        schedule = search.best;
    }
    let repeats = count_repeats(request, &unit_of, &schedule);
    Some(Schedule {
        rounds: schedule,
        repeats,
    })
}

fn count_repeats(request: &Request, unit_of: &[usize], schedule: &[Vec<usize>]) -> usize {
    let mut times: std::collections::HashMap<(usize, usize), u32> =
        request.history.iter().map(|&pair| (pair, 1)).collect();
    for round in schedule {
        let mut by_room: Vec<Vec<usize>> = Vec::new();
        for (i, &r) in round.iter().enumerate() {
            if by_room.len() <= r {
                by_room.resize(r + 1, Vec::new());
            }
            by_room[r].push(i);
        }
        for room in by_room {
            for (k, &a) in room.iter().enumerate() {
                for &b in &room[k + 1..] {
                    *times.entry((a.min(b), a.max(b))).or_default() += 1;
                }
            }
        }
    }
    times
        .into_iter()
        .filter(|&((a, b), n)| n > 1 && unit_of[a] != unit_of[b])
        .count()
}

/// Addition or multiplication in a field of order q: (a, b, q).
type FieldOp = fn(usize, usize, usize) -> usize;

/// Multiplication in GF(4) = {0, 1, a, a + 1} written 0..4; addition is xor.
const GF4_MUL: [[usize; 4]; 4] = [[0, 0, 0, 0], [0, 1, 2, 3], [0, 2, 3, 1], [0, 3, 1, 2]];

/// Up to q + 1 rounds from the lines of the affine plane of order q: every
/// two points lie on exactly one line, so nobody meets anyone twice.
fn affine(request: &Request, rounds: usize, rng: &mut SplitMix64) -> Option<Vec<Vec<usize>>> {
    let q = request.balance.loads.len();
    let plain = request.members.iter().all(|m| m.len() == 1)
        && request.groups.iter().all(Vec::is_empty)
        && request.balance.loads.iter().all(|&l| l == 0);
    let field = matches!(q, 2 | 3 | 4 | 5 | 7 | 11 | 13);
    if !plain || !field || request.people != q * q {
        return None;
    }
    let (add, mul): (FieldOp, FieldOp) = if q == 4 {
        (|a, b, _| a ^ b, |a, b, _| GF4_MUL[a][b])
    } else {
        (|a, b, q| (a + b) % q, |a, b, q| a * b % q)
    };
    let neg = |a: usize| if q == 4 { a } else { (q - a) % q };
    // Who stands on which point, and which room each line gets, vary with
    // the seed so that plans differ.
    let mut point: Vec<usize> = (0..q * q).collect();
    rng.shuffle(&mut point);
    let mut classes: Vec<Option<usize>> = std::iter::once(None).chain((0..q).map(Some)).collect();
    rng.shuffle(&mut classes);
    let plan = classes
        .into_iter()
        .take(rounds)
        .map(|slope| {
            let mut rooms: Vec<usize> = (0..q).collect();
            rng.shuffle(&mut rooms);
            (0..q * q)
                .map(|person| {
                    let (x, y) = (point[person] / q, point[person] % q);
                    let line = match slope {
                        None => x,
                        Some(m) => add(y, neg(mul(m, x, q)), q),
                    };
                    rooms[line]
                })
                .collect()
        })
        .collect();
    Some(plan)
}

struct Search<'a> {
    request: &'a Request<'a>,
    n: usize,
    /// Whether a person may be swapped: alone in their unit.
    single: Vec<bool>,
    room: Vec<Vec<usize>>,
    members: Vec<Vec<Vec<usize>>>,
    /// Times each pair shares a room, history included: a * n + b.
    together: Vec<u8>,
    /// Members of each keep-apart group per round and room.
    present: Vec<Vec<u16>>,
    cost: usize,
    best: Vec<Vec<usize>>,
    best_cost: usize,
}

impl<'a> Search<'a> {
    fn new(
        request: &'a Request<'a>,
        unit_of: &[usize],
        schedule: Vec<Vec<usize>>,
        rooms: usize,
    ) -> Self {
        let n = request.people;
        let groups = request.balance.group_count;
        let single = (0..n)
            .map(|i| request.members[unit_of[i]].len() == 1)
            .collect();
        let mut together = vec![0u8; n * n];
        for &(a, b) in &request.history {
            together[a * n + b] = 1;
            together[b * n + a] = 1;
        }
        let mut members = vec![vec![Vec::new(); rooms]; schedule.len()];
        let mut present = vec![vec![0u16; rooms * groups]; schedule.len()];
        for (w, round) in schedule.iter().enumerate() {
            for (i, &r) in round.iter().enumerate() {
                for &m in &members[w][r] {
                    let m: usize = m;
                    together[i * n + m] = together[i * n + m].saturating_add(1);
                    together[m * n + i] = together[m * n + i].saturating_add(1);
                }
                members[w][r].push(i);
                for &g in &request.groups[i] {
                    present[w][r * groups + g as usize] += 1;
                }
            }
        }
        let mut cost = 0;
        for a in 0..n {
            for b in a + 1..n {
                cost += usize::from(together[a * n + b] > 1);
            }
        }
        Search {
            request,
            n,
            single,
            best: schedule.clone(),
            room: schedule,
            members,
            together,
            present,
            best_cost: cost,
            cost,
        }
    }

    /// Simulated annealing over swaps. A worsening swap is taken with a
    /// chance that shrinks as the plan cools; the chance is integer fixed
    /// point so that a plan replays bit for bit on any machine.
    fn run(&mut self, rng: &mut SplitMix64) {
        let rounds = self.room.len();
        if rounds == 0 || self.n < 2 {
            return;
        }
        let size = self.n.div_ceil(self.members[0].len().max(1));
        // A move looks at a few people's rooms, then at four rooms.
        let per_move = 12 * size + 16;
        let moves = (WORK / per_move).clamp(10_000, 2_000_000);
        let floor = self.floor();
        let mut since_best = 0;
        for step in 0..moves {
            if self.best_cost <= floor || since_best > moves / 2 {
                return;
            }
            since_best += 1;
            let w = rng.below(rounds);
            // Mostly someone who meets an acquaintance again.
            let mut a = rng.below(self.n);
            for _ in 0..8 {
                if self.single[a] && self.repeats_of(w, a) {
                    break;
                }
                a = rng.below(self.n);
            }
            // Often someone elsewhere who meets an acquaintance again too.
            let mut b = rng.below(self.n);
            for _ in 0..2 {
                if self.room[w][a] != self.room[w][b] && self.repeats_of(w, b) {
                    break;
                }
                b = rng.below(self.n);
            }
            if self.room[w][a] == self.room[w][b] || !self.allowed(w, a, b) {
                continue;
            }
            let delta = self.delta(w, a, b);
            if delta > 0 {
                // One worse swap in ACCEPT_START/65536 at first, cooling
                // linearly to nearly none; each extra repeat squares it.
                let left = (moves - step) as u64;
                let chance = ACCEPT_START * left / moves as u64;
                let mut threshold = chance;
                for _ in 1..delta {
                    threshold = (threshold * chance) >> 16;
                }
                if rng.next_u64() & 0xFFFF >= threshold {
                    continue;
                }
            }
            self.swap(w, a, b);
            if self.cost < self.best_cost {
                self.best_cost = self.cost;
                self.best.clone_from(&self.room);
                since_best = 0;
            }
        }
    }

    /// Repeats no schedule avoids: someone who meets more people over the
    /// rounds than there are others meets some twice, and a pair meets at
    /// most once a round.
    fn floor(&self) -> usize {
        let most = self.room.len() + 1;
        let mut pairs = 0;
        for a in 0..self.n {
            let row = &self.together[a * self.n..(a + 1) * self.n];
            let meetings: usize = row.iter().map(|&t| usize::from(t)).sum();
            pairs += meetings.saturating_sub(self.n - 1).div_ceil(most - 1);
        }
        pairs.div_ceil(2)
    }

    fn repeats_of(&self, w: usize, a: usize) -> bool {
        let row = &self.together[a * self.n..(a + 1) * self.n];
        self.members[w][self.room[w][a]]
            .iter()
            .any(|&m| m != a && row[m] > 1)
    }

    /// The change in pairs who meet more than once if `a` and `b` trade rooms in round `w`.
    fn delta(&self, w: usize, a: usize, b: usize) -> isize {
        let n = self.n;
        let (ra, rb) = (self.room[w][a], self.room[w][b]);
        let mut delta = 0isize;
        for (mover, from, to) in [(a, ra, rb), (b, rb, ra)] {
            let row = &self.together[mover * n..(mover + 1) * n];
            for &m in &self.members[w][from] {
                if m != mover && row[m] == 2 {
                    delta -= 1;
                }
            }
            for &m in &self.members[w][to] {
                if m != a && m != b && row[m] == 1 {
                    delta += 1;
                }
            }
        }
        delta
    }

    /// Whether the swap keeps every keep-apart group apart.
    fn allowed(&self, w: usize, a: usize, b: usize) -> bool {
        if !self.single[a] || !self.single[b] {
            return false;
        }
        let groups = self.request.balance.group_count;
        let (ra, rb) = (self.room[w][a], self.room[w][b]);
        let fits = |mover: usize, other: usize, to: usize| {
            self.request.groups[mover].iter().all(|&g| {
                let there = self.present[w][to * groups + g as usize];
                let leaving = u16::from(self.request.groups[other].contains(&g));
                there - leaving == 0
            })
        };
        fits(a, b, rb) && fits(b, a, ra)
    }

    fn swap(&mut self, w: usize, a: usize, b: usize) {
        self.cost = (self.cost as isize + self.delta(w, a, b)) as usize;
        let n = self.n;
        let groups = self.request.balance.group_count;
        let (ra, rb) = (self.room[w][a], self.room[w][b]);
        for (mover, from, to) in [(a, ra, rb), (b, rb, ra)] {
            let other = if mover == a { b } else { a };
            for &m in &self.members[w][from] {
                if m != mover {
                    self.together[mover * n + m] -= 1;
                    self.together[m * n + mover] -= 1;
                }
            }
            for &m in &self.members[w][to] {
                if m != other {
                    self.together[mover * n + m] += 1;
                    self.together[m * n + mover] += 1;
                }
            }
            for &g in &self.request.groups[mover] {
                self.present[w][from * groups + g as usize] -= 1;
                self.present[w][to * groups + g as usize] += 1;
            }
        }
        let slot_a = self.members[w][ra].iter().position(|&m| m == a);
        let slot_b = self.members[w][rb].iter().position(|&m| m == b);
        if let (Some(sa), Some(sb)) = (slot_a, slot_b) {
            self.members[w][ra][sa] = b;
            self.members[w][rb][sb] = a;
        }
        self.room[w][a] = rb;
        self.room[w][b] = ra;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ParticipantId;
    use crate::assign::units::Unit;

    fn plain(people: usize, rooms: usize, rounds: usize, seed: u64) -> Schedule {
        let units: Vec<Unit> = (0..people)
            .map(|i| Unit::one(ParticipantId(i as u64)))
            .collect();
        let request = Request {
            balance: Problem {
                loads: vec![0; rooms],
                present: vec![Vec::new(); rooms],
                units: &units,
                groups_of: vec![Vec::new(); people],
                group_count: 0,
            },
            members: (0..people).map(|i| vec![i]).collect(),
            people,
            groups: vec![Vec::new(); people],
            history: Vec::new(),
        };
        plan(&request, rounds, &mut SplitMix64::new(seed)).expect("feasible")
    }

    #[test]
    fn affine_planes_give_rounds_without_repeats() {
        for q in [2, 3, 4, 5, 7] {
            let schedule = plain(q * q, q, q + 1, q as u64);
            assert_eq!(schedule.repeats, 0, "order {q}");
            for round in &schedule.rounds {
                for room in 0..q {
                    assert_eq!(round.iter().filter(|&&r| r == room).count(), q);
                }
            }
        }
    }
}
