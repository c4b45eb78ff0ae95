//! Nothing a turn changed is told before it is durable: replies wait in
//! [`Deferred`] and events in the connections' queues until the journal
//! writer committed the turn's entries; a failed commit rolls the meeting
//! back to what is on disk and answers every waiting request with the
//! storage error.
//!
//! When the database cannot be reached, rolling back (reading what is
//! durable) fails too. The meeting then knows its memory is ahead of the
//! store: it is `behind` and changes nothing (every command and read is
//! refused with `storage_unavailable`, no deadline fires, no view goes out)
//! until a reload succeeds. It tries again at each message and every
//! [`RELOAD_RETRY`], so it serves again as soon as the database is back.

use std::time::Duration;

use tokio::sync::oneshot;
use tracing::{info, warn};

use super::{ActorMessage, MeetingActor, ReplyTo, SNAPSHOT_EVERY};
use crate::error::ServerError;

/// A reply held back until the turn's journal entries are committed; told
/// the storage failure if the commit failed.
pub(super) type Deferred = Box<dyn FnOnce(CommitOutcome) + Send>;

/// How often a meeting whose memory is ahead of the store tries to reload
/// when no message makes it try sooner.
pub(super) const RELOAD_RETRY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CommitOutcome {
    Durable,
    /// The database refused the commit.
    Failed,
    /// The database could not be reached; nothing of the turn is stored.
    Unavailable,
    /// Another node took the meeting over; nothing of the turn is stored.
    Moved,
}

pub(super) fn defer<T: Send + 'static>(
    reply: ReplyTo<T>,
    result: Result<T, ServerError>,
) -> Deferred {
    Box::new(move |outcome| {
        let _ = reply.send(match outcome {
            CommitOutcome::Failed => Err(ServerError::SaveFailed),
            CommitOutcome::Unavailable => Err(ServerError::StorageUnavailable),
            CommitOutcome::Moved => Err(ServerError::MeetingMoved),
            CommitOutcome::Durable => result,
        });
    })
}

pub(super) fn defer_plain<T: Send + 'static>(reply: oneshot::Sender<T>, value: T) -> Deferred {
    Box::new(move |_| {
        let _ = reply.send(value);
    })
}

impl MeetingActor {
    /// Makes this turn's entries durable, then answers its requests.
    pub(super) async fn commit(&mut self) {
        let entries = std::mem::take(&mut self.unsaved);
        let outcome = if entries.is_empty() {
            CommitOutcome::Durable
        } else {
            let saved = self
                .env
                .store
                .append_fenced_async(&self.id, &entries, self.epoch)
                .await;
            match saved {
                Ok(()) => {
                    self.entries_since_snapshot += entries.len() as u64;
                    CommitOutcome::Durable
                }
                Err(error) if error.is_fenced() => {
                    // Another node holds the meeting now: what memory holds
                    // beyond the journal is nobody's, and the actor leaves.
                    warn!(meeting = %self.id, %error, "journal write refused by the lease fence");
                    self.connections.discard_pending();
                    self.removed.clear();
                    self.moved = true;
                    CommitOutcome::Moved
                }
                Err(error) => {
                    // The state moved but the journal did not: rebuild from
                    // what is durable so memory never runs ahead of the disk.
                    warn!(meeting = %self.id, %error, "journal write failed; reloading meeting");
                    self.connections.discard_pending();
                    self.removed.clear();
                    self.reload().await;
                    if error.is_unavailable() {
                        CommitOutcome::Unavailable
                    } else {
                        CommitOutcome::Failed
                    }
                }
            }
        };
        for participant in std::mem::take(&mut self.removed) {
            let revoked = self.env.store.revoke_tokens_async(&self.id, participant);
            if let Err(error) = revoked.await {
                warn!(meeting = %self.id, %error, "could not revoke tokens");
            }
            self.connections
                .close(participant, "removed from the meeting");
        }
        for reply in std::mem::take(&mut self.replies) {
            reply(outcome);
        }
        if self.entries_since_snapshot >= SNAPSHOT_EVERY {
            self.snapshot().await;
        }
    }

