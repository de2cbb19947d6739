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
    IncompleteSubmission,
    PaperItem,
    RetakeNotAllowed,
    Settings,
    Verdict,
    abandon,
    cannot_pass,
    draw_paper,
    get_attempt,
    has_passed,
    history,
    may_reveal_key,
    open_attempt,
    retake_status,
    review,
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
SETTINGS = Settings(items=12, pass_mark_percent=80, retake_limit=0, retake_cooldown_hours=0)


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
    assert Settings.from_env({}) == Settings(20, 80, 5, 24)
    assert Settings.from_env({"COURSE_ASSESSMENT_ITEMS": "30", "COURSE_PASS_MARK": "70"}) == Settings(30, 70)
    assert Settings.from_env({"COURSE_RETAKE_LIMIT": "0", "COURSE_RETAKE_COOLDOWN_HOURS": "0"}) == Settings(
        20, 80, 0, 0
    )
    with pytest.raises(ValueError, match="COURSE_PASS_MARK must be a whole number from 1 to 100"):
        Settings.from_env({"COURSE_PASS_MARK": "80%"})
    with pytest.raises(ValueError, match="COURSE_RETAKE_COOLDOWN_HOURS must be a whole number from 0 to 720"):
        Settings.from_env({"COURSE_RETAKE_COOLDOWN_HOURS": "-1"})
    with pytest.raises(ValueError, match="COURSE_RETAKE_LIMIT must be a whole number from 0 to 100"):
        Settings.from_env({"COURSE_RETAKE_LIMIT": "many"})


def test_a_key_is_revealed_only_after_a_pass_or_once_the_item_cannot_be_drawn() -> None:
    drawable = {"q1", "q2"}
    assert not may_reveal_key("q1", learner_passed=False, drawable=drawable)
    assert may_reveal_key("q1", learner_passed=True, drawable=drawable)
    assert may_reveal_key("retired", learner_passed=False, drawable=drawable)


def test_a_submission_that_cannot_reach_the_pass_mark_is_incomplete() -> None:
    assert cannot_pass(0, 20, 80) and cannot_pass(15, 20, 80)
    assert not cannot_pass(16, 20, 80) and not cannot_pass(0, 0, 80)


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
    submit(store, lee, attempt.id, now=now, confirm_incomplete=True)
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
    failed = submit(store, lee, first.id, now=now + timedelta(minutes=5), confirm_incomplete=True)
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


# --- protecting the bank: review, blank submissions, retakes (issue 14) -------------------------------


def test_twenty_blank_attempts_reveal_no_key_of_an_item_that_can_still_be_drawn(store: Store, now: datetime) -> None:
    """The harvest from the issue: start, submit blank, read the review, repeat (no limit, no wait)."""
    lee = learner(store, now)
    drawable = set(ITEMS)
    seen: set[str] = set()
    at = now
    for _ in range(20):
        attempt = start_attempt(store, lee, COURSE, SETTINGS, now=at)
        with pytest.raises(IncompleteSubmission, match="answered 0 of 12"):
            submit(store, lee, attempt.id, now=at)
        graded = submit(store, lee, attempt.id, now=at, confirm_incomplete=True)
        assert graded.status is AttemptStatus.SUBMITTED and graded.correct == 0 and not graded.passed
        shown = review(store, lee, COURSE, attempt.id, SETTINGS, now=at)
        assert not shown.full
        for item in shown.items:
            assert item.item_id in drawable
            assert item.key is None and item.rationales == frozenset() and item.verdict is Verdict.UNANSWERED
            seen.add(item.item_id)
        at += timedelta(minutes=1)
    assert len(seen) > len(drawable) // 2  # the draws covered most of the bank, and still no key showed
    assert len(history(store, lee)) == 20
    submitted = events_for_user(store, lee.id, verb="assessment.submitted")
    assert len(submitted) == 20 and all(e.payload["confirmed_incomplete"] for e in submitted)
    assert all(e.payload["answered"] == 0 for e in submitted)


