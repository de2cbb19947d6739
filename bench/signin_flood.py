"""A sign-in flood from one client, and what it does to another learner's page and the server's memory.

    python bench/signin_flood.py [--attempts 40] [--database-url URL]

Starts the course (``streamlit run streamlit_app.py``, a scratch SQLite file unless
``--database-url`` is given). One signed-in learner (the ``rp_session`` cookie) loads a module page
over and over, first alone (baseline), then while ``--attempts`` websocket sessions from the same
client address (127.0.0.1) all press "Sign in" at once with made-up emails and a password each.
Printed: the learner's page time (median, p95, max) alone and during the flood; the server's
resident memory (VmRSS from /proc, sampled every 50 ms) before and at its peak; how long the flood
took; and what the flood's sign-ins were answered (each distinct message with its count).

The red-team figures before issue 16 (one client, 40 attempts): the other learner's page went from
0.05 s to 21 s and the server from 380 to 1,048 MiB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as `python bench/signin_flood.py` from anywhere

from bench.ws_client import AppServer, ProtocolError, RunResult, StreamlitSession  # noqa: E402


def rss_mib(pid: int) -> float:
    """Resident memory of one process in MiB (VmRSS), 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def learner_cookie(database_url: str) -> dict[str, str]:
    from course import accounts
    from course.clock import utcnow
    from course.store.db import Store
    from course.ui.auth_routes import SESSION_COOKIE

    with Store.open(database_url) as store:
        user = accounts.upsert_oidc_user(
            store, subject=f"flood-reader-{os.getpid()}", email=f"reader-{os.getpid()}@example.org",
            display_name="Reader", role=accounts.Role.LEARNER, now=utcnow(),
        )  # fmt: skip
        return {SESSION_COOKIE: accounts.start_session(store, user.id, now=utcnow())}


def stats(times: list[float]) -> str:
    if not times:
        return "no loads"
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"median {statistics.median(ordered):.3f} s, p95 {p95:.3f} s, max {ordered[-1]:.3f} s ({len(ordered)} loads)"


def answers(result: RunResult, before: RunResult) -> str:
    """What the sign-in added to the page (its error, warning or welcome), as one line."""
    shown = [text for text in result.texts if text not in before.texts]
    return " | ".join(shown) or "(no message)"


async def read_page(session: StreamlitSession, module: str, stop: asyncio.Event, times: list[float]) -> None:
    while not stop.is_set():
        result = await session.goto("modules", f"id={module}")
        times.append(result.seconds)


async def sign_in_attempt(url: str, number: int, go: asyncio.Event) -> tuple[str, float]:
    session, page = await StreamlitSession.open(url, page="signin", ping_interval=None)
    try:
        email = page.widget(kind="text_input", label="Email")
        password = page.widget(kind="text_input", label="Password")
        submit = page.widget(kind="button", label="Sign in")
        await go.wait()
        started = time.perf_counter()
        try:
            result = await session.rerun(
                set_values={email: f"made-up-{number}@example.org", password: f"a guessed password {number}"},
                click=submit,
                timeout=600,
            )
        except ProtocolError:  # the page showed Streamlit's error box (the server log says why)
            return "(an error box: the page failed)", time.perf_counter() - started
        return answers(result, page), time.perf_counter() - started
    finally:
        await session.close()


async def measure(args: argparse.Namespace, data_dir: str) -> None:
    from course.content import load_course
    from course.store.db import database_url as resolve_url

    env = {**os.environ, "COURSE_DATA_DIR": data_dir}
    env.pop("DATABASE_URL", None)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    url = resolve_url(env)
    module = next(iter(load_course(REPO).course.modules))
    app = AppServer("streamlit_app.py", env=env, log=Path(data_dir) / "server.log")
    try:
        app.start()
        assert app.process is not None
        pid = app.process.pid
        cookie = learner_cookie(url)
        reader, _ = await StreamlitSession.open(
            app.url, page="modules", query=f"id={module}", cookies=cookie, ping_interval=None
        )
        for _ in range(3):  # warm up
            await reader.goto("modules", f"id={module}")
        alone: list[float] = []
        for _ in range(args.baseline):
            alone.append((await reader.goto("modules", f"id={module}")).seconds)
        before = rss_mib(pid)

        go, stop = asyncio.Event(), asyncio.Event()
        attempts = [asyncio.create_task(sign_in_attempt(app.url, n, go)) for n in range(args.attempts)]
        await asyncio.sleep(2)  # every flooding session connected and on the sign-in page
        peak = before

        async def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, rss_mib(pid))
                await asyncio.sleep(0.05)

        during: list[float] = []
        sampler = asyncio.create_task(sample())
        started = time.perf_counter()
        go.set()
        reading = asyncio.create_task(read_page(reader, module, stop, during))
        results = await asyncio.gather(*attempts)
        flood_seconds = time.perf_counter() - started
        stop.set()
        await reading
        await sampler
        await reader.close()
    finally:
        app.stop()
    log = (Path(data_dir) / "server.log").read_text(errors="replace")
    if "Traceback" in log:
        last = log[log.rfind("Traceback") :].splitlines()
        print("last server error: " + (last[-1] if last else "?"))
    load = os.getloadavg()[0]
    print(f"{args.attempts} simultaneous sign-ins to made-up emails from one client; load average {load:.2f}")
    print(f"other learner's module page alone:       {stats(alone)}")
    print(f"other learner's module page during flood: {stats(during)}")
    print(f"server RSS before {before:.0f} MiB, peak during flood {peak:.0f} MiB")
    print(f"flood finished in {flood_seconds:.1f} s; slowest sign-in answer {max(t for _, t in results):.2f} s")
    for text, count in Counter(text for text, _ in results).most_common():
        print(f"  {count:3d} x {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attempts", type=int, default=40, help="simultaneous sign-ins (default 40)")
    parser.add_argument("--baseline", type=int, default=20, help="page loads measured before the flood")
    parser.add_argument("--database-url", help="the course's database (default: a scratch SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="signin-flood-") as data_dir:
        asyncio.run(measure(args, data_dir))


if __name__ == "__main__":
    main()
