//! `join --media …`: a participant that also carries media. Prints server
//! messages as `join` does, plus a `media_report` JSON line every
//! `--report-ms` with what it decoded per source (tone frequencies heard,
//! test patterns seen, other audio/pictures), its slot counters and its
//! uplink (bandwidth estimate, what the camera's encoder does with it) and
//! the camera's encodings (one, or one per simulcast layer, with what each
//! encoded: layers nobody receives stop).
//! Stdin lines are sent as in `join`; `{"type":"set_media",...}` also
//! switches the local mic/camera.
//!
//! Like `join`, it outlives its connection: when the socket drops (its
//! node died or drained) the media session is closed, the bot reconnects
//! through the address it started from (which leads, by 421, to whichever
//! node serves the meeting by then), resumes with its token and starts a
//! new media session (a new PeerConnection) with the mic and camera as they
//! were. Reports then count what the new session decodes, from zero, and
//! say which session it is (`media_session`, 1 for the first). Between two
//! sessions there are no reports, and stdin waits for the next connection.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use breakout_client::media::analysis::Received;
use breakout_client::media::synthetic::{pattern_size_error, tone_frequency};
use breakout_client::media::{
    AudioSource, EncodingStats, MediaConfig, MediaEvent, MediaSession, MediaTransport,
    SIMULCAST_PATTERN, Transport, UplinkStats, VideoSource,
};
use breakout_client::protocol::Command;
use breakout_client::protocol::fingerprint::CertFingerprint;
use breakout_client::protocol::ws::{Request, ServerMessage};
use breakout_client::{ConnectOptions, Connection, ResumePoint};
use clap::{Args, ValueEnum};
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;
use tokio::time::{Instant, interval, sleep, sleep_until};

use crate::input::parse_line;
use crate::join::{BACKOFF_FIRST, BACKOFF_MAX, print_line, resumable};

/// What the bot sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MediaMode {
    /// Signaling only.
    None,
    /// Its tone and moving test pattern (explicitly synthetic).
    Synthetic,
    /// The default microphone, camera and speaker; missing ones are left
    /// out with a note on stderr.
    Devices,
    /// Its tone and test pattern encoded once and replayed in a loop, and
    /// nothing received: a remote participant stood in for at the cost of
    /// sending packets only, so a machine can host many (load generators).
    Replay,
}

/// How `join` carries media.
#[derive(Args)]
pub struct MediaArgs {
    /// Carry media: `synthetic` sends its tone and test pattern and
    /// reports what it decodes (a `media_report` line every
    /// --report-ms); `devices` uses the default mic, camera and speaker.
    #[arg(long, value_enum, default_value = "none")]
    pub media: MediaMode,
    /// How often to print a media report.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    report_ms: u64,
    /// How media reaches the server: `auto` (UDP, or the media tunnel
    /// over the HTTP(S) port when UDP is blocked), `udp` or `tunnel`.
    #[arg(long, value_name = "HOW", default_value = "auto")]
    media_transport: MediaTransport,
    /// Send the camera as three simulcast layers (full, half, quarter
    /// size) when it is 640×360 or more; with `synthetic`, the test pattern
    /// is drawn at 640×360 for it unless --pattern-size says otherwise.
    #[arg(long)]
    simulcast: bool,
    /// With `synthetic`: draw the test pattern at WIDTHxHEIGHT (a width
    /// that is a multiple of 160), e.g. 1280x720.
    #[arg(long, value_name = "WIDTHxHEIGHT", value_parser = parse_pattern_size)]
    pattern_size: Option<(u32, u32)>,
    /// With `synthetic`: pictures of the test pattern per second (fewer
    /// spare the CPU of a machine that runs many bots).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=60))]
    fps: u32,
    /// With `replay`: also take the meeting's media like a participant
    /// (every downstream slot), counting it without decoding, so the
    /// server forwards to this bot as to a person.
    #[arg(long)]
    subscribe: bool,
}

/// `640x360` → (640, 360), if the test pattern can be drawn at that size.
fn parse_pattern_size(text: &str) -> Result<(u32, u32), String> {
    let size = text
        .split_once(['x', '×'])
        .and_then(|(w, h)| Some((w.trim().parse().ok()?, h.trim().parse().ok()?)));
    let Some((width, height)) = size else {
        return Err(format!(
            "{text:?} is not a size: WIDTHxHEIGHT, e.g. 640x360"
        ));
    };
    match pattern_size_error(width, height) {
        Some(reason) => Err(reason),
        None => Ok((width, height)),
    }
}

