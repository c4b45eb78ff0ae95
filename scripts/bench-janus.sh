#!/usr/bin/env bash
# The forwarding load of bench-media.sh carried by Janus (VideoRoom), for
# forward_cpu_ratio_vs_janus: prints janus_* name=value lines, or a `#`
# line saying why there are none.
#
# Janus never gathers ICE candidates on a loopback interface (src/ice.c
# skips IFF_LOOPBACK), and libnice pins each socket to its interface
# (IP_UNICAST_IF), so it cannot answer peers on 127.0.0.1 either. Bench
# traffic must stay on this machine, so Janus and the bench peers run in a
# private network namespace whose only other interface is a veth pair with
# nothing attached: both sides use its address, which the kernel delivers
# locally (through lo), as it does for our SFU on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

# Usage: bench-janus.sh [--build | --run EXE]. --build installs Janus and
# builds the bench, printing its executable (or a `#` line); --run EXE
# measures with an executable built before, so that bench-media.sh can run
# both SFUs back to back; no argument does both.
build() {
    scripts/setup.sh bench >&2 || { echo "# janus: could not install it (scripts/setup.sh bench)"; return 1; }
    command -v janus >/dev/null || { echo "# janus: not installed"; return 1; }
    unshare --net true 2>/dev/null || { echo "# janus: needs a private network namespace (unshare --net, root)"; return 1; }
    local log
    log=$(mktemp)
    cargo bench -p breakout-server --bench janus --no-run --message-format=json-render-diagnostics 2>"$log" |
        python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "janus" and m.get("executable"):
        print(m["executable"])' || { tail -n 20 "$log" >&2; rm -f "$log"; echo "# janus: the bench did not build"; return 1; }
    rm -f "$log"
}

case "${1:-}" in
    --build)
        build || true # its `#` line says why
        exit 0
        ;;
    --run)
        # Run as the namespace's only user, so nothing else shares it.
        exec unshare --net scripts/bench-janus.sh --in-netns "$2"
        ;;
    --in-netns) ;;
    *)
        bench=$(build) || { echo "$bench"; exit 0; }
        exec scripts/bench-janus.sh --run "$bench"
        ;;
esac

bench=$2
conf=$(mktemp -d)
janus_pid=
cleanup() {
    if [ -n "$janus_pid" ]; then
        kill "$janus_pid" 2>/dev/null || true
        wait "$janus_pid" 2>/dev/null || true
    fi
    rm -rf "$conf"
}
trap cleanup EXIT

ip link set lo up
ice_ip=10.99.0.1 # private to this namespace: no route leads out of it
ip link add janus0 type veth peer name janus1
ip addr add "$ice_ip/24" dev janus0
ip link set janus1 up
ip link set janus0 up
# Janus skips interfaces that are not running yet (no carrier).
for _ in $(seq 50); do ip link show janus0 | grep -q 'state UP' && break; sleep 0.1; done

# Load only the VideoRoom plugin and the HTTP transport: folders holding
# just those two, no loggers, no event handlers.
lib=$(dirname "$(ls /usr/lib/*/janus/plugins/libjanus_videoroom.so | head -1)")/..
mkdir -p "$conf/plugins" "$conf/transports" "$conf/none"
ln -s "$lib/plugins/libjanus_videoroom.so" "$conf/plugins/"
ln -s "$lib/transports/libjanus_http.so" "$conf/transports/"
port=8088 # the namespace is ours: nothing else listens in it
cat >"$conf/janus.jcfg" <<EOF
general: {
	configs_folder = "$conf"
	plugins_folder = "$conf/plugins"
	transports_folder = "$conf/transports"
	events_folder = "$conf/none"
	loggers_folder = "$conf/none"
	interface = "$ice_ip"
	debug_level = ${JANUS_DEBUG_LEVEL:-3} # warnings, like our SFU's --log warn
	debug_colors = false
	log_to_stdout = false
	log_to_file = "$conf/janus.log"
}
media: {
}
nat: {
	ice_enforce_list = "$ice_ip"
}
plugins: {
}
transports: {
}
events: {
	broadcast = false
}
EOF
cat >"$conf/janus.transport.http.jcfg" <<EOF
general: {
	json = "compact"
	base_path = "/janus"
	http = true
	port = $port
	ip = "127.0.0.1"
	https = false
}
admin: {
	admin_http = false
	admin_https = false
}
EOF
# Rooms come from the bench's `create` request.
echo 'general: {}' >"$conf/janus.plugin.videoroom.jcfg"

janus -F "$conf" >"$conf/stdout" 2>&1 &
janus_pid=$!
url="http://127.0.0.1:$port/janus"
for _ in $(seq 100); do curl -sf "$url/info" >/dev/null && break; sleep 0.1; done
if ! curl -sf "$url/info" >/dev/null; then
    tail -n 20 "$conf/janus.log" "$conf/stdout" >&2 || true
    echo "# janus: its HTTP API did not come up"
    exit 1
fi
echo "# janus: $(janus --help 2>&1 | sed -n 's/^Janus version: [0-9]* (\(.*\))/\1/p')"

status=0
JANUS_URL=$url JANUS_PID=$janus_pid JANUS_ICE_IP=$ice_ip "$bench" 2>"$conf/bench.err" | grep -E '^[a-z0-9_]+=|^#' || status=$?
if [ $status -ne 0 ]; then
    tail -n 20 "$conf/bench.err" "$conf/janus.log" >&2 || true
    echo "# janus: the bench failed"
    exit 1
fi
