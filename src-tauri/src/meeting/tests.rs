//! The actor against a real embedded server on 127.0.0.1:0: messages are
//! reduced and pushed as views, requests answered, a restarted server resumed (and told what
//! the app saw), a refused token
//! reported as closed, a reconnect on request, media on the connection.
//! No sleeps: every wait is for an event, with a limit.

use std::time::Duration;

use breakout_client::AdminApi;
use breakout_client::protocol::Command;
use breakout_client::protocol::rest::{AddParticipant, CreateMeeting};
use breakout_server::{Server, ServerConfig};
use tokio::sync::mpsc;

use super::*;
use crate::ipc::{ConnectionState, MediaStatus};

const KEY: &str = "test-admin-key";
const PATIENCE: Duration = Duration::from_secs(15);

#[derive(Debug)]
enum Heard {
    View(Box<ClientView>),
    Media(MediaStatus),
}

struct ChannelSink(mpsc::UnboundedSender<Heard>);

impl Sink for ChannelSink {
    fn view(&self, view: &ClientView) {
        let _ = self.0.send(Heard::View(Box::new(view.clone())));
    }
    fn media(&self, status: &MediaStatus) {
        let _ = self.0.send(Heard::Media(status.clone()));
    }
}

/// Waits for the first thing heard that `wanted` accepts, skipping others.
async fn expect(
    heard: &mut mpsc::UnboundedReceiver<Heard>,
    what: &str,
    wanted: impl Fn(&Heard) -> bool,
) {
    let found = tokio::time::timeout(PATIENCE, async {
        while let Some(h) = heard.recv().await {
            if wanted(&h) {
                return true;
            }
        }
        false
    })
    .await;
    assert!(matches!(found, Ok(true)), "never heard {what}");
}

fn connection_is(state: ConnectionState) -> impl Fn(&Heard) -> bool {
    move |h| matches!(h, Heard::View(v) if v.connection == state)
}

/// A view pushed after a welcome: connected, with the meeting's view.
fn is_welcome(h: &Heard) -> bool {
    matches!(h, Heard::View(v) if v.view.is_some() && v.connection == ConnectionState::Connected)
}

async fn start_server(dir: &std::path::Path, listen: &str) -> Server {
    Server::start(ServerConfig {
        admin_key: Some(KEY.into()),
        ..ServerConfig::new(listen.parse().unwrap(), dir.to_path_buf())
    })
    .await
    .expect("server starts")
}

/// A meeting with one host; returns (server url, meeting id, host token).
async fn meeting_with_host(server: &Server) -> (String, String, String) {
    let url = format!("http://{}", server.local_addr());
    let admin = AdminApi::new(&url, KEY).unwrap();
    let meeting = admin
        .create_meeting(&CreateMeeting {
            title: "Actor test".into(),
            config: None,
        })
        .await
        .unwrap();
    let host = admin
        .add_participant(
            &meeting.id,
            &AddParticipant {
                name: "Host".into(),
                email: None,
                preset: "host".into(),
            },
        )
        .await
        .unwrap();
    (url, meeting.id, host.token)
}

fn sink() -> (Arc<dyn Sink>, mpsc::UnboundedReceiver<Heard>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Arc::new(ChannelSink(tx)), rx)
}

