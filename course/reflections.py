"""Learners' written reflections: private to their author unless the author shares one.

Two kinds live in the ``reflections`` table: answers written at a vignette's reflection step
(``vignette_step``) and the structured CPD reflective note (``structured``) of the portfolio.

Reflections on one's own feelings about patients are sensitive, so every read goes through one
rule (:func:`_readable`): the author may always read their own; an educator may read one only while
it is shared with a cohort they own *and* the author is still a member of that cohort. Anything
else behaves exactly like a reflection that does not exist, so ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, insert, select, update

from course.accounts import User
from course.clock import require_aware
from course.permissions import Action, require
from course.store.db import Store
from course.store.events import append_event
from course.store.models import (
    CONSENTED_VIA,
    CohortMemberRow,
    CohortRow,
    ReflectionRevisionRow,
    ReflectionRow,
    ReflectionShareRow,
    UserRow,
)

MAX_ANSWER_CHARS = 4000
MAX_TITLE_CHARS = 120
KIND_VIGNETTE_STEP = "vignette_step"
KIND_STRUCTURED = "structured"
REFLECTABLE_TYPES = ("module", "vignette")
REFLECTION_WRITTEN = "reflection.written"


@dataclass(frozen=True)
class Section:
    key: str
    heading: str  # which part of the note this is: patient, clinician, relationship, appraisal
    prompt: str


# Box 7's questions (module 8), in the course's own paraphrase, framed by the reflective-note
# sections appraisers expect. The prompt text is saved with each answer, so rewording these later
# never changes what an earlier note was answering.
_PATIENT, _CLINICIAN, _RELATIONSHIP = "The patient", "The clinician", "The relationship"
SECTIONS: tuple[Section, ...] = (
    Section(
        "what_happened",
        "What happened",
        "What happened? Describe the consultation or case without details that could identify the patient.",
    ),
    Section(
        "patient_story",
        _PATIENT,
        "What is my patient's story, as I understand it from what they say, how they behave and how I feel with them?",
    ),
    Section(
        "patient_communicating",
        _PATIENT,
        "What is my patient trying to communicate, in words and in actions, here and now?",
    ),
    Section(
        "patient_loss",
        _PATIENT,
        "What might my patient lose, or be exposed to, if their symptoms went and they got better?",
    ),
    Section(
        "clinician_feeling",
        _CLINICIAN,
        "How do I feel towards my patient, and how is that feeling shaping what I am thinking of prescribing?",
    ),
    Section(
        "clinician_contact",
        _CLINICIAN,
        "Am I prescribing to promote emotional contact with my patient, or to avoid it?",
    ),
    Section(
        "relationship_meaning",
        _RELATIONSHIP,
        "What might prescribing, or not prescribing, come to represent in our relationship?",
    ),
    Section("learned", "Learning", "What did I learn?"),
    Section("change_practice", "Learning", "How will this change my practice?"),
    Section("still_to_learn", "Learning", "What do I still need to learn, and how will I learn it?"),
)
SECTION_KEYS = tuple(s.key for s in SECTIONS)


class ReflectionError(ValueError):
    """Input that cannot be saved; ``message`` is written for the learner."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ReflectionNotFound(LookupError):
    """No reflection this viewer may see (someone else's looks exactly the same as none)."""

    def __init__(self) -> None:
        super().__init__("There is no such reflection.")


@dataclass(frozen=True)
class Reflection:
    id: int
    object_type: str
    object_id: str
    node_id: str | None
    entries: list[dict[str, str]]
    created_at: datetime
    kind: str = KIND_VIGNETTE_STEP
    title: str | None = None
    updated_at: datetime | None = None
    user_id: int = 0

    def answer(self, key: str) -> str:
        return next((e.get("answer", "") for e in self.entries if e.get("key") == key), "")


@dataclass(frozen=True)
class Revision:
    entries: list[dict[str, str]]
    written_at: datetime
    replaced_at: datetime


@dataclass(frozen=True)
class Share:
    cohort_id: int
    cohort_name: str
    shared_at: datetime


@dataclass(frozen=True)
class SharedReflection:
    reflection: Reflection
    author_name: str
    shared_at: datetime


@dataclass(frozen=True)
class CohortChoice:
    id: int
    name: str
    educator_name: str


def _reflection(row: Any) -> Reflection:
    return Reflection(
        row.id,
        row.object_type,
        row.object_id,
        row.node_id,
        list(row.entries),
        row.created_at,
        row.kind,
        row.title,
        row.updated_at,
        row.user_id,
    )


