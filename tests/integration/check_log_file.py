#!/usr/bin/env python3
"""The JSON Lines file is created safely: whatever already sits at <log_path>.<pid>.jsonl (a
symbolic link to a file, a dangling one, a file that is no report, a report of an earlier image
of the same pid) is neither followed nor overwritten; the report goes to <log_path>.<pid>.1.jsonl,
with one `lockwatch: error:` line on stderr unless what was in the way is a lockwatch report; and
the program runs as without it (abba: its output, exit 66 for its inversion).

    check_log_file.py LIBRARY SAMPLES_DIR

The pid is known only once the process exists: the path is prepared in the child between fork
and exec (preexec_fn), where the pid is already the program's."""
import json
import os
import subprocess
import sys
import tempfile


def fail(message: str) -> None:
    print(f"FAIL: {message}")
    sys.exit(1)


def run_with_path_taken(library: str, program: str, directory: str, prepare) -> tuple[subprocess.CompletedProcess, int]:
    """Runs `program` under the preload after `prepare(path)` has put something at the path its
    report would take; returns the result and the pid."""
    log_path = os.path.join(directory, "report")
    environment = dict(os.environ, LD_PRELOAD=library, LOCKWATCH_OPTIONS=f"log_path={log_path}:quiet=1")
    process = subprocess.Popen([program], env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, preexec_fn=lambda: prepare(f"{log_path}.{os.getpid()}.jsonl"))
    stdout, stderr = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr), process.pid


def expect_report(directory: str, pid: int, what: str) -> None:
    """The report went to report.<pid>.1.jsonl, whole: start, the inversion, end."""
    path = os.path.join(directory, f"report.{pid}.1.jsonl")
    if not os.path.isfile(path) or os.path.islink(path):
        fail(f"{what}: no report at {path}; the directory holds {sorted(os.listdir(directory))}")
    with open(path) as report:
        records = [json.loads(line) for line in report]
    kinds = [record["type"] for record in records]
    if kinds[0] != "start" or kinds[-1] != "end" or kinds.count("finding") != 1 or records[0]["pid"] != pid:
        fail(f"{what}: the report should be start, one finding, end (pid {pid}), is {kinds}")


def expect_run(result: subprocess.CompletedProcess, native: subprocess.CompletedProcess, what: str,
               error_about: str | None) -> None:
    if result.returncode != 66 or result.stdout != native.stdout:
        fail(f"{what}: the program should run as natively, with exit 66 for its inversion; got "
             f"{result.returncode}, stdout {result.stdout!r} (natively {native.stdout!r})")
    lines = result.stderr.splitlines()
    if error_about is None:
        if lines:
            fail(f"{what}: nothing to say on stderr, got:\n{result.stderr}")
        return
    if len(lines) != 1 or not lines[0].startswith("lockwatch: error: report file ") or error_about not in lines[0] \
            or "left as it is, reporting to " not in lines[0] or ".1.jsonl" not in lines[0]:
        fail(f"{what}: expected one 'lockwatch: error: report file ... {error_about}; left as it is, reporting to "
             f"....1.jsonl' line, got:\n{result.stderr}")


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: check_log_file.py LIBRARY SAMPLES_DIR", file=sys.stderr)
        return 2
    library, samples = os.path.abspath(sys.argv[1]), sys.argv[2]
    abba = os.path.join(samples, "abba")
    native = subprocess.run([abba], capture_output=True, text=True, timeout=60)

    # A symbolic link to a file that matters: the file keeps its content, the link stays a link.
    with tempfile.TemporaryDirectory(prefix="lockwatch-log-") as directory:
        victim = os.path.join(directory, "victim.txt")
        with open(victim, "w") as output:
            output.write("precious\n")
        result, pid = run_with_path_taken(library, abba, directory, lambda path: os.symlink(victim, path))
        link = os.path.join(directory, f"report.{pid}.jsonl")
        with open(victim) as source:
            if source.read() != "precious\n":
                fail("symlink to a file: the file it points to was written through the link")
        if not os.path.islink(link) or os.readlink(link) != victim:
            fail("symlink to a file: the link was replaced")
        expect_run(result, native, "symlink to a file", "is a symbolic link")
        expect_report(directory, pid, "symlink to a file")

    # A dangling symbolic link: its target is not created.
    with tempfile.TemporaryDirectory(prefix="lockwatch-log-") as directory:
        target = os.path.join(directory, "created-through-the-link")
        result, pid = run_with_path_taken(library, abba, directory, lambda path: os.symlink(target, path))
        if os.path.lexists(target):
            fail("dangling symlink: its target was created")
        expect_run(result, native, "dangling symlink", "is a symbolic link")
        expect_report(directory, pid, "dangling symlink")

    # A file of someone else's at the path: not overwritten, not appended to.
    with tempfile.TemporaryDirectory(prefix="lockwatch-log-") as directory:
        def plant_file(path: str) -> None:
            with open(path, "w") as output:
                output.write("not a report\n")
        result, pid = run_with_path_taken(library, abba, directory, plant_file)
        with open(os.path.join(directory, f"report.{pid}.jsonl")) as source:
            if source.read() != "not a report\n":
                fail("existing file: it was written to")
        expect_run(result, native, "existing file", "exists and is not a lockwatch report")
        expect_report(directory, pid, "existing file")

    # A lockwatch report there already (what an exec()ed image of the same pid finds): kept, and
    # the next name taken without a word.
    with tempfile.TemporaryDirectory(prefix="lockwatch-log-") as directory:
        earlier = json.dumps({"type": "start", "pid": 1, "version": "0.1.0"}, separators=(",", ":")) + "\n"

        def plant_report(path: str) -> None:
            with open(path, "w") as output:
                output.write(earlier)
        result, pid = run_with_path_taken(library, abba, directory, plant_report)
        with open(os.path.join(directory, f"report.{pid}.jsonl")) as source:
            if source.read() != earlier:
                fail("an earlier report: it was written to")
        expect_run(result, native, "an earlier report", None)
        expect_report(directory, pid, "an earlier report")

    print("PASS: the report file never follows or overwrites what is at its path")
    return 0


if __name__ == "__main__":
    sys.exit(main())
