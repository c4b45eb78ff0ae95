#!/usr/bin/env bash
# Failover figures as name=value lines: three cluster nodes on a private
# PostgreSQL cluster, three breakout rooms of two media bots (synthetic
# tone and pattern) joined through a node that does not own their meeting;
# the owner is killed with SIGKILL.
#   failover_detect_ms      kill → a live node holds the meeting's lease
#   failover_resume_p95_ms  kill → every bot decodes its room-mates' tones
#                           again on a new media session (nearest rank)
#   acked_events_lost       acknowledged chat writes missing after twenty
#                           kills of the owner under continuous writes
#                           (tests/tests/cluster_bench.rs)
#   placement_imbalance     max/mean forwarded streams per node after
#                           thirty meetings of 1-4 load bots (release
#                           build: 75 bots and three nodes on two cores)
# tests/tests/cluster_media.rs (`failover_bench`) says how; debug build,
# as `make pg-test` builds it. Media reports come every 100 ms, so the
# resume figure is late by up to that.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh postgres >&2
cargo build --workspace --bins --tests >&2

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! cargo test -q --workspace --test cluster_media -- --ignored --exact failover_bench --nocapture >"$log" 2>&1; then
    cat "$log" >&2
    echo "bench-failover: the benchmark failed" >&2
    exit 1
fi
grep -E '^[a-z0-9_]+=' "$log"
if ! cargo test -q --workspace --test cluster_bench -- --ignored --exact acked_events_bench --nocapture >"$log" 2>&1; then
    cat "$log" >&2
    echo "bench-failover: the acknowledged-writes benchmark failed" >&2
    exit 1
fi
grep -E '^[a-z0-9_]+=' "$log"
cargo build --release -p breakout-server -p breakout-client >&2
if ! cargo test --release -q -p breakout-e2e --test cluster_bench -- --ignored --exact placement_bench --nocapture >"$log" 2>&1; then
    cat "$log" >&2
    echo "bench-failover: the placement benchmark failed" >&2
    exit 1
fi
grep -E '^[a-z0-9_]+=' "$log"
