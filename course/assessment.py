"""The summative assessment: drawing a paper, saving answers, grading exactly once.

An attempt is a small state machine (in_progress -> submitted, or in_progress -> abandoned) kept
in the database, so answers survive a reload, a second tab and a server restart. Drawing and
scoring are pure functions of their inputs; everything that writes checks that the attempt
belongs to the signed-in learner and is still open, inside the same transaction as the write.
"""

from __future__ import annotations

import os
import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from course.accounts import User
from course.clock import require_aware
from course.content import Course
from course.permissions import Action, require
from course.schema import QuizItem, QuizMode
from course.store.db import Store
from course.store.events import append_event
from course.store.models import AttemptAnswerRow, AttemptItemRow, AttemptRow

ASSESSMENT_ID = "summative"
LETTERS = "ABCDE"


class AttemptStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    ABANDONED = "abandoned"


class AssessmentError(ValueError):
    """Something the learner tried that cannot be done; the message is shown to them."""


class AttemptNotFound(AssessmentError):
    """No such attempt for this learner (another learner's attempt looks exactly the same)."""

    def __init__(self) -> None:
        super().__init__("There is no such attempt.")


class AttemptClosed(AssessmentError):
    def __init__(self, status: str) -> None:
        super().__init__(
            "This attempt has been submitted; its answers can no longer change."
            if status == AttemptStatus.SUBMITTED
            else "This attempt was abandoned; start a new one."
        )


@dataclass(frozen=True)
class Settings:
    items: int = 20
    pass_mark_percent: int = 80

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """COURSE_ASSESSMENT_ITEMS (5-100) and COURSE_PASS_MARK (a percentage, 1-100)."""
        items = _bounded_int(env, "COURSE_ASSESSMENT_ITEMS", cls.items, 5, 100)
        mark = _bounded_int(env, "COURSE_PASS_MARK", cls.pass_mark_percent, 1, 100)
        return cls(items, mark)


def _bounded_int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, not {raw!r}")
    return int(raw)


@dataclass(frozen=True)
class PaperItem:
    item_id: str
    options: tuple[str, ...]  # the item's option keys in the order shown (A, B, C, ...)
    answer: str  # frozen at draw time: a later content edit cannot change this attempt's grade

    def letter(self, key: str) -> str:
        return LETTERS[self.options.index(key)]


@dataclass(frozen=True)
class Score:
    correct: int
    total: int
    passed: bool

    @property
    def percent(self) -> float:
        return 100.0 * self.correct / self.total if self.total else 0.0


@dataclass(frozen=True)
class Attempt:
    id: int
    status: AttemptStatus
    paper: tuple[PaperItem, ...]
    answers: Mapping[str, str]
    pass_mark_percent: int
    started_at: datetime
    submitted_at: datetime | None
    correct: int | None
    passed: bool | None
    content_version: str

    @property
    def total(self) -> int:
        return len(self.paper)


# --- pure parts -----------------------------------------------------------------------------------


def summative_items(course: Course) -> dict[str, QuizItem]:
    return {
        item.id: item for bank in course.quizzes.values() for item in bank.items if QuizMode.SUMMATIVE in item.modes
    }


def draw_paper(items: Mapping[str, QuizItem], count: int, seed: int) -> list[PaperItem]:
    """Draw `count` items stratified by objective (round robin), then shuffle items and options."""
    rng = random.Random(seed)
    by_objective: dict[str, list[str]] = {}
    for item_id in sorted(items):
        by_objective.setdefault(items[item_id].objectives[0], []).append(item_id)
    objectives = sorted(by_objective)
    rng.shuffle(objectives)
    for pool in by_objective.values():
        rng.shuffle(pool)
    drawn: list[str] = []
    while len(drawn) < min(count, len(items)):
        for objective in objectives:
            if by_objective[objective] and len(drawn) < count:
                drawn.append(by_objective[objective].pop())
    rng.shuffle(drawn)
    paper = []
    for item_id in drawn:
        item = items[item_id]
        keys = [o.key for o in item.options]
        if not item.all_of_the_above:  # "all of the above" must stay where it is to make sense
            rng.shuffle(keys)
        paper.append(PaperItem(item_id, tuple(keys), item.answer))
    return paper


