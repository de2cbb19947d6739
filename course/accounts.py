"""People and how they sign in: password accounts, OIDC accounts, sessions and one-time handoffs.

Every function takes ``now`` rather than reading the clock, so behaviour over time (expiry,
throttling) is decided by the caller and is easy to test. Raw tokens are only ever returned to the
caller; the database keeps their SHA-256.
"""

from __future__ import annotations

import functools
import hashlib
import math
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from course.clock import require_aware
from course.store.db import Store
from course.store.models import AuthTokenRow, LoginAttemptRow, UserRow
from course.textkey import search_key

MAX_EMAIL_LENGTH = 254
MAX_DISPLAY_NAME_LENGTH = 80
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024

THROTTLE_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)

SESSION_TTL = timedelta(days=30)
HANDOFF_TTL = timedelta(seconds=60)

SIGN_IN_FAILED = "Email or password is incorrect."
EMAIL_TAKEN = "An account with this email already exists."

_SESSION = "session"
_HANDOFF = "handoff"

_hasher = PasswordHasher()


class Role(StrEnum):
    LEARNER = "learner"
    EDUCATOR = "educator"
    ADMIN = "admin"


@dataclass(frozen=True)
class User:
    id: int
    email: str
    display_name: str
    role: Role
    time_zone: str = "UTC"  # IANA name; every date this person reads is shown in it (course.formatting)


class AccountError(ValueError):
    """A problem to show to the person at the keyboard; ``message`` is written for them."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SignUpError(AccountError):
    """Every reason the sign-up was refused, one sentence each in ``problems``."""

    def __init__(self, *problems: str) -> None:
        super().__init__(" ".join(problems))
        self.problems = list(problems)


class SignInError(AccountError):
    pass


class ThrottledError(AccountError):
    """Too many recent failed sign-ins for this email; ``retry_after`` says how long until allowed."""

    def __init__(self, retry_after: timedelta) -> None:
        minutes = max(1, math.ceil(retry_after.total_seconds() / 60))
        unit = "minute" if minutes == 1 else "minutes"
        super().__init__(f"Too many unsuccessful sign-in attempts. Please wait {minutes} {unit} and try again.")
        self.retry_after = retry_after


# --- validation -------------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _email_problem(email: str) -> str | None:
    if not email:
        return "Enter your email address."
    if len(email) > MAX_EMAIL_LENGTH:
        return f"Email address must be at most {MAX_EMAIL_LENGTH} characters."
    local, _, domain = email.partition("@")
    well_formed = (
        email.count("@") == 1
        and bool(local)
        and "." in domain
        and not domain.startswith(".")
        and not domain.endswith(".")
        and ".." not in domain
        and not any(char.isspace() or unicodedata.category(char) == "Cc" for char in email)
    )
    return None if well_formed else "Enter a valid email address, like name@example.org."


def _display_name_problem(display_name: str) -> str | None:
    if not display_name:
        return "Enter a display name."
    if len(display_name) > MAX_DISPLAY_NAME_LENGTH:
        return f"Display name must be at most {MAX_DISPLAY_NAME_LENGTH} characters."
    if any(unicodedata.category(char) == "Cc" for char in display_name):
        return "Display name must not contain control characters such as tabs or line breaks."
    return None


def password_problems(password: str, email: str) -> list[str]:
    """Every reason this password cannot be used for the account with this email (empty: it can)."""
    return _password_problems(password, email)


def _password_problems(password: str, email: str) -> list[str]:
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"Password must be at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"Password must be at most {MAX_PASSWORD_LENGTH} characters.")
    if email and password.strip().casefold() == email.casefold():
        problems.append("Password must not be the same as your email address.")
    return problems


# --- users ------------------------------------------------------------------------------------

_USER_COLUMNS = (UserRow.id, UserRow.email, UserRow.display_name, UserRow.role)


def _user_from(row: Row[*tuple[Any, ...]]) -> User:
    return User(id=row.id, email=row.email, display_name=row.display_name, role=Role(row.role))


def get_user(store: Store, user_id: int) -> User | None:
    """The user with this id, or None if there is none or the account was deleted."""
    with store.read() as connection:
        row = connection.execute(
            select(*_USER_COLUMNS).where(UserRow.id == user_id, UserRow.deleted_at.is_(None))
        ).one_or_none()
    return None if row is None else _user_from(row)


def find_user_by_email(store: Store, email: str) -> User | None:
    """The (not deleted) user with this email, compared after trimming and lower-casing."""
    with store.read() as connection:
        row = connection.execute(
            select(*_USER_COLUMNS).where(UserRow.email == normalise_email(email), UserRow.deleted_at.is_(None))
        ).one_or_none()
    return None if row is None else _user_from(row)


def _email_exists(connection: Connection, email: str) -> bool:
    return connection.execute(select(UserRow.id).where(UserRow.email == email)).first() is not None


def _create_password_user(
    store: Store, *, email: str, display_name: str, password: str, role: Role, now: datetime
) -> User:
    require_aware(now)
    role = Role(role)
    email = normalise_email(email)
    display_name = display_name.strip()
    email_problem = _email_problem(email)
    problems = [problem for problem in (email_problem, _display_name_problem(display_name)) if problem is not None]
    problems += _password_problems(password, email)
    if email_problem is None:
        with store.read() as connection:
            if _email_exists(connection, email):
                problems.insert(0, EMAIL_TAKEN)
    if problems:
        raise SignUpError(*problems)

    # Hash before taking the write lock: argon2 is deliberately slow.
    password_hash = _hasher.hash(password)
    try:
        with store.write() as connection:
            if _email_exists(connection, email):
                raise SignUpError(EMAIL_TAKEN)
            user_id = connection.execute(
                insert(UserRow)
                .values(
                    email=email,
                    display_name=display_name,
                    password_hash=password_hash,
                    role=role.value,
                    created_at=now,
                )
                .returning(UserRow.id)
            ).scalar_one()
    except IntegrityError as error:
        # Another sign-up with the same email committed between our check and our insert.
        with store.read() as connection:
            if _email_exists(connection, email):
                raise SignUpError(EMAIL_TAKEN) from error
        raise
    return User(id=user_id, email=email, display_name=display_name, role=role)


def sign_up(
    store: Store, *, email: str, display_name: str, password: str, now: datetime, role: Role = Role.LEARNER
) -> User:
    """Create a password account. Raises :class:`SignUpError` listing every problem found."""
    return _create_password_user(store, email=email, display_name=display_name, password=password, role=role, now=now)


def create_user_admin(store: Store, *, email: str, display_name: str, password: str, role: Role, now: datetime) -> User:
    """Create an account with any role (for the command line); validated exactly like :func:`sign_up`."""
    return _create_password_user(store, email=email, display_name=display_name, password=password, role=role, now=now)


def set_role(store: Store, user_id: int, role: Role) -> None:
    """Change a user's role. Raises LookupError if there is no such (non-deleted) user."""
    role = Role(role)
    with store.write() as connection:
        changed = connection.execute(
            update(UserRow).where(UserRow.id == user_id, UserRow.deleted_at.is_(None)).values(role=role.value)
        ).rowcount
    if changed != 1:
        raise LookupError(f"No user with id {user_id}.")