#[tokio::test]
async fn forwards_every_message_and_answers_requests() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path(), "127.0.0.1:0").await;
    let (url, meeting, token) = meeting_with_host(&server).await;
    let (sink, mut heard) = sink();

    let link = MeetingLink::connect(&url, &token, sink, None)
        .await
        .unwrap();
    assert_eq!(link.meeting(), meeting);
    expect(&mut heard, "the welcome", is_welcome).await;

    let command = Command::CreateRooms {
        count: 2,
        names: vec![],
    };
    link.request(Request::Command { command }).await.unwrap();
    // The server follows the change with a new authoritative view; the
    // actor applies each message to the session before forwarding it.
    expect(
        &mut heard,
        "a view with the new rooms",
        |h| matches!(h, Heard::View(v) if v.view.as_ref().is_some_and(|v| v.rooms.len() == 3)),
    )
    .await;
    let view = link.view().await.expect("the session keeps a view");
    assert!(
        view.rooms.len() >= 3,
        "main and two rooms: {:?}",
        view.rooms
    );

    let refused = link
        .request(Request::Command {
            command: Command::DeleteRoom {
                room: breakout_client::protocol::RoomId(999),
            },
        })
        .await
        .unwrap_err();
    assert!(!refused.code.is_empty() && !refused.message.is_empty());

    link.close().await;
    assert!(!link.is_connected());
    assert_eq!(
        link.request(Request::GetState).await.unwrap_err().code,
        "reconnecting"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_restarted_server_resumes_the_same_participant() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path(), "127.0.0.1:0").await;
    let addr = server.local_addr();
    let (url, _, token) = meeting_with_host(&server).await;
    let (sink, mut heard) = sink();
    let link = MeetingLink::connect(&url, &token, sink, None)
        .await
        .unwrap();
    expect(&mut heard, "the welcome", is_welcome).await;

    server.shutdown().await;
    expect(
        &mut heard,
        "reconnecting",
        connection_is(ConnectionState::Reconnecting),
    )
    .await;
    // While down, the session's view still answers.
    assert!(link.view().await.is_some());

    let server = start_server(dir.path(), &addr.to_string()).await;
    expect(
        &mut heard,
        "connected again",
        connection_is(ConnectionState::Connected),
    )
    .await;
    assert!(matches!(
        link.request(Request::GetState).await,
        Ok(Reply::State { .. })
    ));
    link.close().await;
    server.shutdown().await;
}

/// The app tells a restarted server the newest revision it saw: one that
/// came back with less (acknowledged events lost) reports an incident.
#[tokio::test]
async fn a_server_that_lost_what_the_app_saw_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path(), "127.0.0.1:0").await;
    let addr = server.local_addr().to_string();
    let (url, meeting, token) = meeting_with_host(&server).await;
    let (sink, mut heard) = sink();
    let link = MeetingLink::connect(&url, &token, sink, None)
        .await
        .unwrap();
    expect(&mut heard, "the welcome", is_welcome).await;
    server.shutdown().await;
    let down = connection_is(ConnectionState::Reconnecting);
    expect(&mut heard, "reconnecting", &down).await;
    let earlier = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, earlier.path().join(path.file_name().unwrap())).unwrap();
    }

    let server = start_server(dir.path(), &addr).await;
    expect(&mut heard, "a fresh welcome", is_welcome).await;
    let command = Command::CreateRooms {
        count: 1,
        names: vec![],
    };
    link.request(Request::Command { command }).await.unwrap();
    expect(
        &mut heard,
        "the view with the new room",
        |h| matches!(h, Heard::View(v) if v.view.as_ref().is_some_and(|v| v.rooms.len() == 2)),
    )
    .await;
    server.shutdown().await;
    expect(&mut heard, "reconnecting again", &down).await;

    // Back from before the room was created.
    let server = start_server(earlier.path(), &addr).await;
    expect(&mut heard, "a welcome from the earlier state", is_welcome).await;
    let incidents = AdminApi::new(&url, KEY).unwrap().incidents().await.unwrap();
    assert!(
        matches!(
            incidents.incidents.as_slice(),
            [incident] if incident.meeting == meeting
        ),
        "{incidents:?}"
    );
    link.close().await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_refused_token_is_reported_as_closed() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path(), "127.0.0.1:0").await;
    let (url, meeting, token) = meeting_with_host(&server).await;
    let (sink, mut heard) = sink();
    let link = MeetingLink::connect(&url, &token, sink, None)
        .await
        .unwrap();
    expect(&mut heard, "the welcome", is_welcome).await;

    AdminApi::new(&url, KEY)
        .unwrap()
        .delete_meeting(&meeting)
        .await
        .unwrap();
    expect(&mut heard, "closed", connection_is(ConnectionState::Closed)).await;
    link.close().await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_wrong_token_fails_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path(), "127.0.0.1:0").await;
    let url = format!("http://{}", server.local_addr());
    let (sink, _heard) = sink();
    let error = MeetingLink::connect(&url, "not-a-token", sink, None)
        .await
        .unwrap_err();
    assert!(!error.is_transient(), "{error}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_requested_reconnect_resumes_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path(), "127.0.0.1:0").await;
    let (url, _, token) = meeting_with_host(&server).await;
    let (sink, mut heard) = sink();
    let link = MeetingLink::connect(&url, &token, sink, None)
        .await
        .unwrap();
    expect(&mut heard, "the welcome", is_welcome).await;

    link.reconnect().await;
    expect(
        &mut heard,
        "reconnecting",
        connection_is(ConnectionState::Reconnecting),
    )
    .await;
    expect(
        &mut heard,
        "connected again",
        connection_is(ConnectionState::Connected),
    )
    .await;
    link.close().await;
    server.shutdown().await;
}

