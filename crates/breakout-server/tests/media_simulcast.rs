//! Simulcast through the real SFU on loopback: a camera sends three RID
//! layers of synthetic VP8 (each packet names its layer), subscribers
//! declare their tiles' sizes, and the layer each one receives, where it
//! switches and what the publisher is told to pause are read off the
//! packets and messages. No sleeps: every wait is for packets or messages.

mod common;
mod media_peer;

use breakout_core::Command;
use breakout_protocol::ParticipantId;
use breakout_protocol::media::{Layer, TileSize};
use breakout_protocol::ws::{Reply, Request};
use common::{TestServer, quick_config};
use media_peer::{MediaPeer, Received, Signal};
use webrtc::rtp_transceiver::rtp_codec::RTPCodecType;

const ALL: [Layer; 3] = Layer::ALL;

/// Everyone in the main room, mic and camera on; `layers` per person (empty
/// for a camera without simulcast), receive-only with `None`.
async fn join(server: &TestServer, people: &[(&str, Option<&[Layer]>)]) -> Vec<MediaPeer> {
    let meeting = server.create_meeting(quick_config()).await;
    let mut peers = Vec::new();
    for (i, (name, layers)) in people.iter().enumerate() {
        let preset = if i == 0 { "host" } else { "participant" };
        let created = server.add(&meeting, name, preset).await;
        let signal = Signal::connect(server.addr, &created.token).await;
        signal
            .command(Command::SetMedia {
                mic: Some(true),
                camera: Some(layers.is_some()),
            })
            .await
            .expect("media on");
        let pps = if layers.is_some() { 30 } else { 0 };
        peers.push(MediaPeer::join_with(signal, pps, layers.unwrap_or(&[])).await);
    }
    peers
}

/// Declares every video slot of `peer` shown at `width` × `height`.
async fn declare(peer: &MediaPeer, width: u32, height: u32) {
    let tiles = peer
        .first_slots
        .video
        .iter()
        .map(|slot| TileSize {
            mid: slot.mid.clone(),
            width,
            height,
        })
        .collect();
    let reply = peer.signal.request(Request::SetTileSizes { tiles }).await;
    assert!(matches!(reply, Ok(Reply::Ok)), "{reply:?}");
}

fn video_from(peer: &MediaPeer, who: ParticipantId) -> Vec<Received> {
    peer.log
        .lock()
        .expect("log")
        .iter()
        .filter(|r| r.source == who && r.kind == RTPCodecType::Video)
        .cloned()
        .collect()
}

/// Waits for `count` packets of `who`'s video on `layer`.
async fn receive_layer(peer: &mut MediaPeer, who: ParticipantId, layer: Option<Layer>, count: u32) {
    for _ in 0..count {
        peer.wait_for(&format!("{layer:?} of {who}"), |r| {
            r.source == who && r.kind == RTPCodecType::Video && r.layer == layer
        })
        .await;
    }
}

/// `who`'s video reached `peer` on one slot (one mid, one SSRC), began with
/// a keyframe, and every change of layer on it is a keyframe numbered right
/// after the last packet of the layer before.
fn assert_switches_at_keyframes(peer: &MediaPeer, who: ParticipantId) -> Vec<Received> {
    let video = video_from(peer, who);
    let first = video.first().expect("some video");
    assert!(first.keyframe, "the slot starts with a keyframe: {first:?}");
    for pair in video.windows(2) {
        let (before, after) = (&pair[0], &pair[1]);
        assert_eq!(
            (&after.mid, after.ssrc),
            (&first.mid, first.ssrc),
            "one slot"
        );
        if after.layer != before.layer {
            assert!(
                after.keyframe,
                "{:?} starts without a keyframe",
                after.layer
            );
            assert_eq!(
                after.seq,
                before.seq.wrapping_add(1),
                "sequence numbers continue from {:?} to {:?}",
                before.layer,
                after.layer
            );
        }
    }
    video
}

/// The slot settled on `layer`: at least the last `count` packets are all
/// of it (a layer never comes back once the slot has switched away).
fn assert_ends_on(video: &[Received], layer: Option<Layer>, count: usize) {
    let run = video.iter().rev().take_while(|r| r.layer == layer).count();
    let tail: Vec<_> = video.iter().rev().take(count).map(|r| r.layer).collect();
    assert!(
        run >= count,
        "not settled on {layer:?}, last (newest first): {tail:?}"
    );
}

