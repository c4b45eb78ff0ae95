//! A media participant for tests and the media bench, built on the same
//! webrtc crate a client would use: a WebSocket session plus one
//! PeerConnection that publishes synthetic Opus/VP8-shaped RTP and records
//! every packet it receives per slot.
//!
//! Payloads carry `(participant, counter, layer)` after a magic tag; video
//! payloads start with a real VP8 payload descriptor and frame tag, so the
//! SFU's keyframe detection sees keyframes (sent first, after every PLI and
//! when a paused layer resumes) and delta frames; keyframes also carry the
//! VP8 frame header with the layer's resolution. A simulcast peer publishes
//! three RID layers and pauses those the server says nobody wants.

#![allow(dead_code)]

pub mod signal;

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use breakout_protocol::ParticipantId;
use breakout_protocol::media::{
    AUDIO_SLOTS, Layer, RTP_STREAM_ID_URI, SDES_MID_URI, SlotMap, VIDEO_SLOTS,
};
use breakout_protocol::ws::{Reply, Request};
use tokio::sync::mpsc;
use webrtc::api::APIBuilder;
use webrtc::api::interceptor_registry::register_default_interceptors;
use webrtc::api::media_engine::{MIME_TYPE_OPUS, MIME_TYPE_VP8, MediaEngine};
use webrtc::api::setting_engine::SettingEngine;
use webrtc::ice::network_type::NetworkType;
use webrtc::interceptor::registry::Registry;
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::peer_connection::configuration::RTCConfiguration;
use webrtc::peer_connection::peer_connection_state::RTCPeerConnectionState;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use webrtc::rtp::packet::Packet;
use webrtc::rtp_transceiver::RTCRtpTransceiverInit;
use webrtc::rtp_transceiver::rtp_codec::{
    RTCRtpCodecCapability, RTCRtpHeaderExtensionCapability, RTPCodecType,
};
use webrtc::rtp_transceiver::rtp_sender::RTCRtpSender;
use webrtc::rtp_transceiver::rtp_transceiver_direction::RTCRtpTransceiverDirection;
use webrtc::track::track_local::TrackLocalWriter;
use webrtc::track::track_local::track_local_static_rtp::TrackLocalStaticRTP;

pub use signal::Signal;

const MAGIC: &[u8; 3] = b"BRK";
/// The picture a full layer (and a camera without simulcast) announces in
/// its keyframes; lower layers divide it by their scale.
const FULL_SIZE: (u16, u16) = (1280, 720);

/// One packet as received on a slot.
#[derive(Debug, Clone)]
pub struct Received {
    pub mid: String,
    pub kind: RTPCodecType,
    pub ssrc: u32,
    pub seq: u16,
    /// Who sent it and their counter, decoded from the payload.
    pub source: ParticipantId,
    pub counter: u32,
    /// The simulcast layer it was sent on; `None` without simulcast.
    pub layer: Option<Layer>,
    pub keyframe: bool,
    pub at: Instant,
}

pub struct MediaPeer {
    pub participant: ParticipantId,
    pub signal: Signal,
    pub pc: Arc<RTCPeerConnection>,
    pub received: mpsc::UnboundedReceiver<Received>,
    /// Every packet received so far (also kept when `received` was drained).
    pub log: Arc<Mutex<Vec<Received>>>,
    /// PLIs this peer received as a publisher.
    pub plis: Arc<AtomicU64>,
    pub states: Arc<Mutex<Vec<RTCPeerConnectionState>>>,
    pub offers_sent: u32,
    pub first_slots: SlotMap,
    /// Clear to stop keeping received packets (load runs).
    pub record: Arc<AtomicBool>,
    senders: Vec<tokio::task::JoinHandle<()>>,
}

fn capability(kind: RTPCodecType) -> RTCRtpCodecCapability {
    match kind {
        RTPCodecType::Video => RTCRtpCodecCapability {
            mime_type: MIME_TYPE_VP8.to_owned(),
            clock_rate: 90_000,
            ..Default::default()
        },
        _ => RTCRtpCodecCapability {
            mime_type: MIME_TYPE_OPUS.to_owned(),
            clock_rate: 48_000,
            channels: 2,
            ..Default::default()
        },
    }
}

