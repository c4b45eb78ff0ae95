//! Tauri's build step, with two choices of ours:
//! - the config lives at the repository root (`../tauri.conf.json`), shared
//!   by this crate and the Tauri CLI's bundler;
//! - every command the UI may call is declared here, so tauri-build generates
//!   an `allow-<command>` permission for it and each window's capability file
//!   (capabilities/*.json) lists only the commands that window needs. A
//!   command missing from every capability is refused at the IPC boundary.

use std::path::Path;

/// Keep in step with `generate_handler!` in src/lib.rs.
const COMMANDS: &[&str] = &[
    "host_meeting",
    "join_meeting",
    "send_command",
    "set_media",
    "speak_to_all",
    "list_screens",
    "share_screen",
    "stop_sharing",
    "get_media",
    "get_joined",
    "get_state",
    "get_chat",
    "get_client_view",
    "dismiss_toast",
    "dismiss_banner",
    "defer_invitation",
    "export_assignments",
    "preview_assignments_csv",
    "import_assignments_csv",
    "open_dashboard",
    "leave_meeting",
    "list_devices",
    "select_device",
    "get_start_memory",
    "save_start_memory",
];

fn main() {
    placeholder_frontend_if_missing();
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {error:#}");
    }
}

/// The UI is embedded at compile time from `ui/dist`. On a fresh clone it is
/// not built yet, yet `cargo clippy/test --workspace` must still compile this
/// crate: point the embedding at a one-page placeholder that says what to do.
/// `make run`/`make app-test` build the UI first, so they never see it.
fn placeholder_frontend_if_missing() {
    let dist = Path::new("../ui/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    if dist.join("index.html").exists() {
        return;
    }
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let placeholder = Path::new(&out).join("placeholder-ui");
    std::fs::create_dir_all(&placeholder).expect("create placeholder UI dir");
    let page = "<!doctype html><meta charset=utf-8><title>Breakout</title>\
        <p>The web UI was not built. Run <code>make run</code> (or \
        <code>npm ci && npm run build</code> in ui/) and rebuild.</p>";
    for name in ["index.html", "dashboard.html"] {
        std::fs::write(placeholder.join(name), page).expect("write placeholder UI");
    }
    let config = serde_json_string(&placeholder);
    println!("cargo:rustc-env=TAURI_CONFIG={config}");
    println!("cargo:warning=ui/dist is missing: embedding a placeholder page (run `make run`)");
}

/// `{"build":{"frontendDist":"<dir>"}}` without a JSON dependency.
fn serde_json_string(dir: &Path) -> String {
    let escaped = dir
        .display()
        .to_string()
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    format!(r#"{{"build":{{"frontendDist":"{escaped}"}}}}"#)
}
