//! Bringing media up for a [`MediaSession`](super::MediaSession): sources,
//! the one offer, the tasks. The session is assembled from what this returns,
//! so this module knows only the configuration, never the session.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64};

use breakout_protocol::media::{MediaKind, SlotMap};
use breakout_protocol::ws::{Reply, Request};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::warn;
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::rtp_transceiver::rtp_codec::RTPCodecType;

use super::MediaError;
use super::config::MediaConfig;
use super::events::{EventSink, MediaEvent};
use super::peer;
use super::receive::{self, SlotState};
use super::send::{self, Switches};
use super::sources::{self, Sources, Wiring};
use crate::Connection;

/// Everything a session is made of once negotiated.
pub(super) struct Started {
    pub pc: Arc<RTCPeerConnection>,
    pub switches: Arc<Switches>,
    pub slots: Vec<Arc<SlotState>>,
    pub stop: watch::Sender<bool>,
    pub tasks: Vec<JoinHandle<()>>,
    pub sources: Sources,
    pub notes: Vec<String>,
    pub events_dropped: Arc<AtomicU64>,
    /// The slot map the answer came with.
    pub map: SlotMap,
    pub events: mpsc::Receiver<MediaEvent>,
}

/// Opens the sources, negotiates the one connection on `conn` and starts
/// sending and receiving.
pub(super) async fn negotiate(
    conn: &Connection,
    config: &MediaConfig,
) -> Result<Started, MediaError> {
    let participant = conn.participant();
    let (events, rx) = EventSink::new(config.event_capacity);
    let mut notes = Vec::new();

    // Devices open before the offer, so a missing one is known (and said)
    // before anyone hears or sees anything.
    let audio = sources::open_audio(&config.audio, participant, &events)
        .unwrap_or_else(|e| note(&mut notes, e, "others will not hear you"));
    let video = sources::open_video(&config.video, participant, &events)
        .unwrap_or_else(|e| note(&mut notes, e, "continuing with audio only"));
    let speaker = sources::open_output(&config.output, &events)
        .unwrap_or_else(|e| note(&mut notes, e, "you will not hear others"));

    let built = peer::build(
        config.bind_ip,
        conn.ice_servers(),
        config.audio_slots,
        config.video_slots,
        &format!("participant-{}", participant.0),
    )
    .await?;
    let pc = built.pc.clone();
    let offer = pc.create_offer(None).await?;
    let mut gathered = pc.gathering_complete_promise().await;
    pc.set_local_description(offer).await?;
    // Host candidates take milliseconds, STUN/TURN ones (when the server
    // hands out servers) a round trip; an offer with all of them needs no
    // trickle round trips.
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

    let switches = Arc::new(Switches {
        mic: AtomicBool::new(config.mic_on && audio.is_some()),
        camera: AtomicBool::new(config.camera_on && video.is_some()),
        keyframe: AtomicBool::new(false),
    });
    tasks.push(send::spawn_rtcp_reader(
        built.mic_transceiver.sender().await,
        None,
    ));
    tasks.push(send::spawn_rtcp_reader(
        built.camera_transceiver.sender().await,
        Some(switches.clone()),
    ));
    let sources = Sources::new(Wiring {
        participant,
        events: events.clone(),
        switches: switches.clone(),
        stop: stop_rx,
        slots: slots.clone(),
        mic_track: built.mic.clone(),
        camera_track: built.camera.clone(),
    });
    sources.run_audio(audio);
    sources.run_video(video);
    sources.run_output(speaker);

    Ok(Started {
        pc,
        switches,
        slots,
        stop,
        tasks,
        sources,
        notes,
        events_dropped: events.dropped(),
        map,
        events: rx,
    })
}

/// Records why a device was left out; the session goes on without it.
fn note<T>(notes: &mut Vec<String>, error: MediaError, consequence: &str) -> Option<T> {
    let sentence = format!("{error}; {consequence}");
    warn!("{sentence}");
    notes.push(sentence);
    None
}
