#!/usr/bin/env bash
# The real app end to end (tests/app): builds it, then runs the WebDriver
# test under a private Xvfb display. Screenshots land in target/e2e-shots/.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/app-build.sh
scripts/app-driver.sh
# Compile the test before the X server starts, so xvfb-run only runs it.
cargo test --workspace --test real_app --no-run --quiet
rm -rf "${CARGO_TARGET_DIR:-target}/e2e-shots"
xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" \
    cargo test --workspace --test real_app --quiet -- --ignored --nocapture --test-threads=1
echo "app-test: screenshots in ${CARGO_TARGET_DIR:-target}/e2e-shots/"
