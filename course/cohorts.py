"""Cohorts, their members and assignments.

An educator sees and changes only the cohorts they own (an admin sees all of them); a learner sees
only the cohorts they belong to and their own assignments. A cohort someone may not see behaves
exactly like one that does not exist, so ids cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, collate, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ColumnElement, Select

from course import codes
from course.accounts import Role, User
from course.clock import require_aware
from course.completion import completions
from course.permissions import Action, PermissionDenied, can, require
from course.store.db import Store
from course.store.models import JOINED_VIA, AssignmentRow, CohortMemberRow, CohortRow, UserRow
from course.textkey import fold, like_pattern

NAME_MAX: int = CohortRow.__table__.c.name.type.length  # type: ignore[attr-defined]
# Codes are read aloud and copied from slides: course.codes (Crockford base 32, look-alikes folded).
CODE_LENGTH = 8
SEARCH_MIN_CHARS = 2  # of the folded text, so one letter (or only accents) lists nobody


class CohortError(ValueError):
    """Something the user can fix; the message says what."""


class CohortNotFound(LookupError):
    def __init__(self) -> None:
        super().__init__("That cohort does not exist, or it is not one of yours.")


class AssignmentState(StrEnum):
    DONE = "done"
    DUE = "due"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class Cohort:
    id: int
    name: str
    owner_id: int
    invite_code: str
    created_at: datetime
    archived_at: datetime | None
    members: int

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


@dataclass(frozen=True)
class Member:
    user_id: int
    display_name: str
    email: str
    joined_at: datetime


@dataclass(frozen=True)
class Assignment:
    id: int
    cohort_id: int
    object_type: str
    object_id: str
    due_at: datetime


@dataclass(frozen=True)
class LearnerAssignment:
    assignment: Assignment
    cohort_name: str
    done_at: datetime | None
    state: AssignmentState


def new_invite_code() -> str:
    """A fresh invitation code as shown to the educator: ``ABCD-EFGH`` (course.codes alphabet)."""
    return codes.group_code(codes.new_code(CODE_LENGTH))


def name_order(conn: Connection) -> ColumnElement[str]:
    """Order by the folded name (users.search_key) in code-point order, the same on both databases."""
    return collate(UserRow.search_key, "C" if conn.dialect.name == "postgresql" else "BINARY")


def matching_names(query: str) -> ColumnElement[bool] | None:
    """A condition: the account's name or email contains ``query``, ignoring case and accents in any script.

    None when the folded query is shorter than SEARCH_MIN_CHARS. Folding: course.textkey.fold.
    """
    pattern = like_pattern(query)
    if pattern is None or len(fold(query)) < SEARCH_MIN_CHARS:
        return None
    return UserRow.search_key.like(pattern, escape="\\")


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise CohortError("Give the cohort a name.")
    if len(cleaned) > NAME_MAX:
        raise CohortError(f"A cohort name can be at most {NAME_MAX} characters (this one has {len(cleaned)}).")
    return cleaned


def _member_counts() -> Any:
    return (
        select(func.count())
        .where(CohortMemberRow.cohort_id == CohortRow.id)
        .correlate(CohortRow)
        .scalar_subquery()
        .label("members")
    )


def _cohort(r: Any) -> Cohort:
    return Cohort(r.id, r.name, r.owner_id, r.invite_code, r.created_at, r.archived_at, int(r.members))


def _select_cohorts() -> Select[Any]:
    return select(
        CohortRow.id,
        CohortRow.name,
        CohortRow.owner_id,
        CohortRow.invite_code,
        CohortRow.created_at,
        CohortRow.archived_at,
        _member_counts(),
    )


def _owned(conn: Connection, viewer: User, cohort_id: int) -> Cohort:
    """The cohort if the viewer may manage it; otherwise exactly as if it did not exist."""
    require(viewer, Action.MANAGE_COHORTS)
    query = _select_cohorts().where(CohortRow.id == cohort_id)
    if viewer.role is not Role.ADMIN:
        query = query.where(CohortRow.owner_id == viewer.id)
    row = conn.execute(query).first()
    if row is None:
        raise CohortNotFound()
    return _cohort(row)


def create_cohort(store: Store, educator: User, name: str, *, now: datetime) -> Cohort:
    require(educator, Action.MANAGE_COHORTS)
    require_aware(now)
    cleaned = _clean_name(name)
    for _ in range(5):  # a code collision is astronomically rare, but cheap to survive
        try:
            with store.write() as conn:
                new_id = conn.execute(
                    insert(CohortRow)
                    .values(name=cleaned, owner_id=educator.id, invite_code=new_invite_code(), created_at=now)
                    .returning(CohortRow.id)
                ).scalar_one()
                return _owned(conn, educator, int(new_id))
        except IntegrityError:
            continue
    raise RuntimeError("could not find a free invitation code")


def cohorts_for(store: Store, viewer: User, *, include_archived: bool = True) -> list[Cohort]:
    """The cohorts a viewer manages: their own, or every cohort for an admin."""
    require(viewer, Action.VIEW_COHORTS)
    query = _select_cohorts()
    if viewer.role is not Role.ADMIN:
        query = query.where(CohortRow.owner_id == viewer.id)
    if not include_archived:
        query = query.where(CohortRow.archived_at.is_(None))
    with store.read() as conn:
        rows = conn.execute(query.order_by(CohortRow.archived_at.is_not(None), CohortRow.name)).all()
    return [_cohort(r) for r in rows]


def get_cohort(store: Store, viewer: User, cohort_id: int) -> Cohort:
    require(viewer, Action.VIEW_COHORTS)
    with store.read() as conn:
        return _owned(conn, viewer, cohort_id)


def set_archived(store: Store, educator: User, cohort_id: int, archived: bool, *, now: datetime) -> Cohort:
    """Archived cohorts keep their data but accept no new members and drop off learners' home pages."""
    require_aware(now)
    with store.write() as conn:
        _owned(conn, educator, cohort_id)
        conn.execute(update(CohortRow).where(CohortRow.id == cohort_id).values(archived_at=now if archived else None))
        return _owned(conn, educator, cohort_id)


