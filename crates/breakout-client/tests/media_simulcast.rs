//! The desktop client's simulcast camera through the real server and SFU
//! on loopback: a participant sends its 640×360 test pattern as three
//! layers, a watcher declares the size it shows the tile at, and what
//! the watcher decodes (picture sizes) and what the sender encodes (its
//! per-layer counters) show which layer goes where. No sleeps: every wait
//! is for decoded pictures, encoded frames or the server's messages.

mod media_support;

use std::sync::Arc;

use breakout_client::media::{EncodingStats, MediaConfig, MediaSession};
use breakout_client::protocol::media::{Layer, MediaKind, TileSize};
use breakout_client::protocol::ws::{Reply, Request};
use media_support::{Bot, TestServer};

/// One test at a time: each runs a sender encoding three layers live at
/// 30 fps, and three at once in a debug build load two cores enough that
/// the sender's delay-based estimate reads the CPU's queueing as a
/// congested link and holds back the layers the tests wait for.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Receives and shows; sends its tone (its audio ticks the sender's waits).
fn watching() -> MediaConfig {
    let mut config = MediaConfig::synthetic();
    config.camera_on = false;
    config
}

/// Declares every video slot of `watcher` shown at `width` × `height`.
async fn show_tiles_at(watcher: &Bot, width: u32, height: u32) {
    let tiles = watcher
        .media
        .counters()
        .into_iter()
        .filter(|slot| slot.kind == MediaKind::Video)
        .map(|slot| TileSize {
            mid: slot.mid,
            width,
            height,
        })
        .collect();
    let reply = watcher.conn.request(Request::SetTileSizes { tiles }).await;
    assert!(matches!(reply, Ok(Reply::Ok)), "{reply:?}");
}

fn layer(media: &MediaSession, layer: Layer) -> EncodingStats {
    media
        .camera_encodings()
        .into_iter()
        .find(|e| e.layer == Some(layer))
        .unwrap_or_else(|| panic!("no {layer:?} layer: {:?}", media.camera_encodings()))
}

