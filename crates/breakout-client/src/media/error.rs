//! The media plane's one error type.

/// Why media could not start or continue.
///
/// A missing device is a normal state with its own variant: the caller says
/// so to the person and carries on without it (audio-only, or listen-only).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// No device of this kind exists, or none matches the requested name.
    #[error("no {kind} found{}: {hint}", requested.as_deref().map(|r| format!(" named {r:?}")).unwrap_or_default())]
    NoDevice {
        /// `microphone`, `speaker` or `camera`.
        kind: &'static str,
        requested: Option<String>,
        /// What the person can do about it.
        hint: String,
    },
    /// The device exists but refused to open or stopped (unplugged, busy).
    #[error("{kind} {name:?} failed: {reason}")]
    Device {
        kind: &'static str,
        name: String,
        reason: String,
    },
    /// An encoder or decoder could not be created or refused its input.
    #[error("{codec}: {reason}")]
    Codec { codec: &'static str, reason: String },
    /// The WebRTC stack failed (building the connection, SDP, ICE).
    #[error("WebRTC: {0}")]
    WebRtc(#[from] webrtc::Error),
    /// The server refused the offer, or the signaling socket failed.
    #[error("signaling: {0}")]
    Signaling(#[from] crate::ClientError),
    /// The server's answer did not match what this client offered.
    #[error("unexpected answer: {0}")]
    Protocol(String),
    /// The session was closed; nothing more can be sent.
    #[error("media session closed")]
    Closed,
}

impl MediaError {
    pub(crate) fn codec(codec: &'static str, error: impl std::fmt::Display) -> Self {
        MediaError::Codec {
            codec,
            reason: error.to_string(),
        }
    }
}
