"""What a learner does with a module, recorded as append-only events; status derived from them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from course.accounts import User
from course.cohorts import require_may_view
from course.content import Course, Module
from course.mastery import counted
from course.permissions import Action, require
from course.schema import QuizItem
from course.store.db import Store
from course.store.events import completed_modules, record_event
from course.store.models import EventRow

CHECK_ANSWERED = "check.answered"


def module_status(store: Store, viewer: User, learner_id: int) -> dict[str, datetime]:
    """Module id -> completion time for `learner_id`; only the learner (or their cohort's educator) may look."""
    require_may_view(store, viewer, learner_id)
    return completed_modules(store, learner_id)


def record_module_view(store: Store, user: User, module: Module, *, now: datetime) -> None:
    require(user, Action.VIEW_COURSE)
    record_event(
        store,
        user_id=user.id,
        verb="module.viewed",
        object_type="module",
        object_id=module.id,
        content_version=module.version,
        now=now,
    )


def set_module_complete(store: Store, user: User, module: Module, complete: bool, *, now: datetime) -> None:
    require(user, Action.VIEW_COURSE)
    record_event(
        store,
        user_id=user.id,
        verb="module.completed" if complete else "module.reopened",
        object_type="module",
        object_id=module.id,
        content_version=module.version,
        now=now,
    )


def answer_check(
    store: Store, user: User, course: Course, item: QuizItem, chosen: str, *, position: int, now: datetime
) -> bool:
    """Record a formative knowledge-check answer (no grade is kept); return whether it was right."""
    require(user, Action.VIEW_COURSE)
    if chosen not in {o.key for o in item.options}:
        raise ValueError(f"'{chosen}' is not an option of {item.id}")
    correct = chosen == item.answer
    record_event(
        store,
        user_id=user.id,
        verb=CHECK_ANSWERED,
        object_type="quiz_item",
        object_id=item.id,
        content_version=course.version_of("item", item.id),
        payload={"module": item.module, "chosen": chosen, "correct": correct, "position": position},
        now=now,
    )
    return correct


@dataclass(frozen=True)
class CheckRecord:
    """A learner's knowledge-check history for one item, as the module page shows it after a reload."""

    chosen: str  # the latest answer
    correct: bool
    answered_at: datetime
    counted_correct: bool  # the answer that counts towards mastery (see course.mastery.counted)
    counts_again_from: datetime  # a new answer replaces the counted one from this moment


def check_records(store: Store, user: User, items: Sequence[QuizItem]) -> dict[str, CheckRecord]:
    """The signed-in learner's answers to these knowledge-check items (item id -> record)."""
    require(user, Action.VIEW_COURSE)
    ids = [item.id for item in items]
    if not ids:
        return {}
    with store.read() as conn:
        rows = conn.execute(
            select(EventRow.object_id, EventRow.payload, EventRow.occurred_at)
            .where(
                EventRow.user_id == user.id,
                EventRow.verb == CHECK_ANSWERED,
                EventRow.object_type == "quiz_item",
                EventRow.object_id.in_(ids),
            )
            .order_by(EventRow.occurred_at, EventRow.id)
        ).all()
    history: dict[str, list[tuple[datetime, tuple[str, bool]]]] = defaultdict(list)
    for item_id, payload, at in rows:
        history[str(item_id)].append((at, (str(payload.get("chosen")), bool(payload.get("correct")))))
    found: dict[str, CheckRecord] = {}
    for item_id, answers in history.items():
        at, (chosen, correct) = answers[-1]
        kept = counted(answers)
        assert kept is not None  # answers is never empty here
        found[item_id] = CheckRecord(chosen, correct, at, kept.value[1], kept.replaceable_from)
    return found


def answered_checks(store: Store, viewer: User, learner_id: int) -> set[str]:
    """Ids of the knowledge-check items the learner has answered at least once."""
    require_may_view(store, viewer, learner_id)
    with store.read() as conn:
        rows = conn.execute(
            select(EventRow.object_id)
            .where(EventRow.user_id == learner_id, EventRow.verb == CHECK_ANSWERED, EventRow.object_type == "quiz_item")
            .distinct()
        ).all()
    return {str(row.object_id) for row in rows}
