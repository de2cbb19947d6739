"""Page rerun time measured with AppTest, and what runner.postScriptGC would add to each rerun.

    python bench/rerun.py [--reruns 60]

Signs in a learner against a scratch SQLite database and reruns the heaviest Foundation page
(the module reader with knowledge checks) and the home page. AppTest's script runner skips the
post-run garbage collection, so the cost of runner.postScriptGC=true is measured directly: a full
gc.collect(2) in this same warmed process, which holds the app's whole heap (Streamlit, pandas,
SQLAlchemy, the parsed course). In the server that collection runs after every rerun, holding the
GIL, so it delays every other session in the process too.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as `python bench/rerun.py` from anywhere


def measure(page: str, query: dict[str, str], reruns: int) -> list[float]:
    from streamlit.testing.v1 import AppTest

    from course import accounts
    from course.clock import utcnow
    from course.ui import resources

    store = resources.store()
    user = accounts.find_user_by_email(store, "bench@example.org") or accounts.create_user_admin(
        store, email="bench@example.org", display_name="Bench", password="bench password 1", now=utcnow(),
        role=accounts.Role.LEARNER,
    )  # fmt: skip
    at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=60)
    at.session_state["auth_token"] = accounts.start_session(store, user.id, now=utcnow())
    at.run()
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    times: list[float] = []
    for _ in range(reruns):
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reruns", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        os.environ["COURSE_DATA_DIR"] = data
        os.environ.pop("DATABASE_URL", None)
        from course.content import load_course

        first = next(iter(load_course(REPO).course.modules))
        pages = [
            ("module reader", "course/ui/pages/modules.py", {"id": first}),
            ("home", "course/ui/pages/home.py", {}),
        ]
        medians: dict[str, float] = {}
        for name, page, query in pages:
            times = sorted(measure(page, query, args.reruns))
            medians[name] = statistics.median(times)
            p95 = times[int(len(times) * 0.95) - 1]
            print(
                f"rerun {name:14} p50 {medians[name] * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms  ({args.reruns} reruns)"
            )
        collections = []
        for _ in range(20):
            start = time.perf_counter()
            gc.collect(2)
            collections.append(time.perf_counter() - start)
        full_gc = statistics.median(collections)
        print(f"full gc.collect(2) in this process: p50 {full_gc * 1000:.1f} ms ({len(gc.get_objects()):,} objects)")
        for name, median in medians.items():
            print(
                f"postScriptGC=true would make a {name} rerun {median * 1000:.1f} -> "
                f"{(median + full_gc) * 1000:.1f} ms ({(median + full_gc) / median:.2f}x CPU per rerun)"
            )


if __name__ == "__main__":
    main()
