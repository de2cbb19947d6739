"""The part of an assessment review that teaches: results by learning objective, with where to read.

Shows counts per objective and, for each missed question, a link to the module section that
teaches it: never an answer key or a rationale (the questions' own review decides those).
"""

from __future__ import annotations

import streamlit as st

from course import review
from course.assessment import Attempt
from course.content import Course


def objective_summary(course: Course, attempt: Attempt) -> None:
    results = review.by_objective(
        course,
        [p.item_id for p in attempt.paper],
        {p.item_id: attempt.answers.get(p.item_id) == p.answer for p in attempt.paper},
    )
    if not results:
        return
    st.subheader("Results by learning objective")
    st.caption(
        "A question that tests two objectives counts under both. Each missed question links to where it is taught."
    )
    to_review = [r for r in results if r.missed]
    secure = [r for r in results if not r.missed]
    for result in to_review:
        with st.container(border=True):
            st.markdown(f"**{result.correct} of {result.total} right** · {result.text}")
            st.caption(result.module_title)
            lines = []
            for missed in result.missed:
                where = (
                    f"[{missed.section.label}]({missed.section.url})"
                    if missed.section is not None
                    else "no module section found"
                )
                lines.append(f"- Question {missed.number}: read {where}")
            st.markdown("\n".join(lines))
    if secure:
        with st.expander(f"All right on {len(secure)} objective{'s' if len(secure) != 1 else ''}"):
            st.markdown("\n".join(f"- {r.correct} of {r.total} · {r.text}" for r in secure))
