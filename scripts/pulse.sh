#!/usr/bin/env bash
# Starts a PulseAudio daemon with a null sink named `spk` (its monitor is the
# default source) so cpal can play and capture for real on a machine with no
# sound card. Idempotent: a daemon already answering in the same runtime
# directory is kept. Prints the environment to use it:
#     eval "$(scripts/pulse.sh)"
# `scripts/pulse.sh stop` ends the daemon.
set -euo pipefail

dir=${BREAKOUT_PULSE_DIR:-${TMPDIR:-/tmp}/breakout-pulse-$(id -u)}
mkdir -p "$dir"
chmod 700 "$dir"
export XDG_RUNTIME_DIR=$dir
unset PULSE_SERVER

if [ "${1:-}" = stop ]; then
    pactl exit 2>/dev/null || pulseaudio --kill 2>/dev/null || true
    exit 0
fi

for tool in pulseaudio pactl pacat; do
    command -v "$tool" >/dev/null || {
        echo "pulse.sh: $tool is missing (scripts/setup.sh desktop installs it)" >&2
        exit 1
    }
done

if ! pactl info >/dev/null 2>&1; then
    # -n: no default.pa (no hardware probing); the modules below are all we need.
    pulseaudio -D --exit-idle-time=-1 -n \
        --load=module-native-protocol-unix \
        --load="module-null-sink sink_name=spk" \
        --load=module-always-sink \
        --log-target=file:"$dir/pulse.log" 2>/dev/null
    for _ in $(seq 100); do
        pactl info >/dev/null 2>&1 && break
        sleep 0.1
    done
    pactl info >/dev/null 2>&1 || {
        echo "pulse.sh: PulseAudio did not start; see $dir/pulse.log" >&2
        exit 1
    }
fi
pactl set-default-sink spk >/dev/null
pactl set-default-source spk.monitor >/dev/null
echo "export XDG_RUNTIME_DIR=$dir"
