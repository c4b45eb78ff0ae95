//! Client-side media benchmarks (ignored by `cargo test`; run by
//! `scripts/bench-client-media.sh`), printed as `name=value` lines. All
//! through the real server and SFU on loopback, in one process so one clock
//! times both ends. Sources that only need to be present replay
//! pre-encoded clips instead of encoding per bot.
//!
//! - Room switch: the host moves a participant (countdown 0); time from the
//!   command to the first decoded audio frame / first decoded video frame
//!   (a keyframe: the SFU starts a slot's new source on one) of the new
//!   room's member. Against the naive way: a new connection and
//!   PeerConnection per room.
//! - Mouth-to-ear: tone bursts, from the frame's creation to its playout
//!   out of the receiver's jitter buffer; over UDP and through the media
//!   tunnel (`_tcp_`).
//! - Join: token in hand to the first decoded audio of the room.
//! - Listening in (`listen_switch_*`): a host in the main room switches the
//!   room it listens in on between two rooms; time from the command to the
//!   first decoded audio frame of the new room's member, on the same
//!   connection (its listening slots change source).
//! - Screen sharing (`screen_share_first_frame_*`): a presenter starts
//!   sharing a 1280×720 picture; time from the call to the viewer's first
//!   decoded picture of it.
//! - Bandwidth estimate (`bwe_converge_ms`): from its 300 kbit/s start, until
//!   a sender's estimate comes within 20 % of a 1 Mbit/s bottleneck, in the
//!   estimator's simulated network (`media::bwe::sim`: 100 ms of buffer,
//!   20 ms each way, feedback built by the SFU's own TWCC recorder), so the
//!   figure is the algorithm's, the same on every machine.
//! - Simulcast downlink (`downlink_kbps_9_tiles`): what the SFU sends a
//!   participant showing 9 tiles of 320×180, each of a publisher sending
//!   its 640×360 pattern as simulcast (so the half layer, 320×180, fits),
//!   and the same 9 publishers without simulcast (`_nosimulcast`: full
//!   pictures). The publishers encode live at 15 fps (the bitrate is per
//!   second, and 9 publishers at 30 fps do not fit 2 cores in a debug
//!   build); the rate is the server's count of bytes sent to the viewer
//!   over 10 s of the publishers' audio, after 10 s for the estimates to
//!   grow and the layers to settle.

mod media_support;

use std::sync::Arc;
use std::time::Duration;

use breakout_client::media::analysis::{Observation, Received};
use breakout_client::media::{
    AudioOutput, AudioSource, MediaConfig, MediaTransport, SIMULCAST_PATTERN, ScreenSource,
    VideoSource,
};
use breakout_client::protocol::media::{MediaKind, TileSize};
use breakout_client::protocol::ws::{Reply, Request};
use breakout_client::protocol::{Command, ParticipantId, RoomId};
use media_support::{Bot, PATIENCE, TestServer, command, start_breakouts};
use tokio::sync::broadcast;
use tokio::time::Instant;

fn count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(samples: &[Duration], p: f64) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i].as_secs_f64() * 1_000.0
}

/// Waits for the first observation matching `wanted` made at or after
/// `since`; returns how long after `since` it came.
async fn first(
    rx: &mut broadcast::Receiver<(Instant, Observation)>,
    since: Instant,
    wanted: impl Fn(&Observation) -> bool,
) -> Duration {
    let deadline = since + PATIENCE;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Ok((at, seen))) if at >= since && wanted(&seen) => return at - since,
            Ok(Ok(_)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
            other => panic!("nothing wanted within {PATIENCE:?}: {other:?}"),
        }
    }
}

/// A participant who sends nothing (mic and camera off, no sources).
fn quiet() -> MediaConfig {
    let mut config = MediaConfig::synthetic();
    config.audio = AudioSource::None;
    config.video = VideoSource::None;
    config.mic_on = false;
    config.camera_on = false;
    config
}

