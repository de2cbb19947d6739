"""The summative assessment on SQLite and PostgreSQL: draw, answers, exactly-once grading, ownership."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from course import accounts
from course.accounts import Role, User
from course.assessment import (
    AssessmentError,
    AttemptClosed,
    AttemptNotFound,
    AttemptStatus,
    PaperItem,
    Settings,
    abandon,
    draw_paper,
    get_attempt,
    has_passed,
    history,
    open_attempt,
    save_answer,
    score,
    start_attempt,
    submit,
    summative_items,
)
from course.content import Course
from course.schema import QuizBank
from course.store.db import Store
from course.store.events import events_for_user

OBJECTIVES = [f"obj-{n}" for n in range(1, 7)]


def make_course(items_per_objective: int = 5) -> Course:
    items = []
    for objective in OBJECTIVES:
        for n in range(items_per_objective):
            items.append(
                {
                    "id": f"{objective}-q{n}",
                    "stem": f"Question {n} on {objective}?",
                    "options": [{"key": k, "text": f"Option {k}", "rationale": f"Why {k}."} for k in "abcde"],
                    "answer": "abcde"[n % 5],
                    "objectives": [objective],
                    "difficulty": "medium",
                    "source": {"ref": "source-a"},
                    "modes": ["summative"],
                }
            )
    items.append({**items[0], "id": "all-above", "answer": "e", "all_of_the_above": True})
    bank = QuizBank.model_validate({"id": "bank", "title": "Bank", "items": items})
    return Course(quizzes={"bank": bank}, version="v1")


COURSE = make_course()
ITEMS = summative_items(COURSE)
SETTINGS = Settings(items=12, pass_mark_percent=80)


def learner(store: Store, now: datetime, email: str = "lee@example.org") -> User:
    return accounts.create_user_admin(
        store, email=email, display_name="Lee", password="a long password 1", role=Role.LEARNER, now=now
    )


def run_threads(count: int, work: Callable[[int], object]) -> list[object]:
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # collected and asserted on by the caller
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


# --- pure parts -------------------------------------------------------------------------------------


def test_draw_is_stratified_by_objective_and_reproducible_from_the_seed() -> None:
    paper = draw_paper(ITEMS, 12, seed=7)
    objectives = Counter(ITEMS[p.item_id].objectives[0] for p in paper)
    assert len(paper) == 12 and len({p.item_id for p in paper}) == 12
    assert set(objectives) == set(OBJECTIVES) and max(objectives.values()) - min(objectives.values()) <= 1
    assert draw_paper(ITEMS, 12, seed=7) == paper
    assert draw_paper(ITEMS, 12, seed=8) != paper
    for p in paper:
        assert sorted(p.options) == list("abcde")
    assert any(p.options != tuple("abcde") for p in paper), "options are shuffled"


def test_all_of_the_above_keeps_its_place_and_the_draw_is_capped_by_the_bank() -> None:
    paper = draw_paper(ITEMS, 500, seed=1)
    assert len(paper) == len(ITEMS)
    assert next(p for p in paper if p.item_id == "all-above").options == tuple("abcde")


def test_score_counts_unanswered_as_wrong_and_applies_the_pass_mark() -> None:
    paper = [PaperItem(f"q{i}", tuple("abcde"), "a") for i in range(20)]
    assert score(paper, {f"q{i}": "a" for i in range(16)}, 80).passed
    fifteen = score(paper, {f"q{i}": "a" for i in range(15)}, 80)
    assert (fifteen.correct, fifteen.total, fifteen.passed, fifteen.percent) == (15, 20, False, 75.0)
    assert not score([], {}, 80).passed


def test_settings_from_the_environment_are_checked() -> None:
    assert Settings.from_env({}) == Settings(20, 80)
    assert Settings.from_env({"COURSE_ASSESSMENT_ITEMS": "30", "COURSE_PASS_MARK": "70"}) == Settings(30, 70)
    with pytest.raises(ValueError, match="COURSE_PASS_MARK must be a whole number from 1 to 100"):
        Settings.from_env({"COURSE_PASS_MARK": "80%"})


# --- in the store ---------------------------------------------------------------------------------


def test_answers_survive_a_reload_and_a_server_restart(store: Store, now: datetime) -> None:
    lee = learner(store, now)
    attempt = start_attempt(store, lee, COURSE, SETTINGS, now=now, seed=3)
    first = attempt.paper[0]
    assert save_answer(store, lee, attempt.id, first.item_id, first.answer, answered_at=now)
    assert start_attempt(store, lee, COURSE, SETTINGS, now=now).id == attempt.id  # a reload resumes it
    store.engine.dispose()  # a server restart: every pooled connection is gone; only the database remains
    assert get_attempt(store, lee, attempt.id).answers == {first.item_id: first.answer}


def test_a_stale_answer_never_overwrites_a_newer_one(store: Store, now: datetime) -> None:
    lee = learner(store, now)
    attempt = start_attempt(store, lee, COURSE, SETTINGS, now=now, seed=3)
    item = attempt.paper[0]
    wrong = next(k for k in item.options if k != item.answer)
    assert save_answer(store, lee, attempt.id, item.item_id, item.answer, answered_at=now + timedelta(seconds=5))
    assert not save_answer(store, lee, attempt.id, item.item_id, wrong, answered_at=now + timedelta(seconds=2))
    assert get_attempt(store, lee, attempt.id).answers[item.item_id] == item.answer
    assert save_answer(store, lee, attempt.id, item.item_id, wrong, answered_at=now + timedelta(seconds=9))
    assert get_attempt(store, lee, attempt.id).answers[item.item_id] == wrong


def test_answers_are_checked_against_the_paper(store: Store, now: datetime) -> None:
    lee = learner(store, now)
    attempt = start_attempt(store, lee, COURSE, SETTINGS, now=now, seed=3)
    outside = next(i for i in ITEMS if i not in {p.item_id for p in attempt.paper})
    with pytest.raises(AssessmentError, match="not part of this attempt"):
        save_answer(store, lee, attempt.id, outside, "a", answered_at=now)
    with pytest.raises(AssessmentError, match="not one of the options"):
        save_answer(store, lee, attempt.id, attempt.paper[0].item_id, "z", answered_at=now)


def test_twenty_simultaneous_submits_grade_exactly_once(store: Store, now: datetime) -> None:
    lee = learner(store, now)
    attempt = start_attempt(store, lee, COURSE, SETTINGS, now=now, seed=11)
    for p in attempt.paper[:10]:
        save_answer(store, lee, attempt.id, p.item_id, p.answer, answered_at=now)
    results = run_threads(20, lambda i: submit(store, lee, attempt.id, now=now + timedelta(seconds=i)))
    assert not [r for r in results if isinstance(r, BaseException)], results
    grades = {(r.status, r.correct, r.submitted_at) for r in results}  # type: ignore[union-attr]
    assert len(grades) == 1
    [(status, correct, _)] = grades
    assert status is AttemptStatus.SUBMITTED and correct == 10
    assert len(events_for_user(store, lee.id, verb="assessment.submitted")) == 1


def test_simultaneous_starts_open_a_single_attempt(store: Store, now: datetime) -> None:
    lee = learner(store, now)
    results = run_threads(10, lambda i: start_attempt(store, lee, COURSE, SETTINGS, now=now))
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert len({r.id for r in results}) == 1  # type: ignore[union-attr]
    assert len(history(store, lee)) == 1


def test_an_answer_after_submission_is_refused(store: Store, now: datetime) -> None:
    lee = learner(store, now)
    attempt = start_attempt(store, lee, COURSE, SETTINGS, now=now, seed=5)
    submit(store, lee, attempt.id, now=now)
    with pytest.raises(AttemptClosed, match="submitted; its answers can no longer change"):
        save_answer(store, lee, attempt.id, attempt.paper[0].item_id, "a", answered_at=now + timedelta(seconds=1))


def test_nobody_can_read_or_change_another_learners_attempt(store: Store, now: datetime) -> None:
    lee, kim = learner(store, now), learner(store, now, "kim@example.org")
    attempt = start_attempt(store, lee, COURSE, SETTINGS, now=now, seed=5)
    item = attempt.paper[0]
    for action in (
        lambda: get_attempt(store, kim, attempt.id),
        lambda: save_answer(store, kim, attempt.id, item.item_id, item.answer, answered_at=now),
        lambda: submit(store, kim, attempt.id, now=now),
        lambda: abandon(store, kim, attempt.id, now=now),
    ):
        with pytest.raises(AttemptNotFound, match=r"There is no such attempt\."):
            action()
    assert get_attempt(store, lee, attempt.id).answers == {}
    assert history(store, kim) == [] and open_attempt(store, kim) is None


def test_fail_then_retake_with_a_fresh_draw_and_pass(store: Store, now: datetime) -> None:
    lee = learner(store, now)
    first = start_attempt(store, lee, COURSE, SETTINGS, now=now)
    failed = submit(store, lee, first.id, now=now + timedelta(minutes=5))
    assert failed.passed is False and not has_passed(store, lee)
    second = start_attempt(store, lee, COURSE, SETTINGS, now=now + timedelta(minutes=6))
    assert second.id != first.id
    assert [p.item_id for p in second.paper] != [p.item_id for p in first.paper] or [
        p.options for p in second.paper
    ] != [p.options for p in first.paper]
    for p in second.paper:
        save_answer(store, lee, second.id, p.item_id, p.answer, answered_at=now + timedelta(minutes=7))
    passed = submit(store, lee, second.id, now=now + timedelta(minutes=8))
    assert passed.passed is True and passed.correct == 12 and has_passed(store, lee)
    assert [a.id for a in history(store, lee)] == [second.id, first.id]


def test_abandon_closes_the_attempt(store: Store, now: datetime) -> None:
    lee = learner(store, now)
    attempt = start_attempt(store, lee, COURSE, SETTINGS, now=now, seed=2)
    assert abandon(store, lee, attempt.id, now=now).status is AttemptStatus.ABANDONED
    with pytest.raises(AttemptClosed, match="abandoned"):
        submit(store, lee, attempt.id, now=now)
    assert open_attempt(store, lee) is None


def test_answer_events_carry_what_item_analysis_needs(store: Store, now: datetime) -> None:
    lee = learner(store, now)
    attempt = start_attempt(store, lee, COURSE, SETTINGS, now=now, seed=9)
    item = attempt.paper[3]
    save_answer(store, lee, attempt.id, item.item_id, item.answer, answered_at=now)
    [event] = events_for_user(store, lee.id, verb="assessment.answered")
    assert event.payload == {
        "attempt": attempt.id,
        "item": item.item_id,
        "chosen": item.answer,
        "correct": True,
        "position": 3,
        "shown_as": "ABCDE"[item.options.index(item.answer)],
    }
