//! Building a participant's PeerConnection and answering its one offer.
//!
//! The offer's m-lines say what they are by direction (see
//! `breakout_protocol::media`): remote `sendonly`/`sendrecv` are upstream
//! tracks, remote `recvonly` are downstream slots. Each slot gets a
//! `TrackLocalStaticRTP` now, before the answer, so its SSRC is in the answer
//! and never changes; the server never renegotiates.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use breakout_bwe::nack::NackGeneratorBuilder;
use breakout_bwe::{BweInterceptorBuilder, Uplink};
use breakout_core::ParticipantId;
use breakout_protocol::media::{
    AUDIO_LEVEL_URI, Codec, IceCandidate, Layer, MAX_AUDIO_SLOTS, MAX_LISTEN_SLOTS,
    MAX_VIDEO_SLOTS, MediaKind, OPUS, REPAIRED_RTP_STREAM_ID_URI, RTP_STREAM_ID_URI, SDES_MID_URI,
    VP8,
};
use tokio::sync::mpsc;
use webrtc::api::media_engine::MediaEngine;
use webrtc::api::{API, APIBuilder};
use webrtc::ice::candidate::candidate_base::unmarshal_candidate;
use webrtc::interceptor::nack::responder::Responder;
use webrtc::interceptor::registry::Registry;
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::peer_connection::configuration::RTCConfiguration;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use webrtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use webrtc::rtcp::transport_feedbacks::transport_layer_nack::TransportLayerNack;
use webrtc::rtp_transceiver::rtp_codec::{
    RTCRtpCodecCapability, RTCRtpCodecParameters, RTCRtpHeaderExtensionCapability, RTPCodecType,
};
use webrtc::rtp_transceiver::rtp_sender::RTCRtpSender;
use webrtc::rtp_transceiver::rtp_transceiver_direction::RTCRtpTransceiverDirection;
use webrtc::rtp_transceiver::{RTCPFeedback, RTCRtpTransceiverInit};
use webrtc::track::track_local::track_local_static_rtp::TrackLocalStaticRTP;

use super::downlink;
use super::downstream::{SlotShared, SlotWriter};
use super::egress::{LocalStreams, SendHookBuilder, SlotOutput};
use super::event::PeerEvent;
use super::network::MediaNetwork;
use super::probe_guard::{ProbeGuardBuilder, Receivers};
use super::stats::{FeedbackCounterBuilder, PeerStats, bump};
use super::{ExtraAudio, MediaError, ScreenLines};

/// Host candidates only: gathering takes milliseconds; this is a safety net.
const GATHER_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Negotiated {
    pub pc: Arc<RTCPeerConnection>,
    pub answer: String,
    /// Audio slots (the room's, the listening ones, the all-rooms one),
    /// then video slots, in offer order.
    pub slots: Vec<SlotWriter>,
    pub audio: AudioLayout,
    /// The last slot is the screen slot.
    pub screen_slot: bool,
    /// The simulcast layers the camera m-line announces, lowest first;
    /// empty without simulcast.
    pub layers: Vec<Layer>,
    /// The estimate of the path to the participant (see `downlink`).
    pub downlink: Arc<Uplink>,
}

/// How many audio slots of each kind a connection has; in this order at
/// the start of its slots.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AudioLayout {
    pub room: usize,
    pub listen: usize,
    pub all_rooms: bool,
}

impl AudioLayout {
    /// Every audio slot: where the video slots start.
    pub fn total(self) -> usize {
        self.room + self.listen + usize::from(self.all_rooms)
    }

