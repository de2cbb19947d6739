"""Build the navigation for whoever is signed in and run the chosen page."""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from course.store.db import AccountClosed, StoreUnavailable, StoreWriteFailed
from course.ui import forms, public_view, reconnect, resources, titles
from course.ui.nav import ABOUT, HOME, PAGES, PAGES_DIR, SIGNED_OUT_PAGES, PageSpec, pages_for
from course.ui.session import current_user, oidc_problem


def run() -> None:
    st.set_page_config(page_title=titles.SITE, page_icon=":material/medication:", layout="centered")
    reconnect.reload_if_session_lost()  # a tab whose session died with its process (deploy/)
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
                visibility="visible" if spec.menu else "hidden",
            )
            sections.setdefault(spec.section, []).append(page)
        pages = sections  # type: ignore[assignment]
        with st.sidebar:
            st.caption(f"Signed in as **{forms.plain(user.display_name)}** ({user.role.value})")
            if st.button("Sign out", key="sidebar-sign-out", icon=":material/logout:"):
                forms.sign_out()
    page = st.navigation(pages)
    sync_address(page.url_path)
    titles.set_title(page.title)
    try:
        page.run()
    except (StoreWriteFailed, AccountClosed) as failed:
        # Not the generic redacted error: say plainly that nothing was saved (issue 16).
        st.error(str(failed), icon=":material/error:")


_SHOWN_PAGE = "_shown_page"


def sync_address(url_path: str) -> None:
    """Make the browser's address show the query this run answers, so reload, Back and a copied
    link all return to the screen on view.

    Streamlit's front end updates the address itself when the page changes, but not when a link
    (st.page_link with query_params) opens another item of the same page: there the address kept
    the list's (or the previous item's) query. So on a run of the same page as the last run, the
    query is sent back to the browser (a no-op when it already matches: the front end compares it
    with ``location.search``, and during Back/Forward it replaces rather than adds a history entry).
    On a change of page it is left to Streamlit, whose own address update would otherwise follow
    ours and leave an extra history entry with the new query on the old path.
    """
    same_page = st.session_state.get(_SHOWN_PAGE) == url_path
    st.session_state[_SHOWN_PAGE] = url_path
    if same_page:
        st.query_params.from_dict(st.query_params.to_dict())


# While signed out the public course page is the default page, served at "/". The default page
# keeps its url_path reserved, so it takes an unused one and the page is registered again,
# hidden, at /about: the same address works signed in and signed out.
_LANDING = "welcome"


def _signed_out_pages() -> list[st.Page]:
    about = next(spec for spec in PAGES if spec.url_path == ABOUT)
    # An organisation's sign-in that the course refused returns the browser to "/": there the
    # sign-in page must say why (forms.sign_in_page), so it is the landing page until resolved.
    refused = oidc_problem() is not None
    pages = [st.Page(about.path, title=about.title, icon=about.icon, url_path=_LANDING, default=not refused)]
    pages += [
        st.Page(f"{PAGES_DIR}/{file}", title=title, url_path=url_path, default=refused and url_path == "signin")
        for file, title, url_path in SIGNED_OUT_PAGES
    ]
    for spec in PAGES:
        if spec.public:
            pages.append(
                st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path, visibility="hidden")
            )
        else:
            # Every protected address stays reachable while signed out: it says what is behind it,
            # shows the sign-in form and, once signed in, returns to the exact page and query (a
            # module's deep link survives sign-in).
            pages.append(st.Page(_gate(spec), title="Sign in", url_path=spec.url_path, visibility="hidden"))
    return pages


def _gate(spec: PageSpec):  # type: ignore[no-untyped-def]
    def gate() -> None:
        params = st.query_params.to_dict()
        query = urlencode(params)
        path = "/" if spec.url_path == HOME else f"/{spec.url_path}"  # Streamlit serves the default page at / only
        heading, summary = public_view.teaser(resources.content().course, spec.url_path, params, spec.title)
        forms.sign_in_page(next_url=path + (f"?{query}" if query else ""), heading=heading, summary=summary)

    gate.__name__ = f"gate_{spec.url_path}"
    return gate
