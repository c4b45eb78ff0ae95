//! A real server (with its SFU) on 127.0.0.1:0 and media participants in
//! the same process, for the media tests and benchmarks. Nothing here
//! sleeps: waits are on received media, bounded by generous timeouts.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use breakout_client::media::analysis::{Observation, Received};
use breakout_client::media::{MediaConfig, MediaEvent, MediaSession};
use breakout_client::protocol::media::RoomSpeaking;
use breakout_client::protocol::rest::{AddParticipant, CreateMeeting};
use breakout_client::protocol::ws::{Reply, Request, ServerMessage};
use breakout_client::protocol::{BreakoutConfig, Command, MeetingView, ParticipantId, RoomId};
use breakout_client::{AdminApi, Connection};
use breakout_server::{Server, ServerConfig};
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

pub const KEY: &str = "media-test-admin-key";
/// How long any wait for media may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(30);

pub struct TestServer {
    pub server: Server,
    pub url: String,
    pub api: AdminApi,
    /// The server's data directory.
    pub dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with_media_threads(1).await
    }

    /// A server whose meetings are spread over `threads` media threads.
    pub async fn start_with_media_threads(threads: usize) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config =
            ServerConfig::new("127.0.0.1:0".parse().unwrap(), dir.path().to_path_buf());
        config.admin_key = Some(KEY.into());
        config.media.threads = threads;
        let server = Server::start(config).await.expect("server starts");
        let url = format!("http://{}", server.local_addr());
        let api = AdminApi::new(&url, KEY).expect("admin client");
        TestServer {
            server,
            url,
            api,
            dir,
        }
    }

    /// A meeting whose moves happen at once (countdown 0).
    pub async fn meeting(&self) -> String {
        let config = BreakoutConfig {
            move_countdown_secs: 0,
            auto_move: true,
            ..BreakoutConfig::default()
        };
        let body = CreateMeeting {
            title: "media".into(),
            config: Some(config),
        };
        self.api.create_meeting(&body).await.expect("meeting").id
    }

    pub async fn token(&self, meeting: &str, name: &str, preset: &str) -> String {
        let body = AddParticipant {
            name: name.into(),
            email: None,
            preset: preset.into(),
        };
        let created = self.api.add_participant(meeting, &body).await;
        created.expect("participant added").token
    }

    /// A host connection that only sends commands.
    pub async fn host(&self, meeting: &str) -> Arc<Connection> {
        let token = self.token(meeting, "host", "host").await;
        let (conn, rx) = Connection::connect(&self.url, &token).await.expect("host");
        drop(rx);
        Arc::new(conn)
    }
}

/// A participant with media, whose received media is analysed as it comes.
pub struct Bot {
    pub name: String,
    pub id: ParticipantId,
    pub conn: Arc<Connection>,
    pub media: Arc<MediaSession>,
    pub received: Arc<Mutex<Received>>,
    /// Bumped at every analysed event and slot map.
    ticks: watch::Receiver<u64>,
    /// Every observation with the time it was made.
    pub observations: broadcast::Sender<(Instant, Observation)>,
    /// When each tone burst of this bot started (with `ToneBursts`).
    pub onsets: broadcast::Sender<Instant>,
    pub slots: watch::Receiver<Option<breakout_client::protocol::media::SlotMap>>,
    /// The newest speaking summary (hosts and cohosts get them).
    pub speaking: watch::Receiver<Option<Vec<RoomSpeaking>>>,
    pump: tokio::task::JoinHandle<()>,
}

impl Bot {
    pub async fn join(server: &TestServer, meeting: &str, name: &str, config: MediaConfig) -> Bot {
        Self::join_as(server, meeting, name, "participant", config).await
    }

    /// A bot with another preset (`host`, `cohost`, ...).
    pub async fn join_as(
        server: &TestServer,
        meeting: &str,
        name: &str,
        preset: &str,
        config: MediaConfig,
    ) -> Bot {
        let token = server.token(meeting, name, preset).await;
        Self::join_with_token(&server.url, &token, name, config).await
    }

