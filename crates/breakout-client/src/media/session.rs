//! [`MediaSession`]: one participant's media for the whole meeting.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use breakout_protocol::media::{IceCandidate, MediaStats, SlotMap};
use breakout_protocol::ws::{Reply, Request, ServerMessage};
use breakout_protocol::{Command, ParticipantId};
use bytes::Bytes;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::warn;
use webrtc::ice_transport::ice_candidate::RTCIceCandidateInit;
use webrtc::peer_connection::RTCPeerConnection;

use super::events::{MediaEvent, SlotCounters};
use super::receive::SlotState;
use super::send::Switches;
use super::sources::Sources;
use super::{MediaError, start};
use crate::{Connection, server_url};

/// What the mic track carries.
#[derive(Debug, Clone)]
pub enum AudioSource {
    /// Nothing (listen only).
    None,
    /// The participant's tone ([`super::synthetic::tone_frequency`]).
    Tone,
    /// The tone in bursts: `on` frames of sound every `period` frames; each
    /// onset is reported as [`MediaEvent::Onset`] (latency measurements).
    ToneBursts { on: u64, period: u64 },
    /// A microphone: the default one, or this id or name.
    Microphone(Option<String>),
    /// Pre-encoded Opus 20 ms packets replayed in a loop (load generators).
    Replay(Arc<[Bytes]>),
}

/// What the camera track carries.
#[derive(Debug, Clone)]
pub enum VideoSource {
    None,
    /// The participant's moving test pattern, 320×240.
    Pattern {
        fps: u32,
    },
    /// A camera: the first one, or this index.
    Camera(Option<u32>),
    /// A pre-encoded VP8 clip starting with a keyframe, replayed in a loop.
    Replay {
        frames: Arc<[Bytes]>,
        fps: u32,
    },
}

/// Where the mix of the audio slots goes (slot frames are always reported
/// as [`MediaEvent::Audio`] too).
#[derive(Debug, Clone)]
pub enum AudioOutput {
    None,
    /// A speaker: the default one, or this id or name.
    Speaker(Option<String>),
}

#[derive(Debug, Clone)]
pub struct MediaConfig {
    pub audio: AudioSource,
    pub video: VideoSource,
    pub output: AudioOutput,
    /// Mic and camera state to start with; sent to the meeting as
    /// `SetMedia` once media is up.
    pub mic_on: bool,
    pub camera_on: bool,
    pub audio_slots: usize,
    pub video_slots: usize,
    /// Jitter buffer delay in 20 ms frames.
    pub jitter_frames: usize,
    /// The local address to gather candidates on (`None`: every interface;
    /// a server on this machine needs loopback, see [`MediaConfig::for_server`]).
    pub bind_ip: Option<IpAddr>,
    /// Events buffered for the caller before new ones are dropped.
    pub event_capacity: usize,
}

impl MediaConfig {
    /// Devices by default, nothing published until switched on.
    pub fn new(audio: AudioSource, video: VideoSource, output: AudioOutput) -> Self {
        MediaConfig {
            audio,
            video,
            output,
            mic_on: false,
            camera_on: false,
            audio_slots: breakout_protocol::media::AUDIO_SLOTS,
            video_slots: breakout_protocol::media::VIDEO_SLOTS,
            jitter_frames: 2,
            bind_ip: None,
            event_capacity: 1024,
        }
    }

    /// Tone and test pattern, both on; no speaker.
    pub fn synthetic() -> Self {
        let mut config = Self::new(
            AudioSource::Tone,
            VideoSource::Pattern { fps: 30 },
            AudioOutput::None,
        );
        config.mic_on = true;
        config.camera_on = true;
        config
    }

    /// `participant`'s tone and test pattern encoded once and sent in a
    /// loop (two seconds of video at `fps`), both on; no speaker. Costs only
    /// the packets, so many can run on one machine as remote people would.
    pub fn replaying(participant: ParticipantId, fps: u32) -> Self {
        let mut config = Self::new(
            AudioSource::Replay(super::encode_tone_clip(participant, 50).into()),
            VideoSource::Replay {
                frames: super::encode_pattern_clip(participant, 2 * fps).into(),
                fps,
            },
            AudioOutput::None,
        );
        config.mic_on = true;
        config.camera_on = true;
        config
    }

    /// The default microphone, camera and speaker.
    pub fn devices() -> Self {
        Self::new(
            AudioSource::Microphone(None),
            VideoSource::Camera(None),
            AudioOutput::Speaker(None),
        )
    }

