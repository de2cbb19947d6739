"""The educator's home page and the per-learner page. Thin: course.teaching decides who is shown."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from course import formatting, teaching
from course.accounts import User
from course.clock import utcnow
from course.cohorts import Member, cohorts_for
from course.content import Course
from course.permissions import PermissionDenied
from course.store.db import Store
from course.teaching import CohortNews
from course.ui import charts
from course.ui.forms import plain, query_id
from course.ui.session import person_zone

DASHBOARDS = "course/ui/pages/dashboards.py"
COHORTS = "course/ui/pages/cohorts.py"
LEARNER = "course/ui/pages/learner.py"
TEACHING = "course/ui/pages/teaching.py"
_SINCE = "teaching-since"  # this session's baseline: the visits as they were when the session began
_STATE_LABEL = {"done": "Done", "due": "Due", "overdue": "Overdue"}
_KIND_LABEL = {"module": "Modules", "vignette": "Cases", "assessment": "Assessment", "review": "Review cards"}


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def render(store: Store, user: User, course: Course) -> None:
    st.title("Teaching home")
    active = cohorts_for(store, user, include_archived=False)
    if not active:
        st.info("You have no running cohorts. Create one and share its invitation code with your learners.")
        st.page_link(COHORTS, label="Go to Cohorts", icon=":material/groups:")
        return
    now = utcnow()
    if _SINCE not in st.session_state:  # reruns in this session keep showing the same changes
        st.session_state[_SINCE] = teaching.last_visits(store, user)
        teaching.record_visit(store, user, [c.id for c in active], now=now)
    seen: dict[int, datetime] = st.session_state[_SINCE]
    for cohort in active:
        news = teaching.cohort_news(store, user, course, cohort, since=seen.get(cohort.id), now=now)
        _cohort(news, teaching.visible_members(store, user, cohort.id))


def _cohort(news: CohortNews, people: list[Member]) -> None:
    zone = person_zone()
    with st.container(border=True):
        st.subheader(plain(news.cohort.name))
        left, right = st.columns(2)
        left.metric("Learners", news.learners)
        right.metric(
            "Overdue",
            news.overdue,
            help="Assignments past their due date and not done, counted once per learner and assignment.",
        )
        if news.overdue:
            st.warning(f"{_plural(news.overdue_learners, 'learner')} with overdue work.", icon=":material/error:")
        when = (
            "In the last 7 days (your first visit here)"
            if news.first_look
            else f"Since your last visit ({formatting.format_datetime(news.since, zone)})"
        )
        st.markdown(f"**{when}**")
        if not news.changed:
            st.caption("Nothing new: no completions, new learners or shared reflections.")
        lines = [
            f"- {plain(c.learner.display_name)} completed {plain(c.title)} ({formatting.format_date(c.at, zone)})"
            for c in news.completed
        ]
        lines += [
            f"- {plain(m.display_name)} joined ({formatting.format_date(m.joined_at, zone)})" for m in news.joined
        ]
        lines += [
            f"- {plain(s.learner_name)} shared {plain(s.title)} ({formatting.format_date(s.at, zone)})"
            for s in news.shared
        ]
        if lines:
            st.markdown("\n".join(lines))
        st.page_link(
            DASHBOARDS,
            label="Open the dashboard",
            query_params={"cohort": str(news.cohort.id)},
            icon=":material/monitoring:",
        )
        if people:
            with st.expander(f"Learners ({len(people)})"):
                for person in people:
                    if person.deleted:  # counted, but there is no one left to look at
                        st.caption(plain(person.display_name))
                        continue
                    st.page_link(
                        LEARNER,
                        label=plain(person.display_name),
                        query_params={"learner": str(person.user_id)},
                        icon=":material/person:",
                    )


# --- one learner ----------------------------------------------------------------------------------------


def learner_page(store: Store, user: User, course: Course) -> None:
    st.page_link(TEACHING, label="Teaching home", icon=":material/arrow_back:")
    learner_id = query_id(st.query_params.get("learner"))
    try:
        if learner_id is None:
            raise LookupError
        seen = teaching.learner_overview(store, user, course, learner_id, now=utcnow())
    except (LookupError, PermissionDenied):
        st.title("Learner")
        st.error("There is no learner you may view at this address.")
        return
    zone = person_zone()
    st.title(plain(seen.name))
    st.caption(plain(seen.email))
    left, right = st.columns(2)
    left.metric("Modules complete", f"{len(seen.modules_done)} / {len(course.modules)}")
    right.metric("Cases finished", f"{len(seen.cases_done)} / {len(course.vignettes)}")
    st.subheader("Assignments")
    if seen.assignments:
        frame = pd.DataFrame(
            [
                {
                    "Cohort": line.cohort_name,
                    "Assignment": line.title,
                    "State": _STATE_LABEL[line.state.value],
                    "Due": formatting.format_deadline(line.assignment.due_at, zone),
                    "Done": formatting.format_date(line.done_at, zone) if line.done_at else "",
                }
                for line in seen.assignments
            ]
        )
        charts.table(frame, f"{seen.name} assignments", key="csv-learner-assignments")
    else:
        st.caption("Nothing is assigned in your cohorts.")
    st.subheader("Assessment")
    if seen.attempts:
        for attempt in seen.attempts:
            result = "passed" if attempt.passed else "not passed"
            st.markdown(
                f"- {formatting.format_date(attempt.submitted_at, zone)}: {attempt.correct} of {attempt.total} "
                f"({formatting.format_percent(attempt.correct, attempt.total)}), {result}"
            )
    else:
        st.caption("No attempt submitted yet.")
    st.subheader("Time spent")
    if seen.seconds_by_kind:
        st.markdown(
            "\n".join(
                f"- {_KIND_LABEL.get(kind, kind)}: {seconds // 60} min"
                for kind, seconds in sorted(seen.seconds_by_kind.items())
            )
        )
    else:
        st.caption("No learning time recorded yet.")
    st.subheader("Reflections shared with you")
    if not seen.shared:
        st.caption("None. Reflections are private unless the learner shares one with you.")
    for item in seen.shared:
        title = item.reflection.title or "A reflection written in a case"
        with st.expander(f"{plain(title)} · shared {formatting.format_date(item.shared_at, zone)}"):
            for entry in item.reflection.entries:
                if entry.get("answer"):
                    st.markdown(f"**{plain(entry.get('prompt', ''))}**")
                    st.text(entry["answer"])
