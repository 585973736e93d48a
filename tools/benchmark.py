#!/usr/bin/env python3
# Measures what liblockwatch.so costs a program: each workload in <build>/bench/ is run natively and
# then with LD_PRELOAD=liblockwatch.so, --reps times, interleaved so drift hits both sides alike.
# ns/op is per lock+unlock pair, timed inside the program around its loop only (start-up excluded).
# "ratio" is the median of the per-pair lockwatch/native ratios (1.00 = free, 3.00 = 3x slower);
# min..max is its spread: trust a ratio only when that is narrow. RSS: the program's own peak, KiB.
"""Benchmark lock-call overhead of liblockwatch.so against native runs."""

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

DEFAULT_BUILD_DIR = Path(__file__).resolve().parent.parent / "build"
DEFAULT_WORKLOADS = "uncontended,nested"
SMOKE_ITERATIONS = 1000


class BenchmarkError(Exception):
    """A benchmark run failed; the message is the one line the user sees."""


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build-dir", type=Path, default=DEFAULT_BUILD_DIR,
                        help="the CMake build directory (default: %(default)s)")
    parser.add_argument("--lib", type=Path,
                        help="the preload library (default: <build-dir>/lib/liblockwatch.so)")
    parser.add_argument("--reps", type=int, default=7, help="native/lockwatch pairs per workload")
    parser.add_argument("--iterations", type=int, default=2_000_000,
                        help="loop iterations per run (nested does 3 lock/unlock pairs each)")
    parser.add_argument("--workloads", default=DEFAULT_WORKLOADS,
                        help="comma-separated; each runs <build-dir>/bench/bench_<name>")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every run and the summary here")
    parser.add_argument("--smoke", action="store_true",
                        help=f"CI check: {SMOKE_ITERATIONS} iterations, 1 rep, only checks that every row prints")
    args = parser.parse_args(argv)
    if args.smoke:
        args.iterations, args.reps = SMOKE_ITERATIONS, 1
    if args.reps < 1 or args.iterations < 1:
        parser.error("--reps and --iterations must be positive")
    args.lib = args.lib or args.build_dir / "lib" / "liblockwatch.so"
    args.workloads = [name for name in args.workloads.split(",") if name]
    return args


def find_binaries(args):
    """Maps each workload to its program; None, after a one-line error, if the build lacks a file."""
    binaries = {name: args.build_dir / "bench" / f"bench_{name}" for name in args.workloads}
    for path in [args.lib, *binaries.values()]:
        if not path.is_file():
            print(f"benchmark.py: error: {path} not found: run cmake --build {args.build_dir} first",
                  file=sys.stderr)
            return None
    return binaries


def run_once(binary, iterations, preload):
    """Runs one benchmark process and returns its JSON result line, tagged with the mode."""
    env = {key: value for key, value in os.environ.items() if key != "LD_PRELOAD"}
    if preload:
        env["LD_PRELOAD"] = str(preload)
    mode = "lockwatch" if preload else "native"
    child = subprocess.run([str(binary), str(iterations)], env=env, capture_output=True, text=True)
    if child.returncode != 0:
        last_line = child.stderr.strip().splitlines()[-1:] or ["(no stderr)"]
        raise BenchmarkError(f"{binary.name} ({mode}) exited with {child.returncode}: {last_line[0]}")
    try:
        result = json.loads(child.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise BenchmarkError(f"{binary.name} ({mode}) printed no JSON result line: {child.stdout!r}") from None
    return {"mode": mode, **result}


def measure(name, binary, args):
    """Interleaved native/lockwatch pairs of one workload; returns the raw runs and the summary row."""
    runs, ratios = [], []
    for rep in range(args.reps):
        native = run_once(binary, args.iterations, None)
        lockwatch = run_once(binary, args.iterations, args.lib)
        runs += [{"rep": rep, **native}, {"rep": rep, **lockwatch}]
        ratios.append(lockwatch["ns_per_op"] / native["ns_per_op"])

    def median_of(mode, field):
        return statistics.median(run[field] for run in runs if run["mode"] == mode)

    summary = {
        "workload": name,
        "native_ns_per_op": median_of("native", "ns_per_op"),
        "lockwatch_ns_per_op": median_of("lockwatch", "ns_per_op"),
        "ratio": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "native_maxrss_kib": median_of("native", "maxrss_kib"),
        "lockwatch_maxrss_kib": median_of("lockwatch", "maxrss_kib"),
    }
    return runs, summary


COLUMNS = [  # header, width, format of one summary row
    ("workload", 12, lambda row: row["workload"]),
    ("native ns/op", 13, lambda row: f"{row['native_ns_per_op']:.2f}"),
    ("lockwatch ns/op", 16, lambda row: f"{row['lockwatch_ns_per_op']:.2f}"),
    ("ratio", 7, lambda row: f"{row['ratio']:.2f}"),
    ("ratio min..max", 14, lambda row: f"{row['ratio_min']:.2f}..{row['ratio_max']:.2f}"),
    ("native RSS KiB", 15, lambda row: f"{row['native_maxrss_kib']:.0f}"),
    ("lockwatch RSS KiB", 18, lambda row: f"{row['lockwatch_maxrss_kib']:.0f}"),
]


def format_row(cells):
    return " | ".join(cell.ljust(width) if index == 0 else cell.rjust(width)
                      for index, (cell, (_, width, _)) in enumerate(zip(cells, COLUMNS))).rstrip()


def main(argv):
    args = parse_args(argv)
    binaries = find_binaries(args)
    if binaries is None:
        return 2
    print(f"medians of {args.reps} native/lockwatch pairs of {args.iterations} iterations;"
          f" lockwatch = LD_PRELOAD={args.lib}")
    print(format_row([header for header, _, _ in COLUMNS]))
    print("-+-".join("-" * width for _, width, _ in COLUMNS))
    all_runs, summaries = [], []
    try:
        for name, binary in binaries.items():
            runs, summary = measure(name, binary, args)
            all_runs += runs
            summaries.append(summary)
            print(format_row([cell(summary) for _, _, cell in COLUMNS]), flush=True)
    except BenchmarkError as error:
        print(f"benchmark.py: error: {error}", file=sys.stderr)
        return 1
    if args.json:
        results = {"iterations": args.iterations, "reps": args.reps, "lib": str(args.lib),
                   "summary": summaries, "runs": all_runs}
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
