//! [`MediaSession`]: one participant's media for the whole meeting.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use breakout_protocol::media::{IceCandidate, Layer, MediaStats, SlotMap};
use breakout_protocol::ws::{Reply, Request, ServerMessage};
use breakout_protocol::{Command, MeetingView, ParticipantId};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::{info, warn};
use webrtc::ice_transport::ice_candidate::RTCIceCandidateInit;
use webrtc::peer_connection::RTCPeerConnection;

use super::bwe::{Uplink, UplinkStats};
use super::config::{AudioOutput, AudioSource, MediaConfig, VideoSource};
use super::encodings::{Encoding, EncodingStats};
use super::events::{EventSink, JitterCounters, MediaEvent, SlotCounters, Transport};
use super::receive::SlotState;
use super::screen::ScreenSource;
use super::send::Switches;
use super::simulcast::LayerSet;
use super::sources::Sources;
use super::tunnel::TunnelConn;
use super::{MediaError, start};
use crate::Connection;

/// One participant's media: see the [module docs](super).
pub struct MediaSession {
    conn: Arc<Connection>,
    pc: Arc<RTCPeerConnection>,
    switches: Arc<Switches>,
    slots: Vec<Arc<SlotState>>,
    slot_version: Mutex<Option<u64>>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    /// Mic, camera and playout, each replaceable on its own.
    sources: Sources,
    notes: Vec<String>,
    events_dropped: Arc<AtomicU64>,
    events: EventSink,
    closed: AtomicBool,
    transport: Transport,
    tunnel: Option<TunnelConn>,
    uplink: Arc<Uplink>,
    camera: Arc<[Encoding]>,
    /// The `mid` of the screen slot, when negotiated.
    screen_mid: Option<String>,
    /// A view has shown our share as the room's since it started (see
    /// `follow_share`).
    share_confirmed: AtomicBool,
}

