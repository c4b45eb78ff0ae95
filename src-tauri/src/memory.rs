//! What the start screen remembers between runs: the name people join as
//! and the servers and links they joined recently. One small JSON file in
//! the app's config directory; the UI decides what goes in the list
//! (ui/src/lib/recent.ts), the shell only keeps it, within bounds, and
//! lends the name to links opened from the desktop.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, Runtime};

use crate::IpcError;

/// How many recent joins are kept.
pub const RECENT_MAX: usize = 5;
/// Longest name kept (the start screen's own limit).
const NAME_MAX: usize = 80;
/// Longest server address or link kept.
const TEXT_MAX: usize = 2048;
const FILE: &str = "start.json";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StartMemory {
    /// The name last joined or hosted with; empty when none yet.
    pub name: String,
    /// Most recent first.
    pub recent: Vec<RecentJoin>,
}

/// A meeting joined from the start screen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecentJoin {
    /// The server's address as the join resolved it.
    pub server: String,
    /// The invite link it was joined with; empty when an address and a
    /// code were typed (the code is not kept: it may be single-use).
    pub link: String,
}

impl StartMemory {
    /// The memory as it can be kept: names and texts cut to their limits,
    /// empty entries dropped, at most [`RECENT_MAX`] recent joins.
    pub fn bounded(mut self) -> StartMemory {
        self.name = cut(self.name.trim(), NAME_MAX);
        self.recent.retain(|r| !r.server.trim().is_empty());
        self.recent.truncate(RECENT_MAX);
        for recent in &mut self.recent {
            recent.server = cut(recent.server.trim(), TEXT_MAX);
            recent.link = cut(recent.link.trim(), TEXT_MAX);
        }
        self
    }

    /// `server` joined with `link` (empty: an address and a code): first in
    /// the list, its older entry dropped, the same rule as the start
    /// screen's (ui/src/lib/recent.ts).
    pub fn remember(mut self, server: &str, link: &str) -> StartMemory {
        let server = server.trim().trim_end_matches('/');
        self.recent
            .retain(|r| !r.server.trim_end_matches('/').eq_ignore_ascii_case(server));
        self.recent.insert(
            0,
            RecentJoin {
                server: server.to_string(),
                link: link.trim().to_string(),
            },
        );
        self.bounded()
    }

    /// Reads `dir`'s memory; a missing or unreadable file is an empty one
    /// (it only saves typing).
    pub fn load(dir: &Path) -> StartMemory {
        match std::fs::read(dir.join(FILE)) {
            Ok(bytes) => serde_json::from_slice::<StartMemory>(&bytes)
                .map(StartMemory::bounded)
                .unwrap_or_else(|error| {
                    tracing::warn!(%error, "the start screen's memory is unreadable; starting afresh");
                    StartMemory::default()
                }),
            Err(_) => StartMemory::default(),
        }
    }

    /// Writes the memory to `dir` whole: a crash mid-write leaves the old
    /// file, never half a new one.
    pub fn save(&self, dir: &Path) -> Result<(), IpcError> {
        let failed = |e: std::io::Error| {
            IpcError::new(
                "memory_failed",
                format!("Could not remember the start screen's entries: {e}."),
            )
        };
        std::fs::create_dir_all(dir).map_err(failed)?;
        let json = serde_json::to_vec_pretty(self)
            .map_err(std::io::Error::other)
            .map_err(failed)?;
        let partial = dir.join(format!("{FILE}.partial"));
        std::fs::write(&partial, json).map_err(failed)?;
        std::fs::rename(&partial, dir.join(FILE)).map_err(failed)
    }
}

fn cut(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Where the memory lives: the app's config directory.
pub fn dir<R: Runtime>(app: &AppHandle<R>) -> Result<PathBuf, IpcError> {
    app.path().app_config_dir().map_err(|e| {
        IpcError::new(
            "no_config_dir",
            format!("No place to remember the start screen's entries: {e}."),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recent(server: &str) -> RecentJoin {
        RecentJoin {
            server: server.into(),
            link: String::new(),
        }
    }

    #[test]
    fn what_is_saved_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(StartMemory::load(dir.path()), StartMemory::default());
        let memory = StartMemory {
            name: "Kim".into(),
            recent: vec![
                RecentJoin {
                    server: "https://meet.example".into(),
                    link: "breakout://join?server=https://meet.example&code=abcd".into(),
                },
                recent("http://192.168.1.20:7800"),
            ],
        };
        memory.save(&dir.path().join("nested")).unwrap();
        assert_eq!(StartMemory::load(&dir.path().join("nested")), memory);
    }

    #[test]
    fn memory_is_kept_within_bounds() {
        let memory = StartMemory {
            name: format!("  {}  ", "n".repeat(200)),
            recent: (0..9)
                .map(|i| recent(&format!("http://h{i}:1")))
                .chain([recent("  ")])
                .collect(),
        }
        .bounded();
        assert_eq!(memory.name, "n".repeat(NAME_MAX));
        assert_eq!(memory.recent.len(), RECENT_MAX);
        assert_eq!(memory.recent[0].server, "http://h0:1");
    }

    #[test]
    fn a_join_goes_first_once() {
        let link = "breakout://join?server=http://b:1&code=x";
        let memory = StartMemory {
            name: "Kim".into(),
            recent: vec![recent("http://a:1"), recent("HTTP://B:1/")],
        }
        .remember("http://b:1", link);
        assert_eq!(memory.recent.len(), 2);
        assert_eq!(memory.recent[0].server, "http://b:1");
        assert_eq!(memory.recent[0].link, link);
        assert_eq!(memory.recent[1].server, "http://a:1");
        assert_eq!(memory.name, "Kim");
    }

    #[test]
    fn an_unreadable_file_is_an_empty_memory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), b"{not json").unwrap();
        assert_eq!(StartMemory::load(dir.path()), StartMemory::default());
    }
}
