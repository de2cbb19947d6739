"""Per-concept mastery for one learner, from three kinds of evidence, and the next step to take.

Evidence is counted once, and only while it still stands (issue 14):

* **Questions**: a knowledge-check item counts once per learner, and so does a summative item.
  The answer that counts is the first; a later answer replaces it only when it comes at least
  :data:`EVIDENCE_SPACING` (24 hours) after the answer counted so far (:func:`counted`). Repeating
  an answer straight after the key was shown is practice, not evidence: a day later it is a
  retrieval from memory, which the spacing literature treats as the durable kind of learning
  (Cepeda NJ et al. 2006, "Distributed practice in verbal recall tasks", Psychological Bulletin
  132:354-380; Roediger HL, Karpicke JD 2006, "Test-enhanced learning", Psychological Science
  17:249-255). In an assessment an unanswered question counts as wrong. An item is evidence for
  each concept it is tagged with.
* **Case choices**: a choice that was taken back with undo is not evidence. Each choice point of a
  case counts once, by the same rule (the first standing choice there, replaced by a later one made
  at least a day after it). A choice is good evidence when its effects move the case's variables
  the way their ``better`` says (alliance up, risk down, ...), poor evidence when they move them
  the wrong way, and no evidence when they balance out. It counts for the concepts the choice's
  feedback names.
* **Flashcards**: a review rated good or easy is good evidence for that term; "again" is poor;
  "hard" counts as neither (FSRS already spaces the reviews).

The score is the mean of a Beta(1, 1) posterior, ``(good + 1) / (good + poor + 2)``, so one lucky
answer does not look like mastery: a concept is *mastered* at a score of at least 0.75 with at
least three pieces of evidence.
"""

from __future__ import annotations

import re
import textwrap
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, func, select

from course.accounts import User
from course.cohorts import require_may_view
from course.content import Course
from course.schema import ChoiceNode, QuizItem, Vignette
from course.store.db import Store
from course.store.models import AttemptAnswerRow, AttemptItemRow, AttemptRow, EventRow, answer_of_item

MASTERED_SCORE = 0.75
MASTERED_EVIDENCE = 3
EVIDENCE_SPACING = timedelta(hours=24)
STEM_EXCERPT = 70  # characters of a question's stem that name it in a table of evidence

T = TypeVar("T")


@dataclass(frozen=True)
class Counted(Generic[T]):
    """The answer that counts for one item, and from when a new answer would replace it."""

    value: T
    at: datetime

    @property
    def replaceable_from(self) -> datetime:
        return self.at + EVIDENCE_SPACING


def counted(answers: Iterable[tuple[datetime, T]], spacing: timedelta = EVIDENCE_SPACING) -> Counted[T] | None:
    """The one answer that counts from ``answers`` (oldest first): the first, replaced by a later one
    only when that comes at least ``spacing`` after the answer counted so far. None if there are none."""
    current: Counted[T] | None = None
    for at, value in answers:
        if current is None or at - current.at >= spacing:
            current = Counted(value, at)
    return current


@dataclass(frozen=True)
class Evidence:
    source: str  # "question", "assessment", "case choice" or "flashcard"
    what: str  # what a learner recognises: the module, question number and stem; the case step; the card
    good: int
    poor: int
    ref: str = ""  # the content id behind it (a quiz item or a term id; a case step's label), for links and tests


@dataclass(frozen=True)
class ConceptMastery:
    concept_id: str
    good: int
    poor: int
    evidence_items: tuple[Evidence, ...] = field(default=())

    @property
    def evidence(self) -> int:
        return self.good + self.poor

    @property
    def score(self) -> float:
        return (self.good + 1) / (self.evidence + 2)

    @property
    def mastered(self) -> bool:
        return self.score >= MASTERED_SCORE and self.evidence >= MASTERED_EVIDENCE


@dataclass(frozen=True)
class NextStep:
    concept_id: str
    reason: str
    module_id: str | None
    vignette_id: str | None
    review_cards: bool


def choice_quality(vignette: Vignette, effects: dict[str, int]) -> int:
    """+1 when a choice's effects help the patient on balance, -1 when they harm, 0 otherwise."""
    balance = 0
    for name, delta in effects.items():
        variable = vignette.variables.get(name)
        if variable is None or variable.better is None:
            continue
        balance += delta if variable.better == "higher" else -delta
    return (balance > 0) - (balance < 0)


def _by_item(rows: Iterable[Any]) -> dict[str, Counted[bool]]:
    """(item, correct, at) rows, oldest first -> the counted answer per item."""
    answers: dict[str, list[tuple[datetime, bool]]] = defaultdict(list)
    for row in rows:
        answers[str(row.item)].append((row.at, bool(row.correct)))
    found = {item: counted(given) for item, given in answers.items()}
    return {item: value for item, value in found.items() if value is not None}


