//! Recording a room, through the real server and its SFU on loopback with
//! bots sending tones; the file is read back with ffprobe and ffmpeg
//! (installed by `scripts/setup.sh`):
//!
//! - only hosts and cohosts may record, and everyone in the recorded room
//!   sees that it is;
//! - the file is Opus in WebM and holds the tones of the room's members,
//!   never those of the room next door;
//! - a participant moved into the room is in the recording from the move;
//! - a host speaking to all rooms is in the recorded room's file too;
//! - the file's picture is the camera of whoever speaks, then the shared
//!   screen, switched at keyframes;
//! - the file is listed and downloaded over REST with the admin key or a
//!   host's token, and refused to a participant.

mod media_support;
#[path = "../../breakout-server/tests/common/recording_files.rs"]
mod recording_files;

use std::path::PathBuf;

use breakout_client::media::synthetic::read_pattern;
use breakout_client::media::{AudioSource, MediaConfig, ScreenSource, VideoSource, Vp8Decoder};
use breakout_client::protocol::ParticipantId;
use breakout_client::protocol::rest::RecordingFile;
use breakout_client::protocol::{ApiError, Command, RoomId};
use media_support::{Bot, TestServer, command, start_breakouts, view};
use recording_files::{RATE, decode, probe, share, video_frames};

/// Frames that make "decoded" unambiguous: 25 × 20 ms of a tone.
const HEARD: u64 = 25;
/// The recording is read in windows this long (100 ms).
const WINDOW: usize = RATE / 10;

fn voice() -> MediaConfig {
    let mut config = MediaConfig::synthetic();
    config.video = VideoSource::None;
    config.camera_on = false;
    config
}

fn silent() -> MediaConfig {
    let mut config = voice();
    config.audio = AudioSource::None;
    config
}

/// For each 100 ms window, which of `tones` it carries.
fn tones_by_window(pcm: &[i16], tones: &[u32]) -> Vec<Vec<bool>> {
    pcm.chunks_exact(WINDOW)
        .map(|w| {
            tones
                .iter()
                .map(|&hz| share(w, f64::from(hz)) > 0.1)
                .collect()
        })
        .collect()
}

/// Starts or stops recording `room`.
fn record_room(room: u32, active: bool) -> Command {
    Command::Record {
        room: Some(RoomId(room)),
        active,
    }
}

