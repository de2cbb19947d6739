"""The CPD portfolio: time log, certificate, structured reflections and the evidence pack.

Thin: every decision (who may read what, what counts as complete, how long is too long) is made
by the engine; this module shows the result and turns engine errors into messages. Learner text is
always shown literally (``plain``), never as HTML.
"""

from __future__ import annotations

import os
from functools import partial
from urllib.parse import urlsplit

import streamlit as st

from course import casenotes, certificates, evidence, formatting, reflections, timelog
from course.accounts import User
from course.casenotes import CaseRun
from course.certificates import NameNotPrintable, NotYetComplete
from course.clock import utcnow
from course.content import Course
from course.reflections import SECTIONS, Reflection, ReflectionError, ReflectionNotFound
from course.store.db import Store
from course.ui.forms import plain
from course.ui.session import person_zone

_FLASH = "portfolio_flash"
_PACK = "portfolio_pack"
_PACK_CHOICE = "portfolio_pack_choice"


def public_base() -> str:
    """Where this deployment is reached from outside: COURSE_PUBLIC_URL, else the browser's address."""
    configured = os.environ.get("COURSE_PUBLIC_URL", "").strip().rstrip("/")
    if configured:
        return configured
    url = st.context.url if isinstance(st.context.url, str) else ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "http://localhost:8501"


def verify_url(code: str) -> str:
    return f"{public_base()}/verify/{code}"


def _flash(message: str) -> None:
    st.session_state[_FLASH] = message


def show_flash() -> None:
    message = st.session_state.pop(_FLASH, None)
    if message:
        st.success(message)


