//! What the server allows one participant, meeting, invite or address.
//!
//! Every figure is a setting so an operator can fit them to their network
//! (a school behind one NAT address needs more per address than a home) and
//! tests can use small ones.

use std::time::Duration;

/// A sustained rate and the burst allowed above it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

impl Rate {
    pub const fn new(per_second: f64, burst: f64) -> Rate {
        Rate { per_second, burst }
    }
}

/// The server's abuse limits. [`Limits::default`] suits a public server.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// WebSocket requests of one participant, across all their connections
    /// (reconnecting does not refill it).
    pub participant_requests: Rate,
    /// Commands of one whole meeting, so a group of senders cannot flood the
    /// journal and everyone else's fan-out.
    pub meeting_commands: Rate,
    /// Joins through one invite code.
    pub invite_joins: Rate,
    /// Joins through any invite from one source address.
    pub address_joins: Rate,
    /// A connection must deliver a complete request head within this time,
    /// including the first one: idle and slow-header connections are closed.
    pub header_read_timeout: Duration,
    /// Concurrent TCP connections (HTTP and WebSocket) from one IP address.
    pub connections_per_address: usize,
    /// Whether loopback clients count against `connections_per_address`.
    /// Off by default: a reverse proxy on the same host makes every client
    /// look like 127.0.0.1.
    pub limit_loopback: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            participant_requests: Rate::new(50.0, 100.0),
            meeting_commands: Rate::new(1_000.0, 2_000.0),
            invite_joins: Rate::new(2.0, 60.0),
            address_joins: Rate::new(1.0, 30.0),
            header_read_timeout: Duration::from_secs(10),
            connections_per_address: 64,
            limit_loopback: false,
        }
    }
}
