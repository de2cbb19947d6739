"""The educator's home: each cohort's overdue work and what changed since they last looked, and one
learner's record.

Who is shown is decided by one rule, ``course.cohorts.may_view_learner``: a member the educator may
not view (for example one who has not consented) is left out of every count and list here, and
``learner_overview`` refuses them (``require_may_view``). Figures are computed in SQL over the
cohort's members (course.completion, course.timelog), never from raw events in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from course import cohorts, reflections
from course.accounts import User
from course.clock import require_aware
from course.cohorts import Assignment, AssignmentState, Cohort, Member, may_view_learner, require_may_view, state_of
from course.completion import completions
from course.content import Course
from course.evidence import activity_title
from course.permissions import Action, require
from course.progress import module_status
from course.store.db import Store
from course.store.models import AttemptRow, CohortMemberRow, CohortRow, CohortVisitRow, UserRow
from course.timelog import by_activity, time_log

_CASE_NOTE = "a reflection written in a case"
FIRST_LOOK = timedelta(days=7)  # on a first visit, "what changed" covers the last week


@dataclass(frozen=True)
class Completed:
    learner: Member
    object_type: str
    object_id: str
    title: str
    at: datetime


@dataclass(frozen=True)
class SharedNote:
    learner_name: str
    learner_id: int
    title: str
    at: datetime


@dataclass(frozen=True)
class CohortNews:
    cohort: Cohort
    learners: int  # the members this educator may view
    overdue: int  # (learner, assignment) pairs past their due date and not done
    overdue_learners: int
    since: datetime
    first_look: bool  # no earlier visit: "since" is FIRST_LOOK ago
    completed: list[Completed] = field(default_factory=list)
    joined: list[Member] = field(default_factory=list)
    shared: list[SharedNote] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.completed or self.joined or self.shared)


def visible_members(store: Store, viewer: User, cohort_id: int) -> list[Member]:
    """The cohort's members that this viewer may look at (cohorts.may_view_learner, the one rule)."""
    people = cohorts.members(store, viewer, cohort_id)
    with store.read() as conn:
        return [m for m in people if may_view_learner(conn, viewer, m.user_id)]


def last_visits(store: Store, educator: User) -> dict[int, datetime]:
    """When the educator last looked at each of their cohorts from the home page."""
    require(educator, Action.VIEW_COHORTS)
    with store.read() as conn:
        rows = conn.execute(
            select(CohortVisitRow.cohort_id, CohortVisitRow.seen_at).where(CohortVisitRow.user_id == educator.id)
        ).all()
    return {int(r.cohort_id): r.seen_at for r in rows}


def record_visit(store: Store, educator: User, cohort_ids: list[int], *, now: datetime) -> None:
    """Remember that the educator has now seen these cohorts (only cohorts they may manage)."""
    require(educator, Action.VIEW_COHORTS)
    require_aware(now)
    owned = {c.id for c in cohorts.cohorts_for(store, educator)}
    with store.write() as conn:
        dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        for cohort_id in cohort_ids:
            if cohort_id not in owned:
                continue
            statement = dialect_insert(CohortVisitRow).values(user_id=educator.id, cohort_id=cohort_id, seen_at=now)
            conn.execute(
                statement.on_conflict_do_update(index_elements=["user_id", "cohort_id"], set_={"seen_at": now})
            )


def cohort_news(
    store: Store, educator: User, course: Course, cohort: Cohort, *, since: datetime | None, now: datetime
) -> CohortNews:
    """Overdue counts now, and completions, new members and shared reflections after ``since``."""
    require(educator, Action.VIEW_COHORTS)
    require_aware(now)
    first_look = since is None
    start = since if since is not None else now - FIRST_LOOK
    people = visible_members(store, educator, cohort.id)
    ids = {m.user_id for m in people}
    tasks = cohorts.assignments(store, educator, cohort.id)
    with store.read() as conn:
        done = completions(conn, list(ids), {(a.object_type, a.object_id) for a in tasks})
    overdue_pairs = [
        (m, a)
        for m in people
        for a in tasks
        if state_of(done.get((m.user_id, a.object_type, a.object_id)), a.due_at, now) is AssignmentState.OVERDUE
    ]
    completed = sorted(
        (
            Completed(m, a.object_type, a.object_id, activity_title(course, a.object_type, a.object_id), at)
            for m in people
            for a in tasks
            if (at := done.get((m.user_id, a.object_type, a.object_id))) is not None and at > start
        ),
        key=lambda c: c.at,
        reverse=True,
    )
    shared = [
        SharedNote(
            s.author_name, s.reflection.user_id, s.reflection.title or "a reflection written in a case", s.shared_at
        )
        for s in reflections.shared_with_cohort(store, educator, cohort.id)
        if s.shared_at > start and s.reflection.user_id in ids
    ]
    return CohortNews(
        cohort,
        len(people),
        len(overdue_pairs),
        len({m.user_id for m, _ in overdue_pairs}),
        start,
        first_look,
        completed,
        sorted((m for m in people if m.joined_at > start), key=lambda m: m.joined_at, reverse=True),
        shared,
    )


