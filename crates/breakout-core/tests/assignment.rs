//! Who goes where: manual, automatic and chosen assignment, CSV, constraints
//! and rotations.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use breakout_core::{
    AssignmentMethod, BreakoutConfig, Command, EventBody, ParticipantId, Refusal, RoomId,
};
use common::*;

fn assignments(sim: &Sim) -> BTreeMap<ParticipantId, Option<RoomId>> {
    sim.m.participants().map(|p| (p.id, p.assigned)).collect()
}

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

#[test]
fn manual_assignment_sets_and_clears() {
    let mut sim = Sim::with(2, 2, BreakoutConfig::default());
    let room = sim.room(1);
    let events = sim.assign(p(1), room);
    assert_eq!(sim.m.participant(p(1)).unwrap().assigned, Some(room));
    assert_eq!(sim.room_of(p(1)), RoomId::MAIN, "idle: nobody moves");
    let sent = sent(&sim.m, &events, |b| {
        matches!(b, EventBody::AssignmentChanged { .. })
    });
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].0,
        BTreeSet::from([HOST, p(1)]),
        "managers and the person"
    );

    // Main or None unassigns.
    for target in [Some(RoomId::MAIN), None] {
        sim.assign(p(1), room);
        sim.host(Command::Assign {
            participant: p(1),
            room: target,
        });
        assert_eq!(sim.m.participant(p(1)).unwrap().assigned, None);
    }
    assert_eq!(
        sim.refuse(
            who(HOST),
            Command::Assign {
                participant: ParticipantId(555),
                room: Some(room)
            }
        ),
        Refusal::UnknownParticipant(ParticipantId(555))
    );
}

#[test]
fn automatic_assignment_is_balanced_and_skips_managers() {
    for (people, rooms) in [(10, 3), (7, 7), (3, 5), (101, 10), (1, 1)] {
        for seed in 0..5 {
            let mut sim = Sim::with(people, rooms, instant_config());
            sim.add(COHOST, "cohost");
            sim.host(Command::AutoAssign {
                seed,
                minimise_repeats: false,
            });
            let sizes = sizes(&sim);
            let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            assert!(max - min <= 1, "{people} in {rooms}: {sizes:?}");
            assert_eq!(sizes.iter().sum::<usize>(), people as usize);
            assert_eq!(sim.m.participant(HOST).unwrap().assigned, None);
            assert_eq!(sim.m.participant(COHOST).unwrap().assigned, None);
        }
    }
}

#[test]
fn automatic_assignment_depends_only_on_the_seed() {
    let plan = |seed| {
        let mut sim = Sim::with(20, 4, instant_config());
        sim.host(Command::AutoAssign {
            seed,
            minimise_repeats: false,
        });
        assignments(&sim)
    };
    assert_eq!(plan(42), plan(42));
    assert_ne!(plan(1), plan(2));
}

#[test]
fn auto_method_places_the_unassigned_at_start_around_manual_choices() {
    let mut sim = Sim::with(
        9,
        3,
        BreakoutConfig {
            assignment: AssignmentMethod::Auto,
            ..instant_config()
        },
    );
    let first = sim.room(0);
    sim.assign(p(1), first);
    sim.assign(p(2), first);
    sim.host(Command::Start);
    assert_eq!(sim.m.participant(p(1)).unwrap().assigned, Some(first));
    assert_eq!(sim.m.participant(p(2)).unwrap().assigned, Some(first));
    assert_eq!(sizes(&sim), [3, 3, 3]);
    for i in 1..=9 {
        assert!(!sim.room_of(p(i)).is_main(), "p{i} was placed and moved");
    }
    assert!(sim.room_of(HOST).is_main());
}

#[test]
fn manual_method_leaves_the_unassigned_in_main() {
    let mut sim = Sim::with(3, 2, instant_config());
    sim.assign(p(1), sim.room(0));
    sim.host(Command::Start);
    assert_eq!(sim.room_of(p(1)), sim.room(0));
    assert!(sim.room_of(p(2)).is_main());
    assert!(sim.room_of(p(3)).is_main());
}

#[test]
fn choose_method_lets_people_pick_open_rooms() {
    let mut sim = Sim::with(
        3,
        2,
        BreakoutConfig {
            assignment: AssignmentMethod::Choose,
            ..instant_config()
        },
    );
    let (open, closed) = (sim.room(0), sim.room(1));
    sim.host(Command::SetRoomOpen {
        room: closed,
        open: false,
    });
    sim.host(Command::Start);
    assert!(sim.all_in_main(), "nobody is placed");
    sim.cmd(who(p(1)), Command::JoinRoom { room: open });
    assert_eq!(sim.room_of(p(1)), open);
    assert_eq!(
        sim.refuse(who(p(2)), Command::JoinRoom { room: closed }),
        Refusal::JoinNotAllowed(closed)
    );
    // Assigned people may still enter their room even if it is not open.
    sim.assign(p(3), closed);
    assert_eq!(sim.room_of(p(3)), closed);
    sim.cmd(who(p(3)), Command::LeaveToMain);
    sim.cmd(who(p(3)), Command::JoinRoom { room: closed });
    assert_eq!(sim.room_of(p(3)), closed);
}

