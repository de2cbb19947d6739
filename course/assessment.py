"""The summative assessment: drawing a paper, saving answers, grading exactly once, review, retakes.

An attempt is a small state machine (in_progress -> submitted, or in_progress -> abandoned) kept
in the database, so answers survive a reload, a second tab and a server restart. Drawing and
scoring are pure functions of their inputs; everything that writes checks that the attempt
belongs to the signed-in learner and is still open, inside the same transaction as the write.

Protecting the bank (issue 14; Moodle's quiz "review options" are the model): after an attempt
that did not pass, the learner sees which of their answers were right or wrong and the rationale
of the option they chose, but not the key of any question that can be drawn again; once they have
passed, every key and rationale (:func:`may_reveal_key`, :func:`review`). Retakes are limited in
number and spaced by a cooldown (``COURSE_RETAKE_LIMIT``, ``COURSE_RETAKE_COOLDOWN_HOURS``), both
stored on each attempt like the pass mark (:func:`retake_status`). A submission that cannot reach
the pass mark with the answers given (a blank or near-blank one) must be confirmed, and then counts
as an attempt like any other.
"""

from __future__ import annotations

import os
import random
import secrets
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from course import formatting
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


class IncompleteSubmission(AssessmentError):
    """Submitting now cannot pass: the learner must confirm, since the attempt will count."""

    def __init__(self, answered: int, total: int, pass_mark_percent: int) -> None:
        super().__init__(
            f"You have answered {answered} of {total} questions, so this attempt cannot reach the pass mark of "
            f"{pass_mark_percent}% even if every answer is right. Submitted now, it counts as one of your attempts."
        )
        self.answered = answered
        self.total = total


class RetakeNotAllowed(AssessmentError):
    """A new attempt cannot start now; the message says why and, for a cooldown, until when."""

    def __init__(self, status: RetakeStatus) -> None:
        super().__init__(status.reason)
        self.status = status


@dataclass(frozen=True)
class Settings:
    """What an attempt is sat under; all of it is stored on the attempt when it starts.

    ``retake_limit`` is the number of submitted attempts allowed in all (0: no limit) and
    ``retake_cooldown_hours`` the wait after a submitted attempt that did not pass before the next
    may start. Defaults: 5 attempts, 24 hours apart. With 20 questions drawn from a bank of about
    100, five attempts let a learner who revises between attempts pass, while a learner who tries to
    learn the keys by trial and error (each attempt reveals only whether their own choices were
    right) can test at most 100 answers, a day apart.
    """

    items: int = 20
    pass_mark_percent: int = 80
    retake_limit: int = 5
    retake_cooldown_hours: int = 24

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """COURSE_ASSESSMENT_ITEMS (5-100), COURSE_PASS_MARK (a percentage, 1-100),
        COURSE_RETAKE_LIMIT (attempts in all, 0-100; 0 means no limit) and
        COURSE_RETAKE_COOLDOWN_HOURS (0-720). Raises ValueError naming the variable."""
        items = _bounded_int(env, "COURSE_ASSESSMENT_ITEMS", cls.items, 5, 100)
        mark = _bounded_int(env, "COURSE_PASS_MARK", cls.pass_mark_percent, 1, 100)
        limit = _bounded_int(env, "COURSE_RETAKE_LIMIT", cls.retake_limit, 0, 100)
        cooldown = _bounded_int(env, "COURSE_RETAKE_COOLDOWN_HOURS", cls.retake_cooldown_hours, 0, 720)
        return cls(items, mark, limit, cooldown)


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
    retake_limit: int | None = None  # as stored on the attempt (None: taken before retake rules existed)
    retake_cooldown_minutes: int | None = None
    answered_at_submission: int | None = None

    @property
    def total(self) -> int:
        return len(self.paper)

    @property
    def answered(self) -> int:
        return sum(1 for p in self.paper if p.item_id in self.answers)


@dataclass(frozen=True)
class RetakeStatus:
    """Whether the learner may start an attempt now, and why not."""

    allowed: bool
    reason: str  # a sentence for the learner ("" when allowed)
    used: int  # submitted attempts so far
    limit: int | None  # attempts allowed in all (None: no limit)
    next_at: datetime | None  # when a cooldown ends (None: no cooldown in force)
    passed: bool

    @property
    def left(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.used, 0)


class Verdict(StrEnum):
    CORRECT = "correct"
    INCORRECT = "incorrect"
    UNANSWERED = "unanswered"


