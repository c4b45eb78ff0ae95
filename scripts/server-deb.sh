#!/usr/bin/env bash
# Turns the staged server files of scripts/server-dist.sh into a Debian
# package with dpkg-deb alone (no debhelper on a fresh machine):
#   server-deb.sh <staged dir> <version> <output dir>   prints the .deb's path
# The binary goes to /usr/bin, the unit to /lib/systemd/system (its
# ExecStart rewritten to match), the env file to /etc as a conffile so an
# upgrade never overwrites what the admin set.
set -euo pipefail
staged=$1 version=$2 out=$3
debarch=$(dpkg --print-architecture)

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
pkg=$root/pkg
install -D -m 0755 "$staged/breakout-server" "$pkg/usr/bin/breakout-server"
install -d -m 0755 "$pkg/lib/systemd/system"
sed 's|/usr/local/bin/breakout-server|/usr/bin/breakout-server|g' \
    "$staged/breakout-server.service" >"$pkg/lib/systemd/system/breakout-server.service"
chmod 0644 "$pkg/lib/systemd/system/breakout-server.service"
install -D -m 0600 "$staged/env.example" "$pkg/etc/breakout-server/env"
install -D -m 0644 "$staged/README.md" "$pkg/usr/share/doc/breakout-server/README.md"
grep -q '^ExecStart=/usr/bin/breakout-server ' "$pkg/lib/systemd/system/breakout-server.service" || {
    echo "server-deb: the unit's ExecStart does not name /usr/bin/breakout-server" >&2
    exit 1
}

# The newest glibc symbol version the binary needs is the package's floor.
glibc=$(objdump -T "$pkg/usr/bin/breakout-server" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1)
[[ -n $glibc ]] || { echo "server-deb: found no glibc symbol versions in the binary" >&2; exit 1; }

install -d -m 0755 "$pkg/DEBIAN"
cat >"$pkg/DEBIAN/control" <<CONTROL
Package: breakout-server
Version: $version
Architecture: $debarch
Maintainer: Breakout developers <breakout@localhost>
Installed-Size: $(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
Depends: libc6 (>= $glibc), libgcc-s1
Section: net
Priority: optional
Description: room server for meetings with breakout rooms
 Serves the Breakout REST API, WebSocket, shared join links and the
 selective forwarding of all media: one TCP port (7800) and one UDP
 port (7801). State is kept in /var/lib/breakout-server; options are
 BREAKOUT_* variables in /etc/breakout-server/env.
CONTROL
echo /etc/breakout-server/env >"$pkg/DEBIAN/conffiles"

# Maintainer scripts: only when systemd runs (not in a chroot or container
# build), and never failing an install because the service would not start.
cat >"$pkg/DEBIAN/postinst" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = configure ] && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable breakout-server.service >/dev/null 2>&1 || true
    if [ -z "$2" ]; then
        systemctl start breakout-server.service || true
    else
        systemctl try-restart breakout-server.service || true
    fi
fi
SCRIPT
cat >"$pkg/DEBIAN/prerm" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
    systemctl stop breakout-server.service || true
    systemctl disable breakout-server.service >/dev/null 2>&1 || true
fi
SCRIPT
cat >"$pkg/DEBIAN/postrm" <<'SCRIPT'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
fi
SCRIPT
chmod 0755 "$pkg/DEBIAN/postinst" "$pkg/DEBIAN/prerm" "$pkg/DEBIAN/postrm"

mkdir -p "$out"
deb=$out/breakout-server_${version}_${debarch}.deb
dpkg-deb --root-owner-group -Z"${BREAKOUT_DEB_COMPRESSION:-xz}" --build "$pkg" "$deb" >/dev/null
echo "$deb"
