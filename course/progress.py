"""What a learner does with a module, recorded as append-only events; status derived from them."""

from __future__ import annotations

from datetime import datetime

from course.accounts import User
from course.cohorts import require_may_view
from course.content import Course, Module
from course.permissions import Action, require
from course.schema import QuizItem
from course.store.db import Store
from course.store.events import completed_modules, record_event


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
        verb="check.answered",
        object_type="quiz_item",
        object_id=item.id,
        content_version=course.version_of("item", item.id),
        payload={"module": item.module, "chosen": chosen, "correct": correct, "position": position},
        now=now,
    )
    return correct
