"""Play a branching vignette: a pure state machine over a validated story graph.

Nothing here touches the clock, the database or Streamlit: each call takes the state and returns
a new one plus the events to record. A learner's state can always be rebuilt by replaying the
actions recorded in the event log (`replay`), so a reload or a return a week later resumes at
the same node with the same variables, and progress is never a hand-kept counter.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from course.schema import (
    Choice,
    ChoiceNode,
    Comparison,
    Condition,
    EndingNode,
    NarrativeNode,
    ReflectionNode,
    Vignette,
)

CONTINUE = "continue"
UNDO = "undo"

_COMPARE: dict[Comparison, Callable[[int, int], bool]] = {
    Comparison.LT: operator.lt,
    Comparison.LE: operator.le,
    Comparison.EQ: operator.eq,
    Comparison.NE: operator.ne,
    Comparison.GE: operator.ge,
    Comparison.GT: operator.gt,
}

NodeType = NarrativeNode | ChoiceNode | ReflectionNode | EndingNode


class VignetteError(ValueError):
    """An action that is not possible in the current state (the page shows the message)."""


@dataclass(frozen=True)
class Move:
    """One step on the learner's current route (undone steps leave the route, not the history)."""

    node: str
    action: str
    target: str
    values_before: Mapping[str, int]
    at: datetime
    reason: str | None = None


@dataclass(frozen=True)
class PlayState:
    vignette_id: str
    content_version: str
    node: str
    values: Mapping[str, int]
    started_at: datetime
    route: tuple[Move, ...] = ()
    undone: int = 0  # how many choices were taken back

    @property
    def path(self) -> list[str]:
        """Node ids of the current route, from the start to where the learner is now."""
        return [m.node for m in self.route] + [self.node]

    @property
    def choices_made(self) -> list[str]:
        return [m.action for m in self.route if m.action != CONTINUE]


@dataclass(frozen=True)
class EventSpec:
    """An event for the store: what happened and the payload analytics need."""

    verb: str
    payload: dict[str, Any] = field(default_factory=dict)


def node_of(vignette: Vignette, node_id: str) -> NodeType:
    for node in vignette.nodes:
        if node.id == node_id:
            return node
    raise VignetteError(f"vignette {vignette.id} has no node '{node_id}'")


def is_ended(vignette: Vignette, state: PlayState) -> bool:
    return isinstance(node_of(vignette, state.node), EndingNode)


def holds(conditions: Iterable[Condition], values: Mapping[str, int]) -> bool:
    return all(_COMPARE[c.op](values[c.var], c.value) for c in conditions)


def choices_offered(vignette: Vignette, state: PlayState) -> list[Choice]:
    node = node_of(vignette, state.node)
    if not isinstance(node, ChoiceNode):
        return []
    return [choice for choice in node.choices if holds(choice.conditions, state.values)]


_NEEDS: dict[Comparison, str] = {
    Comparison.LT: "less than {value}",
    Comparison.LE: "{value} or fewer",
    Comparison.EQ: "exactly {value}",
    Comparison.NE: "anything but {value}",
    Comparison.GE: "{value} or more",
    Comparison.GT: "more than {value}",
}


def unmet(vignette: Vignette, conditions: Iterable[Condition], values: Mapping[str, int]) -> list[str]:
    """Each condition that does not hold, in words: "Pressure to prescribe is 6; it needs 4 or fewer"."""
    return [
        f"{vignette.variables[c.var].label} is {values[c.var]}; it needs {_NEEDS[c.op].format(value=c.value)}"
        for c in conditions
        if not _COMPARE[c.op](values[c.var], c.value)
    ]


def choices_unavailable(vignette: Vignette, state: PlayState) -> list[tuple[Choice, str]]:
    """Choices at the current node that the state closes, each with the reason to show the learner.

    A choice is never withheld silently: the player shows it greyed out with the author's
    `unavailable_reason` and the state that closes it, so a learner can see what would open it.
    """
    node = node_of(vignette, state.node)
    if not isinstance(node, ChoiceNode):
        return []
    closed: list[tuple[Choice, str]] = []
    for choice in node.choices:
        missing = unmet(vignette, choice.conditions, state.values)
        if missing:
            because = f"({'; '.join(missing)}.)"
            closed.append((choice, f"{choice.unavailable_reason} {because}" if choice.unavailable_reason else because))
    return closed