# --- one learner ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentLine:
    cohort_name: str
    assignment: Assignment
    title: str
    state: AssignmentState
    done_at: datetime | None


@dataclass(frozen=True)
class AttemptLine:
    submitted_at: datetime
    correct: int
    total: int
    passed: bool


@dataclass(frozen=True)
class LearnerOverview:
    learner_id: int
    name: str
    email: str
    modules_done: dict[str, datetime]
    cases_done: dict[str, datetime]
    assignments: list[AssignmentLine]
    attempts: list[AttemptLine]
    seconds_by_kind: dict[str, int]
    shared: list[reflections.SharedReflection]


def learner_overview(store: Store, viewer: User, course: Course, learner_id: int, *, now: datetime) -> LearnerOverview:
    """One learner's record as their educator may see it. Raises PermissionDenied otherwise."""
    require(viewer, Action.VIEW_DASHBOARDS)
    require_aware(now)
    require_may_view(store, viewer, learner_id)
    with store.read() as conn:
        person = conn.execute(
            select(UserRow.display_name, UserRow.email).where(UserRow.id == learner_id, UserRow.deleted_at.is_(None))
        ).one_or_none()
        if person is None:
            raise LookupError("That learner no longer has an account.")
        shared_cohorts = conn.execute(
            select(CohortRow.id, CohortRow.name)
            .join(CohortMemberRow, CohortMemberRow.cohort_id == CohortRow.id)
            .where(CohortMemberRow.user_id == learner_id, CohortRow.owner_id == viewer.id, cohorts.consented())
            .order_by(CohortRow.name)
        ).all()
        attempts = conn.execute(
            select(AttemptRow.submitted_at, AttemptRow.correct, AttemptRow.total, AttemptRow.passed)
            .where(AttemptRow.user_id == learner_id, AttemptRow.status == "submitted")
            .order_by(AttemptRow.submitted_at)
        ).all()
        cases = completions(conn, [learner_id], {("vignette", v) for v in course.vignettes})
    lines: list[AssignmentLine] = []
    shared: list[reflections.SharedReflection] = []
    for cohort_id, cohort_name in shared_cohorts:
        tasks = cohorts.assignments(store, viewer, cohort_id)
        with store.read() as conn:
            done = completions(conn, [learner_id], {(a.object_type, a.object_id) for a in tasks})
        for task in tasks:
            at = done.get((learner_id, task.object_type, task.object_id))
            title = activity_title(course, task.object_type, task.object_id)
            lines.append(AssignmentLine(cohort_name, task, title, state_of(at, task.due_at, now), at))
        shared += [
            s for s in reflections.shared_with_cohort(store, viewer, cohort_id) if s.reflection.user_id == learner_id
        ]
    kinds: dict[str, int] = {}
    for (kind, _), seconds in by_activity(course, time_log(store, viewer, learner_id)).items():
        kinds[kind] = kinds.get(kind, 0) + seconds
    return LearnerOverview(
        learner_id,
        person.display_name,
        person.email,
        module_status(store, viewer, learner_id),
        {oid: at for (_, _, oid), at in cases.items()},
        lines,
        [AttemptLine(a.submitted_at, int(a.correct or 0), int(a.total), bool(a.passed)) for a in attempts],
        kinds,
        shared,
    )


__all__ = [
    "CohortNews",
    "Completed",
    "LearnerOverview",
    "SharedNote",
    "cohort_news",
    "last_visits",
    "learner_overview",
    "record_visit",
    "visible_members",
]