async fn slot_layer(peer: &MediaPeer, who: ParticipantId) -> Option<Layer> {
    let Ok(Reply::MediaStats { stats }) = peer.signal.request(Request::GetMediaStats).await else {
        panic!("stats expected");
    };
    stats
        .slots
        .iter()
        .find(|slot| {
            slot.participant == Some(who) && slot.kind == breakout_protocol::media::MediaKind::Video
        })
        .expect("a video slot shows them")
        .layer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_subscriber_gets_the_layer_its_tiles_need_and_a_resize_switches_layers() {
    let server = TestServer::start().await;
    let mut peers = join(
        &server,
        &[
            ("Ann", Some(&ALL[..])),
            ("Nia", Some(&[][..])),
            ("Bo", None),
            ("Cy", None),
        ],
    )
    .await;
    let mut cy = peers.pop().expect("Cy");
    let mut bo = peers.pop().expect("Bo");
    let nia = peers.pop().expect("Nia");
    let ann = peers.pop().expect("Ann");
    let (pa, pn) = (ann.participant, nia.participant);

    // Bo shows small tiles, Cy large ones.
    declare(&bo, 160, 90).await;
    declare(&cy, 1280, 720).await;
    receive_layer(&mut bo, pa, Some(Layer::Quarter), 30).await;
    receive_layer(&mut cy, pa, Some(Layer::Full), 30).await;
    let bo_video = assert_switches_at_keyframes(&bo, pa);
    assert_ends_on(&bo_video, Some(Layer::Quarter), 30);
    let cy_video = assert_switches_at_keyframes(&cy, pa);
    assert_ends_on(&cy_video, Some(Layer::Full), 30);
    assert_eq!(slot_layer(&bo, pa).await, Some(Layer::Quarter));
    // Nobody needs the middle layer: Ann may pause it.
    ann.signal
        .wait_camera_layers(|wanted| wanted == [Layer::Quarter, Layer::Full])
        .await;

    // The camera without simulcast reaches both, small tile or not.
    receive_layer(&mut bo, pn, None, 10).await;
    receive_layer(&mut cy, pn, None, 10).await;
    assert_switches_at_keyframes(&bo, pn);

    // Bo's grid grows: the same slot moves to the full layer at a keyframe.
    let quarter_mid = bo_video.last().expect("video").mid.clone();
    bo.drain();
    declare(&bo, 1280, 720).await;
    receive_layer(&mut bo, pa, Some(Layer::Full), 30).await;
    let bo_video = assert_switches_at_keyframes(&bo, pa);
    assert_ends_on(&bo_video, Some(Layer::Full), 30);
    assert_eq!(
        bo_video.last().expect("video").mid,
        quarter_mid,
        "same slot"
    );
    let last_quarter = bo_video
        .iter()
        .rposition(|r| r.layer == Some(Layer::Quarter))
        .expect("Bo had the quarter layer");
    assert_eq!(
        bo_video[last_quarter + 1].layer,
        Some(Layer::Full),
        "straight from q to f"
    );

    // Nia publishes one layer: there is nothing to pause.
    assert_eq!(nia.signal.camera_layers(), None);
    for peer in [ann, nia, bo, cy] {
        peer.close().await;
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn layers_nobody_shows_are_paused_and_resume_when_a_tile_grows() {
    let server = TestServer::start().await;
    let mut peers = join(&server, &[("Ann", Some(&ALL[..])), ("Bo", None)]).await;
    let mut bo = peers.pop().expect("Bo");
    let ann = peers.pop().expect("Ann");
    let pa = ann.participant;

    // Bo, Ann's only viewer, shows her small: h and f are not wanted.
    declare(&bo, 320, 180).await;
    ann.signal
        .wait_camera_layers(|wanted| wanted == [Layer::Quarter])
        .await;
    receive_layer(&mut bo, pa, Some(Layer::Quarter), 10).await;

    // Larger: f is wanted again; Ann resumes it with a keyframe and Bo's
    // slot moves to it, numbered on from the quarter layer.
    declare(&bo, 1000, 560).await;
    ann.signal
        .wait_camera_layers(|wanted| wanted == [Layer::Quarter, Layer::Full])
        .await;
    receive_layer(&mut bo, pa, Some(Layer::Full), 30).await;
    let video = assert_switches_at_keyframes(&bo, pa);
    assert_ends_on(&video, Some(Layer::Full), 30);

    // Hidden: nobody shows Ann at all, so nothing is wanted.
    declare(&bo, 0, 0).await;
    ann.signal
        .wait_camera_layers(|wanted| wanted.is_empty())
        .await;
    assert_eq!(slot_layer(&bo, pa).await, None);
    for peer in [ann, bo] {
        peer.close().await;
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tile_sizes_name_video_slots() {
    let server = TestServer::start().await;
    let peers = join(&server, &[("Ann", None)]).await;
    let ann = &peers[0];
    let audio_mid = ann.first_slots.audio[0].mid.clone();
    for mid in [audio_mid, "no such mid".to_owned()] {
        let refused = ann
            .signal
            .request(Request::SetTileSizes {
                tiles: vec![TileSize {
                    mid,
                    width: 320,
                    height: 180,
                }],
            })
            .await;
        assert_eq!(refused.expect_err("refused").code, "unknown_slot");
    }
    server.shutdown().await;
}
