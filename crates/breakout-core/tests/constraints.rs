//! Keep-together and keep-apart groups: the most even sizes they allow,
//! groups that follow a member placed by hand, impossible requests refused
//! or relaxed out loud, and the constraints in the host's view.

mod common;

use std::collections::BTreeSet;

use breakout_core::{AssignmentMethod, BreakoutConfig, Command, EventBody, ParticipantId, RoomId};
use common::*;
use proptest::prelude::*;

fn sizes(sim: &Sim) -> Vec<usize> {
    sim.rooms()
        .iter()
        .map(|r| {
            sim.m
                .participants()
                .filter(|p| p.assigned == Some(*r))
                .count()
        })
        .collect()
}

fn sorted_sizes(sim: &Sim) -> Vec<usize> {
    let mut sizes = sizes(sim);
    sizes.sort_unstable();
    sizes
}

fn notes(events: &[breakout_core::Event]) -> Vec<String> {
    bodies(events)
        .into_iter()
        .filter_map(|b| match b {
            EventBody::AssignmentNotes { notes } => Some(notes.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

/// 12 people in 3 rooms, p1-p3 together and p4, p5 apart.
fn workshop() -> Sim {
    let mut sim = Sim::with(12, 3, instant_config());
    sim.host(Command::KeepTogether {
        participants: vec![p(1), p(2), p(3)],
    });
    sim.host(Command::KeepApart {
        participants: vec![p(4), p(5)],
    });
    sim
}

#[test]
fn a_group_and_a_pair_still_give_four_four_four() {
    for seed in 1..=200 {
        let mut sim = workshop();
        sim.host(Command::AutoAssign {
            seed,
            minimise_repeats: false,
        });
        assert_eq!(sizes(&sim), [4, 4, 4], "auto_assign seed {seed}");
    }
    let mut sim = workshop();
    sim.host(Command::AutoAssign {
        seed: 0,
        minimise_repeats: false,
    });
    sim.host(Command::Start);
    for seed in 1..=20 {
        sim.host(Command::Shuffle {
            seed,
            minimise_repeats: seed % 2 == 0,
        });
        assert_eq!(sizes(&sim), [4, 4, 4], "shuffle seed {seed}");
    }
}

#[test]
fn a_group_follows_its_member_placed_by_hand() {
    for start in 0..20 {
        let mut sim = Sim::with(
            9,
            3,
            BreakoutConfig {
                assignment: AssignmentMethod::Auto,
                ..instant_config()
            },
        );
        sim.host(Command::KeepTogether {
            participants: vec![p(1), p(2), p(3)],
        });
        let room = sim.room(1);
        sim.assign(p(2), room);
        sim.advance(start);
        let events = sim.host(Command::Start);
        for i in [1, 2, 3] {
            assert_eq!(sim.m.participant(p(i)).unwrap().assigned, Some(room));
        }
        assert_eq!(sizes(&sim), [3, 3, 3]);
        assert!(notes(&events).is_empty(), "{:?}", notes(&events));
    }
}

#[test]
fn a_group_split_by_hand_is_reported_at_start() {
    let mut sim = Sim::with(
        6,
        2,
        BreakoutConfig {
            assignment: AssignmentMethod::Auto,
            ..instant_config()
        },
    );
    sim.host(Command::KeepTogether {
        participants: vec![p(1), p(2), p(3)],
    });
    sim.assign(p(1), sim.room(0));
    sim.assign(p(2), sim.room(1));
    let events = sim.host(Command::Start);
    let notes = notes(&events);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("placed by hand in different rooms")),
        "{notes:?}"
    );
    assert_eq!(
        sim.m.participant(p(3)).unwrap().assigned,
        Some(sim.room(0)),
        "the others follow the first placed member"
    );
}

#[test]
fn a_group_larger_than_an_even_share_is_relaxed_out_loud() {
    let mut sim = Sim::with(12, 3, instant_config());
    let events = sim.host(Command::KeepTogether {
        participants: (1..=5).map(p).collect(),
    });
    let told = notes(&events);
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].contains("5 people, more than an even share of 4"),
        "{told:?}"
    );
    let events = sim.host(Command::AutoAssign {
        seed: 3,
        minimise_repeats: false,
    });
    assert_eq!(sorted_sizes(&sim), [3, 4, 5]);
    assert_eq!(notes(&events).len(), 1);
}

#[test]
fn keep_apart_is_refused_when_there_are_too_few_rooms() {
    let mut sim = Sim::with(12, 3, instant_config());
    let refusal = sim.refuse(
        who(HOST),
        Command::KeepApart {
            participants: (1..=4).map(p).collect(),
        },
    );
    assert_eq!(refusal.code(), "constraint_conflict");
    assert!(
        refusal
            .to_string()
            .contains("needs at least 4 breakout rooms, and there are 3")
    );
}

