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

import idna
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from limits import RateLimitItemPerHour, RateLimitItemPerMinute
from sqlalchemy import Connection, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from course import formatting, ratelimit
from course.clock import require_aware
from course.ratelimit import Check, Limit
from course.store.db import Store
from course.store.models import AuthTokenRow, LoginAttemptRow, UserRow
from course.textkey import search_key

MAX_EMAIL_LENGTH = 254
MAX_DISPLAY_NAME_LENGTH = 80
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024

# Limits on signed-out work (course.ratelimit: moving windows, per process). Attempts are counted
# before the password check; failures after it. No limit is per account alone, so a stranger can
# slow their own guesses at an account but never lock its owner out from another client.
THROTTLE_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)
SIGN_IN_PER_CLIENT = Limit("sign-in:client", RateLimitItemPerMinute(20))
SIGN_IN_PER_CLIENT_HOUR = Limit("sign-in:client-hour", RateLimitItemPerHour(100))
SIGN_IN_IN_TOTAL = Limit("sign-in:all", RateLimitItemPerMinute(600))
# Failures for one email from one client (guessing one account).
FAILURES_PER_CLIENT_ACCOUNT = Limit("sign-in:client-email", RateLimitItemPerMinute(THROTTLE_FAILURES, 15))
# Failures with one password from one client, whatever the email (password spraying).
FAILURES_PER_CLIENT_PASSWORD = Limit("sign-in:client-password", RateLimitItemPerMinute(THROTTLE_FAILURES, 15))
SIGN_UP_PER_CLIENT = Limit("sign-up:client", RateLimitItemPerMinute(10, 10))
SIGN_UP_IN_TOTAL = Limit("sign-up:all", RateLimitItemPerHour(300))

SESSION_TTL = timedelta(days=30)
HANDOFF_TTL = timedelta(seconds=60)
CONFIRM_TTL = timedelta(minutes=10)  # a handoff waiting on "Continue as ...?" (the person reads first)

SIGN_IN_FAILED = "Email or password is incorrect."
EMAIL_TAKEN = "An account with this email already exists."
BUSY = "The course is busy signing other people in. Please try again in a few seconds."
LOCAL_CLIENT = "local"  # the client key for callers with no network client (command line, tests)

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
    # IANA name every date this person reads is shown in (course.formatting); None until it is known
    # (the browser's zone is detected and stored on the next visit; formatting.zone(None) is UTC).
    time_zone: str | None = None


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
    """Too many recent attempts from this client; ``retry_after`` says how long until allowed."""

    def __init__(self, retry_after: timedelta, what: str = "sign-in") -> None:
        minutes = max(1, math.ceil(retry_after.total_seconds() / 60))
        unit = "minute" if minutes == 1 else "minutes"
        super().__init__(f"Too many {what} attempts from here. Please wait {minutes} {unit} and try again.")
        self.retry_after = retry_after


class BusyError(AccountError):
    """The process is already hashing as many passwords as it may: answered at once, try again shortly."""

    def __init__(self) -> None:
        super().__init__(BUSY)


def _throttle(wait: float | None, what: str) -> None:
    if wait is not None:
        raise ThrottledError(timedelta(seconds=math.ceil(wait)), what)


def _hash_password(password: str) -> str:
    """argon2id through the process's hashing gate (:class:`BusyError` when it is full)."""
    try:
        with ratelimit.hashing_slot().slot():
            return _hasher.hash(password)
    except ratelimit.Busy as busy:
        raise BusyError from busy


# --- validation -------------------------------------------------------------------------------


# Scripts that one language writes together (Japanese mixes these three); any other mix of scripts in
# one part of an address is a look-alike risk (UTS #39, "Highly Restrictive" level, approximated).
_SCRIPTS_USED_TOGETHER = ({"CJK", "HIRAGANA", "KATAKANA"},)
EMAIL_INVALID = "Enter a valid email address, like name@example.org."
EMAIL_LOOKALIKE = (
    "Email address mixes letters from different alphabets (for example a Cyrillic letter among Latin "
    "ones). Type it again in one alphabet."
)
EMAIL_FORMAT_CHARACTER = "Email address contains an invisible character (such as a zero-width space). Type it again."
EMAIL_LITERAL = "Email address must end in a domain name, not an address in brackets."


