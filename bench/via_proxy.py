"""The course pages of bench/load.py driven through nginx, with 1 and then 2 app processes behind it.

    python bench/load.py --via-proxy [--sessions 20] [--seconds 15] [--database-url URL]

Each configuration is a fresh ``deploy/serve.py`` deployment (``deploy.serve.Deployment``: migrate
once, N ``streamlit run`` processes, nginx in front) on the same database; the simulated learners
(new accounts for each configuration) connect to nginx exactly as bench/load.py's connect to one
process. Each websocket is one browser tab without an affinity cookie yet, so nginx places each on
a random process, as it would distinct browsers. Prints bench/load.py's table for each
configuration and, per page, the throughput with 2 processes over the throughput with 1.

Target (issue 18), on a 2-core machine: at least 1.7x. The load generator itself (this process,
parsing every message the pages send) and nginx run on the same two cores, so the ratio measured
here is below what the app processes alone would reach on a machine with a separate client.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

TARGET = 1.7
PROCESS_COUNTS = (1, 2)


Throughputs = dict[int, dict[str, float]]  # {process count: {page: interactions per second}}


def _client(url: str, page_name: str, cookies: list[dict[str, str]], seconds: float, think: float, warmup: int) -> Any:
    """One load-generating process: bench/load.py's phase for its share of the sessions (a Phase)."""
    from bench.load import course_pages, run_phase

    load = next(load for load in course_pages() if load.name == page_name)
    return asyncio.run(run_phase(url, load, cookies, seconds=seconds, think=think, warmup=warmup))


def _phase(url: str, page_name: str, cookies: list[dict[str, str]], args: argparse.Namespace) -> Any:
    """The sessions split over ``args.clients`` processes, started together; their results merged.

    One client process parses every message the pages send; on 2 cores it would cap what 2 app
    processes can show, so the sessions are driven from several processes, as from many browsers.
    """
    from bench.load import Phase

    shares = [cookies[i :: args.clients] for i in range(args.clients)]
    with ProcessPoolExecutor(max_workers=args.clients) as pool:
        futures = [
            pool.submit(_client, url, page_name, share, args.seconds, args.think, args.warmup) for share in shares
        ]
        parts = [future.result() for future in futures]
    merged = Phase(page_name, len(cookies))
    for part in parts:
        merged.latencies += part.latencies
        merged.opens += part.opens
        merged.runs += part.runs
        merged.messages += part.messages
        merged.errors += part.errors
        merged.seconds = max(merged.seconds, part.seconds)
    return merged


def _measure(deployments: dict[int, Any], database_url: str, args: argparse.Namespace) -> Throughputs:
    """Per page, one phase on each deployment back to back (so a change in the machine's other load
    hits both alike)."""
    from bench.load import course_pages, signed_in_cookies

    run_id = f"{os.getpid()}-{int(time.time())}"
    cookies = {count: signed_in_cookies(database_url, args.sessions, f"{run_id}-x{count}") for count in deployments}
    results: Throughputs = {count: {} for count in deployments}
    for load in course_pages():
        if args.pages and load.name not in args.pages:
            continue
        for count, running in deployments.items():
            phase = _phase(running.url, load.name, cookies[count], args)
            phase.name = f"{load.name} x{count}"
            print(phase.line(), flush=True)
            for error in sorted(set(phase.errors))[:5]:
                print(f"    error: {error}")
            results[count][load.name] = phase.throughput
    return results


def run(args: argparse.Namespace) -> None:
    """Start a deployment with each process count, measure every page on each, print the ratios."""
    from bench.load import HEADER
    from course.store.db import database_url as resolve_url
    from deploy.serve import Deployment

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="proxy-bench-") as scratch:
        url = resolve_url({"DATABASE_URL": args.database_url} if args.database_url else {"COURSE_DATA_DIR": scratch})
        options = dict(option.split("=", 1) for option in args.option)
        print(
            f"via nginx: {args.sessions} sessions per page, {args.seconds:.0f} s each, "
            f"database {'PostgreSQL' if url.startswith('postgresql') else 'SQLite'}, "
            f"{args.clients} client processes, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}"
        )
        deployments = {
            count: Deployment(url, processes=count, options=options, folder=Path(scratch) / f"deploy-{count}")
            for count in PROCESS_COUNTS
        }
        try:
            for running in deployments.values():  # an idle deployment costs next to no CPU
                running.start()
            print(HEADER)
            results = _measure(deployments, url, args)
        finally:
            for running in deployments.values():
                running.stop()
    one, two = results[PROCESS_COUNTS[0]], results[PROCESS_COUNTS[-1]]
    ratios = []
    for page, single in one.items():
        if single and page in two:
            ratio = two[page] / single
            ratios.append(ratio)
            print(
                f"{page}: {single:.1f} -> {two[page]:.1f} interactions/s, {ratio:.2f}x with "
                f"{PROCESS_COUNTS[-1]} processes (target >= {TARGET}x): " + ("met" if ratio >= TARGET else "MISSED")
            )
    if ratios:
        print(f"lowest ratio {min(ratios):.2f}x; load average now {os.getloadavg()[0]:.2f}")
    print(f"took {time.perf_counter() - started:.0f} s")
