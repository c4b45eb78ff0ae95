#!/usr/bin/env bash
# Media figures as name=value lines: room switch on one connection vs. a new
# connection per room, join to first RTP, SFU forwarding cost and memory,
# and that cost against Janus's for the same load (bench-janus.sh).
# The SFU runs as a separate release process so its CPU and RSS are its own.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --release -p breakout-server --bin breakout-server >/dev/null 2>&1
# Janus and its bench are ready now, so that both forwarding measurements
# run back to back.
janus_bench=$(scripts/bench-janus.sh --build)
data=$(mktemp -d)
key=bench-admin-key
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$target/release/breakout-server" --listen "127.0.0.1:$port" --media-port 0 --data-dir "$data" --admin-key "$key" --log warn >"$data/log" 2>&1 &
pid=$!
# `|| true`: under `set -e` a failing step would end the trap before the rm.
trap 'kill -INT $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v1/health" >/dev/null && break; sleep 0.1; done
BENCH_SERVER="127.0.0.1:$port" BENCH_ADMIN_KEY="$key" BENCH_SERVER_PID=$pid \
    cargo bench -p breakout-server --bench media 2>/dev/null | grep -E '^[a-z0-9_]+=|^#' | tee "$data/ours"
# Stopped, so that it takes no CPU from the Janus measurement.
kill -INT $pid && wait $pid 2>/dev/null || true

# The same forwarding load through Janus, right after, for the ratio.
case "$janus_bench" in
    "#"*) echo "$janus_bench" | tee "$data/janus" ;;
    *) scripts/bench-janus.sh --run "$janus_bench" | tee "$data/janus" ||
        echo "# janus: no comparison (bench-janus.sh failed)" ;;
esac
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"
ours=$(sed -n 's/^forward_cpu_us_per_stream_s=//p' "$data/ours")
janus=$(sed -n 's/^janus_cpu_us_per_stream_s=//p' "$data/janus")
if [ -n "$ours" ] && [ -n "$janus" ]; then
    awk -v o="$ours" -v j="$janus" 'BEGIN { printf "forward_cpu_ratio_vs_janus=%.3f\n", o / j }'
fi
