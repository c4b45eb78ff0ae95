//! Oversized WebSocket messages over a raw socket: answered with the
//! request's id while under the hard limit, closed with 1009 past it.

mod common;

use breakout_core::Command;
use breakout_protocol::ws::{ClientMessage, Reply, Request};
use common::{TestServer, quick_config};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

fn import_message(id: u64, bytes: usize) -> String {
    let mut csv = String::from("name,room\n");
    while csv.len() < bytes {
        csv.push_str("Someone with a long name,Room\n");
    }
    serde_json::to_string(&ClientMessage {
        id,
        request: Request::Command {
            command: Command::ImportAssignments { csv },
        },
    })
    .unwrap()
}

#[tokio::test]
async fn an_oversized_message_is_refused_with_its_request_id() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    let host = server.add(&meeting, "Host", "host").await;
    let mut ws = server.connect(&host.token).await;

    ws.send_text(import_message(77, 410_000)).await;

    let error = ws.reply_to(Some(77)).await.expect_err("refused");
    assert_eq!(error.code, "frame_too_large");
    assert!(error.message.contains("65536"), "{}", error.message);
    assert!(matches!(
        ws.request(Request::Ping).await,
        Ok(Reply::Pong { .. })
    ));
}

#[tokio::test]
async fn a_message_past_the_hard_limit_closes_with_1009() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    let host = server.add(&meeting, "Host", "host").await;
    let mut ws = server.connect(&host.token).await;

    // The server may stop reading mid-message; the close frame still comes.
    let _ = ws
        .socket
        .send(Message::Text(import_message(3, 1_280_000).into()))
        .await;

    let close = loop {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(10), ws.socket.next())
            .await
            .expect("an answer within 10 s")
            .expect("a close frame before the end of the stream")
            .expect("a frame, not a dropped connection");
        if let Message::Close(close) = frame {
            break close.expect("a close code");
        }
    };
    assert_eq!(close.code, CloseCode::Size);
    assert!(close.reason.contains("1048576"), "{}", close.reason);
}
