#!/usr/bin/env bash
# Fetches what the later test stages install from registries (the UI's and
# the interop page's npm packages, the API fuzzer), so `make test` can do it
# while the workspace compiles. Idempotent; each stage still checks for itself.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/npm-ci.sh ui
scripts/npm-ci.sh tests/interop
scripts/setup.sh python
