//! The journal writer: one thread per store that makes appends durable.
//!
//! Meeting actors hand their entries to a channel and await the answer, so
//! no tokio worker ever waits on SQLite or on the disk. The thread takes
//! everything queued at once and commits all of it in one transaction (group
//! commit): with `synchronous=FULL` each commit costs an fsync, and sharing
//! it is what keeps one meeting's burst from delaying everyone else's
//! appends by one fsync each. Every waiter is answered only after the commit
//! it was part of returned, so an acknowledged event is on disk.
//!
//! Other jobs (snapshots, token revocation, reads the actors need) go
//! through the same queue, which keeps them in order with the appends.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use rusqlite::{Connection, Transaction, params};

use super::super::StoreError;
use super::super::types::Row;
use super::last_seq;

/// Most jobs taken into one group; the rest wait for the next commit.
pub(in crate::store) const MAX_GROUP: usize = 1024;

/// Called once with the outcome of a job.
pub(super) type Done<T> = Box<dyn FnOnce(Result<T, StoreError>) + Send>;

pub(super) enum Job {
    Append {
        meeting: String,
        rows: Vec<Row>,
        done: Done<()>,
    },
    /// Anything else that must stay in order with the appends.
    Run(Box<dyn FnOnce(&mut Connection) + Send>),
    /// Holds the thread until the sender is dropped (tests only).
    #[cfg(test)]
    Stall {
        stalled: std::sync::mpsc::Sender<()>,
        release: Receiver<()>,
    },
}

pub(super) struct JournalWriter {
    jobs: Option<Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    commits: Arc<AtomicU64>,
}

impl JournalWriter {
    /// Starts the thread; it shares `conn` with the store's other calls.
    pub fn start(conn: Arc<Mutex<Connection>>) -> Result<JournalWriter, StoreError> {
        let (jobs, queue) = channel();
        let commits = Arc::new(AtomicU64::new(0));
        let counter = commits.clone();
        let thread = std::thread::Builder::new()
            .name("journal-writer".into())
            .spawn(move || run(&conn, &queue, &counter))
            .map_err(|source| StoreError::Io {
                path: "journal writer thread".into(),
                source,
            })?;
        Ok(JournalWriter {
            jobs: Some(jobs),
            thread: Some(thread),
            commits,
        })
    }

    /// Queues a job. If the thread is gone (it only stops when the store is
    /// dropped) the job's own completion is never called; callers see their
    /// reply channel close instead.
    pub fn submit(&self, job: Job) {
        if let Some(jobs) = &self.jobs {
            let _ = jobs.send(job);
        }
    }

    /// Whether the thread still takes jobs (it ends only when the store is
    /// dropped, or by a panic).
    pub fn is_running(&self) -> bool {
        self.thread
            .as_ref()
            .is_some_and(|thread| !thread.is_finished())
    }

    /// Transactions committed by the writer so far.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }
}

impl Drop for JournalWriter {
    fn drop(&mut self) {
        // Closing the queue ends the thread after it finished what is
        // queued; joining means the file is closed when the store is gone.
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(conn: &Mutex<Connection>, queue: &Receiver<Job>, commits: &AtomicU64) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut group = Vec::new();
        for job in batch {
            match job {
                Job::Append {
                    meeting,
                    rows,
                    done,
                } => group.push((meeting, rows, done)),
                Job::Run(work) => {
                    commit_group(conn, std::mem::take(&mut group), commits);
                    work(&mut lock(conn));
                }
                #[cfg(test)]
                Job::Stall { stalled, release } => {
                    commit_group(conn, std::mem::take(&mut group), commits);
                    let _ = stalled.send(());
                    let _ = release.recv();
                }
            }
        }
        commit_group(conn, group, commits);
    }
}

fn lock(conn: &Mutex<Connection>) -> std::sync::MutexGuard<'_, Connection> {
    // Every write runs in a transaction that rolls back when dropped, so a
    // panic elsewhere while the lock was held left the connection usable.
    conn.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Commits every append of the group in one transaction. An append whose
