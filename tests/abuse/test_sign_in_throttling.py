"""Limits on what a signed-out client can make the server do, through the real sign-in and sign-up pages.

Issue 16: five wrong passwords locked any account (an admin's too) for 15 minutes, for anyone; one
password could be tried over any number of emails; 40 simultaneous sign-ins took every other
learner's page from 0.05 s to 21 s. Now: throttles per client (and per client and email, per client
and password), never a lock on the account; a bounded gate before argon2.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from limits import RateLimitItemPerHour
from streamlit.testing.v1 import AppTest

from course import accounts, ratelimit
from course.accounts import BUSY, SIGN_IN_FAILED, THROTTLE_FAILURES, Role, User
from course.store.db import Store
from course.ui import forms
from tests.ui.conftest import APP, texts

MakeUser = Callable[..., User]
PASSWORD = "correct horse battery"  # the password make_user gives everyone
THROTTLED = "Too many unsuccessful sign-in attempts from here. Please wait"


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Choose the network address the sign-in page sees (AppTest has no real client)."""

    def use(address: str) -> None:
        monkeypatch.setattr(forms, "client_address", lambda: address)

    use("198.51.100.7")
    return use


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every argon2 check the server runs (the expensive part)."""
    seen: list[str] = []
    real = accounts._verify

    def spy(password_hash: str, password: str) -> bool:
        seen.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(accounts, "_verify", spy)
    return seen


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


def throttled(at: AppTest) -> bool:
    return any(t.startswith(THROTTLED) for t in texts(at.error)) and "handoff_url" not in at.session_state


def test_a_stranger_cannot_lock_an_admin_out(
    app_store: Store, make_user: MakeUser, client: Callable[[str], None], checks: list[str]
) -> None:
    make_user(role=Role.ADMIN, email="admin@example.org", name="Ada Admin")
    client("203.0.113.66")  # the stranger
    for n in range(THROTTLE_FAILURES):
        assert texts(try_sign_in("admin@example.org", f"wrong guess number {n}").error) == [SIGN_IN_FAILED]
    checked = len(checks)
    assert throttled(try_sign_in("ADMIN@example.org", "yet another guess"))  # however the address is typed
    assert len(checks) == checked, "a throttled attempt must be refused before the password check"
    # The owner, from her own machine, signs in at once: nothing is locked.
    client("192.0.2.10")
    assert signed_in_ok(try_sign_in("admin@example.org", PASSWORD))


def test_one_password_over_many_emails_is_throttled(
    app_store: Store, make_user: MakeUser, client: Callable[[str], None], checks: list[str]
) -> None:
    make_user(email="real@example.org", name="Rea Real")
    for n in range(THROTTLE_FAILURES):
        assert texts(try_sign_in(f"person{n}@example.org", "Summer2026!!").error) == [SIGN_IN_FAILED]
    checked = len(checks)
    assert throttled(try_sign_in("real@example.org", "Summer2026!!"))
    assert len(checks) == checked
    # Another password from the same client is still checked, and the real owner is unaffected.
    assert signed_in_ok(try_sign_in("real@example.org", PASSWORD))


def test_a_flood_from_one_client_is_refused_before_hashing(
    app_store: Store, client: Callable[[str], None], checks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real limit is 20 a minute; AppTest runs take seconds each on a busy machine, so the test
    # uses the same moving window with fewer attempts over a longer period.
    monkeypatch.setattr(accounts, "SIGN_IN_PER_CLIENT", ratelimit.Limit("sign-in:client", RateLimitItemPerHour(4)))
    refused = 0
    for n in range(4 + 3):
        at = try_sign_in(f"made-up-{n}@example.org", f"password number {n}")
        refused += any("Too many sign-in attempts from here" in t for t in texts(at.error))
    assert refused == 3
    assert len(checks) == 4
    client("192.0.2.55")  # another client is not affected
    assert texts(try_sign_in("someone@example.org", "whatever password").error) == [SIGN_IN_FAILED]


@contextmanager
def gate_held_by_someone_else() -> Iterator[None]:
    """A gate of one slot and no queue, held by another sign-in meanwhile."""
    original = ratelimit.hashing_slot()
    gate = ratelimit.HashingGate(concurrency=1, queue=0, wait=0.1)
    ratelimit.set_gate(gate)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with gate.slot():
            holding.set()
            release.wait(30)

    worker = threading.Thread(target=hold)
    worker.start()
    holding.wait(5)
    try:
        yield
    finally:
        release.set()
        worker.join()
        ratelimit.set_gate(original)


def test_sign_in_beyond_the_hashing_gate_is_told_to_try_again(
    app_store: Store, make_user: MakeUser, client: Callable[[str], None], checks: list[str]
) -> None:
    make_user(email="busy@example.org", name="Bea Busy")
    with gate_held_by_someone_else():
        at = try_sign_in("busy@example.org", PASSWORD)
    assert texts(at.error) == [BUSY]
    assert checks == []
    assert "handoff_url" not in at.session_state
    assert signed_in_ok(try_sign_in("busy@example.org", PASSWORD))  # and shortly after, it works


def test_sign_in_for_unknown_and_known_emails_costs_one_check_each(
    app_store: Store, make_user: MakeUser, client: Callable[[str], None], checks: list[str]
) -> None:
    make_user(email="known@example.org", name="Kay Known")
    assert texts(try_sign_in("known@example.org", "a wrong password").error) == [SIGN_IN_FAILED]
    assert texts(try_sign_in("unknown@example.org", "a wrong password").error) == [SIGN_IN_FAILED]
    assert checks == ["a wrong password", "a wrong password"]


def test_over_long_sign_in_fields_are_refused_without_hashing(
    app_store: Store, client: Callable[[str], None], checks: list[str]
) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("course/ui/pages/sign_in.py").run()
    # max_chars is only the browser's limit: set the value as a raw websocket client would.
    at.text_input[0].set_value("a" * 5000 + "@example.org")
    at.text_input[1].set_value("p" * 100_000)
    at.button[0].click().run()
    assert texts(at.error) == [SIGN_IN_FAILED]
    # Streamlit cuts a value at the box's max_chars on the server; the engine refuses longer ones.
    assert all(len(password) <= accounts.MAX_PASSWORD_LENGTH for password in checks)
