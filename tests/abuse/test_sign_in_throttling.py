"""Sign-in throttling through the real sign-in page (AppTest), not just the engine function."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from course.accounts import SIGN_IN_FAILED, THROTTLE_FAILURES, THROTTLE_WINDOW, User
from course.clock import utcnow
from course.store.db import Store
from course.ui import forms
from tests.ui.conftest import APP, texts

MakeUser = Callable[..., User]
PASSWORD = "correct horse battery"  # the password make_user gives everyone
LOCKED = "Too many unsuccessful sign-in attempts. Please wait 15 minutes and try again."


def try_sign_in(email: str, password: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30).run()  # a fresh browser session each time
    at.switch_page("course/ui/pages/sign_in.py").run()  # "/" is the public course page
    at.text_input[0].input(email)
    at.text_input[1].input(password)
    at.button[0].click().run()
    assert not at.exception
    return at


def signed_in_ok(at: AppTest) -> bool:
    return any(t.startswith("Welcome, ") for t in texts(at.success)) and not at.error


def test_sixth_attempt_is_locked_even_with_the_right_password(app_store: Store, make_user: MakeUser) -> None:
    make_user(email="target@example.org", name="Tara Target")
    make_user(email="bystander@example.org", name="Bo Bystander")
    for n in range(THROTTLE_FAILURES):
        at = try_sign_in("target@example.org", f"wrong guess number {n}")
        assert texts(at.error) == [SIGN_IN_FAILED], f"failure {n + 1} should look like any wrong password"

    at = try_sign_in("target@example.org", PASSWORD)
    assert texts(at.error) == [LOCKED]
    assert not at.success and "handoff_url" not in at.session_state  # no session was issued

    # The lock is on the address however it is typed, not on the exact string.
    assert texts(try_sign_in("  TARGET@Example.org ", PASSWORD).error) == [LOCKED]
    # Another address is unaffected, from the same machine, at the same moment.
    assert signed_in_ok(try_sign_in("bystander@example.org", PASSWORD))
    # An unknown address is throttled the same way (no hint whether an account exists).
    for n in range(THROTTLE_FAILURES):
        try_sign_in("nobody@example.org", f"guess {n}")
    assert texts(try_sign_in("nobody@example.org", PASSWORD).error) == [LOCKED]


def test_the_lock_lifts_after_the_window(
    app_store: Store, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(email="patient@example.org", name="Pat Patient")
    for n in range(THROTTLE_FAILURES):
        try_sign_in("patient@example.org", f"wrong {n}")
    assert texts(try_sign_in("patient@example.org", PASSWORD).error) == [LOCKED]

    later: datetime = utcnow() + THROTTLE_WINDOW + timedelta(minutes=1)
    monkeypatch.setattr(forms, "utcnow", lambda: later)  # the sign-in form's clock
    assert signed_in_ok(try_sign_in("patient@example.org", PASSWORD))