def members(store: Store, viewer: User, cohort_id: int, *, matching: str = "") -> list[Member]:
    """The cohort's learners in name order; ``matching`` (two letters or more) keeps those whose name
    or email contains it, ignoring case and accents in any script (see :func:`matching_names`)."""
    require(viewer, Action.VIEW_COHORTS)
    with store.read() as conn:
        _owned(conn, viewer, cohort_id)
        return _members(conn, cohort_id, matching=matching)


def _members(conn: Connection, cohort_id: int, *, matching: str = "") -> list[Member]:
    query = (
        select(UserRow.id, UserRow.display_name, UserRow.email, CohortMemberRow.joined_at)
        .join(CohortMemberRow, CohortMemberRow.user_id == UserRow.id)
        .where(CohortMemberRow.cohort_id == cohort_id, UserRow.deleted_at.is_(None))
        .order_by(name_order(conn), UserRow.id)
    )
    condition = matching_names(matching) if matching.strip() else None
    if condition is not None:
        query = query.where(condition)
    rows = conn.execute(query).all()
    return [Member(r.id, r.display_name, r.email, r.joined_at) for r in rows]


def member_ids(conn: Connection, cohort_id: int) -> list[int]:
    return [m.user_id for m in _members(conn, cohort_id)]


def _add(conn: Connection, cohort_id: int, user_id: int, now: datetime, *, via: str) -> bool:
    """Insert a membership; ``via`` is one of ``JOINED_VIA`` (how the learner came to be a member)."""
    if via not in JOINED_VIA:
        raise ValueError(f"unknown membership route {via!r}")
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    added = conn.execute(
        dialect_insert(CohortMemberRow)
        .values(cohort_id=cohort_id, user_id=user_id, joined_at=now, joined_via=via)
        .on_conflict_do_nothing(index_elements=["cohort_id", "user_id"])
        .returning(CohortMemberRow.id)
    ).first()
    return added is not None


