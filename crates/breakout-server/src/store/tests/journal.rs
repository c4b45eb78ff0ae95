//! The journal and snapshots: appending in order, group commit, compaction,
//! restore and replay, damage reported as corruption.

use breakout_core::{
    Actor, BreakoutConfig, Command, Meeting, ParticipantId, PollId, RoomId, Timestamp,
};

use super::super::*;
use super::{Db, chat, group_entries, record, seqs};

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
pub(super) fn scripted_meeting() -> (Vec<JournalEntry>, Vec<Meeting>) {
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

pub(super) fn append_and_restore_keep_order(db: Db) {
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

pub(super) fn duplicate_or_backward_seq_is_rejected_atomically(db: Db) {
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

pub(super) fn unknown_meeting_is_not_found(db: Db) {
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

pub(super) fn snapshot_compacts_the_journal(db: Db) {
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

pub(super) fn restore_plus_replay_rebuilds_the_meeting(db: Db) {
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

pub(super) fn undecodable_rows_are_reported_as_corrupt(db: Db) {
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

pub(super) fn values_beyond_the_columns_are_refused(db: Db) {
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

pub(super) async fn appends_queued_together_share_one_commit(db: Db) {
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

pub(super) async fn a_refused_append_does_not_take_its_group_down(db: Db) {
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

pub(super) async fn async_calls_stay_in_order_with_appends(db: Db) {
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
