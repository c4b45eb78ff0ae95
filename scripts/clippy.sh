#!/usr/bin/env bash
# Clippy over every target of the workspace, warnings as errors (`make lint`).
#
# Under `make test` (scripts/test.sh sets RUSTC_WORKSPACE_WRAPPER to
# clippy-driver, which is all `cargo clippy` does) the lints run inside the
# one build the tests need: the workspace's crates compile through
# clippy-driver and the dependencies through plain rustc. A separate
# `cargo clippy` would first check-build the whole dependency tree, a second
# compile of everything that took 19 of 45 minutes of a cold `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "${RUSTC_WORKSPACE_WRAPPER:-}" ] && [ "$(basename "$RUSTC_WORKSPACE_WRAPPER")" = clippy-driver ]; then
    cargo build --workspace --bins --tests --benches
else
    cargo clippy --workspace --all-targets -- -D warnings
fi
