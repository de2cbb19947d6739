"""The story map: a vignette's whole graph as Graphviz DOT, with the learner's route highlighted.

Streamlit draws DOT in the browser (st.graphviz_chart), so no Graphviz install is needed. Counts
per node and edge can be overlaid for educators' aggregate route analytics.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from course.graph import outgoing
from course.schema import ChoiceNode, EndingNode, ReflectionNode, Vignette

_OUTCOME_COLOUR = {"helpful": "#2e7d32", "mixed": "#b26a00", "harmful": "#c62828"}


def _quote(text: str) -> str:
    """A DOT string literal: content text can hold quotes, backslashes and newlines."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _short(text: str, limit: int = 38) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def to_dot(
    vignette: Vignette,
    route: Iterable[tuple[str, str]] = (),
    *,
    here: str | None = None,
    counts: Mapping[str, int] | None = None,
    choice_counts: Mapping[tuple[str, str], int] | None = None,
) -> str:
    """DOT for the vignette. `route` is the (from, to) edges taken; `here` the current node.

    `counts` (node id -> learners) and `choice_counts` ((node id, choice id) -> learners) label the
    map with aggregate route analytics.
    """
    taken = set(route)
    visited = {a for a, _ in taken} | {b for _, b in taken} | ({here} if here else set())
    lines = [
        "digraph story {",
        '  graph [rankdir=TB, bgcolor="transparent", fontname="Helvetica"];',
        '  node [shape=box, style="rounded,filled", fillcolor="#f5f5f5", color="#9e9e9e",'
        ' fontname="Helvetica", fontsize=10];',
        '  edge [color="#bdbdbd", fontname="Helvetica", fontsize=9];',
    ]
    for node in vignette.nodes:
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
            attrs += ['fillcolor="#e3f2fd"', "penwidth=2"]
        if node.id == here:
            attrs += ['fillcolor="#90caf9"', "penwidth=3"]
        lines.append(f"  {_quote(node.id)} [{', '.join(attrs)}];")
    for node in vignette.nodes:
        edges: list[tuple[str, str | None]]
        if isinstance(node, ChoiceNode):
            edges = []
            for choice in node.choices:
                label = _short(choice.label, 28)
                if choice_counts is not None:
                    label += f" ({choice_counts.get((node.id, choice.id), 0)})"
                edges.append((choice.target, label))
        else:
            edges = [(target, None) for target, _ in outgoing(node)]
        for target, edge_label in edges:
            attrs = [f"label={_quote(edge_label)}"] if edge_label is not None else []
            if (node.id, target) in taken:
                attrs += ['color="#1565c0"', "penwidth=3"]
            lines.append(f"  {_quote(node.id)} -> {_quote(target)} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines)
