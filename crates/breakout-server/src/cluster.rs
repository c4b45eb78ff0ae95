//! Several servers on one PostgreSQL database, as peers.
//!
//! A meeting lives on exactly one node at a time: its actor, its
//! WebSockets and its media are there, and nowhere else. Nodes share
//! nothing but the database: no node is the master, no node talks to
//! another. What they agree on is in two tables:
//!
//! - `nodes`: each node [heartbeats](HEARTBEAT) its load (connected
//!   participants, forwarded streams, packets/s) and whether it drains. A
//!   new meeting, created through any node, is placed on the least-loaded
//!   node with a fresh heartbeat that is not draining and is under its
//!   stream budget, in the transaction that creates it.
//! - `meeting_leases`: who owns each meeting (owner, epoch, valid until).
//!   The owner renews its leases every [`RENEW`]; a node asked for a
//!   meeting whose lease ran out takes it over with the next epoch, loads
//!   the snapshot and journal tail and serves it. Every journal append and
//!   snapshot the owner makes carries its epoch (the fence below); a node
//!   whose write is refused, or whose renewal no longer lists a meeting,
//!   drops it without writing and closes its clients' sockets with
//!   [`MEETING_MOVED`](crate::error::MEETING_MOVED). Deadlines are absolute
//!   times in the meeting's state, so a countdown goes on towards the
//!   deadline it had, whichever node fires it.
//! - Drain (SIGTERM): the node says it drains (nothing new is placed on it,
//!   it takes nothing over), stops each meeting with a final snapshot,
//!   closes its sockets with "meeting moved" and releases the lease, so
//!   the first node a client reconnects through takes the meeting over at
//!   once rather than after the lease would have run out.
//!
//! # Why the leases live in PostgreSQL
//!
//! The journal is already there, and a lease is only worth what it
//! protects: the journal. Keeping both in one database means "who may
//! write" and "what was written" are decided by the same transactions,
//! with no second consensus system (etcd, Redis) whose view could
//! disagree with the database's. Times are the database's clock, so nodes
//! with skewed clocks still agree on when a lease ran out.
//!
//! # Why the fence is in the same transaction as the write
//!
//! A lease alone cannot stop a node that stalled (a GC-like pause, SIGSTOP,
//! a VM migration) after checking its lease and before writing: it wakes up
//! believing it still owns the meeting. So every write the owner makes
//! carries the epoch it holds, and the database checks it in the
//! transaction that writes: the check and the write commit together or not
//! at all. A takeover bumps the epoch first, so from that commit on every
//! write of the old owner is refused, however late it arrives; the old
//! owner then drops the meeting and closes its clients with "meeting
//! moved", and they reconnect through any node.
//!
//! The check reads the lease row `FOR SHARE` (`store::postgres::statements::
//! check_epochs`): a takeover updates that row, so it waits for a fenced
//! append in flight to commit and then loads a journal that includes it;
//! an append after the takeover sees the new epoch and is refused. A check
//! without the lock, or in a transaction of its own, would let the new
//! owner load the journal between the old owner's check and its commit,
//! and lose or duplicate what the old owner then committed.
//!
//! # What the fence does not need to cover
//!
//! Only the meeting's state has an owner; the other rows a node writes are
//! safe from a stale one by how they are written:
//!
//! - Participant ids come from one `UPDATE ... RETURNING` on the meeting's
//!   row, atomic whichever node runs it: a stale owner can only leave a gap.
//! - A token is stored after the command adding its participant was
//!   journaled under the fence, so a refused join leaves no token.
//! - Tokens are revoked after the removal that revokes them committed
//!   (never after a refused one), so a revocation always matches the
//!   journal, whoever owns the meeting by then.
//! - Invites belong to the meeting's record, not its state: any node
//!   creates and redeems them, each use counted by one atomic statement.
//! - Meeting reports (participants and phase, for `GET /v1/meetings`) are
//!   written only for leases the reporting node still holds.

use std::sync::Arc;

use tokio::sync::watch;
use tracing::{info, warn};

use crate::http::AppState;
use crate::node::{HEARTBEAT, RENEW};
use crate::store::cluster::NodeLoad;

/// Heartbeats and lease renewals until `stop` turns true.
pub fn spawn(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    tokio::spawn(async move {
        let registry = &state.registry;
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        let mut renew = tokio::time::interval(RENEW);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut rate = PacketRate::new();
        loop {
            tokio::select! {
                _ = heartbeat.tick() => {
                    let load = NodeLoad {
                        participants: participants_connected(registry).await,
                        streams: registry.media().streams(),
                        packets_per_s: rate.per_second(),
                    };
                    if let Err(error) = registry.heartbeat(load).await {
                        warn!(%error, "heartbeat failed");
                    }
                }
                _ = renew.tick() => registry.renew_leases().await,
                _ = stop.changed() => return,
            }
        }
    });
    info!("cluster node: heartbeats and lease renewals started");
}

/// Participants connected across this node's meetings.
async fn participants_connected(registry: &crate::registry::Registry) -> u64 {
    let load = crate::ops::load(registry).await;
    u64::try_from(load.participants_connected).unwrap_or(0)
}

/// Packets forwarded per second between two readings.
struct PacketRate {
    at: std::time::Instant,
    count: u64,
}

impl PacketRate {
    fn new() -> PacketRate {
        PacketRate {
            at: std::time::Instant::now(),
            count: crate::metrics::forwarded_packets(),
        }
    }

    fn per_second(&mut self) -> u64 {
        let now = std::time::Instant::now();
        let count = crate::metrics::forwarded_packets();
        let elapsed = now.duration_since(self.at).as_secs_f64();
        let rate = if elapsed > 0.0 {
            (count.saturating_sub(self.count) as f64 / elapsed) as u64
        } else {
            0
        };
        self.at = now;
        self.count = count;
        rate
    }
}