/// `seq` does not follow is refused alone (its savepoint rolls back); a
/// failed commit fails them all.
fn commit_group(
    conn: &Mutex<Connection>,
    group: Vec<(String, Vec<Row>, Done<()>)>,
    commits: &AtomicU64,
) {
    if group.is_empty() {
        return;
    }
    let mut conn = lock(conn);
    let mut results = Vec::with_capacity(group.len());
    let committed = (|| {
        let mut tx = conn.transaction()?;
        let mut last: HashMap<String, Option<u64>> = HashMap::new();
        for (meeting, rows, _) in &group {
            let result = append_one(&mut tx, &mut last, meeting, rows);
            if result.is_err() {
                // What the savepoint wrote is gone; ask the table again.
                last.remove(meeting);
            }
            results.push(result);
        }
        tx.commit()
    })();
    match committed {
        Ok(()) => {
            commits.fetch_add(1, Ordering::Relaxed);
            for ((_, _, done), result) in group.into_iter().zip(results) {
                done(result);
            }
        }
        Err(error) => {
            let reason = error.to_string();
            tracing::error!(%reason, appends = group.len(), "journal commit failed");
            for (_, _, done) in group {
                done(Err(StoreError::CommitFailed {
                    reason: reason.clone(),
                }));
            }
        }
    }
}

fn append_one(
    tx: &mut Transaction<'_>,
    last: &mut HashMap<String, Option<u64>>,
    meeting: &str,
    rows: &[Row],
) -> Result<(), StoreError> {
    let savepoint = tx.savepoint()?;
    let mut newest = match last.get(meeting) {
        Some(seq) => *seq,
        None => last_seq(&savepoint, meeting)?,
    };
    {
        let mut insert = savepoint.prepare_cached(
            "INSERT INTO journal (meeting, seq, at, actor, command)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for (seq, at, actor, command) in rows {
            // Checked here rather than left to the primary key because an
            // entry at or below a compacted snapshot would not collide yet
            // would be silently skipped by `restore`.
            if let Some(newest) = newest
                && *seq <= newest
            {
                return Err(StoreError::SeqOutOfOrder {
                    meeting: meeting.to_owned(),
                    seq: *seq,
                    last: newest,
                });
            }
            insert.execute(params![meeting, seq, at, actor, command])?;
            newest = Some(*seq);
        }
    }
    savepoint.commit()?;
    last.insert(meeting.to_owned(), newest);
    Ok(())
}

#[cfg(test)]
mod tests {
    use breakout_core::{Actor, Command, Timestamp};

    use super::super::super::{JournalEntry, MeetingRecord, StoreError};
    use super::super::SqliteStore;

    #[test]
    fn appends_are_synced_in_full() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&dir.path().join("db")).expect("store");
        let mode: i64 = store
            .conn()
            .pragma_query_value(None, "synchronous", |row| row.get(0))
            .expect("pragma");
        // 2 is FULL: every commit reaches the disk before it is answered.
        assert_eq!(mode, 2);
    }

    #[tokio::test]
    async fn a_writer_that_stopped_is_reported() {
        let store = SqliteStore::open_in_memory().expect("store");
        store
            .create_meeting(&MeetingRecord {
                id: "a".into(),
                title: "a".into(),
                created_at: 0,
            })
            .expect("meeting");
        assert!(store.is_writable());
        store
            .writer
            .submit(super::Job::Run(Box::new(|_| panic!("the writer stops"))));
        // Queued behind the panic: never written, its reply channel closes.
        let entry = JournalEntry {
            seq: 1,
            at: Timestamp(1),
            actor: Actor::System,
            command: Command::Chat {
                text: "line 1".into(),
            },
        };
        let lost = store.append_async("a", &[entry]).await;
        assert!(matches!(lost, Err(StoreError::WriterGone)), "{lost:?}");
        // The thread ends right after dropping that channel; nothing
        // signals it, so look until it has.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while store.is_writable() && std::time::Instant::now() < deadline {
            std::thread::yield_now();
        }
        assert!(!store.is_writable());
    }
}
