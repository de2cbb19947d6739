"""The story map lights exactly the choices taken (issue 19: where several choices lead to the same
next step, all of them were lit; on Ms H one choice at each of three points lit 3+2+2 edges)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from course.content import load_course
from course.schema import ChoiceNode, Vignette
from course.storymap import LEGEND, edge_id, to_dot

REPO = Path(__file__).resolve().parents[2]

# Ms H: all three choices at "combination-request" lead to "limited-progress", two of the three at
# "limited-progress" to "sister-story", both at "after-reflection" to "next-visit".
MS_H_ROUTE = [
    ("intro", "continue", "combination-request"),
    ("combination-request", "hold-and-explore", "limited-progress"),
    ("limited-progress", "ask-about-life", "sister-story"),
    ("sister-story", "stay-with-story", "reflect-h"),
    ("reflect-h", "continue", "after-reflection"),
    ("after-reflection", "take-to-supervision", "next-visit"),
]


@pytest.fixture(scope="module")
def ms_h() -> Vignette:
    report = load_course(REPO)
    assert report.course is not None
    return report.course.vignettes["ms-h"]


def lit(dot: str) -> list[str]:
    return re.findall(r'\[id="([^"]+)"[^\]]*class="taken"', dot)


def test_the_fixture_route_goes_through_shared_next_steps(ms_h: Vignette) -> None:
    nodes = {n.id: n for n in ms_h.nodes}
    sharing = {"combination-request": 3, "limited-progress": 2, "after-reflection": 2}  # the 3+2+2 of the report
    for source, action, target in MS_H_ROUTE:
        node = nodes[source]
        if isinstance(node, ChoiceNode):
            siblings = [c.id for c in node.choices if c.target == target]
            assert action in siblings
            assert len(siblings) == sharing.get(source, 1)


def test_exactly_the_choices_taken_are_lit(ms_h: Vignette) -> None:
    dot = to_dot(ms_h, MS_H_ROUTE, here="next-visit")
    assert sorted(lit(dot)) == sorted(
        [
            edge_id("intro", "to--combination-request"),
            edge_id("combination-request", "hold-and-explore"),
            edge_id("limited-progress", "ask-about-life"),
            edge_id("sister-story", "stay-with-story"),
            edge_id("reflect-h", "to--after-reflection"),
            edge_id("after-reflection", "take-to-supervision"),
        ]
    )
    # The siblings that share the next step are drawn, not lit.
    for sibling in ("agree-combination", "decline-combination"):
        assert f'[id="combination-request--{sibling}", label=' in dot
        assert f'id="combination-request--{sibling}"' not in " ".join(lit(dot))


def test_every_edge_has_its_own_id(ms_h: Vignette) -> None:
    ids = re.findall(r'-> "[^"]+" \[id="([^"]+)"', to_dot(ms_h))
    choices = sum(len(n.choices) for n in ms_h.nodes if isinstance(n, ChoiceNode))
    assert len(ids) == len(set(ids)) >= choices


def test_mid_case_map_shows_only_the_route_so_far(ms_h: Vignette) -> None:
    dot = to_dot(ms_h, MS_H_ROUTE[:3], here="sister-story", whole=False)
    drawn_nodes = set(re.findall(r'^  "([^"]+)" \[label=', dot, re.M))
    assert drawn_nodes == {"intro", "combination-request", "limited-progress", "sister-story"}
    assert len(re.findall(r" -> ", dot)) == 3 == len(lit(dot))
    assert "ending" not in dot  # nothing ahead is given away
    assert "Decline" not in dot and "decline" not in dot


def test_the_legend_names_each_mark() -> None:
    marks = [mark for mark, _ in LEGEND]
    assert len(marks) == len(set(marks))
    assert any("choice you took" in meaning for _, meaning in LEGEND)
