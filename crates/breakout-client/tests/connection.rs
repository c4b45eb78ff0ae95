//! `Connection` against a scripted fake server on `127.0.0.1:0`: a mock at
//! the edge that speaks the wire protocol, so correlation, refusals, closing
//! and back-pressure are checked without the real server.

use std::future::Future;

use breakout_client::protocol::ws::{ClientMessage, Reply, Request, ServerMessage};
use breakout_client::protocol::{ApiError, Command, EventBody, ParticipantId, Timestamp};
use breakout_client::{ClientError, ConnectOptions, Connection};
use breakout_core::{Actor, Meeting};
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{
    ErrorResponse, Request as Upgrade, Response,
};
use tokio_tungstenite::tungstenite::http::StatusCode;

type Ws = WebSocketStream<TcpStream>;

const TOKEN: &str = "good-token";
const ME: ParticipantId = ParticipantId(1);

fn welcome() -> ServerMessage {
    let mut meeting = Meeting::new();
    let add = Command::AddParticipant {
        participant: ME,
        name: "Host".into(),
        email: None,
        preset: "host".into(),
    };
    meeting.apply(Actor::System, add, Timestamp(0)).unwrap();
    ServerMessage::Welcome {
        protocol: breakout_client::protocol::PROTOCOL_VERSION,
        meeting: "m1".into(),
        participant: ME,
        server_time: Timestamp(0),
        view: Box::new(meeting.view_for(ME, Timestamp(0)).unwrap()),
        ice_servers: vec![],
    }
}

/// Accepts one socket; refuses the handshake as the real server does unless
/// the bearer token is right and absent from the URL; then welcomes and hands
/// the socket to `script`. Await the handle to surface the script's asserts.
async fn fake<F, Fut>(script: F) -> (String, JoinHandle<()>)
where
    F: FnOnce(Ws) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_hdr_async(tcp, authorise)
            .await
            .unwrap();
        send(&mut ws, &welcome()).await;
        script(ws).await;
    });
    (url, task)
}

#[allow(clippy::result_large_err)] // the callback's signature is tungstenite's
fn authorise(request: &Upgrade, response: Response) -> Result<Response, ErrorResponse> {
    assert_eq!(request.uri().path(), "/v1/ws");
    assert_eq!(
        request.uri().query(),
        None,
        "the token must not be in the URL"
    );
    let bearer = request.headers().get("authorization");
    if bearer.and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}")) {
        return Ok(response);
    }
    let body = serde_json::to_string(&ApiError::new("unauthorized", "unknown token")).unwrap();
    let mut refusal = ErrorResponse::new(Some(body));
    *refusal.status_mut() = StatusCode::UNAUTHORIZED;
    Err(refusal)
}

async fn send(ws: &mut Ws, message: &ServerMessage) {
    let text = serde_json::to_string(message).unwrap();
    ws.send(Message::text(text)).await.unwrap();
}

