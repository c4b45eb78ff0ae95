#!/usr/bin/env bash
# Starts a release server, drives it with `breakout-bot load`, and reports
# start latency plus the server's peak RSS and CPU seconds.
set -euo pipefail
bin=$1
data=$(mktemp -d)
key=bench-admin-key
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
"$bin/breakout-server" --listen "127.0.0.1:$port" --media-port 0 --data-dir "$data" --admin-key "$key" --log warn >"$data/log" 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v1/health" >/dev/null && break; sleep 0.1; done

cpu_seconds() {
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$pid/stat"
}

run_load() { # prefix participants rooms meetings
    local prefix=$1
    local before after
    before=$(cpu_seconds)
    "$bin/breakout-bot" load --server "http://127.0.0.1:$port" --admin-key "$key" \
        --participants "$2" --rooms "$3" --meetings "$4" |
        grep -E '^start_latency_(p50|p99)_ms=' | sed "s/^start_latency_/${prefix}_/"
    after=$(cpu_seconds)
    echo "${prefix}_server_cpu_s=$(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.2f", a - b }')"
}

run_load server_start_1000 1000 100 1
echo "server_rss_1000_mb=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")"
run_load server_start_50x50 50 5 50
echo "server_rss_after_50x50_mb=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")"

# Journal appends as actors make them: durable (synchronous=FULL), several
# meetings at once, group commit; on SQLite, then on a private PostgreSQL
# cluster (the `_postgres` figures). Its own binary; no server process
# needed. Its stderr is shown only if it fails (PostgreSQL missing, ...).
journal_log=$(mktemp)
cargo bench -q -p breakout-server --bench journal 2>"$journal_log" | grep -E '^journal_' ||
    { cat "$journal_log" >&2; rm -f "$journal_log"; exit 1; }
rm -f "$journal_log"
