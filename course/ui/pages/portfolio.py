import streamlit as st

from course.permissions import Action
from course.ui import portfolio_view, resources
from course.ui.forms import query_id
from course.ui.session import guard

user = guard(Action.VIEW_OWN_PROGRESS)
store, course = resources.store(), resources.content().course
st.title("CPD portfolio")
st.caption("Evidence for your appraisal. Your reflections are private unless you choose to share one.")
portfolio_view.show_flash()
portfolio_view.render_time_log(store, user, course)
portfolio_view.render_certificate(store, user, course)
opened = query_id(st.query_params.get("reflection"))
portfolio_view.render_reflections(store, user, course, open_id=opened)
portfolio_view.render_case_writing(store, user, course, open_reflection=opened)
portfolio_view.render_evidence_pack(store, user, course)
