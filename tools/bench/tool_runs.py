# How each tool runs one benchmark program: natively, under LD_PRELOAD=liblockwatch.so, as its
# ThreadSanitizer build, and under valgrind's Helgrind and DRD. Only runs programs and reads the
# JSON line they print; a tool that is not installed says why instead of failing.
"""Command lines, environments and availability of the benchmarked tools."""

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

RUN_TIMEOUT_SECONDS = 300
# Deadlock detection on (the peer of lockwatch's lock-order graph); a report never stops the run
# or changes its status (the workloads are clean, so none is expected).
TSAN_OPTIONS = "detect_deadlocks=1:report_bugs=1:halt_on_error=0:exitcode=0"


class RunError(Exception):
    """One run failed; the message is the one line the user sees."""


@dataclass(frozen=True)
class Tool:
    """One column of the table: how to turn a workload program into a command line and environment."""

    name: str
    header: str
    missing: str | None  # why the tool cannot run here (the column says n/a), or None

    def command(self, program, arguments, lib, tsan_dir):
        """argv and environment for one run of program (a path under <build>/bench/)."""
        env = {key: value for key, value in os.environ.items()
               if key not in ("LD_PRELOAD", "LOCKWATCH_OPTIONS", "TSAN_OPTIONS")}
        argv = [str(program), *map(str, arguments)]
        if self.name in ("lockwatch", "lockwatch_no_profile"):
            env["LD_PRELOAD"] = str(lib)
            if self.name == "lockwatch_no_profile":
                env["LOCKWATCH_OPTIONS"] = "profile=off"
        elif self.name == "tsan":
            argv[0] = str(tsan_dir / program.name)
            env["TSAN_OPTIONS"] = TSAN_OPTIONS
        elif self.name in ("helgrind", "drd"):
            argv = ["valgrind", f"--tool={self.name}", "-q", *argv]
        return argv, env


def find_tools(lib, tsan_dir):
    """Every tool in column order, each with the reason it is missing here (None when it can run)."""
    valgrind = None if shutil.which("valgrind") else "valgrind not installed (tools/setup.sh installs it)"
    tsan = None if (tsan_dir / "bench_uncontended").is_file() else \
        f"no ThreadSanitizer builds in {tsan_dir} (needs clang-14 at configure time)"
    return [
        Tool("native", "native", None),
        Tool("lockwatch", "lockwatch", None if Path(lib).is_file() else f"{lib} not built"),
        Tool("lockwatch_no_profile", "lockwatch profile=off", None if Path(lib).is_file() else f"{lib} not built"),
        Tool("tsan", "TSan", tsan),
        Tool("helgrind", "Helgrind", valgrind),
        Tool("drd", "DRD", valgrind),
    ]


def run_program(tool, program, arguments, lib, tsan_dir):
    """Runs one benchmark program under tool; returns its JSON result line, tagged with the tool."""
    argv, env = tool.command(program, arguments, lib, tsan_dir)
    try:
        child = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise RunError(f"{program.name} ({tool.name}) did not finish in {RUN_TIMEOUT_SECONDS} s") from None
    if child.returncode != 0:
        last_line = child.stderr.strip().splitlines()[-1:] or ["(no stderr)"]
        raise RunError(f"{program.name} ({tool.name}) exited with {child.returncode}: {last_line[0]}")
    try:
        result = json.loads(child.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise RunError(f"{program.name} ({tool.name}) printed no JSON result line: {child.stdout!r}") from None
    return {"tool": tool.name, "arguments": list(arguments), **result}
