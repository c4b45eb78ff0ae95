//! The server binary at `--log debug` never writes a token, invite code or
//! key to its log.

mod server_process;

use breakout_protocol::rest::{Invite, MeetingInfo, ParticipantCreated};
use futures_util::StreamExt;
use server_process::{KEY, ServerProcess};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_logs_carry_no_secrets() {
    let mut server = ServerProcess::start(&["--log", "debug"]).await;
    let http = reqwest::Client::new();
    let meeting: MeetingInfo = http
        .post(server.url("/v1/meetings"))
        .bearer_auth(KEY)
        .json(&serde_json::json!({"title": "Secrets"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let invite: Invite = http
        .post(server.url(&format!("/v1/meetings/{}/invites", meeting.id)))
        .bearer_auth(KEY)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let joined: ParticipantCreated = http
        .post(server.url("/v1/join"))
        .json(&serde_json::json!({"code": invite.code, "name": "Tess"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ws_url = format!("ws://{}/v1/ws?token={}", server.addr, joined.token);
    let (mut socket, _) = tokio_tungstenite::connect_async(ws_url)
        .await
        .expect("ws connects");
    socket.next().await.expect("welcome").expect("frame");
    socket.close(None).await.unwrap();
    // The disconnection is logged after the close: everything about this
    // connection has been written by then.
    server.read_until("disconnected").await;
    server.stop().await;

    let log = &server.log;
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
