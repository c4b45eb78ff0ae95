//! The `breakout-server` binary as a child process, its output read line by
//! line.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

pub struct Process {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
    /// Every line read so far, except the banner line that shows the key.
    pub log: String,
}

impl Process {
    /// Starts the binary on a free loopback port with `args` added and
    /// waits for the address it listens on.
    pub async fn start(data_dir: &Path, key: &str, args: &[&str]) -> (Process, SocketAddr) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_breakout-server"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--media-port",
                "0",
                "--admin-key",
                key,
            ])
            .arg("--data-dir")
            .arg(data_dir)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the server binary starts");
        let (tx, lines) = mpsc::unbounded_channel();
        forward(child.stdout.take().unwrap(), tx.clone());
        forward(child.stderr.take().unwrap(), tx);
        let mut process = Process {
            child,
            lines,
            log: String::new(),
        };
        let banner = process.read_until("listening on http://").await;
        let addr = banner
            .trim_start_matches("listening on http://")
            .parse()
            .unwrap_or_else(|_| panic!("no address in {banner:?}"));
        (process, addr)
    }

    /// Reads output up to the first line containing `wanted`; fails the
    /// test after 30 s without one.
    pub async fn read_until(&mut self, wanted: &str) -> String {
        let log = &mut self.log;
        let lines = &mut self.lines;
        let found = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let line = lines.recv().await?;
                keep(log, &line);
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

    /// Sends `signal` (`STOP`, `CONT`, ...) to the process.
    pub fn signal(&self, signal: &str) {
        let pid = self.child.id().expect("the server still runs");
        let status = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} {pid}");
    }

    /// Stops the server and reads what is left of its output.
    pub async fn stop(&mut self) {
        self.child.kill().await.unwrap();
        while let Some(line) = self.lines.recv().await {
            keep(&mut self.log, &line);
        }
    }
}

/// Adds `line` to the log, unless it is the banner line that prints the key
/// on purpose.
fn keep(log: &mut String, line: &str) {
    if !line.starts_with("admin key:") {
        log.push_str(line);
        log.push('\n');
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
