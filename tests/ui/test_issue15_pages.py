"""Issue 15 through the pages where it was seen: figures that agree with decisions, deleted learners."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from course import cohorts, privacy
from course.accounts import Role, User
from course.clock import utcnow
from course.store.db import Store
from tests.dashboards.test_issue15 import stored_attempt
from tests.ui.conftest import signed_in, texts, vega_charts

MakeUser = Callable[..., User]
ASSESSMENT = "course/ui/pages/assessment.py"
PROGRESS = "course/ui/pages/progress.py"
COHORTS = "course/ui/pages/cohorts.py"
DASHBOARDS = "course/ui/pages/dashboards.py"


def _metrics(at: object) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}  # type: ignore[attr-defined]


def _scores(charts: dict[str, tuple[dict[str, object], list[object]]]) -> Any:
    _, frames = charts["Score distribution (all submitted attempts)"]
    return next(f for f in frames if "Score" in f.columns)  # type: ignore[attr-defined]


def test_35_of_44_with_a_pass_mark_of_80_shows_79_percent_on_review_and_progress(
    app_store: Store, make_user: MakeUser
) -> None:
    """Issue 15's input: it showed "Not passed: 35 of 44 (80%)" on the review and 80% on Progress."""
    learner = make_user()
    attempt_id = stored_attempt(app_store, learner, 35, 44, 80, utcnow() - timedelta(hours=1))
    review = signed_in(app_store, learner, ASSESSMENT, review=str(attempt_id))
    assert not review.exception
    assert texts(review.error)[0] == "Not passed: 35 of 44 (79%); the pass mark is 80%."
    progress = signed_in(app_store, learner, PROGRESS)
    assert not progress.exception
    assert _metrics(progress)["Best assessment score"] == "79%"
    _, frames = vega_charts(progress)["Assessment score per attempt"]
    assert 79 in frames[0]["Score"].tolist() and 80 not in frames[0]["Score"].tolist()


def test_two_of_three_done_shows_66_percent_and_a_learners_minutes_add_up(
    app_store: Store, make_user: MakeUser
) -> None:
    teacher = make_user(Role.EDUCATOR, email="tess@example.org", name="Tess")
    people = [make_user(email=f"l{n}@example.org", name=f"Learner {n}") for n in range(3)]
    now = utcnow()
    group = cohorts.create_cohort(app_store, teacher, "Three", now=now)
    for person in people:
        cohorts.join_by_code(app_store, person, group.invite_code, now=now)
    cohorts.assign(app_store, teacher, group.id, "assessment", "summative", now + timedelta(days=3), now=now)
    for person in people[:2]:
        stored_attempt(app_store, person, 2, 3, 60, now - timedelta(minutes=5))  # 66.67%: passes 60
    at = signed_in(app_store, teacher, DASHBOARDS, cohort=str(group.id))
    assert not at.exception
    charts = vega_charts(at)
    _, frames = charts["Completion by assignment"]
    assert frames[0]["Done (%)"].tolist() == [66]
    assert _scores(charts)["Score"].tolist() == [66, 66]


def test_a_deleted_learner_is_counted_and_listed_as_deleted_user_on_every_page(
    app_store: Store, make_user: MakeUser
) -> None:
    """Issue 15's input: header 2, table 1, dashboard "1 learner", scores 2 -> 1 after one deletion."""
    teacher = make_user(Role.EDUCATOR, email="tess@example.org", name="Tess")
    ann = make_user(email="ann@example.org", name="Ann")
    bob = make_user(email="bob@example.org", name="Bob")
    now = utcnow()
    group = cohorts.create_cohort(app_store, teacher, "Pair", now=now)
    for person in (ann, bob):
        cohorts.join_by_code(app_store, person, group.invite_code, now=now)
        stored_attempt(app_store, person, 4, 5, 80, now - timedelta(minutes=5))
    privacy.delete_account(app_store, bob, bob.id, confirm_email="bob@example.org", now=now)

    page = signed_in(app_store, teacher, COHORTS, cohort=str(group.id))
    assert not page.exception
    assert _metrics(page)["Learners"] == "2"
    assert page.dataframe[0].value["Name"].tolist() == ["Ann", "Deleted user"]
    assert page.dataframe[0].value["Email"].tolist() == ["ann@example.org", ""]

    board = signed_in(app_store, teacher, DASHBOARDS, cohort=str(group.id))
    assert not board.exception
    assert texts(board.caption)[0].startswith("2 learners")
    scores = _scores(vega_charts(board))
    assert scores["Learner"].tolist() == ["Ann", "Deleted user"]
    assert scores["Score"].tolist() == [80, 80]
