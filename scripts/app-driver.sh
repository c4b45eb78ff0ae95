#!/usr/bin/env bash
# Installs tauri-driver (the WebDriver front for Tauri apps) if missing.
set -euo pipefail
if ! command -v tauri-driver >/dev/null && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]; then
    echo "app-driver: installing tauri-driver"
    cargo install tauri-driver --version '^2' --locked --quiet
fi
