//! The meeting's media in the app: breakout-client's
//! [`MediaSession`](breakout_client::media::MediaSession) on the meeting's
//! own connection, its decoded video to the tiles, its audio levels to the
//! speaking highlight.
//!
//! - [`AppMedia`] belongs to the meeting: the devices to use, the mic and
//!   camera state the person asked for (kept across reconnects), the status
//!   the windows see (`media` event, `get_media`).
//! - [`run`]: one media session per signaling connection. The meeting actor
//!   starts it when a connection opens and stops it when the connection
//!   drops; the server's slot maps and ICE candidates are forwarded to it.
//! - [`frames`] keeps each video slot's newest frame, and our own camera's
//!   under [`frames::SELF_MID`] for the self-view; [`protocol`] serves it
//!   on the `breakout-media` URI scheme as a JPEG at tile size ([`jpeg`]),
//!   never through invoke/JSON.
//! - [`levels`] turns decoded audio into `speaking` events.
//! - [`tiles`] declares the tiles' sizes to the server, which sends each
//!   slot the simulcast layer that fits.
//!
//! A missing device never stops the meeting: the engine leaves it out and
//! says why ([`MediaStatus::notes`]), and the meeting goes on audio-only or
//! listen-only. Synthetic sources (tone and test pattern) are used only
//! when asked for with `BREAKOUT_SYNTHETIC_MEDIA=1`.

pub mod frames;
pub mod jpeg;
pub mod levels;
pub mod protocol;
pub mod run;
pub mod tiles;

use std::sync::{Arc, Mutex};

use breakout_client::Connection;
use breakout_client::media::screen;
use breakout_client::media::{
    AudioOutput, AudioSource, MediaConfig, MediaError, MediaSession, ScreenSource, ScreenTarget,
    VideoSource,
};
use breakout_client::protocol::Command;
use breakout_client::protocol::media::{MediaKind, Slot};

use crate::IpcError;
use crate::ipc::{DeviceKind, MediaPhase, MediaStatus};
use crate::sink::Sink;

pub use frames::FrameStore;
pub use run::MediaRun;

/// The environment variable that asks for synthetic sources.
pub const SYNTHETIC_ENV: &str = "BREAKOUT_SYNTHETIC_MEDIA";
/// The test pattern's frame rate when synthetic: what the tiles show at most.
const PATTERN_FPS: u32 = 15;

/// Which sources to open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaOptions {
    /// Tone and test pattern instead of devices (tests, demos).
    pub synthetic: bool,
    pub microphone: Option<String>,
    pub speaker: Option<String>,
    /// A camera's index, as `list_devices` gives it.
    pub camera: Option<u32>,
}

impl MediaOptions {
    /// Synthetic when the environment says so; devices otherwise.
    pub fn from_env() -> Self {
        let synthetic = std::env::var(SYNTHETIC_ENV).is_ok_and(|v| !v.is_empty() && v != "0");
        MediaOptions {
            synthetic,
            ..Default::default()
        }
    }

    /// Records a device picked in the UI.
    pub fn choose(&mut self, kind: DeviceKind, id: &str) {
        match kind {
            DeviceKind::Microphone => self.microphone = Some(id.to_string()),
            DeviceKind::Speaker => self.speaker = Some(id.to_string()),
            DeviceKind::Camera => self.camera = id.parse().ok(),
        }
    }

    /// The engine's configuration for a meeting at `server`.
    pub fn config(&self, server: &str, mic_on: bool, camera_on: bool) -> MediaConfig {
        let output = AudioOutput::Speaker(self.speaker.clone());
        let mut config = if self.synthetic {
            MediaConfig::new(
                AudioSource::Tone,
                VideoSource::Pattern { fps: PATTERN_FPS },
                output,
            )
        } else {
            let mut config = MediaConfig::new(
                AudioSource::Microphone(self.microphone.clone()),
                VideoSource::Camera(self.camera),
                output,
            );
            // A camera of 640×360 or more goes out as three layers, so a
            // grid of small tiles costs the others a fraction of full
            // pictures; a smaller one stays one picture.
            config.simulcast = true;
            config
        };
        config.mic_on = mic_on;
        config.camera_on = camera_on;
        config.for_server(server)
    }
}

