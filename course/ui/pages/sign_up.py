import streamlit as st

from course.ui.forms import sign_up_page

sign_up_page(next_url=st.query_params.get("next"))
