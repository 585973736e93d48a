#!/usr/bin/env python3
"""Integration test of `lockwatch report` and `lockwatch run`: runs samples under the preload
into one directory, then checks the merged report in every format (text, JSON, SARIF 2.1.0's
required fields), its exit status (66 with error findings), deduplication across processes,
and that corrupt input is one line on stderr and exit 2. Then `lockwatch run` on a shell that
runs the samples as child processes: every process reports into the run directory, and one
merged summary and exit 66 end the run; a clean command stays silent with its own status."""
import json
import os
import subprocess
import sys
import tempfile


def fail(message: str) -> None:
    print(f"FAIL: {message}")
    sys.exit(1)


def main() -> int:
    if len(sys.argv) < 4:
        print("usage: check_report.py LOCKWATCH_CLI LIBRARY SAMPLE...", file=sys.stderr)
        return 2
    cli, library, samples = sys.argv[1], sys.argv[2], sys.argv[3:]
    with tempfile.TemporaryDirectory(prefix="lockwatch-report-") as directory:
        environment = dict(os.environ, LD_PRELOAD=library,
                           LOCKWATCH_OPTIONS=f"log_path={directory}/run:quiet=1:exitcode=0")
        for sample in samples + samples:  # each twice: one finding each, seen twice
            subprocess.run([sample], env=environment, stdout=subprocess.DEVNULL, check=True, timeout=60)

        def report(*arguments: str) -> subprocess.CompletedProcess:
            return subprocess.run([cli, "report", *arguments], capture_output=True, text=True, timeout=60)

        text = report(directory)
        if text.returncode != 66:
            fail(f"text report exited {text.returncode}, expected 66 (error findings)\n{text.stderr}")
        if f"{len(samples)} distinct finding" not in text.stdout or f"in {2 * len(samples)} processes" not in text.stdout:
            fail(f"text report does not merge by fingerprint across processes:\n{text.stdout}")

        merged = json.loads(report("--format", "json", directory).stdout)
        if len(merged["findings"]) != len(samples) or any(f["occurrences"] != 2 for f in merged["findings"]):
            fail(f"JSON report: expected {len(samples)} findings seen twice each: {merged}")

        sarif = json.loads(report("--format", "sarif", directory).stdout)
        if sarif.get("version") != "2.1.0" or not sarif.get("$schema"):
            fail("SARIF: version 2.1.0 and $schema are required")
        run = sarif["runs"][0]
        if run["tool"]["driver"]["name"] != "lockwatch":
            fail("SARIF: tool.driver.name must be lockwatch")
        rule_ids = {rule["id"] for rule in run["tool"]["driver"]["rules"]}
        if len(run["results"]) != len(samples):
            fail(f"SARIF: expected {len(samples)} results, got {len(run['results'])}")
        for result in run["results"]:
            if result["ruleId"] not in rule_ids or result["level"] not in ("error", "warning"):
                fail(f"SARIF: bad ruleId or level in {result}")
            if not result["message"]["text"] or not result["partialFingerprints"]:
                fail(f"SARIF: message.text and partialFingerprints are required: {result}")
            locations = result["locations"]
            if not locations or not all(l["physicalLocation"]["artifactLocation"]["uri"] for l in locations):
                fail(f"SARIF: every result needs locations with an artifact uri: {result}")
            sources = [l for l in locations if "region" in l["physicalLocation"]]
            if not sources or any(l["physicalLocation"]["region"]["startLine"] < 1 for l in sources):
                fail(f"SARIF: the samples have debug info, so a source line is expected: {result}")
            if any(l["physicalLocation"]["artifactLocation"]["uri"].startswith("/usr/") for l in sources):
                fail(f"SARIF: a location points into a system header instead of the program: {result}")
            # Run elsewhere than the sources: absolute file:// URIs, which code scanning cannot map.
            if not all(l["physicalLocation"]["artifactLocation"]["uri"].startswith("file:///") for l in sources):
                fail(f"SARIF: files outside the directory report runs in need file:// URIs: {result}")

        # Run from the sources' directory (as in a CI checkout): relative to %SRCROOT%.
        source = next(frame["file"] for finding in merged["findings"] for edge in finding.get("cycle", [])
                      for frame in edge["held_stack"] if frame.get("file", "").startswith("/"))
        root = os.path.dirname(source)
        rooted = json.loads(subprocess.run([cli, "report", "--format", "sarif", directory], capture_output=True,
                                           text=True, timeout=60, cwd=root).stdout)
        if rooted["runs"][0].get("originalUriBaseIds", {}).get("%SRCROOT%", {}).get("uri") != f"file://{root}/":
            fail(f"SARIF: originalUriBaseIds should name %SRCROOT% as file://{root}/: {rooted['runs'][0]}")
        named = [l["physicalLocation"]["artifactLocation"] for result in rooted["runs"][0]["results"]
                 for l in result["locations"] if "region" in l["physicalLocation"]]
        if not any(location == {"uri": os.path.basename(source), "uriBaseId": "%SRCROOT%"} for location in named):
            fail(f"SARIF: {source} run from {root} should be {os.path.basename(source)} under %SRCROOT%: {named}")

        with open(os.path.join(directory, "corrupt.jsonl"), "w") as corrupt:
            corrupt.write("{not json\n")
        broken = report(directory)
        if broken.returncode != 2 or len(broken.stderr.strip().splitlines()) != 1 or "corrupt.jsonl:1" not in broken.stderr:
            fail(f"a corrupt file must give one line naming it and exit 2, got {broken.returncode}: {broken.stderr}")
        missing = report(os.path.join(directory, "missing"))
        if missing.returncode != 2 or len(missing.stderr.strip().splitlines()) != 1:
            fail(f"a missing path must give one line and exit 2, got {missing.returncode}: {missing.stderr}")
        run_directory = os.path.join(directory, "run-directory")
        script = "; ".join(samples) + "; exit 3"
        run = subprocess.run([cli, "run", "--out", run_directory, "--", "/bin/sh", "-c", script],
                             capture_output=True, text=True, timeout=120)
        if run.returncode != 66:
            fail(f"lockwatch run exited {run.returncode}, expected 66 for the children's findings\n{run.stderr}")
        expected = f"{len(samples)} distinct findings in {len(samples) + 1} processes"
        if expected not in run.stderr:
            fail(f"lockwatch run's summary should say '{expected}':\n{run.stderr}")
        reports = [name for name in os.listdir(run_directory) if name.endswith(".jsonl")]
        if len(reports) != len(samples) + 1:
            fail(f"expected one report per process in the run directory, found {reports}")
        clean = subprocess.run([cli, "run", "--", "/bin/sh", "-c", "exit 3"], capture_output=True, text=True,
                               timeout=60)
        if clean.returncode != 3 or clean.stderr:
            fail(f"a clean command keeps its status and prints nothing: {clean.returncode} {clean.stderr!r}")
        # Baselines: the accepted findings pass, a new one fails, a fixed one is named.
        baseline_path = os.path.join(directory, "baseline.json")
        baseline = subprocess.run([cli, "baseline", run_directory], capture_output=True, text=True, timeout=60)
        if baseline.returncode != 0:
            fail(f"lockwatch baseline failed: {baseline.stderr}")
        with open(baseline_path, "w") as output:
            output.write(baseline.stdout)
        accepted = subprocess.run([cli, "run", "--baseline", baseline_path, "--", samples[0]],
                                  capture_output=True, text=True, timeout=60)
        if accepted.returncode != 0 or "was not seen" not in accepted.stderr:
            fail(f"a baselined finding must pass (0), and the baseline entry not seen must be named: "
                 f"{accepted.returncode}\n{accepted.stderr}")
        first_only = os.path.join(directory, "first-only.json")
        with open(first_only, "w") as output:
            entries = json.loads(baseline.stdout)
            entries["findings"] = [f for f in entries["findings"] if f["fingerprint"] == merged["findings"][0]["fingerprint"]]
            json.dump(entries, output)
        new_finding = subprocess.run([cli, "report", "--baseline", first_only, directory], capture_output=True,
                                     text=True, timeout=60)
        if new_finding.returncode != 2:  # the corrupt file is still in the directory
            fail(f"report over a directory with a corrupt file must still fail with 2: {new_finding.returncode}")
        os.remove(os.path.join(directory, "corrupt.jsonl"))
        new_finding = subprocess.run([cli, "report", "--baseline", first_only, directory], capture_output=True,
                                     text=True, timeout=60)
        if new_finding.returncode != 66 or "BASELINE:" not in new_finding.stdout:
            fail(f"a finding not in the baseline must fail with 66, the accepted one be marked BASELINE: "
                 f"{new_finding.returncode}\n{new_finding.stdout}")
    print("PASS: lockwatch report, run and baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
