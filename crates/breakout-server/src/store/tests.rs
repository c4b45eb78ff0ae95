//! The store's behaviour, the same on both backends: every test below
//! runs once against a SQLite file in a temporary directory and once
//! against a fresh database of a private PostgreSQL cluster (see
//! `tests/common/postgres.rs`; those are `#[ignore]`d in a plain
//! `cargo test` and run by `make pg-test`). Tests of one backend's own
//! mechanics (SQLite's pragmas and file, PostgreSQL's version table) are
//! in `backends`.

use std::path::PathBuf;

use breakout_core::{Actor, Command, ParticipantId, Timestamp};
use tempfile::TempDir;

use super::*;

#[path = "../../tests/common/postgres.rs"]
mod cluster;

mod backends;
mod journal;
mod leases;
mod records;

/// Where a test's data lives; [`Db::open`] may be called again for a
/// "restart" on the same data.
enum Db {
    Sqlite { _dir: TempDir, path: PathBuf },
    Postgres(String),
}

impl Db {
    fn sqlite() -> Db {
        let (_dir, path) = temp_db();
        Db::Sqlite { _dir, path }
    }

    fn postgres() -> Db {
        Db::Postgres(cluster::Cluster::shared().new_database())
    }

    fn open(&self) -> Store {
        match self {
            Db::Sqlite { path, .. } => Store::open(path).expect("open SQLite"),
            Db::Postgres(url) => Store::open_postgres(url).expect("open PostgreSQL"),
        }
    }
}

/// Runs each named test function (`module::fn(Db)`, or `async fn(Db)`
/// after `async:`) once per backend: `store::tests::sqlite::NAME` and
/// `store::tests::postgres::NAME`.
macro_rules! on_both_backends {
    ($($module:ident::$name:ident),* $(,)? ;
     async: $($async_module:ident::$async_name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $name() { super::$module::$name(super::Db::sqlite()) })*
            $(#[tokio::test(flavor = "current_thread")]
              async fn $async_name() {
                  super::$async_module::$async_name(super::Db::sqlite()).await
              })*
        }
        mod postgres {
            $(#[test]
              #[ignore = "needs PostgreSQL: make pg-test runs it"]
              fn $name() { super::$module::$name(super::Db::postgres()) })*
            $(#[tokio::test(flavor = "current_thread")]
              #[ignore = "needs PostgreSQL: make pg-test runs it"]
              async fn $async_name() {
                  super::$async_module::$async_name(super::Db::postgres()).await
              })*
        }
    };
}

on_both_backends!(
    records::meetings_are_listed_oldest_first_and_ids_are_unique,
    records::deleting_a_meeting_cascades,
    records::everything_survives_reopening,
    records::participant_ids_are_monotonic_across_reopen,
    records::tokens_are_stored_hashed_found_and_revoked,
    records::settings_are_replaced,
    records::invites_are_found_by_hash_and_go_with_their_meeting,
    records::an_invite_runs_out_of_uses_and_time,
    journal::append_and_restore_keep_order,
    journal::duplicate_or_backward_seq_is_rejected_atomically,
    journal::unknown_meeting_is_not_found,
    journal::snapshot_compacts_the_journal,
    journal::restore_plus_replay_rebuilds_the_meeting,
    journal::undecodable_rows_are_reported_as_corrupt,
    journal::values_beyond_the_columns_are_refused;
    async:
    journal::appends_queued_together_share_one_commit,
    journal::a_refused_append_does_not_take_its_group_down,
    journal::async_calls_stay_in_order_with_appends,
);

fn temp_db() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    // A missing parent directory also checks that `open` creates it.
    let path = dir.path().join("nested").join("breakout.db");
    (dir, path)
}

fn record(id: &str, created_at: u64) -> MeetingRecord {
    MeetingRecord {
        id: id.into(),
        title: format!("Meeting {id}"),
        created_at,
    }
}

fn entry(seq: u64, command: Command) -> JournalEntry {
    JournalEntry {
        seq,
        at: Timestamp(1_000 * seq),
        actor: Actor::System,
        command,
    }
}

fn chat(seq: u64) -> JournalEntry {
    JournalEntry {
        actor: Actor::Participant(ParticipantId(seq)),
        ..entry(
            seq,
            Command::Chat {
                text: format!("message {seq}"),
            },
        )
    }
}

fn seqs(journal: &[JournalEntry]) -> Vec<u64> {
    journal.iter().map(|e| e.seq).collect()
}

fn group_entries(seqs: std::ops::RangeInclusive<u64>) -> Vec<JournalEntry> {
    seqs.map(|seq| JournalEntry {
        seq,
        at: Timestamp(seq),
        actor: Actor::System,
        command: Command::Chat {
            text: format!("line {seq}"),
        },
    })
    .collect()
}
