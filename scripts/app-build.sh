#!/usr/bin/env bash
# Builds everything the desktop app needs, installing what is missing first:
# system packages (setup.sh desktop), the web UI (ui/dist), the app and
# breakout-bot. Usage: app-build.sh [--release]  (the app only, built as the
# bundler builds it, with Tauri's production asset protocol; bots stay debug)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh desktop
scripts/app-ui.sh
if [ "${1:-}" = "--release" ]; then
    cargo build --release --features tauri/custom-protocol -p breakout-app
    cargo build -p breakout-client --bin breakout-bot
else
    # The whole workspace's binaries, as `make unit` builds them (tests
    # included, whose dev-dependencies add features): one feature set for
    # every dependency, so nothing is compiled a second time.
    cargo build --workspace --bins --tests
fi
