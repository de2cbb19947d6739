"""The module catalogue and reader: objectives, the text, knowledge checks, references, completion."""

from __future__ import annotations

import streamlit as st

from course import progress
from course.accounts import User
from course.clock import utcnow
from course.content import Course, Module
from course.formatting import format_datetime, format_long_date
from course.schema import QuizItem
from course.ui import resources
from course.ui.glossary_view import linked_module_html
from course.ui.session import person_zone

MODULES_PAGE = "course/ui/pages/modules.py"


def catalogue(user: User, course: Course) -> None:
    st.title("Modules")
    done = progress.module_status(resources.store(), user, user.id)
    for module in course.modules.values():
        with st.container(border=True):
            status = ":material/check_circle: Complete" if module.id in done else f"{module.meta.minutes} min"
            st.page_link(MODULES_PAGE, label=module.meta.title, query_params={"id": module.id})
            st.caption(f"{status} · {module.meta.summary}")


def reader(user: User, course: Course, module: Module) -> None:
    store = resources.store()
    meta = module.meta
    viewed = st.session_state.setdefault("_viewed_modules", set())
    if module.id not in viewed:  # one view event per module per session, not one per rerun
        progress.record_module_view(store, user, module, now=utcnow())
        viewed.add(module.id)
    done = progress.module_status(store, user, user.id)

    st.page_link(MODULES_PAGE, label="All modules", icon=":material/arrow_back:")
    st.title(meta.title)
    st.caption(f"About {meta.minutes} minutes · {meta.summary}")
    missing = [course.modules[p].meta.title for p in meta.prerequisites if p in course.modules and p not in done]
    if missing:
        st.info("This module builds on: " + "; ".join(missing) + ".")
    with st.expander("Learning objectives", expanded=True):
        st.markdown("\n".join(f"- {o.text}" for o in meta.objectives))
    st.html(linked_module_html(course, module))

    checks = course.checks_for(module.id)
    if checks:
        st.subheader("Check your understanding")
        st.caption("Instant feedback; nothing here is graded.")
        for number, item in enumerate(checks, start=1):
            _knowledge_check(user, course, item, number)

    st.subheader("References")
    for ref in meta.references:
        entry = course.bibliography.get(ref.ref)
        if entry:
            where = f" ({ref.locator})" if ref.locator else ""
            st.markdown(f"- {entry.citation}{where}")

    st.divider()
    _completion(user, module)


@st.fragment
def _completion(user: User, module: Module) -> None:
    """A fragment: marking complete reruns this block, not the whole module text and its checks.

    The button records the change in its callback, before the fragment reruns, so one run shows it.
    """
    done = progress.module_status(resources.store(), user, user.id)
    if module.id in done:
        completed_on = format_long_date(done[module.id], person_zone())
        st.success(f"You completed this module on {completed_on}.", icon=":material/check_circle:")
        st.button("Mark as not complete", key="reopen", on_click=_mark, args=(user, module, False))
    else:
        st.button(
            "Mark as complete",
            type="primary",
            key="complete",
            icon=":material/task_alt:",
            on_click=_mark,
            args=(user, module, True),
        )


def _mark(user: User, module: Module, complete: bool) -> None:
    progress.set_module_complete(resources.store(), user, module, complete, now=utcnow())


@st.fragment
def _knowledge_check(user: User, course: Course, item: QuizItem, number: int) -> None:
    """A fragment: answering one check reruns only this block, not the whole module page.

    Once answered, the learner's recorded answer and its feedback are shown, also after a reload
    (from the event log, not the session). "Answer again" brings the question back; a new answer
    is always recorded, but counts towards mastery only from a day after the answer that counts now
    (``course.mastery``), and the page says so.
    """
    store = resources.store()
    retry = f"retry-{item.id}"
    record = progress.check_records(store, user, [item]).get(item.id)
    if record is None or st.session_state.get(retry):
        labels = {o.key: o.text for o in item.options}
        with st.form(f"check-{item.id}"):
            chosen = st.radio(
                f"{number}. {item.stem}",
                list(labels),
                format_func=labels.__getitem__,
                index=None,
                key=f"pick-{item.id}",
            )
            submitted = st.form_submit_button("Check answer")
        if submitted and chosen is None:
            st.warning("Choose an answer first.")
        if not (submitted and chosen is not None):
            return
        progress.answer_check(store, user, course, item, chosen, position=number, now=utcnow())
        st.session_state.pop(retry, None)
        record = progress.check_records(store, user, [item]).get(item.id)
        if record is None:
            return
    else:
        st.markdown(f"**{number}.** {item.stem}")
    _check_result(item, record)
    st.button("Answer again", key=f"again-{item.id}", icon=":material/replay:", on_click=_retry, args=(retry,))


def _retry(flag: str) -> None:
    st.session_state[flag] = True


def _check_result(item: QuizItem, record: progress.CheckRecord) -> None:
    picked = next((o for o in item.options if o.key == record.chosen), None)
    if picked is None:  # an option since removed from the content
        st.info("Your earlier answer is no longer one of this question's options; try it again.")
        return
    tz = person_zone()
    st.markdown(f"Your answer: **{picked.text}**")
    (st.success if record.correct else st.error)(("Right. " if record.correct else "Not quite. ") + picked.rationale)
    with st.expander("Why each option is right or wrong"):
        for option in item.options:
            mark = "✓" if option.key == item.answer else "✗"
            st.markdown(f"**{mark} {option.text}** — {option.rationale}")
    later = record.counts_again_from
    st.caption(
        f"Answered {format_datetime(record.answered_at, tz)}. "
        + (
            f"Answering again now is practice; a new answer counts towards your mastery from "
            f"{format_datetime(later, tz)}."
            if utcnow() < later
            else "A new answer now would count towards your mastery."
        )
    )
