//! `breakout-bot join --media synthetic` as a real process: it sends its
//! tone and pattern (decoded here by an in-process participant) and its
//! `media_report` lines name what it decoded from that participant; with
//! `--simulcast`, they show its layers, of which only those anyone
//! receives are encoded.

mod media_support;

use std::process::Stdio;

use breakout_client::media::MediaConfig;
use breakout_client::media::synthetic::tone_frequency;
use breakout_client::protocol::ParticipantId;
use breakout_client::protocol::media::{MediaKind, TileSize};
use breakout_client::protocol::ws::Request;
use media_support::{Bot, PATIENCE, TestServer};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_bot_process_sends_and_reports_decoded_media() {
    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    let here = Bot::join(&server, &meeting, "here", MediaConfig::synthetic()).await;
    let token = server.token(&meeting, "process", "participant").await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_breakout-bot"))
        .args(["join", "--server", &server.url, "--token", &token])
        .args([
            "--media",
            "synthetic",
            "--report-ms",
            "200",
            "--exit-after-ms",
            "60000",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("breakout-bot runs");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();

    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut process_id = None;
    let report = loop {
        let line = tokio::time::timeout_at(deadline, lines.next_line())
            .await
            .expect("a report in time")
            .expect("stdout readable")
            .expect("the bot keeps running");
        let value: serde_json::Value = serde_json::from_str(&line).expect("JSON lines");
        if value["type"] == "welcome" {
            process_id = value["participant"].as_u64();
        }
        if value["type"] != "media_report" {
            continue;
        }
        let heard = value["received"]["tones"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|t| t["hz"] == here.tone() && t["frames"].as_u64() >= Some(25));
        let seen = value["received"]["patterns"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["participant"] == here.id.0 && p["frames"].as_u64() >= Some(15));
        if heard && seen {
            break value;
        }
    };
    assert_eq!(report["mic"], true);
    assert_eq!(report["connection"], "connected");
    let process = ParticipantId(process_id.expect("the welcome came first"));
    let tone = tone_frequency(process) as u32;
    here.wait_for("the process's tone and pattern", |r| {
        r.tone_frames(tone) >= 25 && r.pattern_frames(process) >= 15
    })
    .await;
    child.kill().await.expect("bot stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_bot_process_sends_simulcast_and_pauses_what_nobody_receives() {
    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    let mut watching = MediaConfig::synthetic();
    watching.camera_on = false;
    let here = Bot::join(&server, &meeting, "here", watching).await;
    // Every tile small: the quarter layer fits.
    let tiles = here
        .media
        .counters()
        .into_iter()
        .filter(|slot| slot.kind == MediaKind::Video)
        .map(|slot| TileSize {
            mid: slot.mid,
            width: 160,
            height: 90,
        })
        .collect();
    here.conn
        .request(Request::SetTileSizes { tiles })
        .await
        .expect("tile sizes");
    let token = server.token(&meeting, "process", "participant").await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_breakout-bot"))
        .args(["join", "--server", &server.url, "--token", &token])
        .args(["--media", "synthetic", "--simulcast", "--report-ms", "200"])
        .args(["--exit-after-ms", "60000"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("breakout-bot runs");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();

    // Reports until the server has told the bot to send q only and the
    // bot's h and f have stopped.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut process_id = None;
    let mut told_q_only = false;
    let layers = loop {
        let line = tokio::time::timeout_at(deadline, lines.next_line())
            .await
            .expect("a report in time")
            .expect("stdout readable")
            .expect("the bot keeps running");
        let value: serde_json::Value = serde_json::from_str(&line).expect("JSON lines");
        match value["type"].as_str() {
            Some("welcome") => process_id = value["participant"].as_u64(),
            Some("camera_layers") => told_q_only = value["wanted"] == serde_json::json!(["q"]),
            Some("media_report") if told_q_only => {
                let layers = value["camera_encodings"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let sending: Vec<bool> = layers.iter().map(|l| l["sending"] == true).collect();
                if sending == [true, false, false] {
                    break layers;
                }
            }
            _ => {}
        }
    };
    let sizes: Vec<_> = layers
        .iter()
        .map(|l| (l["layer"].clone(), l["width"].clone(), l["height"].clone()))
        .collect();
    let expected: Vec<_> = [("q", 160, 90), ("h", 320, 180), ("f", 640, 360)]
        .into_iter()
        .map(|(l, w, h)| (l.into(), w.into(), h.into()))
        .collect();
    assert_eq!(sizes, expected);
    let process = ParticipantId(process_id.expect("the welcome came first"));
    here.wait_for("the process's quarter layer", |r| {
        r.pictures_at(process, (160, 90)) >= 15
    })
    .await;
    child.kill().await.expect("bot stops");
}
