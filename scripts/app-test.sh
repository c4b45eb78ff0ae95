#!/usr/bin/env bash
# The real app end to end (tests/app): builds it, then runs the WebDriver
# test under a private Xvfb display. Screenshots land in target/e2e-shots/.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/app-build.sh
scripts/app-driver.sh
# Compile the tests before the X server starts, so xvfb-run only runs them.
cargo test --workspace --test real_app --test one_instance --no-run --quiet
rm -rf "${CARGO_TARGET_DIR:-target}/e2e-shots"
xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" \
    cargo test --workspace --test real_app --quiet -- --ignored --nocapture --test-threads=1
# One instance: a second launch with a link joins in the running app (the
# test gives the app a runtime directory of its own).
xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" \
    cargo test --workspace --test one_instance --quiet -- --ignored --nocapture
echo "app-test: screenshots in ${CARGO_TARGET_DIR:-target}/e2e-shots/"
