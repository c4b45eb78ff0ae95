//! The per-meeting media task: owns every participant's connection, follows
//! the placement the meeting actor publishes, and decides which source each
//! slot carries. It handles control only; packets flow from the upstream
//! readers straight to the subscribers' writer tasks.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use breakout_core::{ParticipantId, RoomId};
use breakout_protocol::media::{Layer, MediaKind, TileSize};
use breakout_protocol::ws::{Reply, ServerMessage};
use tokio::sync::{mpsc, oneshot, watch};
use webrtc::peer_connection::peer_connection_state::RTCPeerConnectionState;
use webrtc::rtp_transceiver::rtp_codec::RTPCodecType;

use super::downlink;
use super::downstream::{self, Owner};
use super::event::PeerEvent;
use super::layers::{self, SlotDemand, Tile};
use super::network::MediaNetwork;
use super::participant::{
    Camera, Peer, SlotHandle, apply_switch, close_pc, set_assigned, slot_map,
};
use super::peer::{self, Negotiated};
use super::recording::Recordings;
use super::speaking::Summaries;
use super::stats::{PeerStats, bump};
use super::upstream::{self, Upstream};
use super::{
    ExtraAudio, MediaError, MediaRequest, Member, Placement, RouterMessage, ScreenLines, assign,
};

/// A finished negotiation, back from its task.
struct Done {
    participant: ParticipantId,
    generation: u64,
    connection: ConnectionHandle,
    /// The negotiated connection, its counters and its screen track's `mid`.
    result: Result<(Negotiated, Arc<PeerStats>, Option<String>), MediaError>,
    reply: oneshot::Sender<Result<Reply, MediaError>>,
}
use crate::connections::{ConnectionHandle, Outgoing, encode};

/// Audio slots are re-ranked by level this often in crowded rooms.
const RERANK_INTERVAL: Duration = Duration::from_millis(500);
/// Packets queued towards one subscriber before drops are counted.
const DOWN_QUEUE: usize = 1024;
/// Pending keyframe requests per publisher.
const KEYFRAME_QUEUE: usize = 8;
/// What an audio slot is assumed to take before its source was measured:
/// Opus voice with FEC and packet overhead.
const ASSUMED_AUDIO_BITRATE: u64 = 56_000;
/// What a shared screen is assumed to take before it was measured.
const ASSUMED_SCREEN_BITRATE: u64 = 500_000;

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
    /// Filled downstream slots, as last added to the network's count.
    streams: i64,
    /// Who speaks in each room, for hosts and cohosts.
    summaries: Summaries,
    recordings: Recordings,
}

impl Router {
    pub fn new(
        placement: watch::Receiver<Arc<Placement>>,
        requests: mpsc::Receiver<RouterMessage>,
        network: Arc<MediaNetwork>,
        summaries: Summaries,
        recordings: Recordings,
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
            streams: 0,
            summaries,
            recordings,
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
        self.network.add_streams(-self.streams);
    }

    /// Brings the network's count of forwarded streams up to date.
    fn count_streams(&mut self) {
        let filled = self
            .peers
            .values()
            .flat_map(|peer| peer.slots.iter())
            .filter(|slot| slot.assigned.is_some())
            .count();
        let filled = i64::try_from(filled).unwrap_or(i64::MAX);
        self.network.add_streams(filled - self.streams);
        self.streams = filled;
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
            MediaRequest::Offer {
                sdp,
                restart,
                extra,
                screen,
            } => {
                return self.offer(who, connection, (sdp, extra, screen), restart, reply);
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
            MediaRequest::Tiles { tiles } => self.tiles(who, tiles),
            MediaRequest::Stats => self.stats(who),
        };
        let _ = reply.send(result);
    }

