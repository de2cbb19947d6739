"""Entry point. `streamlit run streamlit_app.py` serves `app` (Streamlit plus our HTTP routes) and
runs this same file as the page script for every session, where it only builds the navigation."""

import streamlit as st
from starlette.middleware import Middleware
from streamlit.runtime.scriptrunner import get_script_run_ctx

from course.ui.auth_routes import MIDDLEWARE, ROUTES
from course.ui.reconnect import FullFirstRun

app = st.App(__file__, routes=ROUTES, middleware=[*MIDDLEWARE, Middleware(FullFirstRun)])

if get_script_run_ctx(suppress_warning=True) is not None:  # a session's script run, not the server importing `app`
    from course.ui.shell import run

    run()