/// One meeting of this file at a time: these tests are about what is
/// recorded, not about load (eight media sessions at once in a debug build
/// crowd two cores).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The one file in the server's recordings directory.
fn the_recording(server: &TestServer) -> PathBuf {
    let dir = breakout_server::recordings_dir(server.dir.path());
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("no recordings directory {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files.into_iter().next().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_recorded_room_holds_its_members_tones_only_and_follows_a_move() {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    let host = Bot::join_as(&server, &meeting, "host", "host", silent()).await;
    let a = Bot::join(&server, &meeting, "a", voice()).await;
    let b = Bot::join(&server, &meeting, "b", voice()).await;
    let c = Bot::join(&server, &meeting, "c", voice()).await;
    let d = Bot::join(&server, &meeting, "d", voice()).await;
    let tones = [a.tone(), b.tone(), c.tone(), d.tone()];
    for (i, tone) in tones.iter().enumerate() {
        assert!(!tones[..i].contains(tone), "two bots share a tone");
    }
    start_breakouts(&host.conn, 2, &[(a.id, 1), (b.id, 1), (c.id, 2), (d.id, 2)]).await;
    for (bot, room) in [(&a, 1), (&b, 1), (&c, 2), (&d, 2)] {
        bot.wait_for_room(room).await;
    }

    // A participant may not record.
    let error = a
        .conn
        .command(record_room(1, true))
        .await
        .expect_err("refused");
    let refused = error.api_error().expect("an API error");
    assert_eq!(refused.code, "permission_denied");
    assert_eq!(
        refused.message,
        "your role does not allow you to record rooms"
    );

    command(&host.conn, record_room(1, true)).await;
    let recording_of = |view: &breakout_client::protocol::MeetingView, room| {
        view.rooms
            .iter()
            .find(|r| r.id == RoomId(room))
            .map(|r| r.recording)
    };
    assert_eq!(recording_of(&view(&a.conn).await, 1), Some(true));
    assert_eq!(recording_of(&view(&c.conn).await, 2), Some(false));

    // Room 1 as its members hear it, for a while after the start.
    a.forget();
    a.wait_for("a hears b", |r| r.tone_frames(b.tone()) >= HEARD)
        .await;
    // c moves from room 2 into the recorded room.
    command(
        &host.conn,
        Command::Assign {
            participant: c.id,
            room: Some(RoomId(1)),
        },
    )
    .await;
    c.wait_for_room(1).await;
    a.forget();
    a.wait_for("a hears c in room 1", |r| r.tone_frames(c.tone()) >= HEARD)
        .await;
    command(&host.conn, record_room(1, false)).await;
    assert_eq!(recording_of(&view(&a.conn).await, 1), Some(false));

    let on_disk = the_recording(&server);
    let name = on_disk.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with(&format!("{meeting}_room-1_")) && name.ends_with(".webm"),
        "{name}"
    );
    // Listed and downloaded over REST, by the admin or a host of the meeting.
    let http = reqwest::Client::new();
    let recordings = format!("{}/v1/meetings/{meeting}/recordings", server.url);
    let listed: Vec<RecordingFile> = http
        .get(&recordings)
        .bearer_auth(media_support::KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        (listed[0].name.as_str(), listed[0].room),
        (name.as_str(), RoomId(1))
    );
    let participant = server.token(&meeting, "p", "participant").await;
    let refused = http
        .get(&recordings)
        .bearer_auth(&participant)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let error: ApiError = refused.json().await.unwrap();
    assert_eq!(error.code, "permission_denied", "{}", error.message);
    let host_token = server.token(&meeting, "host 2", "host").await;
    for missing in ["nothing.webm", "..%2Fadmin-key"] {
        let answer = http
            .get(format!("{recordings}/{missing}"))
            .bearer_auth(&host_token)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 404, "{missing}");
        let error: ApiError = answer.json().await.unwrap();
        assert_eq!(error.code, "recording_not_found", "{}", error.message);
    }
    let download = http
        .get(format!("{recordings}/{name}"))
        .bearer_auth(&host_token)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    let bytes = download.bytes().await.unwrap();
    let copy = tempfile::tempdir().unwrap();
    let path = copy.path().join(&name);
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(probe(&path, "stream=codec_name"), "vp8\nopus");
    let duration: f64 = probe(&path, "format=duration").parse().unwrap_or(0.0);
    let pcm = decode(&path);
    let seconds = pcm.len() as f64 / RATE as f64;
    assert!(
        seconds > 0.5,
        "{seconds} s decoded, ffprobe says {duration}"
    );

    let windows = tones_by_window(&pcm, &tones);
    let with = |i: usize| windows.iter().filter(|w| w[i]).count();
    assert!(
        with(0) >= 3 && with(1) >= 3,
        "a and b are in it: {windows:?}"
    );
    assert_eq!(with(3), 0, "d never was in room 1: {windows:?}");
    let first_c = windows
        .iter()
        .position(|w| w[2])
        .unwrap_or_else(|| panic!("c is in it after the move: {windows:?}"));
    let before_move = windows[..first_c].iter().filter(|w| w[0] || w[1]).count();
    assert!(
        before_move >= 3,
        "room 1 was recorded without c before the move: {windows:?}"
    );
    assert!(with(2) >= 3, "c is in it after the move: {windows:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_voice_to_all_rooms_is_in_a_recorded_rooms_file_while_held() {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    // The host stays in the main room, muted: holding is what is heard.
    let host = Bot::join_as(&server, &meeting, "host", "host", {
        let mut config = voice();
        config.mic_on = false;
        config
    })
    .await;
    let a = Bot::join(&server, &meeting, "a", voice()).await;
    let b = Bot::join(&server, &meeting, "b", voice()).await;
    let tones = [a.tone(), b.tone(), host.tone()];
    start_breakouts(&host.conn, 2, &[(a.id, 1), (b.id, 2)]).await;
    a.wait_for_room(1).await;
    command(&host.conn, record_room(1, true)).await;
    host.media.speak_to_all(true).await.expect("speak to all");
    // A second of it heard in room 1, so a second of it to look for.
    a.wait_for("a hears the host's voice to all rooms", |r| {
        r.tone_frames(host.tone()) >= 2 * HEARD
    })
    .await;
    host.media.speak_to_all(false).await.expect("let go");
    command(&host.conn, record_room(1, false)).await;

    let pcm = decode(&the_recording(&server));
    let windows = tones_by_window(&pcm, &tones);
    let with = |i: usize| windows.iter().filter(|w| w[i]).count();
    assert!(with(0) >= 3, "a is in it: {windows:?}");
    assert!(
        with(2) >= 3,
        "the host's voice to all rooms is in it: {windows:?}"
    );
    assert_eq!(with(1), 0, "b, in room 2, never is: {windows:?}");
}

