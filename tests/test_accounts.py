from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, update

from course import accounts
from course.accounts import (
    EMAIL_TAKEN,
    SIGN_IN_FAILED,
    AccountError,
    Role,
    SignInError,
    SignUpError,
    ThrottledError,
    User,
    authenticate,
    create_user_admin,
    delete_user,
    end_all_sessions,
    end_session,
    find_user_by_email,
    get_user,
    issue_handoff,
    redeem_handoff,
    set_role,
    sign_up,
    start_session,
    upsert_oidc_user,
    user_for_session,
)
from course.store.db import Store
from course.store.models import AuthTokenRow, LoginAttemptRow, UserRow

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2id parameters: the defaults cost ~150 ms per hash or check on a small machine."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    accounts._dummy_hash.cache_clear()


@pytest.fixture
def production_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher())
    accounts._dummy_hash.cache_clear()


@pytest.fixture
def alice(store: Store, now: datetime) -> User:
    return sign_up(store, email="  Alice@Example.ORG ", display_name="  Alice  ", password=PASSWORD, now=now)


def _fail_sign_in(store: Store, email: str, at: datetime) -> None:
    with pytest.raises(SignInError):
        authenticate(store, email=email, password="wrong password", now=at)


# --- signing up -------------------------------------------------------------------------------


def test_sign_up_normalises_email_and_name_and_hashes_with_argon2id_defaults(
    production_hashing: None, store: Store, now: datetime
) -> None:
    alice = sign_up(store, email="  Alice@Example.ORG ", display_name="  Alice  ", password=PASSWORD, now=now)
    assert alice == User(id=alice.id, email="alice@example.org", display_name="Alice", role=Role.LEARNER)
    with store.read() as connection:
        stored_hash = connection.execute(select(UserRow.password_hash)).scalar_one()
    assert stored_hash is not None
    assert stored_hash.startswith("$argon2id$")
    assert not PasswordHasher().check_needs_rehash(stored_hash)
    assert PASSWORD not in stored_hash


def test_sign_up_reports_every_problem_at_once(store: Store, now: datetime) -> None:
    with pytest.raises(SignUpError) as raised:
        sign_up(store, email="not-an-email", display_name="   ", password="short", now=now)
    assert raised.value.problems == [
        "Enter a valid email address, like name@example.org.",
        "Enter a display name.",
        "Password must be at least 10 characters.",
    ]
    assert raised.value.message == " ".join(raised.value.problems)
    assert isinstance(raised.value, AccountError)
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize(
    ("email", "display_name", "password", "problem"),
    [
        ("a@b", "Name", PASSWORD, "Enter a valid email address, like name@example.org."),
        ("a@@b.org", "Name", PASSWORD, "Enter a valid email address, like name@example.org."),
        ("a b@example.org", "Name", PASSWORD, "Enter a valid email address, like name@example.org."),
        ("a@example.", "Name", PASSWORD, "Enter a valid email address, like name@example.org."),
        ("", "Name", PASSWORD, "Enter your email address."),
        ("a@" + "b" * 250 + ".org", "Name", PASSWORD, "Email address must be at most 254 characters."),
        ("a@example.org", "N" * 81, PASSWORD, "Display name must be at most 80 characters."),
        ("a@example.org", "Tab\there", PASSWORD, "Display name must not contain control characters"),
        ("a@example.org", "Name", "x" * 1025, "Password must be at most 1024 characters."),
        ("Long.Email@Example.org", "Name", "long.email@example.org", "Password must not be the same as your email"),
    ],
)
def test_sign_up_validation_messages(
    store: Store, now: datetime, email: str, display_name: str, password: str, problem: str
) -> None:
    with pytest.raises(SignUpError) as raised:
        sign_up(store, email=email, display_name=display_name, password=password, now=now)
    assert len(raised.value.problems) == 1
    assert raised.value.problems[0].startswith(problem)


def test_boundary_lengths_are_accepted(store: Store, now: datetime) -> None:
    user = sign_up(store, email="b@example.org", display_name="N" * 80, password="p" * 10, now=now)
    assert user.display_name == "N" * 80


def test_duplicate_email_is_refused_whatever_its_case(store: Store, alice: User, now: datetime) -> None:
    with pytest.raises(SignUpError) as raised:
        sign_up(store, email="ALICE@example.org", display_name="Other", password=PASSWORD, now=now)
    assert raised.value.message == EMAIL_TAKEN == "An account with this email already exists."


