"""The learner's progress page: completion, scores, time, per-concept mastery and the next step."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from course import assessment, formatting, mastery, progress
from course.accounts import User
from course.assessment import AttemptStatus
from course.content import Course
from course.mastery import ConceptMastery
from course.store.db import Store
from course.timelog import by_activity, time_log
from course.ui import charts
from course.ui.session import person_zone


def render(store: Store, user: User, course: Course) -> None:
    done = progress.module_status(store, user, user.id)
    st.title("Your progress")
    total = len(course.modules)
    attempts = [a for a in assessment.history(store, user) if a.status is AttemptStatus.SUBMITTED]
    found = mastery.concept_mastery(store, user, user.id, course)
    spent = by_activity(course, time_log(store, user, user.id))

    left, middle, right = st.columns(3)
    left.metric("Modules complete", f"{len(done)} / {total}")
    best = max((formatting.floor_percent(a.correct or 0, a.total) for a in attempts if a.total), default=None)
    middle.metric("Best assessment score", f"{best}%" if best is not None else "Not yet")  # rounded down: never a pass
    right.metric("Concepts mastered", f"{sum(m.mastered for m in found)} / {len(found)}")

    _next_step(course, found, set(done))
    _completion(course, done)
    _scores(attempts)
    _time(course, spent)
    _mastery(course, found)


def _next_step(course: Course, found: list[ConceptMastery], done: set[str]) -> None:
    step = mastery.next_step(course, found, done)
    st.subheader("Your next step")
    if step is None:
        st.success("Every concept has good evidence behind it. Keep your cards going to hold on to it.")
        return
    term = course.glossary.get(step.concept_id)
    name = term.term if term else step.concept_id
    st.write(f"Work on **{name}**: {step.reason}.")
    if step.module_id:
        module = course.modules[step.module_id]
        st.page_link(
            "course/ui/pages/modules.py",
            label=f"Read: {module.meta.title}",
            query_params={"id": module.id},
            icon=":material/menu_book:",
        )
    if step.vignette_id:
        st.page_link(
            "course/ui/pages/vignettes.py",
            label=f"Play the case: {course.vignettes[step.vignette_id].title}",
            query_params={"id": step.vignette_id},
            icon=":material/alt_route:",
        )
    st.page_link("course/ui/pages/flashcards.py", label="Review your cards", icon=":material/style:")


def _completion(course: Course, done: dict[str, datetime]) -> None:
    zone = person_zone()
    frame = pd.DataFrame(
        [
            {
                "Module": m.meta.title,
                "Status": "Complete" if m.id in done else "Not yet",
                "Minutes": m.meta.minutes,
                "Completed": formatting.format_date(done[m.id], zone) if m.id in done else "",
            }
            for m in course.modules.values()
        ],
        columns=["Module", "Status", "Minutes", "Completed"],
    )
    st.subheader("Modules")
    charts.show(charts.completion(frame), frame, "Module completion")


def _scores(attempts: list[assessment.Attempt]) -> None:
    st.subheader("Assessment")
    if not attempts:
        st.info("Your scores will appear here after you submit the assessment.", icon=":material/quiz:")
        return
    ordered = sorted(attempts, key=lambda a: a.submitted_at or a.started_at)
    zone = person_zone()
    frame = pd.DataFrame(
        [
            {
                "Attempt": number,
                "Submitted": charts.wall_clock(a.submitted_at or a.started_at, zone),
                "Score": formatting.floor_percent(a.correct or 0, a.total),
                "Result": "Passed" if a.passed else "Not passed",
            }
            for number, a in enumerate(ordered, start=1)
        ]
    )
    charts.show(charts.scores(frame, ordered[-1].pass_mark_percent), frame, "Assessment score per attempt")


def _time(course: Course, spent: dict[tuple[str, str], int]) -> None:
    st.subheader("Time")
    modules = {m.id: m.meta.title for m in course.modules.values()}
    frame = pd.DataFrame(
        [
            {"Module": title, "Minutes": formatting.floor_to(spent.get(("module", mid), 0) / 60, 0.1)}
            for mid, title in modules.items()
        ],
        columns=["Module", "Minutes"],
    )
    st.caption(
        "Active time counted from your activity: each span runs to your next action and a pause longer "
        "than 15 minutes counts as 15 minutes."
    )
    charts.show(
        charts.minutes_bar(
            frame, "Module", "Time spent per module", "Bar chart of the active minutes you have spent on each module."
        ),
        frame,
        "Time spent per module",
    )


def _mastery(course: Course, found: list[ConceptMastery]) -> None:
    st.subheader("Concepts")
    names = {cid: term.term for cid, term in course.glossary.items()}
    frame = pd.DataFrame(
        [
            {
                "Concept": names.get(m.concept_id, m.concept_id),
                "Score": formatting.floor_to(m.score, 0.01) if m.evidence else None,
                "Evidence": m.evidence,
                "Status": mastery_status(m),
            }
            for m in sorted(found, key=lambda m: names.get(m.concept_id, m.concept_id).lower())
        ],
        columns=["Concept", "Score", "Evidence", "Status"],
    )
    st.caption(
        f"A concept is mastered at a score of {mastery.MASTERED_SCORE:.2f} or more from at least "
        f"{mastery.MASTERED_EVIDENCE} pieces of evidence. “No evidence yet” means nothing you have done "
        "bears on it so far."
    )
    selection = charts.show(charts.mastery(frame), frame, "Mastery by concept", key="mastery")
    clicked = _clicked_concept(selection)
    by_name = {names.get(m.concept_id, m.concept_id): m for m in found}
    options = sorted(by_name, key=str.lower)
    default = options.index(clicked) if clicked in by_name else None
    chosen = st.selectbox("Show the evidence for", options, index=default, placeholder="Choose a concept")
    if chosen is not None:
        _evidence(chosen, by_name[chosen])


def mastery_status(found: ConceptMastery) -> str:
    """The concept's status as the chart's legend names it (see charts.MASTERY_COLOURS)."""
    if not found.evidence:
        return "No evidence yet"
    if found.mastered:
        return "Mastered"
    return "Working on it" if found.score >= 0.5 else "Not met yet"


def _clicked_concept(selection: object) -> str | None:
    points = getattr(getattr(selection, "selection", None), "concept", None) or []
    if isinstance(points, list) and points and isinstance(points[0], dict):
        value = points[0].get("Concept")
        return str(value) if value else None
    return None


def _evidence(name: str, found: ConceptMastery) -> None:
    if not found.evidence_items:
        st.info(f"No evidence about {name} yet: answer a question, play a case or review its card.")
        return
    score = formatting.floor_to(found.score, 0.01)
    st.write(
        f"**{name}**: score {score:.2f} from {found.good} good and {found.poor} poor pieces of evidence"
        f"{' (mastered)' if found.mastered else ''}."
    )
    frame = pd.DataFrame(
        [{"Source": e.source, "What": e.what, "Went well": e.good, "Did not": e.poor} for e in found.evidence_items]
    )
    charts.table(frame, f"Evidence for {name}", key="csv-evidence")
