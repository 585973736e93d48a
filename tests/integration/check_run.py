#!/usr/bin/env python3
"""Runs one command under liblockwatch.so and checks the JSON Lines report it leaves.

Every run is checked against the record contract of SPEC.md (start, finding and end records,
frames, lock-order cycles, misuse findings); the flags add what this particular test expects: exit
status, finding counts by kind and misuse subkind, severities, cycle length, acquisition modes, lock
kinds, related evidence, functions named in stacks, stderr, and with --native, that the preload did
not change the program's output. Standard library only, so it runs wherever python3 does.

    check_run.py --lib build/lib/liblockwatch.so --expect-exit 66 \
        --expect-findings lock_order_inversion=1 --cycle-length 2 -- build/samples/abba
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import random
import re
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field

FINDING_KINDS = ("lock_order_inversion", "deadlock", "stall", "hang", "long_hold", "misuse")
MISUSE_SUBKINDS = ("unlock_unlocked", "unlock_not_owner", "relock", "destroy_locked", "use_destroyed",
                   "cond_wait_unheld", "cond_multiple_mutexes", "cond_signal_unheld", "exit_holding",
                   "rwlock_upgrade", "rwlock_unlock_unheld", "reinit_live", "destroy_busy", "self_join",
                   "invalid_object")
SEVERITIES = ("error", "warning")
LOCK_KINDS = ("mutex", "recursive_mutex", "errorcheck_mutex", "rwlock", "spinlock", "condvar", "barrier",
              "semaphore")
ACQUISITION_MODES = ("read", "write", "exclusive")
HEX_NUMBER = re.compile(r"0x[0-9a-fA-F]+\Z")
BUILD_ID = re.compile(r"(?:[0-9a-f]{2})+\Z")
UTC_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z\Z")
# <log_path>.<pid>.jsonl, or <log_path>.<pid>.<N>.jsonl for a later image of the same pid (a
# process that exec()ed after writing its start record: the name was taken).
REPORT_NAME = re.compile(r"report\.(\d+)(?:\.(\d+))?\.jsonl\Z")
EXCERPT_LINES = 40
EXCERPT_LINE_CHARS = 3000


@dataclass
class Run:
    """One execution of the command: its pid (that of its report file), status and output."""
    pid: int
    status: int | None  # None when it timed out; negative when killed by a signal
    stdout: bytes
    stderr: bytes


@dataclass
class Process:
    """One process image's records: from a start record to its end record. A process that
    exec()s leaves an image without an end record, followed by the new image's start record in
    the same file (same pid)."""
    pid: int
    start: dict
    findings: list[dict] = field(default_factory=list)
    others: list[dict] = field(default_factory=list)  # dump and long_hold_end records
    end: dict | None = None


class Failures:
    """Collects what went wrong, so that one run reports every problem at once."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, message: str) -> None:
        self.messages.append(message)

    def __bool__(self) -> bool:
        return bool(self.messages)


