"""How many learners reached each node, took each choice and ended at each ending of a vignette.

Computed in SQL over the event log (JSON payload fields are read by the database on SQLite and
PostgreSQL alike). Only in aggregate, only for educators, and only when at least
MIN_LEARNERS contribute, so a route map can open a group discussion without exposing anyone.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import distinct, func, select

from course.accounts import User
from course.permissions import Action, require
from course.store.db import Store
from course.store.models import EventRow

MIN_LEARNERS = 5


@dataclass(frozen=True)
class RouteCounts:
    learners: int
    reached: dict[str, int]  # node id -> learners who reached it
    took: dict[tuple[str, str], int]  # (choice node, choice id) -> learners who took it
    ended: dict[str, int]  # ending node id -> learners who ended there


def route_counts(
    store: Store, viewer: User, vignette_id: str, learner_ids: Collection[int] | None = None
) -> RouteCounts | None:
    """Distinct-learner counts for the vignette, or None when fewer than MIN_LEARNERS played it."""
    require(viewer, Action.VIEW_DASHBOARDS)
    scope = [EventRow.object_type == "vignette", EventRow.object_id == vignette_id]
    if learner_ids is not None:
        scope.append(EventRow.user_id.in_(list(learner_ids)))
    target = EventRow.payload["target"].as_string()
    node = EventRow.payload["node"].as_string()
    action = EventRow.payload["action"].as_string()
    ending = EventRow.payload["ending"].as_string()
    learners = func.count(distinct(EventRow.user_id))
    with store.read() as conn:
        total = conn.execute(select(learners).where(*scope, EventRow.verb == "vignette.started")).scalar_one()
        if total < MIN_LEARNERS:
            return None
        started = conn.execute(
            select(node, learners).where(*scope, EventRow.verb == "vignette.started").group_by(node)
        ).all()
        steps = conn.execute(
            select(target, learners).where(*scope, EventRow.verb == "vignette.step").group_by(target)
        ).all()
        choices = conn.execute(
            select(node, action, learners)
            .where(*scope, EventRow.verb == "vignette.step", action != "continue")
            .group_by(node, action)
        ).all()
        endings = conn.execute(
            select(ending, learners).where(*scope, EventRow.verb == "vignette.ended").group_by(ending)
        ).all()
    reached = {str(n): int(c) for n, c in steps}
    for n, c in started:  # the start node is reached by starting, not by a step
        reached[str(n)] = max(reached.get(str(n), 0), int(c))
    return RouteCounts(
        learners=int(total),
        reached=reached,
        took={(str(n), str(a)): int(c) for n, a, c in choices},
        ended={str(e): int(c) for e, c in endings},
    )
