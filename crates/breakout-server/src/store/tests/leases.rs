//! Nodes and meeting leases (PostgreSQL only): taking a meeting over and
//! the fence that then refuses every write of the previous owner.

use std::time::Duration;

use breakout_core::Meeting;

use super::super::cluster::{NodeRecord, Timing};
use super::*;

const LEASE: Timing = Timing {
    fresh: Duration::from_secs(6),
    lease: Duration::from_secs(60),
};
/// A lease that has run out as soon as it is granted.
const EXPIRED: Timing = Timing {
    fresh: Duration::from_secs(6),
    lease: Duration::ZERO,
};

fn nodes(store: &Store, names: &[&str]) {
    let pg = store.postgres().expect("PostgreSQL");
    for name in names {
        pg.register_node(&NodeRecord {
            id: (*name).into(),
            url: format!("http://{name}.test"),
            stream_budget: None,
        })
        .expect("register");
    }
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs PostgreSQL: make pg-test runs it"]
async fn a_takeover_fences_every_write_of_the_previous_owner() {
    let store = Db::postgres().open();
    let pg = store.postgres().expect("PostgreSQL");
    nodes(&store, &["a", "b"]);
    store.create_meeting(&record("m", 1)).unwrap();
    assert_eq!(pg.take_over("m", "a", LEASE).unwrap(), Some(1));
    store
        .append_fenced_async("m", &[chat(1)], Some(1))
        .await
        .expect("the owner writes");
    // A valid lease is not taken.
    assert_eq!(pg.take_over("m", "b", LEASE).unwrap(), None);
    let lease = pg.lease("m").unwrap().expect("a lease");
    assert_eq!(
        (lease.owner.as_str(), lease.epoch, lease.valid),
        ("a", 1, true)
    );
    assert_eq!(lease.owner_url, "http://a.test");

    // The owner stalls past its lease; b takes the meeting over.
    assert_eq!(pg.take_over("m", "a", EXPIRED).unwrap(), Some(2));
    assert!(!pg.lease("m").unwrap().unwrap().valid);
    assert_eq!(pg.take_over("m", "b", LEASE).unwrap(), Some(3));

    // The old owner wakes up: nothing it writes gets in.
    let refused = store.append_fenced_async("m", &[chat(2)], Some(2)).await;
    assert!(
        matches!(refused, Err(StoreError::Fenced { ref meeting, epoch: 2 }) if meeting == "m"),
        "{refused:?}"
    );
    let snapshot = store
        .save_snapshot_fenced_async("m", 1, &Meeting::new(), Some(2))
        .await;
    assert!(
        matches!(snapshot, Err(StoreError::Fenced { .. })),
        "{snapshot:?}"
    );
    // Its renewal no longer lists the meeting; b's does.
    assert!(pg.renew_leases("a", LEASE).await.unwrap().is_empty());
    assert_eq!(
        pg.renew_leases("b", LEASE).await.unwrap(),
        [("m".to_owned(), 3)]
    );

    // The new owner goes on from what was durable.
    store
        .append_fenced_async("m", &[chat(2)], Some(3))
        .await
        .expect("the new owner writes");
    assert_eq!(seqs(&store.restore("m").unwrap().journal), [1, 2]);
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs PostgreSQL: make pg-test runs it"]
async fn a_fenced_append_does_not_take_its_group_down() {
    let store = Db::postgres().open();
    let pg = store.postgres().expect("PostgreSQL");
    nodes(&store, &["a", "b"]);
    store.create_meeting(&record("moved", 1)).unwrap();
    store.create_meeting(&record("kept", 2)).unwrap();
    assert_eq!(pg.take_over("moved", "b", LEASE).unwrap(), Some(1));
    assert_eq!(pg.take_over("kept", "a", LEASE).unwrap(), Some(1));
    // Queued together behind a stalled writer: one group, one commit.
    let stall = store.stall_writer();
    let stale = store.append_fenced_async("moved", &[chat(1)], Some(7));
    let fine = store.append_fenced_async("kept", &[chat(1)], Some(1));
    let unfenced = store.append_async("moved", &[chat(1)]);
    drop(stall);
    assert!(matches!(stale.await, Err(StoreError::Fenced { .. })));
    fine.await.expect("the other meeting's append");
    unfenced.await.expect("an append without a fence");
}

#[test]
#[ignore = "needs PostgreSQL: make pg-test runs it"]
fn a_meeting_is_placed_on_the_least_loaded_fresh_node_with_its_first_entry() {
    let store = Db::postgres().open();
    let pg = store.postgres().expect("PostgreSQL");
    nodes(&store, &["a", "b"]);
    let mut owners = Vec::new();
    for i in 0..4 {
        let id = format!("m{i}");
        let lease = pg
            .create_placed_meeting(&record(&id, i), Some(&chat(1)), "a", LEASE)
            .unwrap();
        assert_eq!(lease.epoch, 1);
        assert_eq!(seqs(&store.restore(&id).unwrap().journal), [1]);
        owners.push(lease.owner);
    }
    owners.sort();
    assert_eq!(owners, ["a", "a", "b", "b"]);
    // A draining node takes none; with nobody fresh the creator does.
    store.test_execute("UPDATE nodes SET draining = true WHERE id = 'b'");
    let lease = pg
        .create_placed_meeting(&record("next", 9), None, "a", LEASE)
        .unwrap();
    assert_eq!(lease.owner, "a");
    store.test_execute("UPDATE nodes SET heartbeat_at = 0");
    let lease = pg
        .create_placed_meeting(&record("alone", 10), None, "b", LEASE)
        .unwrap();
    assert_eq!(lease.owner, "b");
}