def parse_arguments(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        usage="%(prog)s --lib LIB [options] -- COMMAND [ARG...]")
    parser.add_argument("--lib", required=True, help="path of liblockwatch.so to LD_PRELOAD")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds before the command's process group is killed (default 60)")
    parser.add_argument("--options", default="",
                        help='extra LOCKWATCH_OPTIONS, e.g. "exitcode=0:quiet=1"')
    parser.add_argument("--stdin", metavar="FILE", help="feed FILE to the command's stdin")
    parser.add_argument("--native", action="store_true",
                        help="run the command without the preload first; stdout and exit status "
                             "must be the same under the preload")
    parser.add_argument("--expect-exit", type=int, metavar="N",
                        help="the exit status under the preload")
    parser.add_argument("--expect-findings-in", action="append", default=[],
                        metavar="WHO:KIND[:SUBKIND]=COUNT",
                        help="findings of KIND (or misuse:SUBKIND) in the reports of WHO: 'own' (the "
                             "command's process), 'others' (every other process) or an executable's "
                             "file name (the exe of the start record); repeatable")
    parser.add_argument("--expect-processes", type=int, metavar="N",
                        help="N process images in all reports (start records)")
    parser.add_argument("--expect-report-files", type=int, metavar="N",
                        help="N report files in all (one per process, one more per exec)")
    parser.add_argument("--no-end-record", action="store_true",
                        help="the command's process is killed: its report ends without an end record, "
                             "every record it has is complete")
    parser.add_argument("--expect-findings", action="append", default=[],
                        metavar="KIND[:SUBKIND]=COUNT",
                        help="findings of KIND (or misuse:SUBKIND) in all reports (repeatable); "
                             "kinds not named must have none, and once a misuse subkind is named, "
                             "so must misuse subkinds not named")
    parser.add_argument("--allow-warning", action="append", default=[], metavar="KIND[:SUBKIND]",
                        help="warning findings of KIND (or misuse:SUBKIND) may appear or not: they "
                             "are left out of the --expect-findings counts (repeatable)")
    parser.add_argument("--expect-severity", action="append", default=[],
                        metavar="KIND[:SUBKIND]=SEVERITY",
                        help="there are findings of KIND (or misuse:SUBKIND) and all have SEVERITY, "
                             "error or warning (repeatable)")
    parser.add_argument("--cycle-length", type=int, metavar="N",
                        help="every lock_order_inversion's cycle has N edges")
    parser.add_argument("--expect-mode", action="append", default=[], choices=ACQUISITION_MODES,
                        help="some lock_order_inversion edge has this from_mode or to_mode "
                             "(repeatable)")
    parser.add_argument("--expect-lock-kind", action="append", default=[], choices=LOCK_KINDS,
                        help="some finding names a lock of this kind (repeatable)")
    parser.add_argument("--expect-related", action="append", default=[], metavar="WHAT",
                        help="some misuse finding has a related entry with this what (acquired, "
                             "initialized, destroyed, waited, ...) and a stack (repeatable)")
    parser.add_argument("--expect-record", action="append", default=[], metavar="TYPE=N",
                        help="exactly N records of TYPE (dump, long_hold_end) in all reports")
    parser.add_argument("--expect-dump-frame", action="append", default=[], metavar="SOURCE:FUNCTION",
                        help="a thread in some thread dump has a stack taken by SOURCE (blocked call, "
                             "sampled, scanned) with a frame in FUNCTION")
    parser.add_argument("--expect-stack-source", action="append", default=[], metavar="SOURCE",
                        help="a thread in some thread dump has stack_source SOURCE exactly")
    parser.add_argument("--forbid-stack-source", action="append", default=[], metavar="SOURCE",
                        help="no thread in any thread dump has stack_source SOURCE")
    parser.add_argument("--expect-profile-first", metavar="REGEX",
                        help="the first lock of the last profile record was created or taken in a function "
                             "matching REGEX (any of the first frames of its stacks)")
    parser.add_argument("--expect-profile-lock", action="append", default=[], metavar="FUNCTION:FIELD:MIN:MAX",
                        help="the profiled lock created in FUNCTION has FIELD (e.g. contended, hold.max_ns) "
                             "within [MIN, MAX]")
    parser.add_argument("--profile-of", default="all", metavar="WHO",
                        help="--expect-profile-* read the last profile record of WHO: all (default), own, "
                             "others, or an executable's file name")
    parser.add_argument("--expect-function", action="append", default=[], metavar="NAME",
                        help="NAME is the function of some frame of some finding (repeatable); "
                             "C++ names match without scope and parameters")
    parser.add_argument("--expect-inlined-function", action="append", default=[], metavar="NAME",
                        help="NAME is a function inlined at some frame of some finding (its "
                             "'inlined' list), and the text report on stderr shows it as [inlined] "
                             "(repeatable)")
    parser.add_argument("--expect-frame-line", action="append", default=[], metavar="FUNCTION:LINE",
                        help="some frame of some finding, or a call inlined at one, is in FUNCTION "
                             "at source line LINE (repeatable)")
    parser.add_argument("--expect-distinct-fingerprints", action="store_true",
                        help="no two findings share a fingerprint")
    parser.add_argument("--expect-build-id", action="store_true",
                        help="every frame in the command's executable carries its GNU build id, "
                             "as read from the file")
    stderr_group = parser.add_mutually_exclusive_group()
    stderr_group.add_argument("--require-stderr-empty", action="store_true",
                              help="nothing on stderr under the preload")
    stderr_group.add_argument("--stderr-lines-whole", action="store_true",
                              help="every stderr line is a whole line of lockwatch's (it starts with "
                                   "'==lockwatch==', two spaces or 'lockwatch: ', and holds '==lockwatch==' "
                                   "nowhere else): reports of processes sharing stderr never cut each other's lines")
    stderr_group.add_argument("--expect-stderr-line", action="append", default=[],
                              metavar="REGEX",
                              help="stderr under the preload has exactly one line per REGEX given, "
                                   "in order, each matching it (re.search; repeatable)")
    parser.add_argument("--make-sort-input", nargs=2, metavar=("PATH", "LINES"),
                        help="first write LINES deterministic pseudo-random lines to PATH")

    if "--" not in argv:
        parser.error("the command to run goes after --")
    split = argv.index("--")
    args = parser.parse_args(argv[:split])
    command = argv[split + 1:]
    if not command:
        parser.error("no command after --")
    args.expected_counts = {}
    for item in args.expect_findings:
        key, _, count = item.partition("=")
        if not valid_finding_key(key) or not count.isdigit():
            parser.error(f"--expect-findings {item}: want KIND=COUNT or misuse:SUBKIND=COUNT "
                         f"with KIND one of {', '.join(FINDING_KINDS)} and SUBKIND one of "
                         f"{', '.join(MISUSE_SUBKINDS)}")
        args.expected_counts[key] = int(count)
    args.expected_counts_in = []
    for item in args.expect_findings_in:
        who, colon, rest = item.partition(":")
        key, _, count = rest.partition("=")
        if not colon or not who or not valid_finding_key(key) or not count.isdigit():
            parser.error(f"--expect-findings-in {item}: want WHO:KIND=COUNT or WHO:misuse:SUBKIND=COUNT")
        args.expected_counts_in.append((who, key, int(count)))
    for key in args.allow_warning:
        if not valid_finding_key(key):
            parser.error(f"--allow-warning {key}: want KIND or misuse:SUBKIND")
    args.expected_severities = {}
    for item in args.expect_severity:
        key, _, severity = item.partition("=")
        if not valid_finding_key(key) or severity not in SEVERITIES:
            parser.error(f"--expect-severity {item}: want KIND[:SUBKIND]=error or "
                         f"KIND[:SUBKIND]=warning")
        args.expected_severities[key] = severity
    if args.make_sort_input and not args.make_sort_input[1].isdigit():
        parser.error("--make-sort-input PATH LINES: LINES must be a number")
    return args, command


def valid_finding_key(key: str) -> bool:
    """KIND, or misuse:SUBKIND."""
    kind, colon, subkind = key.partition(":")
    if not colon:
        return kind in FINDING_KINDS
    return kind == "misuse" and subkind in MISUSE_SUBKINDS


def finding_keys(finding: dict) -> tuple[str, ...]:
    """The keys a finding counts under: its kind, and for misuse also misuse:SUBKIND."""
    kind = finding.get("kind")
    if kind == "misuse":
        return kind, f"misuse:{finding.get('subkind')}"
    return (kind,)


def write_sort_input(path: str, lines: int) -> None:
    """Writes `lines` lines of 36 bytes each, the same every time."""
    generator = random.Random(lines)
    words = ("lock", "order", "mutex", "thread", "cycle", "graph", "stack", "frame", "watchdog")
    with open(path, "w", encoding="ascii") as out:
        for _ in range(lines):
            out.write(f"{generator.getrandbits(64):016x} {generator.choice(words):>8} "
                      f"{generator.randrange(10**9):09d}\n")


