//! Harness for end-to-end tests: the real `breakout-server` binary and real
//! `breakout-bot` processes talking over loopback.
//!
//! The binaries are taken from the cargo target directory of this build
//! (`make test` builds them first). Every wait has a generous timeout and
//! waits for a message, never for a fixed time.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use breakout_core::{Command, EventBody, ParticipantId};
use breakout_protocol::ApiError;
use breakout_protocol::rest::{MeetingInfo, ParticipantCreated, RoomsOverview};
use breakout_protocol::ws::{ClientMessage, Reply, Request, ServerMessage};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin};
use tokio::sync::mpsc;

pub mod impair;
pub mod internet;
pub mod netlab;

pub const KEY: &str = "e2e-admin-key";
pub const WAIT: Duration = Duration::from_secs(30);

/// The directory holding this build's binaries (`target/debug`).
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/debug/deps/<test> → target/debug
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test runs from target/<profile>/deps");
    // With a separate build directory (CARGO_BUILD_BUILD_DIR) the test runs
    // from there, but the binaries are placed in the target directory.
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from);
    if let (Some(target), Some(profile)) = (target, profile_dir.file_name())
        && target.is_absolute()
        && target.join(profile).is_dir()
    {
        return target.join(profile);
    }
    profile_dir.to_path_buf()
}

