"""The parts of the home page that come from cohorts: assignments and joining with a code."""

from __future__ import annotations

import streamlit as st

from course import cohorts, formatting
from course.accounts import User
from course.clock import utcnow
from course.cohorts import AssignmentState, CohortError
from course.content import Course
from course.store.db import Store
from course.ui.cohorts_view import item_title
from course.ui.forms import plain
from course.ui.session import person_zone

_PAGES = {
    "module": ("course/ui/pages/modules.py", "id"),
    "vignette": ("course/ui/pages/vignettes.py", "id"),
    "assessment": ("course/ui/pages/assessment.py", None),
}
_ICONS = {
    AssignmentState.DONE: ":material/check_circle:",
    AssignmentState.DUE: ":material/schedule:",
    AssignmentState.OVERDUE: ":material/error:",
}


def assignments(store: Store, user: User, course: Course) -> None:
    st.subheader("Assignments")
    mine = cohorts.my_assignments(store, user, now=utcnow())
    if not mine:
        st.caption("Nothing assigned to you. If your educator gave you an invitation code, join below.")
        return
    zone = person_zone()
    for entry in mine:
        task = entry.assignment
        page, parameter = _PAGES[task.object_type]
        due = formatting.format_deadline(task.due_at, zone)  # the learner's zone, with time: never read two ways
        if entry.state is AssignmentState.DONE and entry.done_at is not None:
            status = f"done {formatting.format_date(entry.done_at, zone)}"
        elif entry.state is AssignmentState.OVERDUE:
            status = f"overdue since {due}"
        else:
            status = f"due {due}"
        st.page_link(
            page,
            label=f"{item_title(course, task.object_type, task.object_id)} · {status} · {plain(entry.cohort_name)}",
            query_params={parameter: task.object_id} if parameter else None,
            icon=_ICONS[entry.state],
        )


def join_cohort(store: Store, user: User) -> None:
    mine = cohorts.learner_cohorts(store, user)
    title = "Your cohorts: " + ", ".join(plain(c.name) for c in mine) if mine else "Join a cohort"
    with st.expander(title), st.form("join-cohort"):
        code = st.text_input("Invitation code", placeholder="ABCD-EFGH", max_chars=20)
        if st.form_submit_button("Join"):
            try:
                joined = cohorts.join_by_code(store, user, code, now=utcnow())
            except CohortError as error:
                st.error(str(error))
            else:
                st.session_state["joined_cohort"] = joined.name
                st.rerun()  # so the new cohort's assignments show above at once
    joined_name = st.session_state.pop("joined_cohort", None)
    if joined_name:
        st.success(f"You are in {plain(joined_name)}. Its assignments are listed above.")
