//! Store tests against real SQLite files in a temporary directory.

use std::path::PathBuf;

use breakout_core::{Actor, BreakoutConfig, Command, Meeting, ParticipantId, PollId, RoomId};
use tempfile::TempDir;

use super::*;

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

#[test]
fn store_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Store>();
}

#[test]
fn migrations_are_idempotent() {
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
    assert_eq!(version, schema::MIGRATIONS.len());
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .expect("journal_mode");
    assert_eq!(mode, "wal");
}

#[test]
fn refuses_a_schema_from_the_future() {
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
fn meetings_are_listed_oldest_first_and_ids_are_unique() {
    let store = Store::open_in_memory().expect("open");
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

#[test]
fn deleting_a_meeting_cascades() {
    let (_dir, path) = temp_db();
    let store = Store::open(&path).expect("open");
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
    }

    assert!(store.delete_meeting("gone").expect("delete"));
    assert!(!store.delete_meeting("gone").expect("delete again"));
    assert_eq!(store.meetings().expect("list"), vec![record("kept", 2)]);
    assert!(matches!(store.restore("gone"), Err(StoreError::NotFound)));
    assert_eq!(store.find_token(&hash_token("gone")).expect("find"), None);

    let conn = store.conn();
    for table in ["journal", "snapshots", "tokens"] {
        let orphans: u64 = conn
            .query_row(
                &format!("SELECT COUNT(*) FROM {table} WHERE meeting = 'gone'"),
                [],
                |row| row.get(0),
            )
            .expect("count");
        assert_eq!(orphans, 0, "{table} still has rows of a deleted meeting");
    }
    drop(conn);
    let kept = store.restore("kept").expect("restore kept");
    assert_eq!(seqs(&kept.journal), [2, 3]);
}

#[test]
fn append_and_restore_keep_order() {
    let store = Store::open_in_memory().expect("open");
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

#[test]
fn duplicate_or_backward_seq_is_rejected_atomically() {
    let store = Store::open_in_memory().expect("open");
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

#[test]
fn unknown_meeting_is_not_found() {
    let store = Store::open_in_memory().expect("open");
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

#[test]
fn snapshot_compacts_the_journal() {
    let store = Store::open_in_memory().expect("open");
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

    let conn = store.conn();
    let stored: (u64, u64) = conn
        .query_row(
            "SELECT (SELECT COUNT(*) FROM snapshots), (SELECT COUNT(*) FROM journal)",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .expect("count");
    assert_eq!(stored, (1, 1), "one snapshot, one journal entry left");
    drop(conn);

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

#[test]
fn restore_plus_replay_rebuilds_the_meeting() {
    let (_dir, path) = temp_db();
    let (journal, states) = scripted_meeting();
    let snapshot_seq = 8;
    {
        let store = Store::open(&path).expect("open");
        store.create_meeting(&record("m", 1)).expect("create");
        let (early, late) = journal.split_at(6);
        store.append("m", early).expect("append");
        store.append("m", late).expect("append");
        store
            .save_snapshot("m", snapshot_seq, &states[snapshot_seq as usize - 1])
            .expect("snapshot");
    }

    // A "restart": a fresh store on the same file.
    let store = Store::open(&path).expect("reopen");
    let restored = store.restore("m").expect("restore");
    let (seq, mut meeting) = restored.snapshot.expect("snapshot");
    assert_eq!(seq, snapshot_seq);
    assert_eq!(meeting, states[seq as usize - 1]);
    assert_eq!(restored.journal, journal[seq as usize..]);
    for e in restored.journal {
        meeting.tick(e.at);
        meeting.apply(e.actor, e.command, e.at).expect("replay");
    }
    assert_eq!(&meeting, states.last().expect("states"));
}

#[test]
fn everything_survives_reopening() {
    let (_dir, path) = temp_db();
    let (_, states) = scripted_meeting();
    let meeting = states.last().expect("states").clone();
    let token = new_token();
    {
        let store = Store::open(&path).expect("open");
        store.create_meeting(&record("m", 7)).expect("create");
        store.append("m", &[chat(1), chat(2)]).expect("append");
        store.save_snapshot("m", 1, &meeting).expect("snapshot");
        store
            .add_token(&hash_token(&token), "m", ParticipantId(2), "participant")
            .expect("token");
        store.set_setting("admin_key_hash", "abc").expect("setting");
    }
    let store = Store::open(&path).expect("reopen");
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

#[test]
fn participant_ids_are_monotonic_across_reopen() {
    let (_dir, path) = temp_db();
    {
        let store = Store::open(&path).expect("open");
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
    let store = Store::open(&path).expect("reopen");
    assert_eq!(
        store.next_participant_id("a").expect("id"),
        ParticipantId(4)
    );
    assert_eq!(
        store.next_participant_id("b").expect("id"),
        ParticipantId(2)
    );
}

#[test]
fn tokens_are_stored_hashed_found_and_revoked() {
    let (_dir, path) = temp_db();
    let store = Store::open(&path).expect("open");
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

    // The file holds the hash, never the token itself.
    {
        let conn = store.conn();
        let hashes: Vec<Vec<u8>> = conn
            .prepare("SELECT hash FROM tokens")
            .and_then(|mut stmt| stmt.query_map([], |row| row.get(0))?.collect())
            .expect("hashes");
        assert_eq!(hashes.len(), 3);
        assert!(hashes.contains(&hash_token(&alice).to_vec()));
        conn.pragma_update(None, "wal_checkpoint", "FULL")
            .expect("checkpoint");
    }
    let mut on_disk = std::fs::read(&path).expect("read db");
    on_disk.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
    for token in [&alice, &alice_2, &bob] {
        let plain = token.as_bytes();
        assert!(!on_disk.windows(plain.len()).any(|w| w == plain));
    }
    let hash = hash_token(&alice);
    assert!(on_disk.windows(hash.len()).any(|w| w == hash));

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

#[test]
fn settings_are_replaced() {
    let store = Store::open_in_memory().expect("open");
    assert_eq!(store.setting("k").expect("get"), None);
    store.set_setting("k", "1").expect("set");
    store.set_setting("k", "2").expect("replace");
    assert_eq!(store.setting("k").expect("get").as_deref(), Some("2"));
}

#[test]
fn undecodable_rows_are_reported_as_corrupt() {
    let store = Store::open_in_memory().expect("open");
    store.create_meeting(&record("m", 1)).expect("create");
    store.append("m", &[chat(1)]).expect("append");
    store
        .conn()
        .execute("UPDATE journal SET command = '{\"type\":\"nope\"}'", [])
        .expect("damage");
    let err = store.restore("m").expect_err("corrupt journal");
    assert!(
        matches!(&err, StoreError::Corrupt { meeting, reason } if meeting == "m" && reason.contains("entry 1")),
        "{err}"
    );

    store
        .save_snapshot("m", 1, &Meeting::new())
        .expect("snapshot");
    store
        .conn()
        .execute("UPDATE snapshots SET state = '{}'", [])
        .expect("damage");
    assert!(matches!(
        store.restore("m"),
        Err(StoreError::Corrupt { .. })
    ));
}
