#!/usr/bin/env python3
# The benchmark suite of issue 6, one command and one table: each lock workload in <build>/bench/
# natively and under lockwatch, ThreadSanitizer, Helgrind and DRD; memcached under memcaslap; the
# bytes lockwatch spends per live lock. Every tool run is paired with a native run of the same
# program made just before it (at the full size: TSan and valgrind run fewer iterations, compared
# per operation), and ratios are taken pair by pair: on a shared 2-core machine native
# multithreaded timings are bimodal, and only per-pair ratios are stable. A cell is the median of
# its per-pair ratios and their min..max: trust a ratio only when that is narrow.
"""Benchmark liblockwatch.so against native runs and against TSan, Helgrind and DRD."""

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "bench"))
import memcached_load  # noqa: E402
import tool_runs  # noqa: E402

DEFAULT_BUILD_DIR = Path(__file__).resolve().parent.parent / "build"
MUTRACE_NOTE = "mutrace: n/a (not packaged in Debian 12)"


@dataclass(frozen=True)
class Workload:
    """A program of tools/bench/ and its ITERATIONS for each kind of tool (the full suite's sizes)."""

    name: str
    label: str
    iterations: int  # native and lockwatch: a loop of roughly 0.1-0.5 s natively
    tsan_iterations: int
    valgrind_iterations: int  # Helgrind and DRD: about a second each
    size: int | None = None  # the optional second argument (many_locks: LOCKS)

    def arguments(self, tool_name, scale):
        base = {"tsan": self.tsan_iterations, "helgrind": self.valgrind_iterations,
                "drd": self.valgrind_iterations}.get(tool_name, self.iterations)
        iterations = max(2, int(base * scale))
        return [iterations] if self.size is None else [iterations, self.size]


WORKLOADS = [
    Workload("uncontended", "1 uncontended: 1 thread, one mutex", 20_000_000, 2_000_000, 200_000),
    Workload("nested", "2 nested: 1 thread, A→B→C, unlock C,B,A", 5_000_000, 500_000, 50_000),
    Workload("contended", "3 contended: 4 threads, one std::mutex", 4_000_000, 400_000, 50_000),
    # lockwatch's cost per new pair grows with the graph (see README): this size keeps it under a second.
    Workload("many_locks", "4 many locks: 4 threads, 10,000 mutexes, random pairs", 50_000, 50_000, 1_000,
             size=10_000),
    Workload("rwlock", "5 rwlock: 4 threads, 90% read / 10% write", 4_000_000, 400_000, 50_000),
    Workload("condvar", "6 condvar: bounded queue, 2 producers, 2 consumers", 200_000, 100_000, 2_500),
]
BYTES_PER_LOCK = Workload("many_locks", "bytes per live lock: many locks with 1,000,000 mutexes",
                          1_000_000, 0, 0, size=1_000_000)
MEMCACHED_SECONDS = 5
SMOKE_SCALE = 0.0005  # every size times this (at least 2 iterations): seconds per row
SMOKE_MEMCACHED_SECONDS = 1
SMOKE_LOCKS = 20_000


