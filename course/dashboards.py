"""What an educator sees about one of their cohorts, every figure aggregated in SQL.

Permission: every function starts from ``cohorts.get_cohort`` (owner or admin only), so a cohort
someone may not see behaves as if it did not exist. Nothing here loads raw events into Python.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, select

from course import cohorts
from course.accounts import Role, User
from course.assessment import ASSESSMENT_ID
from course.cohorts import Assignment, AssignmentState, Cohort, Member, state_of
from course.completion import completions
from course.content import Course
from course.permissions import Action, require
from course.route_analytics import RouteCounts, RouteLayout, route_counts
from course.store.db import Store
from course.store.models import AttemptAnswerRow, AttemptItemRow, AttemptRow, UserRow, answer_of_item
from course.timelog import by_activity, time_logs

Z95 = 1.959964  # two-sided 95%
MIN_ANSWERS_TO_JUDGE = 10  # below this an item is shown but never flagged


@dataclass(frozen=True)
class Cell:
    learner: Member
    assignment: Assignment
    done_at: datetime | None
    state: AssignmentState


@dataclass(frozen=True)
class AttemptScore:
    learner_id: int
    percent: float
    passed: bool
    submitted_at: datetime
    correct: int = 0
    total: int = 0


@dataclass(frozen=True)
class LearnerTime:
    learner: Member
    seconds_by_kind: dict[str, int]  # "module", "vignette", "assessment", "review"

    @property
    def seconds(self) -> int:
        return sum(self.seconds_by_kind.values())


@dataclass(frozen=True)
class CohortDashboard:
    cohort: Cohort
    members: list[Member]
    assignments: list[Assignment]
    cells: list[Cell]
    scores: list[AttemptScore]
    times: list[LearnerTime]
    pass_mark_percent: int | None

    @property
    def overdue(self) -> list[Cell]:
        return sorted((c for c in self.cells if c.state is AssignmentState.OVERDUE), key=lambda c: c.assignment.due_at)


def cohort_dashboard(store: Store, viewer: User, cohort_id: int, course: Course, *, now: datetime) -> CohortDashboard:
    require(viewer, Action.VIEW_DASHBOARDS)
    cohort = cohorts.get_cohort(store, viewer, cohort_id)
    people = cohorts.members(store, viewer, cohort_id)
    tasks = cohorts.assignments(store, viewer, cohort_id)
    ids = [m.user_id for m in people]
    with store.read() as conn:
        done = completions(conn, ids, {(a.object_type, a.object_id) for a in tasks})
        scores, pass_mark = _scores(conn, ids)
        logs = time_logs(conn, ids)
    cells = [
        Cell(
            m,
            a,
            done.get((m.user_id, a.object_type, a.object_id)),
            state_of(done.get((m.user_id, a.object_type, a.object_id)), a.due_at, now),
        )
        for m in people
        for a in tasks
    ]
    times = []
    for member in people:
        kinds: dict[str, int] = defaultdict(int)
        for (kind, _), seconds in by_activity(course, logs.get(member.user_id, [])).items():
            kinds[kind] += seconds
        times.append(LearnerTime(member, dict(kinds)))
    return CohortDashboard(cohort, people, tasks, cells, scores, times, pass_mark)


def _scores(conn: Connection, learner_ids: list[int]) -> tuple[list[AttemptScore], int | None]:
    if not learner_ids:
        return [], None
    rows = conn.execute(
        select(
            AttemptRow.user_id,
            AttemptRow.correct,
            AttemptRow.total,
            AttemptRow.passed,
            AttemptRow.submitted_at,
            AttemptRow.pass_mark_percent,
        )
        .where(AttemptRow.user_id.in_(learner_ids), AttemptRow.status == "submitted")
        .order_by(AttemptRow.submitted_at)
    ).all()
    scores = [
        AttemptScore(
            r.user_id,
            100.0 * r.correct / r.total if r.total else 0.0,
            bool(r.passed),
            r.submitted_at,
            int(r.correct or 0),
            int(r.total or 0),
        )
        for r in rows
    ]
    return scores, (rows[-1].pass_mark_percent if rows else None)


# --- item analysis ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True)
class ItemStats:
    item_id: str
    answered: int  # first attempts that contained the item
    correct: int
    discrimination: float | None  # corrected point-biserial: item vs the rest of the paper
    discrimination_ci: Interval | None
    facility_ci: Interval
    choices: dict[str, int]  # option key -> learners who chose it; "" for no answer
    key: str
    flags: tuple[str, ...]

    @property
    def facility(self) -> float:
        return self.correct / self.answered if self.answered else 0.0


def wilson(successes: int, n: int, z: float = Z95) -> Interval:
    """Wilson score interval: honest at small n and near 0 or 1, unlike the normal approximation."""
    if n == 0:
        return Interval(0.0, 1.0)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def fisher_interval(r: float, n: int, z: float = Z95) -> Interval | None:
    """95% interval for a correlation via Fisher's z; None when n is too small for one to exist."""
    if n < 4:
        return None
    clipped = max(-0.999999, min(0.999999, r))
    centre = math.atanh(clipped)
    half = z / math.sqrt(n - 3)
    return Interval(math.tanh(centre - half), math.tanh(centre + half))


