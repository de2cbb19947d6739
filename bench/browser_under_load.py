"""The real-browser tests on a busy machine: run them while busy-loop processes hold every core.

    python bench/browser_under_load.py                       # tests/browser three times, 2 busy loops
    python bench/browser_under_load.py --runs 1 -- -k "deep_link or reload_mid_attempt"

Issue 18: with CI's suite running while two other processes kept both cores busy, two browser
tests failed (they waited 5 s for a heading). Every browser wait now waits for the state an action
produces, for up to 60 s (tests/browser/conftest.py WAIT_MS). This script is the proof: it starts
``--busy`` processes that spin (``while True: pass``), runs ``pytest tests/browser -m browser``
``--runs`` times, and prints for each run the passed / failed / error / skipped counts, the wall
time and the names of the tests that failed. Arguments after ``--`` go to pytest. The exit status
is 1 if any run had a failure or an error.

PostgreSQL tests need ``TEST_DATABASE_URL`` (as in CI); the script passes the environment on.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SPIN = "while True:\n    pass\n"


@dataclass
class Run:
    number: int
    seconds: float
    passed: int = 0
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: int = 0

    def line(self) -> str:
        return (
            f"run {self.number}: {self.passed} passed, {len(self.failed)} failed, {len(self.errors)} errors, "
            f"{self.skipped} skipped in {self.seconds:.0f} s"
        )


def why(report: ElementTree.Element) -> str:
    """Where and why a test failed: the test-file lines of its traceback, then pytest's message."""
    lines = (report.text or "").splitlines()
    places = [line.strip() for line in lines if line.startswith("tests/") and ":" in line]
    message = (report.get("message") or "").splitlines()
    return "\n".join(f"        {line}" for line in [*places[-3:], *message[:3]])


def read_junit(path: Path, number: int, seconds: float) -> Run:
    """Counts and failing test names from pytest's JUnit XML report."""
    run = Run(number, seconds)
    if not path.exists():
        run.errors.append("pytest wrote no report (it did not start, or it crashed)")
        return run
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        failure, error = case.find("failure"), case.find("error")
        if failure is not None:
            run.failed.append(f"{name}\n{why(failure)}")
        elif error is not None:
            run.errors.append(f"{name}\n{why(error)}")
        elif case.find("skipped") is not None:
            run.skipped += 1
        else:
            run.passed += 1
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="how many times to run tests/browser (default 3)")
    parser.add_argument("--busy", type=int, default=2, help="busy-loop processes beside the tests (default 2)")
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments (after --)")
    args = parser.parse_args()

    spinners = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(args.busy)]
    runs: list[Run] = []
    try:
        print(
            f"{args.busy} busy loops on {os.cpu_count()} cores; tests/browser {args.runs} times; "
            f"load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        for number in range(1, args.runs + 1):
            with tempfile.TemporaryDirectory(prefix="browser-under-load-") as scratch:
                report = Path(scratch) / "junit.xml"
                command = [
                    sys.executable, "-m", "pytest", "tests/browser", "-m", "browser", "-q", "-p", "no:randomly",
                    f"--junitxml={report}", *args.pytest_args,
                ]  # fmt: skip
                started = time.perf_counter()
                subprocess.run(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                run = read_junit(report, number, time.perf_counter() - started)
            runs.append(run)
            print(run.line() + f"; load average {os.getloadavg()[0]:.2f}", flush=True)
            for name in run.failed + run.errors:
                print(f"    not passed: {name}", flush=True)
    finally:
        for spinner in spinners:
            spinner.terminate()
        for spinner in spinners:
            spinner.wait()
    bad = sum(len(run.failed) + len(run.errors) for run in runs)
    print(f"{len(runs)} runs, {bad} failures or errors in all")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
