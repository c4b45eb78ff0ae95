//! `join --media …`: a participant that also carries media. Prints server
//! messages as `join` does, plus a `media_report` JSON line every
//! `--report-ms` with what it decoded per source (tone frequencies heard,
//! test patterns seen, other audio/pictures), its slot counters and its
//! uplink (bandwidth estimate, what the camera's encoder does with it).
//! Stdin lines are sent as in `join`; `{"type":"set_media",...}` also
//! switches the local mic/camera.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use breakout_client::media::analysis::Received;
use breakout_client::media::{
    MediaConfig, MediaEvent, MediaSession, MediaTransport, Transport, UplinkStats,
};
use breakout_client::protocol::Command;
use breakout_client::protocol::fingerprint::CertFingerprint;
use breakout_client::protocol::ws::Request;
use breakout_client::{ConnectOptions, Connection};
use clap::ValueEnum;
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::time::{Instant, interval, sleep_until};

use crate::input::parse_line;
use crate::join::print_line;

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

#[derive(Serialize)]
struct Report<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    participant: u64,
    elapsed_ms: u128,
    mic: bool,
    camera: bool,
    connection: String,
    transport: Transport,
    received: &'a Received,
    slots: Vec<breakout_client::media::SlotCounters>,
    events_dropped: u64,
    uplink: UplinkStats,
}

pub async fn run(
    server: &str,
    pin: Option<CertFingerprint>,
    token: &str,
    mode: MediaMode,
    transport: MediaTransport,
    exit_after_ms: Option<u64>,
    report_ms: u64,
) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let exit_at = exit_after_ms.map(|ms| started + Duration::from_millis(ms));
    let options = ConnectOptions::default().pin(pin);
    let (conn, mut messages) = Connection::connect_with(server, token, options)
        .await
        .context("connecting")?;
    let conn = Arc::new(conn);
    let config = match mode {
        MediaMode::Synthetic => MediaConfig::synthetic(),
        MediaMode::Devices => {
            let mut config = MediaConfig::devices();
            config.mic_on = true;
            config.camera_on = true;
            config
        }
        MediaMode::Replay => {
            // Stands in for a remote person: sends, receives nothing.
            let mut config = MediaConfig::replaying(conn.participant(), 15);
            config.audio_slots = 0;
            config.video_slots = 0;
            config
        }
        MediaMode::None => unreachable!("handled by join"),
    };
    let mut config = config.for_server(server);
    config.transport = transport;
    let (media, mut events) = MediaSession::start(conn.clone(), config)
        .await
        .context("starting media")?;
    for note in media.notes() {
        eprintln!("media: {note}");
    }
    let mut received = Received::default();
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = true;
    let mut reports = interval(Duration::from_millis(report_ms.max(50)));
    let far = started + Duration::from_secs(365 * 24 * 3600);
    loop {
        tokio::select! {
            message = messages.recv() => {
                let Some(message) = message else {
                    anyhow::bail!("connection lost");
                };
                if let Err(e) = media.handle(&message).await {
                    eprintln!("media: {e}");
                }
                print_line(&message)?;
            }
            event = events.recv() => match event {
                Some(MediaEvent::DeviceLost { kind, message }) => {
                    eprintln!("media: {kind} lost: {message}");
                }
                Some(MediaEvent::Connection { state }) => eprintln!("media: connection {state}"),
                Some(event) => { received.add(&event); }
                None => anyhow::bail!("media stopped"),
            },
            _ = reports.tick() => {
                print_line(&Report {
                    kind: "media_report",
                    participant: media.participant().0,
                    elapsed_ms: started.elapsed().as_millis(),
                    mic: media.mic_on(),
                    camera: media.camera_on(),
                    connection: media.connection_state(),
                    transport: media.transport(),
                    received: &received,
                    slots: media.counters(),
                    events_dropped: media.events_dropped(),
                    uplink: media.uplink(),
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
    }
    media.close().await;
    Ok(ExitCode::SUCCESS)
}
