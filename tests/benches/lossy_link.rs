//! Media on a bad link: the office network reaches the server behind its
//! NAT through `breakout_e2e::impair`'s relay, 5 % loss each way, 100 ms
//! round trip, ±30 ms jitter (the link of `tests/lossy_link.rs`); the
//! listener is a `breakout-bot` there, the speakers are on a clean link.
//!
//! - `audio_concealed_pct_5loss`: share of the listener's played audio
//!   frames that were concealed (neither its own packet nor FEC), from its
//!   jitter buffers' counters, over a window with one speaker (Opus with
//!   in-band FEC);
//! - `video_freeze_ms_per_min_5loss`: frozen time per minute of the
//!   speaker's video on the listener (WebRTC's freeze rule, counted by
//!   `breakout_client::media::analysis::SlotFreezes`), same window;
//! - `video_nacks_per_min_5loss` and `video_keyframe_requests_per_min_5loss`:
//!   how the listener had its losses repaired in that window (resend
//!   requests the server got; keyframe requests, each a picture that could
//!   not wait for its resends);
//! - `switch_audio_p95_ms_100rtt`: a host's move command to the first
//!   report in which the listener has decoded the new room's tone;
//! - `switch_audio_ratio_vs_rejoin_100rtt`: the switch's median against
//!   the naive way's (leave, and a new connection and PeerConnection for
//!   the next room), timed the same way on the same link;
//!   `rejoin_audio_p50_ms_100rtt` is that naive median, and
//!   `rejoin_no_media_100rtt` counts rejoins that connected but heard
//!   nothing of their room within 15 s (left out of the median).
//!
//! Reports come every 10 ms, which bounds the timing's resolution. Needs
//! root: `scripts/bench-net.sh` runs it.

use std::time::Duration;

use breakout_core::{BreakoutConfig, Command, ParticipantId, RoomId};
use breakout_e2e::Bot;
use breakout_e2e::impair::LinkImpairment;
use breakout_e2e::internet::{HTTP_PORT, MEDIA_PORT, start_server, tone_frames_of};
use breakout_e2e::netlab::NatLab;
use breakout_protocol::rest::ParticipantCreated;
use breakout_protocol::ws::{Reply, Request};
use serde_json::Value;
use tokio::time::Instant;

const LOSSY: LinkImpairment = LinkImpairment {
    loss_pct: 5.0,
    rtt_ms: 100,
    jitter_ms: 30,
    seed: 11,
};
const REPORT_MS: &str = "10";
/// How long a rejoined listener may take to hear its room before the
/// attempt counts as one that got no media.
const REJOIN_PATIENCE: Duration = Duration::from_secs(15);