/// The mic and camera state the person asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Wanted {
    mic: bool,
    camera: bool,
}

/// One meeting's media: see the [module docs](self).
pub struct AppMedia {
    frames: Arc<FrameStore>,
    sink: Arc<dyn Sink>,
    options: Mutex<MediaOptions>,
    wanted: Mutex<Wanted>,
    session: Mutex<Option<Arc<MediaSession>>>,
    status: Mutex<MediaStatus>,
}

impl AppMedia {
    /// Media with `options`, starting with mic and camera on (where they
    /// exist), frames into `frames`, status and levels to `sink`.
    pub fn new(options: MediaOptions, frames: Arc<FrameStore>, sink: Arc<dyn Sink>) -> Arc<Self> {
        let status = MediaStatus {
            synthetic: options.synthetic,
            ..Default::default()
        };
        Arc::new(AppMedia {
            frames,
            sink,
            options: Mutex::new(options),
            wanted: Mutex::new(Wanted {
                mic: true,
                camera: true,
            }),
            session: Mutex::default(),
            status: Mutex::new(status),
        })
    }

    pub fn status(&self) -> MediaStatus {
        lock(&self.status).clone()
    }

    pub fn frames(&self) -> &Arc<FrameStore> {
        &self.frames
    }

    /// Uses `id` for `kind` from now on. A running session swaps that
    /// source (or the speaker) on its own connection, so nobody sees a
    /// reconnect; otherwise the next session opens it. A device that cannot
    /// be opened is refused with the reason and the current one stays.
    pub fn use_device(&self, kind: DeviceKind, id: &str) -> Result<(), IpcError> {
        let options = {
            let mut options = lock(&self.options);
            options.choose(kind, id);
            options.clone()
        };
        let session = lock(&self.session).clone();
        let Some(session) = session.filter(|_| !options.synthetic) else {
            return Ok(());
        };
        let (replaced, word) = match kind {
            DeviceKind::Microphone => (
                session.replace_audio_source(&AudioSource::Microphone(options.microphone.clone())),
                "microphone",
            ),
            DeviceKind::Camera => (
                session.replace_video_source(&VideoSource::Camera(options.camera)),
                "camera",
            ),
            DeviceKind::Speaker => (
                session.replace_audio_output(&AudioOutput::Speaker(options.speaker.clone())),
                "speaker",
            ),
        };
        replaced.map_err(media_error)?;
        self.update(|s| {
            s.notes.retain(|note| !note.contains(word));
            s.has_mic = session.has_audio_source();
            s.has_camera = session.has_video_source();
        });
        Ok(())
    }

    /// Switches the mic and/or camera: the media session stops or resumes
    /// sending and tells the meeting. Without a running session only the
    /// meeting is told on `connection` (switching off), or the person is
    /// told why not.
    pub async fn set(
        &self,
        connection: Option<Arc<Connection>>,
        mic: Option<bool>,
        camera: Option<bool>,
    ) -> Result<(), IpcError> {
        let session = lock(&self.session).clone();
        let Some(session) = session else {
            if mic == Some(true) || camera == Some(true) {
                let status = self.status();
                let why = status.notes.last().cloned().unwrap_or_else(|| {
                    "media is not running yet; try again in a moment".to_string()
                });
                return Err(IpcError::new("media_unavailable", sentence(&why)));
            }
            let connection = connection.ok_or_else(IpcError::reconnecting)?;
            connection
                .request(breakout_client::protocol::ws::Request::Command {
                    command: Command::SetMedia { mic, camera },
                })
                .await?;
            self.remember(mic, camera);
            return Ok(());
        };
        if mic == Some(true) && !session.has_audio_source() {
            return Err(missing(
                &self.status(),
                "microphone",
                "No microphone to turn on",
            ));
        }
        if camera == Some(true) && !session.has_video_source() {
            return Err(missing(&self.status(), "camera", "No camera to turn on"));
        }
        if let Some(on) = mic {
            session.set_mic(on).await.map_err(media_error)?;
        }
        if let Some(on) = camera {
            session.set_camera(on).await.map_err(media_error)?;
            if !on {
                self.frames.forget(frames::SELF_MID);
            }
        }
        self.remember(mic, camera);
        Ok(())
    }

