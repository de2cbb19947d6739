"""Issue 19 (part B) in a real browser, at desktop (1366x900) and phone (390x844) width.

* A Why? note typed at a decision and a reflection written inside a case appear in the CPD
  portfolio and in the evidence pack the learner downloads.
* Signed out: the public course page is where a visitor lands, its sample case step plays without
  an account, and a gated deep link says what is behind it above the sign-in form.
* A password reset through a local SMTP server (aiosmtpd): ask for a link, open it from the
  email, choose a new password, sign in with it.

Every step waits for the state it produces (a heading, a text, an email), never a fixed sleep.
Screenshots go to artifacts/screenshots/ (test name and width in the file name).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from course.content import Course, load_course
from tests.browser.conftest import ARTIFACTS, REPO, WAIT_MS, Server, add_user, download_by_clicking, settle
from tests.smtp import Inbox, link, smtp_env, smtp_server

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
PASSWORD = "a long enough password"
WHY = "I wanted him to feel heard before any change"
REFLECTION = "He may be showing me how stuck he feels, and I feel it too."


@pytest.fixture(scope="module")
def course() -> Course:
    return load_course(REPO).course


@pytest.fixture(scope="module")
def mailbox() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as running:
        yield running


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, mailbox: tuple[Inbox, int]) -> Iterator[Server]:
    """One app for the module, sending email to the local SMTP server; links point back at it."""
    _, port = mailbox
    running = Server(tmp_path_factory.mktemp("issue19b") / "data")
    patch = pytest.MonkeyPatch()
    for name, value in smtp_env(port, public_url=running.url).items():
        patch.setenv(name, value)
    running.start()
    yield running
    running.stop()
    patch.undo()


@pytest.fixture(params=list(WIDTHS))
def screen(request: pytest.FixtureRequest, chromium: Any) -> Iterator[tuple[str, Any]]:
    context = chromium.new_context(viewport=WIDTHS[request.param], accept_downloads=True)
    context.set_default_timeout(WAIT_MS)
    yield request.param, context.new_page()
    context.close()


def shoot(page: Any, name: str, width: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    settle(page)
    page.screenshot(path=str(ARTIFACTS / f"19b-{name}-{width}.png"), full_page=True)


def sign_in(page: Any, app: Server, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{app.url}/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Welcome,")).to_be_visible()
    settle(page)


def test_case_writing_appears_in_the_portfolio_and_the_evidence_pack(
    app: Server, screen: tuple[str, Any], course: Course
) -> None:
    width, page = screen
    email = f"cara-{width}@example.org"
    add_user(app, role="learner", email=email, name=f"Cara {width.title()}")
    sign_in(page, app, email)
    case = course.vignettes["mr-z"]
    choices = {c.id: c.label for n in case.nodes if n.kind == "choice" for c in n.choices}  # type: ignore[union-attr]

    page.goto(f"{app.url}/vignettes?id=mr-z")
    page.get_by_role("button", name="Start the case").click()
    expect(page.get_by_text("Step 1", exact=True)).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Step 2", exact=True)).to_be_visible()
    page.get_by_text(choices["peer-group"], exact=True).click()
    page.get_by_label("Why? (optional, a few words for yourself)").fill(WHY)
    page.get_by_role("button", name="Decide").click()
    expect(page.get_by_text("Step 3", exact=True)).to_be_visible()
    page.get_by_text(choices["wonder"], exact=True).click()
    page.get_by_role("button", name="Decide").click()
    expect(page.get_by_text("Step 4", exact=True)).to_be_visible()
    page.get_by_role("textbox").first.fill(REFLECTION)
    shoot(page, "case-reflection-step", width)
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("Step 5", exact=True)).to_be_visible()

    page.goto(f"{app.url}/portfolio")
    expect(page.get_by_role("heading", name="From the cases")).to_be_visible()
    page.get_by_text("Mr Z: yet another switch · played").click()
    expect(page.get_by_text(f"Why: {WHY}")).to_be_visible()
    expect(page.get_by_text(REFLECTION)).to_be_visible()
    shoot(page, "portfolio-case-notes", width)

    picker = page.get_by_test_id("stMultiSelect").filter(has_text="Case notes to include")
    combo = picker.get_by_role("combobox")
    combo.click()
    combo.fill("Mr Z")  # typing opens the list (a click alone can land while the list re-renders)
    page.get_by_role("option", name="Mr Z: yet another switch").click()
    expect(picker.get_by_test_id("stMultiSelectTagsContainer")).to_contain_text("Mr Z: yet another switch")
    page.keyboard.press("Escape")
    expect(combo).to_have_attribute("aria-expanded", "false")
    page.get_by_role("heading", name="Evidence pack").click()  # leave the field: its value is sent now
    settle(page)
    page.get_by_role("button", name="Prepare evidence pack").click()
    download_button = page.get_by_role("button", name="Download evidence pack (ZIP)")
    expect(download_button).to_be_visible()
    archive = zipfile.ZipFile(io.BytesIO(download_by_clicking(page, download_button)))
    [notes] = [n for n in archive.namelist() if n.startswith("cases/") and n.endswith(".md")]
    text = archive.read(notes).decode()
    assert WHY in text and REFLECTION in text
    assert choices["peer-group"] in text


def test_public_page_sample_and_gated_link_signed_out(app: Server, screen: tuple[str, Any], course: Course) -> None:
    width, page = screen
    page.goto(f"{app.url}/")
    expect(page.get_by_role("heading", name="Relational Prescribing", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Privacy notice")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()
    expect(page.get_by_role("link", name="Create a free account").first).to_be_visible()
    shoot(page, "course-page", width)

    page.get_by_role("link", name="Try a case without an account").first.click()
    expect(page.get_by_role("heading", name="Try a case")).to_be_visible()
    page.get_by_role("button", name="Start the sample").click()
    page.get_by_role("button", name="Continue").click()
    first = next(n for n in course.vignettes["mr-z"].nodes if n.kind == "choice")
    page.get_by_text(first.choices[1].label, exact=True).click()  # type: ignore[union-attr]
    page.get_by_role("button", name="Decide").click()
    expect(page.get_by_text("That was the first decision of this case.")).to_be_visible()
    expect(page.get_by_text("About your choice:")).to_be_visible()
    shoot(page, "sample-case", width)
    assert "rp_session" not in {c["name"] for c in page.context.cookies()}

    module = next(iter(course.modules.values()))
    page.goto(f"{app.url}/modules?id={module.id}")
    expect(page.get_by_role("heading", name=f"Sign in to read the module “{module.meta.title}”")).to_be_visible()
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    shoot(page, "gated-deep-link", width)
    email = f"gina-{width}@example.org"
    add_user(app, role="learner", email=email, name="Gina Gate")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name=module.meta.title, exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(re.escape(f"/modules?id={module.id}")))


def test_password_reset_through_the_local_smtp_server(
    app: Server, screen: tuple[str, Any], mailbox: tuple[Inbox, int]
) -> None:
    width, page = screen
    inbox, _ = mailbox
    email = f"rita-{width}@example.org"
    add_user(app, role="learner", email=email, name="Rita Reset")
    page.goto(f"{app.url}/signin")
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.get_by_role("heading", name="Forgotten your password?")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_text("If an account with a password uses that address")).to_be_visible()
    shoot(page, "password-reset-requested", width)

    [message] = inbox.wait_for(email, timeout=WAIT_MS / 1000)
    url = link(message, "/reset")
    assert url.startswith(f"{app.url}/reset?token=")
    page.goto(url)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill("a different long password")
    page.get_by_label("Repeat the new password").fill("a different long password")
    shoot(page, "password-reset-form", width)
    page.get_by_role("button", name="Change my password").click()
    expect(page.get_by_text("Your password has been changed")).to_be_visible()
    expect(page).not_to_have_url(re.compile("token="))  # the used link leaves the address bar

    sign_in(page, app, email, "a different long password")
    page.goto(url)  # the link works once
    expect(page.get_by_text("This password-reset link has expired or has already been used.")).to_be_visible()


def _seed_cohort(app: Server, width: str) -> tuple[int, int]:
    """An educator's cohort with one learner who has a submitted attempt and an overdue assignment."""
    from datetime import timedelta

    from course import accounts, assessment, cohorts
    from course.accounts import Role
    from course.clock import utcnow
    from course.store.db import Store, database_url

    store = Store.open(database_url({"COURSE_DATA_DIR": str(app.data_dir)}))
    try:
        now = utcnow()
        ed = accounts.create_user_admin(
            store, email=f"ed-{width}@example.org", display_name="Edith Educator", password=PASSWORD,
            role=Role.EDUCATOR, now=now,
        )  # fmt: skip
        lee = accounts.create_user_admin(
            store, email=f"lee-{width}@example.org", display_name="Lee Learner", password=PASSWORD,
            role=Role.LEARNER, now=now,
        )  # fmt: skip
        group = cohorts.create_cohort(store, ed, "Tuesday Balint group", now=now)
        cohorts.join_by_code(store, lee, group.invite_code, now=now)
        cohorts.assign(store, ed, group.id, "vignette", "sam", now - timedelta(days=1), now=now)
        course = load_course(REPO).course
        attempt = assessment.start_attempt(store, lee, course, assessment.Settings(items=10), now=now)
        for n, item in enumerate(attempt.paper):
            wrong = next(k for k in item.options if k != item.answer)
            assessment.save_answer(
                store, lee, attempt.id, item.item_id, item.answer if n % 2 else wrong, answered_at=now
            )
        assessment.submit(store, lee, attempt.id, now=now)
        return lee.id, attempt.id
    finally:
        store.close()


