//! Every error the server answers with, on REST and on the WebSocket: one
//! type that knows its HTTP status, its stable code and its sentence.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use breakout_core::Refusal;
use breakout_protocol::ApiError;

/// What clients of a meeting that moved to another node are told, as an
/// error and as the close reason of their WebSocket.
pub const MEETING_MOVED: &str = breakout_protocol::MEETING_MOVED_REASON;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The meeting refused a command or a read; its code and sentence are the core's.
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("no meeting {0:?}")]
    MeetingNotFound(String),
    #[error(
        "this meeting has no recording named {0:?}; list them at /v1/meetings/{{id}}/recordings"
    )]
    RecordingNotFound(String),
    #[error("the meeting is no longer running on this server")]
    MeetingGone,
    #[error(
        "this server is shutting down and takes no new meetings; create it on another server or after the restart"
    )]
    Draining,
    /// Another node of the cluster serves this meeting; the client sends
    /// the same request to `url`.
    #[error(
        "meeting {meeting} is served by another node of this cluster, at {url}; send the request there"
    )]
    MeetingElsewhere {
        meeting: String,
        node: String,
        url: String,
        /// Until the owner's lease runs out, unless it renews it.
        lease_ends_in: std::time::Duration,
    },
    /// Another node of the cluster took this meeting over; this one no
    /// longer serves it.
    #[error("{}", MEETING_MOVED)]
    MeetingMoved,
    /// This node forwards as many streams as its budget allows.
    #[error(
        "this server is at its stream budget ({budget} forwarded streams) and takes no one else now; retry in a moment, or ask the operator to add a node"
    )]
    NodeFull { budget: u64 },
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("this invite code is not valid")]
    InvalidInvite,
    #[error("no such endpoint")]
    NoSuchEndpoint,
    #[error("this endpoint does not take that method")]
    MethodNotAllowed,
    /// A request the HTTP layer could not read (body, path); axum chose the status.
    #[error("{message}")]
    Unreadable { status: StatusCode, message: String },
    #[error("the request's URI is longer than the server reads (64 KiB); send long data in a body")]
    UriTooLong,
    #[error("the request's header fields are more or larger than the server reads")]
    RequestHeadTooLarge,
    #[error("the request's head is not valid HTTP/1.1")]
    MalformedRequestHead,
    #[error("{0}")]
    MalformedJson(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0} is only available through the REST API")]
    NotAllowedHere(&'static str),
    #[error("frames are limited to {0} bytes")]
    FrameTooLarge(usize),
    #[error("send JSON text frames")]
    BinaryNotSupported,
    /// Requests or joins come faster than the limit (the sentence says which).
    #[error("{0}")]
    RateLimited(&'static str),
    #[error("this invite has been used as many times as it allows; ask the host for a new one")]
    InviteExhausted,
    #[error("this invite has expired; ask the host for a new one")]
    InviteExpired,
    #[error("{0}")]
    InvalidInput(&'static str),
    #[error("{0}")]
    InvalidCsv(String),
    #[error("this token belongs to another meeting")]
    TokenOfAnotherMeeting,
    #[error("send the file as text/csv, not {0}")]
    UnsupportedMediaType(String),
    #[error("the server could not save this change; please retry")]
    SaveFailed,
    #[error("the server could not read or write its database")]
    Storage,
    #[error("a storage task failed")]
    Internal,
    /// The database cannot be reached (or written) right now: nothing is
    /// changed, no new meeting is taken; the same request may work later.
    #[error(
        "storage unavailable: the server cannot reach its database right now; nothing was changed, retry once it is back"
    )]
    StorageUnavailable,
    /// An error the media task answered with; it owns its code.
    #[error("{}", .0.message)]
    Media(ApiError),
}

