#!/usr/bin/env bash
# UI checks, from a fresh clone: generated types up to date, type-check,
# build, unit tests (Vitest) and browser flows (playwright-core + Debian's
# Chromium, Tauri IPC mocked). Screenshots land in target/ui-shots/.
#
# UI_SKIP_BINDINGS=1 skips regenerating the TypeScript bindings. The CSV
# browser flow imports into a real breakout-server: BREAKOUT_SERVER_BIN names
# one, else it is built here (as `make unit` builds it, so nothing twice).
# Server messages in the browser flows go through the shell's own reducer:
# SESSION_REPLAY_BIN names breakout-client's `session_replay` example, else
# it is built here.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

step() { printf '\n== %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

if [ ! -x /usr/bin/chromium ]; then
  step "installing chromium"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium
fi

if ! command -v npm >/dev/null; then
  step "installing node and npm"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq nodejs npm
fi

if [ "${UI_SKIP_BINDINGS:-0}" != 1 ]; then
  step "TypeScript bindings of the wire types"
  # --workspace: dependencies keep the workspace build's features, so only
  # the two crates with the `ts` feature are compiled again.
  cargo test -q --workspace --features breakout-protocol/ts --test export_bindings
  # The shell's commands and events (src-tauri/src/contract.rs); fails and
  # rewrites ui/src/lib/shell.generated.ts when it was stale.
  cargo test -q --workspace --features breakout-protocol/ts,breakout-app/ts \
    --test export_shell_bindings
  if ! git diff --exit-code --stat -- ui/src/generated \
    || [ -n "$(git ls-files --others --exclude-standard -- ui/src/generated)" ]; then
    echo "ui/src/generated is out of date: commit the regenerated files" >&2
    exit 1
  fi
fi

if [ -z "${BREAKOUT_SERVER_BIN:-}" ]; then
  step "breakout-server for the browser tests"
  cargo build -q --workspace --bins --tests
fi
if [ -z "${SESSION_REPLAY_BIN:-}" ]; then
  # The shell's reducer, which the browser tests push views through.
  step "session_replay for the browser tests"
  cargo build -q --workspace --example session_replay
fi

step "npm ci"
scripts/npm-ci.sh ui
cd ui

step "type-check"
npm run --silent check

step "build"
npm run --silent build

step "unit tests"
npm run --silent test

step "browser tests"
mkdir -p "$root/target/ui-shots"
npm run --silent e2e
echo "screenshots: target/ui-shots/"
