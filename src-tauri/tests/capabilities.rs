//! Every IPC command the dashboard's components call is allowed by the
//! dashboard window's capability: a command missing there is refused at the
//! IPC boundary in the real app, which the UI's mocked-IPC tests cannot see.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `export function previewAssignmentsCsv(...) { return call(() => commands.preview_assignments_csv(...`:
/// each function of ipc.ts and the command it invokes.
fn ipc_functions() -> Vec<(String, String)> {
    let source = fs::read_to_string(root().join("ui/src/lib/ipc.ts")).expect("read ipc.ts");
    let mut found = Vec::new();
    for chunk in source.split("export function ").skip(1) {
        let name: String = chunk.chars().take_while(|c| c.is_alphanumeric()).collect();
        let body = chunk.split("\n}").next().unwrap_or_default();
        if let Some(rest) = body.split("commands.").nth(1)
            && let Some(command) = rest.split('(').next()
        {
            found.push((name, command.to_string()));
        }
    }
    found
}

/// Commands the dashboard's components call through `ipc.<function>(`.
fn dashboard_commands() -> BTreeSet<String> {
    commands_called_in(&["ui/src/components/dashboard"])
}

/// Commands the components in `dirs` (not below) call through
/// `ipc.<function>(`.
fn commands_called_in(dirs: &[&str]) -> BTreeSet<String> {
    let functions = ipc_functions();
    let mut used = BTreeSet::new();
    let components = dirs.iter().flat_map(|dir| {
        fs::read_dir(root().join(dir))
            .expect("list components")
            .map(|entry| entry.expect("a directory entry").path())
            .filter(|path| path.extension().is_some_and(|e| e == "svelte"))
    });
    for path in components {
        let text = fs::read_to_string(path).expect("read a component");
        for (function, command) in &functions {
            if text.contains(&format!("ipc.{function}(")) {
                used.insert(command.clone());
            }
        }
    }
    used
}

fn allowed(capability: &str) -> BTreeSet<String> {
    let path = root().join(format!("src-tauri/capabilities/{capability}.json"));
    let text = fs::read_to_string(path).expect("read the capability");
    let json: serde_json::Value = serde_json::from_str(&text).expect("capability JSON");
    json["permissions"]
        .as_array()
        .expect("a permissions list")
        .iter()
        .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect()
}

#[test]
fn the_dashboard_may_call_every_command_its_components_use() {
    let used = dashboard_commands();
    assert!(
        used.contains("preview_assignments_csv") && used.contains("export_assignments"),
        "the scan found {used:?}"
    );
    let allowed = allowed("dashboard");
    let missing: Vec<_> = used.difference(&allowed).collect();
    assert!(
        missing.is_empty(),
        "capabilities/dashboard.json does not allow {missing:?}"
    );
}

#[test]
fn the_meeting_window_may_call_every_command_its_components_use() {
    let used = commands_called_in(&["ui/src/components", "ui/src/components/meeting"]);
    assert!(used.contains("list_screens"), "the scan found {used:?}");
    let allowed = allowed("main");
    let missing: Vec<_> = used.difference(&allowed).collect();
    assert!(
        missing.is_empty(),
        "capabilities/main.json does not allow {missing:?}"
    );
}
