# A real server under a real client: Debian's memcached, on 127.0.0.1 only, driven for a fixed time
# by memcaslap (Debian 12's name for libmemcached's memaslap). Only the server is preloaded; the
# client always runs natively. Every run is bounded: memcaslap by -t, each process by a timeout.
"""One memcached + memcaslap run: throughput, p99 latency and the server's peak RSS."""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

CLIENT_THREADS = 2
CLIENT_CONCURRENCY = 32
CLIENT_WINDOW = "1k"  # keys per concurrency: keeps memcaslap's own warm-up short
SERVER_START_SECONDS = 10


class LoadError(Exception):
    """The server or the client failed; the message is the one line the user sees."""


def missing():
    """Why this workload cannot run here, or None."""
    absent = [name for name in ("memcached", "memcaslap") if not shutil.which(name)]
    if absent:
        return f"{' and '.join(absent)} not installed (tools/setup.sh installs memcached, libmemcached-tools)"
    return None


def free_loopback_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_listening(port, server):
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise LoadError(f"memcached exited with {server.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise LoadError(f"memcached did not listen on 127.0.0.1:{port} within {SERVER_START_SECONDS} s")


def peak_rss_kib(pid):
    """The server's own high-water mark (VmHWM), read while it still runs."""
    match = re.search(r"^VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.MULTILINE)
    return int(match.group(1)) if match else -1


def p99_from_log2_histogram(text):
    """p99 latency in µs from memcaslap's "Total Statistics" Log2 Dist. Bucket r counts latencies in
    (2^(r-1), 2^r] µs; the percentile is interpolated geometrically inside its bucket, so it is an
    estimate good to well within a factor of two, not an exact order statistic."""
    total = text.rfind("Total Statistics (")
    block = text[total:].split("Log2 Dist:", 1)[-1] if total >= 0 else ""
    counts = {}
    for line in block.splitlines()[1:]:
        match = re.match(r"\s*(\d+):((?:\s+\d+)+)\s*$", line)
        if not match:
            break
        for offset, count in enumerate(match.group(2).split()):
            counts[int(match.group(1)) + offset] = int(count)
    events = sum(counts.values())
    if not events:
        return None
    wanted, seen = 0.99 * events, 0
    for bucket in sorted(counts):
        if counts[bucket] and seen + counts[bucket] >= wanted:
            fraction = (wanted - seen) / counts[bucket]
            return 2.0 ** (bucket - 1 + fraction)
        seen += counts[bucket]
    return None


def run_load(seconds, lib=None, report_dir=None, options="", after_load=None):
    """Starts memcached (under LD_PRELOAD=lib when given, reports into report_dir, with extra
    LOCKWATCH_OPTIONS options), drives it for seconds with memcaslap, calls after_load(port) if
    given, stops it with SIGTERM; returns throughput, p99, the server's peak RSS, its exit status
    and output, and what after_load returned."""
    port = free_loopback_port()
    env = {key: value for key, value in os.environ.items() if key not in ("LD_PRELOAD", "LOCKWATCH_OPTIONS")}
    if lib:
        env["LD_PRELOAD"] = str(lib)
        env["LOCKWATCH_OPTIONS"] = f"log_path={report_dir}/memcached" + (f":{options}" if options else "")
    server_argv = ["memcached", "-l", "127.0.0.1", "-p", str(port), "-U", "0"]
    if os.geteuid() == 0:
        server_argv += ["-u", "nobody"]
    with tempfile.TemporaryFile(mode="w+") as server_log:
        server = subprocess.Popen(server_argv, env=env, stdout=server_log, stderr=server_log)
        try:
            wait_until_listening(port, server)
            client = subprocess.run(
                ["memcaslap", "-s", f"127.0.0.1:{port}", "-t", f"{seconds}s", "-S", f"{seconds}s",
                 "-T", str(CLIENT_THREADS), "-c", str(CLIENT_CONCURRENCY), "-w", CLIENT_WINDOW],
                capture_output=True, text=True, timeout=seconds + 60)
            rss = peak_rss_kib(server.pid)
            checked = after_load(port) if after_load else None
        except subprocess.TimeoutExpired:
            raise LoadError(f"memcaslap did not finish within {seconds + 60} s") from None
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        server_log.seek(0)
        server_output = server_log.read()
    throughput = re.search(r"Run time: [\d.]+s Ops: (\d+) TPS: (\d+)", client.stdout)
    if client.returncode != 0 or not throughput:
        last_line = (client.stderr or client.stdout).strip().splitlines()[-1:] or ["(no output)"]
        raise LoadError(f"memcaslap exited with {client.returncode}: {last_line[0]}")
    return {"tool": "lockwatch" if lib else "native", "seconds": seconds, "ops": int(throughput.group(1)),
            "ops_per_second": int(throughput.group(2)), "p99_us": p99_from_log2_histogram(client.stdout),
            "maxrss_kib": rss, "server_status": server.returncode, "server_output": server_output,
            "after_load": checked}
