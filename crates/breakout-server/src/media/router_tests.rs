//! The router's slot maps over a start of breakouts, with connections that
//! carry no media: what matters is which maps leave, and in which order.

use std::collections::BTreeMap;
use std::sync::Arc;

use breakout_core::{ParticipantId, RoomId};
use breakout_protocol::media::{AUDIO_SLOTS, MediaKind, SlotMap, VIDEO_SLOTS};
use breakout_protocol::ws::ServerMessage;
use tokio::sync::{mpsc, watch};
use webrtc::api::APIBuilder;
use webrtc::peer_connection::configuration::RTCConfiguration;

use super::Router;
use crate::connections::{ConnectionHandle, Outgoing};
use crate::media::downstream::SlotShared;
use crate::media::layers::Tile;
use crate::media::participant::{Camera, Peer, SlotHandle};
use crate::media::upstream::Upstream;
use crate::media::{MediaNetwork, MediaNetworkConfig, Member, Placement};

const PEOPLE: u64 = 24;
const ROOMS: u64 = 6;

fn placement(room_of: impl Fn(u64) -> RoomId) -> Arc<Placement> {
    let members = (1..=PEOPLE)
        .map(|id| {
            let member = Member {
                room: room_of(id),
                mic: true,
                camera: true,
            };
            (ParticipantId(id), member)
        })
        .collect();
    Arc::new(Placement { members })
}

async fn peer(router: &Router, who: ParticipantId) -> (Peer, mpsc::Receiver<Outgoing>) {
    let pc = APIBuilder::new()
        .build()
        .new_peer_connection(RTCConfiguration::default())
        .await
        .expect("a connection");
    let (tx, rx) = mpsc::channel(1024);
    let (control, _) = mpsc::unbounded_channel();
    let (packets, _) = mpsc::channel(1);
    let (keyframes, _) = mpsc::channel(1);
    let slot = |i: usize, kind| {
        SlotHandle::new(Arc::new(SlotShared {
            mid: i.to_string(),
            kind,
            source: Default::default(),
            sent: Default::default(),
        }))
    };
    let slots = (0..AUDIO_SLOTS)
        .map(|i| slot(i, MediaKind::Audio))
        .chain((AUDIO_SLOTS..AUDIO_SLOTS + VIDEO_SLOTS).map(|i| slot(i, MediaKind::Video)))
        .collect();
    let source = |kind| {
        Arc::new(Upstream::new(
            who,
            kind,
            None,
            who.0 as u32,
            keyframes.clone(),
            router.epoch,
        ))
    };
    let mut camera = Camera::default();
    camera.add(source(MediaKind::Video));
    let peer = Peer {
        generation: 1,
        connection: ConnectionHandle { id: who.0, tx },
        pc: Arc::new(pc),
        slots,
        audio_slots: AUDIO_SLOTS,
        control,
        packets,
        keyframes: keyframes.clone(),
        mic: Some(source(MediaKind::Audio)),
        camera,
        tiles: vec![Tile::Undeclared; VIDEO_SLOTS],
        downlink_budget: None,
        stats: Default::default(),
        version: 0,
        sent_room: None,
        dirty: false,
    };
    (peer, rx)
}

/// Every slot map sent so far, per receiver.
fn sent_maps(
    outboxes: &mut BTreeMap<ParticipantId, mpsc::Receiver<Outgoing>>,
) -> Vec<(ParticipantId, SlotMap)> {
    let mut maps = Vec::new();
    for (who, rx) in outboxes {
        while let Ok(message) = rx.try_recv() {
            let Outgoing::Text(text) = message else {
                continue;
            };
            if let Ok(ServerMessage::Slots { slots }) = serde_json::from_str(&text) {
                maps.push((*who, slots));
            }
        }
    }
    maps
}

/// Every map is for the receiver's room in `placement` and names only
/// people in that room.
fn assert_only_roommates(maps: &[(ParticipantId, SlotMap)], placement: &Placement, when: &str) {
    assert!(!maps.is_empty(), "{when}: no slot maps were sent");
    for (who, map) in maps {
        let room = placement.members[who].room;
        assert_eq!(map.room, room, "{when}: map for {who} is for another room");
        for slot in map.audio.iter().chain(&map.video) {
            if let Some(named) = slot.participant {
                assert_eq!(
                    placement.members[&named].room, room,
                    "{when}: the map of {who} ({room}) names {named} of another room: {map:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn slot_maps_at_the_start_of_breakouts_name_only_the_new_roommates() {
    let in_main = placement(|_| RoomId::MAIN);
    let in_rooms = placement(|id| RoomId((id % ROOMS) as u32 + 1));
    let (placement_tx, placement_rx) = watch::channel(in_main.clone());
    let (_requests_tx, requests) = mpsc::channel(1);
    let network = MediaNetwork::bind([127, 0, 0, 1].into(), &MediaNetworkConfig::default())
        .expect("a media port");
    let mut router = Router::new(placement_rx, requests, Arc::new(network));
    let mut outboxes = BTreeMap::new();
    for id in 1..=PEOPLE {
        let who = ParticipantId(id);
        let (peer, outbox) = peer(&router, who).await;
        router.peers.insert(who, peer);
        outboxes.insert(who, outbox);
    }
    router.reassign();
    assert_only_roommates(&sent_maps(&mut outboxes), &in_main, "in main");

    // Breakouts start; the periodic re-ranking of talkers happens to be the
    // first thing the router does after the new placement is published.
    placement_tx.send(in_rooms.clone()).expect("router listens");
    router.rerank();
    let first = sent_maps(&mut outboxes);
    assert_only_roommates(&first, &in_rooms, "the first turn after the start");
    // Nothing is left to correct afterwards.
    router.follow_placement();
    router.rerank();
    let later = sent_maps(&mut outboxes);
    assert!(
        later.is_empty(),
        "maps corrected after the start: {later:?}"
    );
    // Every receiver got its new room, with a camera in it.
    for who in outboxes.keys() {
        let (_, map) = first
            .iter()
            .rev()
            .find(|(to, _)| to == who)
            .expect("a map for everyone");
        assert!(map.video.iter().any(|s| s.participant.is_some()), "{map:?}");
    }
}
