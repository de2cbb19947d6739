"""Every real vignette plays to every ending through the page, as a learner would click it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from course.accounts import User
from course.content import load_course
from course.reflections import my_reflections
from course.store.db import Store
from course.store.events import events_for_user
from course.vignette import node_of
from tests.ui.conftest import REPO, signed_in

MakeUser = Callable[..., User]
GOLDEN = sorted((REPO / "tests" / "vignettes" / "golden").glob("*.yaml"))
COURSE = load_course(REPO).course
LABEL = {"helpful": "A helpful ending", "mixed": "A mixed ending", "harmful": "A harmful ending"}


def button(at: AppTest, label: str) -> object:
    return next(b for b in at.button if b.label == label)


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.stem)
def test_golden_route_plays_in_the_app(
    path: Path, app_store: Store, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COURSE_CONTENT_DIR", str(REPO))
    golden = yaml.safe_load(path.read_text(encoding="utf-8"))
    vignette = COURSE.vignettes[golden["vignette"]]
    user = make_user()
    at = signed_in(app_store, user, "course/ui/pages/vignettes.py", id=vignette.id)
    at.button(key="start").click().run()
    choices = list(golden["choices"])
    node = node_of(vignette, vignette.start)
    for _ in range(60):
        assert not at.exception, at.exception
        if node.kind == "ending":
            break
        if node.kind == "choice":
            at.radio[0].set_value(choices.pop(0))
            button(at, "Decide").click().run()  # type: ignore[attr-defined]
        elif node.kind == "reflection":
            for area in at.text_area:
                area.input(f"My answer at {node.id}.")
            button(at, "Save and continue").click().run()  # type: ignore[attr-defined]
        else:
            at.button(key=f"continue-{node.id}").click().run()
        [step] = events_for_user(app_store, user.id, verb="vignette.step")[-1:]
        node = node_of(vignette, step.payload["target"])
    assert node.id == golden["ending"] and choices == []
    shown = [e.value for e in [*at.success, *at.warning, *at.error]]
    assert LABEL[node.outcome] in shown
    [ended] = events_for_user(app_store, user.id, verb="vignette.ended")
    assert ended.payload["ending"] == golden["ending"] and ended.payload["values"] == golden["state"]
    assert at.get("graphviz_chart"), "the story map is drawn at the end"
    visited = {e.payload["node"] for e in events_for_user(app_store, user.id, verb="vignette.step")}
    reflected = {r.node_id for r in my_reflections(app_store, user)}
    assert reflected == {n.id for n in vignette.nodes if n.kind == "reflection" and n.id in visited}
