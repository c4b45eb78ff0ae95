//! The SFU: one WebRTC connection per participant for the whole meeting; a
//! room switch only changes what is forwarded to whom.
//!
//! # Which webrtc crate: 0.17 (classic API), measured
//!
//! Two peers on 127.0.0.1, one VP8 track, full offer/answer with gathered
//! candidates, a packet every 2 ms; p50 of 10 runs, from creating the
//! connections:
//!
//! | crate            | connected | first RTP received |
//! |------------------|-----------|--------------------|
//! | webrtc 0.17.2    |   12 ms   |   13 ms            |
//! | webrtc 0.21.1    |  206 ms   |  208 ms            |
//!
//! Where 0.21's time goes (trace logs): ICE is connected after ~8 ms and the
//! DTLS client prepares its first flight (ClientHello) at once, but the
//! flight leaves the ICE handler only ~200 ms later, on the driver's next
//! timer wake-up: the ICE agent's 200 ms check interval. The handshake then
//! completes in ~2 ms. Interceptors make no difference (206 ms without
//! them). No setting fixes it: the 0.21 `SettingEngine` exposes ICE
//! disconnected/failed/keepalive timeouts but not the check interval, and
//! the DTLS flight interval only governs retransmission. It is a scheduling
//! gap in the sans-IO driver (flush after a state change), worth reporting
//! upstream; it costs every join ~200 ms.
//!
//! So the SFU uses 0.17.2: 16× faster to first media, and its interceptors
//! (NACK generator and responder, sender/receiver reports, TWCC) are what
//! the RTCP design below relies on. Its known cost, ~109 KiB leaked per
//! closed connection, is small here because a participant keeps one
//! connection for the whole meeting. Revisit when 0.2x drains its queues
//! after every input.
//!
//! # Measured (`scripts/bench-media.sh`: release SFU process, loopback)
//!
//! Host moves a participant (countdown 0) → first packet of the new room:
//! p50 10.3 ms, p95 18.4 ms (first video keyframe: p50 12.7, p95 26.3 ms),
//! against p50 54.5 ms, p95 95.1 ms for a new signaling connection and
//! PeerConnection per room (ratio 0.19). Token → first RTP: 51.4 ms (p50).
//! Forwarding 4 publishers (50 pps audio + 300 pps video each) to 7
//! listeners each, 56 streams, 9,800 packets/s out, on a 2-core machine
//! shared with other builds: `forward_pkt_per_core_s` (packets written per
//! CPU-second of the SFU) 62,400-66,200 in three runs (2,640-2,810 µs of
//! CPU per stream-second, 15-16 µs per packet), against 57,700-58,100
//! (3,010-3,040 µs) for the same load before slots wrote under the stack's
//! statistics recorder ([`egress`]); run side by side on the same machine
//! state the two differ by 8-12 %. Of each packet's cost, an earlier
//! profile put up to ~8 µs in the loopback `sendto` (which on loopback also
//! charges the receiver's kernel path to the SFU) and under 1 µs in SRTP.
//!
//! The rest is mostly scheduling. With one tokio worker instead of two
//! (`TOKIO_WORKER_THREADS=1`) the same load costs 15-30 % less CPU in
//! side-by-side runs: at a sixth of a core, each publisher packet that
//! wakes its seven subscribers' writer tasks also wakes the runtime's idle
//! second worker, which steals some of them (0.4 context switches per
//! forwarded packet). Draining a writer's queue in batches (`recv_many`)
//! made no measurable difference: at this load a writer rarely finds more
//! than one packet queued. A NACK generator that sleeps until a gap shows
//! instead of ticking every 10 ms per connection gained another 4-8 %, but
//! with it the simulcast tests lost a publisher's audio or its full layer
//! in one run of three, so the ticker stays. Writing from the publisher's
//! reader task straight to each subscriber (no queue, no writer task) cost
//! 20-30 % *more* CPU in back-to-back runs: several publishers' tasks then
//! contend for the subscriber connection's SRTP and mux locks, which one
//! writer task per subscriber serialises for free. One forwarding task per
//! room (a packet wakes one task, which writes every subscriber) did not
//! pay either: 64,800-68,900 packets per CPU-second against 67,100-76,000
//! for the writer task per subscriber, three runs each, alternating, on an
//! otherwise idle machine (the subscribers' writes then run one after the
//! other on one core; with a task each, both cores share them). The same load through Janus 1.1.2
//! (VideoRoom, multistream subscribers) cost Janus 7.1-8.8 ms per
//! stream-second before this change (`forward_cpu_ratio_vs_janus` 0.5-0.75);
//! Janus peaks at 26 MB RSS against our 46-54 MB. Peak RSS stays that low
//! because the NACK send buffer is sized for live video (it was 293 MB with
//! the stack's 8,192-packet default per slot).
//!
//! # Layers (after LiveKit's `sfu`)
//!
//! - [`peer`]: builds a participant's `RTCPeerConnection` and answers its one
//!   offer. Remote `sendonly` m-lines are upstream (one Opus, one VP8 with
//!   up to three simulcast layers by RID, and the screen track the offer
//!   names); remote `recvonly` m-lines are the participant's fixed
//!   downstream slots (4 audio + 9 video + a screen slot by default),
//!   each answered `sendonly` with a `TrackLocalStaticRTP` whose SSRC never
//!   changes ([`egress`] writes to its sender's stream). [`probe_guard`]
//!   works around a race in the stack's discovery of RID streams.
//! - [`upstream`]: one reader task per received track, i.e. per mic and per
//!   camera layer; it measures the layer's bitrate and learns its resolution
//!   from its keyframes. It never blocks: each packet goes to the subscribed
//!   slots with `try_send` into bounded queues; a full queue is a counted
//!   drop.
//! - [`downstream`]: one writer task per subscriber (the "downtrack"):
//!   sequence numbers and timestamps of whichever source feeds a slot are
//!   mapped onto the slot's own continuous ones ([`rewrite`]), and so are
//!   the VP8 payload descriptor's PictureID, TL0PICIDX and KEYIDX ([`vp8`]),
//!   which a browser's frame buffer orders frames by; a new video source is
//!   held back until it starts a keyframe. A switch then looks like one
//!   continuous stream to a standard decoder. Another layer of the same
//!   camera is the same kind of switch, except that the layer shown so far
//!   goes on until the new one's keyframe, so the picture never freezes.
//! - [`egress`]: where a slot's packets go: the connection's interceptor
//!   chain for that stream (NACK responder, reports, TWCC, downlink
//!   estimate, SRTP), without the stack's track writer and its per-packet
//!   statistics messages.
//! - [`participant`]: the router's state of one participant (connection,
//!   slots, what feeds them, their camera's layers) and the one operation
//!   that switches a slot.
//! - [`layers`]: which layer each video slot of a subscriber forwards, a pure
//!   function of the declared tile sizes, the layers' resolutions and
//!   bitrates and the subscriber's downlink budget.
//! - [`router`]: one control task per meeting. The meeting actor publishes
//!   the placement (room, mic, camera of everyone) after every command and
//!   tick ([`MediaRouter::sync`]); the router recomputes the slots
//!   ([`assign`], [`slots`]) and their layers ([`layers`]; again every
//!   500 ms, as resolutions and bitrates are learned), switches them, asks
//!   new video sources for a keyframe, pushes a slot map to each client
//!   whose slots changed and tells each simulcast publisher which of its
//!   layers are wanted. No SDP, ICE or DTLS is involved in a switch.
//! - [`speaking`]: who speaks in each room, from the same audio levels
//!   that rank talkers, summarised for hosts and cohosts once a second.
//! - [`recording`], [`recorder`], [`recorder_video`]: a recorded room's
//!   voices mixed and its screen or speaker's VP8 copied into one WebM file.
//! - [`threads`]: the single-threaded runtimes a meeting's media runs on.
//!
//! # Listening in and speaking to all rooms
//!
//! Both are more audio slots negotiated at join, filled by the same
//! switch as a room's own: a host's listening slots carry the talkers of
//! the room they listen in on ([`assign`] ranks them as it ranks the
//! host's own room), and everyone's all-rooms slot carries the microphone
//! of whoever speaks to all rooms. The forwarding path is the same
//! subscription of a slot to an upstream; nothing new happens per packet.
//! A client that offered none of these slots hears the voice to all rooms
//! in one of its room's audio slots, ranked first.
//!
//! # RTCP
//!
//! - NACK: the stack's NACK generator asks publishers for lost packets; its
//!   responder answers subscribers' NACKs from the per-slot send buffer
//!   (256 packets, after rewriting, so numbers match). Subscribers' NACKs
//!   are not passed upstream: a retransmission the buffer cannot answer
//!   would be too late for a live call anyway.
//! - PLI/FIR from a subscriber go to the slot's current source (at most one
//!   per 30 ms per source, which merges the burst of a gather or round robin
//!   into one); every switch of a video slot sends one, repeated every
//!   150 ms until the keyframe arrives.
//! - Sender and receiver reports: the stack's report interceptors.
//! - Congestion: TWCC feedback is generated towards publishers (the stack's
//!   receiver-side interceptor), so browsers' send-side estimators adapt to
//!   the path to the server, and a publisher stops encoding the layers
//!   nobody receives. Downstream, everything forwarded carries transport-
//!   wide sequence numbers and each subscriber's feedback on them feeds a
//!   send-side estimate of its downlink ([`downlink`]); [`layers::select`]
//!   keeps what the subscriber receives within it, dropping video layers
//!   before any audio, at the next re-selection (at most 500 ms later).
//!
//! Header extensions of upstream packets are stripped when forwarding: ids
//! are negotiated per connection and transport-wide numbers are per hop.

