"""Cohorts, their members and assignments.

An educator sees and changes only the cohorts they own (an admin sees all of them); a learner sees
only the cohorts they belong to and their own assignments. A cohort someone may not see behaves
exactly like one that does not exist, so ids cannot be probed.

Consent before visibility (issue 16): an educator reaches a learner's records only through the
learner's own act (joining with the cohort's code, accepting an invitation sent to their exact
email, or an LMS enrolment) or through an administrator. A membership made any other way (the
``"educator"`` route of old, kept for rows from before the rule) is *pending*: it counts for
nothing an educator sees until the learner accepts it on their Account page. Learners can leave a
cohort at any time; leaving, or being removed, withdraws every reflection they shared with it, so
being added again never revives a share.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, collate, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ColumnElement, Select

from course import codes, formatting
from course.accounts import Role, User, normalise_email
from course.clock import require_aware
from course.completion import completions
from course.permissions import Action, PermissionDenied, can, require
from course.store.db import Store
from course.store.models import (
    CONSENTED_VIA,
    JOINED_VIA,
    AssignmentRow,
    CohortInvitationRow,
    CohortMemberRow,
    CohortRow,
    ReflectionRow,
    ReflectionShareRow,
    UserRow,
)
from course.textkey import fold, like_pattern

NAME_MAX: int = CohortRow.__table__.c.name.type.length  # type: ignore[attr-defined]
EMAIL_MAX: int = CohortInvitationRow.__table__.c.email.type.length  # type: ignore[attr-defined]
# The learner joined by their own act (route_analytics counts only these learners).
SELF_JOINED_VIA: tuple[str, ...] = ("code", "invitation", "lti")
INVITED = (
    "Invitation recorded for {email}. If that address has an account, or makes one, the person sees "
    "the invitation on their Account page and can accept or decline it; they join only if they accept."
)
# Codes are read aloud and copied from slides: course.codes (Crockford base 32, look-alikes folded).
CODE_LENGTH = 8
SEARCH_MIN_CHARS = 2  # of the folded text, so one letter (or only accents) lists nobody
DELETED_NAME = "Deleted user"  # how a member whose account was deleted is listed (privacy.DELETED_NAME)


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
    time_zone: str = formatting.DEFAULT_ZONE  # IANA zone of the cohort's due days

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    @property
    def zone(self) -> ZoneInfo:
        return formatting.zone_or_utc(self.time_zone)


@dataclass(frozen=True)
class Member:
    user_id: int
    display_name: str
    email: str
    joined_at: datetime
    deleted: bool = False  # the account was deleted: still a member (figures stay), shown as "Deleted user"


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
    cohort_zone: str = formatting.DEFAULT_ZONE  # the zone the due day is a day in


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


def consented() -> ColumnElement[bool]:
    """SQL condition: this cohort_members row rests on the learner's own act or an admin."""
    return CohortMemberRow.joined_via.in_(CONSENTED_VIA)


def _member_counts() -> Any:
    return (
        select(func.count())
        .where(CohortMemberRow.cohort_id == CohortRow.id, consented())
        .correlate(CohortRow)
        .scalar_subquery()
        .label("members")
    )


def _cohort(r: Any) -> Cohort:
    return Cohort(r.id, r.name, r.owner_id, r.invite_code, r.created_at, r.archived_at, int(r.members), r.time_zone)


