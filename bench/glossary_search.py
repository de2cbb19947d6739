"""Glossary search speed on the real glossary: index build time and per-query latency.

    python bench/glossary_search.py [--rounds 5]

Queries are every term and alias, plus two typos of each (the middle inner letter dropped, the
middle pair of inner letters swapped), plus a few definition-word queries. Each round runs them
all; the latency percentiles are over every query of every round. Target: p95 well under 50 ms.
Also times the linked rendering of each module body (cached per content version in the app).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as `python bench/glossary_search.py` from anywhere

from course.content import load_course  # noqa: E402
from course.glossary import build_index, render_linked, search  # noqa: E402

DEFINITION_QUERIES = ["reassurance", "helplesness", "feelings", "the doctor", "side effects", "unbearable feelings"]


def typos(name: str) -> list[str]:
    inner = [i for i in range(1, len(name) - 1) if name[i].isalpha()]
    found = []
    if inner:
        i = inner[len(inner) // 2]
        found.append(name[:i] + name[i + 1 :])
    pairs = [i for i in inner if i + 1 in inner and name[i] != name[i + 1]]
    if pairs:
        i = pairs[len(pairs) // 2]
        found.append(name[:i] + name[i + 1] + name[i] + name[i + 2 :])
    return found


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    course = load_course(REPO).course
    builds = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        index = build_index(course)
        builds.append(time.perf_counter() - start)
    names = [name for term in course.glossary.values() for name in (term.term, *term.aliases)]
    queries = [q for name in names for q in (name, *typos(name))] + DEFINITION_QUERIES
    latencies: list[float] = []
    wrong = 0
    for _ in range(args.rounds):
        for query in queries:
            start = time.perf_counter()
            hits = search(index, query)
            latencies.append(time.perf_counter() - start)
            wrong += not hits
    renders = []
    for module in course.modules.values():
        start = time.perf_counter()
        render_linked(module.body, index.linker)
        renders.append(time.perf_counter() - start)
    ms = 1000
    print(f"glossary: {len(course.glossary)} terms, {len(names)} names; {len(queries)} queries x {args.rounds} rounds")
    print(
        f"index build (with where-used over {len(course.modules)} modules): "
        f"median {statistics.median(builds) * ms:.1f} ms, max {max(builds) * ms:.1f} ms"
    )
    print(
        f"search latency: p50 {percentile(latencies, 0.5) * ms:.2f} ms, p95 {percentile(latencies, 0.95) * ms:.2f} ms, "
        f"max {max(latencies) * ms:.2f} ms; queries with no hit: {wrong}"
    )
    print(f"linked module rendering: median {statistics.median(renders) * ms:.1f} ms, max {max(renders) * ms:.1f} ms")


if __name__ == "__main__":
    main()
