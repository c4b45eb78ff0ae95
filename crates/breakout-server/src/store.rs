//! Durable server state in one SQLite file: meetings, the journal of applied
//! commands, the newest snapshot of each meeting, hashed access tokens and
//! server settings.
//!
//! A meeting is rebuilt after a restart from its newest snapshot plus the
//! journal entries recorded after it ([`Store::restore`]). Saving a snapshot
//! compacts the journal up to it, so recovery replays at most one snapshot
//! interval of commands however old the meeting is.
//!
//! Journal appends go through the journal writer (`writer`), a thread of
//! its own doing group commit; the `*_async` calls await it without holding
//! a tokio worker. Everything else is synchronous and serialised through
//! the same connection behind a mutex: call it from
//! `tokio::task::spawn_blocking` or a dedicated thread, never directly on an
//! async worker.
//!
//! Tokens never reach the database in plain text: hand out [`new_token`] and
//! store only its [`hash_token`].

mod invites;
mod journal;
pub use invites::{InviteUse, NewInvite};
mod schema;
#[cfg(test)]
mod tests;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use breakout_core::{Actor, Command, Meeting, ParticipantId, Timestamp};
use rand::RngCore;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

/// Everything that can go wrong reading or writing the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite failed: I/O error, locked file past the busy timeout, a
    /// constraint the store does not check itself, or a value out of range
    /// (a `u64` above `i64::MAX`).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The directory for the database file could not be created.
    #[error("cannot create {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file was migrated by a newer server; opening it here could
    /// misread or damage data this version does not know about.
    #[error("database schema version {found} is newer than this server's {supported}")]
    SchemaTooNew { found: u32, supported: u32 },
    /// Stored data of `meeting` could not be decoded, or a decoded snapshot
    /// breaks the meeting's invariants. The meeting cannot be restored as is.
    #[error("meeting {meeting} is corrupt: {reason}")]
    Corrupt { meeting: String, reason: String },
    /// The meeting does not exist (never created, or deleted).
    #[error("meeting not found")]
    NotFound,
    /// A meeting with this id, or a token with this hash, already exists.
    #[error("already exists")]
    AlreadyExists,
    /// A journal entry's `seq` is not above every `seq` the meeting already
    /// has (journal or snapshot), or the batch itself is not ascending.
    #[error("journal entry {seq} of meeting {meeting} does not follow {last}")]
    SeqOutOfOrder {
        meeting: String,
        seq: u64,
        last: u64,
    },
    /// A snapshot older than the one already saved: the journal up to the
    /// newer one is gone, so keeping the older one would lose commands.
    #[error("snapshot at {seq} of meeting {meeting} is older than the saved one at {newest}")]
    StaleSnapshot {
        meeting: String,
        seq: u64,
        newest: u64,
    },
    /// The transaction holding this append (and those grouped with it)
    /// could not be committed; none of them is stored.
    #[error("journal commit failed: {reason}")]
    CommitFailed { reason: String },
    /// The journal writer stopped before answering (the store is closing).
    #[error("the journal writer has stopped")]
    WriterGone,
    /// A value could not be encoded as JSON (a bug in its `Serialize`).
    #[error("cannot encode as JSON: {0}")]
    Encode(#[source] serde_json::Error),
}

/// A meeting as listed by the server; its live state lives in the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingRecord {
    pub id: String,
    pub title: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: u64,
}

/// One command the meeting accepted, in the order it was applied.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalEntry {
    pub seq: u64,
    pub at: Timestamp,
    pub actor: Actor,
    pub command: Command,
}

/// What is needed to rebuild a meeting: start from the snapshot (or
/// [`Meeting::new`] without one) and apply the journal in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Restored {
    /// The newest snapshot and the `seq` of the last entry it includes.
    pub snapshot: Option<(u64, Meeting)>,
    /// Entries after the snapshot, ascending by `seq`.
    pub journal: Vec<JournalEntry>,
}

/// The SQLite store. Cheap to share behind an `Arc`.
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    writer: writer::JournalWriter,
}

impl Store {
    /// Opens (creating if needed, with its parent directory) the database
    /// file at `path` and migrates it to the current schema.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        Self::init(Connection::open(path)?)
    }

    /// A private database that vanishes with the `Store`; for tests and
    /// throwaway servers.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Store, StoreError> {
        schema::configure(&conn)?;
        schema::migrate(&mut conn)?;
        let conn = Arc::new(Mutex::new(conn));
        Ok(Store {
            writer: writer::JournalWriter::start(conn.clone())?,
            conn,
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while the lock was held cannot leave a half-applied write:
        // every multi-statement write runs in a transaction that rolls back
        // when dropped, so the connection is still consistent.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a new meeting; [`StoreError::AlreadyExists`] if the id is taken.
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

    /// Deletes a meeting with its journal, snapshot and tokens. Returns
    /// whether it existed.
    pub fn delete_meeting(&self, id: &str) -> Result<bool, StoreError> {
        // The foreign keys cascade, so the dependent rows go in the same
        // statement (and so the same implicit transaction).
        let deleted = self
            .conn()
            .execute("DELETE FROM meetings WHERE id = ?1", [id])?;
        Ok(deleted > 0)
    }

    /// Every meeting, oldest first (ties in creation order).
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

    /// Allocates the next participant id of a meeting: 1, 2, 3, … Persisted
    /// before it is returned, so an id is never handed out twice, even
    /// across restarts or if the command using it never reaches the journal.
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

    /// Records a token (by its hash) granting `participant` of `meeting`
    /// access with `preset`.
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

    /// The meeting and participant a token hash belongs to, if any.
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

    /// Invalidates every token of one participant (removed or kicked).
    pub fn revoke_tokens(
        &self,
        meeting: &str,
        participant: ParticipantId,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "DELETE FROM tokens WHERE meeting = ?1 AND participant = ?2",
            params![meeting, participant.0],
        )?;
        Ok(())
    }

    /// A server setting, such as the admin key hash.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()?)
    }

    /// Sets (or replaces) a server setting.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }
}

/// SHA-256 of a token: what the store keeps instead of the token.
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A fresh access token: 256 random bits from the OS-seeded CSPRNG, as 64
/// lowercase hex characters (safe in URLs, headers and file names).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(StoreError::Encode)
}

fn from_json<T: DeserializeOwned>(
    meeting: &str,
    json: &str,
    what: impl FnOnce() -> String,
) -> Result<T, StoreError> {
    serde_json::from_str(json).map_err(|err| StoreError::Corrupt {
        meeting: meeting.to_owned(),
        reason: format!("{}: {err}", what()),
    })
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
