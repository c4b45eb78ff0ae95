//! Nothing a turn changed is told before it is durable: replies wait in
//! [`Deferred`] and events in the connections' queues until the journal
//! writer committed the turn's entries; a failed commit rolls the meeting
//! back to what is on disk and answers every waiting request with the
//! storage error.

use tokio::sync::oneshot;
use tracing::warn;

use super::{MeetingActor, ReplyTo, SNAPSHOT_EVERY};
use crate::error::ServerError;

/// A reply held back until the turn's journal entries are committed; told
/// the storage failure if the commit failed.
pub(super) type Deferred = Box<dyn FnOnce(CommitOutcome) + Send>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CommitOutcome {
    Durable,
    Failed,
}

pub(super) fn defer<T: Send + 'static>(
    reply: ReplyTo<T>,
    result: Result<T, ServerError>,
) -> Deferred {
    Box::new(move |outcome| {
        let _ = reply.send(match outcome {
            CommitOutcome::Failed => Err(ServerError::SaveFailed),
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
            let saved = self.env.store.append_async(&self.id, &entries).await;
            match saved {
                Ok(()) => {
                    self.entries_since_snapshot += entries.len() as u64;
                    CommitOutcome::Durable
                }
                Err(error) => {
                    // The state moved but the journal did not: rebuild from
                    // what is durable so memory never runs ahead of the disk.
                    warn!(meeting = %self.id, %error, "journal write failed; reloading meeting");
                    self.connections.discard_pending();
                    self.removed.clear();
                    self.reload().await;
                    CommitOutcome::Failed
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
        let saved = self
            .env
            .store
            .save_snapshot_async(&self.id, self.seq, &self.meeting);
        match saved.await {
            Ok(()) => self.entries_since_snapshot = 0,
            Err(error) => warn!(meeting = %self.id, %error, "snapshot failed"),
        }
    }

    pub(super) async fn reload(&mut self) {
        let restored = self.env.store.restore_async(&self.id).await;
        match restored.and_then(|restored| restored.replay(&self.id)) {
            Ok((meeting, seq)) => {
                self.meeting = meeting;
                self.seq = seq;
                self.media.sync(&self.meeting);
            }
            Err(error) => warn!(meeting = %self.id, %error, "reload failed"),
        }
        self.views_dirty = true;
    }
}