def normalise_email(email: str) -> str:
    """The one form in which an email is stored and compared (every lookup and insert uses it).

    Unicode NFKC (so full-width and compatibility characters become their plain forms), trimmed,
    lower-cased (local part too: the course has always matched addresses case-insensitively), and a
    domain that is a valid internationalised name written as its ASCII A-label (IDNA 2008 with UTS
    #46 mapping, the ``idna`` package: ``bücher.example`` -> ``xn--bcher-kva.example``). Never raises:
    text that cannot be an address comes back normalised as far as it goes, for
    :func:`email_problem` to refuse.
    """
    address = unicodedata.normalize("NFKC", email).strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or not domain or domain.startswith("[") or any(unicodedata.category(c) == "Cf" for c in address):
        return address  # left for email_problem to refuse (IDNA mapping would silently drop a zero-width space)
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return address
    return f"{local}@{ascii_domain}"


def _scripts(text: str) -> set[str]:
    """The scripts of the letters in ``text``, from each letter's Unicode name (e.g. "CYRILLIC")."""
    found = set()
    for char in text:
        if char.isalpha():
            name = unicodedata.name(char, "")
            found.add(name.split(" ")[0] if name else "UNKNOWN")
    return found


def _mixes_scripts(text: str) -> bool:
    scripts = _scripts(text)
    return len(scripts) > 1 and not any(scripts <= allowed for allowed in _SCRIPTS_USED_TOGETHER)


def email_problem(email: str) -> str | None:
    """Why ``email`` (already :func:`normalise_email`-ed) cannot be a new account's address, or None.

    Refused: empty, longer than 254 characters (RFC 5321 section 4.5.3.1.3), not one ``@`` between a
    local part and a dotted domain, spaces and control characters, invisible format characters
    (Unicode category Cf: zero-width spaces and joiners, direction marks), address literals such as
    ``a@[127.0.0.1]`` (RFC 5321 section 4.1.3), domains IDNA 2008 does not allow, and a local part or
    domain label that mixes alphabets (a Cyrillic "а" among Latin letters): each would let two
    accounts look identical on an educator's screen.
    """
    if not email:
        return "Enter your email address."
    if len(email) > MAX_EMAIL_LENGTH:
        return f"Email address must be at most {MAX_EMAIL_LENGTH} characters."
    if any(unicodedata.category(char) == "Cf" for char in email):
        return EMAIL_FORMAT_CHARACTER
    local, _, domain = email.rpartition("@")
    if domain.startswith("[") or domain.endswith("]"):
        return EMAIL_LITERAL
    well_formed = (
        email.count("@") == 1
        and bool(local)
        and "." in domain
        and not domain.startswith(".")
        and not domain.endswith(".")
        and ".." not in domain
        and not any(char.isspace() or unicodedata.category(char).startswith("C") for char in email)
    )
    if not well_formed:
        return EMAIL_INVALID
    try:
        unicode_domain = idna.decode(domain)
    except (idna.IDNAError, UnicodeError, ValueError):
        return EMAIL_INVALID
    if _mixes_scripts(local) or any(_mixes_scripts(label) for label in unicode_domain.split(".")):
        return EMAIL_LOOKALIKE
    return None


def _email_problem(email: str) -> str | None:
    return email_problem(email)


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

_USER_COLUMNS = (UserRow.id, UserRow.email, UserRow.display_name, UserRow.role, UserRow.time_zone)


def _user_from(row: Row[*tuple[Any, ...]]) -> User:
    return User(id=row.id, email=row.email, display_name=row.display_name, role=Role(row.role), time_zone=row.time_zone)


