//! Each backend's own mechanics: SQLite's pragmas and file, PostgreSQL's
//! version table, migrations by several servers at once, and reachability.

use rusqlite::Connection;

use super::super::*;
use super::{chat, cluster, record, seqs, temp_db};

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
        2,
        "PostgreSQL's schema is at its second migration"
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

// Synchronous calls on a current-thread runtime too: the store's I/O runs
// on its own thread, so they cannot wait for themselves.
#[tokio::test(flavor = "current_thread")]
#[ignore = "needs PostgreSQL: make pg-test runs it"]
async fn postgres_going_away_is_unavailable_until_it_is_back() {
    let cluster = cluster::Cluster::start();
    let store = Store::open_postgres(&cluster.new_database()).expect("open");
    store.create_meeting(&record("m", 1)).expect("create");
    store.append("m", &[chat(1)]).expect("append");
    assert!(store.is_writable());

    cluster.stop_server();
    let lost = store.append_async("m", &[chat(2)]).await;
    assert!(
        matches!(&lost, Err(StoreError::Unavailable { .. })),
        "{lost:?}"
    );
    assert!(!store.is_writable());
    assert!(!store.check_writable_async().await);
    let listed = store.meetings();
    assert!(
        matches!(&listed, Err(StoreError::Unavailable { .. })),
        "{listed:?}"
    );
    let restored = store.restore_async("m").await;
    assert!(
        matches!(&restored, Err(StoreError::Unavailable { .. })),
        "{restored:?}"
    );

    cluster.start_server();
    assert!(store.check_writable_async().await);
    assert!(store.is_writable());
    store
        .append("m", &[chat(2)])
        .expect("append once it is back");
    let restored = store.restore_async("m").await.expect("restore");
    assert_eq!(seqs(&restored.journal), [1, 2]);
}

#[test]
#[ignore = "needs PostgreSQL: make pg-test runs it"]
fn postgres_commits_are_durable_whatever_the_database_default() {
    let url = cluster::Cluster::shared().new_database();
    let first = Store::open_postgres(&url).expect("open");
    first.test_execute(
        "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit = off',
                                    current_database()); END $$",
    );
    drop(first);
    // New connections would start with it off; the store turns it on.
    let store = Store::open_postgres(&url).expect("reopen");
    assert_eq!(
        store.test_count("SELECT (current_setting('synchronous_commit') = 'on')::int::bigint"),
        1
    );
}