def delete_user(store: Store, user_id: int, *, now: datetime) -> None:
    """Mark a user deleted and revoke all their tokens. Their events are kept."""
    require_aware(now)
    with store.write() as connection:
        connection.execute(
            update(UserRow).where(UserRow.id == user_id, UserRow.deleted_at.is_(None)).values(deleted_at=now)
        )
        _revoke_all_tokens(connection, user_id, now)


def upsert_oidc_user(store: Store, *, subject: str, email: str, display_name: str, role: Role, now: datetime) -> User:
    """Create or update the account for an OIDC identity (``subject`` is "issuer|sub").

    Email, display name and role are refreshed from the identity provider on every sign-in. An
    email that already belongs to a different account is refused rather than linked, because
    linking on email alone would let whoever controls that address at the provider take the
    account over.
    """
    require_aware(now)
    role = Role(role)
    subject = subject.strip()
    if not subject:
        raise ValueError("OIDC subject must not be empty")
    email = normalise_email(email)
    if _email_problem(email) is not None:
        raise SignInError("Your sign-in provider did not supply a usable email address.")
    display_name = _clean_display_name(display_name) or email.partition("@")[0][:MAX_DISPLAY_NAME_LENGTH]

    with store.write() as connection:
        existing = connection.execute(
            select(UserRow.id, UserRow.deleted_at).where(UserRow.oidc_subject == subject)
        ).one_or_none()
        owner_of_email = connection.execute(select(UserRow.id).where(UserRow.email == email)).scalar()
        if existing is not None and existing.deleted_at is not None:
            raise SignInError("This account has been closed. Contact your course administrator.")
        if owner_of_email is not None and (existing is None or owner_of_email != existing.id):
            raise SignInError(
                "An account with this email already exists. "
                "Contact your course administrator to link it to this sign-in method."
            )
        if existing is None:
            user_id = connection.execute(
                insert(UserRow)
                .values(
                    email=email,
                    display_name=display_name,
                    password_hash=None,
                    role=role.value,
                    oidc_subject=subject,
                    created_at=now,
                )
                .returning(UserRow.id)
            ).scalar_one()
        else:
            user_id = existing.id
            connection.execute(
                update(UserRow)
                .where(UserRow.id == user_id)
                .values(
                    email=email,
                    display_name=display_name,
                    search_key=search_key(display_name, email),
                    role=role.value,
                )
            )
    return User(id=user_id, email=email, display_name=display_name, role=role)


