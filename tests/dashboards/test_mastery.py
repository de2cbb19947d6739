from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from course import assessment, cohorts, progress
from course.accounts import Role, User
from course.content import Course, load_course
from course.mastery import EVIDENCE_SPACING, MASTERED_EVIDENCE, choice_quality, concept_mastery, counted, next_step
from course.permissions import PermissionDenied
from course.schema import ChoiceNode
from course.store.db import Store
from course.store.events import record_event

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def course() -> Course:
    return load_course(REPO).course


def _step(store: Store, user: User, vignette: str, node: str, action: str, when: datetime) -> None:
    record_event(
        store,
        user_id=user.id,
        verb="vignette.step",
        object_type="vignette",
        object_id=vignette,
        content_version="v",
        payload={"node": node, "action": action, "target": "x", "values": {}},
        now=when,
    )


def test_choice_quality_reads_effects_by_the_variables_better_direction(course: Course) -> None:
    mr_z = course.vignettes["mr-z"]
    assert choice_quality(mr_z, {"alliance": 2, "risk": -1}) == 1
    assert choice_quality(mr_z, {"alliance": -1, "pressure": 2}) == -1
    assert choice_quality(mr_z, {"alliance": 1, "risk": 1}) == 0
    assert choice_quality(mr_z, {"med_changes": 3}) == 0  # neither better nor worse by itself


def test_mastery_combines_questions_assessment_case_choices_and_cards(
    store: Store, now: datetime, course: Course, person: Callable[..., User]
) -> None:
    ann = person("ann")
    # Two formative checks on one concept: one right, one wrong.
    check = next(i for i in course.items().values() if i.module and i.concepts)
    concept = check.concepts[0]
    for correct, chosen in ((True, check.answer), (False, next(o.key for o in check.options if o.key != check.answer))):
        record_event(
            store,
            user_id=ann.id,
            verb="check.answered",
            object_type="quiz_item",
            object_id=check.id,
            content_version="v",
            payload={"module": check.module, "chosen": chosen, "correct": correct, "position": 0},
            now=now,
        )
    # A submitted attempt answering only its first question, correctly.
    attempt = assessment.start_attempt(store, ann, course, assessment.Settings(items=5, pass_mark_percent=80), now=now)
    first = attempt.paper[0]
    assessment.save_answer(store, ann, attempt.id, first.item_id, first.answer, answered_at=now)
    assessment.submit(store, ann, attempt.id, now=now + timedelta(minutes=1), confirm_incomplete=True)
    # A good and a poor case choice.
    good = bad = None
    for vignette in course.vignettes.values():
        for node in vignette.nodes:
            if isinstance(node, ChoiceNode):
                for choice in node.choices:
                    quality = choice_quality(vignette, choice.effects)
                    if choice.concepts and quality > 0 and good is None:
                        good = (vignette.id, node.id, choice)
                    # A different choice point: two choices at one point would count once (issue 14).
                    if choice.concepts and quality < 0 and bad is None and (good is None or good[1] != node.id):
                        bad = (vignette.id, node.id, choice)
    assert good is not None and bad is not None
    _step(store, ann, good[0], good[1], good[2].id, now)
    _step(store, ann, bad[0], bad[1], bad[2].id, now)
    # Cards: good, again, and hard (which counts as neither).
    for rating in ("good", "again", "hard"):
        record_event(
            store,
            user_id=ann.id,
            verb="card.reviewed",
            object_type="glossary",
            object_id=concept,
            content_version="v",
            payload={"rating": rating},
            now=now,
        )

    found = {m.concept_id: m for m in concept_mastery(store, ann, ann.id, course)}

    assert set(found) == set(course.glossary)
    sources = {e.source for e in found[concept].evidence_items}
    assert {"question", "flashcard"} <= sources
    question = next(e for e in found[concept].evidence_items if e.source == "question")
    assert (question.good, question.poor) == (1, 0)  # the item counts once: its first answer
    card = next(e for e in found[concept].evidence_items if e.source == "flashcard")
    assert (card.good, card.poor) == (1, 1)
    first_item = course.items()[first.item_id]
    assert all(
        any(e.source == "assessment" and e.ref == first.item_id and e.good == 1 for e in found[c].evidence_items)
        for c in first_item.concepts
    )
    unanswered = course.items()[attempt.paper[1].item_id]
    assert all(
        any(e.source == "assessment" and e.ref == unanswered.id and e.poor >= 1 for e in found[c].evidence_items)
        for c in unanswered.concepts
    )
    assert all(any(e.source == "case choice" and e.good for e in found[c].evidence_items) for c in good[2].concepts)
    assert all(any(e.source == "case choice" and e.poor for e in found[c].evidence_items) for c in bad[2].concepts)
    untouched = next(m for m in found.values() if not m.evidence)
    assert untouched.score == 0.5 and not untouched.mastered


def test_mastered_needs_enough_good_evidence(
    store: Store, now: datetime, course: Course, person: Callable[..., User]
) -> None:
    ann = person("ann")
    term = next(iter(course.glossary))
    for _ in range(MASTERED_EVIDENCE):
        record_event(
            store,
            user_id=ann.id,
            verb="card.reviewed",
            object_type="glossary",
            object_id=term,
            content_version="v",
            payload={"rating": "easy"},
            now=now,
        )
    found = {m.concept_id: m for m in concept_mastery(store, ann, ann.id, course)}
    assert found[term].mastered and found[term].score == 0.8