def run_command(command: list[str], env: dict[str, str], stdin_path: str | None,
                timeout: float) -> Run:
    """Runs the command in its own process group, so a timeout kills everything it started."""
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    try:
        process = subprocess.Popen(command, env=env, stdin=stdin, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, start_new_session=True)
    except OSError as error:
        sys.exit(f"FAIL: cannot run {command[0]}: {error}")
    finally:
        if stdin_path:
            stdin.close()
    try:
        stdout, stderr = process.communicate(timeout=timeout)
        return Run(process.pid, process.returncode, stdout, stderr)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        try:
            stdout, stderr = process.communicate(timeout=5)
        except subprocess.TimeoutExpired:  # a descendant left the group and holds the pipes
            stdout, stderr = b"", b""
        return Run(process.pid, None, stdout, stderr)


def describe_status(status: int | None) -> str:
    if status is None:
        return "timed out (killed)"
    if status < 0:
        return f"killed by {signal.Signals(-status).name}"
    return f"exit {status}"


def load_reports(report_dir: str, failures: Failures) -> tuple[list[Process], dict[str, list[str]]]:
    """Parses every report file into process images; returns them and each file's raw lines.
    A pid's files (report.<pid>.jsonl, then report.<pid>.<N>.jsonl by N) are its images in order."""
    processes: list[Process] = []
    raw_lines: dict[str, list[str]] = {}
    by_pid: dict[int, list[tuple[int, str]]] = {}
    for path in glob.glob(os.path.join(report_dir, "report.*.jsonl")):
        name = os.path.basename(path)
        match = REPORT_NAME.match(name)
        if not match:
            failures.add(f"{name}: report file name is not report.<pid>[.<N>].jsonl")
            continue
        by_pid.setdefault(int(match.group(1)), []).append((int(match.group(2) or 0), path))
    for pid, files in sorted(by_pid.items()):
        records = []
        for _, path in sorted(files):
            name = os.path.basename(path)
            with open(path, encoding="utf-8", errors="replace") as report:
                text = report.read()
            raw_lines[path] = text.splitlines()
            if text and not text.endswith("\n"):
                failures.add(f"{name}: the last record is not terminated by a newline (torn write?)")
            if not text:
                failures.add(f"{name}: empty report (no start record)")
            for number, line in enumerate(raw_lines[path], 1):
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    failures.add(f"{name}:{number}: not JSON ({error}): {line[:200]!r}")
                    continue
                if not isinstance(record, dict) or not isinstance(record.get("type"), str):
                    failures.add(f"{name}:{number}: not an object with a string \"type\"")
                    continue
                if number == 1 and record["type"] != "start":
                    failures.add(f"{name}:1: first record is {record['type']!r}, not 'start'")
                records.append((f"{name}:{number}", record))
        processes += split_into_processes(f"report.{pid}", pid, records, failures)
    return processes, raw_lines


def split_into_processes(name: str, pid: int, records: list[tuple[str, dict]],
                         failures: Failures) -> list[Process]:
    """A pid's records hold one process image per start record; only the last image must have
    ended (the others exec()ed a new program): check_endings checks that."""
    if not records:
        failures.add(f"{name}: empty report (no start record)")
        return []
    processes: list[Process] = []
    for where, record in records:
        kind = record["type"]
        if kind == "start":
            check_start(where, record, pid, failures)
            processes.append(Process(pid, record))
        elif not processes:
            failures.add(f"{where}: first record is {kind!r}, not 'start'")
            return []
        elif processes[-1].end is not None:
            failures.add(f"{where}: {kind!r} record after the 'end' record")
        elif kind == "finding":
            check_finding(where, record, failures)
            processes[-1].findings.append(record)
        elif kind == "end":
            check_end(where, record, processes[-1], failures)
            processes[-1].end = record
        elif kind == "dump":
            if check_fields(where, record, {"threads": list, "time": str}, failures):
                check_thread_dump(where, record["threads"], failures)
            processes[-1].others.append(record)
        elif kind == "long_hold_end":
            check_fields(where, record, {"fingerprint": str, "thread": int, "lock": str, "held_ms": int}, failures)
            processes[-1].others.append(record)
        elif kind == "profile":
            if check_fields(where, record, {"locks": list, "sites": list, "time": str}, failures):
                for index, lock in enumerate(record["locks"]):
                    check_fields(f"{where}: locks[{index}]", lock, {
                        "address": str, "kind": str, "created_at": list, "acquisitions": int, "reads": int,
                        "contended": int, "owner_changes": int, "wait": dict, "hold": dict,
                        "cond_waits": int, "cond_wakeups": int, "hot_sites": list}, failures)
            processes[-1].others.append(record)
        else:
            failures.add(f"{where}: unknown record type {kind!r}")
    return processes


def check_fields(where: str, record: dict, expected: dict[str, type], failures: Failures) -> bool:
    """Each named field is present with the given JSON type; True when all are."""
    good = True
    for key, wanted in expected.items():
        value = record.get(key)
        # bool is an int in Python, never a valid JSON number here.
        if not isinstance(value, wanted) or (wanted is int and isinstance(value, bool)):
            failures.add(f"{where}: {record.get('type', 'object')} field {key!r} should be "
                         f"{wanted.__name__}, is {json.dumps(value)[:80]}")
            good = False
    return good


def check_time(where: str, record: dict, failures: Failures) -> None:
    value = record.get("time")
    if "time" in record and not (isinstance(value, str) and UTC_TIME.match(value)):
        failures.add(f"{where}: time {value!r} is not UTC ISO 8601 like 2026-11-26T01:02:03.456Z")