def _point_biserial(n: int, k: int, rest_sum: float, rest_sq: float, rest_when_right: float) -> float | None:
    """corr(item right?, rest score) from sums, so the database does the per-row work."""
    if n < 2 or k in (0, n):
        return None
    p = k / n
    mean_rest = rest_sum / n
    variance_rest = rest_sq / n - mean_rest * mean_rest
    if variance_rest <= 1e-12:
        return None
    covariance = rest_when_right / n - p * mean_rest
    return covariance / math.sqrt(p * (1 - p) * variance_rest)


def _flags(stats_n: int, correct: int, r_ci: Interval | None, choices: dict[str, int], key: str) -> tuple[str, ...]:
    if stats_n < MIN_ANSWERS_TO_JUDGE:
        return ()
    flags = []
    # Too hard / too easy say little about faults, so the point estimate is enough for them; the
    # discrimination flags accuse the item, so they wait until the interval itself is clear.
    if correct / stats_n < 0.2:
        flags.append(f"very hard: {correct} of {stats_n} right (check the key and the wording)")
    if correct / stats_n >= 0.95:
        flags.append(f"very easy: {correct} of {stats_n} right, so it tells you little")
    if r_ci is not None and r_ci.high < 0:
        flags.append("negative discrimination: stronger learners get it wrong more often (check the key)")
    elif r_ci is not None and r_ci.high < 0.1:
        flags.append("does not discriminate between stronger and weaker learners")
    popular = [option for option, count in choices.items() if option not in ("", key) and count > choices.get(key, 0)]
    if popular:
        flags.append(f"distractor {', '.join(sorted(popular))} is chosen more often than the key")
    return tuple(flags)


def _scope(store: Store, viewer: User, cohort_id: int | None) -> list[int] | None:
    """The learners an analysis may cover: a cohort the viewer owns, or everyone for an admin."""
    require(viewer, Action.VIEW_DASHBOARDS)
    if cohort_id is None:
        require(viewer, Action.MANAGE_USERS)  # the whole course at once: admins only
        return None
    cohorts.get_cohort(store, viewer, cohort_id)
    with store.read() as conn:
        return cohorts.member_ids(conn, cohort_id)