def _select_cohorts() -> Select[Any]:
    return select(
        CohortRow.id,
        CohortRow.name,
        CohortRow.owner_id,
        CohortRow.invite_code,
        CohortRow.created_at,
        CohortRow.archived_at,
        _member_counts(),
        CohortRow.time_zone,
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


def create_cohort(store: Store, educator: User, name: str, *, now: datetime, time_zone: str | None = None) -> Cohort:
    """A new cohort whose due days are in ``time_zone`` (default: the educator's own zone, else UTC)."""
    require(educator, Action.MANAGE_COHORTS)
    require_aware(now)
    cleaned = _clean_name(name)
    zone_name = _zone_name(time_zone or educator.time_zone or formatting.DEFAULT_ZONE)
    for _ in range(5):  # a code collision is astronomically rare, but cheap to survive
        try:
            with store.write() as conn:
                new_id = conn.execute(
                    insert(CohortRow)
                    .values(
                        name=cleaned,
                        owner_id=educator.id,
                        invite_code=new_invite_code(),
                        created_at=now,
                        time_zone=zone_name,
                    )
                    .returning(CohortRow.id)
                ).scalar_one()
                return _owned(conn, educator, int(new_id))
        except IntegrityError:
            continue
    raise RuntimeError("could not find a free invitation code")


def _zone_name(name: str) -> str:
    """The IANA name, checked against the tz database; CohortError with a message if unknown."""
    cleaned = name.strip()
    try:
        formatting.zone(cleaned or "?")
    except formatting.UnknownZone as exc:
        raise CohortError(f"“{cleaned}” is not a time zone this site knows; pick one such as Europe/London.") from exc
    return cleaned


def set_time_zone(store: Store, educator: User, cohort_id: int, name: str) -> Cohort:
    """Put the cohort's due days in another zone; each assignment keeps its due *day*.

    "Due 3 March" stays 3 March and now ends at the last instant of 3 March in the new zone.
    Raises CohortError for an unknown zone, CohortNotFound for someone else's cohort.
    """
    zone_name = _zone_name(name)
    with store.write() as conn:
        cohort = _owned(conn, educator, cohort_id)
        old, new = cohort.zone, formatting.zone(zone_name)
        found = select(AssignmentRow.id, AssignmentRow.due_at).where(AssignmentRow.cohort_id == cohort_id)
        for row in conn.execute(found).all():
            day = formatting.local_today(row.due_at, old)
            conn.execute(
                update(AssignmentRow)
                .where(AssignmentRow.id == row.id)
                .values(due_at=formatting.last_instant_of_day(day, new))
            )
        conn.execute(update(CohortRow).where(CohortRow.id == cohort_id).values(time_zone=zone_name))
        return _owned(conn, educator, cohort_id)


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
    """Every consented member, including those who deleted their account (privacy.py: memberships are
    kept so a cohort's figures do not change; the member is listed as "Deleted user" with no email).
    ``matching`` keeps the members whose name or email matches (any case, accents, script)."""
    query = (
        select(UserRow.id, UserRow.display_name, UserRow.email, UserRow.deleted_at, CohortMemberRow.joined_at)
        .join(CohortMemberRow, CohortMemberRow.user_id == UserRow.id)
        .where(CohortMemberRow.cohort_id == cohort_id, consented())
        .order_by(UserRow.deleted_at.is_not(None), name_order(conn), UserRow.id)
    )
    condition = matching_names(matching) if matching.strip() else None
    if condition is not None:
        query = query.where(condition, UserRow.deleted_at.is_(None))
    rows = conn.execute(query).all()
    return [
        Member(r.id, DELETED_NAME, "", r.joined_at, deleted=True)
        if r.deleted_at is not None
        else Member(r.id, r.display_name, r.email, r.joined_at)
        for r in rows
    ]


def member_ids(conn: Connection, cohort_id: int, *, self_joined_only: bool = False) -> list[int]:
    """Live members who consented; ``self_joined_only`` keeps those who joined by their own act."""
    people = [m.user_id for m in _members(conn, cohort_id)]
    if not self_joined_only:
        return people
    joined_self = set(
        conn.execute(
            select(CohortMemberRow.user_id).where(
                CohortMemberRow.cohort_id == cohort_id, CohortMemberRow.joined_via.in_(SELF_JOINED_VIA)
            )
        ).scalars()
    )
    return [person for person in people if person in joined_self]


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
    if added is None and via in CONSENTED_VIA:
        # A pending membership (added without asking) becomes a consented one by this act.
        conn.execute(
            update(CohortMemberRow)
            .where(
                CohortMemberRow.cohort_id == cohort_id,
                CohortMemberRow.user_id == user_id,
                CohortMemberRow.joined_via.not_in(CONSENTED_VIA),
            )
            .values(joined_via=via)
        )
    # The person acted (or an admin did): invitations to this cohort for their email are spent.
    email = conn.execute(select(UserRow.email).where(UserRow.id == user_id)).scalar_one_or_none()
    if email is not None:
        conn.execute(
            delete(CohortInvitationRow).where(
                CohortInvitationRow.cohort_id == cohort_id, CohortInvitationRow.email == email
            )
        )
    return added is not None


def join_by_code(store: Store, learner: User, code: str, *, now: datetime) -> Cohort:
    """Join the cohort with this invitation code; joining twice is harmless."""
    require(learner, Action.VIEW_COURSE)
    require_aware(now)
    wanted = codes.code_key(code)
    if not wanted:
        raise CohortError("Type the invitation code your educator gave you.")
    with store.write(actor=learner.id) as conn:
        row = conn.execute(select(CohortRow).where(CohortRow.invite_key == wanted)).first()
        if row is None:
            raise CohortError(f"No cohort has the code {code.strip().upper()[:32]}. Check it with your educator.")
        if row.archived_at is not None:
            raise CohortError("That cohort has been archived and is not taking new members.")
        _add(conn, row.id, learner.id, now, via="code")
        return _cohort(conn.execute(_select_cohorts().where(CohortRow.id == row.id)).one())


def find_learners(store: Store, admin: User, text: str, *, limit: int = 20) -> list[Member]:
    """Learners whose name or email contains the text (any case, any accents, any script):
    administrators only, since it lists accounts (educators invite by exact email instead)."""
    require(admin, Action.MANAGE_USERS)
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


def add_member(store: Store, admin: User, cohort_id: int, user_id: int, *, now: datetime) -> bool:
    """An administrator adds a learner directly; False when they were already a member.

    Educators cannot: they invite (``invite``), and the learner decides.
    """
    require(admin, Action.MANAGE_USERS)
    require_aware(now)
    with store.write() as conn:
        cohort = _owned(conn, admin, cohort_id)
        if cohort.archived:
            raise CohortError("Unarchive the cohort before adding learners.")
        learner = conn.execute(select(UserRow.id).where(UserRow.id == user_id, UserRow.deleted_at.is_(None))).first()
        if learner is None:
            raise CohortError("That learner no longer has an account.")
        return _add(conn, cohort_id, user_id, now, via="admin")


def _invitation_email(text: str) -> str:
    email = normalise_email(text)
    local, _, domain = email.partition("@")
    if not email:
        raise CohortError("Type the learner's email address.")
    if len(email) > EMAIL_MAX:
        raise CohortError(f"An email address can be at most {EMAIL_MAX} characters.")
    if email.count("@") != 1 or not local or "." not in domain or any(ch.isspace() for ch in email):
        raise CohortError("Type one whole email address, like name@example.org (no names or partial addresses).")
    return email


def invite(store: Store, educator: User, cohort_id: int, email: str, *, now: datetime) -> str:
    """Invite one exact email address to the cohort; returns the message to show.

    The answer is the same whether or not an account has that email (nothing is disclosed), and the
    learner joins only by accepting (``accept_invitation``). Raises CohortError for a malformed
    address or an archived cohort. Inviting twice is harmless.
    """
    require_aware(now)
    wanted = _invitation_email(email)
    with store.write(actor=educator.id) as conn:
        cohort = _owned(conn, educator, cohort_id)
        if cohort.archived:
            raise CohortError("Unarchive the cohort before inviting learners.")
        dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        conn.execute(
            dialect_insert(CohortInvitationRow)
            .values(cohort_id=cohort_id, email=wanted, created_at=now)
            .on_conflict_do_nothing(index_elements=["cohort_id", "email"])
        )
    return INVITED.format(email=wanted)


def invited_emails(store: Store, educator: User, cohort_id: int) -> list[str]:
    """Addresses invited to the cohort that have not answered yet (what the educator typed)."""
    with store.read() as conn:
        _owned(conn, educator, cohort_id)
        return list(
            conn.execute(
                select(CohortInvitationRow.email)
                .where(CohortInvitationRow.cohort_id == cohort_id)
                .order_by(CohortInvitationRow.email)
            ).scalars()
        )


def cancel_invitation(store: Store, educator: User, cohort_id: int, email: str) -> None:
    with store.write(actor=educator.id) as conn:
        _owned(conn, educator, cohort_id)
        conn.execute(
            delete(CohortInvitationRow).where(
                CohortInvitationRow.cohort_id == cohort_id, CohortInvitationRow.email == normalise_email(email)
            )
        )


@dataclass(frozen=True)
class Invitation:
    """A cohort waiting for the learner's answer: an invitation to their email, or (from before the
    consent rule) a membership an educator made without asking."""

    cohort_id: int
    cohort_name: str
    educator_name: str


def invitations_for(store: Store, learner: User) -> list[Invitation]:
    """What the learner may accept or decline, by cohort name."""
    require(learner, Action.VIEW_COURSE)
    with store.read() as conn:
        return _invitations(conn, learner)


def _invitations(conn: Connection, learner: User) -> list[Invitation]:
    email = conn.execute(select(UserRow.email).where(UserRow.id == learner.id)).scalar_one_or_none()
    invited = select(CohortInvitationRow.cohort_id).where(CohortInvitationRow.email == (email or ""))
    pending = select(CohortMemberRow.cohort_id).where(
        CohortMemberRow.user_id == learner.id, CohortMemberRow.joined_via.not_in(CONSENTED_VIA)
    )
    rows = conn.execute(
        select(CohortRow.id, CohortRow.name, UserRow.display_name)
        .join(UserRow, UserRow.id == CohortRow.owner_id)
        .where(or_(CohortRow.id.in_(invited), CohortRow.id.in_(pending)), CohortRow.archived_at.is_(None))
        .where(
            CohortRow.id.not_in(
                select(CohortMemberRow.cohort_id).where(CohortMemberRow.user_id == learner.id, consented())
            )
        )
        .order_by(CohortRow.name, CohortRow.id)
    ).all()
    return [Invitation(r.id, r.name, r.display_name) for r in rows]


def accept_invitation(store: Store, learner: User, cohort_id: int, *, now: datetime) -> Cohort:
    """Join the cohort the learner was invited to (their own act); CohortError if no longer open."""
    require(learner, Action.VIEW_COURSE)
    require_aware(now)
    with store.write(actor=learner.id) as conn:
        if cohort_id not in {i.cohort_id for i in _invitations(conn, learner)}:
            raise CohortError("That invitation is no longer open (it was withdrawn, or the cohort was archived).")
        _add(conn, cohort_id, learner.id, now, via="invitation")
        return _cohort(conn.execute(_select_cohorts().where(CohortRow.id == cohort_id)).one())


def decline_invitation(store: Store, learner: User, cohort_id: int) -> None:
    """Say no: the invitation is removed, and so is a membership made without asking."""
    require(learner, Action.VIEW_COURSE)
    with store.write(actor=learner.id) as conn:
        email = conn.execute(select(UserRow.email).where(UserRow.id == learner.id)).scalar_one()
        conn.execute(
            delete(CohortInvitationRow).where(
                CohortInvitationRow.cohort_id == cohort_id, CohortInvitationRow.email == email
            )
        )
        conn.execute(
            delete(CohortMemberRow).where(
                CohortMemberRow.cohort_id == cohort_id,
                CohortMemberRow.user_id == learner.id,
                CohortMemberRow.joined_via.not_in(CONSENTED_VIA),
            )
        )


def end_memberships(conn: Connection, cohort_id: int, user_ids: list[int], now: datetime) -> None:
    """Remove these members and withdraw every reflection of theirs shared with the cohort, so that
    joining again later starts with nothing shared (a share is the learner's act, never revived)."""
    if not user_ids:
        return
    conn.execute(
        update(ReflectionShareRow)
        .where(
            ReflectionShareRow.cohort_id == cohort_id,
            ReflectionShareRow.withdrawn_at.is_(None),
            ReflectionShareRow.reflection_id.in_(select(ReflectionRow.id).where(ReflectionRow.user_id.in_(user_ids))),
        )
        .values(withdrawn_at=now)
    )
    conn.execute(
        delete(CohortMemberRow).where(CohortMemberRow.cohort_id == cohort_id, CohortMemberRow.user_id.in_(user_ids))
    )


def remove_member(store: Store, educator: User, cohort_id: int, user_id: int, *, now: datetime) -> None:
    """Take a learner out of the cohort; their shares with it are withdrawn."""
    require_aware(now)
    with store.write(actor=educator.id) as conn:
        _owned(conn, educator, cohort_id)
        end_memberships(conn, cohort_id, [user_id], now)


def leave_cohort(store: Store, learner: User, cohort_id: int, *, now: datetime) -> None:
    """The learner leaves a cohort they belong to; their shares with it are withdrawn.

    Raises CohortNotFound when they are not a member (the same as a cohort that does not exist).
    """
    require(learner, Action.VIEW_COURSE)
    require_aware(now)
    with store.write(actor=learner.id) as conn:
        found = conn.execute(
            select(CohortMemberRow.id).where(
                CohortMemberRow.cohort_id == cohort_id, CohortMemberRow.user_id == learner.id
            )
        ).first()
        if found is None:
            raise CohortNotFound()
        end_memberships(conn, cohort_id, [learner.id], now)


def learner_cohorts(store: Store, learner: User, *, include_archived: bool = False) -> list[Cohort]:
    """The cohorts the learner belongs to."""
    require(learner, Action.VIEW_COURSE)
    query = (
        _select_cohorts()
        .join(CohortMemberRow, CohortMemberRow.cohort_id == CohortRow.id)
        .where(CohortMemberRow.user_id == learner.id, consented())
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


def due_day(assignment: Assignment, cohort_zone: ZoneInfo) -> date:
    """The calendar day an assignment is due, in the cohort's zone."""
    return formatting.local_today(assignment.due_at, cohort_zone)


def assign_due_day(
    store: Store, educator: User, cohort_id: int, object_type: str, object_id: str, day: date, *, now: datetime
) -> Assignment:
    """Assign with a due *day*: due at the last instant of ``day`` in the cohort's zone.

    A day that has already ended in the cohort's zone raises CohortError (the cohort's today is
    accepted: "due today" means by the end of today there).
    """
    require_aware(now)
    cohort = get_cohort(store, educator, cohort_id)
    due_at = formatting.last_instant_of_day(day, cohort.zone)
    if due_at < now:
        today = formatting.format_day(formatting.local_today(now, cohort.zone))
        raise CohortError(
            f"That due date has already passed: today is {today} in the cohort's time zone "
            f"({formatting.zone_label(cohort.zone)}). Choose today or a later day."
        )
    return assign(store, educator, cohort_id, object_type, object_id, due_at, now=now)


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
    """Done, due, or overdue: overdue only once ``now`` is past ``due_at`` (the due day's last instant)."""
    if done_at is not None:
        return AssignmentState.DONE
    return AssignmentState.OVERDUE if now > due_at else AssignmentState.DUE


def my_assignments(store: Store, learner: User, *, now: datetime) -> list[LearnerAssignment]:
    """The learner's assignments across their active cohorts, soonest due first, with status."""
    require(learner, Action.VIEW_COURSE)
    require_aware(now)
    with store.read() as conn:
        cohorts = {
            r.id: (r.name, r.time_zone)
            for r in conn.execute(
                select(CohortRow.id, CohortRow.name, CohortRow.time_zone)
                .join(CohortMemberRow, CohortMemberRow.cohort_id == CohortRow.id)
                .where(CohortMemberRow.user_id == learner.id, CohortRow.archived_at.is_(None), consented())
            ).all()
        }
        found = _assignments(conn, list(cohorts))
        done = completions(conn, [learner.id], {(a.object_type, a.object_id) for a in found})
    result = [
        LearnerAssignment(
            a,
            cohorts[a.cohort_id][0],
            done.get((learner.id, a.object_type, a.object_id)),
            state_of(done.get((learner.id, a.object_type, a.object_id)), a.due_at, now),
            cohorts[a.cohort_id][1],
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
    """An educator may look at a learner only while that learner is in a cohort they own, by consent."""
    if viewer.id == learner_id or viewer.role is Role.ADMIN:
        return True
    if not can(viewer, Action.VIEW_DASHBOARDS):
        return False
    found = conn.execute(
        select(CohortMemberRow.id)
        .join(CohortRow, CohortRow.id == CohortMemberRow.cohort_id)
        .where(CohortMemberRow.user_id == learner_id, CohortRow.owner_id == viewer.id, consented())
        .limit(1)
    ).first()
    return found is not None


def require_may_view(store: Store, viewer: User, learner_id: int) -> None:
    """Raise PermissionDenied unless the viewer is the learner, an admin, or owns a cohort they are in."""
    with store.read() as conn:
        allowed = may_view_learner(conn, viewer, learner_id)
    if not allowed:
        raise PermissionDenied(Action.VIEW_DASHBOARDS)
