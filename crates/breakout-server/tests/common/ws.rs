//! The WebSocket client of the server's tests: one `/v1/ws` session read in
//! order, keeping what arrives while a test waits for something else. The
//! media tests' signaling (`media_peer::signal`) opens its session here too.

#![allow(dead_code)]

use std::time::Duration;

use breakout_core::{Command, EventBody};
use breakout_protocol::ws::{ClientMessage, Reply, Request, ServerMessage};
use breakout_protocol::{ApiError, ParticipantId};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct Ws {
    pub socket: Socket,
    /// Who the server welcomed.
    pub participant: ParticipantId,
    next_id: u64,
    /// Messages read while waiting for something else.
    backlog: Vec<ServerMessage>,
}

impl Ws {
    /// Opens `url` and reads the welcome (failing the test after 30 s: a
    /// loaded machine joins many at once).
    pub async fn connect(url: &str) -> Ws {
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("ws connects");
        let mut ws = Ws {
            socket,
            participant: ParticipantId(0),
            next_id: 1,
            backlog: Vec::new(),
        };
        match ws.read_within(Duration::from_secs(30)).await {
            ServerMessage::Welcome { participant, .. } => ws.participant = participant,
            other => panic!("expected welcome, got {other:?}"),
        }
        ws
    }

    pub async fn send_text(&mut self, text: impl Into<String>) {
        self.socket
            .send(Message::Text(text.into().into()))
            .await
            .expect("send");
    }

    /// Sends a request without waiting for its answer, and without failing
    /// if the server already closed the socket.
    pub async fn send_request(&mut self, request: Request) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let text = serde_json::to_string(&ClientMessage { id, request }).unwrap();
        let _ = self.socket.send(Message::Text(text.into())).await;
        id
    }

    /// Reads until the server closes the socket (failing the test after
    /// 20 s): the messages before, and the close frame's reason.
    pub async fn until_closed(&mut self) -> (Vec<ServerMessage>, Option<String>) {
        let mut messages = std::mem::take(&mut self.backlog);
        let read = tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(Ok(frame)) = self.socket.next().await {
                match frame {
                    Message::Text(text) => {
                        messages.push(serde_json::from_str(&text).expect("valid server message"));
                    }
                    Message::Close(frame) => return frame.map(|f| f.reason.to_string()),
                    _ => {}
                }
            }
            None
        });
        let reason = read.await.expect("the server closes the socket");
        (messages, reason)
    }

    /// Reads the next server message (failing the test after 10 s of silence).
    pub async fn next(&mut self) -> ServerMessage {
        if !self.backlog.is_empty() {
            return self.backlog.remove(0);
        }
        self.read().await
    }

    async fn read(&mut self) -> ServerMessage {
        self.read_within(Duration::from_secs(10)).await
    }

    async fn read_within(&mut self, patience: Duration) -> ServerMessage {
        loop {
            let frame = tokio::time::timeout(patience, self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("no message within {patience:?}"))
                .expect("socket open")
                .expect("frame");
            if let Message::Text(text) = frame {
                return serde_json::from_str(&text).expect("valid server message");
            }
        }
    }

    pub async fn request(&mut self, request: Request) -> Result<Reply, ApiError> {
        let id = self.next_id;
        self.next_id += 1;
        let text = serde_json::to_string(&ClientMessage { id, request }).unwrap();
        self.send_text(text).await;
        self.reply_to(Some(id)).await
    }

    pub async fn command(&mut self, command: Command) -> Result<Reply, ApiError> {
        self.request(Request::Command { command }).await
    }

    /// Waits for the reply or error with this id, keeping other messages.
    pub async fn reply_to(&mut self, id: Option<u64>) -> Result<Reply, ApiError> {
        loop {
            let message = self.read().await;
            match message {
                ServerMessage::Reply { id: got, result } if Some(got) == id => return Ok(result),
                ServerMessage::Error { id: got, error } if got == id => return Err(error),
                other => self.backlog.push(other),
            }
        }
    }

    /// Waits for an event matching `wanted`, keeping nothing before it.
    pub async fn event(&mut self, wanted: impl Fn(&EventBody) -> bool) -> EventBody {
        loop {
            if let ServerMessage::Event { event } = self.next().await
                && wanted(&event)
            {
                return event;
            }
        }
    }
}
