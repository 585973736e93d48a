#!/usr/bin/env python3
# Issue 7, "lockwatch never breaks the program it watches", checked on real programs from Debian
# packages: memcached under memcaslap, CPython's threading and concurrent.futures, xz/zstd/pigz with
# threads, sort --parallel, SQLite from several threads, and a program linked with jemalloc or
# tcmalloc (each also preloaded beside lockwatch, in both orders). Each runs natively and then under
# LD_PRELOAD=liblockwatch.so, in pairs; the pair must agree on exit status, stdout, stderr and output
# files (by checksum), the lockwatch run must leave reports and no finding that is not triaged
# below, and neither may crash or hang (every run has a timeout). Standard library only.
"""Run real programs natively and under liblockwatch.so and compare status, output, findings and time."""

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "bench"))
import memcached_load  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HELPERS = ROOT / "tools" / "real_programs"
# Debian's interpreter, never a version manager's shim (a shell script that starts several
# processes before Python, each of them preloaded).
PYTHON = Path("/usr/bin/python3")
SETUP_HINT = "tools/setup.sh installs it"


@dataclass(frozen=True)
class Sizes:
    data_bytes: int  # the word file that xz, zstd, pigz and sort work on
    sort_buffer: str  # sort -S: well under the input, so sort spills and merges temporary files
    memcached_seconds: int
    python_items: int
    sqlite_rows: int  # per thread
    alloc_rounds: int  # per thread
    reps: int
    timeout: int  # seconds for a native run; a lockwatch run gets max(this, 30 × its native time)


FULL = Sizes(200_000_000, "64M", 5, 100_000, 5_000, 400_000, 3, 600)
QUICK = Sizes(8_000_000, "2M", 3, 2_000, 300, 50_000, 1, 120)


@dataclass(frozen=True)
class ExpectedFinding:
    """A finding triaged as the program's own behaviour (see README, Real programs): it is shown,
    marked with why, and does not fail the run."""

    program: str  # a prefix of the program's name
    kind: str
    function: str  # a regular expression one of the finding's frames' function names must match
    why: str


EXPECTED_FINDINGS = [
    ExpectedFinding(
        "sqlite", "long_hold", r"^sqlite3_step$",
        "SQLite holds its connection's mutex for a whole sqlite3_step, including the busy handler's "
        "sleeps while another connection writes; only that connection's thread uses it, so nobody waits"),
]


@dataclass
class Outcome:
    """One run of a program (natively or under lockwatch)."""

    status: object = None  # exit status (or a tuple of them, one per step); "timeout" when killed
    outputs: dict = field(default_factory=dict)  # name -> checksum or short text
    stderr: str = ""
    seconds: float = 0.0
    cost: float = 0.0  # what the ratio compares: seconds, or seconds per operation for a server
    error: str = ""  # the run could not be made or checked at all


class RunFailed(Exception):
    """A program could not be run at all (missing, or its helper did not build)."""


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def environment(preload=None, report_dir=None):
    """The programs' environment: the caller's without any preload, in the C locale; with preload,
    LD_PRELOAD and LOCKWATCH_OPTIONS. quiet=1: findings are read from the reports, and stderr
    stays comparable with the native run's."""
    env = {key: value for key, value in os.environ.items() if key not in ("LD_PRELOAD", "LOCKWATCH_OPTIONS")}
    env["LC_ALL"] = "C"
    if preload:
        env["LD_PRELOAD"] = preload
        env["LOCKWATCH_OPTIONS"] = f"log_path={report_dir}/report:quiet=1"
    return env


