//! One task per live meeting: the only place a meeting's state changes.
//!
//! Commands arrive on a channel, are applied through `breakout-core`, written
//! to the journal before anyone hears of them, and the resulting events are
//! fanned out. The journal write is awaited, never waited for on the
//! worker: the commands of one turn go to the store's journal writer
//! together, and their replies and events leave once it has committed them. Deadlines (countdowns, automatic end) come from
//! `Meeting::next_deadline`; the task sleeps until the next one. Views are
//! pushed coalesced on a short interval rather than after every change.

use std::collections::BTreeSet;
use std::time::Duration;

use breakout_core::{Actor, Command, EventBody, Meeting, ParticipantId, Refusal, Timestamp};
use breakout_protocol::admin::IncidentKind;
use breakout_protocol::rest::{MeetingInfo, RoomsOverview};
use breakout_protocol::ws::{Reply, Request, ServerMessage};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info};

use self::commit::{Deferred, defer, defer_plain};
use crate::connections::{ConnectionHandle, Connections};
use crate::error::ServerError;
use crate::media::{MediaHandle, MediaRouter};
use crate::settings::MeetingEnv;
use crate::store::{JournalEntry, MeetingRecord};

/// How often changed views are pushed; events themselves go out at once.
const VIEW_FLUSH_INTERVAL: Duration = Duration::from_millis(50);
/// Most queued messages handled in one turn before output is sent.
const MAX_BATCH: usize = 256;
/// A snapshot every this many journal entries keeps restarts fast.
const SNAPSHOT_EVERY: u64 = 500;

mod commit;
mod queries;
#[cfg(test)]
mod tests;

pub type ReplyTo<T> = oneshot::Sender<Result<T, ServerError>>;

pub enum ActorMessage {
    Command {
        actor: Actor,
        command: Command,
        reply: ReplyTo<Reply>,
    },
    Request {
        participant: ParticipantId,
        request: Request,
        reply: ReplyTo<Reply>,
    },
    /// Previews an assignments CSV and, when `apply`, imports it in the
    /// same turn, so the preview is exactly what the import does.
    AssignmentsCsv {
        actor: Actor,
        csv: String,
        apply: bool,
        reply: ReplyTo<breakout_core::CsvPreview>,
    },
    Connect {
        participant: ParticipantId,
        handle: ConnectionHandle,
        /// The newest revision the client saw before, when it resumes.
        seen_revision: Option<u64>,
        reply: ReplyTo<ServerMessage>,
    },
    Disconnect {
        participant: ParticipantId,
        connection: u64,
    },
    Info {
        reply: oneshot::Sender<MeetingInfo>,
    },
    Overview {
        reply: oneshot::Sender<RoomsOverview>,
    },
    Presets {
        reply: oneshot::Sender<Vec<breakout_core::Preset>>,
    },
    /// Whether the meeting has this preset (invites name one).
    CheckPreset {
        preset: String,
        reply: ReplyTo<()>,
    },
    Admission {
        reply: oneshot::Sender<breakout_protocol::rest::Admission>,
    },
    /// Whether this participant may list and download the recordings.
    MayReadRecordings {
        participant: ParticipantId,
        reply: ReplyTo<()>,
    },
    /// Another node took the meeting over: stop without writing anything
    /// and close every socket with "meeting moved".
    Moved,
    /// Snapshot, close every socket with `reason` and stop.
    Stop {
        done: oneshot::Sender<()>,
        reason: &'static str,
    },
}

/// The handle the rest of the server uses to talk to a meeting.
#[derive(Clone)]
pub struct MeetingHandle {
    pub tx: mpsc::Sender<ActorMessage>,
    /// Media signaling goes straight to the meeting's media task.
    pub media: MediaHandle,
}

impl MeetingHandle {
    pub async fn command(&self, actor: Actor, command: Command) -> Result<Reply, ServerError> {
        self.ask(|reply| ActorMessage::Command {
            actor,
            command,
            reply,
        })
        .await?
    }

    pub async fn ask<T>(
        &self,
        message: impl FnOnce(oneshot::Sender<T>) -> ActorMessage,
    ) -> Result<T, ServerError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(message(reply))
            .await
            .map_err(|_| ServerError::MeetingGone)?;
        answer.await.map_err(|_| ServerError::MeetingGone)
    }
}

