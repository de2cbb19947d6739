"""Concurrent learners against the real server, over Streamlit's own websocket protocol.

    python bench/load.py [--sessions 20] [--seconds 15] [--think 0] [--database-url URL]
    python bench/load.py --short        # CI: one saturated pass, about a minute in all
    python bench/load.py --realistic    # 200 sessions, mean think time 10 s: p95 of every interaction

Starts two ``streamlit run`` processes from the project folder (so both read the course's
``.streamlit/config.toml``): the course (``streamlit_app.py``, a scratch SQLite file unless
``--database-url`` is given) and a one-button page (``bench/trivial_app.py``). Each signed-in
simulated learner is one websocket session, i.e. one browser tab, that sends exactly what the
frontend sends on a click. One phase per page, with every session on that page at once:

- trivial        click the one button
- module reader  "Mark as complete" / "Mark as not complete" on a module (a write, then st.rerun)
- case step      the next step of a branching case: Decide / Continue / Save reflection / Restart
- assessment     change the answer to the next question of an open attempt (saved by on_change)

Latency is from sending the BackMsg to the ``script_finished`` of the last run the click caused
(two runs when the page calls st.rerun()); throughput is finished interactions per second. With
``--think 0`` every session clicks again as soon as its page arrives (the server is saturated);
``--think S`` waits a uniform 0.5-1.5 x S seconds between clicks, like a learner reading.

``cpu ms/i`` is the server process's own CPU time (user + system, from /proc) during the measured
seconds divided by the interactions finished: what an interaction costs, which holds when other
programs share the machine and wall-clock figures do not (one process uses at most one core for
the page scripts, so 10 ms per interaction is about 100 interactions/s). ``msgs/i`` counts the
messages the server sent per interaction: each element or block drawn is one, and each costs the
server a wake-up of its event loop, so fewer elements per step cost less.

Targets (issue 18), one process, on this 2-core machine. Saturated (``--think 0``, 20 sessions):
every learner page at least 100 interactions/s, its p95 within 2x the trivial page's in the same
run, and a new session's first page (open p95) within 1.5x the trivial page's. Realistic
(``--realistic``: 200 sessions, mean think time 10 s): every page's p95 within 150 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as `python bench/load.py` from anywhere

from bench.ws_client import AppServer, ProtocolError, RunResult, StreamlitSession  # noqa: E402

# --- what a learner does on each page -------------------------------------------------------------


@dataclass
class Learner:
    """One browser tab: a session on one page and the page it last saw."""

    session: StreamlitSession
    page: RunResult
    answered: int = 0  # assessment: which question to change next


Interaction = Callable[[Learner], Awaitable[RunResult]]


async def click_trivial(learner: Learner) -> RunResult:
    return await learner.session.rerun(click=learner.page.widget(key="click"))


async def toggle_module_complete(learner: Learner) -> RunResult:
    page = learner.page
    button = next(w for w in page.widgets if w.user_key in ("complete", "reopen"))
    return await learner.session.rerun(click=button)


async def next_case_step(learner: Learner) -> RunResult:
    page, session = learner.page, learner.session
    keys = {w.user_key for w in page.widgets}
    if "start" in keys:
        return await session.rerun(click=page.widget(key="start"))
    if "restart-yes" in keys:  # Restart asks first (issue 19): confirm it
        return await session.rerun(click=page.widget(key="restart-yes"))
    radios = [w for w in page.widgets if w.kind == "radio" and w.proto.form_id]
    if radios:  # a decision: pick a random option, give no reason, press Decide
        radio = radios[0]
        submit = next(w for w in page.widgets if w.kind == "button" and w.proto.is_form_submitter)
        return await session.rerun(set_values={radio: random.randrange(len(radio.proto.options))}, click=submit)
    areas = [w for w in page.widgets if w.kind == "text_area"]
    if areas:  # a reflection: write a line in the first box and save
        submit = next(w for w in page.widgets if w.kind == "button" and w.proto.is_form_submitter)
        return await session.rerun(set_values={areas[0]: "What I noticed in myself at this point."}, click=submit)
    continues = page.keyed("continue-")
    if continues:
        return await session.rerun(click=continues[0])
    return await session.rerun(click=page.widget(key="restart"))  # an ending: play it again


async def change_assessment_answer(learner: Learner) -> RunResult:
    page = learner.page
    if any(w.user_key == "start-attempt" for w in page.widgets):
        return await learner.session.rerun(click=page.widget(key="start-attempt"))
    questions = page.keyed("answer-")
    radio = questions[learner.answered % len(questions)]
    learner.answered += 1
    current = radio.proto.default if radio.proto.HasField("default") else -1
    return await learner.session.rerun(set_values={radio: (current + 1) % len(radio.proto.options)})


@dataclass(frozen=True)
class PageLoad:
    name: str
    page: str  # url path, as in the browser's address bar
    query: str
    interact: Interaction


# --- measuring ------------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    sessions: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    opens: list[float] = field(default_factory=list)  # a new tab's first page, one by one, before the clicks
    runs: int = 0
    messages: int = 0  # ForwardMsgs received for the counted interactions
    errors: list[str] = field(default_factory=list)
    cpu_seconds: float = float("nan")  # the server process's CPU time during the measured seconds

    def percentile(self, fraction: float, of: list[float] | None = None) -> float:
        ordered = sorted(self.latencies if of is None else of)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_interaction(self) -> float:
        return self.cpu_seconds / len(self.latencies) if self.latencies else float("nan")

    def line(self) -> str:
        return (
            f"{self.name:14} {self.sessions:>8} {len(self.latencies):>12} {self.runs:>6} "
            f"{self.percentile(0.5) * 1000:>8.1f} {self.percentile(0.95) * 1000:>8.1f} "
            f"{self.throughput:>9.1f} {self.runs / self.seconds if self.seconds else 0:>7.1f} {len(self.errors):>6} "
            f"{self.percentile(0.5, self.opens) * 1000:>8.1f} {self.percentile(0.95, self.opens) * 1000:>8.1f} "
            f"{self.cpu_per_interaction * 1000:>8.1f} {self.messages / max(1, len(self.latencies)):>6.1f}"
        )


HEADER = (
    f"{'page':14} {'sessions':>8} {'interactions':>12} {'runs':>6} {'p50 ms':>8} {'p95 ms':>8} "
    f"{'inter/s':>9} {'runs/s':>7} {'errors':>6} {'open p50':>8} {'open p95':>8} {'cpu ms/i':>8} {'msgs/i':>6}"
)


def cpu_seconds(server: AppServer) -> float:
    """User plus system CPU seconds the server process has used so far (Linux /proc; nan elsewhere)."""
    if server.process is None:
        return float("nan")
    try:
        fields = Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime: fields 14, 15


async def run_phase(
    url: str,
    load: PageLoad,
    cookies: list[dict[str, str]],
    *,
    seconds: float,
    think: float,
    warmup: int,
    cpu: Callable[[], float] = lambda: float("nan"),
) -> Phase:
    """Open one session per cookie on the page, warm each up, then click for `seconds` and record."""
    phase = Phase(load.name, len(cookies))
    learners: list[Learner] = []
    for jar in cookies:  # connected one by one: a page's first run is not what is measured
        session, first = await StreamlitSession.open(url, page=load.page, query=load.query, cookies=jar)
        phase.opens.append(first.seconds)
        learners.append(Learner(session, first))
    for learner in learners:
        for _ in range(warmup):
            learner.page = await load.interact(learner)

    started = time.perf_counter()
    cpu_at_start = cpu()
    stop_at = started + seconds

    async def drive(learner: Learner) -> None:
        # A closed loop: the next click waits for the page (as a person does), then for the think time.
        await asyncio.sleep(random.uniform(0, think))  # spread the first clicks when pacing
        while time.perf_counter() < stop_at:
            try:
                result = await load.interact(learner)
            except (ProtocolError, LookupError, StopIteration, TimeoutError) as exc:
                phase.errors.append(f"{type(exc).__name__}: {exc}")
                learner.page = await learner.session.goto(load.page, load.query)
                continue
            if time.perf_counter() <= stop_at:  # an interaction that ends after the bell is not counted
                phase.latencies.append(result.seconds)
                phase.runs += result.runs
                phase.messages += result.messages
            learner.page = result
            if think:
                await asyncio.sleep(random.uniform(0.5 * think, 1.5 * think))

    async def bell() -> None:  # the server's CPU time is read when the counting stops
        await asyncio.sleep(seconds)
        phase.cpu_seconds = cpu() - cpu_at_start

    await asyncio.gather(bell(), *(drive(learner) for learner in learners))
    phase.seconds = min(time.perf_counter(), stop_at) - started
    for learner in learners:
        await learner.session.close()
    return phase


# --- setting up ----------------------------------------------------------------------------------


def signed_in_cookies(database_url: str, count: int, run_id: str) -> list[dict[str, str]]:
    """Create `count` learners in the app's database and sign each in (the rp_session cookie)."""
    from course import accounts
    from course.clock import utcnow
    from course.store.db import Store
    from course.ui.auth_routes import SESSION_COOKIE

    with Store.open(database_url) as store:
        jars = []
        for number in range(count):
            email = f"load-{run_id}-{number}@example.org"
            # Single sign-on accounts: no password hash to compute for each simulated learner.
            user = accounts.upsert_oidc_user(
                store, subject=f"load-{run_id}-{number}", email=email, display_name=f"Load {number}",
                role=accounts.Role.LEARNER, now=utcnow(),
            )  # fmt: skip
            jars.append({SESSION_COOKIE: accounts.start_session(store, user.id, now=utcnow())})
        return jars