    /// The slots an offer with `offered` recvonly audio m-lines gets, the
    /// last of them declared as `extra`. Extra slots beyond the maxima, or
    /// more declared than offered, refuse the offer: the m-lines would pair
    /// with the wrong slots.
    pub fn of_offer(offered: usize, extra: ExtraAudio) -> Result<AudioLayout, MediaError> {
        let extras = extra.listen + usize::from(extra.all_rooms);
        let Some(room) = offered.checked_sub(extras) else {
            return Err(MediaError::BadOffer(format!(
                "{extras} listening and all-rooms slots declared but only {offered} recvonly audio m-lines offered"
            )));
        };
        if extra.listen > MAX_LISTEN_SLOTS {
            return Err(MediaError::BadOffer(format!(
                "at most {MAX_LISTEN_SLOTS} listening slots"
            )));
        }
        if extras > 0 && room > MAX_AUDIO_SLOTS {
            return Err(MediaError::BadOffer(format!(
                "at most {MAX_AUDIO_SLOTS} room audio slots before the listening ones"
            )));
        }
        Ok(AudioLayout {
            room: room.min(MAX_AUDIO_SLOTS),
            listen: extra.listen,
            all_rooms: extra.all_rooms,
        })
    }
}

fn codec(codec: &Codec) -> RTCRtpCodecParameters {
    RTCRtpCodecParameters {
        capability: RTCRtpCodecCapability {
            mime_type: codec.mime.to_owned(),
            clock_rate: codec.clock_rate,
            channels: codec.channels,
            sdp_fmtp_line: codec.fmtp.to_owned(),
            rtcp_feedback: vec![],
        },
        payload_type: codec.payload_type,
        ..Default::default()
    }
}

fn feedback(typ: &str, parameter: &str) -> RTCPFeedback {
    RTCPFeedback {
        typ: typ.to_owned(),
        parameter: parameter.to_owned(),
    }
}

/// Packets kept per video slot to answer subscribers' NACKs: 2^8 = 256,
/// about a second of 720p video. The stack's default (2^13 = 8,192 entries,
/// ~0.9 MB of bookkeeping per slot before any payload) made nine video
/// slots cost ~8 MB per participant, most of the server's memory.
const NACK_BUFFER_LOG2: u8 = 8;

/// The stack's `configure_nack` with a send buffer sized for live video.
fn configure_nack(mut registry: Registry, media: &mut MediaEngine) -> Registry {
    media.register_feedback(feedback("nack", ""), RTPCodecType::Video);
    media.register_feedback(feedback("nack", "pli"), RTPCodecType::Video);
    registry.add(Box::new(
        Responder::builder().with_log2_size(NACK_BUFFER_LOG2),
    ));
    // Ours, not the stack's: that one asks again for every missing packet
    // every 100 ms until it comes, and on a capped uplink the resends it
    // draws are lost too and asked for again, a storm that kept 75 % of a
    // 120 kbit/s link lost.
    registry.add(Box::new(NackGeneratorBuilder));
    registry
}

/// Opus and VP8 only (what every client, Chromium included, has), NACK with
/// retransmission from the stack's buffer, sender/receiver reports, TWCC
/// both ways (feedback to publishers; sequence numbers on what we forward,
/// whose feedback feeds `downlink`), RFC 6464 audio levels, and the
/// counters.
fn api(
    network: &MediaNetwork,
    stats: Arc<PeerStats>,
    receivers: Arc<Receivers>,
    simulcast: bool,
    downlink: Arc<Uplink>,
    local_streams: Arc<LocalStreams>,
) -> Result<API, MediaError> {
    let mut media = MediaEngine::default();
    media.register_codec(codec(&OPUS), RTPCodecType::Audio)?;
    media.register_codec(codec(&VP8), RTPCodecType::Video)?;
    media.register_feedback(feedback("ccm", "fir"), RTPCodecType::Video);
    media.register_header_extension(
        RTCRtpHeaderExtensionCapability {
            uri: AUDIO_LEVEL_URI.to_owned(),
        },
        RTPCodecType::Audio,
        None,
    )?;
    // Simulcast: the stack tells a camera's layers apart by these (and
    // fires `on_track` once per layer). Only for a simulcast offer: once
    // negotiated, the MID goes on every packet sent, and Chromium then
    // decodes none of the slots' video.
    let layer_extensions = if simulcast {
        &[SDES_MID_URI, RTP_STREAM_ID_URI, REPAIRED_RTP_STREAM_ID_URI][..]
    } else {
        &[]
    };
    for uri in layer_extensions {
        media.register_header_extension(
            RTCRtpHeaderExtensionCapability {
                uri: (*uri).to_owned(),
            },
            RTPCodecType::Video,
            None,
        )?;
    }
    let mut registry = Registry::new();
    // First, so the NACK generator and our PLIs write through it.
    registry.add(Box::new(FeedbackCounterBuilder(stats)));
    // Nearer the wire than the TWCC sender, so it sees the sequence numbers.
    registry.add(Box::new(BweInterceptorBuilder(downlink)));
    let registry = configure_nack(registry, &mut media);
    let registry = webrtc::api::interceptor_registry::configure_rtcp_reports(registry);
    let mut registry = webrtc::api::interceptor_registry::configure_twcc(registry, &mut media)?;
    // Last: the others see the probe's binding before it is refused, and
    // the receiver's own binding of that stream after it.
    registry.add(Box::new(ProbeGuardBuilder(receivers)));
    // Outermost of ours: slots write to what it keeps (see `egress`).
    registry.add(Box::new(SendHookBuilder(local_streams)));

    let settings = network.setting_engine();
    Ok(APIBuilder::new()
        .with_media_engine(media)
        .with_interceptor_registry(registry)
        .with_setting_engine(settings)
        .build())
}