impl ServerError {
    pub fn code(&self) -> &str {
        match self {
            ServerError::Refused(refusal) => refusal.code(),
            ServerError::MeetingNotFound(_) => "meeting_not_found",
            ServerError::RecordingNotFound(_) => "recording_not_found",
            ServerError::MeetingGone => "meeting_gone",
            ServerError::Draining => "server_draining",
            ServerError::MeetingElsewhere { .. } => breakout_protocol::MEETING_ELSEWHERE,
            ServerError::NodeFull { .. } => "node_full",
            ServerError::MeetingMoved => breakout_protocol::MEETING_MOVED,
            ServerError::Unauthorized(_) => "unauthorized",
            ServerError::InvalidInvite => "invalid_invite",
            ServerError::NoSuchEndpoint => "not_found",
            ServerError::MethodNotAllowed => "method_not_allowed",
            ServerError::Unreadable { .. } | ServerError::BadRequest(_) => "bad_request",
            ServerError::UriTooLong => "uri_too_long",
            ServerError::RequestHeadTooLarge => "request_head_too_large",
            ServerError::MalformedRequestHead => "malformed_request",
            ServerError::MalformedJson(_) => "malformed_json",
            ServerError::NotAllowedHere(_) => "not_allowed_here",
            ServerError::FrameTooLarge(_) => "frame_too_large",
            ServerError::BinaryNotSupported => "binary_not_supported",
            ServerError::RateLimited(_) => "rate_limited",
            ServerError::InviteExhausted => "invite_exhausted",
            ServerError::InviteExpired => "invite_expired",
            ServerError::InvalidInput(_) => "invalid_input",
            ServerError::InvalidCsv(_) => "invalid_csv",
            ServerError::TokenOfAnotherMeeting => "permission_denied",
            ServerError::UnsupportedMediaType(_) => "unsupported_media_type",
            ServerError::SaveFailed | ServerError::Storage => "storage_failed",
            ServerError::Internal => "internal",
            ServerError::StorageUnavailable => "storage_unavailable",
            ServerError::Media(error) => &error.code,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ServerError::Refused(refusal) => refusal_status(refusal),
            ServerError::MeetingNotFound(_)
            | ServerError::RecordingNotFound(_)
            | ServerError::NoSuchEndpoint => StatusCode::NOT_FOUND,
            ServerError::MeetingElsewhere { .. } => StatusCode::MISDIRECTED_REQUEST,
            ServerError::MeetingGone
            | ServerError::Draining
            | ServerError::StorageUnavailable
            | ServerError::NodeFull { .. }
            | ServerError::MeetingMoved => StatusCode::SERVICE_UNAVAILABLE,
            ServerError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ServerError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ServerError::InvalidInvite => StatusCode::FORBIDDEN,
            ServerError::Unreadable { status, .. } => *status,
            ServerError::FrameTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ServerError::UriTooLong => StatusCode::URI_TOO_LONG,
            ServerError::RequestHeadTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ServerError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ServerError::InviteExhausted | ServerError::InviteExpired => StatusCode::GONE,
            ServerError::TokenOfAnotherMeeting => StatusCode::FORBIDDEN,
            ServerError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ServerError::SaveFailed | ServerError::Storage | ServerError::Internal => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ServerError::MalformedJson(_)
            | ServerError::MalformedRequestHead
            | ServerError::BadRequest(_)
            | ServerError::NotAllowedHere(_)
            | ServerError::BinaryNotSupported
            | ServerError::InvalidInput(_)
            | ServerError::InvalidCsv(_)
            | ServerError::Media(_) => StatusCode::BAD_REQUEST,
        }
    }

    /// The `{code, message}` body, as sent on both surfaces.
    pub fn api_error(&self) -> ApiError {
        ApiError::new(self.code(), self.to_string())
    }
}

/// Not found for what does not exist, conflict for what the meeting's
/// state forbids now, forbidden for what the role forbids.
fn refusal_status(refusal: &Refusal) -> StatusCode {
    match refusal {
        Refusal::PermissionDenied { .. } | Refusal::Outranked { .. } | Refusal::MeetingLocked => {
            StatusCode::FORBIDDEN
        }
        Refusal::MeetingFull { .. } => StatusCode::CONFLICT,
        Refusal::UnknownParticipant(_) | Refusal::RoomNotFound(_) | Refusal::PollNotFound(_) => {
            StatusCode::NOT_FOUND
        }
        Refusal::DuplicateParticipant(_) | Refusal::NotWhileRunning | Refusal::Closing => {
            StatusCode::CONFLICT
        }
        Refusal::HelpCooldown { .. } => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::BAD_REQUEST,
    }
}

impl From<ServerError> for ApiError {
    fn from(error: ServerError) -> Self {
        error.api_error()
    }
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(self.api_error())).into_response();
        // The owner's base URL, machine-readable: clients send the same
        // request there (`breakout_protocol`, "one address").
        if let ServerError::MeetingElsewhere {
            url, lease_ends_in, ..
        } = &self
            && let Ok(location) = axum::http::HeaderValue::from_str(url)
        {
            let headers = response.headers_mut();
            headers.insert(axum::http::header::LOCATION, location);
            headers.insert(
                breakout_protocol::LEASE_ENDS_IN_HEADER,
                axum::http::HeaderValue::from(lease_ends_in.as_millis() as u64),
            );
        }
        response
    }
}