pub async fn new_pc() -> Arc<RTCPeerConnection> {
    new_pc_on(|ip| ip.is_loopback()).await
}

/// A connection able to send simulcast (`simulcast`) or not.
pub async fn new_pc_for(simulcast: bool) -> Arc<RTCPeerConnection> {
    new_pc_with(|ip| ip.is_loopback(), simulcast).await
}

/// A connection with host candidates only on the addresses `accept` keeps
/// (the Janus bench uses the one address its Janus can reach).
pub async fn new_pc_on(
    accept: impl Fn(IpAddr) -> bool + Send + Sync + 'static,
) -> Arc<RTCPeerConnection> {
    new_pc_with(accept, false).await
}

async fn new_pc_with(
    accept: impl Fn(IpAddr) -> bool + Send + Sync + 'static,
    simulcast: bool,
) -> Arc<RTCPeerConnection> {
    let mut media = MediaEngine::default();
    media.register_default_codecs().expect("codecs");
    // Only a simulcast publisher needs them (its layers are told apart by
    // them); with them, webrtc 0.17 also probes incoming streams that
    // arrive before their receivers are set up, and the probe closes the
    // declared ones it finds no RID on.
    let extensions = if simulcast {
        &[SDES_MID_URI, RTP_STREAM_ID_URI][..]
    } else {
        &[]
    };
    for uri in extensions {
        media
            .register_header_extension(
                RTCRtpHeaderExtensionCapability {
                    uri: (*uri).to_owned(),
                },
                RTPCodecType::Video,
                None,
            )
            .expect("simulcast header extensions");
    }
    let registry =
        register_default_interceptors(Registry::new(), &mut media).expect("interceptors");
    let mut settings = SettingEngine::default();
    settings.set_ip_filter(Box::new(accept));
    settings.set_include_loopback_candidate(true);
    settings.set_network_types(vec![NetworkType::Udp4]);
    // A retransmission repeats a sequence number; the tests want to see it.
    settings.disable_srtp_replay_protection(true);
    let api = APIBuilder::new()
        .with_media_engine(media)
        .with_interceptor_registry(registry)
        .with_setting_engine(settings)
        .build();
    Arc::new(
        api.new_peer_connection(RTCConfiguration::default())
            .await
            .expect("peer connection"),
    )
}

impl MediaPeer {
    /// Connects the signaling socket, negotiates once and starts publishing
    /// (audio at 50 pps, video at `video_pps`) once connected; with
    /// `video_pps` 0 it only receives.
    pub async fn join(signal: Signal, video_pps: u32) -> MediaPeer {
        MediaPeer::join_with(signal, video_pps, &[]).await
    }

    /// Like [`MediaPeer::join`], the camera sending `layers` (simulcast, each
    /// at `video_pps`) and pausing those the server does not want.
    pub async fn join_with(signal: Signal, video_pps: u32, layers: &[Layer]) -> MediaPeer {
        let participant = signal.participant;
        let pc = new_pc_for(!layers.is_empty()).await;
        let states = Arc::new(Mutex::new(Vec::new()));
        let (connected_tx, mut connected) = mpsc::unbounded_channel();
        let record = states.clone();
        pc.on_peer_connection_state_change(Box::new(move |state| {
            record.lock().expect("states").push(state);
            if state == RTCPeerConnectionState::Connected {
                let _ = connected_tx.send(());
            }
            Box::pin(async {})
        }));
        let upstream = Upstream::add_layers(&pc, participant, layers).await;
        for (kind, count) in [
            (RTPCodecType::Audio, AUDIO_SLOTS),
            (RTPCodecType::Video, VIDEO_SLOTS),
        ] {
            for _ in 0..count {
                pc.add_transceiver_from_kind(
                    kind,
                    Some(RTCRtpTransceiverInit {
                        direction: RTCRtpTransceiverDirection::Recvonly,
                        send_encodings: vec![],
                    }),
                )
                .await
                .expect("slot");
            }
        }
        let Inbound {
            received,
            log,
            record,
        } = Inbound::record(&pc);
        let offer = pc.create_offer(None).await.expect("offer");
        let mut gathered = pc.gathering_complete_promise().await;
        pc.set_local_description(offer).await.expect("local");
        let _ = gathered.recv().await;
        let sdp = pc.local_description().await.expect("offer sdp").sdp;
        let reply = signal
            .request(Request::MediaOffer {
                sdp,
                restart: false,
                listen_slots: 0,
                all_rooms_slot: false,
                screen_track: None,
                screen_slot: false,
            })
            .await
            .expect("media answer");
        let Reply::MediaAnswer { sdp, slots } = reply else {
            panic!("expected an answer, got {reply:?}");
        };
        signal.note_slots(slots.clone());
        pc.set_remote_description(RTCSessionDescription::answer(sdp).expect("answer"))
            .await
            .expect("remote");
        tokio::time::timeout(Duration::from_secs(30), connected.recv())
            .await
            .expect("connected within 30 s");

        let controls = upstream.layer_controls();
        let (plis, mut senders) = upstream.start(participant, video_pps).await;
        if !layers.is_empty() {
            let wanted = signal.watch_camera_layers();
            senders.push(tokio::spawn(follow_wanted_layers(wanted, controls)));
        }
        MediaPeer {
            participant,
            signal,
            pc,
            received,
            log,
            plis,
            states,
            offers_sent: 1,
            first_slots: slots,
            record,
            senders,
        }
    }

