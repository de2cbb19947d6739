"""Launch from an LMS in a real browser: the test platform (tests/lti/platform.py) and the real app.

An instructor opens the course's deep-linking launch from the LMS course and picks Sam's case; the
LMS adds that link. A learner follows it, arrives signed in on Sam's case (through the launch, the
one-time handoff and the session cookie), plays it to an ending and passes the assessment; the
LMS receives the result through Assignment and Grade Services. One app and one platform serve the
whole module. Screenshots of each step go to artifacts/screenshots/.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from course import accounts, assessment
from course.clock import utcnow
from course.content import Course, load_course
from course.lti import registry
from course.store.db import Store, database_url
from course.store.models import CohortMemberRow, UserRow
from tests.browser.conftest import REPO, WAIT_MS, Server, settle
from tests.browser.test_full_journeys import _play_sam
from tests.lti.platform import CLIENT_ID, DEPLOYMENT_ID, PEOPLE, Platform

pytestmark = pytest.mark.browser

ITEMS = 5


@pytest.fixture(scope="module")
def course() -> Course:
    return load_course(REPO).course


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    patch = pytest.MonkeyPatch()
    patch.setenv("COURSE_ASSESSMENT_ITEMS", str(ITEMS))  # a short paper; the rule and the grading are unchanged
    running = Server(tmp_path_factory.mktemp("lti") / "data")
    running.start()
    yield running
    running.stop()
    patch.undo()


def _store(server: Server) -> Store:
    return Store.open(database_url({"COURSE_DATA_DIR": str(server.data_dir)}))


@pytest.fixture(scope="module")
def lms(app: Server) -> Iterator[Platform]:
    platform = Platform(tool_base=app.url)
    platform.serve()
    store = _store(app)
    try:
        registry.add_platform(
            store, name="Test LMS", issuer=platform.issuer, client_id=CLIENT_ID,
            auth_login_url=f"{platform.url}/auth", auth_token_url=f"{platform.url}/token",
            key_set_url=f"{platform.url}/jwks", deployment_ids=[DEPLOYMENT_ID], now=utcnow(),
        )  # fmt: skip
    finally:
        store.close()
    yield platform
    platform.stop()


@pytest.fixture
def new_page(chromium: Any) -> Iterator[Callable[[], Any]]:
    contexts: list[Any] = []

    def make() -> Any:
        context = chromium.new_context(viewport={"width": 1280, "height": 1000})
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def _pass_assessment(page: Any, server: Server, course: Course, email: str) -> None:
    page.goto(f"{server.url}/assessment")
    page.get_by_role("button", name="Start the assessment").click()
    expect(page.get_by_text(f"0 of {ITEMS} answered")).to_be_visible()
    store = _store(server)
    try:
        user = accounts.find_user_by_email(store, email)
        assert user is not None
        attempt = assessment.open_attempt(store, user)
    finally:
        store.close()
    assert attempt is not None
    items = course.items()
    for number, paper_item in enumerate(attempt.paper, start=1):
        text = next(o.text for o in items[paper_item.item_id].options if o.key == paper_item.answer)
        label = f"{paper_item.letter(paper_item.answer)}. {text}"
        page.get_by_role("radiogroup").nth(number - 1).get_by_role("radio", name=label, exact=True).check(force=True)
        expect(page.get_by_text(f"{number} of {ITEMS} answered")).to_be_visible()
    page.get_by_text("I have finished and want my attempt marked").click()
    page.get_by_role("button", name="Submit for marking").click()
    expect(page.get_by_text(f"Passed: {ITEMS} of {ITEMS} (100%)")).to_be_visible()


def test_an_instructor_links_a_case_and_a_learner_plays_it_and_passes_with_the_grade_in_the_lms(
    app: Server, lms: Platform, new_page: Callable[[], Any], course: Course, shot: Callable[[Any, str], None]
) -> None:
    # The instructor: a deep-linking launch shows what can be placed; she picks Sam's case.
    teacher = new_page()
    teacher.goto(lms.start_url("ivy", "deeplink"))
    expect(teacher.get_by_role("heading", name="Add the course to your LMS")).to_be_visible()
    shot(teacher, "1-deep-link-picker")
    teacher.get_by_label(f"Case: {course.vignettes['sam'].title}").check()
    teacher.get_by_role("button", name="Add to my course").click()
    expect(teacher.get_by_role("heading", name="Added to PSY101")).to_be_visible()
    shot(teacher, "2-added-in-the-lms")
    [link_id] = list(lms.links)
    assert lms.links[link_id].custom == {"target": "vignette:sam"}

    # The learner follows the new link and lands on Sam's case, signed in as himself.
    learner = new_page()
    learner.goto(lms.start_url("leo", link_id))
    expect(learner.get_by_text("Signed in as")).to_be_visible()
    expect(learner.get_by_role("heading", name=course.vignettes["sam"].title)).to_be_visible()
    expect(learner).to_have_url(f"{app.url}/vignettes?id=sam")
    settle(learner)
    shot(learner, "3-launched-into-sam")
    _play_sam(learner, course)
    expect(learner.get_by_text("Concepts you met")).to_be_visible()
    shot(learner, "4-case-ended")

    _pass_assessment(learner, app, course, PEOPLE["leo"].email)
    shot(learner, "5-assessment-passed")
    deadline = time.monotonic() + 60
    while not lms.scores and time.monotonic() < deadline:
        time.sleep(0.2)
    [score] = lms.scores
    assert score["userId"] == PEOPLE["leo"].sub
    assert (score["scoreGiven"], score["scoreMaximum"]) == (ITEMS, ITEMS)
    assert (score["activityProgress"], score["gradingProgress"]) == ("Completed", "FullyGraded")

    # The LMS course became Ivy's cohort; the roster (NRPS) made Leo and Lou members by enrolment.
    store = _store(app)
    try:
        with store.read() as conn:
            members = dict(
                conn.execute(
                    UserRow.__table__.select()
                    .with_only_columns(UserRow.email, CohortMemberRow.joined_via)
                    .join_from(UserRow, CohortMemberRow, CohortMemberRow.user_id == UserRow.id)
                ).all()
            )
    finally:
        store.close()
    assert members == {PEOPLE["leo"].email: "lti", PEOPLE["lou"].email: "lti"}
