//! Building the one PeerConnection and its one offer, exactly as
//! `breakout_protocol::media` describes: sendonly mic, sendonly camera, then
//! the recvonly audio slots and the recvonly video slots. A simulcast
//! camera is one m-line with an encoding (a RID track) per layer.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use breakout_protocol::media::{
    AUDIO_LEVEL_URI, Codec, IceServer, Layer, OPUS, RTP_STREAM_ID_URI, SDES_MID_URI, VP8,
};
use webrtc::api::interceptor_registry::{configure_rtcp_reports, configure_twcc_receiver_only};
use webrtc::api::media_engine::MediaEngine;
use webrtc::api::setting_engine::SettingEngine;
use webrtc::api::{API, APIBuilder};
use webrtc::ice::mdns::MulticastDnsMode;
use webrtc::ice::network_type::NetworkType;
use webrtc::ice::udp_mux::{UDPMuxDefault, UDPMuxParams};
use webrtc::ice::udp_network::UDPNetwork;
use webrtc::ice_transport::ice_server::RTCIceServer;
use webrtc::interceptor::nack::responder::Responder;
use webrtc::interceptor::registry::Registry;
use webrtc::interceptor::twcc::sender::Sender as TwccSender;
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::peer_connection::configuration::RTCConfiguration;
use webrtc::rtp_transceiver::rtp_codec::{
    RTCRtpCodecCapability, RTCRtpCodecParameters, RTCRtpHeaderExtensionCapability, RTPCodecType,
};
use webrtc::rtp_transceiver::rtp_transceiver_direction::RTCRtpTransceiverDirection;
use webrtc::rtp_transceiver::{RTCPFeedback, RTCRtpTransceiver, RTCRtpTransceiverInit};
use webrtc::track::track_local::track_local_static_sample::TrackLocalStaticSample;

use super::MediaError;
use super::bwe::nack::NackGeneratorBuilder;
use super::bwe::{BweInterceptorBuilder, Uplink};
use super::probe_guard::ProbeGuardBuilder;
use super::tunnel::TunnelConn;

/// `codec` as the stack describes it.
fn capability(codec: &Codec, rtcp_feedback: Vec<RTCPFeedback>) -> RTCRtpCodecCapability {
    RTCRtpCodecCapability {
        mime_type: codec.mime.to_owned(),
        clock_rate: codec.clock_rate,
        channels: codec.channels,
        sdp_fmtp_line: codec.fmtp.to_owned(),
        rtcp_feedback,
    }
}

pub fn opus_capability() -> RTCRtpCodecCapability {
    capability(&OPUS, vec![])
}

pub fn vp8_capability() -> RTCRtpCodecCapability {
    let fb = |typ: &str, parameter: &str| RTCPFeedback {
        typ: typ.to_owned(),
        parameter: parameter.to_owned(),
    };
    capability(
        &VP8,
        vec![
            fb("goog-remb", ""),
            fb("ccm", "fir"),
            fb("nack", ""),
            fb("nack", "pli"),
        ],
    )
}

/// How the connection's datagrams travel.
pub enum Network {
    /// UDP from this machine's interfaces (`Some`: only this address).
    Udp { bind_ip: Option<IpAddr> },
    /// Through the media tunnel only.
    Tunnel {
        conn: TunnelConn,
        mux: Arc<UDPMuxDefault>,
    },
}

impl Network {
    /// The media tunnel over `conn` as the only way out.
    pub fn tunnel(conn: TunnelConn) -> Network {
        let mux = UDPMuxDefault::new(UDPMuxParams::new(conn.clone()));
        Network::Tunnel { conn, mux }
    }
}

/// How long ICE holds out for a direct path before it takes a relayed one
/// (the stack's default is 2 s; a direct path answers within a round trip).
pub const RELAY_ACCEPTANCE_WAIT: Duration = Duration::from_millis(1000);

/// Candidate gathering for `network`.
fn settings(network: &Network) -> SettingEngine {
    let mut settings = SettingEngine::default();
    settings.set_relay_acceptance_min_wait(Some(RELAY_ACCEPTANCE_WAIT));
    match network {
        // A server on this machine is reached over loopback, which the
        // stack skips unless told; otherwise gather every interface.
        Network::Udp { bind_ip } => {
            if let Some(ip) = bind_ip.filter(|ip| !ip.is_unspecified()) {
                settings.set_ip_filter(Box::new(move |candidate| candidate == ip));
                settings.set_include_loopback_candidate(ip.is_loopback());
                settings.set_network_types(vec![if ip.is_ipv4() {
                    NetworkType::Udp4
                } else {
                    NetworkType::Udp6
                }]);
            }
        }
        // Host candidates on the tunnel (loopback too, so a machine with no
        // other interface still has one); the answer names the tunnel's
        // other end, an IPv4 address.
        Network::Tunnel { mux, .. } => {
            settings.set_udp_network(UDPNetwork::Muxed(mux.clone()));
            settings.set_ice_multicast_dns_mode(MulticastDnsMode::Disabled);
            settings.set_include_loopback_candidate(true);
            settings.set_network_types(vec![NetworkType::Udp4]);
        }
    }
    settings
}