    /// Commits, then sends what the turn queued for each connection.
    pub(super) async fn flush(&mut self) {
        // Disconnections found while sending are changes too: commit and
        // send those as well, a few rounds at most.
        for _ in 0..3 {
            self.commit().await;
            let overflowed = self.connections.flush();
            if overflowed.is_empty() {
                return;
            }
            self.disconnected(overflowed);
        }
        self.commit().await;
    }

    pub(super) async fn snapshot(&mut self) {
        if self.behind.is_some() || self.moved {
            // Memory holds changes the journal does not: never save them.
            return;
        }
        let saved = self.env.store.save_snapshot_fenced_async(
            &self.id,
            self.seq,
            &self.meeting,
            self.epoch,
        );
        match saved.await {
            Ok(()) => self.entries_since_snapshot = 0,
            Err(error) if error.is_fenced() => {
                warn!(meeting = %self.id, %error, "snapshot refused by the lease fence");
                self.moved = true;
            }
            Err(error) => warn!(meeting = %self.id, %error, "snapshot failed"),
        }
    }

    /// Replaces the meeting in memory with what the store holds. If that
    /// fails the meeting is `behind` until a later reload succeeds.
    pub(super) async fn reload(&mut self) {
        let restored = self.env.store.restore_async(&self.id).await;
        match restored.and_then(|restored| restored.replay(&self.id)) {
            Ok((meeting, seq)) => {
                self.meeting = meeting;
                self.seq = seq;
                self.media.sync(&self.meeting);
                if self.behind.take().is_some() {
                    info!(meeting = %self.id, seq, "storage is back; meeting reloaded");
                }
                // Whoever lost their connection meanwhile is recorded now.
                self.mark_everyone_disconnected();
            }
            Err(error) => {
                if self.behind.is_none() {
                    warn!(meeting = %self.id, %error, "reload failed; refusing changes until it works");
                }
                self.behind = Some(tokio::time::Instant::now() + RELOAD_RETRY);
            }
        }
        self.views_dirty = true;
    }

    /// Answers a meeting that is behind the store: nothing that reads or
    /// changes the meeting, only what a load balancer or list needs.
    pub(super) fn refuse(&mut self, message: ActorMessage) {
        fn unavailable<T>() -> Result<T, ServerError> {
            Err(ServerError::StorageUnavailable)
        }
        match message {
            ActorMessage::Command { reply, .. } | ActorMessage::Request { reply, .. } => {
                let _ = reply.send(unavailable());
            }
            ActorMessage::AssignmentsCsv { reply, .. } => {
                let _ = reply.send(unavailable());
            }
            ActorMessage::Connect { reply, .. } => {
                let _ = reply.send(unavailable());
            }
            ActorMessage::CheckPreset { reply, .. } => {
                let _ = reply.send(unavailable());
            }
            ActorMessage::MayReadRecordings { reply, .. } => {
                let _ = reply.send(unavailable());
            }
            ActorMessage::Disconnect {
                participant,
                connection,
            } => {
                // Recorded in the journal by the reload that ends this.
                self.connections.detach(participant, connection);
            }
            ActorMessage::Info { reply } => {
                let _ = reply.send(self.info());
            }
            ActorMessage::Overview { reply } => {
                let _ = reply.send(self.overview());
            }
            ActorMessage::Presets { reply } => {
                let _ = reply.send(self.meeting.presets().cloned().collect());
            }
            ActorMessage::Admission { reply } => {
                let _ = reply.send(breakout_protocol::rest::Admission {
                    capacity: self.meeting.capacity(),
                    locked: self.meeting.is_locked(),
                });
            }
            ActorMessage::Moved => self.moved = true,
            ActorMessage::Stop { .. } => unreachable!("handled by the loop"),
        }
    }

    /// Reloads if the meeting is behind the store and `now` is past the
    /// retry time (or `force`, when someone is waiting for an answer).
    pub(super) async fn catch_up(&mut self, force: bool) {
        if let Some(retry_at) = self.behind
            && (force || tokio::time::Instant::now() >= retry_at)
        {
            self.reload().await;
        }
    }
}