mod assign;
mod downlink;
mod downstream;
mod egress;
mod event;
mod ice_servers;
mod layers;
mod network;
mod participant;
mod peer;
mod probe_guard;
mod recorder;
mod recorder_video;
mod recording;
mod rewrite;
mod router;
mod slots;
mod speaking;
mod stats;
mod threads;
mod upstream;
mod vp8;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use breakout_core::{Meeting, ParticipantId, RoomId};
use breakout_protocol::ApiError;
use breakout_protocol::media::{IceCandidate, TileSize};
use breakout_protocol::ws::{Reply, Request, ServerMessage};
use tokio::sync::{mpsc, oneshot, watch};

use crate::clock::Clock;
use crate::connections::ConnectionHandle;

pub use ice_servers::{IceConfigError, IceServersConfig};
pub use network::{MediaNetwork, MediaNetworkConfig};
pub(crate) use peer::live_connections;
pub use recording::RecordingTarget;
pub(crate) use recording::prefix as recording_prefix;

/// Why a media request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// The participant is not (or no longer) in the meeting.
    #[error("you are not in this meeting")]
    NotInMeeting,
    /// This connection already has its media connection.
    #[error("media is already negotiated on this connection; it is never renegotiated")]
    AlreadyNegotiated,
    /// A candidate, keyframe request or stats request before the offer.
    #[error("send a media offer first")]
    NotNegotiated,
    /// The offer could not be applied.
    #[error("the offer was refused: {0}")]
    BadOffer(String),
    /// The candidate line could not be read.
    #[error("the ICE candidate was refused: {0}")]
    BadCandidate(String),
    /// No slot has this mid.
    #[error("no slot has this mid")]
    UnknownSlot,
    /// The WebRTC stack failed.
    #[error("media error: {0}")]
    WebRtc(#[from] webrtc::Error),
    /// The meeting's media task has stopped.
    #[error("the meeting's media is not running")]
    Gone,
    #[error("internal media error: {0}")]
    Internal(&'static str),
}

impl From<MediaError> for ApiError {
    fn from(error: MediaError) -> Self {
        let code = match &error {
            MediaError::NotInMeeting => "unknown_participant",
            MediaError::AlreadyNegotiated => "already_negotiated",
            MediaError::NotNegotiated => "not_negotiated",
            MediaError::BadOffer(_) => "bad_offer",
            MediaError::BadCandidate(_) => "bad_candidate",
            MediaError::UnknownSlot => "unknown_slot",
            MediaError::WebRtc(_) | MediaError::Internal(_) => "media_failed",
            MediaError::Gone => "meeting_gone",
        };
        ApiError::new(code, error.to_string())
    }
}

/// Where everyone is and what they publish, as the media plane needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placement {
    pub members: BTreeMap<ParticipantId, Member>,
    /// Whose microphone every room hears now.
    pub speaking_to_all: Option<ParticipantId>,
    /// The rooms recorded now.
    pub recorded: BTreeSet<RoomId>,
    /// Where breakouts are: a recording starts a new file with each round.
    pub round: Round,
}

