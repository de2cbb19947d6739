"""Forgotten password: ask for a link by email, then choose a new password with it."""

from __future__ import annotations

import streamlit as st

from course import mail, passwords
from course.accounts import MAX_EMAIL_LENGTH, MAX_PASSWORD_LENGTH, AccountError, SignUpError
from course.clock import utcnow
from course.ui import resources
from course.ui.session import client_address, current_user, forget_user

SIGN_IN = "course/ui/pages/sign_in.py"
FORGOT = "course/ui/pages/forgot_password.py"
_SENT = "password-reset-sent"


def _back() -> None:
    """Back to the sign-in form, or home for someone already signed in (no sign-in page then)."""
    if current_user() is None:
        st.page_link(SIGN_IN, label="Back to sign in", icon=":material/login:")
    else:
        st.page_link("course/ui/pages/home.py", label="Back to your home page", icon=":material/home:")


def _settings() -> mail.SmtpSettings | None:
    try:
        settings = mail.load_smtp()
        settings.require_ready()
    except mail.EmailNotConfigured:
        return None
    return settings


def forgot() -> None:
    st.title("Forgotten your password?")
    settings = _settings()
    if settings is None:
        st.info(
            "This site does not send email, so it cannot send you a reset link. Ask your course "
            "administrator to reset your password for you."
        )
        _back()
        return
    st.write("Type the email address you sign in with, and we will send you a link to choose a new password.")
    with st.form("forgot-password"):
        email = st.text_input("Email", autocomplete="email", max_chars=MAX_EMAIL_LENGTH)
        submitted = st.form_submit_button("Send me a link", type="primary")
    if submitted:
        if not email.strip():
            st.error("Type your email address.")
        elif not passwords.request_allowed(client_address(), email):
            st.error(passwords.TOO_MANY)
        else:
            request = passwords.request_reset(resources.store(), email, now=utcnow())
            if request is not None:
                subject, body = passwords.reset_email(request, settings.public_url)
                mail.send_in_background(settings, mail.message(settings, request.user.email, subject, body))
            st.session_state[_SENT] = True
    if st.session_state.get(_SENT):
        st.success(passwords.REQUEST_ANSWER)
    _back()


def reset() -> None:
    st.title("Choose a new password")
    token = st.query_params.get("token")
    if token:
        st.session_state.pop("password-reset-done", None)  # a new link in the same tab starts afresh
    if st.session_state.get("password-reset-done"):
        st.success("Your password has been changed, and every other session signed out. Sign in with it now.")
        _back()
        return
    if not token or not passwords.link_is_valid(resources.store(), token, now=utcnow()):
        st.error(passwords.LINK_INVALID)
        st.page_link(FORGOT, label="Ask for a new link", icon=":material/key:")
        return
    with st.form("reset-password"):
        password = st.text_input(
            "New password",
            type="password",
            autocomplete="new-password",
            help="At least 10 characters.",
            max_chars=MAX_PASSWORD_LENGTH,
        )
        confirm = st.text_input(
            "Repeat the new password", type="password", autocomplete="new-password", max_chars=MAX_PASSWORD_LENGTH
        )
        submitted = st.form_submit_button("Change my password", type="primary")
    if not submitted:
        return
    if password != confirm:
        st.error("The two passwords differ. Please type them again.")
        return
    try:
        passwords.reset_password(resources.store(), token, password, now=utcnow())
    except SignUpError as exc:
        for problem in exc.problems:
            st.error(problem)
        return
    except AccountError as exc:
        st.error(exc.message)
        return
    forget_user()  # every session was revoked, this browser's too
    st.session_state["password-reset-done"] = True
    st.query_params.clear()  # the used token leaves the address bar
    st.rerun()
