"""The assessment with the keyboard only: Tab to each control, Space/arrows to answer, Enter to act.

No mouse click is used after signing up: every step moves focus with Tab and acts on the focused
element, so a control that cannot be reached or operated from the keyboard fails the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Server, run_and_settle, settle, sign_up_in_browser

pytestmark = pytest.mark.browser

QUESTIONS = 5
MAX_TABS = 120  # more presses than that to reach the next control would itself be a usability bug

# What the focused element is, for the predicates below and for failure messages.
FOCUSED_JS = """() => {
  const el = document.activeElement;
  // Nothing focused yet (a rerun can redraw the focused control away): keep tabbing from the top.
  if (!el || el === document.body) return {tag: 'body', type: '', role: '', label: '', group: -1, checked: false};
  const groups = Array.from(document.querySelectorAll('[role=radiogroup]'));
  const group = el.closest('[role=radiogroup]');
  return {
    tag: el.tagName.toLowerCase(),
    type: el.getAttribute('type') || '',
    role: el.getAttribute('role') || '',
    label: (el.getAttribute('aria-label') || el.innerText || el.closest('label')?.innerText || '').trim().slice(0, 80),
    group: group ? groups.indexOf(group) : -1,
    checked: el.checked === true,
  };
}"""


def focused(page: Any) -> dict[str, Any]:
    return dict(page.evaluate(FOCUSED_JS))


def tab_until(page: Any, wanted: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
    """Press Tab until the focused element is `wanted`; fail naming what was reached instead."""
    trail = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        here = focused(page)
        if wanted(here):
            return here
        trail.append(f"{here.get('tag')}:{here.get('label', '')[:30]}")
    raise AssertionError(f"could not reach {what} with Tab in {MAX_TABS} presses; focus went: {trail[-15:]}")


@pytest.fixture
def assessment_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    monkeypatch.setenv("COURSE_ASSESSMENT_ITEMS", str(QUESTIONS))  # read by the server at attempt start
    running = Server(tmp_path / "data")
    running.start()
    yield running
    running.stop()


def test_assessment_can_be_taken_with_the_keyboard_only(
    assessment_server: Server, page: Any, shot: Callable[[Any, str], None]
) -> None:
    sign_up_in_browser(page, assessment_server, "Kit Keyboard", "kit@example.org")
    page.goto(f"{assessment_server.url}/assessment")
    settle(page)

    tab_until(page, lambda f: f["tag"] == "button" and f["label"] == "Start the assessment", "the start button")
    page.keyboard.press("Enter")
    expect(page.get_by_text(f"0 of {QUESTIONS} answered")).to_be_visible()
    settle(page)
    expect(page.get_by_role("radiogroup")).to_have_count(QUESTIONS)

    for number in range(QUESTIONS):
        tab_until(page, lambda f, n=number: f["group"] == n, f"question {number + 1}")  # type: ignore[misc]
        # In a radio group Space picks the focused option and the arrows move to the next one;
        # the second question onwards is answered with an arrow to prove both work.
        page.keyboard.press("Space" if number == 0 else "ArrowDown")
        expect(page.get_by_text(f"{number + 1} of {QUESTIONS} answered")).to_be_visible()
        settle(page)
        group = page.get_by_role("radiogroup").nth(number)
        assert (
            sum(group.get_by_role("radio").nth(i).is_checked() for i in range(group.get_by_role("radio").count())) == 1
        )
    shot(page, "all-answered")

    # Shift+Tab must work too: step back from the next control into the last question and out again.
    tab_until(page, lambda f: f["type"] == "checkbox", "the confirmation box")
    page.keyboard.press("Shift+Tab")
    assert focused(page)["group"] == QUESTIONS - 1, "Shift+Tab from the confirmation box should reach the last question"
    tab_until(page, lambda f: f["type"] == "checkbox", "the confirmation box again")
    run_and_settle(page, lambda: page.keyboard.press("Space"))
    tab_until(page, lambda f: f["tag"] == "button" and f["label"] == "Submit for marking", "the submit button")
    page.keyboard.press("Enter")

    expect(page.get_by_text("the pass mark is 80%")).to_be_visible()
    result = page.get_by_text("the pass mark is 80%").inner_text()
    assert result.startswith(("Passed: ", "Not passed: ")) and f"of {QUESTIONS}" in result
    expect(page.get_by_text("(your answer)")).to_have_count(QUESTIONS)
    shot(page, "result")
