//! Binaries come from this workspace's target directory (`make app-test`
//! builds them first); `BREAKOUT_APP_BIN` points at another app build
//! (the bench uses a release one).

use std::path::PathBuf;

use anyhow::{Context, bail};

pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"))
}

fn built(name: &str, env: &str) -> anyhow::Result<PathBuf> {
    let path = match std::env::var_os(env) {
        Some(path) => PathBuf::from(path),
        None => target_dir().join("debug").join(name),
    };
    if !path.exists() {
        bail!(
            "{} is missing: build it first (make app-test does)",
            path.display()
        );
    }
    path.canonicalize().context("resolving the binary's path")
}

pub fn app() -> anyhow::Result<PathBuf> {
    built("breakout-app", "BREAKOUT_APP_BIN")
}

pub fn bot() -> anyhow::Result<PathBuf> {
    built("breakout-bot", "BREAKOUT_BOT_BIN")
}

pub fn server() -> anyhow::Result<PathBuf> {
    built("breakout-server", "BREAKOUT_SERVER_BIN")
}

/// `target/e2e-shots/`, created on demand.
pub fn shots() -> anyhow::Result<PathBuf> {
    let dir = target_dir().join("e2e-shots");
    std::fs::create_dir_all(&dir).context("creating target/e2e-shots")?;
    Ok(dir)
}

/// `tauri-driver` from PATH, else cargo's bin directory.
pub fn tauri_driver() -> anyhow::Result<PathBuf> {
    let in_path = std::env::var_os("PATH").into_iter().flat_map(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("tauri-driver"))
            .collect::<Vec<_>>()
    });
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|c| c.join("bin/tauri-driver"));
    in_path.chain(cargo_bin).find(|p| p.is_file()).context(
        "tauri-driver is not installed: cargo install tauri-driver --version '^2' --locked",
    )
}
