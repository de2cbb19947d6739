"""Password reset by email: a single-use link that expires, and the same answer for every address.

* A request for an address with a password account stores the SHA-256 of a fresh random token
  (never the token) and returns the token for the email; any other address (unknown, deleted, or
  signing in only through the organisation's OIDC) returns None, and the page says the same
  thing either way. The email is sent in the background, so the answer takes as long either way.
* A link works once, for RESET_TTL (OWASP Forgot Password Cheat Sheet: single use, short expiry),
  and using it revokes the account's other links and every session.
* At most MAX_OUTSTANDING unused, unexpired links exist per account, whatever the limiter in front
  (:func:`request_allowed`) lets through, so no one can fill someone's inbox.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from limits import RateLimitItemPerHour, RateLimitItemPerMinute
from sqlalchemy import func, insert, select, update

from course import accounts, formatting, ratelimit
from course.accounts import AccountError, User
from course.clock import require_aware
from course.mail import recipient_zone
from course.ratelimit import Limit
from course.store.db import Store
from course.store.models import PasswordResetRow, UserRow

RESET_TTL = timedelta(hours=1)
MAX_OUTSTANDING = 3
LINK_INVALID = "This password-reset link has expired or has already been used. Ask for a new one."
REQUEST_ANSWER = (
    "If an account with a password uses that address, we have sent it a link to choose a new password. "
    "The link works once, within an hour. Check your spam folder if nothing arrives."
)
TOO_MANY = "Too many password-reset requests. Please wait a few minutes and try again."


@dataclass(frozen=True)
class ResetRequest:
    user: User
    token: str  # goes only into the email; the database keeps its SHA-256
    expires_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- the limits (course.ratelimit: moving windows in this process's memory) -------------------------

PER_CLIENT = Limit("password-reset:client", RateLimitItemPerMinute(5, 15))  # 5 requests per 15 minutes
PER_ADDRESS = Limit("password-reset:email", RateLimitItemPerHour(3))  # 3 requests per hour for one address
IN_TOTAL = Limit("password-reset:all", RateLimitItemPerHour(200))  # every request to this process in an hour


def request_allowed(client: str, email: str) -> bool:
    """Whether a signed-out client may ask for a reset link now (checked before any database work).

    Per client, per address and in total (course.ratelimit): with several app processes each keeps
    its own count (sticky sessions pin a client to one); the per-account cap on outstanding links
    (MAX_OUTSTANDING) holds across them.
    """
    address = accounts.normalise_email(email[: accounts.MAX_EMAIL_LENGTH + 1])
    checks = [(IN_TOTAL, "all"), (PER_CLIENT, client), (PER_ADDRESS, address)]
    return ratelimit.take(checks) is None


def reset_limiter() -> None:
    """Forget every count (tests)."""
    ratelimit.reset()


# --- requesting and using a link -----------------------------------------------------------------------


def request_reset(store: Store, email: str, *, now: datetime, ttl: timedelta = RESET_TTL) -> ResetRequest | None:
    """A new reset token for the password account with this email, or None (see the module notes)."""
    require_aware(now)
    address = accounts.normalise_email(email[: accounts.MAX_EMAIL_LENGTH + 1])
    if not address or len(address) > accounts.MAX_EMAIL_LENGTH:
        return None
    with store.write() as conn:
        row = conn.execute(
            select(UserRow.id, UserRow.email, UserRow.display_name, UserRow.role).where(
                UserRow.email == address, UserRow.deleted_at.is_(None), UserRow.password_hash.is_not(None)
            )
        ).one_or_none()
        if row is None:
            return None
        outstanding = conn.execute(
            select(func.count()).where(
                PasswordResetRow.user_id == row.id,
                PasswordResetRow.used_at.is_(None),
                PasswordResetRow.expires_at > now,
            )
        ).scalar_one()
        if outstanding >= MAX_OUTSTANDING:
            return None
        token = secrets.token_urlsafe(32)
        conn.execute(
            insert(PasswordResetRow).values(
                token_hash=_hash(token), user_id=row.id, created_at=now, expires_at=now + ttl
            )
        )
    user = accounts.get_user(store, int(row.id))
    assert user is not None
    return ResetRequest(user, token, now + ttl)


def _live(token: str, now: datetime):  # type: ignore[no-untyped-def]
    return (
        PasswordResetRow.token_hash == _hash(token),
        PasswordResetRow.used_at.is_(None),
        PasswordResetRow.expires_at > now,
    )


def link_is_valid(store: Store, token: str | None, *, now: datetime) -> bool:
    """Whether this link can still be used (to show the form, or say at once that it cannot)."""
    require_aware(now)
    if not token:
        return False
    with store.read() as conn:
        found = conn.execute(
            select(PasswordResetRow.id)
            .join(UserRow, UserRow.id == PasswordResetRow.user_id)
            .where(*_live(token, now), UserRow.deleted_at.is_(None))
        ).first()
    return found is not None


def reset_password(store: Store, token: str, new_password: str, *, now: datetime) -> User:
    """Set a new password with a reset link. Raises AccountError (or SignUpError for a weak password).

    The password is checked first, so a typo in it does not use up the link. The conditional UPDATE
    makes the link single-use even when two tabs submit at once.
    """
    require_aware(now)
    with store.read() as conn:
        owner = conn.execute(select(PasswordResetRow.user_id).where(*_live(token, now))).scalar()
    if owner is None:
        raise AccountError(LINK_INVALID)
    user = accounts.get_user(store, int(owner))
    if user is None:
        raise AccountError(LINK_INVALID)
    problems = accounts.password_problems(new_password, user.email)
    if problems:
        raise accounts.SignUpError(*problems)
    with store.write() as conn:
        claimed = conn.execute(update(PasswordResetRow).where(*_live(token, now)).values(used_at=now)).rowcount
        if claimed != 1:
            raise AccountError(LINK_INVALID)
        conn.execute(
            update(PasswordResetRow)
            .where(PasswordResetRow.user_id == user.id, PasswordResetRow.used_at.is_(None))
            .values(used_at=now)
        )
    return accounts.set_password(store, user.id, new_password, now=now)


def admin_reset_password(store: Store, email: str, new_password: str, *, now: datetime) -> User:
    """The command line's reset: set the password of the account with this email (LookupError if none)."""
    user = accounts.find_user_by_email(store, email)
    if user is None:
        raise LookupError(f"No account with email {email}.")
    changed = accounts.set_password(store, user.id, new_password, now=now)
    with store.write() as conn:
        conn.execute(
            update(PasswordResetRow)
            .where(PasswordResetRow.user_id == user.id, PasswordResetRow.used_at.is_(None))
            .values(used_at=now)
        )
    return changed


