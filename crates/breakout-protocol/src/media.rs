//! Media signaling on `/v1/ws`: one WebRTC connection per participant for the
//! whole meeting, negotiated once, never renegotiated on a room switch.
//!
//! # The one negotiation
//!
//! The client creates its RTCPeerConnection and sends **one offer** whose
//! m-lines say what they are by their direction:
//!
//! - `sendonly` (or `sendrecv`) audio / video: the client's **upstream** mic
//!   ([`OPUS`]) and camera ([`VP8`]), with the [`AUDIO_LEVEL_URI`] extension
//!   on audio. At most one of each kind; the server answers
//!   them `recvonly`.
//! - `recvonly` audio / video: **downstream slots**, the fixed set of tiles the
//!   client can show. Offer [`AUDIO_SLOTS`] audio and [`VIDEO_SLOTS`] video
//!   slots (at most [`MAX_AUDIO_SLOTS`] / [`MAX_VIDEO_SLOTS`]; extra ones are
//!   answered `inactive`). The server answers them `sendonly`, each with its
//!   own SSRC that never changes.
//!
//! In a browser: `addTransceiver(micTrack, {direction: "sendonly"})`, the
//! same for the camera, then `addTransceiver("audio", {direction:
//! "recvonly"})` four times and `addTransceiver("video", {direction:
//! "recvonly"})` nine times, `createOffer`, `setLocalDescription`, send
//! [`Request::MediaOffer`](crate::ws::Request::MediaOffer). The reply
//! ([`Reply::MediaAnswer`](crate::ws::Reply::MediaAnswer)) carries the answer
//! SDP, with the server's ICE candidates already in it, and the first
//! [`SlotMap`]. Client candidates may be trickled with
//! [`Request::MediaCandidate`](crate::ws::Request::MediaCandidate) or left in
//! the offer.
//!
//! A second offer on the same connection is refused (`already_negotiated`):
//! the connection lives as long as the participant's session. The one
//! exception is a restart (`"restart": true`): a connection that never
//! connected is replaced by a new one, as below.
//!
//! # When UDP is blocked
//!
//! Many company and hotel networks let only TCP out. A client whose ICE
//! checks over UDP get no answer opens a second WebSocket to
//! [`MEDIA_TUNNEL_PATH`](crate::MEDIA_TUNNEL_PATH) on the same HTTP(S) port,
//! authenticated like `/v1/ws` (`Authorization: Bearer <token>` or
//! `?token=`). Each binary message on it is one datagram, exactly what would
//! have travelled over UDP (STUN, DTLS, SRTP, SRTCP); the server delivers
//! them to its media port as if they came from a UDP peer, and sends that
//! peer's datagrams back the same way. The client then creates a new
//! RTCPeerConnection whose packets all go through the tunnel, offers it
//! with `"restart": true`, and replaces the candidates of the answer with
//! one address of its own that stands for the tunnel. ICE, DTLS and SRTP run
//! unchanged end to end, so the server sees an ordinary connection: slots,
//! room switches without renegotiation, and mic/camera state are the same.
//!
//! # Slots
//!
//! Which participant each slot currently shows is pushed as
//! [`ServerMessage::Slots`](crate::ws::ServerMessage::Slots) whenever it
//! changes (a room switch, someone mutes, a louder talker). Slots are named by
//! the `mid` of their transceiver. Media on a slot is continuous across a
//! change of source: same SSRC, sequence numbers without a gap, timestamps
//! moving forward, so jitter buffers and decoders keep running; a video slot
//! starts its new source with a keyframe.
//!
//! # Listening in and speaking to all rooms
//!
//! Two more kinds of audio slot, offered after the room's audio slots as
//! further `recvonly` audio m-lines and declared in the offer request
//! (`listen_slots`, `all_rooms_slot`), so nothing is renegotiated later:
//!
//! - **Listening slots** ([`LISTEN_SLOTS`], at most [`MAX_LISTEN_SLOTS`]):
//!   while a host or cohost listens in on another room
//!   (`{"type": "listen_in", "room": 3}`), these carry that room's
//!   talkers, as the room's own audio slots would; `"room": null` empties
//!   them. Nobody in that room hears the listener, whose room, mic and
//!   camera stay as they were.
//! - **The all-rooms slot** (one): while someone holds
//!   `{"type": "speak_to_all", "active": true}`, it carries their
//!   microphone to everyone else, whatever room they are in. A client
//!   without it hears that voice in one of its room's audio slots instead.
//!
//! The slot map names them in `listen` and `all_rooms`. The m-line order is
//! the room's audio slots, then the listening slots, then the all-rooms
//! slot; an offer declaring more of them than it has audio m-lines is
//! refused (`bad_offer`).
//!
//! Hosts and cohosts also receive
//! [`ServerMessage::Speaking`](crate::ws::ServerMessage::Speaking): who
//! speaks in each occupied room, and since when the room has been active
//! or silent.
//!
//! # Screen sharing
//!
//! Two more m-lines, both in the one offer, so starting a share later
//! renegotiates nothing:
//!
//! - **The screen track**: a second `sendonly` video m-line, after the
//!   camera's, whose `mid` the offer request names (`screen_track`). It
//!   stays silent until the client shares: it then sends
//!   `{"type": "share_screen", "active": true}` (refused with a sentence
//!   when its preset may not share, or when someone else shares in the room
//!   and the meeting refuses a second sharer) and starts sending VP8 on
//!   the track, beginning with a keyframe. One layer, no simulcast.
//! - **The screen slot**: the last `recvonly` video m-line, declared with
//!   `"screen_slot": true`. It carries the screen shared in the
//!   participant's room (never their own), follows them through every
//!   move, and starts each new screen at a keyframe. The slot map names it
//!   in `screen`.
//!
//! One screen is shared per room; the meeting's view names the sharer of
//! each room (`sharing`). A share follows its sharer into another room and
//! ends when they leave or lose their connection.
//!
//! # Simulcast and tile sizes
//!
//! The camera m-line may carry up to three simulcast layers of the same
//! picture, named by their RID ([`Layer`]): `q` (a quarter of the width
//! and height), `h` (half) and `f` (full), each its own SSRC. In a browser:
//! `addTransceiver(cameraTrack, {direction: "sendonly", sendEncodings:
//! [{rid: "q", scaleResolutionDownBy: 4}, {rid: "h", scaleResolutionDownBy:
//! 2}, {rid: "f"}]})`; the offer then lists `a=rid:q send` ... and
//! `a=simulcast:send q;h;f`, and the packets carry the
//! [`SDES_MID_URI`] and [`RTP_STREAM_ID_URI`] header extensions (offer
//! them on the camera m-line). Any subset of the three is allowed; other RID
//! names are refused (`bad_offer`). A camera without RIDs is one layer and
//! is forwarded as it is.
//!
//! The server picks one layer per subscriber and video slot: the smallest
//! whose resolution covers the tile the subscriber declared for that slot
//! ([`Request::SetTileSizes`](crate::ws::Request::SetTileSizes), in device
//! pixels, `0×0` for a tile not shown, which then receives no video; an
//! undeclared slot gets the largest layer), within what the subscriber's
//! downlink can take (video layers are dropped before audio ever is). A
//! change of layer happens at a keyframe of the new layer and is as
//! continuous as a change of source: same SSRC, no gap in sequence numbers.
//! Declare the sizes after the answer and again whenever the grid changes.
//!
//! Each simulcast publisher is told which of its layers anyone receives or
//! waits for ([`ServerMessage::CameraLayers`](crate::ws::ServerMessage::CameraLayers)),
//! whenever that changes: a layer not listed may stop being encoded and
//! sent until a later message lists it again; it must then start with a
//! keyframe. Start by sending every layer: the server learns a layer from
//! its first packets, and lists every layer it has not received yet.
//! While anyone shows the publisher at all, the lowest layer stays wanted.
//!
//! ```json
//! → {"id": 3, "request": {"type": "media_offer", "sdp": "v=0\r\n..."}}
//! ← {"type": "reply", "id": 3, "result": {"kind": "media_answer", "sdp": "v=0\r\n...",
//!     "slots": {"version": 1, "room": 0, "audio": [{"mid": "2", "participant": 7}, ...],
//!               "video": [{"mid": "6", "participant": null}, ...]}}}
//! → {"id": 4, "request": {"type": "media_candidate", "candidate":
//!     {"candidate": "candidate:1 1 udp ...", "sdpMid": "0", "sdpMLineIndex": 0}}}
//! ← {"type": "slots", "slots": {"version": 2, "room": 3, "audio": [...], "video": [...]}}
//! → {"id": 5, "request": {"type": "request_keyframe", "mid": "6"}}
//! → {"id": 6, "request": {"type": "get_media_stats"}}
//! → {"id": 7, "request": {"type": "set_tile_sizes", "tiles":
//!     [{"mid": "6", "width": 320, "height": 180}, {"mid": "7", "width": 0, "height": 0}]}}
//! ← {"type": "camera_layers", "wanted": ["q", "h"]}
//! ```

