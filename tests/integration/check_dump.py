#!/usr/bin/env python3
"""`lockwatch dump PID` on a live process: dump_live (8 threads: 3 wait for a mutex main holds,
2 in condition waits, 2 sleeping, 1 computing) runs under the preload; once it is ready, the
dump must print every thread with its state and stack, write one `dump` record to the
process's JSON Lines report, and leave the process unharmed: it ends with status 0 and no
finding once its stdin closes. Also: dump of a process without lockwatch is refused (exit 2,
and the process is not signalled), and so is dump of dump_own_signal, which handles the
sample signal itself: its handler must never run.

    check_dump.py build/bin/lockwatch build/lib/liblockwatch.so build/samples/dump_live build/samples/dump_own_signal
"""
import glob
import json
import os
import subprocess
import sys
import tempfile
import time


def fail(message: str) -> int:
    print(f"FAIL: {message}")
    return 1


def main() -> int:
    cli, library, sample, own_signal = sys.argv[1:5]
    workdir = tempfile.mkdtemp(prefix="lockwatch-dump-")
    env = dict(os.environ, LD_PRELOAD=library,
               LOCKWATCH_OPTIONS=f"log_path={workdir}/report:stall_ms=60000:long_hold_ms=60000")
    process = subprocess.Popen([sample], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    try:
        if process.stdout.readline().strip() != b"ready":
            return fail("dump_live did not get ready")
        dump = subprocess.run([cli, "dump", str(process.pid)], capture_output=True, text=True, timeout=30)
        process.stdin.close()
        process.wait(timeout=30)
        err = process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
    if dump.returncode != 0:
        return fail(f"lockwatch dump exited {dump.returncode}: {dump.stderr.strip()}")
    text = dump.stdout
    for expected in ("Thread dump of process", "blocked in lock", "blocked in condition_wait",
                     "in the system call", "running", "wait_at_gate", "wait_for_finish",
                     "nap_until_finish", "compute_until_finish", "holds mutex"):
        if expected not in text:
            return fail(f"the dump does not show {expected!r}:\n{text}")
    if process.returncode != 0:
        return fail(f"dump_live exited {process.returncode} after the dump; stderr: {err.decode()[:2000]}")
    reports = glob.glob(f"{workdir}/report.*.jsonl")
    records = [json.loads(line) for path in reports for line in open(path)]
    dumps = [record for record in records if record["type"] == "dump"]
    findings = [record for record in records if record["type"] == "finding"]
    if len(dumps) != 1 or findings:
        return fail(f"expected one dump record and no finding, got {len(dumps)} and {findings}")
    threads = dumps[0]["threads"]
    states = sorted(thread["state"] for thread in threads)
    if len(threads) != 9:
        return fail(f"expected 9 threads in the dump record, got {len(threads)}: {states}")
    if states.count("lock") != 3 or states.count("condition_wait") != 2 or "running" not in states:
        return fail(f"unexpected thread states {states}")
    if not any(held for thread in threads for held in thread["held"]):
        return fail("no thread of the dump holds the gate mutex")
    # Refused for a process without lockwatch, which must not be signalled.
    bystander = subprocess.Popen(["sleep", "30"])
    try:
        refused = subprocess.run([cli, "dump", str(bystander.pid)], capture_output=True, text=True, timeout=30)
        alive = bystander.poll() is None
    finally:
        bystander.kill()
    if refused.returncode != 2 or "does not run with liblockwatch.so" not in refused.stderr or not alive:
        return fail(f"dump of a process without lockwatch: exit {refused.returncode}, {refused.stderr!r}, "
                    f"alive {alive}")
    # Refused for a process that took the sample signal over; its handler never runs.
    owner = subprocess.Popen([own_signal], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    time.sleep(1)  # the watchdog's first looks
    taken = subprocess.run([cli, "dump", str(owner.pid)], capture_output=True, text=True, timeout=30)
    owner_out, owner_err = owner.communicate(input=b"", timeout=30)
    if taken.returncode != 2 or "replaced lockwatch's handler" not in taken.stderr:
        return fail(f"dump of a process that handles the sample signal: exit {taken.returncode}, {taken.stderr!r}")
    if owner.returncode != 0 or b"ran 0 times" not in owner_out:
        return fail(f"dump_own_signal's handler ran, or it failed: exit {owner.returncode}, {owner_out!r}, "
                    f"{owner_err.decode()[:2000]}")
    print(f"PASS: lockwatch dump of dump_live: {len(threads)} threads, states {states}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
