#!/usr/bin/env bash
# Builds the release breakout-server and packs what a host needs twice, in
# target/dist/:
#   breakout-server-<version>-linux-<arch>.tar.gz  the binary, the systemd
#       unit and the install notes, for any systemd Linux;
#   breakout-server_<version>_<debarch>.deb  the same for Debian and Ubuntu:
#       installs to /usr/bin, enables and starts the service, keeps
#       /etc/breakout-server/env as a configuration file.
# BREAKOUT_DIST_BIN=path packs that binary instead of building one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
dist=${BREAKOUT_DIST_DIR:-$root/target/dist}

bin=${BREAKOUT_DIST_BIN:-}
if [[ -z $bin ]]; then
    # Only the server's own dependencies, optimised: no app, no media client.
    ${CARGO:-cargo} build --release --locked -p breakout-server --bin breakout-server
    bin=$target/release/breakout-server
fi
[[ -x $bin ]] || { echo "server-dist: no executable at $bin" >&2; exit 1; }

# "breakout-server 0.1.0" -> 0.1.0: the version the binary itself reports.
version=$("$bin" --version | awk '{print $2}')
[[ -n $version ]] || { echo "server-dist: $bin did not report a version" >&2; exit 1; }
arch=$(uname -m)
name=breakout-server-$version-linux-$arch

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"
install -m 0755 "$bin" "$stage/$name/breakout-server"
strip "$stage/$name/breakout-server" 2>/dev/null || true
install -m 0644 packaging/breakout-server.service "$stage/$name/breakout-server.service"
install -m 0644 packaging/env.example "$stage/$name/env.example"
install -m 0644 packaging/README-server.md "$stage/$name/README.md"

mkdir -p "$dist"
tarball=$dist/$name.tar.gz
tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$tarball" "$name"
echo "$tarball"

deb=$("$root/scripts/server-deb.sh" "$stage/$name" "$version" "$dist")
echo "$deb"
