//! The one error type of this crate.

use breakout_protocol::ApiError;
use breakout_protocol::fingerprint::CertFingerprint;

/// [`ClientError::code`] of [`ClientError::CertificateMismatch`].
pub const CERTIFICATE_MISMATCH: &str = "certificate_mismatch";
/// [`ClientError::code`] of [`ClientError::UntrustedCertificate`].
pub const UNTRUSTED_CERTIFICATE: &str = "untrusted_certificate";

/// Why a call to the server did not produce what was asked.
///
/// The variants name what the caller does next: [`ClientError::Api`] is the
/// server's considered "no" (show `message`, branch on `code`), the transport
/// variants are worth a retry, the others are bugs or version skew.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server refused the request: a REST call answered 4xx/5xx with an
    /// [`ApiError`] body (`status` set), or a WebSocket request got an
    /// `error` message (`status` is `None`).
    #[error("{error}")]
    Api {
        /// HTTP status for REST calls and refused WebSocket handshakes.
        status: Option<u16>,
        error: ApiError,
    },
    /// The server answered with an error status whose body is not an
    /// [`ApiError`] (a proxy, or a server that is not Breakout's).
    #[error("server answered {status}: {body}")]
    Status { status: u16, body: String },
    /// Another node of the cluster serves the meeting, at `url` (a 421
    /// answer); [`Connection::connect`](crate::Connection::connect)
    /// follows it by itself, a few hops at most.
    #[error("the meeting is served by another node, at {url}")]
    MeetingElsewhere {
        url: String,
        /// Until that node's lease on the meeting runs out, unless it
        /// renews it.
        lease_ends_in: Option<std::time::Duration>,
    },
    /// The server URL could not be used.
    #[error("invalid server URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    /// An HTTP request could not be sent or its answer not read.
    #[error("HTTP transport: {0}")]
    Http(#[from] reqwest::Error),
    /// The WebSocket could not be opened, or failed while open.
    #[error("WebSocket: {0}")]
    WebSocket(#[from] tokio_tungstenite::tungstenite::Error),
    /// The server sent something this client does not understand.
    #[error("could not decode {what}: {source}")]
    Decode {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// The server's first WebSocket message was not a welcome.
    #[error("expected a welcome, got {got}")]
    NoWelcome { got: String },
    /// The token cannot be sent in an HTTP header (it has control characters).
    #[error("the token is not a valid header value")]
    InvalidToken,
    /// The socket did not open, or no welcome came, within the connect timeout.
    #[error("no welcome within {timeout_ms} ms")]
    ConnectTimeout { timeout_ms: u64 },
    /// No reply to request `id` within the request timeout.
    #[error("no reply to request {id} within {timeout_ms} ms")]
    Timeout { id: u64, timeout_ms: u64 },
    /// The connection is closed (by us, the server or the network); requests
    /// still waiting are answered with this.
    #[error("connection closed")]
    Closed,
    /// The server presented another certificate than the one pinned (by the
    /// invite's `fp=`). The TLS handshake was refused: nothing was sent.
    #[error(
        "the server's certificate does not match the one in your invite (expected {expected}, got {got}); \
         someone may be intercepting the connection, or the host's certificate changed: ask the host for a new invite"
    )]
    CertificateMismatch {
        expected: CertFingerprint,
        got: CertFingerprint,
    },
    /// No certificate authority vouches for the server's certificate (no
    /// pin was given). The TLS handshake was refused: nothing was sent.
    #[error(
        "the server's certificate is not trusted ({reason}); if you were given an invite link, \
         join with the whole link: it names the certificate to trust"
    )]
    UntrustedCertificate { reason: String },
    /// The message is larger than the server accepts
    /// ([`breakout_protocol::MAX_FRAME_BYTES`]); it was not sent.
    #[error("message of {size} bytes exceeds the {limit}-byte frame limit")]
    TooLarge { size: usize, limit: usize },
}

impl ClientError {
    /// The server's error, if this is a refusal.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            ClientError::Api { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The machine-readable code of a refusal: the server's, or
    /// [`CERTIFICATE_MISMATCH`] / [`UNTRUSTED_CERTIFICATE`] when this client
    /// refused the server.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::CertificateMismatch { .. } => Some(CERTIFICATE_MISMATCH),
            ClientError::UntrustedCertificate { .. } => Some(UNTRUSTED_CERTIFICATE),
            _ => self.api_error().map(|e| e.code.as_str()),
        }
    }

    /// Whether the connection itself failed (as a refused certificate makes
    /// it), as opposed to an answer from the server.
    pub(crate) fn is_transport(&self) -> bool {
        matches!(self, ClientError::Http(_) | ClientError::WebSocket(_))
    }

    /// Whether the server could not be reached at all: no connection, or
    /// none in time.
    pub(crate) fn is_unreachable(&self) -> bool {
        self.is_transport() || matches!(self, ClientError::ConnectTimeout { .. })
    }

    /// Whether trying again later may succeed (the network or the server
    /// being away), as opposed to a refusal or a malformed exchange.
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Http(_)
            | ClientError::WebSocket(_)
            | ClientError::Timeout { .. }
            | ClientError::ConnectTimeout { .. }
            | ClientError::MeetingElsewhere { .. }
            | ClientError::Closed => true,
            ClientError::Api {
                status: Some(status),
                ..
            } => *status >= 500,
            ClientError::Status { status, .. } => *status >= 500,
            _ => false,
        }
    }
}
