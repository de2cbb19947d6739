"""The append-only learning record.

Everything a learner does is recorded as an event; progress is always derived from events, never
kept in counters. This module deliberately offers no way to change or delete an event.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, exists, func, insert, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select

from course.clock import require_aware
from course.store.db import Store
from course.store.models import EventRow

MODULE_COMPLETED = "module.completed"
MODULE_REOPENED = "module.reopened"


@dataclass(frozen=True)
class Event:
    id: int
    user_id: int
    verb: str
    object_type: str
    object_id: str
    content_version: str
    occurred_at: datetime
    payload: Mapping[str, Any]


EVENT_COLUMNS = (
    EventRow.id,
    EventRow.user_id,
    EventRow.verb,
    EventRow.object_type,
    EventRow.object_id,
    EventRow.content_version,
    EventRow.occurred_at,
    EventRow.payload,
)


def event_of(row: Any) -> Event:
    """An Event from a row selected with EVENT_COLUMNS (other columns may come along)."""
    return Event(
        row.id, row.user_id, row.verb, row.object_type, row.object_id, row.content_version, row.occurred_at, row.payload
    )


def _column_limit(name: str) -> int:
    length = getattr(EventRow.__table__.c[name].type, "length", None)
    assert isinstance(length, int)
    return length


def _require_text(name: str, value: object, *, allow_empty: bool) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, got {type(value).__name__}")
    if not allow_empty and not value.strip():
        raise ValueError(f"{name} must not be empty")
    limit = _column_limit(name)
    if len(value) > limit:
        raise ValueError(f"{name} must be at most {limit} characters, got {len(value)}")
    return value


def _json_object(payload: Mapping[str, object] | None) -> dict[str, Any]:
    if payload is None:
        return {}
    if not isinstance(payload, Mapping):
        raise ValueError(f"payload must be a mapping, got {type(payload).__name__}")
    if any(not isinstance(key, str) for key in payload):
        raise ValueError("payload keys must be strings (JSON object keys are always strings)")
    try:
        # allow_nan=False: NaN/Infinity are not JSON, and PostgreSQL's jsonb refuses them.
        encoded = json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"payload is not JSON-serialisable: {error}") from error
    # Store exactly what will be read back (tuples become lists, and so on).
    decoded: dict[str, Any] = json.loads(encoded)
    return decoded


def record_event(
    store: Store,
    *,
    user_id: int,
    verb: str,
    object_type: str,
    object_id: str,
    content_version: str,
    payload: Mapping[str, object] | None = None,
    now: datetime,
) -> int:
    """Append one event and return its id. ``payload`` must be a JSON object (default ``{}``)."""
    with store.write(actor=user_id) as connection:
        return append_event(
            connection,
            user_id=user_id,
            verb=verb,
            object_type=object_type,
            object_id=object_id,
            content_version=content_version,
            payload=payload,
            now=now,
        )


def append_event(
    connection: Connection,
    *,
    user_id: int,
    verb: str,
    object_type: str,
    object_id: str,
    content_version: str,
    payload: Mapping[str, object] | None = None,
    now: datetime,
) -> int:
    """Append one event inside the caller's write transaction (so it commits with the change it records)."""
    _require_text("verb", verb, allow_empty=False)
    _require_text("object_type", object_type, allow_empty=False)
    _require_text("object_id", object_id, allow_empty=True)
    _require_text("content_version", content_version, allow_empty=True)
    require_aware(now)
    body = _json_object(payload)
    new_id = connection.execute(
        insert(EventRow)
        .values(
            user_id=user_id,
            verb=verb,
            object_type=object_type,
            object_id=object_id,
            content_version=content_version,
            occurred_at=now,
            payload=body,
        )
        .returning(EventRow.id)
    ).scalar_one()
    return int(new_id)


def events_for_user(
    store: Store,
    user_id: int,
    *,
    verb: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
) -> list[Event]:
    """The user's events, oldest first, optionally narrowed by verb and object."""
    query = select(*EVENT_COLUMNS).where(EventRow.user_id == user_id)
    if verb is not None:
        query = query.where(EventRow.verb == verb)
    if object_type is not None:
        query = query.where(EventRow.object_type == object_type)
    if object_id is not None:
        query = query.where(EventRow.object_id == object_id)
    with store.read() as connection:
        rows = connection.execute(query.order_by(EventRow.occurred_at, EventRow.id)).all()
    return [event_of(row) for row in rows]


@cache
def _module_completions(filter_modules: bool) -> Select[int, str, datetime]:
    """Built once per shape: composing the aliased statement cost more than running it (bench/load.py)."""
    completion = aliased(EventRow, name="completion")
    reopening = aliased(EventRow, name="reopening")
    reopened_later = exists().where(
        reopening.user_id == completion.user_id,
        reopening.object_type == completion.object_type,
        reopening.object_id == completion.object_id,
        reopening.verb == MODULE_REOPENED,
        or_(
            reopening.occurred_at > completion.occurred_at,
            and_(reopening.occurred_at == completion.occurred_at, reopening.id > completion.id),
        ),
    )
    query = select(
        completion.user_id, completion.object_id, func.min(completion.occurred_at).label("first_completed_at")
    ).where(
        completion.user_id.in_(bindparam("learner_ids", expanding=True)),
        completion.object_type == "module",
        completion.verb == MODULE_COMPLETED,
        ~reopened_later,
    )
    if filter_modules:
        query = query.where(completion.object_id.in_(bindparam("module_ids", expanding=True)))
    return query.group_by(completion.user_id, completion.object_id)


def module_completions(
    connection: Connection, learner_ids: list[int], module_ids: list[str] | None = None
) -> list[Row[int, str, datetime]]:
    """(user_id, object_id, first_completed_at) for each module each learner has completed.

    A ``module.reopened`` event cancels earlier completions of that module; a completion after it
    counts again, from that later time. Events are ordered by (occurred_at, id).
    """
    query = _module_completions(module_ids is not None)
    values: dict[str, object] = {"learner_ids": learner_ids}
    if module_ids is not None:
        values["module_ids"] = module_ids
    return list(connection.execute(query, values).all())


def completed_modules(store: Store, user_id: int) -> dict[str, datetime]:
    """Module id -> when it was first completed, for modules the user has completed."""
    with store.read() as connection:
        rows = module_completions(connection, [user_id])
    return {row.object_id: row.first_completed_at for row in rows}


__all__ = [
    "EVENT_COLUMNS",
    "MODULE_COMPLETED",
    "MODULE_REOPENED",
    "Event",
    "completed_modules",
    "event_of",
    "events_for_user",
    "module_completions",
    "record_event",
]
