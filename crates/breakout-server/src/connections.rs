//! The live WebSocket connections of one meeting, and fan-out to them.
//!
//! Every outgoing message is serialised once and shared (`Arc<str>`) by all
//! its recipients. Queues are bounded and never waited on: a connection that
//! cannot keep up is closed and resumes later with a fresh view, so one slow
//! client never delays a meeting.

use std::collections::BTreeMap;
use std::sync::Arc;

use breakout_core::{Event, Meeting, ParticipantId, Recipients, Timestamp};
use breakout_protocol::ws::ServerMessage;
use tokio::sync::mpsc;

/// What the actor hands a connection task.
#[derive(Debug, Clone)]
pub enum Outgoing {
    Text(Arc<str>),
    /// Several messages at once, each sent as its own frame. Batching per
    /// actor turn keeps channel traffic low when many things happen together
    /// (a thousand people connecting, everyone moving at start).
    Batch(Vec<Arc<str>>),
    /// Close the socket with this reason (replaced, removed, meeting deleted).
    Close(&'static str),
}

/// A connection's side of the queue, registered with the meeting actor.
#[derive(Debug, Clone)]
pub struct ConnectionHandle {
    pub id: u64,
    pub tx: mpsc::Sender<Outgoing>,
}

pub const QUEUE_CAPACITY: usize = 1024;
/// Messages one connection may have waiting within a single actor turn.
const MAX_PENDING: usize = 16_384;
/// Pushed views carry the member list of the recipient's own room only up to
/// this size; bigger rooms are kept current by member events instead, so a
/// crowded main room does not turn every change into megabytes of views.
pub const MAX_PUSHED_MEMBERS: usize = 64;

struct Live {
    handle: ConnectionHandle,
    /// Messages waiting for the end of the actor's turn.
    pending: Vec<Arc<str>>,
    /// Hash of the last view sent, to skip unchanged views on flush.
    last_view: u64,
}

#[derive(Default)]
pub struct Connections {
    live: BTreeMap<ParticipantId, Live>,
}

impl Connections {
    /// Registers `handle` for `who`, closing a previous connection of theirs.
    pub fn attach(&mut self, who: ParticipantId, handle: ConnectionHandle) {
        if let Some(old) = self.live.insert(
            who,
            Live {
                handle,
                pending: Vec::new(),
                last_view: 0,
            },
        ) {
            let _ = old
                .handle
                .tx
                .try_send(Outgoing::Close("replaced by a newer connection"));
        }
    }

    /// Forgets `who` if `connection` is still theirs. Returns whether it was.
    pub fn detach(&mut self, who: ParticipantId, connection: u64) -> bool {
        match self.live.get(&who) {
            Some(live) if live.handle.id == connection => {
                self.live.remove(&who);
                true
            }
            _ => false,
        }
    }

    pub fn close(&mut self, who: ParticipantId, reason: &'static str) {
        if let Some(live) = self.live.remove(&who) {
            let _ = live.handle.tx.try_send(Outgoing::Close(reason));
        }
    }

    pub fn close_all(&mut self, reason: &'static str) {
        for (_, live) in std::mem::take(&mut self.live) {
            let _ = live.handle.tx.try_send(Outgoing::Close(reason));
        }
    }

    /// Drops every message waiting for the end of the turn: the changes
    /// they tell of were not saved, so they never happened.
    pub fn discard_pending(&mut self) {
        for live in self.live.values_mut() {
            live.pending.clear();
        }
    }

    pub fn is_connected(&self, who: ParticipantId) -> bool {
        self.live.contains_key(&who)
    }