/// Media connections created and not yet closed. A connection holds
/// sockets, tasks and buffers until it is closed, dropping it is not enough;
/// counted process-wide because that is what it costs (memory, descriptors).
static LIVE_CONNECTIONS: AtomicUsize = AtomicUsize::new(0);

/// How many media connections of this process are open.
pub fn live_connections() -> usize {
    LIVE_CONNECTIONS.load(Ordering::Relaxed)
}

/// Closes a connection for good; the only way one ends.
pub async fn close(pc: Arc<RTCPeerConnection>) {
    if let Err(error) = pc.close().await {
        tracing::debug!(%error, "closing a media connection");
    }
    LIVE_CONNECTIONS.fetch_sub(1, Ordering::Relaxed);
}

/// Creates the connection, applies the offer and returns the answer with
/// the server's candidates in it (no trickle from the server side). A
/// refused offer closes what it had built before the error is returned.
pub async fn negotiate(
    participant: ParticipantId,
    generation: u64,
    offer: String,
    (extra, screen): (ExtraAudio, &ScreenLines),
    network: &MediaNetwork,
    stats: Arc<PeerStats>,
    events: mpsc::UnboundedSender<PeerEvent>,
) -> Result<Negotiated, MediaError> {
    let layers = offered_layers(&offer, screen.track.as_deref())?;
    let (audio_offered, video_offered) = count_recvonly(&offer);
    let audio = AudioLayout::of_offer(audio_offered, extra)?;
    let video = video_slots(video_offered, screen)?;
    let offer =
        RTCSessionDescription::offer(offer).map_err(|e| MediaError::BadOffer(e.to_string()))?;
    let receivers = Arc::new(Receivers::default());
    let downlink = downlink::estimator();
    let local_streams = Arc::new(LocalStreams::default());
    let pc = Arc::new(
        api(
            network,
            stats.clone(),
            receivers.clone(),
            !layers.is_empty(),
            downlink.clone(),
            local_streams.clone(),
        )?
        .new_peer_connection(RTCConfiguration::default())
        .await?,
    );
    LIVE_CONNECTIONS.fetch_add(1, Ordering::Relaxed);
    match answer(
        &pc,
        participant,
        generation,
        offer,
        (audio.total(), video),
        stats,
        events,
        Hooks {
            receivers,
            local_streams,
        },
    )
    .await
    {
        Ok((answer, slots)) => Ok(Negotiated {
            pc,
            answer: network.announce(&answer),
            slots,
            audio,
            screen_slot: screen.slot,
            layers,
            downlink,
        }),
        Err(error) => {
            close(pc).await;
            Err(error)
        }
    }
}

/// What the connection's own interceptors share with the rest of it.
struct Hooks {
    receivers: Arc<Receivers>,
    local_streams: Arc<LocalStreams>,
}

