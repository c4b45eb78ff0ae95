//! The journal and snapshots in PostgreSQL: appending through the writer,
//! compacting, and reading back what a restart needs.

use std::future::Future;
use std::sync::atomic::Ordering;

use breakout_core::{Meeting, ParticipantId};

use super::super::types::{decode, encode_entries, to_json};
use super::super::{JournalEntry, Restored, StoreError};
use super::statements::{read_restore_rows, save_snapshot};
use super::writer::{Job, Ordered};
use super::{PgStore, reply};

impl PgStore {
    pub fn append(&self, meeting: &str, entries: &[JournalEntry]) -> Result<(), StoreError> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.submit_append(meeting, entries, None, move |result| {
            let _ = tx.send(result);
        });
        rx.recv().unwrap_or(Err(StoreError::WriterGone))
    }

    pub fn append_async(
        &self,
        meeting: &str,
        entries: &[JournalEntry],
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        self.append_fenced_async(meeting, entries, None)
    }

    pub fn append_fenced_async(
        &self,
        meeting: &str,
        entries: &[JournalEntry],
        epoch: Option<u64>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.submit_append(meeting, entries, epoch, move |result| {
            let _ = tx.send(result);
        });
        async move { rx.await.unwrap_or(Err(StoreError::WriterGone)) }
    }

    fn submit_append(
        &self,
        meeting: &str,
        entries: &[JournalEntry],
        epoch: Option<u64>,
        done: impl FnOnce(Result<(), StoreError>) + Send + 'static,
    ) {
        let submitted = std::time::Instant::now();
        let done = move |result| {
            crate::metrics::journal_appended(submitted.elapsed());
            done(result);
        };
        // Encoded by the caller so the writer only does I/O.
        match encode_entries(entries) {
            Ok(rows) => self.submit(Job::Append {
                meeting: meeting.to_owned(),
                rows,
                epoch,
                done: Box::new(done),
            }),
            Err(error) => done(Err(error)),
        }
    }

    pub fn journal_commits(&self) -> u64 {
        self.shared.commits.load(Ordering::Relaxed)
    }

    pub fn is_writable(&self) -> bool {
        let running = self
            .thread
            .as_ref()
            .is_some_and(|thread| !thread.is_finished());
        running && self.shared.reachable.load(Ordering::Relaxed)
    }

    pub fn check_writable_async(&self) -> impl Future<Output = bool> + Send + 'static {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let shared = self.shared.clone();
        self.runtime.spawn(async move {
            let probe = shared
                .call(async {
                    shared.client().await?.simple_query("SELECT 1").await?;
                    Ok(())
                })
                .await;
            let _ = tx.send(probe.is_ok());
        });
        let running = self
            .thread
            .as_ref()
            .is_some_and(|thread| !thread.is_finished());
        async move { running && rx.await.unwrap_or(false) }
    }

    pub fn save_snapshot(
        &self,
        meeting: &str,
        seq: u64,
        state: &Meeting,
    ) -> Result<(), StoreError> {
        let json = to_json(state)?;
        let meeting = meeting.to_owned();
        self.block(|shared| async move {
            let mut client = shared.client().await?;
            save_snapshot(&mut client, &meeting, seq, &json, None).await
        })
    }

    pub fn save_snapshot_async(
        &self,
        meeting: &str,
        seq: u64,
        state: &Meeting,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        self.save_snapshot_fenced_async(meeting, seq, state, None)
    }

    pub fn save_snapshot_fenced_async(
        &self,
        meeting: &str,
        seq: u64,
        state: &Meeting,
        epoch: Option<u64>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        let (done, answer) = reply();
        match to_json(state) {
            Ok(json) => self.submit(Job::InOrder(Ordered::SaveSnapshot {
                meeting: meeting.to_owned(),
                seq,
                json,
                epoch,
                done,
            })),
            Err(error) => done(Err(error)),
        }
        answer
    }

    pub fn restore(&self, meeting: &str) -> Result<Restored, StoreError> {
        let owned = meeting.to_owned();
        let rows = self.block(|shared| async move {
            let mut client = shared.client().await?;
            read_restore_rows(&mut client, &owned).await
        })?;
        decode(meeting, rows)
    }

    pub fn restore_async(
        &self,
        meeting: &str,
    ) -> impl Future<Output = Result<Restored, StoreError>> + Send + 'static {
        let (done, rows) = reply();
        self.submit(Job::InOrder(Ordered::Restore {
            meeting: meeting.to_owned(),
            done,
        }));
        let meeting = meeting.to_owned();
        async move { decode(&meeting, rows.await?) }
    }

    pub fn revoke_tokens_async(
        &self,
        meeting: &str,
        participant: ParticipantId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        let (done, answer) = reply();
        self.submit(Job::InOrder(Ordered::RevokeTokens {
            meeting: meeting.to_owned(),
            participant,
            done,
        }));
        answer
    }

    #[cfg(test)]
    pub(in crate::store) fn stall_writer(&self) -> tokio::sync::oneshot::Sender<()> {
        let (release, released) = tokio::sync::oneshot::channel();
        let (stalled, is_stalled) = std::sync::mpsc::channel();
        self.submit(Job::InOrder(Ordered::Stall {
            stalled,
            release: released,
        }));
        // Jobs submitted from now on queue up behind the stall.
        let _ = is_stalled.recv();
        release
    }
}
