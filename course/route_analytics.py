"""How many learners reached each node, took each choice and ended at each ending of a vignette.

Computed in SQL over the event log (JSON payload fields are read by the database on SQLite and
PostgreSQL alike). Only in aggregate, only for educators, and only when at least
MIN_LEARNERS contribute, so a route map can open a group discussion without exposing anyone.

Small cells and their complements are suppressed (issue 16). The attack: an educator makes four
accounts of her own, plays each along one fixed route, puts them in a cohort with one real learner
and reads the real learner's choices off the counts of 1 (or of 5 against 4). So, beyond the
threshold on the number of learners, a count is shown only when at least MIN_LEARNERS learners are
in it *and* at least MIN_LEARNERS of the population it is taken from are not ("k <= c <= n - k",
the complement rule of statistical disclosure control, e.g. Hundepool et al., *Statistical
Disclosure Control*, Wiley 2012, ch. 5). The choices at one node are shown all together or not at
all, counting the options nobody took as cells of 0 (``RouteLayout``), so that one suppressed cell
cannot be worked out from the others. With one real learner and four accounts following one route
every count but the number who started is suppressed, whatever the real learner chose.

Limits: no deterministic count can withstand an attacker who controls all but one of the learners
counted: with enough accounts of her own (2k or more, split across the options at a threshold) she
can make one count's visibility depend on the real learner's choice. Only random noise
(differential privacy) would stop that; it is not used, so counts stay exact. The cohort side
narrows who is counted (``dashboards.cohort_routes``): learners who joined by their own act, live,
with the learner role, never the educator.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from sqlalchemy import distinct, func, select

from course.accounts import User
from course.permissions import Action, require
from course.store.db import Store
from course.store.models import EventRow

MIN_LEARNERS = 5


@dataclass(frozen=True)
class RouteLayout:
    """What a vignette offers, so that options nobody took count as cells of 0.

    ``choices``: choice node id -> its choice ids; ``endings``: the ending node ids.
    """

    choices: Mapping[str, Collection[str]] = field(default_factory=dict)
    endings: Collection[str] = ()

    @classmethod
    def of(cls, vignette: object) -> RouteLayout:
        """From a ``course.schema.Vignette`` (its ``nodes``)."""
        nodes = list(getattr(vignette, "nodes", []))
        return cls(
            choices={n.id: [c.id for c in n.choices] for n in nodes if getattr(n, "kind", "") == "choice"},
            endings=[n.id for n in nodes if getattr(n, "kind", "") == "ending"],
        )


@dataclass(frozen=True)
class RouteCounts:
    """Distinct-learner counts; a cell left out is either 0 or suppressed (never told apart)."""

    learners: int
    reached: dict[str, int]  # node id -> learners who reached it
    took: dict[tuple[str, str], int]  # (choice node, choice id) -> learners who took it
    ended: dict[str, int]  # ending node id -> learners who ended there
    suppressed: bool = False  # some cells were held back to protect individuals


def _shown(count: int, population: int, k: int) -> bool:
    """The complement rule: at least k learners in the cell and at least k outside it."""
    return k <= count <= population - k


def protect(raw: RouteCounts, layout: RouteLayout, start_nodes: Collection[str], k: int = MIN_LEARNERS) -> RouteCounts:
    """Drop every cell that could single a learner out (see the module docstring for the rule)."""
    n = raw.learners
    reached = {node: c for node, c in raw.reached.items() if (node in start_nodes and c == n) or _shown(c, n, k)}
    took: dict[tuple[str, str], int] = {}
    nodes = set(layout.choices) | {node for node, _ in raw.took}
    for node in nodes:
        offered = set(layout.choices.get(node, ())) | {a for m, a in raw.took if m == node}
        cells = {a: raw.took.get((node, a), 0) for a in offered}
        population = raw.reached.get(node, 0)
        if node in reached and cells and all(_shown(c, population, k) for c in cells.values()):
            took.update({(node, a): c for a, c in cells.items()})
    endings = set(layout.endings) | set(raw.ended)
    ending_cells = {e: raw.ended.get(e, 0) for e in endings}
    ended = ending_cells if ending_cells and all(_shown(c, n, k) for c in ending_cells.values()) else {}
    held_back = len(reached) < len(raw.reached) or len(took) < len(raw.took) or len(ended) < len(raw.ended)
    return RouteCounts(n, reached, took, {e: c for e, c in ended.items() if c}, held_back)


def route_counts(
    store: Store,
    viewer: User,
    vignette_id: str,
    learner_ids: Collection[int] | None = None,
    *,
    layout: RouteLayout | None = None,
) -> RouteCounts | None:
    """Distinct-learner counts for the vignette, or None when fewer than MIN_LEARNERS played it.

    Cells that could single a learner out are left out (``protect``); ``layout`` names the options
    and endings nobody took, which count as cells of 0.
    """
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
    raw = RouteCounts(
        learners=int(total),
        reached=reached,
        took={(str(n), str(a)): int(c) for n, a, c in choices},
        ended={str(e): int(c) for e, c in endings},
    )
    return protect(raw, layout or RouteLayout(), {str(n) for n, _ in started})