def check_start(where: str, record: dict, pid: int, failures: Failures) -> None:
    if not check_fields(where, record, {"version": str, "pid": int, "ppid": int, "exe": str,
                                        "argv": list, "time": str, "options": dict}, failures):
        return
    if record["pid"] != pid:
        failures.add(f"{where}: start pid {record['pid']} is not the file's pid {pid}")
    if not os.path.isabs(record["exe"]):
        failures.add(f"{where}: exe {record['exe']!r} is not an absolute path")
    if not all(isinstance(arg, str) for arg in record["argv"]):
        failures.add(f"{where}: argv holds a non-string")
    if not record["version"]:
        failures.add(f"{where}: empty version")
    check_time(where, record, failures)


def check_end(where: str, record: dict, process: Process, failures: Failures) -> None:
    if not check_fields(where, record, {"exit_status": int, "findings": dict}, failures):
        return
    check_time(where, record, failures)
    if "errors" in record and not (isinstance(record["errors"], int) and record["errors"] >= 0):
        failures.add(f"{where}: errors {record['errors']!r} is not a count")
    reported = {kind: count for kind, count in record["findings"].items() if count != 0}
    written: dict[str, int] = {}
    for finding in process.findings:
        written[finding.get("kind")] = written.get(finding.get("kind"), 0) + 1
    if reported != written:
        failures.add(f"{where}: end counts {reported} differ from the finding records written "
                     f"by this process {written}")


def check_finding(where: str, record: dict, failures: Failures) -> None:
    if not check_fields(where, record, {"kind": str, "severity": str, "fingerprint": str,
                                        "message": str, "threads": list, "locks": list}, failures):
        return
    kind = record["kind"]
    if kind not in FINDING_KINDS:
        failures.add(f"{where}: unknown finding kind {kind!r}")
    if record["severity"] not in SEVERITIES:
        failures.add(f"{where}: severity {record['severity']!r} is not error or warning")
    if not record["fingerprint"]:
        failures.add(f"{where}: empty fingerprint")
    if not record["message"] or "\n" in record["message"] or "\r" in record["message"]:
        failures.add(f"{where}: message must be one non-empty line: {record['message']!r}")
    check_time(where, record, failures)
    thread_ids = collect_ids(where, "threads", record["threads"], failures)
    lock_ids = collect_ids(where, "locks", record["locks"], failures)
    for index, lock in enumerate(record["locks"]):
        if isinstance(lock, dict) and "kind" in lock and not (isinstance(lock["kind"], str)
                                                              and lock["kind"] in LOCK_KINDS):
            failures.add(f"{where}: locks[{index}] kind {lock['kind']!r} is not one of "
                         f"{', '.join(LOCK_KINDS)}")
    for path, frames in stacks_of(record):
        check_frames(f"{where}: {path}", frames, failures)
    if "thread_dump" in record:
        check_thread_dump(where, record["thread_dump"], failures)
    if kind in ("deadlock", "stall", "hang", "long_hold") and not record.get("thread_dump"):
        failures.add(f"{where}: a {kind} finding without its thread_dump")
    if kind == "lock_order_inversion":
        check_cycle(where, record.get("cycle"), thread_ids, lock_ids, failures)
    elif kind == "misuse":
        check_misuse(where, record, thread_ids, failures)


def check_thread_dump(where: str, threads: list, failures: Failures) -> None:
    """A watchdog thread dump: each thread's id, tid, state, stack (and how it was taken) and
    held locks; a blocked thread says what it waits for and since when."""
    for index, thread in enumerate(threads):
        at = f"{where}: thread_dump[{index}]"
        if not isinstance(thread, dict) or not check_fields(
                at, thread, {"id": int, "tid": int, "state": str, "stack": list, "stack_source": str,
                             "held": list}, failures):
            continue
        waits = thread.get("waits")
        if waits is not None and not check_fields(at + ".waits", waits, {"what": str, "address": str,
                                                                         "timed": bool, "blocked_ms": int},
                                                  failures):
            continue
        for number, held in enumerate(thread["held"]):
            check_fields(f"{at}.held[{number}]", held, {"address": str, "kind": str, "mode": str,
                                                        "held_ms": int, "acquired_at": list}, failures)


def collect_ids(where: str, key: str, entries: list, failures: Failures) -> set:
    ids = set()
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or "id" not in entry:
            failures.add(f"{where}: {key}[{index}] is not an object with an id")
        else:
            ids.add(json.dumps(entry["id"]))
    return ids