    /// Gathers on loopback when `server` is on this machine.
    pub fn for_server(mut self, server: &str) -> Self {
        let local = server_url::http_base(server).ok().and_then(|url| {
            let host = url.host_str()?.trim_matches(['[', ']']).to_string();
            let ip: Option<IpAddr> = host.parse().ok();
            (host == "localhost" || ip.is_some_and(|ip| ip.is_loopback()))
                .then_some(IpAddr::V4(Ipv4Addr::LOCALHOST))
        });
        if local.is_some() {
            self.bind_ip = local;
        }
        self
    }
}

/// One participant's media: see the [module docs](super).
pub struct MediaSession {
    pub(super) conn: Arc<Connection>,
    pub(super) pc: Arc<RTCPeerConnection>,
    pub(super) switches: Arc<Switches>,
    pub(super) slots: Vec<Arc<SlotState>>,
    pub(super) slot_version: Mutex<Option<u64>>,
    pub(super) stop: watch::Sender<bool>,
    pub(super) tasks: Vec<JoinHandle<()>>,
    /// Mic, camera and playout, each replaceable on its own.
    pub(super) sources: Sources,
    pub(super) notes: Vec<String>,
    pub(super) events_dropped: Arc<AtomicU64>,
    pub(super) closed: AtomicBool,
}

impl MediaSession {
    /// Negotiates media on `conn` (its one offer) and starts sending and
    /// receiving. Missing devices do not fail the call: they are left out
    /// and explained in [`MediaSession::notes`].
    pub async fn start(
        conn: Arc<Connection>,
        config: MediaConfig,
    ) -> Result<(MediaSession, mpsc::Receiver<MediaEvent>), MediaError> {
        start::start(conn, config).await
    }

    /// Sentences about devices left out ("no camera found: …").
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    pub fn participant(&self) -> ParticipantId {
        self.conn.participant()
    }

    /// Whether the mic track has a source (a device, tone or replay): when
    /// not, switching the mic on sends nothing.
    pub fn has_audio_source(&self) -> bool {
        self.sources.has_audio()
    }

    /// Whether the camera track has a source.
    pub fn has_video_source(&self) -> bool {
        self.sources.has_video()
    }

    /// Sends `source` on the mic track from now on, in place of the one
    /// before, on the same connection: nothing is renegotiated and the
    /// others hear the new device within a frame. When it cannot be opened
    /// the error says why and the old source carries on.
    /// [`AudioSource::None`] stops sending.
    pub fn replace_audio_source(&self, source: &AudioSource) -> Result<(), MediaError> {
        self.sources.set_audio(source)
    }

    /// As [`MediaSession::replace_audio_source`], for the camera; the new
    /// source starts with a keyframe.
    pub fn replace_video_source(&self, source: &VideoSource) -> Result<(), MediaError> {
        self.sources.set_video(source)
    }

    /// Plays to `output` from now on; when it cannot be opened the error
    /// says why and playout carries on where it was.
    pub fn replace_audio_output(&self, output: &AudioOutput) -> Result<(), MediaError> {
        self.sources.set_output(output)
    }

    /// Takes in what concerns media among the server's messages (slot maps,
    /// ICE candidates); everything else is ignored.
    pub async fn handle(&self, message: &ServerMessage) -> Result<(), MediaError> {
        match message {
            ServerMessage::Slots { slots } => self.apply_slots(slots),
            ServerMessage::MediaCandidate { candidate } => {
                self.add_remote_candidate(candidate).await?
            }
            _ => {}
        }
        Ok(())
    }

    /// Records who each slot shows now. Maps older than the newest seen are
    /// ignored (a push can overtake the reply that carried an older one).
    pub fn apply_slots(&self, map: &SlotMap) {
        let mut version = self.slot_version.lock().unwrap_or_else(|e| e.into_inner());
        if version.is_some_and(|v| v > map.version) {
            return;
        }
        *version = Some(map.version);
        for entry in map.audio.iter().chain(&map.video) {
            if let Some(slot) = self.slots.iter().find(|s| s.mid == entry.mid) {
                *slot.participant.write().unwrap_or_else(|e| e.into_inner()) = entry.participant;
            }
        }
    }

