import streamlit as st

from course.ui.forms import sign_in_page

sign_in_page(next_url=st.query_params.get("next"))
