#!/usr/bin/env bash
# Figures over real network plumbing (tests/src/netlab.rs, and the lossy
# link of tests/src/impair.rs): needs root, the release binaries (bench.sh
# builds them) and iproute2/nftables.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh net >&2
if [ "$(id -u)" -ne 0 ]; then
    echo "bench-net: network namespaces need root" >&2
    exit 1
fi
cargo build --release -p breakout-server -p breakout-client >&2
cargo bench -q -p breakout-e2e --bench internet --bench lossy_link --bench uplink 2>/dev/null
