"""Rerun only the fragment that is running, when there is one.

Clicks inside a fragment normally rerun just that fragment, and there ``st.rerun(scope="fragment")``
keeps it that way. Streamlit refuses that scope during a full-app run (AppTest's clicks, or the
first run of a page), so there the whole app reruns instead.
"""

from __future__ import annotations

from typing import NoReturn

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx


def rerun_fragment() -> NoReturn:
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is not None and ctx.fragment_ids_this_run:
        st.rerun(scope="fragment")
    st.rerun()
