"""The story map: a vignette's whole graph as Graphviz DOT, with the learner's route highlighted.

Streamlit draws DOT in the browser (st.graphviz_chart), so no Graphviz install is needed. Counts
per node and edge can be overlaid for educators' aggregate route analytics.

An edge is one way out of a node, not a pair of nodes: several choices at a decision may lead to
the same next step, and only the choice taken is highlighted. Each edge carries a stable DOT
``id`` (``edge_id``), which Graphviz writes into the drawn SVG, so a test can find exactly which
edges are lit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from course.graph import outgoing
from course.schema import ChoiceNode, EndingNode, ReflectionNode, Vignette

_OUTCOME_COLOUR = {"helpful": "#2e7d32", "mixed": "#b26a00", "harmful": "#c62828"}
TAKEN_COLOUR = "#1565c0"  # the learner's route: edges taken and (filled) steps visited
VISITED_FILL = "#e3f2fd"
HERE_FILL = "#90caf9"

# What each mark on the map means, in the order a legend lists them: (mark, meaning).
LEGEND: tuple[tuple[str, str], ...] = (
    ("Thick blue arrow", "a choice you took (or the step you moved on by)"),
    ("Thin grey arrow", "a way you did not go"),
    ("Pale blue box", "a step you passed through"),
    ("Bright blue box, bold outline", "where you are now"),
    ("Diamond", "a decision"),
    ("Folded note", "a reflection"),
    ("Double octagon", "an ending: green helpful, amber mixed, red harmful"),
)


def edge_id(node_id: str, way: str) -> str:
    """The DOT/SVG id of one way out of `node_id`: ``"<node>--<choice id>"`` for a choice, else
    ``"<node>--to--<target>"`` (a narrative or reflection step's next step or conditional route)."""
    return f"{node_id}--{way}"


def _way_for_target(target: str) -> str:
    return f"to--{target}"


def _quote(text: str) -> str:
    """A DOT string literal: content text can hold quotes, backslashes and newlines."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _short(text: str, limit: int = 38) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def to_dot(
    vignette: Vignette,
    route: Iterable[tuple[str, str, str]] = (),
    *,
    here: str | None = None,
    counts: Mapping[str, int] | None = None,
    choice_counts: Mapping[tuple[str, str], int] | None = None,
    whole: bool = True,
) -> str:
    """DOT for the vignette. `route` is the moves taken, each (from node, action, to node) where the
    action is the choice id at a decision (anything else, e.g. "continue", at other steps); `here`
    the current node. Only the ways actually taken are highlighted: a choice by its id, another
    step's way out by its target.

    `counts` (node id -> learners) and `choice_counts` ((node id, choice id) -> learners) label the
    map with aggregate route analytics. With ``whole=False`` only the steps visited and the ways
    taken are drawn (a map of the route so far, mid-case, that gives nothing ahead away).
    """
    moves = list(route)
    decisions = {n.id for n in vignette.nodes if isinstance(n, ChoiceNode)}
    taken = {
        edge_id(source, action if source in decisions else _way_for_target(target)) for source, action, target in moves
    }
    visited = {a for a, _, _ in moves} | {b for _, _, b in moves} | ({here} if here else set())
    lines = [
        "digraph story {",
        '  graph [rankdir=TB, bgcolor="transparent", fontname="Helvetica"];',
        '  node [shape=box, style="rounded,filled", fillcolor="#f5f5f5", color="#9e9e9e",'
        ' fontname="Helvetica", fontsize=10];',
        '  edge [color="#bdbdbd", fontname="Helvetica", fontsize=9];',
    ]
    for node in vignette.nodes:
        if not whole and node.id not in visited:
            continue
        label = _short(node.title or node.text)
        if counts is not None:
            label += f" ({counts.get(node.id, 0)})"
        attrs = [f"label={_quote(label)}"]
        if isinstance(node, EndingNode):
            attrs += ["shape=doubleoctagon", f'color="{_OUTCOME_COLOUR[node.outcome.value]}"']
        elif isinstance(node, ChoiceNode):
            attrs.append("shape=diamond")
        elif isinstance(node, ReflectionNode):
            attrs.append("shape=note")
        if node.id in visited:
            attrs += [f'fillcolor="{VISITED_FILL}"', "penwidth=2"]
        if node.id == here:
            attrs += [f'fillcolor="{HERE_FILL}"', "penwidth=3"]
        lines.append(f"  {_quote(node.id)} [{', '.join(attrs)}];")
    for node in vignette.nodes:
        edges: list[tuple[str, str, str | None]]  # (way, target, label)
        if isinstance(node, ChoiceNode):
            edges = []
            for choice in node.choices:
                label = _short(choice.label, 28)
                if choice_counts is not None:
                    label += f" ({choice_counts.get((node.id, choice.id), 0)})"
                edges.append((choice.id, choice.target, label))
        else:
            # A step's next step and a conditional route may share a target: one arrow for both.
            targets = dict.fromkeys(target for target, _ in outgoing(node))
            edges = [(_way_for_target(target), target, None) for target in targets]
        for way, target, edge_label in edges:
            identity = edge_id(node.id, way)
            lit = identity in taken
            if not whole and not lit:
                continue
            attrs = [f"id={_quote(identity)}"]
            if edge_label is not None:
                attrs.append(f"label={_quote(edge_label)}")
            if lit:
                attrs += [f'color="{TAKEN_COLOUR}"', "penwidth=3", 'class="taken"']
            lines.append(f"  {_quote(node.id)} -> {_quote(target)} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines)
