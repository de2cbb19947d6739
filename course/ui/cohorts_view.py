"""Educators' cohort management: create, invite, add by name, assign with due dates, archive."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import available_timezones

import pandas as pd
import streamlit as st

from course import accounts, cohorts, formatting, mail
from course.accounts import Role, User
from course.assessment import ASSESSMENT_ID
from course.clock import utcnow
from course.cohorts import Cohort, CohortError, CohortNotFound
from course.content import Course
from course.store.db import Store
from course.ui import charts, confirm
from course.ui.forms import plain, query_id
from course.ui.session import person_zone

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
    _zone(store, user, cohort)
    st.page_link(
        "course/ui/pages/dashboards.py",
        label="Open this cohort's dashboard",
        query_params={"cohort": str(cohort.id)},
        icon=":material/monitoring:",
    )


def _zone(store: Store, user: User, cohort: Cohort) -> None:
    """The zone the cohort's due days are in: a due date ends at 23:59 there."""
    names = sorted(available_timezones() | {cohort.time_zone})
    picked = st.selectbox(
        "Due dates are in this time zone",
        names,
        index=names.index(cohort.time_zone),
        key=f"cohort-zone-{cohort.id}",
        help="A due date ends at the last minute of that day in this zone. Changing it keeps each due day.",
    )
    if picked != cohort.time_zone:
        try:
            cohorts.set_time_zone(store, user, cohort.id, picked)
        except CohortError as error:
            st.error(str(error))
        else:
            st.rerun()


def _members(store: Store, user: User, cohort: Cohort) -> None:
    people = cohorts.members(store, user, cohort.id)
    wanted = st.text_input(
        "Find a learner in this cohort",
        key="filter-members",
        placeholder="Part of a name or email, at least two letters",
        help="Case and accents do not matter: “elodie” finds Élodie, “дмитрий” finds Дмитрий.",
        max_chars=254,
    )
    shown = cohorts.members(store, user, cohort.id, matching=wanted) if wanted.strip() else people
    if wanted.strip() and not shown:
        st.caption("No learner in this cohort matches that.")
    zone = person_zone()
    frame = pd.DataFrame(
        [
            {"Name": m.display_name, "Email": m.email, "Joined": formatting.format_date(m.joined_at, zone)}
            for m in shown
        ],
        columns=["Name", "Email", "Joined"],
    )
    charts.table(frame, f"{cohort.name} learners", key="csv-members")
    confirm.show_flash(_MEMBERS_FLASH)
    st.caption(
        "Learners join with the invitation code or by accepting an invitation; you see their work only once "
        "they have. They can leave at any time, which also withdraws what they shared with you."
    )
    with st.form("invite-learner", clear_on_submit=True):
        email = st.text_input(
            "Invite a learner by email",
            key="invite-email",
            max_chars=cohorts.EMAIL_MAX,
            placeholder="name@example.org (their exact address)",
        )
        if st.form_submit_button("Send invitation", icon=":material/forward_to_inbox:"):
            already = set(cohorts.invited_emails(store, user, cohort.id))
            try:
                message = cohorts.invite(store, user, cohort.id, email, now=utcnow())
            except CohortError as error:
                st.error(str(error))
            else:
                if accounts.normalise_email(email) not in already:  # one email per invitation, not per click
                    _email_invitation(user, cohort, email)
                st.success(plain(message))
    if user.role is Role.ADMIN:
        _admin_add(store, user, cohort, people)
    waiting = cohorts.invited_emails(store, user, cohort.id)
    if waiting:
        st.caption(f"Invited, no answer yet: {plain(', '.join(waiting))}")
    if people:
        names = {m.user_id: f"{m.display_name} <{m.email}>" if m.email else m.display_name for m in people}
        leaving = st.selectbox("Remove a learner", list(names), format_func=lambda i: names[i], key="remove-pick")
        if confirm.confirmed(
            "remove-learner",
            "Remove from cohort",
            icon=":material/person_remove:",
            warning=f"Remove {plain(names[leaving])} from {plain(cohort.name)}? They leave this cohort's "
            "dashboards, no longer see its assignments, and what they shared with you is withdrawn. Their own "
            "progress is kept; you can invite them again, and they rejoin only if they accept.",
            yes="Yes, remove this learner",
        ):
            cohorts.remove_member(store, user, cohort.id, leaving, now=utcnow())
            confirm.flash(_MEMBERS_FLASH, f"Removed {plain(names[leaving])} from {plain(cohort.name)}.")
            st.rerun()


