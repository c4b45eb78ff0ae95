//! The per-meeting media task: owns every participant's connection, follows
//! the placement the meeting actor publishes, and decides which source each
//! slot carries. It handles control only; packets flow from the upstream
//! readers straight to the subscribers' writer tasks.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use breakout_core::{ParticipantId, RoomId};
use breakout_protocol::media::MediaKind;
use breakout_protocol::ws::{Reply, ServerMessage};
use tokio::sync::{mpsc, oneshot, watch};
use webrtc::peer_connection::peer_connection_state::RTCPeerConnectionState;
use webrtc::rtp_transceiver::rtp_codec::RTPCodecType;

use super::downstream;
use super::network::MediaNetwork;
use super::participant::{Peer, SlotHandle, apply_switch, close_pc, slot_map};
use super::peer::{self, Negotiated, PeerEvent};
use super::stats::{PeerStats, bump};
use super::upstream::{self, Upstream};
use super::{MediaError, MediaRequest, Placement, RouterMessage, assign};

/// A finished negotiation, back from its task.
struct Done {
    participant: ParticipantId,
    generation: u64,
    connection: ConnectionHandle,
    result: Result<(Negotiated, Arc<PeerStats>), MediaError>,
    reply: oneshot::Sender<Result<Reply, MediaError>>,
}
use crate::connections::{ConnectionHandle, Outgoing, encode};

/// Audio slots are re-ranked by level this often in crowded rooms.
const RERANK_INTERVAL: Duration = Duration::from_millis(500);
/// Packets queued towards one subscriber before drops are counted.
const DOWN_QUEUE: usize = 1024;
/// Pending keyframe requests per publisher.
const KEYFRAME_QUEUE: usize = 8;

pub struct Router {
    placement: watch::Receiver<Arc<Placement>>,
    /// The placement every decision is made from: the newest one the router
    /// has applied in full. Nothing reads the watch directly, so no slot map
    /// can mix two placements (audio re-ranked in the new rooms while video
    /// still shows the old ones).
    current: Arc<Placement>,
    requests: mpsc::Receiver<RouterMessage>,
    events_tx: mpsc::UnboundedSender<PeerEvent>,
    events: mpsc::UnboundedReceiver<PeerEvent>,
    done_tx: mpsc::UnboundedSender<Done>,
    done: mpsc::UnboundedReceiver<Done>,
    peers: BTreeMap<ParticipantId, Peer>,
    /// Offers being answered, by participant, with their generation.
    pending: BTreeMap<ParticipantId, u64>,
    next_generation: u64,
    epoch: Instant,
    network: Arc<MediaNetwork>,
}

impl Router {
    pub fn new(
        placement: watch::Receiver<Arc<Placement>>,
        requests: mpsc::Receiver<RouterMessage>,
        network: Arc<MediaNetwork>,
    ) -> Self {
        let (events_tx, events) = mpsc::unbounded_channel();
        let (done_tx, done) = mpsc::unbounded_channel();
        let current = placement.borrow().clone();
        Router {
            placement,
            current,
            requests,
            events_tx,
            events,
            done_tx,
            done,
            peers: BTreeMap::new(),
            pending: BTreeMap::new(),
            next_generation: 1,
            epoch: Instant::now(),
            network,
        }
    }

