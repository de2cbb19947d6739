import streamlit as st

from course.permissions import Action
from course.ui.forms import plain, sign_out
from course.ui.session import guard

user = guard(Action.VIEW_COURSE)
st.title("Your account")
st.markdown(f"**Name:** {plain(user.display_name)}  \n**Email:** {plain(user.email)}  \n**Role:** {user.role.value}")
if st.button("Sign out", icon=":material/logout:"):
    sign_out()
