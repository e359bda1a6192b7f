#!/usr/bin/env python3
"""Counts the instructions of each workload's whole path with valgrind's callgrind, on metaldb's
Rust API, on its C ABI and on the raw `rocksdb` crate, and prints the ratio table of
BENCHMARKS.md ("Instructions"), with the wall clock of the same workloads run natively.

Usage: benches/callgrind.py [--items 1000,10000,100000] [--rounds 10] [--smoke] [--binary PATH]

It builds `benches/instructions.rs` (`cargo bench --no-run`, so the bench profile: optimized)
and compiles `benches/c_abi.c` against the optimized library in METALDB_BENCH_LIB_DIR (default
$CARGO_TARGET_DIR/release, what `make release` builds). Each measured function counts only
while it runs (`--toggle-collect`), on the calling thread: RocksDB's background threads and
the kernel (fsync) are outside the count on every side. Instruction counts are deterministic to
a fraction of a percent, whatever else runs on the machine. The wall clock is the fastest of
--rounds native runs (the Rust sides alternate which runs first, see benches/instructions.rs):
other work on the machine only ever adds time, and on the shared 2-core machine medians of the
same build moved between 0.87x and 1.11x from one run to the next.

--smoke runs 200 items, one round, and only checks that every side ran every workload and
produced a count (what `make bench-smoke` runs in CI): no figure is asserted.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))

# (table row, Rust function suffix, C function suffix, C program's workload name). The Rust
# and raw sides of the last row are those of the row above it: only the C side differs, which
# iterates in batches (mdb_iter_next_batch) instead of single steps.
WORKLOADS = [
    ("new fork, N map puts (u32 -> 64 B), merge_sync", "map_put_merge_sync", "map_put_merge_sync",
     "map_insert_merge_sync"),
    ("new fork, clear, N list pushes (512 B), merge", "list_push_merge", "list_push_merge",
     "list_push_merge"),
    ("N random point reads from a snapshot", "map_random_reads", "map_random_reads",
     "map_random_reads"),
    ("iterate a map of N items from a snapshot", "map_iteration", "map_iteration",
     "map_iteration"),
    ("the same, C ABI in batches of 256", "map_iteration", "map_batch_iteration",
     "map_batch_iteration"),
]
SIDES = ["metaldb", "raw"]


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed ({result.returncode}):\n"
                 f"{result.stdout}{result.stderr}")
    return result.stdout


def build_rust():
    """The instructions benchmark's executable, built in the bench profile."""
    out = run(["cargo", "bench", "--bench", "instructions", "--no-run",
               "--message-format=json"], cwd=REPO)
    for line in out.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message.get("executable") \
                and message["target"]["name"] == "instructions":
            return message["executable"]
    sys.exit("cargo built no `instructions` benchmark")


def build_c(work):
    """benches/c_abi.c, linked to the optimized libmetaldb.so."""
    lib = Path(os.environ.get("METALDB_BENCH_LIB_DIR", TARGET / "release"))
    if not (lib / "libmetaldb.so").is_file():
        sys.exit(f"{lib} has no libmetaldb.so: run `make release` or set METALDB_BENCH_LIB_DIR")
    # Programs load the library by its SONAME, which cargo does not create.
    soname = work / "libmetaldb.so.1"
    soname.symlink_to(lib / "libmetaldb.so")
    program = work / "c_abi"
    run([os.environ.get("CC", "cc"), "-std=c99", "-O2", "-g", "-Wall", "-Wextra", "-Werror",
         "-pedantic", "-I", REPO / "include", REPO / "benches" / "c_abi.c", "-o", program,
         f"-L{lib}", "-lmetaldb", f"-Wl,-rpath,{work}"])
    return program


def inclusive_costs(out_file, names):
    """Each function's inclusive instruction count, from callgrind_annotate."""
    text = run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", out_file])
    costs = {}
    for line in text.splitlines():
        match = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?\S*?:(\S+)", line)
        if not match:
            continue
        function = match.group(2)
        for name in names:
            # Rust symbols end with a hash; GCC may name a specialized copy `f.constprop.0`.
            if re.search(rf"(^|::){name}(::h[0-9a-f]+|\.[a-z]+\.\d+)*$", function):
                costs.setdefault(name, int(match.group(1).replace(",", "")))
    missing = [name for name in names if name not in costs]
    if missing:
        sys.exit(f"no instruction count for {missing} in {out_file}")
    return costs