use serde::{Deserialize, Serialize};

use crate::{ParticipantId, RoomId};

/// Audio slots a client should offer: the loudest talkers of its room.
pub const AUDIO_SLOTS: usize = 4;
/// Video slots (tiles) a client should offer.
pub const VIDEO_SLOTS: usize = 9;
/// Most audio slots the server fills; further ones are answered `inactive`.
pub const MAX_AUDIO_SLOTS: usize = 8;
/// Most video slots the server fills; further ones are answered `inactive`.
pub const MAX_VIDEO_SLOTS: usize = 25;
/// Listening slots a client should offer: the loudest talkers of the room
/// a host listens in on.
pub const LISTEN_SLOTS: usize = 2;
/// Most listening slots the server fills.
pub const MAX_LISTEN_SLOTS: usize = 4;

/// A codec exactly as every Breakout peer registers it: the SFU, the
/// client and anything that wants to interoperate offer these and nothing
/// else, so the payload types in an offer and in its answer agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Codec {
    /// The MIME type as WebRTC stacks name it.
    pub mime: &'static str,
    /// The RTP payload type (`a=rtpmap:<pt> ...`).
    pub payload_type: u8,
    pub clock_rate: u32,
    /// Audio channels in `a=rtpmap`; 0 for video, where SDP names none.
    pub channels: u16,
    /// The `a=fmtp` parameters; empty when there are none.
    pub fmtp: &'static str,
}

