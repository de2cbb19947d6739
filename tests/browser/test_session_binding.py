"""A session that stays yours, in Chromium (issue 16): a sign-in link works only in the browser that
asked for it, and sign-out from the sidebar still works now that GET /auth/signout only asks."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, Server, add_user, settle, sign_in_in_browser

pytestmark = pytest.mark.browser


def test_a_handoff_link_from_another_browser_does_not_switch_accounts(shared_server: Server, chromium: Any) -> None:
    add_user(shared_server, role="learner", email="mallory@example.org", name="Mallory Mint")
    add_user(shared_server, role="learner", email="lee@example.org", name="Lee Victim")

    # Mallory signs in, but keeps the handoff link instead of following it.
    hers = chromium.new_context()
    mallory = hers.new_page()
    captured: list[str] = []

    def keep(route: Any) -> None:
        captured.append(route.request.url)
        route.abort()

    mallory.route("**/auth/handoff?**", keep)
    mallory.goto(f"{shared_server.url}/signin")
    mallory.get_by_label("Email").fill("mallory@example.org")
    mallory.get_by_label("Password", exact=True).fill(PASSWORD)
    mallory.get_by_role("button", name="Sign in", exact=True).click()
    for _ in range(120):  # until the page sends the browser there (the route keeps the link)
        if captured:
            break
        mallory.wait_for_timeout(500)
    assert captured, "the sign-in page should have sent the browser to /auth/handoff"

    # Lee, signed in in his own browser, opens Mallory's link.
    his = chromium.new_context()
    lee = his.new_page()
    sign_in_in_browser(lee, shared_server, "lee@example.org")
    lee.goto(captured[0])
    expect(lee.get_by_role("heading", name="This sign-in link is not for this browser")).to_be_visible()
    lee.goto(shared_server.url + "/")
    settle(lee)
    expect(lee.get_by_text("Signed in as")).to_contain_text("Lee Victim")

    # The link still works where it was made.
    mallory.unroute("**/auth/handoff?**")
    mallory.goto(captured[0])
    settle(mallory)
    expect(mallory.get_by_text("Signed in as")).to_contain_text("Mallory Mint")

    # Sidebar sign-out: the session ends and the cookie goes, with no extra question.
    lee.get_by_role("button", name="Sign out").click()
    expect(lee.get_by_role("link", name="Sign in").first).to_be_visible()
    lee.goto(shared_server.url + "/home")
    settle(lee)
    expect(lee.get_by_text("Signed in as")).to_have_count(0)
    hers.close()
    his.close()