def _email_invitation(user: User, cohort: Cohort, email: str) -> None:
    """Tell the invitee by email when SMTP is configured (the same whether or not they have an account)."""
    try:
        settings = mail.load_smtp()
        settings.require_ready()
    except mail.EmailNotConfigured:
        return
    address = accounts.normalise_email(email)
    body = (
        f'{user.display_name} invites you to join the cohort "{cohort.name}" on the Relational Prescribing '
        f"course.\n\nSign in (or create an account with this email address) and open your Account page: "
        f"{settings.public_url.rstrip('/')}/account\n\nIf you accept, {user.display_name} will see your progress "
        "in the course. If you do not want that, decline it or simply ignore this email."
    )
    mail.send_in_background(settings, mail.message(settings, address, "An invitation to a cohort", body))


def _admin_add(store: Store, user: User, cohort: Cohort, people: list[cohorts.Member]) -> None:
    """Administrators may still add a learner directly (found by name or email)."""
    search = st.text_input(
        "Administrator: add a learner by name or email",
        key="find-learner",
        placeholder="At least two letters",
        max_chars=254,
    )
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


def _assignments(store: Store, user: User, cohort: Cohort, course: Course) -> None:
    tasks = cohorts.assignments(store, user, cohort.id)
    zone = person_zone()
    frame = pd.DataFrame(
        [
            {
                "Kind": KIND_NAMES[a.object_type],
                "Title": item_title(course, a.object_type, a.object_id),
                "Due": formatting.format_deadline(a.due_at, zone),
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
    today = formatting.local_today(utcnow(), zone)  # the educator's today, not the server's
    due = st.date_input(
        "Due",
        value=today + timedelta(days=14),
        key="assign-due",
        format="DD/MM/YYYY",
        help=f"Due at the end of that day ({formatting.zone_label(cohort.zone)}, the cohort's time zone).",
    )
    if st.button("Assign", key="assign", type="primary", icon=":material/assignment_add:"):
        try:
            cohorts.assign_due_day(store, user, cohort.id, object_type, object_id, due, now=utcnow())
        except CohortError as error:
            st.error(str(error))
        else:
            confirm.flash(
                _ASSIGN_FLASH,
                f"Assigned {KIND_NAMES[object_type].lower()} “{choices[object_id]}” to {plain(cohort.name)}, "
                f"due at the end of {due:%d %b %Y} ({formatting.zone_label(cohort.zone)}).",
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


_COHORT_FLASH = "cohort_flash"


def your_cohorts(store: Store, user: User) -> None:
    """The learner's side (Account page): invitations to accept or decline, cohorts to leave."""
    st.subheader("Your cohorts")
    flash = st.session_state.pop(_COHORT_FLASH, None)
    if flash:
        st.success(flash)
    for offer in cohorts.invitations_for(store, user):
        with st.container(border=True):
            st.markdown(
                f"**{plain(offer.educator_name)}** invites you to the cohort **{plain(offer.cohort_name)}**. "
                "If you accept, they will see your progress, scores and time in the course, and any reflection "
                "you choose to share with them."
            )
            accept, decline = st.columns(2)
            if accept.button("Accept", key=f"accept-{offer.cohort_id}", type="primary", icon=":material/check:"):
                try:
                    cohorts.accept_invitation(store, user, offer.cohort_id, now=utcnow())
                except CohortError as error:
                    st.error(str(error))
                else:
                    st.session_state[_COHORT_FLASH] = f"You joined {plain(offer.cohort_name)}."
                    st.rerun()
            if decline.button("Decline", key=f"decline-{offer.cohort_id}", icon=":material/close:"):
                cohorts.decline_invitation(store, user, offer.cohort_id)
                st.session_state[_COHORT_FLASH] = f"You declined the invitation to {plain(offer.cohort_name)}."
                st.rerun()
    mine = cohorts.learner_cohorts(store, user, include_archived=True)
    if not mine:
        st.caption("You are not in any cohort. Join one with the code your educator gives you, on your home page.")
        return
    st.caption(
        "The educator who runs each cohort can see your progress in the course. Leaving a cohort stops that "
        "and withdraws every reflection you shared with it."
    )
    for cohort in mine:
        name, leave = st.columns([3, 1])
        name.markdown(plain(cohort.name) + (" (archived)" if cohort.archived else ""))
        if leave.button("Leave", key=f"leave-{cohort.id}", icon=":material/logout:"):
            try:
                cohorts.leave_cohort(store, user, cohort.id, now=utcnow())
            except CohortNotFound as missing:
                st.error(str(missing))
            else:
                st.session_state[_COHORT_FLASH] = (
                    f"You left {plain(cohort.name)}. Its educator no longer sees your work or your shared reflections."
                )
                st.rerun()