def stacks_of(value, path: str = "") -> list[tuple[str, object]]:
    """Every frame list in a record: the values of keys named stack, *_stack, first_use or
    acquired_at."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            item_path = f"{path}.{key}" if path else key
            if key in ("stack", "first_use", "acquired_at") or key.endswith("_stack"):
                found.append((item_path, item))
            else:
                found += stacks_of(item, item_path)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += stacks_of(item, f"{path}[{index}]")
    return found


def check_frames(where: str, frames, failures: Failures) -> None:
    if not isinstance(frames, list):
        failures.add(f"{where}: a stack should be a list of frames")
        return
    for index, frame in enumerate(frames):
        at = f"{where}[{index}]"
        if not isinstance(frame, dict):
            failures.add(f"{at}: a frame should be an object")
            continue
        for key in ("pc", "offset"):
            if not (isinstance(frame.get(key), str) and HEX_NUMBER.match(frame[key])):
                failures.add(f"{at}: {key} {frame.get(key)!r} is not a hex string 0x...")
        if not isinstance(frame.get("module"), str):
            failures.add(f"{at}: module {frame.get('module')!r} is not a string")
        for key, wanted in (("function", str), ("file", str), ("line", int)):
            if key in frame and not isinstance(frame[key], wanted):
                failures.add(f"{at}: {key} {frame[key]!r} is not a {wanted.__name__}")
        if "build_id" in frame and not (isinstance(frame["build_id"], str)
                                        and BUILD_ID.match(frame["build_id"])):
            failures.add(f"{at}: build_id {frame['build_id']!r} is not an even number of hex digits")
        inlined = frame.get("inlined", [])
        if not isinstance(inlined, list) or not all(
                isinstance(call, dict) and isinstance(call.get("function"), str)
                and isinstance(call.get("file", ""), str) and isinstance(call.get("line", 0), int)
                for call in inlined):
            failures.add(f"{at}: inlined {inlined!r} is not a list of {{function, file, line}}")


def check_misuse(where: str, record: dict, thread_ids: set, failures: Failures) -> None:
    """The bad call (its thread and stack), the objects involved, and related evidence: where a
    lock was acquired, initialised, destroyed or waited on, and by which thread."""
    subkind = record.get("subkind")
    if subkind not in MISUSE_SUBKINDS:
        failures.add(f"{where}: misuse subkind {subkind!r} is not one of {', '.join(MISUSE_SUBKINDS)}")
        return
    severity = "warning" if subkind == "cond_signal_unheld" else "error"
    if record["severity"] != severity:
        failures.add(f"{where}: misuse:{subkind} has severity {record['severity']!r}, should be "
                     f"{severity!r}")
    if not record["threads"]:
        failures.add(f"{where}: misuse finding with no threads")
    if json.dumps(record.get("thread")) not in thread_ids:
        failures.add(f"{where}: thread {record.get('thread')!r} (the caller) is not the id of one "
                     f"of the threads")
    if not (isinstance(record.get("stack"), list) and record["stack"]):
        failures.add(f"{where}: stack (of the bad call) must be a non-empty list of frames")
    locks = record["locks"]
    if not locks and subkind != "self_join":
        failures.add(f"{where}: misuse:{subkind} names no lock")
    if subkind.startswith("cond_"):
        kinds = [lock.get("kind") for lock in locks if isinstance(lock, dict)]
        if "condvar" not in kinds or all(kind == "condvar" for kind in kinds):
            failures.add(f"{where}: misuse:{subkind} should name both the condvar and the mutex, "
                         f"names kinds {kinds}")
    related = record.get("related", [])
    if not isinstance(related, list):
        failures.add(f"{where}: related should be a list")
        return
    for index, entry in enumerate(related):
        at = f"{where}: related[{index}]"
        if not isinstance(entry, dict):
            failures.add(f"{at}: should be an object")
            continue
        if not (isinstance(entry.get("what"), str) and entry["what"]):
            failures.add(f"{at}: what {entry.get('what')!r} is not a non-empty string")
        if json.dumps(entry.get("thread")) not in thread_ids:
            failures.add(f"{at}: thread {entry.get('thread')!r} is not the id of one of the threads")
        if not (isinstance(entry.get("stack"), list) and entry["stack"]):
            failures.add(f"{at}: stack must be a non-empty list of frames")


def check_cycle(where: str, cycle, thread_ids: set, lock_ids: set, failures: Failures) -> None:
    if not isinstance(cycle, list) or len(cycle) < 2:
        failures.add(f"{where}: lock_order_inversion needs a cycle of at least 2 edges, has "
                     f"{json.dumps(cycle)[:80]}")
        return
    for index, edge in enumerate(cycle):
        at = f"{where}: cycle[{index}]"
        if not isinstance(edge, dict):
            failures.add(f"{at}: an edge should be an object")
            return
        for key in ("from", "to"):
            if json.dumps(edge.get(key)) not in lock_ids:
                failures.add(f"{at}: {key} {edge.get(key)!r} is not the id of one of the locks")
        if json.dumps(edge.get("thread")) not in thread_ids:
            failures.add(f"{at}: thread {edge.get('thread')!r} is not the id of one of the threads")
        for key in ("held_stack", "requested_stack"):
            if not (isinstance(edge.get(key), list) and edge[key]):
                failures.add(f"{at}: {key} must be a non-empty list of frames")
        for key in ("from_mode", "to_mode"):
            if key in edge and not (isinstance(edge[key], str) and edge[key] in ACQUISITION_MODES):
                failures.add(f"{at}: {key} {edge[key]!r} is not one of {', '.join(ACQUISITION_MODES)}")
        following = cycle[(index + 1) % len(cycle)]
        if isinstance(following, dict) and edge.get("to") != following.get("from"):
            failures.add(f"{at}: does not chain: to {edge.get('to')!r} but the next edge is "
                         f"from {following.get('from')!r}")


def function_matches(function: str, name: str) -> bool:
    """'f' matches itself and C++ names such as '(anonymous namespace)::x::f(int)'."""
    if function == name:
        return True
    unscoped = function.replace("(anonymous namespace)::", "").split("(", 1)[0]
    return unscoped.rsplit("::", 1)[-1] == name


def check_expectations(args: argparse.Namespace, command: list[str], run: Run,
                       native: Run | None, processes: list[Process], failures: Failures) -> None:
    if run.status is None:
        failures.add(f"timed out after {args.timeout:g} s under the preload")
    elif args.expect_exit is not None and run.status != args.expect_exit:
        failures.add(f"exit status under the preload: {describe_status(run.status)}, "
                     f"expected {args.expect_exit}")

    if native is not None:
        if native.status is None:
            failures.add(f"timed out after {args.timeout:g} s natively (without the preload)")
        elif native.status != run.status:
            failures.add(f"exit status changed by the preload: natively "
                         f"{describe_status(native.status)}, "
                         f"preloaded {describe_status(run.status)}")
        if native.stdout != run.stdout:
            failures.add("stdout changed by the preload: "
                         + describe_difference(native.stdout, run.stdout))

    stderr_lines = run.stderr.decode(errors="replace").splitlines()
    if args.require_stderr_empty and run.stderr:
        failures.add("stderr under the preload is not empty")
    if args.stderr_lines_whole:
        cut = [line for line in stderr_lines
               if not line.startswith(("==lockwatch==", "  ", "lockwatch: ")) or "==lockwatch==" in line[1:]]
        if cut:
            failures.add(f"{len(cut)} stderr line(s) cut or mixed, e.g. {cut[0][:200]!r}")
    if args.expect_stderr_line:
        if len(stderr_lines) != len(args.expect_stderr_line):
            failures.add(f"stderr has {len(stderr_lines)} lines, expected "
                         f"{len(args.expect_stderr_line)}")
        for number, (line, pattern) in enumerate(zip(stderr_lines, args.expect_stderr_line), 1):
            if not re.search(pattern, line):
                failures.add(f"stderr line {number} {line!r} does not match {pattern!r}")

    own = [process for process in processes if process.pid == run.pid]
    if not own:
        failures.add(f"no report from the command's own process (pid {run.pid})")
    else:
        check_own_process(own, command, run, failures)
    check_endings(args, run, processes, failures)
    check_thread_ids(processes, failures)
    if args.expect_processes is not None and len(processes) != args.expect_processes:
        failures.add(f"{len(processes)} process images reported (start records), expected {args.expect_processes}: "
                     + ", ".join(f"{p.pid} {os.path.basename(str(p.start.get('exe')))}" for p in processes))
    for who, key, count in args.expected_counts_in:
        chosen = [process for process in processes if process_is(process, who, run.pid)]
        seen = sum(1 for process in chosen for finding in process.findings
                   if key in finding_keys(finding) and not (finding.get("severity") == "warning"
                                                            and any(k in args.allow_warning for k in finding_keys(finding))))
        if seen != count:
            failures.add(f"{seen} {key} finding(s) in the reports of {who} ({len(chosen)} process images), "
                         f"expected {count}")

    findings = [finding for process in processes for finding in process.findings]
    check_counts(args, findings, failures)
    check_evidence(args, findings, failures)
    others = [record for process in processes for record in process.others]
    check_watchdog_records(args, findings, others, failures)
    check_profile(args, [record for process in processes if process_is(process, args.profile_of, run.pid)
                         for record in process.others], failures)

    if args.cycle_length is not None:
        for finding in findings:
            cycle = finding.get("cycle")
            if finding.get("kind") == "lock_order_inversion" and isinstance(cycle, list) \
                    and len(cycle) != args.cycle_length:
                failures.add(f"a lock_order_inversion cycle has {len(cycle)} edges, expected "
                             f"{args.cycle_length}: {finding.get('message')!r}")

    functions = sorted({frame["function"] for finding in findings
                        for _, frames in stacks_of(finding) if isinstance(frames, list)
                        for frame in frames
                        if isinstance(frame, dict) and isinstance(frame.get("function"), str)})
    for name in args.expect_function:
        if not any(function_matches(function, name) for function in functions):
            failures.add(f"no frame of any finding is in function {name!r}; functions seen: "
                         f"{', '.join(functions) or '(none)'}")

    frames = [frame for finding in findings for _, stack in stacks_of(finding) if isinstance(stack, list)
              for frame in stack if isinstance(frame, dict)]
    inlined = sorted({call["function"] for frame in frames for call in frame.get("inlined", [])
                      if isinstance(call, dict) and isinstance(call.get("function"), str)})
    for name in args.expect_inlined_function:
        if not any(function_matches(function, name) for function in inlined):
            failures.add(f"no frame of any finding has {name!r} inlined; inlined functions seen: "
                         f"{', '.join(inlined) or '(none)'}")
        if not any(name in line and "[inlined]" in line for line in stderr_lines):
            failures.add(f"the text report on stderr shows no [inlined] frame of {name!r}")
    if args.expect_distinct_fingerprints:
        fingerprints = [finding.get("fingerprint") for finding in findings]
        if len(set(fingerprints)) != len(fingerprints):
            failures.add(f"findings share a fingerprint: {fingerprints}")
    placed = {(frame.get("function"), frame.get("line")) for frame in frames}
    placed |= {(call.get("function"), call.get("line")) for frame in frames for call in frame.get("inlined", [])
               if isinstance(call, dict)}
    for expected in args.expect_frame_line:
        name, _, line = expected.rpartition(":")
        if not any(isinstance(function, str) and function_matches(function, name) and str(at) == line
                   for function, at in placed):
            seen = sorted(f"{function}:{at}" for function, at in placed
                          if isinstance(function, str) and function_matches(function, name))
            failures.add(f"no frame of any finding is in {name!r} at line {line}; its lines seen: "
                         f"{', '.join(seen) or '(none)'}")
    if args.expect_build_id:
        executable = os.path.realpath(shutil.which(command[0]) or command[0])
        expected = elf_build_id(executable)
        own_frames = [frame for frame in frames if os.path.realpath(str(frame.get("module"))) == executable]
        if not expected:
            failures.add(f"{executable} has no GNU build id note to compare with")
        elif not own_frames:
            failures.add(f"no frame of any finding is in {executable}")
        for frame in own_frames:
            if frame.get("build_id") != expected:
                failures.add(f"frame {frame.get('function')} in {executable}: build_id "
                             f"{frame.get('build_id')!r}, the file's is {expected!r}")


def elf_build_id(path: str) -> str:
    """The NT_GNU_BUILD_ID of a 64-bit little-endian ELF file, in hex, from its section notes."""
    with open(path, "rb") as elf:
        data = elf.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return ""
    section_offset, = struct.unpack_from("<Q", data, 0x28)
    entry_size, count = struct.unpack_from("<HH", data, 0x3A)
    for index in range(count):
        kind, = struct.unpack_from("<I", data, section_offset + index * entry_size + 4)
        if kind != 7:  # SHT_NOTE
            continue
        offset, size = struct.unpack_from("<QQ", data, section_offset + index * entry_size + 0x18)
        position = offset
        while position + 12 <= offset + size:
            name_size, desc_size, note_type = struct.unpack_from("<III", data, position)
            name_start = position + 12
            desc_start = name_start + (name_size + 3) // 4 * 4
            if note_type == 3 and data[name_start:name_start + name_size] == b"GNU\0":
                return data[desc_start:desc_start + desc_size].hex()
            position = desc_start + (desc_size + 3) // 4 * 4
    return ""


def check_counts(args: argparse.Namespace, findings: list[dict], failures: Failures) -> None:
    """Findings by kind, and by misuse subkind once any subkind is expected; a kind (or subkind)
    not named must have none. Warnings that --allow-warning names are not counted."""
    counts: dict[str, int] = {}
    for finding in findings:
        keys = finding_keys(finding)
        if finding.get("severity") == "warning" and any(key in args.allow_warning for key in keys):
            continue
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
    expected = args.expected_counts
    by_subkind = any(":" in key for key in expected)
    for key in sorted(set(counts) | set(expected), key=str):
        if ":" in key and not by_subkind:
            continue  # only the misuse total is checked
        if key == "misuse" and by_subkind and key not in expected:
            continue  # the subkinds account for every misuse finding
        if counts.get(key, 0) != expected.get(key, 0):
            failures.add(f"{counts.get(key, 0)} {key} finding(s), expected {expected.get(key, 0)}")


def check_evidence(args: argparse.Namespace, findings: list[dict], failures: Failures) -> None:
    """Severities, acquisition modes of cycle edges, lock kinds and related misuse evidence."""
    for key, severity in sorted(args.expected_severities.items()):
        matching = [finding for finding in findings if key in finding_keys(finding)]
        if not matching:
            failures.add(f"no {key} finding, expected one of severity {severity}")
        for finding in matching:
            if finding.get("severity") != severity:
                failures.add(f"a {key} finding has severity {finding.get('severity')!r}, expected "
                             f"{severity}: {finding.get('message')!r}")

    edges = [edge for finding in findings if finding.get("kind") == "lock_order_inversion"
             and isinstance(finding.get("cycle"), list)
             for edge in finding["cycle"] if isinstance(edge, dict)]
    modes = {edge[key] for edge in edges for key in ("from_mode", "to_mode")
             if isinstance(edge.get(key), str)}
    for mode in args.expect_mode:
        if mode not in modes:
            failures.add(f"no lock_order_inversion edge has mode {mode!r}; modes seen: "
                         f"{', '.join(sorted(modes)) or '(none)'}")
    lock_kinds = {lock["kind"] for finding in findings if isinstance(finding.get("locks"), list)
                  for lock in finding["locks"] if isinstance(lock, dict) and isinstance(lock.get("kind"), str)}
    for lock_kind in args.expect_lock_kind:
        if lock_kind not in lock_kinds:
            failures.add(f"no finding names a lock of kind {lock_kind!r}; kinds seen: "
                         f"{', '.join(sorted(lock_kinds)) or '(none)'}")
    related = [entry for finding in findings if finding.get("kind") == "misuse"
               and isinstance(finding.get("related"), list)
               for entry in finding["related"] if isinstance(entry, dict) and entry.get("stack")]
    for what in args.expect_related:
        if not any(entry.get("what") == what for entry in related):
            seen = sorted({str(entry.get("what")) for entry in related if isinstance(entry.get("what"), str)})
            failures.add(f"no misuse finding has related evidence {what!r} with a stack; seen: "
                         f"{', '.join(seen) or '(none)'}")


def profile_functions(lock: dict) -> list[str]:
    """The functions of the first frames of a profiled lock's creation and hottest sites."""
    stacks = [lock.get("created_at", [])] + list(lock.get("hot_sites", []))
    return [frame.get("function", "") for stack in stacks for frame in stack[:4] if isinstance(frame, dict)]


