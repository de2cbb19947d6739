"""Educators' cohort management: create, invite, add by name, assign with due dates, archive."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from course import cohorts
from course.accounts import User
from course.assessment import ASSESSMENT_ID
from course.clock import utcnow
from course.cohorts import Cohort, CohortError, CohortNotFound
from course.content import Course
from course.store.db import Store
from course.ui import charts, confirm
from course.ui.forms import plain, query_id

KINDS = {"Module": "module", "Case": "vignette", "Assessment": "assessment"}
KIND_NAMES = {v: k for k, v in KINDS.items()}
# Success messages kept across the rerun an action makes, shown beside where it was done.
_FLASH = "cohort"
_MEMBERS_FLASH = "cohort-members"
_ASSIGN_FLASH = "cohort-assignments"


def item_title(course: Course, object_type: str, object_id: str) -> str:
    if object_type == "module" and object_id in course.modules:
        return course.modules[object_id].meta.title
    if object_type == "vignette" and object_id in course.vignettes:
        return course.vignettes[object_id].title
    if object_type == "assessment":
        return "The assessment"
    return f"{object_id} (no longer in the course)"


def due_end_of_day(day: date) -> datetime:
    """A due date means the end of that day (UTC), so "due 3 March" includes 3 March."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def cohort_from_query(store: Store, user: User, listed: list[Cohort]) -> Cohort | None:
    """The cohort named by ?cohort=, else the first listed; a bad id gets a message, not a crash."""
    wanted = st.query_params.get("cohort")
    if wanted is None:
        return listed[0] if listed else None
    cohort_id = query_id(wanted)
    try:
        if cohort_id is None:
            raise CohortNotFound()
        return cohorts.get_cohort(store, user, cohort_id)
    except CohortNotFound as missing:
        st.error(str(missing))
        return None


def pick_cohort(store: Store, user: User, label: str = "Cohort") -> Cohort | None:
    listed = cohorts.cohorts_for(store, user)
    current = cohort_from_query(store, user, listed)
    if current is None:
        return None
    ids = [c.id for c in listed]
    names = {c.id: c.name + (" (archived)" if c.archived else "") for c in listed}
    chosen = st.selectbox(
        label, ids, index=ids.index(current.id) if current.id in ids else 0, format_func=lambda i: names[i]
    )
    if chosen != current.id:
        st.query_params["cohort"] = str(chosen)
        return cohorts.get_cohort(store, user, chosen)
    st.query_params["cohort"] = str(current.id)
    return current


def render(store: Store, user: User, course: Course) -> None:
    st.title("Cohorts")
    _create(store, user)
    cohort = pick_cohort(store, user)
    if cohort is None:
        if not cohorts.cohorts_for(store, user):
            st.info("You have no cohorts yet. Create one above and share its invitation code with your learners.")
        return
    _header(store, user, cohort)
    members_tab, assignments_tab = st.tabs(["Learners", "Assignments"])
    with members_tab:
        _members(store, user, cohort)
    with assignments_tab:
        _assignments(store, user, cohort, course)


def _create(store: Store, user: User) -> None:
    expanded = not cohorts.cohorts_for(store, user)
    with st.expander("Create a cohort", expanded=expanded), st.form("create-cohort", clear_on_submit=False):
        name = st.text_input("Name", max_chars=cohorts.NAME_MAX, placeholder="e.g. ST4 psychiatry, spring")
        if st.form_submit_button("Create cohort", type="primary"):
            try:
                created = cohorts.create_cohort(store, user, name, now=utcnow())
            except CohortError as error:
                st.error(str(error))
            else:
                st.query_params["cohort"] = str(created.id)
                st.success(f"Created {plain(created.name)}. Invitation code: {created.invite_code}")


def _header(store: Store, user: User, cohort: Cohort) -> None:
    st.subheader(plain(cohort.name))
    left, right = st.columns([2, 1])
    with left:
        st.write("Learners join from their home page with this invitation code:")
        st.code(cohort.invite_code, language=None)
    with right:
        st.metric("Learners", cohort.members)
        if cohort.archived and st.button("Unarchive", key="unarchive-cohort", icon=":material/unarchive:"):
            cohorts.set_archived(store, user, cohort.id, False, now=utcnow())
            confirm.flash(_FLASH, f"Unarchived {plain(cohort.name)}: it takes new learners again.")
            st.rerun()
    if not cohort.archived and confirm.confirmed(
        f"archive-cohort-{cohort.id}",
        "Archive",
        icon=":material/archive:",
        warning=f"Archive {plain(cohort.name)}? It stops taking new learners and drops off its "
        f"{cohort.members} learner{'s' if cohort.members != 1 else ''}' home pages. Its data is kept, and "
        "you can unarchive it later.",
        yes="Yes, archive this cohort",
        where=right,
    ):
        cohorts.set_archived(store, user, cohort.id, True, now=utcnow())
        confirm.flash(_FLASH, f"Archived {plain(cohort.name)}.")
        st.rerun()
    confirm.show_flash(_FLASH)
    if cohort.archived:
        st.warning("This cohort is archived: it keeps its data but takes no new learners.")
    st.page_link(
        "course/ui/pages/dashboards.py",
        label="Open this cohort's dashboard",
        query_params={"cohort": str(cohort.id)},
        icon=":material/monitoring:",
    )


