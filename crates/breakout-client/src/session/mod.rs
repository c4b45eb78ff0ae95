//! What this participant knows of the meeting, kept from the server's
//! messages. No I/O: feed it every [`ServerMessage`] with
//! [`Session::handle`] and act on the [`SessionUpdate`]s it returns; tell it
//! about requests you send with [`Session::track`] and about a lost socket
//! with [`Session::disconnected`]. Besides the meeting view it keeps what
//! the windows show around it (chat, banners, refusals, connection, clock):
//! [`Session::client_view`] is all of it.
//!
//! ```
//! use breakout_client::{Session, SessionUpdate};
//! use breakout_protocol::ws::ServerMessage;
//!
//! let mut session = Session::new();
//! let msg: ServerMessage = serde_json::from_str(r#"{"type":"event","event":{"type":"return_requested"}}"#).unwrap();
//! let updates = session.handle(msg);
//! assert!(matches!(updates[0], SessionUpdate::Event(_)));
//! assert!(session.view().is_none()); // nothing is known before the welcome
//! ```

mod client;
#[cfg(test)]
mod client_tests;
mod patch;
#[cfg(test)]
mod tests;

pub use client::{Banner, BannerKind, ClientView, ConnectionState, MAX_BANNERS, MAX_TOASTS, Toast};

use std::collections::BTreeMap;

use breakout_protocol::media::{IceCandidate, SlotMap};
use breakout_protocol::ws::{ClientMessage, Reply, Request, ServerMessage};
use breakout_protocol::{
    ApiError, Audience, ChatMessage, EventBody, MeetingView, ParticipantId, RoomId, Timestamp,
};

use client::Notices;

/// Something the caller may want to act on, produced by [`Session::handle`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SessionUpdate {
    /// The server accepted the connection as `participant`. `resumed` is
    /// true for every welcome after the first (a reconnect with the same token).
    Welcomed {
        participant: ParticipantId,
        resumed: bool,
    },
    /// The view was replaced by an authoritative one (welcome, state, or a
    /// state reply) of this revision.
    ViewReplaced { revision: u64 },
    /// An event, as the server sent it, after it was applied to the view.
    Event(EventBody),
    /// You are now in another room, whether an event or a new view said so.
    RoomChanged { from: RoomId, to: RoomId },
    /// The answer to request `id`; `request` is what was sent, if tracked.
    Replied {
        id: u64,
        request: Option<Request>,
        result: Reply,
    },
    /// The server refused request `id` (or, with no id, complained about the
    /// connection itself).
    Refused {
        id: Option<u64>,
        request: Option<Request>,
        error: ApiError,
    },
    /// A tracked request that will never be answered: its socket closed.
    Lost { id: u64, request: Request },
    /// The downstream media slots show other participants now (pushed, or
    /// in the media answer); [`Session::slots`] has the same map.
    SlotsChanged(SlotMap),
    /// An ICE candidate of the server, for the peer connection.
    MediaCandidate(IceCandidate),
}

/// The client's state for one participant of one meeting; see the module docs.
#[derive(Debug, Clone, Default)]
pub struct Session {
    meeting: Option<String>,
    participant: Option<ParticipantId>,
    view: Option<MeetingView>,
    slots: Option<SlotMap>,
    pending: BTreeMap<u64, Request>,
    welcomed: bool,
    connected: bool,
    notices: Notices,
}

impl Session {
    pub fn new() -> Self {
        Self::default()
    }

    /// The latest view: the last authoritative one with the events since
    /// applied. `None` until the first welcome.
    pub fn view(&self) -> Option<&MeetingView> {
        self.view.as_ref()
    }

    /// The room you are in.
    pub fn room(&self) -> Option<RoomId> {
        self.view.as_ref().map(|v| v.you.room)
    }

    /// Which participant each downstream media slot shows, once media is
    /// negotiated.
    pub fn slots(&self) -> Option<&SlotMap> {
        self.slots.as_ref()
    }

    /// Who the server says you are.
    pub fn participant(&self) -> Option<ParticipantId> {
        self.participant
    }

    /// The meeting's id, from the welcome.
    pub fn meeting(&self) -> Option<&str> {
        self.meeting.as_deref()
    }

    /// Whether a welcome arrived since the last [`Session::disconnected`].
    pub fn is_connected(&self) -> bool {
        self.connected
    }

