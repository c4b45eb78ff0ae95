//! The router's slot maps over a start of breakouts, with connections that
//! carry no media: what matters is which maps leave, and in which order.

use std::collections::BTreeMap;
use std::sync::Arc;

use breakout_core::{ParticipantId, RoomId};
use breakout_protocol::media::{
    AUDIO_SLOTS, LISTEN_SLOTS, Layer, MediaKind, SlotMap, TileSize, VIDEO_SLOTS,
};
use breakout_protocol::ws::ServerMessage;
use tokio::sync::{mpsc, watch};
use webrtc::api::APIBuilder;
use webrtc::peer_connection::configuration::RTCConfiguration;

use super::Router;
use crate::connections::{ConnectionHandle, Outgoing};
use crate::media::downstream::SlotShared;
use crate::media::event::PeerEvent;
use crate::media::layers::Tile;
use crate::media::participant::{Camera, Peer, SlotHandle};
use crate::media::peer::AudioLayout;
use crate::media::speaking::Summaries;
use crate::media::upstream::Upstream;
use crate::media::{MediaNetwork, MediaNetworkConfig, Member, Placement};

const PEOPLE: u64 = 24;

/// Summaries nobody reads: these tests are about slot maps.
fn no_recordings() -> super::super::recording::Recordings {
    super::super::recording::Recordings::new(None, crate::clock::Clock::system())
}

fn summaries() -> Summaries {
    let (tx, _) = mpsc::channel(1);
    Summaries::new(crate::clock::Clock::system(), tx)
}
const ROOMS: u64 = 6;

