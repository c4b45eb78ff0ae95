//! Durable server state: meetings, the journal of applied commands, the
//! newest snapshot of each meeting, hashed access tokens, invites and
//! server settings.
//!
//! A meeting is rebuilt after a restart from its newest snapshot plus the
//! journal entries recorded after it ([`Store::restore`]). Saving a snapshot
//! compacts the journal up to it, so recovery replays at most one snapshot
//! interval of commands however old the meeting is.
//!
//! # Two backends behind one type
//!
//! [`Store`] is an enum over the two backends rather than a trait object:
//!
//! - SQLite ([`Store::open`]): one file in the data directory, the default
//!   and what the desktop app embeds;
//! - PostgreSQL ([`Store::open_postgres`], `--database postgres://...`):
//!   the shared store a cluster of servers will run on.
//!
//! Both are known here and both live in this crate, so an enum costs no
//! `dyn`, no boxed future per journal append, and keeps the `*_async` calls
//! returning plain `'static` futures the meeting actors await. Every method
//! below is one `match` over the two, so a method added for one backend
//! does not compile until the other has it too, which is all a trait would
//! have bought. Test hooks (stalling the writer, looking at rows) stay
//! private to the crate instead of widening a public trait.
//!
//! Both backends keep the same promises, checked by the same tests
//! (`store::tests`, run against each): a journal append is answered only
//! after the transaction holding it committed (group commit: one commit
//! for everything queued at once), an append whose `seq` does not follow is
//! refused alone, the `*_async` calls stay in order with the appends queued
//! before them, and the same errors come back for the same mistakes. A
//! database that cannot be reached is [`StoreError::Unavailable`]
//! (PostgreSQL only: a SQLite file does not go away).
//!
//! The synchronous calls block: call them from `tokio::task::spawn_blocking`
//! or a dedicated thread, never directly on an async worker. Each backend
//! does its I/O on threads of its own (SQLite's journal writer, PostgreSQL's
//! runtime thread), so a blocked caller never holds up the store.
//!
//! Tokens never reach the database in plain text: hand out [`new_token`] and
//! store only its [`hash_token`].

pub mod cluster;
mod error;
pub(crate) mod postgres;
mod sqlite;
#[cfg(test)]
mod tests;
mod types;

use std::future::Future;
use std::path::Path;

use breakout_core::{Meeting, ParticipantId};
use futures_util::future::Either;

pub use error::StoreError;
pub use types::{
    InviteUse, JournalEntry, MeetingRecord, NewInvite, Restored, hash_token, new_token,
};

/// The durable store, on SQLite or PostgreSQL. Cheap to share behind an `Arc`.
pub enum Store {
    Sqlite(sqlite::SqliteStore),
    Postgres(postgres::PgStore),
}

/// Calls the same method on whichever backend this is.
macro_rules! each {
    ($store:expr, $backend:ident => $call:expr) => {
        match $store {
            Store::Sqlite($backend) => $call,
            Store::Postgres($backend) => $call,
        }
    };
}

/// [`each!`] for the `*_async` calls: the two futures differ in type.
macro_rules! each_async {
    ($store:expr, $backend:ident => $call:expr) => {
        match $store {
            Store::Sqlite($backend) => Either::Left($call),
            Store::Postgres($backend) => Either::Right($call),
        }
    };
}

