"""The educator's cohort dashboard: completion, scores, time, item analysis, case routes, reflections."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import streamlit as st

from course import cohorts, dashboards, formatting
from course.accounts import User
from course.clock import utcnow
from course.cohorts import Cohort, Member
from course.content import Course
from course.dashboards import CohortDashboard, ItemStats, LearnerTime
from course.permissions import Action, can
from course.route_analytics import MIN_LEARNERS, RouteLayout
from course.store.db import Store
from course.storymap import to_dot
from course.ui import charts
from course.ui.cohorts_view import item_title, pick_cohort
from course.ui.forms import plain
from course.ui.session import person_zone
from course.ui.shared_reflections_view import render_shared_reflections


def render(store: Store, user: User, course: Course) -> None:
    st.title("Dashboards")
    cohort = pick_cohort(store, user)
    if cohort is None:
        st.info("Dashboards appear once you have a cohort. Create one on the Cohorts page.")
        st.page_link("course/ui/pages/cohorts.py", label="Go to Cohorts", icon=":material/groups:")
        return
    board = dashboards.cohort_dashboard(store, user, cohort.id, course, now=utcnow())
    st.caption(f"{_count(len(board.members), 'learner')} · {_count(len(board.assignments), 'assignment')}")
    tabs = st.tabs(["Completion", "Scores", "Time", "Questions", "Cases", "Shared reflections"])
    with tabs[0]:
        _completion(board, course)
    with tabs[1]:
        _scores(board)
    with tabs[2]:
        _time(board)
    with tabs[3]:
        _items(store, user, cohort, course)
    with tabs[4]:
        _routes(store, user, cohort, course)
    with tabs[5]:
        _reflections(store, user, cohort)


def _unique_names(members: list[Member]) -> dict[int, str]:
    """Each learner's display name, with the email added where two learners share a name."""
    counts = Counter(m.display_name for m in members)
    return {
        m.user_id: m.display_name if counts[m.display_name] == 1 else f"{m.display_name} ({m.email})" for m in members
    }


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _completion(board: CohortDashboard, course: Course) -> None:
    if not board.assignments or not board.members:
        st.info("Add learners and assignments on the Cohorts page to see completion here.")
        return
    zone = person_zone()
    keys = {assignment.id: f"A{number}" for number, assignment in enumerate(board.assignments, start=1)}
    names = _unique_names(board.members)
    grid = pd.DataFrame(
        [
            {
                "Learner": names[cell.learner.user_id],
                "Key": keys[cell.assignment.id],
                "Assignment": item_title(course, cell.assignment.object_type, cell.assignment.object_id),
                "State": cell.state.value,
                "Due": formatting.format_deadline(cell.assignment.due_at, zone),
                "Done": formatting.format_date(cell.done_at, zone) if cell.done_at else "",
            }
            for cell in board.cells
        ]
    )
    st.caption(
        "Columns: "
        + "; ".join(
            f"{keys[a.id]} {item_title(course, a.object_type, a.object_id)} "
            f"(due {formatting.format_deadline(a.due_at, zone)})"
            for a in board.assignments
        )
    )
    charts.show(charts.state_grid(grid), grid, "Completion by learner and assignment")
    per_task = (
        grid.assign(Finished=grid["State"] == "done")
        .groupby(["Assignment", "Due"], sort=False)
        .agg(Done=("Finished", "sum"), Learners=("Finished", "size"))
        .reset_index()
    )
    # Rounded down (formatting.floor_percent): 2 of 3 shows 66%, never a figure above what was done.
    per_task["Done (%)"] = [
        formatting.floor_percent(int(d), int(n)) for d, n in zip(per_task["Done"], per_task["Learners"], strict=True)
    ]
    charts.show(charts.by_assignment(per_task), per_task, "Completion by assignment")
    st.subheader("Overdue")
    overdue = pd.DataFrame(
        [
            {
                "Learner": cell.learner.display_name,
                "Email": cell.learner.email,
                "Assignment": item_title(course, cell.assignment.object_type, cell.assignment.object_id),
                "Due": formatting.format_deadline(cell.assignment.due_at, zone),
            }
            for cell in board.overdue
        ],
        columns=["Learner", "Email", "Assignment", "Due"],
    )
    if overdue.empty:
        st.success("Nothing is overdue.")
    else:
        charts.table(overdue, "Overdue", key="csv-overdue")


def _scores(board: CohortDashboard) -> None:
    if not board.scores:
        st.info("No one in this cohort has submitted the assessment yet.")
        return
    names = {m.user_id: m.display_name for m in board.members}
    frame = pd.DataFrame(
        [
            {
                "Learner": names.get(s.learner_id, cohorts.DELETED_NAME),
                "Score": formatting.floor_percent(s.correct, s.total),
                "Result": "Passed" if s.passed else "Not passed",
                "Submitted": formatting.format_date(s.submitted_at, person_zone()),
            }
            for s in board.scores
        ]
    )
    charts.show(charts.score_distribution(frame, board.pass_mark_percent), frame, "Score distribution")


