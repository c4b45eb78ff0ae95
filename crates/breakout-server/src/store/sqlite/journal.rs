//! The journal and snapshots: appending through the writer, compacting, and
//! reading back what a restart needs.

use std::future::Future;

use breakout_core::{Meeting, ParticipantId};
use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::oneshot;

use super::super::types::{RestoreRows, decode, encode_entries, to_json};
use super::super::{JournalEntry, Restored, StoreError};
use super::writer::Job;
use super::{SqliteStore, require_meeting, revoke_tokens};

impl SqliteStore {
    /// Appends entries to a meeting's journal, all or none, and returns once
    /// they are durable. Each `seq` must be above the previous one and above
    /// everything already stored. Blocks: async code uses
    /// [`SqliteStore::append_async`].
    pub fn append(&self, meeting: &str, entries: &[JournalEntry]) -> Result<(), StoreError> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.submit_append(meeting, entries, move |result| {
            let _ = tx.send(result);
        });
        rx.recv().unwrap_or(Err(StoreError::WriterGone))
    }

    /// [`SqliteStore::append`] without blocking: the returned future resolves
    /// once the writer committed the entries (or refused them).
    pub fn append_async(
        &self,
        meeting: &str,
        entries: &[JournalEntry],
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        let (tx, rx) = oneshot::channel();
        self.submit_append(meeting, entries, move |result| {
            let _ = tx.send(result);
        });
        async move { rx.await.unwrap_or(Err(StoreError::WriterGone)) }
    }

    fn submit_append(
        &self,
        meeting: &str,
        entries: &[JournalEntry],
        done: impl FnOnce(Result<(), StoreError>) + Send + 'static,
    ) {
        let submitted = std::time::Instant::now();
        let done = move |result| {
            crate::metrics::journal_appended(submitted.elapsed());
            done(result);
        };
        // Encoded by the caller so the writer thread only does I/O.
        match encode_entries(entries) {
            Ok(rows) => self.writer.submit(Job::Append {
                meeting: meeting.to_owned(),
                rows,
                done: Box::new(done),
            }),
            Err(error) => done(Err(error)),
        }
    }

    /// Runs `work` on the writer thread, after every job queued before it.
    fn run_async<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> impl Future<Output = Result<T, StoreError>> + Send + 'static {
        let (tx, rx) = oneshot::channel();
        self.writer.submit(Job::Run(Box::new(move |conn| {
            let _ = tx.send(work(conn));
        })));
        async move { rx.await.unwrap_or(Err(StoreError::WriterGone)) }
    }

    /// Transactions the journal writer committed since the store opened;
    /// appends divided by this is the group-commit factor.
    pub fn journal_commits(&self) -> u64 {
        self.writer.commits()
    }

    /// Whether journal appends can still be written: false once the
    /// writer thread has stopped.
    pub fn is_writable(&self) -> bool {
        self.writer.is_running()
    }

    /// Always answers at once: a SQLite file does not go away, only the
    /// writer thread can stop.
    pub fn check_writable_async(&self) -> impl Future<Output = bool> + Send + 'static {
        std::future::ready(self.is_writable())
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
        let json = to_json(state)?;
        save_snapshot(&mut self.conn(), meeting, seq, &json)
    }

    /// [`SqliteStore::save_snapshot`] in order with the appends queued before it.
    /// SQLite has no leases: one server owns the file.
    pub fn save_snapshot_fenced_async(
        &self,
        meeting: &str,
        seq: u64,
        state: &Meeting,
        _epoch: Option<u64>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        self.save_snapshot_async(meeting, seq, state)
    }

    /// SQLite has no leases: one server owns the file.
    pub fn append_fenced_async(
        &self,
        meeting: &str,
        entries: &[JournalEntry],
        _epoch: Option<u64>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        self.append_async(meeting, entries)
    }

    pub fn save_snapshot_async(
        &self,
        meeting: &str,
        seq: u64,
        state: &Meeting,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        let json = to_json(state);
        let meeting = meeting.to_owned();
        self.run_async(move |conn| save_snapshot(conn, &meeting, seq, &json?))
    }

    /// Loads what is needed to rebuild a meeting: its newest snapshot and
    /// the journal after it.
    pub fn restore(&self, meeting: &str) -> Result<Restored, StoreError> {
        let rows = read_restore_rows(&mut self.conn(), meeting)?;
        // Decoding happens without the lock: a large meeting takes a while.
        decode(meeting, rows)
    }

    /// [`SqliteStore::restore`], reading after every append queued before it.
    pub fn restore_async(
        &self,
        meeting: &str,
    ) -> impl Future<Output = Result<Restored, StoreError>> + Send + 'static {
        let meeting = meeting.to_owned();
        self.run_async(move |conn| decode(&meeting, read_restore_rows(conn, &meeting)?))
    }

    /// [`SqliteStore::revoke_tokens`], in order with the appends queued before it.
    pub fn revoke_tokens_async(
        &self,
        meeting: &str,
        participant: ParticipantId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        let meeting = meeting.to_owned();
        self.run_async(move |conn| revoke_tokens(conn, &meeting, participant))
    }

    /// Holds the writer thread until the returned sender is dropped, so
    /// tests can queue work behind it deterministically.
    #[cfg(test)]
    pub(in crate::store) fn stall_writer(&self) -> std::sync::mpsc::Sender<()> {
        let (release, released) = std::sync::mpsc::channel();
        let (stalled, is_stalled) = std::sync::mpsc::channel();
        self.writer.submit(Job::Stall {
            stalled,
            release: released,
        });
        // Jobs submitted from now on queue up behind the stall, whenever
        // the writer thread got to run.
        let _ = is_stalled.recv();
        release
    }
}

fn save_snapshot(
    conn: &mut Connection,
    meeting: &str,
    seq: u64,
    json: &str,
) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    require_meeting(&tx, meeting)?;
    let newest: Option<u64> = tx
        .query_row(
            "SELECT seq FROM snapshots WHERE meeting = ?1",
            [meeting],
            |row| row.get(0),
        )
        .optional()?;
    if let Some(newest) = newest
        && newest > seq
    {
        return Err(StoreError::StaleSnapshot {
            meeting: meeting.to_owned(),
            seq,
            newest,
        });
    }
    tx.execute(
        "INSERT INTO snapshots (meeting, seq, state) VALUES (?1, ?2, ?3)
         ON CONFLICT (meeting) DO UPDATE SET seq = excluded.seq, state = excluded.state",
        params![meeting, seq, json],
    )?;
    tx.execute(
        "DELETE FROM journal WHERE meeting = ?1 AND seq <= ?2",
        params![meeting, seq],
    )?;
    tx.commit()?;
    Ok(())
}

fn read_restore_rows(conn: &mut Connection, meeting: &str) -> Result<RestoreRows, StoreError> {
    // One transaction so the snapshot and journal are read from the same
    // version of the file even if another process writes.
    let tx = conn.transaction()?;
    require_meeting(&tx, meeting)?;
    let snapshot: Option<(u64, String)> = tx
        .query_row(
            "SELECT seq, state FROM snapshots WHERE meeting = ?1",
            [meeting],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let after = snapshot.as_ref().map(|(seq, _)| *seq);
    let mut stmt = tx.prepare_cached(
        "SELECT seq, at, actor, command FROM journal
         WHERE meeting = ?1 AND (?2 IS NULL OR seq > ?2) ORDER BY seq",
    )?;
    let rows = stmt
        .query_map(params![meeting, after], |row| {
            Ok((
                row.get::<_, u64>(0)?,
                row.get::<_, u64>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((snapshot, rows))
}