    /// Waits for a packet matching `wanted`, discarding others.
    pub async fn wait_for(&mut self, what: &str, wanted: impl Fn(&Received) -> bool) -> Received {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            match tokio::time::timeout_at(deadline, self.received.recv()).await {
                Ok(Some(got)) if wanted(&got) => return got,
                Ok(Some(_)) => {}
                Ok(None) => panic!(
                    "{}: media reader ended waiting for {what}",
                    self.participant
                ),
                Err(_) => panic!("{}: no {what} within 30 s", self.participant),
            }
        }
    }

    /// Drops what was received so far.
    pub fn drain(&mut self) {
        while self.received.try_recv().is_ok() {}
    }

    pub async fn close(self) {
        for task in &self.senders {
            task.abort();
        }
        let _ = self.pc.close().await;
    }
}

impl Drop for MediaPeer {
    fn drop(&mut self) {
        for task in &self.senders {
            task.abort();
        }
    }
}

/// The sending half of a peer: one Opus and one VP8 track, `sendonly`; the
/// VP8 track with one encoding per simulcast layer if asked.
/// Shared with the Janus bench, which must send exactly the same packets.
pub struct Upstream {
    audio: Arc<TrackLocalStaticRTP>,
    video: Vec<VideoLayer>,
    video_sender: Arc<RTCRtpSender>,
}

/// One encoding of the camera and the switches its sender task obeys.
struct VideoLayer {
    layer: Option<Layer>,
    track: Arc<TrackLocalStaticRTP>,
    control: LayerControl,
}

/// Whether a layer is sent, and whether its next packet is a keyframe.
#[derive(Clone)]
pub struct LayerControl {
    pub layer: Option<Layer>,
    pub active: Arc<AtomicBool>,
    pub keyframe: Arc<AtomicBool>,
}

impl Upstream {
    /// Adds the two send-only transceivers; call before the offer.
    pub async fn add(pc: &RTCPeerConnection, participant: ParticipantId) -> Upstream {
        Upstream::add_layers(pc, participant, &[]).await
    }