    pub async fn add_remote_candidate(&self, candidate: &IceCandidate) -> Result<(), MediaError> {
        if candidate.candidate.is_empty() {
            return Ok(()); // end of candidates
        }
        self.pc
            .add_ice_candidate(RTCIceCandidateInit {
                candidate: candidate.candidate.clone(),
                sdp_mid: candidate.sdp_mid.clone(),
                sdp_mline_index: candidate.sdp_mline_index,
                username_fragment: candidate.username_fragment.clone(),
            })
            .await?;
        Ok(())
    }

    pub fn mic_on(&self) -> bool {
        self.switches.mic.load(Ordering::Relaxed)
    }

    pub fn camera_on(&self) -> bool {
        self.switches.camera.load(Ordering::Relaxed)
    }

    /// Mutes or unmutes: sending stops (or resumes) at once, then the
    /// meeting is told. A refusal (no permission) restores the old state.
    pub async fn set_mic(&self, on: bool) -> Result<(), MediaError> {
        let before = self.switches.mic.swap(on, Ordering::Relaxed);
        let result = self.tell(Some(on), None).await;
        if result.is_err() {
            self.switches.mic.store(before, Ordering::Relaxed);
        }
        result
    }

    /// Turns the camera on or off, as [`MediaSession::set_mic`] does.
    pub async fn set_camera(&self, on: bool) -> Result<(), MediaError> {
        let before = self.switches.camera.swap(on, Ordering::Relaxed);
        // Whoever watches gets a picture they can decode straight away.
        self.switches.keyframe.store(on, Ordering::Relaxed);
        let result = self.tell(None, Some(on)).await;
        if result.is_err() {
            self.switches.camera.store(before, Ordering::Relaxed);
        }
        result
    }

    pub(super) async fn tell(
        &self,
        mic: Option<bool>,
        camera: Option<bool>,
    ) -> Result<(), MediaError> {
        self.conn.command(Command::SetMedia { mic, camera }).await?;
        Ok(())
    }

    /// Asks the source of a video slot for a keyframe through signaling
    /// (the decoder also asks by RTCP PLI on its own when it loses sync).
    pub async fn request_keyframe(&self, mid: &str) -> Result<(), MediaError> {
        let mid = mid.to_string();
        self.conn.request(Request::RequestKeyframe { mid }).await?;
        Ok(())
    }

    /// This client's counters, slot by slot.
    pub fn counters(&self) -> Vec<SlotCounters> {
        self.slots
            .iter()
            .map(|s| {
                let c = &s.counters;
                let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
                SlotCounters {
                    mid: s.mid.clone(),
                    kind: s.kind,
                    participant: s.participant(),
                    packets: get(&c.packets),
                    bytes: get(&c.bytes),
                    frames_decoded: get(&c.frames_decoded),
                    keyframes_decoded: get(&c.keyframes_decoded),
                    keyframe_requests: get(&c.keyframe_requests),
                    decode_errors: get(&c.decode_errors),
                    frames_lost: get(&c.frames_lost),
                    jitter: s
                        .jitter
                        .as_ref()
                        .map(|j| j.lock().unwrap_or_else(|e| e.into_inner()).stats().into()),
                }
            })
            .collect()
    }

    /// Events dropped because the receiver was not read fast enough.
    pub fn events_dropped(&self) -> u64 {
        self.events_dropped.load(Ordering::Relaxed)
    }

    /// The server's counters for this connection.
    pub async fn server_stats(&self) -> Result<MediaStats, MediaError> {
        match self.conn.request(Request::GetMediaStats).await? {
            Reply::MediaStats { stats } => Ok(*stats),
            other => Err(MediaError::Protocol(format!(
                "stats request answered {other:?}"
            ))),
        }
    }

    /// The peer connection's state as WebRTC names it.
    pub fn connection_state(&self) -> String {
        self.pc.connection_state().to_string()
    }

    /// Stops every task and device and closes the peer connection.
    pub async fn close(mut self) {
        self.shutdown().await;
    }

    async fn shutdown(&mut self) {
        if self.closed.swap(true, Ordering::Relaxed) {
            return;
        }
        let _ = self.stop.send(true);
        if let Err(e) = self.pc.close().await {
            warn!(error = %e, "closing the peer connection");
        }
        for task in self.tasks.drain(..) {
            task.abort();
        }
        self.sources.stop_all();
    }
}

impl Drop for MediaSession {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for task in &self.tasks {
            task.abort();
        }
        if !self.closed.swap(true, Ordering::Relaxed) {
            let pc = self.pc.clone();
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move {
                    let _ = pc.close().await;
                });
            }
        }
    }
}
