//! One task per live meeting: the only place a meeting's state changes.
//!
//! Commands arrive on a channel, are applied through `breakout-core`, written
//! to the journal before anyone hears of them, and the resulting events are
//! fanned out. Deadlines (countdowns, automatic end) come from
//! `Meeting::next_deadline`; the task sleeps until the next one. Views are
//! pushed coalesced on a short interval rather than after every change.

use std::sync::Arc;
use std::time::Duration;

use breakout_core::{Actor, Command, Meeting, ParticipantId, RoomId, Timestamp};
use breakout_protocol::ApiError;
use breakout_protocol::rest::{MeetingInfo, MemberSummary, RoomSummary, RoomsOverview};
use breakout_protocol::ws::{Reply, Request, ServerMessage};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

use crate::clock::now;
use crate::connections::{ConnectionHandle, Connections};
use crate::media::{MediaHandle, MediaRouter};
use crate::store::{JournalEntry, Store};

/// How often changed views are pushed; events themselves go out at once.
const VIEW_FLUSH_INTERVAL: Duration = Duration::from_millis(50);
/// Most queued messages handled in one turn before output is sent.
const MAX_BATCH: usize = 256;
/// A snapshot every this many journal entries keeps restarts fast.
const SNAPSHOT_EVERY: u64 = 500;

pub type ReplyTo<T> = oneshot::Sender<Result<T, ApiError>>;

pub enum ActorMessage {
    Command {
        actor: Actor,
        command: Command,
        reply: ReplyTo<()>,
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
    /// Snapshot, close every socket and stop.
    Stop {
        done: oneshot::Sender<()>,
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
    pub async fn command(&self, actor: Actor, command: Command) -> Result<(), ApiError> {
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
    ) -> Result<T, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.tx.send(message(reply)).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())
    }
}

fn gone() -> ApiError {
    ApiError::new(
        "meeting_gone",
        "the meeting is no longer running on this server",
    )
}

pub struct MeetingActor {
    id: String,
    title: String,
    created_at: u64,
    meeting: Meeting,
    store: Arc<Store>,
    seq: u64,
    entries_since_snapshot: u64,
    connections: Connections,
    views_dirty: bool,
    /// Follows every change of placement; see `crate::media`.
    media: MediaRouter,
}

impl MeetingActor {
    pub fn new(
        id: String,
        title: String,
        created_at: u64,
        meeting: Meeting,
        seq: u64,
        store: Arc<Store>,
    ) -> Self {
        MeetingActor {
            id,
            title,
            created_at,
            store,
            seq,
            entries_since_snapshot: 0,
            connections: Connections::default(),
            views_dirty: false,
            media: MediaRouter::spawn(&meeting),
            meeting,
        }
    }

    /// Starts the task. Everyone counts as disconnected until they reconnect.
    pub fn spawn(mut self) -> MeetingHandle {
        let (tx, rx) = mpsc::channel(4096);
        let media = self.media.handle();
        tokio::spawn(async move {
            self.mark_everyone_disconnected();
            self.run(rx).await;
        });
        MeetingHandle { tx, media }
    }