def set_time_zone(store: Store, user_id: int, name: str) -> User:
    """Store the IANA zone every date this person reads is shown in; returns the updated user.

    ``name`` is checked against the tz database (zoneinfo, PEP 615); an unknown name raises
    AccountError with a message for the person, and nothing is stored. LookupError: no such user.
    """
    cleaned = name.strip()
    try:
        formatting.zone(cleaned or "?")
    except formatting.UnknownZone as exc:
        raise AccountError(
            f"“{cleaned}” is not a time zone this site knows. Pick one from the list, "
            "or type a name such as Europe/London or America/New_York."
        ) from exc
    with store.write() as connection:
        changed = connection.execute(
            update(UserRow).where(UserRow.id == user_id, UserRow.deleted_at.is_(None)).values(time_zone=cleaned)
        ).rowcount
        if changed != 1:
            raise LookupError(f"No user with id {user_id}.")
        row = connection.execute(select(*_USER_COLUMNS).where(UserRow.id == user_id)).one()
    return _user_from(row)


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
    store: Store,
    *,
    email: str,
    display_name: str,
    password: str,
    role: Role,
    now: datetime,
    client: str | None,
) -> User:
    """Validate, then (limits first, for a signed-out ``client``) hash, then insert.

    The hash is computed whether or not the email is taken, so both answers take the same time.
    """
    require_aware(now)
    role = Role(role)
    email = normalise_email(email[: 4 * MAX_EMAIL_LENGTH])  # still too long for email_problem if cut here
    display_name = display_name.strip()
    problems = [problem for problem in (_email_problem(email), _display_name_problem(display_name)) if problem]
    problems += _password_problems(password, email)
    if problems:
        raise SignUpError(*problems)
    if client is not None:
        _throttle(ratelimit.take([(SIGN_UP_PER_CLIENT, client), (SIGN_UP_IN_TOTAL, "all")]), "sign-up")

    # Hash before taking the write lock (argon2 is deliberately slow), and before looking the email
    # up: an address already taken costs the same time as a new one.
    password_hash = _hash_password(password)
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
    store: Store,
    *,
    email: str,
    display_name: str,
    password: str,
    now: datetime,
    role: Role = Role.LEARNER,
    client: str = LOCAL_CLIENT,
) -> User:
    """Create a password account for a signed-out ``client`` (its network address).

    Raises :class:`SignUpError` listing every problem found (an email already taken is reported
    only once everything else is valid, after the same hashing time as a new account),
    :class:`ThrottledError` past SIGN_UP_PER_CLIENT / SIGN_UP_IN_TOTAL, :class:`BusyError` when the
    hashing gate is full.
    """
    return _create_password_user(
        store, email=email, display_name=display_name, password=password, role=role, now=now, client=client
    )


def create_user_admin(store: Store, *, email: str, display_name: str, password: str, role: Role, now: datetime) -> User:
    """Create an account with any role (for the command line); validated exactly like :func:`sign_up`."""
    return _create_password_user(
        store, email=email, display_name=display_name, password=password, role=role, now=now, client=None
    )


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
            select(UserRow.id, UserRow.deleted_at, UserRow.time_zone).where(UserRow.oidc_subject == subject)
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
    time_zone = existing.time_zone if existing is not None else None
    return User(id=user_id, email=email, display_name=display_name, role=role, time_zone=time_zone)


def _clean_display_name(display_name: str) -> str:
    """Provider-supplied names are not the user's typing to correct, so clean them instead of refusing."""
    printable = "".join(" " if unicodedata.category(char) == "Cc" else char for char in display_name)
    return " ".join(printable.split())[:MAX_DISPLAY_NAME_LENGTH].strip()


# --- passwords and throttling -----------------------------------------------------------------


@functools.cache
def _dummy_hash() -> str:
    # Same parameters as real hashes, so verifying against it costs the same time.
    return _hasher.hash("not a real password; used to keep sign-in timing uniform")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _sign_in_checks(client: str, email: str, password: str) -> tuple[list[Check], list[Check]]:
    """(attempt checks counted before the password check, failure checks counted after a failure)."""
    attempts: list[Check] = [
        (SIGN_IN_PER_CLIENT, client),
        (SIGN_IN_PER_CLIENT_HOUR, client),
        (SIGN_IN_IN_TOTAL, "all"),
    ]
    failures: list[Check] = [
        (FAILURES_PER_CLIENT_ACCOUNT, f"{client}|{email}"),
        (FAILURES_PER_CLIENT_PASSWORD, f"{client}|{ratelimit.fingerprint(password)}"),
    ]
    return attempts, failures


