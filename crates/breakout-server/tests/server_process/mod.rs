//! The `breakout-server` binary as a child process, with its output read
//! line by line: for what only the program does (its log setup).

#![allow(dead_code)]

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

pub const KEY: &str = "process-test-admin-key-0123456789";

pub struct ServerProcess {
    child: Child,
    pub addr: String,
    lines: mpsc::UnboundedReceiver<String>,
    /// Every line read so far, except the banner line that shows the key.
    pub log: String,
    _dir: tempfile::TempDir,
}

impl ServerProcess {
    /// Starts the binary on a free loopback port with `args` added.
    pub async fn start(args: &[&str]) -> ServerProcess {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_breakout-server"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--media-port",
                "0",
                "--admin-key",
                KEY,
            ])
            .arg("--data-dir")
            .arg(dir.path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the server binary starts");
        let (tx, lines) = mpsc::unbounded_channel();
        forward(child.stdout.take().unwrap(), tx.clone());
        forward(child.stderr.take().unwrap(), tx);
        let mut server = ServerProcess {
            child,
            addr: String::new(),
            lines,
            log: String::new(),
            _dir: dir,
        };
        let banner = server.read_until("listening on http://").await;
        server.addr = banner.trim_start_matches("listening on http://").into();
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Reads output up to the first line containing `wanted`; fails the
    /// test after 30 s without one.
    pub async fn read_until(&mut self, wanted: &str) -> String {
        let log = &mut self.log;
        let lines = &mut self.lines;
        let found = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let line = lines.recv().await?;
                // The banner prints the key on purpose; it is not a log line.
                if !line.starts_with("admin key:") {
                    log.push_str(&line);
                    log.push('\n');
                }
                if line.contains(wanted) {
                    return Some(line);
                }
            }
        })
        .await;
        match found {
            Ok(Some(line)) => line,
            Ok(None) => panic!("the server exited before writing {wanted:?}:\n{}", self.log),
            Err(_) => panic!("no {wanted:?} within 30 s in:\n{}", self.log),
        }
    }

    /// Stops the server and reads what is left of its output.
    pub async fn stop(&mut self) {
        self.child.kill().await.unwrap();
        while let Some(line) = self.lines.recv().await {
            if !line.starts_with("admin key:") {
                self.log.push_str(&line);
                self.log.push('\n');
            }
        }
    }
}

/// Sends each line `output` writes to `to`.
fn forward(output: impl AsyncRead + Unpin + Send + 'static, to: mpsc::UnboundedSender<String>) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(output).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let _ = to.send(line);
        }
    });
}
