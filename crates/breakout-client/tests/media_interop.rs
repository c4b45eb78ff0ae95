//! Interop with a WebRTC stack nobody here wrote: headless Chromium (fake
//! mic and camera, `tests/interop/page.html` driven by Playwright) and a
//! synthetic bot share the main room through the SFU. Chromium must decode
//! audio and video on its slots (getStats); the bot must decode Chromium's
//! fake audio and video. A presenter then shares a screen, which Chromium
//! decodes on the screen slot its offer declared, and nowhere else; moved
//! into a breakout room, Chromium receives the host's voice to all rooms on
//! its all-rooms slot; and, a cohost itself, it listens in on the main room
//! on its listening slot.
//!
//! A second test moves Chromium between rooms of synthetic bots many times:
//! every move must look like one continuous stream to its decoder, so the
//! first picture it decodes after each move is the new person's test
//! pattern, decoded from the keyframe the SFU forwarded, without Chromium
//! asking for another one.
//!
//! Both need node, `npm ci` in tests/interop and /usr/bin/chromium, so they
//! are ignored by a plain `cargo test`; `scripts/media-test.sh` sees to all
//! three and runs them with `--include-ignored`. Run without them, they fail
//! and name what is missing.

mod media_support;

use std::path::PathBuf;
use std::process::Stdio;