def authenticate(store: Store, *, email: str, password: str, now: datetime, client: str = LOCAL_CLIENT) -> User:
    """The user whose email and password these are, for a signed-out ``client`` (its network address).

    Raises :class:`SignInError` with the same message, after the same work, whether the account is
    unknown, deleted or the password is wrong. Before any password check: :class:`ThrottledError`
    after THROTTLE_FAILURES failures within THROTTLE_WINDOW for this email from this client, or with
    this password from this client over any emails (spraying), or past the client's and the
    process's attempt limits; :class:`BusyError` when the hashing gate is full. Nothing here locks an
    account: its owner signs in from another client as usual.
    """
    require_aware(now)
    email = normalise_email(email[: 4 * MAX_EMAIL_LENGTH])  # never normalise megabytes; still too long below
    attempts, failures = _sign_in_checks(client, email, password)
    _throttle(ratelimit.retry_after(failures), "unsuccessful sign-in")
    _throttle(ratelimit.take(attempts), "sign-in")
    if len(email) > MAX_EMAIL_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
        # No account can have these (sign-up refuses them): no lookup, no hashing of megabytes.
        ratelimit.count(failures)
        raise SignInError(SIGN_IN_FAILED)
    with store.read() as connection:
        row = connection.execute(
            select(*_USER_COLUMNS, UserRow.password_hash).where(UserRow.email == email, UserRow.deleted_at.is_(None))
        ).one_or_none()

    stored_hash = row.password_hash if row is not None else None
    try:
        with ratelimit.hashing_slot().slot():
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
    except ratelimit.Busy as busy:
        raise BusyError from busy

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
        ratelimit.count(failures)
        raise SignInError(SIGN_IN_FAILED)
    ratelimit.forget(failures[:1])  # this client proved it knows the password: its count for the email restarts
    return _user_from(row)