/// Everything between creating the connection and its answer: the answer
/// and the slots (`wanted.0` audio, then video, in offer order).
#[allow(clippy::too_many_arguments)]
async fn answer(
    pc: &Arc<RTCPeerConnection>,
    participant: ParticipantId,
    generation: u64,
    offer: RTCSessionDescription,
    (audio_wanted, video_wanted): (usize, usize),
    stats: Arc<PeerStats>,
    events: mpsc::UnboundedSender<PeerEvent>,
    hooks: Hooks,
) -> Result<(String, Vec<SlotWriter>), MediaError> {
    let state_events = events.clone();
    pc.on_peer_connection_state_change(Box::new(move |state| {
        let _ = state_events.send(PeerEvent::State {
            participant,
            generation,
            state,
        });
        Box::pin(async {})
    }));
    pc.on_track(Box::new(move |track, receiver, transceiver| {
        let events = events.clone();
        Box::pin(async move {
            let mid = transceiver.mid().map(|mid| mid.to_string());
            let audio_level_id = receiver
                .get_parameters()
                .await
                .header_extensions
                .iter()
                .find(|ext| ext.uri == AUDIO_LEVEL_URI)
                .and_then(|ext| u8::try_from(ext.id).ok());
            let _ = events.send(PeerEvent::Track {
                participant,
                generation,
                track,
                audio_level_id,
                mid,
            });
        })
    }));

    // Slots are our sendonly transceivers, created before the offer is
    // applied so that its recvonly m-lines pair with them in order (and so
    // their SSRCs are in the answer); extra recvonly m-lines stay inactive.
    let mut created = Vec::new();
    for (kind, wanted) in [
        // Already within the maxima (see `AudioLayout::of_offer` and
        // `video_slots`).
        (MediaKind::Audio, audio_wanted),
        (MediaKind::Video, video_wanted),
    ] {
        for i in 0..wanted {
            let capability = match kind {
                MediaKind::Audio => codec(&OPUS).capability,
                MediaKind::Video => codec(&VP8).capability,
            };
            let clock_rate = capability.clock_rate;
            let track = Arc::new(TrackLocalStaticRTP::new(
                capability,
                format!("{kind:?}-slot-{i}").to_lowercase(),
                "breakout".to_owned(),
            ));
            let init = RTCRtpTransceiverInit {
                direction: RTCRtpTransceiverDirection::Sendonly,
                send_encodings: vec![],
            };
            let transceiver = pc.add_transceiver_from_track(track, Some(init)).await?;
            created.push((kind, transceiver, clock_rate));
        }
    }
    pc.set_remote_description(offer)
        .await
        .map_err(|e| MediaError::BadOffer(e.to_string()))?;
    let mut upstream = Vec::new();
    for transceiver in pc.get_transceivers().await {
        if transceiver.direction() == RTCRtpTransceiverDirection::Recvonly {
            upstream.push(transceiver.receiver().await);
        }
    }
    hooks.receivers.set(upstream);
    let mut audio = Vec::new();
    let mut video = Vec::new();
    for (kind, transceiver, clock_rate) in created {
        let Some(mid) = transceiver.mid() else {
            continue;
        };
        let shared = Arc::new(SlotShared {
            mid: mid.to_string(),
            kind,
            source: Default::default(),
            sent: Default::default(),
        });
        let sender = transceiver.sender().await;
        let Some(ssrc) = sender
            .get_parameters()
            .await
            .encodings
            .first()
            .map(|e| e.ssrc)
        else {
            continue;
        };
        tokio::spawn(read_slot_rtcp(sender, shared.clone(), stats.clone()));
        let writer = SlotWriter {
            output: SlotOutput::new(hooks.local_streams.clone(), ssrc, &shared.mid),
            shared,
            clock_rate,
        };
        match kind {
            MediaKind::Audio => audio.push(writer),
            MediaKind::Video => video.push(writer),
        }
    }

    let answer = pc.create_answer(None).await?;
    let mut gathered = pc.gathering_complete_promise().await;
    pc.set_local_description(answer).await?;
    let _ = tokio::time::timeout(GATHER_TIMEOUT, gathered.recv()).await;
    let answer = pc
        .local_description()
        .await
        .ok_or(MediaError::Internal("no local description after answering"))?
        .sdp;
    audio.extend(video);
    Ok((answer, audio))
}