def join_by_code(store: Store, learner: User, code: str, *, now: datetime) -> Cohort:
    """Join the cohort with this invitation code; joining twice is harmless."""
    require(learner, Action.VIEW_COURSE)
    require_aware(now)
    wanted = codes.code_key(code)
    if not wanted:
        raise CohortError("Type the invitation code your educator gave you.")
    with store.write() as conn:
        row = conn.execute(select(CohortRow).where(CohortRow.invite_key == wanted)).first()
        if row is None:
            raise CohortError(f"No cohort has the code {code.strip().upper()[:32]}. Check it with your educator.")
        if row.archived_at is not None:
            raise CohortError("That cohort has been archived and is not taking new members.")
        _add(conn, row.id, learner.id, now, via="code")
        return _cohort(conn.execute(_select_cohorts().where(CohortRow.id == row.id)).one())


def find_learners(store: Store, educator: User, text: str, *, limit: int = 20) -> list[Member]:
    """Learners whose name or email contains the text (any case, any accents, any script)."""
    require(educator, Action.MANAGE_COHORTS)
    condition = matching_names(text)
    if condition is None:
        return []
    with store.read() as conn:
        rows = conn.execute(
            select(UserRow.id, UserRow.display_name, UserRow.email, UserRow.created_at)
            .where(UserRow.deleted_at.is_(None), UserRow.role == Role.LEARNER.value, condition)
            .order_by(name_order(conn), UserRow.id)
            .limit(limit)
        ).all()
    return [Member(r.id, r.display_name, r.email, r.created_at) for r in rows]


def add_member(store: Store, educator: User, cohort_id: int, user_id: int, *, now: datetime) -> bool:
    """Add a learner; False when they were already a member."""
    require_aware(now)
    with store.write() as conn:
        cohort = _owned(conn, educator, cohort_id)
        if cohort.archived:
            raise CohortError("Unarchive the cohort before adding learners.")
        learner = conn.execute(select(UserRow.id).where(UserRow.id == user_id, UserRow.deleted_at.is_(None))).first()
        if learner is None:
            raise CohortError("That learner no longer has an account.")
        return _add(conn, cohort_id, user_id, now, via="educator")


def remove_member(store: Store, educator: User, cohort_id: int, user_id: int) -> None:
    with store.write() as conn:
        _owned(conn, educator, cohort_id)
        conn.execute(
            delete(CohortMemberRow).where(CohortMemberRow.cohort_id == cohort_id, CohortMemberRow.user_id == user_id)
        )


def learner_cohorts(store: Store, learner: User, *, include_archived: bool = False) -> list[Cohort]:
    """The cohorts the learner belongs to."""
    require(learner, Action.VIEW_COURSE)
    query = (
        _select_cohorts()
        .join(CohortMemberRow, CohortMemberRow.cohort_id == CohortRow.id)
        .where(CohortMemberRow.user_id == learner.id)
    )
    if not include_archived:
        query = query.where(CohortRow.archived_at.is_(None))
    with store.read() as conn:
        return [_cohort(r) for r in conn.execute(query.order_by(CohortRow.name)).all()]


def _assignment(row: Any) -> Assignment:
    return Assignment(row.id, row.cohort_id, row.object_type, row.object_id, row.due_at)


def assign(
    store: Store, educator: User, cohort_id: int, object_type: str, object_id: str, due_at: datetime, *, now: datetime
) -> Assignment:
    """Set (or move the due date of) an assignment. The caller checks the id exists in the content."""
    require_aware(now)
    require_aware(due_at)
    if object_type not in ("module", "vignette", "assessment"):
        raise CohortError("Only a module, a case or the assessment can be assigned.")
    with store.write() as conn:
        _owned(conn, educator, cohort_id)
        dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        statement = dialect_insert(AssignmentRow).values(
            cohort_id=cohort_id, object_type=object_type, object_id=object_id, due_at=due_at, created_at=now
        )
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["cohort_id", "object_type", "object_id"], set_={"due_at": statement.excluded.due_at}
            )
        )
        row = conn.execute(
            select(AssignmentRow).where(
                AssignmentRow.cohort_id == cohort_id,
                AssignmentRow.object_type == object_type,
                AssignmentRow.object_id == object_id,
            )
        ).one()
        return _assignment(row)