def run_steps(steps, env, timeout):
    """Runs each step ({argv, stdin, stdout} with paths, stdout None for in-memory), stopping at
    the first that fails. Returns an Outcome with per-step statuses, stdout checksums and stderr."""
    outcome = Outcome()
    statuses, errors = [], []
    started = time.monotonic()
    for index, step in enumerate(steps):
        remaining = timeout - (time.monotonic() - started)
        stdin = open(step["stdin"], "rb") if step.get("stdin") else subprocess.DEVNULL
        stdout = open(step["stdout"], "wb") if step.get("stdout") else subprocess.PIPE
        try:
            process = subprocess.Popen(step["argv"], stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, env=env,
                                       cwd=step.get("cwd"), start_new_session=True)
            try:
                out, err = process.communicate(timeout=max(1.0, remaining))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
                statuses.append("timeout")
                errors.append(f"{step['argv'][0]}: killed after {timeout:.0f} s")
                break
        finally:
            if stdin is not subprocess.DEVNULL:
                stdin.close()
            if stdout is not subprocess.PIPE:
                stdout.close()
        statuses.append(process.returncode)
        errors.append(err.decode(errors="replace"))
        name = step.get("name", f"step{index}")
        outcome.outputs[f"{name} stdout"] = sha256_file(step["stdout"]) if step.get("stdout") else \
            hashlib.sha256(out).hexdigest()[:16]
        if process.returncode != 0:
            break
    outcome.seconds = outcome.cost = time.monotonic() - started
    outcome.status = statuses[0] if len(statuses) == 1 else tuple(statuses)
    outcome.stderr = "".join(errors)
    return outcome


class Program:
    """A row of the table: how to run it once, natively or under a preload."""

    name = ""
    what = ""

    def missing(self):
        """Why it cannot run here (a tool or library not installed), or None."""
        return None

    def prepare(self, work):
        """One-time set-up before the first run (build helpers, make input)."""

    def run(self, work, env, timeout):
        """One run in env (from environment()); returns its Outcome."""
        raise NotImplementedError

    def preloads(self, lib):
        """The LD_PRELOAD values of the lockwatch runs: one, unless the program also needs another
        library preloaded."""
        return [str(lib)]


def missing_commands(*names):
    absent = [name for name in names if not shutil.which(name)]
    return f"{', '.join(absent)} not installed ({SETUP_HINT})" if absent else None


class WordsFile:
    """The deterministic input of the compressors and sort: lines of 3-14 words drawn from a
    30,000-word vocabulary with Zipf-like weights by a seeded generator. Compressible (about 3:1)
    but not trivially. Made once per size and kept in the cache directory."""

    SEED = 7

    def __init__(self, size):
        self.size = size
        self.path = None
        self.checksum = None

    def ensure(self, cache):
        self.path = cache / f"words-{self.size}-seed{self.SEED}.txt"
        if not self.path.exists() or self.path.stat().st_size != self.size:
            print(f"real_programs.py: making {self.path} ({self.size / 1e6:.0f} MB, once)", file=sys.stderr, flush=True)
            partial = self.path.with_suffix(f".{os.getpid()}.partial")
            self.write(partial)
            os.replace(partial, self.path)
        self.checksum = sha256_file(self.path)

    def write(self, path):
        generator = random.Random(self.SEED)
        letters = "etaoinshrdlcumwfgypbvkjxqz"
        vocabulary = ["".join(generator.choices(letters, weights=range(26, 0, -1), k=generator.randint(2, 12)))
                      for _ in range(30_000)]
        cumulative, total = [], 0.0
        for rank in range(len(vocabulary)):
            total += 1.0 / (rank + 1) ** 1.1
            cumulative.append(total)
        written = 0
        with open(path, "w") as stream:
            while written < self.size:
                words = generator.choices(vocabulary, cum_weights=cumulative, k=200_000)
                lines, start = [], 0
                while start < len(words):
                    count = generator.randint(3, 14)
                    lines.append(" ".join(words[start:start + count]))
                    start += count
                text = "\n".join(lines) + "\n"
                if written + len(text) > self.size:
                    text = text[:self.size - written - 1] + "\n"
                stream.write(text)
                written += len(text)


class Compressor(Program):
    """Compresses the words file with threads, checks the round trip, and compares the compressed
    bytes (each tool is deterministic for the same options and thread count)."""

    def __init__(self, name, compress, decompress, words):
        self.name, self.compress, self.decompress, self.words = name, compress, decompress, words
        self.what = f"{' '.join(compress)} < the {words.size / 1e6:.0f} MB words file, then {' '.join(decompress)}"

    def missing(self):
        return missing_commands(self.compress[0])

    def run(self, work, env, timeout):
        compressed = work / "compressed"
        restored = work / "restored"
        outcome = run_steps([
            {"name": "compress", "argv": self.compress, "stdin": self.words.path, "stdout": compressed},
            {"name": "decompress", "argv": self.decompress, "stdin": compressed, "stdout": restored},
        ], env, timeout)
        if outcome.outputs.get("decompress stdout"):
            outcome.outputs["round trip"] = "ok" if outcome.outputs["decompress stdout"] == self.words.checksum \
                else "MISMATCH"
        for path in (compressed, restored):
            path.unlink(missing_ok=True)
        return outcome


