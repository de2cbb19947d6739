from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from course.content import load_course
from course.schema import ChoiceNode, EndingNode, Vignette
from course.vignette import (
    CONTINUE,
    UNDO,
    PlayState,
    VignetteError,
    advance,
    choices_offered,
    choices_unavailable,
    is_ended,
    node_of,
    replay,
    start,
    undo,
)
from tests.content.fixtures import GOOD

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
FIXTURE = load_course(GOOD).course.vignettes["case"]
REAL = load_course(REPO).course.vignettes
GOLDEN = sorted((Path(__file__).parent / "golden").glob("*.yaml"))


def random_walk(vignette: Vignette, pick: Callable[[list[str]], str], *, now: datetime, limit: int) -> PlayState:
    """Walk until an ending, choosing with `pick` among the offered actions (undo included)."""
    state, _ = start(vignette, content_version="walk", now=now)
    for _ in range(limit):
        node = node_of(vignette, state.node)
        if isinstance(node, EndingNode):
            return state
        if isinstance(node, ChoiceNode):
            offered = [c.id for c in choices_offered(vignette, state)]
            assert offered, f"stuck at '{node.id}': no choice's conditions hold"
            action = pick(offered + ([UNDO] if state.choices_made else []))
        else:
            action = CONTINUE
        state, _ = advance(vignette, state, action, now=now)
    raise AssertionError(f"no ending within {limit} steps")


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_start_uses_initial_values_and_the_start_node() -> None:
    state, events = start(FIXTURE, content_version="v1", now=T0)
    assert state.node == "intro" and dict(state.values) == {"alliance": 5, "switches": 0}
    assert [e.verb for e in events] == ["vignette.started"]


def test_choice_applies_effects_and_routes_by_state() -> None:
    state, _ = start(FIXTURE, content_version="v1", now=T0)
    state, _ = advance(FIXTURE, state, CONTINUE, now=at(1))
    assert state.node == "decide"
    assert [c.id for c in choices_offered(FIXTURE, state)] == ["switch", "talk"]
    state, events = advance(FIXTURE, state, "switch", now=at(2), reason="He asked again")
    assert dict(state.values) == {"alliance": 4, "switches": 1}
    assert events[0].payload == {
        "node": "decide",
        "action": "switch",
        "target": "after-switch",
        "values": {"alliance": 4, "switches": 1},
        "reason": "He asked again",
    }
    state, events = advance(FIXTURE, state, CONTINUE, now=at(3))  # switches>=1 and alliance<5: the route wins
    assert state.node == "worse" and is_ended(FIXTURE, state)
    assert events[-1].verb == "vignette.ended"
    assert events[-1].payload["outcome"] == "harmful" and events[-1].payload["choices"] == ["switch"]


def test_a_choice_closed_by_state_is_listed_with_its_reason_and_opens_when_state_allows() -> None:
    state, _ = start(FIXTURE, content_version="v1", now=T0)
    assert choices_unavailable(FIXTURE, state) == []  # not at a choice node
    state, _ = advance(FIXTURE, state, CONTINUE, now=T0)
    [(choice, reason)] = choices_unavailable(FIXTURE, state)
    assert choice.id == "wait"
    assert (
        reason
        == "Waiting needs more trust between you than there is yet. (Therapeutic alliance is 5; it needs 8 or more.)"
    )
    with pytest.raises(VignetteError, match="not open to you now: Waiting needs more trust"):
        advance(FIXTURE, state, "wait", now=T0)
    trusting = replace(state, values={"alliance": 9, "switches": 0})
    assert choices_unavailable(FIXTURE, trusting) == []
    assert [c.id for c in choices_offered(FIXTURE, trusting)] == ["switch", "talk", "wait"]


def test_the_reason_names_every_condition_that_fails_in_the_variables_own_words() -> None:
    from course.schema import Comparison, Condition
    from course.vignette import unmet

    values = {"alliance": 5, "switches": 2}
    conditions = [
        Condition(var="alliance", op=Comparison.GE, value=8),
        Condition(var="switches", op=Comparison.LE, value=1),
        Condition(var="switches", op=Comparison.NE, value=3),
    ]
    assert unmet(FIXTURE, conditions, values) == [
        "Therapeutic alliance is 5; it needs 8 or more",
        "Medication changes is 2; it needs 1 or fewer",
    ]


