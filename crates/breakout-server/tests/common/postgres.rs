//! A private PostgreSQL cluster for tests: `initdb` and `pg_ctl` from
//! Debian's `/usr/lib/postgresql/<version>/bin` in a temporary directory,
//! listening on 127.0.0.1 on a free port, with trust authentication for the
//! `breakout` role. As root it runs as the `postgres` user (the server
//! refuses root). [`Cluster::shared`] starts one per test binary; each test
//! takes its own database of it with [`Cluster::new_database`]. A test that
//! stops the server starts a [`Cluster::start`] of its own.
//!
//! Every cluster is watched by a small shell process reading our stdin: when
//! this process ends, however it ends, the pipe closes and the watcher
//! stops the server and removes its directory.
//!
//! Shared by the store's unit tests (`#[path]`) and the integration tests.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// What a test that needs PostgreSQL says when it is not there.
const MISSING: &str = "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): \
     run `scripts/setup.sh postgres` (make pg-test does) or install Debian's postgresql package";

/// The role every test connects as.
pub const USER: &str = "breakout";

pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    pub port: u16,
    /// Its stdin closing stops the server and removes `dir`.
    watcher: Mutex<Child>,
    databases: AtomicUsize,
    /// `CREATE DATABASE` copies a template; one at a time avoids "source
    /// database is being accessed by other users".
    creating: Mutex<()>,
}

impl Cluster {
    /// The cluster of this test binary, started by the first test asking.
    pub fn shared() -> &'static Cluster {
        static SHARED: OnceLock<Cluster> = OnceLock::new();
        SHARED.get_or_init(Cluster::start)
    }

    /// A cluster of its own, stopped when dropped.
    pub fn start() -> Cluster {
        let bin = binaries().unwrap_or_else(|| panic!("{MISSING}"));
        let dir = tempfile::Builder::new()
            .prefix("breakout-pg-")
            .tempdir()
            .expect("temp dir for PostgreSQL")
            .keep();
        let as_root = is_root();
        if as_root {
            run(Command::new("chown").arg("-R").arg("postgres:").arg(&dir));
        }
        let data = dir.join("data");
        run(as_server_user(as_root, &bin.join("initdb"))
            .args(["-A", "trust", "-U", USER, "--no-sync", "-E", "UTF8"])
            .arg("-D")
            .arg(&data));
        let port = free_port();
        let watcher = watch(as_root, &bin, &dir);
        let cluster = Cluster {
            bin,
            dir,
            port,
            watcher: Mutex::new(watcher),
            databases: AtomicUsize::new(0),
            creating: Mutex::new(()),
        };
        cluster.start_server();
        cluster
    }

    /// A fresh, empty database; returns its URL.
    pub fn new_database(&self) -> String {
        let n = self.databases.fetch_add(1, Ordering::Relaxed);
        let name = format!("test_{n}");
        let _one_at_a_time = self.creating.lock().unwrap_or_else(|e| e.into_inner());
        run(Command::new(self.bin.join("createdb"))
            .args(["-h", "127.0.0.1", "-U", USER, "-p"])
            .arg(self.port.to_string())
            .arg(&name));
        self.url(&name)
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{database}", self.port)
    }

    /// Stops the server at once, as a crash or an operator would (clients
    /// are cut off, nothing is flushed beyond what was committed).
    pub fn stop_server(&self) {
        run(self.pg_ctl().args(["stop", "-m", "immediate", "-w"]));
    }

    /// Starts the server again on the same port and data.
    pub fn start_server(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.display()
        );
        let mut start = self.pg_ctl();
        start
            .args(["start", "-w", "-o", &options, "-l"])
            .arg(self.dir.join("log"));
        let output = start.output().expect("pg_ctl starts");
        assert!(
            output.status.success(),
            "PostgreSQL did not start on port {}: {}\n{}",
            self.port,
            String::from_utf8_lossy(&output.stderr),
            self.log()
        );
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }

    fn pg_ctl(&self) -> Command {
        let mut command = as_server_user(is_root(), &self.bin.join("pg_ctl"));
        command.arg("-D").arg(self.dir.join("data"));
        command
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let mut watcher = self.watcher.lock().unwrap_or_else(|e| e.into_inner());
        drop(watcher.stdin.take());
        let _ = watcher.wait();
    }
}

/// The newest installed version's bin directory.
fn binaries() -> Option<PathBuf> {
    let root = Path::new("/usr/lib/postgresql");
    let newest = std::fs::read_dir(root)
        .ok()?
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|version| root.join(version.to_string()).join("bin/initdb").exists())
        .max()?;
    Some(root.join(newest.to_string()).join("bin"))
}

fn is_root() -> bool {
    let output = Command::new("id").arg("-u").output().expect("id -u");
    String::from_utf8_lossy(&output.stdout).trim() == "0"
}

/// `program`, as the `postgres` user when we are root.
fn as_server_user(as_root: bool, program: &Path) -> Command {
    if as_root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// Runs `command` to completion; fails the test with its output otherwise.
fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?} does not start: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn free_port() -> u16 {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    socket.local_addr().expect("its address").port()
}

/// Starts the process that stops the server and removes `dir` once our
/// end of its stdin closes.
fn watch(as_root: bool, bin: &Path, dir: &Path) -> Child {
    let runuser = if as_root {
        "runuser -u postgres -- "
    } else {
        ""
    };
    let script = format!(
        "cat >/dev/null; {runuser}\"$0\" -D \"$1/data\" stop -m immediate >/dev/null 2>&1; rm -rf \"$1\""
    );
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(bin.join("pg_ctl"))
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sh starts");
    // Nothing is ever written; the pipe only has to stay open.
    let _ = child.stdin.as_mut().map(|stdin| stdin.flush());
    child
}