def score(paper: tuple[PaperItem, ...] | list[PaperItem], answers: Mapping[str, str], pass_mark_percent: int) -> Score:
    """Unanswered items count as wrong; passing needs at least the pass mark (80% of 20 = 16)."""
    correct = sum(1 for p in paper if answers.get(p.item_id) == p.answer)
    total = len(paper)
    return Score(correct, total, total > 0 and correct * 100 >= pass_mark_percent * total)


# --- attempts in the store ------------------------------------------------------------------------


def _paper_of(row: Any) -> tuple[PaperItem, ...]:
    return tuple(PaperItem(p["item"], tuple(p["options"]), p["answer"]) for p in row.paper)


def _load(conn: Connection, user: User, attempt_id: int, *, lock: bool = False) -> Any:
    query = select(AttemptRow).where(AttemptRow.id == attempt_id, AttemptRow.user_id == user.id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise AttemptNotFound()
    return row


def _attempt(conn: Connection, row: Any) -> Attempt:
    answers = dict(
        conn.execute(
            select(AttemptAnswerRow.item_id, AttemptAnswerRow.chosen).where(AttemptAnswerRow.attempt_id == row.id)
        ).all()
    )
    return Attempt(
        row.id,
        AttemptStatus(row.status),
        _paper_of(row),
        answers,
        row.pass_mark_percent,
        row.started_at,
        row.submitted_at,
        row.correct,
        row.passed,
        row.content_version,
    )


def _record(
    conn: Connection, user: User, verb: str, content_version: str, payload: dict[str, Any], *, now: datetime
) -> None:
    append_event(
        conn,
        user_id=user.id,
        verb=verb,
        object_type="assessment",
        object_id=ASSESSMENT_ID,
        content_version=content_version,
        payload=payload,
        now=now,
    )


def start_attempt(
    store: Store, user: User, course: Course, settings: Settings, *, now: datetime, seed: int | None = None
) -> Attempt:
    """Open a new attempt, or return the one already open (a reload or a second tab resumes it)."""
    require(user, Action.TAKE_ASSESSMENT)
    require_aware(now)
    items = summative_items(course)
    if not items:
        raise AssessmentError("The assessment has no questions yet.")
    seed = secrets.randbits(62) if seed is None else seed
    paper = draw_paper(items, settings.items, seed)
    try:
        with store.write() as conn:
            existing = _open_row(conn, user)
            if existing is not None:
                return _attempt(conn, existing)
            new_id = conn.execute(
                insert(AttemptRow)
                .values(
                    user_id=user.id,
                    assessment_id=ASSESSMENT_ID,
                    status=AttemptStatus.IN_PROGRESS.value,
                    seed=seed,
                    content_version=course.version,
                    paper=[{"item": p.item_id, "options": list(p.options), "answer": p.answer} for p in paper],
                    pass_mark_percent=settings.pass_mark_percent,
                    started_at=now,
                    total=len(paper),
                )
                .returning(AttemptRow.id)
            ).scalar_one()
            conn.execute(
                insert(AttemptItemRow),
                [
                    {"attempt_id": new_id, "item_id": p.item_id, "position": i, "answer": p.answer}
                    for i, p in enumerate(paper)
                ],
            )
            _record(
                conn,
                user,
                "assessment.started",
                course.version,
                {"attempt": new_id, "items": [p.item_id for p in paper], "seed": seed},
                now=now,
            )
            return _attempt(conn, _load(conn, user, new_id))
    except IntegrityError:
        # Another tab opened one between our check and our insert: the unique index kept it single.
        with store.read() as conn:
            row = _open_row(conn, user)
            if row is None:
                raise
            return _attempt(conn, row)


def _open_row(conn: Connection, user: User) -> Any:
    return conn.execute(
        select(AttemptRow).where(
            AttemptRow.user_id == user.id,
            AttemptRow.assessment_id == ASSESSMENT_ID,
            AttemptRow.status == AttemptStatus.IN_PROGRESS.value,
        )
    ).first()


def open_attempt(store: Store, user: User) -> Attempt | None:
    require(user, Action.TAKE_ASSESSMENT)
    with store.read() as conn:
        row = _open_row(conn, user)
        return _attempt(conn, row) if row is not None else None


def get_attempt(store: Store, user: User, attempt_id: int) -> Attempt:
    require(user, Action.TAKE_ASSESSMENT)
    with store.read() as conn:
        return _attempt(conn, _load(conn, user, attempt_id))


def history(store: Store, user: User) -> list[Attempt]:
    """The learner's own attempts, newest first."""
    require(user, Action.TAKE_ASSESSMENT)
    with store.read() as conn:
        rows = conn.execute(
            select(AttemptRow)
            .where(AttemptRow.user_id == user.id, AttemptRow.assessment_id == ASSESSMENT_ID)
            .order_by(AttemptRow.started_at.desc(), AttemptRow.id.desc())
        ).all()
        return [_attempt(conn, row) for row in rows]


def has_passed(store: Store, user: User) -> bool:
    return any(a.passed for a in history(store, user) if a.status is AttemptStatus.SUBMITTED)


def save_answer(store: Store, user: User, attempt_id: int, item_id: str, chosen: str, *, answered_at: datetime) -> bool:
    """Save an answer the moment it is chosen. Returns False when a newer answer is already saved."""
    require(user, Action.TAKE_ASSESSMENT)
    require_aware(answered_at)
    with store.write() as conn:
        row = _load(conn, user, attempt_id, lock=True)
        if row.status != AttemptStatus.IN_PROGRESS:
            raise AttemptClosed(row.status)
        paper = {p.item_id: (i, p) for i, p in enumerate(_paper_of(row))}
        if item_id not in paper:
            raise AssessmentError("That question is not part of this attempt.")
        position, item = paper[item_id]
        if chosen not in item.options:
            raise AssessmentError("That is not one of the options.")
        dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        statement = dialect_insert(AttemptAnswerRow).values(
            attempt_id=attempt_id, item_id=item_id, chosen=chosen, answered_at=answered_at
        )
        # RETURNING, not rowcount: PostgreSQL reports -1 for an upsert that returns rows.
        saved = conn.execute(
            statement.on_conflict_do_update(
                index_elements=["attempt_id", "item_id"],
                set_={"chosen": statement.excluded.chosen, "answered_at": statement.excluded.answered_at},
                # A stale answer (older than the one saved) never overwrites a newer one.
                where=AttemptAnswerRow.answered_at < statement.excluded.answered_at,
            ).returning(AttemptAnswerRow.id)
        ).first()
        if saved is None:
            return False
        _record(
            conn,
            user,
            "assessment.answered",
            row.content_version,
            {
                "attempt": attempt_id,
                "item": item_id,
                "chosen": chosen,
                "correct": chosen == item.answer,
                "position": position,
                "shown_as": item.letter(chosen),
            },
            now=answered_at,
        )
        return True


def submit(store: Store, user: User, attempt_id: int, *, now: datetime) -> Attempt:
    """Grade the attempt exactly once; submitting again (double click, second tab) returns that grade."""
    require(user, Action.TAKE_ASSESSMENT)
    require_aware(now)
    with store.write() as conn:
        row = _load(conn, user, attempt_id, lock=True)
        if row.status == AttemptStatus.ABANDONED:
            raise AttemptClosed(row.status)
        if row.status == AttemptStatus.IN_PROGRESS:
            attempt = _attempt(conn, row)
            result = score(attempt.paper, attempt.answers, attempt.pass_mark_percent)
            graded = conn.execute(
                update(AttemptRow)
                .where(AttemptRow.id == attempt_id, AttemptRow.status == AttemptStatus.IN_PROGRESS.value)
                .values(
                    status=AttemptStatus.SUBMITTED.value,
                    submitted_at=now,
                    correct=result.correct,
                    passed=result.passed,
                )
            )
            if graded.rowcount == 1:
                _record(
                    conn,
                    user,
                    "assessment.submitted",
                    row.content_version,
                    {
                        "attempt": attempt_id,
                        "correct": result.correct,
                        "total": result.total,
                        "percent": round(result.percent, 1),
                        "passed": result.passed,
                        "pass_mark_percent": attempt.pass_mark_percent,
                    },
                    now=now,
                )
        return _attempt(conn, _load(conn, user, attempt_id))


def abandon(store: Store, user: User, attempt_id: int, *, now: datetime) -> Attempt:
    require(user, Action.TAKE_ASSESSMENT)
    require_aware(now)
    with store.write() as conn:
        row = _load(conn, user, attempt_id, lock=True)
        if row.status != AttemptStatus.IN_PROGRESS:
            raise AttemptClosed(row.status)
        conn.execute(update(AttemptRow).where(AttemptRow.id == attempt_id).values(status=AttemptStatus.ABANDONED.value))
        _record(
            conn,
            user,
            "assessment.abandoned",
            row.content_version,
            {"attempt": attempt_id},
            now=now,
        )
        return _attempt(conn, _load(conn, user, attempt_id))