    /// Hold-to-talk to every room: while `active` the mic is sent (muted
    /// or not) and the server forwards it to everyone; the mute is left as
    /// it is. Letting go without a running session still tells the meeting.
    pub async fn speak_to_all(
        &self,
        connection: Option<Arc<Connection>>,
        active: bool,
    ) -> Result<(), IpcError> {
        let session = lock(&self.session).clone();
        match session {
            Some(session) if !active || session.has_audio_source() => {
                session.speak_to_all(active).await.map_err(media_error)
            }
            Some(_) => Err(missing(
                &self.status(),
                "microphone",
                "No microphone to speak to all rooms with",
            )),
            None if active => Err(IpcError::new(
                "media_unavailable",
                "Media is not running yet, so nobody would hear you; try again in a moment.",
            )),
            None => {
                let connection = connection.ok_or_else(IpcError::reconnecting)?;
                connection
                    .request(breakout_client::protocol::ws::Request::Command {
                        command: Command::SpeakToAll { active },
                    })
                    .await?;
                Ok(())
            }
        }
    }

    /// What can be shared: every screen and window of this desktop (and a
    /// test pattern first, with synthetic media).
    pub fn screens(&self) -> Result<Vec<ScreenTarget>, IpcError> {
        let mut targets = Vec::new();
        if lock(&self.options).synthetic {
            targets.push(ScreenTarget {
                source: ScreenSource::Pattern {
                    width: 1280,
                    height: 720,
                },
                title: "Test pattern".into(),
                width: 1280,
                height: 720,
            });
        }
        targets.extend(screen::screen_sources().map_err(media_error)?);
        Ok(targets)
    }

    /// Shares `source` with the room on the running session (nothing is
    /// renegotiated); refused with the meeting's sentence when the preset
    /// may not share or the room's screen is someone else's.
    pub async fn share_screen(&self, source: &ScreenSource) -> Result<(), IpcError> {
        let session = lock(&self.session).clone().ok_or_else(|| {
            IpcError::new(
                "media_unavailable",
                "Media is not running yet, so nobody would see your screen; try again in a moment.",
            )
        })?;
        session.share_screen(source).await.map_err(media_error)?;
        self.update(|s| s.sharing = true);
        Ok(())
    }

    /// Stops sharing; without a running session only the meeting is told.
    pub async fn stop_sharing(&self, connection: Option<Arc<Connection>>) -> Result<(), IpcError> {
        let session = lock(&self.session).clone();
        self.frames.forget(frames::SCREEN_SELF_MID);
        self.update(|s| s.sharing = false);
        match session {
            Some(session) => session.stop_sharing().await.map_err(media_error),
            None => {
                let connection = connection.ok_or_else(IpcError::reconnecting)?;
                connection
                    .request(breakout_client::protocol::ws::Request::Command {
                        command: Command::ShareScreen { active: false },
                    })
                    .await?;
                Ok(())
            }
        }
    }

    fn remember(&self, mic: Option<bool>, camera: Option<bool>) {
        let mut wanted = lock(&self.wanted);
        wanted.mic = mic.unwrap_or(wanted.mic);
        wanted.camera = camera.unwrap_or(wanted.camera);
    }

    fn config(&self, server: &str) -> MediaConfig {
        let wanted = *lock(&self.wanted);
        lock(&self.options).config(server, wanted.mic, wanted.camera)
    }

