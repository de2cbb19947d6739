"""Per-concept mastery for one learner, from three kinds of evidence, and the next step to take.

Evidence (each counted in SQL, grouped by what it was about and whether it went well):

* **Questions**: knowledge-check answers (each answer) and the final answers of submitted
  assessment attempts (an unanswered question counts as wrong). An item is evidence for each
  concept it is tagged with.
* **Case choices**: a choice in a vignette is good evidence when its effects move the case's
  variables the way their ``better`` says (alliance up, risk down, ...), poor evidence when they
  move them the wrong way, and no evidence when they balance out. It counts for the concepts
  the choice's feedback names.
* **Flashcards**: a review rated good or easy is good evidence for that term; "again" is poor;
  "hard" counts as neither.

The score is the mean of a Beta(1, 1) posterior, ``(good + 1) / (good + poor + 2)``, so one lucky
answer does not look like mastery: a concept is *mastered* at a score of at least 0.75 with at
least three pieces of evidence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from course.accounts import User
from course.cohorts import require_may_view
from course.content import Course
from course.schema import ChoiceNode, Vignette
from course.store.db import Store
from course.store.models import AttemptAnswerRow, AttemptItemRow, AttemptRow, EventRow, answer_of_item

MASTERED_SCORE = 0.75
MASTERED_EVIDENCE = 3


@dataclass(frozen=True)
class Evidence:
    source: str  # "question", "assessment", "case choice" or "flashcard"
    what: str  # a human label: the question's id and module, the case step, the card
    good: int
    poor: int


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


def _check_rows(conn: Connection, learner_id: int) -> Iterable[Any]:
    correct = EventRow.payload["correct"].as_boolean()
    return conn.execute(
        select(EventRow.object_id.label("item"), correct.label("correct"), func.count().label("n"))
        .where(EventRow.user_id == learner_id, EventRow.verb == "check.answered")
        .group_by(EventRow.object_id, correct)
    ).all()


def _assessment_rows(conn: Connection, learner_id: int) -> Iterable[Any]:
    correct = func.coalesce(AttemptAnswerRow.chosen == AttemptItemRow.answer, False)
    return conn.execute(
        select(AttemptItemRow.item_id.label("item"), correct.label("correct"), func.count().label("n"))
        .join(AttemptRow, AttemptRow.id == AttemptItemRow.attempt_id)
        .outerjoin(AttemptAnswerRow, answer_of_item())
        .where(AttemptRow.user_id == learner_id, AttemptRow.status == "submitted")
        .group_by(AttemptItemRow.item_id, correct)
    ).all()


def _choice_rows(conn: Connection, learner_id: int) -> Iterable[Any]:
    node = EventRow.payload["node"].as_string()
    action = EventRow.payload["action"].as_string()
    return conn.execute(
        select(
            EventRow.object_id.label("vignette"), node.label("node"), action.label("action"), func.count().label("n")
        )
        .where(EventRow.user_id == learner_id, EventRow.verb == "vignette.step")
        .group_by(EventRow.object_id, node, action)
    ).all()


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

    def add(self, concepts: Iterable[str], source: str, what: str, good: bool, n: int) -> None:
        for concept in concepts:
            self.items[concept][(source, what)][0 if good else 1] += n

    def result(self, course: Course) -> list[ConceptMastery]:
        found = []
        for concept in course.glossary:
            per_item = self.items.get(concept, {})
            evidence = tuple(
                Evidence(source, what, good, poor) for (source, what), (good, poor) in sorted(per_item.items())
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
        for row in _check_rows(conn, learner_id):
            item = items.get(row.item)
            if item is not None:
                tally.add(item.concepts, "question", f"{item.id} ({item.module})", bool(row.correct), int(row.n))
        for row in _assessment_rows(conn, learner_id):
            item = items.get(row.item)
            if item is not None:
                tally.add(item.concepts, "assessment", item.id, bool(row.correct), int(row.n))
        for row in _choice_rows(conn, learner_id):
            _tally_choice(tally, course, row)
        for row in _card_rows(conn, learner_id):
            if row.rating in ("good", "easy", "again") and row.term in course.glossary:
                tally.add([row.term], "flashcard", row.term, row.rating != "again", int(row.n))
    return tally.result(course)


def _tally_choice(tally: _Tally, course: Course, row: Any) -> None:
    vignette = course.vignettes.get(row.vignette)
    node = next((n for n in vignette.nodes if n.id == row.node), None) if vignette is not None else None
    if vignette is None or not isinstance(node, ChoiceNode):
        return
    choice = next((c for c in node.choices if c.id == row.action), None)
    if choice is None:
        return  # a choice since removed from the content: no longer evidence of anything
    quality = choice_quality(vignette, choice.effects)
    if quality:
        what = f"{vignette.title}: {node.title or node.id}, '{choice.label}'"
        tally.add(choice.concepts, "case choice", what, quality > 0, int(row.n))


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