def check_evidence(conn: Connection, learner_id: int) -> dict[str, Counted[bool]]:
    """Knowledge-check item id -> the answer that counts (whether it was right, and when)."""
    correct = EventRow.payload["correct"].as_boolean()
    return _by_item(
        conn.execute(
            select(EventRow.object_id.label("item"), correct.label("correct"), EventRow.occurred_at.label("at"))
            .where(EventRow.user_id == learner_id, EventRow.verb == "check.answered")
            .order_by(EventRow.occurred_at, EventRow.id)
        )
    )


def _assessment_evidence(conn: Connection, learner_id: int) -> dict[str, Counted[bool]]:
    correct = func.coalesce(AttemptAnswerRow.chosen == AttemptItemRow.answer, False)
    return _by_item(
        conn.execute(
            select(AttemptItemRow.item_id.label("item"), correct.label("correct"), AttemptRow.submitted_at.label("at"))
            .join(AttemptRow, AttemptRow.id == AttemptItemRow.attempt_id)
            .outerjoin(AttemptAnswerRow, answer_of_item())
            .where(AttemptRow.user_id == learner_id, AttemptRow.status == "submitted")
            .order_by(AttemptRow.submitted_at, AttemptRow.id)
        )
    )


def standing_choices(conn: Connection, learner_id: int) -> list[tuple[str, str, str, datetime]]:
    """(vignette, node, choice, when) for every case step the learner has not taken back, oldest first.

    Replays the learner's case events: a "vignette.undone" removes the latest standing choice of
    that run; a restart begins a new run (the choices of earlier runs still stand). Continue
    steps are not choices.
    """
    rows = conn.execute(
        select(EventRow.object_id, EventRow.verb, EventRow.payload, EventRow.occurred_at)
        .where(
            EventRow.user_id == learner_id,
            EventRow.object_type == "vignette",
            EventRow.verb.in_(("vignette.started", "vignette.step", "vignette.undone")),
        )
        .order_by(EventRow.occurred_at, EventRow.id)
    ).all()
    runs: dict[str, list[tuple[str, str, str, datetime]]] = defaultdict(list)
    kept: list[tuple[str, str, str, datetime]] = []
    for vignette, verb, payload, at in rows:
        run = runs[vignette]
        if verb == "vignette.started":
            kept.extend(run)
            runs[vignette] = []
        elif verb == "vignette.undone":
            if run:
                run.pop()
        elif payload.get("action") not in (None, "continue"):
            run.append((vignette, str(payload.get("node")), str(payload.get("action")), at))
    for run in runs.values():
        kept.extend(run)
    return sorted(kept, key=lambda step: step[3])


def _card_rows(conn: Connection, learner_id: int) -> Iterable[Any]:
    rating = EventRow.payload["rating"].as_string()
    return conn.execute(
        select(EventRow.object_id.label("term"), rating.label("rating"), func.count().label("n"))
        .where(EventRow.user_id == learner_id, EventRow.verb == "card.reviewed")
        .group_by(EventRow.object_id, rating)
    ).all()