/// Applies a client's trickled candidate and answers the request.
/// Reads a trickled candidate line the way the stack will, so a malformed
/// one is refused with a reason (an empty line ends the candidates).
pub fn check_candidate(candidate: &IceCandidate) -> Result<(), MediaError> {
    let line = candidate.candidate.trim();
    let line = line.strip_prefix("candidate:").unwrap_or(line);
    if line.is_empty() {
        return Ok(());
    }
    unmarshal_candidate(line)
        .map(|_| ())
        .map_err(|error| MediaError::BadCandidate(error.to_string()))
}

/// Adds a checked candidate to the connection; a failure now can only be
/// the connection closing, which its state change already reports.
pub async fn add_candidate(
    participant: ParticipantId,
    pc: Arc<RTCPeerConnection>,
    candidate: IceCandidate,
) {
    let init = webrtc::ice_transport::ice_candidate::RTCIceCandidateInit {
        candidate: candidate.candidate,
        sdp_mid: candidate.sdp_mid,
        sdp_mline_index: candidate.sdp_mline_index,
        username_fragment: candidate.username_fragment,
    };
    if let Err(error) = pc.add_ice_candidate(init).await {
        tracing::debug!(%participant, %error, "could not add an ICE candidate");
    }
}

/// The video slots an offer gets: its recvonly video m-lines up to the
/// maximum, and its screen slot after them. With a screen slot declared,
/// extra video m-lines refuse the offer: the last would pair with a tile.
fn video_slots(offered: usize, screen: &ScreenLines) -> Result<usize, MediaError> {
    if !screen.slot {
        return Ok(offered.min(MAX_VIDEO_SLOTS));
    }
    match offered.checked_sub(1) {
        None => Err(MediaError::BadOffer(
            "a screen slot declared but no recvonly video m-line offered".into(),
        )),
        Some(tiles) if tiles > MAX_VIDEO_SLOTS => Err(MediaError::BadOffer(format!(
            "at most {MAX_VIDEO_SLOTS} video slots before the screen slot"
        ))),
        Some(_) => Ok(offered),
    }
}

/// How many audio and video m-lines of an offer are `recvonly`.
fn count_recvonly(sdp: &str) -> (usize, usize) {
    let (mut audio, mut video) = (0, 0);
    for section in sdp.split("\nm=").skip(1) {
        if !section.lines().any(|line| line.trim_end() == "a=recvonly") {
            continue;
        }
        if section.starts_with("audio") {
            audio += 1;
        } else if section.starts_with("video") {
            video += 1;
        }
    }
    (audio, video)
}

/// The simulcast layers of the offer's camera (its first video m-line that
/// is not `recvonly` and not the screen track), lowest first, from its
/// `a=rid:<id> send` lines.
fn offered_layers(sdp: &str, screen_mid: Option<&str>) -> Result<Vec<Layer>, MediaError> {
    let screen_line = screen_mid.map(|mid| format!("a=mid:{mid}"));
    let camera = sdp.split("\nm=").skip(1).find(|section| {
        section.starts_with("video")
            && !section.lines().any(|line| {
                let line = line.trim_end();
                matches!(line, "a=recvonly" | "a=inactive") || screen_line.as_deref() == Some(line)
            })
    });
    let mut layers = Vec::new();
    for line in camera.into_iter().flat_map(str::lines) {
        let Some(rid) = line.trim_end().strip_prefix("a=rid:") else {
            continue;
        };
        let mut words = rid.split_whitespace();
        let (Some(id), Some("send")) = (words.next(), words.next()) else {
            continue;
        };
        let layer = Layer::from_rid(id).ok_or_else(|| {
            MediaError::BadOffer(format!(
                "unknown simulcast layer \"{id}\": the camera's RIDs are q, h and f"
            ))
        })?;
        if !layers.contains(&layer) {
            layers.push(layer);
        }
    }
    layers.sort();
    Ok(layers)
}