class Sort(Program):
    name = "sort --parallel=2"

    def __init__(self, words, buffer):
        self.words, self.buffer = words, buffer
        self.what = (f"LC_ALL=C sort --parallel=2 -S {buffer} of the {words.size / 1e6:.0f} MB words file (spills to "
                     "temporary files and merges them)")

    def missing(self):
        return missing_commands("sort")

    def run(self, work, env, timeout):
        spill = work / "sort-tmp"
        spill.mkdir(exist_ok=True)
        sorted_path = work / "sorted"
        outcome = run_steps([{"name": "sort", "argv": ["sort", "--parallel=2", "-S", self.buffer, "-T", str(spill),
                                                        str(self.words.path)], "stdout": sorted_path}], env, timeout)
        sorted_path.unlink(missing_ok=True)
        shutil.rmtree(spill, ignore_errors=True)
        return outcome


class PythonThreads(Program):
    name = "python3 threading"

    def __init__(self, items):
        self.items = items
        self.what = (f"{PYTHON} tools/real_programs/python_threads.py {items}: locks, conditions, queues, events, "
                     "barrier, semaphore; ThreadPoolExecutor, ProcessPoolExecutor (fork and spawn)")

    def missing(self):
        return None if PYTHON.exists() else f"{PYTHON} not installed ({SETUP_HINT})"

    def run(self, work, env, timeout):
        return run_steps([{"name": "python", "argv": [str(PYTHON), str(HELPERS / "python_threads.py"),
                                                      str(self.items)]}], env, timeout)


class SqliteThreads(Program):
    name = "sqlite3, 4 threads (WAL)"

    def __init__(self, rows):
        self.rows = rows
        self.what = (f"{PYTHON} tools/real_programs/sqlite_threads.py: 4 threads, a connection each to one WAL "
                     f"database, {rows} rows each inserted in batches with selects between, busy timeout")

    def missing(self):
        if not PYTHON.exists():
            return f"{PYTHON} not installed ({SETUP_HINT})"
        probe = subprocess.run([str(PYTHON), "-c", "import sqlite3"], capture_output=True)
        return None if probe.returncode == 0 else f"{PYTHON} has no sqlite3 module"

    def run(self, work, env, timeout):
        database = work / "threads.db"
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        return run_steps([{"name": "sqlite", "argv": [str(PYTHON), str(HELPERS / "sqlite_threads.py"), str(database),
                                                      str(self.rows)]}], env, timeout)


def find_shared_library(name):
    """The path of a shared library by its soname, from the loader's cache."""
    listing = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True).stdout
    for line in listing.splitlines():
        parts = line.strip().split(" => ")
        if len(parts) == 2 and parts[0].split()[0] == name and "x86-64" in parts[0]:
            return parts[1]
    return None


class AllocThreads(Program):
    """tools/real_programs/alloc_threads.c linked with an allocator that locks in malloc, under
    lockwatch with the allocator preloaded too, lockwatch first or second."""

    def __init__(self, allocator, link_name, soname, rounds, lockwatch_first):
        self.allocator, self.link_name, self.soname, self.rounds = allocator, link_name, soname, rounds
        self.lockwatch_first = lockwatch_first
        order = f"liblockwatch.so {soname}" if lockwatch_first else f"{soname} liblockwatch.so"
        self.name = f"alloc_threads + {allocator}, preload {'lockwatch first' if lockwatch_first else allocator + ' first'}"
        self.what = (f"alloc_threads {rounds} linked with -l{link_name}; LD_PRELOAD=\"{order}\"; native: "
                     "the same binary without preload")
        self.binary = None
        self.library = None

    def missing(self):
        if not shutil.which("cc"):
            return f"cc not installed ({SETUP_HINT})"
        self.library = find_shared_library(self.soname)
        if not self.library:
            return f"{self.soname} not installed ({SETUP_HINT})"
        return None

    def prepare(self, work):
        source = HELPERS / "alloc_threads.c"
        self.binary = work / f"alloc_threads_{self.link_name}"
        if self.binary.exists():
            return
        partial = self.binary.with_suffix(f".{os.getpid()}.partial")
        build = subprocess.run(["cc", "-O2", "-g", "-pthread", "-o", str(partial), str(source),
                                f"-l{self.link_name}"], capture_output=True, text=True)
        if build.returncode != 0:
            raise RunFailed(f"cc {source} -l{self.link_name} failed: {build.stderr.strip()[-400:]} ({SETUP_HINT})")
        os.replace(partial, self.binary)

    def preloads(self, lib):
        return [f"{lib} {self.library}" if self.lockwatch_first else f"{self.library} {lib}"]

    def run(self, work, env, timeout):
        return run_steps([{"name": "alloc", "argv": [str(self.binary), str(self.rounds)]}], env, timeout)


