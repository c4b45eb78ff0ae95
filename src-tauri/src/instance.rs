//! One app at a time. The first launch listens on a Unix socket in the
//! user's runtime directory (`$XDG_RUNTIME_DIR/breakout/instance.sock`,
//! private to the user); a later launch sends its arguments there as one
//! JSON line, waits until the running app has taken them (`ok`), and exits
//! before opening any window. A socket left by an app that crashed answers
//! nothing and is replaced.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Longest argument line taken from a later launch.
const LINE_MAX: u64 = 64 * 1024;
/// How long a later launch may take to send its line, or the first to answer.
const PATIENCE: Duration = Duration::from_secs(10);

/// What this launch is.
pub enum Claim {
    /// The first: later launches' arguments arrive on this socket.
    First(Listener),
    /// A later one whose arguments the running app took: exit now.
    Handed,
    /// A later one that keeps its arguments (see [`claim`]): it runs on its
    /// own, and links go to the other app.
    Second,
}

/// The running app's end of the socket ([`release`] removes it at exit).
pub struct Listener {
    listener: UnixListener,
}

#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    #[error("no directory for the app's socket: {0}")]
    Dir(std::io::Error),
    #[error("cannot listen on {path}: {source}")]
    Bind {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The socket's place: the user's runtime directory, else a private
/// directory in the temporary one.
pub fn default_path() -> PathBuf {
    let dir = match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(runtime) => PathBuf::from(runtime).join("breakout"),
        None => {
            let user = std::env::var("USER").unwrap_or_default();
            std::env::temp_dir().join(format!("breakout-{user}"))
        }
    };
    dir.join("instance.sock")
}

/// Hands `args` to the app listening at `path`, or becomes that app. With
/// `None` (a launch that must run itself, e.g. `--host`, whose invite a
/// script reads), an app already listening leaves this one [`Claim::Second`].
pub fn claim(path: &Path, args: Option<&[String]>) -> Result<Claim, InstanceError> {
    match args {
        Some(args) if hand_over(path, args) => return Ok(Claim::Handed),
        None if UnixStream::connect(path).is_ok() => return Ok(Claim::Second),
        _ => {}
    }
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(InstanceError::Dir)?;
    }
    // Nobody answered: whatever socket is there is stale.
    let _ = std::fs::remove_file(path);
    match UnixListener::bind(path) {
        Ok(listener) => Ok(Claim::First(Listener { listener })),
        // Another first launch bound it a moment ago: it is the app.
        Err(_) if args.is_some_and(|args| hand_over(path, args)) => Ok(Claim::Handed),
        Err(source) => Err(InstanceError::Bind {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Whether an app at `path` took `args`.
fn hand_over(path: &Path, args: &[String]) -> bool {
    let Ok(mut stream) = UnixStream::connect(path) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(PATIENCE));
    let _ = stream.set_write_timeout(Some(PATIENCE));
    let Ok(mut line) = serde_json::to_string(args) else {
        return false;
    };
    line.push('\n');
    if stream.write_all(line.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let read = BufReader::new(stream).take(16).read_line(&mut answer);
    read.is_ok() && answer.trim() == "ok"
}

impl Listener {
    /// Calls `taken` with each later launch's arguments (without the program
    /// name), on a thread of its own, for as long as the app runs.
    pub fn serve(self, taken: impl Fn(Vec<String>) + Send + 'static) {
        std::thread::Builder::new()
            .name("instance".into())
            .spawn(move || {
                for stream in self.listener.incoming() {
                    match stream.map(receive) {
                        Ok(Some(args)) => taken(args),
                        Ok(None) => {}
                        Err(error) => {
                            tracing::warn!(%error, "a later launch could not reach this app");
                        }
                    }
                }
            })
            .map(drop)
            .unwrap_or_else(|error| tracing::warn!(%error, "cannot wait for later launches"));
    }
}

/// A later launch's arguments, acknowledged; `None` when it sent no valid
/// line in time.
fn receive(stream: UnixStream) -> Option<Vec<String>> {
    let _ = stream.set_read_timeout(Some(PATIENCE));
    let _ = stream.set_write_timeout(Some(PATIENCE));
    let mut line = String::new();
    BufReader::new(&stream)
        .take(LINE_MAX)
        .read_line(&mut line)
        .ok()?;
    let args: Vec<String> = serde_json::from_str(&line).ok()?;
    (&stream).write_all(b"ok\n").ok()?;
    Some(args.into_iter().skip(1).collect())
}

/// Removes the socket of the app that ends, so the next launch starts at
/// once (a left-over one would only be replaced).
pub fn release(path: &Path) {
    let _ = std::fs::remove_file(path);
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn a_later_launch_hands_its_arguments_to_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run/instance.sock");
        let Claim::First(listener) = claim(&path, Some(&args("app"))).unwrap() else {
            panic!("the first launch must listen");
        };
        let (sent, received) = mpsc::channel();
        listener.serve(move |args| sent.send(args).unwrap());
        let later = args("app breakout://join?code=x --name Kim");
        assert!(matches!(claim(&path, Some(&later)).unwrap(), Claim::Handed));
        assert_eq!(
            received.recv().unwrap(),
            args("breakout://join?code=x --name Kim")
        );
    }

    #[test]
    fn a_launch_that_keeps_its_arguments_runs_beside_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("instance.sock");
        let Claim::First(listener) = claim(&path, None).unwrap() else {
            panic!("the first launch must listen");
        };
        listener.serve(|_| panic!("nothing is handed over"));
        assert!(matches!(claim(&path, None).unwrap(), Claim::Second));
    }

    #[test]
    fn a_socket_nobody_answers_on_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("instance.sock");
        // A crashed app's socket: bound, never accepted from.
        drop(UnixListener::bind(&path).unwrap());
        assert!(matches!(
            claim(&path, Some(&args("app"))).unwrap(),
            Claim::First(_)
        ));
    }

    #[test]
    fn garbage_on_the_socket_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("instance.sock");
        let Claim::First(listener) = claim(&path, Some(&args("app"))).unwrap() else {
            panic!("the first launch must listen");
        };
        let (sent, received) = mpsc::channel();
        listener.serve(move |args| sent.send(args).unwrap());
        let mut stream = UnixStream::connect(&path).unwrap();
        stream.write_all(b"not json\n").unwrap();
        let mut answer = String::new();
        BufReader::new(&stream).read_line(&mut answer).unwrap();
        assert_eq!(answer, "");
        assert!(matches!(
            claim(&path, Some(&args("app x"))).unwrap(),
            Claim::Handed
        ));
        assert_eq!(received.recv().unwrap(), args("x"));
    }
}