# --- vignette-step reflections (written inside a case) -------------------------------------------


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
    with store.write(actor=user.id) as conn:
        result = conn.execute(
            insert(ReflectionRow).values(
                user_id=user.id,
                object_type=object_type,
                object_id=object_id,
                node_id=node_id,
                content_version=content_version,
                entries=entries,
                created_at=now,
                kind=KIND_VIGNETTE_STEP,
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]


def my_reflections(
    store: Store,
    user: User,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    kind: str | None = None,
) -> list[Reflection]:
    """The signed-in user's own reflections, oldest first (the query is scoped to them)."""
    require(user, Action.VIEW_COURSE)
    query = select(ReflectionRow).where(ReflectionRow.user_id == user.id)
    if object_type is not None:
        query = query.where(ReflectionRow.object_type == object_type)
    if object_id is not None:
        query = query.where(ReflectionRow.object_id == object_id)
    if kind is not None:
        query = query.where(ReflectionRow.kind == kind)
    with store.read() as conn:
        rows = conn.execute(query.order_by(ReflectionRow.created_at, ReflectionRow.id)).all()
    return [_reflection(r) for r in rows]


# --- structured reflections (the CPD reflective note) ---------------------------------------------


def _clean_title(title: str) -> str:
    cleaned = " ".join(title.split())
    if not cleaned:
        raise ReflectionError("Give the reflection a short title.")
    if len(cleaned) > MAX_TITLE_CHARS:
        raise ReflectionError(f"The title can be at most {MAX_TITLE_CHARS} characters (it has {len(cleaned)}).")
    return cleaned


def _structured_entries(answers: Mapping[str, str]) -> list[dict[str, str]]:
    """Validate the answers and pair each with its prompt. Nothing is cut short: too long is refused."""
    unknown = sorted(set(answers) - set(SECTION_KEYS))
    if unknown:
        raise ValueError(f"unknown reflection sections: {', '.join(unknown)}")
    too_long = [s.prompt for s in SECTIONS if len(answers.get(s.key, "").strip()) > MAX_ANSWER_CHARS]
    if too_long:
        listed = "; ".join(f"“{p}”" for p in too_long)
        raise ReflectionError(
            f"Each answer can be at most {MAX_ANSWER_CHARS} characters. Please shorten your answer to: {listed}"
        )
    entries = [{"key": s.key, "prompt": s.prompt, "answer": answers.get(s.key, "").strip()} for s in SECTIONS]
    if not any(e["answer"] for e in entries):
        raise ReflectionError("Write something in at least one section before saving.")
    return entries


def _record_written(conn: Connection, user: User, row: Any, revision: int, now: datetime) -> None:
    # The event says that a reflection was written, never what it says: the log feeds analytics
    # and the xAPI export, and the text is private.
    append_event(
        conn,
        user_id=user.id,
        verb=REFLECTION_WRITTEN,
        object_type=row.object_type,
        object_id=row.object_id,
        content_version=row.content_version,
        payload={"reflection": row.id, "kind": KIND_STRUCTURED, "revision": revision},
        now=now,
    )


def write_structured(
    store: Store,
    user: User,
    *,
    object_type: str,
    object_id: str,
    title: str,
    answers: Mapping[str, str],
    content_version: str,
    now: datetime,
) -> Reflection:
    """Save a new structured reflection on a module or vignette. Private until the author shares it."""
    require(user, Action.VIEW_OWN_PROGRESS)
    require_aware(now)
    if object_type not in REFLECTABLE_TYPES:
        raise ValueError(f"a reflection is attached to a module or a vignette, not {object_type!r}")
    clean_title = _clean_title(title)
    entries = _structured_entries(answers)
    with store.write(actor=user.id) as conn:
        new_id = conn.execute(
            insert(ReflectionRow)
            .values(
                user_id=user.id,
                object_type=object_type,
                object_id=object_id,
                node_id=None,
                content_version=content_version,
                entries=entries,
                created_at=now,
                kind=KIND_STRUCTURED,
                title=clean_title,
            )
            .returning(ReflectionRow.id)
        ).scalar_one()
        row = conn.execute(select(ReflectionRow).where(ReflectionRow.id == new_id)).one()
        _record_written(conn, user, row, 0, now)
        return _reflection(row)


def _own_row(conn: Connection, user: User, reflection_id: int, *, lock: bool = False) -> Any:
    query = select(ReflectionRow).where(ReflectionRow.id == reflection_id, ReflectionRow.user_id == user.id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise ReflectionNotFound()
    return row


def revise_structured(
    store: Store, user: User, reflection_id: int, *, title: str, answers: Mapping[str, str], now: datetime
) -> Reflection:
    """Replace the wording of one's own structured reflection, keeping the old wording as a revision."""
    require(user, Action.VIEW_OWN_PROGRESS)
    require_aware(now)
    clean_title = _clean_title(title)
    entries = _structured_entries(answers)
    with store.write(actor=user.id) as conn:
        row = _own_row(conn, user, reflection_id, lock=True)
        if row.kind != KIND_STRUCTURED:
            raise ReflectionError("Reflections written inside a case cannot be edited here.")
        if list(row.entries) == entries and row.title == clean_title:
            return _reflection(row)  # nothing changed: no empty revision in the history
        conn.execute(
            insert(ReflectionRevisionRow).values(
                reflection_id=reflection_id,
                entries=list(row.entries),
                written_at=row.updated_at or row.created_at,
                replaced_at=now,
            )
        )
        conn.execute(
            update(ReflectionRow)
            .where(ReflectionRow.id == reflection_id)
            .values(entries=entries, title=clean_title, updated_at=now)
        )
        revision = len(conn.execute(select(ReflectionRevisionRow.id).where(_revisions_of(reflection_id))).all())
        updated = conn.execute(select(ReflectionRow).where(ReflectionRow.id == reflection_id)).one()
        _record_written(conn, user, updated, revision, now)
        return _reflection(updated)


def _revisions_of(reflection_id: int) -> Any:
    return ReflectionRevisionRow.reflection_id == reflection_id


def revisions(store: Store, user: User, reflection_id: int) -> list[Revision]:
    """Earlier wordings of one's own reflection, oldest first. Only the author sees the history."""
    require(user, Action.VIEW_OWN_PROGRESS)
    with store.read() as conn:
        _own_row(conn, user, reflection_id)
        rows = conn.execute(
            select(ReflectionRevisionRow)
            .where(_revisions_of(reflection_id))
            .order_by(ReflectionRevisionRow.replaced_at, ReflectionRevisionRow.id)
        ).all()
    return [Revision(list(r.entries), r.written_at, r.replaced_at) for r in rows]


# --- sharing ----------------------------------------------------------------------------------------


def _still_member() -> Any:
    """The author is a consented member of the cohort since before the share was made: a share from
    an earlier membership (left or removed, then back) is never revived (issue 16)."""
    return exists().where(
        CohortMemberRow.cohort_id == ReflectionShareRow.cohort_id,
        CohortMemberRow.user_id == ReflectionRow.user_id,
        CohortMemberRow.joined_via.in_(CONSENTED_VIA),
        CohortMemberRow.joined_at <= ReflectionShareRow.shared_at,
    )


def _member_cohort(conn: Connection, user: User, cohort_id: int) -> Any:
    return conn.execute(
        select(CohortRow.id, CohortRow.name)
        .join(CohortMemberRow, CohortMemberRow.cohort_id == CohortRow.id)
        .where(
            CohortRow.id == cohort_id,
            CohortMemberRow.user_id == user.id,
            CohortRow.archived_at.is_(None),
            CohortMemberRow.joined_via.in_(CONSENTED_VIA),
        )
    ).first()


def share_targets(store: Store, user: User) -> list[CohortChoice]:
    """The cohorts (still running) the learner belongs to, with the educator who would read a share."""
    require(user, Action.VIEW_OWN_PROGRESS)
    with store.read() as conn:
        rows = conn.execute(
            select(CohortRow.id, CohortRow.name, UserRow.display_name)
            .join(CohortMemberRow, CohortMemberRow.cohort_id == CohortRow.id)
            .join(UserRow, UserRow.id == CohortRow.owner_id)
            .where(
                CohortMemberRow.user_id == user.id,
                CohortRow.archived_at.is_(None),
                CohortMemberRow.joined_via.in_(CONSENTED_VIA),
            )
            .order_by(CohortRow.name, CohortRow.id)
        ).all()
    return [CohortChoice(r.id, r.name, r.display_name) for r in rows]


def _active_share(conn: Connection, reflection_id: int, cohort_id: int) -> Any:
    return conn.execute(
        select(ReflectionShareRow.id).where(
            ReflectionShareRow.reflection_id == reflection_id,
            ReflectionShareRow.cohort_id == cohort_id,
            ReflectionShareRow.withdrawn_at.is_(None),
        )
    ).first()


def share(store: Store, user: User, reflection_id: int, cohort_id: int, *, now: datetime) -> None:
    """Share one's own reflection with the educator who runs one of one's cohorts (idempotent)."""
    require(user, Action.VIEW_OWN_PROGRESS)
    require_aware(now)
    with store.write(actor=user.id) as conn:
        _own_row(conn, user, reflection_id, lock=True)
        if _member_cohort(conn, user, cohort_id) is None:
            raise ReflectionError("You can share only with a cohort you belong to.")
        if _active_share(conn, reflection_id, cohort_id) is None:
            conn.execute(
                insert(ReflectionShareRow).values(reflection_id=reflection_id, cohort_id=cohort_id, shared_at=now)
            )


def withdraw(store: Store, user: User, reflection_id: int, cohort_id: int, *, now: datetime) -> bool:
    """Stop sharing one's reflection with that cohort's educator. False if it was not shared."""
    require(user, Action.VIEW_OWN_PROGRESS)
    require_aware(now)
    with store.write(actor=user.id) as conn:
        _own_row(conn, user, reflection_id, lock=True)
        changed = conn.execute(
            update(ReflectionShareRow)
            .where(
                ReflectionShareRow.reflection_id == reflection_id,
                ReflectionShareRow.cohort_id == cohort_id,
                ReflectionShareRow.withdrawn_at.is_(None),
            )
            .values(withdrawn_at=now)
        ).rowcount
    return bool(changed)


def shares(store: Store, user: User, reflection_id: int) -> list[Share]:
    """Who one's own reflection is shared with right now."""
    require(user, Action.VIEW_OWN_PROGRESS)
    with store.read() as conn:
        _own_row(conn, user, reflection_id)
        rows = conn.execute(
            select(ReflectionShareRow.cohort_id, CohortRow.name, ReflectionShareRow.shared_at)
            .join(CohortRow, CohortRow.id == ReflectionShareRow.cohort_id)
            .where(ReflectionShareRow.reflection_id == reflection_id, ReflectionShareRow.withdrawn_at.is_(None))
            .order_by(CohortRow.name)
        ).all()
    return [Share(r.cohort_id, r.name, r.shared_at) for r in rows]


def _visible_shares(viewer: User) -> Any:
    """Share rows an educator may read through: live, to a cohort they own, author still a member."""
    return and_(
        ReflectionShareRow.reflection_id == ReflectionRow.id,
        ReflectionShareRow.withdrawn_at.is_(None),
        CohortRow.id == ReflectionShareRow.cohort_id,
        CohortRow.owner_id == viewer.id,
        _still_member(),
        UserRow.id == ReflectionRow.user_id,
        UserRow.deleted_at.is_(None),
    )


def shared_with_cohort(store: Store, viewer: User, cohort_id: int) -> list[SharedReflection]:
    """Reflections shared with the educator through a cohort they own, newest share first.

    Another educator's cohort (or one that does not exist) gives an empty list, exactly like a
    cohort of one's own where nothing is shared: its existence is not confirmed.
    """
    require(viewer, Action.VIEW_COHORTS)
    with store.read() as conn:
        rows = conn.execute(
            select(ReflectionRow, UserRow.display_name, ReflectionShareRow.shared_at)
            .select_from(ReflectionRow)
            .join(ReflectionShareRow, ReflectionShareRow.reflection_id == ReflectionRow.id)
            .join(CohortRow, CohortRow.id == ReflectionShareRow.cohort_id)
            .join(UserRow, UserRow.id == ReflectionRow.user_id)
            .where(_visible_shares(viewer), ReflectionShareRow.cohort_id == cohort_id)
            .order_by(ReflectionShareRow.shared_at.desc(), ReflectionShareRow.id.desc())
        ).all()
    return [SharedReflection(_reflection(r), r.display_name, r.shared_at) for r in rows]


def read_reflection(store: Store, viewer: User, reflection_id: int) -> Reflection:
    """One reflection, for its author or for an educator it is currently shared with; else not found."""
    require(viewer, Action.VIEW_COURSE)
    with store.read() as conn:
        row = conn.execute(select(ReflectionRow).where(ReflectionRow.id == reflection_id)).first()
        if row is None:
            raise ReflectionNotFound()
        if row.user_id == viewer.id:
            return _reflection(row)
        shared = conn.execute(
            select(ReflectionShareRow.id)
            .select_from(ReflectionRow)
            .join(ReflectionShareRow, ReflectionShareRow.reflection_id == ReflectionRow.id)
            .join(CohortRow, CohortRow.id == ReflectionShareRow.cohort_id)
            .join(UserRow, UserRow.id == ReflectionRow.user_id)
            .where(ReflectionRow.id == reflection_id, _visible_shares(viewer))
        ).first()
    if shared is None:
        raise ReflectionNotFound()
    return _reflection(row)


__all__ = [
    "KIND_STRUCTURED",
    "KIND_VIGNETTE_STEP",
    "MAX_ANSWER_CHARS",
    "MAX_TITLE_CHARS",
    "SECTIONS",
    "CohortChoice",
    "Reflection",
    "ReflectionError",
    "ReflectionNotFound",
    "Revision",
    "Section",
    "Share",
    "SharedReflection",
    "my_reflections",
    "read_reflection",
    "revise_structured",
    "revisions",
    "save_reflection",
    "share",
    "share_targets",
    "shared_with_cohort",
    "shares",
    "withdraw",
    "write_structured",
]