/// Reads what a subscriber says about one slot. Reading is also what lets
/// the interceptors see NACKs and answer them from the send buffer.
async fn read_slot_rtcp(sender: Arc<RTCRtpSender>, slot: Arc<SlotShared>, stats: Arc<PeerStats>) {
    while let Ok((packets, _)) = sender.read_rtcp().await {
        for packet in packets {
            let any = packet.as_any();
            if any.is::<PictureLossIndication>() || any.is::<FullIntraRequest>() {
                bump(&stats.keyframe_requests_received);
                if let Some(source) = slot.source() {
                    source.request_keyframe();
                }
            } else if any.is::<TransportLayerNack>() {
                bump(&stats.nacks_received);
            }
        }
    }
}

/// Sends the keyframe requests meant for one publisher.
pub async fn write_keyframe_requests(
    pc: std::sync::Weak<RTCPeerConnection>,
    mut requests: mpsc::Receiver<u32>,
) {
    while let Some(media_ssrc) = requests.recv().await {
        let Some(pc) = pc.upgrade() else {
            break;
        };
        let pli = PictureLossIndication {
            sender_ssrc: 0,
            media_ssrc,
        };
        if pc.write_rtcp(&[Box::new(pli)]).await.is_err() {
            tracing::debug!(media_ssrc, "could not send a keyframe request");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIMULCAST_OFFER: &str = "v=0\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendonly\r\n\
        m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendonly\r\n\
        a=rid:f send\r\na=rid:q send\r\na=rid:h send\r\na=simulcast:send f;q;h\r\n\
        m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\r\n";

    #[test]
    fn the_cameras_layers_come_from_its_rid_lines() {
        assert_eq!(
            offered_layers(SIMULCAST_OFFER, None).expect("valid"),
            vec![Layer::Quarter, Layer::Half, Layer::Full]
        );
        let single = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendonly\r\n";
        assert_eq!(offered_layers(single, None).expect("valid"), vec![]);
    }

    #[test]
    fn the_last_audio_m_lines_are_the_declared_extra_slots() {
        let extra = ExtraAudio {
            listen: 2,
            all_rooms: true,
        };
        let layout = AudioLayout::of_offer(7, extra).expect("valid");
        assert_eq!((layout.room, layout.listen, layout.all_rooms), (4, 2, true));
        assert_eq!(layout.total(), 7);
        // An older client declares nothing: every audio slot is the room's.
        let old = AudioLayout::of_offer(4, ExtraAudio::default()).expect("valid");
        assert_eq!((old.room, old.listen, old.all_rooms), (4, 0, false));
        let error = AudioLayout::of_offer(2, extra).expect_err("refused");
        assert!(error.to_string().contains("only 2"), "{error}");
        let many = ExtraAudio {
            listen: MAX_LISTEN_SLOTS + 1,
            all_rooms: false,
        };
        assert!(AudioLayout::of_offer(20, many).is_err());
    }

    #[test]
    fn the_screen_track_is_not_the_camera_and_its_slot_comes_last() {
        let offer = "v=0\r\n\
            m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=sendonly\r\n\
            a=rid:q send\r\na=rid:f send\r\n\
            m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=sendonly\r\n\
            a=rid:x send\r\n";
        // The screen's own lines (an unknown RID here) are not the camera's.
        assert_eq!(
            offered_layers(offer, Some("1")).expect("valid"),
            vec![Layer::Quarter, Layer::Full]
        );
        let screen = ScreenLines {
            track: None,
            slot: true,
        };
        assert_eq!(video_slots(10, &screen).expect("valid"), 10);
        assert!(video_slots(0, &screen).is_err());
        assert!(video_slots(MAX_VIDEO_SLOTS + 2, &screen).is_err());
        assert_eq!(
            video_slots(MAX_VIDEO_SLOTS + 2, &ScreenLines::default()).expect("valid"),
            MAX_VIDEO_SLOTS
        );
    }

    #[test]
    fn unknown_rids_are_refused() {
        let offer = SIMULCAST_OFFER.replace("a=rid:h send", "a=rid:hi send");
        let error = offered_layers(&offer, None).expect_err("refused");
        assert!(error.to_string().contains("\"hi\""), "{error}");
    }
}
