#!/usr/bin/env bash
# What recording a room costs the server (make bench):
# record_cpu_pct_per_room is the share of one core the release server
# spends more while one room of five speaking participants is recorded
# (their Opus decoded, mixed, encoded and written as WebM) than while the
# same room is not. The five are breakout-bot load bots replaying their
# tone and test pattern, so the SFU forwards the same media both times.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-$PWD/target}
members=${BENCH_RECORD_MEMBERS:-5}
seconds=${BENCH_RECORD_SECONDS:-10}
cargo build --release -p breakout-server -p breakout-client >/dev/null 2>&1
server_bin=$target/release/breakout-server
bot=$target/release/breakout-bot

data=$(mktemp -d)
key=bench-admin-key
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$server_bin" --listen "127.0.0.1:$port" --media-port 0 --data-dir "$data" --admin-key "$key" --log warn \
    >"$data/log" 2>&1 &
pid=$!
bots=()
# SIGINT: stop at once (SIGTERM would wait for breakouts to end).
trap 'kill "${bots[@]}" 2>/dev/null || true; kill -INT $pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v1/health" >/dev/null && break; sleep 0.1; done
url="http://127.0.0.1:$port"
admin() { "$bot" admin --server "$url" --admin-key "$key" "$@"; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

meeting=$(admin create-meeting --title recorded | field id)
host=$(admin add-participant --meeting "$meeting" --name Host --preset host | field token)
for i in $(seq "$members"); do
    token=$(admin add-participant --meeting "$meeting" --name "Member $i" --preset participant | field token)
    "$bot" join --server "$url" --token "$token" --media replay --exit-after-ms 3600000 >/dev/null 2>&1 &
    bots+=($!)
done

# CPU-seconds of the server so far (utime + stime).
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$pid/stat"; }
# The server's share of one core over `seconds`, in percent.
share() {
    local before after
    before=$(cpu)
    sleep "$seconds"
    after=$(cpu)
    awk -v a="$before" -v b="$after" -v s="$seconds" 'BEGIN { printf "%.2f", (b - a) / s * 100 }'
}
record() {
    "$bot" do --server "$url" --token "$host" "{\"type\":\"record\",\"active\":$1}" >/dev/null
}

# Everyone's media flowing before anything is measured.
sleep 5
plain=$(share)
record true
sleep 1
recorded=$(share)
record false
files=$(find "$data/recordings" -name '*.webm' 2>/dev/null | wc -l)
echo "# recording: ${members} members, server ${plain} % of a core without, ${recorded} % with; ${files} file(s)"
if [ "$files" -lt 1 ]; then
    echo "bench-record: no recording was written" >&2
    exit 1
fi
awk -v p="$plain" -v r="$recorded" 'BEGIN { printf "record_cpu_pct_per_room=%.2f\n", r - p }'
