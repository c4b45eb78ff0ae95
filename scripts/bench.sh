#!/usr/bin/env bash
# `make bench`: every speed figure as name=value lines, the summary last.
# Not part of `make test`: numbers here are measurements, not assertions.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-$PWD/target}
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT

echo "== core (criterion)"
cargo bench -p breakout-core --bench meeting -- --warm-up-time 1 --measurement-time 3 >/dev/null
CARGO_TARGET_DIR=$target python3 scripts/criterion_summary.py | tee -a "$summary"

echo "== core: rotations planned as a whole"
cargo bench -p breakout-core --bench rotation -- --warm-up-time 1 --measurement-time 3 \
    | grep -E '^[a-z0-9_]+=' | tee -a "$summary"

echo "== server: breakouts start for 1,000 participants over real WebSockets"
cargo build --release -p breakout-server -p breakout-client >/dev/null
scripts/bench-server.sh "$target/release" | tee -a "$summary"

for extra in scripts/bench-media.sh scripts/bench-record.sh scripts/bench-client-media.sh scripts/bench-app.sh scripts/bench-net.sh scripts/bench-failover.sh; do
    if [ -x "$extra" ]; then
        echo "== $(basename "$extra" .sh)"
        "$extra" | grep -E '^[a-z0-9_]+=' | tee -a "$summary"
    fi
done

echo "== summary"
cat "$summary"
