"""Time to load and validate all course content, cold (a fresh interpreter each run).

    python bench/content_load.py [--runs 5]

Prints the in-process load+validate time and the whole-process time (imports included) for
each run, then the median. Content is parsed once per app process and then shared, so this is
the start-up cost, not a per-request cost.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHILD = """
import json, time
t0 = time.perf_counter()
from course.content import load_course
t1 = time.perf_counter()
report = load_course(__import__("pathlib").Path({root!r}))
t2 = time.perf_counter()
c = report.course
print(json.dumps({{"import_s": t1 - t0, "load_s": t2 - t1, "errors": len(report.errors),
  "warnings": len(report.warnings), "files": len(c.modules) + len(c.quizzes) + len(c.vignettes),
  "modules": len(c.modules), "items": sum(len(b.items) for b in c.quizzes.values()),
  "terms": len(c.glossary), "vignettes": len(c.vignettes)}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    loads: list[float] = []
    wholes: list[float] = []
    for run in range(1, args.runs + 1):
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", CHILD.format(root=str(REPO))], cwd=REPO, capture_output=True, text=True, check=True
        )
        whole = time.perf_counter() - start
        stats = json.loads(out.stdout)
        loads.append(stats["load_s"])
        wholes.append(whole)
        print(
            f"run {run}: load+validate {stats['load_s'] * 1000:.1f} ms, "
            f"engine import {stats['import_s'] * 1000:.0f} ms, whole process {whole * 1000:.0f} ms"
        )
    print(
        f"content: {stats['modules']} modules, {stats['items']} quiz items, {stats['vignettes']} vignettes, "
        f"{stats['terms']} glossary terms; {stats['errors']} errors, {stats['warnings']} warnings"
    )
    print(
        f"median cold load+validate: {statistics.median(loads) * 1000:.1f} ms; "
        f"median whole process: {statistics.median(wholes) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
