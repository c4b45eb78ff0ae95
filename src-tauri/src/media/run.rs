//! One media session on one signaling connection, as a task: start it,
//! feed it the server's media messages, pass its frames to the
//! [`FrameStore`](super::FrameStore) and its audio levels to the sink,
//! declare the tiles' sizes to the server, close it when the connection
//! goes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use breakout_client::Connection;
use breakout_client::media::{MediaEvent, MediaSession};
use breakout_client::protocol::ws::ServerMessage;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use super::AppMedia;
use super::frames::{SCREEN_SELF_MID, SELF_MID};
use super::levels::Levels;
use super::tiles;
use crate::ipc::MediaPhase;

/// How often silent speakers are looked for.
const SILENCE_CHECK: Duration = Duration::from_millis(200);
/// How long a closing session may take before it is dropped instead.
const CLOSE_WAIT: Duration = Duration::from_secs(3);

/// The running task; [`MediaRun::stop`] ends it.
pub struct MediaRun {
    messages: mpsc::Sender<ServerMessage>,
    task: JoinHandle<()>,
}

impl MediaRun {
    /// Starts media on `conn` (a connection to `server`).
    pub fn start(media: Arc<AppMedia>, server: &str, conn: Arc<Connection>) -> MediaRun {
        let (messages, rx) = mpsc::channel(256);
        let config = media.config(server);
        let task = tokio::spawn(run(media, conn, config, rx));
        MediaRun { messages, task }
    }

    /// Passes on what concerns media (slot maps, ICE candidates). Never
    /// waits: if the task is that far behind, a later slot map supersedes.
    pub fn forward(&self, message: &ServerMessage) {
        if matches!(
            message,
            ServerMessage::Slots { .. }
                | ServerMessage::MediaCandidate { .. }
                // A share the meeting gave to someone else stops.
                | ServerMessage::State { .. }
        ) && self.messages.try_send(message.clone()).is_err()
        {
            warn!("media task behind; a media message was dropped");
        }
    }

    /// Closes the session and waits (a little) for it.
    pub async fn stop(self) {
        let MediaRun { messages, mut task } = self;
        drop(messages);
        if tokio::time::timeout(CLOSE_WAIT, &mut task).await.is_err() {
            task.abort();
        }
    }
}

async fn run(
    media: Arc<AppMedia>,
    conn: Arc<Connection>,
    config: breakout_client::media::MediaConfig,
    mut messages: mpsc::Receiver<ServerMessage>,
) {
    media.update(|s| {
        s.phase = MediaPhase::Starting;
        s.video.clear();
    });
    let (session, mut events) = match MediaSession::start(conn.clone(), config).await {
        Ok(started) => started,
        Err(error) => {
            warn!(%error, "media could not start; the meeting goes on without it");
            media.update(|s| {
                s.phase = MediaPhase::Failed;
                s.has_mic = false;
                s.has_camera = false;
                s.notes = vec![format!(
                    "media could not start ({error}); you can still follow the meeting"
                )];
            });
            while messages.recv().await.is_some() {}
            return;
        }
    };
    let session = Arc::new(session);
    info!(notes = ?session.notes(), "media running");
    media.set_session(Some(session.clone()));
    media.running(&session);

    let tiles = tokio::spawn(tiles::declare(conn, media.frames.watch_shown()));
    let mut levels = Levels::default();
    let mut silence = tokio::time::interval(SILENCE_CHECK);
    loop {
        tokio::select! {
            message = messages.recv() => {
                let Some(message) = message else { break };
                if let Err(error) = session.handle(&message).await {
                    warn!(%error, "media message not applied");
                }
                if matches!(message, ServerMessage::Slots { .. } | ServerMessage::State { .. }) {
                    let (video, screen) = super::video_slots(&session);
                    let sharing = session.sharing();
                    // State comes often; the windows hear only of changes.
                    let status = media.status();
                    if status.sharing && !sharing {
                        media.frames.forget(SCREEN_SELF_MID);
                    }
                    if (&status.video, &status.screen, status.sharing) != (&video, &screen, sharing) {
                        media.update(|s| {
                            s.video = video;
                            s.screen = screen;
                            s.sharing = sharing;
                        });
                    }
                }
            }
            event = events.recv() => match event {
                Some(MediaEvent::Video { mid, participant, frame }) => {
                    media.frames.put(&mid, participant, frame);
                }
                // One already on its way when the camera went off must not
                // bring the self-view back.
                Some(MediaEvent::LocalVideo { frame }) if session.camera_on() => {
                    media.frames.put(SELF_MID, None, frame);
                }
                Some(MediaEvent::LocalScreen { frame }) if session.sharing() => {
                    media.frames.put(SCREEN_SELF_MID, None, frame);
                }
                Some(MediaEvent::ShareEnded { by }) => {
                    debug!(?by, "our share ended");
                    media.frames.forget(SCREEN_SELF_MID);
                    media.update(|s| s.sharing = false);
                }
                Some(MediaEvent::Audio { participant: Some(p), frame, .. }) => {
                    if let Some(level) = levels.observe(p, &frame.samples, Instant::now()) {
                        media.sink.speaking(&level);
                    }
                }
                Some(MediaEvent::DeviceLost { kind, message }) => {
                    warn!(kind, %message, "device lost");
                    media.update(|s| {
                        s.notes.push(format!("{kind} stopped ({message}); the meeting goes on without it"));
                    });
                }
                Some(MediaEvent::Connection { state }) => debug!(%state, "media connection"),
                Some(_) => {}
                None => break,
            },
            _ = silence.tick() => {
                for level in levels.silence(Instant::now()) {
                    media.sink.speaking(&level);
                }
            }
        }
    }

    tiles.abort();
    media.set_session(None);
    for level in levels.clear() {
        media.sink.speaking(&level);
    }
    media.frames.clear();
    media.update(|s| {
        s.phase = MediaPhase::Off;
        s.video.clear();
    });
    match Arc::try_unwrap(session) {
        Ok(session) => session.close().await,
        // A switch in flight still holds it; its drop closes it.
        Err(shared) => drop(shared),
    }
}