def callgrind(command, patterns, names, work, tag):
    out_file = work / f"callgrind.{tag}"
    toggles = [f"--toggle-collect={pattern}" for pattern in patterns]
    run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}", *toggles,
         *map(str, command)], cwd=work)
    return inclusive_costs(out_file, names)


def rust_times(binary, n, rounds):
    times = {}
    for line in run([binary, str(n), str(rounds)]).splitlines():
        name, items, seconds, status = line.split()
        assert status == "ok" and int(items) == n, line
        times.setdefault(name, []).append(float(seconds))
    return {name: min(values) for name, values in times.items()}


def c_times(program, n, rounds, work):
    times = {}
    for round_ in range(rounds):
        databases = work / f"c-{n}-{round_}"
        databases.mkdir()
        for line in run([program, databases, str(n)]).splitlines():
            workload, items, wall, _cpu, status = line.split()
            assert status == "ok" and int(items) == n, line
            times.setdefault(workload, []).append(float(wall))
    return {name: min(values) for name, values in times.items()}


def ratio(a, b):
    return f"{a / b:.3f}x" if b else "-"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", default="1000,10000,100000")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--binary", help="a built benches/instructions.rs, instead of building it")
    args = parser.parse_args()
    if args.smoke:
        args.items, args.rounds = "200", 1
    sizes = [int(n) for n in args.items.split(",")]

    binary = args.binary or build_rust()
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        program = build_c(work)
        rows, c_rows = [], []
        for n in sizes:
            rust_names = sorted({f"{side}_{suffix}" for _, suffix, _, _ in WORKLOADS
                                 for side in SIDES})
            rust = callgrind([binary, n], ["instructions::metaldb_*", "instructions::raw_*"],
                             rust_names, work, f"rust-{n}")
            c_dir = work / f"c-callgrind-{n}"
            c_dir.mkdir()
            c_names = [f"measured_{c_suffix}" for _, _, c_suffix, _ in WORKLOADS]
            c_abi = callgrind([program, c_dir, n], ["measured_*"], c_names, work, f"c-{n}")
            wall = rust_times(binary, n, args.rounds)
            c_wall = c_times(program, n, args.rounds, work)
            for label, suffix, c_suffix, c_workload in WORKLOADS:
                raw = rust[f"raw_{suffix}"]
                metaldb = rust[f"metaldb_{suffix}"]
                c_count = c_abi[f"measured_{c_suffix}"]
                raw_wall = wall[f"raw_{suffix}"]
                c_rows.append(f"| {label} | {n} | {metaldb:,} | {c_count:,} | "
                              f"{ratio(c_count, metaldb)} |")
                rows.append(
                    f"| {label} | {n} | {raw:,} | {metaldb:,} | {ratio(metaldb, raw)} | "
                    f"{c_count:,} | {ratio(c_count, raw)} | "
                    f"{raw_wall * 1e3:.3f} ms | {wall[f'metaldb_{suffix}'] * 1e3:.3f} ms | "
                    f"{ratio(wall[f'metaldb_{suffix}'], raw_wall)} | "
                    f"{c_wall[c_workload] * 1e3:.3f} ms | {ratio(c_wall[c_workload], raw_wall)} |")
    print(f"Instructions on the calling thread (callgrind); wall clock: fastest of {args.rounds} "
          "native runs. Ratios are to raw RocksDB.\n")
    print("| workload | items | raw RocksDB instr. | Rust API instr. | ratio | C ABI instr. | "
          "ratio | raw RocksDB wall | Rust API wall | ratio | C ABI wall | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(row)
    print("\nThe C ABI's instructions against the Rust API's (the C layer's own cost):\n")
    print("| workload | items | Rust API instr. | C ABI instr. | ratio |")
    print("|---|---|---|---|---|")
    for row in c_rows:
        print(row)


if __name__ == "__main__":
    main()
