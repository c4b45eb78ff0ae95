//! The one error shape every command rejects with: `{code, message}`, the
//! `IpcError` of ui/src/lib/ipc.ts. `code` is for the UI to branch on,
//! `message` is a sentence to show as is.

use breakout_client::ClientError;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[error("{code}: {message}")]
pub struct IpcError {
    pub code: String,
    pub message: String,
}

impl IpcError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        IpcError {
            code: code.into(),
            message: message.into(),
        }
    }

    /// Commands that need a meeting, called outside one.
    pub fn not_in_meeting() -> Self {
        Self::new("not_in_meeting", "You are not in a meeting.")
    }

    /// The socket is down and being re-opened; the UI may retry.
    pub fn reconnecting() -> Self {
        Self::new(
            "reconnecting",
            "Reconnecting to the meeting server; try again in a moment.",
        )
    }

    /// The server answered a request with a reply of another kind.
    pub fn unexpected_reply(what: &str) -> Self {
        Self::new(
            "unexpected_reply",
            format!("The server's answer to {what} was not understood; is it a different version?"),
        )
    }
}

/// The server's refusals keep their code and sentence; transport failures
/// get codes the UI can treat alike ("try again").
impl From<ClientError> for IpcError {
    fn from(error: ClientError) -> Self {
        let (code, message) = match &error {
            ClientError::Api { error, .. } => return Self::new(&error.code, &error.message),
            ClientError::CertificateMismatch { .. } | ClientError::UntrustedCertificate { .. } => (
                error.code().unwrap_or("certificate"),
                capitalized(&error.to_string()),
            ),
            ClientError::InvalidUrl { url, reason } => (
                "invalid_server",
                format!("{url:?} is not a server address ({reason})."),
            ),
            ClientError::Http(_)
            | ClientError::WebSocket(_)
            | ClientError::ConnectTimeout { .. } => (
                "unreachable",
                format!("Could not reach the meeting server: {error}."),
            ),
            ClientError::Timeout { .. } => (
                "timeout",
                "The meeting server did not answer in time.".to_string(),
            ),
            ClientError::Closed => (
                "disconnected",
                "The connection to the meeting server closed.".to_string(),
            ),
            ClientError::TooLarge { .. } => ("too_large", format!("Not sent: {error}.")),
            // The server's body limit answers before any handler, in plain text.
            ClientError::Status { status: 413, .. } => (
                "too_large",
                "The server refused this as too large; a CSV file may be at most 1 MiB."
                    .to_string(),
            ),
            ClientError::Status { status, .. } => (
                "server_error",
                format!("The server answered with status {status}; is this a Breakout server?"),
            ),
            _ => ("client_error", error.to_string()),
        };
        Self::new(code, message)
    }
}

fn capitalized(sentence: &str) -> String {
    let mut chars = sentence.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect::<String>() + ".")
        .unwrap_or_default()
}

impl From<breakout_server::ServerError> for IpcError {
    fn from(error: breakout_server::ServerError) -> Self {
        Self::new(
            "server_start_failed",
            format!("Could not start the meeting server on this computer: {error}."),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use breakout_client::protocol::ApiError;

    #[test]
    fn refusals_keep_the_servers_code_and_sentence() {
        let error = ClientError::Api {
            status: Some(403),
            error: ApiError::new("invalid_invite", "this invite code is not valid"),
        };
        assert_eq!(
            IpcError::from(error),
            IpcError::new("invalid_invite", "this invite code is not valid")
        );
    }

    #[test]
    fn a_body_over_the_servers_limit_is_called_too_large() {
        let error = ClientError::Status {
            status: 413,
            body: "length limit exceeded".into(),
        };
        let ipc = IpcError::from(error);
        assert_eq!(ipc.code, "too_large");
        assert!(ipc.message.contains("1 MiB"), "{}", ipc.message);
    }

    #[test]
    fn it_serializes_as_the_ui_expects() {
        let json = serde_json::to_value(IpcError::not_in_meeting()).unwrap();
        assert_eq!(json["code"], "not_in_meeting");
        assert!(json["message"].as_str().unwrap().ends_with('.'));
    }
}
