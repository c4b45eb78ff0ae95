//! The router's state for one participant: their connection, their slots
//! and what feeds them, their camera's layers, and the one operation that
//! changes what a slot carries.

use std::sync::Arc;

use breakout_bwe::Uplink;
use breakout_core::{ParticipantId, RoomId};
use breakout_protocol::media::{Layer, MediaKind, MediaStats, Slot, SlotMap, SlotStats};
use tokio::sync::mpsc;
use webrtc::peer_connection::RTCPeerConnection;

use super::downlink;
use super::downstream::{DownControl, SlotShared};
use super::layers::{LayerInfo, Tile, assumed_bitrate, estimate_sizes};
use super::peer::AudioLayout;
use super::stats::{PeerStats, bump, read};
use super::upstream::{DownPacket, Sink, Upstream};
use crate::connections::ConnectionHandle;

pub struct SlotHandle {
    pub shared: Arc<SlotShared>,
    /// Whom the slot shows: what the slot map names.
    pub assigned: Option<ParticipantId>,
    /// What the slot carries or waits for: the assigned mic, or one layer
    /// of the assigned camera (none while the tile is hidden).
    pub occupant: Option<Arc<Upstream>>,
    /// Video: the layer of the same camera still forwarded until the
    /// occupant's first keyframe.
    pub previous: Option<Arc<Upstream>>,
}

impl SlotHandle {
    pub fn new(shared: Arc<SlotShared>) -> SlotHandle {
        SlotHandle {
            shared,
            assigned: None,
            occupant: None,
            previous: None,
        }
    }
}

/// A publisher's camera: the layers received so far and those its offer
/// announced (none without simulcast).
#[derive(Default)]
pub struct Camera {
    /// Lowest first; one entry with no layer for a camera without simulcast.
    pub layers: Vec<Arc<Upstream>>,
    pub announced: Vec<Layer>,
    /// The wanted layers the publisher was last told of.
    pub sent_wanted: Option<Vec<Layer>>,
}

impl Camera {
    pub fn simulcast(announced: Vec<Layer>) -> Camera {
        Camera {
            layers: Vec::new(),
            // The publisher starts with every layer on.
            sent_wanted: (!announced.is_empty()).then(|| announced.clone()),
            announced,
        }
    }

    /// A layer arrived (or arrived again, from a new track).
    pub fn add(&mut self, source: Arc<Upstream>) {
        self.layers.retain(|l| l.layer != source.layer);
        self.layers.push(source);
        self.layers.sort_by_key(|l| l.layer);
    }

    /// What the layer selection needs of each layer, lowest first.
    pub fn infos(&self) -> Vec<LayerInfo> {
        let seen: Vec<(u32, Option<(u32, u32)>)> = self
            .layers
            .iter()
            .map(|l| (l.layer.map_or(1, Layer::scale_down_by), l.size()))
            .collect();
        self.layers
            .iter()
            .zip(estimate_sizes(&seen))
            .map(|(layer, (width, height))| LayerInfo {
                width,
                height,
                bitrate: layer
                    .bitrate()
                    .unwrap_or_else(|| assumed_bitrate(width, height)),
            })
            .collect()
    }

    /// Announced layers nothing was received of yet.
    pub fn unseen(&self) -> impl Iterator<Item = Layer> + '_ {
        self.announced
            .iter()
            .copied()
            .filter(|a| !self.layers.iter().any(|l| l.layer == Some(*a)))
    }
}

pub struct Peer {
    pub generation: u64,
    pub connection: ConnectionHandle,
    pub pc: Arc<RTCPeerConnection>,
    /// Audio slots, then video slots, then the screen slot if there is
    /// one; the index is the writer's slot index.
    pub slots: Vec<SlotHandle>,
    /// Every audio slot: where the video slots start.
    pub audio_slots: usize,
    /// Which audio slots are the room's, listening and all-rooms ones.
    pub audio: AudioLayout,
    pub control: mpsc::UnboundedSender<DownControl>,
    pub packets: mpsc::Sender<DownPacket>,
    pub keyframes: mpsc::Sender<u32>,
    pub mic: Option<Arc<Upstream>>,
    pub camera: Camera,
    /// The `mid` of their screen track, as the offer declared it.
    pub screen_mid: Option<String>,
    /// Their screen track, once it arrived.
    pub screen: Option<Arc<Upstream>>,
    /// The connection has a screen slot (the last slot).
    pub screen_slot: bool,
    /// The tile each video slot is shown in, as the participant declared.
    pub tiles: Vec<Tile>,
    /// The estimate of what the participant's downlink can take (see
    /// `downlink`); `None` where no connection feeds one (tests).
    pub downlink: Option<Arc<Uplink>>,
    pub stats: Arc<PeerStats>,
    pub version: u64,
    pub sent_room: Option<RoomId>,
    /// The room listened in on, as the last slot map said.
    pub sent_listen: Option<RoomId>,
    /// Slots changed since the last slot map sent.
    pub dirty: bool,
}