/// The breakout round as recordings split files by it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Round {
    /// No round is running (before the first, between rounds).
    #[default]
    Between,
    /// The round that started at this time.
    Running(breakout_core::Timestamp),
    /// The round is closing: still the round that was running.
    Closing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    pub room: RoomId,
    pub mic: bool,
    pub camera: bool,
    /// The room a host or cohost listens in on.
    pub listening: Option<RoomId>,
    /// Their screen is the one their room sees.
    pub sharing: bool,
}

impl Placement {
    pub fn of(meeting: &Meeting) -> Placement {
        Placement {
            members: meeting
                .participants()
                .map(|p| {
                    let member = Member {
                        room: p.room,
                        mic: p.media.mic,
                        camera: p.media.camera,
                        listening: p.listening,
                        sharing: meeting.sharer(p.room) == Some(p.id),
                    };
                    (p.id, member)
                })
                .collect(),
            speaking_to_all: meeting.speaking_to_all(),
            recorded: meeting.recorded_rooms().into_iter().collect(),
            round: match meeting.phase() {
                breakout_core::Phase::Idle => Round::Between,
                breakout_core::Phase::Running { started_at, .. } => Round::Running(started_at),
                breakout_core::Phase::Closing { .. } => Round::Closing,
            },
        }
    }
}