def set_password(store: Store, user_id: int, password: str, *, now: datetime) -> User:
    """Give a (not deleted) account a new password and sign it out everywhere.

    Validated like sign-up (:class:`SignUpError` lists the problems). Every session and handoff is
    revoked, and a successful sign-in is recorded. Raises LookupError when there is no such
    account, :class:`BusyError` when the hashing gate is full.
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
    password_hash = _hash_password(password)  # before the write lock: argon2 is deliberately slow
    with store.write() as connection:
        connection.execute(update(UserRow).where(UserRow.id == user_id).values(password_hash=password_hash))
        _revoke_all_tokens(connection, user_id, now)
        connection.execute(insert(LoginAttemptRow).values(email=row.email, succeeded=True, attempted_at=now))
    return _user_from(row)


# --- sessions and handoffs --------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _insert_token(
    connection: Connection, user_id: int, kind: str, now: datetime, ttl: timedelta, browser: str | None = None
) -> str:
    if ttl <= timedelta(0):
        raise ValueError("ttl must be positive")
    token = secrets.token_urlsafe(32)
    connection.execute(
        insert(AuthTokenRow).values(
            token_hash=_token_hash(token),
            kind=kind,
            user_id=user_id,
            created_at=now,
            expires_at=now + ttl,
            browser_hash=_token_hash(browser) if browser else None,
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


@dataclass(frozen=True)
class Handoff:
    """A handoff that can still be redeemed, as seen from the browser holding the link."""

    user: User
    bound: bool  # minted for one browser (its rp_browser cookie)
    this_browser: bool  # ... and that browser is the one asking


def issue_handoff(
    store: Store, user_id: int, *, now: datetime, ttl: timedelta = HANDOFF_TTL, browser: str | None = None
) -> str:
    """A short-lived, single-use token that :func:`redeem_handoff` exchanges for a session token.

    ``browser`` is the value of the asking browser's own cookie (``rp_browser``): the handoff then
    works only in that browser (a link passed to someone else is refused: login CSRF). None mints an
    unbound handoff, which the redeeming route must confirm with the person first (an LMS launch
    inside a frame, whose cookies the new window does not share).
    """
    require_aware(now)
    with store.write() as connection:
        return _insert_token(connection, user_id, _HANDOFF, now, ttl, browser)


def _live_handoff(token_hash: str, now: datetime) -> tuple[Any, ...]:
    return (
        AuthTokenRow.token_hash == token_hash,
        AuthTokenRow.kind == _HANDOFF,
        AuthTokenRow.used_at.is_(None),
        AuthTokenRow.revoked_at.is_(None),
        AuthTokenRow.expires_at > now,
    )


def inspect_handoff(store: Store, token: str | None, *, now: datetime, browser: str | None) -> Handoff | None:
    """Who this handoff would sign in, and whether it was minted for ``browser``; None if unusable. Uses nothing up."""
    require_aware(now)
    if not token:
        return None
    with store.read() as connection:
        row = connection.execute(
            select(*_USER_COLUMNS, AuthTokenRow.browser_hash)
            .join(AuthTokenRow, AuthTokenRow.user_id == UserRow.id)
            .where(*_live_handoff(_token_hash(token), now), UserRow.deleted_at.is_(None))
        ).one_or_none()
    if row is None:
        return None
    bound = row.browser_hash is not None
    same = bound and browser is not None and secrets.compare_digest(row.browser_hash, _token_hash(browser))
    return Handoff(_user_from(row), bound, same)


def _claim_handoff(connection: Connection, token: str, now: datetime, browser: str | None) -> int | None:
    """Use up a handoff (conditional UPDATE: single use under concurrency) and return its user, or None."""
    token_hash = _token_hash(token)
    bound_to = (
        AuthTokenRow.browser_hash.is_(None)
        if browser is None
        else (AuthTokenRow.browser_hash.is_(None) | (AuthTokenRow.browser_hash == _token_hash(browser)))
    )
    claimed = connection.execute(
        update(AuthTokenRow).where(*_live_handoff(token_hash, now), bound_to).values(used_at=now)
    ).rowcount
    if claimed != 1:
        return None
    user_id: int | None = connection.execute(
        select(UserRow.id)
        .join(AuthTokenRow, AuthTokenRow.user_id == UserRow.id)
        .where(AuthTokenRow.token_hash == token_hash, UserRow.deleted_at.is_(None))
    ).scalar()
    return user_id


def redeem_handoff(
    store: Store,
    token: str | None,
    *,
    now: datetime,
    browser: str | None = None,
    replacing: str | None = None,
) -> str | None:
    """Use up a handoff token and return a new session token, or None if it cannot be used.

    Refused (None, nothing used up) when the handoff was minted for another browser than
    ``browser``. ``replacing`` is the browser's current session token, ended in the same
    transaction (the caller has asked the person first if it belongs to someone else). The
    conditional UPDATE is what makes this single-use: of several concurrent redeemers only one sees
    a changed row (PostgreSQL re-checks the WHERE clause after waiting for the row lock; SQLite
    writers are serialised by BEGIN IMMEDIATE).
    """
    require_aware(now)
    if not token:
        return None
    with store.write() as connection:
        user_id = _claim_handoff(connection, token, now, browser)
        if user_id is None:
            return None
        if replacing:
            connection.execute(
                update(AuthTokenRow)
                .where(
                    AuthTokenRow.token_hash == _token_hash(replacing),
                    AuthTokenRow.kind == _SESSION,
                    AuthTokenRow.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )
        return _insert_token(connection, user_id, _SESSION, now, SESSION_TTL, browser)


def rebind_handoff(
    store: Store, token: str, *, now: datetime, browser: str, ttl: timedelta = CONFIRM_TTL
) -> str | None:
    """Exchange a handoff for a new one bound to ``browser``, for a page that asks the person first.

    The old link is used up, so the confirmation form carries the only live token, and it works only
    in the browser that is showing the form. None when the handoff cannot be used from ``browser``.
    """
    require_aware(now)
    with store.write() as connection:
        user_id = _claim_handoff(connection, token, now, browser)
        if user_id is None:
            return None
        return _insert_token(connection, user_id, _HANDOFF, now, ttl, browser)


__all__ = [
    "BUSY",
    "EMAIL_TAKEN",
    "SIGN_IN_FAILED",
    "AccountError",
    "BusyError",
    "Handoff",
    "Role",
    "SignInError",
    "SignUpError",
    "ThrottledError",
    "User",
    "authenticate",
    "create_user_admin",
    "delete_user",
    "email_problem",
    "end_all_sessions",
    "end_session",
    "find_user_by_email",
    "get_user",
    "inspect_handoff",
    "issue_handoff",
    "normalise_email",
    "password_problems",
    "rebind_handoff",
    "redeem_handoff",
    "set_password",
    "set_role",
    "sign_up",
    "start_session",
    "upsert_oidc_user",
    "user_for_session",
]
