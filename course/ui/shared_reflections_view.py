"""Reflections learners have shared with the educator who runs a cohort (for the cohort dashboard).

The engine decides what is visible (shared, not withdrawn, cohort owned by this educator, author
still a member); this only shows it, with the learners' text rendered literally.
"""

from __future__ import annotations

import streamlit as st

from course import evidence, formatting, reflections
from course.accounts import User
from course.permissions import PermissionDenied
from course.store.db import Store
from course.ui import resources
from course.ui.forms import plain
from course.ui.session import person_zone


def render_shared_reflections(store: Store, viewer: User, cohort_id: int) -> None:
    st.subheader("Shared reflections")
    try:
        shared = reflections.shared_with_cohort(store, viewer, cohort_id)
    except PermissionDenied as exc:
        st.error(str(exc))
        return
    if not shared:
        st.caption("No learner in this cohort has shared a reflection with you.")
        return
    st.caption(
        "Shared with you by their authors, who can withdraw them at any time. Please treat them as confidential."
    )
    course = resources.content().course
    for item in shared:
        reflection = item.reflection
        about = evidence.activity_title(course, reflection.object_type, reflection.object_id)
        with st.expander(plain(f"{item.author_name}: {evidence.reflection_title(reflection, course)}")):
            shared_on = formatting.format_date(item.shared_at, person_zone())
            st.caption(f"On {evidence.kind_label(reflection.object_type).lower()} “{about}”; shared {shared_on}")
            for entry in reflection.entries:
                if entry.get("answer"):
                    st.markdown(f"**{plain(entry.get('prompt', ''))}**")
                    st.text(entry["answer"])