class _Tally:
    def __init__(self) -> None:
        self.items: dict[str, dict[tuple[str, str], list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
        self.labels: dict[tuple[str, str], str] = {}

    def add(self, concepts: Iterable[str], source: str, what: str, good: bool, n: int, *, ref: str = "") -> None:
        key = (source, ref or what)
        self.labels[key] = what
        for concept in concepts:
            self.items[concept][key][0 if good else 1] += n

    def result(self, course: Course) -> list[ConceptMastery]:
        found = []
        for concept in course.glossary:
            per_item = self.items.get(concept, {})
            evidence = tuple(
                Evidence(source, self.labels[(source, ref)], good, poor, ref)
                for (source, ref), (good, poor) in sorted(
                    per_item.items(), key=lambda kv: (kv[0][0], self.labels[kv[0]])
                )
            )
            found.append(
                ConceptMastery(concept, sum(e.good for e in evidence), sum(e.poor for e in evidence), evidence)
            )
        return found


def concept_mastery(store: Store, viewer: User, learner_id: int, course: Course) -> list[ConceptMastery]:
    """Every glossary concept with its score and the evidence behind it (empty evidence allowed)."""
    require_may_view(store, viewer, learner_id)
    items = course.items()
    tally = _Tally()
    with store.read() as conn:
        for item_id, answer in check_evidence(conn, learner_id).items():
            item = items.get(item_id)
            if item is not None:
                tally.add(item.concepts, "question", question_label(course, item), answer.value, 1, ref=item.id)
        for item_id, answer in _assessment_evidence(conn, learner_id).items():
            item = items.get(item_id)
            if item is not None:
                tally.add(
                    item.concepts,
                    "assessment",
                    question_label(course, item, in_assessment=True),
                    answer.value,
                    1,
                    ref=item.id,
                )
        per_point: dict[tuple[str, str], list[tuple[datetime, str]]] = defaultdict(list)
        for vignette, node, choice, at in standing_choices(conn, learner_id):
            per_point[(vignette, node)].append((at, choice))
        for (vignette, node), choices in per_point.items():
            chosen = counted(choices)
            if chosen is not None:
                _tally_choice(tally, course, vignette, node, chosen.value)
        for row in _card_rows(conn, learner_id):
            if row.rating in ("good", "easy", "again") and row.term in course.glossary:
                name = course.glossary[row.term].term
                tally.add([row.term], "flashcard", f"Card: {name}", row.rating != "again", int(row.n), ref=row.term)
    return tally.result(course)


def question_label(course: Course, item: QuizItem, *, in_assessment: bool = False) -> str:
    """A question as a learner knows it: where it is asked and how it starts, never its internal id.

    In a knowledge check: "Knowledge check, <module title>, question <n>: “<stem…>”" (n counts from
    1 in the order the module shows its checks); in the assessment: "Assessment: “<stem…>”" (the
    assessment's order is shuffled per attempt, so a number would not help).
    """
    stem = f"“{stem_excerpt(item.stem)}”"
    module = course.modules.get(item.module) if item.module else None
    if module is not None and not in_assessment:
        checks = [check.id for check in course.checks_for(module.id)]
        number = f", question {checks.index(item.id) + 1}" if item.id in checks else ""
        return f"Knowledge check, {module.meta.title}{number}: {stem}"
    return f"Assessment: {stem}"


def stem_excerpt(stem: str, width: int = STEM_EXCERPT) -> str:
    """The start of a question's Markdown stem as plain words, cut at a word and ended with "…"."""
    plain = " ".join(re.sub(r"\]\([^)]*\)|[*_`#>\[\]]", " ", stem).split())
    return textwrap.shorten(plain, width=width, placeholder="…")


def _tally_choice(tally: _Tally, course: Course, vignette_id: str, node_id: str, choice_id: str) -> None:
    vignette = course.vignettes.get(vignette_id)
    node = next((n for n in vignette.nodes if n.id == node_id), None) if vignette is not None else None
    if vignette is None or not isinstance(node, ChoiceNode):
        return
    choice = next((c for c in node.choices if c.id == choice_id), None)
    if choice is None:
        return  # a choice since removed from the content: no longer evidence of anything
    quality = choice_quality(vignette, choice.effects)
    if quality:
        what = f"{vignette.title}: {node.title or node.id}, '{choice.label}'"
        tally.add(choice.concepts, "case choice", what, quality > 0, 1)


def next_step(course: Course, mastery: list[ConceptMastery], completed: set[str]) -> NextStep | None:
    """Point at the weakest concept: the one with poor evidence first, else one not yet met at all."""
    met = [m for m in mastery if m.evidence and not m.mastered]
    if met:
        weakest = min(met, key=lambda m: (m.score, -m.evidence, m.concept_id))
        pieces = "piece" if weakest.evidence == 1 else "pieces"
        reason = f"{weakest.good} of {weakest.evidence} {pieces} of evidence went well"
    else:
        unmet = [m for m in mastery if not m.evidence]
        if not unmet:
            return None
        order: dict[str, int] = {}  # concept -> the first unfinished module that teaches it
        for position, unfinished in enumerate(course.modules.values()):
            if unfinished.id not in completed:
                for taught in unfinished.meta.concepts:
                    order.setdefault(taught, position)
        weakest = min(unmet, key=lambda m: (order.get(m.concept_id, 10_000), m.concept_id))
        reason = "you have not met it in a question, a case or a card yet"
    concept = weakest.concept_id
    teaching = [m for m in course.modules.values() if concept in m.meta.concepts]
    module = next((m for m in teaching if m.id not in completed), teaching[0] if teaching else None)
    vignette = next(
        (
            v
            for v in course.vignettes.values()
            if concept in v.concepts
            or any(concept in c.concepts for n in v.nodes if isinstance(n, ChoiceNode) for c in n.choices)
        ),
        None,
    )
    return NextStep(concept, reason, module.id if module else None, vignette.id if vignette else None, True)