def course_pages() -> list[PageLoad]:
    from course.content import load_course

    course = load_course(REPO).course
    module = next(iter(course.modules))
    case = next(iter(course.vignettes))
    return [
        PageLoad("module reader", "modules", f"id={module}", toggle_module_complete),
        PageLoad("case step", "vignettes", f"id={case}", next_case_step),
        PageLoad("assessment", "assessment", "", change_assessment_answer),
    ]


def server_env(database_url: str | None, data_dir: str) -> dict[str, str]:
    env = {**os.environ, "COURSE_DATA_DIR": data_dir}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


async def measure(args: argparse.Namespace, data_dir: str) -> list[Phase]:
    from course.store.db import database_url as resolve_url

    url = resolve_url(server_env(args.database_url, data_dir))
    run_id = f"{os.getpid()}-{int(time.time())}"
    phases: list[Phase] = []
    log = Path(data_dir) / "servers.log"
    options = dict(option.split("=", 1) for option in args.option)
    trivial = AppServer(
        "bench/trivial_app.py", env=server_env(None, data_dir), ready_path="/_stcore/health", log=log, options=options
    )
    app = AppServer("streamlit_app.py", env=server_env(args.database_url, data_dir), log=log, options=options)
    try:
        trivial.start()
        app.start()
        cookies = signed_in_cookies(url, args.sessions, run_id)
        trivial_cookies: list[dict[str, str]] = [{} for _ in range(args.sessions)]
        loads = [(trivial, PageLoad("trivial", "", "", click_trivial), trivial_cookies)]
        loads += [(app, load, cookies) for load in course_pages() if not args.pages or load.name in args.pages]
        for server, load, jars in loads:
            phase = await run_phase(
                server.url, load, jars, seconds=args.seconds, think=args.think, warmup=args.warmup,
                cpu=lambda server=server: cpu_seconds(server),  # type: ignore[misc]
            )  # fmt: skip
            print(phase.line(), flush=True)
            for error in sorted(set(phase.errors))[:5]:
                print(f"    error: {error}")
            phases.append(phase)
    finally:
        app.stop()
        trivial.stop()
    if any(phase.errors for phase in phases):  # the page only says "error"; the server log says which
        text = log.read_text(errors="replace")
        start = text.rfind("Traceback")
        print("last server traceback:\n" + (text[start:][:3000] if start >= 0 else "(none logged)"))
    return phases


