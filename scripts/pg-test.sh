#!/usr/bin/env bash
# The PostgreSQL store's tests (`--database postgres://...`): the store's
# behavioural tests against PostgreSQL and the server binary on it. Each
# test binary starts a private cluster with Debian's initdb/pg_ctl in a
# temporary directory on a free port (as the postgres user when run as
# root), so a plain `cargo test` leaves them out; here they run, and fail
# if PostgreSQL is missing after all.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh postgres
cargo build --workspace --bins --tests
cargo test --workspace --lib -- --include-ignored store::tests
# The cluster: three server processes on one database (`cluster`,
# `failover`, `cluster_bots`, and `cluster_media`: media bots after a
# kill -9 of their node; `cluster_storage`: PostgreSQL restarted under two
# nodes with media running), and breakout-client following a meeting to its
# node (`cluster` names a test of breakout-client too: both run). The
# benchmark beside them is for `make bench` (scripts/bench-failover.sh).
cargo test --workspace --test postgres --test cluster --test failover --test restart --test cluster_bots --test cluster_media --test cluster_storage \
    -- --include-ignored --skip failover_bench
