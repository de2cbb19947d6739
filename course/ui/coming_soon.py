"""Placeholder for pages that later issues fill; still permission-checked like any other page."""

from __future__ import annotations

import streamlit as st

from course.ui.nav import spec
from course.ui.session import guard


def coming_soon(url_path: str, what: str) -> None:
    page = spec(url_path)
    guard(page.action)
    st.title(page.title)
    st.info(f"Coming soon. {what}", icon=":material/construction:")
