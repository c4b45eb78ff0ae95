//! Interop with a WebRTC stack nobody here wrote: headless Chromium (fake
//! mic and camera, `tests/interop/page.html` driven by Playwright) and a
//! synthetic bot share the main room through the SFU. Chromium must decode
//! audio and video on its slots (getStats); the bot must decode Chromium's
//! fake audio and video.
//!
//! Needs node, `npm ci` in tests/interop and /usr/bin/chromium, so it is
//! ignored by a plain `cargo test`; `scripts/media-test.sh` sees to all
//! three and runs it with `--include-ignored`. Run without them, it fails
//! and names what is missing.

mod media_support;

use std::path::PathBuf;
use std::process::Stdio;

use breakout_client::media::MediaConfig;
use media_support::{Bot, PATIENCE, TestServer};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop")
}

/// Fails the test, naming what is missing and how to get it.
fn require_tools() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let missing: Vec<String> = [
        (
            interop_dir().join("node_modules/playwright-core").exists(),
            "tests/interop/node_modules (npm ci)".to_string(),
        ),
        (std::path::Path::new(&chromium).exists(), chromium),
        (
            std::process::Command::new("node")
                .arg("--version")
                .output()
                .is_ok(),
            "node".to_string(),
        ),
    ]
    .into_iter()
    .filter(|(ok, _)| !ok)
    .map(|(_, what)| what)
    .collect();
    assert!(
        missing.is_empty(),
        "interop needs {missing:?}: scripts/media-test.sh installs them and runs this test \
         (or apt-get install nodejs npm chromium; cd tests/interop && npm ci)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs node, chromium and tests/interop/node_modules: scripts/media-test.sh runs it"]
async fn chromium_and_a_bot_decode_each_other_through_the_sfu() {
    require_tools();
    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    let bot = Bot::join(&server, &meeting, "bot", MediaConfig::synthetic()).await;
    let token = server.token(&meeting, "chromium", "participant").await;
    let ws = server.url.replacen("http://", "ws://", 1);

    let mut browser = Command::new("node")
        .arg(interop_dir().join("run.mjs"))
        .args([
            ws.as_str(),
            token.as_str(),
            &PATIENCE.as_millis().to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let mut lines = BufReader::new(browser.stdout.take().expect("stdout")).lines();

    let line = tokio::time::timeout(PATIENCE * 2, lines.next_line())
        .await
        .expect("Chromium reports within the timeout")
        .expect("stdout readable")
        .expect("Chromium printed its result");
    let result: serde_json::Value = serde_json::from_str(&line).expect("JSON result");
    assert_eq!(result["ok"], true, "Chromium failed: {result}");
    let inbound = result["inbound"].as_object().expect("inbound stats");
    let audio = inbound
        .values()
        .filter(|r| r["kind"] == "audio")
        .map(|r| r["totalSamplesReceived"].as_u64().unwrap_or(0))
        .max();
    let video = inbound
        .values()
        .filter(|r| r["kind"] == "video")
        .map(|r| r["framesDecoded"].as_u64().unwrap_or(0))
        .max();
    assert!(audio > Some(0) && video > Some(0), "{result}");
    // The bot decodes Chromium: its fake microphone's beeps and its fake
    // camera's pictures (neither is a Breakout test signal).
    bot.wait_for("the bot decodes Chromium's audio and video", |r| {
        let audio: u64 = r.tones.iter().map(|t| t.frames).sum::<u64>() + r.other_audio_frames;
        audio >= 10 && r.other_video_frames >= 10 && r.other_keyframes >= 1
    })
    .await;
    let heard = bot.snapshot();
    assert!(
        heard.tones.iter().all(|t| t.hz != bot.tone()),
        "the bot must not hear itself: {heard:?}"
    );

    // Chromium's slot map names the bot as the source of what it decoded.
    let slots = &result["slots"];
    let shows_bot = |kind: &str| {
        slots[kind]
            .as_array()
            .is_some_and(|s| s.iter().any(|slot| slot["participant"] == bot.id.0))
    };
    assert!(shows_bot("audio") && shows_bot("video"), "{slots}");

    drop(browser.stdin.take());
    let status = tokio::time::timeout(PATIENCE, browser.wait())
        .await
        .expect("Chromium closes")
        .expect("node exit status");
    assert!(status.success(), "node exited with {status}");
}