    /// Ids of tracked requests not answered yet, in order.
    pub fn pending(&self) -> impl Iterator<Item = u64> + '_ {
        self.pending.keys().copied()
    }

    pub fn is_pending(&self, id: u64) -> bool {
        self.pending.contains_key(&id)
    }

    /// Everything the windows show, as of now.
    pub fn client_view(&self) -> ClientView {
        let n = &self.notices;
        ClientView {
            meeting: self.meeting.clone(),
            view: self.view.clone(),
            clock_offset_ms: n.clock_offset_ms,
            chat: n.chat.clone(),
            banners: n.banners.clone(),
            toasts: n.toasts.clone(),
            connection: n.connection,
            connection_reason: n.connection_reason.clone(),
            invitation_deferred: n.invitation_deferred,
            speaking: n.speaking.clone(),
        }
    }

    /// [`Session::handle`] for a message that arrived at `local_now` (this
    /// computer's clock): a welcome also sets the server clock's offset.
    pub fn handle_at(
        &mut self,
        message: ServerMessage,
        local_now: Timestamp,
    ) -> Vec<SessionUpdate> {
        if let ServerMessage::Welcome { server_time, .. } = &message {
            self.notices.clock_offset_ms = clock_offset(*server_time, local_now);
        }
        self.handle(message)
    }

    /// The chat history of `room`, fetched apart: merged with the lines
    /// held, once each, if you are still in that room.
    pub fn chat_history(&mut self, room: RoomId, messages: Vec<ChatMessage>) {
        if self.room() == Some(room) {
            self.notices.chat(room, messages);
        }
    }

    /// The socket's state, and why when it is not connected.
    pub fn set_connection(&mut self, state: ConnectionState, reason: Option<String>) {
        self.notices.connection = state;
        self.notices.connection_reason = reason;
    }

    /// Forgets toast `id`; false if there was none.
    pub fn dismiss_toast(&mut self, id: u64) -> bool {
        let before = self.notices.toasts.len();
        self.notices.toasts.retain(|t| t.id != id);
        self.notices.toasts.len() != before
    }

    /// Forgets banner `id`; false if there was none.
    pub fn dismiss_banner(&mut self, id: u64) -> bool {
        let before = self.notices.banners.len();
        self.notices.banners.retain(|b| b.id != id);
        self.notices.banners.len() != before
    }

    /// Puts off answering the current invitation, until the view invites
    /// you elsewhere. False when there is no invitation.
    pub fn defer_invitation(&mut self) -> bool {
        let invited = self.view.as_ref().and_then(|v| v.you.invited);
        self.notices.invitation_deferred = invited;
        invited.is_some()
    }

    /// Records a request about to be sent, so its answer is reported with it.
    pub fn track(&mut self, message: &ClientMessage) {
        self.pending.insert(message.id, message.request.clone());
    }

    /// The socket is gone: every tracked request is reported lost. The view
    /// is kept (stale until the next welcome).
    pub fn disconnected(&mut self) -> Vec<SessionUpdate> {
        self.connected = false;
        std::mem::take(&mut self.pending)
            .into_iter()
            .map(|(id, request)| SessionUpdate::Lost { id, request })
            .collect()
    }

    /// Takes in one message from the server.
    pub fn handle(&mut self, message: ServerMessage) -> Vec<SessionUpdate> {
        let mut updates = Vec::new();
        match message {
            ServerMessage::Welcome {
                meeting,
                participant,
                view,
                ..
            } => {
                updates.push(SessionUpdate::Welcomed {
                    participant,
                    resumed: self.welcomed,
                });
                self.welcomed = true;
                self.connected = true;
                self.set_connection(ConnectionState::Connected, None);
                // A new socket means a new media negotiation, counting afresh.
                self.slots = None;
                self.meeting = Some(meeting);
                self.participant = Some(participant);
                self.replace_view(*view, true, &mut updates);
            }
            ServerMessage::State { view } => self.replace_view(*view, false, &mut updates),
            ServerMessage::Reply { id, result } => {
                match &result {
                    Reply::State { view } => {
                        self.replace_view(view.as_ref().clone(), false, &mut updates)
                    }
                    Reply::MediaAnswer { slots, .. } => self.replace_slots(slots, &mut updates),
                    Reply::Chat { messages } => {
                        if let Some(room) = self.room() {
                            self.notices.chat(room, messages.iter().cloned());
                        }
                    }
                    _ => {}
                }
                updates.push(SessionUpdate::Replied {
                    id,
                    request: self.pending.remove(&id),
                    result,
                });
            }
            ServerMessage::Error { id, error } => {
                self.notices
                    .toast(error.code.clone(), error.message.clone());
                updates.push(SessionUpdate::Refused {
                    id,
                    request: id.and_then(|id| self.pending.remove(&id)),
                    error,
                })
            }
            ServerMessage::Event { event } => {
                self.notice(&event);
                let moved = self.view.as_mut().and_then(|v| patch::apply(v, &event));
                if let Some(view) = &self.view {
                    self.notices.follow_invitation(view);
                }
                updates.push(SessionUpdate::Event(event));
                if let Some((from, to)) = moved {
                    self.notices.chat.clear();
                    updates.push(SessionUpdate::RoomChanged { from, to });
                }
            }
            ServerMessage::Slots { slots } => self.replace_slots(&slots, &mut updates),
            ServerMessage::MediaCandidate { candidate } => {
                updates.push(SessionUpdate::MediaCandidate(candidate))
            }
            // For the media engine, which pauses the layers not listed
            // (`MediaSession::handle`); nothing about the meeting changes.
            ServerMessage::CameraLayers { .. } => {}
            ServerMessage::Speaking { rooms } => self.notices.speaking = rooms,
        }
        updates
    }

    /// What an event adds around the view: a banner or a chat line.
    fn notice(&mut self, event: &EventBody) {
        match event {
            EventBody::ReturnRequested => self.notices.banner(
                BannerKind::Return,
                "The host asks everyone to come back to the main room.".into(),
                None,
                None,
                Audience::Everyone,
            ),
            EventBody::Message {
                from,
                text,
                room,
                audience,
            } => {
                let name = self.view.as_ref().and_then(|v| member_name(v, *from));
                self.notices
                    .banner(BannerKind::Broadcast, text.clone(), name, *room, *audience);
            }
            EventBody::Chat { message } => {
                if let Some(room) = self.room() {
                    self.notices.chat(room, [message.clone()]);
                }
            }
            _ => {}
        }
    }

    /// Keeps the newest slot map; versions only grow within a media session.
    fn replace_slots(&mut self, slots: &SlotMap, out: &mut Vec<SessionUpdate>) {
        if self
            .slots
            .as_ref()
            .is_some_and(|s| s.version > slots.version)
        {
            return;
        }
        self.slots = Some(slots.clone());
        out.push(SessionUpdate::SlotsChanged(slots.clone()));
    }

    /// Installs an authoritative view. A view older than the one held is
    /// ignored, except on a welcome, which starts over.
    fn replace_view(&mut self, view: MeetingView, welcome: bool, out: &mut Vec<SessionUpdate>) {
        let before = self.view.as_ref().map(|v| (v.revision, v.you.room));
        if let Some((revision, _)) = before
            && revision > view.revision
            && !welcome
        {
            return;
        }
        let (revision, to) = (view.revision, view.you.room);
        let mut view = view;
        if !welcome && let Some(old) = &self.view {
            keep_member_lists(old, &mut view);
        }
        self.notices.follow_invitation(&view);
        self.view = Some(view);
        out.push(SessionUpdate::ViewReplaced { revision });
        if let Some((_, from)) = before
            && from != to
        {
            // Chat is per room: the new room's history is fetched apart.
            self.notices.chat.clear();
            out.push(SessionUpdate::RoomChanged { from, to });
        }
    }
}

/// Pushed views leave out member lists that member events keep current (a
/// crowded room, rooms not your own); keep the lists already held for them.
fn keep_member_lists(old: &MeetingView, new: &mut MeetingView) {
    for room in new.rooms.iter_mut().filter(|r| r.members.is_none()) {
        if let Some(kept) = old
            .rooms
            .iter()
            .find(|r| r.id == room.id)
            .and_then(|r| r.members.clone())
        {
            room.members = Some(kept);
        }
    }
}

/// How far the server's clock is ahead of this computer's, in ms.
fn clock_offset(server: Timestamp, local: Timestamp) -> i64 {
    let (server, local) = (i128::from(server.0), i128::from(local.0));
    (server - local).clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// The display name of `who`, if a member list the view holds names them.
fn member_name(view: &MeetingView, who: ParticipantId) -> Option<String> {
    view.rooms
        .iter()
        .filter_map(|r| r.members.as_ref())
        .flatten()
        .find(|m| m.id == who)
        .map(|m| m.name.clone())
}
