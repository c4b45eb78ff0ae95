//! The store's behaviour, the same on both backends: every test below
//! runs once against a SQLite file in a temporary directory and once
//! against a fresh database of a private PostgreSQL cluster (see
//! `tests/common/postgres.rs`; those are `#[ignore]`d in a plain
//! `cargo test` and run by `make pg-test`). Tests of one backend's own
//! mechanics (SQLite's pragmas and file, PostgreSQL's version table) are
//! at the end.

use std::path::PathBuf;

use breakout_core::{
    Actor, BreakoutConfig, Command, Meeting, ParticipantId, PollId, RoomId, Timestamp,
};
use rusqlite::Connection;
use tempfile::TempDir;

use super::*;

#[path = "../../tests/common/postgres.rs"]
mod cluster;

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

/// Runs each named test function (`fn(Db)`, or `async fn(Db)` after
/// `async:`) once per backend: `store::tests::sqlite::NAME` and
/// `store::tests::postgres::NAME`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)? ; async: $($async_name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $name() { super::$name(super::Db::sqlite()) })*
            $(#[tokio::test(flavor = "current_thread")]
              async fn $async_name() { super::$async_name(super::Db::sqlite()).await })*
        }
        mod postgres {
            $(#[test]
              #[ignore = "needs PostgreSQL: make pg-test runs it"]
              fn $name() { super::$name(super::Db::postgres()) })*
            $(#[tokio::test(flavor = "current_thread")]
              #[ignore = "needs PostgreSQL: make pg-test runs it"]
              async fn $async_name() { super::$async_name(super::Db::postgres()).await })*
        }
    };
}