    pub async fn join_with_token(url: &str, token: &str, name: &str, config: MediaConfig) -> Bot {
        let (conn, mut rx) = Connection::connect(url, token).await.expect("connects");
        let conn = Arc::new(conn);
        let (media, mut events) = MediaSession::start(conn.clone(), config.for_server(url))
            .await
            .expect("media starts");
        let media = Arc::new(media);
        let received = Arc::new(Mutex::new(Received::default()));
        let (tick_tx, ticks) = watch::channel(0u64);
        let (observations, _) = broadcast::channel(4096);
        let (onsets, _) = broadcast::channel(256);
        let (slots_tx, slots) = watch::channel(None);
        let (speaking_tx, speaking) = watch::channel(None);
        let pump = (
            media.clone(),
            received.clone(),
            observations.clone(),
            onsets.clone(),
        );
        let pump = tokio::spawn(async move {
            let (media, received, observations, onsets) = pump;
            loop {
                tokio::select! {
                    message = rx.recv() => {
                        let Some(message) = message else { break };
                        if let ServerMessage::Slots { slots } = &message {
                            slots_tx.send_replace(Some(slots.clone()));
                        }
                        if let ServerMessage::Speaking { rooms } = &message {
                            speaking_tx.send_replace(Some(rooms.clone()));
                        }
                        let _ = media.handle(&message).await;
                        tick_tx.send_modify(|n| *n += 1);
                    }
                    event = events.recv() => {
                        let Some(event) = event else { break };
                        let seen = received.lock().unwrap().add(&event);
                        if let Some(seen) = seen {
                            let _ = observations.send((Instant::now(), seen));
                        }
                        if let MediaEvent::Onset { at } = event {
                            let _ = onsets.send(at);
                        }
                        tick_tx.send_modify(|n| *n += 1);
                    }
                }
            }
        });
        Bot {
            name: name.into(),
            id: conn.participant(),
            conn,
            media,
            received,
            ticks,
            observations,
            onsets,
            slots,
            speaking,
            pump,
        }
    }

    /// Waits until `check` holds for what this bot received; panics with
    /// `what` after [`PATIENCE`].
    pub async fn wait_for(&self, what: &str, check: impl Fn(&Received) -> bool) {
        let mut ticks = self.ticks.clone();
        let deadline = Instant::now() + PATIENCE;
        loop {
            if check(&self.received.lock().unwrap()) {
                return;
            }
            match tokio::time::timeout_at(deadline, ticks.changed()).await {
                Ok(Ok(())) => {}
                _ => panic!(
                    "{}: {what} did not happen within {PATIENCE:?}; received {:?}; slots {:?}; \
                     connection {}; slot map {:?}",
                    self.name,
                    self.received.lock().unwrap(),
                    self.media.counters(),
                    self.media.connection_state(),
                    self.slots.borrow(),
                ),
            }
        }
    }

    /// Closes media and the connection (as leaving the meeting does).
    pub async fn leave(self) {
        self.pump.abort();
        let _ = self.pump.await;
        if let Ok(media) = Arc::try_unwrap(self.media) {
            media.close().await;
        }
        if let Ok(conn) = Arc::try_unwrap(self.conn) {
            conn.close().await;
        }
    }

    /// Waits until the server's slot map puts this bot's media in `room`.
    pub async fn wait_for_room(&self, room: u32) {
        let mut slots = self.slots.clone();
        let deadline = Instant::now() + PATIENCE;
        loop {
            if slots
                .borrow()
                .as_ref()
                .is_some_and(|s| s.room == RoomId(room))
            {
                return;
            }
            if !matches!(
                tokio::time::timeout_at(deadline, slots.changed()).await,
                Ok(Ok(()))
            ) {
                panic!(
                    "{}: slots never moved to room {room}: {:?}",
                    self.name,
                    slots.borrow()
                );
            }
        }
    }

    /// Forgets what was received so far.
    pub fn forget(&self) {
        self.received.lock().unwrap().clear();
    }

    pub fn snapshot(&self) -> Received {
        self.received.lock().unwrap().clone()
    }

    pub fn tone(&self) -> u32 {
        breakout_client::media::synthetic::tone_frequency(self.id) as u32
    }
}

pub async fn command(host: &Connection, command: Command) {
    let name = command.name();
    if let Err(e) = host.command(command).await {
        panic!("host's {name} refused: {e}");
    }
}

/// Creates `rooms` rooms and starts breakouts with these assignments.
pub async fn start_breakouts(host: &Connection, rooms: u16, assignments: &[(ParticipantId, u32)]) {
    command(
        host,
        Command::CreateRooms {
            count: rooms,
            names: Vec::new(),
        },
    )
    .await;
    for &(participant, room) in assignments {
        command(
            host,
            Command::Assign {
                participant,
                room: Some(RoomId(room)),
            },
        )
        .await;
    }
    command(host, Command::Start).await;
}

pub async fn view(conn: &Connection) -> MeetingView {
    match conn.request(Request::GetState).await.expect("state") {
        Reply::State { view } => *view,
        other => panic!("state answered {other:?}"),
    }
}

/// `(mic, camera)` of `who` as the meeting sees it.
pub fn media_state(view: &MeetingView, who: ParticipantId) -> (bool, bool) {
    view.rooms
        .iter()
        .flat_map(|r| r.members.iter().flatten())
        .find(|m| m.id == who)
        .map(|m| (m.mic, m.camera))
        .unwrap_or_else(|| panic!("{who:?} is in no room of the view"))
}

pub fn room_ids(view: &MeetingView) -> Vec<RoomId> {
    view.rooms.iter().map(|r| r.id).collect()
}
