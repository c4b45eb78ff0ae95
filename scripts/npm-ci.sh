#!/usr/bin/env bash
# `npm ci` in DIR unless its node_modules already matches package-lock.json
# (npm ci always deletes node_modules first, which costs half a minute for
# nothing on a repeat run). Browsers are never downloaded: Debian's is used.
# Usage: npm-ci.sh DIR
set -euo pipefail
dir=$1
lock="$dir/package-lock.json"
installed="$dir/node_modules/.package-lock.json"
stamp="$dir/node_modules/.breakout-lock-sha"
sum=$(sha256sum "$lock" | cut -d' ' -f1)
if [ -f "$installed" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
    exit 0
fi
(cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
echo "$sum" >"$stamp"