    /// Like [`Upstream::add`], the camera sending `layers` as RID encodings
    /// (none: one encoding without a RID).
    pub async fn add_layers(
        pc: &RTCPeerConnection,
        participant: ParticipantId,
        layers: &[Layer],
    ) -> Upstream {
        let audio = Arc::new(TrackLocalStaticRTP::new(
            capability(RTPCodecType::Audio),
            "mic".into(),
            format!("p{}", participant.0),
        ));
        let track = |layer: Option<Layer>| {
            let capability = capability(RTPCodecType::Video);
            let stream = format!("p{}", participant.0);
            Arc::new(match layer {
                Some(layer) => TrackLocalStaticRTP::new_with_rid(
                    capability,
                    "camera".into(),
                    layer.rid().into(),
                    stream,
                ),
                None => TrackLocalStaticRTP::new(capability, "camera".into(), stream),
            })
        };
        let layers: Vec<Option<Layer>> = if layers.is_empty() {
            vec![None]
        } else {
            layers.iter().copied().map(Some).collect()
        };
        let video: Vec<VideoLayer> = layers
            .into_iter()
            .map(|layer| VideoLayer {
                layer,
                track: track(layer),
                control: LayerControl {
                    layer,
                    active: Arc::new(AtomicBool::new(true)),
                    keyframe: Arc::new(AtomicBool::new(true)),
                },
            })
            .collect();
        let send_only = || {
            Some(RTCRtpTransceiverInit {
                direction: RTCRtpTransceiverDirection::Sendonly,
                send_encodings: vec![],
            })
        };
        pc.add_transceiver_from_track(audio.clone(), send_only())
            .await
            .expect("audio upstream");
        let video_transceiver = pc
            .add_transceiver_from_track(video[0].track.clone(), send_only())
            .await
            .expect("video upstream");
        let video_sender = video_transceiver.sender().await;
        for layer in &video[1..] {
            video_sender
                .add_encoding(layer.track.clone())
                .await
                .expect("simulcast encoding");
        }
        Upstream {
            audio,
            video,
            video_sender,
        }
    }

    /// The switches of each camera layer (to pause and resume them).
    pub fn layer_controls(&self) -> Vec<LayerControl> {
        self.video.iter().map(|v| v.control.clone()).collect()
    }

    /// Once connected: counts PLIs (each makes the next packet of its layer
    /// a keyframe) and, with `video_pps` > 0, sends audio at 50 pps and each
    /// video layer at `video_pps`. Returns the PLI count and the tasks to
    /// abort.
    pub async fn start(
        self,
        participant: ParticipantId,
        video_pps: u32,
    ) -> (Arc<AtomicU64>, Vec<tokio::task::JoinHandle<()>>) {
        let plis = Arc::new(AtomicU64::new(0));
        let mut senders = Vec::new();
        for layer in &self.video {
            let sender = self.video_sender.clone();
            let rid = layer.layer.map(Layer::rid);
            let (count, wanted) = (plis.clone(), layer.control.keyframe.clone());
            senders.push(tokio::spawn(async move {
                loop {
                    let read = match rid {
                        Some(rid) => sender.read_rtcp_simulcast(rid).await,
                        None => sender.read_rtcp().await,
                    };
                    let Ok((packets, _)) = read else {
                        break;
                    };
                    for packet in packets {
                        if packet.as_any().is::<PictureLossIndication>() {
                            count.fetch_add(1, Relaxed);
                            wanted.store(true, Relaxed);
                        }
                    }
                }
            }));
        }
        if video_pps > 0 {
            senders.push(tokio::spawn(publish(
                self.audio,
                participant,
                50,
                960,
                None,
            )));
            for layer in self.video {
                senders.push(tokio::spawn(publish(
                    layer.track,
                    participant,
                    video_pps,
                    90_000 / video_pps,
                    Some(layer.control),
                )));
            }
        }
        (plis, senders)
    }
}

/// Pauses the layers the server's `camera_layers` messages leave out and
/// resumes (from a keyframe) those they list again.
async fn follow_wanted_layers(
    mut wanted: tokio::sync::watch::Receiver<Option<Vec<Layer>>>,
    controls: Vec<LayerControl>,
) {
    // A message may have come while the connection was being set up.
    wanted.mark_changed();
    while wanted.changed().await.is_ok() {
        let Some(list) = wanted.borrow_and_update().clone() else {
            continue;
        };
        for control in &controls {
            let on = control.layer.is_some_and(|l| list.contains(&l));
            if control.active.swap(on, Relaxed) != on && on {
                control.keyframe.store(true, Relaxed);
            }
        }
    }
}

/// The receiving half of a peer: every packet on every track, decoded.
pub struct Inbound {
    pub received: mpsc::UnboundedReceiver<Received>,
    /// Every packet received so far (also kept when `received` was drained).
    pub log: Arc<Mutex<Vec<Received>>>,
    /// Clear to stop keeping received packets (load runs).
    pub record: Arc<AtomicBool>,
}