@dataclass(frozen=True)
class ItemReview:
    """What the review of one question may show.

    ``key`` is None while the key is protected; ``rationales`` holds only the option keys whose
    rationale may be shown (the learner's own choice, or every option once the key may be shown).
    """

    number: int
    item_id: str
    options: tuple[str, ...]  # option keys in the order shown (A, B, ...)
    chosen: str | None
    verdict: Verdict
    key: str | None
    rationales: frozenset[str]

    @property
    def key_protected(self) -> bool:
        return self.key is None

    def letter(self, option: str) -> str:
        return LETTERS[self.options.index(option)]


@dataclass(frozen=True)
class Review:
    attempt: Attempt
    items: tuple[ItemReview, ...]
    full: bool  # every key and rationale is shown (the learner has passed)
    retake: RetakeStatus


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


def cannot_pass(answered: int, total: int, pass_mark_percent: int) -> bool:
    """True when even all-correct answers to the questions answered fall short of the pass mark.

    Such a submission (blank or near-blank) must be confirmed: it is certain to fail and it uses an
    attempt. With 20 questions and an 80% pass mark that is fewer than 16 answered.
    """
    return total > 0 and answered * 100 < pass_mark_percent * total


def may_reveal_key(item_id: str, *, learner_passed: bool, drawable: Collection[str]) -> bool:
    """May a review show this question's key (and the rationales of options not chosen)?

    Yes once the learner has passed (there is nothing left to protect for them), or when the item
    is no longer in the summative bank (it cannot be drawn again). Otherwise no: the key of an item
    that a later attempt could draw is never shown. This is the one rule every review view follows.
    """
    return learner_passed or item_id not in drawable


def review_item(
    number: int, paper_item: PaperItem, chosen: str | None, *, learner_passed: bool, drawable: Collection[str]
) -> ItemReview:
    """One question's review under :func:`may_reveal_key` (pure)."""
    if chosen is None:
        verdict = Verdict.UNANSWERED
    else:
        verdict = Verdict.CORRECT if chosen == paper_item.answer else Verdict.INCORRECT
    open_key = may_reveal_key(paper_item.item_id, learner_passed=learner_passed, drawable=drawable)
    shown = frozenset(paper_item.options) if open_key else frozenset({chosen} if chosen else set())
    return ItemReview(
        number,
        paper_item.item_id,
        paper_item.options,
        chosen,
        verdict,
        paper_item.answer if open_key else None,
        shown,
    )


def retake_rule(attempts: list[Attempt], settings: Settings, *, now: datetime) -> RetakeStatus:
    """Whether a new attempt may start now (pure): ``attempts`` newest first, as :func:`history` gives.

    The learner is never held to a stricter rule than the one stored on their latest submitted
    attempt (what they were told when they sat it); a more lenient current setting applies at once.
    Only submitted attempts count; an abandoned one reveals nothing and costs nothing.
    """
    submitted = [a for a in attempts if a.status is AttemptStatus.SUBMITTED]
    passed = any(a.passed for a in submitted)
    limit = settings.retake_limit or None
    cooldown = timedelta(hours=settings.retake_cooldown_hours)
    latest = submitted[0] if submitted else None
    if latest is not None and latest.retake_limit is not None:
        stored_limit = latest.retake_limit or None
        limit = None if limit is None or stored_limit is None else max(limit, stored_limit)
    if latest is not None and latest.retake_cooldown_minutes is not None:
        cooldown = min(cooldown, timedelta(minutes=latest.retake_cooldown_minutes))
    used = len(submitted)
    if passed:
        return RetakeStatus(
            False, "You have passed the assessment; there is nothing to retake.", used, limit, None, True
        )
    if limit is not None and used >= limit:
        return RetakeStatus(
            False,
            f"You have used all {limit} attempts. Ask your course administrator if you need another.",
            used,
            limit,
            None,
            False,
        )
    if latest is not None and latest.submitted_at is not None and cooldown:
        next_at = latest.submitted_at + cooldown
        if now < next_at:
            return RetakeStatus(
                False, "Your next attempt opens after a pause for revision.", used, limit, next_at, False
            )
    return RetakeStatus(True, "", used, limit, None, False)


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
        row.retake_limit,
        row.retake_cooldown_minutes,
        row.answered,
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
        with store.write(actor=user.id) as conn:
            existing = _open_row(conn, user)
            if existing is not None:
                return _attempt(conn, existing)
            status = retake_rule(_history(conn, user), settings, now=now)
            if not status.allowed:
                raise RetakeNotAllowed(status)
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
                    retake_limit=settings.retake_limit,
                    retake_cooldown_minutes=settings.retake_cooldown_hours * 60,
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


def _history(conn: Connection, user: User) -> list[Attempt]:
    rows = conn.execute(
        select(AttemptRow)
        .where(AttemptRow.user_id == user.id, AttemptRow.assessment_id == ASSESSMENT_ID)
        .order_by(AttemptRow.started_at.desc(), AttemptRow.id.desc())
    ).all()
    return [_attempt(conn, row) for row in rows]


