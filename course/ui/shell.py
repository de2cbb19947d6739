"""Build the navigation for whoever is signed in and run the chosen page."""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from course.store.db import StoreUnavailable
from course.ui import forms, resources
from course.ui.nav import HOME, PAGES, PAGES_DIR, SIGNED_OUT_PAGES, pages_for
from course.ui.session import current_user


def run() -> None:
    st.set_page_config(page_title="Relational Prescribing", page_icon=":material/medication:", layout="centered")
    try:
        resources.store()
    except StoreUnavailable as exc:
        st.error(f"The course database is not available: {exc}")
        st.info("Check DATABASE_URL (or the SQLite data folder) and reload this page.")
        st.stop()
    user = current_user()
    if user is None:
        pages = _signed_out_pages()
    else:
        sections: dict[str, list[st.Page]] = {}
        for spec in pages_for(user):
            page = st.Page(
                spec.path,
                title=spec.title,
                icon=spec.icon,
                url_path=spec.url_path,
                default=spec.url_path == HOME,
            )
            sections.setdefault(spec.section, []).append(page)
        pages = sections  # type: ignore[assignment]
        with st.sidebar:
            st.caption(f"Signed in as **{forms.plain(user.display_name)}** ({user.role.value})")
            if st.button("Sign out", key="sidebar-sign-out", icon=":material/logout:"):
                forms.sign_out()
    st.navigation(pages).run()


def _signed_out_pages() -> list[st.Page]:
    pages = [
        st.Page(f"{PAGES_DIR}/{file}", title=title, url_path=url_path, default=url_path == "signin")
        for file, title, url_path in SIGNED_OUT_PAGES
    ]
    # Every protected address stays reachable while signed out: it shows the sign-in form and,
    # once signed in, returns to the exact page and query (a module's deep link survives sign-in).
    for spec in PAGES:
        pages.append(st.Page(_gate(spec.url_path), title="Sign in", url_path=spec.url_path, visibility="hidden"))
    return pages


def _gate(url_path: str):  # type: ignore[no-untyped-def]
    def gate() -> None:
        query = urlencode(st.query_params.to_dict())
        path = "/" if url_path == HOME else f"/{url_path}"  # Streamlit serves the default page at / only
        forms.sign_in_page(next_url=path + (f"?{query}" if query else ""))

    gate.__name__ = f"gate_{url_path}"
    return gate
