//! REST calls made as a participant, with their own token as Bearer: the
//! calls whose bodies are too large for a WebSocket frame, such as an
//! assignments CSV of up to 1 MiB.

use reqwest::{Method, Url};

use breakout_protocol::rest::{AssignmentsCsvOutcome, CsvPreview};

use breakout_protocol::fingerprint::CertFingerprint;

use crate::api::{json, send_following, v1};
use crate::tls::Tls;
use crate::{ClientError, server_url};

/// One participant's REST client for one meeting.
///
/// Cheap to clone. The token is sent as `Authorization: Bearer` and never
/// shown by `Debug`.
#[derive(Clone)]
pub struct ParticipantApi {
    http: reqwest::Client,
    tls: Tls,
    base: Url,
    meeting: String,
    token: String,
}

impl std::fmt::Debug for ParticipantApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParticipantApi")
            .field("base", &self.base.as_str())
            .field("meeting", &self.meeting)
            .field("token", &"<redacted>")
            .finish()
    }
}

impl ParticipantApi {
    /// `server` is the server's address, e.g. `http://127.0.0.1:7800`;
    /// `token` the participant's, as adding or joining answered it.
    pub fn new(
        server: &str,
        meeting: impl Into<String>,
        token: impl Into<String>,
    ) -> Result<Self, ClientError> {
        Self::pinned(server, None, meeting, token)
    }

    /// Like [`ParticipantApi::new`], accepting over `https://` only the
    /// certificate with fingerprint `pin`, when given (a hosted meeting's
    /// self-signed certificate, from the invite).
    pub fn pinned(
        server: &str,
        pin: Option<CertFingerprint>,
        meeting: impl Into<String>,
        token: impl Into<String>,
    ) -> Result<Self, ClientError> {
        let tls = Tls::new(pin);
        Ok(ParticipantApi {
            http: tls.http_client(),
            tls,
            base: server_url::http_base(server)?,
            meeting: meeting.into(),
            token: token.into(),
        })
    }

    /// `POST /v1/meetings/{id}/assignments/csv/preview`: what importing
    /// `csv` would do (rooms created, people moved or unassigned), or why
    /// it would be refused. Changes nothing.
    pub async fn preview_assignments_csv(&self, csv: &str) -> Result<CsvPreview, ClientError> {
        self.csv(&["assignments", "csv", "preview"], csv).await
    }

    /// `POST /v1/meetings/{id}/assignments/csv`: imports the whole file or
    /// nothing; answers what it did. The server judges the file against
    /// the meeting as it is now, whatever an earlier preview said.
    pub async fn import_assignments_csv(&self, csv: &str) -> Result<CsvPreview, ClientError> {
        self.csv(&["assignments", "csv"], csv).await
    }

    async fn csv(&self, tail: &[&str], csv: &str) -> Result<CsvPreview, ClientError> {
        let mut segments = vec!["meetings", self.meeting.as_str()];
        segments.extend_from_slice(tail);
        let response = send_following(&self.base, Some(&self.tls), |base| {
            self.http
                .request(Method::POST, v1(base, &segments))
                .bearer_auth(&self.token)
                .header(reqwest::header::CONTENT_TYPE, "text/csv; charset=utf-8")
                .body(csv.to_string())
        })
        .await?;
        let outcome: AssignmentsCsvOutcome = json(response).await?;
        Ok(outcome.preview)
    }
}