def history(store: Store, user: User) -> list[Attempt]:
    """The learner's own attempts, newest first."""
    require(user, Action.TAKE_ASSESSMENT)
    with store.read() as conn:
        return _history(conn, user)


def attempt_numbers(attempts: Iterable[Attempt]) -> dict[int, int]:
    """Attempt id -> its number for the learner: 1 for the first attempt started, counting every
    attempt (in progress, submitted or abandoned) in order of starting, ties by id. The number names
    an attempt in links and titles, where two started in the same minute would otherwise read alike."""
    ordered = sorted(attempts, key=lambda a: (a.started_at, a.id))
    return {a.id: number for number, a in enumerate(ordered, start=1)}


def retake_status(store: Store, user: User, settings: Settings, *, now: datetime) -> RetakeStatus:
    """May the learner start an attempt now? (An open attempt is resumed, whatever this says.)"""
    require(user, Action.TAKE_ASSESSMENT)
    require_aware(now)
    return retake_rule(history(store, user), settings, now=now)


def review(store: Store, user: User, course: Course, attempt_id: int, settings: Settings, *, now: datetime) -> Review:
    """The review of a submitted attempt under :func:`may_reveal_key`. Raises AttemptNotFound, or
    AssessmentError for an attempt that has not been submitted."""
    require(user, Action.TAKE_ASSESSMENT)
    require_aware(now)
    attempts = history(store, user)
    attempt = next((a for a in attempts if a.id == attempt_id), None)
    if attempt is None:
        raise AttemptNotFound()
    if attempt.status is not AttemptStatus.SUBMITTED:
        raise AssessmentError("This attempt has not been submitted, so there is nothing to review yet.")
    passed = any(a.passed for a in attempts if a.status is AttemptStatus.SUBMITTED)
    drawable = set(summative_items(course))
    items = tuple(
        review_item(n, p, attempt.answers.get(p.item_id), learner_passed=passed, drawable=drawable)
        for n, p in enumerate(attempt.paper, start=1)
    )
    return Review(attempt, items, passed, retake_rule(attempts, settings, now=now))


def has_passed(store: Store, user: User) -> bool:
    return any(a.passed for a in history(store, user) if a.status is AttemptStatus.SUBMITTED)


def save_answer(store: Store, user: User, attempt_id: int, item_id: str, chosen: str, *, answered_at: datetime) -> bool:
    """Save an answer the moment it is chosen. Returns False when a newer answer is already saved."""
    require(user, Action.TAKE_ASSESSMENT)
    require_aware(answered_at)
    with store.write(actor=user.id) as conn:
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


def submit(store: Store, user: User, attempt_id: int, *, now: datetime, confirm_incomplete: bool = False) -> Attempt:
    """Grade the attempt exactly once; submitting again (double click, second tab) returns that grade.

    Raises IncompleteSubmission, and changes nothing, when the answers given cannot reach the pass
    mark (:func:`cannot_pass`) unless ``confirm_incomplete``: a blank or near-blank submission is
    confirmed, then counts as an attempt.
    """
    require(user, Action.TAKE_ASSESSMENT)
    require_aware(now)
    with store.write(actor=user.id) as conn:
        row = _load(conn, user, attempt_id, lock=True)
        if row.status == AttemptStatus.ABANDONED:
            raise AttemptClosed(row.status)
        if row.status == AttemptStatus.IN_PROGRESS:
            attempt = _attempt(conn, row)
            incomplete = cannot_pass(attempt.answered, attempt.total, attempt.pass_mark_percent)
            if incomplete and not confirm_incomplete:
                raise IncompleteSubmission(attempt.answered, attempt.total, attempt.pass_mark_percent)
            result = score(attempt.paper, attempt.answers, attempt.pass_mark_percent)
            graded = conn.execute(
                update(AttemptRow)
                .where(AttemptRow.id == attempt_id, AttemptRow.status == AttemptStatus.IN_PROGRESS.value)
                .values(
                    status=AttemptStatus.SUBMITTED.value,
                    submitted_at=now,
                    correct=result.correct,
                    passed=result.passed,
                    answered=attempt.answered,
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
                        "percent": formatting.floor_to(result.percent, 0.1),  # rounded down: agrees with "passed"
                        "passed": result.passed,
                        "pass_mark_percent": attempt.pass_mark_percent,
                        "answered": attempt.answered,
                        "confirmed_incomplete": incomplete,
                    },
                    now=now,
                )
        return _attempt(conn, _load(conn, user, attempt_id))


def abandon(store: Store, user: User, attempt_id: int, *, now: datetime) -> Attempt:
    require(user, Action.TAKE_ASSESSMENT)
    require_aware(now)
    with store.write(actor=user.id) as conn:
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
