#!/usr/bin/env bash
# Tests over real network plumbing: network namespaces, veth pairs and
# nftables NAT (tests/src/netlab.rs), and a lossy, jittery link through the
# impairment relay (tests/src/impair.rs). They need root (CI runs as root)
# and the ip, nft and tc tools, so a plain `cargo test` leaves them out;
# here they run, and fail if any is missing after all.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh net
if [ "$(id -u)" -ne 0 ]; then
    echo "net-test: network namespaces need root; run as root (CI does) or with sudo -E" >&2
    exit 1
fi
cargo build --workspace --bins --tests
cargo test --workspace --test internet --test lossy_link --test uplink_cap --test downlink_cap -- --include-ignored
