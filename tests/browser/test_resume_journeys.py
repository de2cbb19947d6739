"""Reload in the middle of a case and of an attempt: the browser comes back to the same place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Server, settle, sign_in_after_sign_up

pytestmark = pytest.mark.browser


def sign_up(page: Any, server: Server, name: str, email: str) -> None:
    page.goto(f"{server.url}/signup")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill("a long enough password")
    page.get_by_label("Repeat the password").fill("a long enough password")
    page.get_by_role("button", name="Create account").click()
    sign_in_after_sign_up(page, "a long enough password")
    expect(page.get_by_role("heading", name=f"Welcome, {name}")).to_be_visible()
    settle(page)


def test_reload_mid_case_resumes_at_the_same_step(server: Server, page: Any, shot: Callable[[Any, str], None]) -> None:
    sign_up(page, server, "Cara Case", "cara@example.org")
    page.goto(f"{server.url}/vignettes?id=sam")
    page.get_by_role("button", name="Start the case").click()
    expect(page.get_by_text("Step 1", exact=True)).to_be_visible()
    settle(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Step 2", exact=True)).to_be_visible()
    settle(page)
    page.get_by_role("radio").first.check(force=True)
    page.get_by_role("button", name="Decide").click()
    expect(page.get_by_text("About your choice:")).to_be_visible()
    settle(page)  # the whole step is drawn before it is read
    before = page.get_by_test_id("stMetricValue").all_inner_texts()
    heading = page.get_by_role("heading", level=3).first.inner_text()
    shot(page, "before-reload")
    page.reload()
    # The page is redrawn element by element: wait for each part, not only the first to arrive.
    expect(page.get_by_text("About your choice:")).to_be_visible()
    expect(page.get_by_test_id("stMetricValue")).to_have_text(before)
    expect(page.get_by_role("heading", level=3).first).to_have_text(heading)
    shot(page, "after-reload")


def test_reload_mid_attempt_keeps_the_answers(server: Server, page: Any, shot: Callable[[Any, str], None]) -> None:
    sign_up(page, server, "Abe Assessed", "abe@example.org")
    page.goto(f"{server.url}/assessment")
    page.get_by_role("button", name="Start the assessment").click()
    expect(page.get_by_text("0 of 20 answered")).to_be_visible()
    settle(page)
    first_question = page.get_by_role("radiogroup").first
    first_question.get_by_role("radio").nth(2).check(force=True)
    expect(page.get_by_text("1 of 20 answered")).to_be_visible()
    shot(page, "answered-one")
    page.reload()
    expect(page.get_by_text("1 of 20 answered")).to_be_visible()
    expect(page.get_by_role("radiogroup").first.get_by_role("radio").nth(2)).to_be_checked()
    shot(page, "after-reload")