def unassign(store: Store, educator: User, cohort_id: int, assignment_id: int) -> None:
    with store.write() as conn:
        _owned(conn, educator, cohort_id)
        conn.execute(
            delete(AssignmentRow).where(AssignmentRow.id == assignment_id, AssignmentRow.cohort_id == cohort_id)
        )


def assignments(store: Store, viewer: User, cohort_id: int) -> list[Assignment]:
    require(viewer, Action.VIEW_COHORTS)
    with store.read() as conn:
        _owned(conn, viewer, cohort_id)
        return _assignments(conn, [cohort_id])


def _assignments(conn: Connection, cohort_ids: list[int]) -> list[Assignment]:
    rows = conn.execute(
        select(AssignmentRow)
        .where(AssignmentRow.cohort_id.in_(cohort_ids))
        .order_by(AssignmentRow.due_at, AssignmentRow.object_type, AssignmentRow.object_id)
    ).all()
    return [_assignment(r) for r in rows]


def state_of(done_at: datetime | None, due_at: datetime, now: datetime) -> AssignmentState:
    if done_at is not None:
        return AssignmentState.DONE
    return AssignmentState.OVERDUE if now > due_at else AssignmentState.DUE


def my_assignments(store: Store, learner: User, *, now: datetime) -> list[LearnerAssignment]:
    """The learner's assignments across their active cohorts, soonest due first, with status."""
    require(learner, Action.VIEW_COURSE)
    require_aware(now)
    with store.read() as conn:
        cohorts = {
            r.id: r.name
            for r in conn.execute(
                select(CohortRow.id, CohortRow.name)
                .join(CohortMemberRow, CohortMemberRow.cohort_id == CohortRow.id)
                .where(CohortMemberRow.user_id == learner.id, CohortRow.archived_at.is_(None))
            ).all()
        }
        found = _assignments(conn, list(cohorts))
        done = completions(conn, [learner.id], {(a.object_type, a.object_id) for a in found})
    result = [
        LearnerAssignment(
            a,
            cohorts[a.cohort_id],
            done.get((learner.id, a.object_type, a.object_id)),
            state_of(done.get((learner.id, a.object_type, a.object_id)), a.due_at, now),
        )
        for a in found
    ]
    # The same item assigned by two cohorts is shown once, with the earlier due date.
    seen: set[tuple[str, str]] = set()
    unique = []
    for entry in result:
        key = (entry.assignment.object_type, entry.assignment.object_id)
        if key not in seen:
            seen.add(key)
            unique.append(entry)
    return unique


def may_view_learner(conn: Connection, viewer: User, learner_id: int) -> bool:
    """An educator may look at a learner only while that learner is in a cohort they own."""
    if viewer.id == learner_id or viewer.role is Role.ADMIN:
        return True
    if not can(viewer, Action.VIEW_DASHBOARDS):
        return False
    found = conn.execute(
        select(CohortMemberRow.id)
        .join(CohortRow, CohortRow.id == CohortMemberRow.cohort_id)
        .where(CohortMemberRow.user_id == learner_id, CohortRow.owner_id == viewer.id)
        .limit(1)
    ).first()
    return found is not None


def require_may_view(store: Store, viewer: User, learner_id: int) -> None:
    """Raise PermissionDenied unless the viewer is the learner, an admin, or owns a cohort they are in."""
    with store.read() as conn:
        allowed = may_view_learner(conn, viewer, learner_id)
    if not allowed:
        raise PermissionDenied(Action.VIEW_DASHBOARDS)
