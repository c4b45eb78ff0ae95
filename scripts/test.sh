#!/usr/bin/env bash
# `make test`: every check CI runs, stage by stage, with the time each took.
# Downloads (npm packages, the Python fuzzer) run in the background while the
# workspace compiles, since they wait on the network and not on the cores.
# Usage: test.sh [stage...]   (default: all stages, in order)
set -euo pipefail
cd "$(dirname "$0")/.."

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(setup lint unit pg-test schemathesis ui-test media-test net-test app-test)

timings=$(mktemp)
prefetch_log=$(mktemp)

# The workspace's own crates compile through clippy-driver in every stage
# after setup (which installs clippy), so the lint stage's build is the one
# every later stage uses (see scripts/clippy.sh); -D warnings reaches
# clippy-driver only, never the dependencies.
lint_while_building() {
    local driver
    driver=$(command -v clippy-driver) || { echo "test: clippy-driver missing (rustup component add clippy)" >&2; exit 1; }
    export RUSTC_WORKSPACE_WRAPPER=$driver
    export CLIPPY_ARGS=-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__
}

run_stage() {
    local stage=$1 started=$SECONDS
    [ "$stage" = setup ] || [ -n "${RUSTC_WORKSPACE_WRAPPER:-}" ] || lint_while_building
    printf '\n==== make %s\n' "$stage"
    make --no-print-directory "$stage"
    printf '%s=%s\n' "$stage" $((SECONDS - started)) >>"$timings"
}

summary() {
    echo
    echo "==== make test: seconds per stage"
    sed 's/^/test_stage_s_/' "$timings"
    echo "test_total_s=$SECONDS"
}
trap 'status=$?; summary; rm -f "$timings" "$prefetch_log"; exit $status' EXIT

prefetch_pid=
for stage in "${stages[@]}"; do
    run_stage "$stage"
    if [ "$stage" = setup ]; then
        scripts/prefetch.sh >"$prefetch_log" 2>&1 &
        prefetch_pid=$!
    fi
    if [ "$stage" = unit ] && [ -n "$prefetch_pid" ]; then
        wait "$prefetch_pid" || { cat "$prefetch_log" >&2; echo "test: fetching npm/Python tools failed" >&2; exit 1; }
        prefetch_pid=
    fi
done