class SuiteError(Exception):
    """A row could not be measured; the message is the one line the user sees."""


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build-dir", type=Path, default=DEFAULT_BUILD_DIR,
                        help="the CMake build directory (default: %(default)s)")
    parser.add_argument("--lib", type=Path,
                        help="the preload library (default: <build-dir>/lib/liblockwatch.so)")
    parser.add_argument("--reps", type=int, default=7, help="native/tool pairs per cell (default: %(default)s)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply every workload's iterations by this (default: %(default)s)")
    names = [workload.name for workload in WORKLOADS] + ["memcached", "bytes_per_lock"]
    parser.add_argument("--workloads", default=",".join(names), help="comma-separated subset of %(default)s")
    parser.add_argument("--tools", default="lockwatch,lockwatch_no_profile,tsan,helgrind,drd",
                        help="comma-separated subset of %(default)s (native always runs)")
    parser.add_argument("--memcached-seconds", type=int, default=MEMCACHED_SECONDS,
                        help="memcaslap run time per run (default: %(default)s)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every run and the summary here")
    parser.add_argument("--smoke", action="store_true",
                        help="CI check: tiny sizes, 1 pair, 1 s memcached runs; only checks that every row prints")
    args = parser.parse_args(argv)
    if args.smoke:
        args.scale, args.reps, args.memcached_seconds = SMOKE_SCALE, 1, SMOKE_MEMCACHED_SECONDS
    if args.reps < 1 or args.scale <= 0 or args.memcached_seconds < 1:
        parser.error("--reps, --scale and --memcached-seconds must be positive")
    unknown = {name for name in args.workloads.split(",") if name} - set(names)
    unknown |= {name for name in args.tools.split(",") if name} - {"lockwatch", "lockwatch_no_profile", "tsan", "helgrind",
                                                                   "drd"}
    if unknown:
        parser.error(f"unknown workload or tool: {', '.join(sorted(unknown))}")
    args.lib = args.lib or args.build_dir / "lib" / "liblockwatch.so"
    args.workloads = [name for name in args.workloads.split(",") if name]
    args.tools = ["native"] + [name for name in args.tools.split(",") if name]
    return args