/// Waits, on `bot`'s ticks, until the sender's encodings satisfy `check`.
async fn until_sender(
    bot: &Bot,
    sender: &Arc<MediaSession>,
    what: &str,
    check: impl Fn(&MediaSession) -> bool,
) {
    let media = sender.clone();
    bot.wait_for(what, move |_| check(&media)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_small_tile_gets_the_quarter_layer_and_a_large_one_the_full_layer() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    let sender = Bot::join(
        &server,
        &meeting,
        "sender",
        MediaConfig::synthetic_simulcast(),
    )
    .await;
    let watcher = Bot::join(&server, &meeting, "watcher", watching()).await;
    let layers: Vec<_> = sender.media.camera_encodings();
    assert_eq!(
        layers.iter().map(|e| e.layer).collect::<Vec<_>>(),
        [Layer::Quarter, Layer::Half, Layer::Full].map(Some),
        "three layers of a 640×360 pattern"
    );

    show_tiles_at(&watcher, 160, 90).await;
    watcher
        .wait_for("the quarter layer, 160×90", |r| {
            r.pictures_at(sender.id, (160, 90)) >= 10
        })
        .await;

    show_tiles_at(&watcher, 640, 360).await;
    watcher
        .wait_for("the full layer, 640×360", |r| {
            r.pictures_at(sender.id, (640, 360)) >= 10
        })
        .await;
    // Each layer is the pattern itself, shrunk: it still names its sender.
    assert!(watcher.snapshot().pattern_frames(sender.id) > 0);

    // A keyframe asked for on the slot reaches the full layer's stream as
    // a PLI, and that layer's encoder makes it; the others are not asked.
    // The server passes on one request per publisher every 30 ms and drops
    // one its queue has no room for: ask again after every half second of
    // pictures until one got through.
    let before = sender.media.camera_encodings();
    let slot = watcher
        .media
        .counters()
        .into_iter()
        .find(|slot| slot.kind == MediaKind::Video && slot.participant == Some(sender.id))
        .expect("a slot shows the sender");
    let full = &before[2];
    for asked in 0.. {
        let now = layer(&sender.media, Layer::Full);
        if now.keyframe_requests > full.keyframe_requests
            && now.keyframes_encoded > full.keyframes_encoded
        {
            break;
        }
        assert!(
            asked < 60,
            "no keyframe of f after {asked} requests: {now:?}"
        );
        watcher
            .media
            .request_keyframe(&slot.mid)
            .await
            .expect("keyframe request");
        let seen = watcher.snapshot().pictures_at(sender.id, (640, 360));
        watcher
            .wait_for("half a second of pictures", |r| {
                r.pictures_at(sender.id, (640, 360)) >= seen + 15
            })
            .await;
    }
    let after = sender.media.camera_encodings();
    for i in [0, 1] {
        assert_eq!(
            after[i].keyframe_requests, before[i].keyframe_requests,
            "{:?}",
            after[i]
        );
    }

    watcher.leave().await;
    sender.leave().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn layers_nobody_receives_are_not_encoded_until_someone_does() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    let sender = Bot::join(
        &server,
        &meeting,
        "sender",
        MediaConfig::synthetic_simulcast(),
    )
    .await;
    let watcher = Bot::join(&server, &meeting, "watcher", watching()).await;
    let media = sender.media.clone();

    // One small tile: once the server has seen every layer, it wants q only.
    show_tiles_at(&watcher, 160, 90).await;
    until_sender(&sender, &media, "the server wants q only", |m| {
        m.wanted_layers() == [Layer::Quarter]
    })
    .await;
    // A picture already with the encoders when the message came may finish.
    let q = layer(&media, Layer::Quarter).frames_encoded;
    until_sender(&sender, &media, "two more q frames", move |m| {
        layer(m, Layer::Quarter).frames_encoded >= q + 2
    })
    .await;
    let (h, f) = (layer(&media, Layer::Half), layer(&media, Layer::Full));
    assert!(!h.sending && !f.sending, "{h:?} {f:?}");
    until_sender(&sender, &media, "thirty more q frames", move |m| {
        layer(m, Layer::Quarter).frames_encoded >= q + 32
    })
    .await;
    assert_eq!(layer(&media, Layer::Half).frames_encoded, h.frames_encoded);
    assert_eq!(layer(&media, Layer::Full).frames_encoded, f.frames_encoded);
    watcher
        .wait_for("the quarter layer, 160×90", |r| {
            r.pictures_at(sender.id, (160, 90)) >= 10
        })
        .await;

    // A large tile: f is wanted again and starts with a keyframe.
    show_tiles_at(&watcher, 640, 360).await;
    until_sender(&sender, &media, "the server wants f again", |m| {
        m.wanted_layers().contains(&Layer::Full)
    })
    .await;
    until_sender(
        &sender,
        &media,
        "f encodes again, from a keyframe",
        move |m| {
            let now = layer(m, Layer::Full);
            now.frames_encoded > f.frames_encoded && now.keyframes_encoded > f.keyframes_encoded
        },
    )
    .await;
    watcher
        .wait_for("the full layer, 640×360", |r| {
            r.pictures_at(sender.id, (640, 360)) >= 10
        })
        .await;

    watcher.leave().await;
    sender.leave().await;
}

/// A simulcast sender's connection carries the layer header extensions,
/// with which the stack probes streams it does not know yet; the slots'
/// streams must still reach it (undeclared tiles: the full layer).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simulcast_senders_see_each_other() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    let one = Bot::join(&server, &meeting, "one", MediaConfig::synthetic_simulcast()).await;
    let two = Bot::join(&server, &meeting, "two", MediaConfig::synthetic_simulcast()).await;
    for (watcher, sender) in [(&one, &two), (&two, &one)] {
        watcher
            .wait_for("the other's full layer", |r| {
                r.pictures_at(sender.id, (640, 360)) >= 10 && r.pattern_frames(sender.id) >= 10
            })
            .await;
    }
    two.leave().await;
    one.leave().await;
}