def test_next_step_points_at_the_weakest_concept_and_where_to_work_on_it(course: Course) -> None:
    from course.mastery import ConceptMastery

    mastery = [ConceptMastery(c, 0, 0) for c in course.glossary]
    weak = next(c for c in course.glossary if any(c in m.meta.concepts for m in course.modules.values()))
    mastery = [ConceptMastery(m.concept_id, 1, 4) if m.concept_id == weak else m for m in mastery]
    step = next_step(course, mastery, completed=set())
    assert step is not None and step.concept_id == weak
    assert step.module_id is not None and weak in course.modules[step.module_id].meta.concepts
    assert "1 of 5" in step.reason
    untouched = next_step(course, [ConceptMastery(c, 0, 0) for c in course.glossary], completed=set())
    first_module = next(iter(course.modules.values()))
    assert untouched is not None and untouched.concept_id in first_module.meta.concepts


def test_only_the_learner_or_their_educator_sees_mastery(
    store: Store, now: datetime, course: Course, person: Callable[..., User]
) -> None:
    ann, bob = person("ann"), person("bob")
    tess = person("tess", Role.EDUCATOR)
    for viewer in (bob, tess):
        with pytest.raises(PermissionDenied):
            concept_mastery(store, viewer, ann.id, course)
    cohort = cohorts.create_cohort(store, tess, "G", now=now)
    cohorts.join_by_code(store, ann, cohort.invite_code, now=now)
    assert len(concept_mastery(store, tess, ann.id, course)) == len(course.glossary)


# --- evidence counted once (issue 14) -------------------------------------------------------------


def _evidence(store: Store, user: User, course: Course, source: str) -> dict[str, tuple[int, int]]:
    found = concept_mastery(store, user, user.id, course)
    return {
        m.concept_id: (sum(e.good for e in m.evidence_items if e.source == source),
                       sum(e.poor for e in m.evidence_items if e.source == source))
        for m in found
    }  # fmt: skip


def test_the_counted_answer_is_the_first_until_a_spaced_one_replaces_it(now: datetime) -> None:
    assert counted([]) is None
    answers = [(now, "wrong"), (now + timedelta(minutes=1), "right"), (now + timedelta(hours=23), "right")]
    assert counted(answers) is not None and counted(answers).value == "wrong"  # type: ignore[union-attr]
    later = [*answers, (now + EVIDENCE_SPACING, "right")]
    kept = counted(later)
    assert kept is not None and kept.value == "right" and kept.replaceable_from == now + 2 * EVIDENCE_SPACING


def test_a_repeated_knowledge_check_answer_after_the_key_is_shown_does_not_raise_mastery(
    store: Store, now: datetime, course: Course, person: Callable[..., User]
) -> None:
    """The issue's case: a wrong answer shows the key; pressing "Check answer" five more times with it."""
    ann = person("ann")
    check = next(i for i in course.items().values() if i.module and len(i.concepts) >= 1)
    wrong = next(o.key for o in check.options if o.key != check.answer)
    progress.answer_check(store, ann, course, check, wrong, position=1, now=now)
    after_one = {m.concept_id: m for m in concept_mastery(store, ann, ann.id, course)}
    for n in range(1, 6):
        progress.answer_check(store, ann, course, check, check.answer, position=1, now=now + timedelta(seconds=10 * n))
    after_six = {m.concept_id: m for m in concept_mastery(store, ann, ann.id, course)}
    for concept in check.concepts:
        assert after_six[concept].score == after_one[concept].score
        assert (after_six[concept].good, after_six[concept].poor) == (0, 1)
        assert not after_six[concept].mastered
    # A day later the answer is a retrieval, not a copy of the key: it replaces the first, once.
    progress.answer_check(store, ann, course, check, check.answer, position=1, now=now + EVIDENCE_SPACING)
    spaced = _evidence(store, ann, course, "question")
    assert all(spaced[c] == (1, 0) for c in check.concepts)


def test_choices_taken_back_with_undo_are_not_evidence(
    store: Store, now: datetime, course: Course, person: Callable[..., User]
) -> None:
    ann = person("ann")
    pair = next(
        (vignette, node, good, bad)
        for vignette in course.vignettes.values()
        for node in vignette.nodes
        if isinstance(node, ChoiceNode)
        for good in node.choices
        for bad in node.choices
        if set(good.concepts) & set(bad.concepts)
        and choice_quality(vignette, good.effects) > 0 and choice_quality(vignette, bad.effects) < 0
    )  # fmt: skip
    vignette, node, good, bad = pair
    shared = set(good.concepts) & set(bad.concepts)

    def event(verb: str, payload: dict[str, object], when: datetime) -> None:
        record_event(
            store, user_id=ann.id, verb=verb, object_type="vignette", object_id=vignette.id,
            content_version="v", payload=payload, now=when,
        )  # fmt: skip

    event("vignette.started", {"node": vignette.start, "values": {}}, now)
    _step(store, ann, vignette.id, node.id, bad.id, now + timedelta(minutes=1))
    event("vignette.undone", {"node": node.id, "choice": bad.id, "from": "x"}, now + timedelta(minutes=2))
    _step(store, ann, vignette.id, node.id, good.id, now + timedelta(minutes=3))
    first = _evidence(store, ann, course, "case choice")
    assert all(first[c] == (1, 0) for c in shared)  # the undone poor choice left no trace
    # Replaying the case at once and choosing badly does not replace the standing choice...
    event("vignette.started", {"node": vignette.start, "values": {}}, now + timedelta(minutes=4))
    _step(store, ann, vignette.id, node.id, bad.id, now + timedelta(minutes=5))
    assert _evidence(store, ann, course, "case choice") == first
    # ...a choice made a day or more later does.
    _step(store, ann, vignette.id, node.id, bad.id, now + timedelta(minutes=3) + EVIDENCE_SPACING)
    later = _evidence(store, ann, course, "case choice")
    assert all(later[c] == (0, 1) for c in shared)