/// Opus and VP8 only (the server's set), the audio-level header extension
/// (the SFU picks the loudest talkers by it), NACK both ways, RTCP reports,
/// TWCC feedback on what we receive, and for what we send: transport-wide
/// sequence numbers and the bandwidth estimator reading the SFU's feedback
/// on them into `uplink`. With `simulcast`, the MID and RID header
/// extensions on video, which tell the SFU the camera's layers apart.
fn api(network: &Network, uplink: Arc<Uplink>, simulcast: bool) -> Result<API, MediaError> {
    let mut media = MediaEngine::default();
    media.register_codec(
        RTCRtpCodecParameters {
            capability: opus_capability(),
            payload_type: OPUS.payload_type,
            ..Default::default()
        },
        RTPCodecType::Audio,
    )?;
    media.register_codec(
        RTCRtpCodecParameters {
            capability: vp8_capability(),
            payload_type: VP8.payload_type,
            ..Default::default()
        },
        RTPCodecType::Video,
    )?;
    media.register_header_extension(
        RTCRtpHeaderExtensionCapability {
            uri: AUDIO_LEVEL_URI.to_owned(),
        },
        RTPCodecType::Audio,
        None,
    )?;
    // Only for simulcast, as the SFU does: without them the stack never
    // probes a stream it does not know (see `probe_guard`).
    let layer_extensions = if simulcast {
        &[SDES_MID_URI, RTP_STREAM_ID_URI][..]
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
    // Nearest the wire first: the estimator sees every packet with its
    // sequence number, retransmissions included (they get their own).
    let mut registry = Registry::new();
    registry.add(Box::new(BweInterceptorBuilder(uplink)));
    registry.add(Box::new(TwccSender::builder()));
    // NACK both ways: the stack's responder resends what we sent; our own
    // generator asks for what we lost (see `breakout_bwe::nack`).
    registry.add(Box::new(Responder::builder()));
    registry.add(Box::new(NackGeneratorBuilder));
    let registry = configure_rtcp_reports(registry);
    let mut registry = configure_twcc_receiver_only(registry, &mut media)?;
    // Last: whatever the others do with the probe's binding, the probe
    // never reads through it (see `probe_guard`).
    registry.add(Box::new(ProbeGuardBuilder));
    Ok(APIBuilder::new()
        .with_media_engine(media)
        .with_interceptor_registry(registry)
        .with_setting_engine(settings(network))
        .build())
}

/// One encoding of the camera: its layer (`None` without simulcast) and
/// the track it is written to.
pub struct CameraTrack {
    pub layer: Option<Layer>,
    pub track: Arc<TrackLocalStaticSample>,
}

/// The connection with its transceivers in offer order.
pub struct Built {
    pub pc: Arc<RTCPeerConnection>,
    pub mic: Arc<TrackLocalStaticSample>,
    /// One track, or one per simulcast layer, lowest first.
    pub camera: Vec<CameraTrack>,
    pub mic_transceiver: Arc<RTCRtpTransceiver>,
    pub camera_transceiver: Arc<RTCRtpTransceiver>,
    /// The screen track and its transceiver, when asked for.
    pub screen: Option<(Arc<TrackLocalStaticSample>, Arc<RTCRtpTransceiver>)>,
    /// The recvonly transceivers: audio slots first, then video (the screen
    /// slot last among them, when asked for).
    pub slots: Vec<Arc<RTCRtpTransceiver>>,
}

/// The m-lines that go with the slots: what the offer declares besides
/// the mic, the camera and the room's slots.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras {
    pub screen_track: bool,
}

