from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert

from course import cohorts, dashboards
from course.accounts import Role, User
from course.cohorts import AssignmentState, CohortNotFound
from course.content import Course
from course.dashboards import fisher_interval, item_analysis, wilson
from course.permissions import PermissionDenied
from course.store.db import Store
from course.store.events import record_event
from course.store.models import AttemptAnswerRow, AttemptItemRow, AttemptRow


def _attempt(store: Store, user: User, answers: dict[str, str | None], keys: dict[str, str], when: datetime) -> None:
    """A submitted attempt with the given answers (None = left blank), graded like the engine does."""
    correct = sum(1 for item, chosen in answers.items() if chosen == keys[item])
    with store.write() as conn:
        attempt_id = conn.execute(
            insert(AttemptRow)
            .values(
                user_id=user.id,
                assessment_id="summative",
                status="submitted",
                seed=1,
                content_version="v",
                paper=[],
                pass_mark_percent=60,
                started_at=when,
                submitted_at=when,
                correct=correct,
                total=len(answers),
                passed=correct / len(answers) >= 0.6,
            )
            .returning(AttemptRow.id)
        ).scalar_one()
        for position, (item, chosen) in enumerate(answers.items()):
            conn.execute(
                insert(AttemptItemRow).values(attempt_id=attempt_id, item_id=item, position=position, answer=keys[item])
            )
            if chosen is not None:
                conn.execute(
                    insert(AttemptAnswerRow).values(
                        attempt_id=attempt_id, item_id=item, chosen=chosen, answered_at=when
                    )
                )


def _pearson(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return cov / math.sqrt(sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys))


def test_wilson_and_fisher_intervals_match_textbook_values() -> None:
    zero_of_ten = wilson(0, 10)
    assert zero_of_ten.low == 0 and zero_of_ten.high == pytest.approx(0.2775, abs=1e-4)
    half = wilson(5, 10)
    assert (half.low, half.high) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))
    # r = 0.5, n = 28: atanh(0.5) = 0.5493, half-width 1.96 / sqrt(25) = 0.392, tanh back.
    interval = fisher_interval(0.5, 28)
    assert interval is not None
    assert (interval.low, interval.high) == (pytest.approx(0.1560, abs=1e-4), pytest.approx(0.7358, abs=1e-4))
    assert fisher_interval(0.5, 3) is None


def test_item_analysis_matches_a_hand_computation_and_flags_faulty_items(
    store: Store, now: datetime, person: Callable[..., User]
) -> None:
    tess = person("tess", Role.EDUCATOR)
    cohort = cohorts.create_cohort(store, tess, "G", now=now)
    keys = {"good": "a", "reversed": "b", "easy": "c", "filler1": "a", "filler2": "a", "filler3": "a"}
    learners = []
    table: list[dict[str, str | None]] = []
    for i in range(12):
        learner = person(f"l{i:02d}")
        cohorts.join_by_code(store, learner, cohort.invite_code, now=now)
        strong = i < 6
        fillers = 3 if i < 4 else (2 if i < 8 else 0)
        answers: dict[str, str | None] = {
            "good": "a" if strong else ("d" if i % 2 else None),
            "reversed": "b" if not strong else "e",  # stronger learners pick distractor e: a wrong key?
            "easy": "c",
            "filler1": "a" if fillers >= 1 else "b",
            "filler2": "a" if fillers >= 2 else "b",
            "filler3": "a" if fillers >= 3 else "b",
        }
        _attempt(store, learner, answers, keys, now)
        # A retake with every answer right must not count: learners have seen the items by then.
        _attempt(store, learner, dict(keys), keys, now + timedelta(days=1))
        learners.append(learner)
        table.append(answers)
    outsider = person("outsider")
    _attempt(store, outsider, {k: "e" for k in keys}, keys, now)  # not in the cohort

    stats = {s.item_id: s for s in item_analysis(store, tess, cohort.id)}

    right = {item: [1.0 if row[item] == keys[item] else 0.0 for row in table] for item in keys}
    totals = [sum(right[item][i] for item in keys) for i in range(12)]
    for item in ("good", "reversed", "filler1"):
        expected = _pearson(right[item], [totals[i] - right[item][i] for i in range(12)])
        assert stats[item].discrimination == pytest.approx(expected, abs=1e-9)
    assert stats["good"].answered == 12 and stats["good"].correct == 6
    assert stats["good"].choices == {"a": 6, "d": 3, "": 3}
    assert stats["reversed"].choices == {"b": 6, "e": 6}
    assert stats["easy"].discrimination is None  # everyone right: no spread to correlate with
    assert any("negative discrimination" in f for f in stats["reversed"].flags)
    assert any("very easy" in f for f in stats["easy"].flags)
    assert not any("negative" in f for f in stats["good"].flags)
    assert stats["good"].facility_ci == wilson(6, 12)