/// The next request, or `None` once the client has closed.
async fn recv(ws: &mut Ws) -> Option<ClientMessage> {
    loop {
        match ws.next().await? {
            Ok(Message::Text(text)) => return Some(serde_json::from_str(&text).unwrap()),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}

/// Reads until the client's close frame; tells `saw_close` whether it came.
async fn until_close(mut ws: Ws, saw_close: oneshot::Sender<bool>) {
    loop {
        match ws.next().await {
            Some(Ok(Message::Close(_))) => {
                let _ = saw_close.send(true);
                // Let tungstenite answer the close, as a real server does.
                while ws.next().await.is_some() {}
                return;
            }
            Some(Ok(_)) => continue,
            _ => {
                let _ = saw_close.send(false);
                return;
            }
        }
    }
}

#[tokio::test]
async fn replies_find_their_requests_in_any_order() {
    let (url, server) = fake(|mut ws| async move {
        let first = recv(&mut ws).await.unwrap();
        let second = recv(&mut ws).await.unwrap();
        for m in [&second, &first] {
            let result = match m.request {
                Request::Ping => Reply::Pong {
                    server_time: Timestamp(42),
                },
                _ => Reply::Ok,
            };
            send(&mut ws, &ServerMessage::Reply { id: m.id, result }).await;
        }
        while recv(&mut ws).await.is_some() {}
    })
    .await;
    let (conn, mut rx) = Connection::connect(&url, TOKEN).await.unwrap();
    assert_eq!(conn.participant(), ME);
    assert_eq!(conn.meeting(), "m1");
    let (ping, start) = tokio::join!(conn.request(Request::Ping), conn.command(Command::Start));
    assert_eq!(
        ping.unwrap(),
        Reply::Pong {
            server_time: Timestamp(42)
        }
    );
    assert_eq!(start.unwrap(), Reply::Ok);
    // The channel saw everything too: the welcome, then both replies.
    assert!(matches!(
        rx.recv().await,
        Some(ServerMessage::Welcome { .. })
    ));
    assert!(matches!(rx.recv().await, Some(ServerMessage::Reply { .. })));
    assert!(matches!(rx.recv().await, Some(ServerMessage::Reply { .. })));
    conn.close().await;
    server.await.unwrap();
}

#[tokio::test]
async fn a_refusal_carries_the_servers_code_and_message() {
    let refusal = ApiError::new("permission_denied", "you may not start breakouts");
    let sent = refusal.clone();
    let (url, server) = fake(|mut ws| async move {
        let m = recv(&mut ws).await.unwrap();
        let error = ServerMessage::Error {
            id: Some(m.id),
            error: sent,
        };
        send(&mut ws, &error).await;
        while recv(&mut ws).await.is_some() {}
    })
    .await;
    let (conn, _rx) = Connection::connect(&url, TOKEN).await.unwrap();
    match conn.command(Command::Start).await {
        Err(ClientError::Api {
            status: None,
            error,
        }) => assert_eq!(error, refusal),
        other => panic!("expected a refusal, got {other:?}"),
    }
    conn.close().await;
    server.await.unwrap();
}

#[tokio::test]
async fn an_unanswered_request_times_out() {
    let (url, server) = fake(|mut ws| async move { while recv(&mut ws).await.is_some() {} }).await;
    let (conn, _rx) = Connection::connect(&url, TOKEN).await.unwrap();
    // Paused time jumps straight to the 10 s deadline once nothing else can run.
    tokio::time::pause();
    let err = conn.request(Request::Ping).await.unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Timeout {
                timeout_ms: 10_000,
                ..
            }
        ),
        "{err:?}"
    );
    tokio::time::resume();
    conn.close().await;
    server.await.unwrap();
}

#[tokio::test]
async fn a_wrong_token_is_refused_with_the_servers_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        assert!(
            tokio_tungstenite::accept_hdr_async(tcp, authorise)
                .await
                .is_err()
        );
    });
    let err = Connection::connect(&url, "stolen").await.unwrap_err();
    match err {
        ClientError::Api {
            status: Some(401),
            error,
        } => assert_eq!(error.code, "unauthorized"),
        other => panic!("expected 401, got {other:?}"),
    }
    server.await.unwrap();
}

#[tokio::test]
async fn the_first_message_must_be_a_welcome() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_hdr_async(tcp, authorise)
            .await
            .unwrap();
        let event = ServerMessage::Event {
            event: EventBody::ReturnRequested,
        };
        send(&mut ws, &event).await;
        while recv(&mut ws).await.is_some() {}
    });
    let err = Connection::connect(&url, TOKEN).await.unwrap_err();
    assert!(matches!(err, ClientError::NoWelcome { .. }), "{err:?}");
    server.await.unwrap();
}

