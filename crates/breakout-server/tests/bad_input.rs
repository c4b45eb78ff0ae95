//! Bad input gets a clear error frame; the connection and everyone else's
//! meeting carry on.

mod common;

use breakout_core::{Command, RoomId};
use breakout_protocol::ApiError;
use breakout_protocol::ws::{Reply, Request, ServerMessage};
use common::{TestServer, code, quick_config};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

async fn error_code(ws: &mut common::Ws) -> (Option<u64>, String) {
    loop {
        if let ServerMessage::Error { id, error } = ws.next().await {
            assert!(!error.message.is_empty(), "errors carry a sentence");
            return (id, error.code);
        }
    }
}

async fn still_alive(ws: &mut common::Ws) {
    assert!(matches!(
        ws.request(Request::Ping).await,
        Ok(Reply::Pong { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_unknown_messages_get_errors() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    let host = server.add(&meeting, "Host", "host").await;
    let mut ws = server.connect(&host.token).await;

    ws.send_text("{not json").await;
    assert_eq!(error_code(&mut ws).await, (None, "malformed_json".into()));
    still_alive(&mut ws).await;

    ws.send_text(r#"{"id": 5, "request": {"type": "fly_to_the_moon"}}"#)
        .await;
    assert_eq!(error_code(&mut ws).await, (Some(5), "bad_request".into()));

    ws.send_text(
        r#"{"id": 6, "request": {"type": "command", "command": {"type": "chat", "text": "hi", "extra": 1}}}"#,
    )
    .await;
    assert_eq!(error_code(&mut ws).await, (Some(6), "bad_request".into()));

    ws.socket
        .send(Message::Binary(vec![1, 2, 3].into()))
        .await
        .unwrap();
    assert_eq!(error_code(&mut ws).await.1, "binary_not_supported");

    let huge = format!(
        r#"{{"id": 7, "request": {{"type": "command", "command": {{"type": "chat", "text": "{}"}}}}}}"#,
        "x".repeat(100_000)
    );
    ws.send_text(huge).await;
    assert_eq!(error_code(&mut ws).await.1, "frame_too_large");

    // Unknown ids are refused by the core with a specific code.
    assert_eq!(
        code(
            ws.command(Command::RenameRoom {
                room: RoomId(42),
                title: "x".into()
            })
            .await
        ),
        "room_not_found"
    );
    assert_eq!(
        code(ws.command(Command::Chat { text: "   ".into() }).await),
        "invalid_input"
    );
    still_alive(&mut ws).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_is_rate_limited_without_hurting_others() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    let host = server.add(&meeting, "Host", "host").await;
    let other = server.add(&meeting, "Other", "participant").await;
    let mut flooder = server.connect(&host.token).await;
    let mut bystander = server.connect(&other.token).await;

    // Below the cut-off for sustained abuse, so the flooder stays connected.
    for i in 0..250u64 {
        flooder
            .send_text(format!(r#"{{"id": {i}, "request": {{"type": "ping"}}}}"#))
            .await;
    }
    let mut limited = 0;
    let mut answered = 0;
    while limited + answered < 250 {
        match flooder.next().await {
            ServerMessage::Error { error, .. } if error.code == "rate_limited" => limited += 1,
            ServerMessage::Reply { .. } => answered += 1,
            ServerMessage::Error { error, .. } => panic!("unexpected error {error:?}"),
            _ => {}
        }
    }
    assert!(limited > 0, "a flood of 250 requests was never limited");
    assert!(answered > 0, "the burst allowance was not honoured");
    // The bystander is unaffected.
    still_alive(&mut bystander).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_credentials_are_refused() {
    let server = TestServer::start().await;
    match tokio_tungstenite::connect_async(server.ws_url("not-a-token")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 401)
        }
        other => panic!("expected 401, got {:?}", other.map(|_| ())),
    }
    let response = server
        .http
        .get(server.url("/v1/meetings"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: breakout_protocol::ApiError = response.json().await.unwrap();
    assert_eq!(body.code, "unauthorized");
    let response = server
        .http
        .post(server.url("/v1/meetings"))
        .bearer_auth(common::KEY)
        .header("content-type", "application/json")
        .body("{\"title\": 5}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: breakout_protocol::ApiError = response.json().await.unwrap();
    assert_eq!(body.code, "bad_request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_participant_loses_its_connection_and_token() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    let bo = server.add(&meeting, "Bo", "participant").await;
    let mut ws = server.connect(&bo.token).await;
    let response = server
        .http
        .delete(server.url(&format!(
            "/v1/meetings/{meeting}/participants/{}",
            bo.participant.0
        )))
        .bearer_auth(common::KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    // The socket closes.
    use futures_util::StreamExt;
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), ws.socket.next()).await {
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => break,
            Ok(Some(Ok(_))) => continue,
            Err(_) => panic!("socket not closed after removal"),
        }
    }
    assert!(
        tokio_tungstenite::connect_async(server.ws_url(&bo.token))
            .await
            .is_err(),
        "revoked token still works"
    );
}

/// Sends `request` as raw bytes and reads the answer to the end: hyper
/// refuses these heads before any URI or header type could hold them.
async fn raw_answer(server: &TestServer, request: &[u8]) -> (String, ApiError) {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let answer = common::until_closed(&mut stream).await;
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"));
    let status = head.lines().next().unwrap_or_default().to_string();
    let error = serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("{status}: the body is not an error ({e}): {body:?}"));
    (status, error)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heads_the_http_layer_refuses_get_json_errors() {
    let server = TestServer::start().await;
    let long_uri = format!("GET /v1/{} HTTP/1.1\r\nhost: x\r\n\r\n", "a".repeat(70_000));
    let many_headers: String = (0..150).map(|i| format!("x-{i}: {i}\r\n")).collect();
    let many_headers = format!("GET /v1/health HTTP/1.1\r\nhost: x\r\n{many_headers}\r\n");
    for (request, status, code) in [
        (
            long_uri.as_str(),
            "HTTP/1.1 414 URI Too Long",
            "uri_too_long",
        ),
        (
            many_headers.as_str(),
            "HTTP/1.1 431 Request Header Fields Too Large",
            "request_head_too_large",
        ),
        (
            "GET /v1/health HTTP/7.0\r\n\r\n",
            "HTTP/1.1 400 Bad Request",
            "malformed_request",
        ),
    ] {
        let (got, error) = raw_answer(&server, request.as_bytes()).await;
        assert_eq!((got.as_str(), error.code.as_str()), (status, code));
        assert!(!error.message.is_empty(), "{code} carries a sentence");
    }
}