def memcached_transcript(port):
    """A fixed conversation with the server after the load (keys memcaslap never uses): every
    reply must be the same natively and under lockwatch. Returns (checksum, replies)."""
    replies = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        reader = connection.makefile("rb")

        def send(command, value=None, lines=1):
            payload = command.encode() + b"\r\n" + (value.encode() + b"\r\n" if value is not None else b"")
            connection.sendall(payload)
            got = []
            for _ in range(lines):
                got.append(reader.readline().decode().rstrip("\r\n"))
            replies.append(f"{command} -> {' | '.join(got)}")

        for n in range(100):
            key, value = f"lockwatch:check:{n}", f"value-{n * n}"
            send(f"set {key} 0 0 {len(value)}", value)
            send(f"get {key}", lines=3)
            send(f"append {key} 0 0 2", "!!")
            send(f"add {key} 0 0 1", "x")
            send(f"set counter:{n} 0 0 {len(str(n))}", str(n))
            send(f"incr counter:{n} {n * 3}")
            send(f"decr counter:{n} 1")
            if n % 3 == 0:
                send(f"delete {key}")
                send(f"get {key}")
        send("get lockwatch:check:1 lockwatch:check:2 lockwatch:check:3", lines=5)
    text = "\n".join(replies)
    return hashlib.sha256(text.encode()).hexdigest()[:16], replies


class Memcached(Program):
    name = "memcached + memcaslap"

    def __init__(self, seconds):
        self.seconds = seconds
        self.what = (f"memcached on 127.0.0.1 driven {seconds} s by memcaslap (2 threads, 32 connections; not "
                     "preloaded), then a fixed set/get/incr/delete conversation, then SIGTERM; ratio = time per op")

    def missing(self):
        return memcached_load.missing()

    def run(self, work, env, timeout):
        # run_load makes the server's environment itself, from the same preload and directory.
        preload = env.get("LD_PRELOAD")
        report_dir = Path(env["LOCKWATCH_OPTIONS"].split("log_path=", 1)[1].split(":", 1)[0]).parent \
            if preload else None
        if report_dir:
            report_dir.chmod(0o777)  # memcached drops root for nobody, and its reports must still be written
        outcome = Outcome()
        started = time.monotonic()
        try:
            result = memcached_load.run_load(self.seconds, preload, report_dir, options="quiet=1",
                                             after_load=memcached_transcript)
        except (memcached_load.LoadError, OSError) as error:
            outcome.status, outcome.error = "error", str(error)
            outcome.seconds = time.monotonic() - started
            return outcome
        outcome.seconds = time.monotonic() - started
        outcome.status = result["server_status"]
        outcome.stderr = result["server_output"]
        outcome.outputs["conversation"] = result["after_load"][0]
        outcome.outputs["memcaslap"] = "ok"  # run_load raises when memcaslap fails
        outcome.cost = 1.0 / result["ops_per_second"]
        outcome.ops_per_second = result["ops_per_second"]
        return outcome


def read_reports(report_dir):
    """(start records, finding records) of every report file in report_dir."""
    starts, findings = [], []
    for path in sorted(report_dir.glob("*.jsonl")):
        for line in path.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a killed process: the run's status already says so
            if record.get("type") == "start":
                starts.append(record)
            elif record.get("type") == "finding":
                record["_file"] = str(path)
                findings.append(record)
    return starts, findings


# Where a finding's stacks are, most telling first: the reporting thread's own stack, the cycle's
# edges, related evidence, the thread dump, and last where each lock was first used.
STACK_KEYS = ("stack", "cycle", "related", "thread_dump", "locks")