def _time(board: CohortDashboard) -> None:
    frame = pd.DataFrame(
        [{"Learner": t.learner.display_name, **_minutes(t)} for t in board.times],
        columns=["Learner", "Minutes", *_KINDS.values()],
    )
    if frame.empty:
        st.info("No learners in this cohort yet.")
        return
    st.caption("Active time: each span runs to the learner's next action; pauses over 15 minutes count as 15.")
    charts.show(
        charts.minutes_bar(frame, "Learner", "Time spent per learner", "Bars: active minutes each learner has spent."),
        frame,
        "Time spent per learner",
    )


_KINDS = {"module": "Modules", "vignette": "Cases", "assessment": "Assessment", "review": "Review cards"}


def _minutes(time: LearnerTime) -> dict[str, float]:
    """Total minutes rounded down to 0.1, and the parts by kind apportioned so they add up to it."""
    tenths = time.seconds // 6
    parts = formatting.apportion([time.seconds_by_kind.get(k, 0) for k in _KINDS], tenths) if tenths else [0] * 4
    return {"Minutes": tenths / 10} | {name: part / 10 for name, part in zip(_KINDS.values(), parts, strict=True)}


def _item_row(course: Course, stats: ItemStats) -> dict[str, object]:
    item = course.items().get(stats.item_id)
    choices = ", ".join(f"{k or 'blank'}: {n}" for k, n in sorted(stats.choices.items()))
    disc = stats.discrimination
    ci = stats.discrimination_ci
    return {
        "Item": stats.item_id,
        "Question": (item.stem[:80] + "…") if item is not None and len(item.stem) > 80 else (item.stem if item else ""),
        "Answers": stats.answered,
        "Facility": formatting.floor_to(stats.facility, 0.01),
        "Low": formatting.floor_to(stats.facility_ci.low, 0.01),
        "High": formatting.floor_to(stats.facility_ci.high, 0.01),
        "Discrimination": formatting.floor_to(disc, 0.01) if disc is not None else None,
        "Discrimination 95% CI": (
            f"{formatting.floor_to(ci.low, 0.01):.2f} to {formatting.floor_to(ci.high, 0.01):.2f}" if ci else "too few"
        ),
        f"Choices (key {stats.key})": choices,
        "Flags": "; ".join(stats.flags),
    }


def _items(store: Store, user: User, cohort: Cohort, course: Course) -> None:
    whole = can(user, Action.MANAGE_USERS) and st.toggle("Whole course (all learners)", key="items-whole")
    stats = dashboards.item_analysis(store, user, None if whole else cohort.id)
    if not stats:
        st.info("Item statistics appear once learners have submitted the assessment.")
        return
    st.caption(
        "Each learner's first submitted attempt only. Facility is the share who got it right (95% Wilson "
        "interval); discrimination is the correlation with the rest of the paper (95% Fisher interval). "
        f"Items are flagged only once at least {dashboards.MIN_ANSWERS_TO_JUDGE} learners have answered."
    )
    frame = pd.DataFrame([_item_row(course, s) for s in stats])
    flagged = frame[frame["Flags"] != ""]
    if not flagged.empty:
        st.warning(f"{len(flagged)} item(s) look faulty: see the Flags column.", icon=":material/flag:")
    charts.show(charts.facility(frame), frame, "Item analysis")


def _routes(store: Store, user: User, cohort: Cohort, course: Course) -> None:
    if not course.vignettes:
        st.info("The course has no cases.")
        return
    titles = {v.id: v.title for v in course.vignettes.values()}
    vignette_id = st.selectbox("Case", list(titles), format_func=lambda i: titles[i], key="route-case")
    vignette = course.vignettes[vignette_id]
    counts = dashboards.cohort_routes(store, user, cohort.id, vignette_id, layout=RouteLayout.of(vignette))
    if counts is None:
        st.info(
            f"Route counts are shown only when at least {MIN_LEARNERS} learners in the cohort have played "
            "this case, so that no one's choices can be picked out."
        )
        return
    st.caption(f"{counts.learners} learners played this case. Numbers are learners, never names.")
    if counts.suppressed:
        st.caption(
            f"A count is shown only when at least {MIN_LEARNERS} learners are in it and at least {MIN_LEARNERS} "
            "are not, so that no one's choice can be worked out; the others are left blank. Only learners who "
            "joined the cohort themselves are counted."
        )
    st.graphviz_chart(to_dot(vignette, counts=counts.reached, choice_counts=counts.took), width="stretch")
    nodes = {n.id: n.title or n.id for n in vignette.nodes}
    reached = pd.DataFrame(
        [{"Step": nodes.get(n, n), "Learners": c} for n, c in counts.reached.items()], columns=["Step", "Learners"]
    )
    charts.table(reached, f"{vignette.title} steps reached", key="csv-reached")
    took = pd.DataFrame(
        [{"Step": nodes.get(n, n), "Choice": a, "Learners": c} for (n, a), c in counts.took.items()],
        columns=["Step", "Choice", "Learners"],
    )
    charts.table(took, f"{vignette.title} choices taken", key="csv-took")
    ended = pd.DataFrame(
        [{"Ending": nodes.get(e, e), "Learners": c} for e, c in counts.ended.items()], columns=["Ending", "Learners"]
    )
    charts.table(ended, f"{vignette.title} endings", key="csv-ended")


def _reflections(store: Store, user: User, cohort: Cohort) -> None:
    st.caption(f"Shared with you as the educator of {plain(cohort.name)}. Learners can withdraw a share at any time.")
    render_shared_reflections(store, user, cohort.id)