#[tokio::test]
async fn events_and_state_arrive_in_order_on_the_channel() {
    let (url, server) = fake(|mut ws| async move {
        let event = ServerMessage::Event {
            event: EventBody::ReturnRequested,
        };
        send(&mut ws, &event).await;
        let ServerMessage::Welcome { view, .. } = welcome() else {
            unreachable!()
        };
        send(&mut ws, &ServerMessage::State { view }).await;
        while recv(&mut ws).await.is_some() {}
    })
    .await;
    let (conn, mut rx) = Connection::connect(&url, TOKEN).await.unwrap();
    assert!(matches!(
        rx.recv().await,
        Some(ServerMessage::Welcome { .. })
    ));
    assert!(matches!(
        rx.recv().await,
        Some(ServerMessage::Event {
            event: EventBody::ReturnRequested
        })
    ));
    assert!(matches!(rx.recv().await, Some(ServerMessage::State { .. })));
    conn.close().await;
    server.await.unwrap();
}

#[tokio::test]
async fn when_the_server_goes_away_requests_fail_and_the_channel_ends() {
    let (url, server) = fake(|mut ws| async move {
        recv(&mut ws).await.unwrap();
        ws.close(None).await.unwrap();
        while ws.next().await.is_some() {}
    })
    .await;
    let (conn, mut rx) = Connection::connect(&url, TOKEN).await.unwrap();
    let err = conn.request(Request::GetState).await.unwrap_err();
    assert!(matches!(err, ClientError::Closed), "{err:?}");
    assert!(matches!(
        rx.recv().await,
        Some(ServerMessage::Welcome { .. })
    ));
    assert!(rx.recv().await.is_none());
    assert!(conn.is_closed());
    let err = conn.request(Request::Ping).await.unwrap_err();
    assert!(matches!(err, ClientError::Closed), "{err:?}");
    server.await.unwrap();
}

#[tokio::test]
async fn close_and_drop_both_send_a_close_frame() {
    for drop_it in [false, true] {
        let (saw_close, seen) = oneshot::channel();
        let (url, server) = fake(|ws| until_close(ws, saw_close)).await;
        let (conn, _rx) = Connection::connect(&url, TOKEN).await.unwrap();
        if drop_it {
            drop(conn);
        } else {
            conn.close().await;
        }
        assert!(seen.await.unwrap(), "drop={drop_it}");
        server.await.unwrap();
    }
}

#[tokio::test]
async fn a_caller_that_does_not_read_loses_messages_but_not_replies() {
    let (url, server) = fake(|mut ws| async move {
        for _ in 0..5 {
            let event = ServerMessage::Event {
                event: EventBody::ReturnRequested,
            };
            send(&mut ws, &event).await;
        }
        let m = recv(&mut ws).await.unwrap();
        let reply = ServerMessage::Reply {
            id: m.id,
            result: Reply::Ok,
        };
        send(&mut ws, &reply).await;
        while recv(&mut ws).await.is_some() {}
    })
    .await;
    let options = ConnectOptions::default().channel_capacity(1);
    let (conn, mut rx) = Connection::connect_with(&url, TOKEN, options)
        .await
        .unwrap();
    // The welcome fills the channel; the reader must not stall behind it.
    assert_eq!(conn.request(Request::Ping).await.unwrap(), Reply::Ok);
    assert_eq!(conn.dropped(), 6, "five events and the reply");
    assert!(matches!(
        rx.recv().await,
        Some(ServerMessage::Welcome { .. })
    ));
    conn.close().await;
    server.await.unwrap();
}

#[tokio::test]
async fn an_oversized_message_is_refused_before_sending() {
    let (url, server) = fake(|mut ws| async move {
        assert!(recv(&mut ws).await.is_none(), "nothing should arrive");
    })
    .await;
    let (conn, _rx) = Connection::connect(&url, TOKEN).await.unwrap();
    let text = "x".repeat(breakout_client::protocol::MAX_FRAME_BYTES);
    let err = conn.command(Command::Chat { text }).await.unwrap_err();
    assert!(matches!(err, ClientError::TooLarge { .. }), "{err:?}");
    conn.close().await;
    server.await.unwrap();
}