def test_a_taken_email_is_not_reported_before_other_problems(store: Store, alice: User, now: datetime) -> None:
    with pytest.raises(SignUpError) as raised:
        sign_up(store, email="alice@example.org", display_name="Other", password="short", now=now)
    assert raised.value.problems == [
        "Password must be at least 10 characters."
    ]  # taken is said only once all else is valid


def test_create_user_admin_sets_the_role_and_validates_like_sign_up(store: Store, now: datetime) -> None:
    admin = create_user_admin(
        store, email="admin@example.org", display_name="Admin", password=PASSWORD, role=Role.ADMIN, now=now
    )
    assert admin.role is Role.ADMIN
    assert get_user(store, admin.id) == admin
    with pytest.raises(SignUpError, match="at least 10"):
        create_user_admin(
            store, email="ed@example.org", display_name="Ed", password="short", role=Role.EDUCATOR, now=now
        )


# --- looking people up ------------------------------------------------------------------------


def test_get_and_find_users(store: Store, alice: User) -> None:
    assert get_user(store, alice.id) == alice
    assert get_user(store, alice.id + 1000) is None
    assert find_user_by_email(store, " ALICE@example.org") == alice
    assert find_user_by_email(store, "bob@example.org") is None


def test_set_role_changes_the_role(store: Store, alice: User) -> None:
    set_role(store, alice.id, Role.EDUCATOR)
    assert get_user(store, alice.id) == User(alice.id, alice.email, alice.display_name, Role.EDUCATOR)
    with pytest.raises(LookupError):
        set_role(store, alice.id + 1000, Role.ADMIN)


def test_deleted_users_are_not_found(store: Store, alice: User, now: datetime) -> None:
    delete_user(store, alice.id, now=now)
    assert get_user(store, alice.id) is None
    assert find_user_by_email(store, alice.email) is None


# --- signing in -------------------------------------------------------------------------------


def test_sign_in_with_the_right_password_and_any_email_case(store: Store, alice: User, now: datetime) -> None:
    assert authenticate(store, email=" ALICE@example.org ", password=PASSWORD, now=now) == alice


def test_unknown_user_and_wrong_password_get_the_identical_message(store: Store, alice: User, now: datetime) -> None:
    with pytest.raises(SignInError) as unknown:
        authenticate(store, email="nobody@example.org", password=PASSWORD, now=now)
    with pytest.raises(SignInError) as wrong:
        authenticate(store, email=alice.email, password="wrong password", now=now)
    assert unknown.value.message == wrong.value.message == SIGN_IN_FAILED == "Email or password is incorrect."
    assert str(unknown.value) == str(wrong.value)