def frames_of(value, top=True):
    """Every stack (a list of frames) inside a finding record, in STACK_KEYS order."""
    if isinstance(value, list):
        if value and all(isinstance(item, dict) and "pc" in item for item in value):
            yield value
        else:
            for item in value:
                yield from frames_of(item, False)
    elif isinstance(value, dict):
        keys = [key for key in STACK_KEYS if key in value] if top else \
            [key for key in value if not key.startswith("_")]
        for key in keys:
            yield from frames_of(value[key], False)


def describe_frame(frame):
    module = Path(frame.get("module", "?")).name
    where = f"{frame['file']}:{frame.get('line', '?')}" if frame.get("file") else f"{module}+{frame.get('offset', '?')}"
    return f"{frame.get('function', '??')} ({where})"


def finding_sites(finding, limit=4):
    """The first frame outside lockwatch and the C library of each stack, distinct, at most limit."""
    sites = []
    for stack in frames_of(finding):
        for frame in stack:
            module = Path(frame.get("module", "")).name
            if module.startswith(("liblockwatch", "libc.so", "libpthread")):
                continue
            site = describe_frame(frame)
            if site not in sites:
                sites.append(site)
            break
    return sites[:limit]


def expected_reason(program_name, finding):
    functions = {frame.get("function", "") for stack in frames_of(finding) for frame in stack}
    for expected in EXPECTED_FINDINGS:
        if program_name.startswith(expected.program) and finding.get("kind") == expected.kind and \
                any(re.search(expected.function, function) for function in functions):
            return expected.why
    return None


@dataclass
class Row:
    program: Program
    preload: str
    pairs: list = field(default_factory=list)  # (native Outcome, lockwatch Outcome)
    problems: list = field(default_factory=list)
    findings: dict = field(default_factory=dict)  # fingerprint -> (finding, count, expected reason)
    processes: int = 0

    @property
    def failed(self):
        return bool(self.problems) or any(reason is None for _, _, reason in self.findings.values())


def compare(row, native, watched):
    """Adds to row.problems what differs between a native run and the lockwatch run after it."""
    name = row.program.name
    if native.error or watched.error:
        row.problems.append(f"{name}: could not run: {native.error or watched.error}")
        return
    if native.status not in (0, (0, 0)):
        row.problems.append(f"{name}: the native run failed (status {native.status}); stderr: "
                            f"{native.stderr.strip()[-300:]}")
    if watched.status != native.status:
        statuses = watched.status if isinstance(watched.status, tuple) else (watched.status,)
        signals = [signal.Signals(-status).name for status in statuses if isinstance(status, int) and status < 0]
        what = "hung (killed by the timeout)" if "timeout" in statuses else \
            f"crashed ({', '.join(signals)})" if signals else "exited differently"
        row.problems.append(f"{name}: under lockwatch it {what}: status {watched.status}, natively {native.status}; "
                            f"stderr: {watched.stderr.strip()[-600:]!r}")
    for key in sorted(set(native.outputs) | set(watched.outputs)):
        if native.outputs.get(key) != watched.outputs.get(key):
            row.problems.append(f"{name}: {key} differs: native {native.outputs.get(key)}, "
                                f"lockwatch {watched.outputs.get(key)}")
    if native.outputs.get("round trip") not in (None, "ok"):
        row.problems.append(f"{name}: the native round trip does not restore the input")
    if watched.stderr != native.stderr:
        row.problems.append(f"{name}: stderr differs; under lockwatch: {watched.stderr.strip()[-600:]!r}; natively: "
                            f"{native.stderr.strip()[-300:]!r}")


def measure(row, args, work, runs_dir):
    """The row's native/lockwatch pairs; its problems and findings."""
    for rep in range(args.sizes.reps):
        native = row.program.run(work, environment(), args.sizes.timeout)
        report_dir = Path(tempfile.mkdtemp(prefix=f"{slug(row.program.name)}-{rep}-", dir=runs_dir))
        timeout = max(args.sizes.timeout, 30 * native.seconds)
        watched = row.program.run(work, environment(row.preload, report_dir), timeout)
        row.pairs.append((native, watched))
        compare(row, native, watched)
        starts, findings = read_reports(report_dir)
        row.processes = max(row.processes, len(starts))
        if not starts and not watched.error:
            row.problems.append(f"{row.program.name}: no lockwatch report in {report_dir}: the preload did not load")
        for finding in findings:
            fingerprint = finding.get("fingerprint", "?")
            if fingerprint in row.findings:
                first, count, reason = row.findings[fingerprint]
                row.findings[fingerprint] = (first, count + 1, reason)
            else:
                row.findings[fingerprint] = (finding, 1, expected_reason(row.program.name, finding))
        if not findings and not row.problems and not args.keep:
            shutil.rmtree(report_dir, ignore_errors=True)


