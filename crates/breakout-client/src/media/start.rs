//! Bringing media up for a [`MediaSession`](super::MediaSession): sources,
//! the one offer, the tasks. The session is assembled from what this returns,
//! so this module knows only the configuration, never the session.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use breakout_protocol::media::{Layer, MediaKind, SlotMap};
use breakout_protocol::ws::{Reply, Request};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::warn;
use webrtc::ice_transport::ice_connection_state::RTCIceConnectionState;
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::rtp_transceiver::rtp_codec::RTPCodecType;

use super::MediaError;
use super::audio::INITIAL_LOSS_PERCENT;
use super::bwe::{BweConfig, Uplink};
use super::config::{MediaConfig, MediaTransport};
use super::encodings::Encoding;
use super::events::{EventSink, MediaEvent, Transport};
use super::peer::{self, Network};
use super::receive::{self, SlotState};
use super::screen::{self, KeyframeWanted};
use super::send::{self, Switches};
use super::simulcast::layers_for;
use super::sources::{self, Sources, Wiring};
use super::tunnel::{TunnelConn, route_answer_through_tunnel};
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
    /// Where the session itself reports (a share that ended).
    pub sink: EventSink,
    /// The slot map the answer came with.
    pub map: SlotMap,
    pub events: mpsc::Receiver<MediaEvent>,
    pub transport: Transport,
    /// To close with the session, when media runs through it.
    pub tunnel: Option<TunnelConn>,
    pub uplink: Arc<Uplink>,
    pub camera: Arc<[Encoding]>,
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
    // The layers are part of the offer: decided by the source open now.
    let camera_layers = match video.as_ref().and_then(|(input, _)| input.size()) {
        Some((width, height)) if config.simulcast => layers_for(width, height),
        _ => Vec::new(),
    };

    let (stop, stop_rx) = watch::channel(false);
    let wiring = LinkWiring {
        events: &events,
        stop: &stop_rx,
        camera_layers: &camera_layers,
    };
    let link = match config.transport {
        MediaTransport::Udp => Link::open(conn, config, udp(config), false, &wiring).await?,
        MediaTransport::Tunnel => {
            Link::open(conn, config, tunnel(conn).await?, false, &wiring).await?
        }
        MediaTransport::Auto { udp_wait } => {
            let link = Link::open(conn, config, udp(config), false, &wiring).await?;
            if link.connects_within(udp_wait + relay_wait(conn)).await {
                link
            } else {
                warn!(
                    wait_ms = udp_wait.as_millis() as u64,
                    "no media over UDP: this network seems to block it; using the media tunnel"
                );
                link.abandon().await;
                Link::open(conn, config, tunnel(conn).await?, true, &wiring).await?
            }
        }
    };
    let Link {
        built,
        slots,
        map,
        transport,
        tunnel,
        uplink,
        ..
    } = link;
    let pc = built.pc.clone();
    let mut tasks = Vec::new();

    let switches = Arc::new(Switches::new(
        config.mic_on && audio.is_some(),
        config.camera_on && video.is_some(),
        INITIAL_LOSS_PERCENT,
    ));
    tasks.push(send::spawn_mic_rtcp_reader(
        built.mic_transceiver.sender().await,
        switches.clone(),
    ));
    let camera: Arc<[Encoding]> = built
        .camera
        .iter()
        .map(|c| Encoding::new(c.layer, c.track.clone()))
        .collect();
    let camera_sender = built.camera_transceiver.sender().await;
    for index in 0..camera.len() {
        tasks.push(send::spawn_camera_rtcp_reader(
            camera_sender.clone(),
            camera.clone(),
            index,
            switches.clone(),
        ));
    }
    let screen = match &built.screen {
        Some((track, transceiver)) => {
            let keyframe = Arc::new(KeyframeWanted::default());
            tasks.push(screen::spawn_rtcp_reader(
                transceiver.sender().await,
                keyframe.clone(),
            ));
            Some((track.clone(), keyframe))
        }
        None => None,
    };
    let sources = Sources::new(Wiring {
        participant,
        events: events.clone(),
        switches: switches.clone(),
        stop: stop_rx,
        slots: slots.clone(),
        mic_track: built.mic.clone(),
        camera: camera.clone(),
        uplink: uplink.clone(),
        uplink_cap_bps: bwe_config(config).max_bps,
        screen,
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
        sink: events.clone(),
        map,
        events: rx,
        transport,
        tunnel,
        uplink,
        camera,
    })
}

/// How much longer to give UDP when the server hands out a TURN relay:
/// ICE takes a relayed path only after a direct one had its chance.
fn relay_wait(conn: &Connection) -> Duration {
    let relayed = conn
        .ice_servers()
        .iter()
        .flat_map(|server| &server.urls)
        .any(|url| url.starts_with("turn:") || url.starts_with("turns:"));
    if relayed {
        peer::RELAY_ACCEPTANCE_WAIT + Duration::from_millis(1000)
    } else {
        Duration::ZERO
    }
}

fn udp(config: &MediaConfig) -> Network {
    Network::Udp {
        bind_ip: config.bind_ip,
    }
}

/// The media tunnel, opened as `conn`'s participant.
async fn tunnel(conn: &Connection) -> Result<Network, MediaError> {
    let socket = conn.open_media_tunnel().await?;
    Ok(Network::tunnel(TunnelConn::new(socket)))
}