pub(crate) enum MediaRequest {
    /// `restart`: replaces a connection this socket negotiated before.
    Offer {
        sdp: String,
        restart: bool,
        extra: ExtraAudio,
        screen: ScreenLines,
    },
    Candidate {
        candidate: IceCandidate,
    },
    Keyframe {
        mid: String,
    },
    Stats,
    Tiles {
        tiles: Vec<TileSize>,
    },
}

impl MediaRequest {
    /// The media part of the WebSocket protocol, or the request back.
    pub fn from_request(request: Request) -> Result<MediaRequest, Request> {
        match request {
            Request::MediaOffer {
                sdp,
                restart,
                listen_slots,
                all_rooms_slot,
                screen_track,
                screen_slot,
            } => Ok(MediaRequest::Offer {
                sdp,
                restart,
                extra: ExtraAudio {
                    listen: usize::from(listen_slots),
                    all_rooms: all_rooms_slot,
                },
                screen: ScreenLines {
                    track: screen_track,
                    slot: screen_slot,
                },
            }),
            Request::MediaCandidate { candidate } => Ok(MediaRequest::Candidate { candidate }),
            Request::RequestKeyframe { mid } => Ok(MediaRequest::Keyframe { mid }),
            Request::GetMediaStats => Ok(MediaRequest::Stats),
            Request::SetTileSizes { tiles } => Ok(MediaRequest::Tiles { tiles }),
            other => Err(other),
        }
    }
}

/// The audio slots an offer declares besides its room's: the last
/// `listen` (+ 1 with `all_rooms`) recvonly audio m-lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ExtraAudio {
    pub listen: usize,
    pub all_rooms: bool,
}

/// The screen sharing m-lines an offer declares: the `mid` of its screen
/// track, and whether its last recvonly video m-line is the screen slot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ScreenLines {
    pub track: Option<String>,
    pub slot: bool,
}

pub(crate) enum RouterMessage {
    Request {
        participant: ParticipantId,
        connection: ConnectionHandle,
        request: MediaRequest,
        reply: oneshot::Sender<Result<Reply, MediaError>>,
    },
    Close,
}

/// The meeting actor's side: publishes the placement, stops the router,
/// and takes the speaking summaries to hand to hosts and cohosts.
pub(crate) struct MediaRouter {
    placement: watch::Sender<Arc<Placement>>,
    handle: MediaHandle,
    speaking: mpsc::Receiver<ServerMessage>,
}

/// What a WebSocket connection uses to reach its meeting's media.
#[derive(Clone)]
pub(crate) struct MediaHandle {
    tx: mpsc::Sender<RouterMessage>,
}

impl MediaRouter {
    /// Starts the meeting's media task on a media thread (see
    /// [`threads`]); its connections share the server's media socket.
    /// Recordings go to `recordings`; without one, recorded rooms are not.
    pub fn spawn(
        meeting: &Meeting,
        network: Arc<MediaNetwork>,
        clock: Clock,
        recordings: Option<RecordingTarget>,
    ) -> MediaRouter {
        let (placement, placement_rx) = watch::channel(Arc::new(Placement::of(meeting)));
        let (tx, rx) = mpsc::channel(1024);
        // One summary waits at most: a newer one replaces what is unread.
        let (speaking_tx, speaking) = mpsc::channel(1);
        let recordings = recording::Recordings::new(recordings, clock.clone());
        let summaries = speaking::Summaries::new(clock, speaking_tx);
        let router = router::Router::new(placement_rx, rx, network.clone(), summaries, recordings);
        network.spawn_meeting(router.run());
        MediaRouter {
            placement,
            handle: MediaHandle { tx },
            speaking,
        }
    }

    /// The next speaking summary for hosts and cohosts (pending forever
    /// once the router stopped).
    pub async fn next_speaking(&mut self) -> ServerMessage {
        match self.speaking.recv().await {
            Some(message) => message,
            None => std::future::pending().await,
        }
    }

    pub fn handle(&self) -> MediaHandle {
        self.handle.clone()
    }

    /// Publishes the meeting's placement if it changed. Cheap; never waits.
    pub fn sync(&self, meeting: &Meeting) {
        let next = Placement::of(meeting);
        self.placement.send_if_modified(|current| {
            if **current == next {
                return false;
            }
            *current = Arc::new(next);
            true
        });
    }

    /// Closes every media connection of the meeting.
    pub fn close(&self) {
        let _ = self.handle.tx.try_send(RouterMessage::Close);
    }
}

impl MediaHandle {
    pub async fn request(
        &self,
        participant: ParticipantId,
        connection: ConnectionHandle,
        request: MediaRequest,
    ) -> Result<Reply, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(RouterMessage::Request {
                participant,
                connection,
                request,
                reply,
            })
            .await
            .map_err(|_| MediaError::Gone)?;
        Ok(answer.await.map_err(|_| MediaError::Gone)??)
    }
}