fn tone_of(bot_tone: u32) -> impl Fn(&Observation) -> bool {
    move |seen| matches!(seen, Observation::Tone { hz, .. } if *hz == bot_tone)
}

fn pattern_of(who: ParticipantId) -> impl Fn(&Observation) -> bool {
    move |seen| matches!(seen, Observation::Pattern { participant, .. } if *participant == who)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "benchmark: scripts/bench-client-media.sh"]
async fn client_media_figures() {
    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    let host = server.host(&meeting).await;

    // Two rooms with one member each; the mover alternates between them.
    let tokens = (
        server.token(&meeting, "one", "participant").await,
        server.token(&meeting, "two", "participant").await,
    );
    let one = join_replaying(&server, &tokens.0, "one").await;
    let two = join_replaying(&server, &tokens.1, "two").await;
    let mover = Bot::join(&server, &meeting, "mover", MediaConfig::synthetic()).await;
    // Stays in the main room, where newcomers arrive: the join figure's source.
    let lobby_token = server.token(&meeting, "lobby", "participant").await;
    let lobby = join_replaying(&server, &lobby_token, "lobby").await;
    start_breakouts(&host, 2, &[(one.id, 1), (two.id, 2), (mover.id, 1)]).await;
    mover
        .wait_for("the mover hears room 1", |r| {
            r.tone_frames(one.tone()) >= 10
        })
        .await;

    let moves = count("BENCH_MOVES", 100);
    let (mut audio, mut video) = (Vec::new(), Vec::new());
    for i in 0..moves {
        let (room, target) = if i % 2 == 0 { (2, &two) } else { (1, &one) };
        let (mut heard, mut seen) = (
            mover.observations.subscribe(),
            mover.observations.subscribe(),
        );
        let t0 = Instant::now();
        move_to(&host, mover.id, room).await;
        let (a, v) = tokio::join!(
            first(&mut heard, t0, tone_of(target.tone())),
            first(&mut seen, t0, pattern_of(target.id)),
        );
        audio.push(a);
        video.push(v);
    }
    println!("switch_moves={moves}");
    println!("switch_audio_p50_ms={:.1}", percentile(&audio, 50.0));
    println!("switch_audio_p95_ms={:.1}", percentile(&audio, 95.0));
    println!(
        "switch_video_first_frame_p50_ms={:.1}",
        percentile(&video, 50.0)
    );
    println!(
        "switch_video_first_frame_p95_ms={:.1}",
        percentile(&video, 95.0)
    );

    // The naive way: every room is a new connection and PeerConnection.
    let naive_token = server.token(&meeting, "naive", "participant").await;
    let mut naive =
        Bot::join_with_token(&server.url, &naive_token, "naive", MediaConfig::synthetic()).await;
    let naive_id = naive.id;
    move_to(&host, naive_id, 1).await;
    naive
        .wait_for("the naive client hears room 1", |r| {
            r.tone_frames(one.tone()) >= 10
        })
        .await;
    let rejoins = count("BENCH_REJOINS", 20);
    let mut rejoin = Vec::new();
    for i in 0..rejoins {
        let (room, target) = if i % 2 == 0 { (2, &two) } else { (1, &one) };
        let t0 = Instant::now();
        move_to(&host, naive_id, room).await;
        naive.leave().await;
        naive = Bot::join_with_token(&server.url, &naive_token, "naive", MediaConfig::synthetic())
            .await;
        naive
            .wait_for("the rejoined client hears its room", |r| {
                r.tone_frames(target.tone()) >= 1
            })
            .await;
        rejoin.push(t0.elapsed());
    }
    let rejoin_p50 = percentile(&rejoin, 50.0);
    println!("rejoin_audio_p50_ms={rejoin_p50:.1}");
    println!(
        "switch_audio_ratio_vs_rejoin={:.3}",
        percentile(&audio, 50.0) / rejoin_p50
    );
    naive.leave().await;

    // Mouth-to-ear: the speaker's bursts (100 ms of tone every 300 ms)
    // heard by the listener (the mover, now in room 1 or 2).
    let listener_room = if moves.is_multiple_of(2) { 1 } else { 2 };
    let mut burst = MediaConfig::synthetic();
    burst.audio = AudioSource::ToneBursts { on: 5, period: 15 };
    burst.video = VideoSource::None;
    burst.camera_on = false;
    let speaker = Bot::join(&server, &meeting, "speaker", burst).await;
    move_to(&host, speaker.id, listener_room).await;
    let bursts = count("BENCH_BURSTS", 40);
    let mut latency = Vec::new();
    // Start with bursts sent once the listener's slots carry the speaker.
    mover
        .wait_for("the listener hears the speaker", |r| {
            r.tone_frames(speaker.tone()) >= 5
        })
        .await;
    let mut heard = mover.observations.subscribe();
    let mut onsets = speaker.onsets.subscribe();
    while latency.len() < bursts {
        let onset = tokio::time::timeout(PATIENCE, onsets.recv())
            .await
            .expect("bursts keep coming")
            .expect("onset");
        latency.push(first(&mut heard, onset, tone_of(speaker.tone())).await);
    }
    println!("audio_latency_p50_ms={:.1}", percentile(&latency, 50.0));
    println!("audio_latency_p95_ms={:.1}", percentile(&latency, 95.0));

    // The same bursts heard by a listener whose media runs through the
    // tunnel (a WebSocket over TCP on the HTTP port): what UDP-blocked
    // networks cost.
    let mut tunnelled = MediaConfig::new(AudioSource::None, VideoSource::None, AudioOutput::None);
    tunnelled.transport = MediaTransport::Tunnel;
    let tcp_listener = Bot::join(&server, &meeting, "tcp listener", tunnelled).await;
    move_to(&host, tcp_listener.id, listener_room).await;
    tcp_listener
        .wait_for("the tunnelled listener hears the speaker", |r| {
            r.tone_frames(speaker.tone()) >= 5
        })
        .await;
    let mut heard = tcp_listener.observations.subscribe();
    let mut latency = Vec::new();
    while latency.len() < bursts {
        let onset = tokio::time::timeout(PATIENCE, onsets.recv())
            .await
            .expect("bursts keep coming")
            .expect("onset");
        latency.push(first(&mut heard, onset, tone_of(speaker.tone())).await);
    }
    println!("audio_latency_tcp_p50_ms={:.1}", percentile(&latency, 50.0));
    println!("audio_latency_tcp_p95_ms={:.1}", percentile(&latency, 95.0));
    println!(
        "audio_device_buffers_ms={}",
        2 * breakout_client::media::devices::DEVICE_BUFFER_FRAMES * 1000 / 48_000
    );

    // Join: token in hand to the first decoded audio of the main room.
    let joins = count("BENCH_JOINS", 20);
    let mut join = Vec::new();
    for i in 0..joins {
        let token = server
            .token(&meeting, &format!("joiner{i}"), "participant")
            .await;
        let t0 = Instant::now();
        let config = MediaConfig::new(AudioSource::None, VideoSource::None, AudioOutput::None);
        let joiner = Bot::join_with_token(&server.url, &token, "joiner", config).await;
        joiner
            .wait_for("the joiner hears the main room", |r| {
                r.tone_frames(lobby.tone()) >= 1
            })
            .await;
        join.push(t0.elapsed());
        joiner.leave().await;
    }
    println!("join_first_audio_ms={:.1}", percentile(&join, 50.0));
    println!("join_first_audio_p95_ms={:.1}", percentile(&join, 95.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "benchmark: scripts/bench-client-media.sh"]
async fn listen_switch_figures() {
    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    let host = Bot::join_as(&server, &meeting, "host", "host", quiet()).await;
    let tokens = (
        server.token(&meeting, "one", "participant").await,
        server.token(&meeting, "two", "participant").await,
    );
    let one = join_replaying(&server, &tokens.0, "one").await;
    let two = join_replaying(&server, &tokens.1, "two").await;
    start_breakouts(&host.conn, 2, &[(one.id, 1), (two.id, 2)]).await;
    command(
        &host.conn,
        Command::ListenIn {
            room: Some(RoomId(1)),
        },
    )
    .await;
    host.wait_for("the host hears room 1", |r| r.tone_frames(one.tone()) >= 10)
        .await;

    let switches = count("BENCH_LISTEN_SWITCHES", 100);
    let mut heard = Vec::new();
    for i in 0..switches {
        let (room, target) = if i % 2 == 0 { (2, &two) } else { (1, &one) };
        let mut observations = host.observations.subscribe();
        let t0 = Instant::now();
        command(
            &host.conn,
            Command::ListenIn {
                room: Some(RoomId(room)),
            },
        )
        .await;
        heard.push(first(&mut observations, t0, tone_of(target.tone())).await);
    }
    println!("listen_switches={switches}");
    println!("listen_switch_p50_ms={:.1}", percentile(&heard, 50.0));
    println!("listen_switch_p95_ms={:.1}", percentile(&heard, 95.0));
}

/// Start sharing to first decoded picture: a presenter shares a 1280×720
/// test pattern with a viewer in the main room; the time from the call
/// (which asks the meeting first) to the viewer's first decoded picture of
/// the share, its screen slot starting at a keyframe. The share then stops
/// and the viewer's slot empties before the next start.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "benchmark: scripts/bench-client-media.sh"]
async fn screen_share_figures() {
    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    let presenter = Bot::join_as(&server, &meeting, "presenter", "presenter", quiet()).await;
    let viewer = Bot::join(&server, &meeting, "viewer", quiet()).await;
    let source = ScreenSource::Pattern {
        width: 1280,
        height: 720,
    };
    let shares = count("BENCH_SHARES", 30);
    let mut first_picture = Vec::new();
    for _ in 0..shares {
        let mut observations = viewer.observations.subscribe();
        let t0 = Instant::now();
        presenter.media.share_screen(&source).await.expect("shares");
        first_picture.push(first(&mut observations, t0, pattern_of(presenter.id)).await);
        presenter.media.stop_sharing().await.expect("stops");
        let mut slots = viewer.slots.clone();
        tokio::time::timeout(
            PATIENCE,
            slots.wait_for(|map| {
                map.as_ref()
                    .and_then(|m| m.screen.as_ref())
                    .is_some_and(|slot| slot.participant.is_none())
            }),
        )
        .await
        .expect("the screen slot empties")
        .expect("slot maps");
    }
    println!("screen_shares={shares}");
    println!(
        "screen_share_first_frame_ms={:.1}",
        percentile(&first_picture, 50.0)
    );
    println!(
        "screen_share_first_frame_p95_ms={:.1}",
        percentile(&first_picture, 95.0)
    );
}

async fn join_replaying(server: &TestServer, token: &str, name: &str) -> Bot {
    // The participant id is known only once connected: replay clips carry
    // it, so connect once to learn it, then join for real.
    let id = probe_id(&server.url, token).await;
    Bot::join_with_token(&server.url, token, name, MediaConfig::replaying(id, 30)).await
}

async fn probe_id(url: &str, token: &str) -> ParticipantId {
    let (conn, _rx) = breakout_client::Connection::connect(url, token)
        .await
        .expect("connects");
    let id = conn.participant();
    conn.close().await;
    id
}

async fn move_to(host: &Arc<breakout_client::Connection>, who: ParticipantId, room: u32) {
    let room = if room == 0 { None } else { Some(RoomId(room)) };
    command(
        host,
        Command::Assign {
            participant: who,
            room,
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "benchmark: scripts/bench-client-media.sh"]
async fn simulcast_downlink() {
    let server = TestServer::start().await;
    let publishers = count("BENCH_TILE_PUBLISHERS", 9);
    let simulcast = tiles_downlink_kbps(&server, publishers, true).await;
    let single = tiles_downlink_kbps(&server, publishers, false).await;
    // Scaled to 9 tiles when fewer publishers were asked for.
    let scale = 9.0 / publishers.max(1) as f64;
    println!("downlink_kbps_9_tiles={:.0}", simulcast * scale);
    println!("downlink_kbps_9_tiles_nosimulcast={:.0}", single * scale);
}

/// What the SFU sends (kbit/s, audio slots included) to a viewer showing
/// `publishers` tiles of 320×180, each of a 640×360 pattern, sent as
/// simulcast or not.
async fn tiles_downlink_kbps(server: &TestServer, publishers: usize, simulcast: bool) -> f64 {
    let meeting = server.meeting().await;
    let mut senders = Vec::new();
    for i in 0..publishers {
        let mut config = MediaConfig::synthetic();
        let (width, height) = SIMULCAST_PATTERN;
        config.video = VideoSource::SizedPattern {
            fps: 15,
            width,
            height,
        };
        config.simulcast = simulcast;
        // Only the viewer receives: the publishers' own slots would cost
        // the machine what it needs for encoding.
        config.audio_slots = 0;
        config.video_slots = 0;
        senders.push(Bot::join(server, &meeting, &format!("publisher {i}"), config).await);
    }
    let config = MediaConfig::new(AudioSource::None, VideoSource::None, AudioOutput::None);
    let viewer = Bot::join(server, &meeting, "viewer", config).await;
    let tiles = viewer
        .media
        .counters()
        .into_iter()
        .filter(|slot| slot.kind == MediaKind::Video)
        .map(|slot| TileSize {
            mid: slot.mid,
            width: 320,
            height: 180,
        })
        .collect();
    let reply = viewer.conn.request(Request::SetTileSizes { tiles }).await;
    assert!(matches!(reply, Ok(Reply::Ok)), "{reply:?}");
    let size = if simulcast {
        (320, 180)
    } else {
        SIMULCAST_PATTERN
    };
    viewer
        .wait_for("every publisher's picture at the size it gets", |r| {
            senders.iter().all(|s| r.pictures_at(s.id, size) >= 15)
        })
        .await;
    // The publishers' tones are the clock: 50 frames a second on each
    // audio slot.
    let clock = |r: &Received| r.tones.iter().map(|t| t.frames).max().unwrap_or(0);
    let heard = clock(&viewer.snapshot());
    viewer
        .wait_for("10 s for the estimates to grow", |r| {
            clock(r) >= heard + 500
        })
        .await;
    let (before, t0) = (
        viewer.media.server_stats().await.expect("stats"),
        Instant::now(),
    );
    let heard = clock(&viewer.snapshot());
    viewer
        .wait_for("10 s of measurement", |r| clock(r) >= heard + 500)
        .await;
    let after = viewer.media.server_stats().await.expect("stats");
    let elapsed = t0.elapsed().as_secs_f64();
    let kbps = (after.sent.bytes - before.sent.bytes) as f64 * 8.0 / 1e3 / elapsed;
    let layers: Vec<_> = senders
        .iter()
        .map(|s| {
            let sent: Vec<_> = s
                .media
                .camera_encodings()
                .into_iter()
                .map(|e| (e.layer, e.sending, e.target_kbps))
                .collect();
            sent
        })
        .collect();
    eprintln!("simulcast={simulcast}: {kbps:.0} kbit/s to the viewer; publishers send {layers:?}");
    viewer.leave().await;
    for sender in senders {
        sender.leave().await;
    }
    kbps
}

#[test]
#[ignore = "benchmark: scripts/bench-client-media.sh"]
fn bandwidth_estimate_convergence() {
    use breakout_client::media::bwe::{BweConfig, sim};
    const CAP: f64 = 1_000_000.0;
    let trace = sim::run(
        BweConfig::default(),
        &mut sim::Path::capped(CAP),
        Duration::from_secs(60),
        |_, _| {},
    );
    let reached = trace
        .first_within(CAP, 0.2)
        .expect("the estimate reaches the bottleneck");
    println!("bwe_converge_ms={}", reached.as_millis());
}