def test_screens_of_the_teaching_home_learner_page_review_and_email_settings(
    app: Server, screen: tuple[str, Any]
) -> None:
    width, page = screen
    learner_id, attempt_id = _seed_cohort(app, width)
    sign_in(page, app, f"ed-{width}@example.org")
    page.goto(f"{app.url}/teaching")
    expect(page.get_by_role("heading", name="Teaching home")).to_be_visible()
    expect(page.get_by_text("1 learner with overdue work.")).to_be_visible()
    shoot(page, "teaching-home", width)
    page.goto(f"{app.url}/learner?learner={learner_id}")
    expect(page.get_by_role("heading", name="Lee Learner")).to_be_visible()
    expect(page.get_by_role("heading", name="Reflections shared with you")).to_be_visible()
    shoot(page, "learner-page", width)
    page.goto(f"{app.url}/account")
    expect(page.get_by_text("A note when learners in my cohorts miss a due date")).to_be_visible()
    shoot(page, "account-email-settings", width)

    page.goto(f"{app.url}/auth/signout")  # a GET only asks (issue 16): sign out with the form's POST
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/(\?.*)?$"))
    sign_in(page, app, f"lee-{width}@example.org")
    page.goto(f"{app.url}/assessment?review={attempt_id}")
    expect(page.get_by_role("heading", name="Results by learning objective")).to_be_visible()
    expect(page.get_by_text("Question 1: read").first).to_be_visible()
    page.get_by_role("heading", name="Results by learning objective").scroll_into_view_if_needed()
    shoot(page, "review-by-objective", width)
