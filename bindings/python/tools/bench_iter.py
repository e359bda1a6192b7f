#!/usr/bin/env python3
"""Times iteration through the Python binding: the time per entry of iterating a map of N
entries (8-byte keys, 32-byte values) to its end, and the time of a short iteration that takes
only the first entry, as `popitem` and `pop` do.

Usage: bench_iter.py [--entries N] [--repeat R]    (defaults: 100 000 entries, best of 5)

It uses the metaldb package that Python imports: the installed wheel, or a source checkout on
PYTHONPATH with METALDB_LIBRARY set to a built library.
"""

from __future__ import annotations

import argparse
import time
from typing import Callable

import metaldb


def best_of(repeat: int, run: Callable[[], object]) -> float:
    """The shortest of `repeat` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    entries = args.entries
    with metaldb.temporary() as db:
        with db.transaction() as fork:
            bench = fork.map("bench")
            for i in range(entries):
                bench[i.to_bytes(8, "big")] = bytes(32)
        with db.snapshot() as snapshot:
            bench = snapshot.map("bench")
            whole = {
                "items()": lambda: sum(1 for _ in bench.items()),
                "keys()": lambda: sum(1 for _ in bench.keys()),
                "len()": lambda: len(bench),
            }
            for name, run in whole.items():
                seconds = best_of(args.repeat, run)
                print(f"{name:<10} {seconds / entries * 1e9:8.0f} ns per entry "
                      f"({entries} entries)")

            def first_entries() -> None:
                for _ in range(1000):
                    with bench.iter() as it:
                        next(it)

            seconds = best_of(args.repeat, first_entries)
            print(f"{'first':<10} {seconds / 1000 * 1e6:8.1f} us per iterator that takes one entry")


if __name__ == "__main__":
    main()