impl Peer {
    pub fn stats(&self) -> MediaStats {
        let s = &self.stats;
        MediaStats {
            state: self.pc.connection_state().to_string(),
            received: s.received.get(),
            sent: s.sent.get(),
            dropped: read(&s.dropped),
            nacks_received: read(&s.nacks_received),
            nacks_sent: read(&s.nacks_sent),
            keyframe_requests_received: read(&s.keyframe_requests_received),
            keyframe_requests_sent: read(&s.keyframe_requests_sent),
            slot_switches: read(&s.slot_switches),
            downlink_estimate_bps: self.downlink.as_deref().and_then(downlink::budget),
            slots: self
                .slots
                .iter()
                .map(|slot| SlotStats {
                    mid: slot.shared.mid.clone(),
                    kind: slot.shared.kind,
                    participant: slot.assigned,
                    layer: slot
                        .previous
                        .as_ref()
                        .or(slot.occupant.as_ref())
                        .and_then(|u| u.layer),
                    sent: slot.shared.sent.get(),
                })
                .collect(),
        }
    }
}

/// Names whom `slot` shows in the slot map.
pub fn set_assigned(peer: &mut Peer, slot: usize, who: Option<ParticipantId>) {
    if let Some(handle) = peer.slots.get_mut(slot)
        && handle.assigned != who
    {
        handle.assigned = who;
        peer.dirty = true;
    }
}

/// Points `slot` of `subscriber` at `source`: the writer switches first, then
/// the source starts offering packets, then (video) it is asked for a
/// keyframe so the slot can start. Another layer of the camera the slot
/// already carries is a seamless switch: the layer forwarded now stays
/// subscribed until the writer reports the new one started.
pub fn apply_switch(
    subscriber: ParticipantId,
    peer: &mut Peer,
    slot: usize,
    source: Option<Arc<Upstream>>,
) {
    let Some(handle) = peer.slots.get_mut(slot) else {
        return;
    };
    let old = handle.occupant.take();
    let seamless = match (&old, &source) {
        (Some(old), Some(new)) => old.kind == MediaKind::Video && old.publisher == new.publisher,
        _ => false,
    };
    let mut subscribe = source.clone();
    match (old, &source) {
        (Some(old), Some(new)) if seamless => {
            // What the writer shows now: the previous layer while the one
            // being replaced still waits for its keyframe.
            let forwarded = handle.previous.take().unwrap_or_else(|| old.clone());
            if old.id != forwarded.id && old.id != new.id {
                old.unsubscribe(subscriber, slot);
            }
            if forwarded.id == new.id {
                subscribe = None; // Still subscribed: back to it at once.
            } else {
                handle.previous = Some(forwarded);
            }
        }
        (old, _) => {
            for stale in old.iter().chain(handle.previous.take().iter()) {
                stale.unsubscribe(subscriber, slot);
            }
        }
    }
    handle.shared.set_source(source.clone());
    handle.occupant = source.clone();
    let _ = peer.control.send(DownControl::Switch {
        slot,
        source,
        seamless,
    });
    if let Some(source) = subscribe {
        source.subscribe(Sink {
            subscriber,
            slot,
            tx: peer.packets.clone(),
            stats: peer.stats.clone(),
        });
        source.request_keyframe();
    }
    bump(&peer.stats.slot_switches);
}

impl Peer {
    /// The index of listening slot `i`.
    pub fn listen_slot(&self, i: usize) -> usize {
        self.audio.room + i
    }

    /// Where the video slots (the tiles) are among the slots.
    pub fn video_range(&self) -> std::ops::Range<usize> {
        self.audio_slots..self.slots.len() - usize::from(self.screen_slot)
    }

    /// The index of the screen slot, if the connection has one.
    pub fn screen_slot(&self) -> Option<usize> {
        self.screen_slot.then(|| self.slots.len() - 1)
    }

    /// The index of the all-rooms slot, if the connection has one.
    pub fn all_rooms_slot(&self) -> Option<usize> {
        self.audio
            .all_rooms
            .then_some(self.audio.room + self.audio.listen)
    }
}

pub fn slot_map(peer: &mut Peer, room: RoomId, listen_room: Option<RoomId>) -> SlotMap {
    peer.version += 1;
    let slot = |s: &SlotHandle| Slot {
        mid: s.shared.mid.clone(),
        participant: s.assigned,
    };
    let listen = peer.listen_slot(0)..peer.listen_slot(peer.audio.listen);
    SlotMap {
        version: peer.version,
        room,
        audio: peer.slots[..peer.audio.room].iter().map(slot).collect(),
        video: peer.slots[peer.video_range()].iter().map(slot).collect(),
        listen: peer.slots[listen].iter().map(slot).collect(),
        listen_room: listen_room.filter(|_| peer.audio.listen > 0),
        all_rooms: peer.all_rooms_slot().map(|i| slot(&peer.slots[i])),
        screen: peer.screen_slot().map(|i| slot(&peer.slots[i])),
    }
}

pub fn close_pc(pc: Arc<RTCPeerConnection>) {
    tokio::spawn(super::peer::close(pc));
}
