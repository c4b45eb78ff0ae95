//! Rotations planned as a whole: no repeat pairings where a schedule
//! without them exists, never worse than choosing round by round, within
//! the constraints, the same for the same seed.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use breakout_core::{Command, EventBody, ParticipantId, RoomId};
use common::*;
use proptest::prelude::*;

/// Each breakout room's assigned people.
fn groups(sim: &Sim) -> Vec<Vec<ParticipantId>> {
    let mut by_room: BTreeMap<RoomId, Vec<ParticipantId>> = BTreeMap::new();
    for p in sim.m.participants() {
        if let Some(r) = p.assigned {
            by_room.entry(r).or_default().push(p.id);
        }
    }
    by_room.into_values().collect()
}

/// Pairs who share a room in more than one of `rounds`.
fn repeated_pairs(rounds: &[Vec<Vec<ParticipantId>>]) -> usize {
    let mut times: BTreeMap<(ParticipantId, ParticipantId), usize> = BTreeMap::new();
    for round in rounds {
        for room in round {
            for (i, a) in room.iter().enumerate() {
                for b in &room[i + 1..] {
                    *times.entry((*a.min(b), *a.max(b))).or_default() += 1;
                }
            }
        }
    }
    times.values().filter(|n| **n > 1).count()
}

/// The rounds of a rotation planned with `seed`, handed out while idle.
fn planned(people: u64, rooms: u16, rounds: u16, seed: u64) -> (Sim, Vec<Vec<Vec<ParticipantId>>>) {
    let mut sim = Sim::with(people, rooms, instant_config());
    sim.host(Command::PlanRotation { rounds, seed });
    let mut seen = vec![groups(&sim)];
    for round in 1..rounds {
        sim.host(Command::AutoAssign {
            seed: seed + u64::from(round),
            minimise_repeats: true,
        });
        seen.push(groups(&sim));
    }
    (sim, seen)
}

#[test]
fn sixteen_in_four_rooms_meet_nobody_twice_in_five_rounds() {
    for seed in 0..5 {
        let mut sim = Sim::with(16, 4, instant_config());
        let events = sim.host(Command::PlanRotation { rounds: 5, seed });
        assert!(bodies(&events).contains(&&EventBody::RotationPlanned {
            rounds: 5,
            repeats: 0
        }));
        sim.host(Command::Start);
        let mut rounds = vec![groups(&sim)];
        for round in 1..5 {
            let view = sim.m.view_for(HOST, sim.now).unwrap();
            let rotation = view.assignment.unwrap().rotation.unwrap();
            assert_eq!(rotation.next_round, Some(round + 1));
            assert_eq!(rotation.next_round_repeats, Some(0));
            sim.host(Command::Shuffle {
                seed: 1000 + seed,
                minimise_repeats: true,
            });
            rounds.push(groups(&sim));
        }
        assert!(rounds.iter().all(|r| r.iter().all(|room| room.len() == 4)));
        assert_eq!(repeated_pairs(&rounds), 0, "seed {seed}: {rounds:?}");
    }
}

#[test]
fn thirty_in_six_rooms_of_five_over_five_rounds_meet_almost_nobody_twice() {
    let (_, rounds) = planned(30, 6, 5, 7);
    assert!(rounds.iter().all(|r| r.iter().all(|room| room.len() == 5)));
    let repeats = repeated_pairs(&rounds);
    assert!(repeats <= 3, "{repeats} pairs meet twice: {rounds:?}");
}

#[test]
fn the_same_seed_plans_the_same_rotation() {
    let (_, a) = planned(20, 4, 4, 42);
    let (_, b) = planned(20, 4, 4, 42);
    assert_eq!(a, b);
}

