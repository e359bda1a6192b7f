#!/usr/bin/env python3
"""Prints the metaldb / raw RocksDB time ratio of every benchmark from criterion's estimates.

Usage: benches/ratios.py [criterion-dir]   (default: $CARGO_TARGET_DIR/criterion)

Times are criterion's median estimates, which a loaded machine skews less than the mean. The
targets (issue 2) apply at 100 000 items; metaldb 1.0.0's ratios are its own measurements.
"""
import json
import os
import sys
from pathlib import Path

default = Path(os.environ.get("CARGO_TARGET_DIR", "target")) / "criterion"
root = Path(sys.argv[1]) if len(sys.argv) > 1 else default

# workload: (target at 100k items, metaldb 1.0.0's ratio)
REFERENCE = {
    "map_insert_merge_sync": ("≤ 1.3x", "2.6x"),
    "map_random_reads": ("≤ 1.2x", "1.10x"),
    "map_iteration": ("≤ 1.3x", "1.28x"),
    "list_push_merge": ("≤ 1.3x", "1.95x"),
}
TARGET_SIZE = 100_000


def estimate(group, side, size):
    path = root / group / side / str(size) / "new" / "estimates.json"
    return json.loads(path.read_text())["median"]["point_estimate"]


def milliseconds(nanoseconds):
    return f"{nanoseconds / 1e6:.3f} ms" if nanoseconds < 1e7 else f"{nanoseconds / 1e6:.1f} ms"


print("| workload | items | metaldb | raw RocksDB | ratio | target | metaldb 1.0.0 |")
print("|---|---|---|---|---|---|---|")
for group in sorted(p.name for p in root.iterdir() if (p / "metaldb").is_dir()):
    sizes = sorted(int(p.name) for p in (root / group / "metaldb").iterdir() if p.name.isdigit())
    for size in sizes:
        ours, raw = estimate(group, "metaldb", size), estimate(group, "rocksdb", size)
        target, old = REFERENCE.get(group, ("-", "-")) if size == TARGET_SIZE else ("", "")
        print(f"| {group} | {size} | {milliseconds(ours)} | {milliseconds(raw)} "
              f"| {ours / raw:.2f}x | {target} | {old} |")
