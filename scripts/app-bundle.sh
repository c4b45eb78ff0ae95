#!/usr/bin/env bash
# `make bundle`: a .deb, and an AppImage where the bundler can fetch its
# tools (linuxdeploy, from GitHub), with the icons from icons/, into
# target/release/bundle/. Uses the Tauri CLI from npm (a prebuilt binary,
# kept in the cache, not in ui/'s packages).
#
# The CLI looks for its config beside the app's Cargo.toml, while ours sits
# at the repository root (shared with the crate's generate_context!). So
# the CLI gets a copy in src-tauri/ with its paths made relative to there,
# deleted when done.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${BREAKOUT_CACHE:-$HOME/.cache/breakout}
target=${CARGO_TARGET_DIR:-$PWD/target}

scripts/setup.sh desktop
scripts/app-ui.sh
cli="$cache/tauri-cli/node_modules/.bin/tauri"
if [ ! -x "$cli" ]; then
    echo "app-bundle: installing the Tauri CLI (@tauri-apps/cli 2)"
    npm install --prefix "$cache/tauri-cli" --no-audit --no-fund --loglevel=error '@tauri-apps/cli@^2'
fi

staged=src-tauri/tauri.conf.json
trap 'rm -f "$staged"' EXIT
python3 - "$staged" <<'PY'
import json, sys
config = json.load(open("tauri.conf.json"))
config["build"]["frontendDist"] = "../" + config["build"]["frontendDist"]
config["bundle"]["icon"] = ["../" + icon for icon in config["bundle"]["icon"]]
json.dump(config, open(sys.argv[1], "w"), indent=2)
PY

cd src-tauri
export TAURI_APP_PATH=$PWD TAURI_FRONTEND_PATH=$PWD/../ui CARGO_TARGET_DIR=$target
if ! "$cli" build --ci --bundles deb,appimage; then
    echo "app-bundle: the AppImage could not be made (it needs linuxdeploy from GitHub); making the .deb alone" >&2
    "$cli" build --ci --bundles deb
fi
echo "app-bundle: packages:"
find "$target/release/bundle" -maxdepth 2 \( -name '*.deb' -o -name '*.AppImage' \) -printf '  %p (%s bytes)\n'
