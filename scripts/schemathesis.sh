#!/usr/bin/env bash
# Fuzzes the REST API from its own OpenAPI document against a real server:
# no request may produce a server error (5xx).
set -euo pipefail
server_bin=$1
cache=${BREAKOUT_CACHE:-$HOME/.cache/breakout}
data=$(mktemp -d)
key=schemathesis-admin-key
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$server_bin" --listen "127.0.0.1:$port" --media-port 0 --data-dir "$data" --admin-key "$key" --log warn >"$data/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/v1/health" >/dev/null && break
    sleep 0.1
done
# A meeting to give path parameters something real to hit.
curl -sf -X POST -H "Authorization: Bearer $key" -H 'content-type: application/json' \
    -d '{"title":"fuzzed"}' "http://127.0.0.1:$port/v1/meetings" >/dev/null
"$cache/venv/bin/schemathesis" run "http://127.0.0.1:$port/v1/openapi.json" \
    --checks not_a_server_error \
    --header "Authorization: Bearer $key" \
    --max-examples 40 \
    --no-color
kill -0 $pid || { echo "the server died during the run"; cat "$data/server.log"; exit 1; }