def test_unknown_user_still_pays_for_a_password_check(
    store: Store, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real_verify = accounts._verify

    def spy(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return real_verify(password_hash, password)

    monkeypatch.setattr(accounts, "_verify", spy)
    with pytest.raises(SignInError):
        authenticate(store, email="nobody@example.org", password=PASSWORD, now=now)
    assert len(checked) == 1
    assert checked[0].startswith("$argon2id$")


def test_every_checked_attempt_is_recorded(store: Store, alice: User, now: datetime) -> None:
    authenticate(store, email=alice.email, password=PASSWORD, now=now)
    _fail_sign_in(store, "Nobody@Example.org", now)
    with store.read() as connection:
        attempts = connection.execute(
            select(LoginAttemptRow.email, LoginAttemptRow.succeeded, LoginAttemptRow.attempted_at).order_by(
                LoginAttemptRow.id
            )
        ).all()
    assert [tuple(attempt) for attempt in attempts] == [
        ("alice@example.org", True, now),
        ("nobody@example.org", False, now),
    ]


def test_deleted_user_cannot_sign_in(store: Store, alice: User, now: datetime) -> None:
    delete_user(store, alice.id, now=now)
    with pytest.raises(SignInError) as raised:
        authenticate(store, email=alice.email, password=PASSWORD, now=now)
    assert raised.value.message == SIGN_IN_FAILED


def test_oidc_only_user_cannot_sign_in_with_a_password(store: Store, now: datetime) -> None:
    upsert_oidc_user(
        store, subject="https://idp|1", email="o@example.org", display_name="O", role=Role.LEARNER, now=now
    )
    with pytest.raises(SignInError, match="Email or password is incorrect"):
        authenticate(store, email="o@example.org", password=PASSWORD, now=now)


def test_weak_hash_is_replaced_on_successful_sign_in(
    production_hashing: None, store: Store, alice: User, now: datetime
) -> None:
    weak_hash = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with store.write() as connection:
        connection.execute(update(UserRow).where(UserRow.id == alice.id).values(password_hash=weak_hash))

    assert authenticate(store, email=alice.email, password=PASSWORD, now=now) == alice

    with store.read() as connection:
        new_hash = connection.execute(select(UserRow.password_hash).where(UserRow.id == alice.id)).scalar_one()
    assert new_hash is not None
    assert new_hash != weak_hash
    assert not PasswordHasher().check_needs_rehash(new_hash)
    assert PasswordHasher().verify(new_hash, PASSWORD)


def test_weak_hash_is_kept_when_the_password_is_wrong(
    production_hashing: None, store: Store, alice: User, now: datetime
) -> None:
    weak_hash = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with store.write() as connection:
        connection.execute(update(UserRow).where(UserRow.id == alice.id).values(password_hash=weak_hash))
    _fail_sign_in(store, alice.email, now)
    with store.read() as connection:
        assert connection.execute(select(UserRow.password_hash)).scalar_one() == weak_hash


# --- throttling (per client, never a lock on the account: issue 16) ---------------------------


def test_failures_from_one_client_throttle_that_client_only(store: Store, alice: User, now: datetime) -> None:
    for _ in range(5):
        with pytest.raises(SignInError):
            authenticate(store, email=alice.email, password="wrong password", now=now, client="203.0.113.66")
    with pytest.raises(ThrottledError) as raised:
        authenticate(store, email=alice.email, password=PASSWORD, now=now, client="203.0.113.66")
    assert "wait 15 minutes" in raised.value.message and isinstance(raised.value, AccountError)
    assert authenticate(store, email=alice.email, password=PASSWORD, now=now, client="192.0.2.10") == alice


def test_throttling_applies_to_emails_without_an_account(store: Store, now: datetime) -> None:
    for _ in range(5):
        with pytest.raises(SignInError):
            authenticate(store, email="ghost@example.org", password="wrong password", now=now, client="c")
    with pytest.raises(ThrottledError):
        authenticate(store, email="GHOST@example.org", password=PASSWORD, now=now, client="c")


def test_a_successful_sign_in_clears_that_clients_failures(store: Store, alice: User, now: datetime) -> None:
    for _ in range(4):
        with pytest.raises(SignInError):
            authenticate(store, email=alice.email, password=f"wrong password {_}", now=now, client="c")
    authenticate(store, email=alice.email, password=PASSWORD, now=now, client="c")
    with pytest.raises(SignInError):
        authenticate(store, email=alice.email, password="wrong password x", now=now, client="c")
    assert authenticate(store, email=alice.email, password=PASSWORD, now=now, client="c") == alice


# --- emails that look alike (issue 16) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("\u0430lice@example.org", accounts.EMAIL_LOOKALIKE),  # Cyrillic a among Latin letters
        ("alice@ex\u0430mple.org", accounts.EMAIL_LOOKALIKE),  # ... in the domain
        ("al\u200bice@example.org", accounts.EMAIL_FORMAT_CHARACTER),  # zero-width space
        ("alice@exa\u200dmple.org", accounts.EMAIL_FORMAT_CHARACTER),  # zero-width joiner in the domain
        ("alice\u00ad@example.org", accounts.EMAIL_FORMAT_CHARACTER),  # soft hyphen
        ("a@[127.0.0.1]", accounts.EMAIL_LITERAL),  # address literal
        ("a@[IPv6:::1]", accounts.EMAIL_LITERAL),
    ],
)
def test_look_alike_addresses_are_refused_at_sign_up(
    store: Store, alice: User, now: datetime, typed: str, problem: str
) -> None:
    with pytest.raises(SignUpError) as raised:
        sign_up(store, email=typed, display_name="Mallory", password=PASSWORD, now=now)
    assert raised.value.problems == [problem]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("\uff21lice@Example.ORG", "alice@example.org"),  # full-width A (NFKC)
        ("zo\u00eb@B\u00fccher.Example", "zo\u00eb@xn--bcher-kva.example"),  # IDNA domain, accented local part
        ("tanaka@\u4f8b\u3048.jp", "tanaka@xn--r8jz45g.jp"),  # Han and Hiragana together are one writing system
    ],
)
def test_addresses_are_stored_and_matched_in_one_form(store: Store, now: datetime, typed: str, stored: str) -> None:
    user = sign_up(store, email=typed, display_name="Someone", password=PASSWORD, now=now)
    assert user.email == stored
    assert authenticate(store, email=typed, password=PASSWORD, now=now) == user
    assert find_user_by_email(store, stored) == user
    with pytest.raises(SignUpError, match="already exists"):
        sign_up(
            store, email=stored.upper() if stored.isascii() else stored, display_name="X", password=PASSWORD, now=now
        )