/// What every attempt at a connection is wired to.
struct LinkWiring<'a> {
    events: &'a EventSink,
    stop: &'a watch::Receiver<bool>,
    /// The camera's simulcast layers, lowest first; none without.
    camera_layers: &'a [Layer],
}

/// One negotiated connection, before anything is sent on it.
struct Link {
    built: peer::Built,
    slots: Vec<Arc<SlotState>>,
    /// The slot map the answer came with.
    map: SlotMap,
    transport: Transport,
    /// The tunnel the connection runs through, if it does.
    tunnel: Option<TunnelConn>,
    uplink: Arc<Uplink>,
    ice: watch::Receiver<RTCIceConnectionState>,
    /// Set when this attempt is given up, so it reports nothing more.
    abandoned: Arc<AtomicBool>,
}

impl Link {
    /// Builds a connection over `network`, offers it (replacing the one
    /// before when `restart`) and applies the answer.
    async fn open(
        conn: &Connection,
        config: &MediaConfig,
        network: Network,
        restart: bool,
        wiring: &LinkWiring<'_>,
    ) -> Result<Link, MediaError> {
        let participant = conn.participant();
        let (transport, tunnel) = match &network {
            Network::Udp { .. } => (Transport::Udp, None),
            Network::Tunnel { conn, .. } => (Transport::Tunnel, Some(conn.clone())),
        };
        let uplink = Uplink::new(bwe_config(config));
        let built = peer::build(
            &network,
            uplink.clone(),
            conn.ice_servers(),
            (
                config.audio_slots + config.listen_slots + usize::from(config.all_rooms_slot),
                config.video_slots + usize::from(config.screen_slot),
            ),
            &format!("participant-{}", participant.0),
            wiring.camera_layers,
            peer::Extras {
                screen_track: config.screen_track,
            },
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
            let slot = SlotState::new(
                mid.to_string(),
                kind,
                (config.jitter_min, config.jitter_max),
            );
            slots.push(Arc::new(if config.decode {
                slot
            } else {
                slot.counting_only()
            }));
        }
        let abandoned = Arc::new(AtomicBool::new(false));
        {
            let (slots, events, stop_rx, weak) = (
                slots.clone(),
                wiring.events.clone(),
                wiring.stop.clone(),
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
            let (events, abandoned) = (wiring.events.clone(), abandoned.clone());
            pc.on_peer_connection_state_change(Box::new(move |state| {
                if !abandoned.load(Ordering::Relaxed) {
                    events.send(MediaEvent::Connection {
                        state: state.to_string(),
                    });
                }
                Box::pin(async {})
            }));
        }
        let (ice_tx, ice) = watch::channel(RTCIceConnectionState::New);
        pc.on_ice_connection_state_change(Box::new(move |state| {
            let _ = ice_tx.send(state);
            Box::pin(async {})
        }));

        let request = Request::MediaOffer {
            sdp: offer.sdp,
            restart,
            // Listening slots beyond what a u8 holds would be refused anyway.
            listen_slots: u8::try_from(config.listen_slots).unwrap_or(u8::MAX),
            all_rooms_slot: config.all_rooms_slot,
            screen_track: match &built.screen {
                Some((_, transceiver)) => Some(
                    transceiver
                        .mid()
                        .ok_or_else(|| MediaError::Protocol("the screen track has no mid".into()))?
                        .to_string(),
                ),
                None => None,
            },
            screen_slot: config.screen_slot,
        };
        let Reply::MediaAnswer { sdp, slots: map } = conn.request(request).await? else {
            return Err(MediaError::Protocol(
                "an offer answered without an answer".into(),
            ));
        };
        let sdp = match transport {
            Transport::Udp => sdp,
            Transport::Tunnel => route_answer_through_tunnel(&sdp),
        };
        pc.set_remote_description(RTCSessionDescription::answer(sdp)?)
            .await?;
        Ok(Link {
            built,
            slots,
            map,
            transport,
            tunnel,
            uplink,
            ice,
            abandoned,
        })
    }

    /// Whether ICE finds a working path within `wait`.
    async fn connects_within(&self, wait: Duration) -> bool {
        let mut ice = self.ice.clone();
        let settled = ice.wait_for(|state| {
            matches!(
                state,
                RTCIceConnectionState::Connected
                    | RTCIceConnectionState::Completed
                    | RTCIceConnectionState::Failed
            )
        });
        match tokio::time::timeout(wait, settled).await {
            Ok(Ok(state)) => *state != RTCIceConnectionState::Failed,
            _ => false,
        }
    }

    /// Closes this attempt without a word to the caller.
    async fn abandon(self) {
        self.abandoned.store(true, Ordering::Relaxed);
        if let Err(error) = self.built.pc.close().await {
            warn!(%error, "closing a media connection that did not connect");
        }
    }
}

/// The estimator's range, under the configured limit.
fn bwe_config(config: &MediaConfig) -> BweConfig {
    let default = BweConfig::default();
    let Some(limit) = config.send_limit_bps else {
        return default;
    };
    let max_bps = limit.max(default.min_bps);
    BweConfig {
        start_bps: default.start_bps.min(max_bps),
        max_bps,
        ..default
    }
}

/// Records why a device was left out; the session goes on without it.
fn note<T>(notes: &mut Vec<String>, error: MediaError, consequence: &str) -> Option<T> {
    let sentence = format!("{error}; {consequence}");
    warn!("{sentence}");
    notes.push(sentence);
    None
}