fn count(name: &str, default: u64) -> u64 {
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

/// Sums a jitter counter over the report's audio slots.
fn jitter_sum(report: &Value, counter: &str) -> u64 {
    report["slots"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|slot| slot["jitter"][counter].as_u64())
        .sum()
}

/// Sums a counter over the report's slots.
fn slot_sum(report: &Value, counter: &str) -> u64 {
    report["slots"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|slot| slot[counter].as_u64())
        .sum()
}

/// NACKs the server has had from `bot` about its slots.
async fn nacks_sent(bot: &mut Bot) -> u64 {
    match bot.request(Request::GetMediaStats).await {
        Ok(Reply::MediaStats { stats }) => stats.nacks_received,
        other => panic!("media stats expected, got {other:?}"),
    }
}

/// Sums a freeze counter over the report's video slots.
fn freeze_sum(report: &Value, counter: &str) -> u64 {
    report["received"]["video_freezes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|slot| slot[counter].as_u64())
        .sum()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let lab = NatLab::new(&[HTTP_PORT], &[MEDIA_PORT]);
    let mut link = lab.impair_office(LOSSY).await;
    let data = tempfile::tempdir().expect("temp dir");
    let server = start_server(&lab.server, data.path(), &[]).await;
    let config = serde_json::to_string(&BreakoutConfig {
        move_countdown_secs: 0,
        ..BreakoutConfig::default()
    })
    .expect("config");
    let meeting = server
        .admin(
            &lab.clients,
            &["create-meeting", "--title", "bench", "--config", &config],
        )
        .await;
    let meeting = meeting["id"].as_str().expect("meeting id").to_owned();
    let host_id = server.add(&lab.clients, &meeting, "Host", "host").await;
    let mut host = server.join(&lab.clients, "Host", &host_id, false).await;
    // Room 1's speaker encodes live (keyframes on request, FEC); room 2's
    // replays a clip, which is enough to be heard.
    let one = server
        .add(&lab.clients, &meeting, "One", "participant")
        .await;
    let _one = server.join(&lab.clients, "One", &one, true).await;
    let two = server
        .add(&lab.clients, &meeting, "Two", "participant")
        .await;
    let replay = ["--media", "replay"];
    let _two = server.join_with(&lab.clients, "Two", &two, &replay).await;
    let listener_id = server
        .add(&lab.office, &meeting, "Listener", "participant")
        .await;
    let synthetic = ["--media", "synthetic", "--report-ms", REPORT_MS];
    let mut listener = server
        .join_with(&lab.office, "Listener", &listener_id, &synthetic)
        .await;
    let mover = listener_id.participant;

    host.command(Command::CreateRooms {
        count: 2,
        names: vec![],
    })
    .await
    .expect("create rooms");
    for (who, room) in [(one.participant, 1), (two.participant, 2), (mover, 1)] {
        assign(&mut host, who, room).await;
    }
    host.command(Command::Start).await.expect("start");
    listener
        .media_report("room 1's speaker", |r| {
            tone_frames_of(r, one.participant) >= 25
        })
        .await;

    // Quality over a window with one speaker, by the listener's clock.
    let window_ms = 1_000 * count("BENCH_LOSSY_SECS", 20);
    let nacks_before = nacks_sent(&mut listener).await;
    let start = listener.latest_media_report().await;
    let from = start["elapsed_ms"].as_u64().expect("elapsed_ms");
    let end = listener
        .media_report("the end of the window", |r| {
            r["elapsed_ms"]
                .as_u64()
                .is_some_and(|t| t >= from + window_ms)
        })
        .await;
    let delta = |counter: &str| jitter_sum(&end, counter) - jitter_sum(&start, counter);
    let (played, recovered, concealed) = (delta("played"), delta("recovered"), delta("concealed"));
    let frames = played + recovered + concealed;
    assert!(frames > 0, "no audio played: {end}");
    println!(
        "audio_concealed_pct_5loss={:.2}",
        100.0 * concealed as f64 / frames as f64
    );
    let frozen = freeze_sum(&end, "freeze_ms") - freeze_sum(&start, "freeze_ms");
    let shown = freeze_sum(&end, "span_ms") - freeze_sum(&start, "span_ms");
    assert!(shown > 0, "no video shown: {end}");
    println!(
        "video_freeze_ms_per_min_5loss={:.0}",
        frozen as f64 * 60_000.0 / shown as f64
    );
    // How the losses were repaired: resend requests, and keyframe requests
    // (each one a picture that could not wait for resends), per minute.
    let per_minute = |n: u64| n as f64 * 60_000.0 / window_ms as f64;
    let nacks = nacks_sent(&mut listener).await - nacks_before;
    println!("video_nacks_per_min_5loss={:.0}", per_minute(nacks));
    let keyframe_requests =
        slot_sum(&end, "keyframe_requests") - slot_sum(&start, "keyframe_requests");
    println!(
        "video_keyframe_requests_per_min_5loss={:.1}",
        per_minute(keyframe_requests)
    );

    // Switches: the listener alternates between the rooms.
    let moves = count("BENCH_LOSSY_MOVES", 20);
    let mut switch = Vec::new();
    for i in 0..moves {
        let (room, target) = next_room(i, &one, &two);
        let heard = tone_frames_of(&listener.latest_media_report().await, target);
        let t0 = Instant::now();
        assign(&mut host, mover, room).await;
        listener
            .media_report("the new room's tone", |r| tone_frames_of(r, target) > heard)
            .await;
        switch.push(t0.elapsed());
    }
    println!(
        "switch_audio_p95_ms_100rtt={:.1}",
        percentile(&switch, 95.0)
    );

    // The naive way: leave, then a new connection and PeerConnection for
    // the next room.
    let rejoins = count("BENCH_LOSSY_REJOINS", 10);
    let mut rejoin = Vec::new();
    let mut no_media = 0;
    let mut naive = listener;
    for i in moves..moves + rejoins {
        let (room, target) = next_room(i, &one, &two);
        let t0 = Instant::now();
        assign(&mut host, mover, room).await;
        naive.leave().await;
        naive = server
            .join_with(&lab.office, "Rejoiner", &listener_id, &synthetic)
            .await;
        let heard = naive.media_report("the room's tone", |r| tone_frames_of(r, target) > 0);
        match tokio::time::timeout(REJOIN_PATIENCE, heard).await {
            Ok(_) => rejoin.push(t0.elapsed()),
            Err(_) => no_media += 1,
        }
    }
    naive.leave().await;
    // A new connection that is up but never gets the room's media is a
    // failure of the naive way, not a slow sample.
    println!("rejoin_no_media_100rtt={no_media}");
    assert!(!rejoin.is_empty(), "no rejoin ever heard its room");
    let rejoin_p50 = percentile(&rejoin, 50.0);
    println!("rejoin_audio_p50_ms_100rtt={rejoin_p50:.1}");
    println!(
        "switch_audio_ratio_vs_rejoin_100rtt={:.3}",
        percentile(&switch, 50.0) / rejoin_p50
    );

    // The figures are only about a bad link if the relay made one.
    let stats = link.stats().await;
    assert!(
        stats.down.dropped > 0 && stats.down.delayed > 0,
        "the relay impaired nothing: {stats:#?}"
    );
}

/// The `i`th move's room and the speaker there (room 2 first: the
/// listener starts in room 1).
fn next_room(i: u64, one: &ParticipantCreated, two: &ParticipantCreated) -> (u32, ParticipantId) {
    if i.is_multiple_of(2) {
        (2, two.participant)
    } else {
        (1, one.participant)
    }
}

async fn assign(host: &mut Bot, who: ParticipantId, room: u32) {
    host.command(Command::Assign {
        participant: who,
        room: Some(RoomId(room)),
    })
    .await
    .expect("assign");
}
