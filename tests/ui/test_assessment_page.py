"""The assessment page end to end in AppTest: fail, retake, pass, review; answers saved at once."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from course import assessment
from course.accounts import User
from course.assessment import AttemptStatus
from course.store.db import Store
from course.store.events import events_for_user
from tests.cpd.helpers import COURSE
from tests.ui.conftest import choose_answer, signed_in, texts

MakeUser = Callable[..., User]
PAGE = "course/ui/pages/assessment.py"


@pytest.fixture(autouse=True)
def five_questions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_ASSESSMENT_ITEMS", "5")
    monkeypatch.setenv("COURSE_PASS_MARK", "80")
    monkeypatch.setenv("COURSE_RETAKE_LIMIT", "0")  # retakes at once; the rule has its own tests below
    monkeypatch.setenv("COURSE_RETAKE_COOLDOWN_HOURS", "0")


def answer_all(at: AppTest, store: Store, user: User, *, right: int) -> None:
    attempt = assessment.open_attempt(store, user)
    assert attempt is not None
    for n, item in enumerate(attempt.paper):
        wrong = next(k for k in item.options if k != item.answer)
        choose_answer(at, f"answer-{attempt.id}-{item.item_id}", item.answer if n < right else wrong)


def submit(at: AppTest) -> None:
    """Tick the confirmation(s) shown (a second one appears when the attempt cannot pass) and submit."""
    at.checkbox[0].check().run()
    for box in at.checkbox[1:]:
        box.check().run()
    at.button(key="submit-attempt").click().run()


def rationale_lines(at: AppTest) -> list[str]:
    return [t for t in texts(at.markdown) if " — " in t]


def test_fail_retake_and_pass_with_a_review_of_every_rationale(app_store: Store, make_user: MakeUser) -> None:
    user = make_user()
    at = signed_in(app_store, user, PAGE)
    assert not at.exception and texts(at.title) == ["Assessment"]
    at.button(key="start-attempt").click().run()
    assert len(at.radio) == 5
    assert "0 of 5 answered" in at.get("progress")[0].proto.text
    answer_all(at, app_store, user, right=3)
    assert "5 of 5 answered" in at.get("progress")[0].proto.text
    submit(at)
    assert not at.exception
    assert texts(at.error)[0] == "Not passed: 3 of 5 (60%); the pass mark is 80%."
    # Not passed: the verdict and the rationale of the chosen option only, and no key at all.
    failed = rationale_lines(at)
    assert len(failed) == 5 and all("(your answer)" in t for t in failed)
    assert not any(t.startswith(("✓", "✗")) for t in texts(at.markdown))
    assert not any("the answer is" in t for t in texts(at.caption))
    assert sorted(t.split(" · ")[0] for t in texts(at.caption) if t.startswith(("Correct", "Incorrect"))) == [
        "Correct", "Correct", "Correct", "Incorrect", "Incorrect"
    ]  # fmt: skip
    failed_id = at.query_params["review"]

    at.query_params.clear()
    at.run()
    at.button(key="start-attempt").click().run()
    answer_all(at, app_store, user, right=5)
    submit(at)
    assert texts(at.success)[0] == "Passed: 5 of 5 (100%); the pass mark is 80%."
    assert len(rationale_lines(at)) == 25  # passed: five options with a rationale for each of five questions
    # Once passed, the earlier failed attempt shows every key and rationale too.
    earlier = signed_in(app_store, user, PAGE, review=str(failed_id))
    assert len(rationale_lines(earlier)) == 25 and sum("the answer is" in t for t in texts(earlier.caption)) == 5
    at.query_params.clear()
    at.run()
    assert texts(at.success)[0] == "You have passed the assessment."
    assert list(at.dataframe[0].value["Result"]) == ["Passed", "Not passed"]
    assert len(events_for_user(app_store, user.id, verb="assessment.submitted")) == 2


def test_answers_are_saved_the_moment_they_are_chosen(app_store: Store, make_user: MakeUser) -> None:
    user = make_user()
    at = signed_in(app_store, user, PAGE)
    at.button(key="start-attempt").click().run()
    attempt = assessment.open_attempt(app_store, user)
    assert attempt is not None
    first = attempt.paper[0]
    choose_answer(at, f"answer-{attempt.id}-{first.item_id}", first.answer)
    assert assessment.get_attempt(app_store, user, attempt.id).answers == {first.item_id: first.answer}
    reloaded = signed_in(app_store, user, PAGE)  # a new session: a reload or another tab
    assert reloaded.radio(key=f"answer-{attempt.id}-{first.item_id}").value == first.answer
    assert "1 of 5 answered" in reloaded.get("progress")[0].proto.text


def test_submit_needs_confirmation_and_abandon_closes(app_store: Store, make_user: MakeUser) -> None:
    user = make_user()
    at = signed_in(app_store, user, PAGE)
    at.button(key="start-attempt").click().run()
    assert at.button(key="submit-attempt").disabled
    assert texts(at.warning) == ["5 questions are unanswered; unanswered questions score 0."]
    at.checkbox[0].check().run()
    assert at.button(key="submit-attempt").disabled  # blank: it cannot pass, so it must be confirmed too
    at.button(key="abandon-attempt").click().run()
    assert assessment.open_attempt(app_store, user) is not None  # one click only asks
    at.button(key="abandon-attempt-yes").click().run()
    assert assessment.open_attempt(app_store, user) is None
    assert list(at.dataframe[0].value["Result"]) == ["Abandoned"]


def test_abandon_asks_first_saying_what_is_lost_and_cancel_keeps_the_attempt(
    app_store: Store, make_user: MakeUser
) -> None:
    user = make_user()
    at = signed_in(app_store, user, PAGE)
    at.button(key="start-attempt").click().run()
    attempt = assessment.open_attempt(app_store, user)
    assert attempt is not None
    first, second = attempt.paper[0], attempt.paper[1]
    choose_answer(at, f"answer-{attempt.id}-{first.item_id}", first.answer)
    choose_answer(at, f"answer-{attempt.id}-{second.item_id}", second.answer)
    at.button(key="abandon-attempt").click().run()
    assert [t for t in texts(at.warning) if t.startswith("Abandon")] == [
        "Abandon this attempt? It ends now, your 2 saved answers are never marked, and you cannot return to it. "
        "An abandoned attempt does not count towards your attempts."
    ]
    at.button(key="abandon-attempt-cancel").click().run()
    assert not [t for t in texts(at.warning) if t.startswith("Abandon")]
    assert assessment.get_attempt(app_store, user, attempt.id).status is AttemptStatus.IN_PROGRESS
    assert at.button(key="abandon-attempt") is not None


def test_two_attempts_in_one_minute_have_distinct_review_links(app_store: Store, make_user: MakeUser) -> None:
    user = make_user()
    at = signed_in(app_store, user, PAGE)
    at.button(key="start-attempt").click().run()
    submit(at)
    at = signed_in(app_store, user, PAGE)
    at.button(key="start-attempt").click().run()
    submit(at)
    home = signed_in(app_store, user, PAGE)
    labels = [link.proto.label for link in home.get("page_link") if link.proto.label.startswith("Review")]
    assert len(labels) == 2 and len(set(labels)) == 2, labels
    assert labels[0].startswith("Review attempt 2 (started ") and labels[1].startswith("Review attempt 1 (started ")
    assert all(re.search(r"\d\d:\d\d:\d\d UTC", label) for label in labels), labels
    assert list(home.dataframe[0].value["Attempt"]) == [2, 1]


def test_another_learners_review_address_shows_nothing(app_store: Store, make_user: MakeUser) -> None:
    owner = make_user()
    at = signed_in(app_store, owner, PAGE)
    at.button(key="start-attempt").click().run()
    attempt = assessment.open_attempt(app_store, owner)
    assert attempt is not None
    submit(at)
    other = make_user(email="other@example.org")
    snoop = signed_in(app_store, other, PAGE, review=str(attempt.id))
    assert texts(snoop.error) == ["There is no such attempt."]
    assert not [t for t in texts(snoop.markdown) if " — " in t]
    garbage = signed_in(app_store, other, PAGE, review="1 OR 1=1")
    assert texts(garbage.error) == ["There is no such attempt."]


def test_home_shows_the_pass(app_store: Store, make_user: MakeUser) -> None:
    user = make_user()
    home = signed_in(app_store, user)
    assert "Take the assessment" in [link.proto.label for link in home.get("page_link")]
    at = signed_in(app_store, user, PAGE)
    at.button(key="start-attempt").click().run()
    answer_all(at, app_store, user, right=5)
    submit(at)
    home = signed_in(app_store, user)
    assert texts(home.success) == ["You have passed the assessment."]


def test_a_blank_attempt_is_confirmed_counts_and_its_review_reveals_no_key(
    app_store: Store, make_user: MakeUser
) -> None:
    user = make_user()
    at = signed_in(app_store, user, PAGE)
    at.button(key="start-attempt").click().run()
    assert any("cannot reach the pass mark of 80%" in t for t in texts(at.error))
    submit(at)
    assert not at.exception
    assert texts(at.error)[0] == "Not passed: 0 of 5 (0%); the pass mark is 80%."
    assert rationale_lines(at) == [] and not any("the answer is" in t for t in texts(at.caption))
    assert [t for t in texts(at.caption) if t.startswith("Not answered")] == ["Not answered"] * 5
    [event] = events_for_user(app_store, user.id, verb="assessment.submitted")
    assert event.payload["answered"] == 0 and event.payload["confirmed_incomplete"] is True


def test_the_retake_cooldown_and_limit_are_shown_and_enforced(
    app_store: Store, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COURSE_RETAKE_LIMIT", "2")
    monkeypatch.setenv("COURSE_RETAKE_COOLDOWN_HOURS", "24")
    user = make_user()
    at = signed_in(app_store, user, PAGE)
    assert any("up to 2 attempts, at least 24 hours apart" in t for t in texts(at.caption))
    at.button(key="start-attempt").click().run()
    answer_all(at, app_store, user, right=1)
    submit(at)
    at.query_params.clear()
    at.run()
    assert not [b for b in at.button if b.key == "start-attempt"]
    [waiting] = texts(at.info)
    assert waiting.startswith("Your next attempt opens after a pause for revision. You can start it from ")
    [attempt] = assessment.history(app_store, user)
    assert (attempt.retake_limit, attempt.retake_cooldown_minutes) == (2, 24 * 60)


def test_the_review_summarises_by_objective_and_links_each_miss_to_its_section(
    app_store: Store, make_user: MakeUser
) -> None:
    user = make_user()
    at = signed_in(app_store, user, PAGE)
    at.button(key="start-attempt").click().run()
    answer_all(at, app_store, user, right=2)
    submit(at)
    assert not at.exception
    assert "Results by learning objective" in texts(at.subheader)
    summary = [m for m in texts(at.markdown) if "- Question " in m]
    assert summary and all("/modules?id=" in m for m in summary)
    attempt = assessment.history(app_store, user)[0]
    bank = assessment.summative_items(COURSE)
    rationales = [o.rationale for p in attempt.paper for o in bank[p.item_id].options]
    # The summary names questions and the sections that teach them, never a key or a rationale:
    # it reveals no more than the review rule of issue 14 (which answers were wrong).
    for line in summary:
        assert not any(r in line for r in rationales) and "answer" not in line.lower()


def test_an_answer_chosen_while_the_store_is_locked_says_nothing_was_saved(
    app_store: Store, make_user: MakeUser
) -> None:
    """Issue 16: with the SQLite file locked by another process the choice is not stored; the page
    says so in plain words and the question shows what is stored (nothing), not the lost choice."""
    import sqlite3

    user = make_user()
    at = signed_in(app_store, user, PAGE)
    at.button(key="start-attempt").click().run()
    attempt = assessment.open_attempt(app_store, user)
    assert attempt is not None
    first = attempt.paper[0]
    other = sqlite3.connect(str(app_store.engine.url.database), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock past the busy timeout
        # Not choose_answer: a failed save reruns the whole page, so the question is redrawn.
        at.radio(key=f"answer-{attempt.id}-{first.item_id}").set_value(first.answer).run()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert not at.exception
    assert any(t.startswith("Nothing was saved") for t in texts(at.error)), texts(at.error)
    assert at.radio(key=f"answer-{attempt.id}-{first.item_id}").value is None  # what is stored
    assert assessment.get_attempt(app_store, user, attempt.id).answers == {}
