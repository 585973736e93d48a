#!/usr/bin/env python3
"""Memory of programs under lockwatch, against the same programs run natively (issue 7).

Runs the samples memory_bounds and threads_churn natively and under liblockwatch.so and prints
one figure per line:
  - bytes per live lock: N mutexes, each nested under one outer lock (so each enters the lock
    registry and the lock-order graph), (RSS growth under lockwatch - native growth) / N;
  - a second generation of N locks at the same addresses (all destroyed, then made again):
    its RSS growth, which recycled registry slots and edges keep near zero;
  - M lock operations on 64 locks from 4 call sites, 4 threads: RSS growth after the first
    tenth (every edge and stack known by then, the watchdog started), in total and per
    operation;
  - threads created and joined 100 at a time, each locking 3 mutexes: peak RSS (VmHWM) for
    a few thread counts, and its growth per thread;
  - threads that end holding a lock (each keeps its locks held for good, so lockwatch keeps a
    record of it): peak RSS growth per such thread (profile off: the held lock's own profile
    record is a per-lock cost).

    tools/memory_bounds.py                  full size: 1,000,000 locks, 100,000,000 operations,
                                            2,000 / 10,000 / 50,000 threads (about half a minute)
    tools/memory_bounds.py --check          CTest's scaled-down run: 100,000 locks, 5,000,000
                                            operations, 2,000 / 10,000 threads, asserting bounds
                                            that no per-operation or per-thread growth can meet

Options: --build DIR (default build/), --samples DIR and --lib PATH (default under --build).
Standard library only. Exit status: 0, or 1 when --check finds a bound exceeded.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# --check bounds. Each is far below what growth per operation or per thread would cost at these
# sizes (1 byte per operation is 4.4 MiB here; a leaked thread state, 20 KiB per thread), and
# above the noise of a steady process (a page of stdio, a malloc arena's fragmentation).
CHECK = {"locks": 100_000, "ops": 5_000_000, "threads": (2_000, 10_000)}
FULL = {"locks": 1_000_000, "ops": 100_000_000, "threads": (2_000, 10_000, 50_000)}
MAX_SECOND_GENERATION_KB = 512
MAX_OPS_GROWTH_KB = 512
MAX_THREAD_GROWTH_BYTES_PER_THREAD = 512
MAX_BYTES_PER_LOCK_AT_100K = 2_500  # hash-placed tables: see README, Memory
MAX_BYTES_PER_DEAD_HOLDER = 8_192


def run(command: list[str], library: str | None, options: str = "quiet=1:exitcode=0") -> tuple[str, str]:
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    if library:
        env["LD_PRELOAD"] = library
        env["LOCKWATCH_OPTIONS"] = options
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        sys.exit(f"FAIL: {' '.join(command)} exited {result.returncode}{' under lockwatch' if library else ''}:\n"
                 f"{result.stderr}")
    return result.stdout, result.stderr


def rss_points(stdout: str) -> dict[str, int]:
    return {match.group(1): int(match.group(2)) for match in re.finditer(r"^rss (\S+) (\d+)$", stdout, re.M)}


def peak_kb(stderr: str) -> int:
    match = re.search(r"VmHWM (\d+) kB", stderr)
    if not match:
        sys.exit(f"FAIL: threads_churn printed no VmHWM:\n{stderr}")
    return int(match.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="scaled-down run with assertions (CTest)")
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--samples", help="directory of the sample programs (default BUILD/samples)")
    parser.add_argument("--lib", help="liblockwatch.so (default BUILD/lib/liblockwatch.so)")
    args = parser.parse_args()
    samples = args.samples or os.path.join(args.build, "samples")
    library = os.path.abspath(args.lib or os.path.join(args.build, "lib", "liblockwatch.so"))
    for path in (os.path.join(samples, "memory_bounds"), os.path.join(samples, "threads_churn"), library):
        if not os.path.exists(path):
            print(f"memory_bounds.py: {path} is missing; build first (cmake --build build)", file=sys.stderr)
            return 2
    sizes = CHECK if args.check else FULL
    failures: list[str] = []

    def bound(what: str, value: float, limit: float, unit: str) -> None:
        verdict = "ok" if value <= limit else "EXCEEDED"
        print(f"  bound: {what} {value:,.0f} {unit} <= {limit:,} {unit}: {verdict}")
        if value > limit:
            failures.append(f"{what}: {value:,.0f} {unit}, bound {limit:,} {unit}")

    memory_bounds = os.path.join(samples, "memory_bounds")
    locks = sizes["locks"]
    native = rss_points(run([memory_bounds, "locks", str(locks)], None)[0])
    watched = rss_points(run([memory_bounds, "locks", str(locks)], library)[0])
    native_growth = native["first_round"] - native["before"]
    watched_growth = watched["first_round"] - watched["before"]
    per_lock = (watched_growth - native_growth) * 1024 / locks
    second = watched["second_round"] - watched["first_round"]
    print(f"locks: {locks:,} live mutexes nested under one lock: RSS +{native_growth:,} kB natively, "
          f"+{watched_growth:,} kB under lockwatch: {per_lock:,.0f} bytes per lock")
    print(f"locks: a second generation of {locks:,} at the same addresses: RSS {second:+,} kB")
    if args.check:
        bound("second generation growth", second, MAX_SECOND_GENERATION_KB, "kB")
        bound(f"bytes per lock at {locks:,} locks", per_lock, MAX_BYTES_PER_LOCK_AT_100K, "B")

    operations = sizes["ops"]
    points = rss_points(run([memory_bounds, "ops", str(operations)], library)[0])
    warm, end = points["warm"], points["end"]
    per_operation = (end - warm) * 1024 / (operations * 0.9)
    print(f"ops: {operations:,} lock operations (64 locks, 4 sites, 4 threads): RSS {points['before']:,} kB "
          f"before, {warm:,} kB after the first tenth, {end:,} kB at the end: {end - warm:+,} kB "
          f"({per_operation:.6f} bytes per operation)")
    if args.check:
        bound("growth after the first tenth", end - warm, MAX_OPS_GROWTH_KB, "kB")

    threads_churn = os.path.join(samples, "threads_churn")
    counts = sizes["threads"]
    peaks = {count: peak_kb(run([threads_churn, str(count), "100"], library)[1]) for count in counts}
    natives = {count: peak_kb(run([threads_churn, str(count), "100"], None)[1]) for count in (counts[0], counts[-1])}
    per_thread = (peaks[counts[-1]] - peaks[counts[0]]) * 1024 / (counts[-1] - counts[0])
    print("threads: peak RSS under lockwatch " + ", ".join(f"{peaks[c]:,} kB for {c:,}" for c in counts)
          + " (natively " + ", ".join(f"{natives[c]:,} kB for {c:,}" for c in natives)
          + f"): {per_thread:,.0f} bytes per thread")
    if args.check:
        bound("peak RSS growth per thread", per_thread, MAX_THREAD_GROWTH_BYTES_PER_THREAD, "B")

    # Each dead holder holds a mutex of its own, never nested: with the profile off, that lock
    # costs nothing (the profile's record of it is a per-lock cost, measured above).
    dead = {count: peak_kb(run([threads_churn, str(count), "100", "exit_holding"], library,
                               "quiet=1:exitcode=0:profile=off")[1])
            for count in (counts[0], counts[1])}
    per_dead = (dead[counts[1]] - dead[counts[0]]) * 1024 / (counts[1] - counts[0])
    print(f"threads ending with a lock held: peak RSS {dead[counts[0]]:,} kB for {counts[0]:,}, "
          f"{dead[counts[1]]:,} kB for {counts[1]:,}: {per_dead:,.0f} bytes per dead holder")
    if args.check:
        bound("peak RSS growth per dead holder", per_dead, MAX_BYTES_PER_DEAD_HOLDER, "B")

    if failures:
        print("FAIL: " + "; ".join(failures))
        return 1
    if args.check:
        print("PASS: memory stays bounded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