    pub async fn run(mut self) {
        let mut rerank = tokio::time::interval(RERANK_INTERVAL);
        rerank.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            // Whichever is ready first, a newer placement is applied in
            // full before it: requests, connections and re-ranking then all
            // see the rooms their slot maps will name.
            tokio::select! {
                changed = self.placement.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    // `changed` marked it seen: apply it unconditionally.
                    self.apply_placement();
                }
                message = self.requests.recv() => match message {
                    Some(RouterMessage::Request { participant, connection, request, reply }) => {
                        self.follow_placement();
                        self.request(participant, connection, request, reply);
                    }
                    Some(RouterMessage::Close) | None => break,
                },
                Some(done) = self.done.recv() => {
                    self.follow_placement();
                    self.negotiated(done);
                }
                Some(event) = self.events.recv() => {
                    self.follow_placement();
                    self.on_event(event);
                }
                _ = rerank.tick() => self.rerank(),
            }
        }
        for participant in self.peers.keys().copied().collect::<Vec<_>>() {
            self.drop_peer(participant);
        }
    }

    fn request(
        &mut self,
        who: ParticipantId,
        connection: ConnectionHandle,
        request: MediaRequest,
        reply: oneshot::Sender<Result<Reply, MediaError>>,
    ) {
        if !self.current.members.contains_key(&who) {
            let _ = reply.send(Err(MediaError::NotInMeeting));
            return;
        }
        let result = match request {
            MediaRequest::Offer { sdp, restart } => {
                return self.offer(who, connection, sdp, restart, reply);
            }
            MediaRequest::Candidate { candidate } => match self.peers.get(&who) {
                // Checked now, added in the background: the reply never
                // waits on the ICE agent, so a burst of trickled candidates
                // cannot hold up the requests behind it on the connection.
                Some(peer) => peer::check_candidate(&candidate).map(|()| {
                    tokio::spawn(peer::add_candidate(who, peer.pc.clone(), candidate));
                    Reply::Ok
                }),
                None => Err(MediaError::NotNegotiated),
            },
            MediaRequest::Keyframe { mid } => self.keyframe(who, &mid),
            MediaRequest::Stats => self.stats(who),
        };
        let _ = reply.send(result);
    }

    fn offer(
        &mut self,
        who: ParticipantId,
        connection: ConnectionHandle,
        sdp: String,
        restart: bool,
        reply: oneshot::Sender<Result<Reply, MediaError>>,
    ) {
        // A restart replaces this socket's connection (it could not
        // connect, e.g. UDP is blocked and the tunnel is tried next); any
        // other second offer would be a renegotiation, which never happens.
        let same_connection = self
            .peers
            .get(&who)
            .is_some_and(|peer| peer.connection.id == connection.id);
        if (same_connection && !restart) || self.pending.contains_key(&who) {
            let _ = reply.send(Err(MediaError::AlreadyNegotiated));
            return;
        }
        let generation = self.next_generation;
        self.next_generation += 1;
        self.pending.insert(who, generation);
        let stats = Arc::new(PeerStats::default());
        let events = self.events_tx.clone();
        let network = self.network.clone();
        let done = self.done_tx.clone();
        tokio::spawn(async move {
            let result =
                peer::negotiate(who, generation, sdp, &network, stats.clone(), events).await;
            let done = done.send(Done {
                participant: who,
                generation,
                connection,
                result: result.map(|n| (n, stats)),
                reply,
            });
            // The meeting's media stopped meanwhile: nobody will close it.
            if let Err(mpsc::error::SendError(Done {
                result: Ok((negotiated, _)),
                ..
            })) = done
            {
                peer::close(negotiated.pc).await;
            }
        });
    }

    fn negotiated(&mut self, done: Done) {
        let Done {
            participant: who,
            generation,
            connection,
            result,
            reply,
        } = done;
        if self.pending.get(&who) == Some(&generation) {
            self.pending.remove(&who);
        }
        let (negotiated, stats) = match result {
            Ok(ok) => ok,
            Err(error) => {
                let _ = reply.send(Err(error));
                return;
            }
        };
        if !self.current.members.contains_key(&who) {
            close_pc(negotiated.pc);
            let _ = reply.send(Err(MediaError::NotInMeeting));
            return;
        }
        // A new connection of theirs (a restarted client, or one that moved
        // to the tunnel) replaces the old; its slot maps go on counting from
        // the old one's, so a late map of the old is recognised as stale.
        let version = self.peers.get(&who).map_or(0, |peer| peer.version);
        self.drop_peer(who);
        let (control, control_rx) = mpsc::unbounded_channel();
        let (packets, packets_rx) = mpsc::channel(DOWN_QUEUE);
        let (keyframes, keyframes_rx) = mpsc::channel(KEYFRAME_QUEUE);
        tokio::spawn(peer::write_keyframe_requests(
            Arc::downgrade(&negotiated.pc),
            keyframes_rx,
        ));
        let slots = negotiated
            .slots
            .iter()
            .map(|writer| SlotHandle {
                shared: writer.shared.clone(),
                occupant: None,
            })
            .collect();
        tokio::spawn(downstream::run(
            negotiated.slots,
            control_rx,
            packets_rx,
            stats.clone(),
        ));
        self.peers.insert(
            who,
            Peer {
                generation,
                connection,
                pc: negotiated.pc,
                slots,
                audio_slots: negotiated.audio_slots,
                control,
                packets,
                keyframes,
                mic: None,
                camera: None,
                stats,
                version,
                sent_room: None,
                dirty: false,
            },
        );
        self.reassign(false);
        let Some(peer) = self.peers.get_mut(&who) else {
            return;
        };
        let room = self.current.members.get(&who).map(|m| m.room);
        let slots = slot_map(peer, room.unwrap_or(RoomId::MAIN));
        peer.sent_room = Some(slots.room);
        peer.dirty = false;
        let _ = reply.send(Ok(Reply::MediaAnswer {
            sdp: negotiated.answer,
            slots,
        }));
    }

    fn on_event(&mut self, event: PeerEvent) {
        match event {
            PeerEvent::Track {
                participant,
                generation,
                track,
                audio_level_id,
            } => {
                let Some(peer) = self
                    .peers
                    .get_mut(&participant)
                    .filter(|p| p.generation == generation)
                else {
                    return;
                };
                let kind = match track.kind() {
                    RTPCodecType::Audio => MediaKind::Audio,
                    RTPCodecType::Video => MediaKind::Video,
                    _ => return,
                };
                let source = Arc::new(Upstream::new(
                    participant,
                    kind,
                    track.ssrc(),
                    peer.keyframes.clone(),
                    self.epoch,
                ));
                tokio::spawn(upstream::read_track(
                    source.clone(),
                    track,
                    audio_level_id,
                    peer.stats.clone(),
                ));
                match kind {
                    MediaKind::Audio => peer.mic = Some(source),
                    MediaKind::Video => peer.camera = Some(source),
                }
                self.reassign(false);
            }
            PeerEvent::State {
                participant,
                generation,
                state,
            } => {
                let ours = self
                    .peers
                    .get(&participant)
                    .is_some_and(|p| p.generation == generation);
                if ours
                    && matches!(
                        state,
                        RTCPeerConnectionState::Failed | RTCPeerConnectionState::Closed
                    )
                {
                    tracing::info!(%participant, %state, "media connection ended");
                    self.drop_peer(participant);
                    self.reassign(false);
                }
            }
        }
    }

    /// Applies the newest placement if the router has not yet.
    fn follow_placement(&mut self) {
        if self.placement.has_changed().unwrap_or(false) {
            self.apply_placement();
        }
    }

    fn apply_placement(&mut self) {
        self.current = self.placement.borrow_and_update().clone();
        self.on_placement();
    }

    /// The periodic re-ranking of talkers.
    fn rerank(&mut self) {
        self.follow_placement();
        self.reassign(true);
    }

    fn on_placement(&mut self) {
        let gone: Vec<ParticipantId> = self
            .peers
            .keys()
            .filter(|p| !self.current.members.contains_key(p))
            .copied()
            .collect();
        for participant in gone {
            self.drop_peer(participant);
        }
        self.reassign(false);
    }

    /// Recomputes every subscriber's slots and tells each one whose map
    /// changed; `audio_only` for the periodic re-ranking of talkers.
    fn reassign(&mut self, audio_only: bool) {
        let placement = self.current.clone();
        let plans = {
            let view: BTreeMap<ParticipantId, assign::PeerView<'_>> = self
                .peers
                .iter()
                .map(|(who, peer)| {
                    let view = assign::PeerView {
                        mic: peer.mic.as_ref(),
                        camera: peer.camera.as_ref(),
                        slots: peer.slots.iter().map(|s| s.occupant.as_ref()).collect(),
                        audio_slots: peer.audio_slots,
                    };
                    (*who, view)
                })
                .collect();
            assign::plan(&placement, &view, audio_only)
        };
        for (subscriber, changes) in plans {
            let Some(peer) = self.peers.get_mut(&subscriber) else {
                continue;
            };
            for (slot, source) in changes {
                apply_switch(subscriber, peer, slot, source);
            }
        }
        for (who, peer) in self.peers.iter_mut() {
            let Some(room) = placement.members.get(who).map(|m| m.room) else {
                continue;
            };
            if peer.dirty || peer.sent_room != Some(room) {
                peer.dirty = false;
                peer.sent_room = Some(room);
                let map = slot_map(peer, room);
                let text = encode(&ServerMessage::Slots { slots: map });
                // A full queue closes the socket; the client resumes and re-reads.
                let _ = peer.connection.tx.try_send(Outgoing::Text(text));
            }
        }
    }

    fn keyframe(&mut self, who: ParticipantId, mid: &str) -> Result<Reply, MediaError> {
        let peer = self.peers.get(&who).ok_or(MediaError::NotNegotiated)?;
        let slot = peer
            .slots
            .iter()
            .find(|s| s.shared.mid == mid)
            .ok_or(MediaError::UnknownSlot)?;
        bump(&peer.stats.keyframe_requests_received);
        if let Some(source) = &slot.occupant {
            source.request_keyframe();
        }
        Ok(Reply::Ok)
    }

    fn stats(&self, who: ParticipantId) -> Result<Reply, MediaError> {
        let peer = self.peers.get(&who).ok_or(MediaError::NotNegotiated)?;
        Ok(Reply::MediaStats {
            stats: Box::new(peer.stats()),
        })
    }

    /// Closes `who`'s connection and takes their sources out of every slot.
    fn drop_peer(&mut self, who: ParticipantId) {
        let Some(peer) = self.peers.remove(&who) else {
            return;
        };
        for (slot, handle) in peer.slots.iter().enumerate() {
            if let Some(source) = &handle.occupant {
                source.unsubscribe(who, slot);
            }
        }
        for (subscriber, other) in self.peers.iter_mut() {
            for slot in 0..other.slots.len() {
                let from_them = other.slots[slot]
                    .occupant
                    .as_ref()
                    .is_some_and(|u| u.publisher == who);
                if from_them {
                    apply_switch(*subscriber, other, slot, None);
                }
            }
        }
        close_pc(peer.pc);
    }
}

#[cfg(test)]
#[path = "router_tests.rs"]
mod tests;
