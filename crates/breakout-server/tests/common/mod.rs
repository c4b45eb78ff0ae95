//! The one harness for the server's tests: a real server on a free loopback
//! port, in this process or as the `breakout-server` binary in a child
//! process, with the REST calls and the WebSocket client the tests share.

#![allow(dead_code)]

pub mod postgres;
mod process;
mod ws;

use std::net::SocketAddr;
use std::time::Duration;

use breakout_protocol::ApiError;
use breakout_protocol::BreakoutConfig;
use breakout_protocol::rest::{CreateMeeting, Invite, MeetingInfo, ParticipantCreated};
use breakout_protocol::ws::Reply;
use breakout_server::{Limits, Server, ServerConfig};
use serde::de::DeserializeOwned;
use tempfile::TempDir;
use tokio::io::AsyncReadExt;

use process::Process;
pub use ws::Ws;

pub const KEY: &str = "test-admin-key-0123456789";

pub struct TestServer {
    pub addr: SocketAddr,
    /// The data directory; [`TestServer::shutdown`] hands it back for a restart.
    pub dir: TempDir,
    pub http: reqwest::Client,
    running: Running,
}

enum Running {
    InProcess(Server),
    Process(Process),
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with_limits(Limits::default()).await
    }

    pub async fn start_with_limits(limits: Limits) -> TestServer {
        Self::start_in(tempfile::tempdir().expect("temp dir"), limits).await
    }

    /// A server in this process on `dir`'s data, e.g. one a stopped server left.
    pub async fn start_in(dir: TempDir, limits: Limits) -> TestServer {
        let config = ServerConfig {
            admin_key: Some(KEY.into()),
            ..ServerConfig::new("127.0.0.1:0".parse().unwrap(), dir.path().to_path_buf())
        };
        let server = Server::start_with_limits(config, limits)
            .await
            .expect("server starts");
        TestServer::new(server.local_addr(), dir, Running::InProcess(server))
    }

    /// The binary in a child process with `args` added, for what only the
    /// program does (its log) or what nothing in this process may stand in for.
    pub async fn start_process(args: &[&str]) -> TestServer {
        Self::start_process_in(tempfile::tempdir().expect("temp dir"), args).await
    }

    pub async fn start_process_in(dir: TempDir, args: &[&str]) -> TestServer {
        let (process, addr) = Process::start(dir.path(), KEY, args).await;
        TestServer::new(addr, dir, Running::Process(process))
    }

    fn new(addr: SocketAddr, dir: TempDir, running: Running) -> TestServer {
        TestServer {
            addr,
            dir,
            http: reqwest::Client::new(),
            running,
        }
    }

    /// Stops the server (a clean shutdown in this process, a kill for the
    /// binary) and hands back its data directory.
    pub async fn shutdown(self) -> TempDir {
        match self.running {
            Running::InProcess(server) => server.shutdown().await,
            Running::Process(mut process) => process.stop().await,
        }
        self.dir
    }

    /// Takes no new meetings from now on, as after SIGTERM, and waits until
    /// no breakout runs or `limit` has passed (a server in this process).
    pub async fn drain(&self, limit: Duration) -> usize {
        let Running::InProcess(server) = &self.running else {
            panic!("only a server in this process drains on request");
        };
        server.drain(limit).await
    }

    /// Stops the binary and returns all it wrote, except the line that
    /// shows the admin key.
    pub async fn stop_and_read_log(self) -> String {
        let Running::Process(mut process) = self.running else {
            panic!("only a server started with start_process has a log");
        };
        process.stop().await;
        process.log
    }

    /// Sends `signal` (`STOP`, `CONT`, `KILL`, ...) to the binary.
    pub fn signal(&self, signal: &str) {
        let Running::Process(process) = &self.running else {
            panic!("only a server started with start_process takes signals");
        };
        process.signal(signal);
    }

    /// Reads the binary's output up to the first line containing `wanted`.
    pub async fn read_until(&mut self, wanted: &str) -> String {
        let Running::Process(process) = &mut self.running else {
            panic!("only a server started with start_process has output");
        };
        process.read_until(wanted).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn ws_url(&self, token: &str) -> String {
        format!(
            "ws://{}{}?token={token}",
            self.addr,
            breakout_protocol::WS_PATH
        )
    }

    pub async fn create_meeting(&self, config: BreakoutConfig) -> String {
        let response = self
            .http
            .post(self.url("/v1/meetings"))
            .bearer_auth(KEY)
            .json(&CreateMeeting {
                title: "Test".into(),
                config: Some(config),
            })
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "creating a meeting");
        let info: MeetingInfo = response.json().await.unwrap();
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

    /// An invite code to `meeting` made with `body` (preset, uses, expiry).
    pub async fn invite(&self, meeting: &str, body: serde_json::Value) -> Invite {
        let response = self
            .http
            .post(self.url(&format!("/v1/meetings/{meeting}/invites")))
            .bearer_auth(KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "creating an invite");
        response.json().await.unwrap()
    }

    /// Joins with an invite `code`, as someone without the admin key does.
    pub async fn join(&self, code: &str, name: &str) -> reqwest::Response {
        self.http
            .post(self.url("/v1/join"))
            .json(&serde_json::json!({"code": code, "name": name}))
            .send()
            .await
            .unwrap()
    }

    /// `GET path` with the admin key, which must succeed.
    pub async fn admin_get<T: DeserializeOwned>(&self, path: &str) -> T {
        let response = self
            .http
            .get(self.url(path))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    /// `GET path` without credentials, which must succeed.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> T {
        let response = self.http.get(self.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    /// A WebSocket session for `token`, past its welcome.
    pub async fn connect(&self, token: &str) -> Ws {
        Ws::connect(&self.ws_url(token)).await
    }
}

/// Reads what the server sends until it closes the connection; fails the
/// test if it has not closed it within 20 s.
pub async fn until_closed(stream: &mut tokio::net::TcpStream) -> String {
    let mut received = Vec::new();
    // A reset after the reply counts as closed too, hence no unwrap of the read.
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut received));
    assert!(read.await.is_ok(), "the server closes the connection");
    String::from_utf8_lossy(&received).into_owned()
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