def slug(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]


def ratio_text(row):
    ratios = [watched.cost / native.cost for native, watched in row.pairs
              if native.cost and watched.cost and not native.error and not watched.error
              and watched.status == native.status]
    if not ratios:
        return "–"
    text = f"{statistics.median(ratios):.2f}×"
    return text + (f" ({min(ratios):.2f}..{max(ratios):.2f})" if len(ratios) > 1 else "")


def native_seconds_text(row):
    values = [native.seconds for native, _ in row.pairs if not native.error]
    return f"{statistics.median(values):.2f}" if values else "–"


def findings_text(row):
    if not row.findings:
        return "0"
    kinds = {}
    for finding, count, reason in row.findings.values():
        label = finding.get("kind", "?") + (f":{finding['subkind']}" if finding.get("subkind") else "")
        label += " (triaged)" if reason else " (NEW)"
        kinds[label] = kinds.get(label, 0) + count
    return ", ".join(f"{label} ×{count}" for label, count in sorted(kinds.items()))


def table_line(cells):
    return "| " + " | ".join(cells) + " |"


def print_findings(row, lockwatch_cli):
    for fingerprint, (finding, count, reason) in row.findings.items():
        kind = finding.get("kind", "?") + (f"/{finding['subkind']}" if finding.get("subkind") else "")
        print(f"  {row.program.name}: {finding.get('severity', '?')} {kind} {fingerprint}, seen {count}×: "
              f"{finding.get('message', '')}")
        for site in finding_sites(finding):
            print(f"      at {site}")
        print(f"      {'triaged: ' + reason if reason else 'NOT TRIAGED'}; report {finding['_file']}")
        if reason is None and lockwatch_cli:
            report = subprocess.run([str(lockwatch_cli), "report", "--format", "text", finding["_file"]],
                                    capture_output=True, text=True)
            for line in (report.stdout + report.stderr).splitlines():
                print(f"      | {line}")


def build_programs(args, words):
    memcached = Memcached(args.sizes.memcached_seconds)
    programs = [
        memcached,
        PythonThreads(args.sizes.python_items),
        Compressor("xz -T2 -1", ["xz", "-T2", "-1", "-c"], ["xz", "-d", "-T2", "-c"], words),
        Compressor("zstd -T2 -3", ["zstd", "-q", "-T2", "-3", "-c"], ["zstd", "-q", "-d", "-c"], words),
        Compressor("pigz -p 2 -3", ["pigz", "-p", "2", "-3", "-c"], ["pigz", "-p", "2", "-d", "-c"], words),
        Sort(words, args.sizes.sort_buffer),
        SqliteThreads(args.sizes.sqlite_rows),
    ]
    for allocator, link_name, soname in (("jemalloc", "jemalloc", "libjemalloc.so.2"),
                                         ("tcmalloc_minimal", "tcmalloc_minimal", "libtcmalloc_minimal.so.4")):
        for lockwatch_first in (True, False):
            programs.append(AllocThreads(allocator, link_name, soname, args.sizes.alloc_rounds, lockwatch_first))
    if args.programs:
        wanted = [pattern.strip().lower() for pattern in args.programs.split(",") if pattern.strip()]
        programs = [program for program in programs if any(pattern in program.name.lower() for pattern in wanted)]
    return programs


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lib", type=Path, default=ROOT / "build" / "lib" / "liblockwatch.so",
                        help="the preload library (default: %(default)s)")
    parser.add_argument("--quick", action="store_true",
                        help="CI sizes: 8 MB of input, 3 s of memcached load, one pair per program")
    parser.add_argument("--reps", type=int, help="native/lockwatch pairs per program (default: 3, --quick 1)")
    parser.add_argument("--programs", help="comma-separated name fragments: run only those programs")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "lockwatch-real-programs",
                        help="where the generated input and built helpers are kept between runs (default: %(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep every run's reports, not only those with findings")
    args = parser.parse_args(argv)
    args.sizes = QUICK if args.quick else FULL
    if args.reps is not None:
        if args.reps < 1:
            parser.error("--reps must be at least 1")
        args.sizes = Sizes(**{**args.sizes.__dict__, "reps": args.reps})
    return args


