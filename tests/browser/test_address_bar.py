"""The address bar tells the truth (issue 19): every screen a learner can open from a list or a
link has its own address, and reload, Back, Forward and a copied link all return to that screen.

Before the fix, opening a module from the list left the address on /modules, going back to the
list kept the old ?id=, and Back from a related glossary term left the glossary. Run at desktop
(1366x900) and phone (390x844) widths.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Server
from tests.browser.screens import WAIT_MS, heading, idle, screen, sign_up

pytestmark = pytest.mark.browser
__all__ = ["screen"]

MODULE = "Why the relationship matters when prescribing"
MODULE_ID = "why-the-relationship-matters"


def address(page: Any, server: Server) -> str:
    return str(page.url).removeprefix(server.url)


def shows(page: Any, server: Server, path: str, title: str) -> None:
    """The screen titled `title` is on view at the address `path` (waits for both)."""
    expect(page.get_by_role("heading", level=1, name=title, exact=True)).to_be_visible()
    page.wait_for_url(f"{server.url}{path}", timeout=WAIT_MS)
    idle(page)
    assert heading(page) == title
    assert address(page, server) == path


def reload_shows(page: Any, server: Server, path: str, title: str) -> None:
    page.reload()
    shows(page, server, path, title)


def test_module_list_and_item_each_have_their_address(shared_server: Server, screen: Any) -> None:
    page, server = screen, shared_server
    sign_up(page, server, "Ada Address")
    page.goto(f"{server.url}/modules")
    shows(page, server, "/modules", "Modules")

    page.get_by_role("link", name=MODULE).first.click()
    shows(page, server, f"/modules?id={MODULE_ID}", MODULE)
    assert MODULE in page.title() and page.title() != "Relational Prescribing"
    reload_shows(page, server, f"/modules?id={MODULE_ID}", MODULE)

    page.get_by_role("link", name="All modules").click()
    shows(page, server, "/modules", "Modules")  # the list no longer keeps the item's ?id=
    reload_shows(page, server, "/modules", "Modules")

    page.go_back()
    shows(page, server, f"/modules?id={MODULE_ID}", MODULE)
    page.go_forward()
    shows(page, server, "/modules", "Modules")


def test_related_terms_and_cases_from_the_glossary_come_back_with_back(shared_server: Server, screen: Any) -> None:
    page, server = screen, shared_server
    sign_up(page, server, "Gil Glossary")
    page.goto(f"{server.url}/glossary?term=transference")
    shows(page, server, "/glossary?term=transference", "Transference")

    page.get_by_role("link", name="Countertransference", exact=True).first.click()
    shows(page, server, "/glossary?term=countertransference", "Countertransference")
    assert page.title().startswith("Countertransference · Glossary")
    reload_shows(page, server, "/glossary?term=countertransference", "Countertransference")

    page.go_back()
    shows(page, server, "/glossary?term=transference", "Transference")
    page.go_forward()
    shows(page, server, "/glossary?term=countertransference", "Countertransference")

    # A case named on the term's page, then Back to the term (not to a case visited earlier).
    page.get_by_role("link", name="Ms H: her sister's combination").first.click()
    shows(page, server, "/vignettes?id=ms-h", "Ms H: her sister's combination")
    page.get_by_role("link", name="All cases").click()
    shows(page, server, "/vignettes", "Cases")
    page.go_back()
    shows(page, server, "/vignettes?id=ms-h", "Ms H: her sister's combination")
    page.go_back()
    shows(page, server, "/glossary?term=countertransference", "Countertransference")


def test_an_attempts_review_and_the_way_back_have_their_addresses(shared_server: Server, screen: Any) -> None:
    page, server = screen, shared_server
    sign_up(page, server, "Rex Review")
    page.goto(f"{server.url}/assessment")
    page.get_by_role("button", name="Start the assessment").click()
    expect(page.get_by_text("0 of 20 answered")).to_be_visible()
    page.get_by_text("I have finished and want my attempt marked").click()
    page.get_by_text("Submit anyway").click()
    page.get_by_role("button", name="Submit for marking").click()
    expect(page.get_by_text("Not passed:")).to_be_visible()
    page.wait_for_url(f"{server.url}/assessment?review=*", timeout=WAIT_MS)
    review = address(page, server)
    reload_shows(page, server, review, "Assessment")
    expect(page.get_by_text("Not passed:")).to_be_visible()

    page.get_by_role("link", name="Back to the assessment").click()
    expect(page.get_by_role("link", name="Review attempt 1")).to_be_visible()
    shows(page, server, "/assessment", "Assessment")
    page.get_by_role("link", name="Review attempt 1").click()
    expect(page.get_by_text("Not passed:")).to_be_visible()
    shows(page, server, review, "Assessment")
    page.go_back()
    expect(page.get_by_role("link", name="Review attempt 1")).to_be_visible()
    shows(page, server, "/assessment", "Assessment")