use breakout_client::media::{MediaConfig, ScreenSource};
use breakout_client::protocol::rest::AddParticipant;
use breakout_client::protocol::{Command as MeetingCommand, ParticipantId, RoomId};
use media_support::{Bot, PATIENCE, TestServer, command, start_breakouts};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

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
    // A cohost, so that it may listen in (at the end).
    let token = server.token(&meeting, "chromium", "cohost").await;
    let ws = server.url.replacen("http://", "ws://", 1);

    let mut browser = Chromium::start(&ws, &token);
    let result = browser.next().await;
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

    // A presenter, camera off, shares a screen of their test pattern.
    let presenter = Bot::join_as(&server, &meeting, "presenter", "presenter", {
        let mut config = MediaConfig::synthetic();
        config.camera_on = false;
        config
    })
    .await;
    let screen = ScreenSource::Pattern {
        width: 320,
        height: 240,
    };
    presenter.media.share_screen(&screen).await.expect("shares");
    let report = browser.report_after(presenter.id, 10).await;
    let screen_slot = &report["slots"]["screen"];
    assert_eq!(screen_slot["participant"], presenter.id.0, "{report}");
    let on_screen_slot = report["pictures"]
        .as_array()
        .expect("pictures")
        .iter()
        .filter(|p| p["who"] == presenter.id.0)
        .all(|p| p["mid"] == screen_slot["mid"]);
    assert!(
        on_screen_slot,
        "the share only on the screen slot: {report}"
    );

    // Chromium in a breakout room; the host, in the main room, holds
    // "speak to all rooms".
    let host = Bot::join_as(&server, &meeting, "host", "host", {
        let mut config = MediaConfig::synthetic();
        config.camera_on = false;
        config.mic_on = false;
        config
    })
    .await;
    let chromium = ParticipantId(result["participant"].as_u64().expect("Chromium's id"));
    start_breakouts(&host.conn, 1, &[(chromium, 1)]).await;
    host.media.speak_to_all(true).await.expect("speak to all");
    let report = browser.packets_on("all_rooms", 50).await;
    assert!(report["packets"].as_u64() >= Some(50), "{report}");
    assert_eq!(report["slots"]["room"], 1, "{report}");
    assert_eq!(
        report["slots"]["all_rooms"]["participant"], host.id.0,
        "{report}"
    );
    host.media.speak_to_all(false).await.expect("let go");

    // From room 1, Chromium listens in on the main room.
    let listen = serde_json::json!({ "type": "listen_in", "room": 0 });
    browser.command(listen).await;
    let report = browser.packets_on("listen", 50).await;
    assert!(report["packets"].as_u64() >= Some(50), "{report}");
    assert_eq!(report["slots"]["room"], 1, "{report}");
    assert_eq!(report["slots"]["listen_room"], 0, "{report}");
    let listened: Vec<&Value> = report["slots"]["listen"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|slot| slot.get("participant"))
        .collect();
    // The main room's voices: the bot's and the presenter's.
    let main_room = [Value::from(bot.id.0), Value::from(presenter.id.0)];
    assert!(!listened.is_empty(), "{report}");
    assert!(
        listened.iter().all(|who| main_room.contains(who)),
        "{report}"
    );

    browser.close().await;
}
/// `tests/interop/run.mjs` driving Chromium: one JSON line per answer.
struct Chromium {
    node: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Chromium {
    fn start(ws: &str, token: &str) -> Chromium {
        let mut node = Command::new("node")
            .arg(interop_dir().join("run.mjs"))
            .args([ws, token, &PATIENCE.as_millis().to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs");
        let lines = BufReader::new(node.stdout.take().expect("stdout")).lines();
        Chromium { node, lines }
    }

    async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(PATIENCE * 2, self.lines.next_line())
            .await
            .expect("Chromium answers within the timeout")
            .expect("stdout readable")
            .expect("Chromium printed its answer");
        serde_json::from_str(&line).expect("a JSON line")
    }

    /// Sends one request line and reads the answer, which must be `ok`.
    async fn ask(&mut self, request: Value, failed: &str) -> Value {
        let stdin = self.node.stdin.as_mut().expect("stdin");
        let line = format!("{request}\n");
        stdin.write_all(line.as_bytes()).await.expect("to node");
        stdin.flush().await.expect("to node");
        let report = self.next().await;
        assert_eq!(report["ok"], true, "{failed}: {report}");
        report
    }

    /// Waits until Chromium has decoded `pictures` pictures of `who` since
    /// the last report, and returns the report.
    async fn report_after(&mut self, who: ParticipantId, pictures: u32) -> Value {
        let request = serde_json::json!({ "await": who.0, "pictures": pictures });
        self.ask(request, &format!("Chromium did not decode {who:?}"))
            .await
    }

    /// Waits until Chromium has received `packets` audio packets on its
    /// `slots` ("listen" or "all_rooms"), and returns its answer (with its
    /// slot map).
    async fn packets_on(&mut self, slots: &str, packets: u32) -> Value {
        let request = serde_json::json!({ "packets_on": slots, "packets": packets });
        self.ask(
            request,
            &format!("Chromium got no audio on its {slots} slots"),
        )
        .await
    }

    /// Sends a meeting command as Chromium.
    async fn command(&mut self, command: Value) -> Value {
        let request = serde_json::json!({ "command": command });
        self.ask(request, "Chromium's command was refused").await
    }

    async fn close(mut self) {
        drop(self.node.stdin.take());
        let status = tokio::time::timeout(PATIENCE, self.node.wait())
            .await
            .expect("Chromium closes")
            .expect("node exit status");
        assert!(status.success(), "node exited with {status}");
    }
}

/// Room changes of the test below (rooms visited round robin).
const MOVES: usize = 24;
/// Pictures of the new person that end a move: enough for a request for a
/// keyframe, had Chromium needed one, to be counted.
const SETTLED_PICTURES: u32 = 15;

/// The sum of these counters of Chromium's receivers on every video slot.
fn inbound_total(report: &Value, counters: &[&str]) -> u64 {
    report["inbound"]
        .as_object()
        .expect("inbound stats")
        .values()
        .flat_map(|r| counters.iter().map(|c| r[*c].as_u64().unwrap_or(0)))
        .sum()
}

/// The PLI/FIR the SFU counted from Chromium so far.
fn sfu_keyframe_requests(report: &Value) -> u64 {
    report["keyframeRequestsReceived"]
        .as_u64()
        .unwrap_or_else(|| panic!("no SFU stats in {report}"))
}

/// What is wrong with the pictures decoded across a move from `old` to
/// `new`, if anything: they must be the old person's, then only the new
/// person's.
fn judge_pictures(report: &Value, old: ParticipantId, new: ParticipantId) -> Option<String> {
    let whose: Vec<Option<u64>> = report["pictures"]
        .as_array()
        .expect("pictures")
        .iter()
        .map(|p| p["who"].as_u64())
        .collect();
    let first_new = whose.iter().position(|w| *w == Some(new.0))?;
    let bad_before = whose[..first_new].iter().any(|w| *w != Some(old.0));
    let bad_after = whose[first_new..].iter().any(|w| *w != Some(new.0));
    (bad_before || bad_after).then(|| format!("pictures (participant or none): {whose:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs node, chromium and tests/interop/node_modules: scripts/media-test.sh runs it"]
async fn chromium_decodes_the_new_persons_keyframe_after_every_move() {
    require_tools();
    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    let host = server.host(&meeting).await;
    // One test-pattern bot per room; each numbers its pictures from when it
    // joined, so a move goes to a source whose picture ids are behind or
    // ahead of the one left.
    let mut bots = Vec::new();
    for name in ["a", "b", "c"] {
        bots.push(Bot::join(&server, &meeting, name, MediaConfig::synthetic()).await);
    }
    let body = AddParticipant {
        name: "chromium".into(),
        email: None,
        preset: "participant".into(),
    };
    let chromium = server
        .api
        .add_participant(&meeting, &body)
        .await
        .expect("participant added");
    let rooms: Vec<(ParticipantId, u32)> = bots
        .iter()
        .zip(1..)
        .map(|(bot, room)| (bot.id, room))
        .chain([(chromium.participant, 1)])
        .collect();
    start_breakouts(&host, 3, &rooms).await;

    let ws = server.url.replacen("http://", "ws://", 1);
    let mut browser = Chromium::start(&ws, &chromium.token);
    let result = browser.next().await;
    assert_eq!(result["ok"], true, "Chromium failed: {result}");
    let mut last = browser.report_after(bots[0].id, SETTLED_PICTURES).await;

    let mut failures = Vec::new();
    for i in 0..MOVES {
        let (old, new) = (bots[i % 3].id, bots[(i + 1) % 3].id);
        let room = ((i + 1) % 3) as u32 + 1;
        command(
            &host,
            MeetingCommand::Assign {
                participant: chromium.participant,
                room: Some(RoomId(room)),
            },
        )
        .await;
        let report = browser.report_after(new, SETTLED_PICTURES).await;
        let mut wrong = Vec::new();
        if let Some(pictures) = judge_pictures(&report, old, new) {
            wrong.push(pictures);
        }
        // A receiver's counters never go back, but a slot the page has not
        // reported before starts from nothing.
        let grew = |counters: &[&str]| {
            inbound_total(&report, counters).saturating_sub(inbound_total(&last, counters))
        };
        let browser_plis = grew(&["pliCount", "firCount"]);
        if browser_plis > 0 {
            wrong.push(format!("Chromium sent {browser_plis} PLI/FIR"));
        }
        // The new person's pictures must start from their keyframe, not be
        // delta pictures that happen to land on the old person's.
        if grew(&["keyFramesDecoded"]) == 0 {
            wrong.push("Chromium decoded no keyframe".into());
        }
        let requests = sfu_keyframe_requests(&report).saturating_sub(sfu_keyframe_requests(&last));
        if requests > 0 {
            wrong.push(format!("the SFU received {requests} keyframe requests"));
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "move {i} ({old:?} -> {new:?}): {}",
                wrong.join("; ")
            ));
        }
        last = report;
    }
    assert!(
        failures.is_empty(),
        "{} of {MOVES} moves were not seamless:\n{}",
        failures.len(),
        failures.join("\n")
    );
    browser.close().await;
    for bot in bots {
        bot.leave().await;
    }
}
