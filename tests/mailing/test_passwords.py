"""Password reset: single-use, expiring links stored as hashes; the same answer for every address."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from course import accounts, passwords
from course.accounts import AccountError, Role, SignInError, SignUpError
from course.store.db import Store
from course.store.models import PasswordResetRow
from tests.cpd.helpers import person

NEW = "a brand new password"
OLD = "a long password 1"


def test_a_link_sets_a_new_password_once_and_signs_out_everywhere(store: Store, now: datetime) -> None:
    lee = person(store, now, "lee@example.org")
    session = accounts.start_session(store, lee.id, now=now)
    request = passwords.request_reset(store, " Lee@Example.org ", now=now)
    assert request is not None and request.user.id == lee.id
    with store.read() as conn:
        stored = conn.execute(select(PasswordResetRow.token_hash)).scalar_one()
    assert stored == hashlib.sha256(request.token.encode()).hexdigest() and request.token not in stored
    assert passwords.link_is_valid(store, request.token, now=now)
    passwords.reset_password(store, request.token, NEW, now=now + timedelta(minutes=5))
    assert accounts.authenticate(store, email="lee@example.org", password=NEW, now=now + timedelta(minutes=6))
    with pytest.raises(SignInError):
        accounts.authenticate(store, email="lee@example.org", password=OLD, now=now + timedelta(minutes=7))
    assert accounts.user_for_session(store, session, now=now + timedelta(minutes=6)) is None
    with pytest.raises(AccountError, match="expired or has already been used"):
        passwords.reset_password(store, request.token, "yet another password", now=now + timedelta(minutes=8))


def test_a_link_expires(store: Store, now: datetime) -> None:
    person(store, now, "lee@example.org")
    request = passwords.request_reset(store, "lee@example.org", now=now)
    assert request is not None
    late = now + passwords.RESET_TTL + timedelta(seconds=1)
    assert not passwords.link_is_valid(store, request.token, now=late)
    with pytest.raises(AccountError, match="expired"):
        passwords.reset_password(store, request.token, NEW, now=late)


def test_a_weak_password_does_not_use_up_the_link(store: Store, now: datetime) -> None:
    person(store, now, "lee@example.org")
    request = passwords.request_reset(store, "lee@example.org", now=now)
    assert request is not None
    with pytest.raises(SignUpError, match="at least 10"):
        passwords.reset_password(store, request.token, "short", now=now)
    passwords.reset_password(store, request.token, NEW, now=now)


def test_using_one_link_cancels_the_others(store: Store, now: datetime) -> None:
    person(store, now, "lee@example.org")
    first = passwords.request_reset(store, "lee@example.org", now=now)
    second = passwords.request_reset(store, "lee@example.org", now=now)
    assert first is not None and second is not None
    passwords.reset_password(store, second.token, NEW, now=now)
    assert not passwords.link_is_valid(store, first.token, now=now)


@pytest.mark.parametrize("email", ["nobody@example.org", "", "oidc@example.org", "gone@example.org"])
def test_no_link_for_an_address_without_a_password_account(store: Store, now: datetime, email: str) -> None:
    accounts.upsert_oidc_user(
        store, subject="https://idp|1", email="oidc@example.org", display_name="O", role=Role.LEARNER, now=now
    )
    gone = person(store, now, "gone@example.org")
    accounts.delete_user(store, gone.id, now=now)
    assert passwords.request_reset(store, email, now=now) is None


def test_at_most_a_few_links_are_outstanding_per_account(store: Store, now: datetime) -> None:
    person(store, now, "lee@example.org")
    issued = [passwords.request_reset(store, "lee@example.org", now=now) for _ in range(passwords.MAX_OUTSTANDING + 2)]
    assert sum(r is not None for r in issued) == passwords.MAX_OUTSTANDING
    later = now + passwords.RESET_TTL + timedelta(minutes=1)  # once they expire, a new one can be sent
    assert passwords.request_reset(store, "lee@example.org", now=later) is not None


def test_forged_tokens_are_refused(store: Store, now: datetime) -> None:
    person(store, now, "lee@example.org")
    for token in ("", "x", "a" * 5000, "../../etc/passwd"):
        assert not passwords.link_is_valid(store, token, now=now)
        with pytest.raises(AccountError):
            passwords.reset_password(store, token, NEW, now=now)


def test_requests_are_limited_per_client_and_per_address() -> None:
    passwords.reset_limiter()
    assert all(passwords.request_allowed("10.0.0.1", f"a{i}@example.org") for i in range(5))
    assert not passwords.request_allowed("10.0.0.1", "another@example.org")  # 5 per client per 15 min
    assert all(passwords.request_allowed(f"10.0.1.{i}", "victim@example.org") for i in range(3))
    assert not passwords.request_allowed("10.0.2.1", "Victim@Example.org")  # 3 per address per hour
    passwords.reset_limiter()


def test_the_email_gives_the_link_and_its_expiry_in_the_recipients_zone(store: Store, now: datetime) -> None:
    person(store, now, "lee@example.org", name="Lee")
    request = passwords.request_reset(store, "lee@example.org", now=now)
    assert request is not None
    subject, text = passwords.reset_email(request, "https://course.example.org")
    assert subject == "Reset your Relational Prescribing password"
    assert f"https://course.example.org/reset?token={request.token}" in text
    assert "14 Mar 2025, 10:30 UTC" in text  # now is 09:30 UTC; the link lasts an hour


def test_admin_command_resets_a_password(tmp_path: Path, now: datetime) -> None:
    env = {"COURSE_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    repo = Path(__file__).resolve().parents[2]

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "course", *args], input=stdin, capture_output=True, text=True, env=env, cwd=repo
        )

    assert (
        run(
            "users", "add", "--email", "lee@example.org", "--name", "Lee", "--password-stdin", stdin=OLD + "\n"
        ).returncode
        == 0
    )
    done = run("users", "reset-password", "--email", "lee@example.org", "--password-stdin", stdin=NEW + "\n")
    assert done.returncode == 0, done.stderr
    assert "signed out" in done.stdout
    weak = run("users", "reset-password", "--email", "lee@example.org", "--password-stdin", stdin="short\n")
    assert weak.returncode == 1 and "at least 10" in weak.stderr
    missing = run("users", "reset-password", "--email", "nobody@example.org", "--password-stdin", stdin=NEW + "\n")
    assert missing.returncode == 1 and "no account" in missing.stderr
    from course.store.db import Store as OpenStore
    from course.store.db import database_url

    store = OpenStore.open(database_url({"COURSE_DATA_DIR": str(tmp_path)}))
    try:
        assert accounts.authenticate(store, email="lee@example.org", password=NEW, now=datetime.now(now.tzinfo))
    finally:
        store.close()
