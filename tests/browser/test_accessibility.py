"""axe-core in the real browser on every page each kind of visitor can open.

The pages come from `nav.PAGES` and `permissions.ROLE_ACTIONS` (pages added later are checked
automatically), plus the states that matter most: a module, a case in progress at a decision,
the assessment in progress and after marking, a glossary term. Serious and critical violations
fail the test unless every offending node is Streamlit's own chrome and the rule is in
`STREAMLIT_ALLOW_LIST` with a reason. Full results are saved in artifacts/axe/<page>.json.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect

from course.accounts import Role
from course.content import load_course
from course.permissions import ROLE_ACTIONS
from course.ui.nav import HOME, PAGES, PageSpec
from tests.browser.conftest import (
    AXE_JS,
    REPO,
    WAIT_MS,
    Server,
    add_user,
    run_and_settle,
    settle,
    sign_in_in_browser,
    sign_up_in_browser,
)

pytestmark = pytest.mark.browser

AXE_ARTIFACTS = REPO / "artifacts" / "axe"
BLOCKING_IMPACTS = {"serious", "critical"}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

# Where Streamlit's own interface lives (not our pages' content): the app header and toolbar,
# the sidebar's page menu and collapse button, the running-status widget and the decoration bar.
STREAMLIT_CHROME = (
    '[data-testid="stHeader"]',
    '[data-testid="stToolbar"]',
    '[data-testid="stSidebarNav"]',
    '[data-testid="stSidebarHeader"]',
    '[data-testid="stSidebarCollapseButton"]',
    '[data-testid="stExpandSidebarButton"]',
    '[data-testid="stStatusWidget"]',
    '[data-testid="stDecoration"]',
    '[data-testid="stMainMenu"]',
)

# Rule id -> why a violation of it inside STREAMLIT_CHROME is Streamlit's, not ours. A rule listed
# here is allowed only where every node it flags is inside that chrome; anywhere else it fails.
STREAMLIT_ALLOW_LIST: dict[str, str] = {
    "list": (
        "Streamlit's sidebar page menu (ul[data-testid=stSidebarNavItems]) puts the section headings "
        "of st.navigation ('Course', 'Teach', 'Admin') directly inside the <ul> as <header> elements, "
        "not inside an <li>; the markup is Streamlit's, we only pass the section names."
    ),
    "listitem": (
        "The same menu: once a section heading breaks the list, axe reports every <li> of it as "
        "outside a proper list. Streamlit's markup again (st.navigation with sections)."
    ),
}


@dataclass(frozen=True)
class Visit:
    name: str
    path: str
    prepare: Callable[[Any], None] | None = None  # clicks that bring the page to the state to check


def nav_path(spec: PageSpec) -> str:
    return "/" if spec.url_path == HOME else f"/{spec.url_path}"


def pages_for_role(role: Role, below: Role | None) -> list[PageSpec]:
    """Pages `role` may open that `below` (the next role down) may not: each role's own pages."""
    floor = ROLE_ACTIONS[below] if below is not None else frozenset()
    return [p for p in PAGES if p.action in ROLE_ACTIONS[role] and p.action not in floor]


def in_chrome(page: Any, selector: str) -> bool:
    return bool(
        page.evaluate(
            "([sel, chrome]) => { const el = document.querySelector(sel);"
            " return !!el && chrome.some(c => el.closest(c) !== null); }",
            [selector, list(STREAMLIT_CHROME)],
        )
    )