    async fn run(mut self, mut rx: mpsc::Receiver<ActorMessage>) {
        let mut flush = tokio::time::interval(VIEW_FLUSH_INTERVAL);
        flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            self.fire_due_deadlines();
            self.flush();
            let deadline = self.meeting.next_deadline().map(sleep_target);
            tokio::select! {
                message = rx.recv() => match message {
                    Some(ActorMessage::Stop { done }) => {
                        self.stop();
                        let _ = done.send(());
                        return;
                    }
                    Some(message) => {
                        self.handle(message);
                        // Take whatever else is queued before sending, so a
                        // burst becomes one batch per connection.
                        for _ in 0..MAX_BATCH {
                            match rx.try_recv() {
                                Ok(ActorMessage::Stop { done }) => {
                                    self.stop();
                                    let _ = done.send(());
                                    return;
                                }
                                Ok(message) => self.handle(message),
                                Err(_) => break,
                            }
                        }
                        self.flush();
                    }
                    None => {
                        self.stop();
                        return;
                    }
                },
                _ = sleep_until_opt(deadline) => {}
                _ = flush.tick(), if self.views_dirty => {
                    self.views_dirty = false;
                    let overflowed = self.connections.flush_views(&self.meeting, now());
                    self.disconnected(overflowed);
                }
            }
        }
    }

    fn handle(&mut self, message: ActorMessage) {
        match message {
            ActorMessage::Command {
                actor,
                command,
                reply,
            } => {
                let result = self.apply(actor, command);
                let _ = reply.send(result);
            }
            ActorMessage::Request {
                participant,
                request,
                reply,
            } => {
                let result = self.request(participant, request);
                let _ = reply.send(result);
            }
            ActorMessage::AssignmentsCsv {
                actor,
                csv,
                apply,
                reply,
            } => {
                let result = self.assignments_csv(actor, csv, apply);
                let _ = reply.send(result);
            }
            ActorMessage::Connect {
                participant,
                handle,
                reply,
            } => {
                let result = self.connect(participant, handle);
                let _ = reply.send(result);
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
                let _ = reply.send(self.info());
            }
            ActorMessage::Overview { reply } => {
                let _ = reply.send(self.overview());
            }
            ActorMessage::Presets { reply } => {
                let _ = reply.send(self.meeting.presets().cloned().collect());
            }
            ActorMessage::Stop { .. } => unreachable!("handled by the loop"),
        }
    }

    fn assignments_csv(
        &mut self,
        actor: Actor,
        csv: String,
        apply: bool,
    ) -> Result<breakout_core::CsvPreview, ApiError> {
        let preview = self.meeting.preview_import(actor, &csv)?;
        if apply {
            self.apply(actor, Command::ImportAssignments { csv })?;
        }
        Ok(preview)
    }

    /// Applies one command: refused commands change nothing and are not
    /// journaled; accepted ones are journaled before anyone is told.
    fn apply(&mut self, actor: Actor, command: Command) -> Result<(), ApiError> {
        let at = now();
        self.fire_deadlines_at(at);
        let name = command.name();
        let removed = match command {
            Command::RemoveParticipant { participant } => Some(participant),
            _ => None,
        };
        let events = self.meeting.apply(actor, command.clone(), at)?;
        let entry = JournalEntry {
            seq: self.seq + 1,
            at,
            actor,
            command,
        };
        if let Err(error) = self.store.append(&self.id, std::slice::from_ref(&entry)) {
            // The state moved but the journal did not: rebuild from what is
            // durable so memory never runs ahead of the disk.
            warn!(meeting = %self.id, %error, "journal write failed; reloading meeting");
            self.reload();
            return Err(ApiError::new(
                "storage_failed",
                "the server could not save this change; please retry",
            ));
        }
        self.seq += 1;
        debug!(meeting = %self.id, command = name, events = events.len(), "applied");
        self.media.sync(&self.meeting);
        let overflowed = self.connections.publish(&self.meeting, events);
        self.disconnected(overflowed);
        if let Some(participant) = removed {
            if let Err(error) = self.store.revoke_tokens(&self.id, participant) {
                warn!(meeting = %self.id, %error, "could not revoke tokens");
            }
            self.connections
                .close(participant, "removed from the meeting");
        }
        self.views_dirty = true;
        self.entries_since_snapshot += 1;
        if self.entries_since_snapshot >= SNAPSHOT_EVERY {
            self.snapshot();
        }
        Ok(())
    }

    fn flush(&mut self) {
        let overflowed = self.connections.flush();
        self.disconnected(overflowed);
        // Disconnections are events too.
        let overflowed = self.connections.flush();
        self.disconnected(overflowed);
    }

    fn fire_due_deadlines(&mut self) {
        self.fire_deadlines_at(now());
    }

    fn fire_deadlines_at(&mut self, at: Timestamp) {
        if self.meeting.next_deadline().is_none_or(|due| due > at) {
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

    fn request(&mut self, who: ParticipantId, request: Request) -> Result<Reply, ApiError> {
        let at = now();
        self.fire_deadlines_at(at);
        match request {
            Request::Command { .. } => unreachable!("commands go through ActorMessage::Command"),
            Request::GetState => self
                .meeting
                .view_for(who, at)
                .map(|view| Reply::State {
                    view: Box::new(view),
                })
                .ok_or_else(|| not_in_meeting(who)),
            Request::GetChat { room } => {
                let own = self
                    .meeting
                    .participant(who)
                    .ok_or_else(|| not_in_meeting(who))?
                    .room;
                let room = room.unwrap_or(own);
                if room != own && !self.meeting.is_manager(who) {
                    return Err(ApiError::new(
                        "permission_denied",
                        "you can only read the chat of the room you are in",
                    ));
                }
                Ok(Reply::Chat {
                    messages: self.meeting.chat_history(room).to_vec(),
                })
            }
            Request::ExportAssignments => {
                if !self.meeting.is_manager(who) {
                    return Err(ApiError::new(
                        "permission_denied",
                        "your role does not allow you to export assignments",
                    ));
                }
                Ok(Reply::Csv {
                    csv: self.meeting.export_assignments_csv(),
                })
            }
            Request::Ping => Ok(Reply::Pong { server_time: at }),
            Request::MediaOffer { .. }
            | Request::MediaCandidate { .. }
            | Request::RequestKeyframe { .. }
            | Request::GetMediaStats => Err(ApiError::new(
                "bad_request",
                "media requests go to the meeting's media task",
            )),
        }
    }

    fn connect(
        &mut self,
        who: ParticipantId,
        handle: ConnectionHandle,
    ) -> Result<ServerMessage, ApiError> {
        let at = now();
        self.fire_deadlines_at(at);
        if self.meeting.participant(who).is_none() {
            return Err(not_in_meeting(who));
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
            .view_for(who, now())
            .ok_or_else(|| not_in_meeting(who))?;
        Ok(ServerMessage::Welcome {
            protocol: breakout_protocol::PROTOCOL_VERSION,
            meeting: self.id.clone(),
            participant: who,
            server_time: now(),
            view: Box::new(view),
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

    fn snapshot(&mut self) {
        match self.store.save_snapshot(&self.id, self.seq, &self.meeting) {
            Ok(()) => self.entries_since_snapshot = 0,
            Err(error) => warn!(meeting = %self.id, %error, "snapshot failed"),
        }
    }

    fn reload(&mut self) {
        match crate::registry::rebuild(&self.store, &self.id) {
            Ok((meeting, seq)) => {
                self.meeting = meeting;
                self.seq = seq;
                self.media.sync(&self.meeting);
            }
            Err(error) => warn!(meeting = %self.id, %error, "reload failed"),
        }
        self.views_dirty = true;
    }

    fn stop(&mut self) {
        self.snapshot();
        self.connections.close_all("the meeting was closed");
        self.media.close();
        info!(meeting = %self.id, "meeting stopped");
    }

    fn info(&self) -> MeetingInfo {
        MeetingInfo {
            id: self.id.clone(),
            title: self.title.clone(),
            created_at: self.created_at,
            participant_count: self.meeting.participants().count() as u32,
            phase: self.meeting.phase(),
        }
    }

    fn overview(&self) -> RoomsOverview {
        let main = self.meeting.room(RoomId::MAIN).into_iter();
        let rooms = main
            .chain(self.meeting.breakout_rooms())
            .map(|room| RoomSummary {
                id: room.id,
                title: room.title.clone(),
                open: room.open,
                members: self
                    .meeting
                    .occupants(room.id)
                    .filter_map(|id| self.meeting.participant(id))
                    .map(|p| MemberSummary {
                        id: p.id,
                        name: p.name.clone(),
                        role: self
                            .meeting
                            .preset_of(p.id)
                            .map_or(breakout_core::Role::Participant, |preset| preset.role),
                        assigned: p.assigned,
                        connected: p.connected,
                        mic: p.media.mic,
                        camera: p.media.camera,
                    })
                    .collect(),
            })
            .collect();
        RoomsOverview {
            meeting: self.id.clone(),
            phase: self.meeting.phase(),
            rooms,
        }
    }
}

fn not_in_meeting(who: ParticipantId) -> ApiError {
    ApiError::new(
        "unknown_participant",
        format!("{who} is not in this meeting"),
    )
}

/// Converts a wall-clock deadline to a tokio instant.
fn sleep_target(deadline: Timestamp) -> tokio::time::Instant {
    let wait = deadline.0.saturating_sub(now().0);
    tokio::time::Instant::now() + Duration::from_millis(wait)
}

async fn sleep_until_opt(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
