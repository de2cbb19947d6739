"""Vignettes as the learner plays them: the engine's state, rebuilt from the event log.

Every action is an event; the current state is a replay of the events since the learner last
(re)started that vignette. Nothing else is stored, so a reload, a second tab or a return weeks
later all resume at the same node with the same variables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select

from course.accounts import User
from course.permissions import Action, require
from course.schema import Vignette
from course.store.db import Store
from course.store.events import EVENT_COLUMNS, Event, event_of, record_event
from course.store.models import EventRow
from course.vignette import UNDO, EventSpec, PlayState, VignetteError, advance, replay, start


@dataclass(frozen=True)
class Resumed:
    state: PlayState | None  # None: never started (or the saved route no longer fits the content)
    stale: bool = False  # the content changed since and the old route could not be replayed


def _current_run(store: Store, user_id: int, vignette_id: str) -> list[Event]:
    """The events of the learner's latest run of the vignette, oldest first (event-log order:
    ``occurred_at``, then ``id``), from its ``vignette.started``; [] if never started.

    Only this run is read: earlier runs stay in the log but replaying a case must not cost more
    with every restart (bench/load.py's case step read them all on every step).
    """
    mine = and_(EventRow.user_id == user_id, EventRow.object_type == "vignette", EventRow.object_id == vignette_id)
    with store.read() as connection:
        started = connection.execute(
            select(EventRow.occurred_at, EventRow.id)
            .where(mine, EventRow.verb == "vignette.started")
            .order_by(EventRow.occurred_at.desc(), EventRow.id.desc())
            .limit(1)
        ).first()
        if started is None:
            return []
        since = or_(
            EventRow.occurred_at > started.occurred_at,
            and_(EventRow.occurred_at == started.occurred_at, EventRow.id >= started.id),
        )
        rows = connection.execute(
            select(*EVENT_COLUMNS).where(mine, since).order_by(EventRow.occurred_at, EventRow.id)
        ).all()
    return [event_of(row) for row in rows]


def resume(store: Store, user: User, vignette: Vignette, content_version: str) -> Resumed:
    require(user, Action.VIEW_COURSE)
    run = _current_run(store, user.id, vignette.id)
    if not run:
        return Resumed(None)
    actions: list[tuple[str, datetime, str | None]] = []
    for event in run[1:]:
        if event.verb == "vignette.step":
            reason = event.payload.get("reason")
            actions.append((str(event.payload["action"]), event.occurred_at, str(reason) if reason else None))
        elif event.verb == "vignette.undone":
            actions.append((UNDO, event.occurred_at, None))
    try:
        return Resumed(replay(vignette, run[0].content_version, actions, started_at=run[0].occurred_at))
    except VignetteError:
        return Resumed(None, stale=True)


def _record(store: Store, user: User, vignette: Vignette, version: str, events: list[EventSpec], now: datetime) -> None:
    for spec in events:
        record_event(
            store,
            user_id=user.id,
            verb=spec.verb,
            object_type="vignette",
            object_id=vignette.id,
            content_version=version,
            payload=spec.payload,
            now=now,
        )


def begin(store: Store, user: User, vignette: Vignette, content_version: str, *, now: datetime) -> PlayState:
    """Start (or restart) the vignette; earlier runs stay in the log for analytics."""
    require(user, Action.VIEW_COURSE)
    state, events = start(vignette, content_version=content_version, now=now)
    _record(store, user, vignette, content_version, events, now)
    return state


def act(
    store: Store,
    user: User,
    vignette: Vignette,
    state: PlayState,
    action: str,
    *,
    now: datetime,
    reason: str | None = None,
) -> PlayState:
    require(user, Action.VIEW_COURSE)
    new_state, events = advance(vignette, state, action, now=now, reason=reason)
    _record(store, user, vignette, state.content_version, events, now)
    return new_state
