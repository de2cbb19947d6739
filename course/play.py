"""Vignettes as the learner plays them: the engine's state, rebuilt from the event log.

Every action is an event; the current state is a replay of the events since the learner last
(re)started that vignette. Nothing else is stored, so a reload, a second tab or a return weeks
later all resume at the same node with the same variables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from course.accounts import User
from course.permissions import Action, require
from course.schema import Vignette
from course.store.db import Store
from course.store.events import Event, events_for_user, record_event
from course.vignette import UNDO, EventSpec, PlayState, VignetteError, advance, replay, start


@dataclass(frozen=True)
class Resumed:
    state: PlayState | None  # None: never started (or the saved route no longer fits the content)
    stale: bool = False  # the content changed since and the old route could not be replayed


def _current_run(events: list[Event]) -> list[Event]:
    starts = [i for i, e in enumerate(events) if e.verb == "vignette.started"]
    return events[starts[-1] :] if starts else []


def resume(store: Store, user: User, vignette: Vignette, content_version: str) -> Resumed:
    require(user, Action.VIEW_COURSE)
    run = _current_run(events_for_user(store, user.id, object_type="vignette", object_id=vignette.id))
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