impl MediaSession {
    /// Negotiates media on `conn` (its one offer) and starts sending and
    /// receiving. Missing devices do not fail the call: they are left out
    /// and explained in [`MediaSession::notes`].
    pub async fn start(
        conn: Arc<Connection>,
        config: MediaConfig,
    ) -> Result<(MediaSession, mpsc::Receiver<MediaEvent>), MediaError> {
        let participant = conn.participant();
        let started = start::negotiate(&conn, &config).await?;
        let session = MediaSession {
            conn,
            pc: started.pc,
            switches: started.switches,
            slots: started.slots,
            slot_version: Default::default(),
            stop: started.stop,
            tasks: started.tasks,
            sources: started.sources,
            notes: started.notes,
            events_dropped: started.events_dropped,
            events: started.sink,
            closed: AtomicBool::new(false),
            transport: started.transport,
            tunnel: started.tunnel,
            uplink: started.uplink,
            camera: started.camera,
            screen_mid: started.map.screen.as_ref().map(|slot| slot.mid.clone()),
            share_confirmed: AtomicBool::new(false),
        };
        session.apply_slots(&started.map);
        // The meeting holds mic/camera state; make it match what we send.
        let (mic, camera) = (session.mic_on(), session.camera_on());
        if let Err(e) = session.tell(Some(mic), Some(camera)).await {
            session.switches.mic.store(false, Ordering::Relaxed);
            session.switches.camera.store(false, Ordering::Relaxed);
            return Err(e);
        }
        info!(participant = %participant, mic, camera, transport = ?session.transport, "media started");
        Ok((session, started.events))
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
    /// ICE candidates, the camera layers anyone receives); everything else
    /// is ignored.
    pub async fn handle(&self, message: &ServerMessage) -> Result<(), MediaError> {
        match message {
            ServerMessage::Slots { slots } => self.apply_slots(slots),
            ServerMessage::MediaCandidate { candidate } => {
                self.add_remote_candidate(candidate).await?
            }
            ServerMessage::CameraLayers { wanted } => self.apply_wanted_layers(wanted),
            ServerMessage::State { view } => self.follow_share(view),
            _ => {}
        }
        Ok(())
    }

    /// Shares `source` with the room, on the screen track negotiated when
    /// media started: nothing is renegotiated and mic and camera carry on.
    /// The source is opened first (a window that is gone is an error
    /// before anyone is told), then the meeting is asked; its refusal (the
    /// preset may not share, or someone else shares and the meeting
    /// refuses a second sharer) is returned with its sentence and nothing
    /// is sent. A share running before is replaced.
    pub async fn share_screen(&self, source: &ScreenSource) -> Result<(), MediaError> {
        let input = self.sources.open_screen(source)?;
        self.conn
            .command(Command::ShareScreen { active: true })
            .await?;
        self.share_confirmed.store(false, Ordering::Relaxed);
        self.sources.run_screen(input);
        Ok(())
    }

    /// Stops sharing: sending stops at once, then the meeting is told.
    pub async fn stop_sharing(&self) -> Result<(), MediaError> {
        self.sources.stop_screen();
        self.conn
            .command(Command::ShareScreen { active: false })
            .await?;
        Ok(())
    }

    /// The `mid` of the screen slot (the screen shared in one's room),
    /// when the connection has one; its pictures come as
    /// [`MediaEvent::Video`] like any slot's.
    pub fn screen_mid(&self) -> Option<&str> {
        self.screen_mid.as_deref()
    }

    /// Whether this session sends a shared screen now.
    pub fn sharing(&self) -> bool {
        self.sources.sharing()
    }

    /// A share the meeting no longer shows (another took over, or it was
    /// refused in a room entered) stops being sent. Only once a view has
    /// shown it: views are pushed coalesced, and one made before the
    /// meeting took our share can arrive after its answer.
    fn follow_share(&self, view: &MeetingView) {
        if !self.sources.sharing() {
            return;
        }
        let me = view.you.id;
        let Some(sharer) = view
            .rooms
            .iter()
            .find(|room| room.id == view.you.room)
            .map(|room| room.sharing)
        else {
            return;
        };
        if sharer == Some(me) {
            self.share_confirmed.store(true, Ordering::Relaxed);
            return;
        }
        if self.share_confirmed.swap(false, Ordering::Relaxed) && self.sources.stop_screen() {
            info!(by = ?sharer, "our screen share ended");
            self.events.send(MediaEvent::ShareEnded { by: sharer });
        }
    }

    /// Encodes and sends only the simulcast layers in `wanted` from the
    /// next picture on; a layer listed again starts with a keyframe. A
    /// camera without simulcast is one picture and ignores this.
    pub fn apply_wanted_layers(&self, wanted: &[Layer]) {
        let set = LayerSet::of(wanted).bits();
        self.switches.wanted.store(set, Ordering::Relaxed);
    }

    /// The simulcast layers the server last said anyone receives (every
    /// layer until it says).
    pub fn wanted_layers(&self) -> Vec<Layer> {
        self.switches.wanted().layers()
    }

    /// What each of the camera's encodings sends: one without simulcast,
    /// else one per layer, lowest first.
    pub fn camera_encodings(&self) -> Vec<EncodingStats> {
        self.camera.iter().map(Encoding::stats).collect()
    }

    /// Records who each slot shows now. Maps older than the newest seen are
    /// ignored (a push can overtake the reply that carried an older one).
    pub fn apply_slots(&self, map: &SlotMap) {
        let mut version = self.slot_version.lock().unwrap_or_else(|e| e.into_inner());
        if version.is_some_and(|v| v > map.version) {
            return;
        }
        *version = Some(map.version);
        let extra = map.listen.iter().chain(&map.all_rooms).chain(&map.screen);
        for entry in map.audio.iter().chain(&map.video).chain(extra) {
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
        if on {
            self.switches.keyframes.request_all();
        }
        let result = self.tell(None, Some(on)).await;
        if result.is_err() {
            self.switches.camera.store(before, Ordering::Relaxed);
        }
        result
    }

    /// Hold-to-talk to every room (hosts and cohosts): while `active`, the
    /// mic is sent and the server forwards it to everyone, whether or not
    /// it is muted; the mute stays what it was. Sending starts before the
    /// meeting is told, so the first words are not cut; a refusal stops it.
    pub async fn speak_to_all(&self, active: bool) -> Result<(), MediaError> {
        let before = self.switches.to_all.swap(active, Ordering::Relaxed);
        let result = self
            .conn
            .command(Command::SpeakToAll { active })
            .await
            .map_err(MediaError::from);
        if result.is_err() && active {
            self.switches.to_all.store(before, Ordering::Relaxed);
        }
        result.map(|_| ())
    }

    /// Whether this session speaks to all rooms now.
    pub fn speaking_to_all(&self) -> bool {
        self.switches.to_all.load(Ordering::Relaxed)
    }

    async fn tell(&self, mic: Option<bool>, camera: Option<bool>) -> Result<(), MediaError> {
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
                    jitter: s.jitter.as_ref().map(|j| {
                        let j = j.lock().unwrap_or_else(|e| e.into_inner());
                        JitterCounters::new(j.stats(), j.target())
                    }),
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

    /// The uplink's bandwidth estimate (from the SFU's transport-wide
    /// feedback) and what the camera's encoder does with it.
    pub fn uplink(&self) -> UplinkStats {
        self.uplink.stats()
    }

    /// How the connection reaches the server: UDP, or the media tunnel
    /// when the network blocks UDP.
    pub fn transport(&self) -> Transport {
        self.transport
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
        if let Some(tunnel) = &self.tunnel {
            let _ = webrtc::util::Conn::close(tunnel).await;
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
            let tunnel = self.tunnel.clone();
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move {
                    let _ = pc.close().await;
                    if let Some(tunnel) = tunnel {
                        let _ = webrtc::util::Conn::close(&tunnel).await;
                    }
                });
            }
        }
    }
}
