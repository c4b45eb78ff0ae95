//! Rotations planned as a whole: how many pairs meet more than once at the
//! sizes hosts run workshops at, and how long a plan takes. The repeat
//! figures are printed as name=value lines (averaged over a few seeds);
//! criterion measures the plan for 100 people in 10 rooms over 6 rounds.

use std::hint::black_box;
use std::time::Instant;

use breakout_core::{Actor, Command, EventBody, Meeting, ParticipantId, Timestamp};
use criterion::{Criterion, criterion_group, criterion_main};

const HOST: ParticipantId = ParticipantId(1);
const NOW: Timestamp = Timestamp(1_700_000_000_000);
const SEEDS: u64 = 5;

/// A host, `people` participants and `rooms` breakout rooms.
fn meeting(people: u64, rooms: u16) -> Meeting {
    let mut m = Meeting::new();
    let add = |m: &mut Meeting, participant: ParticipantId, preset: &str| {
        m.apply(
            Actor::System,
            Command::AddParticipant {
                participant,
                name: format!("Person {}", participant.0),
                email: None,
                preset: preset.into(),
            },
            NOW,
        )
        .expect("valid person");
    };
    add(&mut m, HOST, "host");
    for i in 0..people {
        add(&mut m, ParticipantId(100 + i), "participant");
    }
    m.apply(
        Actor::Participant(HOST),
        Command::CreateRooms {
            count: rooms,
            names: vec![],
        },
        NOW,
    )
    .expect("valid rooms");
    m
}

/// Pairs meeting more than once over a plan of `rounds` rounds.
fn planned_repeats(m: &mut Meeting, rounds: u16, seed: u64) -> u32 {
    let events = m
        .apply(
            Actor::Participant(HOST),
            Command::PlanRotation { rounds, seed },
            NOW,
        )
        .expect("a plan");
    events
        .iter()
        .find_map(|e| match e.body {
            EventBody::RotationPlanned { repeats, .. } => Some(repeats),
            _ => None,
        })
        .expect("the plan is announced")
}

fn average_repeats(people: u64, rooms: u16, rounds: u16) -> f64 {
    let base = meeting(people, rooms);
    let total: u32 = (0..SEEDS)
        .map(|seed| planned_repeats(&mut base.clone(), rounds, seed))
        .sum();
    f64::from(total) / SEEDS as f64
}

// A bench measures wall-clock time; the core itself never reads a clock.
#[allow(clippy::disallowed_methods)]
fn rotation(c: &mut Criterion) {
    println!("rotation_repeats_16x4x5={}", average_repeats(16, 4, 5));
    println!("rotation_repeats_30x6x5={}", average_repeats(30, 6, 5));
    let base = meeting(100, 10);
    let mut times: Vec<f64> = (0..SEEDS)
        .map(|seed| {
            let mut m = base.clone();
            let start = Instant::now();
            planned_repeats(&mut m, 6, seed);
            start.elapsed().as_secs_f64() * 1_000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!("rotation_plan_ms_100x10x6={:.1}", times[times.len() / 2]);
    println!("rotation_repeats_100x10x6={}", average_repeats(100, 10, 6));

    c.bench_function("core_rotation_plan_100x10x6", |b| {
        b.iter_batched(
            || base.clone(),
            |mut m| planned_repeats(&mut m, 6, black_box(1)),
            criterion::BatchSize::PerIteration,
        )
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = rotation
}
criterion_main!(benches);
