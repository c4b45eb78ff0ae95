#!/usr/bin/env bash
# The client media tests, all of them for real: the codec/jitter/assembly
# unit tests, synthetic participants through the real SFU (rooms, a host
# listening in and speaking to all rooms, a real window shared from its
# own Xvfb display), cpal
# against a PulseAudio null sink, and headless Chromium as a peer.
# Installs what is missing first (system packages, PulseAudio, playwright-core).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh desktop
if ! command -v npm >/dev/null; then
    echo "media-test: installing node and npm"
    if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq nodejs npm >/dev/null; else sudo apt-get install -y -qq nodejs npm >/dev/null; fi
fi
# playwright-core only; browsers are never downloaded (Debian's chromium is used).
scripts/npm-ci.sh tests/interop

eval "$(scripts/pulse.sh)"

# --workspace, as everywhere in make test: one feature set for every
# dependency (a -p build recompiles half of them with other features).
cargo test --workspace --lib media
# The tests that need the sound server and the browser are ignored by a
# plain `cargo test`; here they have both, so they run (and fail if either
# is missing after all).
# The window-sharing test captures a window on a display of its own.
xvfb-run -a -s "-screen 0 1280x720x24" \
    cargo test --workspace --test media_rooms --test media_ears --test media_devices --test media_bot \
    --test media_interop --test media_screen_capture -- --include-ignored
