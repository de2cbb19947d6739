"""The story map lights exactly the choices taken (issue 19). On Ms H, several choices lead to the
same next step (3 at the first decision, 2 at the second, 2 after the reflection); before the fix
all of them were lit (3+2+2 edges for one choice at each). Read from the drawn SVG: each edge
carries its id (node--choice) and its stroke. The map also opens mid-case, showing only the route
so far. Desktop (1366x900) and phone (390x844).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from course.content import load_course
from course.storymap import TAKEN_COLOUR
from tests.browser.conftest import Server
from tests.browser.screens import WAIT_MS, carry_on, choose, idle, screen, sign_up

pytestmark = pytest.mark.browser
__all__ = ["screen"]

REPO = Path(__file__).resolve().parents[2]

# (decision node, choice id) in the order played; narrative steps in between are Continued.
ROUTE = [
    ("combination-request", "hold-and-explore"),  # all 3 choices here lead to limited-progress
    ("limited-progress", "ask-about-life"),  # 2 of 3 lead to sister-story
    ("sister-story", "back-to-meds"),  # -> escalation (narrative) -> next-visit
    ("next-visit", "wonder-get-it-right"),  # -> intrusive (narrative) -> an ending
]
LIT_MID_CASE = {
    "intro--to--combination-request",
    "combination-request--hold-and-explore",
    "limited-progress--ask-about-life",
}
LIT_AT_THE_END = LIT_MID_CASE | {
    "sister-story--back-to-meds",
    "escalation--to--next-visit",
    "next-visit--wonder-get-it-right",
    "intrusive--to--ending-new-psychiatrist",
}

EDGES_JS = """(chart) => [...chart.querySelectorAll('g.edge')].map(g => {
    const path = g.querySelector('path');
    return [g.id, path ? (path.getAttribute('stroke') || '') : ''];
})"""


def labels() -> dict[tuple[str, str], str]:
    course = load_course(REPO).course
    assert course is not None
    vignette = course.vignettes["ms-h"]
    return {(n.id, c.id): c.label for n in vignette.nodes for c in getattr(n, "choices", [])}


def drawn_edges(page: Any, chart: Any) -> dict[str, str]:
    """Edge id -> stroke colour, as drawn in `chart` (waits until the SVG has its edges)."""
    chart.locator("svg g.edge").first.wait_for(state="attached", timeout=WAIT_MS)
    return {edge: stroke.lower() for edge, stroke in chart.evaluate(EDGES_JS)}


def test_only_the_choices_taken_are_lit_mid_case_and_at_the_end(shared_server: Server, screen: Any, shot: Any) -> None:
    page, server = screen, shared_server
    label = labels()
    sign_up(page, server, "Hana Map")
    page.goto(f"{server.url}/vignettes?id=ms-h")
    page.get_by_role("button", name="Start the case").click()
    expect(page.get_by_text("Step 1", exact=True)).to_be_visible()
    idle(page)
    carry_on(page, 2)
    choose(page, label[ROUTE[0]], 3)
    choose(page, label[ROUTE[1]], 4)

    # Mid-case: the map of the route so far, from an expander under the step.
    page.get_by_text("Story map: your route so far").click()
    chart = page.get_by_test_id("stGraphVizChart").first
    edges = drawn_edges(page, chart)
    assert set(edges) == LIT_MID_CASE, edges  # nothing ahead (no sibling choices, no endings)
    assert all(stroke == TAKEN_COLOUR for stroke in edges.values()), edges
    expect(page.get_by_text("a choice you took", exact=False).first).to_be_visible()
    chart.scroll_into_view_if_needed()
    shot(page, f"{page.viewport_name}-mid-case-map")

    choose(page, label[ROUTE[2]], 5)
    carry_on(page, 6)
    choose(page, label[ROUTE[3]], 7)
    carry_on(page, 8)
    expect(page.get_by_role("heading", name="Your route through the case")).to_be_visible()
    chart = page.get_by_test_id("stGraphVizChart").last
    edges = drawn_edges(page, chart)
    lit = {edge for edge, stroke in edges.items() if stroke == TAKEN_COLOUR}
    assert lit == LIT_AT_THE_END, sorted(lit)
    # The siblings sharing a next step are drawn, and not lit.
    for sibling in ("combination-request--agree-combination", "combination-request--decline-combination"):
        assert sibling in edges and edges[sibling] != TAKEN_COLOUR
    assert "limited-progress--raise-dose" in edges and edges["limited-progress--raise-dose"] != TAKEN_COLOUR
    expect(page.get_by_text("Key:", exact=False).last).to_be_visible()
    chart.scroll_into_view_if_needed()
    shot(page, f"{page.viewport_name}-route-map")