def test_sign_up_for_a_taken_email_still_hashes(
    store: Store, alice: User, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed: list[str] = []
    real = accounts._hasher

    class Spy:
        def hash(self, password: str) -> str:
            hashed.append(password)
            return real.hash(password)

    monkeypatch.setattr(accounts, "_hasher", Spy())
    with pytest.raises(SignUpError, match="already exists"):
        sign_up(store, email=alice.email, display_name="Other", password="another password 1", now=now)
    sign_up(store, email="new@example.org", display_name="New", password="another password 2", now=now)
    assert hashed == ["another password 1", "another password 2"]


# --- sessions ---------------------------------------------------------------------------------


def test_session_token_identifies_the_user_and_only_its_hash_is_stored(
    store: Store, alice: User, now: datetime
) -> None:
    token = start_session(store, alice.id, now=now)
    assert len(token) >= 43
    assert user_for_session(store, token, now=now) == alice
    with store.read() as connection:
        stored = connection.execute(select(AuthTokenRow.token_hash, AuthTokenRow.kind)).one()
    assert stored.kind == "session"
    assert token not in stored.token_hash
    assert len(stored.token_hash) == 64


@pytest.mark.parametrize("token", [None, "", "not-a-real-token"])
def test_missing_or_unknown_tokens_give_no_user(store: Store, alice: User, now: datetime, token: str | None) -> None:
    start_session(store, alice.id, now=now)
    assert user_for_session(store, token, now=now) is None


def test_sessions_expire(store: Store, alice: User, now: datetime) -> None:
    token = start_session(store, alice.id, now=now, ttl=timedelta(hours=1))
    assert user_for_session(store, token, now=now + timedelta(minutes=59)) == alice
    assert user_for_session(store, token, now=now + timedelta(hours=1)) is None


def test_default_session_lasts_thirty_days(store: Store, alice: User, now: datetime) -> None:
    token = start_session(store, alice.id, now=now)
    assert user_for_session(store, token, now=now + timedelta(days=30, seconds=-1)) == alice
    assert user_for_session(store, token, now=now + timedelta(days=30)) is None


def test_end_session_revokes_only_that_session(store: Store, alice: User, now: datetime) -> None:
    ended = start_session(store, alice.id, now=now)
    kept = start_session(store, alice.id, now=now)
    end_session(store, ended, now=now)
    assert user_for_session(store, ended, now=now) is None
    assert user_for_session(store, kept, now=now) == alice


def test_end_all_sessions_revokes_sessions_and_pending_handoffs(store: Store, alice: User, now: datetime) -> None:
    sessions = [start_session(store, alice.id, now=now) for _ in range(2)]
    handoff = issue_handoff(store, alice.id, now=now)
    end_all_sessions(store, alice.id, now=now)
    assert [user_for_session(store, token, now=now) for token in sessions] == [None, None]
    assert redeem_handoff(store, handoff, now=now) is None


def test_deleted_users_sessions_give_no_user(store: Store, alice: User, now: datetime) -> None:
    token = start_session(store, alice.id, now=now)
    with store.write() as connection:
        # Deleted directly, as another tool might, to check the session lookup itself.
        connection.execute(update(UserRow).where(UserRow.id == alice.id).values(deleted_at=now))
    assert user_for_session(store, token, now=now) is None


def test_a_handoff_is_not_a_session(store: Store, alice: User, now: datetime) -> None:
    handoff = issue_handoff(store, alice.id, now=now)
    assert user_for_session(store, handoff, now=now) is None


# --- one-time handoff -------------------------------------------------------------------------


def test_handoff_is_exchanged_once_for_a_new_session(store: Store, alice: User, now: datetime) -> None:
    handoff = issue_handoff(store, alice.id, now=now)
    session = redeem_handoff(store, handoff, now=now + timedelta(seconds=5))
    assert session is not None
    assert session != handoff
    assert user_for_session(store, session, now=now) == alice
    assert redeem_handoff(store, handoff, now=now + timedelta(seconds=6)) is None


def test_handoff_expires_after_sixty_seconds(store: Store, alice: User, now: datetime) -> None:
    handoff = issue_handoff(store, alice.id, now=now)
    assert redeem_handoff(store, handoff, now=now + timedelta(seconds=60)) is None


@pytest.mark.parametrize("token", [None, "", "made-up"])
def test_unknown_handoffs_are_refused(store: Store, now: datetime, token: str | None) -> None:
    assert redeem_handoff(store, token, now=now) is None


def test_a_session_token_cannot_be_redeemed_as_a_handoff(store: Store, alice: User, now: datetime) -> None:
    session = start_session(store, alice.id, now=now)
    assert redeem_handoff(store, session, now=now) is None


def test_concurrent_redeems_of_one_handoff_yield_exactly_one_session(store: Store, alice: User, now: datetime) -> None:
    handoff = issue_handoff(store, alice.id, now=now)
    racers = 8
    start = threading.Barrier(racers)
    results: list[str | None] = []
    errors: list[BaseException] = []

    def redeem() -> None:
        start.wait()
        try:
            results.append(redeem_handoff(store, handoff, now=now))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=redeem, daemon=True) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    sessions = [token for token in results if token is not None]
    assert len(results) == racers
    assert len(sessions) == 1
    assert user_for_session(store, sessions[0], now=now) == alice
    with store.read() as connection:
        session_rows = connection.execute(
            select(func.count()).select_from(AuthTokenRow).where(AuthTokenRow.kind == "session")
        ).scalar_one()
    assert session_rows == 1


