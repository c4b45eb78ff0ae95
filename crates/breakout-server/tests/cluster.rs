//! Several `breakout-server` processes on one PostgreSQL database, as the
//! nodes of a cluster: where new meetings go, and what a node says about
//! a meeting another node serves.
//!
//! They need PostgreSQL's own binaries (Debian's `postgresql` package) to
//! start a private cluster (`common/postgres.rs`), so a plain `cargo test`
//! leaves them out and `make pg-test` runs them.

mod common;

use std::collections::BTreeMap;

use breakout_protocol::rest::{CreateMeeting, MeetingInfo};
use common::postgres::Cluster;
use common::{KEY, TestServer, quick_config};

/// A node named `name` of the cluster on `url`, with `more` arguments.
async fn node(url: &str, name: &str, more: &[&str]) -> TestServer {
    let mut args = vec!["--database", url, "--node-id", name, "--log", "warn"];
    args.extend_from_slice(more);
    TestServer::start_process(&args).await
}

async fn create(server: &TestServer) -> MeetingInfo {
    let response = server
        .http
        .post(server.url("/v1/meetings"))
        .bearer_auth(KEY)
        .json(&CreateMeeting {
            title: "Placed".into(),
            config: Some(quick_config()),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "creating a meeting");
    response.json().await.unwrap()
}

/// `GET /v1/meetings` of `server` once `ready` holds for it (peers'
/// meetings show their reports a heartbeat late); fails after 20 s.
async fn wait_for_list(
    server: &TestServer,
    ready: impl Fn(&[MeetingInfo]) -> bool,
) -> Vec<MeetingInfo> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let listed: Vec<MeetingInfo> = server.admin_get("/v1/meetings").await;
        if ready(&listed) {
            return listed;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the list never showed it: {listed:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: make pg-test runs it"]
async fn thirty_meetings_created_through_one_node_are_spread_over_three() {
    let url = Cluster::shared().new_database();
    let nodes = [
        node(&url, "a", &[]).await,
        node(&url, "b", &[]).await,
        node(&url, "c", &[]).await,
    ];
    let mut placed: BTreeMap<String, Vec<MeetingInfo>> = BTreeMap::new();
    for _ in 0..30 {
        let info = create(&nodes[0]).await;
        let owner = info.node.clone().expect("a cluster names the node");
        placed.entry(owner).or_default().push(info);
    }
    let counts: BTreeMap<&str, usize> = placed.iter().map(|(n, m)| (n.as_str(), m.len())).collect();
    // Nothing else loads the nodes: each gets its even share.
    assert_eq!(
        counts,
        BTreeMap::from([("a", 10), ("b", 10), ("c", 10)]),
        "{counts:?}"
    );

    // Each meeting is served by the node it was placed on, which any node
    // names, with its URL, when asked about it.
    for (i, (owner, meetings)) in placed.iter().enumerate() {
        let server = &nodes[i];
        assert_eq!(owner, ["a", "b", "c"][i]);
        let owner_url = format!("http://{}", server.addr);
        for meeting in meetings {
            assert_eq!(meeting.node_url.as_deref(), Some(owner_url.as_str()));
            let here: MeetingInfo = server
                .admin_get(&format!("/v1/meetings/{}", meeting.id))
                .await;
            assert_eq!(here.node.as_deref(), Some(owner.as_str()));
            let other = &nodes[(i + 1) % 3];
            let response = other
                .http
                .get(other.url(&format!("/v1/meetings/{}", meeting.id)))
                .bearer_auth(KEY)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 421, "asked of another node");
            let lease_ends_in: u64 = response.headers()["breakout-lease-ends-in-ms"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(lease_ends_in <= 3_000, "a lease lasts 3 s: {lease_ends_in}");
            let error: serde_json::Value = response.json().await.unwrap();
            assert_eq!(error["code"], "meeting_elsewhere", "{error}");
            let message = error["message"].as_str().unwrap();
            assert!(message.contains(&owner_url), "{message}");
        }
    }

    // One address: every node lists all thirty, each with its node, and
    // with what that node last reported of it (every heartbeat).
    let on_b = &placed["b"][0];
    nodes[1].add(&on_b.id, "Ada", "participant").await;
    for server in &nodes {
        let listed = wait_for_list(server, |listed| {
            listed
                .iter()
                .any(|m| m.id == on_b.id && m.participant_count == 1)
        })
        .await;
        assert_eq!(listed.len(), 30, "{listed:?}");
        for meeting in &listed {
            let owner = placed
                .iter()
                .find(|(_, meetings)| meetings.iter().any(|m| m.id == meeting.id))
                .map(|(owner, _)| owner.as_str());
            assert_eq!(meeting.node.as_deref(), owner, "{meeting:?}");
            assert_eq!(meeting.phase, breakout_protocol::Phase::Idle);
            let expected = if meeting.id == on_b.id { 1 } else { 0 };
            assert_eq!(meeting.participant_count, expected, "{meeting:?}");
        }
    }
    for server in nodes {
        server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: make pg-test runs it"]
async fn a_node_at_its_stream_budget_refuses_joins_and_takes_no_meetings() {
    let url = Cluster::shared().new_database();
    // Alone in its cluster, a full node still takes what it creates itself.
    let full = node(&url, "full", &["--stream-budget", "0"]).await;
    let meeting = create(&full).await;
    assert_eq!(meeting.node.as_deref(), Some("full"));
    let host = full.add(&meeting.id, "Hana", "host").await;
    let refused = tokio_tungstenite::connect_async(full.ws_url(&host.token)).await;
    let Err(tokio_tungstenite::tungstenite::Error::Http(response)) = refused else {
        panic!("the join is refused before the upgrade: {refused:?}");
    };
    assert_eq!(response.status(), 503);
    let body = response.body().as_deref().unwrap_or_default();
    let error: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(error["code"], "node_full", "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("stream budget (0 forwarded streams)"),
        "{message}"
    );

    // With a peer that has room, new meetings go there.
    let roomy = node(&url, "roomy", &[]).await;
    for _ in 0..3 {
        assert_eq!(create(&full).await.node.as_deref(), Some("roomy"));
    }
    full.shutdown().await;
    roomy.shutdown().await;
}
