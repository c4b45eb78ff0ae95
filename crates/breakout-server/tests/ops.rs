//! What operators and their tools ask a running server: liveness,
//! readiness (which a drain turns off) and Prometheus metrics that follow
//! the meetings, through a real server.

mod common;

use std::time::Duration;

use breakout_core::Command;
use common::{KEY, TestServer, quick_config};

/// The value of the sample `name` (no labels) in exposition `text`.
fn sample(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no sample {name} in:\n{text}"))
}

async fn scrape(server: &TestServer) -> String {
    let response = server
        .http
        .get(server.url("/metrics"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    response.text().await.unwrap()
}

#[tokio::test]
async fn healthz_and_readyz_answer_until_a_drain_turns_readiness_off() {
    let server = TestServer::start().await;
    let health: serde_json::Value = server.get("/healthz").await;
    assert_eq!(health["status"], "ok");
    let ready: serde_json::Value = server.get("/readyz").await;
    assert_eq!(ready["status"], "ready");

    assert_eq!(server.drain(Duration::ZERO).await, 0, "nothing to wait for");
    let refused = server.http.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(refused.status(), 503);
    let error: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(error["code"], "server_draining", "{error}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("shutting down")),
        "{error}"
    );
    // Still alive while draining: the process must not be restarted for it.
    let health: serde_json::Value = server.get("/healthz").await;
    assert_eq!(health["status"], "ok");
    server.shutdown().await;
}

#[tokio::test]
async fn metrics_need_the_admin_key() {
    let server = TestServer::start().await;
    let anonymous = server
        .http
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let error: serde_json::Value = anonymous.json().await.unwrap();
    assert_eq!(error["code"], "unauthorized");
    let wrong = server
        .http
        .get(server.url("/metrics"))
        .bearer_auth("not-the-key")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    server.shutdown().await;
}

#[tokio::test]
async fn metrics_follow_meetings_participants_and_rooms() {
    let server = TestServer::start().await;
    let empty = scrape(&server).await;
    assert_eq!(sample(&empty, "breakout_meetings"), 0.0);
    assert_eq!(sample(&empty, "breakout_participants_connected"), 0.0);
    assert_eq!(sample(&empty, "breakout_rooms"), 0.0);
    for family in [
        "breakout_rtp_forwarded_packets_total",
        "breakout_rtp_dropped_packets_total",
        "breakout_journal_append_seconds_count",
    ] {
        sample(&empty, family);
    }

    let meeting = server.create_meeting(quick_config()).await;
    let host = server.add(&meeting, "Host", "host").await;
    let created = scrape(&server).await;
    assert_eq!(sample(&created, "breakout_meetings"), 1.0);
    assert_eq!(
        sample(&created, "breakout_participants_connected"),
        0.0,
        "added, not connected"
    );
    // Creating the meeting journaled its configuration.
    assert!(sample(&created, "breakout_journal_append_seconds_count") >= 1.0);

    let mut ws = server.connect(&host.token).await;
    ws.command(Command::CreateRooms {
        count: 3,
        names: vec![],
    })
    .await
    .expect("rooms");
    let joined = scrape(&server).await;
    assert_eq!(sample(&joined, "breakout_meetings"), 1.0);
    assert_eq!(sample(&joined, "breakout_participants_connected"), 1.0);
    assert_eq!(sample(&joined, "breakout_rooms"), 3.0);
    drop(ws);
    server.shutdown().await;
}
