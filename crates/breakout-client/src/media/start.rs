//! Bringing a [`MediaSession`] up: sources, the one offer, the tasks.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use breakout_protocol::media::MediaKind;
use breakout_protocol::ws::{Reply, Request};
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::rtp_transceiver::rtp_codec::RTPCodecType;

use super::MediaError;
use super::devices;
use super::events::{EventSink, MediaEvent};
use super::peer;
use super::receive::{self, SlotState};
use super::send::{self, AudioInput, Switches, VideoInput};
use super::session::{AudioOutput, AudioSource, MediaConfig, MediaSession, VideoSource};
use super::synthetic::Tone;
use crate::Connection;

type Device = Box<dyn Send + Sync>;

pub async fn start(
    conn: Arc<Connection>,
    config: MediaConfig,
) -> Result<(MediaSession, mpsc::Receiver<MediaEvent>), MediaError> {
    let participant = conn.participant();
    let (events, rx) = EventSink::new(config.event_capacity);
    let mut notes = Vec::new();
    let mut kept: Vec<Device> = Vec::new();

    let audio = audio_input(&config.audio, participant, &events, &mut kept, &mut notes);
    let video = video_input(&config.video, participant, &events, &mut kept, &mut notes);
    let speaker = match &config.output {
        AudioOutput::None => None,
        AudioOutput::Speaker(name) => {
            let lost = events.clone();
            match devices::playout(name.as_deref(), move |message| {
                lost.send(MediaEvent::DeviceLost {
                    kind: "speaker",
                    message,
                })
            }) {
                Ok((stream, queue)) => {
                    kept.push(Box::new(stream));
                    Some(queue)
                }
                Err(e) => {
                    notes.push(format!("{e}; you will not hear others"));
                    None
                }
            }
        }
    };
    for note in &notes {
        warn!("{note}");
    }

    let built = peer::build(
        config.bind_ip,
        config.audio_slots,
        config.video_slots,
        &format!("participant-{}", participant.0),
    )
    .await?;
    let pc = built.pc.clone();
    let offer = pc.create_offer(None).await?;
    let mut gathered = pc.gathering_complete_promise().await;
    pc.set_local_description(offer).await?;
    // Host candidates only: gathering takes milliseconds, and an offer
    // with its candidates needs no trickle round trips.
    let _ = gathered.recv().await;
    let offer = pc
        .local_description()
        .await
        .ok_or_else(|| MediaError::Protocol("no local description".into()))?;

    let mut slots = Vec::new();
    for transceiver in &built.slots {
        let mid = transceiver
            .mid()
            .ok_or_else(|| MediaError::Protocol("a slot has no mid".into()))?;
        let kind = match transceiver.kind() {
            RTPCodecType::Video => MediaKind::Video,
            _ => MediaKind::Audio,
        };
        slots.push(Arc::new(SlotState::new(
            mid.to_string(),
            kind,
            config.jitter_frames,
        )));
    }
    let (stop, stop_rx) = watch::channel(false);
    let mut tasks = Vec::new();
    {
        let (slots, events, stop_rx, weak) = (
            slots.clone(),
            events.clone(),
            stop_rx.clone(),
            Arc::downgrade(&pc),
        );
        pc.on_track(Box::new(move |track, _, transceiver| {
            let mid = transceiver.mid();
            let slot = slots
                .iter()
                .find(|s| mid.as_deref() == Some(s.mid.as_str()))
                .cloned();
            if let (Some(slot), Some(pc)) = (slot, weak.upgrade()) {
                receive::spawn_reader(slot, track, pc, events.clone(), stop_rx.clone());
            }
            Box::pin(async {})
        }));
    }
    {
        let events = events.clone();
        pc.on_peer_connection_state_change(Box::new(move |state| {
            events.send(MediaEvent::Connection {
                state: state.to_string(),
            });
            Box::pin(async {})
        }));
    }

    let reply = conn.request(Request::MediaOffer { sdp: offer.sdp }).await?;
    let Reply::MediaAnswer { sdp, slots: map } = reply else {
        return Err(MediaError::Protocol(format!("offer answered {reply:?}")));
    };
    pc.set_remote_description(RTCSessionDescription::answer(sdp)?)
        .await?;

    let (has_audio, has_video) = (audio.is_some(), video.is_some());
    let switches = Arc::new(Switches {
        mic: AtomicBool::new(config.mic_on && audio.is_some()),
        camera: AtomicBool::new(config.camera_on && video.is_some()),
        keyframe: AtomicBool::new(false),
    });
    if let Some(input) = audio {
        tasks.push(send::spawn_audio(
            input,
            built.mic.clone(),
            switches.clone(),
            events.clone(),
            stop_rx.clone(),
        ));
    }
    if let Some(input) = video {
        tasks.push(send::spawn_video(
            input,
            built.camera.clone(),
            switches.clone(),
            events.clone(),
            stop_rx.clone(),
        ));
    }
    tasks.push(send::spawn_rtcp_reader(
        built.mic_transceiver.sender().await,
        None,
    ));
    tasks.push(send::spawn_rtcp_reader(
        built.camera_transceiver.sender().await,
        Some(switches.clone()),
    ));
    tasks.push(receive::spawn_playout(
        slots.clone(),
        speaker,
        events.clone(),
        stop_rx,
    ));

    let session = MediaSession {
        conn,
        pc,
        switches,
        slots,
        slot_version: Default::default(),
        stop,
        tasks,
        devices: kept,
        notes,
        has_audio,
        has_video,
        events_dropped: events.dropped(),
        closed: AtomicBool::new(false),
    };
    session.apply_slots(&map);
    // The meeting holds mic/camera state; make it match what we send.
    let (mic, camera) = (session.mic_on(), session.camera_on());
    if let Err(e) = session.tell(Some(mic), Some(camera)).await {
        session.switches.mic.store(false, Ordering::Relaxed);
        session.switches.camera.store(false, Ordering::Relaxed);
        return Err(e);
    }
    info!(participant = %participant, mic, camera, "media started");
    Ok((session, rx))
}

