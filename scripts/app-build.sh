#!/usr/bin/env bash
# Builds everything the desktop app needs, installing what is missing first:
# system packages (setup.sh desktop), the web UI (ui/dist), the app and
# breakout-bot. Usage: app-build.sh [--release]  (the app only, built as the
# bundler builds it, with Tauri's production asset protocol; bots stay debug)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh desktop
scripts/app-ui.sh
profile=()
[ "${1:-}" = "--release" ] && profile=(--release --features tauri/custom-protocol)
cargo build "${profile[@]}" -p breakout-app
cargo build -p breakout-client --bin breakout-bot
