#!/usr/bin/env bash
# Installs what the build and tests need and a fresh Debian/Ubuntu machine
# lacks. Idempotent: each step checks first.
# Usage: setup.sh [all|base|test|desktop|python|net|postgres|bench]
set -euo pipefail

stage=${1:-test}
cache=${BREAKOUT_CACHE:-$HOME/.cache/breakout}
mkdir -p "$cache"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "setup: installing ${missing[*]}"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

need_rust() {
    command -v cargo >/dev/null || {
        echo "setup: Rust is missing; install it from https://rustup.rs" >&2
        exit 1
    }
    rustup component list --installed 2>/dev/null | grep -q clippy || rustup component add clippy rustfmt
}

need_python_tools() {
    local venv="$cache/venv"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/python" -c 'import schemathesis' 2>/dev/null || {
        echo "setup: installing schemathesis"
        "$venv/bin/pip" install -q 'schemathesis>=4,<5'
    }
}

desktop_packages=(libwebkit2gtk-4.1-dev build-essential curl wget file libxdo-dev
    libssl-dev libayatana-appindicator3-dev librsvg2-dev libasound2-dev
    libasound2-plugins libv4l-dev libclang-dev clang pkg-config xvfb xauth
    pulseaudio pulseaudio-utils sox imagemagick webkit2gtk-driver x11-utils
    libvpx-dev cmake chromium iproute2 nftables coturn postgresql ffmpeg
    libpipewire-0.3-dev libgbm-dev libxcb-randr0-dev)

need_node() {
    command -v npm >/dev/null || apt_install nodejs npm
}

case "$stage" in
    all)
        # Everything `make test` needs, in one apt run.
        need_rust
        apt_install "${desktop_packages[@]}"
        need_node
        ;;
    python)
        need_python_tools
        ;;
    base)
        need_rust
        apt_install build-essential pkg-config
        ;;
    test)
        need_rust
        # ffmpeg: the server's recording tests read their files back with
        # ffprobe and ffmpeg; g++ (build-essential) builds libwebm.
        apt_install build-essential pkg-config curl ffmpeg
        need_python_tools
        ;;
    desktop)
        need_rust
        apt_install "${desktop_packages[@]}"
        ;;
    net)
        # Network namespaces and NAT for the network tests.
        apt_install iproute2 nftables coturn
        ;;
    postgres)
        # The PostgreSQL store's tests start private clusters with this
        # package's initdb and pg_ctl (never the system's own cluster).
        apt_install postgresql
        ;;
    bench)
        # Janus is the SFU that bench-janus.sh compares ours with; it runs
        # in a private network namespace (unshare, ip).
        apt_install janus iproute2 util-linux curl
        ;;
    *)
        echo "usage: setup.sh [all|base|test|desktop|python|net|postgres|bench]" >&2
        exit 2
        ;;
esac
