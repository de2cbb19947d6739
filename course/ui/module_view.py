"""The module catalogue and reader: objectives, the text, knowledge checks, references, completion."""

from __future__ import annotations

import streamlit as st

from course import progress
from course.accounts import User
from course.clock import utcnow
from course.content import Course, Module
from course.schema import QuizItem
from course.ui import resources
from course.ui.glossary_view import linked_module_html

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
        st.success(f"You completed this module on {done[module.id]:%d %B %Y}.", icon=":material/check_circle:")
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
    """A fragment: answering one check reruns only this block, not the whole module page."""
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
    elif submitted and chosen is not None:
        correct = progress.answer_check(resources.store(), user, course, item, chosen, position=number, now=utcnow())
        st.session_state[f"result-{item.id}"] = (chosen, correct)
    result = st.session_state.get(f"result-{item.id}")
    if result:
        chosen_key, correct = result
        picked = next(o for o in item.options if o.key == chosen_key)
        (st.success if correct else st.error)(("Right. " if correct else "Not quite. ") + picked.rationale)
        with st.expander("Why each option is right or wrong"):
            for option in item.options:
                mark = "✓" if option.key == item.answer else "✗"
                st.markdown(f"**{mark} {option.text}** — {option.rationale}")