impl MediaArgs {
    fn config(&self, conn: &Connection) -> anyhow::Result<MediaConfig> {
        if self.pattern_size.is_some() && self.media != MediaMode::Synthetic {
            anyhow::bail!("--pattern-size is for the test pattern: use it with --media synthetic");
        }
        if self.subscribe && self.media != MediaMode::Replay {
            anyhow::bail!("--subscribe is for load generators: use it with --media replay");
        }
        if self.fps != 30 && self.media != MediaMode::Synthetic {
            anyhow::bail!("--fps is for the test pattern: use it with --media synthetic");
        }
        let mut config = match self.media {
            MediaMode::Synthetic => {
                let mut config = MediaConfig::synthetic();
                let fps = self.fps;
                config.video = VideoSource::Pattern { fps };
                let size = self
                    .pattern_size
                    .or(self.simulcast.then_some(SIMULCAST_PATTERN));
                if let Some((width, height)) = size {
                    config.video = VideoSource::SizedPattern { fps, width, height };
                }
                config
            }
            MediaMode::Devices => {
                let mut config = MediaConfig::devices();
                config.mic_on = true;
                config.camera_on = true;
                config
            }
            // Stands in for a remote person: sends, and receives nothing or
            // only counts what arrives.
            MediaMode::Replay => {
                let mut config = MediaConfig::replaying(conn.participant(), 15);
                if self.subscribe {
                    config.decode = false;
                } else {
                    config.audio_slots = 0;
                    config.video_slots = 0;
                }
                config
            }
            MediaMode::None => unreachable!("handled by join"),
        };
        config.simulcast = self.simulcast;
        config.transport = self.media_transport;
        Ok(config)
    }
}

#[derive(Serialize)]
struct Report<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    participant: u64,
    elapsed_ms: u128,
    /// Which media session this is: 1, then one more per reconnect.
    media_session: u32,
    /// The tone this bot sends (synthetic audio), for telling it apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    tone_hz: Option<u32>,
    mic: bool,
    camera: bool,
    connection: String,
    transport: Transport,
    received: &'a Received,
    slots: Vec<breakout_client::media::SlotCounters>,
    events_dropped: u64,
    uplink: UplinkStats,
    camera_encodings: Vec<EncodingStats>,
}

/// One signaling connection and the media session on it.
struct Live {
    conn: Arc<Connection>,
    messages: mpsc::Receiver<ServerMessage>,
    media: MediaSession,
    events: mpsc::Receiver<MediaEvent>,
}

impl Live {
    async fn start(
        conn: Connection,
        messages: mpsc::Receiver<ServerMessage>,
        config: MediaConfig,
    ) -> Result<Live, breakout_client::media::MediaError> {
        let conn = Arc::new(conn);
        let (media, events) = MediaSession::start(conn.clone(), config).await?;
        for note in media.notes() {
            eprintln!("media: {note}");
        }
        Ok(Live {
            conn,
            messages,
            media,
            events,
        })
    }
}

/// Why a reconnect did not give a running session.
enum Failed {
    /// Worth another try (the node is down, the meeting not taken over yet).
    Retry(String),
    /// The token was refused: retrying cannot help.
    Never(anyhow::Error),
}

/// Reconnects through `server` as the same participant and starts a new
/// media session there with `config` (the mic and camera as they were).
async fn resume_media(
    server: &str,
    pin: Option<CertFingerprint>,
    token: &str,
    resume: &ResumePoint,
    config: MediaConfig,
) -> Result<Live, Failed> {
    let options = ConnectOptions::default().pin(pin).resume(resume);
    let (conn, messages) = match Connection::connect_with(server, token, options).await {
        Ok(connected) => connected,
        Err(e) if resumable(&e) => return Err(Failed::Retry(e.to_string())),
        Err(e) => return Err(Failed::Never(anyhow::Error::new(e).context("resuming"))),
    };
    // A session that cannot start on this connection (its node went down
    // meanwhile) is tried again on the next one.
    Live::start(conn, messages, config)
        .await
        .map_err(|e| Failed::Retry(format!("starting media: {e}")))
}