on_both_backends!(
    meetings_are_listed_oldest_first_and_ids_are_unique,
    deleting_a_meeting_cascades,
    append_and_restore_keep_order,
    duplicate_or_backward_seq_is_rejected_atomically,
    unknown_meeting_is_not_found,
    snapshot_compacts_the_journal,
    restore_plus_replay_rebuilds_the_meeting,
    everything_survives_reopening,
    participant_ids_are_monotonic_across_reopen,
    tokens_are_stored_hashed_found_and_revoked,
    settings_are_replaced,
    undecodable_rows_are_reported_as_corrupt,
    invites_are_found_by_hash_and_go_with_their_meeting,
    an_invite_runs_out_of_uses_and_time,
    values_beyond_the_columns_are_refused;
    async:
    appends_queued_together_share_one_commit,
    a_refused_append_does_not_take_its_group_down,
    async_calls_stay_in_order_with_appends,
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

fn host() -> Actor {
    Actor::Participant(ParticipantId(1))
}

fn add(id: u64, name: &str, preset: &str) -> (Actor, Command) {
    let command = Command::AddParticipant {
        participant: ParticipantId(id),
        name: name.into(),
        email: (id == 2).then(|| "ada@example.com".into()),
        preset: preset.into(),
    };
    (Actor::System, command)
}

/// A meeting with participants, rooms, a running round with pending moves,
/// chat and a poll with votes: every integer-keyed map and tuple set of
/// `Meeting` holds something. Returns the journal and the state after each
/// entry (`states[i]` is after `journal[i]`).
fn scripted_meeting() -> (Vec<JournalEntry>, Vec<Meeting>) {
    let config = BreakoutConfig {
        move_countdown_secs: 10,
        auto_end_mins: Some(30),
        ..BreakoutConfig::default()
    };
    let script = vec![
        add(1, "Host", "host"),
        add(2, "Ada", "participant"),
        add(3, "Bo", "participant"),
        add(4, "Cy", "participant"),
        (host(), Command::Configure { config }),
        (
            host(),
            Command::CreateRooms {
                count: 2,
                names: vec!["Red".into(), "Blue".into()],
            },
        ),
        (
            host(),
            Command::Assign {
                participant: ParticipantId(2),
                room: Some(RoomId(1)),
            },
        ),
        (
            host(),
            Command::Assign {
                participant: ParticipantId(3),
                room: Some(RoomId(2)),
            },
        ),
        (
            host(),
            Command::CreatePoll {
                question: "Lunch?".into(),
                options: vec!["yes".into(), "no".into()],
            },
        ),
        (
            Actor::Participant(ParticipantId(4)),
            Command::Vote {
                poll: PollId(1),
                option: 1,
            },
        ),
        (host(), Command::Start),
        (
            Actor::Participant(ParticipantId(2)),
            Command::Chat {
                text: "hello".into(),
            },
        ),
    ];
    let mut meeting = Meeting::new();
    let mut journal = Vec::new();
    let mut states = Vec::new();
    for (i, (actor, command)) in script.into_iter().enumerate() {
        let seq = i as u64 + 1;
        let at = Timestamp(1_700_000_000_000 + 1_000 * seq);
        meeting.tick(at);
        meeting
            .apply(actor, command.clone(), at)
            .unwrap_or_else(|refusal| panic!("entry {seq} refused: {refusal:?}"));
        journal.push(JournalEntry {
            seq,
            at,
            actor,
            command,
        });
        states.push(meeting.clone());
    }
    (journal, states)
}

fn meetings_are_listed_oldest_first_and_ids_are_unique(db: Db) {
    let store = db.open();
    store.create_meeting(&record("b", 20)).expect("create b");
    store.create_meeting(&record("a", 10)).expect("create a");
    store.create_meeting(&record("c", 20)).expect("create c");
    assert!(matches!(
        store.create_meeting(&record("a", 30)),
        Err(StoreError::AlreadyExists)
    ));
    let listed = store.meetings().expect("list");
    assert_eq!(
        listed,
        vec![record("a", 10), record("b", 20), record("c", 20)]
    );
}

fn deleting_a_meeting_cascades(db: Db) {
    let store = db.open();
    store.create_meeting(&record("gone", 1)).expect("create");
    store.create_meeting(&record("kept", 2)).expect("create");
    for id in ["gone", "kept"] {
        store
            .append(id, &[chat(1), chat(2), chat(3)])
            .expect("append");
        store
            .save_snapshot(id, 1, &Meeting::new())
            .expect("snapshot");
        store
            .add_token(&hash_token(id), id, ParticipantId(1), "host")
            .expect("token");
        let invite = NewInvite {
            meeting: id,
            preset: "participant",
            created_at: 1,
            max_uses: None,
            expires_at: None,
        };
        store
            .add_invite(&hash_token(&format!("invite {id}")), &invite)
            .expect("invite");
    }

    assert!(store.delete_meeting("gone").expect("delete"));
    assert!(!store.delete_meeting("gone").expect("delete again"));
    assert_eq!(store.meetings().expect("list"), vec![record("kept", 2)]);
    assert!(matches!(store.restore("gone"), Err(StoreError::NotFound)));
    assert_eq!(store.find_token(&hash_token("gone")).expect("find"), None);

    for table in ["journal", "snapshots", "tokens", "invites"] {
        let orphans = store.test_count(&format!(
            "SELECT COUNT(*) FROM {table} WHERE meeting = 'gone'"
        ));
        assert_eq!(orphans, 0, "{table} still has rows of a deleted meeting");
    }
    let kept = store.restore("kept").expect("restore kept");
    assert_eq!(seqs(&kept.journal), [2, 3]);
}

fn append_and_restore_keep_order(db: Db) {
    let store = db.open();
    store.create_meeting(&record("m", 1)).expect("create");
    let empty = store.restore("m").expect("restore empty");
    assert_eq!(
        empty,
        Restored {
            snapshot: None,
            journal: vec![]
        }
    );

    store.append("m", &[chat(1), chat(2)]).expect("append");
    store.append("m", &[]).expect("append nothing");
    store.append("m", &[chat(5), chat(10)]).expect("append");
    let restored = store.restore("m").expect("restore");
    assert_eq!(restored.snapshot, None);
    assert_eq!(restored.journal, vec![chat(1), chat(2), chat(5), chat(10)]);
}

fn duplicate_or_backward_seq_is_rejected_atomically(db: Db) {
    let store = db.open();
    store.create_meeting(&record("m", 1)).expect("create");
    store.append("m", &[chat(1), chat(2)]).expect("append");

    let err = store
        .append("m", &[chat(3), chat(2)])
        .expect_err("duplicate");
    assert!(matches!(
        err,
        StoreError::SeqOutOfOrder {
            seq: 2,
            last: 3,
            ..
        }
    ));
    assert!(matches!(
        store.append("m", &[chat(5), chat(4)]),
        Err(StoreError::SeqOutOfOrder {
            seq: 4,
            last: 5,
            ..
        })
    ));
    // Nothing of a refused batch was written, not even its valid first entry.
    assert_eq!(seqs(&store.restore("m").expect("restore").journal), [1, 2]);

    // Below a snapshot no primary key collides, yet the entry would be lost.
    store
        .save_snapshot("m", 2, &Meeting::new())
        .expect("snapshot");
    assert!(matches!(
        store.append("m", &[chat(1)]),
        Err(StoreError::SeqOutOfOrder {
            seq: 1,
            last: 2,
            ..
        })
    ));
    store
        .append("m", &[chat(3)])
        .expect("append after snapshot");
}

fn unknown_meeting_is_not_found(db: Db) {
    let store = db.open();
    let meeting = Meeting::new();
    assert!(matches!(
        store.append("x", &[chat(1)]),
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.save_snapshot("x", 1, &meeting),
        Err(StoreError::NotFound)
    ));
    assert!(matches!(store.restore("x"), Err(StoreError::NotFound)));
    assert!(matches!(
        store.next_participant_id("x"),
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.add_token(&hash_token("t"), "x", ParticipantId(1), "host"),
        Err(StoreError::NotFound)
    ));
}

fn snapshot_compacts_the_journal(db: Db) {
    let store = db.open();
    store.create_meeting(&record("m", 1)).expect("create");
    store
        .append("m", &[chat(1), chat(2), chat(3), chat(4)])
        .expect("append");
    store
        .save_snapshot("m", 2, &Meeting::new())
        .expect("snapshot 2");
    store.append("m", &[chat(5)]).expect("append");

    let restored = store.restore("m").expect("restore");
    assert_eq!(restored.snapshot, Some((2, Meeting::new())));
    assert_eq!(seqs(&restored.journal), [3, 4, 5]);

    store
        .save_snapshot("m", 4, &Meeting::new())
        .expect("snapshot 4");
    let restored = store.restore("m").expect("restore");
    assert_eq!(restored.snapshot.map(|(seq, _)| seq), Some(4));
    assert_eq!(seqs(&restored.journal), [5]);

    let stored = (
        store.test_count("SELECT COUNT(*) FROM snapshots"),
        store.test_count("SELECT COUNT(*) FROM journal"),
    );
    assert_eq!(stored, (1, 1), "one snapshot, one journal entry left");

    assert!(matches!(
        store.save_snapshot("m", 3, &Meeting::new()),
        Err(StoreError::StaleSnapshot {
            seq: 3,
            newest: 4,
            ..
        })
    ));
    // Re-saving at the same seq is allowed (a retry after a lost reply).
    store
        .save_snapshot("m", 4, &Meeting::new())
        .expect("same seq");
}

#[test]
fn meeting_json_round_trips() {
    let (_, states) = scripted_meeting();
    let meeting = states.last().expect("states").clone();
    let json = serde_json::to_string(&meeting).expect("encode");
    // The integer-keyed maps are what serde_json could trip over.
    assert!(json.contains(r#""participants":{"1":"#), "{json}");
    assert!(json.contains(r#""votes":{"4":1}"#), "{json}");
    // Sets of tuples (pending moves) become arrays of arrays.
    assert!(json.contains(r#""pending":[["#), "{json}");
    let back: Meeting = serde_json::from_str(&json).expect("decode");
    assert_eq!(back, meeting);
}

fn restore_plus_replay_rebuilds_the_meeting(db: Db) {
    let (journal, states) = scripted_meeting();
    let snapshot_seq = 8;
    {
        let store = db.open();
        store.create_meeting(&record("m", 1)).expect("create");
        let (early, late) = journal.split_at(6);
        store.append("m", early).expect("append");
        store.append("m", late).expect("append");
        store
            .save_snapshot("m", snapshot_seq, &states[snapshot_seq as usize - 1])
            .expect("snapshot");
    }

    // A "restart": a fresh store on the same data.
    let store = db.open();
    let restored = store.restore("m").expect("restore");
    let (seq, mut meeting) = restored.snapshot.clone().expect("snapshot");
    assert_eq!(seq, snapshot_seq);
    assert_eq!(meeting, states[seq as usize - 1]);
    assert_eq!(restored.journal, journal[seq as usize..]);
    for e in restored.journal {
        meeting.tick(e.at);
        meeting.apply(e.actor, e.command, e.at).expect("replay");
    }
    assert_eq!(&meeting, states.last().expect("states"));
    let (rebuilt, last) = store.rebuild("m").expect("rebuild");
    assert_eq!((&rebuilt, last), (&meeting, journal.len() as u64));
}

fn everything_survives_reopening(db: Db) {
    let (_, states) = scripted_meeting();
    let meeting = states.last().expect("states").clone();
    let token = new_token();
    {
        let store = db.open();
        store.create_meeting(&record("m", 7)).expect("create");
        store.append("m", &[chat(1), chat(2)]).expect("append");
        store.save_snapshot("m", 1, &meeting).expect("snapshot");
        store
            .add_token(&hash_token(&token), "m", ParticipantId(2), "participant")
            .expect("token");
        store.set_setting("admin_key_hash", "abc").expect("setting");
    }
    let store = db.open();
    assert_eq!(store.meetings().expect("list"), vec![record("m", 7)]);
    let restored = store.restore("m").expect("restore");
    assert_eq!(restored.snapshot, Some((1, meeting)));
    assert_eq!(restored.journal, vec![chat(2)]);
    assert_eq!(
        store.find_token(&hash_token(&token)).expect("find"),
        Some(("m".into(), ParticipantId(2)))
    );
    assert_eq!(
        store.setting("admin_key_hash").expect("setting").as_deref(),
        Some("abc")
    );
}

fn participant_ids_are_monotonic_across_reopen(db: Db) {
    {
        let store = db.open();
        store.create_meeting(&record("a", 1)).expect("create");
        store.create_meeting(&record("b", 2)).expect("create");
        for expected in 1..=3 {
            assert_eq!(
                store.next_participant_id("a").expect("id"),
                ParticipantId(expected)
            );
        }
        // Each meeting counts on its own.
        assert_eq!(
            store.next_participant_id("b").expect("id"),
            ParticipantId(1)
        );
    }
    let store = db.open();
    assert_eq!(
        store.next_participant_id("a").expect("id"),
        ParticipantId(4)
    );
    assert_eq!(
        store.next_participant_id("b").expect("id"),
        ParticipantId(2)
    );
}

fn tokens_are_stored_hashed_found_and_revoked(db: Db) {
    let store = db.open();
    store.create_meeting(&record("m", 1)).expect("create");
    let alice = new_token();
    let alice_2 = new_token();
    let bob = new_token();
    assert_eq!(alice.len(), 64);
    assert!(alice.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_ne!(alice, alice_2);

    for (token, who) in [(&alice, 1), (&alice_2, 1), (&bob, 2)] {
        store
            .add_token(&hash_token(token), "m", ParticipantId(who), "participant")
            .expect("add");
    }
    assert!(matches!(
        store.add_token(&hash_token(&bob), "m", ParticipantId(3), "host"),
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(
        store.find_token(&hash_token(&alice)).expect("find"),
        Some(("m".into(), ParticipantId(1)))
    );
    assert_eq!(
        store.find_token(&hash_token(&new_token())).expect("find"),
        None
    );
    // 32-byte hashes, not 64-character tokens.
    assert_eq!(
        store.test_count("SELECT COUNT(*) FROM tokens WHERE length(hash) = 32"),
        3
    );

    store.revoke_tokens("m", ParticipantId(1)).expect("revoke");
    assert_eq!(store.find_token(&hash_token(&alice)).expect("find"), None);
    assert_eq!(store.find_token(&hash_token(&alice_2)).expect("find"), None);
    assert_eq!(
        store.find_token(&hash_token(&bob)).expect("find"),
        Some(("m".into(), ParticipantId(2)))
    );
}

#[test]
fn hash_token_is_sha256() {
    // SHA-256("abc") from FIPS 180-2.
    assert_eq!(
        hex::encode(hash_token("abc")),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

fn settings_are_replaced(db: Db) {
    let store = db.open();
    assert_eq!(store.setting("k").expect("get"), None);
    store.set_setting("k", "1").expect("set");
    store.set_setting("k", "2").expect("replace");
    assert_eq!(store.setting("k").expect("get").as_deref(), Some("2"));
}

fn undecodable_rows_are_reported_as_corrupt(db: Db) {
    let store = db.open();
    store.create_meeting(&record("m", 1)).expect("create");
    store.append("m", &[chat(1)]).expect("append");
    store.test_execute("UPDATE journal SET command = '{\"type\":\"nope\"}'");
    let err = store.restore("m").expect_err("corrupt journal");
    assert!(
        matches!(&err, StoreError::Corrupt { meeting, reason } if meeting == "m" && reason.contains("entry 1")),
        "{err}"
    );

    store
        .save_snapshot("m", 1, &Meeting::new())
        .expect("snapshot");
    store.test_execute("UPDATE snapshots SET state = '{}'");
    assert!(matches!(
        store.restore("m"),
        Err(StoreError::Corrupt { .. })
    ));
}

fn invite(meeting: &str, max_uses: Option<u32>, expires_at: Option<u64>) -> NewInvite<'_> {
    NewInvite {
        meeting,
        preset: "participant",
        created_at: 5,
        max_uses,
        expires_at,
    }
}

fn granted() -> InviteUse {
    InviteUse::Granted {
        meeting: "m1".into(),
        preset: "participant".into(),
    }
}

fn invites_are_found_by_hash_and_go_with_their_meeting(db: Db) {
    let store = db.open();
    store.create_meeting(&record("m1", 1)).expect("create");
    let hash = hash_token("abcd-efgh-jkmn");
    store.add_invite(&hash, &invite("m1", None, None)).unwrap();
    assert!(matches!(
        store.add_invite(&hash, &invite("m1", Some(1), None)),
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(store.use_invite(&hash, 10).unwrap(), granted());
    assert_eq!(store.use_invite(&hash, 10).unwrap(), granted());
    assert_eq!(
        store.use_invite(&hash_token("other"), 10).unwrap(),
        InviteUse::NotFound
    );
    assert!(matches!(
        store.add_invite(&hash_token("x"), &invite("nope", None, None)),
        Err(StoreError::NotFound)
    ));
    store.delete_meeting("m1").unwrap();
    assert_eq!(store.use_invite(&hash, 10).unwrap(), InviteUse::NotFound);
}

fn an_invite_runs_out_of_uses_and_time(db: Db) {
    let store = db.open();
    store.create_meeting(&record("m1", 1)).expect("create");
    let limited = hash_token("limited");
    store
        .add_invite(&limited, &invite("m1", Some(2), None))
        .unwrap();
    assert_eq!(store.use_invite(&limited, 10).unwrap(), granted());
    assert_eq!(store.use_invite(&limited, 10).unwrap(), granted());
    assert_eq!(
        store.use_invite(&limited, 10).unwrap(),
        InviteUse::Exhausted
    );
    store.return_invite_use(&limited).unwrap();
    assert_eq!(store.use_invite(&limited, 10).unwrap(), granted());

    let dated = hash_token("dated");
    store
        .add_invite(&dated, &invite("m1", None, Some(100)))
        .unwrap();
    assert_eq!(store.use_invite(&dated, 99).unwrap(), granted());
    assert_eq!(store.use_invite(&dated, 100).unwrap(), InviteUse::Expired);
}

fn values_beyond_the_columns_are_refused(db: Db) {
    // Both keep unsigned values in signed 64-bit columns; above that they
    // refuse rather than wrap around.
    let store = db.open();
    assert!(store.create_meeting(&record("huge", u64::MAX)).is_err());
    store.create_meeting(&record("m", 1)).expect("create");
    let beyond = JournalEntry {
        seq: u64::MAX,
        ..chat(1)
    };
    assert!(store.append("m", &[beyond]).is_err());
    assert_eq!(store.restore("m").expect("restore").journal, vec![]);
    store.append("m", &[chat(1)]).expect("the next append");
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

async fn appends_queued_together_share_one_commit(db: Db) {
    let store = db.open();
    for id in ["big", "small"] {
        store.create_meeting(&record(id, 0)).expect("meeting");
    }
    let release = store.stall_writer();
    // A large burst of one meeting is queued before another meeting's
    // single entry: that entry waits for one commit, not for the burst
    // to be written entry by entry.
    let big = store.append_async("big", &group_entries(1..=2000));
    let small = store.append_async("small", &group_entries(1..=1));
    let before = store.journal_commits();
    drop(release);
    small.await.expect("small append");
    big.await.expect("big append");
    assert_eq!(store.journal_commits() - before, 1);
    assert_eq!(store.restore("big").expect("big").journal.len(), 2000);
    assert_eq!(store.restore("small").expect("small").journal.len(), 1);
}

async fn a_refused_append_does_not_take_its_group_down(db: Db) {
    let store = db.open();
    for id in ["a", "b"] {
        store.create_meeting(&record(id, 0)).expect("meeting");
    }
    store
        .append("a", &group_entries(1..=3))
        .expect("first entries");
    let release = store.stall_writer();
    let stale = store.append_async("a", &group_entries(2..=4));
    let fine = store.append_async("b", &group_entries(1..=2));
    let missing = store.append_async("gone", &group_entries(1..=1));
    let next = store.append_async("a", &group_entries(4..=5));
    drop(release);
    assert!(matches!(
        stale.await,
        Err(StoreError::SeqOutOfOrder {
            seq: 2,
            last: 3,
            ..
        })
    ));
    fine.await.expect("other meeting");
    assert!(matches!(missing.await, Err(StoreError::NotFound)));
    next.await
        .expect("the following append of the same meeting");
    let restored = store.restore("a").expect("a");
    assert_eq!(seqs(&restored.journal), vec![1, 2, 3, 4, 5]);
}

async fn async_calls_stay_in_order_with_appends(db: Db) {
    let store = db.open();
    store.create_meeting(&record("m", 0)).expect("meeting");
    store
        .add_token(&hash_token("t"), "m", ParticipantId(3), "participant")
        .expect("token");
    let release = store.stall_writer();
    // Queued in this order behind the stall: each sees what came before.
    let appended = store.append_async("m", &group_entries(1..=4));
    let snapshot = store.save_snapshot_async("m", 2, &Meeting::new());
    let more = store.append_async("m", &group_entries(5..=5));
    let restored = store.restore_async("m");
    let revoked = store.revoke_tokens_async("m", ParticipantId(3));
    drop(release);
    appended.await.expect("append");
    snapshot.await.expect("snapshot");
    more.await.expect("append after the snapshot");
    let restored = restored.await.expect("restore");
    assert_eq!(restored.snapshot.map(|(seq, _)| seq), Some(2));
    assert_eq!(seqs(&restored.journal), [3, 4, 5]);
    revoked.await.expect("revoke");
    assert_eq!(store.find_token(&hash_token("t")).expect("find"), None);
}

// --- Each backend's own mechanics ---

#[test]
fn store_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Store>();
}

#[test]
fn sqlite_migrations_are_idempotent() {
    let (_dir, path) = temp_db();
    drop(Store::open(&path).expect("first open"));
    let store = Store::open(&path).expect("second open");
    store.create_meeting(&record("m", 1)).expect("create");
    drop(store);
    let store = Store::open(&path).expect("third open");
    assert_eq!(store.meetings().expect("list").len(), 1);

    let conn = Connection::open(&path).expect("raw open");
    let version: usize = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .expect("user_version");
    assert_eq!(version, 3, "SQLite's schema is at its third migration");
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .expect("journal_mode");
    assert_eq!(mode, "wal");
}

#[test]
fn sqlite_refuses_a_schema_from_the_future() {
    let (_dir, path) = temp_db();
    drop(Store::open(&path).expect("open"));
    let conn = Connection::open(&path).expect("raw open");
    conn.pragma_update(None, "user_version", 99)
        .expect("set version");
    drop(conn);
    assert!(matches!(
        Store::open(&path),
        Err(StoreError::SchemaTooNew { found: 99, .. })
    ));
}

#[test]
fn sqlite_keeps_no_token_in_plain_text_on_disk() {
    let (_dir, path) = temp_db();
    let store = Store::open(&path).expect("open");
    store.create_meeting(&record("m", 1)).expect("create");
    let tokens = [new_token(), new_token()];
    for (who, token) in tokens.iter().enumerate() {
        store
            .add_token(
                &hash_token(token),
                "m",
                ParticipantId(who as u64 + 1),
                "participant",
            )
            .expect("add");
    }
    store.test_execute("PRAGMA wal_checkpoint(FULL)");
    let mut on_disk = std::fs::read(&path).expect("read db");
    on_disk.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
    for token in &tokens {
        let plain = token.as_bytes();
        assert!(!on_disk.windows(plain.len()).any(|w| w == plain));
    }
    let hash = hash_token(&tokens[0]);
    assert!(on_disk.windows(hash.len()).any(|w| w == hash));
}

#[test]
#[ignore = "needs PostgreSQL: make pg-test runs it"]
fn postgres_migrates_once_keeps_a_version_and_refuses_a_newer_one() {
    let url = cluster::Cluster::shared().new_database();
    drop(Store::open_postgres(&url).expect("first open"));
    let store = Store::open_postgres(&url).expect("second open");
    assert_eq!(store.backend(), "postgres");
    assert_eq!(
        store.test_count("SELECT COUNT(*)::BIGINT FROM breakout_schema"),
        1
    );
    assert_eq!(
        store.test_count("SELECT version::BIGINT FROM breakout_schema"),
        1
    );
    // The cluster step's tables exist already, empty.
    for table in ["nodes", "meeting_leases"] {
        assert_eq!(
            store.test_count(&format!("SELECT COUNT(*) FROM {table}")),
            0
        );
    }
    store.test_execute("UPDATE breakout_schema SET version = 99");
    drop(store);
    assert!(matches!(
        Store::open_postgres(&url),
        Err(StoreError::SchemaTooNew { found: 99, .. })
    ));
}

#[test]
#[ignore = "needs PostgreSQL: make pg-test runs it"]
fn postgres_servers_opening_one_new_database_at_once_migrate_it_once() {
    let url = cluster::Cluster::shared().new_database();
    let opened: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || Store::open_postgres(&url).map(drop))
        })
        .collect();
    for open in opened {
        open.join().expect("thread").expect("open");
    }
}

#[test]
fn postgres_that_cannot_be_reached_is_unavailable() {
    // A port nothing listens on: refused at once, not an error to retry
    // differently from a server that went away.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|socket| socket.local_addr())
        .expect("free port")
        .port();
    let opened = Store::open_postgres(&format!("postgres://breakout@127.0.0.1:{port}/x"));
    assert!(
        matches!(&opened, Err(StoreError::Unavailable { .. })),
        "{:?}",
        opened.err()
    );
    assert!(matches!(
        Store::open_postgres("postgres://[nonsense"),
        Err(StoreError::BadDatabaseUrl { .. })
    ));
}