/// Microphones: Opus at 48 kHz, 10 ms packets allowed, in-band FEC so a lost
/// packet is partly recovered from the next one.
pub const OPUS: Codec = Codec {
    mime: "audio/opus",
    payload_type: 111,
    clock_rate: 48_000,
    channels: 2,
    fmtp: "minptime=10;useinbandfec=1",
};

/// Cameras: VP8, which every browser decodes.
pub const VP8: Codec = Codec {
    mime: "video/VP8",
    payload_type: 96,
    clock_rate: 90_000,
    channels: 0,
    fmtp: "",
};

/// The RFC 6464 header extension on audio: the SFU picks the loudest talkers
/// by it, so senders must include it.
pub const AUDIO_LEVEL_URI: &str = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";

/// The header extension naming the m-line (`mid`) of a packet; simulcast
/// packets need it.
pub const SDES_MID_URI: &str = "urn:ietf:params:rtp-hdrext:sdes:mid";
/// The header extension naming the simulcast layer (RID) of a packet.
pub const RTP_STREAM_ID_URI: &str = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
/// The RID of a retransmission stream; accepted, not required.
pub const REPAIRED_RTP_STREAM_ID_URI: &str =
    "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";

/// A simulcast layer of a camera, by its RID; ordered lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Layer {
    /// RID `q`: a quarter of the full width and height (320×180 of 720p).
    #[serde(rename = "q")]
    Quarter,
    /// RID `h`: half the full width and height.
    #[serde(rename = "h")]
    Half,
    /// RID `f`: the full resolution.
    #[serde(rename = "f")]
    Full,
}

impl Layer {
    /// Every layer, lowest first.
    pub const ALL: [Layer; 3] = [Layer::Quarter, Layer::Half, Layer::Full];

    /// The RID in SDP and in the RTP header extension.
    pub fn rid(self) -> &'static str {
        match self {
            Layer::Quarter => "q",
            Layer::Half => "h",
            Layer::Full => "f",
        }
    }

    pub fn from_rid(rid: &str) -> Option<Layer> {
        Layer::ALL.into_iter().find(|layer| layer.rid() == rid)
    }

    /// How much smaller than the full picture, in each dimension (what a
    /// browser's `scaleResolutionDownBy` should be).
    pub fn scale_down_by(self) -> u32 {
        match self {
            Layer::Quarter => 4,
            Layer::Half => 2,
            Layer::Full => 1,
        }
    }
}

/// The size a client shows one video slot at, in device pixels; `0×0` when
/// the tile is not shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TileSize {
    /// The `mid` of the video slot.
    pub mid: String,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Audio,
    Video,
}

