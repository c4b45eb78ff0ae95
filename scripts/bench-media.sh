#!/usr/bin/env bash
# Media figures as name=value lines: room switch on one connection vs. a new
# connection per room, join to first RTP, SFU forwarding cost and memory.
# The SFU runs as a separate release process so its CPU and RSS are its own.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --release -p breakout-server --bin breakout-server >/dev/null 2>&1
data=$(mktemp -d)
key=bench-admin-key
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$target/release/breakout-server" --listen "127.0.0.1:$port" --data-dir "$data" --admin-key "$key" --log warn >"$data/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v1/health" >/dev/null && break; sleep 0.1; done
BENCH_SERVER="127.0.0.1:$port" BENCH_ADMIN_KEY="$key" BENCH_SERVER_PID=$pid \
    cargo bench -p breakout-server --bench media 2>/dev/null | grep -E '^[a-z0-9_]+=|^#'