def test_small_cohorts_are_shown_but_never_flagged(store: Store, now: datetime, person: Callable[..., User]) -> None:
    tess = person("tess", Role.EDUCATOR)
    cohort = cohorts.create_cohort(store, tess, "G", now=now)
    for i in range(3):
        learner = person(f"l{i}")
        cohorts.join_by_code(store, learner, cohort.invite_code, now=now)
        _attempt(store, learner, {"q": "b"}, {"q": "a"}, now)
    (only,) = item_analysis(store, tess, cohort.id)
    assert only.correct == 0 and only.flags == ()
    assert only.facility_ci.high > 0.5  # 0 of 3 says little, and the interval shows it


def test_item_analysis_is_for_the_cohorts_owner_or_an_admin(
    store: Store, now: datetime, person: Callable[..., User]
) -> None:
    tess, omar = person("tess", Role.EDUCATOR), person("omar", Role.EDUCATOR)
    ann = person("ann")
    cohort = cohorts.create_cohort(store, tess, "G", now=now)
    with pytest.raises(CohortNotFound):
        item_analysis(store, omar, cohort.id)
    with pytest.raises(PermissionDenied):
        item_analysis(store, ann, cohort.id)
    with pytest.raises(PermissionDenied):
        item_analysis(store, tess, None)  # the whole course: admins only
    assert item_analysis(store, person("ada", Role.ADMIN), None) == []


def test_cohort_dashboard_shows_completion_overdue_scores_and_time(
    store: Store, now: datetime, person: Callable[..., User]
) -> None:
    tess = person("tess", Role.EDUCATOR)
    ann, bob = person("ann"), person("bob")
    cohort = cohorts.create_cohort(store, tess, "G", now=now)
    for learner in (ann, bob):
        cohorts.join_by_code(store, learner, cohort.invite_code, now=now)
    cohorts.assign(store, tess, cohort.id, "module", "m1", now + timedelta(days=1), now=now)
    cohorts.assign(store, tess, cohort.id, "assessment", "summative", now + timedelta(days=2), now=now)
    for verb, minutes in (("module.viewed", 0), ("module.completed", 12)):
        record_event(
            store,
            user_id=ann.id,
            verb=verb,
            object_type="module",
            object_id="m1",
            content_version="v",
            now=now + timedelta(minutes=minutes),
        )
    _attempt(store, ann, {"q1": "a", "q2": "b"}, {"q1": "a", "q2": "a"}, now + timedelta(hours=1))

    board = dashboards.cohort_dashboard(store, tess, cohort.id, Course(), now=now + timedelta(days=3))

    states = {(c.learner.display_name, c.assignment.object_id): c.state for c in board.cells}
    assert states == {
        ("Ann", "m1"): AssignmentState.DONE,
        ("Ann", "summative"): AssignmentState.OVERDUE,  # attempted but not passed
        ("Bob", "m1"): AssignmentState.OVERDUE,
        ("Bob", "summative"): AssignmentState.OVERDUE,
    }
    assert next((c.learner.display_name, c.assignment.object_id) for c in board.overdue) == ("Bob", "m1")
    assert [(s.learner_id, s.percent, s.passed) for s in board.scores] == [(ann.id, 50.0, False)]
    times = {t.learner.display_name: t for t in board.times}
    assert times["Ann"].seconds_by_kind == {"module": 12 * 60} and times["Bob"].seconds == 0
