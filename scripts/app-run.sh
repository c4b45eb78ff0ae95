#!/usr/bin/env bash
# `make run`: the desktop app on your display, hosting a meeting on this
# computer (embedded server), with a few synthetic participants
# (breakout-bot) who joined with its invite code, so the meeting is live
# from the first second. Closing the app window ends everything.
# Environment: BOTS (default 4), TITLE, NAME; TONES=1 leaves the bots'
# synthetic mics on (each a steady tone: the speaking highlight, but noisy).
# BREAKOUT_SYNTHETIC_MEDIA=1 gives the app a tone and test pattern too.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    cat >&2 <<'MSG'
make run: no display ($DISPLAY and $WAYLAND_DISPLAY are empty), so the app
has nowhere to open its window. Run it from a desktop session, or forward X
(ssh -X), or try it headless:  xvfb-run -a make run
MSG
    exit 1
fi

scripts/app-build.sh
target=${CARGO_TARGET_DIR:-target}
bots=${BOTS:-4}
names=(Ada Ben Cleo Dev Emil Fay Gus Hui Ivo Jun)

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

# The app prints its invite as one JSON line once it hosts.
exec 3< <("$target/debug/breakout-app" --host "${TITLE:-Breakout demo}" --name "${NAME:-You}")
pids+=($!)
if ! read -r -t 60 joined <&3; then
    echo "make run: the app did not start hosting (see its log above)" >&2
    exit 1
fi
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$joined" "$1"; }
server=$(field server_url)
code=$(field invite_code)
echo "Hosting at $server — invite code $code — link $(field invite_link)"

# Each bot redeems the code like a person would, then stays until the app
# closes: a hello in the chat, and live synthetic media (its own moving
# test pattern and tone, `--media synthetic`), so the tiles show video.
mic=false
[ "${TONES:-0}" = 1 ] && mic=true
for i in $(seq 0 $((bots - 1))); do
    name=${names[$((i % ${#names[@]}))]}
    token=$(curl -fsS -X POST "$server/v1/join" -H 'content-type: application/json' \
        -d "{\"code\":\"$code\",\"name\":\"$name\"}" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    {
        echo "{\"type\":\"set_media\",\"mic\":$mic,\"camera\":true}"
        echo "{\"type\":\"chat\",\"text\":\"Hi, $name here.\"}"
    } | BREAKOUT_TOKEN=$token "$target/debug/breakout-bot" join --server "$server" \
        --media synthetic --report-ms 60000 --exit-after-ms 86400000 >/dev/null &
    pids+=($!)
done
echo "$bots participants joined. Open the Rooms dashboard to split them into rooms."

# Until the app exits (its window closed).
while kill -0 "${pids[0]}" 2>/dev/null; do
    read -r -t 5 _ <&3 || true
done
