#!/usr/bin/env bash
# Every figure `make bench` prints has one name and one meaning: fails when
# two sources print the same `name=` (run by `make lint`).
set -euo pipefail
cd "$(dirname "$0")/.."

sources=$(ls crates/*/benches/*.rs tests/benches/*.rs crates/*/tests/*bench*.rs tests/tests/cluster_media.rs tests/tests/cluster_bench.rs tests/app/src/bin/*.rs scripts/bench*.sh 2>/dev/null)
dupes=$(for file in $sources; do
    grep -oE '(println!\(|echo |printf )"[a-z0-9_]+=' "$file" | sed -E 's/.*"([a-z0-9_]+)=/\1/' | sort -u |
        sed "s|\$| $file|"
done | sort | awk '{files[$1] = files[$1] " " $2; n[$1]++} END {for (k in n) if (n[k] > 1) print k ":" files[k]}')
if [ -n "$dupes" ]; then
    echo "check-bench-names: these figures are printed by more than one source; give each its own name:" >&2
    sed 's/^/    /' <<<"$dupes" >&2
    exit 1
fi
echo "check-bench-names: ok"