impl Inbound {
    /// Reads every track `pc` will receive; call before the offer/answer.
    pub fn record(pc: &RTCPeerConnection) -> Inbound {
        let (received_tx, received) = mpsc::unbounded_channel();
        let log = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::new(AtomicBool::new(true));
        let sink = log.clone();
        let recording = record.clone();
        pc.on_track(Box::new(move |track, _, transceiver| {
            let received_tx = received_tx.clone();
            let sink = sink.clone();
            let recording = recording.clone();
            let mid = transceiver.mid().map(|m| m.to_string()).unwrap_or_default();
            Box::pin(async move {
                tokio::spawn(async move {
                    while let Ok((packet, _)) = track.read_rtp().await {
                        if !recording.load(Relaxed) {
                            continue;
                        }
                        let Some(got) = decode(&mid, track.kind(), &packet) else {
                            continue;
                        };
                        sink.lock().expect("log").push(got.clone());
                        let _ = received_tx.send(got);
                    }
                });
            })
        }));
        Inbound {
            received,
            log,
            record,
        }
    }
}

/// Sends synthetic packets at `pps` until aborted; video (`control` set)
/// only while its layer is active.
async fn publish(
    track: Arc<TrackLocalStaticRTP>,
    participant: ParticipantId,
    pps: u32,
    ticks: u32,
    control: Option<LayerControl>,
) {
    let mut interval = tokio::time::interval(Duration::from_micros(1_000_000 / u64::from(pps)));
    let mut packet = Packet::default();
    packet.header.version = 2;
    packet.header.sequence_number = rand_u16(participant);
    let layer = control.as_ref().and_then(|c| c.layer);
    for counter in 0u32.. {
        interval.tick().await;
        // Time goes on while a layer is paused: so do its timestamps.
        packet.header.timestamp = counter.wrapping_mul(ticks);
        if control.as_ref().is_some_and(|c| !c.active.load(Relaxed)) {
            continue;
        }
        let mut payload = Vec::with_capacity(160);
        if let Some(control) = &control {
            let key = control.keyframe.swap(false, Relaxed);
            payload.push(0x10); // VP8 descriptor: start of partition 0
            if key {
                let scale = layer.map_or(1, Layer::scale_down_by) as u16;
                let (width, height) = (FULL_SIZE.0 / scale, FULL_SIZE.1 / scale);
                // Frame tag (keyframe), start code, width and height.
                payload.extend_from_slice(&[0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a]);
                payload.extend_from_slice(&width.to_le_bytes());
                payload.extend_from_slice(&height.to_le_bytes());
            } else {
                payload.push(0x01);
            }
            packet.header.marker = true;
        }
        payload.extend_from_slice(MAGIC);
        payload.extend_from_slice(&participant.0.to_be_bytes());
        payload.extend_from_slice(&counter.to_be_bytes());
        payload.push(layer.map_or(0, |l| l.rid().as_bytes()[0]));
        payload.resize(160, 0);
        packet.payload = payload.into();
        let _ = track.write_rtp(&packet).await;
        packet.header.sequence_number = packet.header.sequence_number.wrapping_add(1);
    }
}

/// Distinct starting sequence numbers per participant, so a slot that kept
/// its source's numbers would show a jump.
fn rand_u16(participant: ParticipantId) -> u16 {
    (participant.0.wrapping_mul(7919) % 60_000) as u16 + 1_000
}

fn decode(mid: &str, kind: RTPCodecType, packet: &Packet) -> Option<Received> {
    let payload = &packet.payload[..];
    let (keyframe, body) = match kind {
        // A keyframe's frame tag and header take 10 bytes, a delta's 1.
        RTPCodecType::Video if payload.get(1) == Some(&0x00) => (true, payload.get(11..)?),
        RTPCodecType::Video => (false, payload.get(2..)?),
        _ => (false, payload),
    };
    if body.get(..3)? != MAGIC {
        return None;
    }
    let id = u64::from_be_bytes(body.get(3..11)?.try_into().ok()?);
    let counter = u32::from_be_bytes(body.get(11..15)?.try_into().ok()?);
    let layer = std::str::from_utf8(body.get(15..16)?)
        .ok()
        .and_then(Layer::from_rid);
    Some(Received {
        mid: mid.to_owned(),
        kind,
        ssrc: packet.header.ssrc,
        seq: packet.header.sequence_number,
        source: ParticipantId(id),
        counter,
        layer,
        keyframe,
        at: Instant::now(),
    })
}
