//! What the cluster tests share: `breakout-server` nodes on one private
//! PostgreSQL database, and a meeting placed on another node than the one
//! its clients know.

#![allow(dead_code, reason = "each test binary uses its part")]

use breakout_core::BreakoutConfig;
use breakout_e2e::{Bot, KEY, ServerProcess, binary, free_port};
use breakout_protocol::rest::{MeetingInfo, ParticipantCreated};

#[path = "../../../crates/breakout-server/tests/common/postgres.rs"]
pub mod postgres;

/// The database and data directories of started nodes: keep them as long
/// as the nodes.
pub struct NodeDirs {
    database: String,
    _dirs: Vec<tempfile::TempDir>,
}

impl NodeDirs {
    /// Starts node `index` again after it was killed: same data directory,
    /// port and node id, so it is the same node coming back.
    pub async fn restart(&self, index: usize, data: &std::path::Path, port: u16) -> ServerProcess {
        let name = node_name(index);
        let args = ["--database", self.database.as_str(), "--node-id", &name];
        ServerProcess::start_with(data, port, &args).await
    }
}

/// `count` nodes named `a`, `b`, ... on a fresh database, each with its own
/// data directory.
pub async fn start_nodes(count: usize) -> (Vec<ServerProcess>, NodeDirs) {
    start_nodes_in(postgres::Cluster::shared(), count).await
}

/// [`start_nodes`] on a database of `cluster` (one the test may stop).
pub async fn start_nodes_in(
    cluster: &postgres::Cluster,
    count: usize,
) -> (Vec<ServerProcess>, NodeDirs) {
    let url = cluster.new_database();
    let dirs: Vec<tempfile::TempDir> = (0..count).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut nodes = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        let name = node_name(i);
        let args = ["--database", url.as_str(), "--node-id", &name];
        nodes.push(ServerProcess::start_with(dir.path(), free_port(), &args).await);
    }
    let dirs = NodeDirs {
        database: url,
        _dirs: dirs,
    };
    (nodes, dirs)
}

/// The name of the `index`-th node: `a`, `b`, ...
pub fn node_name(index: usize) -> String {
    char::from(b'a' + u8::try_from(index).expect("a few nodes")).to_string()
}

/// Creates a meeting through `via` (moves without countdown); the cluster
/// places it.
pub async fn create_meeting(via: &ServerProcess, title: &str) -> MeetingInfo {
    let config = BreakoutConfig {
        move_countdown_secs: 0,
        ..BreakoutConfig::default()
    };
    via.http
        .post(via.url("/v1/meetings"))
        .bearer_auth(KEY)
        .json(&serde_json::json!({"title": title, "config": config}))
        .send()
        .await
        .expect("create meeting")
        .json()
        .await
        .expect("meeting info")
}

/// Creates meetings through `via` until one is placed on a node named in
/// `on`; its id and the index of its node.
pub async fn meeting_placed_on(via: &ServerProcess, title: &str, on: &[&str]) -> (String, usize) {
    loop {
        let info = create_meeting(via, title).await;
        if let Some(node) = info.node.as_deref().filter(|node| on.contains(node)) {
            let index = (0..).find(|&i| node_name(i) == node).expect("a node name");
            return (info.id, index);
        }
    }
}

/// A media bot joined through `server`: its tone and a small test pattern
/// at 10 pictures a second (two cores run the nodes and every bot), a
/// report every 100 ms.
pub async fn media_bot(server: &ServerProcess, name: &str, who: &ParticipantCreated) -> Bot {
    let mut command = tokio::process::Command::new(binary("breakout-bot"));
    command.args(["join", "--server", &server.url(""), "--token", &who.token]);
    command.args(["--media", "synthetic", "--fps", "10", "--report-ms", "100"]);
    Bot::spawn(command, name, who).await
}

/// Frames of the tone at `hz` in a media report.
pub fn tone_frames(report: &serde_json::Value, hz: u64) -> u64 {
    report["received"]["tones"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["hz"] == hz)
        .filter_map(|t| t["frames"].as_u64())
        .sum()
}

/// The owner of the meeting, as node `a` sees it: itself (200) or the URL
/// in the 421's Location.
pub async fn owner_seen_by(a: &ServerProcess, meeting: &str) -> Option<String> {
    let response = a
        .http
        .get(a.url(&format!("/v1/meetings/{meeting}/rooms")))
        .bearer_auth(KEY)
        .send()
        .await
        .ok()?;
    match response.status().as_u16() {
        200 => Some(a.url("")),
        421 => response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned),
        _ => None,
    }
}
