//! Keeps ui/src/lib/shell.generated.ts equal to src-tauri/src/contract.rs:
//! rewrites it and fails when it was stale, so a command or event changed
//! in Rust without regenerating is caught (scripts/ui-test.sh runs this).
#![cfg(feature = "ts")]

use std::fs;
use std::path::PathBuf;

#[test]
fn shell_bindings_are_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(breakout_app::contract::OUTPUT);
    let fresh = breakout_app::contract::typescript();
    let current = fs::read_to_string(&path).unwrap_or_default();
    if current != fresh {
        fs::write(&path, &fresh).expect("write ui/src/lib/shell.generated.ts");
        panic!(
            "ui/src/lib/shell.generated.ts was stale and has been regenerated: \
             review and commit it"
        );
    }
}
