#!/usr/bin/env bash
# Client-side media figures as name=value lines: room switch latency
# (audio/video, and against a new PeerConnection per room), mouth-to-ear
# latency, join-to-first-audio, a listening host's switch to another room
# (to its first decoded audio), start sharing a screen to the first decoded
# picture, and the downlink of 9 small tiles with and
# without simulcast, all through the real server and SFU on loopback
# (crates/breakout-client/tests/media_bench.rs says how each is measured).
# Counts can be lowered for a quick look (fewer tile publishers are scaled
# to 9):
#   BENCH_MOVES=100 BENCH_REJOINS=20 BENCH_BURSTS=40 BENCH_JOINS=20
#   BENCH_LISTEN_SWITCHES=100 BENCH_SHARES=30
#   BENCH_TILE_PUBLISHERS=9
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh desktop >&2

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! cargo test -q -p breakout-client --test media_bench -- --ignored --nocapture >"$log" 2>&1; then
    cat "$log" >&2
    echo "bench-client-media: the benchmark failed" >&2
    exit 1
fi
grep -E '^[a-z0-9_]+=' "$log"