#[test]
fn start_warns_about_manual_assignments_that_break_constraints() {
    let mut sim = Sim::with(8, 4, instant_config());
    sim.host(Command::KeepApart {
        participants: (1..=4).map(p).collect(),
    });
    let room = sim.room(0);
    for i in 1..=4 {
        sim.assign(p(i), room);
    }
    let view = sim.m.view_for(HOST, sim.now).unwrap();
    let assignment = view.assignment.expect("the host sees the constraints");
    assert_eq!(
        assignment.violations.len(),
        1,
        "{:?}",
        assignment.violations
    );
    assert!(assignment.violations[0].contains("must be kept apart but are all assigned to Room 1"));
    let events = sim.host(Command::Start);
    let told = sent(&sim.m, &events, |b| {
        matches!(b, EventBody::AssignmentNotes { .. })
    });
    assert_eq!(told.len(), 1);
    assert_eq!(
        told[0].0,
        BTreeSet::from([HOST]),
        "only managers hear of it"
    );
}

#[test]
fn constraints_are_in_the_hosts_view_only() {
    let mut sim = workshop();
    let view = sim.m.view_for(HOST, sim.now).unwrap();
    let assignment = view.assignment.expect("the host sees the constraints");
    assert_eq!(assignment.keep_together, vec![vec![p(1), p(2), p(3)]]);
    assert_eq!(assignment.keep_apart, vec![vec![p(4), p(5)]]);
    assert!(assignment.violations.is_empty());
    assert!(sim.m.view_for(p(1), sim.now).unwrap().assignment.is_none());
    sim.host(Command::ClearConstraints);
    let view = sim.m.view_for(HOST, sim.now).unwrap();
    assert!(view.assignment.unwrap().keep_apart.is_empty());
}

/// The smallest sum of squared room sizes over every placement of `people`
/// people in `rooms` rooms that honours the groups (people are 0-based).
fn most_even(people: usize, rooms: usize, together: &[Vec<usize>], apart: &[Vec<usize>]) -> u64 {
    let mut best = u64::MAX;
    let mut room = vec![0; people];
    loop {
        let ok = together
            .iter()
            .all(|g| g.iter().all(|&a| room[a] == room[g[0]]))
            && apart.iter().all(|g| {
                let rooms: BTreeSet<usize> = g.iter().map(|&a| room[a]).collect();
                rooms.len() == g.len()
            });
        if ok {
            let mut sizes = vec![0u64; rooms];
            for &r in &room {
                sizes[r] += 1;
            }
            best = best.min(sizes.iter().map(|s| s * s).sum());
        }
        // Next placement, counting in base `rooms`.
        let mut i = 0;
        while i < people && room[i] + 1 == rooms {
            room[i] = 0;
            i += 1;
        }
        if i == people {
            return best;
        }
        room[i] += 1;
    }
}

fn group(people: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::btree_set(0..people, 2..=3).prop_map(|g| g.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever groups the host manages to set, automatic assignment gives
    /// the most even sizes an exhaustive search finds.
    #[test]
    fn sizes_are_the_most_even_the_constraints_allow(
        people in 3usize..=8,
        rooms in 2u16..=3,
        together in prop::collection::vec(group(8), 0..=2),
        apart in prop::collection::vec(group(8), 0..=2),
        seed in any::<u64>(),
    ) {
        let mut sim = Sim::with(people as u64, rooms, instant_config());
        let id = |i: usize| p(i as u64 + 1);
        let mut kept_together = Vec::new();
        let mut kept_apart = Vec::new();
        for g in together.iter().filter(|g| g.iter().all(|&i| i < people)) {
            let command = Command::KeepTogether { participants: g.iter().map(|&i| id(i)).collect() };
            if sim.try_cmd(who(HOST), command).is_ok() {
                kept_together.push(g.clone());
            }
        }
        for g in apart.iter().filter(|g| g.iter().all(|&i| i < people)) {
            let command = Command::KeepApart { participants: g.iter().map(|&i| id(i)).collect() };
            if sim.try_cmd(who(HOST), command).is_ok() {
                kept_apart.push(g.clone());
            }
        }
        let best = most_even(people, rooms as usize, &kept_together, &kept_apart);
        let result = sim.try_cmd(who(HOST), Command::AutoAssign { seed, minimise_repeats: false });
        if best == u64::MAX {
            prop_assert!(result.is_err(), "no placement exists, yet one was made");
            return Ok(());
        }
        prop_assert!(result.is_ok(), "refused although a placement exists: {:?}", result.err());
        let placed: Vec<Option<RoomId>> =
            (0..people).map(|i| sim.m.participant(id(i)).unwrap().assigned).collect();
        for g in &kept_together {
            prop_assert!(g.iter().all(|&i| placed[i] == placed[g[0]]), "together {g:?}: {placed:?}");
        }
        for g in &kept_apart {
            let rooms: BTreeSet<Option<RoomId>> = g.iter().map(|&i| placed[i]).collect();
            prop_assert_eq!(rooms.len(), g.len(), "apart {:?}: {:?}", g, placed);
        }
        let cost: u64 = sizes(&sim).iter().map(|&s| (s * s) as u64).sum();
        prop_assert_eq!(cost, best, "sizes {:?}", sizes(&sim));
    }
}

#[test]
fn unknown_people_stay_out_of_the_constraints() {
    let mut sim = Sim::with(4, 2, instant_config());
    let refusal = sim.refuse(
        who(HOST),
        Command::KeepTogether {
            participants: vec![p(1), ParticipantId(999)],
        },
    );
    assert_eq!(refusal.code(), "unknown_participant");
}
