//! The journal writer of the PostgreSQL store: one task that commits every
//! append queued at once in one transaction (group commit) and answers each
//! only after that commit returned, so an acknowledged event is durable.
//!
//! The other jobs the meeting actors make (snapshots, token revocations,
//! restores) go through the same queue, which keeps them in order with the
//! appends. One round trip finds where each meeting of the group stands
//! (locking it against deletion), appends that do not follow are refused
//! in memory, and one `INSERT ... SELECT FROM unnest(...)` writes all the
//! others: four round trips per group whatever its size.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use breakout_core::ParticipantId;
use tokio::sync::mpsc;

use super::super::StoreError;
use super::super::types::{RestoreRows, Row};
use super::{Shared, from_db, statements, to_db};

/// Most jobs taken into one group; the rest wait for the next commit.
const MAX_GROUP: usize = 1024;

/// Called once with the outcome of a job.
pub(super) type Done<T> = Box<dyn FnOnce(Result<T, StoreError>) + Send>;

pub(super) enum Job {
    Append {
        meeting: String,
        rows: Vec<Row>,
        /// The lease epoch the append is fenced by, if any.
        epoch: Option<u64>,
        done: Done<()>,
    },
    /// Anything else, run in order with the appends around it.
    InOrder(Ordered),
}

pub(super) enum Ordered {
    SaveSnapshot {
        meeting: String,
        seq: u64,
        json: String,
        epoch: Option<u64>,
        done: Done<()>,
    },
    Restore {
        meeting: String,
        done: Done<RestoreRows>,
    },
    RevokeTokens {
        meeting: String,
        participant: ParticipantId,
        done: Done<()>,
    },
    /// Holds the writer until `release` is dropped (tests only).
    #[cfg(test)]
    Stall {
        stalled: std::sync::mpsc::Sender<()>,
        release: tokio::sync::oneshot::Receiver<()>,
    },
}

type Append = (String, Vec<Row>, Option<u64>, Done<()>);

/// Takes jobs until every sender is dropped.
pub(super) async fn run(shared: Arc<Shared>, mut queue: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = queue.recv().await {
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
                    epoch,
                    done,
                } => group.push((meeting, rows, epoch, done)),
                Job::InOrder(job) => {
                    commit_group(&shared, std::mem::take(&mut group)).await;
                    run_ordered(&shared, job).await;
                }
            }
        }
        commit_group(&shared, group).await;
    }
}

async fn run_ordered(shared: &Shared, job: Ordered) {
    match job {
        Ordered::SaveSnapshot {
            meeting,
            seq,
            json,
            epoch,
            done,
        } => done(
            shared
                .call(async {
                    let mut client = shared.client().await?;
                    statements::save_snapshot(&mut client, &meeting, seq, &json, epoch).await
                })
                .await,
        ),
        Ordered::Restore { meeting, done } => done(
            shared
                .call(async {
                    let mut client = shared.client().await?;
                    statements::read_restore_rows(&mut client, &meeting).await
                })
                .await,
        ),
        Ordered::RevokeTokens {
            meeting,
            participant,
            done,
        } => done(
            shared
                .call(async {
                    let client = shared.client().await?;
                    statements::revoke_tokens(&client, &meeting, participant).await
                })
                .await,
        ),
        #[cfg(test)]
        Ordered::Stall { stalled, release } => {
            let _ = stalled.send(());
            let _ = release.await;
        }
    }
}

/// Commits every append of the group in one transaction. An append whose
/// `seq` does not follow, or whose meeting is gone, is refused alone; a
/// failed commit fails them all.
async fn commit_group(shared: &Shared, group: Vec<Append>) {
    if group.is_empty() {
        return;
    }
    match shared.call(append_group(shared, &group)).await {
        Ok(results) => {
            shared.commits.fetch_add(1, Ordering::Relaxed);
            for ((_, _, _, done), result) in group.into_iter().zip(results) {
                done(result);
            }
        }
        Err(error) => {
            let unavailable = error.is_unavailable();
            let reason = match error {
                StoreError::Unavailable { reason } => reason,
                other => other.to_string(),
            };
            tracing::error!(%reason, appends = group.len(), "journal commit failed");
            for (_, _, _, done) in group {
                let reason = reason.clone();
                done(Err(if unavailable {
                    StoreError::Unavailable { reason }
                } else {
                    StoreError::CommitFailed { reason }
                }));
            }
        }
    }
}

