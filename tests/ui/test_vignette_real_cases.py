"""The three real cases played in the app along every golden route, as a learner sees them.

Issue 13's safety rule is only as good as what the player shows: after every prescribing choice the
safety note and its sources must appear with the feedback, no other choice may show one, and at
every decision each choice the state closes must be listed as unavailable with its reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from course.accounts import User
from course.clock import utcnow
from course.content import load_course
from course.schema import Choice, ChoiceNode, EndingNode, ReflectionNode
from course.store.db import Store
from course.ui import resources
from course.vignette import CONTINUE, advance, choices_unavailable, node_of, start
from tests.ui.conftest import signed_in, texts

REPO = Path(__file__).resolve().parents[2]
GOLDEN = sorted((REPO / "tests" / "vignettes" / "golden").glob("*.yaml"))
PAGE = "course/ui/pages/vignettes.py"
COURSE = load_course(REPO).course
OUTCOME_LABEL = {"helpful": "A helpful ending", "mixed": "A mixed ending", "harmful": "A harmful ending"}


@pytest.fixture
def real_store(app_store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The app against the real content (the usual fixtures serve the fixture course)."""
    monkeypatch.setenv("COURSE_CONTENT_DIR", str(REPO))
    yield app_store


def safety_shown(at: AppTest) -> list[str]:
    return [t for t in texts(at.info) if "Safety when prescribing" in t]


def assert_feedback_matches(at: AppTest, choice: Choice) -> None:
    shown = safety_shown(at)
    if choice.safety is None:
        assert shown == [], f"{choice.id} has no safety note, yet one is shown"
        return
    assert len(shown) == 1, f"{choice.id}: safety note not shown with its feedback"
    assert " ".join(choice.safety.text.split()) in " ".join(shown[0].split())
    [sources] = [t for t in texts(at.caption) if t.startswith("Sources: ")]
    for ref in choice.safety.sources:
        assert COURSE.bibliography[ref.ref].citation in sources, f"{choice.id}: {ref.ref} not cited"
    if choice.feedback:
        assert any(" ".join(choice.feedback.split())[:80] in " ".join(t.split()) for t in texts(at.markdown))


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.stem)
def test_a_golden_route_shows_every_safety_note_and_every_closed_choice(
    path: Path, real_store: Store, make_user: Callable[..., User]
) -> None:
    golden = yaml.safe_load(path.read_text(encoding="utf-8"))
    vignette = resources.content().course.vignettes[golden["vignette"]]
    at = signed_in(real_store, make_user(), PAGE, id=vignette.id)
    at.button(key="start").click().run()
    engine, _ = start(vignette, content_version="check", now=utcnow())
    choices = list(golden["choices"])
    while not isinstance(node_of(vignette, engine.node), EndingNode):
        node = node_of(vignette, engine.node)
        assert not at.exception, at.exception
        if isinstance(node, ChoiceNode):
            closed = choices_unavailable(vignette, engine)
            captions = [t for t in texts(at.caption) if "not open to you now" in t]
            assert len(captions) == len(closed), f"{node.id}: closed choices not all shown"
            for choice, reason in closed:
                assert any(choice.label in t and reason in t for t in captions), f"{node.id}/{choice.id}"
            action = choices.pop(0)
            at.radio[0].set_value(action)
            at.button[0].click().run()
            chosen = next(c for c in node.choices if c.id == action)
            assert_feedback_matches(at, chosen)
        elif isinstance(node, ReflectionNode):
            action = CONTINUE
            for i in range(len(node.prompts)):
                at.text_area[i].input("A few words of reflection.")
            at.button[0].click().run()
        else:
            action = CONTINUE
            at.button(key=f"continue-{node.id}").click().run()
        engine, _ = advance(vignette, engine, action, now=utcnow())
    assert not at.exception
    ending = node_of(vignette, engine.node)
    assert isinstance(ending, EndingNode) and ending.id == golden["ending"]
    assert OUTCOME_LABEL[ending.outcome.value] in texts(at.success) + texts(at.warning) + texts(at.error)


def test_the_golden_routes_reach_every_prescribing_choice_and_a_closed_choice_in_each_case() -> None:
    """So the test above sees every safety note a learner can meet, and the unavailable display."""
    chosen: dict[str, set[str]] = {}
    for path in GOLDEN:
        golden = yaml.safe_load(path.read_text(encoding="utf-8"))
        chosen.setdefault(golden["vignette"], set()).update(golden["choices"])
    for vignette in COURSE.vignettes.values():
        prescribing = {
            c.id for n in vignette.nodes if isinstance(n, ChoiceNode) for c in n.choices if c.prescribing is not None
        }
        assert prescribing <= chosen[vignette.id], f"{vignette.id}: {sorted(prescribing - chosen[vignette.id])}"