def _members(store: Store, user: User, cohort: Cohort) -> None:
    people = cohorts.members(store, user, cohort.id)
    frame = pd.DataFrame(
        [{"Name": m.display_name, "Email": m.email, "Joined": m.joined_at.strftime("%d %b %Y")} for m in people],
        columns=["Name", "Email", "Joined"],
    )
    charts.table(frame, f"{cohort.name} learners", key="csv-members")
    confirm.show_flash(_MEMBERS_FLASH)
    search = st.text_input("Add a learner by name or email", key="find-learner", placeholder="At least two letters")
    matches = [m for m in cohorts.find_learners(store, user, search) if m.user_id not in {p.user_id for p in people}]
    if search.strip() and not matches:
        st.caption("No learner matches that (or everyone who matches is already in the cohort).")
    if matches:
        labels = {m.user_id: f"{m.display_name} <{m.email}>" for m in matches}
        picked = st.selectbox("Matching learners", list(labels), format_func=lambda i: labels[i], key="pick-learner")
        if st.button("Add to cohort", key="add-learner", icon=":material/person_add:"):
            try:
                added = cohorts.add_member(store, user, cohort.id, picked, now=utcnow())
            except CohortError as error:
                st.error(str(error))
            else:
                joined = "Added" if added else "Already in the cohort:"
                confirm.flash(_MEMBERS_FLASH, f"{joined} {plain(labels[picked])} to {plain(cohort.name)}.")
                st.rerun()
    if people:
        names = {m.user_id: f"{m.display_name} <{m.email}>" for m in people}
        leaving = st.selectbox("Remove a learner", list(names), format_func=lambda i: names[i], key="remove-pick")
        if confirm.confirmed(
            "remove-learner",
            "Remove from cohort",
            icon=":material/person_remove:",
            warning=f"Remove {plain(names[leaving])} from {plain(cohort.name)}? They leave this cohort's "
            "dashboards and no longer see its assignments. Their own progress is kept; you can add them again.",
            yes="Yes, remove this learner",
        ):
            cohorts.remove_member(store, user, cohort.id, leaving)
            confirm.flash(_MEMBERS_FLASH, f"Removed {plain(names[leaving])} from {plain(cohort.name)}.")
            st.rerun()


def _assignments(store: Store, user: User, cohort: Cohort, course: Course) -> None:
    tasks = cohorts.assignments(store, user, cohort.id)
    frame = pd.DataFrame(
        [
            {
                "Kind": KIND_NAMES[a.object_type],
                "Title": item_title(course, a.object_type, a.object_id),
                "Due": a.due_at.strftime("%d %b %Y"),
            }
            for a in tasks
        ],
        columns=["Kind", "Title", "Due"],
    )
    charts.table(frame, f"{cohort.name} assignments", key="csv-assignments")
    confirm.show_flash(_ASSIGN_FLASH)
    st.markdown("**Assign**")
    kind = st.radio("What", list(KINDS), horizontal=True, key="assign-kind")
    object_type = KINDS[kind]
    choices = _assignable(course, object_type)
    object_id = st.selectbox("Which", list(choices), format_func=lambda i: choices[i], key="assign-item")
    due = st.date_input("Due", value=utcnow().date() + timedelta(days=14), key="assign-due", format="DD/MM/YYYY")
    if st.button("Assign", key="assign", type="primary", icon=":material/assignment_add:"):
        if due < utcnow().date():
            st.error("That due date has already passed. Choose today or a later day.")
        else:
            cohorts.assign(store, user, cohort.id, object_type, object_id, due_end_of_day(due), now=utcnow())
            confirm.flash(
                _ASSIGN_FLASH,
                f"Assigned {KIND_NAMES[object_type].lower()} “{choices[object_id]}” to {plain(cohort.name)}, "
                f"due {due:%d %b %Y}.",
            )
            st.rerun()
    if tasks:
        labels = {a.id: f"{KIND_NAMES[a.object_type]}: {item_title(course, a.object_type, a.object_id)}" for a in tasks}
        dropping = st.selectbox(
            "Remove an assignment", list(labels), format_func=lambda i: labels[i], key="unassign-pick"
        )
        if confirm.confirmed(
            "unassign",
            "Remove assignment",
            icon=":material/delete:",
            warning=f"Remove “{labels[dropping]}” from {plain(cohort.name)}? Its learners no longer see it "
            "as assigned, get no reminders for it, and it leaves the cohort's overdue counts. Their own progress "
            "on it is kept.",
            yes="Yes, remove this assignment",
        ):
            cohorts.unassign(store, user, cohort.id, dropping)
            confirm.flash(_ASSIGN_FLASH, f"Removed the assignment “{labels[dropping]}” from {plain(cohort.name)}.")
            st.rerun()


def _assignable(course: Course, object_type: str) -> dict[str, str]:
    if object_type == "module":
        return {m.id: m.meta.title for m in course.modules.values()}
    if object_type == "vignette":
        return {v.id: v.title for v in course.vignettes.values()}
    return {ASSESSMENT_ID: "The assessment"}
