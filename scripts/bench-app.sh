#!/usr/bin/env bash
# The desktop app's figures (app_start_ms, app_rss_9_mb,
# app_render_9_cpu_pct) as name=value lines; tests/app/src/bin/app-bench.rs
# says exactly what each measures. A release build of the app, run under a
# private Xvfb display.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}

scripts/app-build.sh --release >&2
scripts/app-driver.sh >&2
# Release bots: the nine participants' packets cost the machine as little
# as possible, leaving it to the app measured.
cargo build --release -p breakout-client --bin breakout-bot >&2
cargo build --release -p breakout-server --bin breakout-server >&2
cargo build -p breakout-app-e2e --bin app-bench --quiet >&2
BREAKOUT_APP_BIN="$target/release/breakout-app" BREAKOUT_BOT_BIN="$target/release/breakout-bot" \
    BREAKOUT_SERVER_BIN="$target/release/breakout-server" \
    xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" "$target/debug/app-bench"
