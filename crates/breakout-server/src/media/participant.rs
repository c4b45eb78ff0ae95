//! The router's state for one participant: their connection, their slots
//! and what feeds them, and the one operation that changes a slot.

use std::sync::Arc;

use breakout_core::{ParticipantId, RoomId};
use breakout_protocol::media::{MediaStats, Slot, SlotMap, SlotStats};
use tokio::sync::mpsc;
use webrtc::peer_connection::RTCPeerConnection;

use super::downstream::{DownControl, SlotShared};
use super::stats::{PeerStats, bump, read};
use super::upstream::{DownPacket, Sink, Upstream};
use crate::connections::ConnectionHandle;

pub struct SlotHandle {
    pub shared: Arc<SlotShared>,
    pub occupant: Option<Arc<Upstream>>,
}

pub struct Peer {
    pub generation: u64,
    pub connection: ConnectionHandle,
    pub pc: Arc<RTCPeerConnection>,
    /// Audio slots, then video slots; the index is the writer's slot index.
    pub slots: Vec<SlotHandle>,
    pub audio_slots: usize,
    pub control: mpsc::UnboundedSender<DownControl>,
    pub packets: mpsc::Sender<DownPacket>,
    pub keyframes: mpsc::Sender<u32>,
    pub mic: Option<Arc<Upstream>>,
    pub camera: Option<Arc<Upstream>>,
    pub stats: Arc<PeerStats>,
    pub version: u64,
    pub sent_room: Option<RoomId>,
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
            slots: self
                .slots
                .iter()
                .map(|slot| SlotStats {
                    mid: slot.shared.mid.clone(),
                    kind: slot.shared.kind,
                    participant: slot.occupant.as_ref().map(|u| u.publisher),
                    sent: slot.shared.sent.get(),
                })
                .collect(),
        }
    }
}

/// Points `slot` of `subscriber` at `source`: the writer switches first, then
/// the source starts offering packets, then (video) it is asked for a
/// keyframe so the slot can start.
pub fn apply_switch(
    subscriber: ParticipantId,
    peer: &mut Peer,
    slot: usize,
    source: Option<Arc<Upstream>>,
) {
    let Some(handle) = peer.slots.get_mut(slot) else {
        return;
    };
    if let Some(old) = handle.occupant.take() {
        old.unsubscribe(subscriber, slot);
    }
    handle.shared.set_source(source.clone());
    handle.occupant = source.clone();
    let _ = peer.control.send(DownControl::Switch {
        slot,
        source: source.clone(),
    });
    if let Some(source) = source {
        source.subscribe(Sink {
            subscriber,
            slot,
            tx: peer.packets.clone(),
            stats: peer.stats.clone(),
        });
        source.request_keyframe();
    }
    bump(&peer.stats.slot_switches);
    peer.dirty = true;
}

pub fn slot_map(peer: &mut Peer, room: RoomId) -> SlotMap {
    peer.version += 1;
    let slot = |s: &SlotHandle| Slot {
        mid: s.shared.mid.clone(),
        participant: s.occupant.as_ref().map(|u| u.publisher),
    };
    SlotMap {
        version: peer.version,
        room,
        audio: peer.slots[..peer.audio_slots].iter().map(slot).collect(),
        video: peer.slots[peer.audio_slots..].iter().map(slot).collect(),
    }
}

pub fn close_pc(pc: Arc<RTCPeerConnection>) {
    tokio::spawn(super::peer::close(pc));
}
