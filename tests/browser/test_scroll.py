"""The news is on screen (issue 19): after Submit the Passed/Not passed banner, and after a case's
Decide or Continue the new step and its feedback, are in the viewport — not above it, where the
page used to stay scrolled from the foot of the long paper or step. Desktop (1366x900) and phone
(390x844)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Server
from tests.browser.screens import carry_on, choose, idle, screen, sign_up, wait_in_view

pytestmark = pytest.mark.browser
__all__ = ["screen"]


def test_after_submit_the_result_banner_is_in_view(shared_server: Server, screen: Any, shot: Any) -> None:
    page, server = screen, shared_server
    sign_up(page, server, "Sue Submit")
    page.goto(f"{server.url}/assessment")
    page.get_by_role("button", name="Start the assessment").click()
    expect(page.get_by_text("0 of 20 answered")).to_be_visible()
    idle(page)
    # Answer the last question, as a learner at the foot of the paper would, then submit from there.
    page.get_by_role("radiogroup").last.get_by_role("radio").first.check(force=True)
    expect(page.get_by_text("1 of 20 answered")).to_be_visible()
    page.get_by_text("I have finished and want my attempt marked").click()
    page.get_by_text("Submit anyway").click()
    submit = page.get_by_role("button", name="Submit for marking")
    submit.scroll_into_view_if_needed()
    expect(submit).to_be_enabled()
    submit.click()
    wait_in_view(page, page.get_by_text("Not passed:"))
    shot(page, f"{page.viewport_name}-result")


# Ms H, as the report played it: long steps, so Decide is pressed far down the page.
HOLD = (
    "Keep her current drug for now; ask what the returning low mood and anxiety mean to her, "
    "and about her sister's experience."
)
ASK = "Hold the dose, and ask what is happening in her relationships."
BACK_TO_MEDS = "Acknowledge it briefly, then turn back to her tablets and increase the dose again."


def test_after_decide_and_continue_the_new_step_is_in_view(shared_server: Server, screen: Any, shot: Any) -> None:
    page, server = screen, shared_server
    sign_up(page, server, "Dee Decide")
    page.goto(f"{server.url}/vignettes?id=ms-h")
    page.get_by_role("button", name="Start the case").click()
    expect(page.get_by_text("Step 1", exact=True)).to_be_visible()
    idle(page)
    page.get_by_role("button", name="Continue").scroll_into_view_if_needed()
    carry_on(page, 2)
    wait_in_view(page, page.get_by_role("heading", level=3).first)  # the new step's title
    for step, label in ((3, HOLD), (4, ASK), (5, BACK_TO_MEDS)):
        choose(page, label, step)
        # Before the fix the feedback of steps 4 and 5 was 180-760 px above the view.
        wait_in_view(page, page.get_by_text("About your choice:"))
    shot(page, f"{page.viewport_name}-after-decide")