def check_profile(args: argparse.Namespace, others: list[dict], failures: Failures) -> None:
    profiles = [record for record in others if record.get("type") == "profile"]
    if not (args.expect_profile_first or args.expect_profile_lock):
        return
    if not profiles:
        failures.add("no profile record")
        return
    locks = profiles[-1].get("locks", [])
    if args.expect_profile_first:
        first = profile_functions(locks[0]) if locks else []
        if not any(re.search(args.expect_profile_first, function) for function in first):
            failures.add(f"the first profiled lock is not in {args.expect_profile_first!r}: its functions {first}")
    for expected in args.expect_profile_lock:
        function, field_path, low, high = expected.split(":")
        lock = next((lock for lock in locks
                     if lock.get("created_at") and lock["created_at"][0].get("function") == function), None)
        if lock is None:
            failures.add(f"no profiled lock created in {function!r}")
            continue
        value = lock
        for part in field_path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if not isinstance(value, int) or not float(low) <= value <= float(high):
            failures.add(f"profiled lock of {function!r}: {field_path} = {value}, expected [{low}, {high}]")


def check_watchdog_records(args: argparse.Namespace, findings: list[dict], others: list[dict],
                           failures: Failures) -> None:
    for expected in args.expect_record:
        kind, _, count = expected.partition("=")
        seen = sum(1 for record in others if record.get("type") == kind)
        if seen != int(count):
            failures.add(f"{seen} {kind} record(s), expected {count}")
    dumps = [thread for record in findings for thread in record.get("thread_dump", [])]
    dumps += [thread for record in others for thread in record.get("threads", [])]
    sources = sorted({thread.get("stack_source") for thread in dumps if isinstance(thread, dict)})
    for expected in args.expect_stack_source:
        if expected not in sources:
            failures.add(f"no thread dump has stack_source {expected!r}; seen: {sources}")
    for forbidden in args.forbid_stack_source:
        if forbidden in sources:
            failures.add(f"a thread dump has stack_source {forbidden!r}")
    for expected in args.expect_dump_frame:
        source, _, name = expected.partition(":")
        if not any(isinstance(thread, dict) and thread.get("stack_source") == source
                   and any(function_matches(frame.get("function", ""), name)
                           for frame in thread.get("stack", []) if isinstance(frame, dict))
                   for thread in dumps):
            seen = sorted({f"{thread.get('stack_source')}:{frame.get('function')}" for thread in dumps
                           if isinstance(thread, dict) for frame in thread.get("stack", [])
                           if isinstance(frame, dict)})
            failures.add(f"no thread dump has a {source!r} stack with a frame in {name!r}; seen: "
                         f"{', '.join(seen) or '(none)'}")