def apply_effects(vignette: Vignette, values: Mapping[str, int], effects: Mapping[str, int]) -> dict[str, int]:
    """Add each effect and clamp to the variable's range: state never leaves its bounds."""
    out = dict(values)
    for var, delta in effects.items():
        spec = vignette.variables[var]
        out[var] = max(spec.min, min(spec.max, out[var] + delta))
    return out


def start(vignette: Vignette, *, content_version: str, now: datetime) -> tuple[PlayState, list[EventSpec]]:
    values = {name: spec.initial for name, spec in vignette.variables.items()}
    state = PlayState(vignette.id, content_version, vignette.start, values, now)
    return state, [EventSpec("vignette.started", {"node": vignette.start, "values": values})]


def advance(
    vignette: Vignette,
    state: PlayState,
    action: str,
    *,
    now: datetime,
    reason: str | None = None,
) -> tuple[PlayState, list[EventSpec]]:
    """Take `action` at the current node: a choice id at a choice node, "continue" elsewhere."""
    if action == UNDO:
        return undo(vignette, state, now=now)
    node = node_of(vignette, state.node)
    if isinstance(node, EndingNode):
        raise VignetteError("this case has ended; restart it to play again")
    if isinstance(node, ChoiceNode):
        offered = {c.id: c for c in choices_offered(vignette, state)}
        if action not in offered:
            closed = {c.id: reason for c, reason in choices_unavailable(vignette, state)}
            if action in closed:
                raise VignetteError(f"That choice is not open to you now: {closed[action]}")
            raise VignetteError(f"'{action}' is not a choice you can make here")
        choice = offered[action]
        values = apply_effects(vignette, state.values, choice.effects)
        target = choice.target
    elif action != CONTINUE:
        raise VignetteError(f"'{action}' is not possible here; continue instead")
    else:
        values = dict(state.values)
        target = next((r.target for r in node.routes if holds(r.conditions, values)), node.next)
    reason = (reason or "").strip()[:500] or None
    move = Move(node.id, action, target, state.values, now, reason)
    new_state = replace(state, node=target, values=values, route=(*state.route, move))
    payload: dict[str, Any] = {"node": node.id, "action": action, "target": target, "values": values}
    if reason:
        payload["reason"] = reason  # the learner's own words, so a replay restores them too
    events = [EventSpec("vignette.step", payload)]
    arrived = node_of(vignette, target)
    if isinstance(arrived, EndingNode):
        events.append(
            EventSpec(
                "vignette.ended",
                {
                    "ending": target,
                    "outcome": arrived.outcome.value,
                    "values": values,
                    "choices": new_state.choices_made,
                },
            )
        )
    return new_state, events


def undo(vignette: Vignette, state: PlayState, *, now: datetime) -> tuple[PlayState, list[EventSpec]]:
    """Take back the last choice: return to that choice node with the values it had then."""
    route = list(state.route)
    while route:
        move = route.pop()
        if isinstance(node_of(vignette, move.node), ChoiceNode):
            restored = replace(
                state, node=move.node, values=dict(move.values_before), route=tuple(route), undone=state.undone + 1
            )
            return restored, [
                EventSpec("vignette.undone", {"node": move.node, "choice": move.action, "from": state.node})
            ]
    raise VignetteError("there is no choice to take back yet")


def replay(
    vignette: Vignette,
    content_version: str,
    actions: Iterable[tuple[str, datetime, str | None]],
    *,
    started_at: datetime,
) -> PlayState:
    """Rebuild a learner's state from recorded (action, time, reason) triples, oldest first."""
    state, _ = start(vignette, content_version=content_version, now=started_at)
    for action, at, reason in actions:
        state, _ = advance(vignette, state, action, now=at, reason=reason)
    return state
