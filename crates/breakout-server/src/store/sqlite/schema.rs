//! Connection settings and schema migrations.
//!
//! The schema version is SQLite's `PRAGMA user_version`: the number of
//! [`MIGRATIONS`] applied. Migrations only ever get appended; an applied one
//! is never edited, because files in the field already ran it.

use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use super::super::StoreError;

/// How long a statement waits for another connection's lock (a second
/// process, a backup, a checkpoint) before failing with `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Each entry takes the schema from version `i` to `i + 1`.
///
/// `STRICT` tables make SQLite reject a value of the wrong type instead of
/// storing it; unsigned values are checked by rusqlite on the way in and out.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: meetings, journal, snapshots, tokens, settings.
    "CREATE TABLE meetings (
        id TEXT PRIMARY KEY NOT NULL,
        title TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        next_participant INTEGER NOT NULL DEFAULT 1
    ) STRICT;
    CREATE INDEX meetings_by_age ON meetings (created_at);

    CREATE TABLE journal (
        meeting TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        command TEXT NOT NULL,
        PRIMARY KEY (meeting, seq)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE snapshots (
        meeting TEXT PRIMARY KEY NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        state TEXT NOT NULL
    ) STRICT;

    CREATE TABLE tokens (
        hash BLOB PRIMARY KEY NOT NULL CHECK (length(hash) = 32),
        meeting TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
        participant INTEGER NOT NULL,
        preset TEXT NOT NULL
    ) STRICT;
    CREATE INDEX tokens_by_participant ON tokens (meeting, participant);

    CREATE TABLE settings (
        key TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
    ) STRICT;",
    // 2: invite codes, by hash: anyone holding one may join with its preset.
    "CREATE TABLE invites (
        hash BLOB PRIMARY KEY NOT NULL CHECK (length(hash) = 32),
        meeting TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
        preset TEXT NOT NULL,
        created_at INTEGER NOT NULL
    ) STRICT;",
    // 3: invites may be limited in uses and time; existing ones stay unlimited.
    "ALTER TABLE invites ADD COLUMN max_uses INTEGER;
    ALTER TABLE invites ADD COLUMN uses INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE invites ADD COLUMN expires_at INTEGER;",
];

/// Per-connection settings; must run before any transaction.
pub(super) fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // WAL lets readers (e.g. a backup) run alongside the writer. An
    // in-memory database answers "memory" and stays so, which is fine.
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))?;
    // FULL syncs the WAL at every commit, so an acknowledged event survives
    // a power cut, not only a crash of the process. NORMAL would drop the
    // last commits then. The journal writer's group commit pays this once
    // per group rather than once per append.
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Off by default in SQLite; the cascades on meeting deletion need it.
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(())
}

/// Brings the schema up to date in one transaction, so a crash mid-way
/// leaves the previous version intact.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let supported = u32::try_from(MIGRATIONS.len()).unwrap_or(u32::MAX);
    // IMMEDIATE takes the write lock up front: two servers opening the same
    // new file cannot both read version 0 and both try to migrate.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: u32 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > supported {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    for sql in &MIGRATIONS[found as usize..] {
        tx.execute_batch(sql)?;
    }
    if found < supported {
        tx.pragma_update(None, "user_version", supported)?;
    }
    tx.commit()?;
    Ok(())
}
