#!/usr/bin/env python3
"""Print the core's headline criterion figures as `name=value` lines.

Reads the median of each benchmark from
`<target>/criterion/<id>/new/estimates.json`, where `<target>` is
`$CARGO_TARGET_DIR` or `./target` (criterion writes nanoseconds), and
prints it in microseconds with two decimals, e.g. `core_shuffle_1000_us=412.37`. Run `cargo bench -p breakout-core --bench
meeting` first. A benchmark that has not been run is reported on stderr and
makes the exit status 1; the others are still printed.
"""

import json
import os
import sys
from pathlib import Path

# Benchmark id in benches/meeting.rs -> headline name.
HEADLINES = [
    ("core_command_1000", "core_command_1000_us"),
    ("core_chat_1000", "core_chat_1000_us"),
    ("core_shuffle_1000", "core_shuffle_1000_us"),
    ("core_round_robin_1000", "core_round_robin_1000_us"),
    ("core_view_participant_1000", "core_view_participant_1000_us"),
    ("core_view_host_1000", "core_view_host_1000_us"),
    ("core_snapshot_restore_1000", "core_snapshot_restore_1000_us"),
]


def median_ns(criterion_dir: Path, bench_id: str) -> float:
    estimates = criterion_dir / bench_id / "new" / "estimates.json"
    with estimates.open() as f:
        return float(json.load(f)["median"]["point_estimate"])


def main() -> int:
    target = Path(os.environ.get("CARGO_TARGET_DIR") or "target")
    criterion_dir = target / "criterion"
    missing = 0
    for bench_id, name in HEADLINES:
        try:
            ns = median_ns(criterion_dir, bench_id)
        except (OSError, KeyError, ValueError, TypeError) as e:
            print(f"{name}: no result in {criterion_dir / bench_id} ({e})", file=sys.stderr)
            missing += 1
            continue
        print(f"{name}={ns / 1000:.2f}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
