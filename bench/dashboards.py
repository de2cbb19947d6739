"""Dashboard and progress queries at scale, on SQLite and PostgreSQL.

    python bench/dashboards.py [--learners 10000] [--events-per-learner 100] [--db sqlite|postgresql|both]

Generates a course's worth of activity (default 10,000 learners and about 1,000,000 events, plus
their assessment attempts, cohorts of 100 and assignments) with the real content's ids, then times
every dashboard query and the learner progress page's database calls. Each figure is the median of
``--repeats`` runs after one warm-up. Targets: each dashboard query <= 1 s; the learner progress
page's database time <= 100 ms.

PostgreSQL runs in a scratch schema of $TEST_DATABASE_URL (default the local `test` database),
dropped afterwards; SQLite in a temporary file.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from course import assessment, cohorts, dashboards, mastery, progress  # noqa: E402
from course.accounts import Role, User  # noqa: E402
from course.content import Course, load_course  # noqa: E402
from course.route_analytics import route_counts  # noqa: E402
from course.store.db import Store, make_engine, migrate  # noqa: E402
from course.store.models import (  # noqa: E402
    AssignmentRow,
    AttemptAnswerRow,
    AttemptItemRow,
    AttemptRow,
    CohortMemberRow,
    CohortRow,
    EventRow,
    UserRow,
)
from course.timelog import time_log  # noqa: E402
from course.vignette import advance, choices_offered, is_ended, start  # noqa: E402

COHORT_SIZE = 100
BATCH = 20_000
EPOCH = datetime(2026, 6, 1, tzinfo=UTC)


def _routes(course: Course, rng: random.Random, per_case: int = 40) -> dict[str, list[list[dict[str, Any]]]]:
    """A few dozen real playthroughs per case, as event payloads, to sample from."""
    found: dict[str, list[list[dict[str, Any]]]] = {}
    for vignette in course.vignettes.values():
        plays = []
        for _ in range(per_case):
            state, events = start(vignette, content_version="v", now=EPOCH)
            payloads = [{"verb": e.verb, **e.payload} for e in events]
            while not is_ended(vignette, state):
                offered = choices_offered(vignette, state)
                action = rng.choice(offered).id if offered else "continue"
                state, events = advance(vignette, state, action, now=EPOCH)
                payloads += [{"verb": e.verb, **e.payload} for e in events]
            plays.append(payloads)
        found[vignette.id] = plays
    return found


class Generator:
    """Writes users, cohorts, assignments, events and attempts in large batches."""

    def __init__(self, store: Store, course: Course, learners: int, per_learner: int, seed: int = 7) -> None:
        self.store, self.course, self.learners, self.per_learner = store, course, learners, per_learner
        self.rng = random.Random(seed)
        self.routes = _routes(course, self.rng)
        self.checks = [i for i in course.items().values() if i.module]
        self.summative = assessment.summative_items(course)
        self.events: list[dict[str, Any]] = []
        self.attempts: list[tuple[int, datetime, list[assessment.PaperItem], dict[str, str]]] = []
        self.event_count = 0

    def _flush(self, force: bool = False) -> None:
        if self.events and (force or len(self.events) >= BATCH):
            with self.store.write() as conn:
                conn.execute(insert(EventRow), self.events)
            self.event_count += len(self.events)
            self.events = []

    def _event(self, user_id: int, verb: str, kind: str, object_id: str, at: datetime, payload: dict[str, Any]) -> None:
        self.events.append(
            {
                "user_id": user_id,
                "verb": verb,
                "object_type": kind,
                "object_id": object_id,
                "content_version": "bench",
                "occurred_at": at,
                "payload": payload,
            }
        )

    def run(self) -> tuple[list[int], list[int]]:
        with self.store.write() as conn:
            users = [
                {
                    "email": f"learner{i}@bench.example",
                    "display_name": f"Learner {i}",
                    "role": "learner",
                    "created_at": EPOCH,
                }
                for i in range(self.learners)
            ]
            educators = [
                {
                    "email": f"edu{i}@bench.example",
                    "display_name": f"Educator {i}",
                    "role": "educator",
                    "created_at": EPOCH,
                }
                for i in range(max(1, self.learners // (COHORT_SIZE * 5)))
            ]
            conn.execute(insert(UserRow), users + educators)
            learner_ids = [r[0] for r in conn.execute(text("SELECT id FROM users WHERE role = 'learner' ORDER BY id"))]
            educator_ids = [
                r[0] for r in conn.execute(text("SELECT id FROM users WHERE role = 'educator' ORDER BY id"))
            ]
            self._cohorts(conn, learner_ids, educator_ids)
        for user_id in learner_ids:
            self._learner(user_id)
            self._flush()
        self._flush_attempts()
        self._flush(force=True)
        return learner_ids, educator_ids

    def _cohorts(self, conn: Any, learner_ids: list[int], educator_ids: list[int]) -> None:
        groups = [learner_ids[i : i + COHORT_SIZE] for i in range(0, len(learner_ids), COHORT_SIZE)]
        for n, group in enumerate(groups):
            cohort_id = conn.execute(
                insert(CohortRow)
                .values(
                    name=f"Cohort {n}",
                    owner_id=educator_ids[n % len(educator_ids)],
                    invite_code=f"B{n:03d}-{n:04d}"[:9],
                    created_at=EPOCH,
                )
                .returning(CohortRow.id)
            ).scalar_one()
            conn.execute(
                insert(CohortMemberRow), [{"cohort_id": cohort_id, "user_id": u, "joined_at": EPOCH} for u in group]
            )
            tasks = [("module", m) for m in self.course.modules] + [("vignette", v) for v in self.course.vignettes]
            tasks.append(("assessment", assessment.ASSESSMENT_ID))
            conn.execute(
                insert(AssignmentRow),
                [
                    {
                        "cohort_id": cohort_id,
                        "object_type": t,
                        "object_id": i,
                        "due_at": EPOCH + timedelta(days=30 + 7 * k),
                        "created_at": EPOCH,
                    }
                    for k, (t, i) in enumerate(tasks)
                ],
            )

    def _learner(self, user_id: int) -> None:
        rng = self.rng
        at = EPOCH + timedelta(days=rng.uniform(0, 60))
        budget = self.per_learner
        step = lambda: timedelta(seconds=rng.uniform(20, 400))  # noqa: E731
        modules = list(self.course.modules)
        for module in modules[: rng.randint(2, len(modules))]:
            self._event(user_id, "module.viewed", "module", module, at, {})
            at += step()
            for item in rng.sample([c for c in self.checks if c.module == module], k=2):
                right = rng.random() < 0.7
                chosen = item.answer if right else next(o.key for o in item.options if o.key != item.answer)
                self._event(
                    user_id,
                    "check.answered",
                    "quiz_item",
                    item.id,
                    at,
                    {"module": module, "correct": right, "chosen": chosen},
                )
                at += step()
            self._event(user_id, "module.completed", "module", module, at, {})
            at += step()
            budget -= 4
        for vignette_id, plays in self.routes.items():
            if rng.random() < 0.8:
                for payload in rng.choice(plays):
                    body = {k: v for k, v in payload.items() if k != "verb"}
                    self._event(user_id, payload["verb"], "vignette", vignette_id, at, body)
                    at += step()
                    budget -= 1
        if budget > 25:
            budget -= self._attempt(user_id, at)
            at += timedelta(hours=1)
        terms = list(self.course.glossary)
        while budget > 0:
            rating = rng.choice(["again", "hard", "good", "good", "easy"])
            self._event(user_id, "card.reviewed", "glossary", rng.choice(terms), at, {"rating": rating})
            at += step()
            budget -= 1

    def _attempt(self, user_id: int, at: datetime) -> int:
        """Queue one submitted 20-question attempt; written in batches by _flush_attempts."""
        rng = self.rng
        paper = assessment.draw_paper(self.summative, 20, rng.getrandbits(32))
        skill = rng.uniform(0.4, 0.95)
        answers = {p.item_id: (p.answer if rng.random() < skill else rng.choice(p.options)) for p in paper}
        self.attempts.append((user_id, at, paper, answers))
        if len(self.attempts) >= 500:
            self._flush_attempts()
        return 22

    def _flush_attempts(self) -> None:
        if not self.attempts:
            return
        rows = []
        for user_id, at, paper, answers in self.attempts:
            correct = sum(answers[p.item_id] == p.answer for p in paper)
            rows.append(
                {
                    "user_id": user_id,
                    "assessment_id": assessment.ASSESSMENT_ID,
                    "status": "submitted",
                    "seed": 1,
                    "content_version": "bench",
                    "paper": [{"item": p.item_id, "options": list(p.options), "answer": p.answer} for p in paper],
                    "pass_mark_percent": 80,
                    "started_at": at,
                    "submitted_at": at + timedelta(minutes=25),
                    "correct": correct,
                    "total": len(paper),
                    "passed": correct >= 16,
                }
            )
        with self.store.write() as conn:
            ids = (
                conn.execute(insert(AttemptRow).returning(AttemptRow.id, sort_by_parameter_order=True), rows)
                .scalars()
                .all()
            )
            items, chosen = [], []
            for attempt_id, (user_id, at, paper, answers) in zip(ids, self.attempts, strict=True):
                items += [
                    {"attempt_id": attempt_id, "item_id": p.item_id, "position": n, "answer": p.answer}
                    for n, p in enumerate(paper)
                ]
                chosen += [
                    {"attempt_id": attempt_id, "item_id": i, "chosen": c, "answered_at": at} for i, c in answers.items()
                ]
                self._attempt_events(user_id, attempt_id, at, answers)
            conn.execute(insert(AttemptItemRow), items)
            conn.execute(insert(AttemptAnswerRow), chosen)
        self.attempts = []

    def _attempt_events(self, user_id: int, attempt_id: int, at: datetime, answers: dict[str, str]) -> None:
        sid = assessment.ASSESSMENT_ID
        self._event(user_id, "assessment.started", "assessment", sid, at, {"attempt": attempt_id})
        for n, (item_id, chosen) in enumerate(answers.items()):
            payload = {"attempt": attempt_id, "item": item_id, "chosen": chosen}
            self._event(user_id, "assessment.answered", "assessment", sid, at + timedelta(minutes=n), payload)
        self._event(
            user_id, "assessment.submitted", "assessment", sid, at + timedelta(minutes=25), {"attempt": attempt_id}
        )


def timed(repeats: int, call: Callable[[], object]) -> float:
    call()  # warm caches and the connection pool
    samples = []
    for _ in range(repeats):
        began = time.perf_counter()
        call()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples) * 1000


@contextmanager
def open_store(kind: str, sqlite_file: str | None = None) -> Iterator[Store]:
    if kind == "sqlite" and sqlite_file:
        store = Store.open(f"sqlite:///{sqlite_file}")
        try:
            yield store
        finally:
            store.close()
        return
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            store = Store.open(f"sqlite:///{folder}/bench.sqlite3")
            try:
                yield store
            finally:
                store.close()
        return
    url = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        migrate(engine)
        yield Store(engine)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def bench(
    kind: str, course: Course, learners: int, per_learner: int, repeats: int, sqlite_file: str | None = None
) -> list[tuple[str, float, float]]:
    rows: list[tuple[str, float, float]] = []
    reuse = kind == "sqlite" and sqlite_file is not None and Path(sqlite_file).exists()
    with open_store(kind, sqlite_file) as store:
        if reuse:
            with store.read() as conn:
                educator_ids = [
                    r[0] for r in conn.execute(text("SELECT id FROM users WHERE role = 'educator' ORDER BY id"))
                ]
                counts = conn.execute(text("SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM events)")).one()
            print(f"[{kind}] reusing {sqlite_file}: {counts[0]} users, {counts[1]} events", flush=True)
        else:
            began = time.perf_counter()
            generator = Generator(store, course, learners, per_learner)
            learner_ids, educator_ids = generator.run()
            with store.write() as conn:
                conn.execute(text("ANALYZE"))  # fresh statistics, as autovacuum / a real deployment would have
            print(
                f"[{kind}] generated {len(learner_ids)} learners, {generator.event_count} events "
                f"in {time.perf_counter() - began:.0f} s",
                flush=True,
            )
        educator = User(educator_ids[0], "edu0@bench.example", "Educator 0", Role.EDUCATOR)
        admin = User(-1, "admin@bench.example", "Admin", Role.ADMIN)
        cohort = cohorts.cohorts_for(store, educator)[0]
        learner_id = cohorts.members(store, educator, cohort.id)[0].user_id
        learner = User(learner_id, "learner@bench.example", "Learner", Role.LEARNER)
        now = EPOCH + timedelta(days=120)
        case = next(iter(course.vignettes))
        board = dashboards.cohort_dashboard
        cases: list[tuple[str, float, Callable[[], object]]] = [
            (
                "cohort dashboard (completion, scores, time)",
                1000,
                lambda: board(store, educator, cohort.id, course, now=now),
            ),
            ("item analysis, one cohort", 1000, lambda: dashboards.item_analysis(store, educator, cohort.id)),
            ("item analysis, whole course (admin)", 1000, lambda: dashboards.item_analysis(store, admin, None)),
            ("route counts, one cohort", 1000, lambda: dashboards.cohort_routes(store, educator, cohort.id, case)),
            ("route counts, whole course (admin)", 1000, lambda: route_counts(store, admin, case)),
            ("cohort list", 1000, lambda: cohorts.cohorts_for(store, educator)),
            ("learner: modules complete", 0, lambda: progress.module_status(store, learner, learner.id)),
            ("learner: attempt history", 0, lambda: assessment.history(store, learner)),
            ("learner: time log", 0, lambda: time_log(store, learner, learner.id)),
            ("learner: concept mastery", 0, lambda: mastery.concept_mastery(store, learner, learner.id, course)),
            ("learner: assignments", 0, lambda: cohorts.my_assignments(store, learner, now=now)),
        ]
        page_total = 0.0
        for name, target, call in cases:
            ms = timed(repeats, call)
            rows.append((name, ms, target))
            if name.startswith("learner:"):
                page_total += ms
        rows.append(("learner progress page, all database calls", page_total, 100))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--events-per-learner", type=int, default=100)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sqlite-file", help="keep the generated SQLite database here and reuse it next time")
    args = parser.parse_args()
    course = load_course(REPO).course
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    failures = 0
    for kind in kinds:
        results = bench(kind, course, args.learners, args.events_per_learner, args.repeats, args.sqlite_file)
        print(f"\n{kind}: median of {args.repeats} runs")
        for name, ms, target in results:
            verdict = "" if not target else ("ok" if ms <= target else "MISS")
            failures += verdict == "MISS"
            print(f"  {name:<46} {ms:9.1f} ms   target {target or '-':>5}   {verdict}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
