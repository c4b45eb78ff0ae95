//! This server as a node of a cluster: its name, URL and budget, and the
//! timing every node keeps (see `crate::cluster` for the design).

use std::path::Path;
use std::time::Duration;

use rand::Rng;

use crate::store::cluster::{NodeRecord, Timing};

/// How often a node reports its load.
pub const HEARTBEAT: Duration = Duration::from_secs(2);
/// How often a node renews the leases it holds: one short UPDATE per node.
pub const RENEW: Duration = Duration::from_millis(500);
/// Heartbeats and leases: a node three heartbeats silent is not placed
/// on; a lease six renewals old may be taken over. The lease is most of
/// the time a node's death costs its clients (they come back once it has
/// run out), so it is as short as a node can be trusted to renew: a node
/// stalled for 2.5 s loses its meetings to whoever asks (safely: the
/// fence refuses its writes when it wakes).
pub const TIMING: Timing = Timing {
    fresh: Duration::from_secs(6),
    lease: Duration::from_secs(3),
};

/// How a server joins a cluster (only with `--database postgres://...`).
#[derive(Debug, Clone, Default)]
pub struct ClusterConfig {
    /// This node's name in the cluster; by default the one kept in the
    /// data directory (`node-id`, made once from the host name and a
    /// random suffix), so a restarted node gets its own meetings back.
    pub node_id: Option<String>,
    /// The URL clients reach this node at; by default the public URL.
    pub advertise_url: Option<String>,
    /// Forwarded streams this node takes at most: joins beyond it are
    /// refused, and no meeting is placed on it while it is at it.
    pub stream_budget: Option<u64>,
}

/// This node, as the rest of the server knows it.
#[derive(Debug, Clone)]
pub struct Node {
    pub id: String,
    pub url: String,
    pub stream_budget: Option<u64>,
}

impl Node {
    pub fn record(&self) -> NodeRecord {
        NodeRecord {
            id: self.id.clone(),
            url: self.url.clone(),
            stream_budget: self.stream_budget,
        }
    }
}

/// The node id kept in `data_dir/node-id`, created on first start.
pub fn stored_node_id(data_dir: &Path) -> std::io::Result<String> {
    let path = data_dir.join("node-id");
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => return Ok(id.trim().to_owned()),
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "node".to_owned());
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rng();
    let suffix: String = (0..6)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    let id = format!("{host}-{suffix}");
    std::fs::write(&path, &id)?;
    Ok(id)
}
