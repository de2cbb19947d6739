"""Helpers for the browser tests of issue 19's screen defects (address bar, scroll, story map).

Each test runs at a desktop and a phone viewport. Every wait is for a state the action produces,
up to 60 s (the machine is shared and busy); there are no fixed sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, Server, sign_in_after_sign_up

WAIT_MS = 60_000
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
def screen(request: pytest.FixtureRequest, chromium: Any) -> Iterator[Any]:
    """A fresh browser context (own cookies) at desktop (1366x900) or phone (390x844) size."""
    phone = request.param == "phone"
    context = chromium.new_context(
        viewport=VIEWPORTS[request.param], is_mobile=phone, has_touch=phone, device_scale_factor=1
    )
    context.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    page = context.new_page()
    page.viewport_name = request.param  # for account names and screenshots
    yield page
    context.close()


def idle(page: Any) -> None:
    """Streamlit has finished the script run the last action started (call after waiting for the
    action's own visible result, never instead of it)."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=WAIT_MS)


def sign_up(page: Any, server: Server, name: str) -> None:
    email = f"{name.lower().replace(' ', '.')}.{page.viewport_name}@example.org"
    page.goto(f"{server.url}/signup")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    sign_in_after_sign_up(page, PASSWORD)
    expect(page.get_by_role("heading", name=f"Welcome, {name}")).to_be_visible()
    idle(page)


def heading(page: Any) -> str:
    """The page's title (its first h1)."""
    return str(page.get_by_role("heading", level=1).first.inner_text()).strip()


def in_view(page: Any, locator: Any) -> bool:
    """The top of `locator` lies inside the viewport, below the app's fixed header."""
    box = locator.bounding_box()
    header = page.get_by_test_id("stHeader").bounding_box()
    top_limit = header["height"] if header else 0
    height = page.viewport_size["height"]
    return box is not None and top_limit - 2 <= box["y"] < height


def wait_in_view(page: Any, locator: Any) -> None:
    """Wait until the top of `locator` is in the viewport below the fixed header, then check it."""
    locator.wait_for(state="visible", timeout=WAIT_MS)
    header = page.get_by_test_id("stHeader").bounding_box()
    page.wait_for_function(
        "([el, top]) => { const r = el.getBoundingClientRect(); return r.top >= top - 2 && r.top < innerHeight; }",
        arg=[locator.element_handle(), header["height"] if header else 0],
        timeout=WAIT_MS,
    )
    assert in_view(page, locator)


def choose(page: Any, label: str, step: int) -> None:
    """At a case's decision, pick `label` and Decide; waits for the next step, `step`."""
    radio = page.get_by_role("radio", name=label, exact=True)
    # Centre it first: "if needed" scrolling can leave it under Streamlit's fixed header on a phone,
    # where a forced click lands on the header and the choice stays unchecked.
    radio.evaluate("element => element.scrollIntoView({block: 'center'})")
    radio.check(force=True)
    decide = page.get_by_role("button", name="Decide")
    decide.scroll_into_view_if_needed()  # where the learner is when deciding: at the foot of the step
    decide.click()
    expect(page.get_by_text(f"Step {step}", exact=True)).to_be_visible()
    idle(page)


def carry_on(page: Any, step: int) -> None:
    """Press Continue at a narrative step; waits for the next step, `step`."""
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text(f"Step {step}", exact=True)).to_be_visible()
    idle(page)