def item_analysis(store: Store, viewer: User, cohort_id: int | None) -> list[ItemStats]:
    """Classical item statistics over each learner's first submitted attempt (retakes have seen the items)."""
    learners = _scope(store, viewer, cohort_id)
    if learners == []:
        return []
    # Only one attempt can be open at a time, so a learner's attempts are submitted in id order:
    # the first submitted attempt is the smallest submitted id (an index lookup, not a window).
    first = select(func.min(AttemptRow.id).label("id")).where(
        AttemptRow.status == "submitted", AttemptRow.assessment_id == ASSESSMENT_ID
    )
    if learners is not None:
        first = first.where(AttemptRow.user_id.in_(learners))
    first_ids = first.group_by(AttemptRow.user_id).subquery()
    right = case((AttemptAnswerRow.chosen == AttemptItemRow.answer, 1), else_=0)
    rest = AttemptRow.correct - right
    # One pass grouped by (item, option chosen): whether an answer is right depends only on the
    # option, so per-item sums for the point-biserial are the sums of these groups.
    query = (
        select(
            AttemptItemRow.item_id,
            AttemptItemRow.answer.label("key"),
            AttemptAnswerRow.chosen,
            func.count().label("n"),
            func.sum(rest).label("rest_sum"),
            func.sum(rest * rest).label("rest_sq"),
        )
        .join(first_ids, first_ids.c.id == AttemptItemRow.attempt_id)
        .join(AttemptRow, AttemptRow.id == AttemptItemRow.attempt_id)
        .outerjoin(AttemptAnswerRow, answer_of_item())
        .group_by(AttemptItemRow.item_id, AttemptItemRow.answer, AttemptAnswerRow.chosen)
    )
    with store.read() as conn:
        groups = conn.execute(query).all()
    per_item: dict[str, list[Any]] = defaultdict(list)
    for group in groups:
        per_item[group.item_id].append(group)
    return sorted(
        (_item_stats(item_id, rows) for item_id, rows in per_item.items()), key=lambda s: (-len(s.flags), s.item_id)
    )


def _item_stats(item_id: str, groups: list[Any]) -> ItemStats:
    """Fold the (item, option) groups of one item into its statistics.

    Keys are frozen into each attempt, so an edited key can give one item two: each group is judged
    against the key its attempts carried, and the key most attempts carried is the one reported.
    """
    n = k = 0
    rest_sum = rest_sq = rest_when_right = 0.0
    choices: dict[str, int] = defaultdict(int)
    keys: dict[str, int] = defaultdict(int)
    for g in groups:
        count = int(g.n)
        n += count
        keys[g.key] += count
        choices[g.chosen or ""] += count
        rest_sum += float(g.rest_sum or 0)
        rest_sq += float(g.rest_sq or 0)
        if g.chosen == g.key:
            k += count
            rest_when_right += float(g.rest_sum or 0)
    key = max(keys, key=lambda candidate: keys[candidate])
    r = _point_biserial(n, k, rest_sum, rest_sq, rest_when_right)
    r_ci = fisher_interval(r, n) if r is not None else None
    return ItemStats(item_id, n, k, r, r_ci, wilson(k, n), dict(choices), key, _flags(n, k, r_ci, choices, key))


def cohort_routes(
    store: Store, viewer: User, cohort_id: int | None, vignette_id: str, *, layout: RouteLayout | None = None
) -> RouteCounts | None:
    """Route counts for a cohort's learners (None below the anonymity threshold; small cells held back).

    Only learners who joined the cohort by their own act (code, invitation, LMS) are counted, live,
    with the learner role, and never the cohort's owner: accounts an educator put there herself
    cannot pad the count (see ``course.route_analytics`` for the rule and its limits).
    """
    require(viewer, Action.VIEW_DASHBOARDS)
    learners: list[int] | None = None
    if cohort_id is not None:
        cohort = cohorts.get_cohort(store, viewer, cohort_id)
        with store.read() as conn:
            joined = cohorts.member_ids(conn, cohort_id, self_joined_only=True)
            learners = list(
                conn.execute(
                    select(UserRow.id).where(
                        UserRow.id.in_(joined), UserRow.role == Role.LEARNER.value, UserRow.id != cohort.owner_id
                    )
                ).scalars()
            )
    else:
        _scope(store, viewer, None)
    return route_counts(store, viewer, vignette_id, learners, layout=layout)