def main(argv):
    args = parse_args(argv)
    started = time.monotonic()
    lib = args.lib.resolve()
    if not lib.is_file():
        print(f"real_programs.py: error: {args.lib} not found; build it: cmake -S . -B build -G Ninja && "
              "cmake --build build", file=sys.stderr)
        return 2
    lockwatch_cli = lib.parent.parent / "bin" / "lockwatch"
    lockwatch_cli = lockwatch_cli if lockwatch_cli.is_file() else None
    words = WordsFile(args.sizes.data_bytes)
    programs = build_programs(args, words)
    absent = [(program.name, program.missing()) for program in programs]
    absent = [(name, why) for name, why in absent if why]
    for name, why in absent:
        print(f"real_programs.py: error: {name}: {why}", file=sys.stderr)
    if absent:
        return 2
    args.cache.mkdir(parents=True, exist_ok=True)
    if any(isinstance(program, (Compressor, Sort)) for program in programs):
        words.ensure(args.cache)
    runs_dir = Path(tempfile.mkdtemp(prefix="lockwatch-real-programs-runs-"))
    runs_dir.chmod(0o711)  # memcached drops root for nobody, and must still reach its report directory
    work = Path(tempfile.mkdtemp(prefix="work-", dir=args.cache))
    helpers = args.cache / f"helpers-{hashlib.sha256((HELPERS / 'alloc_threads.c').read_bytes()).hexdigest()[:12]}"
    helpers.mkdir(exist_ok=True)
    print(f"lockwatch = LD_PRELOAD={lib} LOCKWATCH_OPTIONS=log_path=…:quiet=1; {args.sizes.reps} native/lockwatch "
          f"pair(s) per program; input {args.sizes.data_bytes / 1e6:.0f} MB of words")
    print("ratio: median of per-pair ratios lockwatch/native wall time (min..max); memcached: time per operation")
    print(table_line(["program", "native s", "ratio", "exit ok", "output ok", "findings", "processes"]))
    print(table_line(["---"] * 7), flush=True)
    rows = []
    try:
        for program in programs:
            try:
                program.prepare(helpers)
            except RunFailed as error:
                row = Row(program, "")
                row.problems.append(f"{program.name}: {error}")
                rows.append(row)
                print(table_line([program.name, "–", "–", "no", "no", "–", "–"]), flush=True)
                continue
            for preload in program.preloads(lib):
                row = Row(program, preload)
                measure(row, args, work, runs_dir)
                rows.append(row)
                exit_ok = all(native.status == watched.status and not native.error and not watched.error
                              for native, watched in row.pairs)
                output_ok = all(native.outputs == watched.outputs and native.stderr == watched.stderr and native.outputs
                                and native.outputs.get("round trip") in (None, "ok") for native, watched in row.pairs)
                print(table_line([program.name, native_seconds_text(row), ratio_text(row), "yes" if exit_ok else "NO",
                                  "yes" if output_ok else "NO", findings_text(row), str(row.processes)]), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    failed = [row for row in rows if row.failed]
    print("\nprograms:")
    for program in programs:
        print(f"  {program.name}: {program.what}")
    if any(row.findings for row in rows):
        print("\nfindings:")
        for row in rows:
            print_findings(row, lockwatch_cli)
    for row in rows:
        for problem in row.problems:
            print(f"real_programs.py: FAIL: {problem}", file=sys.stderr)
        for fingerprint, (finding, _, reason) in row.findings.items():
            if reason is None:
                print(f"real_programs.py: FAIL: {row.program.name}: finding {finding.get('kind')} {fingerprint} is not "
                      "triaged (see above)", file=sys.stderr)
    kept = any(runs_dir.iterdir())
    if not kept:
        shutil.rmtree(runs_dir, ignore_errors=True)
    elapsed = time.monotonic() - started
    verdict = f"{len(failed)} of {len(rows)} programs FAILED" if failed else f"all {len(rows)} programs passed"
    print(f"\n{verdict} in {elapsed:.0f} s" + (f"; reports kept in {runs_dir}" if kept else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