def test_a_failed_review_shows_the_verdict_and_the_chosen_rationale_and_a_pass_shows_everything(
    store: Store, now: datetime
) -> None:
    lee = learner(store, now)
    first = start_attempt(store, lee, COURSE, SETTINGS, now=now, seed=4)
    right, wrong = first.paper[0], first.paper[1]
    wrong_choice = next(k for k in wrong.options if k != wrong.answer)
    save_answer(store, lee, first.id, right.item_id, right.answer, answered_at=now)
    save_answer(store, lee, first.id, wrong.item_id, wrong_choice, answered_at=now)
    submit(store, lee, first.id, now=now, confirm_incomplete=True)
    failed = {i.item_id: i for i in review(store, lee, COURSE, first.id, SETTINGS, now=now).items}
    assert failed[right.item_id].verdict is Verdict.CORRECT and failed[right.item_id].rationales == {right.answer}
    assert failed[wrong.item_id].verdict is Verdict.INCORRECT and failed[wrong.item_id].key is None
    assert failed[wrong.item_id].rationales == {wrong_choice}
    assert all(i.key is None for i in failed.values())

    second = start_attempt(store, lee, COURSE, SETTINGS, now=now + timedelta(minutes=1))
    for p in second.paper:
        save_answer(store, lee, second.id, p.item_id, p.answer, answered_at=now + timedelta(minutes=2))
    assert submit(store, lee, second.id, now=now + timedelta(minutes=3)).passed
    for attempt_id in (first.id, second.id):
        shown = review(store, lee, COURSE, attempt_id, SETTINGS, now=now + timedelta(minutes=4))
        assert shown.full and all(i.key is not None and i.rationales == set(i.options) for i in shown.items)


def test_a_retired_item_shows_its_key_even_before_a_pass(store: Store, now: datetime) -> None:
    lee = learner(store, now)
    attempt = start_attempt(store, lee, COURSE, SETTINGS, now=now, seed=6)
    submit(store, lee, attempt.id, now=now, confirm_incomplete=True)
    retired = attempt.paper[0].item_id
    items = [i for bank in COURSE.quizzes.values() for i in bank.items if i.id != retired]
    smaller = Course(quizzes={"bank": QuizBank(id="bank", title="Bank", items=items)}, version="v2")
    shown = {i.item_id: i for i in review(store, lee, smaller, attempt.id, SETTINGS, now=now).items}
    assert shown[retired].key == attempt.paper[0].answer
    assert all(i.key is None for item_id, i in shown.items() if item_id != retired)


def test_retakes_are_limited_and_spaced_by_the_rule_stored_on_the_attempt(store: Store, now: datetime) -> None:
    lee = learner(store, now)
    strict = Settings(items=12, pass_mark_percent=80, retake_limit=2, retake_cooldown_hours=24)
    first = start_attempt(store, lee, COURSE, strict, now=now)
    assert (first.retake_limit, first.retake_cooldown_minutes) == (2, 24 * 60)
    submit(store, lee, first.id, now=now, confirm_incomplete=True)
    with pytest.raises(RetakeNotAllowed) as waiting:
        start_attempt(store, lee, COURSE, strict, now=now + timedelta(hours=23))
    assert waiting.value.status.next_at == now + timedelta(hours=24)
    # A stricter setting introduced later does not lengthen the wait the learner was told about...
    stricter = Settings(items=12, pass_mark_percent=80, retake_limit=1, retake_cooldown_hours=72)
    assert retake_status(store, lee, stricter, now=now + timedelta(hours=24)).allowed
    # ...and a more lenient one applies at once.
    assert retake_status(store, lee, Settings(items=12, retake_limit=2, retake_cooldown_hours=0), now=now).allowed
    second = start_attempt(store, lee, COURSE, strict, now=now + timedelta(hours=24))
    submit(store, lee, second.id, now=now + timedelta(hours=25), confirm_incomplete=True)
    with pytest.raises(RetakeNotAllowed, match="used all 2 attempts"):
        start_attempt(store, lee, COURSE, strict, now=now + timedelta(days=30))
    assert retake_status(
        store, lee, Settings(items=12, retake_limit=3, retake_cooldown_hours=24), now=now + timedelta(days=30)
    ).allowed


def test_an_abandoned_attempt_does_not_count_and_a_pass_ends_the_retakes(store: Store, now: datetime) -> None:
    lee = learner(store, now)
    strict = Settings(items=12, pass_mark_percent=80, retake_limit=1, retake_cooldown_hours=24)
    abandon(store, lee, start_attempt(store, lee, COURSE, strict, now=now).id, now=now)
    attempt = start_attempt(store, lee, COURSE, strict, now=now)  # abandoning cost nothing
    for p in attempt.paper:
        save_answer(store, lee, attempt.id, p.item_id, p.answer, answered_at=now)
    assert submit(store, lee, attempt.id, now=now).passed
    status = retake_status(store, lee, SETTINGS, now=now + timedelta(days=1))
    assert not status.allowed and status.passed and "passed" in status.reason
    with pytest.raises(RetakeNotAllowed):
        start_attempt(store, lee, COURSE, SETTINGS, now=now + timedelta(days=1))
    assert get_attempt(store, lee, attempt.id).answered_at_submission == 12