#[test]
fn a_rotation_keeps_the_constraints_and_even_sizes() {
    let mut sim = Sim::with(18, 3, instant_config());
    sim.host(Command::KeepTogether {
        participants: vec![p(1), p(2)],
    });
    sim.host(Command::KeepApart {
        participants: vec![p(3), p(4), p(5)],
    });
    sim.host(Command::PlanRotation { rounds: 4, seed: 9 });
    for round in 0..4 {
        if round > 0 {
            sim.host(Command::AutoAssign {
                seed: round,
                minimise_repeats: true,
            });
        }
        let rooms = groups(&sim);
        assert!(rooms.iter().all(|r| r.len() == 6), "{rooms:?}");
        assert!(rooms.iter().any(|r| r.contains(&p(1)) && r.contains(&p(2))));
        for room in &rooms {
            assert!(
                [p(3), p(4), p(5)]
                    .iter()
                    .filter(|x| room.contains(x))
                    .count()
                    <= 1
            );
        }
    }
}

#[test]
fn shuffle_takes_the_rotation_option_and_counts_past_rounds() {
    let command: Command =
        serde_json::from_str(r#"{"type":"shuffle","seed":1,"minimise_repeats":true}"#)
            .expect("shuffle accepts minimise_repeats");
    assert_eq!(
        command,
        Command::Shuffle {
            seed: 1,
            minimise_repeats: true
        }
    );
    // A round that really happened is history for the next one, even when
    // the next one is planned while idle.
    let mut sim = Sim::with(16, 4, instant_config());
    sim.host(Command::AutoAssign {
        seed: 5,
        minimise_repeats: false,
    });
    sim.host(Command::Start);
    sim.host(Command::End);
    sim.host(Command::AutoAssign {
        seed: 6,
        minimise_repeats: true,
    });
    let view = sim.m.view_for(HOST, sim.now).unwrap();
    assert_eq!(view.assignment.unwrap().repeats, 0);
}

#[test]
fn a_plan_that_no_longer_fits_is_not_used() {
    let mut sim = Sim::with(16, 4, instant_config());
    sim.host(Command::PlanRotation { rounds: 3, seed: 1 });
    sim.add(p(17), "participant");
    let view = sim.m.view_for(HOST, sim.now).unwrap();
    assert_eq!(view.assignment.unwrap().rotation.unwrap().next_round, None);
    sim.host(Command::AutoAssign {
        seed: 2,
        minimise_repeats: true,
    });
    assert!(sim.m.participant(p(17)).unwrap().assigned.is_some());
    assert_eq!(
        sim.refuse(who(HOST), Command::PlanRotation { rounds: 0, seed: 1 })
            .code(),
        "invalid_input"
    );
}

/// The old rotation, round by round: each person in a seeded order joins a
/// smallest room, the one where they know the fewest people.
fn greedy(people: usize, rooms: usize, rounds: usize, seed: u64) -> usize {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    let mut met: BTreeSet<(usize, usize)> = BTreeSet::new();
    let mut all = Vec::new();
    for _ in 0..rounds {
        let mut order: Vec<usize> = (0..people).collect();
        for i in (1..people).rev() {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            order.swap(i, (state >> 33) as usize % (i + 1));
        }
        let mut placed: Vec<Vec<usize>> = vec![Vec::new(); rooms];
        for a in order {
            let smallest = placed.iter().map(Vec::len).min().unwrap_or(0);
            let room = (0..rooms)
                .filter(|&r| placed[r].len() == smallest)
                .min_by_key(|&r| {
                    placed[r]
                        .iter()
                        .filter(|&&b| met.contains(&(a.min(b), a.max(b))))
                        .count()
                })
                .unwrap_or(0);
            placed[room].push(a);
        }
        for room in &placed {
            for (i, a) in room.iter().enumerate() {
                for b in &room[i + 1..] {
                    met.insert((*a.min(b), *a.max(b)));
                }
            }
        }
        all.push(
            placed
                .into_iter()
                .map(|r| r.into_iter().map(|i| ParticipantId(i as u64)).collect())
                .collect::<Vec<_>>(),
        );
    }
    repeated_pairs(&all)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_planned_rotation_is_never_worse_than_the_greedy_one(
        people in 6u64..=24,
        rooms in 2u16..=5,
        rounds in 2u16..=5,
        seed in any::<u64>(),
    ) {
        let (_, plan) = planned(people, rooms, rounds, seed);
        let mine = repeated_pairs(&plan);
        let theirs = greedy(people as usize, rooms as usize, rounds as usize, seed);
        prop_assert!(mine <= theirs, "planned {} vs greedy {}", mine, theirs);
    }
}