pub async fn run(
    server: &str,
    pin: Option<CertFingerprint>,
    token: &str,
    args: MediaArgs,
    exit_after_ms: Option<u64>,
) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let exit_at = exit_after_ms.map(|ms| started + Duration::from_millis(ms));
    // The first connection must work: a typo should fail fast, not retry.
    let options = ConnectOptions::default().pin(pin);
    let (conn, messages) = Connection::connect_with(server, token, options)
        .await
        .context("connecting")?;
    let resume = conn.resume_point();
    let mut config = args.config(&conn)?.for_server(server);
    let tone_hz = matches!(config.audio, AudioSource::Tone)
        .then(|| tone_frequency(conn.participant()).round() as u32);
    let mut link = Some(
        Live::start(conn, messages, config.clone())
            .await
            .context("starting media")?,
    );
    let mut media_session = 1;
    let mut backoff = BACKOFF_FIRST;
    let mut received = Received::default();
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = true;
    let mut reports = interval(Duration::from_millis(args.report_ms.max(50)));
    let far = started + Duration::from_secs(365 * 24 * 3600);
    loop {
        let Some(live) = link.as_mut() else {
            tokio::select! {
                () = sleep_until(exit_at.unwrap_or(far)) => break,
                () = sleep(backoff) => {}
            }
            match resume_media(server, pin, token, &resume, config.clone()).await {
                Ok(resumed) => {
                    media_session += 1;
                    eprintln!("reconnected; media session {media_session}");
                    received.clear();
                    link = Some(resumed);
                    backoff = BACKOFF_FIRST;
                }
                Err(Failed::Retry(reason)) => {
                    eprintln!("reconnect failed ({reason}); retrying in {backoff:?}");
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                }
                Err(Failed::Never(e)) => return Err(e),
            }
            continue;
        };
        let (conn, media) = (&live.conn, &live.media);
        let mut lost = false;
        tokio::select! {
            message = live.messages.recv() => match message {
                Some(message) => {
                    if let Err(e) = media.handle(&message).await {
                        eprintln!("media: {e}");
                    }
                    print_line(&message)?;
                }
                None => lost = true,
            },
            event = live.events.recv() => match event {
                Some(MediaEvent::DeviceLost { kind, message }) => {
                    eprintln!("media: {kind} lost: {message}");
                }
                Some(MediaEvent::Connection { state }) => eprintln!("media: connection {state}"),
                Some(event) => { received.add(&event); }
                // Its signaling went first: that is a lost connection.
                None if conn.is_closed() => lost = true,
                None => anyhow::bail!("media stopped"),
            },
            _ = reports.tick() => {
                print_line(&Report {
                    kind: "media_report",
                    participant: media.participant().0,
                    elapsed_ms: started.elapsed().as_millis(),
                    media_session,
                    tone_hz,
                    mic: media.mic_on(),
                    camera: media.camera_on(),
                    connection: media.connection_state(),
                    transport: media.transport(),
                    received: &received,
                    slots: media.counters(),
                    events_dropped: media.events_dropped(),
                    uplink: media.uplink(),
                    camera_encodings: media.camera_encodings(),
                })?;
            }
            line = lines.next_line(), if stdin_open => match line.context("reading stdin")? {
                Some(line) if line.trim().is_empty() => {}
                Some(line) => match parse_line(&line, || conn.next_id()) {
                    Ok(message) => {
                        // Local switches follow the meeting state we ask for.
                        if let Request::Command { command: Command::SetMedia { mic, camera } } = &message.request {
                            let result = match (mic, camera) {
                                (Some(on), _) => media.set_mic(*on).await,
                                (None, Some(on)) => media.set_camera(*on).await,
                                _ => Ok(()),
                            };
                            if let (Some(_), Some(on)) = (mic, camera) {
                                let _ = media.set_camera(*on).await;
                            }
                            if let Err(e) = result {
                                eprintln!("media: {e}");
                            }
                            continue;
                        }
                        // Hold-to-talk sends the mic while held, muted or not.
                        if let Request::Command { command: Command::SpeakToAll { active } } = &message.request {
                            if let Err(e) = media.speak_to_all(*active).await {
                                eprintln!("media: {e}");
                            }
                            continue;
                        }
                        if let Err(e) = conn.send(&message) {
                            eprintln!("not sent ({e}): {line}");
                        }
                    }
                    Err(e) => eprintln!("ignored line ({e}): {line}"),
                },
                None => {
                    stdin_open = false;
                    if exit_at.is_none() {
                        break;
                    }
                }
            },
            () = sleep_until(exit_at.unwrap_or(far)), if exit_at.is_some() => break,
        }
        if lost && let Some(Live { media, .. }) = link.take() {
            eprintln!("connection lost; reconnecting");
            // The next session sends what this one did.
            config.mic_on = media.mic_on();
            config.camera_on = media.camera_on();
            media.close().await;
            backoff = BACKOFF_FIRST;
        }
    }
    if let Some(Live { media, .. }) = link {
        media.close().await;
    }
    Ok(ExitCode::SUCCESS)
}