/// What one picture of a recording shows: whose pattern, at what width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shown {
    at_ms: u64,
    who: Option<ParticipantId>,
    width: u32,
}

/// Every picture of the recording's video track, decoded in order.
fn pictures(path: &std::path::Path) -> Vec<Shown> {
    let mut decoder = Vp8Decoder::new().expect("a VP8 decoder");
    video_frames(path)
        .into_iter()
        .filter_map(|(at_ms, frame)| {
            let picture = decoder
                .decode(&frame)
                .expect("every written frame decodes")?;
            Some(Shown {
                at_ms,
                who: read_pattern(&picture).map(|stamp| stamp.participant),
                width: picture.width,
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_recording_shows_whoever_speaks_then_the_shared_screen() {
    const SCREEN: ScreenSource = ScreenSource::Pattern {
        width: 640,
        height: 360,
    };
    let _one = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    let host = Bot::join_as(&server, &meeting, "host", "host", silent()).await;
    // Both on camera (320×240 patterns); a speaks, b is muted at first.
    let a = Bot::join(&server, &meeting, "a", MediaConfig::synthetic()).await;
    let b = Bot::join_as(&server, &meeting, "b", "presenter", {
        let mut config = MediaConfig::synthetic();
        config.mic_on = false;
        config
    })
    .await;
    start_breakouts(&host.conn, 1, &[(a.id, 1), (b.id, 1)]).await;
    a.wait_for_room(1).await;
    b.wait_for_room(1).await;
    command(&host.conn, record_room(1, true)).await;
    // Each phase lasts while its peer decodes a second and a half of it.
    b.forget();
    b.wait_for("b sees a, who speaks", |r| r.pattern_frames(a.id) >= 45)
        .await;

    a.media.set_mic(false).await.expect("a mutes");
    b.media.set_mic(true).await.expect("b unmutes");
    a.wait_for("a hears b", |r| r.tone_frames(b.tone()) >= HEARD)
        .await;
    a.forget();
    a.wait_for("a sees b, who speaks", |r| r.pattern_frames(b.id) >= 45)
        .await;

    b.media.share_screen(&SCREEN).await.expect("b shares");
    a.forget();
    a.wait_for("a sees b's screen", |r| {
        r.pictures_at(b.id, (640, 360)) >= 8
    })
    .await;
    command(&host.conn, record_room(1, false)).await;

    let path = the_recording(&server);
    assert_eq!(probe(&path, "stream=codec_name"), "vp8\nopus");
    let shown = pictures(&path);
    let camera_of = |who| move |s: &Shown| s.who == Some(who) && s.width == 320;
    let screen = |s: &Shown| s.who == Some(b.id) && s.width == 640;
    let count = |test: &dyn Fn(&Shown) -> bool| shown.iter().filter(|s| test(s)).count();
    let (a_camera, b_camera) = (camera_of(a.id), camera_of(b.id));
    assert!(
        count(&a_camera) >= 15,
        "a's camera while a speaks: {shown:?}"
    );
    assert!(
        count(&b_camera) >= 15,
        "b's camera once b speaks: {shown:?}"
    );
    assert!(count(&screen) >= 4, "b's screen once shared: {shown:?}");
    // In that order, each phase whole: no cutting back.
    let last = |test: &dyn Fn(&Shown) -> bool| shown.iter().rposition(test).unwrap();
    let first = |test: &dyn Fn(&Shown) -> bool| shown.iter().position(test).unwrap();
    assert!(last(&a_camera) < first(&b_camera), "{shown:?}");
    assert!(last(&b_camera) < first(&screen), "{shown:?}");
    assert!(
        shown.windows(2).all(|w| w[0].at_ms <= w[1].at_ms),
        "pictures in time order: {shown:?}"
    );
    // And the voices are where they spoke.
    let pcm = decode(&path);
    let windows = tones_by_window(&pcm, &[a.tone(), b.tone()]);
    assert!(windows.iter().filter(|w| w[0]).count() >= 3, "a is heard");
    assert!(windows.iter().filter(|w| w[1]).count() >= 3, "b is heard");
}