/// The rows of every accepted append, as the columns `unnest` takes.
#[derive(Default)]
struct Columns<'a> {
    meeting: Vec<&'a str>,
    seq: Vec<i64>,
    at: Vec<i64>,
    actor: Vec<&'a str>,
    command: Vec<&'a str>,
}

async fn append_group(
    shared: &Shared,
    group: &[Append],
) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    let mut client = shared.client().await?;
    let tx = client.transaction().await?;
    let ids: Vec<&str> = group
        .iter()
        .map(|(meeting, _, _, _)| meeting.as_str())
        .collect();
    // Appends fenced by a lease are checked against it under a share lock
    // held to the commit (see `statements::check_epochs`).
    let fenced: Vec<&str> = group
        .iter()
        .filter(|(_, _, epoch, _)| epoch.is_some())
        .map(|(meeting, _, _, _)| meeting.as_str())
        .collect();
    let epochs = if fenced.is_empty() {
        None
    } else {
        Some(statements::check_epochs(&tx, &fenced).await?)
    };
    // KEY SHARE keeps each meeting from being deleted before the commit,
    // without blocking participant ids or snapshots of it.
    let last = tx
        .prepare_cached(
            "SELECT m.id,
                    (SELECT MAX(seq) FROM journal j WHERE j.meeting = m.id),
                    (SELECT seq FROM snapshots s WHERE s.meeting = m.id)
             FROM meetings m WHERE m.id = ANY($1) FOR KEY SHARE OF m",
        )
        .await?;
    let mut newest: HashMap<String, Option<u64>> = HashMap::new();
    for row in tx.query(&last, &[&ids]).await? {
        let journal: Option<i64> = row.try_get(1)?;
        let snapshot: Option<i64> = row.try_get(2)?;
        let top = journal
            .max(snapshot)
            .map(|seq| from_db(seq, "a journal seq"))
            .transpose()?;
        newest.insert(row.try_get(0)?, top);
    }
    let mut columns = Columns::default();
    let results = group
        .iter()
        .map(|(meeting, rows, epoch, _)| {
            if let (Some(epoch), Some(epochs)) = (epoch, &epochs) {
                epochs.check(meeting, *epoch)?;
            }
            accept(&mut newest, &mut columns, meeting, rows)
        })
        .collect();
    if !columns.seq.is_empty() {
        let insert = tx
            .prepare_cached(
                "INSERT INTO journal (meeting, seq, at, actor, command)
                 SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[])",
            )
            .await?;
        tx.execute(
            &insert,
            &[
                &columns.meeting,
                &columns.seq,
                &columns.at,
                &columns.actor,
                &columns.command,
            ],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(results)
}

/// Checks one append against what its meeting already has (and what this
/// group added before it) and, if it follows, adds its rows to `columns`.
fn accept<'a>(
    newest: &mut HashMap<String, Option<u64>>,
    columns: &mut Columns<'a>,
    meeting: &'a str,
    rows: &'a [Row],
) -> Result<(), StoreError> {
    let Some(&last) = newest.get(meeting) else {
        return Err(StoreError::NotFound);
    };
    let mut top = last;
    let mut numbers = Vec::with_capacity(rows.len());
    for (seq, at, _, _) in rows {
        // Checked here rather than left to the primary key because an
        // entry at or below a compacted snapshot would not collide yet
        // would be silently skipped by `restore`.
        if let Some(top) = top
            && *seq <= top
        {
            return Err(StoreError::SeqOutOfOrder {
                meeting: meeting.to_owned(),
                seq: *seq,
                last: top,
            });
        }
        numbers.push((to_db(*seq, "a journal seq")?, to_db(*at, "a journal time")?));
        top = Some(*seq);
    }
    for ((seq, at), (_, _, actor, command)) in numbers.into_iter().zip(rows) {
        columns.meeting.push(meeting);
        columns.seq.push(seq);
        columns.at.push(at);
        columns.actor.push(actor);
        columns.command.push(command);
    }
    newest.insert(meeting.to_owned(), top);
    Ok(())
}
