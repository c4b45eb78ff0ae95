//! The core's costs at the size the design aims at: 1,000 people in 100
//! rooms while breakouts run. Moves happen at once (move countdown 0), so
//! each measured command does all of its work inside `apply`.
//!
//! Single commands are far cheaper than copying the meeting, so they run
//! many times on one copy per sample (`iter_custom`, copy outside the timed
//! part, every iteration a real move or message); whole-meeting commands get
//! a fresh copy per iteration (`iter_batched`).

use std::hint::black_box;
use std::time::Instant;

use breakout_core::{Actor, BreakoutConfig, Command, Meeting, ParticipantId, RoomId, Timestamp};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

const PEOPLE: u64 = 1_000;
const ROOMS: u16 = 100;
const HOST: ParticipantId = ParticipantId(1);
const NOW: Timestamp = Timestamp(1_700_000_000_000);

fn person(i: u64) -> ParticipantId {
    ParticipantId(1_000 + i)
}

fn apply(m: &mut Meeting, actor: Actor, command: Command) {
    m.apply(actor, command, NOW).expect("the setup is valid");
}

/// A host and `PEOPLE` participants spread over `ROOMS` rooms, running.
fn running_meeting() -> Meeting {
    let mut m = Meeting::new();
    let add = |m: &mut Meeting, participant: ParticipantId, preset: &str| {
        apply(
            m,
            Actor::System,
            Command::AddParticipant {
                participant,
                name: format!("Person {}", participant.0),
                email: Some(format!("person{}@example.com", participant.0)),
                preset: preset.into(),
            },
        );
    };
    add(&mut m, HOST, "host");
    for i in 0..PEOPLE {
        add(&mut m, person(i), "participant");
    }
    let host = Actor::Participant(HOST);
    apply(
        &mut m,
        host,
        Command::Configure {
            config: BreakoutConfig {
                move_countdown_secs: 0,
                auto_end_mins: None,
                ..BreakoutConfig::default()
            },
        },
    );
    apply(
        &mut m,
        host,
        Command::CreateRooms {
            count: ROOMS,
            names: vec![],
        },
    );
    apply(
        &mut m,
        host,
        Command::AutoAssign {
            seed: 1,
            minimise_repeats: false,
        },
    );
    apply(&mut m, host, Command::Start);
    assert_eq!(
        m.occupants(RoomId::MAIN).count(),
        1,
        "only the host in main"
    );
    m
}

// Measuring time is the harness's job; the core itself never reads a clock.
#[allow(clippy::disallowed_methods)]
fn commands(c: &mut Criterion) {
    let base = running_meeting();
    let rooms: Vec<RoomId> = base.breakout_rooms().map(|r| r.id).collect();
    let host = Actor::Participant(HOST);

    // Each iteration moves the next person one room on.
    c.bench_function("core_command_1000", |b| {
        b.iter_custom(|iters| {
            let mut m = base.clone();
            let mut at: Vec<usize> = (0..PEOPLE)
                .map(|i| {
                    let room = m.participant(person(i)).expect("added").room;
                    rooms.iter().position(|r| *r == room).expect("placed")
                })
                .collect();
            let start = Instant::now();
            for n in 0..iters {
                let i = (n % PEOPLE) as usize;
                at[i] = (at[i] + 1) % rooms.len();
                let command = Command::Assign {
                    participant: person(i as u64),
                    room: Some(rooms[at[i]]),
                };
                black_box(m.apply(host, command, NOW).expect("accepted"));
            }
            start.elapsed()
        })
    });

    c.bench_function("core_chat_1000", |b| {
        b.iter_custom(|iters| {
            let mut m = base.clone();
            let start = Instant::now();
            for n in 0..iters {
                let from = Actor::Participant(person(n % PEOPLE));
                let command = Command::Chat {
                    text: "Shall we start with the second question?".into(),
                };
                black_box(m.apply(from, command, NOW).expect("accepted"));
            }
            start.elapsed()
        })
    });

    c.bench_function("core_shuffle_1000", |b| {
        let mut seed = 0;
        b.iter_batched(
            || {
                seed += 1;
                (base.clone(), seed)
            },
            |(mut m, seed)| {
                let events = m.apply(
                    host,
                    Command::Shuffle {
                        seed,
                        minimise_repeats: false,
                    },
                    NOW,
                );
                (m, events)
            },
            BatchSize::PerIteration,
        )
    });

    c.bench_function("core_round_robin_1000", |b| {
        b.iter_batched(
            || base.clone(),
            |mut m| {
                let events = m.apply(host, Command::RoundRobin, NOW);
                (m, events)
            },
            BatchSize::PerIteration,
        )
    });
}

fn views(c: &mut Criterion) {
    let m = running_meeting();
    c.bench_function("core_view_participant_1000", |b| {
        b.iter(|| m.view_for(black_box(person(500)), NOW))
    });
    c.bench_function("core_view_host_1000", |b| {
        b.iter(|| m.view_for(black_box(HOST), NOW))
    });
    c.bench_function("core_snapshot_restore_1000", |b| {
        b.iter(|| {
            let json = serde_json::to_string(black_box(&m)).expect("serialises");
            serde_json::from_str::<Meeting>(&json).expect("deserialises")
        })
    });
}

criterion_group!(benches, commands, views);
criterion_main!(benches);
