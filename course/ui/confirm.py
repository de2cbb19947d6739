"""Destructive actions in two steps, and a word on what a constructive one did.

A destructive button (abandon an attempt, restart a case, archive a cohort, remove a learner or an
assignment) does not act on its first click: it opens a second step that says what will be lost
and asks for an explicit "Yes, ...", with Cancel beside it — the confirmation pattern of the GOV.UK
Design System ("Confirm a user wants to delete something") and WCAG 2.2 SC 3.3.4 (error prevention:
actions that delete data are reversible, checked or confirmed). A constructive action (assign, add)
acts at once and then says what it did, by name, above the place where it was done (`flash`).
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator


def _set(flag: str, value: bool) -> None:
    st.session_state[flag] = value


def confirmed(
    key: str,
    label: str,
    *,
    warning: str,
    yes: str,
    icon: str | None = None,
    where: DeltaGenerator | None = None,
) -> bool:
    """Draw the `label` button; once it is clicked, draw in its place `warning` (what will be lost)
    with the buttons `yes` and "Cancel". True exactly in the run where `yes` was clicked (the caller
    then acts); Cancel goes back to the single button. `key` names the button ("<key>-yes",
    "<key>-cancel" the second step's); `where` is a container (default: the main area)."""
    place = where if where is not None else st.container()
    flag = f"_confirm-{key}"
    if not st.session_state.get(flag):
        place.button(label, key=key, icon=icon, on_click=_set, args=(flag, True))
        return False
    with place:
        st.warning(warning, icon=":material/warning:")
        left, right = st.columns(2)
        yes_clicked = left.button(yes, key=f"{key}-yes", type="primary")
        right.button("Cancel", key=f"{key}-cancel", on_click=_set, args=(flag, False))
    if yes_clicked:
        st.session_state[flag] = False
    return yes_clicked


def cancel(key: str) -> None:
    """Close an open second step (e.g. when what it would act on has changed)."""
    st.session_state.pop(f"_confirm-{key}", None)


def flash(key: str, message: str) -> None:
    """Keep `message` to show (with `show_flash(key)`) on the next run, after a `st.rerun()`."""
    st.session_state[f"_flash-{key}"] = message


def show_flash(key: str) -> None:
    """Show, once, the success message kept by `flash(key, ...)`, if any."""
    message = st.session_state.pop(f"_flash-{key}", None)
    if message is not None:
        st.success(message, icon=":material/check_circle:")