def verdict(phases: list[Phase], *, realistic: bool) -> None:
    """Each learner page against issue 18's targets (see the module docstring)."""
    trivial = next(p for p in phases if p.name == "trivial")
    learner_pages = [p for p in phases if p.name != "trivial" and p.latencies]
    if not learner_pages or not trivial.latencies:
        return

    def mark(ok: bool) -> str:
        return "met" if ok else "MISSED"

    for phase in learner_pages:
        p95 = phase.percentile(0.95)
        if realistic:
            print(f"{phase.name}: p95 {p95 * 1000:.1f} ms with think time (target <= 150 ms): {mark(p95 <= 0.150)}")
            continue
        ratio = p95 / trivial.percentile(0.95)
        opened = phase.percentile(0.95, phase.opens) / trivial.percentile(0.95, trivial.opens)
        print(
            f"{phase.name}: {phase.throughput:.1f} interactions/s in one process (target >= 100): "
            f"{mark(phase.throughput >= 100)}; p95 {ratio:.2f}x the trivial page's (target <= 2x): {mark(ratio <= 2)}; "
            f"first load p95 {opened:.2f}x the trivial page's (target <= 1.5x): {mark(opened <= 1.5)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=20, help="concurrent sessions per phase (default 20)")
    parser.add_argument("--seconds", type=float, default=15.0, help="measured seconds per phase (default 15)")
    parser.add_argument("--think", type=float, default=0.0, help="mean think time between clicks (default 0)")
    parser.add_argument("--database-url", help="the course's database (default: a scratch SQLite file)")
    parser.add_argument("--pages", nargs="*", help="only these course pages (names as printed)")
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Streamlit config option for both servers, e.g. server.fileWatcherType=none (repeatable)",
    )
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured clicks per session first (default 2)")
    parser.add_argument("--short", action="store_true", help="CI mode: 5 s per phase, 1 warm-up click, about a minute")
    parser.add_argument(
        "--via-proxy", action="store_true", help="through nginx with 1, then 2 processes (bench/via_proxy.py)"
    )
    parser.add_argument("--clients", type=int, default=2, help="--via-proxy: load-generating processes (default 2)")
    parser.add_argument(
        "--realistic",
        action="store_true",
        help="200 sessions with a mean think time of 10 s, 60 s per phase, 1 warm-up click (about 6 minutes)",
    )
    args = parser.parse_args()
    if args.short:
        args.seconds, args.warmup = 5.0, 1
    if args.realistic:
        args.sessions, args.think, args.seconds, args.warmup = 200, 10.0, 60.0, 1
    if args.via_proxy:
        from bench.via_proxy import run as run_via_proxy

        run_via_proxy(args)
        return
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="load-bench-") as data_dir:
        print(
            f"{args.sessions} sessions per page, {args.seconds:.0f} s each, think {args.think:.1f} s, "
            f"database {'PostgreSQL' if args.database_url else 'SQLite'}, load average {os.getloadavg()[0]:.2f}"
            + (f", options {' '.join(args.option)}" if args.option else "")
        )
        print(HEADER)
        phases = asyncio.run(measure(args, data_dir))
    verdict(phases, realistic=args.realistic)
    print(f"took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