pub fn binary(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace --bins` first (make test does)",
        path.display()
    );
    path
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A `breakout-server` process with its own data directory.
pub struct ServerProcess {
    child: Child,
    pub port: u16,
    pub data: PathBuf,
    pub http: reqwest::Client,
}

impl ServerProcess {
    pub async fn start(data: &Path, port: u16) -> ServerProcess {
        Self::start_with(data, port, &[]).await
    }

    /// [`ServerProcess::start`] with more options, e.g. `--database`.
    pub async fn start_with(data: &Path, port: u16, args: &[&str]) -> ServerProcess {
        let child = tokio::process::Command::new(binary("breakout-server"))
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--media-port",
                "0",
            ])
            .arg("--data-dir")
            .arg(data)
            .args(["--admin-key", KEY, "--log", "warn"])
            .args(args)
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("server starts");
        let server = ServerProcess {
            child,
            port,
            data: data.to_path_buf(),
            http: reqwest::Client::new(),
        };
        server.wait_healthy().await;
        server
    }

    async fn wait_healthy(&self) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Ok(r) = self.http.get(self.url("/v1/health")).send().await
                && r.status().is_success()
            {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "server never became healthy"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM, as a service manager stops it: the server drains.
    pub fn terminate(&self) {
        let pid = self.child.id().expect("server still running");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM {pid}");
    }

    /// Whether the process has exited, without waiting.
    pub fn has_exited(&mut self) -> bool {
        self.child.try_wait().expect("server status").is_some()
    }

    /// Waits for the process to exit on its own.
    pub async fn exit_status(mut self) -> std::process::ExitStatus {
        tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("the server exits")
            .expect("server reaped")
    }

    /// SIGKILL: no shutdown hook, no final snapshot.
    pub async fn kill(mut self) {
        self.child.start_kill().expect("kill server");
        self.child.wait().await.expect("server reaped");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub async fn create_meeting(&self, config: breakout_core::BreakoutConfig) -> String {
        let info: MeetingInfo = self
            .http
            .post(self.url("/v1/meetings"))
            .bearer_auth(KEY)
            .json(&serde_json::json!({"title": "e2e", "config": config}))
            .send()
            .await
            .expect("create meeting")
            .json()
            .await
            .expect("meeting info");
        info.id
    }

    pub async fn add(&self, meeting: &str, name: &str, preset: &str) -> ParticipantCreated {
        self.http
            .post(self.url(&format!("/v1/meetings/{meeting}/participants")))
            .bearer_auth(KEY)
            .json(&serde_json::json!({"name": name, "preset": preset}))
            .send()
            .await
            .expect("add participant")
            .json()
            .await
            .expect("participant created")
    }

    pub async fn overview(&self, meeting: &str) -> RoomsOverview {
        self.http
            .get(self.url(&format!("/v1/meetings/{meeting}/rooms")))
            .bearer_auth(KEY)
            .send()
            .await
            .expect("rooms")
            .json()
            .await
            .expect("rooms overview")
    }
}

/// One expected event: a description for the failure message and a test.
pub type Step<'a> = (&'a str, &'a dyn Fn(&EventBody) -> bool);

/// A `breakout-bot join` process: commands go to its stdin, every server
/// message it prints is parsed and kept in order.
pub struct Bot {
    pub name: String,
    pub id: ParticipantId,
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::UnboundedReceiver<ServerMessage>,
    reports: mpsc::UnboundedReceiver<serde_json::Value>,
    /// Every event seen so far, in arrival order.
    pub events: Vec<EventBody>,
    /// Messages read while waiting for something else, not yet consumed.
    backlog: Vec<ServerMessage>,
    next_id: u64,
}

impl Bot {
    pub async fn join(server: &ServerProcess, name: &str, who: &ParticipantCreated) -> Bot {
        let mut command = tokio::process::Command::new(binary("breakout-bot"));
        command.args(["join", "--server", &server.url(""), "--token", &who.token]);
        Bot::spawn(command, name, who).await
    }

    /// Runs a prepared `breakout-bot join ...` command (another network
    /// namespace, media options) and waits for its welcome.
    pub async fn spawn(
        mut command: tokio::process::Command,
        name: &str,
        who: &ParticipantCreated,
    ) -> Bot {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("bot starts");
        let stdin = child.stdin.take().expect("bot stdin");
        let stdout = child.stdout.take().expect("bot stdout");
        let (tx, lines) = mpsc::unbounded_channel();
        let (reports_tx, reports) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                // Server messages and media reports; anything else is not ours.
                if let Ok(message) = serde_json::from_str::<ServerMessage>(&line) {
                    if tx.send(message).is_err() {
                        return;
                    }
                } else if let Ok(report) = serde_json::from_str::<serde_json::Value>(&line)
                    && report["type"] == "media_report"
                {
                    let _ = reports_tx.send(report);
                }
            }
        });
        let mut bot = Bot {
            name: name.into(),
            id: who.participant,
            child,
            stdin,
            lines,
            reports,
            events: Vec::new(),
            backlog: Vec::new(),
            next_id: 1_000,
        };
        bot.expect(|m| matches!(m, ServerMessage::Welcome { .. }))
            .await;
        bot
    }

    /// Waits for a media report (`join --media ...`) that satisfies `wanted`.
    pub async fn media_report(
        &mut self,
        what: &str,
        wanted: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let mut last = serde_json::Value::Null;
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.reports.recv()).await {
                Ok(Some(report)) if wanted(&report) => return report,
                Ok(Some(report)) => last = report,
                Ok(None) => panic!("{}: the bot exited while waiting for {what}", self.name),
                Err(_) => panic!("{}: no media report showed {what}; last: {last}", self.name),
            }
        }
    }

    /// The newest media report: the ones queued since the last read are
    /// skipped, or the next one is awaited if none is queued.
    pub async fn latest_media_report(&mut self) -> serde_json::Value {
        let mut latest = None;
        while let Ok(report) = self.reports.try_recv() {
            latest = Some(report);
        }
        match latest {
            Some(report) => report,
            None => self.media_report("any report", |_| true).await,
        }
    }

    async fn read(&mut self) -> ServerMessage {
        let message = tokio::time::timeout(WAIT, self.lines.recv())
            .await
            .unwrap_or_else(|_| panic!("{}: nothing from the server for {WAIT:?}", self.name))
            .unwrap_or_else(|| panic!("{}: the bot exited", self.name));
        if let ServerMessage::Event { event } = &message {
            self.events.push(event.clone());
        }
        message
    }

    /// The next message matching `wanted`, from the backlog or the stream.
    pub async fn expect(&mut self, wanted: impl Fn(&ServerMessage) -> bool) -> ServerMessage {
        if let Some(i) = self.backlog.iter().position(&wanted) {
            return self.backlog.remove(i);
        }
        loop {
            let message = self.read().await;
            if wanted(&message) {
                return message;
            }
            self.backlog.push(message);
        }
    }

    /// Waits for an event matching `wanted`.
    pub async fn event(&mut self, wanted: impl Fn(&EventBody) -> bool) -> EventBody {
        match self
            .expect(|m| matches!(m, ServerMessage::Event { event } if wanted(event)))
            .await
        {
            ServerMessage::Event { event } => event,
            _ => unreachable!(),
        }
    }

    /// Sends a command and waits for its reply or error.
    pub async fn command(&mut self, command: Command) -> Result<Reply, ApiError> {
        self.request(Request::Command { command }).await
    }

    /// Sends a request and waits for its reply or error.
    pub async fn request(&mut self, request: Request) -> Result<Reply, ApiError> {
        let id = self.send(request).await;
        match self
            .expect(|m| match m {
                ServerMessage::Reply { id: got, .. } => *got == id,
                ServerMessage::Error { id: got, .. } => *got == Some(id),
                _ => false,
            })
            .await
        {
            ServerMessage::Reply { result, .. } => Ok(result),
            ServerMessage::Error { error, .. } => Err(error),
            _ => unreachable!(),
        }
    }

    /// Sends a request without waiting for an answer, and returns its id: a
    /// media bot takes `set_media` itself (it switches its mic or camera,
    /// then tells the meeting) and prints no reply to it.
    pub async fn send(&mut self, request: Request) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let line = serde_json::to_string(&ClientMessage { id, request }).expect("encodable");
        self.stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("write to bot");
        id
    }

    /// The messages read while waiting for others and not asked for yet.
    pub fn take_backlog(&mut self) -> Vec<ServerMessage> {
        std::mem::take(&mut self.backlog)
    }

    /// Asserts that events matching the predicates were seen in this order
    /// (other events may come between them).
    pub fn assert_order(&self, steps: &[Step<'_>]) {
        let mut rest = self.events.iter();
        for (what, step) in steps {
            assert!(
                rest.by_ref().any(step),
                "{}: expected {what} in order; saw {:#?}",
                self.name,
                self.events
            );
        }
    }

    /// Closes its stdin, as a person leaving: the bot hangs up its media
    /// and connection and exits.
    pub async fn leave(self) {
        let Bot {
            mut child, stdin, ..
        } = self;
        drop(stdin);
        if tokio::time::timeout(WAIT, child.wait()).await.is_err() {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }

    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}
