#!/usr/bin/env bash
# Builds the web UI into ui/dist (which the app embeds at compile time),
# doing only what changed since the last time.
set -euo pipefail
cd "$(dirname "$0")/../ui"

# npm ci only when the lock file changed since the last install: it wipes
# node_modules, which costs a minute for nothing otherwise.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "app-ui: installing the UI's packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
fi
# A fresh dist makes cargo re-embed it and relink the app: only when a
# source is newer.
if [ ! -f dist/index.html ] || [ -n "$(find src index.html dashboard.html vite.config.ts package-lock.json -newer dist/index.html -print -quit)" ]; then
    echo "app-ui: building ui/dist"
    npm run build --silent
fi