/// One ICE candidate, shaped exactly like the W3C `RTCIceCandidateInit`
/// (hence camelCase) so a browser's `event.candidate.toJSON()` fits as is.
/// An empty `candidate` means end of candidates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct IceCandidate {
    pub candidate: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdp_mid: Option<String>,
    #[serde(
        default,
        rename = "sdpMLineIndex",
        skip_serializing_if = "Option::is_none"
    )]
    pub sdp_mline_index: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username_fragment: Option<String>,
}

/// A STUN or TURN server for the client's ICE agent, shaped like the W3C
/// `RTCIceServer` so a browser can use it as is. TURN credentials are
/// minted per participant by the server and expire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IceServer {
    /// `stun:host:port`, `turn:host:port?transport=udp`, `turns:host:443?transport=tcp`.
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// Which participant each downstream slot shows right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SlotMap {
    /// Grows with every change; a client keeps the highest it has seen (a
    /// pushed map can overtake the reply that carried an older one).
    pub version: u64,
    /// The room whose media the slots carry (the one the participant is in,
    /// or visits).
    pub room: RoomId,
    pub audio: Vec<Slot>,
    pub video: Vec<Slot>,
    /// The listening slots: the room listened in on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub listen: Vec<Slot>,
    /// The room listened in on, while listening.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen_room: Option<RoomId>,
    /// The all-rooms slot: whoever speaks to all rooms now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_rooms: Option<Slot>,
    /// The screen slot: the screen shared in the room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen: Option<Slot>,
}

/// Who speaks in one room, for hosts and cohosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RoomSpeaking {
    pub room: RoomId,
    /// Whose voice the room carries now (unmuted, audible within the last
    /// second), in id order; empty while the room is silent.
    pub speakers: Vec<ParticipantId>,
    /// Since when the room has been active (someone speaking) or silent
    /// (nobody), server time.
    pub since: crate::Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Slot {
    /// The `mid` of the client's recvonly transceiver for this slot.
    pub mid: String,
    /// Whose media the slot carries; `None` when empty.
    pub participant: Option<ParticipantId>,
}

/// Packet and byte counts in one direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Traffic {
    pub packets: u64,
    pub bytes: u64,
}

/// The server's counters for one participant's media connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MediaStats {
    /// Peer connection state as WebRTC names it (`new`, `connecting`,
    /// `connected`, `disconnected`, `failed`, `closed`).
    pub state: String,
    /// RTP received from this participant (their mic and camera).
    pub received: Traffic,
    /// RTP forwarded to this participant (all their slots).
    pub sent: Traffic,
    /// Packets dropped because a bounded queue towards this participant, or
    /// from their upstream reader, was full. The forwarder never waits.
    pub dropped: u64,
    /// NACKs this participant sent about its slots (passed to the sources).
    pub nacks_received: u64,
    /// NACKs passed to this participant as a publisher.
    pub nacks_sent: u64,
    /// PLI/FIR this participant sent about its slots (or via
    /// `request_keyframe`).
    pub keyframe_requests_received: u64,
    /// PLIs sent to this participant as a publisher (switches, subscribers).
    pub keyframe_requests_sent: u64,
    /// How many times a slot changed source.
    pub slot_switches: u64,
    /// The server's estimate of what this participant's downlink can take
    /// (bit/s), from their transport-wide feedback; what the slots' layers
    /// are chosen within. Absent until their feedback has said enough.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub downlink_estimate_bps: Option<u64>,
    pub slots: Vec<SlotStats>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SlotStats {
    pub mid: String,
    pub kind: MediaKind,
    pub participant: Option<ParticipantId>,
    /// The simulcast layer a video slot forwards (none for audio, an empty
    /// slot, or a publisher without simulcast).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<Layer>,
    pub sent: Traffic,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidate_matches_the_browser_shape() {
        let json = r#"{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}"#;
        let candidate: IceCandidate = serde_json::from_str(json).expect("valid candidate");
        assert_eq!(candidate.sdp_mid.as_deref(), Some("0"));
        assert_eq!(candidate.sdp_mline_index, Some(0));
        assert_eq!(serde_json::to_string(&candidate).expect("serialises"), json);
    }

    #[test]
    fn layers_are_their_rids_lowest_first() {
        assert_eq!(
            serde_json::to_string(&Layer::ALL).expect("serialises"),
            r#"["q","h","f"]"#
        );
        for layer in Layer::ALL {
            assert_eq!(Layer::from_rid(layer.rid()), Some(layer));
        }
        assert_eq!(Layer::from_rid("x"), None);
        assert!(Layer::Quarter < Layer::Half && Layer::Half < Layer::Full);
    }
}
