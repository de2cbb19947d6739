"""Sign-in, sign-up and sign-out: the forms and how a sign-in becomes an HttpOnly cookie."""

from __future__ import annotations

from urllib.parse import quote

import streamlit as st

from course import accounts, mail, passwords
from course.accounts import AccountError, User
from course.clock import utcnow
from course.markdown import escape_markdown
from course.ui import resources
from course.ui.auth_routes import safe_next
from course.ui.redirect import go_to
from course.ui.session import browser_cookie, client_address, forget_user, oidc_configured, oidc_problem, session_token


def plain(text: str) -> str:
    """Learner-supplied text shown inside Markdown: displayed literally, never interpreted."""
    return escape_markdown(text)


def _finish(user: User, next_url: str | None) -> None:
    handoff = accounts.issue_handoff(resources.store(), user.id, now=utcnow(), browser=browser_cookie())
    url = f"/auth/handoff?token={quote(handoff)}&next={quote(safe_next(next_url))}"
    st.session_state["handoff_url"] = url
    st.success(f"Welcome, {plain(user.display_name)}. Taking you to the course…")
    go_to(url)
    st.link_button("Continue", url, type="primary")


def _sign_in_form(next_url: str | None, email_default: str = "") -> None:
    with st.form("sign-in"):
        email = st.text_input("Email", value=email_default, autocomplete="email", max_chars=accounts.MAX_EMAIL_LENGTH)
        password = st.text_input(
            "Password", type="password", autocomplete="current-password", max_chars=accounts.MAX_PASSWORD_LENGTH
        )
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            user = accounts.authenticate(
                resources.store(), email=email, password=password, now=utcnow(), client=client_address()
            )
        except AccountError as exc:
            st.error(exc.message)
        else:
            _finish(user, next_url)


def sign_in_page(next_url: str | None = None, *, heading: str | None = None, summary: str | None = None) -> None:
    """The sign-in form; a gated deep link passes what is behind it (``heading``, ``summary``)."""
    if heading:
        st.header(heading)
        if summary:
            st.write(summary)
    st.title("Sign in")
    st.caption("Relational Prescribing: how the prescriber–patient relationship shapes what we prescribe.")
    if st.query_params.get("signin") == "expired":
        st.warning("That sign-in link expired. Please sign in again.")
    problem = oidc_problem()
    if problem:
        # The organisation's sign-in succeeded but the course cannot use it: say why, and offer the
        # way out (its identity cookie stays until signed out, so every load would land here).
        st.error(problem)
        if st.button("Sign out of your organisation's sign-in", icon=":material/logout:", type="primary"):
            forget_user()
            st.logout()
        st.caption("Or sign in below with a course password, if you have one.")
    _sign_in_form(next_url)
    if oidc_configured() and not problem and st.button("Sign in with your organisation", icon=":material/badge:"):
        st.login()
    onward = {"next": safe_next(next_url)} if next_url else None
    st.page_link(
        "course/ui/pages/sign_up.py",
        label="No account yet? Create one",
        icon=":material/person_add:",
        query_params=onward,
    )
    st.page_link("course/ui/pages/forgot_password.py", label="Forgotten your password?", icon=":material/key:")
    st.page_link("course/ui/pages/about.py", label="About the course", icon=":material/info:")


SIGNED_UP = "_signed_up_email"
# The same words whether the address was new (the account was just made) or already had an account:
# a stranger must not learn from sign-up which addresses have accounts (issue 16). Either way the
# person signs in next, with the password of the account that now has this address.
SIGNED_UP_MESSAGE = (
    "Your account for {email} is ready: sign in with its password to start. If this address already had "
    "an account, it is unchanged: sign in with that account's password, or reset it."
)


def sign_up_page(next_url: str | None = None) -> None:
    st.title("Create an account")
    done = st.session_state.get(SIGNED_UP)
    if done:
        st.success(SIGNED_UP_MESSAGE.format(email=plain(done)))
        _sign_in_form(next_url, email_default=done)
        if st.button("Create another account", key="sign-up-again"):
            st.session_state.pop(SIGNED_UP, None)
            st.rerun()
        return
    with st.form("sign-up"):
        name = st.text_input(
            "Your name (as it should appear on your certificate)", max_chars=accounts.MAX_DISPLAY_NAME_LENGTH
        )
        email = st.text_input("Email", autocomplete="email", max_chars=accounts.MAX_EMAIL_LENGTH)
        password = st.text_input(
            "Password",
            type="password",
            autocomplete="new-password",
            help="At least 10 characters.",
            max_chars=accounts.MAX_PASSWORD_LENGTH,
        )
        confirm = st.text_input(
            "Repeat the password", type="password", autocomplete="new-password", max_chars=accounts.MAX_PASSWORD_LENGTH
        )
        submitted = st.form_submit_button("Create account", type="primary")
    if not submitted:
        return
    if password != confirm:
        st.error("The two passwords differ. Please type them again.")
        return
    try:
        user = accounts.sign_up(
            resources.store(), email=email, display_name=name, password=password, now=utcnow(), client=client_address()
        )
    except AccountError as exc:
        if not (isinstance(exc, accounts.SignUpError) and exc.problems == [accounts.EMAIL_TAKEN]):
            st.error(exc.message)
            return
        _tell_the_owner(email)  # and answer exactly as for a new account
        st.session_state[SIGNED_UP] = accounts.normalise_email(email)
    else:
        st.session_state[SIGNED_UP] = user.email
    st.rerun()


def _tell_the_owner(email: str) -> None:
    """Someone tried to sign up with an address in use: its owner hears of it (when the site sends email)."""
    try:
        settings = mail.load_smtp()
        settings.require_ready()
    except mail.EmailNotConfigured:
        return
    owner = accounts.find_user_by_email(resources.store(), email)
    if owner is not None:
        subject, body = passwords.existing_account_email(owner, settings.public_url)
        mail.send_in_background(settings, mail.message(settings, owner.email, subject, body))


def sign_out() -> None:
    accounts.end_session(resources.store(), session_token(), now=utcnow())
    forget_user()
    if oidc_configured() and st.user.is_logged_in:
        st.logout()
        return
    # No st.rerun() here: a rerun started now can drop the queued redirect before the browser sees
    # it. The session is already revoked, so whatever happens next shows the sign-in page.
    go_to("/auth/signout")
    st.info("You are signed out.")
    st.link_button("Continue", "/auth/signout")
    st.stop()


MAX_ID = 2**63 - 1  # the largest id either database can hold


def query_id(value: str | None) -> int | None:
    """A row id from the address bar, or None for anything that cannot be one (never an exception)."""
    if value is None or not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None