pub struct MeetingActor {
    id: String,
    title: String,
    created_at: u64,
    meeting: Meeting,
    env: MeetingEnv,
    seq: u64,
    entries_since_snapshot: u64,
    /// Applied this turn, not yet durable.
    unsaved: Vec<JournalEntry>,
    /// Replies of this turn, sent once `unsaved` is durable.
    replies: Vec<Deferred>,
    /// Removed this turn: tokens revoked and sockets closed after the commit.
    removed: Vec<ParticipantId>,
    /// The revision rebuilt from the journal at start. A client that saw a
    /// later one before the restart proves acknowledged events were lost.
    restored_revision: u64,
    /// Participants who connected since start; only their first connection
    /// carries a revision from before the restart.
    resumed: BTreeSet<ParticipantId>,
    connections: Connections,
    views_dirty: bool,
    /// Set when memory holds changes the store refused and reading the
    /// store back failed: when to try reloading again (see `commit`).
    behind: Option<tokio::time::Instant>,
    /// Follows every change of placement; see `crate::media`.
    media: MediaRouter,
    /// The cluster lease epoch this node holds the meeting under; every
    /// journal append and snapshot is fenced by it. `None` on SQLite.
    epoch: Option<u64>,
    /// Set when a write was refused by the fence (or the lease is gone):
    /// another node serves the meeting now, this actor only leaves.
    moved: bool,
}

impl MeetingActor {
    pub fn new(record: MeetingRecord, meeting: Meeting, seq: u64, env: MeetingEnv) -> Self {
        let recordings = env
            .settings
            .recordings
            .clone()
            .map(|dir| crate::media::RecordingTarget {
                dir,
                meeting: record.id.clone(),
            });
        MeetingActor {
            id: record.id,
            title: record.title,
            created_at: record.created_at,
            seq,
            entries_since_snapshot: 0,
            unsaved: Vec::new(),
            replies: Vec::new(),
            removed: Vec::new(),
            restored_revision: meeting.revision(),
            resumed: BTreeSet::new(),
            connections: Connections::default(),
            views_dirty: false,
            behind: None,
            media: MediaRouter::spawn(
                &meeting,
                env.settings.media.clone(),
                env.settings.clock.clone(),
                recordings,
            ),
            meeting,
            env,
            epoch: None,
            moved: false,
        }
    }

    /// Fences every write of this actor by the cluster lease `epoch`.
    pub fn with_epoch(mut self, epoch: Option<u64>) -> Self {
        self.epoch = epoch;
        self
    }

    /// Starts the task. Everyone counts as disconnected until they reconnect.
    pub fn spawn(mut self) -> MeetingHandle {
        let (tx, rx) = mpsc::channel(4096);
        let media = self.media.handle();
        tokio::spawn(async move {
            // Deadlines the old process had already fired fire again here,
            // so the revision compared with resuming clients' is the one
            // the old process reached with the same journal.
            self.fire_due_deadlines();
            self.restored_revision = self.meeting.revision();
            self.mark_everyone_disconnected();
            self.run(rx).await;
        });
        MeetingHandle { tx, media }
    }

    fn now(&self) -> Timestamp {
        self.env.settings.clock.now()
    }

