"""Two app processes behind nginx on PostgreSQL (deploy/serve.py), in a real browser.

A learner who has done everything but the assessment signs in through the proxy, downloads a
progress table as CSV, starts the assessment and answers two questions. Then the app process that
holds her session is killed (SIGKILL, as a crash). The page reconnects through nginx to the other
process, which does not know her session and reloads the page from the database
(course/ui/reconnect.py); her two answers are still there, she finishes and passes, and downloads
her certificate PDF and the CSV again, now from the surviving process. The nginx access log shows
that every request of her browser went to one process before the kill (session affinity: her
downloads live in that process's memory) and to the other one after it.

Then the killed process is started again, nginx sends her back to it, and it is killed once more
while she is on a page she has just opened: her next click (on a button inside a fragment, which
a new session would otherwise skip) reloads the page, and the click after that works.
"""

from __future__ import annotations

import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from course import accounts, assessment, progress
from course.clock import utcnow
from course.content import Course, load_course
from course.store.db import Store
from deploy.serve import NGINX, Deployment
from tests.browser.conftest import (
    REPO,
    add_user_to_store,
    download_by_clicking,
    run_and_settle,
    settle,
    sign_in_in_browser,
)
from tests.conftest import POSTGRES_SKIP_REASON, postgres_url
from tests.cpd.helpers import play_to_an_ending

pytestmark = pytest.mark.browser

LEARNER = ("Nia Nginx", "nia@example.org")
ITEMS = 5  # questions per attempt (COURSE_ASSESSMENT_ITEMS): the rule and the grading are unchanged
TIMEOUT = 60_000  # ms: a cold process, a reconnect and a rerun on a busy 2-core machine


@contextmanager
def postgres_schema_url() -> Iterator[str]:
    """$TEST_DATABASE_URL pointed at a brand-new schema (dropped afterwards) through libpq's options."""
    url = postgres_url()
    if url is None:
        pytest.skip(POSTGRES_SKIP_REASON)
    schema = f"t_{uuid.uuid4().hex}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in url else "?"
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text("SET lock_timeout = '10s'"))
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    if not Path(NGINX).exists():
        pytest.fail(f"nginx not found at {NGINX}: install Debian's nginx package (CI's .ci/run does)")
    with postgres_schema_url() as url:
        patch = pytest.MonkeyPatch()
        patch.setenv("COURSE_ASSESSMENT_ITEMS", str(ITEMS))
        try:
            with Deployment(url, processes=2, folder=tmp_path / "deploy") as running:
                yield running
        finally:
            patch.undo()


@pytest.fixture
def browser_page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT)
    yield context.new_page()
    context.close()


def seed_all_but_the_assessment(store: Store, course: Course) -> None:
    """Every module read and completed with its checks answered, every case played to an ending,
    dated over the hours before now so the measured active time passes the certificate's floor."""
    user = add_user_to_store(store, role="learner", email=LEARNER[1], name=LEARNER[0])
    at = utcnow() - timedelta(hours=5)
    for module in course.modules.values():
        progress.record_module_view(store, user, module, now=at)
        at += timedelta(minutes=12)
        for position, item in enumerate(course.checks_for(module.id), start=1):
            progress.answer_check(store, user, course, item, item.answer, position=position, now=at)
            at += timedelta(minutes=1)
        progress.set_module_complete(store, user, module, True, now=at)
    for vignette_id in course.vignettes:
        at = play_to_an_ending(store, user, course, vignette_id, at)


def download(page: Any, button_name: str) -> bytes:
    return download_by_clicking(page, page.get_by_role("button", name=button_name), timeout=TIMEOUT)


def download_progress_csv(page: Any, url: str) -> bytes:
    page.goto(f"{url}/progress")
    expect(page.get_by_role("heading", name="Your progress")).to_be_visible()
    settle(page, timeout=TIMEOUT)
    page.get_by_text("Module completion: the data as a table").click()
    return download(page, "Download CSV")


def answer(page: Any, store: Store, course: Course, numbers: range) -> None:
    """Choose the keyed option of questions ``numbers`` (1-based), waiting for each save to show."""
    user = accounts.find_user_by_email(store, LEARNER[1])
    assert user is not None
    attempt = assessment.open_attempt(store, user)
    assert attempt is not None
    items = course.items()
    for number in numbers:
        paper_item = attempt.paper[number - 1]
        option = next(o.text for o in items[paper_item.item_id].options if o.key == paper_item.answer)
        label = f"{paper_item.letter(paper_item.answer)}. {option}"
        group = page.get_by_role("radiogroup").nth(number - 1)
        group.get_by_role("radio", name=label, exact=True).check(force=True)
        expect(page.get_by_text(f"{number} of {ITEMS} answered")).to_be_visible()
        settle(page, timeout=TIMEOUT)


def upstreams_of(deployment: Deployment, route: str) -> list[tuple[str, int]]:
    """(request line, app port that answered) for each request nginx logged with this affinity cookie.

    nginx logs a request when it ends: a websocket when it closes. After a failover ``$upstream_addr``
    lists every process tried; the last one answered.
    """
    served = []
    for line in deployment.access_log.read_text(errors="replace").splitlines():
        if f" route={route} " in line and "upstream=127.0.0.1:" in line:
            address = line.split("upstream=", 1)[1].split(" route=", 1)[0].split(", ")[-1]
            served.append((line.split('"')[1], int(address.rsplit(":", 1)[1])))
    return served


