"""Every chart, grid and meter row works at a phone's width as well as a laptop's (issue 19).

In Chromium at 390x844 and 1366x900: the learner's completion and mastery charts draw their bars
and no two axis labels overlap; the educator's completion grid has one labelled column per
assignment; a case step shows its meters in one short line with the story on the first screen;
a glossary term in a module opens in place, leaving the address and the scroll position alone
(and the module's knowledge checks, answered in an earlier session, show their answers).
"""

from __future__ import annotations

from collections.abc import Iterator
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
    chart_facts,
    charts_drawn,
    new_page,
    next_frames,
    open_page,
    ready,
    seed,
    sign_in,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def seeded(shared_server: Server) -> Seeded:
    return seed(shared_server)


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> tuple[int, int]:
    return VIEWPORTS[request.param]


@pytest.fixture
def page(chromium: Any, viewport: tuple[int, int]) -> Iterator[Any]:
    opened = new_page(chromium, *viewport)
    yield opened
    opened.context.close()


def by_description(facts: list[dict[str, Any]], words: str) -> dict[str, Any]:
    [found] = [f for f in facts if words in (f["description"] or "")]
    return found


def test_progress_charts_draw_bars_with_labels_apart(
    shared_server: Server, seeded: Seeded, page: Any, viewport: tuple[int, int]
) -> None:
    sign_in(page, shared_server, LEARNER[1])
    open_page(page, f"{shared_server.url}/progress")
    charts_drawn(page, 4)  # completion, scores, time, mastery
    facts = chart_facts(page)
    completion = by_description(facts, "one bar per module")
    assert completion["marks"] >= len(seeded.course.modules)  # a bar for every module, however narrow
    mastery = by_description(facts, "One row per course concept")
    assert mastery["marks"] >= len(seeded.course.glossary)  # every concept's track, and bars where evidence is
    for chart in facts:
        assert chart["overlaps"] == [], chart["description"]
        assert chart["width"] <= viewport[0]
    # The whole names are on the axis (wrapped, never cut), so none can look like another.
    # (An SVG label of several lines reads as its lines run together, so compare without spaces.)
    drawn = {label.replace(" ", "") for label in mastery["labels"]}
    assert {t.term.replace(" ", "") for t in seeded.course.glossary.values()} <= drawn
    expect(page.get_by_text("no evidence yet").first).to_be_attached()


def test_the_educators_grid_labels_every_assignment(
    shared_server: Server, seeded: Seeded, page: Any, viewport: tuple[int, int]
) -> None:
    sign_in(page, shared_server, EDUCATOR[1])
    open_page(page, f"{shared_server.url}/dashboards")
    charts_drawn(page, 2)
    grid = by_description(chart_facts(page), "row per learner")
    keys = [f"A{n}" for n in range(1, seeded.assignments + 1)]
    assert [label for label in grid["labels"] if label in keys] == keys  # one heading per column
    assert grid["marks"] >= 2 * seeded.assignments  # a cell per learner and assignment
    assert grid["overlaps"] == []
    expect(page.get_by_text("Columns: A1 ")).to_be_visible()


def test_a_case_step_keeps_its_meters_to_one_short_line(
    shared_server: Server, seeded: Seeded, page: Any, viewport: tuple[int, int]
) -> None:
    sign_in(page, shared_server, LEARNER[1])
    case_id = next(v for v in seeded.course.vignettes if v != CASE)  # one the learner has not started
    open_page(page, f"{shared_server.url}/vignettes?id={case_id}")
    vignette = seeded.course.vignettes[case_id]
    page.get_by_role("button", name="Start the case").click()
    expect(page.get_by_text("Step 1")).to_be_visible(timeout=WAIT)
    ready(page)
    first_label = next(iter(vignette.variables.values())).label
    meters = page.locator('[data-testid="stCaptionContainer"]').filter(has_text=first_label).first
    expect(meters).to_be_visible(timeout=WAIT)
    box = meters.bounding_box()
    assert box is not None and box["height"] <= 3 * 24  # at most three lines, even on a phone
    story = page.get_by_test_id("stHtml").first
    expect(story).to_be_visible(timeout=WAIT)
    story_box = story.bounding_box()
    assert story_box is not None and story_box["y"] < viewport[1] * 0.6  # the story starts on the first screen


def test_a_glossary_term_opens_in_place(
    shared_server: Server, seeded: Seeded, page: Any, viewport: tuple[int, int]
) -> None:
    sign_in(page, shared_server, LEARNER[1])
    open_page(page, f"{shared_server.url}/modules?id={seeded.first_module}")
    term = page.locator("button.glossary-term").nth(2)
    term.scroll_into_view_if_needed()
    next_frames(page)
    url = page.url
    scrolled = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollTop")
    assert scrolled > 0
    term.click()
    popover = page.locator(f"#{term.get_attribute('popovertarget')}")
    expect(popover).to_be_visible(timeout=WAIT)
    expect(popover.get_by_role("link", name="Open the full entry")).to_be_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"phone-glossary-popover-{viewport[0]}.png"))
    assert page.url == url  # no navigation: the same page, the same address
    assert abs(page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollTop") - scrolled) <= 2
    page.keyboard.press("Escape")
    expect(popover).to_be_hidden()
    # The knowledge checks answered earlier (in another session) show the answers and their feedback.
    checks = seeded.course.checks_for(seeded.first_module)
    expect(page.get_by_text("Your answer:")).to_have_count(len(checks), timeout=WAIT)
    expect(page.get_by_role("button", name="Answer again")).to_have_count(len(checks))
