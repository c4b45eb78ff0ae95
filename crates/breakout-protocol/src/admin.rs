//! REST bodies of the operator's endpoints under `/v1/admin`: what the
//! server could not serve as it should, so that no loss goes unnoticed.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ParticipantId;

/// Something the operator must look at, noticed since the server started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Incident {
    /// When it was noticed, milliseconds since the Unix epoch.
    pub at: u64,
    pub meeting: String,
    pub kind: IncidentKind,
    /// The same as a sentence, as written to the log.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum IncidentKind {
    /// A resuming client had seen a later revision of the meeting than the
    /// server restored: events that were acknowledged are missing from the
    /// journal (a damaged or lost tail of the database after a crash).
    LostEvents {
        #[schema(value_type = u64)]
        participant: ParticipantId,
        /// The newest revision the client had seen.
        client_revision: u64,
        /// The revision the server restored from its journal.
        server_revision: u64,
    },
    /// The meeting could not be restored at start; see `/v1/admin/quarantine`.
    Quarantined { reason: String },
}

/// `GET /v1/admin/incidents`: oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IncidentList {
    pub incidents: Vec<Incident>,
}

/// A meeting kept on disk but not served because it could not be restored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QuarantinedMeeting {
    pub id: String,
    pub title: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: u64,
    /// Why it could not be restored.
    pub reason: String,
}

/// `GET /v1/admin/quarantine`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QuarantineList {
    pub meetings: Vec<QuarantinedMeeting>,
}
