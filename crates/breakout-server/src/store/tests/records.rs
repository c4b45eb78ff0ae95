//! Meetings, participant ids, tokens, invites and settings.

use breakout_core::ParticipantId;

use super::super::*;
use super::journal::scripted_meeting;
use super::{Db, chat, record, seqs};

pub(super) fn meetings_are_listed_oldest_first_and_ids_are_unique(db: Db) {
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

pub(super) fn deleting_a_meeting_cascades(db: Db) {
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

pub(super) fn everything_survives_reopening(db: Db) {
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

pub(super) fn participant_ids_are_monotonic_across_reopen(db: Db) {
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

pub(super) fn tokens_are_stored_hashed_found_and_revoked(db: Db) {
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

pub(super) fn settings_are_replaced(db: Db) {
    let store = db.open();
    assert_eq!(store.setting("k").expect("get"), None);
    store.set_setting("k", "1").expect("set");
    store.set_setting("k", "2").expect("replace");
    assert_eq!(store.setting("k").expect("get").as_deref(), Some("2"));
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

pub(super) fn invites_are_found_by_hash_and_go_with_their_meeting(db: Db) {
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

pub(super) fn an_invite_runs_out_of_uses_and_time(db: Db) {
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
