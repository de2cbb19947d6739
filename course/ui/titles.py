"""The browser tab's title: each screen names itself, so tabs, history and bookmarks tell apart.

A title reads "<screen> · Relational Prescribing" (the most specific part first, as a tab shows
only its start); an item page (a module, a case, a glossary term, an attempt's review) names the
item. ``st.set_page_config`` may be called several times in a run; the last title wins.
"""

from __future__ import annotations

import streamlit as st

SITE = "Relational Prescribing"


def tab_title(*parts: str) -> str:
    """`parts` most specific first, e.g. ("Transference", "Glossary") -> "Transference · Glossary · Relational
    Prescribing". Blank parts are left out; whitespace in each is collapsed."""
    named = [" ".join(part.split()) for part in parts]
    return " · ".join([*(p for p in named if p), SITE])


def set_title(*parts: str) -> None:
    """Title the browser tab for the screen on view (see `tab_title`)."""
    st.set_page_config(page_title=tab_title(*parts))
