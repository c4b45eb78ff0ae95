#!/usr/bin/env bash
# Dependency rules the compiler does not check (run by `make lint`):
# - breakout-client without its default features is only the REST/WebSocket
#   client: none of the media engine's native libraries (libvpx, Opus, ALSA,
#   libclang for V4L2) and none of the bot's command-line crates.
# - No module cycles in the crates whose layering we keep one-way.
set -euo pipefail
cd "$(dirname "$0")/.."

forbidden='cpal|nokhwa|vpx-rs|vpx-sys|opus|audiopus_sys|webrtc|clap|anyhow|tracing-subscriber'
tree=$(cargo tree -p breakout-client --no-default-features -e normal --prefix none --format '{p}')
if found=$(grep -E "^($forbidden) " <<<"$tree" | sort -u) && [ -n "$found" ]; then
    echo "check-deps: breakout-client --no-default-features pulls in what only the" >&2
    echo "'media' or 'bot' feature may (make the dependency optional there):" >&2
    sed 's/^/    /' <<<"$found" >&2
    exit 1
fi

scripts/check-module-cycles.py crates/breakout-client/src crates/breakout-server/src crates/breakout-bwe/src src-tauri/src
echo "check-deps: ok"
