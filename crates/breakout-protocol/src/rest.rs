//! REST bodies for `/v1`. Core types inside them are documented as objects;
//! their shape is the core's serde form.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use breakout_core::{CsvChange, CsvPreview};

use crate::{BreakoutConfig, ParticipantId, Phase, Preset, Role, RoomId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMeeting {
    /// Shown to everyone; 1 to 100 characters.
    pub title: String,
    /// Breakout settings; defaults apply when absent.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub config: Option<BreakoutConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MeetingInfo {
    pub id: String,
    pub title: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: u64,
    pub participant_count: u32,
    #[schema(value_type = Object)]
    pub phase: Phase,
    /// The cluster node serving the meeting; absent on a server on its
    /// own (SQLite).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// The URL that node is reached at: WebSockets and requests about
    /// this meeting go there (any node answers `meeting_elsewhere` with it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddParticipant {
    /// Display name; 1 to 100 characters.
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    /// Preset name: host, cohost, presenter, participant, or one defined for the meeting.
    pub preset: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ParticipantCreated {
    #[schema(value_type = u64)]
    pub participant: ParticipantId,
    /// Secret for `/v1/ws`; shown once, stored only as a hash.
    pub token: String,
    /// `breakout://join?...` link carrying server and token.
    pub join_link: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PresetList {
    #[schema(value_type = Vec<Object>)]
    pub presets: Vec<Preset>,
}

/// The consolidated rooms-and-members picture of a meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RoomsOverview {
    pub meeting: String,
    #[schema(value_type = Object)]
    pub phase: Phase,
    pub rooms: Vec<RoomSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RoomSummary {
    #[schema(value_type = u32)]
    pub id: RoomId,
    pub title: String,
    pub open: bool,
    pub members: Vec<MemberSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MemberSummary {
    #[schema(value_type = u64)]
    pub id: ParticipantId,
    pub name: String,
    #[schema(value_type = String)]
    pub role: Role,
    #[schema(value_type = Option<u32>)]
    pub assigned: Option<RoomId>,
    pub connected: bool,
    pub mic: bool,
    pub camera: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvite {
    /// The preset people joining with this code get (default: participant).
    #[serde(default = "participant_preset")]
    pub preset: String,
    /// How many people may join with this code (default: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_uses: Option<u32>,
    /// Seconds from now until the code stops working, at most ten years
    /// (default: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 315360000)]
    pub expires_in_secs: Option<u64>,
}

fn participant_preset() -> String {
    "participant".into()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Invite {
    /// Short secret to type or paste, e.g. `k7qm-xv3a-9dne`.
    pub code: String,
    /// `breakout://join?server=...&code=...`
    pub link: String,
    /// The same invite as an https link to share by mail or chat: the
    /// server answers it with a page that opens the app.
    /// `https://server/join?code=...`; empty from servers that predate it.
    #[serde(default)]
    pub web_link: String,
    /// How many people may join with it; absent means no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_uses: Option<u32>,
    /// When it stops working, in milliseconds since the Unix epoch; absent
    /// means never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
}

/// One recorded room's file, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RecordingFile {
    /// The file name, also its download path under the meeting's recordings.
    pub name: String,
    /// The room recorded.
    #[schema(value_type = u32)]
    pub room: RoomId,
    /// Its size now (it grows while the room is recorded).
    pub bytes: u64,
}

/// Who may still join a meeting through invites. Administrators adding
/// people by name are bounded only by the server's per-meeting maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Admission {
    /// Invites admit no one once the meeting has this many people.
    pub capacity: u32,
    /// While locked, invites admit no one.
    pub locked: bool,
}

/// A change to [`Admission`]; absent fields stay as they are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetAdmission {
    #[serde(default)]
    pub capacity: Option<u32>,
    #[serde(default)]
    pub locked: Option<bool>,
}

/// Joining with an invite code; no admin key needed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinWithInvite {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
}

/// What an assignments CSV changes: the preview a host confirms, or what an
/// import just did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AssignmentsCsvOutcome {
    /// False for a preview: nothing was changed.
    pub applied: bool,
    /// `rooms_created` (titles), `changes` (`{participant, name, room}`:
    /// moved to the room titled `room`, or unassigned when `room` is null)
    /// and `unchanged` (how many people in the file stay where they are).
    #[schema(value_type = Object)]
    pub preview: CsvPreview,
}