# --- OIDC -------------------------------------------------------------------------------------


def test_oidc_sign_in_creates_then_updates_the_same_account(store: Store, now: datetime) -> None:
    first = upsert_oidc_user(
        store, subject="https://idp|abc", email="Dana@Example.org", display_name="Dana", role=Role.LEARNER, now=now
    )
    assert first == User(first.id, "dana@example.org", "Dana", Role.LEARNER)

    again = upsert_oidc_user(
        store,
        subject="https://idp|abc",
        email="dana.new@example.org",
        display_name="Dana N.",
        role=Role.EDUCATOR,
        now=now,
    )
    assert again == User(first.id, "dana.new@example.org", "Dana N.", Role.EDUCATOR)
    assert get_user(store, first.id) == again
    with store.read() as connection:
        row = connection.execute(select(UserRow.password_hash, UserRow.oidc_subject)).one()
    assert tuple(row) == (None, "https://idp|abc")


def test_oidc_display_name_is_cleaned_rather_than_refused(store: Store, now: datetime) -> None:
    long_name = "  Ed\n Smith " + "x" * 100
    user = upsert_oidc_user(
        store, subject="iss|1", email="e@example.org", display_name=long_name, role=Role.LEARNER, now=now
    )
    assert user.display_name.startswith("Ed Smith x")
    assert len(user.display_name) == 80
    nameless = upsert_oidc_user(
        store, subject="iss|2", email="f.g@example.org", display_name=" ", role=Role.LEARNER, now=now
    )
    assert nameless.display_name == "f.g"


def test_oidc_does_not_take_over_an_existing_password_account(store: Store, alice: User, now: datetime) -> None:
    with pytest.raises(SignInError, match="already exists"):
        upsert_oidc_user(store, subject="iss|alice", email=alice.email, display_name="Alice", role=Role.ADMIN, now=now)
    assert get_user(store, alice.id) == alice


def test_deleted_oidc_user_cannot_come_back(store: Store, now: datetime) -> None:
    user = upsert_oidc_user(
        store, subject="iss|gone", email="gone@example.org", display_name="Gone", role=Role.LEARNER, now=now
    )
    delete_user(store, user.id, now=now)
    with pytest.raises(SignInError, match="closed"):
        upsert_oidc_user(
            store, subject="iss|gone", email="gone@example.org", display_name="Gone", role=Role.LEARNER, now=now
        )


def test_naive_now_is_refused(store: Store, alice: User) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        start_session(store, alice.id, now=datetime(2025, 1, 1))


def test_over_long_sign_in_fields_are_refused_before_any_password_check(
    store: Store, alice: User, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    monkeypatch.setattr(accounts, "_verify", lambda stored, password: checked.append(password) or False)
    for email, password in (("a" * 10_000 + "@example.org", PASSWORD), (alice.email, "p" * 100_000)):
        with pytest.raises(SignInError, match=SIGN_IN_FAILED):
            authenticate(store, email=email, password=password, now=now)
    assert checked == []
