//! The server binary at `--log debug` never writes a token, invite code or
//! key to its log.

mod common;

use breakout_protocol::rest::ParticipantCreated;
use common::{KEY, TestServer, quick_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_logs_carry_no_secrets() {
    let mut server = TestServer::start_process(&["--log", "debug"]).await;
    let meeting = server.create_meeting(quick_config()).await;
    let invite = server.invite(&meeting, serde_json::json!({})).await;
    let response = server.join(&invite.code, "Tess").await;
    assert_eq!(response.status(), 201, "joining");
    let joined: ParticipantCreated = response.json().await.unwrap();
    let mut ws = server.connect(&joined.token).await;
    ws.socket.close(None).await.unwrap();
    // The disconnection is logged after the close: everything about this
    // connection has been written by then.
    server.read_until("disconnected").await;
    let log = server.stop_and_read_log().await;

    assert!(
        log.contains("token=[redacted]"),
        "the request span still shows where the token was:\n{log}"
    );
    for (what, secret) in [
        ("participant token", joined.token.as_str()),
        ("invite code", invite.code.as_str()),
        ("admin key", KEY),
    ] {
        assert!(!log.contains(secret), "the {what} is in the log:\n{log}");
    }
}