/// Synthetic media on the meeting's connection: it runs, the mic switch
/// reaches the meeting, and the switch is kept when the connection (and
/// so the media session) is re-opened.
#[tokio::test(flavor = "multi_thread")]
async fn media_runs_on_the_connection_and_keeps_the_mic_state_across_reconnects() {
    use crate::ipc::MediaPhase;
    use crate::media::{AppMedia, FrameStore, MediaOptions};

    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path(), "127.0.0.1:0").await;
    let (url, _, token) = meeting_with_host(&server).await;
    let (sink, mut heard) = sink();
    let options = MediaOptions {
        synthetic: true,
        ..Default::default()
    };
    let media = AppMedia::new(options, Arc::new(FrameStore::default()), sink.clone());
    let link = MeetingLink::connect(&url, &token, sink, Some(media.clone()))
        .await
        .unwrap();
    let running = |h: &Heard| matches!(h, Heard::Media(s) if s.phase == MediaPhase::On && s.has_mic && s.has_camera);
    expect(&mut heard, "media running with tone and pattern", running).await;
    assert_eq!(media.status().video.len(), 9, "nine video slots");

    link.set_media(Some(false), None).await.unwrap();
    let muted = |h: &Heard| matches!(h, Heard::View(v) if v.view.as_ref().is_some_and(|v| !v.you.media.mic && v.you.media.camera));
    expect(&mut heard, "the meeting hears the mute", muted).await;

    link.reconnect().await;
    expect(&mut heard, "media running again", running).await;
    let view = link.view().await.expect("a view");
    assert!(!view.you.media.mic, "still muted: {:?}", view.you.media);
    assert!(view.you.media.camera);
    link.close().await;
    server.shutdown().await;
}

/// Hold-to-talk through the shell: the meeting names the host as speaking
/// to all rooms while held, and the host's mute is what it was throughout.
#[tokio::test(flavor = "multi_thread")]
async fn speaking_to_all_rooms_goes_through_the_media_engine_and_keeps_the_mute() {
    use crate::ipc::MediaPhase;
    use crate::media::{AppMedia, FrameStore, MediaOptions};

    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path(), "127.0.0.1:0").await;
    let (url, _, token) = meeting_with_host(&server).await;
    let (sink, mut heard) = sink();
    let options = MediaOptions {
        synthetic: true,
        ..Default::default()
    };
    let media = AppMedia::new(options, Arc::new(FrameStore::default()), sink.clone());
    let link = MeetingLink::connect(&url, &token, sink, Some(media.clone()))
        .await
        .unwrap();
    let running =
        |h: &Heard| matches!(h, Heard::Media(s) if s.phase == MediaPhase::On && s.has_mic);
    expect(&mut heard, "media running", running).await;
    link.set_media(Some(false), None).await.unwrap();

    link.speak_to_all(true).await.unwrap();
    let speaking = |h: &Heard| {
        matches!(h, Heard::View(v) if v.view.as_ref().is_some_and(|v| {
            v.speaking_to_all.as_ref().is_some_and(|s| s.id == v.you.id) && !v.you.media.mic
        }))
    };
    expect(
        &mut heard,
        "the meeting names the host, still muted",
        speaking,
    )
    .await;
    link.speak_to_all(false).await.unwrap();
    let done = |h: &Heard| matches!(h, Heard::View(v) if v.view.as_ref().is_some_and(|v| v.speaking_to_all.is_none() && !v.you.media.mic));
    expect(
        &mut heard,
        "nobody speaks to all rooms, the host still muted",
        done,
    )
    .await;
    link.close().await;
    server.shutdown().await;
}

