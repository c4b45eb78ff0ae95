//! Journal figures as `name=value` lines (run by `scripts/bench-server.sh`):
//! how long an append takes from the caller's side until it is durable,
//! with several meetings appending at once as their actors do, on SQLite
//! and then on PostgreSQL (`_postgres` figures) in the same run.
//!
//! `BENCH_JOURNAL_MEETINGS` and `BENCH_JOURNAL_APPENDS` (per meeting) change
//! the load. The SQLite file lives in a temporary directory on the same
//! disk as `TMPDIR`, so the figure includes that disk's fsync; PostgreSQL
//! is a private cluster (Debian's `postgresql` package, as `make pg-test`
//! starts it) with its defaults, `fsync` and `synchronous_commit` on,
//! reached over loopback TCP.

use std::sync::Arc;
use std::time::Instant;

use breakout_core::{Actor, Command, ParticipantId, Timestamp};
use breakout_server::store::{JournalEntry, MeetingRecord, Store};

#[path = "../tests/common/postgres.rs"]
mod cluster;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let meetings = setting("BENCH_JOURNAL_MEETINGS", 8);
    let appends = setting("BENCH_JOURNAL_APPENDS", 250);
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = Store::open(&dir.path().join("bench.sqlite3")).expect("open SQLite");
    let (p50, p99, rate) = measure(sqlite, meetings, appends);
    println!("journal_append_p50_us={p50}");
    println!("journal_append_p99_us={p99}");
    println!("journal_appends_per_s={rate:.0}");

    let postgres = cluster::Cluster::start();
    let store = Store::open_postgres(&postgres.new_database()).expect("open PostgreSQL");
    let (p50, p99, rate) = measure(store, meetings, appends);
    println!("journal_append_p50_us_postgres={p50}");
    println!("journal_append_p99_us_postgres={p99}");
    println!("journal_appends_per_s_postgres={rate:.0}");
}

/// The median and 99th percentile append latency in µs, and appends per
/// second, with `meetings` threads appending `appends` entries each.
fn measure(store: Store, meetings: usize, appends: usize) -> (u64, u64, f64) {
    let store = Arc::new(store);
    for m in 0..meetings {
        store
            .create_meeting(&MeetingRecord {
                id: format!("m{m}"),
                title: "Bench".into(),
                created_at: 0,
            })
            .expect("create meeting");
    }
    let started = Instant::now();
    let workers: Vec<_> = (0..meetings)
        .map(|m| {
            let store = store.clone();
            std::thread::spawn(move || {
                let id = format!("m{m}");
                let mut latencies = Vec::with_capacity(appends);
                for seq in 1..=appends as u64 {
                    let entry = JournalEntry {
                        seq,
                        at: Timestamp(seq),
                        actor: Actor::Participant(ParticipantId(1)),
                        command: Command::Chat {
                            text: "a chat line of ordinary length, about sixty characters".into(),
                        },
                    };
                    let t0 = Instant::now();
                    store.append(&id, &[entry]).expect("append");
                    latencies.push(t0.elapsed().as_micros() as u64);
                }
                latencies
            })
        })
        .collect();
    let mut all: Vec<u64> = workers
        .into_iter()
        .flat_map(|w| w.join().expect("worker"))
        .collect();
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_unstable();
    let pick = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    let rate = all.len() as f64 / elapsed.max(f64::EPSILON);
    (pick(0.50), pick(0.99), rate)
}
