"""Graph rules: prerequisite cycles and the shape of a vignette's story graph.

A learner must never be stuck: every node is reachable from the start, every non-ending node can
still reach an ending, every target exists, and variables in effects and conditions are declared.
Nor is a choice ever silently withheld: one that depends on state says why it may be unavailable.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping

from course.prescribing import looks_like_medication_count
from course.problems import Severity
from course.schema import ChoiceNode, Condition, EndingNode, NarrativeNode, ReflectionNode, Vignette

Found = tuple[tuple[str | int, ...], str, str, Severity]


def find_cycle(edges: Mapping[str, list[str]]) -> list[str] | None:
    """Return one cycle as [a, b, ..., a] if the directed graph has any, else None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in edges.get(node, []):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt in edges and nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def outgoing(
    node: NarrativeNode | ChoiceNode | ReflectionNode | EndingNode,
) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    """Each (target, field path relative to the node) the node can lead to."""
    if isinstance(node, ChoiceNode):
        for j, choice in enumerate(node.choices):
            yield choice.target, ("choices", j, "target")
    elif isinstance(node, NarrativeNode | ReflectionNode):
        yield node.next, ("next",)
        for j, route in enumerate(node.routes):
            yield route.target, ("routes", j, "target")


def check_vignette(vignette: Vignette) -> list[Found]:
    found: list[Found] = []
    for name, spec in vignette.variables.items():
        # Issue 13's safety rule keys on `tracks: medication-changes`; an undeclared count would let
        # prescribing go undeclared (content.py also treats such a variable as tracked).
        if looks_like_medication_count(name, spec) and spec.tracks is None:
            found.append(
                (
                    ("variables", name),
                    f"'{spec.label}' looks like a count of medication changes but does not say so",
                    "add `tracks: medication-changes`, so that every choice adding to it must declare "
                    "`prescribing` and carry a safety note",
                    Severity.WARNING,
                )
            )
    index: dict[str, int] = {}
    for i, node in enumerate(vignette.nodes):
        if node.id in index:
            found.append(
                (
                    ("nodes", i, "id"),
                    f"duplicate node id '{node.id}'",
                    "node ids must be unique",
                    Severity.ERROR,
                )
            )
        else:
            index[node.id] = i
    if vignette.start not in index:
        found.append(
            (
                ("start",),
                f"start node '{vignette.start}' does not exist",
                "name an existing node",
                Severity.ERROR,
            )
        )

    edges: dict[str, list[str]] = {}
    for i, node in enumerate(vignette.nodes):
        targets = edges.setdefault(node.id, [])
        for target, rel in outgoing(node):
            if target not in index:
                found.append(
                    (
                        (("nodes", i, *rel)),
                        f"target '{target}' does not exist",
                        "name an existing node id",
                        Severity.ERROR,
                    )
                )
            else:
                targets.append(target)
        found.extend(_check_variables(vignette, i, node))

    if vignette.start in index:
        reachable = _reach(vignette.start, edges)
        reverse: dict[str, list[str]] = {}
        for src, targets in edges.items():
            for target in targets:
                reverse.setdefault(target, []).append(src)
        endings = [n.id for n in vignette.nodes if isinstance(n, EndingNode)]
        can_end: set[str] = set()
        for ending in endings:
            can_end |= _reach(ending, reverse)
        if not endings:
            found.append((("nodes",), "the vignette has no ending", "add a node with kind: ending", Severity.ERROR))
        for i, node in enumerate(vignette.nodes):
            if node.id not in reachable:
                what = "ending" if isinstance(node, EndingNode) else "node"
                found.append(
                    (
                        (("nodes", i, "id")),
                        f"{what} '{node.id}' is unreachable from the start",
                        "link to it or remove it",
                        Severity.WARNING,
                    )
                )
            elif endings and node.id not in can_end:
                found.append(
                    (
                        (("nodes", i, "id")),
                        f"dead end: no path from '{node.id}' leads to an ending",
                        "add a route to an ending",
                        Severity.ERROR,
                    )
                )
    return found


def _check_variables(
    vignette: Vignette, i: int, node: NarrativeNode | ChoiceNode | ReflectionNode | EndingNode
) -> list[Found]:
    found: list[Found] = []

    def conditions(conds: list[Condition], rel: tuple[str | int, ...]) -> None:
        for k, cond in enumerate(conds):
            spec = vignette.variables.get(cond.var)
            if spec is None:
                found.append(
                    (
                        (("nodes", i, *rel, k, "var")),
                        f"unknown variable '{cond.var}'",
                        "declare it under `variables`",
                        Severity.ERROR,
                    )
                )
            elif not spec.min <= cond.value <= spec.max:
                found.append(
                    (
                        (("nodes", i, *rel, k, "value")),
                        f"{cond.value} is outside {cond.var}'s range {spec.min}..{spec.max}",
                        "the condition can never or always hold",
                        Severity.WARNING,
                    )
                )

    if isinstance(node, ChoiceNode):
        for j, choice in enumerate(node.choices):
            for var in choice.effects:
                if var not in vignette.variables:
                    found.append(
                        (
                            (("nodes", i, "choices", j, "effects", var)),
                            f"unknown variable '{var}'",
                            "declare it under `variables`",
                            Severity.ERROR,
                        )
                    )
            conditions(choice.conditions, ("choices", j, "conditions"))
            if choice.conditions and not choice.unavailable_reason:
                found.append(
                    (
                        (("nodes", i, "choices", j, "conditions")),
                        "the choice is hidden while its conditions do not hold, and has no `unavailable_reason`",
                        "say why it is not open now; the player shows it greyed out with the reason",
                        Severity.WARNING,
                    )
                )
            if not choice.feedback:
                found.append(
                    (
                        (("nodes", i, "choices", j)),
                        "choice has no feedback",
                        "say which concept is at play",
                        Severity.WARNING,
                    )
                )
        if all(choice.conditions for choice in node.choices):
            found.append(
                (
                    (("nodes", i, "choices")),
                    "every choice has conditions; if none hold the learner is stuck",
                    "leave one choice unconditional",
                    Severity.WARNING,
                )
            )
        seen: set[str] = set()
        for j, choice in enumerate(node.choices):
            if choice.id in seen:
                found.append(
                    (
                        (("nodes", i, "choices", j, "id")),
                        f"duplicate choice id '{choice.id}'",
                        "choice ids must be unique within a node",
                        Severity.ERROR,
                    )
                )
            seen.add(choice.id)
    elif isinstance(node, NarrativeNode | ReflectionNode):
        for j, route in enumerate(node.routes):
            conditions(route.conditions, ("routes", j, "conditions"))
    return found


def _reach(start: str, edges: Mapping[str, list[str]]) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        for nxt in edges.get(queue.popleft(), []):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen
