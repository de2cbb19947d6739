"""What a learner wrote inside the cases, as CPD evidence: "Why?" notes and case reflections.

A case is played in *runs* (each ``vignette.started`` event opens one; a restart opens the next).
In a run the learner decides at choice nodes, optionally typing a reason ("Why?", kept in the
``vignette.step`` event's payload), and answers the prompts of reflection steps (kept as
``vignette_step`` rows in ``reflections``). This module gathers both, per run, for the debrief,
the portfolio and the evidence pack. It reads only the signed-in learner's own records.

A decision that was later taken back (undo) is kept, marked ``taken_back``: the note is still
what the learner thought at the time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from course.accounts import User
from course.content import Course
from course.formatting import format_datetime, zone
from course.permissions import Action, require
from course.reflections import KIND_VIGNETTE_STEP, Reflection, my_reflections
from course.schema import ChoiceNode, Vignette
from course.store.db import Store
from course.store.events import Event, events_for_user
from course.vignette import CONTINUE

OUTCOME_LABEL = {"helpful": "a helpful ending", "mixed": "a mixed ending", "harmful": "a harmful ending"}


@dataclass(frozen=True)
class Decision:
    node_id: str
    situation: str  # the choice node's title (or its id when the content no longer has it)
    choice_id: str
    choice_label: str
    reason: str | None  # the learner's "Why?" note, exactly as typed (already trimmed, <= 500 chars)
    at: datetime
    taken_back: bool = False


@dataclass(frozen=True)
class CaseRun:
    run_id: int  # the id of the run's vignette.started event
    vignette_id: str
    title: str
    started_at: datetime
    ended_at: datetime | None
    outcome: str | None  # helpful, mixed, harmful; None while the run is unfinished
    decisions: tuple[Decision, ...]
    reflections: tuple[Reflection, ...]

    @property
    def notes(self) -> tuple[Decision, ...]:
        """The decisions that carry a "Why?" note."""
        return tuple(d for d in self.decisions if d.reason)

    @property
    def has_writing(self) -> bool:
        return bool(self.notes or self.reflections)


def _situation(vignette: Vignette | None, node_id: str) -> tuple[str, dict[str, str]]:
    node = next((n for n in vignette.nodes if n.id == node_id), None) if vignette else None
    if isinstance(node, ChoiceNode):
        return node.title or node_id, {c.id: c.label for c in node.choices}
    return node_id, {}


def _decisions(vignette: Vignette | None, run: list[Event]) -> list[Decision]:
    route: list[Decision] = []
    kept: list[Decision] = []
    for event in run:
        if event.verb == "vignette.step":
            action = str(event.payload.get("action", ""))
            node_id = str(event.payload.get("node", ""))
            if action == CONTINUE:
                continue
            situation, labels = _situation(vignette, node_id)
            reason = event.payload.get("reason")
            route.append(
                Decision(
                    node_id,
                    situation,
                    action,
                    labels.get(action, action),
                    str(reason) if reason else None,
                    event.occurred_at,
                )
            )
        elif event.verb == "vignette.undone" and route:
            taken = route.pop()
            kept.append(
                Decision(
                    taken.node_id, taken.situation, taken.choice_id, taken.choice_label, taken.reason, taken.at, True
                )
            )
    return sorted(route + kept, key=lambda d: d.at)


def _runs(events: list[Event]) -> list[list[Event]]:
    runs: list[list[Event]] = []
    for event in events:
        if event.verb == "vignette.started":
            runs.append([event])
        elif runs:
            runs[-1].append(event)
    return runs


def case_runs(store: Store, user: User, course: Course, *, vignette_id: str | None = None) -> list[CaseRun]:
    """The learner's own runs of every case (or of one), newest first, each with what they wrote.

    A reflection belongs to the run during which it was written (from that run's start to the next
    one's). Runs of cases no longer in the course keep their ids as titles.
    """
    require(user, Action.VIEW_COURSE)
    events = events_for_user(store, user.id, object_type="vignette", object_id=vignette_id)
    written = my_reflections(store, user, object_type="vignette", object_id=vignette_id, kind=KIND_VIGNETTE_STEP)
    by_case: dict[str, list[Event]] = {}
    for event in events:
        by_case.setdefault(event.object_id, []).append(event)
    result: list[CaseRun] = []
    for case_id, case_events in by_case.items():
        vignette = course.vignettes.get(case_id)
        runs = _runs(case_events)
        for index, run in enumerate(runs):
            start = run[0].occurred_at
            until = runs[index + 1][0].occurred_at if index + 1 < len(runs) else None
            ended = next((e for e in run if e.verb == "vignette.ended"), None)
            mine = tuple(
                r
                for r in written
                if r.object_id == case_id and r.created_at >= start and (until is None or r.created_at < until)
            )
            result.append(
                CaseRun(
                    run[0].id,
                    case_id,
                    vignette.title if vignette else case_id,
                    start,
                    ended.occurred_at if ended else None,
                    str(ended.payload.get("outcome")) if ended else None,
                    tuple(_decisions(vignette, run)),
                    mine,
                )
            )
    return sorted(result, key=lambda r: r.started_at, reverse=True)


def ending_label(run: CaseRun) -> str:
    if run.outcome is None:
        return "not finished"
    return "ended with " + OUTCOME_LABEL.get(run.outcome, run.outcome)


def run_markdown(run: CaseRun, tz: ZoneInfo | None = None) -> str:
    """One run's decisions, notes and reflections as a plain Markdown document (text kept as typed).

    Times are shown in ``tz`` (the learner's zone; UTC when None).
    """
    tz = tz or zone(None)
    lines = [
        f"# {run.title}",
        "",
        f"- Started: {format_datetime(run.started_at, tz)}",
        f"- Result: {ending_label(run)}",
    ]
    lines += ["", "## Decisions and why", ""]
    if not run.decisions:
        lines.append("_(no decisions made)_")
    for number, decision in enumerate(run.decisions, start=1):
        back = " (later taken back)" if decision.taken_back else ""
        lines.append(f"{number}. {decision.situation}: {decision.choice_label}{back}")
        lines.append(f"   - Why: {decision.reason}" if decision.reason else "   - Why: _(no note)_")
    for reflection in run.reflections:
        lines += ["", f"## Reflection written {format_datetime(reflection.created_at, tz)}"]
        for entry in reflection.entries:
            lines += ["", f"### {entry.get('prompt', '')}", "", entry.get("answer", "") or "_(left blank)_"]
    return "\n".join(lines) + "\n"


__all__ = ["CaseRun", "Decision", "case_runs", "ending_label", "run_markdown"]
