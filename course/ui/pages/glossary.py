import streamlit as st

from course.permissions import Action
from course.ui import resources
from course.ui.glossary_view import show_glossary
from course.ui.session import guard

guard(Action.VIEW_COURSE)
show_glossary(resources.content().course, st.query_params.get("term"))
