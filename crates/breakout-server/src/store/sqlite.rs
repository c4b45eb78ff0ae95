//! The embedded backend: one SQLite file (the default, and what the desktop
//! app's server uses).
//!
//! Journal appends go through the journal writer (`writer`), a thread of
//! its own doing group commit; the `*_async` calls await it without holding
//! a tokio worker. Everything else is synchronous and serialised through
//! the same connection behind a mutex.

mod invites;
mod journal;
mod schema;
mod writer;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use breakout_core::ParticipantId;
use rusqlite::{Connection, OptionalExtension, params};

use super::{MeetingRecord, StoreError};

/// The SQLite store.
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    writer: writer::JournalWriter,
}

impl SqliteStore {
    /// Opens (creating if needed, with its parent directory) the database
    /// file at `path` and migrates it to the current schema.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        Self::init(Connection::open(path)?)
    }

    /// A private database that vanishes with the store.
    pub fn open_in_memory() -> Result<SqliteStore, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<SqliteStore, StoreError> {
        schema::configure(&conn)?;
        schema::migrate(&mut conn)?;
        let conn = Arc::new(Mutex::new(conn));
        Ok(SqliteStore {
            writer: writer::JournalWriter::start(conn.clone())?,
            conn,
        })
    }

    pub(super) fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while the lock was held cannot leave a half-applied write:
        // every multi-statement write runs in a transaction that rolls back
        // when dropped, so the connection is still consistent.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn create_meeting(&self, record: &MeetingRecord) -> Result<(), StoreError> {
        let inserted = self.conn().execute(
            "INSERT INTO meetings (id, title, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO NOTHING",
            params![record.id, record.title, record.created_at],
        )?;
        if inserted == 0 {
            return Err(StoreError::AlreadyExists);
        }
        Ok(())
    }

    pub fn delete_meeting(&self, id: &str) -> Result<bool, StoreError> {
        // The foreign keys cascade, so the dependent rows go in the same
        // statement (and so the same implicit transaction).
        let deleted = self
            .conn()
            .execute("DELETE FROM meetings WHERE id = ?1", [id])?;
        Ok(deleted > 0)
    }

    pub fn meetings(&self) -> Result<Vec<MeetingRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, title, created_at FROM meetings ORDER BY created_at, rowid",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(MeetingRecord {
                id: row.get(0)?,
                title: row.get(1)?,
                created_at: row.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn next_participant_id(&self, meeting: &str) -> Result<ParticipantId, StoreError> {
        self.conn()
            .query_row(
                "UPDATE meetings SET next_participant = next_participant + 1
                 WHERE id = ?1 RETURNING next_participant - 1",
                [meeting],
                |row| row.get(0).map(ParticipantId),
            )
            .optional()?
            .ok_or(StoreError::NotFound)
    }

    pub fn add_token(
        &self,
        token_hash: &[u8; 32],
        meeting: &str,
        participant: ParticipantId,
        preset: &str,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        require_meeting(&tx, meeting)?;
        let inserted = tx.execute(
            "INSERT INTO tokens (hash, meeting, participant, preset) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (hash) DO NOTHING",
            params![&token_hash[..], meeting, participant.0, preset],
        )?;
        if inserted == 0 {
            return Err(StoreError::AlreadyExists);
        }
        tx.commit()?;
        Ok(())
    }

    pub fn find_token(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<(String, ParticipantId)>, StoreError> {
        // An indexed lookup of the hash, not a comparison with the secret:
        // its timing tells an attacker nothing about any valid token.
        Ok(self
            .conn()
            .query_row(
                "SELECT meeting, participant FROM tokens WHERE hash = ?1",
                [&token_hash[..]],
                |row| Ok((row.get(0)?, ParticipantId(row.get(1)?))),
            )
            .optional()?)
    }

    pub fn revoke_tokens(
        &self,
        meeting: &str,
        participant: ParticipantId,
    ) -> Result<(), StoreError> {
        revoke_tokens(&self.conn(), meeting, participant)
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()?)
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }

    /// Runs `sql` and returns its one integer (tests look at rows directly).
    #[cfg(test)]
    pub(super) fn test_count(&self, sql: &str) -> u64 {
        self.conn()
            .query_row(sql, [], |row| row.get(0))
            .unwrap_or_else(|error| panic!("{sql}: {error}"))
    }

    /// Runs `sql` for what it changes (tests damage rows on purpose).
    #[cfg(test)]
    pub(super) fn test_execute(&self, sql: &str) {
        self.conn()
            .execute_batch(sql)
            .unwrap_or_else(|error| panic!("{sql}: {error}"));
    }
}

fn revoke_tokens(
    conn: &Connection,
    meeting: &str,
    participant: ParticipantId,
) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM tokens WHERE meeting = ?1 AND participant = ?2",
        params![meeting, participant.0],
    )?;
    Ok(())
}

fn require_meeting(tx: &Connection, meeting: &str) -> Result<(), StoreError> {
    let found = tx
        .query_row(
            "SELECT 1 FROM meetings WHERE id = ?1",
            [meeting],
            |_| Ok(()),
        )
        .optional()?;
    found.ok_or(StoreError::NotFound)
}

/// The highest `seq` a meeting has ever stored: its journal's last entry or,
/// once compacted, its snapshot.
fn last_seq(tx: &Connection, meeting: &str) -> Result<Option<u64>, StoreError> {
    let (journal, snapshot): (Option<u64>, Option<u64>) = tx
        .query_row(
            "SELECT (SELECT MAX(seq) FROM journal WHERE meeting = ?1),
                    (SELECT seq FROM snapshots WHERE meeting = ?1)
             FROM meetings WHERE id = ?1",
            [meeting],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?
        .ok_or(StoreError::NotFound)?;
    Ok(journal.max(snapshot))
}
