#!/usr/bin/env python3
"""Prints the metaldb / raw RocksDB time ratio of every benchmark from criterion's estimates.

Usage: benches/ratios.py [criterion-dir]   (default: $CARGO_TARGET_DIR/criterion)
"""
import json
import os
import sys
from pathlib import Path

default = Path(os.environ.get("CARGO_TARGET_DIR", "target")) / "criterion"
root = Path(sys.argv[1]) if len(sys.argv) > 1 else default


def estimate(group, side, size):
    path = root / group / side / str(size) / "new" / "estimates.json"
    return json.loads(path.read_text())["mean"]["point_estimate"]


print("| workload | items | metaldb | raw RocksDB | ratio |")
print("|---|---|---|---|---|")
for group in sorted(p.name for p in root.iterdir() if (p / "metaldb").is_dir()):
    for size in sorted(int(p.name) for p in (root / group / "metaldb").iterdir() if p.name.isdigit()):
        ours, raw = estimate(group, "metaldb", size), estimate(group, "rocksdb", size)
        print(f"| {group} | {size} | {ours / 1e6:.2f} ms | {raw / 1e6:.2f} ms | {ours / raw:.2f}x |")
