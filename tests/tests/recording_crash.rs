//! A server killed with SIGKILL while it records a room leaves a recording
//! that plays up to where it stopped: two media bots speak in a recorded
//! room, the `breakout-server` process is killed mid-recording, and the
//! file is probed and decoded with ffprobe and ffmpeg (installed by
//! `scripts/setup.sh`): Opus in WebM, seconds long, both voices in it. The
//! server, started again on the same data directory, lists it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use breakout_core::{BreakoutConfig, Command};
use breakout_e2e::{Bot, KEY, ServerProcess, binary, free_port};
use breakout_protocol::rest::{ParticipantCreated, RecordingFile};
use recording_files::{RATE, decode, probe, share};

#[path = "../../crates/breakout-server/tests/common/recording_files.rs"]
mod recording_files;
/// Heard by a bot while the recording runs, before the kill: 3 s of tone.
const RECORDED_FRAMES: u64 = 150;

async fn speaking_bot(server: &ServerProcess, name: &str, who: &ParticipantCreated) -> Bot {
    let mut command = tokio::process::Command::new(binary("breakout-bot"));
    command.args(["join", "--server", &server.url(""), "--token", &who.token]);
    command.args(["--media", "synthetic", "--fps", "10", "--report-ms", "100"]);
    Bot::spawn(command, name, who).await
}

/// Frames of another participant's tone a media report shows decoded.
fn heard(report: &serde_json::Value) -> u64 {
    report["received"]["tones"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["frames"].as_u64())
        .sum()
}

fn recording_in(data: &Path) -> Option<PathBuf> {
    std::fs::read_dir(data.join("recordings"))
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|e| e == "webm"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_killed_mid_room_plays_up_to_the_kill() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = ServerProcess::start(data.path(), port).await;
    let meeting = server.create_meeting(BreakoutConfig::default()).await;
    let host = server.add(&meeting, "Host", "host").await;
    let (ann, bo) = (
        server.add(&meeting, "Ann", "participant").await,
        server.add(&meeting, "Bo", "participant").await,
    );
    let mut host_bot = Bot::join(&server, "Host", &host).await;
    let mut ann_bot = speaking_bot(&server, "Ann", &ann).await;
    let mut bo_bot = speaking_bot(&server, "Bo", &bo).await;
    // Each hears the other: media flows before the recording starts.
    let mut tones = Vec::new();
    for bot in [&mut ann_bot, &mut bo_bot] {
        let report = bot.media_report("the other's tone", |r| heard(r) > 0).await;
        tones.push(report["tone_hz"].as_f64().expect("the bot's own tone"));
    }

    host_bot
        .command(Command::Record {
            room: None,
            active: true,
        })
        .await
        .expect("the host records every room");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let path = loop {
        if let Some(path) = recording_in(data.path()) {
            break path;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no recording in {}",
            data.path().display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Seconds of the room go on while it records.
    let heard_at_start = heard(&ann_bot.latest_media_report().await);
    ann_bot
        .media_report("three more seconds of Bo", |r| {
            heard(r) >= heard_at_start + RECORDED_FRAMES
        })
        .await;
    server.kill().await;
    drop((ann_bot, bo_bot, host_bot));

    assert_eq!(probe(&path, "stream=codec_name"), "vp8\nopus");
    let samples = decode(&path);
    assert!(
        samples.len() >= 2 * RATE,
        "{} samples: under two seconds up to the kill",
        samples.len()
    );
    // Both voices are in what was written, well above a frequency neither
    // bot sends.
    let silence = share(&samples, 2_345.0);
    for hz in &tones {
        let power = share(&samples, *hz);
        assert!(
            power > 0.1 && power > 100.0 * silence,
            "the {hz} Hz voice is not in the recording ({power:.4} of the power, against {silence:.6})"
        );
    }

    // Started again, the server lists the file it was writing.
    let server = ServerProcess::start(data.path(), port).await;
    let listed: Vec<RecordingFile> = server
        .http
        .get(server.url(&format!("/v1/meetings/{meeting}/recordings")))
        .bearer_auth(KEY)
        .send()
        .await
        .expect("recordings")
        .json()
        .await
        .expect("a recording list");
    let name = path.file_name().and_then(|n| n.to_str()).expect("a name");
    assert!(
        listed.iter().any(|file| file.name == name),
        "{name} not in {listed:?}"
    );
}