impl Store {
    /// Opens (creating if needed, with its parent directory) the SQLite file
    /// at `path` and migrates it to the current schema.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        sqlite::SqliteStore::open(path).map(Store::Sqlite)
    }

    /// A private SQLite database that vanishes with the `Store`; for tests
    /// and throwaway servers.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        sqlite::SqliteStore::open_in_memory().map(Store::Sqlite)
    }

    /// Connects to PostgreSQL at `url` (`postgres://user@host:port/db`,
    /// or any form `tokio_postgres::Config` reads) and migrates its schema.
    /// Fails with [`StoreError::Unavailable`] if the server cannot be
    /// reached now.
    pub fn open_postgres(url: &str) -> Result<Store, StoreError> {
        postgres::PgStore::open(url).map(Store::Postgres)
    }

    /// The PostgreSQL store, which alone can hold a cluster's nodes and
    /// leases ([`cluster`]); `None` on SQLite.
    pub(crate) fn postgres(&self) -> Option<&postgres::PgStore> {
        match self {
            Store::Sqlite(_) => None,
            Store::Postgres(store) => Some(store),
        }
    }

    /// Which backend this is, for logs: `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Records a new meeting; [`StoreError::AlreadyExists`] if the id is taken.
    pub fn create_meeting(&self, record: &MeetingRecord) -> Result<(), StoreError> {
        each!(self, store => store.create_meeting(record))
    }

    /// Deletes a meeting with its journal, snapshot, tokens and invites.
    /// Returns whether it existed.
    pub fn delete_meeting(&self, id: &str) -> Result<bool, StoreError> {
        each!(self, store => store.delete_meeting(id))
    }

    /// Every meeting, oldest first (ties in creation order).
    pub fn meetings(&self) -> Result<Vec<MeetingRecord>, StoreError> {
        each!(self, store => store.meetings())
    }

    /// Allocates the next participant id of a meeting: 1, 2, 3, … Persisted
    /// before it is returned, so an id is never handed out twice, even
    /// across restarts or if the command using it never reaches the journal.
    pub fn next_participant_id(&self, meeting: &str) -> Result<ParticipantId, StoreError> {
        each!(self, store => store.next_participant_id(meeting))
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
        each!(self, store => store.add_token(token_hash, meeting, participant, preset))
    }

    /// The meeting and participant a token hash belongs to, if any.
    pub fn find_token(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<(String, ParticipantId)>, StoreError> {
        each!(self, store => store.find_token(token_hash))
    }

    /// Invalidates every token of one participant (removed or kicked).
    pub fn revoke_tokens(
        &self,
        meeting: &str,
        participant: ParticipantId,
    ) -> Result<(), StoreError> {
        each!(self, store => store.revoke_tokens(meeting, participant))
    }

    /// [`Store::revoke_tokens`], in order with the appends queued before it.
    pub fn revoke_tokens_async(
        &self,
        meeting: &str,
        participant: ParticipantId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        each_async!(self, store => store.revoke_tokens_async(meeting, participant))
    }

    /// A server setting, such as the admin key hash.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        each!(self, store => store.setting(key))
    }

    /// Sets (or replaces) a server setting.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        each!(self, store => store.set_setting(key, value))
    }

    /// Records an invite by its code's hash.
    pub fn add_invite(
        &self,
        code_hash: &[u8; 32],
        invite: &NewInvite<'_>,
    ) -> Result<(), StoreError> {
        each!(self, store => store.add_invite(code_hash, invite))
    }

    /// Takes one use of an invite at time `now`, if it has one left. The
    /// check and the count are one statement, so concurrent joins never
    /// exceed the limit.
    pub fn use_invite(&self, code_hash: &[u8; 32], now: u64) -> Result<InviteUse, StoreError> {
        each!(self, store => store.use_invite(code_hash, now))
    }

    /// Gives back a use taken by [`Store::use_invite`] for a join that was
    /// then refused (meeting full or locked, bad name).
    pub fn return_invite_use(&self, code_hash: &[u8; 32]) -> Result<(), StoreError> {
        each!(self, store => store.return_invite_use(code_hash))
    }

    /// Appends entries to a meeting's journal, all or none, and returns once
    /// they are durable. Each `seq` must be above the previous one and above
    /// everything already stored. Blocks: async code uses
    /// [`Store::append_async`].
    pub fn append(&self, meeting: &str, entries: &[JournalEntry]) -> Result<(), StoreError> {
        each!(self, store => store.append(meeting, entries))
    }

    /// [`Store::append`] without blocking: the returned future resolves
    /// once the writer committed the entries (or refused them).
    pub fn append_async(
        &self,
        meeting: &str,
        entries: &[JournalEntry],
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        each_async!(self, store => store.append_async(meeting, entries))
    }

    /// [`Store::append_async`] fenced by a cluster lease (PostgreSQL): with
    /// `Some(epoch)`, refused as [`StoreError::Fenced`] unless the
    /// meeting's lease still has that epoch when the append commits, which
    /// the same transaction checks. SQLite has no leases and ignores it.
    pub fn append_fenced_async(
        &self,
        meeting: &str,
        entries: &[JournalEntry],
        epoch: Option<u64>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        each_async!(self, store => store.append_fenced_async(meeting, entries, epoch))
    }

    /// Transactions the journal writer committed since the store opened;
    /// appends divided by this is the group-commit factor.
    pub fn journal_commits(&self) -> u64 {
        each!(self, store => store.journal_commits())
    }

    /// Whether journal appends can be written, as far as the store knows
    /// without asking the database: false once the writer has stopped, or
    /// (PostgreSQL) while the last contact with the server failed.
    pub fn is_writable(&self) -> bool {
        each!(self, store => store.is_writable())
    }

    /// [`Store::is_writable`], asking the database (PostgreSQL: one round
    /// trip) so a server that came back is seen without waiting for an
    /// append.
    pub fn check_writable_async(&self) -> impl Future<Output = bool> + Send + 'static {
        each_async!(self, store => store.check_writable_async())
    }

    /// Saves `state` as the meeting's snapshot after journal entry `seq`,
    /// replacing the previous snapshot and deleting the journal up to and
    /// including `seq`, atomically.
    pub fn save_snapshot(
        &self,
        meeting: &str,
        seq: u64,
        state: &Meeting,
    ) -> Result<(), StoreError> {
        each!(self, store => store.save_snapshot(meeting, seq, state))
    }

    /// [`Store::save_snapshot`] in order with the appends queued before it.
    pub fn save_snapshot_async(
        &self,
        meeting: &str,
        seq: u64,
        state: &Meeting,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        each_async!(self, store => store.save_snapshot_async(meeting, seq, state))
    }

    /// [`Store::save_snapshot_async`] fenced like
    /// [`Store::append_fenced_async`].
    pub fn save_snapshot_fenced_async(
        &self,
        meeting: &str,
        seq: u64,
        state: &Meeting,
        epoch: Option<u64>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        each_async!(self, store => store.save_snapshot_fenced_async(meeting, seq, state, epoch))
    }

    /// Loads what is needed to rebuild a meeting: its newest snapshot and
    /// the journal after it.
    pub fn restore(&self, meeting: &str) -> Result<Restored, StoreError> {
        each!(self, store => store.restore(meeting))
    }

    /// [`Store::restore`], reading after every append queued before it.
    pub fn restore_async(
        &self,
        meeting: &str,
    ) -> impl Future<Output = Result<Restored, StoreError>> + Send + 'static {
        each_async!(self, store => store.restore_async(meeting))
    }

    /// Rebuilds a meeting from its newest snapshot plus the journal after it;
    /// see [`Restored::replay`].
    pub fn rebuild(&self, meeting: &str) -> Result<(Meeting, u64), StoreError> {
        self.restore(meeting)?.replay(meeting)
    }

    /// Holds the journal writer until the returned value is dropped, so
    /// tests can queue work behind it deterministically.
    #[cfg(test)]
    pub(crate) fn stall_writer(&self) -> WriterStall {
        match self {
            Store::Sqlite(store) => WriterStall(Box::new(store.stall_writer())),
            Store::Postgres(store) => WriterStall(Box::new(store.stall_writer())),
        }
    }

    /// Runs `sql` (valid on both backends) and returns its one integer.
    #[cfg(test)]
    pub(crate) fn test_count(&self, sql: &str) -> u64 {
        each!(self, store => store.test_count(sql))
    }

    /// Runs `sql` (valid on both backends) for what it changes.
    #[cfg(test)]
    pub(crate) fn test_execute(&self, sql: &str) {
        each!(self, store => store.test_execute(sql))
    }
}

/// Releases a stalled journal writer when dropped.
#[cfg(test)]
pub(crate) struct WriterStall(#[allow(dead_code)] Box<dyn Send>);