def _clean_display_name(display_name: str) -> str:
    """Provider-supplied names are not the user's typing to correct, so clean them instead of refusing."""
    printable = "".join(" " if unicodedata.category(char) == "Cc" else char for char in display_name)
    return " ".join(printable.split())[:MAX_DISPLAY_NAME_LENGTH].strip()


# --- passwords and throttling -----------------------------------------------------------------


@functools.cache
def _dummy_hash() -> str:
    # Same parameters as real hashes, so verifying against it costs the same time.
    return _hasher.hash("not a real password; used to keep sign-in timing uniform")


def _locked_until(connection: Connection, email: str, now: datetime) -> datetime | None:
    """When the lock on this email lifts, or None if sign-in is allowed now.

    Locked while some failure F less than THROTTLE_WINDOW ago was the fifth within THROTTLE_WINDOW;
    the lock lifts THROTTLE_WINDOW after F. Failures before a successful sign-in do not count.
    """
    attempts = connection.execute(
        select(LoginAttemptRow.attempted_at, LoginAttemptRow.succeeded)
        .where(
            LoginAttemptRow.email == email,
            # The first of five failures can be up to one window before the fifth, which itself
            # must be within the last window.
            LoginAttemptRow.attempted_at > now - 2 * THROTTLE_WINDOW,
            LoginAttemptRow.attempted_at <= now,
        )
        .order_by(LoginAttemptRow.attempted_at, LoginAttemptRow.id)
    ).all()
    failures: list[datetime] = []
    for attempt in attempts:
        if attempt.succeeded:
            failures.clear()
        else:
            failures.append(attempt.attempted_at)
    until: datetime | None = None
    for index in range(THROTTLE_FAILURES - 1, len(failures)):
        fifth = failures[index]
        if fifth - failures[index - (THROTTLE_FAILURES - 1)] <= THROTTLE_WINDOW:
            lifts_at = fifth + THROTTLE_WINDOW
            if lifts_at > now and (until is None or lifts_at > until):
                until = lifts_at
    return until


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def authenticate(store: Store, *, email: str, password: str, now: datetime) -> User:
    """The user whose email and password these are.

    Raises :class:`SignInError` with the same message whether the account is unknown, deleted or
    the password is wrong, and :class:`ThrottledError` after too many failures for this email.
    Refused (throttled) attempts are not recorded, so they do not extend the lock.
    """
    require_aware(now)
    email = normalise_email(email)
    with store.read() as connection:
        locked_until = _locked_until(connection, email, now)
        row = connection.execute(
            select(*_USER_COLUMNS, UserRow.password_hash).where(UserRow.email == email, UserRow.deleted_at.is_(None))
        ).one_or_none()
    if locked_until is not None:
        raise ThrottledError(locked_until - now)

    stored_hash = row.password_hash if row is not None else None
    if stored_hash is None:
        # Unknown, deleted or OIDC-only account: spend the same time as a real check.
        _verify(_dummy_hash(), password)
        succeeded = False
    else:
        succeeded = _verify(stored_hash, password)
    new_hash = (
        _hasher.hash(password)
        if succeeded and stored_hash is not None and _hasher.check_needs_rehash(stored_hash)
        else None
    )

    with store.write() as connection:
        connection.execute(insert(LoginAttemptRow).values(email=email, succeeded=succeeded, attempted_at=now))
        if row is not None and new_hash is not None:
            # Only replace the hash we verified, never one changed meanwhile.
            connection.execute(
                update(UserRow)
                .where(UserRow.id == row.id, UserRow.password_hash == stored_hash)
                .values(password_hash=new_hash)
            )
    if not succeeded or row is None:
        raise SignInError(SIGN_IN_FAILED)
    return _user_from(row)


def set_password(store: Store, user_id: int, password: str, *, now: datetime) -> User:
    """Give a (not deleted) account a new password and sign it out everywhere.

    Validated like sign-up (:class:`SignUpError` lists the problems). Every session and handoff is
    revoked, and a successful sign-in is recorded so earlier failures no longer lock the email.
    Raises LookupError when there is no such account.
    """
    require_aware(now)
    with store.read() as connection:
        row = connection.execute(
            select(*_USER_COLUMNS).where(UserRow.id == user_id, UserRow.deleted_at.is_(None))
        ).one_or_none()
    if row is None:
        raise LookupError(f"No user with id {user_id}.")
    problems = _password_problems(password, row.email)
    if problems:
        raise SignUpError(*problems)
    password_hash = _hasher.hash(password)  # before the write lock: argon2 is deliberately slow
    with store.write() as connection:
        connection.execute(update(UserRow).where(UserRow.id == user_id).values(password_hash=password_hash))
        _revoke_all_tokens(connection, user_id, now)
        connection.execute(insert(LoginAttemptRow).values(email=row.email, succeeded=True, attempted_at=now))
    return _user_from(row)


