//! A real server on 127.0.0.1:0 and real WebSocket participants for tests.

#![allow(dead_code)]

use std::time::Duration;

use breakout_core::{Command, EventBody};
use breakout_protocol::rest::{CreateMeeting, MeetingInfo, ParticipantCreated};
use breakout_protocol::ws::{ClientMessage, Reply, Request, ServerMessage};
use breakout_protocol::{ApiError, BreakoutConfig};
use breakout_server::{Server, ServerConfig};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

pub const KEY: &str = "test-admin-key";

pub struct TestServer {
    pub server: Server,
    pub dir: tempfile::TempDir,
    pub http: reqwest::Client,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with_limits(breakout_server::Limits::default()).await
    }

    pub async fn start_with_limits(limits: breakout_server::Limits) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = ServerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.path().to_path_buf(),
            admin_key: Some(KEY.into()),
            public_url: None,
            tls: None,
            media: Default::default(),
        };
        let server = Server::start_with_limits(config, limits)
            .await
            .expect("server starts");
        TestServer {
            server,
            dir,
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.local_addr())
    }

    pub async fn create_meeting(&self, config: BreakoutConfig) -> String {
        let info: MeetingInfo = self
            .http
            .post(self.url("/v1/meetings"))
            .bearer_auth(KEY)
            .json(&CreateMeeting {
                title: "Test".into(),
                config: Some(config),
            })
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        info.id
    }

    pub async fn add(&self, meeting: &str, name: &str, preset: &str) -> ParticipantCreated {
        let response = self
            .http
            .post(self.url(&format!("/v1/meetings/{meeting}/participants")))
            .bearer_auth(KEY)
            .json(&serde_json::json!({"name": name, "preset": preset}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "adding {name}");
        response.json().await.unwrap()
    }

    pub async fn connect(&self, token: &str) -> Ws {
        let url = format!("ws://{}/v1/ws?token={token}", self.server.local_addr());
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("ws connects");
        let mut ws = Ws {
            socket,
            next_id: 1,
            backlog: Vec::new(),
        };
        match ws.next().await {
            ServerMessage::Welcome { .. } => {}
            other => panic!("expected welcome, got {other:?}"),
        }
        ws
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct Ws {
    pub socket: Socket,
    next_id: u64,
    /// Messages read while waiting for something else.
    backlog: Vec<ServerMessage>,
}

impl Ws {
    pub async fn send_text(&mut self, text: impl Into<String>) {
        self.socket
            .send(Message::Text(text.into().into()))
            .await
            .expect("send");
    }

    /// Reads the next server message (failing the test after 10 s of silence).
    pub async fn next(&mut self) -> ServerMessage {
        if !self.backlog.is_empty() {
            return self.backlog.remove(0);
        }
        self.read().await
    }

    async fn read(&mut self) -> ServerMessage {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .expect("a message within 10 s")
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

pub fn code(result: Result<Reply, ApiError>) -> String {
    match result {
        Ok(reply) => panic!("expected an error, got {reply:?}"),
        Err(error) => error.code,
    }
}

pub fn quick_config() -> BreakoutConfig {
    BreakoutConfig {
        move_countdown_secs: 0,
        closing_countdown_secs: 0,
        ..BreakoutConfig::default()
    }
}
