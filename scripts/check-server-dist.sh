#!/usr/bin/env bash
# Packs a built breakout-server the way `make server-dist` does and checks
# what a host would install: the tarball's files, and a .deb whose binary
# runs, whose unit starts the binary it ships, and whose env file survives
# upgrades (a conffile).
#   check-server-dist.sh <breakout-server binary>
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

fail() { echo "check-server-dist: $*" >&2; exit 1; }

BREAKOUT_DIST_BIN=$bin BREAKOUT_DIST_DIR=$out/dist BREAKOUT_DEB_COMPRESSION=gzip \
    scripts/server-dist.sh >"$out/made"
version=$("$bin" --version | awk '{print $2}')
tarball=$(grep '\.tar\.gz$' "$out/made") || fail "server-dist made no tarball"
deb=$(grep '\.deb$' "$out/made") || fail "server-dist made no .deb"

listed=$(tar -tzf "$tarball" | sed 's|^[^/]*/||' | grep . | sort | tr '\n' ' ')
[[ $listed == "README.md breakout-server breakout-server.service env.example " ]] \
    || fail "the tarball holds: $listed"

[[ $(dpkg-deb -f "$deb" Package) == breakout-server ]] || fail "package name"
[[ $(dpkg-deb -f "$deb" Version) == "$version" ]] || fail "package version is not the binary's $version"
dpkg-deb -f "$deb" Depends | grep -q '^libc6 (>= 2\.[0-9]*)' || fail "no glibc floor in Depends"
dpkg-deb -I "$deb" conffiles | grep -qx /etc/breakout-server/env || fail "the env file is not a conffile"

dpkg-deb -x "$deb" "$out/root"
for path in usr/bin/breakout-server lib/systemd/system/breakout-server.service \
    etc/breakout-server/env usr/share/doc/breakout-server/README.md; do
    [[ -e $out/root/$path ]] || fail "the .deb lacks /$path"
done
[[ $(stat -c %a "$out/root/etc/breakout-server/env") == 600 ]] || fail "the env file (secrets) is readable by others"
exec_start=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$out/root/lib/systemd/system/breakout-server.service")
[[ -x $out/root$exec_start ]] || fail "the unit starts $exec_start, which the package does not ship"
[[ $("$out/root$exec_start" --version) == "breakout-server $version" ]] || fail "the packaged binary does not run"
echo "check-server-dist: $(basename "$tarball") and $(basename "$deb") hold a runnable server"