def process_is(process: Process, who: str, own_pid: int) -> bool:
    if who == "all":
        return True
    if who == "own":
        return process.pid == own_pid
    if who == "others":
        return process.pid != own_pid
    return os.path.basename(str(process.start.get("exe"))) == who


def check_endings(args: argparse.Namespace, run: Run, processes: list[Process], failures: Failures) -> None:
    """The last image of every pid wrote its end record: it exited, through exit() or lockwatch's
    on_deadlock. With --no-end-record the command's own process was killed instead: no end."""
    last: dict[int, Process] = {}
    for process in processes:
        last[process.pid] = process
    for pid, process in sorted(last.items()):
        if args.no_end_record and pid == run.pid:
            if process.end is not None:
                failures.add(f"report.{pid}: an end record, but the process was to be killed before its end")
        elif process.end is None:
            failures.add(f"report.{pid}: the last record is not 'end' (did the process crash?)")


def check_thread_ids(processes: list[Process], failures: Failures) -> None:
    """A process's findings name its own threads: never a tid that is another reported process's
    pid (a forked child that kept its parent's tid for the thread that forked, say)."""
    pids = {process.pid for process in processes}
    for process in processes:
        for finding in process.findings:
            named = [thread.get("tid") for thread in finding.get("threads", []) if isinstance(thread, dict)]
            named += [thread.get("tid") for thread in finding.get("thread_dump", []) if isinstance(thread, dict)]
            for tid in named:
                if tid in pids and tid != process.pid:
                    failures.add(f"report.{process.pid}: a {finding.get('kind')} finding names tid {tid}, "
                                 f"the pid of another process of this run (the thread's tid before a fork?)")


