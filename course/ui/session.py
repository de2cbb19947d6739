"""Who is signed in for this Streamlit session, and the permission gate every page calls first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from course import accounts, formatting, proxies
from course.accounts import User
from course.clock import utcnow
from course.oidc import RoleMapping, role_from_claims, subject_of
from course.permissions import Action, can
from course.ui import resources
from course.ui.auth_routes import BROWSER_COOKIE, SESSION_COOKIE

# Re-check the session row at most this often: cheap enough, and a revoked session ends quickly.
_RECHECK = timedelta(seconds=30)
# Why an identity from single sign-on could not become a course account (shown on the sign-in page).
_OIDC_PROBLEM = "_oidc_problem"
NO_SUBJECT = (
    "Your organisation's sign-in did not say who you are (it sent no subject identifier), so the course "
    "cannot find your account. Contact your course administrator."
)
NO_EMAIL = (
    "Your organisation's sign-in did not share an email address, and the course needs one for your "
    'account. Ask your course administrator to let it share your email (the OpenID Connect "email" '
    "scope), then sign in again."
)


def session_token() -> str | None:
    """The HttpOnly cookie set by /auth/handoff; tests (AppTest has no cookies) use session_state."""
    cookie = st.context.cookies.get(SESSION_COOKIE)
    if isinstance(cookie, str) and cookie:  # AppTest's mocked client returns a non-string here
        return cookie
    fallback = st.session_state.get("auth_token")
    return fallback if isinstance(fallback, str) else None


def browser_cookie() -> str | None:
    """This browser's own random cookie (rp_browser, set by auth_routes.BrowserCookie): handoffs are bound to it."""
    cookie = st.context.cookies.get(BROWSER_COOKIE)
    return cookie if isinstance(cookie, str) and cookie else None


LOOPBACK = "127.0.0.1"


def client_address() -> str:
    """This browser's network address for rate limits (through trusted proxies: course.proxies)."""
    peer = st.context.ip_address
    headers = st.context.headers
    # Streamlit reports a loopback connection as None (st.context.ip_address): that is the peer a
    # local reverse proxy connects from (deploy/), so it must reach the trusted-proxy rules as
    # 127.0.0.1, or every learner behind nginx would share one "unknown" rate-limit bucket.
    return proxies.load().client_address(
        peer if isinstance(peer, str) else LOOPBACK, {k: v for k, v in headers.items()} if headers else {}
    )


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False


def current_user() -> User | None:
    now = utcnow()
    cached: tuple[str | None, User | None, Any] | None = st.session_state.get("_who")
    token = session_token()
    if cached and cached[0] == token and now - cached[2] < _RECHECK:
        return cached[1]
    user = accounts.user_for_session(resources.store(), token, now=now) if token else None
    if user is None and oidc_configured() and st.user.is_logged_in:
        user = _oidc_user(dict(st.user.to_dict()), now)
    if user is not None and user.time_zone is None:
        user = _store_browser_zone(user)
    st.session_state["_who"] = (token, user, now)
    return user


def browser_zone() -> str | None:
    """The IANA zone the browser reports (``st.context.timezone``), or None if absent or unknown here."""
    name = st.context.timezone
    if not isinstance(name, str) or not name:
        return None
    try:
        formatting.zone(name)
    except formatting.UnknownZone:
        return None
    return name


def _store_browser_zone(user: User) -> User:
    """A person whose zone is not known yet gets the browser's, kept on the account (the Account page changes it)."""
    detected = browser_zone()
    if detected is None:
        return user
    try:
        return accounts.set_time_zone(resources.store(), user.id, detected)
    except (accounts.AccountError, LookupError):
        return user


def _oidc_user(claims: dict[str, Any], now: Any) -> User | None:
    """The account for a single sign-on identity, or None with the reason kept for :func:`oidc_problem`."""
    subject = subject_of(claims)
    email = claims.get("email")
    if not subject or not email:
        st.session_state[_OIDC_PROBLEM] = NO_SUBJECT if not subject else NO_EMAIL
        return None
    settings = st.secrets.get("course_oidc", {})
    role = role_from_claims(claims, RoleMapping.from_settings(settings))
    name = str(claims.get("name") or email)
    try:
        user = accounts.upsert_oidc_user(
            resources.store(), subject=subject, email=str(email), display_name=name, role=role, now=now
        )
    except accounts.AccountError as exc:  # an email taken by a local account, a closed account, ...
        st.session_state[_OIDC_PROBLEM] = exc.message
        return None
    st.session_state.pop(_OIDC_PROBLEM, None)
    return user


def oidc_problem() -> str | None:
    """Why the identity the browser signed in with at the organisation is not signed in here, if it is not."""
    if not oidc_configured() or not st.user.is_logged_in:
        return None
    current_user()
    problem = st.session_state.get(_OIDC_PROBLEM)
    return problem if isinstance(problem, str) else None


def person_zone() -> ZoneInfo:
    """The zone every date and "today" is shown in for whoever is at the keyboard.

    The account's zone; else (signed out, or not known yet) the browser's; else UTC.
    """
    user = current_user()
    name = user.time_zone if user is not None and user.time_zone else browser_zone()
    return formatting.zone_or_utc(name)  # a zone the tz database no longer knows falls back to UTC


def forget_user() -> None:
    st.session_state.pop("_who", None)
    st.session_state.pop("auth_token", None)


def guard(action: Action) -> User:
    """Stop the page unless the signed-in user may do `action` (checked here, not only in the menu)."""
    user = current_user()
    if user is None:
        st.warning("Please sign in to see this page.")
        st.stop()
    if not can(user, action):
        st.error("You do not have access to this page.")
        st.stop()
    return user