/// A device picked mid-meeting is opened by the running session itself (no
/// reconnect); one that cannot be opened is refused with the reason, and
/// media carries on as it was.
#[tokio::test(flavor = "multi_thread")]
async fn a_device_that_cannot_be_opened_is_refused_and_media_goes_on() {
    use crate::ipc::{DeviceKind, MediaPhase};
    use crate::media::{AppMedia, FrameStore, MediaOptions};

    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path(), "127.0.0.1:0").await;
    let (url, _, token) = meeting_with_host(&server).await;
    let (sink, mut heard) = sink();
    let media = AppMedia::new(
        MediaOptions::default(),
        Arc::new(FrameStore::default()),
        sink.clone(),
    );
    let link = MeetingLink::connect(&url, &token, sink, Some(media.clone()))
        .await
        .unwrap();
    let running = |h: &Heard| matches!(h, Heard::Media(s) if s.phase == MediaPhase::On);
    expect(&mut heard, "media running", running).await;
    let before = media.status();

    let refused = media
        .use_device(DeviceKind::Microphone, "no such microphone")
        .unwrap_err();
    assert_eq!(refused.code, "no_device", "{refused:?}");
    assert!(
        refused.message.contains("no such microphone"),
        "{refused:?}"
    );
    assert_eq!(media.status(), before, "nothing changed");
    assert!(
        link.view().await.is_some(),
        "still in the meeting on the same connection"
    );
    link.close().await;
    server.shutdown().await;
}

/// Waits for a pushed view that `wanted` accepts; returns it.
async fn expect_view(
    heard: &mut mpsc::UnboundedReceiver<Heard>,
    what: &str,
    wanted: impl Fn(&ClientView) -> bool,
) -> ClientView {
    let found = tokio::time::timeout(PATIENCE, async {
        while let Some(h) = heard.recv().await {
            if let Heard::View(view) = h
                && wanted(&view)
            {
                return Some(*view);
            }
        }
        None
    })
    .await;
    found
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("never pushed {what}"))
}

/// The server's messages reach the windows reduced: a broadcast is a
/// banner naming its sender, a chat line is in the room's chat, and a
/// window's dismissal changes the one view every window is pushed.
#[tokio::test]
async fn server_messages_are_pushed_as_the_reduced_view() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path(), "127.0.0.1:0").await;
    let (url, meeting, token) = meeting_with_host(&server).await;
    let (sink, mut heard) = sink();
    let link = MeetingLink::connect(&url, &token, sink, None)
        .await
        .unwrap();
    let first = expect_view(&mut heard, "the welcome", |v| v.view.is_some()).await;
    assert_eq!(first.meeting.as_deref(), Some(meeting.as_str()));
    assert_eq!(first.connection, ConnectionState::Connected);

    let send = |command| link.request(Request::Command { command });
    send(Command::Broadcast {
        text: "Back in five".into(),
        room: None,
        audience: Default::default(),
    })
    .await
    .unwrap();
    let with_banner = expect_view(&mut heard, "the broadcast's banner", |v| {
        !v.banners.is_empty()
    })
    .await;
    let banner = &with_banner.banners[0];
    assert_eq!(
        (banner.text.as_str(), banner.from.as_deref()),
        ("Back in five", Some("Host"))
    );

    send(Command::Chat {
        text: "hello".into(),
    })
    .await
    .unwrap();
    let with_chat = expect_view(&mut heard, "the chat line", |v| !v.chat.is_empty()).await;
    assert_eq!(with_chat.chat[0].text, "hello");

    assert!(link.change(Change::DismissBanner(banner.id)).await);
    expect_view(&mut heard, "the banner gone", |v| v.banners.is_empty()).await;
    assert_eq!(link.client_view().await.unwrap().chat.len(), 1);
    link.close().await;
    server.shutdown().await;
}

/// A line sent before this app joined is in the view: the room's history
/// is fetched after the welcome.
#[tokio::test]
async fn the_rooms_chat_history_is_fetched_after_the_welcome() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path(), "127.0.0.1:0").await;
    let (url, _, token) = meeting_with_host(&server).await;
    let (first_sink, mut first_heard) = sink();
    let first = MeetingLink::connect(&url, &token, first_sink, None)
        .await
        .unwrap();
    expect_view(&mut first_heard, "the welcome", |v| v.view.is_some()).await;
    let command = Command::Chat {
        text: "before you came".into(),
    };
    first.request(Request::Command { command }).await.unwrap();
    first.close().await;

    let (sink, mut heard) = sink();
    let link = MeetingLink::connect(&url, &token, sink, None)
        .await
        .unwrap();
    let view = expect_view(&mut heard, "the history", |v| !v.chat.is_empty()).await;
    assert_eq!(view.chat[0].text, "before you came");
    link.close().await;
    server.shutdown().await;
}
