"""A screenshot of every page at 1366x900 and at 390x844, kept by CI as artefacts (issue 19).

Each shot is the whole page (artifacts/screenshots/screens-<width>-<page>.png): signed out, as a
learner with a module done, a case finished and an attempt submitted, and as that learner's
educator. Each page is first checked to have drawn what makes it that page.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, Server
from tests.browser.phone_screens import (
    CASE,
    EDUCATOR,
    LEARNER,
    VIEWPORTS,
    WAIT,
    Seeded,
    charts_drawn,
    new_page,
    open_page,
    seed,
    sign_in,
    whole_page_shot,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def seeded(shared_server: Server) -> Seeded:
    return seed(shared_server)


def visit(page: Any, url: str, name: str, width: int, heading: str, charts: int = 0) -> None:
    open_page(page, url)
    expect(page.get_by_role("heading", name=heading).first).to_be_visible(timeout=WAIT)
    if charts:
        charts_drawn(page, charts)
    whole_page_shot(page, ARTIFACTS / f"screens-{width}-{name}.png")


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_every_page_at_both_widths(shared_server: Server, seeded: Seeded, chromium: Any, size: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    width, height = VIEWPORTS[size]
    url = shared_server.url
    course = seeded.course
    module = course.modules[seeded.first_module]
    term = next(iter(course.glossary.values()))
    other_case = next(v for v in course.vignettes if v != CASE)

    page = new_page(chromium, width, height)
    visit(page, f"{url}/", "public", width, "Relational Prescribing")
    visit(page, f"{url}/signin", "sign-in", width, "Sign in")
    page.context.close()

    page = new_page(chromium, width, height)
    sign_in(page, shared_server, LEARNER[1])
    visit(page, f"{url}/", "home", width, f"Welcome, {LEARNER[0]}")
    visit(page, f"{url}/modules", "modules", width, "Modules")
    visit(page, f"{url}/modules?id={module.id}", "module", width, module.meta.title)
    visit(page, f"{url}/vignettes", "cases", width, "Cases")
    visit(page, f"{url}/vignettes?id={CASE}", "case-debrief", width, "Debrief")
    open_page(page, f"{url}/vignettes?id={other_case}")
    page.get_by_role("button", name="Start the case").click()
    expect(page.get_by_text("Step 1")).to_be_visible(timeout=WAIT)
    visit(page, f"{url}/vignettes?id={other_case}", "case-step", width, course.vignettes[other_case].title)
    visit(page, f"{url}/assessment", "assessment", width, "Assessment")
    visit(page, f"{url}/assessment?review={seeded.attempt_id}", "review", width, "Assessment")
    visit(page, f"{url}/progress", "progress", width, "Your progress", charts=4)
    visit(page, f"{url}/glossary", "glossary", width, "Glossary")
    visit(page, f"{url}/glossary?term={term.id}", "glossary-term", width, term.term)
    visit(page, f"{url}/review", "flashcards", width, "Review cards")
    visit(page, f"{url}/portfolio", "portfolio", width, "CPD portfolio")
    visit(page, f"{url}/account", "account", width, "Your account")
    page.context.close()

    page = new_page(chromium, width, height)
    sign_in(page, shared_server, EDUCATOR[1])
    visit(page, f"{url}/teaching", "teaching-home", width, "Teaching home")
    visit(page, f"{url}/cohorts", "cohorts", width, "Cohorts")
    visit(page, f"{url}/dashboards", "dashboard", width, "Dashboards", charts=2)
    page.context.close()

    shots = sorted(p.name for p in ARTIFACTS.glob(f"screens-{width}-*.png"))
    assert len(shots) == 19, shots