fn audio_input(
    source: &AudioSource,
    participant: breakout_protocol::ParticipantId,
    events: &EventSink,
    kept: &mut Vec<Device>,
    notes: &mut Vec<String>,
) -> Option<AudioInput> {
    match source {
        AudioSource::None => None,
        AudioSource::Tone => Some(AudioInput::Tone(Tone::for_participant(participant))),
        AudioSource::ToneBursts { on, period } => Some(AudioInput::Tone(
            Tone::for_participant(participant).bursts(*on, *period),
        )),
        AudioSource::Replay(packets) => Some(AudioInput::Encoded(packets.clone())),
        AudioSource::Microphone(name) => {
            let (tx, rx) = mpsc::channel(8);
            let lost = events.clone();
            let started = devices::capture(
                name.as_deref(),
                move |frame| {
                    // The encoder is behind: drop rather than queue latency.
                    let _ = tx.try_send(frame);
                },
                move |message| {
                    lost.send(MediaEvent::DeviceLost {
                        kind: "microphone",
                        message,
                    })
                },
            );
            match started {
                Ok(stream) => {
                    kept.push(Box::new(stream));
                    Some(AudioInput::Frames(rx))
                }
                Err(e) => {
                    notes.push(format!("{e}; others will not hear you"));
                    None
                }
            }
        }
    }
}

fn video_input(
    source: &VideoSource,
    participant: breakout_protocol::ParticipantId,
    events: &EventSink,
    kept: &mut Vec<Device>,
    notes: &mut Vec<String>,
) -> Option<VideoInput> {
    match source {
        VideoSource::None => None,
        VideoSource::Pattern { fps } => Some(VideoInput::Pattern {
            participant,
            fps: *fps,
        }),
        VideoSource::Replay { frames, fps } => Some(VideoInput::Encoded {
            frames: frames.clone(),
            fps: *fps,
        }),
        VideoSource::Camera(index) => camera_input(*index, events, kept, notes),
    }
}

#[cfg(feature = "camera")]
fn camera_input(
    index: Option<u32>,
    events: &EventSink,
    kept: &mut Vec<Device>,
    notes: &mut Vec<String>,
) -> Option<VideoInput> {
    let (tx, rx) = mpsc::channel(2);
    let lost = events.clone();
    let opened = super::camera::open(
        index,
        move |frame| {
            let _ = tx.try_send(frame);
        },
        move |message| {
            lost.send(MediaEvent::DeviceLost {
                kind: "camera",
                message,
            })
        },
    );
    match opened {
        Ok(stream) => {
            info!(camera = %stream.name, stream.width, stream.height, "camera open");
            kept.push(Box::new(stream));
            Some(VideoInput::Frames(rx))
        }
        Err(e) => {
            notes.push(format!("{e}; continuing with audio only"));
            None
        }
    }
}

#[cfg(not(feature = "camera"))]
fn camera_input(
    _index: Option<u32>,
    _events: &EventSink,
    _kept: &mut Vec<Device>,
    notes: &mut Vec<String>,
) -> Option<VideoInput> {
    notes.push(
        "this build has no camera support (feature `camera`); continuing with audio only".into(),
    );
    None
}
