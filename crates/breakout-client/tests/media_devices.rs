//! cpal for real against PulseAudio's null sink (`scripts/pulse.sh`): a
//! tone played into the sink comes back through cpal capture, and our own
//! cpal playout reaches the sink too. And a missing camera or microphone is
//! a clear note while the rest of the media goes on.
//!
//! The tests that play and capture need a sound server, so they are ignored
//! by a plain `cargo test`; `scripts/media-test.sh` starts one and runs them
//! with `--include-ignored`. Run without one, they fail and say how to start
//! it.

mod media_support;

use std::io::Write;
use std::process::{Command as Process, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use breakout_client::media::synthetic::{Tone, dominant_frequency};
use breakout_client::media::{AudioOutput, AudioSource, MediaConfig, VideoSource, devices};
use media_support::{Bot, TestServer, start_breakouts};

/// The first capture callback comes 1.3–1.9 s after play(); allow plenty.
const FIRST_AUDIO: Duration = Duration::from_secs(20);

/// One sound server for the whole file: tests that play and capture take
/// turns (two ALSA-over-Pulse streams at once occasionally fail with EIO).
static SOUND: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Fails the test, saying how to get one, when no sound server answers.
fn require_audio() {
    // cpal lists ALSA's "default" even with no sound server behind it:
    // only opening a stream tells.
    if let Err(e) = devices::capture(None, |_| {}, |_| {}) {
        panic!(
            "no microphone opens ({e}): start a sound server with \
             `eval \"$(scripts/pulse.sh)\"` (scripts/setup.sh desktop installs PulseAudio) \
             or run scripts/media-test.sh"
        );
    }
}

/// Captures from the default input (the sink's monitor) until a 20 ms frame
/// carries `hz`, or fails after [`FIRST_AUDIO`].
fn capture_until_tone(hz: f32, while_capturing: impl FnOnce()) {
    let (tx, rx) = mpsc::channel();
    let _stream = devices::capture(
        None,
        move |frame| {
            let _ = tx.send(frame);
        },
        |e| panic!("capture failed: {e}"),
    )
    .expect("capture starts");
    while_capturing();
    let deadline = std::time::Instant::now() + FIRST_AUDIO;
    let mut frames = 0;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let frame = rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no {hz} Hz within {FIRST_AUDIO:?} ({frames} frames)"));
        frames += 1;
        if dominant_frequency(&frame) == Some(hz) {
            return;
        }
    }
}

#[test]
#[ignore = "needs a sound server: scripts/media-test.sh starts one and runs this"]
fn a_tone_played_into_the_sink_is_captured_through_cpal() {
    let _turn = SOUND.lock().unwrap_or_else(|e| e.into_inner());
    require_audio();
    let mut player = Process::new("pacat")
        .args([
            "--playback",
            "--raw",
            "--format=float32le",
            "--rate=48000",
            "--channels=1",
            "--device=spk",
        ])
        .stdin(Stdio::piped())
        .spawn()
        .expect("pacat runs");
    let mut stdin = player.stdin.take().expect("stdin");
    // Ten seconds of 700 Hz, written from a thread so capture starts now.
    let feeder = std::thread::spawn(move || {
        let mut tone = Tone::new(700.0);
        for _ in 0..500 {
            let bytes: Vec<u8> = tone
                .next_frame()
                .iter()
                .flat_map(|s| s.to_le_bytes())
                .collect();
            if stdin.write_all(&bytes).is_err() {
                break;
            }
        }
    });
    capture_until_tone(700.0, || {});
    let _ = player.kill();
    let _ = player.wait();
    let _ = feeder.join();
}

#[test]
#[ignore = "needs a sound server: scripts/media-test.sh starts one and runs this"]
fn our_playout_reaches_the_sink() {
    let _turn = SOUND.lock().unwrap_or_else(|e| e.into_inner());
    require_audio();
    let (_stream, queue) =
        devices::playout(None, |e| panic!("playout failed: {e}")).expect("playout");
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let feeder = std::thread::spawn(move || {
        let mut tone = Tone::new(1_100.0);
        // Keep ~40 ms queued ahead of the device, paced by the queue itself.
        while stop_rx.try_recv().is_err() {
            if queue.queued() < 1_920 {
                queue.push(&tone.next_frame());
            } else {
                std::thread::yield_now();
            }
        }
    });
    capture_until_tone(1_100.0, || {});
    let _ = stop_tx.send(());
    let _ = feeder.join();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_camera_and_no_such_microphone_leave_clear_notes_and_audio_goes_on() {
    let listed = {
        let _turn = SOUND.lock().unwrap_or_else(|e| e.into_inner());
        devices::list()
    };
    if listed.cameras.is_empty() {
        assert!(
            listed.notes.iter().any(|n| n.contains("no camera found")),
            "{:?}",
            listed.notes
        );
    }
    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    let host = server.host(&meeting).await;
    let mut config = MediaConfig::new(
        AudioSource::Tone,
        VideoSource::Camera(Some(99)),
        AudioOutput::None,
    );
    config.mic_on = true;
    config.camera_on = true;
    let a = Bot::join(&server, &meeting, "a", config).await;
    assert!(
        a.media
            .notes()
            .iter()
            .any(|n| n.contains("camera") && n.contains("audio only")),
        "{:?}",
        a.media.notes()
    );
    assert!(!a.media.camera_on(), "no camera, so the camera is off");

    let mut config = MediaConfig::new(
        AudioSource::Microphone(Some("no such microphone".into())),
        VideoSource::None,
        AudioOutput::None,
    );
    config.mic_on = true;
    let b = Bot::join(&server, &meeting, "b", config).await;
    assert!(
        b.media.notes().iter().any(|n| n.contains("microphone")),
        "{:?}",
        b.media.notes()
    );
    assert!(!b.media.mic_on());
    // b still receives: it hears a, whose audio went on without a camera.
    start_breakouts(&host, 1, &[(a.id, 1), (b.id, 1)]).await;
    b.wait_for("b hears a", |r| r.tone_frames(a.tone()) >= 25)
        .await;
}
