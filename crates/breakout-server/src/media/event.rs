//! What connections and their slot writers report to the router, in one
//! module of its own so both can send it without depending on each other.

use std::sync::Arc;

use breakout_core::ParticipantId;
use webrtc::peer_connection::peer_connection_state::RTCPeerConnectionState;
use webrtc::track::track_remote::TrackRemote;

/// What a connection reports to the router.
pub enum PeerEvent {
    Track {
        participant: ParticipantId,
        generation: u64,
        track: Arc<TrackRemote>,
        audio_level_id: Option<u8>,
        /// The `mid` of the m-line it arrived on.
        mid: Option<String>,
    },
    State {
        participant: ParticipantId,
        generation: u64,
        state: RTCPeerConnectionState,
    },
    /// A video slot forwards `source` (an upstream id) from now on: the
    /// keyframe its switch waited for arrived.
    SlotStarted {
        participant: ParticipantId,
        generation: u64,
        slot: usize,
        source: u64,
    },
}