fn placement(room_of: impl Fn(u64) -> RoomId) -> Arc<Placement> {
    let members = (1..=PEOPLE)
        .map(|id| {
            let member = Member {
                room: room_of(id),
                mic: true,
                camera: true,
                listening: None,
                sharing: false,
            };
            (ParticipantId(id), member)
        })
        .collect();
    Arc::new(Placement {
        members,
        speaking_to_all: None,
        recorded: Default::default(),
        round: Default::default(),
    })
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
    let audio = AudioLayout {
        room: AUDIO_SLOTS,
        listen: LISTEN_SLOTS,
        all_rooms: true,
    };
    let slots = (0..audio.total())
        .map(|i| slot(i, MediaKind::Audio))
        .chain((audio.total()..audio.total() + VIDEO_SLOTS).map(|i| slot(i, MediaKind::Video)))
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
        audio_slots: audio.total(),
        audio,
        control,
        packets,
        keyframes: keyframes.clone(),
        mic: Some(source(MediaKind::Audio)),
        camera,
        screen_mid: None,
        screen: None,
        screen_slot: false,
        tiles: vec![Tile::Undeclared; VIDEO_SLOTS],
        downlink: None,
        stats: Default::default(),
        version: 0,
        sent_room: None,
        sent_listen: None,
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
    let mut router = Router::new(
        placement_rx,
        requests,
        Arc::new(network),
        summaries(),
        no_recordings(),
    );
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

/// Every `camera_layers` message in `outbox` so far.
fn sent_layers(outbox: &mut mpsc::Receiver<Outgoing>) -> Vec<Vec<Layer>> {
    let mut sent = Vec::new();
    while let Ok(message) = outbox.try_recv() {
        if let Outgoing::Text(text) = message
            && let Ok(ServerMessage::CameraLayers { wanted }) = serde_json::from_str(&text)
        {
            sent.push(wanted);
        }
    }
    sent
}

#[tokio::test]
async fn a_smaller_tile_takes_a_lower_layer_and_frees_the_high_one_at_its_keyframe() {
    let (ann, bo) = (ParticipantId(1), ParticipantId(2));
    let member = Member {
        room: RoomId::MAIN,
        mic: true,
        camera: true,
        listening: None,
        sharing: false,
    };
    let placement = Arc::new(Placement {
        members: [(ann, member), (bo, member)].into_iter().collect(),
        speaking_to_all: None,
        recorded: Default::default(),
        round: Default::default(),
    });
    let (_placement_tx, placement_rx) = watch::channel(placement);
    let (_requests_tx, requests) = mpsc::channel(1);
    let network = MediaNetwork::bind([127, 0, 0, 1].into(), &MediaNetworkConfig::default())
        .expect("a media port");
    let mut router = Router::new(
        placement_rx,
        requests,
        Arc::new(network),
        summaries(),
        no_recordings(),
    );
    let (mut publisher, mut ann_outbox) = peer(&router, ann).await;
    let mut camera = Camera::simulcast(Layer::ALL.to_vec());
    for (ssrc, layer) in Layer::ALL.into_iter().enumerate() {
        camera.add(Arc::new(Upstream::new(
            ann,
            MediaKind::Video,
            Some(layer),
            ssrc as u32 + 100,
            publisher.keyframes.clone(),
            router.epoch,
        )));
    }
    let quarter = camera.layers[0].id;
    publisher.camera = camera;
    router.peers.insert(ann, publisher);
    let (subscriber, _bo_outbox) = peer(&router, bo).await;
    router.peers.insert(bo, subscriber);
    let slot = router.peers[&bo].audio_slots;
    let layers = |router: &Router| {
        let handle = &router.peers[&bo].slots[slot];
        let layer = |u: &Option<Arc<Upstream>>| u.as_ref().and_then(|u| u.layer);
        (layer(&handle.occupant), layer(&handle.previous))
    };

    // Nothing declared: the full layer, and the lowest stays wanted.
    router.reassign();
    assert_eq!(layers(&router), (Some(Layer::Full), None));
    assert_eq!(
        sent_layers(&mut ann_outbox),
        vec![vec![Layer::Quarter, Layer::Full]]
    );

    // A small tile: q is awaited, f goes on until q's keyframe.
    let mid = router.peers[&bo].slots[slot].shared.mid.clone();
    let tile = |width, height| {
        vec![TileSize {
            mid: mid.clone(),
            width,
            height,
        }]
    };
    router.tiles(bo, tile(320, 180)).expect("declared");
    assert_eq!(layers(&router), (Some(Layer::Quarter), Some(Layer::Full)));
    assert_eq!(sent_layers(&mut ann_outbox), Vec::<Vec<Layer>>::new());

    // q's keyframe started the slot: f is free.
    router.on_event(PeerEvent::SlotStarted {
        participant: bo,
        generation: 1,
        slot,
        source: quarter,
    });
    assert_eq!(layers(&router), (Some(Layer::Quarter), None));
    assert_eq!(sent_layers(&mut ann_outbox), vec![vec![Layer::Quarter]]);

    // Back up before f's keyframe, then back down: q was still shown, so
    // the slot returns to it at once.
    router.tiles(bo, tile(1280, 720)).expect("declared");
    assert_eq!(layers(&router), (Some(Layer::Full), Some(Layer::Quarter)));
    router.tiles(bo, tile(160, 90)).expect("declared");
    assert_eq!(layers(&router), (Some(Layer::Quarter), None));

    // Hidden: Ann is shown nowhere, so nothing is wanted.
    router.tiles(bo, tile(0, 0)).expect("declared");
    assert_eq!(layers(&router), (None, None));
    assert_eq!(
        sent_layers(&mut ann_outbox),
        vec![
            vec![Layer::Quarter, Layer::Full],
            vec![Layer::Quarter],
            vec![]
        ]
    );
    let unknown = router.tiles(
        bo,
        vec![TileSize {
            mid: "nope".into(),
            width: 1,
            height: 1,
        }],
    );
    assert!(matches!(
        unknown,
        Err(crate::media::MediaError::UnknownSlot)
    ));
}

/// Filled downstream slots across the router's subscribers.
fn filled(router: &Router) -> u64 {
    let slots = router.peers.values().flat_map(|peer| peer.slots.iter());
    slots.filter(|slot| slot.assigned.is_some()).count() as u64
}

#[tokio::test]
async fn the_network_counts_the_streams_its_routers_forward() {
    let in_main = placement(|_| RoomId::MAIN);
    let in_rooms = placement(|id| RoomId((id % ROOMS) as u32 + 1));
    let (placement_tx, placement_rx) = watch::channel(in_main);
    let (_requests_tx, requests) = mpsc::channel(1);
    let network = MediaNetwork::bind([127, 0, 0, 1].into(), &MediaNetworkConfig::default())
        .expect("a media port");
    let network = Arc::new(network);
    let mut router = Router::new(
        placement_rx,
        requests,
        network.clone(),
        summaries(),
        no_recordings(),
    );
    let mut outboxes = Vec::new();
    for id in 1..=PEOPLE {
        let who = ParticipantId(id);
        let (peer, outbox) = peer(&router, who).await;
        router.peers.insert(who, peer);
        outboxes.push(outbox);
    }
    router.reassign();
    // Everyone in main: each receives every slot's worth of the others.
    let crowded = filled(&router);
    assert_eq!(crowded, PEOPLE * (AUDIO_SLOTS + VIDEO_SLOTS) as u64);
    assert_eq!(network.streams(), crowded);
    // In rooms of four, each receives its three roommates.
    placement_tx.send(in_rooms).expect("router listens");
    router.follow_placement();
    assert_eq!(network.streams(), filled(&router));
    assert_eq!(network.streams(), PEOPLE * 3 * 2);
    // People leaving take their streams, and the others' of them, along.
    for id in 1..=PEOPLE {
        router.drop_peer(ParticipantId(id));
    }
    assert_eq!(network.streams(), 0);
}