#[test]
fn csv_export_then_import_round_trips() {
    let mut sim = Sim::with(12, 4, instant_config());
    sim.add(COHOST, "cohost");
    sim.host(Command::RenameRoom {
        room: sim.room(2),
        title: "Room, \"quoted\"".into(),
    });
    sim.host(Command::AutoAssign {
        seed: 5,
        minimise_repeats: false,
    });
    sim.host(Command::Assign {
        participant: p(4),
        room: None,
    });
    let before = assignments(&sim);
    let csv = sim.m.export_assignments_csv();
    assert!(csv.starts_with("name,email,room\n"), "{csv}");
    assert_eq!(
        csv.lines().count(),
        13,
        "header and the 12 assignable people"
    );

    sim.host(Command::AutoAssign {
        seed: 6,
        minimise_repeats: false,
    });
    assert_ne!(assignments(&sim), before);
    sim.host(Command::ImportAssignments { csv: csv.clone() });
    assert_eq!(assignments(&sim), before);
    assert_eq!(sim.m.export_assignments_csv(), csv);
}

#[test]
fn csv_matches_names_when_there_is_no_email_and_creates_rooms() {
    let mut sim = Sim::with(2, 1, instant_config());
    let events = sim.host(Command::ImportAssignments {
        csv: "Room,Name\nGarden, p101 \nRoom 1,P102\n".into(),
    });
    let garden = sim
        .m
        .breakout_rooms()
        .find(|r| r.title == "Garden")
        .expect("created")
        .id;
    assert_eq!(sim.m.participant(p(1)).unwrap().assigned, Some(garden));
    assert_eq!(sim.m.participant(p(2)).unwrap().assigned, Some(sim.room(0)));
    assert_eq!(count(&events, |b| *b == EventBody::RoomsChanged), 1);
}

#[test]
fn bad_csv_is_refused_with_its_line() {
    let mut sim = Sim::with(2, 1, instant_config());
    sim.add(ParticipantId(500), "participant");
    sim.system(Command::AddParticipant {
        participant: ParticipantId(501),
        name: "P500".into(),
        email: None,
        preset: "participant".into(),
    });
    for (csv, line) in [
        ("name,email\nP101,\n", 1),
        ("room\nRoom 1\n", 1),
        ("name,room\nP101,Room 1\nNobody,Room 1\n", 3),
        ("email,room\nnobody@example.com,Room 1\n", 2),
        ("name,email,room\n,,Room 1\n", 2),
        ("name,room\nP500,Room 1\n", 2),
        ("name,room\n\"unterminated,Room 1\n", 2),
    ] {
        let refusal = sim.refuse(who(HOST), Command::ImportAssignments { csv: csv.into() });
        match refusal {
            Refusal::InvalidCsv { line: got, .. } => assert_eq!(got, line, "{csv:?}"),
            other => panic!("{csv:?}: {other:?}"),
        }
    }
    // Duplicate names are fine when the email decides.
    sim.host(Command::ImportAssignments {
        csv: "name,email,room\nP500,p500@example.com,Room 1\n".into(),
    });
    assert_eq!(
        sim.m.participant(ParticipantId(500)).unwrap().assigned,
        Some(sim.room(0))
    );
}

#[test]
fn csv_cannot_create_rooms_mid_round_but_can_move_people() {
    let mut sim = Sim::with(2, 2, instant_config());
    sim.host(Command::Start);
    assert_eq!(
        sim.refuse(
            who(HOST),
            Command::ImportAssignments {
                csv: "name,room\nP101,Nowhere\n".into()
            }
        ),
        Refusal::NotWhileRunning
    );
    sim.host(Command::ImportAssignments {
        csv: "name,room\nP101,Room 2\n".into(),
    });
    assert_eq!(sim.room_of(p(1)), sim.room(1));
    let refusal = sim.refuse(
        who(HOST),
        Command::ImportAssignments {
            csv: format!("name,room\n{}", "x".repeat(1 << 20)),
        },
    );
    assert!(matches!(refusal, Refusal::InvalidInput { .. }));
}

fn room_sets(sim: &Sim) -> Vec<BTreeSet<ParticipantId>> {
    sim.rooms()
        .iter()
        .map(|r| {
            sim.m
                .participants()
                .filter(|p| p.assigned == Some(*r))
                .map(|p| p.id)
                .collect()
        })
        .collect()
}

#[test]
fn keep_together_and_keep_apart_are_honoured() {
    for seed in 0..30 {
        let mut sim = Sim::with(12, 3, instant_config());
        sim.host(Command::KeepTogether {
            participants: vec![p(1), p(2), p(3)],
        });
        sim.host(Command::KeepTogether {
            participants: vec![p(3), p(4)],
        });
        sim.host(Command::KeepApart {
            participants: vec![p(5), p(6), p(7)],
        });
        sim.host(Command::KeepApart {
            participants: vec![p(1), p(8)],
        });
        sim.host(Command::AutoAssign {
            seed,
            minimise_repeats: seed % 2 == 0,
        });
        let rooms = room_sets(&sim);
        let together = rooms.iter().find(|r| r.contains(&p(1))).expect("p1 placed");
        for i in [2, 3, 4] {
            assert!(together.contains(&p(i)), "seed {seed}: {rooms:?}");
        }
        assert!(!together.contains(&p(8)));
        for room in &rooms {
            let apart = [p(5), p(6), p(7)]
                .iter()
                .filter(|x| room.contains(x))
                .count();
            assert!(apart <= 1, "seed {seed}: {rooms:?}");
        }
    }
}