    /// Sends each event to its recipients. Returns overflowed participants.
    pub fn publish(&mut self, meeting: &Meeting, events: Vec<Event>) -> Vec<ParticipantId> {
        let mut overflowed = Vec::new();
        for event in events {
            let text = encode(&ServerMessage::Event { event: event.body });
            let dropped = match &event.to {
                Recipients::Everyone => {
                    let all: Vec<_> = self.live.keys().copied().collect();
                    self.deliver(all, &text)
                }
                Recipients::Managers => {
                    let managers: Vec<_> = self
                        .live
                        .keys()
                        .copied()
                        .filter(|p| meeting.is_manager(*p))
                        .collect();
                    self.deliver(managers, &text)
                }
                Recipients::One(who) => self.deliver(std::iter::once(*who), &text),
                Recipients::Many(list) => self.deliver(list.iter().copied(), &text),
            };
            overflowed.extend(dropped);
        }
        overflowed
    }

    /// Sends `message` straight to every connected host and cohost: it is
    /// not a meeting event, so it waits for no commit. Returns overflowed
    /// participants.
    pub fn send_to_managers(
        &mut self,
        meeting: &Meeting,
        message: &ServerMessage,
    ) -> Vec<ParticipantId> {
        let text = encode(message);
        let mut overflowed = Vec::new();
        for (who, live) in self.live.iter_mut() {
            if meeting.is_manager(*who)
                && live
                    .handle
                    .tx
                    .try_send(Outgoing::Text(text.clone()))
                    .is_err()
            {
                overflowed.push(*who);
            }
        }
        for who in &overflowed {
            self.close(*who, "too slow to keep up");
        }
        overflowed
    }

    /// Sends each connected participant its view if it changed since the last
    /// one sent. Returns overflowed participants.
    pub fn flush_views(&mut self, meeting: &Meeting, now: Timestamp) -> Vec<ParticipantId> {
        let mut overflowed = Vec::new();
        for (who, live) in self.live.iter_mut() {
            let Some(mut view) = meeting.view_with_members_up_to(*who, now, MAX_PUSHED_MEMBERS)
            else {
                continue;
            };
            // The revision and cooldown change on every tick; compare the rest.
            let revision = view.revision;
            view.revision = 0;
            let digest = digest(&view);
            if digest == live.last_view {
                continue;
            }
            live.last_view = digest;
            view.revision = revision;
            let text = encode(&ServerMessage::State {
                view: Box::new(view),
            });
            if live.handle.tx.try_send(Outgoing::Text(text)).is_err() {
                overflowed.push(*who);
            }
        }
        for who in &overflowed {
            self.close(*who, "too slow to keep up");
        }
        overflowed
    }

    /// Queues `text` for each recipient; sent by [`Connections::flush`].
    fn deliver(
        &mut self,
        recipients: impl IntoIterator<Item = ParticipantId>,
        text: &Arc<str>,
    ) -> Vec<ParticipantId> {
        let mut overflowed = Vec::new();
        for who in recipients {
            if let Some(live) = self.live.get_mut(&who) {
                if live.pending.len() >= MAX_PENDING {
                    overflowed.push(who);
                } else {
                    live.pending.push(text.clone());
                }
            }
        }
        for who in &overflowed {
            self.close(*who, "too slow to keep up");
        }
        overflowed
    }

    /// Hands every connection what was queued for it during this turn.
    pub fn flush(&mut self) -> Vec<ParticipantId> {
        let mut overflowed = Vec::new();
        for (who, live) in self.live.iter_mut() {
            let item = match live.pending.len() {
                0 => continue,
                1 => Outgoing::Text(live.pending.pop().expect("one pending")),
                _ => Outgoing::Batch(std::mem::take(&mut live.pending)),
            };
            if live.handle.tx.try_send(item).is_err() {
                overflowed.push(*who);
            }
        }
        for who in &overflowed {
            self.close(*who, "too slow to keep up");
        }
        overflowed
    }
}

pub fn encode(message: &ServerMessage) -> Arc<str> {
    serde_json::to_string(message)
        .expect("server messages always serialise")
        .into()
}

fn digest(view: &breakout_core::MeetingView) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_string(view)
        .expect("views always serialise")
        .hash(&mut hasher);
    // 0 means "nothing sent yet".
    hasher.finish().max(1)
}