def check_own_process(own: list[Process], command: list[str], run: Run, failures: Failures) -> None:
    """The command's own process: its first image saw our argv, and unless an error finding
    made lockwatch override it, its status is the one the end record gives."""
    if own[0].start.get("argv") != command:
        failures.add(f"start argv {own[0].start.get('argv')!r} is not the command {command!r}")
    last = own[-1]
    has_errors = any(finding.get("severity") == "error" for finding in last.findings)
    if last.end is not None and run.status is not None and not has_errors \
            and last.end.get("exit_status") != run.status:
        failures.add(f"end exit_status {last.end.get('exit_status')!r} is not the process's "
                     f"status {run.status} (no error findings, so nothing should override it)")


def describe_difference(native: bytes, preloaded: bytes) -> str:
    def digest(data: bytes) -> str:
        return f"{len(data)} bytes sha256 {hashlib.sha256(data).hexdigest()[:16]}"
    summary = f"natively {digest(native)}, preloaded {digest(preloaded)}"
    native_lines, preloaded_lines = native.splitlines(), preloaded.splitlines()
    for number, (left, right) in enumerate(zip(native_lines, preloaded_lines), 1):
        if left != right:
            return f"{summary}; line {number}: natively {left[:200]!r}, preloaded {right[:200]!r}"
    return f"{summary}; natively {len(native_lines)} lines, preloaded {len(preloaded_lines)} lines"


def print_failure(command: list[str], run: Run, failures: Failures, raw_lines: dict[str, list[str]],
                  report_dir: str) -> None:
    print(f"FAIL: {shlex.join(command)}")
    for message in failures.messages:
        print(f"  - {message}")
    print(f"status under the preload: {describe_status(run.status)}")
    print_excerpt("stderr under the preload", run.stderr.decode(errors="replace").splitlines())
    if not raw_lines:
        contents = os.listdir(report_dir) or "nothing"
        print(f"no report.<pid>.jsonl in {report_dir}; it holds: {contents}")
    for path, lines in raw_lines.items():
        print_excerpt(f"report {path}", lines)
    print(f"report files kept in {report_dir}")


def print_excerpt(title: str, lines: list[str]) -> None:
    print(f"{title} ({len(lines)} lines):")
    for line in lines[:EXCERPT_LINES]:
        suffix = "..." if len(line) > EXCERPT_LINE_CHARS else ""
        print(f"  | {line[:EXCERPT_LINE_CHARS]}{suffix}")
    if len(lines) > EXCERPT_LINES:
        print(f"  | ... {len(lines) - EXCERPT_LINES} more lines")


def main(argv: list[str]) -> int:
    args, command = parse_arguments(argv)
    library = os.path.abspath(args.lib)
    if not os.path.isfile(library):
        print(f"FAIL: no preload library at {library}")
        return 1
    if args.make_sort_input:
        write_sort_input(args.make_sort_input[0], int(args.make_sort_input[1]))

    native = None
    if args.native:
        native = run_command(command, dict(os.environ), args.stdin, args.timeout)

    report_dir = tempfile.mkdtemp(prefix="lockwatch-check-")
    env = dict(os.environ)
    env["LD_PRELOAD"] = ":".join(filter(None, (library, env.get("LD_PRELOAD"))))
    log_path = os.path.join(report_dir, "report")
    env["LOCKWATCH_OPTIONS"] = ":".join(filter(None, (f"log_path={log_path}", args.options)))
    run = run_command(command, env, args.stdin, args.timeout)

    failures = Failures()
    processes, raw_lines = load_reports(report_dir, failures)
    check_expectations(args, command, run, native, processes, failures)
    if args.expect_report_files is not None and len(raw_lines) != args.expect_report_files:
        failures.add(f"{len(raw_lines)} report files, expected {args.expect_report_files}: "
                     f"{sorted(os.path.basename(path) for path in raw_lines)}")
    if failures:
        print_failure(command, run, failures, raw_lines, report_dir)
        return 1
    shutil.rmtree(report_dir, ignore_errors=True)
    counts = ", ".join(f"{kind}={count}" for kind, count in sorted(args.expected_counts.items()))
    print(f"PASS: {os.path.basename(command[0])}: {describe_status(run.status)}, "
          f"findings: {counts or 'none'}, {len(processes)} process image(s) in {len(raw_lines)} report file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
