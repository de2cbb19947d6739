"""Learners' written reflections: private to their author (sharing comes with the CPD portfolio)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from course.accounts import User
from course.clock import require_aware
from course.permissions import Action, require
from course.store.db import Store
from course.store.models import ReflectionRow

MAX_ANSWER_CHARS = 4000


@dataclass(frozen=True)
class Reflection:
    id: int
    object_type: str
    object_id: str
    node_id: str | None
    entries: list[dict[str, str]]
    created_at: datetime


def save_reflection(
    store: Store,
    user: User,
    *,
    object_type: str,
    object_id: str,
    node_id: str | None,
    prompts: list[str],
    answers: list[str],
    content_version: str,
    now: datetime,
) -> int:
    require(user, Action.VIEW_COURSE)
    require_aware(now)
    if len(prompts) != len(answers):
        raise ValueError("each prompt needs exactly one answer")
    entries = [{"prompt": p, "answer": a.strip()[:MAX_ANSWER_CHARS]} for p, a in zip(prompts, answers, strict=True)]
    with store.write() as conn:
        result = conn.execute(
            insert(ReflectionRow).values(
                user_id=user.id,
                object_type=object_type,
                object_id=object_id,
                node_id=node_id,
                content_version=content_version,
                entries=entries,
                created_at=now,
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]


def my_reflections(
    store: Store, user: User, *, object_type: str | None = None, object_id: str | None = None
) -> list[Reflection]:
    """The signed-in user's own reflections; there is deliberately no call to read someone else's."""
    require(user, Action.VIEW_COURSE)
    query = select(ReflectionRow).where(ReflectionRow.user_id == user.id)
    if object_type is not None:
        query = query.where(ReflectionRow.object_type == object_type)
    if object_id is not None:
        query = query.where(ReflectionRow.object_id == object_id)
    with store.read() as conn:
        rows = conn.execute(query.order_by(ReflectionRow.created_at, ReflectionRow.id)).all()
    return [Reflection(r.id, r.object_type, r.object_id, r.node_id, list(r.entries), r.created_at) for r in rows]
