//! The one error type of the store, whichever backend answered.

use std::path::PathBuf;

/// Everything that can go wrong reading or writing the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite failed: I/O error, locked file past the busy timeout, a
    /// constraint the store does not check itself, or a value out of range
    /// (a `u64` above `i64::MAX`).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL refused a statement the store does not check itself (a
    /// constraint, a type it did not expect). Losing the connection is
    /// [`StoreError::Unavailable`] instead.
    #[error("database error: {0}")]
    Postgres(#[source] tokio_postgres::Error),
    /// The database server cannot be reached right now: connection refused
    /// or lost, shutting down, no answer in time. Nothing of the failed call
    /// is acknowledged; the same call may work once it is back.
    #[error("storage unavailable: {reason}")]
    Unavailable { reason: String },
    /// The `--database` URL could not be read.
    #[error("invalid database URL: {reason}")]
    BadDatabaseUrl { reason: String },
    /// A number does not fit the database's signed 64-bit integers (or a
    /// stored one is negative where only unsigned values are written).
    #[error("{what} is out of the database's range")]
    OutOfRange { what: &'static str },
    /// The directory for the database file could not be created.
    #[error("cannot create {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The database was migrated by a newer server; opening it here could
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
    /// The write carried lease epoch `epoch` of `meeting`, but another node
    /// took the meeting over since (a newer epoch): nothing was written,
    /// and this node must stop serving the meeting.
    #[error("meeting {meeting} moved to another node: lease epoch {epoch} is over")]
    Fenced { meeting: String, epoch: u64 },
    /// The journal writer stopped before answering (the store is closing).
    #[error("the journal writer has stopped")]
    WriterGone,
    /// A value could not be encoded as JSON (a bug in its `Serialize`).
    #[error("cannot encode as JSON: {0}")]
    Encode(#[source] serde_json::Error),
}

impl StoreError {
    /// Whether the database could not be reached (as opposed to refusing
    /// the call): the server answers `storage_unavailable` and the caller
    /// may retry later.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable { .. })
    }

    /// Whether another node took the meeting over: this one must drop it.
    pub fn is_fenced(&self) -> bool {
        matches!(self, StoreError::Fenced { .. })
    }
}