# --- sessions and handoffs --------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _insert_token(connection: Connection, user_id: int, kind: str, now: datetime, ttl: timedelta) -> str:
    if ttl <= timedelta(0):
        raise ValueError("ttl must be positive")
    token = secrets.token_urlsafe(32)
    connection.execute(
        insert(AuthTokenRow).values(
            token_hash=_token_hash(token), kind=kind, user_id=user_id, created_at=now, expires_at=now + ttl
        )
    )
    return token


def _revoke_all_tokens(connection: Connection, user_id: int, now: datetime) -> None:
    connection.execute(
        update(AuthTokenRow)
        .where(AuthTokenRow.user_id == user_id, AuthTokenRow.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def start_session(store: Store, user_id: int, *, now: datetime, ttl: timedelta = SESSION_TTL) -> str:
    """A new session token for the user (to be kept in a cookie). Only its hash is stored."""
    require_aware(now)
    with store.write() as connection:
        return _insert_token(connection, user_id, _SESSION, now, ttl)


def user_for_session(store: Store, token: str | None, *, now: datetime) -> User | None:
    """The signed-in user, or None for a missing, unknown, expired or revoked token or deleted user."""
    require_aware(now)
    if not token:
        return None
    with store.read() as connection:
        row = connection.execute(
            select(*_USER_COLUMNS)
            .join(AuthTokenRow, AuthTokenRow.user_id == UserRow.id)
            .where(
                AuthTokenRow.token_hash == _token_hash(token),
                AuthTokenRow.kind == _SESSION,
                AuthTokenRow.revoked_at.is_(None),
                AuthTokenRow.expires_at > now,
                UserRow.deleted_at.is_(None),
            )
        ).one_or_none()
    return None if row is None else _user_from(row)


def end_session(store: Store, token: str | None, *, now: datetime) -> None:
    """Sign out this session. Unknown or already ended tokens are ignored."""
    require_aware(now)
    if not token:
        return
    with store.write() as connection:
        connection.execute(
            update(AuthTokenRow)
            .where(
                AuthTokenRow.token_hash == _token_hash(token),
                AuthTokenRow.kind == _SESSION,
                AuthTokenRow.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )


def end_all_sessions(store: Store, user_id: int, *, now: datetime) -> None:
    """Sign the user out everywhere, including handoffs not redeemed yet."""
    require_aware(now)
    with store.write() as connection:
        _revoke_all_tokens(connection, user_id, now)


def issue_handoff(store: Store, user_id: int, *, now: datetime, ttl: timedelta = HANDOFF_TTL) -> str:
    """A short-lived, single-use token that :func:`redeem_handoff` exchanges for a session token."""
    require_aware(now)
    with store.write() as connection:
        return _insert_token(connection, user_id, _HANDOFF, now, ttl)


def redeem_handoff(store: Store, token: str | None, *, now: datetime) -> str | None:
    """Use up a handoff token and return a new session token, or None if it cannot be used.

    The conditional UPDATE is what makes this single-use: of several concurrent redeemers only one
    sees a changed row (PostgreSQL re-checks the WHERE clause after waiting for the row lock; SQLite
    writers are serialised by BEGIN IMMEDIATE).
    """
    require_aware(now)
    if not token:
        return None
    token_hash = _token_hash(token)
    with store.write() as connection:
        claimed = connection.execute(
            update(AuthTokenRow)
            .where(
                AuthTokenRow.token_hash == token_hash,
                AuthTokenRow.kind == _HANDOFF,
                AuthTokenRow.used_at.is_(None),
                AuthTokenRow.revoked_at.is_(None),
                AuthTokenRow.expires_at > now,
            )
            .values(used_at=now)
        ).rowcount
        if claimed != 1:
            return None
        user_id = connection.execute(
            select(UserRow.id)
            .join(AuthTokenRow, AuthTokenRow.user_id == UserRow.id)
            .where(AuthTokenRow.token_hash == token_hash, UserRow.deleted_at.is_(None))
        ).scalar()
        if user_id is None:
            return None
        return _insert_token(connection, user_id, _SESSION, now, SESSION_TTL)


__all__ = [
    "EMAIL_TAKEN",
    "SIGN_IN_FAILED",
    "AccountError",
    "Role",
    "SignInError",
    "SignUpError",
    "ThrottledError",
    "User",
    "authenticate",
    "create_user_admin",
    "delete_user",
    "end_all_sessions",
    "end_session",
    "find_user_by_email",
    "get_user",
    "issue_handoff",
    "normalise_email",
    "password_problems",
    "redeem_handoff",
    "set_password",
    "set_role",
    "sign_up",
    "start_session",
    "upsert_oidc_user",
    "user_for_session",
]