    async fn run(mut self, mut rx: mpsc::Receiver<ActorMessage>) {
        let mut flush = tokio::time::interval(VIEW_FLUSH_INTERVAL);
        flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            self.catch_up(false).await;
            self.fire_due_deadlines();
            self.flush().await;
            if self.moved {
                self.leave();
                return;
            }
            let deadline = match self.behind {
                Some(retry_at) => Some(retry_at),
                None => self.meeting.next_deadline().map(|d| self.sleep_target(d)),
            };
            tokio::select! {
                message = rx.recv() => match message {
                    Some(ActorMessage::Stop { done, reason }) => {
                        self.stop(reason).await;
                        let _ = done.send(());
                        return;
                    }
                    Some(message) => {
                        // Someone waits for an answer: one more try.
                        self.catch_up(true).await;
                        self.handle(message);
                        // Take whatever else is queued before sending, so a
                        // burst becomes one batch per connection and one
                        // append for the journal writer.
                        for _ in 0..MAX_BATCH {
                            match rx.try_recv() {
                                Ok(ActorMessage::Stop { done, reason }) => {
                                    self.stop(reason).await;
                                    let _ = done.send(());
                                    return;
                                }
                                Ok(message) => self.handle(message),
                                Err(_) => break,
                            }
                        }
                        self.flush().await;
                    }
                    None => {
                        self.stop("the meeting was closed").await;
                        return;
                    }
                },
                _ = sleep_until_opt(deadline) => {}
                summary = self.media.next_speaking() => {
                    let overflowed = self.connections.send_to_managers(&self.meeting, &summary);
                    self.disconnected(overflowed);
                }
                _ = flush.tick(), if self.views_dirty && self.behind.is_none() => {
                    self.views_dirty = false;
                    let overflowed = self.connections.flush_views(&self.meeting, self.now());
                    self.disconnected(overflowed);
                }
            }
        }
    }

    fn handle(&mut self, message: ActorMessage) {
        if self.behind.is_some() {
            return self.refuse(message);
        }
        match message {
            ActorMessage::Command {
                actor,
                command,
                reply,
            } => {
                let result = self.apply(actor, command);
                self.replies.push(defer(reply, result));
            }
            ActorMessage::Request {
                participant,
                request,
                reply,
            } => {
                let result = self.request(participant, request);
                self.replies.push(defer(reply, result));
            }
            ActorMessage::AssignmentsCsv {
                actor,
                csv,
                apply,
                reply,
            } => {
                // An import is answered once it is durable, like any command.
                let result = self.assignments_csv(actor, csv, apply);
                self.replies.push(defer(reply, result));
            }
            ActorMessage::Connect {
                participant,
                handle,
                seen_revision,
                reply,
            } => {
                let result = self.connect(participant, handle, seen_revision);
                self.replies.push(defer(reply, result));
            }
            ActorMessage::Disconnect {
                participant,
                connection,
            } => {
                if self.connections.detach(participant, connection) {
                    self.disconnected(vec![participant]);
                }
            }
            ActorMessage::Info { reply } => {
                let info = self.info();
                self.replies.push(defer_plain(reply, info));
            }
            ActorMessage::Overview { reply } => {
                let overview = self.overview();
                self.replies.push(defer_plain(reply, overview));
            }
            ActorMessage::Presets { reply } => {
                let presets = self.meeting.presets().cloned().collect::<Vec<_>>();
                self.replies.push(defer_plain(reply, presets));
            }
            ActorMessage::CheckPreset { preset, reply } => {
                let found = self.meeting.preset(&preset).map(|_| ());
                let _ = reply.send(found.map_err(ServerError::from));
            }
            ActorMessage::Admission { reply } => {
                let _ = reply.send(breakout_protocol::rest::Admission {
                    capacity: self.meeting.capacity(),
                    locked: self.meeting.is_locked(),
                });
            }
            ActorMessage::MayReadRecordings { participant, reply } => {
                let allowed = self.meeting.may_read_recordings(participant);
                let _ = reply.send(allowed.map_err(ServerError::from));
            }
            ActorMessage::Moved => self.moved = true,
            ActorMessage::Stop { .. } => unreachable!("handled by the loop"),
        }
    }

    fn assignments_csv(
        &mut self,
        actor: Actor,
        csv: String,
        apply: bool,
    ) -> Result<breakout_core::CsvPreview, ServerError> {
        let preview = self.meeting.preview_import(actor, &csv)?;
        if apply {
            self.apply(actor, Command::ImportAssignments { csv })?;
        }
        Ok(preview)
    }

    /// Applies one command: refused commands change nothing and are not
    /// journaled; accepted ones are queued for the journal, and nobody
    /// hears of them before [`Self::commit`] made them durable. The answer
    /// names the rooms a command created, if it created any.
    fn apply(&mut self, actor: Actor, command: Command) -> Result<Reply, ServerError> {
        if self.behind.is_some() {
            return Err(ServerError::StorageUnavailable);
        }
        let at = self.now();
        self.fire_deadlines_at(at);
        let name = command.name();
        let removed = match command {
            Command::RemoveParticipant { participant } => Some(participant),
            _ => None,
        };
        let events = self.meeting.apply(actor, command.clone(), at)?;
        self.seq += 1;
        self.unsaved.push(JournalEntry {
            seq: self.seq,
            at,
            actor,
            command,
        });
        debug!(meeting = %self.id, command = name, events = events.len(), "applied");
        let answer = events
            .iter()
            .find_map(|event| match &event.body {
                EventBody::RoomsCreated { rooms } => Some(Reply::RoomsCreated {
                    rooms: rooms.clone(),
                }),
                _ => None,
            })
            .unwrap_or(Reply::Ok);
        self.media.sync(&self.meeting);
        // Events wait in the connections' queues until the flush after the
        // commit; a failed commit discards them.
        let overflowed = self.connections.publish(&self.meeting, events);
        self.disconnected(overflowed);
        self.removed.extend(removed);
        self.views_dirty = true;
        Ok(answer)
    }

    fn fire_due_deadlines(&mut self) {
        self.fire_deadlines_at(self.now());
    }

    fn fire_deadlines_at(&mut self, at: Timestamp) {
        if self.behind.is_some() || self.meeting.next_deadline().is_none_or(|due| due > at) {
            return;
        }
        let events = self.meeting.tick(at);
        self.media.sync(&self.meeting);
        if !events.is_empty() {
            let overflowed = self.connections.publish(&self.meeting, events);
            self.disconnected(overflowed);
            self.views_dirty = true;
        }
    }

    fn connect(
        &mut self,
        who: ParticipantId,
        handle: ConnectionHandle,
        seen_revision: Option<u64>,
    ) -> Result<ServerMessage, ServerError> {
        let at = self.now();
        self.fire_deadlines_at(at);
        if self.meeting.participant(who).is_none() {
            return Err(not_in_meeting(who));
        }
        if self.resumed.insert(who)
            && let Some(seen) = seen_revision
            && seen > self.restored_revision
        {
            self.env.incidents.report(
                at,
                &self.id,
                IncidentKind::LostEvents {
                    participant: who,
                    client_revision: seen,
                    server_revision: self.restored_revision,
                },
            );
        }
        self.connections.attach(who, handle);
        if !self.meeting.participant(who).is_some_and(|p| p.connected) {
            self.apply(
                Actor::System,
                Command::SetConnected {
                    participant: who,
                    connected: true,
                },
            )?;
        }
        let view = self
            .meeting
            .view_for(who, self.now())
            .ok_or_else(|| not_in_meeting(who))?;
        Ok(ServerMessage::Welcome {
            protocol: breakout_protocol::PROTOCOL_VERSION,
            meeting: self.id.clone(),
            participant: who,
            server_time: self.now(),
            view: Box::new(view),
            ice_servers: self
                .env
                .settings
                .media
                .ice_servers_for(who, self.now().0 / 1000),
        })
    }

    /// Records that these participants lost their connection.
    fn disconnected(&mut self, who: Vec<ParticipantId>) {
        for participant in who {
            if self.connections.is_connected(participant) {
                continue;
            }
            if self
                .meeting
                .participant(participant)
                .is_some_and(|p| p.connected)
            {
                let _ = self.apply(
                    Actor::System,
                    Command::SetConnected {
                        participant,
                        connected: false,
                    },
                );
            }
        }
    }

    fn mark_everyone_disconnected(&mut self) {
        let stale: Vec<ParticipantId> = self
            .meeting
            .participants()
            .filter(|p| p.connected)
            .map(|p| p.id)
            .collect();
        self.disconnected(stale);
    }

    /// Leaves a meeting another node took over: nothing is written (the
    /// fence would refuse it anyway), and clients are told to reconnect,
    /// which brings them to the new owner.
    fn leave(&mut self) {
        self.connections.discard_pending();
        self.connections.close_all(crate::error::MEETING_MOVED);
        self.media.close();
        info!(meeting = %self.id, epoch = ?self.epoch, "another node took the meeting over; dropped here");
    }

    async fn stop(&mut self, reason: &'static str) {
        self.commit().await;
        self.connections.flush();
        self.snapshot().await;
        self.connections.close_all(reason);
        self.media.close();
        info!(meeting = %self.id, "meeting stopped");
    }
}

fn not_in_meeting(who: ParticipantId) -> ServerError {
    Refusal::UnknownParticipant(who).into()
}

impl MeetingActor {
    /// Converts a wall-clock deadline to a tokio instant.
    fn sleep_target(&self, deadline: Timestamp) -> tokio::time::Instant {
        let wait = deadline.0.saturating_sub(self.now().0);
        tokio::time::Instant::now() + Duration::from_millis(wait)
    }
}

async fn sleep_until_opt(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
