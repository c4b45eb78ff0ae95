//! What the nodes of a cluster share through the store (PostgreSQL only):
//! who is alive and how busy, and which node owns which meeting.
//!
//! Every time here is the database's clock, never a node's: a lease is
//! valid until a moment all nodes read from the same source, so two nodes
//! whose clocks disagree still agree on whether a lease has run out.

use std::time::Duration;

/// A node as it announces itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRecord {
    pub id: String,
    /// Where clients reach it (REST and WebSocket).
    pub url: String,
    /// Forwarded streams it takes at most; `None` is no limit.
    pub stream_budget: Option<u64>,
}

/// How busy a node is, as its heartbeat reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeLoad {
    /// Participants connected to its meetings.
    pub participants: u64,
    /// Streams it forwards: filled downstream slots across its subscribers.
    pub streams: u64,
    /// RTP packets it forwarded per second since the last heartbeat.
    pub packets_per_s: u64,
}

/// Which node serves a meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub meeting: String,
    pub owner: String,
    /// The owner's URL, as it announced it.
    pub owner_url: String,
    /// Grows by one at every takeover; the owner's writes carry it.
    pub epoch: u64,
    /// Whether `valid_until` is still ahead of the database's clock.
    pub valid: bool,
    /// How long until `valid_until` by the database's clock (zero once it
    /// is past), unless the owner renews it.
    pub ends_in: Duration,
}

/// How a cluster's nodes time their heartbeats and leases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// A node whose heartbeat is older than this is not placed on.
    pub fresh: Duration,
    /// How long a lease lasts past its last renewal.
    pub lease: Duration,
}

/// What a meeting's owner reports of it at every heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingStatus {
    pub meeting: String,
    pub participants: u64,
    /// The meeting's phase, as JSON.
    pub phase: String,
}

/// A meeting of the cluster, as any node lists it: its record, its owner,
/// and what the owner last reported of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedMeeting {
    pub record: super::MeetingRecord,
    /// The owner's id and URL; `None` for a meeting nobody serves yet.
    pub owner: Option<(String, String)>,
    pub participants: u64,
    /// The phase as JSON; `None` until the owner's first report.
    pub phase: Option<String>,
}