def spread(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def run_pair(run, tool_name, rep, all_runs, row_name):
    """One native run, then the same under tool_name; both recorded; returns (native, tool) results."""
    native, measured = run("native"), run(tool_name)
    all_runs += [{"row": row_name, "rep": rep, **native}, {"row": row_name, "rep": rep, **measured}]
    return native, measured


def measure_workload(workload, args, tools, all_runs):
    """One table row: per tool, the per-pair ns/op ratios and peak RSS; n/a or error where it cannot run."""
    program = args.build_dir / "bench" / f"bench_{workload.name}"
    if not program.is_file():
        raise SuiteError(f"{program} not found: run cmake --build {args.build_dir} first")
    by_name = {tool.name: tool for tool in tools}
    row = {"row": workload.name, "label": workload.label, "cells": {}}
    failed = False
    # Rep-major, so that a burst of load from elsewhere falls on every tool's pairs alike.
    pairs = {tool.name: [] for tool in tools[1:] if not tool.missing}
    for tool in tools[1:]:
        if tool.missing:
            row["cells"][tool.name] = {"missing": tool.missing}
    for rep in range(args.reps):
        for name in list(pairs):
            def run(tool_name):
                return tool_runs.run_program(by_name[tool_name], program, workload.arguments(tool_name, args.scale),
                                             args.lib, args.build_dir / "bench" / "tsan")
            try:
                pairs[name].append(run_pair(run, name, rep, all_runs, workload.name))
            except tool_runs.RunError as error:
                print(f"benchmark.py: error: {error}", file=sys.stderr)
                row["cells"][name] = {"error": str(error)}
                del pairs[name]
                failed = True
    for name, tool_pairs in pairs.items():
        row["cells"][name] = {
            "ratio": spread([measured["ns_per_op"] / native["ns_per_op"] for native, measured in tool_pairs]),
            "ns_per_op": statistics.median(measured["ns_per_op"] for _, measured in tool_pairs),
            "maxrss_kib": statistics.median(measured["maxrss_kib"] for _, measured in tool_pairs),
            "arguments": tool_pairs[0][1]["arguments"],
        }
    reference = pairs.get("lockwatch") or next(iter(pairs.values()), None)
    if reference is None:
        raise SuiteError(f"{workload.name}: no tool ran")
    row["cells"]["native"] = {
        "ns_per_op": statistics.median(native["ns_per_op"] for native, _ in reference),
        "maxrss_kib": statistics.median(native["maxrss_kib"] for native, _ in reference),
    }
    return row, failed


def measure_memcached(args, all_runs):
    """Two rows: memcached's throughput under lockwatch as a share of native, and its p99 latency ratio."""
    missing = memcached_load.missing()
    rows = [{"row": "memcached_throughput", "label": "7 memcached under memcaslap: throughput", "cells": {}},
            {"row": "memcached_p99", "label": "7 memcached under memcaslap: p99 latency", "cells": {}}]
    peers = {name: {"missing": "not measured (a server is not rebuilt or run under valgrind here)"}
             for name in ("tsan", "helgrind", "drd")}
    for row in rows:
        row["cells"].update(peers)
    if missing:
        for row in rows:
            row["cells"]["native"] = row["cells"]["lockwatch"] = {"missing": missing}
        return rows, False
    report_dir = Path(tempfile.mkdtemp(prefix="lockwatch-bench-memcached-"))
    report_dir.chmod(0o777)  # memcached drops root for nobody, and its reports must still be written

    def run(tool_name):
        lib = args.lib if tool_name == "lockwatch" else None
        return memcached_load.run_load(args.memcached_seconds, lib, report_dir)

    try:
        pairs = [run_pair(run, "lockwatch", rep, all_runs, "memcached") for rep in range(args.reps)]
    except memcached_load.LoadError as error:
        print(f"benchmark.py: error: {error}", file=sys.stderr)
        for row in rows:
            row["cells"]["native"] = row["cells"]["lockwatch"] = {"error": str(error)}
        return rows, True
    findings = sum(line.count('"type":"finding"') for path in report_dir.glob("*.jsonl")
                   for line in path.read_text().splitlines())
    if findings:
        print(f"benchmark.py: memcached under lockwatch reported {findings} findings: {report_dir}", file=sys.stderr)
    else:
        shutil.rmtree(report_dir)
    rows[0]["cells"]["native"] = {"ops_per_second": statistics.median(n["ops_per_second"] for n, _ in pairs),
                                  "maxrss_kib": statistics.median(n["maxrss_kib"] for n, _ in pairs)}
    rows[0]["cells"]["lockwatch"] = {
        "share": spread([lw["ops_per_second"] / n["ops_per_second"] for n, lw in pairs]),
        "maxrss_kib": statistics.median(lw["maxrss_kib"] for _, lw in pairs),
        "findings": findings}
    timed = [(n, lw) for n, lw in pairs if n["p99_us"] and lw["p99_us"]]
    rows[1]["cells"]["native"] = {"p99_us": statistics.median(n["p99_us"] for n, _ in timed)} if timed else \
        {"error": "memcaslap printed no latency histogram"}
    rows[1]["cells"]["lockwatch"] = {"ratio": spread([lw["p99_us"] / n["p99_us"] for n, lw in timed])} if timed else \
        {"error": "memcaslap printed no latency histogram"}
    return rows, not timed


def measure_bytes_per_lock(args, tools, all_runs):
    """many_locks over 1,000,000 mutexes: (peak RSS under lockwatch - native peak RSS) / mutexes."""
    locks = SMOKE_LOCKS if args.smoke else BYTES_PER_LOCK.size
    workload = Workload(BYTES_PER_LOCK.name, BYTES_PER_LOCK.label.replace("1,000,000", f"{locks:,}"),
                        int(locks * args.scale) if args.smoke else locks, 0, 0, size=locks)
    program = args.build_dir / "bench" / f"bench_{workload.name}"
    lockwatch = next(tool for tool in tools if tool.name == "lockwatch")
    row = {"row": "bytes_per_lock", "label": workload.label, "cells": {}}
    if lockwatch.missing:
        row["cells"]["lockwatch"] = {"missing": lockwatch.missing}
        return row, False
    native_tool = tools[0]

    def run(tool_name):
        tool = lockwatch if tool_name == "lockwatch" else native_tool
        return tool_runs.run_program(tool, program, workload.arguments(tool_name, 1.0), args.lib,
                                     args.build_dir / "bench" / "tsan")

    try:
        pairs = [run_pair(run, "lockwatch", rep, all_runs, "bytes_per_lock") for rep in range(args.reps)]
    except tool_runs.RunError as error:
        print(f"benchmark.py: error: {error}", file=sys.stderr)
        row["cells"]["lockwatch"] = {"error": str(error)}
        return row, True
    row["cells"]["native"] = {"maxrss_kib": statistics.median(n["maxrss_kib"] for n, _ in pairs)}
    row["cells"]["lockwatch"] = {
        "bytes_per_lock": spread([(lw["maxrss_kib"] - n["maxrss_kib"]) * 1024 / locks for n, lw in pairs]),
        "maxrss_kib": statistics.median(lw["maxrss_kib"] for _, lw in pairs),
        "pairs_locked": workload.arguments("lockwatch", 1.0)[0]}
    return row, False


def times(value):
    return f"{value:,.0f}×" if value >= 100 else f"{value:.1f}×" if value >= 10 else f"{value:.2f}×"


def format_cell(cell):
    if "missing" in cell:
        return "n/a"
    if "error" in cell:
        return "error"
    if "ratio" in cell:
        ratio = cell["ratio"]
        return f"{times(ratio['median'])} ({times(ratio['min'])[:-1]}..{times(ratio['max'])[:-1]})"
    if "share" in cell:
        share = cell["share"]
        return f"{share['median']:.1%} of native ({share['min']:.1%}..{share['max']:.1%})"
    if "bytes_per_lock" in cell:
        per_lock = cell["bytes_per_lock"]
        return f"{per_lock['median']:.0f} B/lock ({per_lock['min']:.0f}..{per_lock['max']:.0f})"
    if "ops_per_second" in cell:
        return f"{cell['ops_per_second']:,.0f} ops/s"
    if "p99_us" in cell:
        return f"{cell['p99_us']:,.0f} µs"
    if "ns_per_op" in cell:
        return f"{cell['ns_per_op']:.2f} ns/op"
    return f"{cell['maxrss_kib'] / 1024:.1f} MiB RSS"


def format_rss(row, tools):
    values = [row["cells"].get(tool.name, {}).get("maxrss_kib") for tool in tools]
    return " / ".join("–" if value is None else f"{value / 1024:.1f}" for value in values)


def table_line(cells):
    return "| " + " | ".join(cells) + " |"


def print_header(args, tools):
    print(f"lockwatch = LD_PRELOAD={args.lib}; {args.reps} native/tool pair(s) per cell, sizes × {args.scale:g}")
    print("cells: median of per-pair ratios tool/native ns per op (min..max); native runs the same program at the"
          " full size just before each tool run")
    for tool in tools:
        if tool.missing:
            print(f"{tool.header}: n/a ({tool.missing})")
    print(MUTRACE_NOTE)
    headers = [tool.header for tool in tools]
    print(table_line(["workload", *headers, "peak RSS MiB " + " / ".join(headers)]))
    print(table_line(["---"] * (len(tools) + 2)))


def print_row(row, tools):
    cells = [format_cell(row["cells"].get(tool.name, {"missing": "not selected"})) for tool in tools]
    print(table_line([row["label"], *cells, format_rss(row, tools)]), flush=True)


def main(argv):
    args = parse_args(argv)
    started = time.monotonic()
    tools = [tool for tool in tool_runs.find_tools(args.lib, args.build_dir / "bench" / "tsan")
             if tool.name in args.tools]
    if any(tool.name == "lockwatch" and tool.missing for tool in tools):
        print(f"benchmark.py: error: {args.lib} not found: run cmake --build {args.build_dir} first", file=sys.stderr)
        return 2
    print_header(args, tools)
    all_runs, rows, failed = [], [], False
    try:
        for workload in WORKLOADS:
            if workload.name in args.workloads:
                row, row_failed = measure_workload(workload, args, tools, all_runs)
                rows.append(row)
                print_row(row, tools)
                failed |= row_failed
        if "memcached" in args.workloads:
            memcached_rows, row_failed = measure_memcached(args, all_runs)
            for row in memcached_rows:
                rows.append(row)
                print_row(row, tools)
            failed |= row_failed
        if "bytes_per_lock" in args.workloads and "lockwatch" in args.tools:
            row, row_failed = measure_bytes_per_lock(args, tools, all_runs)
            rows.append(row)
            print_row(row, tools)
            failed |= row_failed
    except SuiteError as error:
        print(f"benchmark.py: error: {error}", file=sys.stderr)
        return 2
    elapsed = time.monotonic() - started
    print(f"{len(rows)} rows in {elapsed:.0f} s")
    if args.json:
        results = {"reps": args.reps, "scale": args.scale, "lib": str(args.lib), "seconds": elapsed,
                   "rows": rows, "runs": all_runs}
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
