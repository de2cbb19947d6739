"""Active learning time, derived from the event log in SQL.

The rule (documented for CPD, where the hours end up on a certificate):

* Each event opens a span that lasts until the same learner's next event, whatever it is.
* A span counts towards the object of the event that opened it (a module, a case, the assessment,
  a knowledge-check item, a flashcard).
* A span longer than ``IDLE_CAP_SECONDS`` counts as ``IDLE_CAP_SECONDS``: after fifteen minutes
  without a click we assume the learner had stopped, so a tab left open overnight earns nothing extra.
* The learner's very last event opens no span (there is nothing to measure it against).

Fifteen minutes is longer than any single reading section of a module, so reading between
"opened" and "marked complete" is counted in full, but an abandoned tab is not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Float, cast, func, literal, select
from sqlalchemy.sql import Select

from course.accounts import User
from course.cohorts import require_may_view
from course.content import Course
from course.store.db import Store
from course.store.models import EventRow

IDLE_CAP_SECONDS = 15 * 60

# Object types that count as learning activity; others (none today) are ignored.
ACTIVITY_TYPES = ("module", "vignette", "assessment", "quiz_item", "glossary")


@dataclass(frozen=True)
class TimeSpent:
    object_type: str
    object_id: str
    seconds: int


def _seconds_between(dialect: str, start: ColumnElement[object], end: ColumnElement[object]) -> ColumnElement[float]:
    if dialect == "postgresql":
        return cast(func.extract("epoch", end - start), Float)
    # SQLite keeps UTC timestamps as text; julianday() turns them into fractional days.
    return cast((func.julianday(end) - func.julianday(start)) * literal(86400.0), Float)


def _spans(dialect: str, learner_ids: Collection[int]) -> Select[Any]:
    next_at = (
        func.lead(EventRow.occurred_at)
        .over(partition_by=EventRow.user_id, order_by=(EventRow.occurred_at, EventRow.id))
        .label("next_at")
    )
    timeline = (
        select(EventRow.user_id, EventRow.object_type, EventRow.object_id, EventRow.occurred_at, next_at)
        .where(EventRow.user_id.in_(list(learner_ids)))
        .subquery()
    )
    gap = _seconds_between(dialect, timeline.c.occurred_at, timeline.c.next_at)
    capped = func.min(gap, IDLE_CAP_SECONDS) if dialect == "sqlite" else func.least(gap, IDLE_CAP_SECONDS)
    return (
        select(timeline.c.user_id, timeline.c.object_type, timeline.c.object_id, func.sum(capped).label("seconds"))
        .where(timeline.c.next_at.is_not(None), timeline.c.object_type.in_(ACTIVITY_TYPES))
        .group_by(timeline.c.user_id, timeline.c.object_type, timeline.c.object_id)
    )


def _query(conn: Connection, learner_ids: Collection[int]) -> dict[int, list[TimeSpent]]:
    found: dict[int, list[TimeSpent]] = defaultdict(list)
    if not learner_ids:
        return found
    for row in conn.execute(_spans(conn.dialect.name, learner_ids)):
        found[int(row.user_id)].append(
            TimeSpent(str(row.object_type), str(row.object_id), round(float(row.seconds or 0)))
        )
    return found


def time_log(store: Store, viewer: User, learner_id: int) -> list[TimeSpent]:
    """Seconds of active time per object for one learner (themselves, or someone allowed to look)."""
    require_may_view(store, viewer, learner_id)
    with store.read() as conn:
        spent = _query(conn, [learner_id]).get(learner_id, [])
    return sorted(spent, key=lambda t: (t.object_type, t.object_id))


def time_logs(conn: Connection, learner_ids: Collection[int]) -> dict[int, list[TimeSpent]]:
    """The same for many learners in one query; callers check permissions (see course.cohorts)."""
    return _query(conn, learner_ids)


def by_activity(course: Course, spent: list[TimeSpent]) -> dict[tuple[str, str], int]:
    """Roll time up to what a learner recognises: (kind, id) for modules, cases, assessment, review.

    Knowledge-check answers count towards their module; flashcard reviews towards "review".
    """
    items = course.items()
    rolled: dict[tuple[str, str], int] = defaultdict(int)
    for entry in spent:
        if entry.object_type == "quiz_item":
            item = items.get(entry.object_id)
            module = item.module if item is not None else None
            key = ("module", module) if module else ("module", "unknown")
        elif entry.object_type == "glossary":  # flashcard reviews are recorded against the term
            key = ("review", "flashcards")
        else:
            key = (entry.object_type, entry.object_id)
        rolled[key] += entry.seconds
    return dict(rolled)


def total_seconds(spent: list[TimeSpent]) -> int:
    return sum(entry.seconds for entry in spent)


def cpd_hours(seconds: int) -> float:
    """CPD hours to the nearest quarter hour, rounded down (never claim time not spent)."""
    return int(seconds / 900) / 4