# Every change of the page's connection state, in order, from before the kill.
WATCH_CONNECTION = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const record = () => window.__states.push(app.getAttribute('data-test-connection-state'));
    window.__states = [];
    record();
    new MutationObserver(record).observe(app, {attributes: true, attributeFilter: ['data-test-connection-state']});
}"""
# The websocket dropped and the page has connected again (through nginx, to the other process).
RECONNECTED = """() => {
    const states = window.__states || [];
    const dropped = states.findIndex(state => state !== 'CONNECTED');
    return dropped >= 0 && states[states.length - 1] === 'CONNECTED';
}"""


def serving_port(deployment: Deployment, route: str, request: str) -> int:
    """The app port that answered the last logged request starting with ``request`` for this browser."""
    return next(port for line, port in reversed(upstreams_of(deployment, route)) if line.startswith(request))


def wait_until_routed_to(deployment: Deployment, route: str, port: int) -> None:
    """Ask nginx with this browser's affinity cookie until it sends the request to ``port`` again
    (a restarted process rejoins when its fail_timeout has passed)."""
    deadline = time.monotonic() + TIMEOUT / 1000
    while time.monotonic() < deadline:
        request = urllib.request.Request(f"{deployment.url}/healthz", headers={"Cookie": f"rp_route={route}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        if serving_port(deployment, route, "GET /healthz") == port:
            return
        time.sleep(0.5)
    raise AssertionError(f"nginx did not route this browser back to the restarted process on port {port}")


def test_a_learner_keeps_her_work_when_her_app_process_dies(deployment: Deployment, browser_page: Any) -> None:
    page, url = browser_page, deployment.url
    course = load_course(REPO).course
    store = Store.open(deployment.database_url)
    try:
        seed_all_but_the_assessment(store, course)
        sign_in_in_browser(page, deployment, LEARNER[1])  # type: ignore[arg-type]
        route = next(c["value"] for c in page.context.cookies() if c["name"] == "rp_route")

        csv_before = download_progress_csv(page, url)
        assert csv_before.startswith(b"\xef\xbb\xbf")  # the one CSV writer's byte-order mark
        first_module = next(iter(course.modules.values()))
        assert first_module.meta.title.encode() in csv_before

        page.goto(f"{url}/assessment")
        page.get_by_role("button", name="Start the assessment").click()
        expect(page.get_by_text(f"0 of {ITEMS} answered")).to_be_visible()
        answer(page, store, course, range(1, 3))

        # Affinity: every request of this browser so far (pages, websocket set-up, the CSV) went to one process.
        served = {port for _, port in upstreams_of(deployment, route)}
        assert len(served) == 1, f"requests of one browser went to several processes: {served}"
        (port,) = served
        doomed = next(app for app in deployment.apps if app.port == port)
        survivor = next(app for app in deployment.apps if app.port != port)
        logged_before_kill = len(upstreams_of(deployment, route))

        # Her last action reran a fragment, so the page asks for a run as soon as it reconnects (to
        # the other process); that process does not know her session and reloads the page
        # (course/ui/reconnect.py), which redraws it from the database.
        with page.expect_navigation(timeout=TIMEOUT):
            doomed.kill()
        expect(page.get_by_text(f"2 of {ITEMS} answered")).to_be_visible()
        settle(page, timeout=TIMEOUT)
        for number in (1, 2):
            expect(page.get_by_role("radiogroup").nth(number - 1).get_by_role("radio", checked=True)).to_have_count(1)
        answer(page, store, course, range(3, ITEMS + 1))
        page.get_by_text("I have finished and want my attempt marked").click()
        page.get_by_role("button", name="Submit for marking").click()
        expect(page.get_by_text(f"Passed: {ITEMS} of {ITEMS} (100%)")).to_be_visible()

        page.goto(f"{url}/portfolio")
        page.get_by_role("button", name="Issue my certificate").click()
        pdf = download(page, "Download certificate (PDF)")
        assert pdf.startswith(b"%PDF")
        csv_after = download_progress_csv(page, url)
        assert csv_after.startswith(b"\xef\xbb\xbf") and first_module.meta.title.encode() in csv_after

        # The old websocket is logged when the kill closed it; every other request went to the survivor.
        logged = upstreams_of(deployment, route)[logged_before_kill:]
        after_kill = [(request, port) for request, port in logged if "/_stcore/stream" not in request]
        assert any("/media/" in r for r, _ in after_kill), after_kill  # the PDF and the CSV
        assert {p for _, p in after_kill} == {survivor.port}, after_kill

        # Second failure, on a page whose last run was a full one (just opened): the page does not
        # rerun by itself on reconnecting, so her next click is the new session's first run. Without
        # course/ui/reconnect.py that click, on a button inside a fragment, would be skipped (and every
        # later one too); with it the page reloads from the database and her next click works.
        doomed.start(deployment.app_env(), deployment.options)
        doomed.wait_ready()
        wait_until_routed_to(deployment, route, doomed.port)
        page.goto(f"{url}/modules?id={first_module.id}")
        expect(page.get_by_text("You completed this module on")).to_be_visible()
        settle(page, timeout=TIMEOUT)
        assert serving_port(deployment, route, "GET /modules") == doomed.port
        page.evaluate(WATCH_CONNECTION)
        doomed.kill()
        page.wait_for_function(RECONNECTED, timeout=TIMEOUT)
        with page.expect_navigation(timeout=TIMEOUT):
            page.get_by_role("button", name="Mark as not complete").click()
        expect(page.get_by_text("You completed this module on")).to_be_visible()  # nothing changed behind her back
        settle(page, timeout=TIMEOUT)
        run_and_settle(page, page.get_by_role("button", name="Mark as not complete").click)
        expect(page.get_by_role("button", name="Mark as complete")).to_be_visible()
        expect(page.get_by_text("You completed this module on")).to_have_count(0)
    finally:
        store.close()