def run_axe(page: Any, name: str) -> dict[str, Any]:
    settle(page)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    results: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", AXE_TAGS
    )
    AXE_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (AXE_ARTIFACTS / f"{name}.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    return results


def blocking_violations(page: Any, results: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(ours, Streamlit's allowed) as readable lines: rule, impact, selector, HTML excerpt."""
    ours: list[str] = []
    allowed: list[str] = []
    for violation in results["violations"]:
        if violation["impact"] not in BLOCKING_IMPACTS:
            continue
        for node in violation["nodes"]:
            selector = node["target"][0] if isinstance(node["target"][0], str) else json.dumps(node["target"])
            line = f"{violation['id']} ({violation['impact']}): {selector} -> {node['html'][:160]}"
            if (
                violation["id"] in STREAMLIT_ALLOW_LIST
                and isinstance(node["target"][0], str)
                and in_chrome(page, selector)
            ):
                allowed.append(line)
            else:
                ours.append(line)
    return ours, allowed


@pytest.fixture
def context_page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    yield context.new_page()
    context.close()


def check(page: Any, server: Server, visit: Visit, report: dict[str, list[str]]) -> None:
    page.goto(f"{server.url}{visit.path}")
    settle(page)
    if visit.prepare is not None:
        visit.prepare(page)
        settle(page)
    ours, allowed = blocking_violations(page, run_axe(page, visit.name))
    report["ours"] += [f"{visit.name}: {line}" for line in ours]
    report["streamlit"] += [f"{visit.name}: {line}" for line in allowed]


def finish(report: dict[str, list[str]]) -> None:
    if report["streamlit"]:
        counts: dict[str, int] = {}
        for line in report["streamlit"]:
            rule = line.split(": ", 1)[1].split(" ", 1)[0]
            counts[rule] = counts.get(rule, 0) + 1
        print(f"\nallowed, inside Streamlit's own chrome (rule: nodes): {counts}")
    assert report["ours"] == [], "serious/critical accessibility violations:\n" + "\n".join(report["ours"])


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def test_signed_out_pages(shared_server: Server, context_page: Any) -> None:
    report: dict[str, list[str]] = {"ours": [], "streamlit": []}
    # The public course page is the default page, which Streamlit serves only at "/".
    for visit in (
        Visit("signed-out-course-page", "/"),
        Visit("signed-out-sample", "/sample"),
        Visit("signed-out-sign-in", "/signin"),
        Visit("signed-out-sign-up", "/signup"),
        Visit("signed-out-forgot-password", "/forgot"),
    ):
        check(context_page, shared_server, visit, report)
    # A wrong password shows an error: the error state is checked too.
    page = context_page
    page.goto(f"{shared_server.url}/signin")
    settle(page)
    page.get_by_label("Email").fill("nobody@example.org")
    page.get_by_label("Password", exact=True).fill("wrong password!")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text("Email or password is incorrect.")).to_be_visible()
    ours, allowed = blocking_violations(page, run_axe(page, "signed-out-sign-in-error"))
    report["ours"] += ours
    report["streamlit"] += allowed
    finish(report)


def start_case(page: Any) -> None:
    run_and_settle(page, page.get_by_role("button", name="Start the case").click)
    while page.get_by_role("button", name="Continue").count() and not page.get_by_role("radiogroup").count():
        run_and_settle(page, page.get_by_role("button", name="Continue").click)
    expect(page.get_by_role("radiogroup")).to_be_visible()


def start_assessment(page: Any) -> None:
    page.get_by_role("button", name="Start the assessment").click()
    expect(page.get_by_text("answered · saved as you go")).to_be_visible()
    run_and_settle(page, lambda: page.get_by_role("radiogroup").first.get_by_role("radio").first.check(force=True))


def test_learner_pages(shared_server: Server, context_page: Any) -> None:
    course = load_course(REPO).course
    module_id = next(iter(course.modules))
    vignette_id = next(iter(course.vignettes))
    term_id = next(iter(course.glossary))
    sign_up_in_browser(context_page, shared_server, "Ada Access", "ada-a11y@example.org")
    visits = [Visit(f"learner-{slug(p.title)}", nav_path(p)) for p in pages_for_role(Role.LEARNER, None)]
    visits += [
        Visit("learner-module", f"/modules?id={module_id}"),
        Visit("learner-case-in-progress", f"/vignettes?id={vignette_id}", start_case),
        Visit("learner-assessment-in-progress", "/assessment", start_assessment),
        Visit("learner-glossary-term", f"/glossary?term={term_id}"),
    ]
    report: dict[str, list[str]] = {"ours": [], "streamlit": []}
    for visit in visits:
        check(context_page, shared_server, visit, report)
    finish(report)


@pytest.mark.parametrize(("role", "below"), [(Role.EDUCATOR, Role.LEARNER), (Role.ADMIN, Role.EDUCATOR)])
def test_educator_and_admin_pages(shared_server: Server, context_page: Any, role: Role, below: Role) -> None:
    email = f"{role.value}-a11y@example.org"
    add_user(shared_server, role=role.value, email=email, name=f"The {role.value}")
    sign_in_in_browser(context_page, shared_server, email)
    own = pages_for_role(role, below)
    assert own, f"{role.value} has no pages of their own to check"
    report: dict[str, list[str]] = {"ours": [], "streamlit": []}
    for spec in own:
        check(context_page, shared_server, Visit(f"{role.value}-{slug(spec.title)}", nav_path(spec)), report)
    finish(report)
