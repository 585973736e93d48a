#!/usr/bin/env python3
"""Integration tests of the lockwatch CLI beyond check_report.py, one scenario per invocation:

    check_cli.py formats   CLI LIBRARY SAMPLES_DIR   report --format dot and junit over real runs
    check_cli.py bad-input CLI LIBRARY SAMPLES_DIR   every bad usage and bad input: one line, exit 2
    check_cli.py demo      CLI LIBRARY SAMPLES_DIR   lockwatch demo, and its error without samples
    check_cli.py run       CLI LIBRARY SAMPLES_DIR   lockwatch run: paths, exit status, signals

Every assertion is on the real output of real runs of the samples under the preload."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree


def fail(message: str) -> None:
    print(f"FAIL: {message}")
    sys.exit(1)


def run(command: list[str], **options) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, **options)


def run_samples(library: str, samples: str, directory: str, *names: str, options: str = "") -> None:
    """Runs each sample under the preload, reporting into `directory`."""
    environment = dict(os.environ, LD_PRELOAD=library,
                       LOCKWATCH_OPTIONS=f"log_path={directory}/report:quiet=1:exitcode=0{options}")
    for name in names:
        subprocess.run([os.path.join(samples, name)], env=environment, stdout=subprocess.DEVNULL, check=True,
                       timeout=60)


def expect_one_error_line(what: str, result: subprocess.CompletedProcess, *needles: str) -> None:
    """Exit 2 and exactly one stderr line, `lockwatch: error: ...`, holding every needle."""
    lines = result.stderr.strip().splitlines()
    if result.returncode != 2 or len(lines) != 1 or not lines[0].startswith("lockwatch: error: "):
        fail(f"{what}: expected exit 2 and one 'lockwatch: error:' line, got {result.returncode}:\n{result.stderr}")
    for needle in needles:
        if needle not in lines[0]:
            fail(f"{what}: the error should mention {needle!r}: {lines[0]}")


def findings_of(cli: str, *paths: str) -> list[dict]:
    result = run([cli, "report", "--format", "json", *paths])
    return json.loads(result.stdout)["findings"] if result.stdout else []


def check_formats(cli: str, library: str, samples: str) -> None:
    with tempfile.TemporaryDirectory(prefix="lockwatch-formats-") as directory:
        run_samples(library, samples, directory, "abba", "inlined_lock", "misuse_unlock_not_owner")
        run_samples(library, samples, directory, "misuse_cond_signal_unheld", options=":signal_unheld=1")
        findings = findings_of(cli, directory)
        if len(findings) != 4:
            fail(f"expected 4 findings (2 inversions, 2 misuses), got {[f['message'] for f in findings]}")

        # dot: a cluster per process, the inversions' edges red and bold with their sites.
        dot = run([cli, "report", "--format", "dot", directory])
        if dot.returncode != 66 or not dot.stdout.startswith("digraph lockwatch {") or \
                not dot.stdout.rstrip().endswith("}"):
            fail(f"dot: expected a digraph and exit 66, got {dot.returncode}:\n{dot.stdout}\n{dot.stderr}")
        edges = [line for line in dot.stdout.splitlines() if " -> \"" in line]
        if len(edges) != 4 or not all("color=red" in edge and "style=bold" in edge for edge in edges):
            fail(f"dot: expected the 4 edges of the two 2-lock cycles, red and bold:\n{dot.stdout}")
        for needle in ("lock_a_then_b (", "abba.c:15", "lock_b_then_a (", "lock_one (",
                       "misuse/unlock_not_owner at unlock_from_other_thread", "cluster_p", "condvar"):
            if needle not in dot.stdout:
                fail(f"dot: {needle!r} is missing:\n{dot.stdout}")
        if dot.stdout.count("{") != dot.stdout.count("}"):
            fail("dot: unbalanced braces")
        if shutil.which("dot"):
            rendered = subprocess.run(["dot", "-Tsvg"], input=dot.stdout, capture_output=True, text=True, timeout=60)
            if rendered.returncode != 0:
                fail(f"Graphviz rejects the dot output: {rendered.stderr}")

        # A baseline that accepts abba's inversion draws it grey and dashed, no longer red.
        abba = next(f for f in findings if f["kind"] == "lock_order_inversion" and "abba.c" in json.dumps(f))
        baseline = os.path.join(directory, "baseline.json")
        with open(baseline, "w") as output:
            json.dump({"version": 1, "findings": [{"fingerprint": abba["fingerprint"]}]}, output)
        accepted = run([cli, "report", "--format", "dot", "--baseline", baseline, directory]).stdout
        abba_edges = [line for line in accepted.splitlines() if " -> \"" in line and abba["fingerprint"] in line]
        if len(abba_edges) != 2 or any("color=red" in edge or "dashed" not in edge for edge in abba_edges):
            fail(f"dot: the baseline's inversion should be grey and dashed:\n{accepted}")

        # junit: one failing testcase per error finding, the warning passes with its details.
        junit = run([cli, "report", "--format", "junit", directory])
        if junit.returncode != 66:
            fail(f"junit: expected exit 66, got {junit.returncode}: {junit.stderr}")
        root = ElementTree.fromstring(junit.stdout)
        suites = root.findall("testsuite")
        if root.tag != "testsuites" or len(suites) != 1:
            fail(f"junit: expected <testsuites> with one <testsuite>:\n{junit.stdout}")
        suite = suites[0]
        cases = suite.findall("testcase")
        failed = [case for case in cases if case.find("failure") is not None]
        if suite.get("tests") != "4" or suite.get("failures") != "3" or len(cases) != 4 or len(failed) != 3:
            fail(f"junit: expected 4 testcases, 3 failing:\n{junit.stdout}")
        messages = {f["message"] for f in findings if f["severity"] == "error"}
        for case in failed:
            failure = case.find("failure")
            if failure.get("message") not in messages or "#0  " not in failure.text or \
                    "fingerprint" not in failure.text or not case.get("classname", "").startswith("lockwatch."):
                fail(f"junit: a failure needs the finding's message and its stacks: {ElementTree.tostring(case)}")
        if len({case.get("name") for case in cases}) != len(cases):
            fail("junit: test case names must be distinct")
        warning = [case for case in cases if case.find("failure") is None]
        if len(warning) != 1 or "cond_signal_unheld" not in warning[0].get("classname") or \
                "signal_without_mutex" not in (warning[0].findtext("system-out") or ""):
            fail(f"junit: the warning should pass, with its stack in system-out:\n{junit.stdout}")
        inlined = next(case for case in failed if "lock_pair_in_order" in case.find("failure").text)
        if "[inlined]" not in inlined.find("failure").text:
            fail("junit: the inlined helper should be shown as an [inlined] frame")

    # Escaping: a record whose strings hold XML markup and a control character still parses.
    with tempfile.TemporaryDirectory(prefix="lockwatch-junit-") as directory:
        nasty = "a <b> & \"c\" 'd' \x01 ]]>"
        record = {"type": "finding", "kind": "misuse", "subkind": "relock", "severity": "error",
                  "fingerprint": "00000000000000ff", "message": nasty, "threads": [], "locks": [],
                  "thread": 1, "stack": [{"pc": "0x1", "module": "/x/a&b", "offset": "0x1",
                                          "function": "operator<(A&, B&)", "file": "<stdin>", "line": 3}]}
        with open(os.path.join(directory, "hand.jsonl"), "w") as output:
            output.write(json.dumps({"type": "start", "pid": 1, "exe": "/x"}) + "\n")
            output.write(json.dumps(record) + "\n")
        junit = run([cli, "report", "--format", "junit", directory])
        root = ElementTree.fromstring(junit.stdout)
        failure = root.find("testsuite/testcase/failure")
        if failure is None or failure.get("message") != nasty.replace("\x01", "") or \
                "operator<(A&, B&)" not in failure.text:
            fail(f"junit: markup must round-trip through escaping:\n{junit.stdout}")
        dot = run([cli, "report", "--format", "dot", directory])
        if dot.returncode != 66 or "\x01" in dot.stdout:
            fail(f"dot: control characters must be dropped: {dot.stdout!r}")

    # No findings: one passing testcase, exit 0; an empty graph.
    with tempfile.TemporaryDirectory(prefix="lockwatch-clean-") as directory:
        run_samples(library, samples, directory, "ordered")
        junit = run([cli, "report", "--format", "junit", directory])
        root = ElementTree.fromstring(junit.stdout)
        cases = root.findall("testsuite/testcase")
        if junit.returncode != 0 or len(cases) != 1 or cases[0].find("failure") is not None:
            fail(f"junit without findings: one passing testcase and exit 0, got {junit.returncode}:\n{junit.stdout}")
        dot = run([cli, "report", "--format", "dot", directory])
        if dot.returncode != 0 or " -> \"" in dot.stdout:
            fail(f"dot without findings: no edges, exit 0:\n{dot.stdout}")


def check_bad_input(cli: str, library: str, samples: str) -> None:
    with tempfile.TemporaryDirectory(prefix="lockwatch-bad-") as directory:
        marker = os.path.join(directory, "ran")
        touch = ["/bin/sh", "-c", f"touch {marker}"]
        file_path = os.path.join(directory, "plain-file")
        open(file_path, "w").close()

        # Usage.
        for what, arguments, needles in (
                ("no subcommand", [], ["subcommand"]),
                ("unknown subcommand", ["frob"], ["unknown subcommand 'frob'"]),
                ("unknown option", ["report", "--bogus", directory], ["--bogus"]),
                ("unknown format", ["report", "--format", "xml", directory], ["xml"]),
                ("no command", ["run"], ["lockwatch run [options] -- CMD"]),
                ("no command after --", ["run", "--"], ["lockwatch run [options] -- CMD"]),
                ("no report paths", ["report"], ["lockwatch report PATH"]),
                ("exitcode out of range", ["run", "--exitcode", "300", "--", "true"], ["300"]),
                ("a command that does not exist", ["run", "--", "/no/such/program"], ["/no/such/program", "PATH"]),
                ("a command that does not exist, --log-path", ["run", "--log-path", f"{directory}/lw", "--",
                                                               "/no/such/program"], ["/no/such/program"]),
                ("an option without =", ["run", "-o", "stall_ms", "--", "true"], ["key=value"]),
                ("dump of a word", ["dump", "abc"], ["positive whole number", "'abc'"]),
                ("dump of pid 0", ["dump", "0"], ["positive whole number", "'0'"]),
                ("dump of a negative pid", ["dump", "-5"], ["positive whole number"]),
        ):
            expect_one_error_line(what, run([cli, *arguments]), *needles)

        # Files the run needs are checked before CMD runs: it must not run for nothing.
        for what, arguments, needles in (
                ("unreadable --baseline", ["--baseline", "/no/such/baseline.json"], ["/no/such/baseline.json"]),
                ("a --baseline that is not one", ["--baseline", file_path], ["not a lockwatch baseline"]),
                ("unreadable --suppressions", ["--suppressions", "/no/such.supp"], ["/no/such.supp"]),
                ("a directory as --suppressions", ["--suppressions", directory], ["directory"]),
                ("--out that is a file", ["--out", file_path], [file_path]),
                ("--out under a file", ["--out", f"{file_path}/sub"], [file_path]),
                ("--log-path in a missing directory", ["--log-path", "/no/such/dir/lw"], ["/no/such/dir"]),
        ):
            expect_one_error_line(what, run([cli, "run", *arguments, "--", *touch]), *needles)
            if os.path.exists(marker):
                fail(f"{what}: the command ran although the run could not work")

        # Report input.
        reports = os.path.join(directory, "reports")
        os.mkdir(reports)
        expect_one_error_line("a directory with no reports", run([cli, "report", reports]), "no reports", reports)
        expect_one_error_line("a missing report", run([cli, "report", f"{reports}/none.jsonl"]), "none.jsonl")
        unreadable = os.path.join(directory, "socket.jsonl")
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(unreadable)  # exists, but cannot be opened as a file (even by root)
        expect_one_error_line("an unreadable report file", run([cli, "report", unreadable]), unreadable)
        listener.close()
        if os.geteuid() != 0:
            locked = os.path.join(directory, "locked.jsonl")
            open(locked, "w").close()
            os.chmod(locked, 0)
            expect_one_error_line("a report file without read permission", run([cli, "report", locked]), locked)
        expect_one_error_line("unreadable --baseline on report",
                              run([cli, "report", "--baseline", "/no/such/b.json", reports]), "/no/such/b.json")

        run_samples(library, samples, reports, "abba")
        [report_file] = [os.path.join(reports, name) for name in os.listdir(reports)]
        with open(report_file) as source:
            lines = source.read().splitlines(keepends=True)
        # A truncated last line, as a process killed mid-write leaves it: a warning, the rest read.
        with open(report_file, "w") as output:
            output.writelines(lines[:-1])
            output.write(lines[-1][: len(lines[-1]) // 2])
        truncated = run([cli, "report", reports])
        warnings = truncated.stderr.strip().splitlines()
        if truncated.returncode != 66 or len(warnings) != 1 or not warnings[0].startswith("lockwatch: warning: ") \
                or f"{report_file}:{len(lines)}" not in warnings[0] or "1 distinct finding" not in truncated.stdout:
            fail(f"a truncated last line: one warning naming it, the findings still read, exit 66; got "
                 f"{truncated.returncode}:\n{truncated.stderr}{truncated.stdout}")
        # Garbage in the middle is corruption: an error naming the file and line.
        with open(report_file, "w") as output:
            output.writelines([lines[0], "garbage\n", *lines[1:]])
        expect_one_error_line("garbage in the middle of a report", run([cli, "report", reports]), f"{report_file}:2")
        # A garbage last line that does end with a newline was written whole: corruption too.
        with open(report_file, "w") as output:
            output.writelines([*lines, "garbage\n"])
        expect_one_error_line("a complete garbage last line", run([cli, "report", reports]),
                              f"{report_file}:{len(lines) + 1}")
        # Fields of the wrong type: an error or a report, never a crash.
        record = json.loads(next(line for line in lines if '"finding"' in line))
        record["locks"] = 5
        record["cycle"][0]["held_stack"][0]["line"] = "twelve"
        with open(report_file, "w") as output:
            output.writelines([lines[0], json.dumps(record) + "\n"])
        for report_format in ("text", "json", "sarif", "dot", "junit"):
            odd = run([cli, "report", "--format", report_format, reports])
            if odd.returncode not in (2, 66) or "terminate called" in odd.stderr or \
                    len(odd.stderr.strip().splitlines()) > 1:
                fail(f"--format {report_format}: a record with odd field types must not crash: "
                     f"{odd.returncode}\n{odd.stderr}")

        check_unwatchable(cli, samples, directory)


def check_unwatchable(cli: str, samples: str, directory: str) -> None:
    """lockwatch run says before CMD runs when the loader will not preload lockwatch into it
    (statically linked; secure execution), runs it all the same with its status, and adds no
    'no process reported' warning after it; a set-user-ID program that runs as the caller's own
    real user is no secure execution, and is watched."""
    def expect_warning(what: str, command: list[str], needles: tuple[str, ...], status: int) -> None:
        # stderr and stdout in one pipe: the warning must come before the program's output.
        result = subprocess.run([cli, "run", "--", *command], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, timeout=120)
        lines = result.stdout.splitlines()
        warnings = [line for line in lines if line.startswith("lockwatch: ")]
        if result.returncode != status or len(warnings) != 1 or lines[0] != warnings[0] or \
                not warnings[0].startswith(f"lockwatch: warning: '{command[0]}' ") or \
                not warnings[0].endswith("so lockwatch cannot watch it") or not all(n in warnings[0] for n in needles):
            fail(f"{what}: expected exit {status} and one warning, first, naming {needles}; got "
                 f"{result.returncode}:\n{result.stdout}")

    static_abba = os.path.join(samples, "static_abba")
    if os.path.exists(static_abba):
        expect_warning("a static CMD", [static_abba], ("statically linked", "no program interpreter"), 0)
    else:
        print("note: no static_abba sample (no libc.a): the static-binary warning is checked on /sbin/ldconfig only")
    static = "/sbin/ldconfig"
    probe = subprocess.run(["ldd", static], capture_output=True) if os.path.exists(static) else None
    if probe is not None and b"statically linked" in probe.stdout + probe.stderr:
        expect_warning("a static CMD in PATH", [static, "--version"], ("statically linked",), 0)
    script = os.path.join(directory, "script-on-static")
    with open(script, "w") as output:
        output.write(f"#!{static_abba if os.path.exists(static_abba) else static}\n")
    os.chmod(script, 0o755)
    expect_warning("a script whose interpreter is static", [script], ("runs the interpreter", "statically linked"), 0)

    # Set-user-ID and set-group-ID copies of abba. The loader ignores LD_PRELOAD only when exec
    # changes the effective user or group away from the real one.
    nosuid = os.statvfs(directory).f_flag & os.ST_NOSUID
    abba = os.path.join(directory, "abba-setid")
    for what, mode, owner in (("set-user-ID", 0o4755, "user"), ("set-group-ID", 0o2755, "group")):
        shutil.copy(os.path.join(samples, "abba"), abba)
        other = os.geteuid() == 0  # root can give the file to nobody / nogroup
        if other:
            os.chown(abba, 65534 if owner == "user" else -1, 65534 if owner == "group" else -1)
        os.chmod(abba, mode)
        if other and not nosuid:
            expect_warning(f"a {what} CMD", [abba], (what, "secure-execution", "ignores LD_PRELOAD"), 0)
        else:  # its own real user or group (or a nosuid mount): the loader preloads lockwatch
            result = run([cli, "run", "-q", "--", abba])
            if result.returncode != 66 or "lockwatch: warning" in result.stderr:
                fail(f"a {what} CMD of the caller's own: watched (exit 66), no warning; got {result.returncode}:\n"
                     f"{result.stderr}")
        os.remove(abba)
    if os.geteuid() == 0 and not nosuid:
        # root running a set-user-ID-root program: no secure execution, so it is watched.
        shutil.copy(os.path.join(samples, "abba"), abba)
        os.chmod(abba, 0o4755)
        result = run([cli, "run", "-q", "--", abba])
        if result.returncode != 66 or "lockwatch: warning" in result.stderr:
            fail(f"root running a set-user-ID-root CMD is watched (exit 66), no warning; got {result.returncode}:\n"
                 f"{result.stderr}")


def check_run(cli: str, library: str, samples: str) -> None:
    abba = os.path.join(samples, "abba")
    ordered = os.path.join(samples, "ordered")
    with tempfile.TemporaryDirectory(prefix="lockwatch-run-") as directory:
        os.mkdir(os.path.join(directory, "sub"))
        # Relative --out and --log-path, and a process that changes directory: its report still
        # lands in the run's directory, and counts.
        moved = run([cli, "run", "-q", "--out", "relative", "--", "sh", "-c", f"cd sub && {abba}"], cwd=directory)
        if moved.returncode != 66 or not findings_of(cli, os.path.join(directory, "relative")):
            fail(f"run --out relative, CMD in another directory: exit {moved.returncode}, expected 66 and abba's "
                 f"finding in {directory}/relative: {moved.stderr}")
        run([cli, "run", "-q", "--log-path", "logs", "--", "sh", "-c", f"cd sub && {abba}"], cwd=directory)
        logs = [os.path.join(directory, name) for name in os.listdir(directory) if name.startswith("logs.")]
        if not logs or not findings_of(cli, *logs):
            fail(f"run --log-path logs, CMD in another directory: abba's finding should be in "
                 f"{directory}/logs.<pid>.jsonl: {os.listdir(directory)}")
        # The exit status on errors: the exitcode the processes apply, from -o or --exitcode.
        for options, expected in ((["-o", "exitcode=7"], 7), (["-o", "exitcode=7", "--exitcode", "9"], 9),
                                  (["-o", "exitcode=0"], 0)):
            status = run([cli, "run", "-q", *options, "--", abba]).returncode
            if status != expected:
                fail(f"run {' '.join(options)} over abba: exit {status}, expected {expected}")
        # An --out directory that holds an earlier run's findings: a clean run is still clean.
        reused = os.path.join(directory, "reused")
        run([cli, "run", "-q", "--out", reused, "--", abba])
        clean = run([cli, "run", "-q", "--out", reused, "--", ordered])
        if clean.returncode != 0 or "inversion" in clean.stderr:
            fail(f"a clean run into a reused --out: exit {clean.returncode}, expected 0: {clean.stderr}")
        # SIGTERM to `run` alone ends CMD too.
        marker = os.path.join(directory, "still-running")
        runner = subprocess.Popen([cli, "run", "--", "sh", "-c", f"sleep 30; touch {marker}"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
        runner.terminate()
        runner.wait(timeout=30)
        pids = run(["pgrep", "-f", f"touch {marker}"]).stdout.split()
        if pids:
            for pid in pids:
                os.kill(int(pid), signal.SIGKILL)
            fail("SIGTERM to lockwatch run left CMD running")
        # A stripped program: its sites are module+offset, never its callers' lines in the C library.
        stripped = os.path.join(directory, "abba_stripped")
        shutil.copy(abba, stripped)
        if shutil.which("strip"):
            run(["strip", stripped])
            out = os.path.join(directory, "stripped")
            run([cli, "run", "-q", "--out", out, "--", stripped])
            text = run([cli, "report", out]).stdout
            sites = [line.strip() for line in text.splitlines() if line.startswith("  at ")]
            if len(sites) != 4 or not all(site.startswith("at abba_stripped+0x") for site in sites):
                fail(f"a stripped program's sites should be abba_stripped+offset:\n{text}")


def check_demo(cli: str, library: str, samples: str) -> None:
    demo = run([cli, "demo"])
    if demo.returncode != 0:
        fail(f"lockwatch demo exited {demo.returncode}:\n{demo.stdout}\n{demo.stderr}")
    for needle in ("==lockwatch== ERROR: lock-order inversion", "Finding: lock_order_inversion",
                   "Finding: misuse/unlock_not_owner", "Fix: let the thread that locked it unlock it",
                   "ordered: 8 threads", "No findings", "ran as expected"):
        if needle not in demo.stdout:
            fail(f"lockwatch demo should print {needle!r}:\n{demo.stdout}")
    if demo.stdout.count("What it means:") != 2 or demo.stdout.count("How to fix it:") != 2:
        fail(f"lockwatch demo should explain each of its two findings:\n{demo.stdout}")
    with tempfile.TemporaryDirectory(prefix="lockwatch-demo-") as directory:
        # A CLI beside its library, but without the samples of a build tree.
        os.makedirs(os.path.join(directory, "bin"))
        os.makedirs(os.path.join(directory, "lib"))
        shutil.copy(cli, os.path.join(directory, "bin", "lockwatch"))
        os.symlink(library, os.path.join(directory, "lib", "liblockwatch.so"))
        expect_one_error_line("demo without samples", run([os.path.join(directory, "bin", "lockwatch"), "demo"]),
                              "not built", "cmake --build")
        os.remove(os.path.join(directory, "lib", "liblockwatch.so"))
        expect_one_error_line("demo without the library",
                              run([os.path.join(directory, "bin", "lockwatch"), "demo"]), "liblockwatch.so")


def main() -> int:
    scenarios = {"formats": check_formats, "bad-input": check_bad_input, "demo": check_demo, "run": check_run}
    if len(sys.argv) != 5 or sys.argv[1] not in scenarios:
        print(f"usage: check_cli.py {'|'.join(scenarios)} LOCKWATCH_CLI LIBRARY SAMPLES_DIR", file=sys.stderr)
        return 2
    scenarios[sys.argv[1]](*sys.argv[2:])
    print(f"PASS: lockwatch {sys.argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