/// The connection over `network`; STUN/TURN servers are used over UDP
/// only (the tunnel needs none). Its bandwidth estimate goes to `uplink`.
/// The camera sends `camera_layers` (lowest first) as simulcast, or one
/// picture when empty.
pub async fn build(
    network: &Network,
    uplink: Arc<Uplink>,
    ice_servers: &[IceServer],
    (audio_slots, video_slots): (usize, usize),
    stream_id: &str,
    camera_layers: &[Layer],
    extras: Extras,
) -> Result<Built, MediaError> {
    let ice_servers = match network {
        Network::Udp { .. } => ice_servers,
        Network::Tunnel { .. } => &[],
    };
    let configuration = RTCConfiguration {
        ice_servers: ice_servers
            .iter()
            .map(|server| RTCIceServer {
                urls: server.urls.clone(),
                username: server.username.clone().unwrap_or_default(),
                credential: server.credential.clone().unwrap_or_default(),
            })
            .collect(),
        ..RTCConfiguration::default()
    };
    let pc = Arc::new(
        api(network, uplink, !camera_layers.is_empty())?
            .new_peer_connection(configuration)
            .await?,
    );
    let send = || {
        Some(RTCRtpTransceiverInit {
            direction: RTCRtpTransceiverDirection::Sendonly,
            send_encodings: vec![],
        })
    };
    let mic = Arc::new(TrackLocalStaticSample::new(
        opus_capability(),
        "mic".into(),
        stream_id.into(),
    ));
    let camera: Vec<CameraTrack> = if camera_layers.is_empty() {
        vec![CameraTrack {
            layer: None,
            track: Arc::new(TrackLocalStaticSample::new(
                vp8_capability(),
                "camera".into(),
                stream_id.into(),
            )),
        }]
    } else {
        camera_layers
            .iter()
            .map(|&layer| CameraTrack {
                layer: Some(layer),
                track: Arc::new(TrackLocalStaticSample::new_with_rid(
                    vp8_capability(),
                    "camera".into(),
                    layer.rid().into(),
                    stream_id.into(),
                )),
            })
            .collect()
    };
    let mic_transceiver = pc.add_transceiver_from_track(mic.clone(), send()).await?;
    // The first encoding makes the transceiver, the others join it before
    // the offer (it then carries `a=rid:<rid> send` and `a=simulcast`).
    let camera_transceiver = pc
        .add_transceiver_from_track(camera[0].track.clone(), send())
        .await?;
    let camera_sender = camera_transceiver.sender().await;
    for encoding in &camera[1..] {
        camera_sender.add_encoding(encoding.track.clone()).await?;
    }
    let screen = if extras.screen_track {
        let track = Arc::new(TrackLocalStaticSample::new(
            vp8_capability(),
            "screen".into(),
            stream_id.into(),
        ));
        let transceiver = pc.add_transceiver_from_track(track.clone(), send()).await?;
        Some((track, transceiver))
    } else {
        None
    };
    let mut slots = Vec::with_capacity(audio_slots + video_slots);
    for (kind, count) in [
        (RTPCodecType::Audio, audio_slots),
        (RTPCodecType::Video, video_slots),
    ] {
        for _ in 0..count {
            let init = RTCRtpTransceiverInit {
                direction: RTCRtpTransceiverDirection::Recvonly,
                send_encodings: vec![],
            };
            slots.push(pc.add_transceiver_from_kind(kind, Some(init)).await?);
        }
    }
    Ok(Built {
        pc,
        mic,
        camera,
        mic_transceiver,
        camera_transceiver,
        screen,
        slots,
    })
}

#[cfg(test)]
mod tests {
    use webrtc::api::media_engine::{MIME_TYPE_OPUS, MIME_TYPE_VP8};

    use super::*;

    /// The offer says exactly what the protocol crate defines, with the
    /// stack's own names for the codecs.
    #[tokio::test]
    async fn the_offer_carries_the_protocol_codecs() {
        assert_eq!(OPUS.mime, MIME_TYPE_OPUS);
        assert_eq!(VP8.mime, MIME_TYPE_VP8);
        let network = Network::Udp {
            bind_ip: Some(std::net::Ipv4Addr::LOCALHOST.into()),
        };
        let uplink = Uplink::new(Default::default());
        let built = build(
            &network,
            uplink,
            &[],
            (1, 1),
            "test",
            &[],
            Extras::default(),
        )
        .await
        .unwrap();
        let sdp = built.pc.create_offer(None).await.unwrap().sdp;
        let opus = format!(
            "a=rtpmap:{} opus/{}/{}",
            OPUS.payload_type, OPUS.clock_rate, OPUS.channels
        );
        let vp8 = format!("a=rtpmap:{} VP8/{}", VP8.payload_type, VP8.clock_rate);
        let fmtp = format!("a=fmtp:{} {}", OPUS.payload_type, OPUS.fmtp);
        let extension = format!(" {AUDIO_LEVEL_URI}");
        for line in [&opus, &vp8, &fmtp, &extension] {
            assert!(sdp.contains(line.as_str()), "{line:?} missing from\n{sdp}");
        }
        assert!(!sdp.contains("a=simulcast"), "{sdp}");
        assert!(!sdp.contains(SDES_MID_URI), "{sdp}");
        built.pc.close().await.unwrap();
    }

    /// A simulcast camera is one m-line whose layers the SFU reads off its
    /// RID lines, with the header extensions that name them on the wire.
    #[tokio::test]
    async fn a_simulcast_offer_names_each_layer() {
        let network = Network::Udp {
            bind_ip: Some(std::net::Ipv4Addr::LOCALHOST.into()),
        };
        let uplink = Uplink::new(Default::default());
        let extras = Extras { screen_track: true };
        let built = build(&network, uplink, &[], (0, 1), "test", &Layer::ALL, extras)
            .await
            .unwrap();
        assert_eq!(built.camera.len(), 3);
        let sdp = built.pc.create_offer(None).await.unwrap().sdp;
        let video: Vec<&str> = sdp.split("m=video").collect();
        let camera = video[1];
        for line in [
            "a=rid:q send",
            "a=rid:h send",
            "a=rid:f send",
            "a=simulcast:send q;h;f",
            SDES_MID_URI,
            RTP_STREAM_ID_URI,
        ] {
            assert!(camera.contains(line), "{line:?} missing from\n{camera}");
        }
        assert!(!video[2].contains("a=rid:"), "the screen has no layers");
        assert!(video[2].contains("a=sendonly"), "{}", video[2]);
        assert!(!video[3].contains("a=rid:"), "slots have no layers");
        built.pc.close().await.unwrap();
    }
}