def test_effects_are_clamped_to_the_variable_range() -> None:
    state, _ = start(FIXTURE, content_version="v1", now=T0)
    state, _ = advance(FIXTURE, state, CONTINUE, now=T0)
    state = state.__class__(**{**state.__dict__, "values": {"alliance": 10, "switches": 5}})
    state, _ = advance(FIXTURE, state, "talk", now=T0)
    assert dict(state.values) == {"alliance": 10, "switches": 5}


def test_impossible_actions_are_refused_with_a_message() -> None:
    state, _ = start(FIXTURE, content_version="v1", now=T0)
    with pytest.raises(VignetteError, match="continue instead"):
        advance(FIXTURE, state, "switch", now=T0)
    state, _ = advance(FIXTURE, state, CONTINUE, now=T0)
    with pytest.raises(VignetteError, match="not a choice you can make here"):
        advance(FIXTURE, state, "prescribe-more", now=T0)
    with pytest.raises(VignetteError, match="no choice to take back"):
        undo(FIXTURE, start(FIXTURE, content_version="v1", now=T0)[0], now=T0)


def test_undo_returns_to_the_last_choice_with_its_values_and_is_recorded() -> None:
    state, _ = start(FIXTURE, content_version="v1", now=T0)
    state, _ = advance(FIXTURE, state, CONTINUE, now=at(1))
    before = dict(state.values)
    state, _ = advance(FIXTURE, state, "switch", now=at(2))
    state, _ = advance(FIXTURE, state, CONTINUE, now=at(3))
    assert is_ended(FIXTURE, state)
    state, events = advance(FIXTURE, state, UNDO, now=at(4))
    assert state.node == "decide" and dict(state.values) == before and state.undone == 1
    assert events[0].verb == "vignette.undone" and events[0].payload == {
        "node": "decide",
        "choice": "switch",
        "from": "worse",
    }
    state, _ = advance(FIXTURE, state, "talk", now=at(5))
    assert state.path == ["intro", "decide", "reflect"]


def test_replay_restores_the_same_state() -> None:
    actions = [(CONTINUE, at(1), None), ("switch", at(2), "why not"), (UNDO, at(3), None), ("talk", at(4), None)]
    state, _ = start(FIXTURE, content_version="v1", now=T0)
    for action, when, reason in actions:
        state, _ = advance(FIXTURE, state, action, now=when, reason=reason)
    assert replay(FIXTURE, "v1", actions, started_at=T0) == state


@pytest.mark.parametrize("vignette", [FIXTURE, *REAL.values()], ids=lambda v: v.id)
@settings(max_examples=60, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_random_walks_reach_an_ending_with_every_variable_in_range(vignette: Vignette, seed: int) -> None:
    rng = random.Random(seed)
    state = random_walk(vignette, rng.choice, now=T0, limit=400)
    assert is_ended(vignette, state)
    for name, spec in vignette.variables.items():
        assert spec.min <= state.values[name] <= spec.max


def test_every_real_vignette_has_a_golden_playthrough_per_ending() -> None:
    covered = {(g["vignette"], g["ending"]) for g in map(lambda p: yaml.safe_load(p.read_text()), GOLDEN)}
    for vignette in REAL.values():
        endings = {n.id for n in vignette.nodes if n.kind == "ending"}
        assert {(vignette.id, e) for e in endings} <= covered, f"{vignette.id} lacks golden playthroughs"


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.stem)
def test_golden_playthrough(path: Path) -> None:
    golden = yaml.safe_load(path.read_text(encoding="utf-8"))
    vignette = REAL[golden["vignette"]]
    state, _ = start(vignette, content_version="golden", now=T0)
    choices = list(golden["choices"])
    while not is_ended(vignette, state):
        node_kind = next(n.kind for n in vignette.nodes if n.id == state.node)
        action = choices.pop(0) if node_kind == "choice" else CONTINUE
        state, _ = advance(vignette, state, action, now=T0)
    assert choices == [], "choices left over after the ending"
    assert state.node == golden["ending"]
    assert dict(state.values) == golden["state"]
    reflection_steps = {n.id for n in vignette.nodes if n.kind == "reflection"}
    for node_id in golden.get("reflections", {}):
        assert node_id in reflection_steps and node_id in state.path, f"{node_id} is not a reflection on this route"
