import streamlit as st

from course import assessment, progress
from course.permissions import Action, can
from course.ui import home_view, resources
from course.ui.forms import plain
from course.ui.session import guard

user = guard(Action.VIEW_COURSE)
course = resources.content().course
done = progress.module_status(resources.store(), user, user.id)

st.title(f"Welcome, {plain(user.display_name)}")
st.write(
    "This course is about the relationship in which a medicine is prescribed: what the patient and the "
    "prescriber bring to it, and how that shapes what is prescribed and whether it helps."
)
if can(user, Action.VIEW_COHORTS):
    st.page_link(
        "course/ui/pages/teaching.py",
        label="Your teaching home: cohorts, overdue work and what changed",
        icon=":material/school:",
    )
total = len(course.modules)
st.progress(len(done) / total if total else 0.0, text=f"{len(done)} of {total} modules complete")
upcoming = [m for m in course.modules.values() if m.id not in done]
if upcoming:
    nxt = upcoming[0]
    st.subheader("Next")
    st.page_link(
        "course/ui/pages/modules.py",
        label=f"{nxt.meta.title} · {nxt.meta.minutes} min",
        query_params={"id": nxt.id},
        icon=":material/arrow_forward:",
    )
    st.caption(nxt.meta.summary)
elif total:
    st.success("You have completed every module.")
st.subheader("Assessment")
if assessment.has_passed(resources.store(), user):
    st.success("You have passed the assessment.", icon=":material/verified:")
else:
    st.page_link("course/ui/pages/assessment.py", label="Take the assessment", icon=":material/quiz:")
home_view.assignments(resources.store(), user, course)
home_view.join_cohort(resources.store(), user)