    fn offer(
        &mut self,
        who: ParticipantId,
        connection: ConnectionHandle,
        (sdp, extra, screen): (String, ExtraAudio, ScreenLines),
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
            let result = peer::negotiate(
                who,
                generation,
                sdp,
                (extra, &screen),
                &network,
                stats.clone(),
                events,
            )
            .await;
            let done = done.send(Done {
                participant: who,
                generation,
                connection,
                result: result.map(|n| (n, stats, screen.track)),
                reply,
            });
            // The meeting's media stopped meanwhile: nobody will close it.
            if let Err(mpsc::error::SendError(Done {
                result: Ok((negotiated, _, _)),
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
        let (negotiated, stats, screen_mid) = match result {
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
        let slots: Vec<SlotHandle> = negotiated
            .slots
            .iter()
            .map(|writer| SlotHandle::new(writer.shared.clone()))
            .collect();
        let video_slots =
            slots.len() - negotiated.audio.total() - usize::from(negotiated.screen_slot);
        let owner = Owner {
            participant: who,
            generation,
            events: self.events_tx.clone(),
        };
        tokio::spawn(downstream::run(
            negotiated.slots,
            control_rx,
            packets_rx,
            stats.clone(),
            owner,
        ));
        self.peers.insert(
            who,
            Peer {
                generation,
                connection,
                pc: negotiated.pc,
                slots,
                audio_slots: negotiated.audio.total(),
                audio: negotiated.audio,
                control,
                packets,
                keyframes,
                mic: None,
                camera: Camera::simulcast(negotiated.layers),
                screen_mid,
                screen: None,
                screen_slot: negotiated.screen_slot,
                tiles: vec![Tile::Undeclared; video_slots],
                downlink: Some(negotiated.downlink),
                stats,
                version,
                sent_room: None,
                sent_listen: None,
                dirty: false,
            },
        );
        self.reassign();
        let Some(peer) = self.peers.get_mut(&who) else {
            return;
        };
        let member = self.current.members.get(&who);
        let room = member.map_or(RoomId::MAIN, |m| m.room);
        let listen = member.and_then(listened);
        let slots = slot_map(peer, room, listen);
        peer.sent_room = Some(slots.room);
        peer.sent_listen = listen;
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
                mid,
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
                // The offer was checked: a RID is one of the known layers.
                let layer = Layer::from_rid(track.rid());
                if kind == MediaKind::Video && layer.is_none() && !track.rid().is_empty() {
                    return;
                }
                let source = Arc::new(Upstream::new(
                    participant,
                    kind,
                    layer,
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
                let screen = mid.is_some() && mid == peer.screen_mid;
                match kind {
                    MediaKind::Audio => peer.mic = Some(source),
                    MediaKind::Video if screen => peer.screen = Some(source),
                    MediaKind::Video => peer.camera.add(source),
                }
                self.reassign();
            }
            PeerEvent::SlotStarted {
                participant,
                generation,
                slot,
                source,
            } => {
                let Some(handle) = self
                    .peers
                    .get_mut(&participant)
                    .filter(|p| p.generation == generation)
                    .and_then(|p| p.slots.get_mut(slot))
                else {
                    return;
                };
                if handle.occupant.as_ref().is_some_and(|o| o.id == source)
                    && let Some(previous) = handle.previous.take()
                {
                    previous.unsubscribe(participant, slot);
                    self.send_wanted_layers();
                }
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
                    self.reassign();
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

    /// The periodic re-ranking of talkers; layers follow the resolutions
    /// and bitrates measured meanwhile.
    fn rerank(&mut self) {
        self.follow_placement();
        self.reassign();
        self.summarise_speaking();
    }

    /// Who speaks in each occupied room now, for hosts and cohosts:
    /// unmuted members whose mic carried voice within the last second.
    fn summarise_speaking(&mut self) {
        let mut talk: BTreeMap<RoomId, Vec<ParticipantId>> = BTreeMap::new();
        for (who, member) in &self.current.members {
            let speakers = talk.entry(member.room).or_default();
            let speaking = member.mic
                && self
                    .peers
                    .get(who)
                    .and_then(|peer| peer.mic.as_ref())
                    .is_some_and(|mic| mic.speaking());
            if speaking {
                speakers.push(*who);
            }
        }
        self.summaries.update(talk);
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
        self.reassign();
    }

    /// Recomputes every subscriber's slots and layers, tells each one whose
    /// map changed, and each simulcast publisher whose wanted layers did.
    fn reassign(&mut self) {
        let placement = self.current.clone();
        self.recordings.sync(&placement, &self.peers);
        let plans = {
            let view: BTreeMap<ParticipantId, assign::PeerView<'_>> = self
                .peers
                .iter()
                .map(|(who, peer)| {
                    let audio = &peer.slots[..peer.audio_slots];
                    let video = &peer.slots[peer.video_range()];
                    let (room, rest) = audio.split_at(peer.audio.room);
                    let (listen, all_rooms) = rest.split_at(peer.audio.listen);
                    let view = assign::PeerView {
                        mic: peer.mic.as_ref(),
                        camera: !peer.camera.layers.is_empty(),
                        audio: room.iter().map(|s| s.occupant.as_ref()).collect(),
                        listen: listen.iter().map(|s| s.occupant.as_ref()).collect(),
                        all_rooms: all_rooms.first().map(|s| s.occupant.as_ref()),
                        video: video.iter().map(|s| s.assigned).collect(),
                        screen_track: peer.screen.as_ref(),
                        screen: peer.screen_slot().map(|i| peer.slots[i].occupant.as_ref()),
                    };
                    (*who, view)
                })
                .collect();
            assign::plan(&placement, &view)
        };
        for (subscriber, assignment) in plans {
            let Some(peer) = self.peers.get_mut(&subscriber) else {
                continue;
            };
            let first_listen = peer.listen_slot(0);
            let listen = assignment
                .listen
                .into_iter()
                .map(|(i, source)| (first_listen + i, source));
            let all_rooms = peer.all_rooms_slot().zip(assignment.all_rooms).into_iter();
            let screen = peer.screen_slot().zip(assignment.screen).into_iter();
            let switches = assignment.audio.into_iter().chain(listen).chain(all_rooms);
            for (slot, source) in switches.chain(screen) {
                set_assigned(peer, slot, source.as_ref().map(|u| u.publisher));
                apply_switch(subscriber, peer, slot, source);
            }
            for (i, who) in assignment.video.into_iter().enumerate() {
                set_assigned(peer, peer.audio_slots + i, who);
            }
        }
        self.select_layers();
        self.count_streams();
        for (who, peer) in self.peers.iter_mut() {
            let Some(member) = placement.members.get(who) else {
                continue;
            };
            let (room, listen) = (member.room, listened(member));
            if peer.dirty || peer.sent_room != Some(room) || peer.sent_listen != listen {
                peer.dirty = false;
                peer.sent_room = Some(room);
                peer.sent_listen = listen;
                let map = slot_map(peer, room, listen);
                let text = encode(&ServerMessage::Slots { slots: map });
                // A full queue closes the socket; the client resumes and re-reads.
                let _ = peer.connection.tx.try_send(Outgoing::Text(text));
            }
        }
        self.send_wanted_layers();
    }

    /// Points every video slot at the layer of its camera that
    /// [`layers::select`] picks for the subscriber's tiles and budget.
    fn select_layers(&mut self) {
        let mut switches = Vec::new();
        for (who, peer) in &self.peers {
            let audio = &peer.slots[..peer.audio_slots];
            let video = &peer.slots[peer.video_range()];
            let cameras: Vec<Option<&Camera>> = video
                .iter()
                .map(|slot| {
                    slot.assigned
                        .and_then(|p| self.peers.get(&p))
                        .map(|p| &p.camera)
                })
                .collect();
            let infos: Vec<Vec<layers::LayerInfo>> = cameras
                .iter()
                .map(|camera| camera.map(Camera::infos).unwrap_or_default())
                .collect();
            let demands: Vec<SlotDemand<'_>> = infos
                .iter()
                .zip(&peer.tiles)
                .map(|(layers, tile)| SlotDemand {
                    tile: *tile,
                    layers,
                })
                .collect();
            // Voices and the shared screen go before any camera's layer.
            let audio_bitrate: u64 = audio
                .iter()
                .filter_map(|slot| slot.occupant.as_ref())
                .map(|source| source.bitrate().unwrap_or(ASSUMED_AUDIO_BITRATE))
                .sum();
            let screen_bitrate = peer
                .screen_slot()
                .and_then(|i| peer.slots[i].occupant.as_ref())
                .map_or(0, |source| {
                    source.bitrate().unwrap_or(ASSUMED_SCREEN_BITRATE)
                });
            let budget = peer.downlink.as_deref().and_then(downlink::budget);
            let chosen = layers::select(&demands, audio_bitrate + screen_bitrate, budget);
            for (i, layer) in chosen.into_iter().enumerate() {
                let wanted = layer.and_then(|l| cameras[i].map(|c| c.layers[l].clone()));
                let same = match (&video[i].occupant, &wanted) {
                    (Some(a), Some(b)) => a.id == b.id,
                    (None, None) => true,
                    _ => false,
                };
                if !same {
                    switches.push((*who, peer.audio_slots + i, wanted));
                }
            }
        }
        for (who, slot, source) in switches {
            if let Some(peer) = self.peers.get_mut(&who) {
                apply_switch(who, peer, slot, source);
            }
        }
    }

    /// Tells each simulcast publisher which layers any slot forwards or
    /// waits for, and the top one while a recording shows them, when that
    /// changed. The lowest stays wanted while anyone
    /// shows them (the first to fall back to), and layers not received yet
    /// stay wanted until they have been (the server cannot choose them
    /// before).
    fn send_wanted_layers(&mut self) {
        let mut shown: BTreeMap<ParticipantId, BTreeSet<Layer>> = BTreeMap::new();
        for peer in self.peers.values() {
            for slot in &peer.slots[peer.video_range()] {
                let Some(occupant) = &slot.occupant else {
                    continue;
                };
                let layers = shown.entry(occupant.publisher).or_default();
                layers.extend(occupant.layer);
                layers.extend(slot.previous.as_ref().and_then(|p| p.layer));
            }
        }
        let filmed: BTreeSet<ParticipantId> = self.recordings.filmed_cameras().collect();
        for (who, peer) in self.peers.iter_mut() {
            let camera = &mut peer.camera;
            let (Some(&lowest), Some(&top)) = (camera.announced.first(), camera.announced.last())
            else {
                continue;
            };
            let mut wanted = shown.remove(who).unwrap_or_default();
            if filmed.contains(who) {
                wanted.insert(top);
            }
            if !wanted.is_empty() {
                wanted.insert(lowest);
            }
            wanted.extend(camera.unseen());
            let wanted: Vec<Layer> = wanted.into_iter().collect();
            if camera.sent_wanted.as_ref() != Some(&wanted) {
                let text = encode(&ServerMessage::CameraLayers {
                    wanted: wanted.clone(),
                });
                let _ = peer.connection.tx.try_send(Outgoing::Text(text));
                camera.sent_wanted = Some(wanted);
            }
        }
    }

    /// The participant's tiles changed size: their slots may want other
    /// layers now. All or nothing: one unknown mid refuses the request.
    fn tiles(&mut self, who: ParticipantId, tiles: Vec<TileSize>) -> Result<Reply, MediaError> {
        let peer = self.peers.get_mut(&who).ok_or(MediaError::NotNegotiated)?;
        let video = &peer.slots[peer.video_range()];
        let screen = peer
            .screen_slot()
            .map(|i| peer.slots[i].shared.mid.as_str());
        let mut declared = Vec::with_capacity(tiles.len());
        for tile in &tiles {
            // The screen has one layer, whatever size it is shown at.
            if screen == Some(tile.mid.as_str()) {
                continue;
            }
            let index = video
                .iter()
                .position(|slot| slot.shared.mid == tile.mid)
                .ok_or(MediaError::UnknownSlot)?;
            declared.push((index, Tile::from_size(tile.width, tile.height)));
        }
        for (index, tile) in declared {
            peer.tiles[index] = tile;
        }
        self.select_layers();
        self.send_wanted_layers();
        Ok(Reply::Ok)
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
            for source in handle.occupant.iter().chain(&handle.previous) {
                source.unsubscribe(who, slot);
            }
        }
        for (subscriber, other) in self.peers.iter_mut() {
            for slot in 0..other.slots.len() {
                let handle = &other.slots[slot];
                let fed_by_them = handle
                    .occupant
                    .iter()
                    .chain(&handle.previous)
                    .any(|u| u.publisher == who);
                if handle.assigned == Some(who) {
                    set_assigned(other, slot, None);
                }
                if fed_by_them {
                    apply_switch(*subscriber, other, slot, None);
                }
            }
        }
        close_pc(peer.pc);
        self.count_streams();
    }
}

/// The room `member` listens in on, when it is not their own.
fn listened(member: &Member) -> Option<RoomId> {
    member.listening.filter(|room| *room != member.room)
}

#[cfg(test)]
#[path = "router_tests.rs"]
mod tests;