#[test]
fn contradictory_constraints_are_refused() {
    let mut sim = Sim::with(4, 2, instant_config());
    sim.host(Command::KeepApart {
        participants: vec![p(1), p(2)],
    });
    let refusal = sim.refuse(
        who(HOST),
        Command::KeepTogether {
            participants: vec![p(1), p(2), p(3)],
        },
    );
    assert!(matches!(refusal, Refusal::ConstraintConflict { .. }));
    // Also through a chain: 1~3 and 3~2 would put 1 with 2.
    sim.host(Command::KeepTogether {
        participants: vec![p(1), p(3)],
    });
    let refusal = sim.refuse(
        who(HOST),
        Command::KeepTogether {
            participants: vec![p(3), p(2)],
        },
    );
    assert!(matches!(refusal, Refusal::ConstraintConflict { .. }));

    // And the other way round: apart after a chain of togethers.
    let mut sim = Sim::with(4, 2, instant_config());
    sim.host(Command::KeepTogether {
        participants: vec![p(1), p(3)],
    });
    sim.host(Command::KeepTogether {
        participants: vec![p(3), p(2)],
    });
    let refusal = sim.refuse(
        who(HOST),
        Command::KeepApart {
            participants: vec![p(1), p(2)],
        },
    );
    assert!(matches!(refusal, Refusal::ConstraintConflict { .. }));
}

#[test]
fn constraints_check_their_people() {
    let mut sim = Sim::with(2, 2, instant_config());
    for participants in [vec![p(1)], vec![p(1), p(1)], vec![]] {
        let refusal = sim.refuse(
            who(HOST),
            Command::KeepTogether {
                participants: participants.clone(),
            },
        );
        assert!(matches!(refusal, Refusal::InvalidInput { .. }));
    }
    let ghost = ParticipantId(999);
    assert_eq!(
        sim.refuse(
            who(HOST),
            Command::KeepApart {
                participants: vec![p(1), ghost]
            }
        ),
        Refusal::UnknownParticipant(ghost)
    );
}

#[test]
fn keep_apart_needs_enough_rooms_when_set() {
    let mut sim = Sim::with(3, 2, instant_config());
    let refusal = sim.refuse(
        who(HOST),
        Command::KeepApart {
            participants: vec![p(1), p(2), p(3)],
        },
    );
    assert_eq!(refusal.code(), "constraint_conflict");
    assert_eq!(
        refusal.to_string(),
        "the assignment constraints cannot be met: keeping 3 people apart needs at least 3 \
         breakout rooms, and there are 2"
    );
    sim.host(Command::AddRoom {
        title: None,
        open: true,
    });
    sim.host(Command::KeepApart {
        participants: vec![p(1), p(2), p(3)],
    });
    sim.host(Command::AutoAssign {
        seed: 1,
        minimise_repeats: false,
    });
}

#[test]
fn removing_someone_keeps_the_rest_of_their_constraints() {
    let mut sim = Sim::with(6, 3, instant_config());
    sim.host(Command::KeepTogether {
        participants: vec![p(1), p(2), p(3)],
    });
    sim.host(Command::RemoveParticipant { participant: p(2) });
    sim.host(Command::AutoAssign {
        seed: 4,
        minimise_repeats: false,
    });
    let a = sim.m.participant(p(1)).unwrap().assigned;
    assert_eq!(a, sim.m.participant(p(3)).unwrap().assigned);
}

/// Pairs who share a room now and already shared one in an earlier round.
fn repeats_over_rounds(minimise_repeats: bool, rounds: u64) -> usize {
    let mut sim = Sim::with(24, 6, instant_config());
    sim.host(Command::AutoAssign {
        seed: 100,
        minimise_repeats,
    });
    sim.host(Command::Start);
    let mut met = BTreeSet::new();
    let mut repeats = 0;
    for round in 0..rounds {
        if round > 0 {
            sim.host(Command::AutoAssign {
                seed: 100 + round,
                minimise_repeats,
            });
        }
        for room in sim.rooms() {
            let people: Vec<ParticipantId> = sim.in_room(room).into_iter().collect();
            assert_eq!(people.len(), 4, "balanced: {people:?}");
            for (i, a) in people.iter().enumerate() {
                for b in &people[i + 1..] {
                    if !met.insert((*a, *b)) {
                        repeats += 1;
                    }
                }
            }
        }
    }
    repeats
}

#[test]
fn rotation_that_minimises_repeats_beats_random() {
    let minimised = repeats_over_rounds(true, 4);
    let random = repeats_over_rounds(false, 4);
    assert!(
        minimised < random,
        "minimised {minimised} vs random {random}"
    );
}