def _hm(seconds: int) -> str:
    hours, minutes = divmod(seconds // 60, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


# --- time log -------------------------------------------------------------------------------------------


def render_time_log(store: Store, user: User, course: Course) -> None:
    st.subheader("Time log")
    rows = evidence.time_rows(store, user, course)
    if not rows:
        st.info("No learning time recorded yet. Open a module or a case to start your log.")
        return
    shown = evidence.shown_time(rows)  # the rows add up to the totals shown above them
    st.metric(
        "CPD hours", f"{shown.total_hours:g}", help=f"{_hm(shown.total_minutes * 60)} of active learning in total"
    )
    st.table(
        [
            {
                "Activity": evidence.kind_label(r.kind),
                "Title": r.title,
                "Time": _hm(minutes * 60),
                "CPD hours": f"{hours:g}",
            }
            for r, minutes, hours in zip(rows, shown.minutes, shown.hours, strict=True)
        ]
    )
    st.caption(
        f"Active time is the gap between one action and the next, each gap capped at "
        f"{timelog.IDLE_CAP_SECONDS // 60} minutes, so time away from the screen is not counted. "
        "CPD hours are rounded down to the quarter hour."
    )


# --- certificate ----------------------------------------------------------------------------------------


def render_certificate(store: Store, user: User, course: Course) -> None:
    st.subheader("Certificate")
    issued = certificates.certificate_of(store, user, user.id)
    if issued is None:
        status = certificates.completion(store, user, course)
        if not status.complete:
            st.info(
                f"Your certificate is issued once every module is complete ({status.modules_done} of "
                f"{status.modules_total} so far) with its knowledge checks answered, every case has been played "
                f"to an ending, you have passed the assessment, and at least {status.required_seconds // 60} "
                "minutes of active learning are recorded."
            )
            for step in status.missing():
                st.markdown(f"- To do: {plain(step)}")
            return
        st.success(
            "You have met the completion rule: every module and its knowledge checks, every case, the assessment "
            f"and {status.active_seconds // 60} minutes of active learning."
        )
        st.markdown(f"Your certificate will be issued to **{plain(user.display_name)}**.")
        problem = certificates.name_problem(user.display_name)
        if problem is not None:
            st.error(str(problem))
            return
        if not st.button("Issue my certificate", type="primary", icon=":material/workspace_premium:"):
            return
        try:
            issued = certificates.issue(store, user, course, now=utcnow())
        except (NotYetComplete, NameNotPrintable) as exc:
            st.error(str(exc))
            return
    st.markdown(
        f"**{plain(issued.course_title)}**  \nIssued to {plain(issued.learner_name)} on "
        f"{formatting.format_long_date(issued.issued_at, person_zone())}, for {issued.cpd_hours:g} CPD hours.  \n"
        f"Verification code: `{issued.display_code}`"
    )
    missing = certificates.name_problem(issued.learner_name)
    if missing is not None:  # issued before a font was removed: say so instead of printing gaps silently
        st.warning(str(missing))
    st.download_button(
        "Download certificate (PDF)",
        # Built when the button is clicked, not on every rerun of the portfolio page.
        data=partial(certificates.certificate_pdf, issued, verify_url(issued.code), person_zone()),
        file_name="relational-prescribing-certificate.pdf",
        mime="application/pdf",
        icon=":material/download:",
    )
    st.caption(f"Anyone can check it at {verify_url(issued.code)}")


# --- reflections ----------------------------------------------------------------------------------------


def _targets(course: Course) -> dict[str, str]:
    modules = sorted(course.modules.values(), key=lambda m: (m.meta.order, m.id))
    choices = {f"module:{m.id}": f"Module: {m.meta.title}" for m in modules}
    choices |= {f"vignette:{v.id}": f"Case: {v.title}" for v in course.vignettes.values()}
    return choices


def _about(course: Course, reflection: Reflection) -> str:
    kind = evidence.kind_label(reflection.object_type)
    return f"{kind}: {evidence.activity_title(course, reflection.object_type, reflection.object_id)}"


def _section_inputs(prefix: str, existing: Reflection | None) -> dict[str, str]:
    answers: dict[str, str] = {}
    heading = ""
    for section in SECTIONS:
        if section.heading != heading:
            heading = section.heading
            st.markdown(f"**{heading}**")
        answers[section.key] = st.text_area(
            section.prompt,
            value=existing.answer(section.key) if existing else "",
            key=f"{prefix}-{section.key}",
            help=f"Up to {reflections.MAX_ANSWER_CHARS} characters. Leave out anything that could identify a patient.",
        )
    return answers


def render_new_reflection(store: Store, user: User, course: Course) -> None:
    generation = st.session_state.setdefault("reflection_form_generation", 0)
    prefix = f"new-{generation}"
    targets = _targets(course)
    with st.form(f"new-reflection-{generation}"):
        st.markdown("Work through the course's questions about the patient, yourself and the relationship, then "
                    "record what you learned. Leave blank what does not apply.")  # fmt: skip
        target = st.selectbox("Reflecting on", list(targets), format_func=targets.__getitem__, key=f"{prefix}-target")
        title = st.text_input("Title", key=f"{prefix}-title", help=f"Up to {reflections.MAX_TITLE_CHARS} characters.")
        answers = _section_inputs(prefix, None)
        submitted = st.form_submit_button("Save reflection", type="primary")
    if not submitted:
        return
    object_type, _, object_id = str(target).partition(":")
    try:
        reflections.write_structured(
            store,
            user,
            object_type=object_type,
            object_id=object_id,
            title=title,
            answers=answers,
            content_version=course.version_of(object_type, object_id),
            now=utcnow(),
        )
    except ReflectionError as exc:
        st.error(exc.message)  # the widgets keep their text: nothing typed is lost
        return
    st.session_state["reflection_form_generation"] = generation + 1  # a fresh, empty form
    _flash("Reflection saved. It is private: only you can see it unless you share it.")
    st.rerun()


def _render_entries(reflection: Reflection) -> None:
    for entry in reflection.entries:
        if entry.get("answer"):
            st.markdown(f"**{plain(entry.get('prompt', ''))}**")
            st.text(entry["answer"])


def _render_edit(store: Store, user: User, reflection: Reflection) -> None:
    prefix = f"edit-{reflection.id}-{reflection.updated_at or reflection.created_at}"
    with st.form(f"edit-{reflection.id}"):
        title = st.text_input("Title", value=reflection.title or "", key=f"{prefix}-title")
        answers = _section_inputs(prefix, reflection)
        submitted = st.form_submit_button("Save changes")
    if not submitted:
        return
    try:
        reflections.revise_structured(store, user, reflection.id, title=title, answers=answers, now=utcnow())
    except ReflectionError as exc:
        st.error(exc.message)
        return
    _flash("Changes saved. The earlier wording is kept in the reflection's history.")
    st.rerun()


def _render_history(store: Store, user: User, reflection: Reflection) -> None:
    history = reflections.revisions(store, user, reflection.id)
    if not history:
        st.caption("No earlier versions.")
        return
    for number, revision in enumerate(reversed(history), start=1):
        st.markdown(
            f"**Version {len(history) - number + 1}**, written "
            f"{formatting.format_datetime(revision.written_at, person_zone())}, "
            f"replaced {formatting.format_datetime(revision.replaced_at, person_zone())}"
        )
        for entry in revision.entries:
            if entry.get("answer"):
                st.text(f"{entry.get('prompt', '')}\n{entry['answer']}")


def _render_sharing(store: Store, user: User, reflection: Reflection) -> None:
    current = reflections.shares(store, user, reflection.id)
    if current:
        for shared in current:
            cols = st.columns([3, 1])
            since = formatting.format_date(shared.shared_at, person_zone())
            cols[0].markdown(f"Shared with the educator of **{plain(shared.cohort_name)}** since {since}")
            if cols[1].button("Withdraw", key=f"withdraw-{reflection.id}-{shared.cohort_id}"):
                reflections.withdraw(store, user, reflection.id, shared.cohort_id, now=utcnow())
                _flash(f"No longer shared with {plain(shared.cohort_name)}.")
                st.rerun()
    else:
        st.caption("Private: only you can read this reflection.")
    targets = {c.id: c for c in reflections.share_targets(store, user) if c.id not in {s.cohort_id for s in current}}
    if not targets:
        return
    choice = st.selectbox(
        "Share with the educator of",
        list(targets),
        format_func=lambda cid: f"{targets[cid].name} ({targets[cid].educator_name})",
        key=f"share-target-{reflection.id}",
        index=None,
        placeholder="Choose a cohort",
    )
    if st.button("Share", key=f"share-{reflection.id}"):
        if choice is None:
            st.warning("Choose the cohort whose educator should read it.")
            return
        try:
            reflections.share(store, user, reflection.id, int(choice), now=utcnow())
        except ReflectionError as exc:
            st.error(exc.message)
            return
        _flash(f"Shared with the educator of {plain(targets[int(choice)].name)}. You can withdraw it at any time.")
        st.rerun()


def render_reflection(store: Store, user: User, course: Course, reflection: Reflection, *, expanded: bool) -> None:
    label = f"{plain(reflection.title or 'Reflection')} · {_about(course, reflection)}"
    with st.expander(label, expanded=expanded):
        zone = person_zone()
        edited = f", edited {formatting.format_date(reflection.updated_at, zone)}" if reflection.updated_at else ""
        st.caption(f"Written {formatting.format_date(reflection.created_at, zone)}{edited}")
        read, edit, history, sharing = st.tabs(["Read", "Edit", "History", "Sharing"])
        with read:
            _render_entries(reflection)
        with edit:
            _render_edit(store, user, reflection)
        with history:
            _render_history(store, user, reflection)
        with sharing:
            _render_sharing(store, user, reflection)


def render_reflections(store: Store, user: User, course: Course, *, open_id: int | None = None) -> None:
    st.subheader("Reflections")
    if open_id is not None:
        try:
            reflections.read_reflection(store, user, open_id)
        except ReflectionNotFound as exc:
            st.error(str(exc))
            open_id = None
    mine = list(reversed(reflections.my_reflections(store, user, kind=reflections.KIND_STRUCTURED)))
    written_in_cases = {r.id for r in reflections.my_reflections(store, user, kind=reflections.KIND_VIGNETTE_STEP)}
    if open_id in written_in_cases:
        open_id = None  # shown, open, in "From the cases" below
    elif open_id is not None and open_id not in {r.id for r in mine}:
        st.error(str(ReflectionNotFound()))  # readable (shared with this educator) but not theirs to edit here
        open_id = None
    if not mine:
        st.caption("You have not written a structured reflection yet.")
    for reflection in mine:
        render_reflection(store, user, course, reflection, expanded=reflection.id == open_id)
    with st.expander("Write a new reflection", expanded=not mine):
        render_new_reflection(store, user, course)


# --- what was written inside the cases -------------------------------------------------------------------


def _run_label(run: CaseRun) -> str:
    started = formatting.format_date(run.started_at, person_zone())
    parts = [f"{len(run.notes)} Why? note{'s' if len(run.notes) != 1 else ''}"]
    if run.reflections:
        parts.append(f"{len(run.reflections)} reflection{'s' if len(run.reflections) != 1 else ''}")
    return f"{run.title} · played {started}, {casenotes.ending_label(run)} · {', '.join(parts)}"


def render_decisions(run: CaseRun) -> None:
    """Each decision of a run with the learner's Why? note (their text shown literally)."""
    for number, decision in enumerate(run.decisions, start=1):
        back = " (later taken back)" if decision.taken_back else ""
        st.markdown(f"**{number}. {plain(decision.situation)}:** {plain(decision.choice_label)}{back}")
        if decision.reason:
            st.text(f"Why: {decision.reason}")
        else:
            st.caption("No Why? note.")


def render_case_reflection(store: Store, user: User, reflection: Reflection, *, sharing: bool = True) -> None:
    zone = person_zone()
    st.markdown(f"**Reflection** · written {formatting.format_datetime(reflection.created_at, zone)}")
    _render_entries(reflection)
    if sharing:
        _render_sharing(store, user, reflection)


def render_case_writing(store: Store, user: User, course: Course, *, open_reflection: int | None = None) -> None:
    """Every case run in which the learner wrote something: decisions with Why? notes, and reflections."""
    st.subheader("From the cases")
    runs = [r for r in casenotes.case_runs(store, user, course) if r.has_writing]
    if not runs:
        st.caption(
            "What you write in the cases appears here: the Why? notes you add to your decisions and the "
            "reflections you write at a case's reflection steps. Both are private unless you share a reflection."
        )
        return
    st.caption(
        "Your Why? notes and the reflections you wrote inside the cases, newest first. They are private: "
        "you can share a reflection with a cohort's educator, and add any of them to your evidence pack."
    )
    for run in runs:
        expanded = open_reflection is not None and open_reflection in {r.id for r in run.reflections}
        with st.expander(_run_label(run), expanded=expanded):
            st.markdown("**Your decisions and why**")
            render_decisions(run)
            for reflection in run.reflections:
                st.divider()
                render_case_reflection(store, user, reflection)


# --- evidence pack --------------------------------------------------------------------------------------


def render_evidence_pack(store: Store, user: User, course: Course) -> None:
    st.subheader("Evidence pack")
    st.markdown(
        "One ZIP file for your appraisal: the certificate (once issued), your time log, assessment results, "
        "the concepts you have mastered and the reflections you choose below."
    )
    mine = {r.id: r for r in reflections.my_reflections(store, user, kind=reflections.KIND_STRUCTURED)}
    picked = st.multiselect(
        "Reflections to include",
        list(mine),
        format_func=lambda rid: mine[rid].title or f"Reflection {rid}",
        key="pack-reflections",
        help="None are included unless you pick them.",
    )
    runs = {r.run_id: r for r in casenotes.case_runs(store, user, course) if r.has_writing}
    picked_runs = st.multiselect(
        "Case notes to include (Why? notes and case reflections)",
        list(runs),
        format_func=lambda rid: _run_label(runs[rid]),
        key="pack-cases",
        help="Each case run you pick adds its decisions with your Why? notes and the reflections you wrote in it.",
    )
    # The pack is built for one choice of reflections and case notes; once the choice on screen
    # changes, the old pack is not offered any more (a download matches what the page shows).
    choice = (tuple(sorted(picked)), tuple(sorted(picked_runs)))
    if st.button("Prepare evidence pack", icon=":material/folder_zip:"):
        st.session_state[_PACK] = evidence.evidence_pack(
            store,
            user,
            course,
            reflection_ids=picked,
            case_run_ids=picked_runs,
            verify_url=verify_url,
            now=utcnow(),
        )
        st.session_state[_PACK_CHOICE] = choice
    pack = st.session_state.get(_PACK)
    if isinstance(pack, bytes) and st.session_state.get(_PACK_CHOICE) != choice:
        st.caption("You changed what to include: prepare the evidence pack again to download it.")
    elif isinstance(pack, bytes):
        st.download_button(
            "Download evidence pack (ZIP)",
            data=pack,
            file_name="cpd-evidence-pack.zip",
            mime="application/zip",
            icon=":material/download:",
        )