def reset_url(public_url: str, token: str) -> str:
    return f"{public_url}/reset?token={token}"


def reset_email(request: ResetRequest, public_url: str) -> tuple[str, str]:
    """The subject and plain-text body of the reset email; times in the recipient's own zone."""
    tz = recipient_zone(request.user)
    body = f"""Hello {request.user.display_name},

Someone (we hope you) asked to reset the password of your Relational Prescribing account.
To choose a new password, open this link:

{reset_url(public_url, request.token)}

The link works once, until {formatting.format_datetime(request.expires_at, tz)}.
Using it signs your account out everywhere else.

If you did not ask for this, you can ignore this email: your password stays as it is.
"""
    return "Reset your Relational Prescribing password", body


def existing_account_email(user: User, public_url: str) -> tuple[str, str]:
    """The note to an account's owner when someone tries to create another account with their address.

    Sign-up answers such an attempt exactly as it answers an address already in use, so the page
    tells a stranger nothing new; the owner hears of it here.
    """
    body = f"""Hello {user.display_name},

Someone (perhaps you) tried to create a new Relational Prescribing account with this email address.
You already have an account with it, so no new account was made.

To sign in, go to {public_url}/signin
If you have forgotten your password, choose a new one at {public_url}/forgot

If this was not you, you can ignore this email: nothing about your account has changed.
"""
    return "Someone tried to create an account with your email", body


__all__ = [
    "LINK_INVALID",
    "MAX_OUTSTANDING",
    "REQUEST_ANSWER",
    "RESET_TTL",
    "TOO_MANY",
    "ResetRequest",
    "admin_reset_password",
    "existing_account_email",
    "link_is_valid",
    "request_allowed",
    "request_reset",
    "reset_email",
    "reset_password",
    "reset_url",
]