    fn set_session(&self, session: Option<Arc<MediaSession>>) {
        *lock(&self.session) = session;
    }

    /// Changes the status and tells the windows.
    fn update(&self, change: impl FnOnce(&mut MediaStatus)) {
        let status = {
            let mut status = lock(&self.status);
            change(&mut status);
            status.clone()
        };
        self.sink.media(&status);
    }

    /// The status of a running session: its sources, notes and slots.
    fn running(&self, session: &MediaSession) {
        let (video, screen) = video_slots(session);
        self.update(|s| {
            s.phase = MediaPhase::On;
            s.notes = session.notes().to_vec();
            s.has_mic = session.has_audio_source();
            s.has_camera = session.has_video_source();
            s.video = video;
            s.screen = screen;
            s.sharing = session.sharing();
        });
    }
}

/// Which participant each video slot shows, in slot order, and the screen
/// slot with who shares in it.
fn video_slots(session: &MediaSession) -> (Vec<Slot>, Option<Slot>) {
    let mut video = Vec::new();
    let mut screen = None;
    for c in session.counters() {
        if c.kind != MediaKind::Video {
            continue;
        }
        let slot = Slot {
            mid: c.mid,
            participant: c.participant,
        };
        if Some(slot.mid.as_str()) == session.screen_mid() {
            screen = Some(slot);
        } else {
            video.push(slot);
        }
    }
    (video, screen)
}

fn missing(status: &MediaStatus, kind: &str, fallback: &str) -> IpcError {
    let why = status
        .notes
        .iter()
        .find(|n| n.contains(kind))
        .cloned()
        .unwrap_or_else(|| fallback.to_string());
    IpcError::new(format!("no_{kind}"), sentence(&why))
}

fn media_error(error: MediaError) -> IpcError {
    match error {
        MediaError::Signaling(e) => e.into(),
        missing @ MediaError::NoDevice { .. } => {
            IpcError::new("no_device", sentence(&missing.to_string()))
        }
        other => IpcError::new("media_failed", sentence(&other.to_string())),
    }
}

/// "no camera found: …" → "No camera found: ….": the UI shows it as is.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_sources_only_when_asked() {
        let devices = MediaOptions::default().config("http://10.0.0.2:7000", true, false);
        assert!(matches!(devices.audio, AudioSource::Microphone(None)));
        assert!(matches!(devices.video, VideoSource::Camera(None)));
        assert!(devices.mic_on && !devices.camera_on);
        assert!(devices.simulcast, "a real camera is sent as simulcast");

        let synthetic = MediaOptions {
            synthetic: true,
            ..Default::default()
        }
        .config("http://127.0.0.1:7000", true, true);
        assert!(matches!(synthetic.audio, AudioSource::Tone));
        assert!(matches!(
            synthetic.video,
            VideoSource::Pattern { fps: PATTERN_FPS }
        ));
        assert!(synthetic.bind_ip.is_some_and(|ip| ip.is_loopback()));
        assert!(!synthetic.simulcast, "the 320×240 pattern is one picture");
    }

    #[test]
    fn chosen_devices_are_used() {
        let mut options = MediaOptions::default();
        options.choose(DeviceKind::Microphone, "alsa:hw1");
        options.choose(DeviceKind::Camera, "2");
        options.choose(DeviceKind::Speaker, "alsa:out");
        let config = options.config("http://127.0.0.1:1", false, false);
        assert!(matches!(config.audio, AudioSource::Microphone(Some(ref m)) if m == "alsa:hw1"));
        assert!(matches!(config.video, VideoSource::Camera(Some(2))));
        assert!(matches!(config.output, AudioOutput::Speaker(Some(ref s)) if s == "alsa:out"));
    }

    #[test]
    fn engine_notes_read_as_sentences() {
        assert_eq!(
            sentence("no camera found: plug one in; continuing with audio only"),
            "No camera found: plug one in; continuing with audio only."
        );
        assert_eq!(sentence("Done."), "Done.");
    }
}
