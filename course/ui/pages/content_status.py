import streamlit as st

from course.permissions import Action
from course.ui import resources
from course.ui.session import guard

guard(Action.MANAGE_USERS)
report = resources.content()
st.title("Content status")
course = report.course
st.caption(f"Content version {course.version} · loaded from {resources.content_root()}")
cols = st.columns(4)
cols[0].metric("Modules", len(course.modules))
cols[1].metric("Quiz items", sum(len(b.items) for b in course.quizzes.values()))
cols[2].metric("Vignettes", len(course.vignettes))
cols[3].metric("Glossary terms", len(course.glossary))
if not report.problems:
    st.success("All content is valid (the same check as `python -m course validate --strict`).")
for problem in report.problems:
    (st.error if problem.severity.value == "error" else st.warning)(str(problem))
